#!/usr/bin/env bash
# Installs schemathesis (the API fuzzer behind test/e2e/fuzz.test.ts) into a git-ignored venv under .tools/.
# Idempotent: does nothing when the pinned version is already there. Needs python3 with the venv module.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VERSION="4.32.5"
VENV="$ROOT/.tools/venv-schemathesis"
ST="$VENV/bin/st"

say() { printf '[schemathesis] %s\n' "$*" >&2; }

# A venv records its own absolute path (scripts' shebangs): one made by a moved or copied checkout does not run.
if [ -x "$ST" ] && [ "$(cat "$VENV/.version" 2>/dev/null)" = "$VERSION" ] && "$ST" --version >/dev/null 2>&1; then
  say "already installed: $VERSION"
  exit 0
fi
command -v python3 >/dev/null 2>&1 || { say "ERROR: python3 is not installed; install Python 3.9+ with the venv module"; exit 1; }
rm -rf "$VENV"
python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
printf '%s' "$VERSION" > "$VENV/.version"
say "installed: $("$ST" --version)"
