#!/usr/bin/env bash
# Installs everything Safeguard needs that is not plain JavaScript: node_modules (from the lock file)
# and the pinned native tools (Temporal CLI, Temporal time-skipping test server, moto) into a
# project-local virtual environment. Idempotent, and fast when nothing changed: it compares a stamp
# of the inputs against the one written by the last successful install.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

venv=".tools/venv"
req="tools/requirements.txt"
stamp=".tools/requirements.stamp"
want="$(sha256sum "$req" | cut -d' ' -f1)-$(python3 --version 2>&1)"

if [ ! -x "$venv/bin/temporal" ] || [ ! -x "$venv/bin/moto_server" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "safeguard: installing pinned tools from $req into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
  echo "$want" > "$stamp"
fi

lockstamp="node_modules/.safeguard-lock.stamp"
lockwant="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ ! -d node_modules ] || [ "$(cat "$lockstamp" 2>/dev/null)" != "$lockwant" ]; then
  echo "safeguard: installing node modules (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lockwant" > "$lockstamp"
fi
