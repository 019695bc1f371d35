#!/usr/bin/env python3
"""Print bench/run.sh's results as a table, with the targets beside them.

    report.py RESULTS [CONNECTIONS]   (wrk's -c, for the labels)

Input: lines of "<kind> key=value ..." (kinds: start, rss, wrk, once, probe,
count, layer, regblob, regpull, regpush, stall, repl, ptc, skip). Figures are shown against their targets ("ok" / "MISS"),
never asserted: the exit status does not depend on them.
"""

import re
import statistics
import sys

# (server, scenario) -> (req/s, p99 ms or None). Issue 1: repositories;
# issue 3: images (DescribeImages: any repository size but the 1k one,
# which is there to set beside moto).
TARGETS = {
    ("ecrd", "DescribeRepositories"): (10000, 5.0),
    ("ecrd", "GetAuthorizationToken"): (20000, 5.0),
    ("ecrd", "CreateRepository"): (3000, 5.0),
    ("ecrd-img", "PutImage"): (3000, None),
    ("ecrd-img", "BatchGetImage"): (20000, None),
    ("ecrd-reg", "manifest-GET"): (20000, None),
}
POLICY_SERVERS = ("ecrd-prm", "ecrd-s1", "ecrd-s20")
DESCRIBE_IMAGES_RPS = 5000
DESCRIBE_RATIO = 0.9        # "as fast as with 100 images": within 10 %
RSS_MIB = {"ecrd": 32.0, "ecrd-img": 64.0, "ecrd-rlx": 64.0,
           "ecrd-lay": 64.0}
START_MS = 50.0
UPLOAD_MBPS = 200.0
DOWNLOAD_GBPS = 1.0
REGISTRY_GBPS = 1.0         # issue 4: blob push, blob pull, 16 pulling
REGISTRY_RSS_MIB = 64.0     # issue 4: during the big blob's push and pull
POLICY_ADDED_US = 10.0      # issue 5: a 20-statement policy, per request
STRICT_RATIO = 0.8          # issue 5: DescribeRepositories strict/permissive
STALL_P99_MS = 20.0         # issue 12: the prober during slow work
STALL_MAX_MS = 100.0
SCALE_RATIO = 1.6           # issue 12: 8 pushes at once against one
CPU_PER_GIB = 1.5           # issue 12: server CPU seconds per GiB pushed
REPL_RATIO = 0.5            # issue 14: PutImage with 3 destinations / none
REPL_STALL_MAX_MS = 20.0    # issue 14: no request held longer by the worker
PTC_RATIO = 0.8             # issue 13: first pull through the cache
PTC_RSS_MIB = 64.0          # against a direct pull; RSS during it
PTC_CACHED_RATIO = 0.9      # a cached pull "as fast as" an ordinary one
OBSERVE_RATIO = 0.9         # issue 17: all of it on / all off
OBSERVE_CONFIGS = (("off", "all off (--no-metrics)"),
                   ("metrics", "metrics (the default)"),
                   ("all", "metrics + --events-file + --audit-log"))
CEILING_PCT = {"DescribeRepositories": 60.0,    # issue 12: ecrd's req/s as
               "GetAuthorizationToken": 80.0}   # a share of ecrd-ceiling's
UNIQUE = ("CreateRepository", "PutImage")   # pools that must not wrap
ROW = "%-24s %-8s %10.0f %9.2f %9.2f %9.2f %8d  %-28s %s%s"


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


def rps_of(r):
    secs = int(r["duration_us"]) / 1e6
    return int(r["requests"]) / secs if secs else 0.0


def target_of(r):
    if (r["server"], r["scenario"]) in TARGETS:
        return TARGETS[(r["server"], r["scenario"])]
    if (r["server"] == "ecrd-rlx" and r["scenario"].startswith(
            "DescribeImages@") and r["scenario"] != "DescribeImages@1k"):
        return (DESCRIBE_IMAGES_RPS, None)
    return None


def main():
    rows = parse(sys.argv[1])

    print()
    print("%-24s %-8s %10s %9s %9s %9s %8s  %-28s %s" % (
        "scenario", "server", "req/s", "p50 ms", "p99 ms", "max ms",
        "non-2xx", "target", ""))
    print("-" * 116)
    describe = {}
    lines, ratio_at = [], None
    for r in rows:
        if r["kind"] not in ("wrk", "once"):
            continue
        rps = rps_of(r)
        p50 = int(r["p50_us"]) / 1000
        p99 = int(r["p99_us"]) / 1000
        mx = int(r["max_us"]) / 1000
        bad = int(r["non2xx"])
        sock = sum(int(r[k]) for k in ("connect", "read", "write",
                                        "timeout"))
        target = target_of(r) if r["kind"] == "wrk" else None
        note = ""
        if target:
            want, p99_max = target
            tgt = ">= %d req/s" % want
            ok = rps >= want and bad == 0
            if p99_max is not None:
                tgt += ", p99 < %g ms" % p99_max
                ok = ok and p99 < p99_max
            note = verdict(ok)
        elif r["kind"] == "once":
            tgt = "(filling, %s sent once)" % r["requests"]
        elif r["server"] in POLICY_SERVERS:
            tgt = "(policy figures below)"
        else:
            tgt = "(comparison)"
        if r["scenario"].startswith("DescribeImages@"):
            describe[(r["server"], r["scenario"][len("DescribeImages@"):])] \
                = rps
        extra = []
        if sock:
            extra.append("%d socket errors" % sock)
        if (r["scenario"].split("@")[0] in UNIQUE and
                int(r.get("wraps", "0"))):
            extra.append("pool ran out %s times: repeats are in non-2xx; "
                         "raise BENCH_CREATE_POOL / BENCH_PUT_POOL"
                         % r["wraps"])
        lines.append(ROW % (
            r["scenario"], r["server"], rps, p50, p99, mx, bad, tgt, note,
            (" (" + "; ".join(extra) + ")") if extra else ""))
        if (r["server"], r["scenario"][:15]) == ("ecrd-rlx",
                                                 "DescribeImages@"):
            ratio_at = len(lines)

    sizes = sorted((k[1] for k in describe if k[0] == "ecrd-rlx"),
                   key=lambda s: int(s[:-1]) * 1000 if s.endswith("k")
                   else int(s))
    if len(sizes) >= 2 and sizes[0] == "100":
        big = sizes[-1]
        ratio = describe[("ecrd-rlx", big)] / describe[("ecrd-rlx", "100")]
        lines.insert(ratio_at, "%-24s %-8s %10.2f %49s  %-28s %s" % (
            "DescribeImages %s/100" % big, "ecrd-rlx", ratio, "",
            ">= %.1f (cost O(page))" % DESCRIBE_RATIO,
            verdict(ratio >= DESCRIBE_RATIO)))
    print("\n".join(lines))

    print()
    for r in rows:
        if r["kind"] == "probe":
            print("response of one %s on %s: HTTP %s, %s bytes" % (
                r["scenario"], r["server"], r["status"], r["bytes"]))
        elif r["kind"] == "count":
            got = int(r["images"])
            print("images in %s on %s: %d of %s%s" % (
                r["repo"], r["server"], got, r["expect"],
                "" if got == int(r["expect"]) else "  (FILL INCOMPLETE)"))

    print()
    print("%-44s %-8s %14s  %s" % ("measure", "server", "value", "target"))
    print("-" * 92)
    for r in rows:
        if r["kind"] == "start" and r["server"].startswith("ceiling"):
            continue
        if r["kind"] == "start":
            ms = float(r["ms"])
            # ecrd-tls's time includes start.py's TLS handshake.
            tgt = ("< %g ms  %s" % (START_MS, verdict(ms < START_MS))
                   if r["server"].startswith("ecrd") and
                   r["server"] != "ecrd-tls" else "(comparison)")
            print("%-44s %-8s %11.1f ms  %s" % (
                "start to first answered request", r["server"], ms, tgt))
        elif r["kind"] == "rss":
            mib = int(r["kib"]) / 1024
            lim = RSS_MIB.get(r["server"])
            tgt = ("< %g MiB  %s" % (lim, verdict(mib < lim))
                   if lim else "(comparison)")
            label = "peak RSS (VmHWM) " + r["phase"].replace("_", " ")
            print("%-44s %-8s %10.1f MiB  %s" % (label, r["server"], mib,
                                                  tgt))
            if "anon_kib" in r:
                print("%-44s %-8s %10.1f MiB" % (
                    "  of which now anonymous (RssAnon)", r["server"],
                    int(r["anon_kib"]) / 1024))
                print("%-44s %-8s %10.1f MiB" % (
                    "  of which now file-backed (RssFile)", r["server"],
                    int(r["file_kib"]) / 1024))
        elif r["kind"] == "layer":
            mib_layer = int(r["bytes"]) / 2**20
            since = ("since the phase began" if r["hwm_reset"] == "1"
                     else "since start: clear_refs refused")
            if r["phase"] == "upload":
                mbps = int(r["bytes"]) / float(r["secs"]) / 1e6
                print("%-44s %-8s %9.0f MB/s  >= %g MB/s  %s" % (
                    "%.0f MiB layer up: Initiate..Complete" % mib_layer,
                    r["server"], mbps, UPLOAD_MBPS,
                    verdict(mbps >= UPLOAD_MBPS)))
                print("%-44s %-8s %11.1f s   (%s parts of %d MiB; client "
                      "CPU %s s)" % (
                          "  elapsed", r["server"], float(r["secs"]),
                          r["parts"], int(r["part"]) >> 20,
                          r["client_cpu"]))
            else:
                gbps = float(r["rate"]) / 1e9
                print("%-44s %-8s %9.2f GB/s  >= %g GB/s  %s" % (
                    "%.0f MiB layer down: GetDownloadUrlForLayer"
                    % mib_layer, r["server"], gbps, DOWNLOAD_GBPS,
                    verdict(gbps >= DOWNLOAD_GBPS)))
                print("%-44s %-8s %14s  (runs: %s GB/s)" % (
                    "  median of", r["server"], r["runs"].count(",") + 1,
                    ", ".join("%.2f" % (float(x) / 1e9)
                              for x in r["runs"].split(","))))
            mib = int(r["hwm_kib"]) / 1024
            lim = RSS_MIB[r["server"]]
            print("%-44s %-8s %10.1f MiB  < %g MiB  %s  (%s)" % (
                "  peak RSS (VmHWM) during the %s" % r["phase"],
                r["server"], mib, lim, verdict(mib < lim), since))
            print("%-44s %-8s %10.1f MiB" % (
                "    largest RssAnon (sampled every 5 ms)", r["server"],
                int(r["anon_peak_kib"]) / 1024))
            print("%-44s %-8s %10.1f MiB" % (
                "    at the end: file-backed (RssFile)", r["server"],
                int(r["file_kib"]) / 1024))
    print()
    registry_table(rows, sys.argv[2] if len(sys.argv) > 2 else "N")
    policy_table(rows)
    stall_table(rows)
    loopsync_table(rows)
    push_table(rows)
    ptc_table(rows)
    ceiling_table(rows)
    replication_table(rows)
    tls_table(rows)
    observe_table(rows)


def wrk_rows(rows):
    return {(r["server"], r["scenario"]): r for r in rows
            if r["kind"] == "wrk"}


def registry_table(rows, conns):
    """Issue 4: ecrd-reg beside distrib (the reference registry)."""
    blobs = {(r["server"], r["phase"]): r for r in rows
             if r["kind"] == "regblob" and
             r["server"] in ("ecrd-reg", "distrib")}
    pulls = {r["server"]: r for r in rows if r["kind"] == "regpull"}
    wrk = wrk_rows(rows)
    skipped = any(r["kind"] == "skip" and r["server"] == "distrib"
                  for r in rows)
    if not blobs and not pulls and not skipped:
        return
    servers = ("ecrd-reg", "distrib")
    fmt = "%-44s %16s %16s  %s"
    print(fmt % ("registry API (/v2/), issue 4", *servers, "target (ecrd)"))
    print("-" * 100)

    def line(label, cells, target=""):
        print(fmt % (label, *cells, target))

    def cell(d, server, f):
        r = d.get(server)
        return f(r) if r else ("skipped" if server == "distrib" and skipped
                               else "-")

    def gbps(x):
        return "%.2f" % (float(x) / 1e9)

    def mem_lines(d, what, with_target):
        hwm = {k: int(v["hwm_kib"]) / 1024 for k, v in d.items() if v}
        t = ""
        if with_target and "ecrd-reg" in hwm:
            t = "< %g MiB  %s" % (REGISTRY_RSS_MIB,
                                  verdict(hwm["ecrd-reg"] < REGISTRY_RSS_MIB))
        line("  peak RSS (VmHWM) in the %s, MiB" % what,
             [cell(d, s, lambda r: "%.1f" % (int(r["hwm_kib"]) / 1024) +
                   ("" if r["hwm_reset"] == "1" else " (since start)"))
              for s in servers], t)
        line("    largest RssAnon (every 5 ms), MiB",
             [cell(d, s, lambda r: "%.1f" % (int(r["anon_peak_kib"]) / 1024))
              for s in servers])

    for phase in ("push", "pull"):
        d = {s: blobs.get((s, phase)) for s in servers}
        some = next((v for v in d.values() if v), None)
        if not some:
            continue
        mib = int(some["bytes"]) >> 20
        e = d.get("ecrd-reg")
        t = ""
        if e:
            rate = float(e["rate"]) / 1e9
            t = ">= %g GB/s  %s" % (REGISTRY_GBPS,
                                    verdict(rate >= REGISTRY_GBPS))
        line("%d MiB blob %s, GB/s (median)" % (mib, phase),
             [cell(d, s, lambda r: gbps(r["rate"])) for s in servers], t)
        line("  runs, GB/s",
             [cell(d, s, lambda r: ",".join(gbps(x) for x in
                                             r["runs"].split(",")))
              for s in servers])
        if phase == "push":
            line("  POST+PATCH s / PUT s (medians)",
                 [cell(d, s, lambda r: "%.3f / %.3f" % tuple(
                     statistics.median(float(x) for x in r[k].split(","))
                     for k in ("patch_s", "commit_s")))
                  for s in servers])
        mem_lines(d, phase, True)
    if pulls or skipped:
        some = next(iter(pulls.values()), None)
        if some:
            n, mib = some["clients"], int(some["bytes"]) >> 20
            e = pulls.get("ecrd-reg")
            t = ""
            if e:
                rate = float(e["rate"]) / 1e9
                t = ">= %g GB/s  %s" % (REGISTRY_GBPS,
                                        verdict(rate >= REGISTRY_GBPS))
            line("%s clients pulling a %d MiB image, GB/s" % (n, mib),
                 [cell(pulls, s, lambda r: gbps(r["rate"]))
                  for s in servers], t)
            line("  rounds, GB/s",
                 [cell(pulls, s, lambda r: ",".join(
                     gbps(x) for x in r["runs"].split(",")))
                  for s in servers])
            mem_lines(pulls, "pulls", False)
    d = {s: wrk.get((s, "manifest-GET")) for s in servers}
    if any(d.values()):
        e = d.get("ecrd-reg")
        t = ""
        if e:
            ok = rps_of(e) >= TARGETS[("ecrd-reg", "manifest-GET")][0] \
                and int(e["non2xx"]) == 0
            t = ">= %d req/s  %s" % (
                TARGETS[("ecrd-reg", "manifest-GET")][0], verdict(ok))
        line("manifest GET by tag (wrk -c%s), req/s" % conns,
             [cell(d, s, lambda r: "%.0f" % rps_of(r)) for s in servers], t)
        line("  p50 / p99 ms",
             [cell(d, s, lambda r: "%.2f / %.2f" % (
                 int(r["p50_us"]) / 1000, int(r["p99_us"]) / 1000))
              for s in servers])
    if skipped:
        print("distrib: skipped: docker-registry not installed "
              "(apt-get install docker-registry)")
    print()


def policy_table(rows):
    """Issue 5: the cost of policy evaluation; strict vs permissive."""
    wrk = wrk_rows(rows)
    if not any(k[0] in POLICY_SERVERS for k in wrk):
        return
    fmt = "%-44s %12s %12s %12s  %s"
    print(fmt % ("policy evaluation, issue 5", *POLICY_SERVERS, ""))
    print("-" * 100)
    for scenario, label in (("DescribeRepositories", "DescribeRepositories"),
                            ("ListImages", "ListImages (empty repository)"),
                            ("ListImages@c1", "ListImages, one connection")):
        cells = [wrk.get((s, scenario)) for s in POLICY_SERVERS]
        print(fmt % (label + ", req/s", *("%.0f" % rps_of(r) if r else "-"
                                          for r in cells), ""))
        print(fmt % ("  p50 / p99 ms", *("%.3f/%.3f" % (
            int(r["p50_us"]) / 1000, int(r["p99_us"]) / 1000) if r else "-"
            for r in cells), ""))
        bad = sum(int(r["non2xx"]) for r in cells if r)
        if bad:
            print("  (%d non-2xx answers)" % bad)
    fmt2 = "%-70s %10s  %s"
    s1, s20 = wrk.get(("ecrd-s1", "ListImages")), wrk.get(
        ("ecrd-s20", "ListImages"))
    if s1 and s20:
        added = (1 / rps_of(s20) - 1 / rps_of(s1)) * 1e6
        print(fmt2 % ("added per request by the 20-statement policies: "
                      "1/rps(s20) - 1/rps(s1)", "%.2f us" % added,
                      "< %g us  %s" % (POLICY_ADDED_US,
                                       verdict(added < POLICY_ADDED_US))))
        print(fmt2 % ("  p50 difference (s20 - s1), full load (mostly "
                      "queueing)",
                      "%d us" % (int(s20["p50_us"]) - int(s1["p50_us"])),
                      ""))
    c1, c20 = wrk.get(("ecrd-s1", "ListImages@c1")), wrk.get(
        ("ecrd-s20", "ListImages@c1"))
    if c1 and c20:
        print(fmt2 % ("  p50 difference (s20 - s1), one connection",
                      "%d us" % (int(c20["p50_us"]) - int(c1["p50_us"])),
                      "(latency view, wrk's 1 us resolution)"))
    prm = wrk.get(("ecrd-prm", "DescribeRepositories"))
    for srv, what, target in (
            ("ecrd-s1", "strict (1 statement)", True),
            ("ecrd-s20", "strict (20 statements)", False)):
        r = wrk.get((srv, "DescribeRepositories"))
        if prm and r:
            ratio = rps_of(r) / rps_of(prm)
            print(fmt2 % ("DescribeRepositories %s / permissive" % what,
                          "%.2f" % ratio,
                          (">= %.2f  %s" % (STRICT_RATIO,
                                            verdict(ratio >= STRICT_RATIO))
                           if target else "(for information)")))
    print()


def stall_label(phase):
    m = re.fullmatch(r"(gc|force-delete)@(\w+)|push(\d+)x(\w+)", phase)
    if phase == "baseline":
        return "baseline: nothing else running"
    if m and m.group(1) == "gc":
        return "GC of %s unreferenced blobs" % m.group(2)
    if m and m.group(1):
        return "force-delete of a %s-image repository" % m.group(2)
    if m:
        return "%s pushes of %s at once" % (m.group(3), m.group(4))
    m = re.fullmatch(r"replicate(\w+)x(\d+)", phase)
    if m and m.group(2) == "0":
        return "%s PutImage, no replication" % m.group(1)
    if m:
        return "%s PutImage replicated to %s places" % m.groups()
    return phase


def stall_table(rows):
    """Issue 12: the prober's latency while the server does slow work."""
    stalls = [r for r in rows if r["kind"] == "stall"]
    if not stalls:
        return
    fmt = "%-40s %6s %8s %8s %8s %6s %7s %8s %8s  %s"
    print("issue 12: DescribeRepositories every 5 ms during slow work "
          "(bench/stall.py; latency from the scheduled send)")
    print(fmt % ("phase (window: action + until CPU idle)", "probes",
                 "p50 ms", "p99 ms", "max ms", ">100ms", "non-200",
                 "action s", "settle s", "target"))
    print("-" * 116)
    for r in stalls:
        p99, mx = int(r["p99_us"]) / 1000, int(r["max_us"]) / 1000
        tgt = ""
        if r["phase"] != "baseline":
            tgt = "p99 < %g, max < %g ms  %s" % (
                STALL_P99_MS, STALL_MAX_MS,
                verdict(p99 < STALL_P99_MS and mx < STALL_MAX_MS and
                        int(r["errors"]) == 0))
        print(fmt % (stall_label(r["phase"]), r["probes"],
                     "%.2f" % (int(r["p50_us"]) / 1000), "%.2f" % p99,
                     "%.2f" % mx, r["over100"], r["errors"], r["action_s"],
                     r["settle_s"], tgt))
        if r["answer"] != "-":
            print("  its answer: %s; server CPU in the window %s s" % (
                r["answer"], r["cpu_s"]))
    print()


def loopsync_table(rows):
    """Issue 12: the loop thread's own sync and directory calls (strace)."""
    rows = [r for r in rows if r["kind"] == "loopsync"]
    if not rows:
        return
    fmt = "%-28s %10s %10s %12s %12s  %s"
    print("issue 12: calls that wait on the disk, by thread, under strace "
          "(bench/loopsync.py)")
    print(fmt % ("load", "loop sync", "loop dir", "others sync",
                 "others dir", "target: loop 0"))
    print("-" * 96)
    for r in rows:
        n = int(r["loop_sync"]) + int(r["loop_dir"])
        print(fmt % (r["phase"], r["loop_sync"], r["loop_dir"],
                     r["other_sync"], r["other_dir"],
                     verdict(n == 0) + ("" if n == 0 else
                                        "  (" + r["loop_calls"] + ")")))
    print("  sync: fsync, fdatasync, sync_file_range; dir: rename*, link*, "
          "unlink*; loop: ecrd's main thread")
    print()


def push_table(rows):
    """Issue 12: concurrent registry pushes, throughput and CPU per GiB."""
    pushes = [r for r in rows if r["kind"] == "regpush"]
    if not pushes:
        return
    fmt = "%-12s %7s %9s %10s %8s %10s %10s  %s"
    print(fmt % ("issue 12", "pushes", "MiB each", "agg. GB/s", "secs",
                 "server CPU", "CPU s/GiB", "target"))
    print("-" * 100)
    rate = {}
    for r in pushes:
        n, total = int(r["clients"]), int(r["bytes"])
        per_gib = float(r["cpu_s"]) / (total / 2**30)
        rate[(r["server"], n)] = float(r["rate"])
        tgt = ""
        if r["server"] == "ecrd-scale":
            tgt = "<= %g s/GiB  %s" % (CPU_PER_GIB,
                                       verdict(per_gib <= CPU_PER_GIB))
        print(fmt % (r["server"], n, total // n >> 20,
                     "%.3f" % (float(r["rate"]) / 1e9), r["secs"],
                     "%s s" % r["cpu_s"], "%.2f" % per_gib, tgt))
    ones = [k for k in rate if k[0] == "ecrd-scale" and k[1] == 1]
    for k in sorted(rate):
        if ones and k[0] == "ecrd-scale" and k[1] > 1:
            ratio = rate[k] / rate[ones[0]]
            print("%-62s %6.2fx  >= %gx  %s" % (
                "aggregate throughput, %d at once / one" % k[1], ratio,
                SCALE_RATIO, verdict(ratio >= SCALE_RATIO)))
    print("(ecrd-stall: with the prober running; ecrd-scale: alone)")
    print()


def ptc_table(rows):
    """Issue 13: the first pull of a blob through the cache."""
    ptc = [r for r in rows if r["kind"] == "ptc"]
    if any(r["kind"] == "skip" and r["server"] == "distrib-ptc"
           for r in rows):
        print("pullthrough: skipped: docker-registry not installed")
        print()
    if not ptc:
        return
    r = ptc[0]
    mib = int(r["bytes"]) >> 20

    def gb(x):
        return "%.2f GB/s" % (float(x) / 1e9)

    def runs(k):
        return ",".join("%.2f" % (float(x) / 1e9) for x in r[k].split(","))

    fmt = "%-58s %16s  %s"
    print(fmt % ("issue 13: pull through the cache (%s)" % r["server"],
                 "figure", "target"))
    print("-" * 100)
    ratio = float(r["ratio"])
    print(fmt % ("%d MiB first pull / direct pull from upstream" % mib,
                 "%.2f" % ratio,
                 ">= %g  %s" % (PTC_RATIO, verdict(ratio >= PTC_RATIO))))
    print(fmt % ("  first pull through ecrd (runs: %s)" % runs("first_runs"),
                 gb(r["first"]), ""))
    print(fmt % ("  direct from the upstream (runs: %s)" % runs(
        "direct_runs"), gb(r["direct"]), ""))
    print(fmt % ("  time to first byte (median)", "%s ms" % r["ttfb_ms"],
                 ""))
    print(fmt % ("  ecrd's CPU (utime+stime) per GiB, first pull",
                 "%s s" % r["cpu_s_per_gib"], ""))
    hwm = int(r["hwm_kib"]) / 1024
    print(fmt % ("  peak RSS (VmHWM) in the first pulls",
                 "%.1f MiB%s" % (hwm, "" if r["hwm_reset"] == "1"
                                 else " (since start)"),
                 "< %g MiB  %s" % (PTC_RSS_MIB, verdict(hwm < PTC_RSS_MIB))))
    cached = float(r["cached"]) / float(r["ordinary"])
    print(fmt % ("cached pull / ordinary pull (%s / %s)" % (
        gb(r["cached"]), gb(r["ordinary"])), "%.2f" % cached,
        ">= %g  %s" % (PTC_CACHED_RATIO,
                       verdict(cached >= PTC_CACHED_RATIO))))
    print()


def ceiling_table(rows):
    """Issue 12: ecrd's req/s as a share of a do-nothing server's."""
    wrk = wrk_rows(rows)
    pairs = sorted(k[1] for k in wrk if k[0] == "ecrd-ceil"
                   and ("ceiling", k[1]) in wrk)
    if not pairs:
        return
    fmt = "%-32s %6s %11s %13s %8s  %s"
    print(fmt % ("issue 12: ecrd beside ecrd-ceiling", "conns",
                 "ecrd req/s", "ceiling req/s", "ecrd %", "target"))
    print("-" * 100)
    for sc in pairs:
        op, _, conns = sc.partition("@c")
        e, c = rps_of(wrk[("ecrd-ceil", sc)]), rps_of(wrk[("ceiling", sc)])
        pct = 100 * e / c if c else 0.0
        want = CEILING_PCT.get(op)
        bad = int(wrk[("ecrd-ceil", sc)]["non2xx"])
        print(fmt % (op, conns, "%.0f" % e, "%.0f" % c, "%.1f" % pct,
                     (">= %g %%  %s" % (want, verdict(pct >= want and
                                                    bad == 0))
                      if want else "") +
                     ("  (%d non-2xx from ecrd)" % bad if bad else "")))
    print("(the same signed requests; ecrd-ceiling answers each with the "
          "bytes ecrd answered, captured once)")
    print()


def replication_table(rows):
    """Issue 14: PutImage with replication, and how fast it drains."""
    wrk = wrk_rows(rows)
    none = [r for k, r in wrk.items() if k == ("ecrd-rep0", "PutImage@0dest")]
    more = [r for k, r in wrk.items() if k[0] != "ecrd-rep0" and
            k[0].startswith("ecrd-rep") and k[1].startswith("PutImage@")]
    drains = [r for r in rows if r["kind"] == "repl"]
    stalls = [r for r in rows if r["kind"] == "stall" and
              r["phase"].startswith("replicate")]
    if not (none or drains):
        return
    fmt = "%-52s %-10s %12s  %s"
    print(fmt % ("issue 14: replication", "server", "value", "target"))
    print("-" * 100)
    for r in more:
        if not none:
            break
        ratio = rps_of(r) / rps_of(none[0]) if rps_of(none[0]) else 0.0
        print(fmt % ("PutImage req/s %s / none (%.0f / %.0f)" % (
            r["scenario"].split("@")[1], rps_of(r), rps_of(none[0])),
            r["server"], "%.2f" % ratio, ">= %g  %s" % (
                REPL_RATIO, verdict(ratio >= REPL_RATIO))))
    for r, st in zip(drains, stalls):
        mx = int(st["max_us"]) / 1000
        if r["destinations"] == "0":
            print(fmt % ("%s pushes, no replication" % r["pushes"],
                         r["server"], "%s s" % r["push_s"], "(baseline)"))
        else:
            print(fmt % ("%s pushes, replicated to %s destinations" % (
                r["pushes"], r["destinations"]), r["server"],
                "%s s" % r["replicated_s"],
                "(pushes took %s s; last: %s)" % (r["push_s"],
                                                   r["statuses"])))
        print(fmt % ("  prober max (p99 %.2f ms) meanwhile" % (
            int(st["p99_us"]) / 1000), r["server"], "%.2f ms" % mx,
            "<= %g ms  %s" % (REPL_STALL_MAX_MS,
                              verdict(mx <= REPL_STALL_MAX_MS))
            if r["destinations"] != "0" else "(baseline)"))
    print()


def tls_table(rows):
    """Issue 18: HTTPS beside plain HTTP, on two servers alike but for
    --tls-cert: DescribeRepositories req/s and a big blob's pull rate."""
    wrk = wrk_rows(rows)
    pulls = {r["server"]: r for r in rows
             if r["kind"] == "regblob" and r["phase"] == "pull"}
    pushes = {r["server"]: r for r in rows
              if r["kind"] == "regblob" and r["phase"] == "push"}
    servers = ("ecrd-http", "ecrd-tls")
    if not any(s in pulls or (s, "DescribeRepositories") in wrk
               for s in servers):
        return
    fmt = "%-40s %12s %12s %12s"
    print(fmt % ("issue 18: TLS cost", "http", "https", "https/http"))
    print("-" * 80)
    http = wrk.get(("ecrd-http", "DescribeRepositories"))
    tls = wrk.get(("ecrd-tls", "DescribeRepositories"))
    if http and tls:
        h, t = rps_of(http), rps_of(tls)
        print(fmt % ("DescribeRepositories req/s", "%.0f" % h, "%.0f" % t,
                     "%.2f" % (t / h if h else 0.0)))
    if all(s in pushes for s in servers):
        h, t = (float(pushes[s]["rate"]) for s in servers)
        print(fmt % ("%d MiB blob push GB/s (one PATCH)" % (
            int(pushes["ecrd-tls"]["bytes"]) >> 20), "%.2f" % (h / 1e9),
            "%.2f" % (t / 1e9), "%.2f" % (t / h if h else 0.0)))
    if all(s in pulls for s in servers):
        h, t = (float(pulls[s]["rate"]) for s in servers)
        print(fmt % ("%d MiB blob pull GB/s (curl, median)" % (
            int(pulls["ecrd-tls"]["bytes"]) >> 20), "%.2f" % (h / 1e9),
            "%.2f" % (t / 1e9), "%.2f" % (t / h if h else 0.0)))
        print(fmt % ("  server peak RSS during the pulls, MiB",
                     *("%.0f" % (int(pulls[s]["hwm_kib"]) / 1024)
                       for s in servers), ""))
    print("(the same signed requests; wrk and curl negotiate TLS 1.3 once "
          "per connection; https/http is the share of plain HTTP's figure "
          "kept)")
    print()


def observe_table(rows):
    """Issue 17: the cost of metrics, the events file and the audit log:
    the same calls on ecrd-obs-off, -metrics and -all, in alternating
    rounds (run.sh); each round's req/s as a ratio of that round's
    all-off figure, and the median of those ratios."""
    rps = {}
    for r in rows:
        if r["kind"] != "wrk" or not r["server"].startswith("ecrd-obs-"):
            continue
        op, _, rnd = r["scenario"].partition("@r")
        rps.setdefault((r["server"][len("ecrd-obs-"):], op), {})[rnd] = \
            rps_of(r)
    skipped = {r["server"][len("ecrd-obs-"):]: r.get("reason", "")
               for r in rows if r["kind"] == "skip" and
               r["server"].startswith("ecrd-obs-")}
    if not rps and not skipped:
        return
    fmt = "%-22s %-40s %10s %8s  %s"
    print(fmt % ("issue 17: observe", "configuration", "req/s", "/ off",
                 "target"))
    print("-" * 100)
    for op in sorted({k[1] for k in rps}):
        base = rps.get(("off", op), {})
        for cfg, label in OBSERVE_CONFIGS:
            if cfg in skipped:
                print(fmt % (op, label, "-", "-", "skipped: %s" % (
                    skipped[cfg].replace("_", " "))))
                continue
            runs = rps.get((cfg, op), {})
            if not runs:
                continue
            ratios = [runs[k] / base[k] for k in runs
                      if base.get(k)]
            ratio = statistics.median(ratios) if ratios else 0.0
            target = ""
            if cfg == "all":
                target = ">= %g  %s" % (OBSERVE_RATIO,
                                        verdict(ratio >= OBSERVE_RATIO))
            elif cfg != "off":
                target = "(rounds: %s)" % " ".join(
                    "%.2f" % x for x in ratios)
            print(fmt % (op, label, "%.0f" % statistics.median(
                runs.values()), "%.2f" % ratio if cfg != "off" else "1",
                target))
    print("(req/s: median of the rounds; / off: median of each round's "
          "ratio to all-off in that round; rounds alternate the order of "
          "the servers so the shared machine's noise falls on each side)")
    print()


if __name__ == "__main__":
    main()
