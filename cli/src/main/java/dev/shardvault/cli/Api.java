package dev.shardvault.cli;

import io.helidon.common.tls.Tls;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaType;
import io.helidon.http.Method;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.http1.Http1Client;
import io.helidon.webclient.http1.Http1ClientRequest;
import jakarta.json.Json;
import jakarta.json.JsonArray;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The gateway's public API as the command line sees it: one Helidon HTTP/1.1 client, the bearer token, and
 * problem documents turned into {@link Failure}s. Connection settings come from the environment as in API.md:
 * {@code SHARDVAULT_ADDR}, {@code SHARDVAULT_CACERT}, {@code SHARDVAULT_TOKEN} or {@code SHARDVAULT_TOKEN_FILE}.
 */
final class Api {

    static final String DEFAULT_ADDR = "https://127.0.0.1:8443";
    private static final HttpMediaType JSON = HttpMediaType.create("application/json");
    private static final HttpMediaType TEXT = HttpMediaType.create("text/plain; charset=UTF-8");
    /** Retries of a write whose commit was decided but not yet confirmed, with the same Idempotency-Key. */
    private static final int UNCONFIRMED_RETRIES = 5;

    private final URI addr;
    private final String token;
    private final Http1Client client;
    private final SecureRandom random = new SecureRandom();

    private Api(URI addr, String token, Http1Client client) {
        this.addr = addr;
        this.token = token;
        this.client = client;
    }

    /**
     * @param env  the environment to read the settings from
     * @param home the checkout the CLI runs from (defaults {@code var/tls/ca.pem} and {@code var/dev-token}), or null
     */
    static Api connect(Map<String, String> env, Path home) throws Failure {
        String rawAddr = env.getOrDefault("SHARDVAULT_ADDR", DEFAULT_ADDR);
        URI addr;
        try {
            addr = URI.create(rawAddr);
        } catch (IllegalArgumentException e) {
            throw Failure.usage("SHARDVAULT_ADDR is not a URL");
        }
        if (!"https".equals(addr.getScheme()) && !"http".equals(addr.getScheme()) || addr.getHost() == null) {
            throw Failure.usage("SHARDVAULT_ADDR must be an http:// or https:// URL with a host");
        }
        var builder = Http1Client.builder()
                .baseUri(addr)
                .connectTimeout(Duration.ofSeconds(5))
                .readTimeout(Duration.ofSeconds(30))
                .followRedirects(false)
                .sendExpectContinue(false)
                // One connection per call, closed after the answer: an idle pooled connection keeps a thread in a
                // native read, and the JVM then waits 300 ms at exit for it.
                .protocolConfig(protocol -> protocol.defaultKeepAlive(false))
                .shareConnectionCache(false);
        if ("https".equals(addr.getScheme())) {
            builder.tls(tls(env, home));
        }
        return new Api(addr, token(env, home), builder.build());
    }

    private static Tls tls(Map<String, String> env, Path home) throws Failure {
        String configured = env.get("SHARDVAULT_CACERT");
        Path ca = configured != null ? Path.of(configured) : home == null ? null : home.resolve("var/tls/ca.pem");
        if (ca == null || configured == null && !Files.exists(ca)) {
            return Tls.builder().build(); // the JDK's trusted CAs
        }
        try (InputStream in = Files.newInputStream(ca)) {
            List<X509Certificate> certificates = new ArrayList<>();
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                certificates.add((X509Certificate) certificate);
            }
            if (certificates.isEmpty()) {
                throw Failure.usage("SHARDVAULT_CACERT " + ca + " holds no certificate");
            }
                return Tls.builder().trust(certificates).build();
        } catch (NoSuchFileException e) {
            throw Failure.usage("SHARDVAULT_CACERT " + ca + " does not exist");
        } catch (IOException | GeneralSecurityException e) {
            throw Failure.usage("cannot read the CA certificate " + ca + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static String token(Map<String, String> env, Path home) throws Failure {
        String token = env.get("SHARDVAULT_TOKEN");
        if (token != null && !token.isBlank()) {
            return token.strip();
        }
        String configured = env.get("SHARDVAULT_TOKEN_FILE");
        Path file = configured != null ? Path.of(configured) : home == null ? null : home.resolve("var/dev-token");
        if (file == null || configured == null && !Files.exists(file)) {
            throw Failure.usage("no token: set SHARDVAULT_TOKEN or SHARDVAULT_TOKEN_FILE");
        }
        try {
            String read = Files.readString(file, StandardCharsets.UTF_8).strip();
            if (read.isEmpty()) {
                throw Failure.usage("the token file " + file + " is empty");
            }
            return read;
        } catch (IOException | UncheckedIOException e) {
            throw Failure.usage("cannot read the token file " + file + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    /** The token this CLI authenticates with (a {@code run} child does not inherit it unless asked to). */
    String token() {
        return token;
    }

    /** An answer: status, the ETag's version if any, the body. */
    record Answer(int status, byte[] body) {
        JsonObject json() throws Failure {
            return Api.json(body);
        }

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** One request; any answer that is not 2xx becomes a Failure. */
    Answer call(Method method, String path, Map<String, String> query, Map<String, String> headers, JsonObject body) throws Failure {
        return send(method, path, query, headers, body == null ? null : body.toString().getBytes(StandardCharsets.UTF_8), JSON,
                    null);
    }

    Answer call(Method method, String path, Map<String, String> query) throws Failure {
        return call(method, path, query, Map.of(), null);
    }

    /**
     * A write: carries a fresh Idempotency-Key and is resent with the same key while the answer is 503
     * commit-unconfirmed (the commit was decided; the resend returns the first outcome).
     */
    Answer write(Method method, String path, Map<String, String> headers, JsonObject body) throws Failure {
        return writeRaw(method, path, headers, body == null ? null : body.toString().getBytes(StandardCharsets.UTF_8), JSON, null);
    }

    /** {@code POST /v1/env}; {@code locate} names a line of the sent document where the caller wrote it ("FILE:LINE"). */
    Answer env(String document, IntFunction<String> locate) throws Failure {
        return writeRaw(Method.POST, "/v1/env", Map.of(), document.getBytes(StandardCharsets.UTF_8), TEXT, locate);
    }

    private Answer writeRaw(Method method, String path, Map<String, String> headers, byte[] body, HttpMediaType type,
                            IntFunction<String> locate) throws Failure {
        byte[] key = new byte[16];
        random.nextBytes(key);
        Map<String, String> keyed = new java.util.LinkedHashMap<>(headers);
        keyed.put("Idempotency-Key", HexFormat.of().formatHex(key));
        Failure last = null;
        for (int attempt = 0; attempt <= UNCONFIRMED_RETRIES; attempt++) {
            try {
                return send(method, path, Map.of(), keyed, body, type, locate);
            } catch (Unconfirmed e) {
                last = e;
                sleep(100L << attempt);
            }
        }
        throw last;
    }

    private static void sleep(long millis) throws Failure {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure(Failure.UNAVAILABLE, "interrupted");
        }
    }

    private Answer send(Method method, String path, Map<String, String> query, Map<String, String> headers, byte[] body,
                        HttpMediaType type, IntFunction<String> locate) throws Failure {
        Http1ClientRequest request = client.method(method).path(path)
                .header(HeaderNames.AUTHORIZATION, "Bearer " + token)
                .header(HeaderNames.ACCEPT, "application/json, application/problem+json, text/plain");
        query.forEach(request::queryParam);
        headers.forEach((name, value) -> request.header(HeaderNames.create(name), value));
        if (body != null) {
            request.contentType(type);
        }
        int status;
        byte[] answer;
        try (HttpClientResponse response = body == null ? request.request() : request.submit(body)) {
            status = response.status().code();
            answer = response.entity().hasEntity() ? response.entity().as(byte[].class) : new byte[0];
        } catch (RuntimeException e) {
            // Connection refused, TLS refused, timeouts: the exception says which; it holds no request data.
            throw new Failure(Failure.UNAVAILABLE, "cannot reach " + addr + ": " + describe(e));
        }
        if (status / 100 == 2) {
            return new Answer(status, answer);
        }
        throw problem(status, answer, locate);
    }

    private static String describe(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        String message = cause.getMessage();
        return cause.getClass().getSimpleName() + (message == null ? "" : " (" + message + ")");
    }

    /** A 503 commit-unconfirmed: resent by {@link #writeRaw}. */
    private static final class Unconfirmed extends Failure {
        Unconfirmed(String message) {
            super(UNAVAILABLE, message, "urn:shardvault:commit-unconfirmed");
        }
    }

    /** The problem document as one line, and the exit status API.md gives its kind. */
    static Failure problem(int status, byte[] body, IntFunction<String> locate) {
        JsonObject problem;
        try {
            problem = json(body);
        } catch (Failure e) {
            return new Failure(status >= 500 && status != 503 || status < 400 ? Failure.SERVER : exitFor(status, List.of()),
                               "HTTP " + status + " without a problem document");
        }
        String type = string(problem, "type", "about:blank");
        String title = string(problem, "title", "HTTP " + status);
        String detail = string(problem, "detail", "");
        StringBuilder message = new StringBuilder(title);
        if (!detail.isEmpty()) {
            message.append(": ").append(detail);
        }
        List<String> reasons = new ArrayList<>();
        JsonValue errors = problem.get("errors");
        if (errors instanceof JsonArray array) {
            List<String> parts = new ArrayList<>();
            for (JsonValue error : array) {
                if (error instanceof JsonObject item) {
                    parts.add(describeError(item, locate));
                    reasons.add(string(item, "reason", ""));
                }
            }
            if (!parts.isEmpty()) {
                message.append(" [").append(String.join("; ", parts)).append(']');
            }
        }
        int exit = exitFor(status, reasons);
        if (exit == Failure.SERVER) {
            message.append(" (").append(type).append(')');
        }
        String text = message.toString();
        return "urn:shardvault:commit-unconfirmed".equals(type) ? new Unconfirmed(text) : new Failure(exit, text, type);
    }

    private static String describeError(JsonObject error, IntFunction<String> locate) {
        StringBuilder part = new StringBuilder();
        if (error.get("line") instanceof jakarta.json.JsonNumber line) {
            part.append(locate == null ? "line " + line.intValue() : locate.apply(line.intValue())).append(' ');
        }
        if (error.containsKey("reference")) {
            part.append(string(error, "reference", "")).append(": ").append(string(error, "reason", ""));
        } else {
            String field = string(error, "field", "");
            part.append(field.isEmpty() || "body".equals(field) && part.length() > 0 ? "" : field + ": ")
                    .append(string(error, "message", ""));
        }
        return part.toString().strip();
    }

    /** API.md: 1 server-side, 3 not found, 4 conflict or precondition, 5 unauthorized or forbidden, 6 unavailable. */
    private static int exitFor(int status, List<String> reasons) {
        return switch (status) {
            case 401, 403 -> Failure.UNAUTHORIZED;
            case 404 -> Failure.NOT_FOUND;
            case 409, 412 -> Failure.CONFLICT;
            case 503 -> Failure.UNAVAILABLE;
            case 422 -> reasons.contains("unavailable") || reasons.contains("insufficient-shards") ? Failure.UNAVAILABLE
                    : reasons.contains("forbidden") ? Failure.UNAUTHORIZED
                    : reasons.contains("not-found") ? Failure.NOT_FOUND : Failure.SERVER;
            default -> Failure.SERVER;
        };
    }

    static JsonObject json(byte[] body) throws Failure {
        try (JsonReader reader = Json.createReader(new ByteArrayInputStream(body))) {
            return reader.readObject();
        } catch (JsonException | IllegalStateException e) {
            throw new Failure(Failure.SERVER, "the gateway's answer is not a JSON object");
        }
    }

    static String string(JsonObject object, String member, String fallback) {
        return object.get(member) instanceof JsonString value ? value.getString() : fallback;
    }
}
