#!/usr/bin/env bash
# Runs the README's test-kit example as a QA engineer would: its Cargo.toml and
# tests/login.rs copied into a new crate outside this repository, depending on
# tests/ by path, against the binaries already built. Run inside a desktop session
# (scripts/with-desktop.sh); scripts/test.sh does.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/portcullis-target}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/portcullis-example/tests"
ln -s "$repo" "$work/portcullis"

# The fenced block after each `<!-- kit-example: PATH -->` line, into PATH.
for file in Cargo.toml tests/login.rs; do
  awk -v marker="<!-- kit-example: $file -->" '
    $0 == marker { found = 1; next }
    found && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }
  ' "$repo/README.md" >"$work/portcullis-example/$file"
  [ -s "$work/portcullis-example/$file" ] || { echo "kit-example: no $file block in README.md" >&2; exit 1; }
done
# The same dependency versions as Portcullis's own build, so its target folder serves.
cp "$repo/Cargo.lock" "$work/portcullis-example/Cargo.lock"

cd "$work/portcullis-example"
PORTCULLIS_BIN_DIR="$CARGO_TARGET_DIR/debug" cargo test
