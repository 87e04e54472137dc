package dev.shardvault.tls;

import io.helidon.webclient.api.DnsAddressLookup;
import io.helidon.webclient.spi.DnsResolver;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;

/**
 * Makes a TLS client accept only the server identity it means to reach. Every certificate of the cluster CA
 * passes the trust check, and every one of them names {@code 127.0.0.1}, so checking the address alone would let
 * any process holding any cluster key (a stolen node key) answer in another node's place and be sent that
 * node's shares. So a client addresses the server by the identity's own DNS name ({@link Identity#hostName()},
 * which only that certificate carries) and resolves that name itself to the configured host: the JDK's HTTPS
 * endpoint identification then refuses any other certificate during the handshake.
 *
 * @param expected   who must answer
 * @param configured where it is configured to listen ({@code https://host:port})
 */
public record ServerIdentity(Identity expected, URI configured) implements DnsResolver {

    /** {@code https://<identity's DNS name>:<port>}: the base URI to give the client. */
    public URI uri() {
        return URI.create("https://" + expected.hostName() + ":" + configured.getPort());
    }

    @Override
    public InetAddress resolveAddress(String hostname, DnsAddressLookup lookup) {
        if (!hostname.equals(expected.hostName())) {
            throw new IllegalArgumentException("this client only reaches " + expected.hostName() + ", not " + hostname);
        }
        try {
            InetAddress address = InetAddress.getByName(configured.getHost());
            // Named, so that the TLS layer verifies the certificate against the identity's name, not the address.
            return InetAddress.getByAddress(expected.hostName(), address.getAddress());
        } catch (UnknownHostException e) {
            throw new IllegalStateException("cannot resolve " + configured.getHost() + " for " + expected + ": " + e.getMessage(), e);
        }
    }
}
