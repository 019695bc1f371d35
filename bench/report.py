#!/usr/bin/env python3
"""Print bench/run.sh's results as a table, with the targets beside them.

Input: lines of "<kind> key=value ..." (kinds: start, rss, wrk, probe).
"""

import sys

TARGETS = {
    "DescribeRepositories": 10000,
    "GetAuthorizationToken": 20000,
    "CreateRepository": 3000,
}
P99_MS = 5.0
RSS_MIB = 32.0
START_MS = 50.0


def parse(path):
    rows = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if not parts:
                continue
            row = {"kind": parts[0]}
            for p in parts[1:]:
                k, _, v = p.partition("=")
                row[k] = v
            rows.append(row)
    return rows


def verdict(ok):
    return "ok" if ok else "MISS"


def main():
    rows = parse(sys.argv[1])
    servers = []
    for r in rows:
        if r.get("server") not in servers:
            servers.append(r["server"])

    print()
    print("%-22s %-6s %10s %9s %9s %9s %8s  %-28s %s" % (
        "scenario", "server", "req/s", "p50 ms", "p99 ms", "max ms",
        "non-2xx", "target", ""))
    print("-" * 112)
    for r in rows:
        if r["kind"] != "wrk":
            continue
        n = int(r["requests"])
        secs = int(r["duration_us"]) / 1e6
        rps = n / secs if secs else 0.0
        p50 = int(r["p50_us"]) / 1000
        p99 = int(r["p99_us"]) / 1000
        mx = int(r["max_us"]) / 1000
        bad = int(r["non2xx"])
        sock = sum(int(r[k]) for k in ("connect", "read", "write",
                                        "timeout"))
        target = TARGETS.get(r["scenario"])
        note = ""
        if r["server"] == "ecrd" and target:
            tgt = ">= %d req/s, p99 < %g ms" % (target, P99_MS)
            note = verdict(rps >= target and p99 < P99_MS and bad == 0)
        else:
            tgt = "(comparison)"
        extra = []
        if sock:
            extra.append("%d socket errors" % sock)
        if r["scenario"] == "CreateRepository" and int(r.get("wraps", "0")):
            extra.append("name pool ran out %s times: repeats are in "
                         "non-2xx; raise BENCH_CREATE_POOL" % r["wraps"])
        print("%-22s %-6s %10.0f %9.2f %9.2f %9.2f %8d  %-28s %s%s" % (
            r["scenario"], r["server"], rps, p50, p99, mx, bad, tgt, note,
            (" (" + "; ".join(extra) + ")") if extra else ""))

    print()
    for r in rows:
        if r["kind"] == "probe":
            print("response of one %s on %s: HTTP %s, %s bytes" % (
                r["scenario"], r["server"], r["status"], r["bytes"]))
    print()
    print("%-40s %-6s %12s  %s" % ("measure", "server", "value", "target"))
    print("-" * 80)
    for r in rows:
        if r["kind"] == "start":
            ms = float(r["ms"])
            tgt = ("< %g ms  %s" % (START_MS, verdict(ms < START_MS))
                   if r["server"] == "ecrd" else "(comparison)")
            print("%-40s %-6s %9.1f ms  %s" % (
                "start to first answered request", r["server"], ms, tgt))
        elif r["kind"] == "rss":
            mib = int(r["kib"]) / 1024
            tgt = ("< %g MiB  %s" % (RSS_MIB, verdict(mib < RSS_MIB))
                   if r["server"] == "ecrd" else "(comparison)")
            label = "peak RSS (VmHWM) " + r["phase"].replace("_", " ")
            print("%-40s %-6s %8.1f MiB  %s" % (label, r["server"], mib,
                                                 tgt))
            if "anon_kib" in r:
                print("%-40s %-6s %8.1f MiB" % (
                    "  of which now anonymous (RssAnon)", r["server"],
                    int(r["anon_kib"]) / 1024))
                print("%-40s %-6s %8.1f MiB" % (
                    "  of which now file-backed (RssFile)", r["server"],
                    int(r["file_kib"]) / 1024))
    print()


if __name__ == "__main__":
    main()
