#!/usr/bin/env bash
# A long seeded fault run (docs/testing.md, "Fault runs"): two gateways and five nodes as processes, every link
# through a fault proxy, 8-16 clients, one fault at a time from the seed's schedule; then every name's history
# is checked for linearizability.
#   scripts/torture.sh --minutes M [--seed N] [--clients C]
# Prints the seed, operations, faults injected, indeterminate operations, the checker's time and the verdict;
# exits 0 when linearizable, 1 when not (the report names the first operation no order can place), 2 on a
# usage error. The same seed replays the same fault schedule.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
minutes="" seed="" clients=""
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes="${2:-}"; shift 2 ;;
    --seed) seed="${2:-}"; shift 2 ;;
    --clients) clients="${2:-}"; shift 2 ;;
    *) echo "usage: scripts/torture.sh --minutes M [--seed N] [--clients C]" >&2; exit 2 ;;
  esac
done
case "$minutes" in ''|*[!0-9]*) echo "torture: --minutes takes a whole number of minutes" >&2; exit 2 ;; esac
case "$seed" in *[!0-9]*) echo "torture: --seed takes a non-negative number" >&2; exit 2 ;; esac
case "$clients" in *[!0-9]*) echo "torture: --clients takes a number" >&2; exit 2 ;; esac
. "$ROOT/scripts/lib/jdk.sh"
shardvault_find_jdk
shardvault_quiet_maven
args=(-B -ntp verify -pl gateway -am -Dtest=none -Dsurefire.failIfNoSpecifiedTests=false -Dit.test=FaultRunTest
      "-Dfaults.seconds=$((minutes * 60))")
[ -n "$seed" ] && args+=("-Dfaults.seed=$seed")
[ -n "$clients" ] && args+=("-Dfaults.clients=$clients")
mkdir -p "$ROOT/var/log"
log="$ROOT/var/log/torture-$(date +%Y%m%dT%H%M%S).log"
echo "torture: ${minutes} min of faults (Maven output in ${log#$ROOT/})" >&2
status=0
(cd "$ROOT" && shardvault_mvn "${args[@]}") > "$log" 2>&1 || status=$?
report="$ROOT/gateway/target/failsafe-reports/dev.shardvault.gateway.FaultRunTest-output.txt"
if [ -f "$report" ]; then
  grep '^fault-run: ' "$report" | grep -v '^fault-run: fault ' || true
  cp "$report" "${log%.log}.report.txt"
  echo "torture: the full report, with every fault, is ${log%.log}.report.txt" >&2
fi
if [ "$status" -ne 0 ]; then
  grep -q 'verdict not-linearizable' "$report" 2>/dev/null || echo "torture: the run failed before a verdict; see ${log#$ROOT/}" >&2
  exit 1
fi
