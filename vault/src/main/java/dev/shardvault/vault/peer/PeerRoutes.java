package dev.shardvault.vault.peer;

import java.util.List;

/** The peer API's routes (docs/internal-api.md): each a POST of a {@link dev.shardvault.vault.protocol.WireCodec} body. */
final class PeerRoutes {

    static final String BASE = "/peer/v1";
    static final List<String> ROUTES = List.of("/prepare", "/decide", "/txn-status", "/read", "/history", "/list",
                                               "/repair", "/tombstone", "/changes");
    static final String OCTET_STREAM = "application/octet-stream";

    private PeerRoutes() {
    }
}
