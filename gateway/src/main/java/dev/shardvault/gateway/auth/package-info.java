/**
 * Who is calling: bearer tokens, kept in configuration only as SHA-256 digests, each bound to one namespace
 * and a set of actions. Compares digests in constant time and never logs or returns a token.
 */
package dev.shardvault.gateway.auth;
