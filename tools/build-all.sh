#!/usr/bin/env bash
# Builds every local server the project needs, once; later runs return at once while the pinned versions match.
source "$(dirname "$0")/lib.sh"
"$ROOT/tools/build-test-server.sh"
"$ROOT/tools/build-ferretdb.sh"
"$ROOT/tools/build-temporal.sh"
