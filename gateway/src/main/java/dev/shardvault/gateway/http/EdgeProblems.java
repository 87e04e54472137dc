package dev.shardvault.gateway.http;

import dev.shardvault.gateway.problem.Problem;
import io.helidon.http.DirectHandler;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.ServerResponseHeaders;
import io.helidon.http.Status;
import io.helidon.webserver.http.DirectHandlers;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Problem documents for what Helidon answers before routing — a request line or headers over its limits, framing
 * it refuses ({@code Content-Length} with {@code Transfer-Encoding}, a bad chunk), a request that is not HTTP/1.1,
 * too many concurrent requests, an error that escaped routing. Without this they are empty-bodied.
 *
 * <p>Helidon's message is shown only when it is plain prose (letters, spaces, a few punctuation marks): its
 * messages can quote the request ("Invalid Host header: ..."), and nothing a client sent is echoed back or
 * logged from here.
 */
public final class EdgeProblems implements DirectHandler {

    private static final Pattern PROSE = Pattern.compile("[A-Za-z][A-Za-z ,.'-]{0,200}");

    private EdgeProblems() {
    }

    /** Every event type answered by this handler. */
    public static DirectHandlers handlers() {
        DirectHandlers.Builder builder = DirectHandlers.builder();
        EdgeProblems handler = new EdgeProblems();
        for (EventType type : EventType.values()) {
            builder.addHandler(type, handler);
        }
        return builder.build();
    }

    @Override
    public TransportResponse handle(TransportRequest request, EventType eventType, Status defaultStatus,
                                    ServerResponseHeaders responseHeaders, String message) {
        Problem problem = problem(defaultStatus.code(), message);
        responseHeaders.set(HeaderValues.create(HeaderNames.CONTENT_TYPE, Problem.CONTENT_TYPE));
        return TransportResponse.builder()
                .status(Status.create(problem.status()))
                .headers(responseHeaders)
                .entity(problem.toJson().toString().getBytes(StandardCharsets.UTF_8))
                .keepAlive(eventType.keepAlive())
                .build();
    }

    static Problem problem(int status, String message) {
        boolean prose = message != null && PROSE.matcher(message).matches();
        if (status == 400 && "Header size exceeded".equals(message)) {
            return Problem.of(431, "headers-too-large", "Request header fields too large",
                              "the request's headers are over the gateway's limit");
        }
        return switch (status) {
            case 400 -> Problem.of(400, "invalid-request", "Invalid request",
                                   prose ? "the request is not valid HTTP/1.1: " + message : "the request is not valid HTTP/1.1");
            case 413 -> Problem.tooLarge("the body is over " + Requests.MAX_BODY_BYTES + " bytes", Requests.MAX_BODY_BYTES);
            case 414 -> Problem.of(414, "uri-too-long", "URI too long", "the request line is over the gateway's limit");
            case 501 -> Problem.of(501, "not-implemented", "Not implemented", prose ? message : "not supported by the gateway");
            case 503 -> Problem.of(503, "unavailable", "Service unavailable", "the gateway is at its limit of concurrent requests");
            case 505 -> Problem.of(505, "http-version-not-supported", "HTTP version not supported", "use HTTP/1.1");
            default -> status < 500
                    ? Problem.of(status, "invalid-request", "Invalid request", prose ? message : "the request was refused")
                    : Problem.of(500, "internal-error", "Internal error", "the gateway failed to answer; the error is in its log");
        };
    }
}
