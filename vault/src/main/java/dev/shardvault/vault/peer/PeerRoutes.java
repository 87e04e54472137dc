package dev.shardvault.vault.peer;

import java.util.List;

/**
 * The peer API's routes (docs/internal-api.md): each a POST of a {@link dev.shardvault.vault.protocol.WireCodec}
 * body. {@link #BATCH} carries several calls at once: each names its route by its index in {@link #ROUTES}, and
 * each answer comes back with one of the outcome codes below.
 */
final class PeerRoutes {

    static final String BASE = "/peer/v1";
    static final List<String> ROUTES = List.of("/prepare", "/decide", "/txn-status", "/read", "/history", "/list",
                                               "/repair", "/tombstone", "/changes", "/ship-events", "/events",
                                               "/catalogue", "/recover-split", "/recover-piece", "/recover-sum");
    static final String BATCH = "/batch";
    static final String OCTET_STREAM = "application/octet-stream";

    /** Outcome codes of a call in a batch, matching the single routes' 200, 400, 503 and 500. */
    static final int OK = 0;
    static final int MALFORMED = 1;
    static final int UNAVAILABLE = 2;
    static final int FAILED = 3;
    /** A share or repair request without a valid gateway authorization for it (403 on its own route). */
    static final int REFUSED = 4;

    private PeerRoutes() {
    }

    static int code(String route) {
        int code = ROUTES.indexOf(route);
        if (code < 0) {
            throw new IllegalArgumentException("no peer route " + route);
        }
        return code;
    }

    static String describe(int outcome) {
        return switch (outcome) {
            case OK -> "ok";
            case MALFORMED -> "malformed";
            case UNAVAILABLE -> "unavailable";
            case FAILED -> "failed";
            case REFUSED -> "refused";
            default -> "outcome " + outcome;
        };
    }
}
