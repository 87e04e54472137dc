#!/usr/bin/env bash
# Runs the whole ShardVault test suite: unit, property, in-process cluster and process-level crash tests.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/jdk.sh
shardvault_find_jdk
shardvault_quiet_maven
echo "test.sh: using the JDK at $JAVA_HOME" >&2
shardvault_mvn -B -ntp verify "$@"
