#!/usr/bin/env bash
# Prints a PostgreSQL URL the test suite can use, starting a server first when needed.
#   1. TEST_DATABASE_URL already set          -> print it.
#   2. a Debian cluster exists (pg_lsclusters) -> start it, make sure role+database exist.
#   3. PostgreSQL binaries only                -> a throwaway cluster under .pg/ run as `postgres`.
#   4. nothing, and we are root with apt       -> install Debian's postgresql, then 2.
# All messages go to stderr; stdout is the URL only.
set -euo pipefail

ROLE=nmc_test
PASSWORD=nmc_test_pw
DB=nmc_test
PORT_THROWAWAY=54329
here="$(cd "$(dirname "$0")/.." && pwd)"

say() { echo "postgres-for-tests: $*" >&2; }

if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "$TEST_DATABASE_URL"
  exit 0
fi

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else sudo -n -u postgres "$@"; fi
}

ensure_role_and_db() {  # $1 = port
  local port=$1
  as_postgres psql -p "$port" -qtAc "SELECT 1 FROM pg_roles WHERE rolname='$ROLE'" | grep -q 1 ||
    as_postgres psql -p "$port" -qc "CREATE ROLE $ROLE LOGIN CREATEDB PASSWORD '$PASSWORD'" >&2
  as_postgres psql -p "$port" -qtAc "SELECT 1 FROM pg_database WHERE datname='$DB'" | grep -q 1 ||
    as_postgres psql -p "$port" -qc "CREATE DATABASE $DB OWNER $ROLE" >&2
  echo "postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$port/$DB"
}

if ! command -v pg_lsclusters >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian's postgresql package"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
  else
    say "no PostgreSQL found; install it (apt-get install postgresql) or set TEST_DATABASE_URL"
    exit 1
  fi
fi

if command -v pg_lsclusters >/dev/null 2>&1 && [ -n "$(pg_lsclusters -h 2>/dev/null)" ]; then
  read -r version name port status _ < <(pg_lsclusters -h | head -1)
  if [ "$status" != "online" ]; then
    say "starting cluster $version/$name on port $port"
    pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start >&2 || pg_ctlcluster "$version" "$name" start >&2
  fi
  ensure_role_and_db "$port"
  exit 0
fi

# Throwaway cluster: initdb refuses to run as root, so it runs as the postgres user.
bindir="$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")"
datadir="/tmp/nmc-pg-$(echo "$here" | md5sum | cut -c1-8)"
if [ ! -f "$datadir/PG_VERSION" ]; then
  say "creating a throwaway cluster in $datadir"
  mkdir -p "$datadir" && chown postgres "$datadir" 2>/dev/null || true
  as_postgres "$bindir/initdb" -D "$datadir" -A md5 --username=postgres --pwfile=<(echo postgres) >&2
fi
if ! as_postgres "$bindir/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
  as_postgres "$bindir/pg_ctl" -D "$datadir" -o "-p $PORT_THROWAWAY -k /tmp" -l "$datadir/server.log" -w start >&2
fi
PGHOST=/tmp PGPASSWORD=postgres ensure_role_and_db "$PORT_THROWAWAY"
