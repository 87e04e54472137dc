package dev.shardvault.vault;

import dev.shardvault.tls.Identity;
import dev.shardvault.tls.TestTls;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import java.io.StringReader;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;

/** A test client of a node's gateway-facing JSON API (what the gateway sends), with the gateway's certificate. */
final class Client {

    static final String NS = "default";

    /** A status and its JSON body (empty object when the body is not JSON). */
    record Answer(int status, JsonObject body) {
        long version() {
            return body.getJsonNumber("version").longValue();
        }

        String type() {
            return body.getString("type", "");
        }

        String value() {
            return body.getString("value");
        }
    }

    private final WebClient client;

    Client(URI uri) {
        this.client = WebClient.builder().baseUri(uri).tls(TestTls.client(Identity.gateway())).readTimeout(Duration.ofSeconds(30))
                .build();
    }

    static String now() {
        return Instant.now().toString();
    }

    Answer create(String name, String value) {
        return create(name, value, null, now());
    }

    Answer create(String name, String value, String idempotencyKey, String requestTime) {
        JsonObjectBuilder body = Json.createObjectBuilder().add("name", name).add("value", value).add("requestTime", requestTime);
        if (idempotencyKey != null) {
            body.add("idempotencyKey", idempotencyKey);
        }
        return send("POST", "/internal/v1/secrets/" + NS, body.build().toString());
    }

    Answer update(String name, String value) {
        return update(name, value, -1, now());
    }

    Answer update(String name, String value, long expectedVersion, String requestTime) {
        JsonObjectBuilder body = Json.createObjectBuilder().add("value", value).add("requestTime", requestTime);
        if (expectedVersion >= 0) {
            body.add("expectedVersion", expectedVersion);
        }
        return send("PUT", "/internal/v1/secrets/" + NS + "/" + name, body.build().toString());
    }

    Answer batch(JsonObject body) {
        return send("POST", "/internal/v1/batches/" + NS, body.toString());
    }

    Answer read(String name) {
        return send("GET", "/internal/v1/secrets/" + NS + "/" + name, null);
    }

    Answer read(String name, String query) {
        return send("GET", "/internal/v1/secrets/" + NS + "/" + name + "?" + query, null);
    }

    Answer history(String name) {
        return send("GET", "/internal/v1/secrets/" + NS + "/" + name + "/versions", null);
    }

    Answer list(String query) {
        return send("GET", "/internal/v1/secrets/" + NS + (query.isEmpty() ? "" : "?" + query), null);
    }

    Answer send(String method, String path, String body) {
        int question = path.indexOf('?');
        var request = client.method(io.helidon.http.Method.create(method)).path(question < 0 ? path : path.substring(0, question));
        if (question >= 0) {
            for (String pair : path.substring(question + 1).split("&")) {
                int equals = pair.indexOf('=');
                request.queryParam(pair.substring(0, equals), pair.substring(equals + 1));
            }
        }
        if (body != null) {
            request.header(HeaderValues.create(HeaderNames.CONTENT_TYPE, "application/json"));
        }
        try (HttpClientResponse response = body == null ? request.request() : request.submit(body)) {
            String text = response.as(String.class);
            JsonObject json = text.startsWith("{") ? Json.createReader(new StringReader(text)).readObject()
                                                   : Json.createObjectBuilder().add("text", text).build();
            return new Answer(response.status().code(), json);
        }
    }
}
