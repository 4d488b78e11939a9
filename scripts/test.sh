#!/usr/bin/env bash
# The README's test command: installs the test dependencies (Node 22 and Azurite, pinned
# in package.json / package-lock.json; idempotent), then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-test-deps.sh
cargo test --all-features --lib --tests --examples "$@"
cargo test --all-features --doc
# The `arn` command line tool (arn-cli/, a workspace member): unit and end-to-end tests.
cargo test -p arn-cli
