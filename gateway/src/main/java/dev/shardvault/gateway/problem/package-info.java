/**
 * Every error the gateway returns, as RFC 9457 {@code application/problem+json} with a stable type URN:
 * {@link dev.shardvault.gateway.problem.Problem} is the value, {@link dev.shardvault.gateway.problem.ProblemException}
 * carries it out of a handler, and {@link dev.shardvault.gateway.problem.Problem#send} is the one place it
 * becomes an HTTP response.
 */
package dev.shardvault.gateway.problem;
