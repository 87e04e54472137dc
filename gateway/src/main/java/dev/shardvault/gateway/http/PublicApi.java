package dev.shardvault.gateway.http;

import dev.shardvault.gateway.GatewayConfig;
import dev.shardvault.gateway.auth.TokenSync;
import dev.shardvault.gateway.forward.VaultNodes;
import dev.shardvault.gateway.problem.Problem;
import dev.shardvault.gateway.problem.ProblemException;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.http.RequestException;
import io.helidon.webserver.http.HttpRouting;
import java.util.function.Consumer;

/**
 * Assembles the public routes, their metrics filter and the one place errors become problems. The services are
 * built once and registered on every socket the gateway serves (HTTPS and plain HTTP alike).
 */
public final class PublicApi {

    private PublicApi() {
    }

    /** What to register on each socket's routing. */
    public static Consumer<HttpRouting.Builder> routes(GatewayConfig config, VaultNodes vault, TokenSync sync) {
        Requests requests = new Requests(config.tokens());
        GatewayMetrics metrics = new GatewayMetrics();
        SecretsService secrets = new SecretsService(requests, vault, metrics);
        EnvService env = new EnvService(requests, vault, metrics);
        StatusService status = new StatusService(requests, vault, config);
        TokensService tokens = new TokensService(requests, config.tokens(), sync);
        long bodyTimeout = config.bodyTimeoutMillis();
        return routing -> register(routing, bodyTimeout, metrics, secrets, env, status, tokens);
    }

    private static void register(HttpRouting.Builder routing, long bodyTimeoutMillis, GatewayMetrics metrics,
                                 SecretsService secrets, EnvService env,
                                 StatusService statusApi, TokensService tokens) {
        routing.addFilter(metrics::filter)
               .addFilter(PublicPaths::checkQuery)
               .addFilter((chain, req, res) -> BodyDeadline.filter(bodyTimeoutMillis, chain, req, res))
               .register("/v1/secrets", secrets)
               .register("/v1/env", env)
               .register("/v1/status", statusApi)
               .register("/v1/tokens", tokens)
               .error(ProblemException.class, (req, res, e) -> {
                   Problem problem = e.problem();
                   if (problem.status() == 401) {
                       res.header(HeaderValues.create(HeaderNames.WWW_AUTHENTICATE, "Bearer"));
                   }
                   problem.send(res);
               })
               .error(io.helidon.http.NotFoundException.class, (req, res, e) -> PublicPaths.answerUnrouted(req, res))
               .error(RequestException.class, (req, res, e) -> {
                   int status = e.status().code();
                   Problem problem = status == 413
                           ? Problem.tooLarge("the body is over " + Requests.MAX_BODY_BYTES + " bytes", Requests.MAX_BODY_BYTES)
                           : Problem.of(status < 500 ? status : 400, "invalid-request", "Invalid request",
                                        "the request could not be read");
                   problem.send(res);
               });
    }
}
