package dev.shardvault.tls;

import io.helidon.webclient.api.ConnectedSocketChannelInfo;
import io.helidon.webclient.api.ConnectedSocketInfo;
import io.helidon.webclient.api.ConnectionListener;
import java.io.IOException;
import java.time.Duration;

/**
 * Bounds a Helidon client's TLS handshake. Helidon 4.5's client applies its read timeout to a connection only
 * after the handshake ({@code TcpClientConnection.connect} then {@code Http1CallChainBase}), so a server that
 * accepts the TCP connection and never answers the handshake (a stopped process whose kernel still accepts, a
 * black hole) would hold the caller's thread until the operating system gives up on the connection. Set as the
 * client's {@code connectionListener}, this puts the read timeout on the socket as soon as it is connected,
 * before the handshake starts; Helidon sets the request's own timeout again once it sends.
 */
public final class HandshakeTimeout implements ConnectionListener {

    private final int timeoutMillis;

    public HandshakeTimeout(Duration timeout) {
        this.timeoutMillis = Math.toIntExact(Math.max(1, timeout.toMillis()));
    }

    @Override
    public void socketConnected(ConnectedSocketInfo socketInfo) throws IOException {
        socketInfo.socket().setSoTimeout(timeoutMillis);
    }

    @Override
    public void socketChannelConnected(ConnectedSocketChannelInfo socketInfo) {
        // Helidon's TLS client connections are sockets, not channels: nothing to bound here
    }
}
