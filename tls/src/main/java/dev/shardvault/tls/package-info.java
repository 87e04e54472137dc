/**
 * Mutual TLS inside the cluster (docs/operations.md, "Security"): who a process is ({@link dev.shardvault.tls.Identity},
 * a URI SAN such as {@code spiffe://shardvault/node/3}), where its key and the cluster CA live
 * ({@link dev.shardvault.tls.TlsMaterial}), the Helidon {@code Tls} built from them ({@link dev.shardvault.tls.ClusterTls}:
 * TLS 1.3 only, client certificates required on every node socket), and the watcher that reloads that
 * {@code Tls} in place when the files are rotated ({@link dev.shardvault.tls.TlsReloader}).
 *
 * <p>It never logs, prints or puts into an exception a private key or a keystore password: messages name files only.
 */
package dev.shardvault.tls;
