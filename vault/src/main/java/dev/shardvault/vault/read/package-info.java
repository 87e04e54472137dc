/**
 * Reads: gather shares from a majority (more if needed), pick the newest version across the answers, and
 * rebuild the value in memory from k shares of exactly that version, checking its digest. Also history and
 * listing, merged from a majority. Never answers with an older version when the newest lacks k shares.
 */
package dev.shardvault.vault.read;
