package dev.shardvault.gateway.http;

import dev.shardvault.gateway.problem.Problem;
import dev.shardvault.gateway.problem.ProblemException;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The public paths of {@link PublicApi} as one table (held to {@code docs/openapi.yaml} by a test): which methods
 * each serves and which query parameters each method takes. It answers what no route serves — {@code 405} with
 * {@code Allow} when only the method is wrong, {@code 404 not-found} otherwise — and refuses a query parameter the
 * operation does not take before anything runs: {@code DELETE /v1/secrets/X?version=2} deletes the whole secret,
 * so it must not be accepted as if it meant one version.
 */
final class PublicPaths {

    private record Path(Pattern pattern, String template, String allow, Map<String, Set<String>> query) {

        Set<String> query(String method) {
            return query.getOrDefault(method, Set.of());
        }
    }

    private static final Set<String> PAGE = Set.of("after", "limit");

    private static final List<Path> PATHS = List.of(
            path("/v1/secrets/?", "/v1/secrets", "GET, POST", Map.of("GET", PAGE)),
            path("/v1/secrets/[^/]+/?", "/v1/secrets/{name}", "GET, PUT, DELETE", Map.of("GET", Set.of("version", "at"))),
            path("/v1/secrets/[^/]+/versions/?", "/v1/secrets/{name}/versions", "GET", Map.of()),
            path("/v1/secrets/[^/]+/timeline/?", "/v1/secrets/{name}/timeline", "GET", Map.of("GET", PAGE)),
            path("/v1/secrets/[^/]+/exposure/?", "/v1/secrets/{name}/exposure", "POST", Map.of()),
            path("/v1/env/?", "/v1/env", "POST", Map.of()),
            path("/v1/status/?", "/v1/status", "GET", Map.of()),
            path("/v1/tokens/?", "/v1/tokens", "GET, POST", Map.of()),
            path("/v1/tokens/[^/]+/?", "/v1/tokens/{id}", "DELETE", Map.of()));

    private static Path path(String regex, String template, String allow, Map<String, Set<String>> query) {
        return new Path(Pattern.compile(regex), template, allow, query);
    }

    private PublicPaths() {
    }

    private static Path find(ServerRequest req) {
        String path = req.path().rawPath();
        for (Path known : PATHS) {
            if (known.pattern().matcher(path).matches()) {
                return known;
            }
        }
        return null;
    }

    /** Filter: a query parameter the operation does not take is a 400 naming it. */
    static void checkQuery(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        Path known = find(req);
        if (known != null) {
            String method = req.prologue().method().text();
            Set<String> taken = known.query(method);
            for (String parameter : req.query().names()) {
                if (!taken.contains(parameter)) {
                    throw new ProblemException(Problem.invalid(
                            parameter, "is not a query parameter of " + method + " " + known.template()
                                    + (taken.isEmpty() ? " (it takes none)" : " (it takes " + String.join(", ", sorted(taken)) + ")")));
                }
            }
        }
        chain.proceed();
    }

    private static List<String> sorted(Set<String> names) {
        return names.stream().sorted().toList();
    }

    /** Error handler for a routing miss. */
    static void answerUnrouted(ServerRequest req, ServerResponse res) {
        Path known = find(req);
        if (known != null) {
            res.header(HeaderValues.create(HeaderNames.ALLOW, known.allow()));
            Problem.of(405, "method-not-allowed", "Method not allowed",
                       req.prologue().method().text() + " is not served here; this path serves " + known.allow())
                    .send(res);
            return;
        }
        Problem.of(404, "not-found", "Not found", "no resource is served at this path; the API is under /v1/").send(res);
    }
}
