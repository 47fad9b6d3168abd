#!/usr/bin/env bash
# The password step under wrk against a release broker: N users, 8 connections.
#
#   mock-broker/bench/run.sh N [dsc_plus|ib_key] [PILE] [SECONDS]
#
# N users from `mock-broker bench scenario` (u000001.. with a DSC+ card, or k000001..
# with IB Key); with PILE, that many pushes from a day ago (expired,
# withdrawn, approved, denied) are put in the store first, as if earlier logins had
# left them. MOCK_BROKER (default: the release build under CARGO_TARGET_DIR or
# target/) is the binary measured. Prints wrk's summary; the line to read is
# "Requests/sec". Needs wrk and sqlite3. `bench/all.sh` runs `mock-broker bench`, the
# project's own load client, for every figure.
set -euo pipefail
n=${1:?N users}
kind=${2:-dsc_plus}
pile=${3:-0}
secs=${4:-20}
here=$(cd "$(dirname "$0")" && pwd)
bin=${MOCK_BROKER:-${CARGO_TARGET_DIR:-$here/../../target}/release/mock-broker}
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
case $kind in
  dsc_plus) "$bin" bench scenario --cards "$n" > "$work/scenario.toml"; prefix=u ;;
  ib_key) "$bin" bench scenario --cards 0 --ib-keys "$n" > "$work/scenario.toml"; prefix=k ;;
  *) echo "kind: dsc_plus or ib_key" >&2; exit 2 ;;
esac

start() {
  : > "$work/out"
  "$bin" serve --qa --state "$work/state" --scenario "$work/scenario.toml" \
    --argon2-memory-kib 8 --argon2-iterations 1 > "$work/out" 2> "$work/err" &
  pid=$!
  until grep -q '^listening on ' "$work/out"; do
    kill -0 "$pid" 2>/dev/null || { cat "$work/err"; exit 1; }
    sleep 0.2
  done
  url=$(sed -n 's/^listening on //p' "$work/out")
}

start
if [ "$pile" -gt 0 ]; then
  kill "$pid"; wait "$pid" || true; pid=
  day_ago=$(( $(date +%s) * 1000 - 86400000 ))
  sqlite3 "$work/state/broker.sqlite3" <<SQL
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < $pile)
INSERT INTO pushes (id, ticket_hash, username, device_id, phone_id, challenge,
                    issued_at, expires_at, state, delivery)
SELECT 'push-old-' || x, 'old-' || x, printf('k%06d', x % $n + 1),
       printf('IBK-%08d', x % $n + 1), 'bench-phone', '12345678',
       $day_ago + x, $day_ago + x + 180000,
       CASE x % 4 WHEN 0 THEN 'pending' WHEN 1 THEN 'withdrawn'
                  WHEN 2 THEN 'approved' ELSE 'denied' END, 'sent'
FROM c;
SQL
  start
fi
echo "$n users ($kind), $pile old pushes, $bin"
wrk -t2 -c8 -d"${secs}s" -s "$here/login.lua" "$url" -- "$n" "$prefix"
echo "pushes left: $(sqlite3 "$work/state/broker.sqlite3" 'SELECT count(*) FROM pushes')"
