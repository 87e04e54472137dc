#!/usr/bin/env bash
# ShardVault end-to-end benchmark through the gateway, optionally side by side with a 5-member etcd.
#
#   scripts/bench.sh [--seconds N] [--baseline etcd | --versus DIR]
#   BENCH_OPTS="-Dbench.only=create.1_client,read_latest.16_clients -Dbench.warmup-seconds=30" scripts/bench.sh
#
# Starts the local cluster unless one is running (and stops only what it started), runs the Java load
# generator (virtual-thread clients, keep-alive HTTP, 48-byte values, unique names, warm-up excluded) and
# prints one figure a line as `name value unit`, including server CPU milliseconds per operation. With
# --baseline etcd it also installs etcd (Debian etcd-server) if missing, starts 5 members on loopback with
# default durability, and measures both side by side: both run throughout, warm-up slices alternate between
# them, and each workload is measured in 3 windows per system, alternating (-Dbench.rounds in BENCH_OPTS
# changes it), pooled per system. etcd runs the matching workloads through its v3 HTTP/JSON API (put =
# create, linearizable range = latest read); its figures are prefixed `etcd.`, then `ratio.*` lines follow
# (shardvault/etcd; for latencies, below 1 is better for ShardVault), and etcd is stopped.
# With --versus DIR (another checkout of ShardVault, e.g. a git worktree of an earlier commit) it measures this
# tree and DIR's build the same way, side by side: DIR's cluster runs on ports 8180 (gateway), 9201.. and
# 9301.., its figures are prefixed `b.` and the ratios are this/DIR. Even identical builds differ by up to
# ~10% in one such run (docs/performance.md): smaller differences are not findings.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. scripts/lib/jdk.sh
shardvault_find_jdk
shardvault_quiet_maven

SECONDS_PER=5
BASELINE=
VERSUS=
while [ $# -gt 0 ]; do
  case "$1" in
    --seconds) SECONDS_PER=$2; shift 2 ;;
    --baseline) BASELINE=$2; shift 2 ;;
    --versus) VERSUS=$(cd "$2" && pwd) || exit 2; shift 2 ;;
    *) echo "bench.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -z "$BASELINE" ] || [ "$BASELINE" = etcd ] || { echo "bench.sh: the only baseline is etcd" >&2; exit 2; }
[ -z "$BASELINE" ] || [ -z "$VERSUS" ] || { echo "bench.sh: --baseline and --versus exclude each other" >&2; exit 2; }
[ -z "$VERSUS" ] || [ -x "$VERSUS/scripts/cluster.sh" ] || { echo "bench.sh: $VERSUS has no scripts/cluster.sh" >&2; exit 2; }
VERSUS_ENV=(CLUSTER_BASE_PORT=9200 CLUSTER_PEER_BASE_PORT=9300 GATEWAY_PORT=8180 GATEWAY_TLS_PORT=8543)

OUT="$ROOT/var/bench"
mkdir -p "$OUT"
echo "building..." >&2
shardvault_mvn -B -ntp -q -DskipTests install >&2
shardvault_mvn -B -ntp -q -pl gateway dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >&2
CP="gateway/target/test-classes:gateway/target/classes:$(cat gateway/target/bench.classpath)"

STARTED_CLUSTER=0
STARTED_VERSUS=0
ETCD_PIDS=()
cleanup() {
  if [ "$STARTED_VERSUS" = 1 ]; then env "${VERSUS_ENV[@]}" "$VERSUS/scripts/cluster.sh" down >&2 || true; fi
  if [ ${#ETCD_PIDS[@]} -gt 0 ]; then kill "${ETCD_PIDS[@]}" 2>/dev/null || true; wait "${ETCD_PIDS[@]}" 2>/dev/null || true; fi
  rm -rf "$OUT/etcd"
  if [ "$STARTED_CLUSTER" = 1 ]; then scripts/cluster.sh down >&2 || true; fi
}
trap cleanup EXIT

# Read the whole status first: with pipefail, grep -q closing the pipe early would fail the pipeline.
CLUSTER_STATUS=$(scripts/cluster.sh status 2>/dev/null || true)
if ! grep -q '^gateway .*healthy' <<< "$CLUSTER_STATUS"; then
  scripts/cluster.sh up >&2
  STARTED_CLUSTER=1
fi
PIDS=$(cat var/run/*.pid | paste -sd, -)
if [ -n "$VERSUS" ]; then
  echo "starting $VERSUS on ports ${VERSUS_ENV[*]}..." >&2
  STARTED_VERSUS=1
  env "${VERSUS_ENV[@]}" "$VERSUS/scripts/cluster.sh" up >&2
  PIDS_B=$(cat "$VERSUS"/var/run/*.pid | paste -sd, -)
  java -Xmx1g -Dbench.rounds=3 ${BENCH_OPTS:-} -cp "$CP" dev.shardvault.gateway.bench.LoadGenerator versus \
    http://127.0.0.1:8080 var/dev-token "$PIDS" http://127.0.0.1:8180 "$VERSUS/var/dev-token" "$PIDS_B" "$SECONDS_PER" \
    | tee "$OUT/versus.txt"
  grep -v '^b\.' "$OUT/versus.txt" > "$OUT/shardvault.txt" || true
  grep '^b\.' "$OUT/versus.txt" > "$OUT/versus-b.txt" || true
  awk 'FNR == NR { b[substr($1, 3)] = $2; next }
       ($1 in b) && b[$1] > 0 { printf "ratio.%s %.3f x\n", $1, $2 / b[$1] }' "$OUT/versus-b.txt" "$OUT/shardvault.txt"
  exit 0
fi
if [ "$BASELINE" != etcd ]; then
  java -Xmx1g ${BENCH_OPTS:-} -cp "$CP" dev.shardvault.gateway.bench.LoadGenerator shardvault http://127.0.0.1:8080 var/dev-token \
    "$SECONDS_PER" "$PIDS" | tee "$OUT/shardvault.txt"
  exit 0
fi

if ! command -v etcd >/dev/null; then
  echo "installing etcd (Debian etcd-server)..." >&2
  if [ "$(id -u)" = 0 ]; then apt-get install -y etcd-server >&2 || { apt-get update >&2 && apt-get install -y etcd-server >&2; }
  else sudo apt-get install -y etcd-server >&2; fi
fi
rm -rf "$OUT/etcd"
mkdir -p "$OUT/etcd"
CLUSTER=""
for i in 1 2 3 4 5; do CLUSTER="$CLUSTER${CLUSTER:+,}m$i=http://127.0.0.1:$((2380 + 10 * i))"; done
URLS=""
for i in 1 2 3 4 5; do
  client=$((2379 + 10 * i)); peer=$((2380 + 10 * i))
  etcd --name "m$i" --data-dir "$OUT/etcd/m$i" \
    --listen-client-urls "http://127.0.0.1:$client" --advertise-client-urls "http://127.0.0.1:$client" \
    --listen-peer-urls "http://127.0.0.1:$peer" --initial-advertise-peer-urls "http://127.0.0.1:$peer" \
    --initial-cluster "$CLUSTER" --initial-cluster-state new --initial-cluster-token shardvault-bench \
    > "$OUT/etcd/m$i.log" 2>&1 &
  ETCD_PIDS+=($!)
  URLS="$URLS${URLS:+,}http://127.0.0.1:$client"
done
echo "waiting for etcd..." >&2
for _ in $(seq 1 100); do
  if ( exec 3<>/dev/tcp/127.0.0.1/2389 && printf 'GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' >&3 \
       && grep -q '"health":"true"' <&3 ) 2>/dev/null; then break; fi
  sleep 0.3
done
java -Xmx1g -Dbench.rounds=3 ${BENCH_OPTS:-} -cp "$CP" dev.shardvault.gateway.bench.LoadGenerator paired \
  http://127.0.0.1:8080 var/dev-token "$PIDS" "$URLS" "$(IFS=,; echo "${ETCD_PIDS[*]}")" "$SECONDS_PER" | tee "$OUT/paired.txt"
grep -v '^etcd\.' "$OUT/paired.txt" > "$OUT/shardvault.txt" || true
grep '^etcd\.' "$OUT/paired.txt" > "$OUT/etcd.txt" || true

# shardvault/etcd for every figure both printed
awk 'FNR == NR { etcd[substr($1, 6)] = $2; next }
     ($1 in etcd) && etcd[$1] > 0 { printf "ratio.%s %.3f x\n", $1, $2 / etcd[$1] }' "$OUT/etcd.txt" "$OUT/shardvault.txt"
