#!/usr/bin/env bash
# Installs Debian's chromium for `npm run test:browser` (playwright-core drives it; Playwright's own
# browser download is not used). Idempotent and quiet: does nothing when /usr/bin/chromium runs.
# Needs root (CI runs as root); otherwise says what to run and fails.
set -euo pipefail
CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ] && "$CHROMIUM" --headless --no-sandbox --version >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "install-chromium: $CHROMIUM is missing; run as root: apt-get install -y --no-install-recommends chromium" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: $CHROMIUM is missing and this system has no apt-get (Debian's chromium package is expected)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; } >"$log" 2>&1; then
  echo "install-chromium: apt-get failed:" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
if ! "$CHROMIUM" --headless --no-sandbox --version >/dev/null 2>&1; then
  echo "install-chromium: chromium was installed but $CHROMIUM does not run" >&2
  exit 1
fi
echo "install-chromium: $("$CHROMIUM" --version 2>/dev/null)"
