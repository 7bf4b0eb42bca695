#!/bin/sh
# Entrypoint of the Safeguard image (deploy/Dockerfile):
#   docker run safeguard:<version> worker|api|slack-app|safeguard [args...]
# TypeScript runs through tsx, a production dependency. `exec` makes node the container's main
# process, so `docker stop`'s SIGTERM reaches the worker, api and Slack app, which shut down on it.
set -eu
cd "$(dirname "$0")/.."

usage() {
  cat >&2 <<'USAGE'
usage: <image> COMMAND [args...]
  worker       the Temporal worker (workflows and activities)
  api          credential vending, authenticated actions, the codec endpoint
  slack-app    the Slack app (HTTP on PORT, or Socket Mode with SLACK_APP_TOKEN)
  safeguard    the safeguard CLI, e.g. `safeguard audit verify` or `safeguard policy validate FILE`
USAGE
}

command=${1:-help}
if [ "$#" -gt 0 ]; then shift; fi
case "$command" in
  worker) exec node --import tsx worker/main.ts "$@" ;;
  api) exec node --import tsx api/main.ts "$@" ;;
  slack-app) exec node --import tsx slack-app/main.ts "$@" ;;
  safeguard) exec node --import tsx cli/main.ts "$@" ;;
  help | -h | --help)
    usage
    exit 0
    ;;
  *)
    echo "unknown command: $command" >&2
    usage
    exit 64
    ;;
esac
