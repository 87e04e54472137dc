package dev.shardvault.log;

/**
 * The kinds of record a vault node writes. Codes are part of the on-disk format: never reuse or renumber
 * one; add new kinds with new codes (at most 127).
 */
public enum RecordType {
    /** A participant's vote material: its own share(s) of one two-phase-commit transaction. */
    PREPARE(1),
    /** A decision to commit a prepared transaction (the coordinator's copy is the commit point). */
    COMMIT(2),
    /** A decision to abort a prepared transaction. */
    ABORT(3),
    /** A tombstone: the secret is deleted and every share of it on this node is to be erased. */
    DELETE(4),
    /** A share of an existing version restored by read repair. */
    REPAIR(5),
    /** A custody event: who did what to a secret, when (no value, no share). */
    EVENT(6);

    private static final RecordType[] BY_CODE = new RecordType[128];

    static {
        for (RecordType type : values()) {
            BY_CODE[type.code] = type;
        }
    }

    private final byte code;

    RecordType(int code) {
        this.code = (byte) code;
    }

    /** The byte stored in the frame. */
    public byte code() {
        return code;
    }

    /** The type for a stored code, or {@code null} if the code is unknown to this version. */
    static RecordType ofCode(byte code) {
        return code > 0 ? BY_CODE[code] : null;
    }
}
