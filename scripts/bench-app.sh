#!/usr/bin/env bash
# The app's start, memory and size next to a bare Tauri 2 window built the same way
# (bench/bare-window: the same Tauri, features and release profile). Builds both in
# release as the packages are built (with `custom-protocol`), then, in a private
# headless desktop (scripts/with-desktop.sh), starts each RUNS times by turns and
# prints each start, the medians side by side and their ratios (bench/app-bench.py says
# how first paint and memory are taken), then the stripped binaries' sizes.
#
# Portcullis talks to a mock broker started here once, in memory, so that its start
# and memory are the login window's own, not the bundled broker's.
#
#   scripts/bench-app.sh [RUNS] [SETTLE_SECONDS]      (5 and 3 when left out)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
runs="${1:-5}"
settle="${2:-3}"
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/portcullis-target}"

# Both apps in one build, so they share one compiled Tauri: the bare window adds no
# feature of its own, and the app's build is the one `cargo tauri build` makes (which
# turns on `tauri/custom-protocol` the same way, so neither build undoes the other).
cargo build --release -p portcullis -p bare-window --features tauri/custom-protocol
# The broker alone: built with the apps it would unify more features into them.
cargo build --release -p mock-broker
release="$CARGO_TARGET_DIR/release"

work=$(mktemp -d /tmp/portcullis-bench-app.XXXXXX)
broker=""
cleanup() {
  [ -z "$broker" ] || kill "$broker" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

"$release/mock-broker" serve --addr 127.0.0.1:0 >"$work/broker.out" 2>"$work/broker.err" &
broker=$!
deadline=$((SECONDS + 20))
until url=$(sed -n 's/^listening on \(http:[^ ]*\).*/\1/p' "$work/broker.out") && [ -n "$url" ]; do
  if [ $SECONDS -ge $deadline ]; then
    echo "bench-app: the broker did not start" >&2
    cat "$work/broker.err" >&2
    exit 1
  fi
  sleep 0.1
done

echo "Portcullis against a bare Tauri 2 window: $runs starts each, memory $settle s after first paint"
echo "(broker at $url; $(nproc) cores; $(uname -r))"
scripts/with-desktop.sh python3 bench/app-bench.py --runs "$runs" --settle "$settle" \
  --log "$work/apps.log" \
  --name portcullis --cmd "$release/portcullis --broker-url $url" \
  --name bare --cmd "$release/bare-window"

app_size=$(stat -c %s "$release/portcullis")
bare_size=$(stat -c %s "$release/bare-window")
echo
echo "stripped release binaries"
awk -v a="$app_size" -v b="$bare_size" 'BEGIN {
  printf "portcullis    %8.2f MB\nbare          %8.2f MB\nportcullis / bare %7.3f×\n",
    a / 1e6, b / 1e6, a / b
}'
