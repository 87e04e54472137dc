package dev.shardvault.gateway.http;

import static dev.shardvault.gateway.problem.JsonCodec.JSON;

import dev.shardvault.gateway.auth.Action;
import dev.shardvault.gateway.auth.Principal;
import dev.shardvault.gateway.env.DotenvFile;
import dev.shardvault.gateway.env.DotenvSyntaxException;
import dev.shardvault.gateway.env.EnvTransformer;
import dev.shardvault.gateway.env.EnvTransformer.Creation;
import dev.shardvault.gateway.env.EnvTransformer.LineError;
import dev.shardvault.gateway.env.EnvTransformer.Lookup;
import dev.shardvault.gateway.env.EnvTransformer.Result;
import dev.shardvault.gateway.forward.VaultNodes;
import dev.shardvault.gateway.forward.VaultNodes.Answer;
import dev.shardvault.gateway.forward.VaultNodes.Grant;
import dev.shardvault.tls.ReleaseGrant;
import dev.shardvault.gateway.problem.Problem;
import dev.shardvault.gateway.problem.ProblemException;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/** {@code POST /v1/env}: a dotenv file in, the same file with references expanded and enc() values stored out. */
final class EnvService implements HttpService {

    private static final String VAULT = "/internal/v1";

    private final Requests requests;
    private final VaultNodes vault;
    private final GatewayMetrics metrics;

    private final Refusals refusals;

    EnvService(Requests requests, VaultNodes vault, GatewayMetrics metrics) {
        this.refusals = new Refusals(vault);
        this.requests = requests;
        this.vault = vault;
        this.metrics = metrics;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::transform);
    }

    private void transform(ServerRequest req, ServerResponse res) {
        Principal principal = requests.authorize(req, Action.ENV);
        Requests.requireMediaType(req, "text/plain");
        String key = Requests.idempotencyKey(req).orElseGet(() -> "gateway-" + UUID.randomUUID());
        String text = Requests.utf8(Requests.body(req), "body");
        List<DotenvFile.Item> items;
        try {
            items = DotenvFile.parse(text);
        } catch (DotenvSyntaxException e) {
            JsonArrayBuilder errors = JSON.createArrayBuilder().add(JSON.createObjectBuilder()
                    .add("field", "body").add("line", e.line()).add("message", e.reason()));
            throw new ProblemException(Problem.of(400, "invalid-request", "Invalid .env", e.getMessage()).with("errors", errors.build()));
        }
        Set<String> refused = ConcurrentHashMap.newKeySet();
        Result result = EnvTransformer.transform(items, new VaultSecrets(req, principal, key),
                                                 name -> {
                                                     boolean may = principal.may(Action.READ, name);
                                                     if (!may) {
                                                         refused.add(name);
                                                     }
                                                     return may;
                                                 },
                                                 name -> principal.may(Action.WRITE, name));
        // References the token may not read are refusals of an expansion: each goes into that secret's timeline.
        for (String name : refused) {
            refusals.record(principal, Requests.audit(req, principal), name, "secret-env-expanded");
        }
        switch (result) {
            case Result.Transformed transformed -> res
                    .header(HeaderValues.create(HeaderNames.CONTENT_TYPE, "text/plain; charset=UTF-8"))
                    .send(transformed.text());
            case Result.Failed failed -> {
                JsonArrayBuilder errors = JSON.createArrayBuilder();
                for (LineError error : failed.errors()) {
                    errors.add(JSON.createObjectBuilder().add("line", error.line()).add("reference", error.reference())
                                       .add("reason", error.reason()));
                }
                Problem problem = failed.conflict()
                        ? Problem.of(409, "env-conflict", "enc() targets exist",
                                     failed.errors().size() + " enc() target(s) already exist or appear twice; nothing was created")
                        : Problem.of(422, "env-unresolved", "Unresolved references",
                                     failed.errors().size() + " reference(s) cannot be resolved; nothing was created");
                throw new ProblemException(problem.with("errors", errors.build()));
            }
        }
    }

    /** The vault, as the transformer sees it: this caller's namespace only. */
    private final class VaultSecrets implements EnvTransformer.Secrets {
        private final ServerRequest req;
        private final Principal principal;
        private final String namespace;
        private final String key;

        VaultSecrets(ServerRequest req, Principal principal, String key) {
            this.req = req;
            this.principal = principal;
            this.namespace = principal.namespace();
            this.key = key;
        }

        /**
         * Reads every name for this expansion: one request id for all of them, and the first name (in file order)
         * named as the expansion's first, so each node records {@code secret-env-expanded} events whose parent is
         * the first one's.
         */
        @Override
        public Map<String, Lookup> read(Set<String> names) {
            Map<String, Lookup> found = new ConcurrentHashMap<>();
            dev.shardvault.tls.ReleaseGrant.Audit audit = Requests.audit(req, principal, names.iterator().next());
            parallel(names, name -> {
                Answer answer = vault.send(Method.GET, VAULT + "/secrets/" + namespace + "/" + name, Map.of(), null,
                                           Grant.read(namespace, name, audit));
                found.put(name, switch (answer.status()) {
                    case 200 -> new Lookup.Found(answer.body().getString("value"));
                    case 404 -> new Lookup.Failed("not-found");
                    default -> new Lookup.Failed(answer.body().getString("type", "").endsWith("insufficient-shards")
                                                 ? "insufficient-shards" : "unavailable");
                });
            });
            return found;
        }

        @Override
        public Set<String> existing(Set<String> names) {
            Set<String> existing = ConcurrentHashMap.newKeySet();
            parallel(names, name -> {
                if (vault.send(Method.GET, VAULT + "/secrets/" + namespace + "/" + name + "/versions", Map.of(), null,
                               Grant.meta(namespace, List.of(name), Requests.audit(req, principal))).status() == 200) {
                    existing.add(name);
                }
            });
            return existing;
        }

        @Override
        public Creation createAll(Map<String, String> plaintexts) {
            JsonArrayBuilder creates = JSON.createArrayBuilder();
            plaintexts.forEach((name, value) -> creates.add(JSON.createObjectBuilder().add("name", name).add("value", value)));
            long now = Clock.now();
            JsonObject body = JSON.createObjectBuilder().add("requestTime", Clock.format(now)).add("idempotencyKey", key)
                    .add("creates", creates).build();
            Grant grant = new Grant(ReleaseGrant.Kind.WRITE, namespace, List.copyOf(plaintexts.keySet()), now,
                                    Requests.audit(req, principal));
            Answer answer = vault.sendWrite(Method.POST, VAULT + "/batches/" + namespace, Map.of(), body, grant, key);
            metrics.write(answer);
            if (answer.status() == 201) {
                return new Creation.Created();
            }
            if (answer.status() == 409 && answer.body().getString("type", "").endsWith("secret-exists")) {
                Set<String> existing = new HashSet<>();
                for (JsonValue error : answer.body().getJsonArray("errors")) {
                    existing.add(error.asJsonObject().getString("name"));
                }
                return new Creation.Refused(existing);
            }
            throw new ProblemException(Problem.fromVault(answer.status(), answer.body()));
        }
    }

    private interface NameTask {
        void run(String name);
    }

    private static void parallel(Set<String> names, NameTask task) {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> futures = new ArrayList<>();
            for (String name : names) {
                futures.add(pool.submit(() -> task.run(name)));
            }
            for (Future<?> future : futures) {
                try {
                    future.get();
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof RuntimeException runtime) {
                        throw runtime;
                    }
                    throw new IllegalStateException(e.getCause());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new ProblemException(Problem.of(503, "quorum-unavailable", "Interrupted", "interrupted"));
                }
            }
        }
    }
}
