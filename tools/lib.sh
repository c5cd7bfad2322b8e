#!/usr/bin/env bash
# Shared helpers for the local-server builds: a version stamp decides whether a rebuild is needed.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
mkdir -p "$BIN"

say() { printf '[tools] %s\n' "$*" >&2; }
need() { command -v "$1" >/dev/null 2>&1 || { say "ERROR: '$1' is not installed; $2"; exit 1; }; }

# up_to_date NAME VERSION -> 0 when .tools/NAME.version holds VERSION and the binary exists
up_to_date() { [ -f "$TOOLS/$1.version" ] && [ "$(cat "$TOOLS/$1.version")" = "$2" ] && [ -x "$BIN/$1" ]; }
stamp() { printf '%s' "$2" > "$TOOLS/$1.version"; }

# Go builds print nothing for minutes: a heartbeat shows the build is alive.
with_heartbeat() {
  local label="$1"; shift
  local start=$SECONDS
  ( while sleep 20; do say "$label: still building ($((SECONDS - start)) s)..."; done ) &
  local hb=$!
  local rc=0
  "$@" || rc=$?
  kill "$hb" 2>/dev/null || true
  wait "$hb" 2>/dev/null || true
  return $rc
}
