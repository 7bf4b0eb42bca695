#!/bin/sh
# One-shot job `temporal-schema` (docker-compose.yml, image temporalio/admin-tools): creates Temporal's
# two PostgreSQL databases when they are missing and brings both schemas up to the versions this
# admin-tools image ships. Every step is safe to repeat, which is how a Temporal server upgrade
# migrates the schema: raise the admin-tools and server tags together and start the stack
# (docs/deploy.md). Written for Safeguard; upstream's samples-server script fails on a second run.
set -eu

: "${POSTGRES_SEEDS:?POSTGRES_SEEDS (the PostgreSQL host) is required}"
: "${POSTGRES_USER:?POSTGRES_USER is required}"
# temporal-sql-tool reads the password from SQL_PASSWORD itself: it never appears on a command line.
: "${SQL_PASSWORD:?SQL_PASSWORD (the PostgreSQL password) is required}"
DB_PORT="${DB_PORT:-5432}"
DBNAME="${DBNAME:-temporal}"
VISIBILITY_DBNAME="${VISIBILITY_DBNAME:-temporal_visibility}"
SCHEMA_DIR="${SCHEMA_DIR:-/etc/temporal/schema/postgresql/v12}"
MAX_ATTEMPTS="${MAX_ATTEMPTS:-30}"
SLEEP_SECONDS="${SLEEP_SECONDS:-2}"

attempt=1
until nc -z -w 5 "$POSTGRES_SEEDS" "$DB_PORT"; do
  if [ "$attempt" -ge "$MAX_ATTEMPTS" ]; then
    echo "setup-schema: PostgreSQL at $POSTGRES_SEEDS:$DB_PORT is not reachable after $MAX_ATTEMPTS attempts" >&2
    exit 1
  fi
  echo "setup-schema: waiting for PostgreSQL at $POSTGRES_SEEDS:$DB_PORT (attempt $attempt/$MAX_ATTEMPTS)"
  attempt=$((attempt + 1))
  sleep "$SLEEP_SECONDS"
done

sql_tool() {
  temporal-sql-tool --plugin postgres12 --ep "$POSTGRES_SEEDS" -p "$DB_PORT" -u "$POSTGRES_USER" "$@"
}

# create_database NAME: an existing database is fine. On the very first start it is expected: the
# postgres image has already created the database named after POSTGRES_USER (`temporal`).
create_database() {
  if out=$(sql_tool --db "$1" create 2>&1); then
    echo "setup-schema: created database $1"
    return 0
  fi
  case "$out" in
    *"already exists"*) echo "setup-schema: database $1 already exists" ;;
    *)
      printf '%s\n' "$out" >&2
      echo "setup-schema: could not create database $1" >&2
      return 1
      ;;
  esac
}

# migrate NAME DIR: setup-schema -v 0.0 only creates the version tables (it leaves a newer version
# alone); update-schema applies the versioned steps the database does not have yet.
migrate() {
  create_database "$1"
  sql_tool --db "$1" setup-schema -v 0.0
  sql_tool --db "$1" update-schema -d "$SCHEMA_DIR/$2/versioned"
  echo "setup-schema: $1 is at the schema version of this admin-tools image"
}

migrate "$DBNAME" temporal
migrate "$VISIBILITY_DBNAME" visibility
