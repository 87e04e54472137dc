package dev.shardvault.vault;

import dev.shardvault.tls.ReleaseGrant;
import java.util.ArrayList;
import java.util.List;

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
    private final int node;

    /** A client of node {@code node}: every request carries an authorization for it as the gateway would issue. */
    Client(URI uri, int node) {
        this.node = node;
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

    /**
     * What the gateway would authorize for this request: the kind and names from the route and body, the body's
     * requestTime. Null for a route it does not know (the node refuses it, as it would from any client).
     */
    ReleaseGrant grantFor(String method, String path, String body) {
        String[] parts = path.split("/"); // "", internal, v1, secrets|batches|deletions, namespace, name?, versions?
        if (parts.length < 5) {
            return null;
        }
        JsonObject json = JsonObject.EMPTY_JSON_OBJECT;
        try {
            if (body != null && body.startsWith("{")) {
                json = Json.createReader(new StringReader(body)).readObject();
            }
        } catch (jakarta.json.JsonException e) {
            // malformed on purpose: the node answers 400 before it looks at the authorization
        }
        long requestTime = System.currentTimeMillis();
        if (json.get("requestTime") instanceof jakarta.json.JsonString stamp) {
            try {
                requestTime = java.time.OffsetDateTime.parse(stamp.getString()).toInstant().toEpochMilli();
            } catch (java.time.DateTimeException e) {
                // the node answers 400 for it
            }
        }
        String namespace = parts[4];
        List<String> names = new ArrayList<>();
        ReleaseGrant.Kind kind;
        switch (parts[3]) {
            case "secrets" -> {
                if (method.equals("POST")) {
                    kind = ReleaseGrant.Kind.WRITE;
                    names.add(json.getString("name", ""));
                } else if (method.equals("PUT")) {
                    kind = ReleaseGrant.Kind.WRITE;
                    names.add(parts[5]);
                } else if (parts.length == 5) {
                    kind = ReleaseGrant.Kind.META;
                } else {
                    kind = parts.length > 6 ? ReleaseGrant.Kind.META : ReleaseGrant.Kind.READ;
                    names.add(parts[5]);
                }
            }
            case "batches" -> {
                kind = ReleaseGrant.Kind.WRITE;
                if (json.get("creates") instanceof jakarta.json.JsonArray creates) {
                    for (var create : creates) {
                        if (create instanceof JsonObject object) {
                            names.add(object.getString("name", ""));
                        }
                    }
                }
            }
            case "deletions" -> {
                kind = ReleaseGrant.Kind.DELETE;
                names.add(parts.length > 5 ? parts[5] : "");
            }
            default -> {
                return null;
            }
        }
        return TestGrants.grant(kind, node, namespace, names, requestTime);
    }

    Answer send(String method, String path, String body) {
        return sendWith(method, path, body, grantFor(method, path.indexOf('?') < 0 ? path : path.substring(0, path.indexOf('?')), body));
    }

    /** Sends with exactly {@code grant} as the authorization (none when null). */
    Answer sendWith(String method, String path, String body, ReleaseGrant grant) {
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
        if (grant != null) {
            request.header(HeaderValues.create(HeaderNames.create(ReleaseGrant.HEADER), grant.header()));
        }
        try (HttpClientResponse response = body == null ? request.request() : request.submit(body)) {
            String text = response.as(String.class);
            JsonObject json = text.startsWith("{") ? Json.createReader(new StringReader(text)).readObject()
                                                   : Json.createObjectBuilder().add("text", text).build();
            return new Answer(response.status().code(), json);
        }
    }
}
