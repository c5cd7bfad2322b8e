#!/usr/bin/env bash
# Builds FerretDB v1.24 on PostgreSQL (main.go here) with id-lookup.patch applied to a copy of the module.
# One recipe for both places that build it: tools/prod/install.sh (the production topology run on this machine)
# and the Dockerfile beside this file (the `ferretdb` service of docker-compose.yml).
# Usage: build.sh <scratch dir> <output binary>
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$1"
out="$2"
(cd "$here" && go mod download github.com/FerretDB/FerretDB)
upstream="$(cd "$here" && go list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB)"
rm -rf "$work" && mkdir -p "$work"
cp -r "$upstream" "$work/FerretDB" && chmod -R u+w "$work/FerretDB"
# git apply refuses a patch whose context does not match, so a changed upstream fails here, not silently; the copy is
# made a repository of its own so the patch applies to it even when the scratch dir lies inside another one.
(cd "$work/FerretDB" && git init -q && git apply --verbose "$here/id-lookup.patch")
cp "$here/go.mod" "$here/go.sum" "$here/main.go" "$work/"
cd "$work"
go mod edit -replace "github.com/FerretDB/FerretDB=./FerretDB"
CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -o "$out" .
