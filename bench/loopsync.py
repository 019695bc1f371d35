#!/usr/bin/env python3
"""Does the event loop's thread touch the disk? strace counts while a load runs.

    loopsync.py start --pid PID --trace T
        attach strace (-f: every thread of ecrd) to PID, writing to T, and
        return once it has attached (its PID in T.pid)
    loopsync.py stop --pid PID --trace T --name N --results F
        detach, and count the calls that wait on the disk (fsync,
        fdatasync, sync_file_range) or change a directory (rename*, link*,
        unlink*) by thread: the loop's (ecrd's main thread, whose TID is
        PID) and the others (the writer thread, the worker pool). Appends
        to F: "loopsync phase=N loop_sync= loop_dir= other_sync=
        other_dir= loop_calls=name:count,..." and prints the same.

The loop must issue none of them (issue 12): the store's commits sync on
the writer thread and file work runs in the pool. A count, not a time, so
it is a proof that does not depend on how loaded the machine is.
"""

import argparse
import collections
import os
import re
import signal
import subprocess
import sys
import time

SYNC = ("fsync", "fdatasync", "sync_file_range")
DIR = ("rename", "renameat", "renameat2", "link", "linkat", "unlink",
       "unlinkat")
ATTACH_LIMIT_S = 30
LINE = re.compile(r"^(\d+)\s+(?:<\.\.\. )?(\w+)")


def start(a):
    """Start strace on every thread of pid; wait until it has attached."""
    err = open(a.trace + ".err", "w")
    proc = subprocess.Popen(
        ["strace", "-f", "-p", str(a.pid), "-o", a.trace,
         "-e", "trace=" + ",".join(SYNC + DIR)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
        start_new_session=True)
    with open(a.trace + ".pid", "w") as f:
        f.write("%d\n" % proc.pid)
    deadline = time.monotonic() + ATTACH_LIMIT_S
    # strace says "Process N attached" once per thread.
    while time.monotonic() < deadline and proc.poll() is None:
        with open(a.trace + ".err") as f:
            if "attached" in f.read():
                return 0
        time.sleep(0.1)
    print("loopsync: strace did not attach", file=sys.stderr)
    return 1


def count(trace, pid):
    """Calls by the loop's thread and by the others, per syscall."""
    loop, other = collections.Counter(), collections.Counter()
    with open(trace) as f:
        for line in f:
            m = LINE.match(line)
            if not m or "resumed>" in line:
                continue
            tid, name = int(m.group(1)), m.group(2)
            (loop if tid == pid else other)[name] += 1
    return loop, other


def stop(a):
    with open(a.trace + ".pid") as f:
        spid = int(f.read())
    os.kill(spid, signal.SIGINT)
    deadline = time.monotonic() + ATTACH_LIMIT_S
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(spid, os.WNOHANG)
        except ChildProcessError:
            # Not ours (start ran in another process): poll for it.
            done = spid if not os.path.exists("/proc/%d" % spid) else 0
        if done:
            break
        time.sleep(0.1)
    loop, other = count(a.trace, a.pid)
    for suffix in ("", ".pid", ".err"):
        os.unlink(a.trace + suffix)
    line = "loopsync phase=%s loop_sync=%d loop_dir=%d other_sync=%d " \
        "other_dir=%d loop_calls=%s" % (
            a.name, sum(loop[s] for s in SYNC), sum(loop[s] for s in DIR),
            sum(other[s] for s in SYNC), sum(other[s] for s in DIR),
            ",".join("%s:%d" % kv for kv in sorted(loop.items())) or "-")
    print("bench: " + line, file=sys.stderr)
    with open(a.results, "a") as f:
        f.write(line + "\n")
    return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=("start", "stop"))
    ap.add_argument("--pid", type=int, required=True)
    ap.add_argument("--trace", required=True)
    ap.add_argument("--name")
    ap.add_argument("--results")
    a = ap.parse_args()
    return start(a) if a.what == "start" else stop(a)


if __name__ == "__main__":
    sys.exit(main())
