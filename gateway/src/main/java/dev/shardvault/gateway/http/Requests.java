package dev.shardvault.gateway.http;

import dev.shardvault.tls.ReleaseGrant;


import dev.shardvault.gateway.auth.Action;
import dev.shardvault.gateway.auth.Principal;
import dev.shardvault.gateway.auth.Tokens;
import dev.shardvault.gateway.problem.Problem;
import dev.shardvault.gateway.problem.ProblemException;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.ServerRequest;
import jakarta.json.JsonObject;
import jakarta.json.JsonString;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/** What every handler does with a request before it means anything: who, how big, what shape. */
final class Requests {

    static final int MAX_BODY_BYTES = 1 << 20;
    static final int MAX_VALUE_BYTES = 65536;
    static final Pattern NAME = Pattern.compile("[A-Z][A-Z0-9_]{0,127}");

    static final HeaderName IDEMPOTENCY_KEY = HeaderNames.create("Idempotency-Key");

    private final Tokens tokens;

    Requests(Tokens tokens) {
        this.tokens = tokens;
    }

    /** The caller, or 401; then 403 unless the token may do {@code action}. */
    Principal authorize(ServerRequest req, Action action) {
        Principal principal = authenticate(req);
        if (action != null && !principal.may(action)) {
            throw new ProblemException(Problem.forbidden(action.wireName()));
        }
        return principal;
    }

    /**
     * The caller, or 401; then 403 unless the token may do {@code action} on secret {@code name} — the same
     * answer whether or not the name exists, so a scope does not reveal what lies outside it.
     */
    Principal authorize(ServerRequest req, Action action, String name) {
        Principal principal = authorize(req, action);
        if (!principal.scope().contains(name)) {
            throw new ProblemException(Problem.outOfScope(name));
        }
        return principal;
    }

    Principal authenticate(ServerRequest req) {
        Optional<String> header = single(req, HeaderNames.AUTHORIZATION);
        if (header.isEmpty()) {
            throw new ProblemException(Problem.unauthorized("send Authorization: Bearer <token>"));
        }
        String value = header.get();
        if (value.length() < 8 || !value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            throw new ProblemException(Problem.unauthorized("the Authorization header must be 'Bearer <token>'"));
        }
        return switch (tokens.authenticate(value.substring(7).strip(), Clock.now())) {
            case Tokens.Authentication.Valid valid -> valid.principal();
            case Tokens.Authentication.Refused refused -> throw new ProblemException(Problem.unauthorized(refused.detail()));
        };
    }

    /** The body, at most 1 MiB, within the body timeout ({@link BodyDeadline}); a larger one is 413 before it is read whole. */
    static byte[] body(ServerRequest req) {
        Optional<Long> declared = req.headers().contentLength().stream().boxed().findFirst();
        if (declared.isPresent() && declared.get() > MAX_BODY_BYTES) {
            throw new ProblemException(Problem.tooLarge("the body is " + declared.get() + " bytes", MAX_BODY_BYTES));
        }
        // Not closed: closing an unfinished entity stream waits for more of it, which a client that stalled never
        // sends. Reading always ends at the end of the body or past the limit.
        InputStream in = req.content().inputStream();
        byte[] bytes;
        try {
            // With a declared length, a buffer of that size; otherwise one that grows up to the limit.
            bytes = BodyDeadline.read(req, in, declared.isPresent() ? declared.get().intValue() : 0, MAX_BODY_BYTES);
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new ProblemException(Problem.invalid("body", "could not be read"));
        } catch (io.helidon.webserver.CloseConnectionException | io.helidon.http.RequestException | io.helidon.http.HttpException e) {
            throw e;
        } catch (RuntimeException e) {
            // Helidon 4.5.0 reports a malformed chunk size as a bare NumberFormatException from the entity stream
            // (a 500 with a stack trace in the log, were it not caught here). The framing is lost: close after.
            throw BodyDeadline.answerAndClose(req, Problem.invalid("body", "is not valid chunked transfer coding"));
        }
        if (bytes.length > MAX_BODY_BYTES) {
            throw new ProblemException(Problem.tooLarge("the body is over " + MAX_BODY_BYTES + " bytes", MAX_BODY_BYTES));
        }
        return bytes;
    }

    static void requireMediaType(ServerRequest req, String expected) {
        single(req, HeaderNames.CONTENT_TYPE);
        String type = req.headers().contentType().map(t -> t.mediaType().text()).orElse("").toLowerCase(Locale.ROOT);
        if (!type.equals(expected)) {
            throw new ProblemException(Problem.unsupportedMediaType(expected));
        }
        req.headers().contentType().flatMap(t -> t.charset()).ifPresent(charset -> {
            if (!charset.equalsIgnoreCase("utf-8")) {
                throw new ProblemException(Problem.unsupportedMediaType(expected + " in UTF-8"));
            }
        });
    }

    /** A JSON object with only the {@code allowed} members (400 naming any other). */
    static JsonObject jsonObject(ServerRequest req, Set<String> allowed) {
        requireMediaType(req, "application/json");
        byte[] body = body(req);
        String text = utf8(body, "body");
        if (!(StrictJson.parse(text) instanceof JsonObject object)) {
            throw new ProblemException(Problem.invalid("body", "must be a JSON object"));
        }
        for (String member : object.keySet()) {
            if (!allowed.contains(member)) {
                throw new ProblemException(Problem.invalid(member, "is not a known field"));
            }
        }
        return object;
    }

    static String utf8(byte[] bytes, String field) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new ProblemException(Problem.invalid(field, "is not valid UTF-8"));
        }
    }

    static String string(JsonObject body, String field) {
        if (!(body.get(field) instanceof JsonString text)) {
            throw new ProblemException(Problem.invalid(field, "is required and must be a string"));
        }
        return text.getString();
    }

    static String name(String name) {
        return name("name", name);
    }

    /** A secret name carried in {@code field} (a path segment, a cursor). */
    static String name(String field, String name) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new ProblemException(Problem.invalid(field, "must be a secret name (^[A-Z][A-Z0-9_]{0,127}$)"));
        }
        return name;
    }

    static String value(JsonObject body) {
        String value = string(body, "value");
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > MAX_VALUE_BYTES) {
            throw new ProblemException(Problem.tooLarge("the value is " + bytes + " bytes", MAX_VALUE_BYTES));
        }
        return value;
    }

    /** The client's Idempotency-Key (1..128 visible ASCII), if it sent one. */
    static Optional<String> idempotencyKey(ServerRequest req) {
        Optional<String> key = single(req, IDEMPOTENCY_KEY);
        if (key.isPresent()) {
            String text = key.get();
            if (text.isEmpty() || text.length() > 128 || !text.chars().allMatch(c -> c >= 0x21 && c <= 0x7E)) {
                throw new ProblemException(Problem.invalid("Idempotency-Key", "must be 1..128 visible ASCII characters"));
            }
        }
        return key;
    }

    /**
     * Who this request acts for, for the custody timeline: the caller's token, and a request id that is the same
     * for every node the gateway tries — derived from the client's Idempotency-Key when it sent one, so that a
     * retry is recognised as the same request; random otherwise. {@code expansionFirst}: see {@link ReleaseGrant.Audit}.
     */
    static ReleaseGrant.Audit audit(ServerRequest req, Principal principal, String expansionFirst) {
        byte[] request = new byte[ReleaseGrant.Audit.REQUEST_BYTES];
        Optional<String> key = idempotencyKey(req);
        if (key.isPresent()) {
            byte[] digest = Tokens.sha256("shardvault-request\0" + principal.namespace() + "\0" + key.get());
            System.arraycopy(digest, 0, request, 0, request.length);
        } else {
            java.util.concurrent.ThreadLocalRandom.current().nextBytes(request);
        }
        return new ReleaseGrant.Audit(request, principal.tokenId(), principal.label(), principal.actorClass(), expansionFirst);
    }

    static ReleaseGrant.Audit audit(ServerRequest req, Principal principal) {
        return audit(req, principal, "");
    }

    /**
     * A header that must come at most once (its first value otherwise). Two {@code Authorization} or
     * {@code Idempotency-Key} lines mean one thing to one reader and another to the next (which one wins is up to
     * each proxy and framework), so a repeat is a 400, never a silent choice.
     */
    static Optional<String> single(ServerRequest req, HeaderName name) {
        if (!req.headers().contains(name)) {
            return Optional.empty();
        }
        java.util.List<String> values = req.headers().get(name).allValues();
        if (values.size() > 1) {
            throw new ProblemException(Problem.invalid(name.defaultCase(), "must be sent at most once"));
        }
        return Optional.of(values.getFirst());
    }

    static long positive(String field, String text) {
        try {
            long value = Long.parseLong(text);
            if (value >= 1) {
                return value;
            }
        } catch (NumberFormatException e) {
            // below
        }
        throw new ProblemException(Problem.invalid(field, "must be a positive integer"));
    }
}
