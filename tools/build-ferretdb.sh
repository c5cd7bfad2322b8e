#!/usr/bin/env bash
# FerretDB (MongoDB wire protocol on SQLite). Built from a module of our own: as the main module it panics
# at start-up ("Invalid build/version/version.txt").
source "$(dirname "$0")/lib.sh"
VERSION=v1.24.2
up_to_date ferretdb "$VERSION" && exit 0
need go "install Go 1.24+ (https://go.dev/dl) to build FerretDB"
say "building FerretDB $VERSION from Go modules (first build: a few minutes; cached afterwards)"
cd "$ROOT/tools/ferretdb"
with_heartbeat "ferretdb" env CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
  go build -o "$BIN/ferretdb" github.com/FerretDB/FerretDB/cmd/ferretdb
stamp ferretdb "$VERSION"
say "ferretdb ready: $BIN/ferretdb"
