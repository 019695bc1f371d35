#!/usr/bin/env python3
"""Start a server and time it from exec to its first answered request.

    start.py --out info.json --log server.log [--path /health]
        [--env NAME=VALUE ...] -- CMD ARGS...

"{port}" in CMD ARGS and in --env values becomes a free TCP port. The clock starts just before
the process is spawned; then connect + GET PATH is retried until any HTTP
answer arrives (bounded by --deadline seconds). Writes
{"pid", "port", "start_ms"} to --out and exits, leaving the server running
in its own session: the caller stops it by PID.
"""

import argparse
import json
import os
import socket
import ssl
import subprocess
import sys
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port, path, is_tls=False):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            if is_tls:
                # Readiness only: the certificate is the bench's own.
                ctx = ssl.create_default_context()
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
                s = ctx.wrap_socket(s)
            s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                       "Connection: close\r\n\r\n" % (path, port)).encode())
            return s.recv(16).startswith(b"HTTP/1.")
    except OSError:
        return False


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--out", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--path", default="/health")
    p.add_argument("--tls", action="store_true",
                   help="the server answers HTTPS")
    p.add_argument("--deadline", type=float, default=60.0)
    p.add_argument("--env", action="append", default=[],
                   help="NAME=VALUE added to the server's environment")
    p.add_argument("cmd", nargs=argparse.REMAINDER)
    a = p.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    port = free_port()
    cmd = [c.replace("{port}", str(port)) for c in cmd]
    env = dict(os.environ)
    for e in a.env:
        k, _, v = e.partition("=")
        env[k] = v.replace("{port}", str(port))
    log = open(a.log, "wb")
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=log, env=env,
                            start_new_session=True)
    deadline = t0 + a.deadline
    while not answers(port, a.path, a.tls):
        if proc.poll() is not None:
            sys.exit("start.py: %s exited with %d (see %s)"
                     % (cmd[0], proc.returncode, a.log))
        if time.monotonic() > deadline:
            proc.kill()
            sys.exit("start.py: %s did not answer within %.0f s"
                     % (cmd[0], a.deadline))
        try:
            proc.wait(timeout=0.0005)
        except subprocess.TimeoutExpired:
            pass
    start_ms = (time.monotonic() - t0) * 1000
    with open(a.out, "w") as f:
        json.dump({"pid": proc.pid, "port": port, "start_ms": start_ms}, f)


if __name__ == "__main__":
    main()
