#!/usr/bin/env bash
# Installs Debian's Chromium for the browser e2e tests (test/e2e/browser-payments.test.ts), which drive it with
# playwright-core at /usr/bin/chromium. Idempotent: does nothing when /usr/bin/chromium already exists.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
say() { printf '[chromium] %s\n' "$*" >&2; }
fail() { say "ERROR: $*"; exit 1; }

if [ -x "$CHROMIUM" ]; then
  say "already installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || fail "$CHROMIUM is missing and apt-get is unavailable: install Chromium by hand so that $CHROMIUM exists."

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    fail "$CHROMIUM is missing and installing it needs root: run 'apt-get install -y chromium' as root (or with passwordless sudo)."
  fi
fi

export DEBIAN_FRONTEND=noninteractive
say "apt-get update (this can take a couple of minutes)..."
"${SUDO[@]}" apt-get update -q || fail "apt-get update failed"
say "apt-get install -y chromium..."
"${SUDO[@]}" apt-get install -y -q chromium || fail "apt-get install chromium failed"
[ -x "$CHROMIUM" ] || fail "apt-get installed chromium but $CHROMIUM does not exist"
say "installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
