#!/usr/bin/env bash
# Quick start, part one: set up, build, and open Portcullis with its bundled demo
# broker. Needs a desktop session (a display); extra arguments go to the app.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/portcullis-target}"
cargo build --workspace
exec "$CARGO_TARGET_DIR/debug/portcullis" "$@"
