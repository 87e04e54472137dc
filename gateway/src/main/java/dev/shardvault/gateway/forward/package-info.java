/**
 * The gateway's way to the vault nodes: round-robin over nodes that answer health probes, failing over to
 * the next node when one cannot be reached. Every write carries an idempotency key (the client's, or one
 * generated per request), so a write retried on another node is never applied twice. Requests go over the
 * gateway's own keep-alive HTTP/1.1 connections ({@link dev.shardvault.gateway.forward.OriginClient}), whose
 * failures say whether a request can have reached the node. Never holds secret state.
 */
package dev.shardvault.gateway.forward;
