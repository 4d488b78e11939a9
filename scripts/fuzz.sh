#!/usr/bin/env bash
# Runs the fuzz targets in fuzz/ (cargo-fuzz, libFuzzer, AddressSanitizer) one after
# the other for SECONDS each (default 60), seeded from tests/vectors/ (fuzz/seed.py);
# what they find stays in fuzz/corpus/TARGET/ for the next run. A target that fails
# prints the saved input's path (fuzz/artifacts/TARGET/) and its bytes in base64 (replay
# it with `RUSTC_BOOTSTRAP=1 cargo fuzz run TARGET PATH`); the others still run, and
# the script then exits with 1.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Stable Rust is enough: RUSTC_BOOTSTRAP=1 lets it take cargo-fuzz's nightly flags.
# Installs cargo-fuzz when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(deflate resource_id json_writer event_round_trip cli_input receiver)
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
python3 fuzz/seed.py
for t in "${targets[@]}"; do
  cargo fuzz build "$t"
done
failed=0
for t in "${targets[@]}"; do
  printf '\n== fuzz %s for %ss\n' "$t" "$seconds"
  mkdir -p "fuzz/artifacts/$t"
  log="fuzz/artifacts/$t.log"
  marker=$(mktemp) # older than anything this run saves
  dict=()
  [ -f "fuzz/dicts/$t.dict" ] && dict=("-dict=$PWD/fuzz/dicts/$t.dict")
  if ! cargo fuzz run "$t" "fuzz/corpus/$t" -- -max_total_time="$seconds" -timeout=120 \
      -print_final_stats=1 "${dict[@]}" >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "fuzz target $t failed; the input that failed:"
    saved=$(find "fuzz/artifacts/$t" -type f -newer "$marker")
    [ -n "$saved" ] || echo "(none saved: the log above says why)"
    for f in $saved; do
      echo "$f"
      base64 -w0 "$f"
      echo
    done
    failed=1
    rm -f "$marker"
    continue
  fi
  rm -f "$marker"
  # libFuzzer's last status line (runs, coverage, features, corpus) and final stats.
  grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true
  grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$log" || true
done
exit "$failed"
