#!/usr/bin/env bash
# A short guided run against the local cluster: create, update, history, .env encrypt then expand, kill two
# nodes and still read, kill a third and see the read refused, restart and read again. Needs curl.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v curl >/dev/null || { echo "demo.sh: curl is needed (apt-get install curl)" >&2; exit 1; }
GATEWAY=${GATEWAY:-http://127.0.0.1:8080}
NAME="DEMO_$(date +%s)"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*" | sed "s/$TOKEN/\$TOKEN/g"; "$@"; echo; }

step "start the cluster (gateway + 5 vault nodes)"
scripts/cluster.sh up
TOKEN=$(cat var/dev-token)
AUTH="Authorization: Bearer $TOKEN"

step "create $NAME: split into 5 shares, any 3 rebuild it"
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
ENCRYPTED=$(printf '%s\n' "$ENV_FILE" | curl -s -H "$AUTH" -H 'Content-Type: text/plain' --data-binary @- "$GATEWAY/v1/env")
printf -- '-> stored; the file now reads:\n%s\n' "$ENCRYPTED"
step ".env: expanding the references gives the values back"
printf '%s\n' "$ENCRYPTED" | curl -s -H "$AUTH" -H 'Content-Type: text/plain' --data-binary @- "$GATEWAY/v1/env"

step "kill two vault nodes (SIGKILL): 3 of 5 are left, reads and writes still work"
scripts/cluster.sh kill 4
scripts/cluster.sh kill 5
sleep 1
show curl -s -H "$AUTH" "$GATEWAY/v1/secrets/$NAME"
show curl -s -X PUT -H "$AUTH" -H 'Content-Type: application/json' -d '{"value":"third-value"}' "$GATEWAY/v1/secrets/$NAME"

step "kill a third: fewer than k = 3 shares are reachable; nothing is guessed"
scripts/cluster.sh kill 3
sleep 1
show curl -s -H "$AUTH" "$GATEWAY/v1/secrets/$NAME"
show curl -s -X PUT -H "$AUTH" -H 'Content-Type: application/json' -d '{"value":"never-written"}' "$GATEWAY/v1/secrets/$NAME"

step "restart them: every acknowledged write is back"
scripts/cluster.sh start 3
scripts/cluster.sh start 4
scripts/cluster.sh start 5
show curl -s -H "$AUTH" "$GATEWAY/v1/secrets/$NAME"
show curl -s -H "$AUTH" "$GATEWAY/v1/secrets/$NAME/versions"
step "status"
show curl -s -H "$AUTH" "$GATEWAY/v1/status"
