#!/usr/bin/env bash
# A local PostgreSQL for the tests: installs Debian's package if missing (as root), starts the
# cluster, creates the role and database, and prints the URL on stdout (everything else on stderr).
# Idempotent: run it again and it only prints the URL.
#   export CATALOG_TEST_POSTGRES_URL=$(bash scripts/postgres.sh)
set -euo pipefail
ROLE="${CATALOG_PG_ROLE:-catalog}"
PASSWORD="${CATALOG_PG_PASSWORD:-catalog}"
DATABASE="${CATALOG_PG_DATABASE:-catalog}"

log() { echo "postgres.sh: $*" >&2; }

if ! command -v pg_lsclusters >/dev/null; then
  if [ "$(id -u)" -ne 0 ]; then
    log "PostgreSQL is not installed; run this script as root to install it"
    exit 1
  fi
  log "installing Debian's postgresql"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi

# The first cluster the package created (Debian: "15 main" on port 5432).
read -r VERSION CLUSTER PORT STATUS _ < <(pg_lsclusters --no-header | head -n 1) || true
if [ -z "${VERSION:-}" ]; then
  log "no PostgreSQL cluster; create one with pg_createcluster"
  exit 1
fi
if [ "$STATUS" != online ]; then
  log "starting cluster $VERSION $CLUSTER"
  pg_ctlcluster "$VERSION" "$CLUSTER" start >&2
fi

as_postgres() {
  if [ "$(id -u)" -eq 0 ]; then
    su postgres -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}
psql_admin() { as_postgres psql --quiet --no-psqlrc --port "$PORT" -v ON_ERROR_STOP=1 "$@"; }

if [ "$(psql_admin -tAc "select 1 from pg_roles where rolname = '$ROLE'")" != 1 ]; then
  log "creating role $ROLE"
  # CREATEDB: the tests create and drop a database of their own for each test module.
  psql_admin -c "create role \"$ROLE\" login createdb password '$PASSWORD'" >&2
fi
# DROP DATABASE ... WITH (FORCE) also ends an autovacuum worker busy in that database, which
# only pg_signal_backend's members may do.
psql_admin -c "set client_min_messages = warning; grant pg_signal_backend to \"$ROLE\"" >&2
if [ "$(psql_admin -tAc "select 1 from pg_database where datname = '$DATABASE'")" != 1 ]; then
  log "creating database $DATABASE"
  as_postgres createdb --port "$PORT" -O "$ROLE" "$DATABASE" >&2
fi

echo "postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DATABASE"
