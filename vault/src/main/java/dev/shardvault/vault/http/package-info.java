/**
 * The node's gateway-facing API (JSON on the default socket, documented in docs/internal-api.md): decodes
 * requests, hands them to the coordinator or the read coordinator, and maps every outcome to a status and
 * an RFC 9457 problem in one place ({@link dev.shardvault.vault.http.Problems}). Never logs values.
 */
package dev.shardvault.vault.http;
