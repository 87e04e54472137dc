package dev.shardvault.vault.store;

/**
 * What logging a decision did. A transaction is decided at most once here: a second decision the same way changes
 * nothing and answers as the first did; one the other way changes nothing either and says so. That is an expected
 * outcome, not an error: a node that refused a transaction it was asked about before its prepare came holds it as
 * aborted, while the others may still have committed it without this node's vote; it then answers the commit
 * with a refusal and holds no share of it.
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
