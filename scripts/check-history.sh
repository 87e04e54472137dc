#!/usr/bin/env bash
# Checks Jepsen-format register histories for linearizability (docs/testing.md, "The history checker"):
#   scripts/check-history.sh FILE...
# prints one line per file, "FILE linearizable" or "FILE not-linearizable" (the reason on stderr), and exits 0
# whatever the verdicts, 2 if a file cannot be read or parsed. The checker is the test-scope one in
# gateway/src/test/.../history; it needs only the JDK, so it is compiled here with javac when its sources change.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/scripts/lib/jdk.sh"
shardvault_find_jdk
[ $# -gt 0 ] || { echo "usage: scripts/check-history.sh FILE..." >&2; exit 2; }
SRC="$ROOT/gateway/src/test/java/dev/shardvault/gateway/history"
OUT="$ROOT/gateway/target/check-history"
MAIN="$OUT/dev/shardvault/gateway/history/CheckHistory.class"
if [ ! -f "$MAIN" ] || [ -n "$(find "$SRC" -newer "$MAIN" -type f -print -quit)" ]; then
  rm -rf "$OUT" && mkdir -p "$OUT"
  "$JAVA_HOME/bin/javac" -nowarn --release 21 -d "$OUT" \
    "$SRC/Operation.java" "$SRC/Model.java" "$SRC/Checker.java" "$SRC/Register.java" "$SRC/JepsenLog.java" "$SRC/CheckHistory.java"
fi
exec "$JAVA_HOME/bin/java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$OUT" dev.shardvault.gateway.history.CheckHistory "$@"
