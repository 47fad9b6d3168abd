#!/usr/bin/env python3
"""Starts two desktop apps by turns on the current X display and measures each start:
the time from spawn to first paint, and the memory of its process tree once settled.
Run by scripts/bench-app.sh inside a private headless desktop (scripts/with-desktop.sh);
the standard library and the system's libX11 and libXdamage are all it needs.

First paint: the X server reports every change to the screen (the DAMAGE extension, so
nothing polls and no CPU is taken from the app while it starts); at each change the app's
top-level window is read back, and the first frame in which it shows more than one
colour is its first paint. An empty window, or one filled with a page's background
only, is one colour; text is more. The same test is applied to both apps.

Memory: some seconds after first paint, the app and its descendants (WebKit's web and
network processes) are summed from /proc/PID/smaps_rollup: RSS (what `ps` shows, shared
pages counted in each process) and PSS (shared pages divided among their users).
"""

import argparse
import ctypes
import os
import select
import signal
import statistics
import subprocess
import sys
import time

X_IS_VIEWABLE = 2
X_INPUT_OUTPUT = 1
Z_PIXMAP = 2
DAMAGE_REPORT_NON_EMPTY = 3
ALL_PLANES = 0xFFFFFFFFFFFFFFFF
DAMAGE_NOTIFY = 0
# The smallest window taken for an app's own (GTK's leader and helper windows are 1×1
# or unmapped; notification pop-ups are override-redirect).
MIN_SIDE = 100


class XWindowAttributes(ctypes.Structure):
    _fields_ = [
        ("x", ctypes.c_int),
        ("y", ctypes.c_int),
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("border_width", ctypes.c_int),
        ("depth", ctypes.c_int),
        ("visual", ctypes.c_void_p),
        ("root", ctypes.c_ulong),
        ("class_", ctypes.c_int),
        ("bit_gravity", ctypes.c_int),
        ("win_gravity", ctypes.c_int),
        ("backing_store", ctypes.c_int),
        ("backing_planes", ctypes.c_ulong),
        ("backing_pixel", ctypes.c_ulong),
        ("save_under", ctypes.c_int),
        ("colormap", ctypes.c_ulong),
        ("map_installed", ctypes.c_int),
        ("map_state", ctypes.c_int),
        ("all_event_masks", ctypes.c_long),
        ("your_event_mask", ctypes.c_long),
        ("do_not_propagate_mask", ctypes.c_long),
        ("override_redirect", ctypes.c_int),
        ("screen", ctypes.c_void_p),
    ]


class XImage(ctypes.Structure):
    """The leading fields of Xlib's XImage, up to the ones read here."""

    _fields_ = [
        ("width", ctypes.c_int),
        ("height", ctypes.c_int),
        ("xoffset", ctypes.c_int),
        ("format", ctypes.c_int),
        ("data", ctypes.c_void_p),
        ("byte_order", ctypes.c_int),
        ("bitmap_unit", ctypes.c_int),
        ("bitmap_bit_order", ctypes.c_int),
        ("bitmap_pad", ctypes.c_int),
        ("depth", ctypes.c_int),
        ("bytes_per_line", ctypes.c_int),
        ("bits_per_pixel", ctypes.c_int),
    ]


def load_x():
    x11 = ctypes.CDLL("libX11.so.6")
    damage = ctypes.CDLL("libXdamage.so.1")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    x11.XDefaultRootWindow.restype = ctypes.c_ulong
    x11.XDefaultRootWindow.argtypes = [ctypes.c_void_p]
    x11.XConnectionNumber.argtypes = [ctypes.c_void_p]
    x11.XPending.argtypes = [ctypes.c_void_p]
    x11.XNextEvent.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    x11.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
    x11.XFree.argtypes = [ctypes.c_void_p]
    x11.XQueryTree.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.POINTER(ctypes.c_ulong),
        ctypes.POINTER(ctypes.c_ulong),
        ctypes.POINTER(ctypes.POINTER(ctypes.c_ulong)),
        ctypes.POINTER(ctypes.c_uint),
    ]
    x11.XGetWindowAttributes.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.POINTER(XWindowAttributes),
    ]
    x11.XGetImage.restype = ctypes.POINTER(XImage)
    x11.XGetImage.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.c_uint,
        ctypes.c_ulong,
        ctypes.c_int,
    ]
    x11.XDestroyImage.argtypes = [ctypes.POINTER(XImage)]
    damage.XDamageQueryExtension.argtypes = [
        ctypes.c_void_p,
        ctypes.POINTER(ctypes.c_int),
        ctypes.POINTER(ctypes.c_int),
    ]
    damage.XDamageCreate.restype = ctypes.c_ulong
    damage.XDamageCreate.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int]
    damage.XDamageSubtract.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_ulong,
        ctypes.c_ulong,
    ]
    damage.XDamageDestroy.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    return x11, damage


class Screen:
    """The display, watched for changes through a DAMAGE object on the root window."""

    def __init__(self, x11, damage):
        self.x11, self.xdamage = x11, damage
        self.dpy = x11.XOpenDisplay(None)
        if not self.dpy:
            sys.exit("app-bench: no X display (run it under scripts/with-desktop.sh)")
        self.root = x11.XDefaultRootWindow(self.dpy)
        event_base, error_base = ctypes.c_int(), ctypes.c_int()
        if not damage.XDamageQueryExtension(
            self.dpy, ctypes.byref(event_base), ctypes.byref(error_base)
        ):
            sys.exit("app-bench: the X server has no DAMAGE extension")
        self.damage_notify = event_base.value + DAMAGE_NOTIFY
        self.damage = damage.XDamageCreate(self.dpy, self.root, DAMAGE_REPORT_NON_EMPTY)
        self.fd = x11.XConnectionNumber(self.dpy)
        self.event = ctypes.create_string_buffer(192)  # sizeof(XEvent) on 64-bit
        x11.XSync(self.dpy, 0)

    def close(self):
        self.xdamage.XDamageDestroy(self.dpy, self.damage)
        self.x11.XCloseDisplay(self.dpy)

    def wait_change(self, timeout):
        """True when the screen changed within `timeout` seconds; the change is then
        acknowledged so that the next one is reported again."""
        changed = False
        if not self.x11.XPending(self.dpy):
            select.select([self.fd], [], [], timeout)
        while self.x11.XPending(self.dpy):
            self.x11.XNextEvent(self.dpy, self.event)
            kind = int.from_bytes(self.event.raw[:4], sys.byteorder, signed=True)
            changed |= kind == self.damage_notify
        if changed:
            self.xdamage.XDamageSubtract(self.dpy, self.damage, 0, 0)
            self.x11.XFlush(self.dpy)
        return changed

    def app_window(self):
        """The rectangle (x, y, width, height) of the one viewable top-level window
        of app size, or None."""
        root_ret, parent = ctypes.c_ulong(), ctypes.c_ulong()
        children = ctypes.POINTER(ctypes.c_ulong)()
        count = ctypes.c_uint()
        if not self.x11.XQueryTree(
            self.dpy,
            self.root,
            ctypes.byref(root_ret),
            ctypes.byref(parent),
            ctypes.byref(children),
            ctypes.byref(count),
        ):
            return None
        found = None
        attrs = XWindowAttributes()
        for i in range(count.value):
            if not self.x11.XGetWindowAttributes(self.dpy, children[i], ctypes.byref(attrs)):
                continue
            if (
                attrs.map_state == X_IS_VIEWABLE
                and attrs.class_ == X_INPUT_OUTPUT
                and not attrs.override_redirect
                and attrs.width >= MIN_SIDE
                and attrs.height >= MIN_SIDE
            ):
                found = (attrs.x, attrs.y, attrs.width, attrs.height)
        if children:
            self.x11.XFree(children)
        return found

    def shows_content(self, rect):
        """Whether the screen inside `rect` holds more than one colour."""
        x, y, width, height = rect
        image = self.x11.XGetImage(self.dpy, self.root, x, y, width, height, ALL_PLANES, Z_PIXMAP)
        if not image:
            return False
        try:
            img = image.contents
            data = ctypes.string_at(img.data, img.bytes_per_line * img.height)
            if img.bits_per_pixel == 32:
                # Rows have no padding at 32 bits a pixel. Each colour channel is
                # compared on its own, leaving out the fourth byte, which a depth-24
                # visual does not define.
                channels = [data[c::4] for c in range(3)]
                return any(ch.count(ch[:1]) != len(ch) for ch in channels)
            row = width * img.bits_per_pixel // 8
            first = data[: img.bits_per_pixel // 8] * width
            return any(
                data[r * img.bytes_per_line : r * img.bytes_per_line + row] != first
                for r in range(img.height)
            )
        finally:
            self.x11.XDestroyImage(image)


def process_tree(pid):
    """`pid` and every live descendant of it."""
    parents = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # The command name (field 2) may hold spaces and parentheses: split after it.
        fields = stat[stat.rfind(")") + 2 :].split()
        parents.setdefault(int(fields[1]), []).append(int(entry))
    tree, todo = [], [pid]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(parents.get(p, []))
    return tree


def memory(pid):
    """(RSS KiB, PSS KiB, process names) summed over the process tree of `pid`."""
    rss = pss = 0
    names = []
    for p in process_tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                rollup = f.read()
            with open(f"/proc/{p}/comm") as f:
                names.append(f.read().strip())
        except OSError:
            continue
        for line in rollup.splitlines():
            key, _, rest = line.partition(":")
            if key == "Rss":
                rss += int(rest.split()[0])
            elif key == "Pss":
                pss += int(rest.split()[0])
    return rss, pss, sorted(names)


def stop(proc):
    """Ends the app and all it started, and waits until they are gone."""
    tree = process_tree(proc.pid)
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    deadline = time.monotonic() + 5
    for p in tree[1:]:
        while os.path.exists(f"/proc/{p}") and time.monotonic() < deadline:
            time.sleep(0.05)
        if os.path.exists(f"/proc/{p}"):
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass


def start_once(screen, command, settle, timeout, log):
    """One start of `command`: (first paint ms, RSS KiB, PSS KiB, process names)."""
    while screen.wait_change(0):  # changes left from the previous app
        pass
    started = time.monotonic()
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        painted = None
        while painted is None:
            left = timeout - (time.monotonic() - started)
            if left <= 0:
                sys.exit(f"app-bench: no first paint from {command[0]} within {timeout} s")
            if proc.poll() is not None:
                sys.exit(f"app-bench: {command[0]} exited ({proc.returncode}) before painting")
            if screen.wait_change(min(left, 0.5)):
                rect = screen.app_window()
                if rect and screen.shows_content(rect):
                    painted = time.monotonic()
        time.sleep(settle)
        rss, pss, names = memory(proc.pid)
        return (painted - started) * 1000, rss, pss, names
    finally:
        stop(proc)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after first paint")
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--log", default=os.devnull, help="where the apps' output goes")
    parser.add_argument("--name", action="append", required=True, help="a name, then its --cmd")
    parser.add_argument("--cmd", action="append", required=True, help="a command line (split on spaces)")
    args = parser.parse_args()
    apps = list(zip(args.name, [c.split() for c in args.cmd]))

    x11, damage = load_x()
    screen = Screen(x11, damage)
    results = {name: [] for name, _ in apps}
    with open(args.log, "ab") as log:
        # One start of each first, not counted: WebKit's caches and the page cache are
        # then as warm for the counted starts of one app as of the other.
        for name, command in apps:
            start_once(screen, command, 0.5, args.timeout, log)
        for run in range(1, args.runs + 1):
            # Alternating, with the order swapped each round, so drift (other load,
            # thermal) falls on both alike.
            order = apps if run % 2 else list(reversed(apps))
            for name, command in order:
                paint, rss, pss, names = start_once(screen, command, args.settle, args.timeout, log)
                results[name].append((paint, rss, pss))
                print(
                    f"run {run} {name:<12} first paint {paint:6.0f} ms   "
                    f"RSS {rss / 1024:6.1f} MiB   PSS {pss / 1024:6.1f} MiB   "
                    f"({len(names)} processes: {', '.join(names)})",
                    flush=True,
                )
    screen.close()

    print(f"\nmedians of {args.runs} starts each")
    print(f"{'':<14}{'first paint':>14}{'RSS':>14}{'PSS':>14}")
    medians = {}
    for name, _ in apps:
        runs = results[name]
        medians[name] = [statistics.median(r[i] for r in runs) for i in range(3)]
        paint, rss, pss = medians[name]
        print(f"{name:<14}{paint:>11.0f} ms{rss / 1024:>10.1f} MiB{pss / 1024:>10.1f} MiB")
    (first, _), (second, _) = apps[0], apps[1]
    ratios = [a / b for a, b in zip(medians[first], medians[second])]
    print(f"{first + ' / ' + second:<14}" + "".join(f"{r:>13.3f}×" for r in ratios))


if __name__ == "__main__":
    main()
