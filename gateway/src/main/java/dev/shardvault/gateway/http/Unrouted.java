package dev.shardvault.gateway.http;

import dev.shardvault.gateway.problem.Problem;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What a request no route serves gets: {@code 405} with {@code Allow} when the path is one of ours and only the
 * method is wrong, {@code 404 not-found} otherwise — problem documents, like every other error. The table is the
 * public routes of {@link PublicApi} (and {@code docs/openapi.yaml}, which a test holds it to).
 */
final class Unrouted {

    private record Path(Pattern pattern, String allow) {
    }

    private static final List<Path> PATHS = List.of(
            path("/v1/secrets/?", "GET, POST"),
            path("/v1/secrets/[^/]+/?", "GET, PUT, DELETE"),
            path("/v1/secrets/[^/]+/versions/?", "GET"),
            path("/v1/secrets/[^/]+/timeline/?", "GET"),
            path("/v1/secrets/[^/]+/exposure/?", "POST"),
            path("/v1/env/?", "POST"),
            path("/v1/status/?", "GET"),
            path("/v1/tokens/?", "GET, POST"),
            path("/v1/tokens/[^/]+/?", "DELETE"));

    private static Path path(String regex, String allow) {
        return new Path(Pattern.compile(regex), allow);
    }

    private Unrouted() {
    }

    static void answer(ServerRequest req, ServerResponse res) {
        String path = req.path().rawPath();
        for (Path known : PATHS) {
            if (known.pattern().matcher(path).matches()) {
                res.header(HeaderValues.create(HeaderNames.ALLOW, known.allow()));
                Problem.of(405, "method-not-allowed", "Method not allowed",
                           req.prologue().method().text() + " is not served here; this path serves " + known.allow())
                        .send(res);
                return;
            }
        }
        Problem.of(404, "not-found", "Not found", "no resource is served at this path; the API is under /v1/").send(res);
    }
}
