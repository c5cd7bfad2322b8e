#!/usr/bin/env bash
# Installs what the production topology (tools/prod, `npm run start:prod-topology`) runs, into .tools/prod/bin:
#   temporal-server     go.temporal.io/server/cmd/server            (go install; a big first compile)
#   temporal-sql-tool   go.temporal.io/server/cmd/tools/sql         (the same version: schema matches server)
#   ferretdb-pg         FerretDB v1.24 on PostgreSQL, from tools/prod/ferretdb-pg
# and makes sure PostgreSQL's server binaries exist (Debian's `postgresql` package through apt-get otherwise).
# Idempotent: a version stamp per binary; later runs print one line each and return at once.
source "$(dirname "$0")/../lib.sh"
PROD="$TOOLS/prod"
PROD_BIN="$PROD/bin"
mkdir -p "$PROD_BIN"

# Newest first among the releases that build with Go 1.26.8 (GOTOOLCHAIN=local refuses newer go directives);
# v1.29.1 comes first because it is the server the Temporal CLI of tools/build-temporal.sh embeds, so its
# modules and most compiled packages are already in the Go caches.
TEMPORAL_SERVER_VERSIONS=(${TEMPORAL_SERVER_VERSIONS:-v1.29.1 v1.30.4 v1.32.1})
# -pg-2: the `_id` equality patch below (-pg-1 was the unpatched build, which scanned for every `_id` lookup).
FERRETDB_PG_VERSION=v1.24.2-pg-2

prod_up_to_date() { [ -f "$PROD/$1.version" ] && [ "$(cat "$PROD/$1.version")" = "$2" ] && [ -x "$PROD_BIN/$1" ]; }
prod_stamp() { printf '%s' "$2" > "$PROD/$1.version"; }

build_temporal_server() {
  local version="$1" gobin="$PROD/go-bin"
  rm -rf "$gobin" && mkdir -p "$gobin"
  say "building Temporal server $version and its SQL schema tool from Go modules (first build: 5-15 min on 2 cores; cached afterwards)"
  local start=$SECONDS
  # go install names the binaries after their package directories (server, sql): renamed below.
  with_heartbeat "temporal-server $version" nice -n 10 env CGO_ENABLED=0 GOBIN="$gobin" GOFLAGS="-mod=mod -buildvcs=false" \
    go install "go.temporal.io/server/cmd/server@$version" "go.temporal.io/server/cmd/tools/sql@$version" || return 1
  mv -f "$gobin/server" "$PROD_BIN/temporal-server"
  mv -f "$gobin/sql" "$PROD_BIN/temporal-sql-tool"
  rmdir "$gobin" 2>/dev/null || true
  prod_stamp temporal-sql-tool "$version"
  prod_stamp temporal-server "$version"
  say "temporal-server $version ready in $((SECONDS - start)) s: $PROD_BIN/temporal-server, $PROD_BIN/temporal-sql-tool"
}

install_temporal_server() {
  local v
  for v in "${TEMPORAL_SERVER_VERSIONS[@]}"; do
    if prod_up_to_date temporal-server "$v" && prod_up_to_date temporal-sql-tool "$v"; then
      say "temporal-server $v: up to date"; return 0
    fi
  done
  need go "install Go 1.25+ (https://go.dev/dl) to build the Temporal server"
  for v in "${TEMPORAL_SERVER_VERSIONS[@]}"; do
    build_temporal_server "$v" && return 0
    say "temporal-server $v did not build with $(go version | cut -d' ' -f3); trying the next release"
  done
  say "ERROR: no Temporal server release in (${TEMPORAL_SERVER_VERSIONS[*]}) built"; return 1
}

install_ferretdb_pg() {
  if prod_up_to_date ferretdb-pg "$FERRETDB_PG_VERSION"; then say "ferretdb-pg $FERRETDB_PG_VERSION: up to date"; return 0; fi
  need go "install Go 1.24+ (https://go.dev/dl) to build FerretDB"
  say "building FerretDB $FERRETDB_PG_VERSION (PostgreSQL backend) from Go modules, with tools/prod/ferretdb-pg/id-lookup.patch"
  # The patch makes every `_id` lookup use the index (without it each one read the whole table); build.sh is the
  # recipe the docker-compose image uses too.
  local work="$PROD/ferretdb-pg-build"
  with_heartbeat "ferretdb-pg" nice -n 10 bash "$ROOT/tools/prod/ferretdb-pg/build.sh" "$work" "$work/ferretdb-pg" ||
    { say "ERROR: FerretDB did not build (or its _id patch did not apply)"; return 1; }
  # A rename, not an overwrite: a FerretDB already running keeps the binary it started with.
  mv -f "$work/ferretdb-pg" "$PROD_BIN/ferretdb-pg"
  rm -rf "$work"
  prod_stamp ferretdb-pg "$FERRETDB_PG_VERSION"
  say "ferretdb-pg ready: $PROD_BIN/ferretdb-pg"
}

# The newest /usr/lib/postgresql/<major>/bin (Debian's layout), else the directory of an initdb on PATH.
postgres_bindir() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
  if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then echo "$d"; return 0; fi
  command -v initdb >/dev/null 2>&1 && dirname "$(readlink -f "$(command -v initdb)")"
}

install_postgres() {
  local dir
  if dir="$(postgres_bindir)" && [ -n "$dir" ]; then
    say "postgresql: $("$dir/postgres" --version) in $dir"
  else
    command -v apt-get >/dev/null 2>&1 || { say "ERROR: PostgreSQL is missing and apt-get is unavailable: install PostgreSQL 12+ (initdb, postgres, pg_ctl)"; return 1; }
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
      if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n); else
        say "ERROR: PostgreSQL is missing and installing it needs root: run 'apt-get install -y postgresql' as root"; return 1
      fi
    fi
    export DEBIAN_FRONTEND=noninteractive
    say "postgresql: apt-get update (a minute or two)..."
    "${sudo[@]}" apt-get update -q
    say "postgresql: apt-get install -y postgresql..."
    # The package's own cluster is not used: the topology runs a private one in its data directory.
    "${sudo[@]}" apt-get install -y -q --no-install-recommends postgresql
    dir="$(postgres_bindir)" || { say "ERROR: apt-get installed postgresql but no initdb was found"; return 1; }
    say "postgresql: installed $("$dir/postgres" --version) in $dir"
  fi
  # initdb refuses to run as root: the server runs as an unprivileged system user (Debian's package creates it).
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    say "postgresql: creating the system user 'postgres' (initdb and postgres refuse to run as root)"
    useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home --shell /usr/sbin/nologin postgres
  fi
}

install_postgres
install_ferretdb_pg
install_temporal_server
