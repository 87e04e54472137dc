package dev.shardvault.gateway.http;

import static dev.shardvault.gateway.problem.JsonCodec.JSON;

import dev.shardvault.gateway.auth.Action;
import dev.shardvault.gateway.auth.Principal;
import dev.shardvault.gateway.auth.Scope;
import dev.shardvault.gateway.auth.TokenIds;
import dev.shardvault.gateway.auth.TokenRecord;
import dev.shardvault.gateway.auth.TokenSync;
import dev.shardvault.gateway.auth.Tokens;
import dev.shardvault.gateway.problem.Problem;
import dev.shardvault.gateway.problem.ProblemException;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import jakarta.json.JsonArray;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonNumber;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * {@code /v1/tokens}: mint a token narrower than the caller's, list the caller's token and everything minted
 * under it, revoke one of them with everything minted under that. Every route needs the {@code grant} action.
 */
final class TokensService implements HttpService {

    static final long MAX_TTL_SECONDS = 31_536_000;
    private static final int MAX_LABEL_CHARS = 128;
    private static final int MAX_SCOPE_ENTRIES = 256;

    private final Requests requests;
    private final Tokens tokens;
    private final TokenSync sync;

    TokensService(Requests requests, Tokens tokens, TokenSync sync) {
        this.requests = requests;
        this.tokens = tokens;
        this.sync = sync;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::mint)
             .get("/", this::list)
             .delete("/{id}", this::revoke);
    }

    private void mint(ServerRequest req, ServerResponse res) {
        Principal caller = requests.authorize(req, Action.GRANT);
        JsonObject body = Requests.jsonObject(req, Set.of("actions", "names", "prefixes", "ttlSeconds", "label", "class"));
        Set<Action> actions = actions(body);
        Scope scope = new Scope(strings(body, "names", Requests.NAME.pattern()), strings(body, "prefixes", Scope.PREFIX.pattern()));
        Long ttlSeconds = ttlSeconds(body);
        String label = label(body);
        String actorClass = actorClass(body);
        // Every field may only narrow the caller's own token.
        for (Action action : actions) {
            if (!caller.may(action)) {
                throw new ProblemException(Problem.of(403, "forbidden", "Forbidden",
                        "this token cannot grant " + action.wireName() + ": it does not have it"));
            }
        }
        if (!caller.scope().covers(scope)) {
            throw new ProblemException(Problem.of(403, "forbidden", "Forbidden",
                    "the requested scope reaches secrets outside this token's scope"));
        }
        long now = Clock.now();
        long expiresAt = caller.expiresAtMillis();
        if (ttlSeconds != null) {
            expiresAt = now + ttlSeconds * 1000;
            if (caller.expiresAtMillis() >= 0 && expiresAt > caller.expiresAtMillis()) {
                throw new ProblemException(Problem.of(403, "forbidden", "Forbidden",
                        "the token would outlive this one, which expires at " + Clock.format(caller.expiresAtMillis())));
            }
        }
        if (tokens.depth(caller.tokenId()) + 1 > Tokens.MAX_DEPTH) {
            throw new ProblemException(Problem.of(403, "forbidden", "Forbidden",
                    "tokens may be granted at most " + Tokens.MAX_DEPTH + " levels below a configured one"));
        }
        String bearer = TokenIds.newBearer();
        TokenRecord record = new TokenRecord(TokenIds.newId(), HexFormat.of().formatHex(Tokens.sha256(bearer)),
                                             caller.namespace(), actions, scope, expiresAt, label, actorClass,
                                             caller.tokenId(), now, false);
        // A fresh key per mint, never the client's: a retry must not be answered with a bearer that was never stored.
        sync.create(record, "gateway-token-" + UUID.randomUUID(), now);
        JsonObjectBuilder answer = describe(record, false).add("token", bearer);
        res.status(Status.CREATED_201);
        SecretsService.json(res, answer.build());
    }

    private void list(ServerRequest req, ServerResponse res) {
        Principal caller = requests.authorize(req, Action.GRANT);
        JsonArrayBuilder found = JSON.createArrayBuilder();
        for (TokenRecord record : tokens.subtree(caller.tokenId())) {
            found.add(describe(record, tokens.revokedAlongChain(record.id())).add("createdAt", time(record.createdAtMillis())));
        }
        SecretsService.json(res, JSON.createObjectBuilder().add("tokens", found).build());
    }

    private void revoke(ServerRequest req, ServerResponse res) {
        Principal caller = requests.authorize(req, Action.GRANT);
        String id = req.path().pathParameters().get("id");
        if (!TokenRecord.ID.matcher(id).matches()) {
            throw new ProblemException(Problem.invalid("id", "must be tok_ and 20 base32 characters"));
        }
        if (!tokens.under(id, caller.tokenId())) {
            throw new ProblemException(Problem.of(404, "token-not-found", "Token not found",
                                                  "no token " + id + " is this token or was minted under it"));
        }
        TokenRecord record = tokens.get(id).orElseThrow();
        if (record.parent() == null) {
            throw new ProblemException(Problem.of(403, "forbidden", "Forbidden",
                    "a configured token is revoked by removing it from the gateway's configuration"));
        }
        List<String> revoked = new ArrayList<>();
        for (TokenRecord below : tokens.subtree(id)) {
            if (!tokens.revokedAlongChain(below.id())) {
                revoked.add(below.id());
            }
        }
        if (!record.revoked()) {
            try {
                sync.update(record.revoke(), tokens.version(id), "gateway-revoke-" + UUID.randomUUID(), Clock.now());
            } catch (ProblemException e) {
                if (e.problem().status() != 412) {
                    throw e;
                }
                // Changed meanwhile through another gateway: only revocation changes a record.
                sync.update(record.revoke(), e.problem().toJson().getJsonNumber("currentVersion").longValue(),
                            "gateway-revoke-" + UUID.randomUUID(), Clock.now());
            }
        }
        SecretsService.json(res, JSON.createObjectBuilder().add("id", id).add("revoked", TokenRecord.array(revoked)).build());
    }

    private static JsonObjectBuilder describe(TokenRecord record, boolean revoked) {
        return JSON.createObjectBuilder()
                .add("id", record.id()).add("namespace", record.namespace()).add("actions", TokenRecord.array(record.actionNames()))
                .add("names", TokenRecord.array(record.scope().names())).add("prefixes", TokenRecord.array(record.scope().prefixes()))
                .add("expiresAt", time(record.expiresAtMillis()))
                .add("label", record.label()).add("class", record.actorClass())
                .add("parent", record.parent() == null ? JsonValue.NULL : JSON.createValue(record.parent()))
                .add("revoked", revoked);
    }

    private static JsonValue time(long millis) {
        return millis < 0 ? JsonValue.NULL : JSON.createValue(Clock.format(millis));
    }

    private static Set<Action> actions(JsonObject body) {
        if (!(body.get("actions") instanceof JsonArray array) || array.isEmpty()) {
            throw new ProblemException(Problem.invalid("actions", "is required: a non-empty array of actions"));
        }
        Set<Action> actions = EnumSet.noneOf(Action.class);
        for (JsonValue value : array) {
            if (!(value instanceof JsonString text)) {
                throw new ProblemException(Problem.invalid("actions", "must hold strings"));
            }
            try {
                actions.add(Action.parse(text.getString()));
            } catch (IllegalArgumentException e) {
                throw new ProblemException(Problem.invalid("actions", e.getMessage()));
            }
        }
        return actions;
    }

    private static List<String> strings(JsonObject body, String field, String pattern) {
        JsonValue value = body.get(field);
        if (value == null || value == JsonValue.NULL) {
            return List.of();
        }
        if (!(value instanceof JsonArray array) || array.size() > MAX_SCOPE_ENTRIES) {
            throw new ProblemException(Problem.invalid(field, "must be an array of at most " + MAX_SCOPE_ENTRIES + " strings"));
        }
        Set<String> strings = new LinkedHashSet<>();
        for (JsonValue entry : array) {
            if (!(entry instanceof JsonString text) || !text.getString().matches(pattern)) {
                throw new ProblemException(Problem.invalid(field, "every entry must match ^" + pattern + "$"));
            }
            strings.add(text.getString());
        }
        return List.copyOf(strings);
    }

    private static Long ttlSeconds(JsonObject body) {
        JsonValue value = body.get("ttlSeconds");
        if (value == null || value == JsonValue.NULL) {
            return null;
        }
        if (!(value instanceof JsonNumber number) || !number.isIntegral()
            || number.bigIntegerValue().signum() <= 0 || number.bigIntegerValue().bitLength() > 40
            || number.longValue() > MAX_TTL_SECONDS) {
            throw new ProblemException(Problem.invalid("ttlSeconds", "must be an integer 1.." + MAX_TTL_SECONDS));
        }
        return number.longValue();
    }

    private static String actorClass(JsonObject body) {
        JsonValue value = body.get("class");
        if (value == null || value == JsonValue.NULL) {
            return TokenRecord.DEFAULT_CLASS;
        }
        if (value instanceof JsonString text && TokenRecord.CLASSES.contains(text.getString())) {
            return text.getString();
        }
        throw new ProblemException(Problem.invalid("class", "must be one of " + TokenRecord.CLASSES));
    }

    private static String label(JsonObject body) {
        JsonValue value = body.get("label");
        if (value == null || value == JsonValue.NULL) {
            return "";
        }
        if (!(value instanceof JsonString text) || text.getString().length() > MAX_LABEL_CHARS
            || text.getString().codePoints().anyMatch(Character::isISOControl)) {
            throw new ProblemException(Problem.invalid("label", "must be a string of at most " + MAX_LABEL_CHARS
                                                                + " characters without control characters"));
        }
        return text.getString();
    }
}
