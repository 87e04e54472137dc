package dev.shardvault.vault.custody;

/**
 * An event with where it entered the cluster: {@code seq} numbers the events of one {@link Stream} from 1 without
 * gaps, which is how nodes tell each other what they hold ({@link Custody#counts()}).
 */
public record Stamped(Stream stream, long seq, Event event) {

    /** The events one node recorded as coordinator during one run of its process (a restart starts a new stream). */
    public record Stream(int node, long epoch) {
    }
}
