#!/usr/bin/env bash
# Installs what Portcullis needs on Debian/Ubuntu, skipping what is already there:
# Tauri's build libraries, and with --test the headless desktop (Xvfb, D-Bus,
# gnome-keyring, dunst), WebKitWebDriver, tauri-driver and pdftotext (poppler-utils: the
# online card's UI test reads the PDF it saves) and xwininfo (x11-utils: the locale test
# reads the native window titles); with --package what
# scripts/check-package.sh reads the packages with (rpm, desktop-file-validate). Rust
# itself via rustup if cargo is missing.
set -euo pipefail

want_test=false
want_package=false
for arg in "$@"; do
  case "$arg" in
    --test) want_test=true ;;
    --package) want_package=true ;;
    *) echo "setup: unknown option $arg (--test, --package)" >&2; exit 2 ;;
  esac
done

build_packages=(build-essential pkg-config curl libssl-dev libdbus-1-dev
  libwebkit2gtk-4.1-dev libjavascriptcoregtk-4.1-dev libsoup-3.0-dev libgtk-3-dev
  librsvg2-dev libayatana-appindicator3-dev libxdo-dev
  gnome-keyring libsecret-tools dbus-x11)
# chromium, chromium-driver: the visitor's own phone (--phone-lan) in a real browser.
test_packages=(xvfb xauth webkit2gtk-driver dbus dunst libnotify-bin keyutils imagemagick
  poppler-utils x11-utils chromium chromium-driver)
package_packages=(rpm desktop-file-utils)

packages=("${build_packages[@]}")
$want_test && packages+=("${test_packages[@]}")
$want_package && packages+=("${package_packages[@]}")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v cargo >/dev/null; then
  echo "setup: installing Rust with rustup"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c rustfmt,clippy
fi

if $want_test && ! command -v tauri-driver >/dev/null; then
  echo "setup: installing tauri-driver 2.1.0"
  cargo install tauri-driver --version 2.1.0 --locked
fi
