package dev.shardvault.gateway.problem;

import static dev.shardvault.gateway.problem.JsonCodec.JSON;

import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;
import jakarta.json.JsonArray;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonValue;
import java.util.Map;

/** One RFC 9457 problem: a stable type, a title, a status, a detail, and extension members. */
public record Problem(String type, String title, int status, String detail, JsonObject extensions) {

    public static final String PREFIX = "urn:shardvault:";
    public static final String CONTENT_TYPE = "application/problem+json";

    public static Problem of(int status, String type, String title, String detail) {
        return new Problem(PREFIX + type, title, status, detail, JsonValue.EMPTY_JSON_OBJECT);
    }

    public Problem with(String member, JsonValue value) {
        return new Problem(type, title, status, detail, JSON.createObjectBuilder(extensions).add(member, value).build());
    }

    public Problem with(String member, long value) {
        return with(member, JSON.createValue(value));
    }

    public Problem with(String member, String value) {
        return with(member, JSON.createValue(value));
    }

    public static Problem invalid(String field, String message) {
        JsonArray errors = JSON.createArrayBuilder()
                .add(JSON.createObjectBuilder().add("field", field).add("message", message)).build();
        return of(400, "invalid-request", "Invalid request", field + ": " + message).with("errors", errors);
    }

    public static Problem unauthorized(String detail) {
        return of(401, "unauthorized", "Unauthorized", detail);
    }

    public static Problem forbidden(String action) {
        return of(403, "forbidden", "Forbidden", "this token may not " + action + " in its namespace");
    }

    /** A name outside the token's scope (said the same way whether or not the secret exists). */
    public static Problem outOfScope(String name) {
        return of(403, "forbidden", "Forbidden", "secret " + name + " is outside this token's scope");
    }

    public static Problem tooLarge(String detail, long limit) {
        return of(413, "too-large", "Too large", detail).with("limit", limit);
    }

    public static Problem unsupportedMediaType(String expected) {
        return of(415, "invalid-request", "Unsupported media type", "the body must be " + expected);
    }

    /** Rebuilds a problem a vault node returned (same URNs); unknown shapes become a 502. */
    public static Problem fromVault(int status, JsonObject body) {
        if (!body.containsKey("type") || !body.getString("type", "").startsWith(PREFIX)) {
            return of(502, "vault-error", "Vault node error", "a vault node answered " + status + " without a problem");
        }
        JsonObjectBuilder extensions = JSON.createObjectBuilder();
        for (Map.Entry<String, JsonValue> member : body.entrySet()) {
            switch (member.getKey()) {
                case "type", "title", "status", "detail" -> { }
                default -> extensions.add(member.getKey(), member.getValue());
            }
        }
        return new Problem(body.getString("type"), body.getString("title", ""), status, body.getString("detail", ""),
                           extensions.build());
    }

    public JsonObject toJson() {
        JsonObjectBuilder body = JSON.createObjectBuilder()
                .add("type", type).add("title", title).add("status", status).add("detail", detail);
        extensions.forEach(body::add);
        return body.build();
    }

    public void send(ServerResponse res) {
        res.status(Status.create(status))
           .header(HeaderValues.create(HeaderNames.CONTENT_TYPE, CONTENT_TYPE))
           .send(toJson().toString());
    }
}
