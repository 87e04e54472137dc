/**
 * The gateway's way to the vault nodes: round-robin over nodes that answer health probes, failing over to
 * the next node when one cannot be reached. Every write carries an idempotency key (the client's, or one
 * generated per request), so a write retried on another node is never applied twice. Requests go with
 * Helidon's HTTP/1.1 client over mutual TLS; a failure says whether the request can have reached the node
 * (refused at connect: it cannot). Never holds secret state.
 */
package dev.shardvault.gateway.forward;
