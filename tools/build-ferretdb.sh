#!/usr/bin/env bash
# FerretDB v1.24.2 (MongoDB wire protocol on SQLite), run through its embeddable package from our own
# module in tools/ferretdb: FerretDB's own cmd/ferretdb panics at start-up when built with `go install`.
#
# Two patches, applied to a copy of the module, so that `_id` lookups use the `_id` index (constant time):
# 1. v1.24.2's SQLite backend looks documents up with `_ferretdb_sjson->'$._id'`, while the unique `_id` index
#    it creates is on `_ferretdb_sjson->"_id"`. SQLite only uses an expression index for the identical
#    expression, so every `_id` find, update and delete scanned the whole table. `->'_id'` means the same and
#    matches the index that already exists, in new and existing data directories alike (no format change).
# 2. The `_id` equality was pushed down only when it was the filter's sole key; with other keys beside it (a
#    version guard) the whole table was read. FerretDB applies the full filter to what the backend returns in
#    every case, so pushing the `_id` part down whenever it is there changes nothing but the cost.
source "$(dirname "$0")/lib.sh"
VERSION=v1.24.2-embedded-1
# The patches have a stamp of their own (.tools/ferretdb.patches): the build recipe's stamp keeps its value, so a
# checkout from before the patches (whose script checks only that stamp) keeps the patched binary, which reads and
# writes the same data directories, instead of rebuilding the unpatched one.
PATCHES=id-index-expression,id-pushdown-beside-other-keys
up_to_date ferretdb "$VERSION" && [ "$(cat "$TOOLS/ferretdb.patches" 2>/dev/null)" = "$PATCHES" ] && exit 0
need go "install Go 1.24+ (https://go.dev/dl) to build FerretDB"
say "building FerretDB $VERSION ($PATCHES) from Go modules (first build: a few minutes; cached afterwards)"
cd "$ROOT/tools/ferretdb"
go mod download github.com/FerretDB/FerretDB
upstream="$(go list -m -f '{{.Dir}}' github.com/FerretDB/FerretDB)"
work="$TOOLS/ferretdb-build"
rm -rf "$work" && mkdir -p "$work"
cp -r "$upstream" "$work/FerretDB" && chmod -R u+w "$work/FerretDB"
meta="$work/FerretDB/internal/backends/sqlite/metadata/metadata.go"
sed -i "s|IDColumn = DefaultColumn + \"->'\\\$._id'\"|IDColumn = DefaultColumn + \"->'_id'\"|" "$meta"
grep -q "IDColumn = DefaultColumn + \"->'_id'\"" "$meta" || { say "ERROR: the FerretDB _id index patch did not apply"; exit 1; }
coll="$work/FerretDB/internal/backends/sqlite/collection.go"
[ "$(grep -c 'if params.Filter.Len() == 1 {' "$coll")" = 2 ] || { say "ERROR: the FerretDB _id pushdown patch does not fit"; exit 1; }
sed -i 's/if params.Filter.Len() == 1 {/if params.Filter.Len() >= 1 {/' "$coll"
cp go.mod go.sum main.go "$work/"
cd "$work"
go mod edit -replace "github.com/FerretDB/FerretDB=./FerretDB"
with_heartbeat "ferretdb" env CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -o "$work/ferretdb" .
# A rename, not an overwrite: FerretDB processes already running keep the binary they started with.
mv -f "$work/ferretdb" "$BIN/ferretdb"
rm -rf "$work"
stamp ferretdb "$VERSION"
printf "%s" "$PATCHES" > "$TOOLS/ferretdb.patches"
say "ferretdb ready: $BIN/ferretdb"
