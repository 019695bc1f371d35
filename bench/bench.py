#!/usr/bin/env python3
"""ecrd benchmark: prints figures, asserts nothing (speed is not a test).

Starts ecrd (ECRD_BIN, a Release build is best) on a fresh persistent data
directory, measures start-to-first-answer, then replays pools of requests
signed by botocore's SigV4 signer with wrk against DescribeRepositories
(100 repositories, first page, ~40 KB), CreateRepository (unique names,
durable) and GetAuthorizationToken, and reports req/s, p50/p99 latency,
non-2xx answers and the server's peak RSS. Then the same for moto_server,
for comparison. Every load is bounded by wrk's duration; every process
started here is stopped by PID.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

TARGET = "AmazonEC2ContainerRegistry_V20150921."
CREDS = Credentials("AKIABENCHMARK", "benchmark-secret")
REGION = "us-east-1"
DURATION = os.environ.get("BENCH_DURATION", "5s")
CONNECTIONS = os.environ.get("BENCH_CONNECTIONS", "32")
CREATE_POOL = int(os.environ.get("BENCH_CREATE_POOL", "150000"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def signed(host, op, body):
    req = AWSRequest(method="POST", url="http://%s/" % host, data=body,
                     headers={"X-Amz-Target": TARGET + op,
                              "Content-Type": "application/x-amz-json-1.1"})
    SigV4Auth(CREDS, "ecr", REGION).add_auth(req)
    lines = ["POST / HTTP/1.1", "Host: %s" % host]
    for k, v in req.headers.items():
        lines.append("%s: %s" % (k, v))
    lines.append("Content-Length: %d" % len(body))
    return "\r\n".join(lines) + "\r\n\r\n" + body


def lua_pool(path, requests):
    with open(path, "w") as f:
        f.write("local pool = {\n")
        for r in requests:
            f.write("%s,\n" % json.dumps(r))
        # Each wrk thread walks its own stripe, so unique names stay unique.
        f.write("}\nlocal threads = 0\n"
                "function setup(thread)\n"
                "  thread:set('stripe', threads)\n"
                "  threads = threads + 1\n"
                "end\n"
                "local i = nil\n"
                "request = function()\n"
                "  if i == nil then i = stripe + 1 else i = i + 2 end\n"
                "  if i > #pool then i = (i - 1) % #pool + 1 end\n"
                "  return pool[i]\n"
                "end\n")


def wrk(host, script):
    out = subprocess.run(
        ["wrk", "-t2", "-c" + CONNECTIONS, "-d" + DURATION, "--latency",
         "-s", script, "http://%s/" % host],
        capture_output=True, text=True, timeout=120).stdout

    def grab(pattern, conv=str, default=None):
        m = re.search(pattern, out)
        return conv(m.group(1)) if m else default

    return {
        "rps": grab(r"Requests/sec:\s+([\d.]+)", float, 0.0),
        "p50": grab(r"\s50%\s+([\d.]+\w+)"),
        "p99": grab(r"\s99%\s+([\d.]+\w+)"),
        "non2xx": grab(r"Non-2xx or 3xx responses:\s+(\d+)", int, 0),
        "errors": grab(r"Socket errors:(.*)", str.strip, ""),
    }


def peak_rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def wait_first_answer(proc, url, started, limit_s=30):
    while time.monotonic() - started < limit_s:
        if proc.poll() is not None:
            sys.exit("server exited early")
        try:
            req = urllib.request.Request(url, data=b"{}", headers={
                "X-Amz-Target": TARGET + "DescribeRepositories"})
            urllib.request.urlopen(req, timeout=1).read()
            return (time.monotonic() - started) * 1000
        except OSError:
            time.sleep(0.001)
    sys.exit("server did not answer within %ds" % limit_s)


def call(host, op, body):
    """One signed call, as the load will make them (same account)."""
    raw = signed(host, op, json.dumps(body)).encode()
    with socket.create_connection(tuple(host.split(":"))) as s:
        s.sendall(raw.replace(b"\r\n\r\n", b"\r\nConnection: close"
                              b"\r\n\r\n", 1))
        chunks = []
        while True:
            data = s.recv(65536)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks).split(b"\r\n\r\n", 1)[1]


def run_server(name, argv, host, tmp, scenarios):
    started = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        first_ms = wait_first_answer(proc, "http://%s/" % host, started)
        for i in range(100):
            call(host, "CreateRepository",
                 {"repositoryName": "bench/service-%03d-with-a-longer-name"
                  % i})
        page = call(host, "DescribeRepositories", {})
        results = {"first_ms": first_ms, "page_bytes": len(page)}
        for label, op, bodies in scenarios:
            script = os.path.join(tmp, "%s-%s.lua" % (name, op))
            lua_pool(script, [signed(host, op, b) for b in bodies])
            results[label] = wrk(host, script)
        results["rss_kib"] = peak_rss_kib(proc.pid)
        return results
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def show(name, r, targets):
    print("\n%s: start to first answer %.1f ms, peak RSS %.1f MiB, "
          "first page %d bytes" % (name, r["first_ms"], r["rss_kib"] / 1024,
                                   r["page_bytes"]))
    print("  %-24s %10s %9s %9s %7s  %s" % ("scenario", "req/s", "p50",
                                             "p99", "non-2xx", "target"))
    for label, target in targets:
        if label in r:
            s = r[label]
            print("  %-24s %10.0f %9s %9s %7d  %s %s" % (
                label, s["rps"], s["p50"], s["p99"], s["non2xx"], target,
                s["errors"]))


def main():
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk")
    ecrd = os.environ.get("ECRD_BIN", "build-release/server/ecrd")
    tmp = tempfile.mkdtemp(prefix="ecrd-bench-")
    try:
        host = "127.0.0.1:%d" % free_port()
        stamp = int(time.time())
        creates = ['{"repositoryName": "bench/new-%d-%d"}' % (stamp, i)
                   for i in range(CREATE_POOL)]
        scenarios = [
            ("DescribeRepositories", "DescribeRepositories", ["{}"]),
            ("CreateRepository", "CreateRepository", creates),
            ("GetAuthorizationToken", "GetAuthorizationToken", ["{}"]),
        ]
        mine = run_server("ecrd", [ecrd, "--listen", host, "--data-dir",
                                   os.path.join(tmp, "data"),
                                   "--log-level", "error"],
                          host, tmp, scenarios)
        targets = [("DescribeRepositories", ">= 10000 req/s"),
                   ("CreateRepository", ">= 3000 req/s (durable)"),
                   ("GetAuthorizationToken", ">= 20000 req/s")]
        show("ecrd (durable store, permissive mode)", mine, targets)
        print("  targets: p99 < 5 ms, RSS < 32 MiB, start < 50 ms")
        if shutil.which("moto_server") and not os.environ.get("BENCH_NO_MOTO"):
            host = "127.0.0.1:%d" % free_port()
            moto = run_server("moto", ["moto_server", "-p",
                                       host.split(":")[1]], host, tmp,
                              [scenarios[0], scenarios[2]])
            show("moto_server (for comparison)", moto, targets)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
