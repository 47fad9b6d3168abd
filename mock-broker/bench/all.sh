#!/usr/bin/env bash
# Every `mock-broker bench` phase against release brokers with their state on disk.
#
#   mock-broker/bench/all.sh [CARDS] [SECONDS] [-- more bench flags]
#
# Starts two brokers from `mock-broker bench scenario`:
#   - cheap hashing (Argon2id m = 8 KiB, t = 1), CARDS card users (default 64) and
#     10,000 IB Key users, `--qa`, a connection cap above 10,000 waiters: rounds,
#     verifications, pushes, waiters;
#   - the default Argon2id cost, 64 card users: full logins.
# State folders go under BENCH_DIR (default /var/tmp, a disk, not tmpfs). MOCK_BROKER
# (default: the release build under CARGO_TARGET_DIR or target/) is the binary
# measured; build it with `cargo build --release -p mock-broker`. Example, a quick run:
#   mock-broker/bench/all.sh 64 2 -- --only rounds,verify --waiters 1000
set -euo pipefail
cards=64
secs=10
if [ $# -gt 0 ] && [ "$1" != "--" ]; then cards=$1; shift; fi
if [ $# -gt 0 ] && [ "$1" != "--" ]; then secs=$1; shift; fi
if [ $# -gt 0 ] && [ "$1" = "--" ]; then shift; fi
here=$(cd "$(dirname "$0")" && pwd)
bin=${MOCK_BROKER:-${CARGO_TARGET_DIR:-$here/../../target}/release/mock-broker}
work=$(mktemp -d "${BENCH_DIR:-/var/tmp}/portcullis-bench.XXXXXX")
pids=()
# The brokers are stopped and waited for before their state folders go.
trap 'for p in ${pids[@]+"${pids[@]}"}; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$work"' EXIT
export MOCK_BROKER_QA_TOKEN=${MOCK_BROKER_QA_TOKEN:-bench-$RANDOM$RANDOM}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 65536 2>/dev/null || true

# start NAME SCENARIO [serve flags...]: sets $url and $pid.
start() {
  local name=$1 scenario=$2
  shift 2
  : > "$work/$name.out"
  "$bin" serve --state "$work/$name" --scenario "$scenario" "$@" \
    > "$work/$name.out" 2> "$work/$name.err" &
  pid=$!
  pids+=("$pid")
  until grep -q '^listening on ' "$work/$name.out"; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/$name.err"; exit 1; }
    sleep 0.2
  done
  url=$(sed -n 's/^listening on //p' "$work/$name.out")
}

"$bin" bench scenario --cards "$cards" --ib-keys 10000 > "$work/cheap.toml"
"$bin" bench scenario --cards 64 > "$work/full.toml"
start cheap "$work/cheap.toml" --qa --argon2-memory-kib 8 --argon2-iterations 1 \
  --max-connections 12000
cheap_url=$url cheap_pid=$pid
start full "$work/full.toml"
full_url=$url full_pid=$pid

echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ {print $2}') GiB"
echo "binary: $bin; state: $work (on $(df --output=fstype "$work" | tail -1)); load average: $(cut -d" " -f1-3 /proc/loadavg)"
"$bin" bench --url "$cheap_url" --broker-pid "$cheap_pid" --cards "$cards" --ib-keys 10000 \
  --full-url "$full_url" --full-broker-pid "$full_pid" --full-cards 64 \
  --seconds "$secs" "$@"
