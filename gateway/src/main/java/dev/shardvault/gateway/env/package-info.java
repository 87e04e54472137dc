/**
 * {@code .env} processing: a line-preserving dotenv tokenizer ({@link dev.shardvault.gateway.env.DotenvFile}),
 * the quoting rules for emitted values ({@link dev.shardvault.gateway.env.Quoting}) and the all-or-nothing
 * expansion of {@code secret(NAME)} and creation of {@code KEY=enc(PLAINTEXT)}
 * ({@link dev.shardvault.gateway.env.EnvTransformer}). Pure text processing: the vault is reached only
 * through the {@link dev.shardvault.gateway.env.EnvTransformer.Secrets} the caller passes in.
 */
package dev.shardvault.gateway.env;
