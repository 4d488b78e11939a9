#!/usr/bin/env bash
# Counts the instructions (callgrind) the client spends per compressed notification,
# the caller's construction of the notification included, through a no-op transport
# and blob store (benches/count_instructions.rs): per notification for 1 and 10 AKS
# node resources (inline), per resource for 100 and 1000 (blob path); and per change
# published through a `Publisher` (one node each, batches cut to go inline).
#
# Each size runs twice with different counts; the difference of the two totals divided
# by the difference of the counts cancels start-up and warm-up costs.
#
# Usage: scripts/count-instructions.sh   (needs valgrind: apt-get install valgrind)
set -euo pipefail
cd "$(dirname "$0")/.."

command -v valgrind >/dev/null || { echo "valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }

bin=$(cargo build --release --quiet --features testing --bench count_instructions \
  --message-format=json |
  sed -n 's/.*"executable":"\([^"]*count_instructions[^"]*\)".*/\1/p' | tail -n 1)
[ -x "$bin" ] || { echo "could not build benches/count_instructions.rs" >&2; exit 1; }

# Instructions of one run: `instructions NODES COUNT`.
instructions() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$1" "$2" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

# `measure NODES LOW HIGH PER`: prints instructions per notification (PER=notification)
# or per resource (PER=resource).
measure() {
  local nodes=$1 low=$2 high=$3 per=$4 a b each
  a=$(instructions "$nodes" "$low")
  b=$(instructions "$nodes" "$high")
  [ -n "$a" ] && [ -n "$b" ] || { echo "callgrind gave no count for $nodes nodes" >&2; exit 1; }
  each=$(( (b - a) / (high - low) ))
  if [ "$per" = resource ]; then
    printf '%5s nodes: %10d instructions per resource\n' "$nodes" $(( each / nodes ))
  else
    printf '%5s nodes: %10d instructions per notification\n' "$nodes" "$each"
  fi
}

measure 1 20 220 notification
measure 10 10 60 notification
measure 100 2 12 resource
measure 1000 1 4 resource

a=$(instructions publish 200)
b=$(instructions publish 1200)
[ -n "$a" ] && [ -n "$b" ] || { echo "callgrind gave no count for publish" >&2; exit 1; }
printf '  publish: %10d instructions per change\n' $(( (b - a) / 1000 ))
