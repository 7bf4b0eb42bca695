#!/bin/sh
# One-shot job `temporal-namespace` (docker-compose.yml, image temporalio/admin-tools): waits for the
# Temporal cluster, creates Safeguard's namespace if it is missing, and registers Safeguard's search
# attributes in it. Safe to repeat: what exists is left as it is (an existing namespace keeps its
# retention; change that with `temporal operator namespace update --retention`).
set -eu

TEMPORAL_ADDRESS="${TEMPORAL_ADDRESS:-temporal:7233}"
: "${NAMESPACE:?NAMESPACE (Safeguard TEMPORAL_NAMESPACE) is required}"
# How long closed workflow histories are kept. The evidence record, not the history, is the audit
# trail, but the codec key that wrote a history must be kept at least this long (docs/codec.md).
NAMESPACE_RETENTION="${NAMESPACE_RETENTION:-720h}"
MAX_ATTEMPTS="${MAX_ATTEMPTS:-30}"
SLEEP_SECONDS="${SLEEP_SECONDS:-5}"

# Must equal the values of SEARCH_ATTRIBUTES in workflows/shared/search-attributes.ts
# (test/unit/deploy-compose.test.ts checks it). All are Keyword.
SEARCH_ATTRIBUTES="SafeguardKind SafeguardRequester SafeguardRole SafeguardAccount SafeguardOutcome"

# retry WHAT COMMAND...: runs COMMAND until it succeeds, at most MAX_ATTEMPTS times.
retry() {
  what=$1
  shift
  attempt=1
  until "$@"; do
    if [ "$attempt" -ge "$MAX_ATTEMPTS" ]; then
      echo "create-namespace: $what failed after $MAX_ATTEMPTS attempts" >&2
      return 1
    fi
    echo "create-namespace: $what not done yet (attempt $attempt/$MAX_ATTEMPTS)"
    attempt=$((attempt + 1))
    sleep "$SLEEP_SECONDS"
  done
}

cluster_healthy() {
  temporal operator cluster health --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1
}

ensure_namespace() {
  if temporal operator namespace describe --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS" >/dev/null 2>&1; then
    echo "create-namespace: namespace $NAMESPACE exists"
    return 0
  fi
  temporal operator namespace create --namespace "$NAMESPACE" --retention "$NAMESPACE_RETENTION" --address "$TEMPORAL_ADDRESS" &&
    echo "create-namespace: created namespace $NAMESPACE (retention $NAMESPACE_RETENTION)"
}

# has_attribute NAME: whether the namespace lists NAME (a whole word of the list's output).
has_attribute() {
  temporal operator search-attribute list --namespace "$NAMESPACE" --address "$TEMPORAL_ADDRESS" 2>/dev/null | grep -qw -- "$1"
}

# A namespace just created can take a moment to reach every frontend: hence the retries.
ensure_attribute() {
  if has_attribute "$1"; then
    echo "create-namespace: search attribute $1 exists"
    return 0
  fi
  temporal operator search-attribute create --namespace "$NAMESPACE" --name "$1" --type Keyword --address "$TEMPORAL_ADDRESS" &&
    echo "create-namespace: added search attribute $1 (Keyword)"
}

retry "cluster health at $TEMPORAL_ADDRESS" cluster_healthy
retry "namespace $NAMESPACE" ensure_namespace
for name in $SEARCH_ATTRIBUTES; do
  retry "search attribute $name" ensure_attribute "$name"
done
echo "create-namespace: namespace $NAMESPACE is ready for Safeguard"
