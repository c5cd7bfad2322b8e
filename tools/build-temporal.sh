#!/usr/bin/env bash
# Temporal CLI (dev server + embedded Web UI), built from Go modules.
# v1.5.1 is the newest release without a `replace` directive, so `go install pkg@version` works.
source "$(dirname "$0")/lib.sh"
VERSION=v1.5.1
up_to_date temporal "$VERSION" && exit 0
need go "install Go 1.22+ (https://go.dev/dl) to build the Temporal CLI"
say "building Temporal CLI $VERSION from Go modules (first build: several minutes on 2 cores; cached afterwards)"
with_heartbeat "temporal" env CGO_ENABLED=0 GOBIN="$BIN" GOFLAGS=-buildvcs=false \
  go install "github.com/temporalio/cli/cmd/temporal@$VERSION"
stamp temporal "$VERSION"
say "temporal ready: $BIN/temporal"
