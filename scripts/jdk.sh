# Sourced by ./sdclip and ./run-tests: finds a JDK 25 or newer and exports JAVA_HOME.
# Order: JAVA_HOME when it is 25+, then the newest 25+ JDK under /usr/lib/jvm.

sdclip_java_major() { # JDK folder -> its feature version, from the release file
  sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null
}

sdclip_find_jdk() {
  local major best="" best_major=0 dir
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
    major=$(sdclip_java_major "$JAVA_HOME")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then return 0; fi
  fi
  for dir in /usr/lib/jvm/*/; do
    dir=${dir%/}
    [ -x "$dir/bin/java" ] && [ -x "$dir/bin/javac" ] || continue
    major=$(sdclip_java_major "$dir")
    if [ -n "$major" ] && [ "$major" -ge 25 ] && [ "$major" -gt "$best_major" ]; then
      best=$dir; best_major=$major
    fi
  done
  if [ -z "$best" ]; then
    echo "sdclip: no JDK 25 found (JAVA_HOME=${JAVA_HOME:-unset}, nothing 25+ under /usr/lib/jvm)." >&2
    echo "sdclip: install one, e.g. Temurin 25 (apt-get install temurin-25-jdk from the Adoptium repository), and set JAVA_HOME to it." >&2
    return 1
  fi
  export JAVA_HOME=$best
}
