package dev.shardvault.vault;

import dev.shardvault.tls.Identity;
import dev.shardvault.tls.ReleaseGrant;
import dev.shardvault.tls.ReleaseKeys;
import dev.shardvault.tls.TestTls;
import io.helidon.http.HeaderNames;
import io.helidon.http.HeaderValues;
import io.helidon.webclient.api.HttpClientResponse;
import io.helidon.webclient.api.WebClient;
import java.net.URI;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.stream.IntStream;

/**
 * What the gateway does for share release, for tests that stand in for it: one set of release keys for the
 * test JVM, registered with a node as the gateway's probes would, and authorizations issued under them.
 */
public final class TestGrants {

    public static final ReleaseKeys.GatewayKeys KEYS = ReleaseKeys.generate(IntStream.rangeClosed(1, TestTls.NODES).boxed().toList());
    private static final SecureRandom RANDOM = new SecureRandom();

    private TestGrants() {
    }

    /** Registers node {@code node}'s key at its gateway-facing address, as the gateway's probe does. */
    public static void register(URI gatewayFacing, int node) {
        String body = "{\"keyId\":\"" + KEYS.keyId() + "\",\"key\":\"" + Base64.getEncoder().encodeToString(KEYS.perNode().get(node)) + "\"}";
        WebClient client = WebClient.builder().baseUri(gatewayFacing).tls(TestTls.client(Identity.gateway()))
                .readTimeout(Duration.ofSeconds(10)).build();
        try (HttpClientResponse response = client.post("/internal/v1/release-keys")
                .header(HeaderValues.create(HeaderNames.CONTENT_TYPE, "application/json")).submit(body)) {
            if (response.status().code() != 200) {
                throw new IllegalStateException("node " + node + " refused the release key: " + response.status());
            }
        } finally {
            client.closeResource();
        }
    }

    /** The token id test clients act as in the custody timeline. */
    public static final String TOKEN = "tok_tests";

    /** An audit part for a new request of {@code token}. */
    public static ReleaseGrant.Audit audit(String token, String label, String expansionFirst) {
        byte[] request = new byte[ReleaseGrant.Audit.REQUEST_BYTES];
        RANDOM.nextBytes(request);
        return new ReleaseGrant.Audit(request, token, label, "machine", expansionFirst);
    }

    /** An authorization issued now for {@code coordinator}. */
    public static ReleaseGrant grant(ReleaseGrant.Kind kind, int coordinator, String namespace, List<String> names,
                                     long requestTimeMillis) {
        return grant(kind, coordinator, namespace, names, requestTimeMillis, System.currentTimeMillis());
    }

    public static ReleaseGrant grant(ReleaseGrant.Kind kind, int coordinator, String namespace, List<String> names,
                                     long requestTimeMillis, long issuedAtMillis) {
        byte[] nonce = new byte[16];
        RANDOM.nextBytes(nonce);
        return ReleaseGrant.issue(KEYS.keyId(), KEYS.perNode(), kind, coordinator, namespace, names, requestTimeMillis,
                                  issuedAtMillis, nonce, audit(TOKEN, "tests", ""));
    }

    /** A read authorization for {@code coordinator} of secret {@code namespace/name}, as bytes for a peer request. */
    public static byte[] read(int coordinator, String namespace, String name) {
        return grant(ReleaseGrant.Kind.READ, coordinator, namespace, List.of(name), System.currentTimeMillis()).encoded();
    }
}
