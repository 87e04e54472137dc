package dev.shardvault.gateway.http;

import static dev.shardvault.gateway.problem.JsonCodec.JSON;

import dev.shardvault.gateway.auth.Action;
import dev.shardvault.gateway.auth.Principal;
import dev.shardvault.gateway.forward.VaultNodes;
import dev.shardvault.gateway.forward.VaultNodes.Answer;
import dev.shardvault.gateway.forward.VaultNodes.Grant;
import dev.shardvault.tls.ReleaseGrant;
import dev.shardvault.gateway.problem.Problem;
import dev.shardvault.gateway.problem.ProblemException;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** {@code /v1/secrets}: create, update, read (latest, by version, as of a time), history, list, delete. */
final class SecretsService implements HttpService {

    private static final String VAULT = "/internal/v1";

    private final Requests requests;
    private final VaultNodes vault;
    private final GatewayMetrics metrics;
    private final Refusals refusals;

    SecretsService(Requests requests, VaultNodes vault, GatewayMetrics metrics) {
        this.requests = requests;
        this.vault = vault;
        this.metrics = metrics;
        this.refusals = new Refusals(vault);
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::create)
             .get("/", this::list)
             .get("/{name}/versions", this::history)
             .get("/{name}/timeline", this::timeline)
             .post("/{name}/exposure", this::exposure)
             .get("/{name}", this::read)
             .put("/{name}", this::update)
             .delete("/{name}", this::delete);
    }

    private void create(ServerRequest req, ServerResponse res) {
        Principal principal = requests.authenticate(req);
        JsonObject body = Requests.jsonObject(req, Set.of("name", "value"));
        String name = Requests.name(Requests.string(body, "name"));
        principal = authorize(req, Action.WRITE, name, "secret-created");
        String value = Requests.value(body);
        String key = key(req);
        long now = Clock.now();
        JsonObject forward = JSON.createObjectBuilder().add("name", name).add("value", value)
                .add("requestTime", Clock.format(now)).add("idempotencyKey", key).build();
        Answer answer = vault.sendWrite(Method.POST, VAULT + "/secrets/" + principal.namespace(), Map.of(), forward,
                                        write(req, principal, name, now), key);
        metrics.write(answer);
        JsonObject result = expect(answer, 201);
        res.status(Status.CREATED_201)
           .header(HeaderValues.create(HeaderNames.LOCATION, "/v1/secrets/" + name))
           .header(HeaderValues.create(HeaderNames.ETAG, etag(result)));
        json(res, written(result));
    }

    private void update(ServerRequest req, ServerResponse res) {
        String name = Requests.name(req.path().pathParameters().get("name"));
        Principal principal = authorize(req, Action.WRITE, name, "secret-updated");
        JsonObject body = Requests.jsonObject(req, Set.of("value"));
        String value = Requests.value(body);
        String key = key(req);
        long now = Clock.now();
        JsonObjectBuilder forward = JSON.createObjectBuilder().add("value", value).add("requestTime", Clock.format(now))
                .add("idempotencyKey", key);
        ifMatch(req).ifPresent(version -> forward.add("expectedVersion", version));
        Answer answer = vault.sendWrite(Method.PUT, VAULT + "/secrets/" + principal.namespace() + "/" + name, Map.of(),
                                        forward.build(), write(req, principal, name, now), key);
        metrics.write(answer);
        JsonObject result = expect(answer, 200);
        res.header(HeaderValues.create(HeaderNames.ETAG, etag(result)));
        json(res, written(result));
    }

    private void read(ServerRequest req, ServerResponse res) {
        String name = Requests.name(req.path().pathParameters().get("name"));
        Principal principal = authorize(req, Action.READ, name, "secret-read");
        Optional<String> version = req.query().first("version").asOptional();
        Optional<String> at = req.query().first("at").asOptional();
        Map<String, String> query = new LinkedHashMap<>();
        if (version.isPresent() && at.isPresent()) {
            throw new ProblemException(Problem.invalid("version", "give version or at, not both"));
        }
        version.ifPresent(v -> query.put("version", Long.toString(Requests.positive("version", v))));
        at.ifPresent(t -> {
            query.put("at", Clock.queryInstant("at", t));
        });
        Answer answer = vault.send(Method.GET, VAULT + "/secrets/" + principal.namespace() + "/" + name, query, null,
                                   Grant.read(principal.namespace(), name, Requests.audit(req, principal)));
        JsonObject result = expect(answer, 200);
        res.header(HeaderValues.create(HeaderNames.ETAG, etag(result)));
        JsonObjectBuilder answered = JSON.createObjectBuilder()
                .add("name", result.getString("name")).add("version", result.getJsonNumber("version"))
                .add("value", result.getString("value")).add("validFrom", result.getString("validFrom"))
                .add("validTo", result.getOrDefault("validTo", JsonValue.NULL));
        if (result.getBoolean("rotationRequired", false)) {
            answered.add("rotationRequired", true);
        }
        json(res, answered.build());
    }

    private void history(ServerRequest req, ServerResponse res) {
        String name = Requests.name(req.path().pathParameters().get("name"));
        Principal principal = authorize(req, Action.READ, name, "secret-history-read");
        Answer answer = vault.send(Method.GET, VAULT + "/secrets/" + principal.namespace() + "/" + name + "/versions", Map.of(), null,
                                   Grant.meta(principal.namespace(), List.of(name), Requests.audit(req, principal)));
        json(res, expect(answer, 200));
    }

    /** {@code GET /v1/secrets/{name}/timeline}: the custody events the vault nodes hold, merged and chained by them. */
    private void timeline(ServerRequest req, ServerResponse res) {
        String name = Requests.name(req.path().pathParameters().get("name"));
        Principal principal = requests.authorize(req, Action.AUDIT, name);
        Map<String, String> query = page(req, after -> {
            if (!after.matches("[0-9a-f]{32}")) {
                throw new ProblemException(Problem.invalid("after", "must be an event id (32 lowercase hex digits)"));
            }
            return after;
        });
        Answer answer = vault.send(Method.GET, VAULT + "/timelines/" + principal.namespace() + "/" + name, query, null,
                                   Grant.meta(principal.namespace(), List.of(name), Requests.audit(req, principal)));
        json(res, expect(answer, 200));
    }

    /** {@code POST /v1/secrets/{name}/exposure}: records {@code secret-exposed}; latest reads ask for rotation until the next update. */
    private void exposure(ServerRequest req, ServerResponse res) {
        String name = Requests.name(req.path().pathParameters().get("name"));
        Principal principal = authorize(req, Action.WRITE, name, "secret-exposed");
        JsonObject body = Requests.jsonObject(req, Set.of("reason"));
        String reason = Requests.string(body, "reason");
        if (reason.isEmpty() || reason.length() > 500 || reason.codePoints().anyMatch(Character::isISOControl)) {
            throw new ProblemException(Problem.invalid("reason", "must be 1..500 characters without control characters"));
        }
        long now = Clock.now();
        JsonObject forward = JSON.createObjectBuilder().add("reason", reason).add("requestTime", Clock.format(now)).build();
        Answer answer = vault.send(Method.POST, VAULT + "/exposures/" + principal.namespace() + "/" + name, Map.of(), forward,
                                   new Grant(ReleaseGrant.Kind.WRITE, principal.namespace(), List.of(name), now,
                                             Requests.audit(req, principal)));
        json(res, expect(answer, 200));
    }

    /**
     * {@link Requests#authorize(ServerRequest, Action, String)}; a 403 is first recorded in {@code name}'s custody
     * timeline as a refused {@code event} of this caller (if the vault knows the name).
     */
    private Principal authorize(ServerRequest req, Action action, String name, String event) {
        try {
            return requests.authorize(req, action, name);
        } catch (ProblemException e) {
            if (e.problem().status() == 403) {
                refusals.record(requests.authenticate(req), Requests.audit(req, requests.authenticate(req)), name, event);
            }
            throw e;
        }
    }

    /**
     * A paged listing's query: {@code after} (checked by {@code cursor}) and {@code limit} (1..1000); {@link PublicPaths}
     * refuses any other parameter.
     */
    private static Map<String, String> page(ServerRequest req, java.util.function.UnaryOperator<String> cursor) {
        Map<String, String> query = new LinkedHashMap<>();
        req.query().first("after").asOptional().ifPresent(after -> query.put("after", cursor.apply(after)));
        req.query().first("limit").asOptional().ifPresent(limit -> {
            long parsed = Requests.positive("limit", limit);
            if (parsed > 1000) {
                throw new ProblemException(Problem.invalid("limit", "must be 1..1000"));
            }
            query.put("limit", Long.toString(parsed));
        });
        return query;
    }

    private void list(ServerRequest req, ServerResponse res) {
        Principal principal = requests.authorize(req, Action.LIST);
        Map<String, String> query = page(req, after -> Requests.name("after", after));
        Answer answer = vault.send(Method.GET, VAULT + "/secrets/" + principal.namespace(), query, null,
                                   Grant.meta(principal.namespace(), List.of(), Requests.audit(req, principal)));
        JsonObject page = expect(answer, 200);
        if (principal.scope().whole()) {
            json(res, page);
            return;
        }
        // Only names in scope; the cursor stays the vault's, so paging walks the same order.
        JsonArrayBuilder inScope = JSON.createArrayBuilder();
        for (JsonValue entry : page.getJsonArray("secrets")) {
            if (principal.scope().contains(entry.asJsonObject().getString("name"))) {
                inScope.add(entry);
            }
        }
        json(res, JSON.createObjectBuilder().add("secrets", inScope).add("next", page.get("next")).build());
    }

    private void delete(ServerRequest req, ServerResponse res) {
        String name = Requests.name(req.path().pathParameters().get("name"));
        Principal principal = authorize(req, Action.DELETE, name, "secret-deleted");
        String key = key(req);
        long now = Clock.now();
        JsonObject forward = JSON.createObjectBuilder().add("requestTime", Clock.format(now)).add("idempotencyKey", key).build();
        Answer answer = vault.sendWrite(Method.POST, VAULT + "/deletions/" + principal.namespace() + "/" + name, Map.of(),
                                        forward, new Grant(ReleaseGrant.Kind.DELETE, principal.namespace(), List.of(name), now,
                                                           Requests.audit(req, principal)), key);
        metrics.write(answer);
        json(res, expect(answer, 200));
    }

    private static Grant write(ServerRequest req, Principal principal, String name, long requestTimeMillis) {
        return new Grant(ReleaseGrant.Kind.WRITE, principal.namespace(), List.of(name), requestTimeMillis,
                         Requests.audit(req, principal));
    }

    /** The client's key, or a fresh one: every forwarded write is idempotent, so fail-over cannot apply it twice. */
    private static String key(ServerRequest req) {
        return Requests.idempotencyKey(req).orElseGet(() -> "gateway-" + UUID.randomUUID());
    }

    /** {@code If-Match: "N"} (or N) as a version. */
    private static Optional<Long> ifMatch(ServerRequest req) {
        return Requests.single(req, HeaderNames.IF_MATCH).map(text -> {
            String version = text.strip();
            if (version.length() >= 2 && version.startsWith("\"") && version.endsWith("\"")) {
                version = version.substring(1, version.length() - 1);
            }
            return Requests.positive("If-Match", version);
        });
    }

    static JsonObject expect(Answer answer, int status) {
        if (answer.status() != status) {
            throw new ProblemException(Problem.fromVault(answer.status(), answer.body()));
        }
        return answer.body();
    }

    private static JsonObject written(JsonObject result) {
        return JSON.createObjectBuilder().add("name", result.getString("name"))
                .add("version", result.getJsonNumber("version")).add("validFrom", result.getString("validFrom")).build();
    }

    private static String etag(JsonObject result) {
        return "\"" + result.getJsonNumber("version").longValue() + "\"";
    }

    static void json(ServerResponse res, JsonObject body) {
        res.header(HeaderValues.create(HeaderNames.CONTENT_TYPE, "application/json")).send(body.toString());
    }
}
