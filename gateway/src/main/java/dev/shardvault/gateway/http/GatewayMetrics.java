package dev.shardvault.gateway.http;

import dev.shardvault.gateway.forward.VaultNodes.Answer;
import io.helidon.metrics.api.Counter;
import io.helidon.metrics.api.MeterRegistry;
import io.helidon.metrics.api.Metrics;
import io.helidon.metrics.api.Tag;
import io.helidon.metrics.api.Timer;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Prometheus meters at {@code /observe/metrics}: requests by route, method and status, their latency, and
 * write outcomes by two-phase-commit phase.
 */
final class GatewayMetrics {

    private static final Pattern SECRET_PATH = Pattern.compile("^/v1/secrets/[^/]+");

    private final MeterRegistry registry = Metrics.globalRegistry();
    // Meters are looked up once per label set: building one consults the metrics service registry.
    private final java.util.concurrent.ConcurrentHashMap<String, Counter> counters = new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.ConcurrentHashMap<String, Timer> timers = new java.util.concurrent.ConcurrentHashMap<>();

    void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        long started = System.nanoTime();
        String route = route(req.path().absolute().path());
        try {
            chain.proceed();
        } finally {
            String method = req.prologue().method().text();
            String status = Integer.toString(res.status().code());
            counters.computeIfAbsent(route + " " + method + " " + status, key -> registry.getOrCreate(
                    Counter.builder("shardvault.gateway.requests").tags(List.of(Tag.create("route", route),
                            Tag.create("method", method), Tag.create("status", status))))).increment();
            timers.computeIfAbsent(route + " " + method, key -> registry.getOrCreate(
                    Timer.builder("shardvault.gateway.request.latency").tags(List.of(Tag.create("route", route),
                            Tag.create("method", method))))).record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
        }
    }

    /** Counts a forwarded write by outcome: committed, failed in voting, or unconfirmed in writing. */
    void write(Answer answer) {
        String outcome = answer.status() < 300 ? "committed"
                : answer.body().getString("phase", "").equals("writing") ? "writing-unconfirmed"
                : answer.body().getString("phase", "").equals("voting") ? "voting-failed" : "rejected";
        counters.computeIfAbsent("writes " + outcome, key -> registry.getOrCreate(
                Counter.builder("shardvault.gateway.writes").tags(List.of(Tag.create("outcome", outcome))))).increment();
    }

    private static final java.util.Set<String> ROUTES = java.util.Set.of(
            "/v1/secrets", "/v1/secrets/{name}", "/v1/secrets/{name}/versions", "/v1/env", "/v1/status");

    /** A bounded label: one of the API's routes, "/observe", or "other" (a client cannot mint labels). */
    private static String route(String path) {
        if (path.startsWith("/observe")) {
            return "/observe";
        }
        String normalized = SECRET_PATH.matcher(path.endsWith("/") ? path.substring(0, path.length() - 1) : path)
                .replaceFirst("/v1/secrets/{name}");
        return ROUTES.contains(normalized) ? normalized : "other";
    }
}
