#!/usr/bin/env bash
# Checks the packages scripts/package.sh built (or the .deb and .rpm given): the .deb's
# fields, then its files unpacked into a scratch root (dpkg -x, nothing installed):
# the app, the mock-broker sidecar beside it (it answers --help and serves), the
# desktop entry and the icons; then the unpacked app is started in a private headless
# desktop (scripts/with-desktop.sh) and must start that sidecar as its broker, with
# its state in the user's data folder. The .rpm's contents with `rpm` (if installed).
#
#   scripts/check-package.sh [FILE.deb [FILE.rpm]]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/portcullis-target}"
version="$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$repo/tauri.conf.json")"
bundle="$CARGO_TARGET_DIR/release/bundle"
deb="${1:-$(ls "$bundle/deb/Portcullis_${version}_"*.deb)}"
rpm="${2:-$(ls "$bundle/rpm/Portcullis-${version}-"*.rpm)}"

root="$(mktemp -d)"
broker_pid=""
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null
  rm -rf "$root"
}
trap cleanup EXIT

failed=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*"; failed=1; }
check() { # check DESCRIPTION COMMAND...
  local what="$1"
  shift
  if "$@"; then ok "$what"; else fail "$what"; fi
}

echo "== $deb ($(du -h "$deb" | cut -f1))"
field() { dpkg-deb -f "$deb" "$1"; }
check "Package: portcullis" test "$(field Package)" = portcullis
check "Version: $version" test "$(field Version)" = "$version"
depends="$(field Depends)"
echo "     Depends: $depends"
for dep in libwebkit2gtk-4.1-0 libgtk-3-0 libdbus-1-3; do
  check "Depends on $dep" grep -qw -- "$dep" <<<"$depends"
done

dpkg -x "$deb" "$root"
app="$root/usr/bin/portcullis"
broker="$root/usr/bin/mock-broker"
check "app at /usr/bin/portcullis, executable" test -x "$app"
# broker_process.rs looks for `mock-broker` beside the app's own executable.
check "sidecar at /usr/bin/mock-broker beside it, executable" test -x "$broker"
check "app finds all its libraries here" bash -c "! ldd '$app' | grep -q 'not found'"
check "sidecar answers --help" bash -c "'$broker' --help | grep -q '^  serve'"

# The sidecar serves: its listening line, then /health, then it is stopped.
coproc BROKER { exec "$broker" serve --addr 127.0.0.1:0 2>/dev/null; }
broker_pid=$BROKER_PID
line=""
read -r -t 20 line <&"${BROKER[0]}" || true
url="${line#listening on }"
check "sidecar serves: $line" test "$url" != "$line"
check "sidecar answers GET /health" bash -c "curl -sf '$url/health' | grep -q '\"ok\"'"
kill "$broker_pid" 2>/dev/null || true
wait "$broker_pid" 2>/dev/null || true
broker_pid=""

desktop="$root/usr/share/applications/Portcullis.desktop"
check "desktop entry at /usr/share/applications/Portcullis.desktop" test -f "$desktop"
for entry in Name=Portcullis Exec=portcullis Icon=portcullis Type=Application; do
  check "desktop entry: $entry" grep -qx "$entry" "$desktop"
done
check "desktop entry: a Comment" grep -q '^Comment=.' "$desktop"
check "desktop entry: Categories with Finance" grep -q '^Categories=.*Finance;' "$desktop"
if command -v desktop-file-validate >/dev/null; then
  check "desktop-file-validate" desktop-file-validate "$desktop"
fi
for size in 32x32 64x64 128x128 256x256; do
  icon="$root/usr/share/icons/hicolor/$size/apps/portcullis.png"
  check "icon $size" bash -c "[ \"\$(identify -format %wx%h '$icon' 2>/dev/null)\" = $size ]"
done

# The unpacked app, started as a user would: it must start its own sidecar and keep
# the broker's state in the user's data folder.
if command -v Xvfb >/dev/null; then
  # Its report on fd 3; the desktop session's own chatter into a log, shown on failure.
  if "$repo/scripts/with-desktop.sh" bash -c '
      log="$XDG_RUNTIME_DIR/app.log"
      NO_COLOR=1 env -u PORTCULLIS_MOCK_BROKER -u PORTCULLIS_BROKER_URL "$1" >"$log" 2>&1 &
      app=$!
      for _ in $(seq 300); do
        grep -q "bundled: true" "$log" && break
        sleep 0.1
      done
      child="$(pgrep -P "$app" -x mock-broker || true)"
      exe="$(readlink "/proc/${child:-0}/exe" 2>/dev/null || true)"
      state="$XDG_DATA_HOME/com.portcullis.desktop/broker/broker.sqlite3"
      {
        echo "     app log: $(grep -m1 "bundled: true" "$log" || grep -m1 "login server status" "$log" || echo "no status line")"
        echo "     its child mock-broker: pid ${child:-none}, ${exe:-no executable}"
        echo "     broker state: $(ls "$state" 2>/dev/null || echo none)"
      } >&3
      kill "$app"
      wait "$app" || true
      [ -n "$child" ] || exit 1
      # The sidecar watches its standard input: it ends with the app.
      for _ in $(seq 50); do [ -e "/proc/$child" ] || break; sleep 0.1; done
      [ -e "/proc/$child" ] && echo "     the sidecar outlived the app" >&3
      [ "$exe" = "$2" ] && [ -f "$state" ] && [ ! -e "/proc/$child" ]
    ' app "$app" "$broker" 3>&1 >"$root/desktop.log" 2>&1; then
    ok "the app starts its sidecar as its broker, which ends with it"
  else
    tail -20 "$root/desktop.log"
    fail "the app starts its sidecar as its broker, which ends with it"
  fi
else
  echo "skip starting the app: no Xvfb (scripts/setup.sh --test installs it)"
fi

echo "== $rpm ($(du -h "$rpm" | cut -f1))"
if command -v rpm >/dev/null; then
  files="$(rpm -qlp "$rpm" 2>/dev/null)"
  for file in /usr/bin/portcullis /usr/bin/mock-broker \
    /usr/share/applications/Portcullis.desktop \
    /usr/share/icons/hicolor/128x128/apps/portcullis.png; do
    check "rpm holds $file" grep -qx "$file" <<<"$files"
  done
  requires="$(rpm -qpR "$rpm" 2>/dev/null)"
  check "rpm requires libwebkit2gtk-4.1.so.0" grep -q '^libwebkit2gtk-4.1.so.0' <<<"$requires"
else
  echo "skip the rpm's contents: no rpm command (scripts/setup.sh --package installs it)"
fi

[ "$failed" -eq 0 ] && echo "check-package: all good" || echo "check-package: FAILED"
exit "$failed"
