#!/usr/bin/env python3
"""Issue 11: N desktops long-polling /v1/login/wait, and what they cost everyone else.

Usage: python3 mock-broker/bench/waiters.py [--bin PATH] [--waiters 10000] [--others 64]
                                            [--idle 10] [--wrk-seconds 15] [--no-wait]
                                            [--serve "MORE SERVE FLAGS"]

One broker (release build; cheap Argon2, state on disk as bench/run.sh) with OTHERS
DSC+ users (u000001..) and WAITERS IB Key users on one phone. First wrk's password
step (bench/login.lua) against the DSC+ users with no one waiting; then every IB Key
user logs in at once, each on its own connection, and long-polls /v1/login/wait with
timeout_ms 60000 (asking again when an answer comes, as the desktop does); after the
logins settle, the broker's RSS, threads and CPU over IDLE quiet seconds
(/proc/PID/status and /proc/PID/stat); then the same wrk run with everyone waiting.
Needs wrk. Prints one line per figure.
"""
import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SECRET = "3132333435363738393031323334353637383930313233343536373839303132"


def scenario(others, waiters):
    out = ['[[phones]]\nid = "bench-phone"\nnumber = "7700900999"\n']
    for i in range(1, others + waiters + 1):
        u = f"u{i:06d}"
        out.append(f'[[entities]]\nid = "e{u}"\nname = "Entity {u}"\naccount = "U{i:07d}"\n'
                   f'equity_usd = 2_000_000\nidentification = {{}}\n')
        out.append(f'[[users]]\nusername = "{u}"\nfull_name = "User {u}"\n'
                   f'password = "Trade2026"\nentity = "e{u}"\nprimary = true\n')
        if i <= others:
            out.append(f'[[devices]]\nid = "DSCP-{i:08d}"\nkind = "dsc_plus"\nowner = "{u}"\n'
                       f'secret = "{SECRET}"\npin = "1234"\nstatus = "active"\n')
        else:
            out.append(f'[[devices]]\nid = "IBK-{i:08d}"\nkind = "ib_key"\nowner = "{u}"\n'
                       f'phone = "bench-phone"\nsecurity = "pin"\nsecret = "{SECRET}"\n'
                       f'pin = "1234"\n')
    return "\n".join(out)


def proc_figures(pid):
    status = open(f"/proc/{pid}/status").read()
    rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
    threads = int(re.search(r"Threads:\s+(\d+)", status).group(1))
    return rss, threads


def cpu_ticks(pid):
    # utime and stime: fields 14 and 15, after the parenthesised name.
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def wrk(url, others, seconds):
    out = subprocess.run(
        ["wrk", "-t2", "-c8", f"-d{seconds}s", "--latency", "-s",
         os.path.join(HERE, "login.lua"), url, "--", str(others)],
        capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+\w+)", out).group(1)
    p50 = re.search(r"50%\s+([\d.]+\w+)", out).group(1)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rate, p50, p99, int(errors.group(1)) if errors else 0


async def post(reader, writer, host, path, body):
    data = json.dumps(body).encode()
    writer.write(f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(re.search(rb"(?i)content-length:\s*(\d+)", head).group(1))
    status = int(head.split(b" ", 2)[1])
    return status, json.loads(await reader.readexactly(length))


class Desktops:
    def __init__(self, host, port, hold_only):
        self.host, self.port = host, port
        self.hold_only = hold_only
        self.waiting = 0
        self.answers = {}
        self.failed = 0
        self.busy = 0

    async def desktop(self, username, gate):
        async with gate:
            try:
                reader, writer = await asyncio.open_connection(self.host, self.port)
                while True:
                    status, step = await post(reader, writer, f"{self.host}:{self.port}",
                                              "/v1/login", {"username": username,
                                                            "password": "Trade2026"})
                    if step.get("code") != "busy":
                        break
                    # As the desktop does: again after Retry-After (1 s).
                    self.busy += 1
                    await asyncio.sleep(1)
            except (OSError, asyncio.IncompleteReadError):
                self.failed += 1
                return
        if status != 200 or step.get("method") != "push":
            self.failed += 1
            return
        self.waiting += 1
        if self.hold_only:
            # The connection stays open and idle: what a connection costs without a wait.
            await asyncio.Event().wait()
        try:
            while True:
                status, answer = await post(reader, writer, f"{self.host}:{self.port}",
                                            "/v1/login/wait",
                                            {"ticket": step["ticket"], "timeout_ms": 60000})
                key = answer.get("status") or answer.get("code")
                self.answers[key] = self.answers.get(key, 0) + 1
                if status != 200:
                    break
        except (OSError, asyncio.IncompleteReadError):
            pass
        self.waiting -= 1


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(HERE, "../../target")),
        "release/mock-broker"))
    ap.add_argument("--waiters", type=int, default=10000)
    ap.add_argument("--others", type=int, default=64)
    ap.add_argument("--idle", type=int, default=10)
    ap.add_argument("--wrk-seconds", type=int, default=15)
    ap.add_argument("--serve", default="",
                    help="more flags for `mock-broker serve`, e.g. \"--header-timeout-ms 120000\" "
                         "with --no-wait (idle connections are closed after 10 s by default)")
    ap.add_argument("--no-wait", action="store_true",
                    help="log in and keep the connection open, without a wait")
    args = ap.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    work = tempfile.mkdtemp(prefix="pc-waiters-")
    with open(os.path.join(work, "scenario.toml"), "w") as f:
        f.write(scenario(args.others, args.waiters))
    broker = subprocess.Popen(
        [args.bin, "serve", "--qa", "--state", os.path.join(work, "state"),
         "--scenario", os.path.join(work, "scenario.toml"),
         "--argon2-memory-kib", "8", "--argon2-iterations", "1",
         "--max-connections", str(args.waiters + 1000)] + args.serve.split(),
        stdout=subprocess.PIPE, stderr=open(os.path.join(work, "err"), "w"), text=True)
    try:
        line = broker.stdout.readline()
        url = line.strip().removeprefix("listening on ")
        host, port = url.removeprefix("http://").split(":")
        print(f"broker {args.bin} pid {broker.pid} at {url}; "
              f"{args.others} DSC+ users, {args.waiters} IB Key users")
        rss, threads = proc_figures(broker.pid)
        print(f"start: RSS {rss // 1024} MiB, {threads} threads")
        rate, p50, p99, errors = wrk(url, args.others, args.wrk_seconds)
        print(f"no one waiting: password steps {rate:.0f}/s, p50 {p50}, p99 {p99}, "
              f"non-2xx {errors}")

        desktops = Desktops(host, int(port), args.no_wait)
        gate = asyncio.Semaphore(1000)
        started = time.monotonic()
        tasks = [asyncio.create_task(desktops.desktop(f"u{i:06d}", gate))
                 for i in range(args.others + 1, args.others + args.waiters + 1)]
        while desktops.waiting + desktops.failed < args.waiters:
            await asyncio.sleep(0.2)
        print(f"{desktops.waiting} desktops waiting, {desktops.failed} failed, "
              f"{desktops.busy} busy answers retried, "
              f"logins took {time.monotonic() - started:.1f} s")
        await asyncio.sleep(3)
        ticks = os.sysconf("SC_CLK_TCK")
        before = cpu_ticks(broker.pid)
        await asyncio.sleep(args.idle)
        cpu = (cpu_ticks(broker.pid) - before) / ticks / args.idle * 100
        rss, threads = proc_figures(broker.pid)
        print(f"{desktops.waiting} waiting, idle {args.idle} s: RSS {rss // 1024} MiB, "
              f"{threads} threads, CPU {cpu:.1f}%")
        wrk_run = asyncio.get_running_loop().run_in_executor(
            None, wrk, url, args.others, args.wrk_seconds)
        rate, p50, p99, errors = await wrk_run
        print(f"{desktops.waiting} waiting: password steps {rate:.0f}/s, p50 {p50}, "
              f"p99 {p99}, non-2xx {errors}")
        rss, threads = proc_figures(broker.pid)
        print(f"after: RSS {rss // 1024} MiB, {threads} threads; wait answers so far "
              f"{desktops.answers}")
        for t in tasks:
            t.cancel()
    finally:
        broker.terminate()
        broker.wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
