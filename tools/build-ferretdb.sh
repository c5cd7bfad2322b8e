#!/usr/bin/env bash
# FerretDB v1.24.2 (MongoDB wire protocol on SQLite), run through its embeddable package from our own
# module in tools/ferretdb: FerretDB's own cmd/ferretdb panics at start-up when built with `go install`.
source "$(dirname "$0")/lib.sh"
VERSION=v1.24.2-embedded-1
up_to_date ferretdb "$VERSION" && exit 0
need go "install Go 1.24+ (https://go.dev/dl) to build FerretDB"
say "building FerretDB $VERSION from Go modules (first build: a few minutes; cached afterwards)"
cd "$ROOT/tools/ferretdb"
with_heartbeat "ferretdb" env CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -o "$BIN/ferretdb" .
stamp ferretdb "$VERSION"
say "ferretdb ready: $BIN/ferretdb"
