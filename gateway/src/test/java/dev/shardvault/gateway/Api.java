package dev.shardvault.gateway;

import dev.shardvault.tls.TestTls;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.Method;
import io.helidon.webclient.api.HttpClientRequest;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;
import jakarta.json.Json;
import jakarta.json.JsonObject;
import java.io.StringReader;
import java.net.URI;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** A client of the public API, as a user would call it. */
final class Api {

    /** Status, headers of interest, body text and (when JSON) the parsed body. */
    record Reply(int status, String text, JsonObject json, Map<String, String> headers) {
        String type() {
            return json.getString("type", "");
        }

        long version() {
            return json.getJsonNumber("version").longValue();
        }

        String header(String name) {
            return headers.get(name.toLowerCase());
        }
    }

    private final URI gateway;
    private final WebClient client;
    private final String token;

    Api(URI gateway, String token) {
        this(gateway, token, Duration.ofSeconds(30));
    }

    /** A client that gives up on an answer after {@code readTimeout} (and on a connection after 1 s). */
    Api(URI gateway, String token, Duration readTimeout) {
        this.gateway = gateway;
        var builder = WebClient.builder().baseUri(gateway).readTimeout(readTimeout).connectTimeout(Duration.ofSeconds(1));
        if ("https".equals(gateway.getScheme())) {
            builder.tls(TestTls.trustOnly()); // as curl --cacert var/tls/ca.pem: no client certificate
        }
        this.client = builder.build();
        this.token = token;
    }

    Api as(String otherToken) {
        return new Api(gateway, otherToken);
    }

    Reply create(String name, String value) {
        return send("POST", "/v1/secrets", json(Map.of("name", name, "value", value)), "application/json", Map.of());
    }

    Reply update(String name, String value) {
        return send("PUT", "/v1/secrets/" + name, json(Map.of("value", value)), "application/json", Map.of());
    }

    Reply read(String pathAndQuery) {
        return send("GET", "/v1/secrets/" + pathAndQuery, null, null, Map.of());
    }

    Reply env(String file) {
        return send("POST", "/v1/env", file, "text/plain", Map.of());
    }

    static String json(Map<String, String> members) {
        var builder = Json.createObjectBuilder();
        members.forEach(builder::add);
        return builder.build().toString();
    }

    /** As {@link #send}, with {@code header} sent once per value (one line each). */
    Reply sendRepeated(String method, String path, String body, String contentType, String header, String... values) {
        return send(method, path, body, contentType, Map.of(), HeaderValues.create(HeaderNames.create(header), values));
    }

    Reply send(String method, String pathAndQuery, String body, String contentType, Map<String, String> headers) {
        return send(method, pathAndQuery, body, contentType, headers, null);
    }

    private Reply send(String method, String pathAndQuery, String body, String contentType, Map<String, String> headers,
                       io.helidon.http.Header extra) {
        int question = pathAndQuery.indexOf('?');
        HttpClientRequest request = client.method(Method.create(method))
                .path(question < 0 ? pathAndQuery : pathAndQuery.substring(0, question));
        if (question >= 0) {
            for (String pair : pathAndQuery.substring(question + 1).split("&")) {
                int equals = pair.indexOf('=');
                request.queryParam(pair.substring(0, equals), pair.substring(equals + 1));
            }
        }
        if (token != null) {
            request.header(HeaderValues.create(HeaderNames.AUTHORIZATION, "Bearer " + token));
        }
        if (contentType != null) {
            request.header(HeaderValues.create(HeaderNames.CONTENT_TYPE, contentType));
        }
        headers.forEach((name, value) -> request.header(HeaderValues.create(HeaderNames.create(name), value)));
        if (extra != null) {
            request.header(extra);
        }
        try (HttpClientResponse response = body == null ? request.request() : request.submit(body)) {
            String text = response.as(String.class);
            Map<String, String> kept = new LinkedHashMap<>();
            for (String name : new String[] {"ETag", "Location", "Content-Type", "WWW-Authenticate", "Allow"}) {
                response.headers().first(HeaderNames.create(name)).ifPresent(value -> kept.put(name.toLowerCase(), value));
            }
            JsonObject json = text.startsWith("{") ? Json.createReader(new StringReader(text)).readObject()
                                                   : JsonObject.EMPTY_JSON_OBJECT;
            return new Reply(response.status().code(), text, json, kept);
        }
    }
}
