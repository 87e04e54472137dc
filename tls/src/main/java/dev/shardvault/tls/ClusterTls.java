package dev.shardvault.tls;

import io.helidon.common.tls.Tls;
import io.helidon.common.tls.TlsClientAuth;
import io.helidon.common.tls.TlsConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * Helidon {@link Tls} for the cluster's sockets and clients, built from {@link TlsMaterial}: TLS 1.3 only, the
 * process's own key and chain, and the cluster CA as the only trust anchor (never the JDK's default CAs).
 */
public final class ClusterTls {

    /** TLS 1.3 only: no renegotiation, no static RSA, forward secrecy on every connection. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3");

    private ClusterTls() {
    }

    /**
     * A server socket's TLS. With {@code clientAuth} {@link TlsClientAuth#REQUIRED} (every vault node socket) a
     * connection without a certificate chaining to the cluster CA fails its handshake and never reaches HTTP.
     */
    public static Tls server(TlsMaterial material, TlsClientAuth clientAuth) throws InvalidTlsMaterialException {
        return Tls.create(keysAndTrust(material).clientAuth(clientAuth).buildPrototype());
    }

    /** A client's TLS: presents this process's certificate, trusts only the cluster CA, checks the server's host name. */
    public static Tls client(TlsMaterial material) throws InvalidTlsMaterialException {
        return Tls.create(keysAndTrust(material).endpointIdentificationAlgorithm(Tls.ENDPOINT_IDENTIFICATION_HTTPS)
                                  .buildPrototype());
    }

    private static TlsConfig.Builder keysAndTrust(TlsMaterial material) throws InvalidTlsMaterialException {
        KeyEntry key = keyEntry(material);
        return TlsConfig.builder()
                .enabledProtocols(PROTOCOLS)
                .privateKey(key.privateKey())
                .privateKeyCertChain(key.chain())
                .trust(caCertificates(material));
    }

    private record KeyEntry(PrivateKey privateKey, List<X509Certificate> chain) {
    }

    private static KeyEntry keyEntry(TlsMaterial material) throws InvalidTlsMaterialException {
        char[] password = password(material);
        try (InputStream in = Files.newInputStream(material.keystore())) {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(in, password);
            List<String> keys = new ArrayList<>();
            for (String alias : Collections.list(store.aliases())) {
                if (store.isKeyEntry(alias)) {
                    keys.add(alias);
                }
            }
            if (keys.size() != 1) {
                throw new InvalidTlsMaterialException(material.keystore() + " must hold exactly one private key, it holds " + keys.size());
            }
            if (!(store.getKey(keys.get(0), password) instanceof PrivateKey privateKey)) {
                throw new InvalidTlsMaterialException(material.keystore() + ": entry '" + keys.get(0) + "' is not a private key");
            }
            Certificate[] chain = store.getCertificateChain(keys.get(0));
            if (chain == null || chain.length == 0) {
                throw new InvalidTlsMaterialException(material.keystore() + ": the key has no certificate chain");
            }
            List<X509Certificate> x509 = new ArrayList<>();
            for (Certificate certificate : chain) {
                x509.add((X509Certificate) certificate);
            }
            if (Identity.of(x509.get(0)).isEmpty()) {
                throw new InvalidTlsMaterialException(material.keystore() + ": the certificate names no single "
                                                      + Identity.TRUST_DOMAIN + "... URI SAN");
            }
            return new KeyEntry(privateKey, x509);
        } catch (IOException | GeneralSecurityException | ClassCastException e) {
            // The message of a wrong password is "keystore password was incorrect"; it never holds the password.
            throw new InvalidTlsMaterialException("cannot read " + material.keystore() + " with the password in "
                                                  + material.passwordFile() + ": " + e.getMessage(), e);
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private static char[] password(TlsMaterial material) throws InvalidTlsMaterialException {
        try {
            String text = Files.readString(material.passwordFile(), StandardCharsets.UTF_8);
            return text.strip().toCharArray();
        } catch (IOException e) {
            throw new InvalidTlsMaterialException("cannot read the keystore password file " + material.passwordFile() + ": " + e, e);
        }
    }

    private static List<X509Certificate> caCertificates(TlsMaterial material) throws InvalidTlsMaterialException {
        try (InputStream in = Files.newInputStream(material.caPem())) {
            List<X509Certificate> certificates = new ArrayList<>();
            for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                certificates.add((X509Certificate) certificate);
            }
            if (certificates.isEmpty()) {
                throw new InvalidTlsMaterialException(material.caPem() + " holds no certificate");
            }
            return certificates;
        } catch (IOException | GeneralSecurityException e) {
            throw new InvalidTlsMaterialException("cannot read the cluster CA from " + material.caPem() + ": " + e.getMessage(), e);
        }
    }
}
