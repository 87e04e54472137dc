#!/usr/bin/env bash
# A short guided run against the local cluster: create, update, history, .env encrypt then expand, kill two
# nodes and still read, kill a third and see the read refused, restart and read again. Every command it shows
# can be pasted into a shell (after TOKEN=$(cat var/dev-token)); the secrets it creates are deleted at the end,
# and killed nodes are restarted, also when it stops early. Needs curl.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v curl >/dev/null || { echo "demo.sh: curl is needed (apt-get install curl)" >&2; exit 1; }
GATEWAY=${GATEWAY:-http://127.0.0.1:8080}
NAME="DEMO_$(date +%s)"
CREATED=()
KILLED=()

if [ -t 1 ]; then BOLD=$(printf '\033[1m'); PLAIN=$(printf '\033[0m'); else BOLD=; PLAIN=; fi
step() { printf '\n%s== %s%s\n' "$BOLD" "$*" "$PLAIN"; }
# show CMD...: prints CMD quoted for a shell, the token as $TOKEN, then runs it.
show() {
  local quoted
  quoted=$(printf '%q ' "$@")
  printf '$ %s\n' "${quoted//$TOKEN/\$TOKEN}"
  "$@"
  echo
}

cleanup() {
  local node name
  for node in "${KILLED[@]}"; do scripts/cluster.sh start "$node" >/dev/null || true; done
  if [ ${#CREATED[@]} -gt 0 ]; then
    step "clean up: delete what the demo created (${CREATED[*]})"
    for name in "${CREATED[@]}"; do
      show curl -s -X DELETE -H "$AUTH" "$GATEWAY/v1/secrets/$name" || true
    done
  fi
}
kill_node() { scripts/cluster.sh kill "$1"; KILLED+=("$1"); }
start_node() {
  scripts/cluster.sh start "$1"
  local kept=() node
  for node in "${KILLED[@]}"; do [ "$node" = "$1" ] || kept+=("$node"); done
  KILLED=("${kept[@]+"${kept[@]}"}")
}

step "start the cluster (gateway + 5 vault nodes)"
scripts/cluster.sh up
TOKEN=$(cat var/dev-token)
AUTH="Authorization: Bearer $TOKEN"
trap cleanup EXIT
echo
echo "To paste the commands below: TOKEN=\$(cat var/dev-token)"

step "create $NAME: split into 5 shares, any 3 rebuild it"
CREATED+=("$NAME")
show curl -s -H "$AUTH" -H 'Content-Type: application/json' -d "{\"name\":\"$NAME\",\"value\":\"first-value\"}" "$GATEWAY/v1/secrets"
step "update it: version 2"
show curl -s -X PUT -H "$AUTH" -H 'Content-Type: application/json' -d '{"value":"second-value"}' "$GATEWAY/v1/secrets/$NAME"
step "history: validity intervals, no values"
show curl -s -H "$AUTH" "$GATEWAY/v1/secrets/$NAME/versions"
step "read version 1 and the latest"
show curl -s -H "$AUTH" "$GATEWAY/v1/secrets/$NAME?version=1"
show curl -s -H "$AUTH" "$GATEWAY/v1/secrets/$NAME"

step ".env: enc() stores a value and leaves a reference"
ENV_FILE=$(printf '# app settings\n%s_API_KEY=enc(sk-live-%s)\nDB_URL=postgres://app:secret(%s)@db/app\n' "$NAME" "$RANDOM" "$NAME")
printf '%s\n' "$ENV_FILE"
CREATED+=("${NAME}_API_KEY")
ENCRYPTED=$(printf '%s\n' "$ENV_FILE" | curl -s -H "$AUTH" -H 'Content-Type: text/plain' --data-binary @- "$GATEWAY/v1/env")
printf -- '-> stored; the file now reads:\n%s\n' "$ENCRYPTED"
step ".env: expanding the references gives the values back"
printf '%s\n' "$ENCRYPTED" | curl -s -H "$AUTH" -H 'Content-Type: text/plain' --data-binary @- "$GATEWAY/v1/env"

step "kill two vault nodes (SIGKILL): 3 of 5 are left, reads and writes still work"
kill_node 4
kill_node 5
show curl -s -H "$AUTH" "$GATEWAY/v1/secrets/$NAME"
show curl -s -X PUT -H "$AUTH" -H 'Content-Type: application/json' -d '{"value":"third-value"}' "$GATEWAY/v1/secrets/$NAME"

step "kill a third: fewer than k = 3 shares are reachable; nothing is guessed"
kill_node 3
show curl -s -H "$AUTH" "$GATEWAY/v1/secrets/$NAME"
show curl -s -X PUT -H "$AUTH" -H 'Content-Type: application/json' -d '{"value":"never-written"}' "$GATEWAY/v1/secrets/$NAME"

step "restart them: every acknowledged write is back"
start_node 3
start_node 4
start_node 5
show curl -s -H "$AUTH" "$GATEWAY/v1/secrets/$NAME"
show curl -s -H "$AUTH" "$GATEWAY/v1/secrets/$NAME/versions"
step "who touched it: the custody timeline"
show curl -s -H "$AUTH" "$GATEWAY/v1/secrets/$NAME/timeline?limit=5"
step "status"
show curl -s -H "$AUTH" "$GATEWAY/v1/status"
