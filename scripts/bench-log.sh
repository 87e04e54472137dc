#!/usr/bin/env bash
# Storage-log benchmark: appends/s and p50/p99 latency at 1, 16 and 64 appenders with 64 B and 4 KiB
# records, next to the raw rate of one 64-byte write + fsync on the same disk. Prints `name value unit`.
# Usage: scripts/bench-log.sh [seconds-per-measurement]   (writes under var/bench, removed afterwards)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/jdk.sh
shardvault_find_jdk
shardvault_quiet_maven
shardvault_mvn -B -ntp -q -pl storage-log -DskipTests test-compile >&2
dir="var/bench/log-$$"
mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT
java -cp storage-log/target/classes:storage-log/target/test-classes \
  dev.shardvault.log.bench.LogBenchmark "$dir" "${1:-3}"
