# Sourced by the scripts in scripts/: finds a JDK >= 21 and exports JAVA_HOME and PATH for it.
# Order: $JAVA_HOME if it is new enough, then the newest JDK under /usr/lib/jvm (or $SHARDVAULT_JDK_DIRS).
# Fails with a message naming everything it looked at.

shardvault_jdk_major() { # prints the feature version of the JDK at $1, or nothing
  local release="$1/release" line=""
  if [ -r "$release" ]; then
    line=$(grep -E '^JAVA_VERSION=' "$release" | head -n1 | tr -d '"')
    line=${line#JAVA_VERSION=}
  elif [ -x "$1/bin/java" ]; then
    line=$("$1/bin/java" -version 2>&1 | head -n1 | sed -E 's/.*version "([^"]+)".*/\1/')
  fi
  line=${line#1.}
  line=${line%%[.+-]*}
  case "$line" in ''|*[!0-9]*) return 0 ;; esac
  [ -x "$1/bin/javac" ] && echo "$line"
}

shardvault_find_jdk() {
  local min=21 looked="" best="" best_major=0 dir major
  if [ -n "${JAVA_HOME:-}" ]; then
    major=$(shardvault_jdk_major "$JAVA_HOME")
    if [ -n "$major" ] && [ "$major" -ge "$min" ]; then
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
    looked="JAVA_HOME=$JAVA_HOME (version ${major:-unknown})"
  fi
  for dir in ${SHARDVAULT_JDK_DIRS:-/usr/lib/jvm}/*; do
    [ -d "$dir" ] || continue
    [ -L "$dir" ] && continue
    major=$(shardvault_jdk_major "$dir")
    looked="$looked${looked:+, }$dir (${major:-no JDK})"
    if [ -n "$major" ] && [ "$major" -ge "$min" ] && [ "$major" -gt "$best_major" ]; then
      best="$dir"; best_major="$major"
    fi
  done
  if [ -z "$best" ]; then
    echo "error: ShardVault needs a JDK >= $min with javac; looked at: ${looked:-nothing (JAVA_HOME unset, no /usr/lib/jvm/*)}." >&2
    echo "       Install one (e.g. apt-get install openjdk-21-jdk-headless) or set JAVA_HOME to it." >&2
    return 1
  fi
  export JAVA_HOME="$best"
  export PATH="$JAVA_HOME/bin:$PATH"
}

# Maven 3.8's bundled Guava calls sun.misc.Unsafe; JDK 24+ warns about it on every run. Silence only that.
shardvault_quiet_maven() {
  local major
  major=$(shardvault_jdk_major "$JAVA_HOME")
  if [ -n "$major" ] && [ "$major" -ge 24 ]; then
    case " ${MAVEN_OPTS:-} " in
      *sun-misc-unsafe-memory-access*) ;;
      *) export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" ;;
    esac
  fi
}

# mvn ARGS...: Maven, with the terminal escape codes Maven 3.8 writes even in batch mode (a colour reset per
# line under -q) removed when stdout is not a terminal, so logs and pipes get plain text. Keeps mvn's status.
shardvault_mvn() {
  if [ -t 1 ]; then
    mvn "$@"
  else
    local esc
    esc=$(printf '\033')
    mvn "$@" | sed "s/${esc}\[[0-9;]*[A-Za-z]//g"
    return "${PIPESTATUS[0]}"
  fi
}
