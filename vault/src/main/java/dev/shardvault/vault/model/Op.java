package dev.shardvault.vault.model;

import java.util.Arrays;

/**
 * One operation of a transaction as a participant sees it: only that participant's share travels with it.
 */
public sealed interface Op {

    SecretId id();

    /** Delete the secret: every version of its current incarnation. Carries no share. */
    record Remove(SecretId id) implements Op {
    }

    /** Create (the secret must not exist) or update (it must exist, at {@code expectedVersion} if >= 0). */
    record Put(SecretId id, Kind kind, long expectedVersion, byte[] share) implements Op {

        public enum Kind { CREATE, UPDATE }

        public Put {
            share = share.clone();
        }

        @Override
        public byte[] share() {
            return share.clone();
        }

        /** The share without a copy, for encoding; callers must not modify it. */
        public byte[] shareView() {
            return share;
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof Put that && id.equals(that.id) && kind == that.kind
                   && expectedVersion == that.expectedVersion && Arrays.equals(share, that.share);
        }

        @Override
        public int hashCode() {
            return id.hashCode() * 31 + Arrays.hashCode(share);
        }

        @Override
        public String toString() {
            return "Put[" + id + ", " + kind + ", expected=" + expectedVersion + ", share=<" + share.length + " bytes>]";
        }
    }
}
