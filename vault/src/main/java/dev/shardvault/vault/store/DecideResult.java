package dev.shardvault.vault.store;

/**
 * What logging a decision did. A transaction is decided at most once: a second decision the same way changes
 * nothing and answers as the first did; one the other way is refused (a value, not an exception: a node that
 * refused a prepare it never saw, or whose termination protocol proved the commit impossible, is then told to
 * commit by a coordinator that counted it wrongly, and must say no).
 */
public sealed interface DecideResult {

    /** The transaction is committed here; {@code holdsShares} if this node had prepared its operations. */
    record Committed(boolean holdsShares) implements DecideResult {
    }

    /** The transaction is aborted here; its locks are released. */
    record Aborted() implements DecideResult {
    }

    /** The transaction was already decided the other way here; nothing changed. */
    record DecidedOtherwise(TxnState decided) implements DecideResult {
    }
}
