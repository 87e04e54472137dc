/**
 * The binary encoding used for log payloads and peer messages: little-endian fixed-width integers and
 * length-prefixed byte strings, every length bounded. Decoding never trusts input: a short, oversized or
 * malformed buffer is a {@link dev.shardvault.vault.codec.MalformedException}, never a partial value.
 */
package dev.shardvault.vault.codec;
