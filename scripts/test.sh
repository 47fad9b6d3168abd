#!/usr/bin/env bash
# Quick start, part two: set up and run every test — unit, OCRA vectors, the broker as
# a real process, and the app through tauri-driver — in a private headless desktop
# session (scripts/with-desktop.sh). Extra arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/portcullis-target}"
# The end-to-end tests start the built binaries (mock-broker, portcullis).
cargo build --workspace
scripts/with-desktop.sh cargo test --workspace "$@"
# The README's test-kit example, as a new crate outside the repository would run it.
scripts/with-desktop.sh scripts/kit-example.sh
