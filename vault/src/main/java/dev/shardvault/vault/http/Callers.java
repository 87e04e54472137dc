package dev.shardvault.vault.http;

import dev.shardvault.tls.Identity;
import io.helidon.http.Status;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.Optional;
import java.util.Set;

/**
 * Who may call a socket, checked on every request before routing: the caller's identity is the URI SAN of
 * the client certificate its TLS handshake verified against the cluster CA (a connection without one never
 * got this far). An identity outside {@code allowed} gets 403 and nothing is read or changed; an allowed one
 * is put into the request context for the handlers ({@code req.context().get(Identity.class)}).
 */
public final class Callers implements Filter {

    private static final System.Logger LOG = System.getLogger(Callers.class.getName());

    private final String socket;
    private final Set<Identity> allowed;

    public Callers(String socket, Set<Identity> allowed) {
        this.socket = socket;
        this.allowed = Set.copyOf(allowed);
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        Optional<Identity> caller = Identity.of(req.remotePeer());
        if (caller.isPresent() && allowed.contains(caller.get())) {
            req.context().register(caller.get());
            chain.proceed();
            return;
        }
        String who = caller.map(Identity::toString).orElse("a certificate with no cluster identity");
        LOG.log(System.Logger.Level.WARNING, "refused " + who + " from " + req.remotePeer().host() + " on the " + socket + " socket");
        res.header(io.helidon.http.HeaderValues.CONNECTION_CLOSE);
        Problems.send(res, Status.FORBIDDEN_403, Problems.FORBIDDEN, "Forbidden",
                      "the " + socket + " socket does not answer " + who);
    }
}
