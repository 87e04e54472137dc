#!/usr/bin/env bash
# Rebuild benchmark: 5 vault nodes in one JVM (real peer sockets with mutual TLS, real fsync'd logs in a temp
# dir) holding SECRETS secrets with 3 versions each; node 3's disk is replaced and the script prints how long it
# takes to report its rebuild in sync, and the p99 of a steady foreground load (CLIENTS clients: latest reads,
# one in ten an update) before, during and after the rebuild, in one run, one `name value unit` line each.
# Usage: scripts/bench-rebuild.sh [secrets=10000] [clients=4]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/jdk.sh
shardvault_find_jdk
shardvault_quiet_maven
shardvault_mvn -B -ntp -q -pl storage-log,vault -am -DskipTests install >&2
shardvault_mvn -B -ntp -q -pl vault dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >&2
java -Xmx2g -cp "vault/target/classes:vault/target/test-classes:$(cat vault/target/bench.classpath)" \
  -Djava.util.logging.config.file=/dev/null dev.shardvault.vault.RebuildBenchmark "${1:-10000}" "${2:-4}"
