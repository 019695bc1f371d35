#!/usr/bin/env python3
"""Lifecycle policies at scale (issue 6): prints figures, asserts nothing.

    ECRD_BIN=build-release/server/ecrd bench/lifecycle.py [--images 100000]

Starts ecrd with a fresh --data-dir (durable: every commit is fsynced),
--relax-references (tiny synthetic manifests, no blobs) and no lifecycle
schedule; pushes --images images into one repository over keep-alive
connections (a tenth of them untagged, the rest under nine tag families,
the first half 40 days older on the emulator's clock); puts a 10-rule
policy; then times

  - StartLifecyclePolicyPreview: load + evaluate + store the preview, in
    one request (it blocks the server while it runs);
  - POST /_ecrd/lifecycle/run: the same evaluation, then every expiry and
    transition, in bounded steps between which the server answers others;
    meanwhile one client sends DescribeRepositories back to back, and its
    latencies (p50, p99, max) are printed beside an idle baseline.
"""

import argparse
import concurrent.futures
import hashlib
import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

TARGET = "AmazonEC2ContainerRegistry_V20150921."
REPO = "bench/lifecycle"
DAY = 86400


def log(fmt, *args):
    print(fmt % args, flush=True)


class Conn:
    """One keep-alive connection sending unsigned API calls."""

    def __init__(self, port):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def call(self, op, payload):
        body = json.dumps(payload).encode()
        self.c.request("POST", "/", body, {
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": TARGET + op})
        r = self.c.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError("%s: %d %s" % (op, r.status, data[:300]))
        return json.loads(data)

    def post(self, path):
        self.c.request("POST", path, b"")
        r = self.c.getresponse()
        data = r.read()
        if r.status != 200:
            raise RuntimeError("%s: %d %s" % (path, r.status, data[:300]))
        return json.loads(data)


def start_server(binary, data_dir, workdir):
    port_file = os.path.join(workdir, "port")
    err = open(os.path.join(workdir, "ecrd.log"), "wb")
    proc = subprocess.Popen(
        [binary, "--listen", "127.0.0.1:0", "--port-file", port_file,
         "--data-dir", data_dir, "--relax-references",
         "--lifecycle-interval", "0", "--log-level", "warn"],
        stdin=subprocess.DEVNULL, stdout=err, stderr=err)
    deadline = time.monotonic() + 30
    while not os.path.exists(port_file):
        if proc.poll() is not None or time.monotonic() > deadline:
            sys.exit("ecrd did not start (see %s/ecrd.log)" % workdir)
        try:
            proc.wait(timeout=0.01)
        except subprocess.TimeoutExpired:
            pass
    with open(port_file) as f:
        return proc, int(f.read().strip().rpartition(":")[2])


FAMILIES = [None, "prod-%d", "release-%d", "dev-%d", "feature-x-%d",
            "%d-rc1", "nightly-%d", "pr-%d", "v%d", "misc-%d"]


def tag_of(i):
    """A tenth untagged; the rest in nine families (the rules' targets)."""
    fam = FAMILIES[i % len(FAMILIES)]
    return fam % i if fam is not None else None


def manifest(i):
    digest = "sha256:" + hashlib.sha256(b"bench %d" % i).hexdigest()
    return json.dumps({"schemaVersion": 2, "mediaType":
                       "application/vnd.docker.distribution.manifest.v2+json",
                       "config": {"mediaType":
                                  "application/vnd.docker.container.image."
                                  "v1+json", "size": 2, "digest": digest},
                       "layers": []})


def push_range(port, lo, hi, step, offset):
    conn = Conn(port)
    for i in range(lo + offset, hi, step):
        p = {"repositoryName": REPO, "imageManifest": manifest(i)}
        if tag_of(i) is not None:
            p["imageTag"] = tag_of(i)
        conn.call("PutImage", p)


def push(port, lo, hi, threads):
    with concurrent.futures.ThreadPoolExecutor(threads) as ex:
        for f in [ex.submit(push_range, port, lo, hi, threads, k)
                  for k in range(threads)]:
            f.result()


def rule(prio, sel, action=None):
    return {"rulePriority": prio, "selection": sel,
            "action": action or {"type": "expire"}}


def tagged(count_type, n, prefixes=None, patterns=None):
    sel = {"tagStatus": "tagged", "countType": count_type, "countNumber": n}
    if prefixes:
        sel["tagPrefixList"] = prefixes
    if patterns:
        sel["tagPatternList"] = patterns
    if count_type != "imageCountMoreThan":
        sel["countUnit"] = "days"
    return sel


POLICY = {"rules": [
    rule(1, tagged("imageCountMoreThan", 500, prefixes=["prod"])),
    rule(2, tagged("imageCountMoreThan", 1000, prefixes=["release"])),
    rule(3, tagged("sinceImagePushed", 30, patterns=["*-rc*"]),
         {"type": "transition", "targetStorageClass": "archive"}),
    rule(4, tagged("sinceImagePushed", 14, prefixes=["dev"])),
    rule(5, tagged("imageCountMoreThan", 200, patterns=["feature-*-*"])),
    rule(6, tagged("imageCountMoreThan", 100, prefixes=["nightly"])),
    rule(7, tagged("sinceImagePushed", 7, prefixes=["pr"])),
    rule(8, {"tagStatus": "untagged", "countType": "imageCountMoreThan",
             "countNumber": 50}),
    rule(9, tagged("sinceImagePushed", 35, patterns=["v*", "*0"])),
    rule(10, {"tagStatus": "any", "countType": "imageCountMoreThan",
              "countNumber": 20000}),
]}


def probe(port, stop, out):
    conn = Conn(port)
    while not stop.is_set():
        t = time.perf_counter()
        conn.call("DescribeRepositories", {"repositoryNames": [REPO]})
        out.append((time.perf_counter() - t) * 1000)


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def latency_line(what, ms):
    return "%s: %d requests, p50 %.2f ms, p99 %.2f ms, max %.2f ms" % (
        what, len(ms), statistics.median(ms), pct(ms, 99), max(ms))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--images", type=int, default=100000)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--bin", default=os.environ.get("ECRD_BIN") or
                    os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                 "..", "build-release", "server", "ecrd"))
    a = ap.parse_args()
    workdir = tempfile.mkdtemp(prefix="bench-lifecycle-")
    data_dir = os.path.join(workdir, "data")
    os.mkdir(data_dir)
    proc, port = start_server(a.bin, data_dir, workdir)
    try:
        run(a, port)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        shutil.rmtree(workdir, ignore_errors=True)


def run(a, port):
    conn = Conn(port)
    conn.call("CreateRepository", {"repositoryName": REPO})
    t = time.monotonic()
    half = a.images // 2
    push(port, 0, half, a.threads)
    conn.post("/_ecrd/clock?advance_seconds=%d" % (40 * DAY))
    push(port, half, a.images, a.threads)
    took = time.monotonic() - t
    log("pushed %d images in %.1f s (%.0f PutImage/s, %d connections)",
        a.images, took, a.images / took, a.threads)
    conn.call("PutLifecyclePolicy", {"repositoryName": REPO,
                                     "lifecyclePolicyText":
                                     json.dumps(POLICY)})

    t = time.monotonic()
    conn.call("StartLifecyclePolicyPreview", {"repositoryName": REPO})
    preview_s = time.monotonic() - t
    t = time.monotonic()
    first = conn.call("GetLifecyclePolicyPreview", {"repositoryName": REPO})
    page_s = time.monotonic() - t
    summary = first["summary"]
    log("preview (load + 10-rule evaluation + store, one request): %.3f s; "
        "status %s, summary %s", preview_s, first["status"],
        json.dumps(summary))
    log("GetLifecyclePolicyPreview, first page of %d: %.3f s",
        len(first["previewResults"]), page_s)

    stop = threading.Event()
    idle = []
    th = threading.Thread(target=probe, args=(port, stop, idle))
    th.start()
    time.sleep(2)
    stop.set()
    th.join()
    log(latency_line("DescribeRepositories idle", idle))

    stop = threading.Event()
    during = []
    th = threading.Thread(target=probe, args=(port, stop, during))
    th.start()
    t = time.monotonic()
    body = Conn(port).post("/_ecrd/lifecycle/run?repositoryName=" +
                           REPO.replace("/", "%2F"))
    run_s = time.monotonic() - t
    stop.set()
    th.join()
    log("run (POST /_ecrd/lifecycle/run, stepped): %.3f s; %s", run_s,
        json.dumps(body))
    log(latency_line("DescribeRepositories during the run", during))
    log("agrees with the preview: %s", body["expired"] ==
        summary["expiringImageTotalCount"] and body["transitioned"] ==
        sum(c["imageTotalCount"] for c in
            summary.get("transitioningImageTotalCounts", [])))


if __name__ == "__main__":
    main()
