package dev.shardvault.gateway.auth;

import static dev.shardvault.gateway.problem.JsonCodec.JSON;

import dev.shardvault.gateway.forward.VaultNodes;
import dev.shardvault.gateway.forward.VaultNodes.Answer;
import dev.shardvault.gateway.forward.VaultNodes.Grant;
import dev.shardvault.tls.ReleaseGrant;
import java.time.Instant;
import java.util.List;
import dev.shardvault.gateway.problem.Problem;
import dev.shardvault.gateway.problem.ProblemException;
import io.helidon.http.Method;
import jakarta.json.JsonObject;
import jakarta.json.JsonValue;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * Keeps {@link Tokens} in step with the token records in the cluster, and writes them. Every
 * {@link #INTERVAL_MILLIS} it lists the reserved namespace (names and versions: no shares are gathered) and
 * reads only the records whose version changed, so a token minted or revoked through any gateway is seen by
 * every gateway within about that interval plus one read. Records go through the same two-phase commit as
 * secrets: they survive the loss of any n - k nodes and of every gateway.
 */
public final class TokenSync implements AutoCloseable {

    public static final long INTERVAL_MILLIS = 250;
    private static final System.Logger LOG = System.getLogger(TokenSync.class.getName());
    private static final String SECRETS = "/internal/v1/secrets/" + TokenRecord.NAMESPACE;
    private static final String SYNC_LABEL = "token-sync";
    private static final dev.shardvault.tls.ReleaseGrant.Audit SYNC = Grant.system(SYNC_LABEL);

    private final Tokens tokens;
    private final VaultNodes vault;
    private final Thread loop;
    private volatile boolean closed;
    private volatile long lastSyncMillis = -1;

    public TokenSync(Tokens tokens, VaultNodes vault) {
        this.tokens = tokens;
        this.vault = vault;
        syncQuietly(); // before the first request, when the cluster answers
        this.loop = Thread.ofVirtual().name("token-sync").start(this::run);
    }

    private void run() {
        while (!closed) {
            LockSupport.parkNanos(INTERVAL_MILLIS * 1_000_000L);
            if (!closed) {
                syncQuietly();
            }
        }
    }

    private void syncQuietly() {
        try {
            sync();
            lastSyncMillis = System.currentTimeMillis();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.DEBUG, "token sync failed: " + e.getMessage());
        }
    }

    /** When the records were last listed completely (epoch millis), or -1. */
    public long lastSyncMillis() {
        return lastSyncMillis;
    }

    /** Lists every record's version and reads those that changed. */
    void sync() {
        Map<String, Long> changed = new HashMap<>();
        String after = null;
        do {
            Map<String, String> query = new HashMap<>();
            query.put("limit", "1000");
            if (after != null) {
                query.put("after", after);
            }
            Answer page = vault.send(Method.GET, SECRETS, query, null, Grant.meta(TokenRecord.NAMESPACE, List.of(), SYNC));
            if (page.status() != 200) {
                throw new ProblemException(Problem.fromVault(page.status(), page.body()));
            }
            for (JsonValue entry : page.body().getJsonArray("secrets")) {
                JsonObject secret = entry.asJsonObject();
                String id = TokenRecord.idOf(secret.getString("name"));
                long version = secret.getJsonNumber("version").longValue();
                if (id != null && version > tokens.version(id)) {
                    changed.put(secret.getString("name"), version);
                }
            }
            after = page.body().isNull("next") ? null : page.body().getString("next");
        } while (after != null);
        changed.forEach((name, version) -> {
            Answer read = vault.send(Method.GET, SECRETS + "/" + name, Map.of(), null, Grant.read(TokenRecord.NAMESPACE, name, Grant.system(SYNC_LABEL)));
            if (read.status() == 200) {
                learn(read.body());
            }
        });
    }

    private void learn(JsonObject secret) {
        try {
            TokenRecord record = TokenRecord.fromStored(secret.getString("value"));
            if (TokenRecord.secretName(record.id()).equals(secret.getString("name"))) {
                tokens.learn(record, secret.getJsonNumber("version").longValue());
            }
        } catch (IllegalArgumentException e) {
            LOG.log(System.Logger.Level.WARNING, "token record " + secret.getString("name") + " is unreadable; ignored");
        }
    }

    /** Stores a new record (201 or the vault's problem) and knows it at once. */
    public void create(TokenRecord record, String idempotencyKey, long requestTimeMillis) {
        JsonObject body = JSON.createObjectBuilder().add("name", record.secretName()).add("value", record.toStored())
                .add("requestTime", Instant.ofEpochMilli(requestTimeMillis).toString()).add("idempotencyKey", idempotencyKey).build();
        tokens.learn(record, written(vault.sendWrite(Method.POST, SECRETS, Map.of(), body, write(record, requestTimeMillis),
                                                    idempotencyKey), 201));
    }

    /** Replaces a record's stored form, if it is still at {@code version}, and knows it at once. */
    public void update(TokenRecord record, long version, String idempotencyKey, long requestTimeMillis) {
        JsonObject body = JSON.createObjectBuilder().add("value", record.toStored()).add("expectedVersion", version)
                .add("requestTime", Instant.ofEpochMilli(requestTimeMillis).toString()).add("idempotencyKey", idempotencyKey).build();
        tokens.learn(record, written(vault.sendWrite(Method.PUT, SECRETS + "/" + record.secretName(), Map.of(), body,
                                                     write(record, requestTimeMillis), idempotencyKey), 200));
    }

    private static Grant write(TokenRecord record, long requestTimeMillis) {
        return new Grant(ReleaseGrant.Kind.WRITE, TokenRecord.NAMESPACE, List.of(record.secretName()), requestTimeMillis,
                         Grant.system("token-registry"));
    }

    private static long written(Answer answer, int expected) {
        if (answer.status() != expected) {
            throw new ProblemException(Problem.fromVault(answer.status(), answer.body()));
        }
        return answer.body().getJsonNumber("version").longValue();
    }

    @Override
    public void close() {
        closed = true;
        LockSupport.unpark(loop);
    }
}
