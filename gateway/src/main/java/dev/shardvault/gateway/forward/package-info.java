/**
 * The gateway's way to the vault nodes: round-robin over nodes that answer health probes, failing over to
 * the next node when one cannot be reached. Every write carries an idempotency key (the client's, or one
 * generated per request), so a write retried on another node is never applied twice.
 */
package dev.shardvault.gateway.forward;
