#!/usr/bin/env python3
"""Does slow work stall the event loop? A prober's latencies during it.

    stall.py probe --endpoint URL --out F [--interval 0.005] [--key ...]
        until SIGTERM, a signed DescribeRepositories (bench/sign.py's
        request, re-signed each minute) on one keep-alive connection every
        --interval seconds, on a fixed schedule; then F holds one line a
        probe: "scheduled answered status" (CLOCK_MONOTONIC seconds; status
        0: the connection failed, and is opened again). F.ready appears
        once the first probe is answered.
    stall.py phase --name N --endpoint URL --pid PID --results F --tmp DIR
        (--idle SECS | --post PATH | --request POOL [--post PATH] |
        -- CMD ARGS...)
        start a prober (its own process), wait for its first answer and
        half a second more, then run the action: nothing for SECS (the
        baseline); an unsigned POST of PATH (an admin endpoint); the first
        request of a sign.py pool, then the POST if given (a
        DeleteRepository, then POST /_ecrd/gc, which answers once the
        records the delete left are reaped); or CMD, which may narrow the
        window by writing "t0 t1" (monotonic seconds) to the file named by
        $BENCH_WINDOW. The window runs from the action's start until the
        server's CPU time (utime+stime, all threads) has grown by at most
        10 % of one core over half a second after its end, so work the
        server does after answering counts too. Appends to F:
        "stall phase=N probes= p50_us= p99_us= max_us= over100= errors=
        action_s= settle_s= cpu_s= status= answer="

A probe's latency runs from its scheduled send time, not the time it was
sent (as wrk2 does): while the server is stalled the probes due pile up,
and each counts the whole wait, so a stall cannot hide behind the one
probe that was in flight (coordinated omission).
"""

import argparse
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

from memory import cpu_seconds
from sign import add_signing_args, raw_request, read_response

OVER_MS = 100               # probes slower than this are counted
LEAD_S = 0.5                # prober running before the action starts
SETTLE_SLICE_S = 0.5        # the server is idle after a slice of ...
SETTLE_CPU = 0.10           # ... at most this share of one core
SETTLE_LIMIT_S = 900        # at most this long
ACTION_LIMIT_S = 3600       # a request of the phase may take this long
RESIGN_S = 60               # signatures are good for 5 minutes
READY_LIMIT_S = 30
ANSWER_MAX = 120            # longer answers are not reported


def connect(endpoint):
    u = urllib.parse.urlsplit(endpoint)
    s = socket.create_connection((u.hostname, u.port), timeout=ACTION_LIMIT_S)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s, s.makefile("rb")


def cmd_probe(a):
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    samples, sock, rf = [], None, None
    req, signed = None, 0.0
    start = time.monotonic()
    k = 0
    while not stop:
        due = start + k * a.interval
        k += 1
        now = time.monotonic()
        if due > now:
            time.sleep(due - now)
        if req is None or time.monotonic() - signed > RESIGN_S:
            req = raw_request(a.endpoint, "DescribeRepositories", b"{}",
                              a.key, a.secret, a.region, None)
            signed = time.monotonic()
        try:
            if sock is None:
                sock, rf = connect(a.endpoint)
            sock.sendall(req)
            status, _, _ = read_response(rf)
        except OSError:
            status = 0
            sock = None
        samples.append((due, time.monotonic(), status))
        if len(samples) == 1:
            open(a.out + ".ready", "w").close()
    with open(a.out, "w") as f:
        f.writelines("%.6f %.6f %d\n" % s for s in samples)


def settle(pid, limit=SETTLE_LIMIT_S):
    """Wait until pid uses little CPU; the time its last busy slice ended
    (now, if it is idle at once)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        t, c = time.monotonic(), cpu_seconds(pid)
        time.sleep(SETTLE_SLICE_S)
        if cpu_seconds(pid) - c <= SETTLE_CPU * SETTLE_SLICE_S:
            return t
    return time.monotonic()


def send_raw(endpoint, req):
    """Send raw request bytes on a new connection: (status, body)."""
    sock, rf = connect(endpoint)
    sock.settimeout(ACTION_LIMIT_S)
    with sock:
        sock.sendall(req)
        status, _, body = read_response(rf)
    return status, body


def action(a, window_file):
    """Run the phase's action: (t0, t1, status, answer)."""
    host = urllib.parse.urlsplit(a.endpoint).netloc
    reqs = []
    if a.request:
        with open(a.request, "rb") as f:
            reqs.append(f.read(int(f.readline())))
    if a.post:
        reqs.append(("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: "
                     "0\r\n\r\n" % (a.post, host)).encode("latin-1"))
    t0 = time.monotonic()
    if a.idle is not None:
        time.sleep(a.idle)
        return t0, time.monotonic(), 200, b""
    if reqs:
        # The first failure ends the action; the last answer is kept.
        for req in reqs:
            status, body = send_raw(a.endpoint, req)
            if status != 200:
                break
        return t0, time.monotonic(), status, body
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    rc = subprocess.run(cmd, env=dict(os.environ, BENCH_WINDOW=window_file)
                        ).returncode
    t1 = time.monotonic()
    if os.path.exists(window_file):
        with open(window_file) as f:
            t0, t1 = (float(x) for x in f.read().split())
    return t0, t1, 200 if rc == 0 else 0, b""


def nearest_rank(sorted_values, pct):
    if not sorted_values:
        return 0
    return sorted_values[max(0, math.ceil(pct / 100 * len(sorted_values))
                             - 1)]


def cmd_phase(a):
    if (a.idle is None) + (not (a.post or a.request)) + (not a.cmd) != 2:
        sys.exit("stall.py phase: one of --idle, --post, --request "
                 "[--post], CMD")
    out = os.path.join(a.tmp, "probes-%s.txt" % a.name)
    window_file = os.path.join(a.tmp, "window-%s.txt" % a.name)
    for f in (out, out + ".ready", window_file):
        if os.path.exists(f):
            os.unlink(f)
    prober = subprocess.Popen(
        [sys.executable, os.path.abspath(__file__), "probe", "--endpoint",
         a.endpoint, "--out", out, "--interval", str(a.interval), "--key",
         a.key, "--secret", a.secret, "--region", a.region])
    try:
        deadline = time.monotonic() + READY_LIMIT_S
        while not os.path.exists(out + ".ready"):
            if prober.poll() is not None or time.monotonic() > deadline:
                sys.exit("stall.py: the prober did not start")
            time.sleep(0.01)
        time.sleep(LEAD_S)
        cpu0 = cpu_seconds(a.pid)
        t0, t1, status, answer = action(a, window_file)
        end = settle(a.pid)
        end = max(end, t1)
        cpu = cpu_seconds(a.pid) - cpu0
    finally:
        prober.send_signal(signal.SIGTERM)
        prober.wait(timeout=SETTLE_LIMIT_S)
    lat, errors = [], 0
    with open(out) as f:
        for line in f:
            due, got, st = line.split()
            if t0 <= float(due) <= end:
                lat.append(float(got) - float(due))
                errors += st != "200"
    lat.sort()
    us = [int(x * 1e6) for x in lat]
    try:
        compact = json.dumps(json.loads(answer), separators=(",", ":"))
    except ValueError:
        compact = "-"
    if len(compact) > ANSWER_MAX:
        compact = "-"
    with open(a.results, "a") as f:
        f.write("stall phase=%s probes=%d p50_us=%d p99_us=%d max_us=%d "
                "over100=%d errors=%d action_s=%.3f settle_s=%.3f "
                "cpu_s=%.2f status=%d answer=%s\n" % (
                    a.name, len(us), nearest_rank(us, 50),
                    nearest_rank(us, 99), us[-1] if us else 0,
                    sum(x > OVER_MS * 1000 for x in us), errors, t1 - t0,
                    end - t1, cpu, status, compact.replace(" ", "")))
    if status != 200 and a.idle is None:
        sys.exit("stall.py: %s: the action failed (HTTP %d) %s"
                 % (a.name, status, answer[:300]))


def main():
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--endpoint", required=True)
    common.add_argument("--interval", type=float, default=0.005)
    add_signing_args(common)
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd_name", required=True)
    sub.add_parser("probe", parents=[common]).add_argument("--out",
                                                          required=True)
    s = sub.add_parser("phase", parents=[common])
    for opt in ("--name", "--results", "--tmp"):
        s.add_argument(opt, required=True)
    s.add_argument("--pid", type=int, required=True)
    s.add_argument("--idle", type=float)
    s.add_argument("--post", help="an unsigned POST of this path (after "
                   "--request's, if given)")
    s.add_argument("--request", help="a sign.py pool: its first one")
    s.add_argument("cmd", nargs=argparse.REMAINDER)
    a = p.parse_args()
    {"probe": cmd_probe, "phase": cmd_phase}[a.cmd_name](a)

if __name__ == "__main__":
    main()
