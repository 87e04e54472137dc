package dev.shardvault.vault.http;

import static dev.shardvault.vault.http.JsonCodec.JSON;

import dev.shardvault.tls.ReleaseGrant;
import dev.shardvault.tls.ReleaseKeys;
import dev.shardvault.vault.custody.Custody;
import dev.shardvault.vault.custody.Event;
import dev.shardvault.vault.custody.EventId;
import dev.shardvault.vault.custody.Shipper;
import dev.shardvault.vault.custody.Timeline;
import dev.shardvault.vault.custody.TimelineReader;
import dev.shardvault.vault.model.Op;
import dev.shardvault.vault.model.Outcome;
import dev.shardvault.vault.model.RequestId;
import dev.shardvault.vault.model.SealedValue;
import dev.shardvault.vault.model.SecretId;
import dev.shardvault.vault.model.SecretView;
import dev.shardvault.vault.model.Times;
import dev.shardvault.vault.read.ReadCoordinator;
import dev.shardvault.vault.read.ReadCoordinator.HistoryResult;
import dev.shardvault.vault.read.ReadCoordinator.ListResult;
import dev.shardvault.vault.read.ReadCoordinator.ReadResult;
import dev.shardvault.vault.store.Selector;
import dev.shardvault.vault.store.VersionMeta;
import dev.shardvault.vault.txn.Coordinator;
import dev.shardvault.vault.txn.Coordinator.PreconditionFailure;
import dev.shardvault.vault.txn.Coordinator.WriteResult;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import jakarta.json.JsonArrayBuilder;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Routes under {@code /internal/v1} (docs/internal-api.md): create, update, batch create, read, history,
 * list. The gateway has already authenticated the caller and chosen the namespace; this layer still
 * validates everything it decodes.
 */
public final class VaultService implements HttpService {

    public static final int MAX_VALUE_BYTES = 65536;
    public static final int MAX_BATCH = 1_000;
    private static final int MAX_LIST_LIMIT = 1_000;
    /** How far ahead of this node's clock a gateway's requestTime may be (clocks of one cluster disagree by less). */
    static final long MAX_CLOCK_SKEW_MILLIS = 60_000;

    private static final io.helidon.http.HeaderName AUTHORIZATION = HeaderNames.create(ReleaseGrant.HEADER);

    private final Coordinator coordinator;
    private final ReadCoordinator reader;
    private final dev.shardvault.vault.config.ClusterConfig cluster;
    private final java.util.function.Consumer<String> outcomes;

    private final int self;
    private final ReleaseKeys releaseKeys;
    private final Recording recording;

    /**
     * What the custody timeline needs here: where events go, the shipper (an exposure is shipped at once), the
     * timeline reader, this node's own view of a name (refusals and failures are recorded only for names this node
     * has held or has events of: probing for names leaves nothing behind), and how long an answer waits for its
     * event to be durable.
     */
    public record Recording(Custody custody, Shipper shipper, TimelineReader timelines,
                            java.util.function.Function<SecretId, SecretView> knownView, long waitMillis) {

        boolean known(SecretId id) {
            return !(knownView.apply(id) instanceof SecretView.Absent) || custody.knows(id);
        }
    }

    /**
     * {@code outcomes} counts every write by outcome: committed, voting, writing, rejected. {@code releaseKeys}:
     * the gateways' keys for this node, which every request's authorization is checked with.
     */
    public VaultService(int self, ReleaseKeys releaseKeys, Coordinator coordinator, ReadCoordinator reader,
                        dev.shardvault.vault.config.ClusterConfig cluster, java.util.function.Consumer<String> outcomes,
                        Recording recording) {
        this.self = self;
        this.recording = recording;
        this.releaseKeys = releaseKeys;
        this.coordinator = coordinator;
        this.reader = reader;
        this.cluster = cluster;
        this.outcomes = outcomes;
    }

    private WriteResult counted(WriteResult result) {
        outcomes.accept(switch (result) {
            case WriteResult.Committed committed -> "committed";
            case WriteResult.QuorumUnavailable quorum -> "voting";
            case WriteResult.WriteConflict conflict -> "voting";
            case WriteResult.Unconfirmed unconfirmed -> "writing";
            case WriteResult.Rejected rejected -> "rejected";
            case WriteResult.KeyReused reused -> "rejected";
        });
        return result;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/secrets/{namespace}", this::create)
             .put("/secrets/{namespace}/{name}", this::update)
             .get("/secrets/{namespace}/{name}/versions", this::history)
             .get("/secrets/{namespace}/{name}", this::read)
             .get("/secrets/{namespace}", this::list)
             .post("/batches/{namespace}", this::batch)
             .post("/deletions/{namespace}/{name}", this::delete)
             .post("/exposures/{namespace}/{name}", this::exposure)
             .post("/events/{namespace}/{name}", this::refusal)
             .get("/timelines/{namespace}/{name}", this::timeline)
             .post("/release-keys", this::releaseKey);
    }

    /**
     * A gateway's key for this node ({@code {"keyId": "<signed 64-bit decimal>", "key": "<base64, 32 bytes>"}}),
     * sent with every health probe; kept in memory only. Only the gateway identity reaches this socket.
     */
    private void releaseKey(ServerRequest req, ServerResponse res) {
        guarded(req, res, (rq, rs) -> {
            JsonObject body = json(rq);
            long keyId;
            byte[] key;
            try {
                keyId = Long.parseLong(string(body, "keyId"));
                key = java.util.Base64.getDecoder().decode(string(body, "key"));
                releaseKeys.put(keyId, key);
            } catch (IllegalArgumentException e) {
                throw new BadRequest("key", "must be a decimal keyId and a base64 key of " + ReleaseKeys.KEY_BYTES + " bytes", false);
            }
            Arrays.fill(key, (byte) 0);
            sendJson(rs, Status.OK_200, JSON.createObjectBuilder().add("status", "UP").add("node", self).build());
        });
    }

    /**
     * The gateway's authorization of this request, for this node as coordinator, of {@code kind} in
     * {@code namespace} naming every one of {@code names}.
     *
     * @throws ReleaseGrant.Refused otherwise (answered 403 by {@link #guarded})
     */
    private ReleaseGrant authorized(ServerRequest rq, ReleaseGrant.Kind kind, String namespace, List<String> names) {
        ReleaseGrant grant = ReleaseGrant.verifyHeader(rq.headers().first(AUTHORIZATION).orElse(null), self, releaseKeys,
                                                       System.currentTimeMillis());
        if (grant.coordinator() != self) {
            throw new ReleaseGrant.Refused("the authorization was issued for node " + grant.coordinator());
        }
        if (grant.kind() != kind) {
            throw new ReleaseGrant.Refused("a " + grant.kind() + " authorization does not allow a " + kind);
        }
        if (!grant.namespace().equals(namespace) || !grant.names().containsAll(names)) {
            throw new ReleaseGrant.Refused("the authorization does not name what this request touches");
        }
        return grant;
    }

    /** A write's {@code requestTime}, which must be the one the gateway authorized. */
    private static long requestTime(JsonObject body, ReleaseGrant grant) {
        long stamp = requestTime(body);
        if (stamp != grant.requestTimeMillis()) {
            throw new ReleaseGrant.Refused("requestTime is not the one the gateway authorized");
        }
        return stamp;
    }

    /** A request that cannot be served as sent: answered with a 400 or 413 problem. */
    private static final class BadRequest extends RuntimeException {
        final String field;
        final boolean tooLarge;

        BadRequest(String field, String message, boolean tooLarge) {
            super(message, null, false, false);
            this.field = field;
            this.tooLarge = tooLarge;
        }
    }

    private interface Handler {
        void handle(ServerRequest req, ServerResponse res);
    }

    private static void guarded(ServerRequest req, ServerResponse res, Handler handler) {
        try {
            handler.handle(req, res);
        } catch (ReleaseGrant.Refused e) {
            Problems.send(res, Status.FORBIDDEN_403, Problems.FORBIDDEN, "Forbidden",
                          "no valid gateway authorization: " + e.getMessage());
        } catch (Unrecorded e) {
            Problems.send(res, Status.SERVICE_UNAVAILABLE_503, Problems.CUSTODY_UNRECORDED, "Event not recorded",
                          "this node could not make the operation's custody event durable; it is stopping");
        } catch (BadRequest e) {
            if (e.tooLarge) {
                Problems.send(res, Status.REQUEST_ENTITY_TOO_LARGE_413, Problems.TOO_LARGE, "Too large", e.getMessage(),
                              body -> body.add("limit", MAX_VALUE_BYTES));
            } else {
                Problems.invalid(res, e.field, e.getMessage());
            }
        }
    }

    // ---- writes ----

    private void create(ServerRequest req, ServerResponse res) {
        guarded(req, res, (rq, rs) -> {
            String namespace = namespace(rq);
            JsonObject body = json(rq);
            SecretId id = id(namespace, string(body, "name"));
            ReleaseGrant grant = authorized(rq, ReleaseGrant.Kind.WRITE, namespace, List.of(id.name()));
            writeOne(rs, namespace, body, id, Op.Put.Kind.CREATE, -1, Status.CREATED_201, grant);
        });
    }

    private void update(ServerRequest req, ServerResponse res) {
        guarded(req, res, (rq, rs) -> {
            String namespace = namespace(rq);
            SecretId id = id(namespace, rq.path().pathParameters().get("name"));
            ReleaseGrant grant = authorized(rq, ReleaseGrant.Kind.WRITE, namespace, List.of(id.name()));
            JsonObject body = json(rq);
            long expected = -1;
            if (body.containsKey("expectedVersion") && body.get("expectedVersion") != JsonValue.NULL) {
                expected = positive(body, "expectedVersion");
            }
            writeOne(rs, namespace, body, id, Op.Put.Kind.UPDATE, expected, Status.OK_200, grant);
        });
    }

    /** One put: seal the value, run the transaction, zero the plaintext buffers, answer. */
    private void writeOne(ServerResponse res, String namespace, JsonObject body, SecretId id, Op.Put.Kind kind,
                          long expectedVersion, Status success, ReleaseGrant grant) {
        byte[] value = value(body, "value");
        Coordinator.Put put = new Coordinator.Put(id, kind, expectedVersion, SealedValue.seal(value));
        Arrays.fill(value, (byte) 0);
        try {
            WriteResult result = counted(coordinator.write(new Coordinator.WriteRequest(
                    requestId(namespace, body), requestTime(body, grant), List.of(put), grant.encoded())));
            recordWrite(grant, List.of(id), kind == Op.Put.Kind.CREATE ? Event.Action.CREATED : Event.Action.UPDATED,
                        result, Map.of());
            respondWrite(res, result, success);
        } finally {
            Arrays.fill(put.sealedValue(), (byte) 0);
        }
    }

    private void batch(ServerRequest req, ServerResponse res) {
        guarded(req, res, (rq, rs) -> {
            String namespace = namespace(rq);
            JsonObject body = json(rq);
            if (!(body.get("creates") instanceof jakarta.json.JsonArray creates) || creates.isEmpty()) {
                throw new BadRequest("creates", "must be a non-empty array", false);
            }
            if (creates.size() > MAX_BATCH) {
                throw new BadRequest("creates", "at most " + MAX_BATCH + " creates per batch", false);
            }
            List<Coordinator.Put> puts = new ArrayList<>();
            for (int i = 0; i < creates.size(); i++) {
                if (!(creates.get(i) instanceof JsonObject create)) {
                    throw new BadRequest("creates[" + i + "]", "must be an object", false);
                }
                byte[] value = value(create, "value");
                puts.add(new Coordinator.Put(id(namespace, string(create, "name")), Op.Put.Kind.CREATE, -1,
                                             SealedValue.seal(value)));
                Arrays.fill(value, (byte) 0);
            }
            ReleaseGrant grant = authorized(rq, ReleaseGrant.Kind.WRITE, namespace,
                                            puts.stream().map(put -> put.id().name()).toList());
            Coordinator.WriteRequest request;
            try {
                request = new Coordinator.WriteRequest(requestId(namespace, body), requestTime(body, grant), puts, grant.encoded());
            } catch (IllegalArgumentException e) {
                throw new BadRequest("creates", e.getMessage(), false);
            }
            WriteResult result = counted(coordinator.write(request));
            puts.forEach(put -> Arrays.fill(put.sealedValue(), (byte) 0));
            recordWrite(grant, puts.stream().map(Coordinator.Put::id).toList(), Event.Action.CREATED, result, Map.of());
            respondWrite(rs, result, Status.CREATED_201);
        });
    }

    private void delete(ServerRequest req, ServerResponse res) {
        guarded(req, res, (rq, rs) -> {
            String namespace = namespace(rq);
            SecretId id = id(namespace, rq.path().pathParameters().get("name"));
            ReleaseGrant grant = authorized(rq, ReleaseGrant.Kind.DELETE, namespace, List.of(id.name()));
            JsonObject body = json(rq);
            // What was deleted, for the event's parent: the newest version this node knows of.
            Map<SecretId, SecretView> before = Map.of(id, recording.knownView().apply(id));
            WriteResult result = counted(coordinator.write(new Coordinator.WriteRequest(requestId(namespace, body),
                    requestTime(body, grant), List.of(new Coordinator.Remove(id)), grant.encoded())));
            recordWrite(grant, List.of(id), Event.Action.DELETED, result, before);
            if (result instanceof WriteResult.Committed committed) {
                sendJson(rs, Status.OK_200, JSON.createObjectBuilder()
                        .add("name", id.name()).add("deleted", true).add("erasedOn", committed.holders())
                        .add("nodes", cluster.n()).add("threshold", cluster.k()).add("required", cluster.deleteQuorum()).build());
            } else {
                respondWrite(rs, result, Status.OK_200);
            }
        });
    }

    private static void respondWrite(ServerResponse res, WriteResult result, Status success) {
        switch (result) {
            case WriteResult.Committed committed -> {
                JsonArrayBuilder outcomes = JSON.createArrayBuilder();
                for (Outcome outcome : committed.outcomes()) {
                    Outcome.Applied applied = (Outcome.Applied) outcome;
                    outcomes.add(JSON.createObjectBuilder()
                                         .add("name", applied.id().name())
                                         .add("version", applied.version())
                                         .add("validFrom", Times.format(applied.validFromMillis())));
                }
                JsonObjectBuilder body = JSON.createObjectBuilder().add("outcomes", outcomes).add("holders", committed.holders());
                if (committed.outcomes().size() == 1) {
                    Outcome.Applied only = (Outcome.Applied) committed.outcomes().getFirst();
                    body.add("name", only.id().name()).add("version", only.version())
                        .add("validFrom", Times.format(only.validFromMillis()));
                }
                sendJson(res, success, body.build());
            }
            case WriteResult.Rejected rejected -> rejected(res, rejected.failures());
            case WriteResult.QuorumUnavailable quorum -> Problems.send(
                    res, Status.SERVICE_UNAVAILABLE_503, Problems.QUORUM_UNAVAILABLE, "Write quorum unavailable",
                    quorum.votes() + " of " + quorum.required() + " required nodes voted yes; nothing was written",
                    body -> body.add("phase", "voting").add("votes", quorum.votes()).add("required", quorum.required()));
            case WriteResult.WriteConflict conflict -> Problems.send(
                    res, Status.CONFLICT_409, Problems.WRITE_CONFLICT, "Write conflict",
                    "a concurrent write held " + conflict.id().name() + " through every retry; nothing was written",
                    body -> body.add("phase", "voting"));
            case WriteResult.KeyReused reused -> Problems.send(
                    res, Status.CONFLICT_409, Problems.KEY_REUSED, "Idempotency key reused", reused.detail());
            case WriteResult.Unconfirmed unconfirmed -> Problems.send(
                    res, Status.SERVICE_UNAVAILABLE_503, Problems.COMMIT_UNCONFIRMED, "Commit unconfirmed",
                    "decided to commit but only " + unconfirmed.holders() + " of " + unconfirmed.required()
                    + " nodes confirmed; retry with the same Idempotency-Key for the outcome",
                    body -> body.add("phase", "writing").add("txn", unconfirmed.txn().toString()));
        }
    }

    private static void rejected(ServerResponse res, List<PreconditionFailure> failures) {
        JsonArrayBuilder errors = JSON.createArrayBuilder();
        for (PreconditionFailure failure : failures) {
            String reason = switch (failure) {
                case PreconditionFailure.Exists exists -> "exists";
                case PreconditionFailure.Missing missing -> "not-found";
                case PreconditionFailure.VersionMismatch mismatch -> "version-mismatch";
            };
            errors.add(JSON.createObjectBuilder().add("name", failure.id().name()).add("reason", reason));
        }
        PreconditionFailure first = failures.getFirst();
        switch (first) {
            case PreconditionFailure.Exists exists -> Problems.send(
                    res, Status.CONFLICT_409, Problems.SECRET_EXISTS, "Secret exists", exists.id().name() + " already exists",
                    body -> body.add("phase", "voting").add("errors", errors));
            case PreconditionFailure.Missing missing -> Problems.send(
                    res, Status.NOT_FOUND_404, Problems.SECRET_NOT_FOUND, "Secret not found", missing.id().name() + " does not exist",
                    body -> body.add("errors", errors));
            case PreconditionFailure.VersionMismatch mismatch -> Problems.send(
                    res, Status.PRECONDITION_FAILED_412, Problems.VERSION_MISMATCH, "Version mismatch",
                    mismatch.id().name() + " is at version " + mismatch.currentVersion(),
                    body -> body.add("currentVersion", mismatch.currentVersion()).add("errors", errors));
        }
    }

    // ---- reads ----

    private void read(ServerRequest req, ServerResponse res) {
        guarded(req, res, (rq, rs) -> {
            SecretId id = id(namespace(rq), rq.path().pathParameters().get("name"));
            Optional<String> version = rq.query().first("version").asOptional();
            Optional<String> at = rq.query().first("at").asOptional();
            if (version.isPresent() && at.isPresent()) {
                throw new BadRequest("version", "give version or at, not both", false);
            }
            Selector selector = Selector.LATEST;
            if (version.isPresent()) {
                selector = new Selector.ByVersion(positive("version", version.get()));
            } else if (at.isPresent()) {
                selector = new Selector.AsOf(time("at", at.get()));
            }
            ReleaseGrant grant = authorized(rq, ReleaseGrant.Kind.READ, id.namespace(), List.of(id.name()));
            ReleaseGrant.Audit audit = grant.audit();
            boolean expansion = audit.expansion();
            if (expansion && !SecretId.validName(audit.expansionFirst())) {
                throw new ReleaseGrant.Refused("the authorization names an expansion's first secret that is not a name");
            }
            EventId readEvent = EventId.ofRequest(audit.request(), id, expansion ? "env" : "read");
            // An expansion's events follow its first one; the first follows the version it read, as any read.
            EventId cause = expansion && !audit.expansionFirst().equals(id.name())
                    ? EventId.ofRequest(audit.request(), new SecretId(id.namespace(), audit.expansionFirst()), "env") : null;
            Event.Action action = expansion ? Event.Action.ENV_EXPANDED : Event.Action.READ;
            ReadResult result = reader.read(id, selector, false, grant.encoded(), (node, repairedVersion) -> recordAsync(
                    new Event(id, EventId.following(readEvent, "repair", node), readEvent, System.currentTimeMillis(),
                              Event.Action.REPAIRED, Event.Actor.READ_REPAIR, repairedVersion, Event.Outcome.OK, "")));
            switch (result) {
                case ReadResult.Found found -> {
                    EventId writer = EventId.ofVersion(id, found.incarnation(), found.version());
                    try {
                        record(List.of(new Event(id, readEvent, cause == null ? writer : cause, grant.requestTimeMillis(),
                                                 action, actor(grant), found.version(), Event.Outcome.OK, "")));
                    } catch (Unrecorded e) {
                        Arrays.fill(found.value(), (byte) 0);
                        throw e;
                    }
                    String value = new String(found.value(), StandardCharsets.UTF_8);
                    Arrays.fill(found.value(), (byte) 0);
                    JsonObjectBuilder body = JSON.createObjectBuilder()
                            .add("name", id.name()).add("version", found.version()).add("value", value)
                            .add("validFrom", Times.format(found.validFromMillis()));
                    body.add("validTo", found.validToMillis() < 0 ? JsonValue.NULL
                                                                  : JSON.createValue(Times.format(found.validToMillis())));
                    if (selector == Selector.LATEST && recording.custody().exposed(id, writer)) {
                        body.add("rotationRequired", true);
                    }
                    rs.header(HeaderValues.create(HeaderNames.ETAG, "\"" + found.version() + "\""));
                    sendJson(rs, Status.OK_200, body.build());
                }
                case ReadResult.NotFound notFound -> {
                    recordIfKnown(new Event(id, readEvent, cause, grant.requestTimeMillis(), action, actor(grant), -1,
                                            Event.Outcome.REFUSED, ""));
                    notFound(rs, id);
                }
                case ReadResult.VersionNotFound notFound -> {
                    recordIfKnown(new Event(id, readEvent, cause, grant.requestTimeMillis(), action, actor(grant), -1,
                                            Event.Outcome.REFUSED, ""));
                    Problems.send(rs, Status.NOT_FOUND_404, Problems.VERSION_NOT_FOUND, "Version not found",
                                  id.name() + " has no such version");
                }
                case ReadResult.InsufficientShards shards -> {
                    recordIfKnown(new Event(id, readEvent, cause, grant.requestTimeMillis(), action, actor(grant), -1,
                                            Event.Outcome.FAILED, ""));
                    Problems.send(
                            rs, Status.SERVICE_UNAVAILABLE_503, Problems.INSUFFICIENT_SHARDS, "Insufficient shards",
                            shards.tombstones()
                            ? id.name() + " is being deleted: only " + shards.available() + " of the " + shards.threshold()
                              + " nodes needed hold its tombstone yet; retry"
                            : "only " + shards.available() + " of the " + shards.threshold() + " shares needed could be gathered",
                            body -> body.add("available", shards.available()).add("threshold", shards.threshold()));
                }
            }
        });
    }

    private void history(ServerRequest req, ServerResponse res) {
        guarded(req, res, (rq, rs) -> {
            SecretId id = id(namespace(rq), rq.path().pathParameters().get("name"));
            ReleaseGrant grant = authorized(rq, ReleaseGrant.Kind.META, id.namespace(), List.of(id.name()));
            EventId event = EventId.ofRequest(grant.audit().request(), id, "history");
            switch (reader.history(id)) {
                case HistoryResult.Versions versions -> {
                    JsonArrayBuilder list = JSON.createArrayBuilder();
                    List<VersionMeta> all = versions.versions();
                    long latest = all.isEmpty() ? -1 : all.getLast().version();
                    record(List.of(new Event(id, event, latest < 0 ? null : EventId.ofVersion(id, versions.incarnation(), latest),
                                             grant.requestTimeMillis(), Event.Action.HISTORY_READ, actor(grant), latest,
                                             Event.Outcome.OK, "")));
                    for (int i = 0; i < all.size(); i++) {
                        JsonObjectBuilder item = JSON.createObjectBuilder().add("version", all.get(i).version())
                                .add("validFrom", Times.format(all.get(i).validFromMillis()));
                        item.add("validTo", i + 1 < all.size() ? JSON.createValue(Times.format(all.get(i + 1).validFromMillis()))
                                                              : JsonValue.NULL);
                        list.add(item);
                    }
                    sendJson(rs, Status.OK_200, JSON.createObjectBuilder().add("name", id.name()).add("versions", list).build());
                }
                case HistoryResult.NotFound notFound -> {
                    recordIfKnown(new Event(id, event, null, grant.requestTimeMillis(), Event.Action.HISTORY_READ, actor(grant),
                                            -1, Event.Outcome.REFUSED, ""));
                    notFound(rs, id);
                }
                case HistoryResult.QuorumUnavailable quorum -> {
                    recordIfKnown(new Event(id, event, null, grant.requestTimeMillis(), Event.Action.HISTORY_READ, actor(grant),
                                            -1, Event.Outcome.FAILED, ""));
                    readQuorum(rs, quorum.answered(), quorum.required());
                }
            }
        });
    }

    // ---- custody ----

    /** The operation's custody event could not be made durable: the answer is 503 (the node is stopping). */
    private static final class Unrecorded extends RuntimeException {
        Unrecorded(Throwable cause) {
            super("custody event not durable", cause, false, false);
        }
    }

    private static Event.Actor actor(ReleaseGrant grant) {
        return new Event.Actor(grant.audit().token(), grant.audit().label(), grant.audit().actorClass());
    }

    /** Records {@code events} and waits until they are durable in this node's log. */
    private void record(List<Event> events) {
        try {
            recording.custody().record(events).get(recording.waitMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unrecorded(e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new Unrecorded(e);
        }
    }

    /** Records {@code event} if this node has ever held its secret (see {@link Recording}). */
    private void recordIfKnown(Event event) {
        if (recording.known(event.secret())) {
            record(List.of(event));
        }
    }

    /** Records an event that follows another off the request path (a repair after a read). */
    private void recordAsync(Event event) {
        recording.custody().recordDeferred(event);
    }

    /**
     * The events of a write: for a commit, the event that wrote each version (named by the version, so every read
     * of it names it as parent), or that deleted the incarnation; otherwise a refusal or failure of the request.
     */
    private void recordWrite(ReleaseGrant grant, List<SecretId> ids, Event.Action action, WriteResult result,
                             Map<SecretId, SecretView> before) {
        Event.Actor actor = actor(grant);
        long at = grant.requestTimeMillis();
        List<Event> events = new ArrayList<>();
        switch (result) {
            case WriteResult.Committed committed -> {
                for (Outcome outcome : committed.outcomes()) {
                    switch (outcome) {
                        case Outcome.Applied applied -> {
                            SecretId id = applied.id();
                            EventId written = EventId.ofVersion(id, applied.incarnation(), applied.version());
                            if (applied.version() == 1) {
                                events.add(new Event(id, written, null, at, Event.Action.CREATED, actor, 1, Event.Outcome.OK, ""));
                            } else {
                                EventId replaced = EventId.ofVersion(id, applied.incarnation(), applied.version() - 1);
                                Event.Action updated = recording.custody().exposed(id, replaced) ? Event.Action.ROTATED
                                                                                                 : Event.Action.UPDATED;
                                events.add(new Event(id, written, replaced, at, updated, actor, applied.version(),
                                                     Event.Outcome.OK, ""));
                            }
                        }
                        case Outcome.Removed removed -> {
                            SecretId id = removed.id();
                            EventId parent = null;
                            long version = -1;
                            if (before.get(id) instanceof SecretView.Live live && live.incarnation() == removed.incarnation()) {
                                parent = EventId.ofVersion(id, live.incarnation(), live.latestVersion());
                                version = live.latestVersion();
                            }
                            events.add(new Event(id, EventId.ofDeletion(id, removed.incarnation()), parent, at,
                                                 Event.Action.DELETED, actor, version, Event.Outcome.OK, ""));
                        }
                        case Outcome.Refused refused -> throw new IllegalStateException(
                                "a refusal is answered as Rejected, never as Committed");
                    }
                }
                record(events);
                return;
            }
            case WriteResult.Rejected rejected -> {
                for (PreconditionFailure failure : rejected.failures()) {
                    events.add(new Event(failure.id(), EventId.ofRequest(grant.audit().request(), failure.id(), "write"), null,
                                         at, action, actor, -1, Event.Outcome.REFUSED, ""));
                }
            }
            case WriteResult.WriteConflict conflict -> ids.forEach(id -> events.add(new Event(
                    id, EventId.ofRequest(grant.audit().request(), id, "write"), null, at, action, actor, -1, Event.Outcome.REFUSED, "")));
            case WriteResult.KeyReused reused -> ids.forEach(id -> events.add(new Event(
                    id, EventId.ofRequest(grant.audit().request(), id, "write"), null, at, action, actor, -1, Event.Outcome.REFUSED, "")));
            case WriteResult.QuorumUnavailable quorum -> ids.forEach(id -> events.add(new Event(
                    id, EventId.ofRequest(grant.audit().request(), id, "write"), null, at, action, actor, -1, Event.Outcome.FAILED, "")));
            case WriteResult.Unconfirmed unconfirmed -> ids.forEach(id -> events.add(new Event(
                    id, EventId.ofRequest(grant.audit().request(), id, "write"), null, at, action, actor, -1, Event.Outcome.FAILED, "")));
        }
        List<Event> known = events.stream().filter(event -> recording.known(event.secret())).toList();
        record(known);
    }

    /**
     * {@code POST /exposures/{namespace}/{name}} {@code {"reason", "requestTime"}}: records {@code secret-exposed}
     * against the newest version and ships it to the other nodes at once, so that whichever node coordinates the
     * next latest read or update sees it.
     */
    private void exposure(ServerRequest req, ServerResponse res) {
        guarded(req, res, (rq, rs) -> {
            SecretId id = id(namespace(rq), rq.path().pathParameters().get("name"));
            ReleaseGrant grant = authorized(rq, ReleaseGrant.Kind.WRITE, id.namespace(), List.of(id.name()));
            JsonObject body = json(rq);
            String reason = string(body, "reason");
            if (reason.isEmpty() || reason.length() > Event.MAX_REASON_CHARS) {
                throw new BadRequest("reason", "must be 1.." + Event.MAX_REASON_CHARS + " characters", false);
            }
            long at = requestTime(body, grant);
            EventId event = EventId.ofRequest(grant.audit().request(), id, "exposure");
            switch (reader.history(id)) {
                case HistoryResult.Versions versions when !versions.versions().isEmpty() -> {
                    long latest = versions.versions().getLast().version();
                    record(List.of(new Event(id, event, EventId.ofVersion(id, versions.incarnation(), latest), at,
                                             Event.Action.EXPOSED, actor(grant), latest, Event.Outcome.OK, reason)));
                    int holders = recording.shipper().flush(recording.waitMillis());
                    sendJson(rs, Status.OK_200, JSON.createObjectBuilder().add("name", id.name()).add("exposed", true)
                            .add("rotationRequired", true).add("version", latest).add("holders", holders).build());
                }
                case HistoryResult.QuorumUnavailable quorum -> {
                    recordIfKnown(new Event(id, event, null, at, Event.Action.EXPOSED, actor(grant), -1, Event.Outcome.FAILED, ""));
                    readQuorum(rs, quorum.answered(), quorum.required());
                }
                default -> {
                    recordIfKnown(new Event(id, event, null, at, Event.Action.EXPOSED, actor(grant), -1, Event.Outcome.REFUSED, ""));
                    notFound(rs, id);
                }
            }
        });
    }

    /**
     * {@code POST /events/{namespace}/{name}} {@code {"action", "outcome": "refused"}}: the gateway refused a request
     * about this secret (403) and has it recorded, under the caller's authorization, before it answers.
     */
    private void refusal(ServerRequest req, ServerResponse res) {
        guarded(req, res, (rq, rs) -> {
            SecretId id = id(namespace(rq), rq.path().pathParameters().get("name"));
            ReleaseGrant grant = authorized(rq, ReleaseGrant.Kind.META, id.namespace(), List.of(id.name()));
            JsonObject body = json(rq);
            Event.Action action;
            try {
                action = Event.Action.parse(string(body, "action"));
            } catch (IllegalArgumentException e) {
                throw new BadRequest("action", "must be an event action", false);
            }
            if (!"refused".equals(string(body, "outcome")) || action == Event.Action.REPAIRED) {
                throw new BadRequest("outcome", "only refusals are reported", false);
            }
            boolean known = recording.known(id);
            if (known) {
                record(List.of(new Event(id, EventId.ofRequest(grant.audit().request(), id, "refused-" + action.wireName()),
                                         null, grant.requestTimeMillis(), action, actor(grant), -1, Event.Outcome.REFUSED, "")));
            }
            sendJson(rs, Status.OK_200, JSON.createObjectBuilder().add("recorded", known).build());
        });
    }

    /** {@code GET /timelines/{namespace}/{name}?after=&limit=}: the merged, chained timeline (docs/internal-api.md). */
    private void timeline(ServerRequest req, ServerResponse res) {
        guarded(req, res, (rq, rs) -> {
            SecretId id = id(namespace(rq), rq.path().pathParameters().get("name"));
            EventId after = null;
            Optional<String> afterText = rq.query().first("after").asOptional();
            if (afterText.isPresent()) {
                try {
                    after = EventId.parse(afterText.get());
                } catch (IllegalArgumentException e) {
                    throw new BadRequest("after", e.getMessage(), false);
                }
            }
            int limit = limit(rq);
            authorized(rq, ReleaseGrant.Kind.META, id.namespace(), List.of(id.name()));
            switch (recording.timelines().read(id)) {
                case TimelineReader.Result.QuorumUnavailable quorum -> readQuorum(rs, quorum.answered(), quorum.required());
                case TimelineReader.Result.Merged merged -> {
                    Timeline timeline = merged.timeline();
                    if (timeline.isEmpty()) {
                        Problems.send(rs, Status.NOT_FOUND_404, Problems.SECRET_NOT_FOUND, "Secret not found",
                                      id.name() + " was never written");
                        return;
                    }
                    int from = timeline.startAfter(after);
                    if (from < 0) {
                        throw new BadRequest("after", "is not an event of this timeline", false);
                    }
                    JsonArrayBuilder events = JSON.createArrayBuilder();
                    List<JsonObject> page = timeline.page(from, limit);
                    page.forEach(events::add);
                    int end = from + page.size();
                    sendJson(rs, Status.OK_200, JSON.createObjectBuilder().add("name", id.name()).add("events", events)
                            .add("next", end < timeline.size() && !page.isEmpty()
                                    ? JSON.createValue(timeline.idAt(end - 1).hex()) : JsonValue.NULL).build());
                }
            }
        });
    }

    private static int limit(ServerRequest req) {
        Optional<String> limitText = req.query().first("limit").asOptional();
        if (limitText.isEmpty()) {
            return 100;
        }
        long parsed = positive("limit", limitText.get());
        if (parsed > MAX_LIST_LIMIT) {
            throw new BadRequest("limit", "must be 1.." + MAX_LIST_LIMIT, false);
        }
        return (int) parsed;
    }

    private void list(ServerRequest req, ServerResponse res) {
        guarded(req, res, (rq, rs) -> {
            String namespace = namespace(rq);
            String after = rq.query().first("after").asOptional().orElse(null);
            if (after != null && !SecretId.validName(after)) {
                throw new BadRequest("after", "must be a secret name", false);
            }
            int limit = 100;
            Optional<String> limitText = rq.query().first("limit").asOptional();
            if (limitText.isPresent()) {
                long parsed = positive("limit", limitText.get());
                if (parsed > MAX_LIST_LIMIT) {
                    throw new BadRequest("limit", "must be 1.." + MAX_LIST_LIMIT, false);
                }
                limit = (int) parsed;
            }
            authorized(rq, ReleaseGrant.Kind.META, namespace, List.of());
            switch (reader.list(namespace, after, limit)) {
                case ListResult.Page page -> {
                    JsonArrayBuilder secrets = JSON.createArrayBuilder();
                    for (Map.Entry<String, SecretView.Live> entry : page.secrets()) {
                        secrets.add(JSON.createObjectBuilder().add("name", entry.getKey())
                                            .add("version", entry.getValue().latestVersion())
                                            .add("validFrom", Times.format(entry.getValue().latestValidFromMillis())));
                    }
                    sendJson(rs, Status.OK_200, JSON.createObjectBuilder().add("secrets", secrets)
                            .add("next", page.next() == null ? JsonValue.NULL : JSON.createValue(page.next())).build());
                }
                case ListResult.QuorumUnavailable quorum -> readQuorum(rs, quorum.answered(), quorum.required());
            }
        });
    }

    private static void notFound(ServerResponse res, SecretId id) {
        Problems.send(res, Status.NOT_FOUND_404, Problems.SECRET_NOT_FOUND, "Secret not found", id.name() + " does not exist");
    }

    private static void readQuorum(ServerResponse res, int answered, int required) {
        Problems.send(res, Status.SERVICE_UNAVAILABLE_503, Problems.QUORUM_UNAVAILABLE, "Read quorum unavailable",
                      "only " + answered + " of the " + required + " nodes needed answered",
                      body -> body.add("votes", answered).add("required", required));
    }

    // ---- decoding ----

    private static void sendJson(ServerResponse res, Status status, JsonObject body) {
        res.status(status).header(HeaderValues.create(HeaderNames.CONTENT_TYPE, "application/json")).send(body.toString());
    }

    /**
     * The body as a JSON object. Read into a buffer of the declared length (the server bounds it) and parsed from
     * text: the media support's reader would decode the stream again through an 8 KiB buffer of its own, and a
     * read up to the limit starts with 16 KiB, for a body of about 150 bytes.
     */
    private static JsonObject json(ServerRequest req) {
        try (InputStream in = req.content().inputStream()) {
            OptionalLong declared = req.headers().contentLength();
            byte[] body = declared.isPresent() ? in.readNBytes(Math.toIntExact(declared.getAsLong())) : in.readAllBytes();
            try (JsonReader reader = JSON.createReader(new StringReader(new String(body, StandardCharsets.UTF_8)))) {
                return reader.readObject();
            }
        } catch (IOException | RuntimeException e) {
            throw new BadRequest("body", "must be a JSON object", false);
        }
    }

    private static String namespace(ServerRequest req) {
        String namespace = req.path().pathParameters().get("namespace");
        if (!SecretId.validNamespace(namespace)) {
            throw new BadRequest("namespace", "must match " + SecretId.NAMESPACE.pattern(), false);
        }
        return namespace;
    }

    private static SecretId id(String namespace, String name) {
        if (name == null || !SecretId.NAME.matcher(name).matches()) {
            throw new BadRequest("name", "must match " + SecretId.NAME.pattern(), false);
        }
        return new SecretId(namespace, name);
    }

    private static String string(JsonObject body, String field) {
        if (!(body.get(field) instanceof JsonString text)) {
            throw new BadRequest(field, "is required and must be a string", false);
        }
        return text.getString();
    }

    private static byte[] value(JsonObject body, String field) {
        byte[] value = string(body, field).getBytes(StandardCharsets.UTF_8);
        if (value.length > MAX_VALUE_BYTES) {
            throw new BadRequest(field, "is " + value.length + " bytes; the limit is " + MAX_VALUE_BYTES, true);
        }
        return value;
    }

    private static long time(JsonObject body, String field) {
        return time(field, string(body, field));
    }

    /**
     * The gateway's stamp of a write. Versions' validity intervals start there and never move back, so one stamp
     * far in the future would pin a secret's history there for good: a stamp more than
     * {@link #MAX_CLOCK_SKEW_MILLIS} ahead of this node's clock is refused.
     */
    private static long requestTime(JsonObject body) {
        long stamp = time(body, "requestTime");
        if (stamp > System.currentTimeMillis() + MAX_CLOCK_SKEW_MILLIS) {
            throw new BadRequest("requestTime", "is more than " + MAX_CLOCK_SKEW_MILLIS / 1000
                                                + " s ahead of this node's clock", false);
        }
        return stamp;
    }

    private static long time(String field, String text) {
        try {
            return Times.parse(text);
        } catch (IllegalArgumentException e) {
            throw new BadRequest(field, "must be an RFC 3339 timestamp", false);
        }
    }

    private static long positive(JsonObject body, String field) {
        if (!(body.get(field) instanceof jakarta.json.JsonNumber number) || !number.isIntegral() || number.longValue() < 1) {
            throw new BadRequest(field, "must be a positive integer", false);
        }
        return number.longValue();
    }

    private static long positive(String field, String text) {
        try {
            long value = Long.parseLong(text);
            if (value >= 1) {
                return value;
            }
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new BadRequest(field, "must be a positive integer", false);
    }

    private static RequestId requestId(String namespace, JsonObject body) {
        if (!body.containsKey("idempotencyKey") || body.get("idempotencyKey") == JsonValue.NULL) {
            return RequestId.random();
        }
        String key = string(body, "idempotencyKey");
        if (key.isEmpty() || key.length() > 128 || !key.chars().allMatch(c -> c >= 0x21 && c <= 0x7E)) {
            throw new BadRequest("idempotencyKey", "must be 1..128 visible ASCII characters", false);
        }
        return RequestId.fromIdempotencyKey(namespace, key);
    }
}
