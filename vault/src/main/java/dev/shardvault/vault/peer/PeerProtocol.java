package dev.shardvault.vault.peer;

import java.util.List;

/**
 * What the codes of a peer frame mean ({@link FrameChannel} carries them). A request's code is its route;
 * an answer's code says how the request went, and its body is the {@link dev.shardvault.vault.protocol.WireCodec}
 * reply when it went well, else a UTF-8 reason.
 */
final class PeerProtocol {

    /** Request codes: the index of the route in this list. */
    static final List<String> ROUTES = List.of("/prepare", "/decide", "/txn-status", "/read", "/history", "/list",
                                               "/repair", "/tombstone", "/changes");

    static final int OK = 0;
    /** The request could not be decoded (or named no route); the connection stays usable. */
    static final int MALFORMED = 1;
    /** The node could not act (its log failed: it is stopping). */
    static final int UNAVAILABLE = 2;
    /** The node failed unexpectedly while acting; the reason is in its log. */
    static final int FAILED = 3;

    private PeerProtocol() {
    }

    static int code(String route) {
        int code = ROUTES.indexOf(route);
        if (code < 0) {
            throw new IllegalArgumentException("no peer route " + route);
        }
        return code;
    }
}
