/**
 * Shamir's secret sharing over GF(256), byte by byte, with constant-time field arithmetic: no table lookup
 * and no branch depends on a secret or share byte. Pure functions; owns no state, does no I/O, never logs.
 */
package dev.shardvault.vault.shamir;
