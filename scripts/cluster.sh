#!/usr/bin/env bash
# Runs a local ShardVault cluster: the gateway and n vault nodes (default 5), in the background.
# Runtime files live under var/ (created 0700): data/node-N (logs of record), log/<name>.log (stdout+stderr),
# run/<name>.pid, tls/ (the development CA and one certificate per process, made by scripts/dev-tls.sh).
#
#   scripts/cluster.sh up            build if needed, start whatever is not running, wait until healthy
#   scripts/cluster.sh down          stop everything (SIGTERM, then SIGKILL after 15 s); data is kept
#   scripts/cluster.sh status        one line per process: running or not, healthy or not (and a node's rebuild)
#   scripts/cluster.sh kill N        SIGKILL vault node N (or "gateway")
#   scripts/cluster.sh start N       start vault node N (or "gateway") and wait until healthy
#   scripts/cluster.sh restart N     stop then start
#   scripts/cluster.sh logs N        last 100 lines of N's output (-f to follow)
#   scripts/cluster.sh rotate-certs  new keys and certificates from the same CA; running processes load them (<= 10 s)
#   scripts/cluster.sh wipe          stop everything and delete var/ (data, logs, token, certificates); asks nothing
#
# Cluster shape comes from conf/cluster.yaml; CLUSTER_N, CLUSTER_K, CLUSTER_BASE_PORT, CLUSTER_PEER_BASE_PORT,
# GATEWAY_PORT (plain HTTP, loopback) and GATEWAY_TLS_PORT (HTTPS) override it (they are passed to every
# process). JAVA_OPTS is added to every java command.
set -euo pipefail
umask 077
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
VAR="$ROOT/var"

yaml_value() { # yaml_value FILE KEY -> first "KEY: value" in FILE, comments stripped
  awk -v key="$2" '$1 == key":" { sub(/#.*/, ""); print $2; exit }' "$1"
}

N=${CLUSTER_N:-$(yaml_value conf/cluster.yaml n)}
HOST=$(yaml_value conf/cluster.yaml host)
BASE_PORT=${CLUSTER_BASE_PORT:-$(yaml_value conf/cluster.yaml base-port)}
PEER_BASE_PORT=${CLUSTER_PEER_BASE_PORT:-$(yaml_value conf/cluster.yaml peer-base-port)}
GATEWAY_PORT=${GATEWAY_PORT:-8080}
GATEWAY_TLS_PORT=${GATEWAY_TLS_PORT:-$(yaml_value conf/gateway.yaml port)}
TLS_DIR="$VAR/tls"
START_TIMEOUT_S=${START_TIMEOUT_S:-90}

die() { echo "cluster.sh: $*" >&2; exit 1; }

cluster_props() {
  local props=(-Dshardvault.conf-dir="$ROOT/conf" -Dcluster.n="$N" -Dcluster.base-port="$BASE_PORT"
               -Dcluster.peer-base-port="$PEER_BASE_PORT")
  [ -n "${CLUSTER_K:-}" ] && props+=(-Dcluster.k="$CLUSTER_K")
  printf '%s\n' "${props[@]}"
}

names() { echo gateway; seq 1 "$N"; }
label() { [ "$1" = gateway ] && echo gateway || echo "node-$1"; }
port_of() { [ "$1" = gateway ] && echo "$GATEWAY_PORT" || echo $((BASE_PORT + $1)); }
pid_file() { echo "$VAR/run/$(label "$1").pid"; }
log_file() { echo "$VAR/log/$(label "$1").log"; }

check_name() {
  case "$1" in
    gateway) ;;
    ''|*[!0-9]*) die "expected a node number 1..$N or 'gateway', got '$1'" ;;
    *) [ "$1" -ge 1 ] && [ "$1" -le "$N" ] || die "no vault node $1 (this cluster has nodes 1..$N)" ;;
  esac
}

pid_of() { # prints the pid if the process runs (and is ours), else nothing
  local file pid
  file=$(pid_file "$1")
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
     && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "-Dshardvault.process=$(label "$1") "; then
    echo "$pid"
  fi
}

http_status() { # http_status PORT PATH -> HTTP status code, or 000 (needs only bash: no curl on a fresh machine)
  ( exec 3<>"/dev/tcp/$HOST/$1" || exit 1
    printf 'GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n' "$2" "$HOST" >&3
    read -r -t 5 line <&3 && echo "$line" | awk '{print $2}'
  ) 2>/dev/null || echo 000
}

listening() { ( exec 3<>"/dev/tcp/$HOST/$1" ) 2>/dev/null; }

# The gateway answers plain HTTP health on loopback (UP once k nodes answer it over mutual TLS). A node answers
# nothing without the gateway's or a node's certificate, so "healthy" for a node is: running, and both of its
# sockets accept connections (it binds them only after its log is replayed); the gateway's health says the rest.
# A node that started empty (new or replaced disk) keeps a REBUILDING marker in its data directory until it has
# compared itself with enough peers to take part in quorums (docs/operations.md, "Replacing a disk").
healthy() {
  if [ "$1" = gateway ]; then [ "$(http_status "$GATEWAY_PORT" /observe/health)" = 200 ]
  else listening "$(port_of "$1")" && listening $((PEER_BASE_PORT + $1)) && [ ! -e "$VAR/data/node-$1/REBUILDING" ]; fi
}

ensure_dev_tls() { # the development CA and every process's certificate, made once (scripts/dev-tls.sh)
  scripts/dev-tls.sh "$TLS_DIR" "$N" | sed 's/^/cluster.sh: /'
}

# progress MESSAGE: on a terminal, rewrites the current line; elsewhere (a log, a pipe) prints a plain line,
# at most one every 5 s per message kind, and never an escape code.
PROGRESS_LAST=-100
progress() {
  if [ -t 1 ]; then
    printf '\r%s\033[K' "$1"
  elif [ $((SECONDS - PROGRESS_LAST)) -ge 5 ]; then
    echo "$1"; PROGRESS_LAST=$SECONDS
  fi
}
progress_done() { if [ -t 1 ]; then printf '\r%s\033[K\n' "$1"; else echo "$1"; fi; PROGRESS_LAST=-100; }

build_if_needed() { # builds when a jar is missing or a source or pom changed since the last build here
  local stamp="$VAR/run/build.stamp"
  if [ -f vault/target/vault.jar ] && [ -f gateway/target/gateway.jar ] && [ -f "$stamp" ] \
     && [ -z "$(find pom.xml storage-log vault gateway -newer "$stamp" \( -path '*/src/*' -o -name pom.xml \) \
                 -type f -print -quit 2>/dev/null)" ]; then
    return 0
  fi
  . scripts/lib/jdk.sh
  shardvault_find_jdk
  shardvault_quiet_maven
  echo "building (mvn package, tests skipped; scripts/test.sh runs them; a minute or two the first time)"
  mkdir -p "$VAR/run" "$VAR/log"
  touch "$stamp.new"
  local started=$SECONDS pid
  shardvault_mvn -B -ntp -q -DskipTests package > "$VAR/log/build.log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    progress "building... $((SECONDS - started)) s"
    sleep 1
  done
  if ! wait "$pid"; then
    progress_done "build failed after $((SECONDS - started)) s; the end of $VAR/log/build.log:"
    tail -n 40 "$VAR/log/build.log" >&2
    die "build failed"
  fi
  progress_done "built in $((SECONDS - started)) s"
  mv "$stamp.new" "$stamp"
}

java_cmd() {
  . scripts/lib/jdk.sh
  shardvault_find_jdk >/dev/null
  echo "$JAVA_HOME/bin/java"
}

ensure_dev_token() { # a random token with read, write, delete, list, env, grant and audit on namespace "default", stored only as a digest for the gateway
  local token_file="$VAR/dev-token" digest
  mkdir -p "$VAR"
  if [ ! -s "$token_file" ]; then
    ( umask 077; printf 'sv_%s' "$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')" > "$token_file" )
    echo "created a dev token in $token_file"
  fi
  chmod 600 "$token_file"
  digest=$(tr -d '\n' < "$token_file" | sha256sum | cut -d' ' -f1)
  # Created once and then yours: tokens added here survive restarts. Only a missing dev-token entry is added
  # (var/dev-token was replaced); nothing in the file is rewritten.
  if [ ! -f "$VAR/dev-tokens.yaml" ]; then
    cat > "$VAR/dev-tokens.yaml" <<YAML
# The gateway's tokens for this local cluster (-Dgateway.tokens-file). Created by scripts/cluster.sh on first
# start and never rewritten: add your own entries (printf %s "\$TOKEN" | sha256sum) and restart the gateway
# (scripts/cluster.sh restart gateway). scripts/cluster.sh wipe deletes it with the rest of var/.
tokens:
YAML
  fi
  if ! grep -q "sha256: \"$digest\"" "$VAR/dev-tokens.yaml"; then
    cat >> "$VAR/dev-tokens.yaml" <<YAML
  # var/dev-token (added by scripts/cluster.sh): every action on namespace "default".
  - sha256: "$digest"
    namespace: default
    actions: [read, write, delete, list, env, grant, audit]
    label: dev
    class: human
YAML
  fi
}

# Every process of a local cluster shares this machine's cores with n others, so each JVM gets a share
# instead of assuming the machine is its own: as many virtual-thread carriers as its share of the cores
# (at least one), and the serial collector on a bounded heap (a node's working set is small; parallel and
# concurrent collectors would add GC threads per JVM). JAVA_OPTS comes after these and overrides them.
default_jvm_opts() {
  local cores carriers
  cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 2)
  carriers=$(( cores / (N + 1) )); [ "$carriers" -ge 1 ] || carriers=1
  printf '%s\n' -XX:+UseSerialGC -Xms256m -Xmx1g -Djdk.virtualThreadScheduler.parallelism="$carriers"
}

launch() { # launch NAME: start the process in the background unless it runs
  local name=$1 pid java props=()
  pid=$(pid_of "$name")
  if [ -n "$pid" ]; then echo "$(label "$name") already running (pid $pid)"; return 0; fi
  mkdir -p "$VAR/run" "$VAR/log" "$VAR/data"
  ensure_dev_tls
  java=$(java_cmd)
  mapfile -t props < <(default_jvm_opts; cluster_props)
  props+=(-Dshardvault.process="$(label "$name")")
  if [ "$name" = gateway ]; then
    ensure_dev_token
    props+=(-Dserver.port="$GATEWAY_TLS_PORT" -Dgateway.plain-http.port="$GATEWAY_PORT" -Dgateway.tls.dir="$TLS_DIR"
            -Dgateway.tokens-file="$VAR/dev-tokens.yaml")
    # shellcheck disable=SC2086
    nohup "$java" "${props[@]}" ${JAVA_OPTS:-} -jar gateway/target/gateway.jar >> "$(log_file "$name")" 2>&1 &
  else
    props+=(-Dvault.node-id="$name" -Dvault.data-dir="$VAR/data/node-$name" -Dvault.tls.dir="$TLS_DIR")
    # shellcheck disable=SC2086
    nohup "$java" "${props[@]}" ${JAVA_OPTS:-} -jar vault/target/vault.jar >> "$(log_file "$name")" 2>&1 &
  fi
  echo $! > "$(pid_file "$name")"
  echo "started $(label "$name") (pid $!), log $(log_file "$name")"
}

rebuilding_only() { # rebuilding_only NAME...: every one is a node that listens and is still rebuilding
  local name
  for name in "$@"; do
    [ "$name" != gateway ] && listening "$(port_of "$name")" && [ -e "$VAR/data/node-$name/REBUILDING" ] || return 1
  done
}

await_healthy() { # await_healthy NAME...
  local deadline=$((SECONDS + START_TIMEOUT_S)) started=$SECONDS waited=no name pending
  while :; do
    pending=()
    for name in "$@"; do
      if [ -z "$(pid_of "$name")" ]; then
        echo "cluster.sh: $(label "$name") exited during start; last lines of $(log_file "$name"):" >&2
        tail -n 20 "$(log_file "$name")" >&2 || true
        exit 1
      fi
      healthy "$name" || pending+=("$name")
    done
    if [ ${#pending[@]} -eq 0 ]; then
      [ "$waited" = yes ] && progress_done "healthy after $((SECONDS - started)) s"
      return 0
    fi
    if [ $SECONDS -ge $deadline ]; then
      if rebuilding_only "${pending[@]}"; then # a replaced disk: it serves, and joins the quorums when rebuilt
        progress_done "listening after $((SECONDS - started)) s"
        echo "still rebuilding (not in quorums yet): ${pending[*]}; scripts/cluster.sh status shows progress"
        return 0
      fi
      progress_done "not healthy:"; die "not healthy after ${START_TIMEOUT_S}s: ${pending[*]} (see var/log/)"
    fi
    waited=yes
    progress "starting... $((SECONDS - started)) s, waiting for $(for name in "${pending[@]}"; do printf '%s ' "$(label "$name")"; done)"
    sleep 0.3
  done
}

stop() { # stop NAME [SIGNAL]
  local name=$1 signal=${2:-TERM} pid i
  pid=$(pid_of "$name")
  if [ -z "$pid" ]; then rm -f "$(pid_file "$name")"; echo "$(label "$name") is not running"; return 0; fi
  kill "-$signal" "$pid" 2>/dev/null || true
  for i in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "$(label "$name") did not stop on SIG$signal within 15 s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  fi
  rm -f "$(pid_file "$name")"
  echo "stopped $(label "$name") (SIG$signal)"
}

cmd_up() {
  build_if_needed
  local name all=()
  for name in $(seq 1 "$N") gateway; do launch "$name"; all+=("$name"); done
  await_healthy "${all[@]}"
  echo
  echo "ShardVault is up: gateway https://$HOST:$GATEWAY_TLS_PORT (plain HTTP on http://$HOST:$GATEWAY_PORT for local use),"
  echo "  $N vault nodes (ports $((BASE_PORT + 1))..$((BASE_PORT + N)), mutual TLS only), CA certificate $TLS_DIR/ca.pem"
  if [ -f "$VAR/dev-token" ]; then
    echo "dev token (namespace 'default', read, write, delete, list, env, grant, audit): $VAR/dev-token"
    echo "  curl --cacert var/tls/ca.pem -H \"Authorization: Bearer \$(cat var/dev-token)\" https://$HOST:$GATEWAY_TLS_PORT/v1/status"
  fi
}

cmd_down() {
  local name
  for name in gateway $(seq 1 "$N"); do stop "$name"; done
}

cmd_status() {
  local name pid state health rebuild
  for name in $(names); do
    pid=$(pid_of "$name")
    if [ -n "$pid" ]; then
      state="running (pid $pid)"
      healthy "$name" && health=healthy || health="not healthy"
      [ "$name" != gateway ] && [ -e "$VAR/data/node-$name/REBUILDING" ] && health="rebuilding (not in quorums yet)"
    else
      state=stopped; health=-
    fi
    [ "$name" != gateway ] && [ "$health" = healthy ] && health="listening (mutual TLS)"
    printf '%-8s port %-5s %-22s %s\n' "$(label "$name")" "$(port_of "$name")" "$state" "$health"
    if [ "$name" != gateway ] && [ -n "$pid" ]; then # the node's last rebuild line (see docs/operations.md)
      # Only lines since the process's latest start: the log file is appended to across restarts.
      rebuild=$(awk '/Started all channels/ { last = "" } /rebuild: / { sub(/.*rebuild: /, "rebuild: "); last = $0 }
                     END { print last }' "$(log_file "$name")" 2>/dev/null)
      printf '         %s\n' "${rebuild:-rebuild: no pass finished yet}"
    fi
  done
}

reload_count() { # reload_count NAME: TLS reloads NAME's log reports so far
  grep -c 'TLS material reloaded' "$(log_file "$1")" 2>/dev/null || true
}

cmd_rotate_certs() {
  local name before=() running=() deadline i pending
  for name in $(names); do
    if [ -n "$(pid_of "$name")" ]; then running+=("$name"); before+=("$(reload_count "$name")"); fi
  done
  scripts/dev-tls.sh "$TLS_DIR" "$N" --rotate | sed 's/^/cluster.sh: /'
  [ ${#running[@]} -gt 0 ] || { echo "no process is running; they load the new certificates when they start"; return 0; }
  deadline=$((SECONDS + 15))
  while :; do
    pending=()
    for i in "${!running[@]}"; do
      [ "$(reload_count "${running[$i]}")" -gt "${before[$i]}" ] || pending+=("$(label "${running[$i]}")")
    done
    [ ${#pending[@]} -eq 0 ] && { echo "every running process loaded the new certificates"; return 0; }
    [ $SECONDS -ge $deadline ] && die "not reloaded after 15 s: ${pending[*]} (see var/log/)"
    sleep 0.3
  done
}

cmd=${1:-}
case "$cmd" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  kill) check_name "${2:-}"; stop "$2" KILL ;;
  start) check_name "${2:-}"; build_if_needed; launch "$2"; await_healthy "$2" ;;
  restart) check_name "${2:-}"; build_if_needed; stop "$2"; launch "$2"; await_healthy "$2" ;;
  logs)
    check_name "${2:-}"
    [ -f "$(log_file "$2")" ] || die "no log for $(label "$2") yet ($(log_file "$2"))"
    if [ "${3:-}" = -f ]; then tail -n 100 -f "$(log_file "$2")"; else tail -n 100 "$(log_file "$2")"; fi ;;
  rotate-certs) cmd_rotate_certs ;;
  wipe) cmd_down; rm -rf "$VAR"; echo "wiped $VAR" ;;
  *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; [ -z "$cmd" ] && exit 2; die "unknown command '$cmd'" ;;
esac
