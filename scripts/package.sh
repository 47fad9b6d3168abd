#!/usr/bin/env bash
# Builds the release packages, a .deb and an .rpm, with Tauri's bundler: the app
# (/usr/bin/portcullis), the mock broker as its sidecar beside it (/usr/bin/mock-broker,
# where the app looks for it), the desktop entry and the icons. Prints the packages'
# paths, one a line. No AppImage: the bundler downloads its tools for that from GitHub.
# Extra arguments go to `cargo tauri build`.
#
#   scripts/package.sh && scripts/check-package.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"
scripts/setup.sh --package
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/portcullis-target}"

if ! cargo tauri --version 2>/dev/null | grep -q '^tauri-cli 2\.'; then
  echo "package: installing the Tauri CLI 2"
  cargo install tauri-cli --version "^2" --locked
fi

# The sidecar: the release broker, named as the bundler wants it (with the target
# triple); it installs it beside the app without the suffix.
# Copied only when it changed: the app's build script watches it (tauri-build), and a
# fresh copy would rebuild the app.
triple="$(rustc -vV | sed -n 's/^host: //p')"
cargo build --release -p mock-broker
sidecar="src-tauri/binaries/mock-broker-$triple"
cmp -s "$CARGO_TARGET_DIR/release/mock-broker" "$sidecar" ||
  install -D -m 755 "$CARGO_TARGET_DIR/release/mock-broker" "$sidecar"

# The CLI takes the app crate's folder (src-tauri/, TAURI_APP_PATH) for the project and
# reads tauri.conf.json there, while the app's build reads it from the root: link it
# for the CLI while it runs. The CLI resolves the config's paths from src-tauri/ but
# the build (with the overlays merged in) from the root, so the paths both use are
# given absolute. packaging/tauri.bundle.json holds the rest: deb and rpm, the
# sidecar (a path both resolve from src-tauri/), the desktop entry's fields.
ln -sfn ../tauri.conf.json src-tauri/tauri.conf.json
trap 'rm -f "$repo/src-tauri/tauri.conf.json"' EXIT
icons="\"$repo/src-tauri/icons/32x32.png\", \"$repo/src-tauri/icons/64x64.png\","
icons+=" \"$repo/src-tauri/icons/icon.png\", \"$repo/src-tauri/icons/256x256.png\""
paths="{\"build\": {\"frontendDist\": \"$repo/ui\"}, \"bundle\": {\"icon\": [$icons]}}"

TAURI_APP_PATH="$repo/src-tauri" TAURI_FRONTEND_PATH="$repo" \
  cargo tauri build --ci --no-sign --bundles deb,rpm \
  --config "$repo/packaging/tauri.bundle.json" --config "$paths" "$@" >&2

version="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' tauri.conf.json)"
bundle="$CARGO_TARGET_DIR/release/bundle"
ls "$bundle/deb/Portcullis_${version}_"*.deb "$bundle/rpm/Portcullis-${version}-"*.rpm
