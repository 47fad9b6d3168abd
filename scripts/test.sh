#!/usr/bin/env bash
# Quick start, part two: set up and run every test — unit, OCRA vectors, the broker as
# a real process, and the app through tauri-driver — in private headless desktop
# sessions (scripts/with-desktop.sh).
#
# The UI suite runs as two halves at once, each in its own desktop session (its own
# Xvfb, D-Bus, keyring, notification daemon and config folders), so the two apps never
# share a keyring or settings. The first half is the modules named below; the second
# is every other module, so a new module is never left out.
#
# Extra arguments (a test name filter) go to `cargo test` over the whole workspace and then the UI suite,
# each in one session (`scripts/test.sh -- kiosk`, say).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/portcullis-target}"
# The end-to-end tests start the built binaries (mock-broker, portcullis).
cargo build --workspace --all-targets

if [ $# -gt 0 ]; then
  scripts/with-desktop.sh cargo test --workspace "$@"
  scripts/with-desktop.sh cargo test -p portcullis-testkit --test ui "$@"
else
  # Everything but the UI suite (tests/Cargo.toml leaves it out unless named).
  scripts/with-desktop.sh cargo test --workspace

  first_half=(settings:: locale:: online_card:: lost_device:: accessibility::)
  skips=()
  for m in "${first_half[@]}"; do skips+=(--skip "$m"); done
  logs=$(mktemp -d /tmp/portcullis-ui.XXXXXX)
  started=$SECONDS
  scripts/with-desktop.sh cargo test -p portcullis-testkit --test ui -- "${first_half[@]}" \
    >"$logs/ui-1.log" 2>&1 &
  one=$!
  scripts/with-desktop.sh cargo test -p portcullis-testkit --test ui -- "${skips[@]}" \
    >"$logs/ui-2.log" 2>&1 &
  two=$!
  # Ctrl-C or a kill stops both halves (background jobs ignore SIGINT on their own).
  trap 'kill $one $two 2>/dev/null || true' INT TERM
  status=0
  wait $one || status=1
  wait $two || status=1
  for half in 1 2; do
    echo "---- UI suite, half $half ----"
    grep -Ev '^(dbus-daemon|SpiRegistry)' "$logs/ui-$half.log" || true
  done
  echo "UI suite: both halves took $((SECONDS - started)) s"
  rm -rf "$logs"
  [ $status -eq 0 ] || { echo "UI suite failed (see above)" >&2; exit 1; }
fi

# The README's test-kit example, as a new crate outside the repository would run it.
scripts/with-desktop.sh scripts/kit-example.sh
