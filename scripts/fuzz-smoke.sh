#!/usr/bin/env bash
# A short fuzzing run of each cargo-fuzz target in fuzz/ (issue 11): the OCRA suite
# parser, the scenario loader, the response and code parsers, the request decoders.
# Installs cargo-fuzz if it is missing; needs the nightly toolchain. Each target
# starts from fuzz/seeds/TARGET and runs SECONDS (default 10); a crash fails the
# script, its input kept under fuzz/artifacts/TARGET/.
#
#   scripts/fuzz-smoke.sh [SECONDS [TARGET...]]
#
# The longer run in the README: FUZZ_SECONDS per target, e.g.
#   scripts/fuzz-smoke.sh 900
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
# Outside the clone: an instrumented build is large.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/portcullis-fuzz-target}"
seconds="${1:-10}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(ocra_suite scenario responses requests)

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

cd "$repo/fuzz"
cargo +nightly fuzz build
failed=0
for t in "${targets[@]}"; do
  corpus="$CARGO_TARGET_DIR/corpus/$t"
  mkdir -p "$corpus"
  echo "== $t (${seconds}s)"
  if cargo +nightly fuzz run "$t" "$corpus" "seeds/$t" -- \
      -max_total_time="$seconds" -print_final_stats=1 2>"$CARGO_TARGET_DIR/fuzz-$t.log"; then
    grep -E '^(#[0-9]+ *DONE|stat::number_of_executed_units|stat::peak_rss_mb)' \
      "$CARGO_TARGET_DIR/fuzz-$t.log" || true
  else
    tail -40 "$CARGO_TARGET_DIR/fuzz-$t.log"
    echo "FAIL $t: see $CARGO_TARGET_DIR/fuzz-$t.log and fuzz/artifacts/$t/"
    failed=1
  fi
done
exit "$failed"
