#!/usr/bin/env bash
# Runs a command inside a private, headless desktop session: Xvfb, a D-Bus session
# bus, an unlocked gnome-keyring (Secret Service) and the dunst notification daemon.
# Nothing leaks into the caller's own desktop, keyring or notifications.
#
#   scripts/with-desktop.sh cargo test --workspace
set -euo pipefail

if [ -z "${PORTCULLIS_IN_SESSION:-}" ]; then
  export PORTCULLIS_IN_SESSION=1
  exec dbus-run-session -- "$0" "$@"
fi

session=$(mktemp -d /tmp/portcullis-session.XXXXXX)
export XDG_DATA_HOME=$session/data XDG_CONFIG_HOME=$session/config
export XDG_CACHE_HOME=$session/cache XDG_RUNTIME_DIR=$session/runtime
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
export NO_AT_BRIDGE=1

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  pkill -u "$(id -u)" -f "gnome-keyring-daemon.*$session" 2>/dev/null || true
  rm -rf "$session"
}
trap cleanup EXIT

# Waits up to $2 seconds for the test in $1 to pass.
wait_for() {
  local deadline=$((SECONDS + $2))
  until eval "$1"; do
    if [ $SECONDS -ge $deadline ]; then echo "with-desktop: timed out waiting for: $1" >&2; exit 1; fi
    sleep 0.1
  done
}

bus_has() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner "string:$1" 2>/dev/null | grep -q 'boolean true'
}

display=99
while [ -e "/tmp/.X11-unix/X$display" ] || [ -e "/tmp/.X$display-lock" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1280x800x24 -nolisten tcp >"$session/xvfb.log" 2>&1 &
pids+=($!)
export DISPLAY=":$display"
wait_for "[ -e /tmp/.X11-unix/X$display ]" 20

# The keyring's control folder lives in this session's runtime dir, so this daemon
# serves this bus only.
echo -n portcullis-session | gnome-keyring-daemon --unlock --components=secrets \
  --control-directory="$XDG_RUNTIME_DIR/keyring" >/dev/null
wait_for "bus_has org.freedesktop.secrets" 20

dunst >"$session/dunst.log" 2>&1 &
pids+=($!)
wait_for "bus_has org.freedesktop.Notifications" 20

"$@"
