package dev.shardvault.vault.http;

import static dev.shardvault.vault.http.JsonCodec.JSON;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.util.function.Consumer;

/** RFC 9457 problems with ShardVault's stable type URNs; the only place statuses for failures are chosen. */
final class Problems {

    static final String INVALID_REQUEST = "urn:shardvault:invalid-request";
    static final String SECRET_NOT_FOUND = "urn:shardvault:secret-not-found";
    static final String VERSION_NOT_FOUND = "urn:shardvault:version-not-found";
    static final String SECRET_EXISTS = "urn:shardvault:secret-exists";
    static final String WRITE_CONFLICT = "urn:shardvault:write-conflict";
    static final String VERSION_MISMATCH = "urn:shardvault:version-mismatch";
    static final String TOO_LARGE = "urn:shardvault:too-large";
    static final String QUORUM_UNAVAILABLE = "urn:shardvault:quorum-unavailable";
    static final String COMMIT_UNCONFIRMED = "urn:shardvault:commit-unconfirmed";
    static final String INSUFFICIENT_SHARDS = "urn:shardvault:insufficient-shards";
    static final String KEY_REUSED = "urn:shardvault:idempotency-key-reused";
    static final String FORBIDDEN = "urn:shardvault:forbidden";
    static final String CUSTODY_UNRECORDED = "urn:shardvault:custody-unrecorded";

    private static final String PROBLEM_JSON = "application/problem+json";

    private Problems() {
    }

    static void send(ServerResponse res, Status status, String type, String title, String detail) {
        send(res, status, type, title, detail, extra -> { });
    }

    static void send(ServerResponse res, Status status, String type, String title, String detail,
                     Consumer<JsonObjectBuilder> extensions) {
        JsonObjectBuilder body = JSON.createObjectBuilder()
                .add("type", type)
                .add("title", title)
                .add("status", status.code())
                .add("detail", detail);
        extensions.accept(body);
        JsonObject problem = body.build();
        res.status(status).header(HeaderValues.create(HeaderNames.CONTENT_TYPE, PROBLEM_JSON)).send(problem.toString());
    }

    static void invalid(ServerResponse res, String field, String message) {
        JsonArray errors = JSON.createArrayBuilder()
                .add(JSON.createObjectBuilder().add("field", field).add("message", message)).build();
        send(res, Status.BAD_REQUEST_400, INVALID_REQUEST, "Invalid request", field + ": " + message,
             body -> body.add("errors", errors));
    }
}
