package dev.shardvault.tls;

import io.helidon.common.socket.PeerInfo;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * A process of the cluster as its certificate names it: the one URI SAN under {@link #TRUST_DOMAIN}. The
 * gateway is {@code spiffe://shardvault/gateway}, vault node i is {@code spiffe://shardvault/node/i}.
 */
public record Identity(String uri) {

    public static final String TRUST_DOMAIN = "spiffe://shardvault/";
    /** The SAN type number of a URI in {@link X509Certificate#getSubjectAlternativeNames()}. */
    private static final int SAN_URI = 6;

    public Identity {
        if (!uri.startsWith(TRUST_DOMAIN) || uri.length() == TRUST_DOMAIN.length()) {
            throw new IllegalArgumentException("not a cluster identity: " + uri);
        }
    }

    public static Identity gateway() {
        return new Identity(TRUST_DOMAIN + "gateway");
    }

    public static Identity node(int id) {
        if (id < 1) {
            throw new IllegalArgumentException("node ids start at 1, got " + id);
        }
        return new Identity(TRUST_DOMAIN + "node/" + id);
    }

    /** The DNS names of cluster identities end in this: {@link #hostName()}. */
    public static final String HOST_SUFFIX = ".shardvault.internal";

    /**
     * The DNS SAN that only this identity's certificate carries, {@code node-3.shardvault.internal}: what a
     * client that expects this identity verifies the server's certificate against ({@link ServerIdentity}).
     */
    public String hostName() {
        return fileStem() + HOST_SUFFIX;
    }

    /** The file stem of this identity's key material under a TLS directory: {@code gateway}, {@code node-3}. */
    public String fileStem() {
        return uri.substring(TRUST_DOMAIN.length()).replace('/', '-');
    }

    /**
     * The identity the peer of a TLS connection presented: its leaf certificate's single URI SAN in the trust
     * domain. Empty for a plaintext connection, no certificate, no such SAN, or more than one (ambiguous).
     */
    public static Optional<Identity> of(PeerInfo peer) {
        Optional<Certificate[]> chain;
        try {
            chain = peer.tlsCertificates();
        } catch (RuntimeException e) {
            return Optional.empty(); // the session has no verified peer
        }
        if (chain.isEmpty() || chain.get().length == 0 || !(chain.get()[0] instanceof X509Certificate leaf)) {
            return Optional.empty();
        }
        return of(leaf);
    }

    /** The single URI SAN in the trust domain of {@code certificate}, if it has exactly one. */
    public static Optional<Identity> of(X509Certificate certificate) {
        Collection<List<?>> names;
        try {
            names = certificate.getSubjectAlternativeNames();
        } catch (CertificateParsingException e) {
            return Optional.empty();
        }
        if (names == null) {
            return Optional.empty();
        }
        List<String> inDomain = names.stream()
                .filter(name -> name.size() == 2 && Integer.valueOf(SAN_URI).equals(name.get(0)) && name.get(1) instanceof String)
                .map(name -> (String) name.get(1))
                .filter(uri -> uri.startsWith(TRUST_DOMAIN) && uri.length() > TRUST_DOMAIN.length())
                .toList();
        return inDomain.size() == 1 ? Optional.of(new Identity(inDomain.get(0))) : Optional.empty();
    }

    @Override
    public String toString() {
        return uri;
    }
}
