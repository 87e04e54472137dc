#!/usr/bin/env bash
# In-process cluster benchmark: 5 vault nodes in one JVM (real peer sockets, real fsync'd logs in a temp dir).
# Prints create and latest-read throughput and p50/p99 at 1 and 16 clients, and the replay time of a
# 100,000-record node log, one `name value unit` line each.  Usage: scripts/bench-vault.sh [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/jdk.sh
shardvault_find_jdk
shardvault_quiet_maven
shardvault_mvn -B -ntp -q -pl storage-log,vault -am -DskipTests install >&2
shardvault_mvn -B -ntp -q -pl vault dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >&2
java -Xmx1g -cp "vault/target/classes:vault/target/test-classes:$(cat vault/target/bench.classpath)" \
  -Djava.util.logging.config.file=/dev/null dev.shardvault.vault.InProcessBenchmark "${1:-5}"
