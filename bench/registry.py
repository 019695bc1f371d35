#!/usr/bin/env python3
"""Registry API (/v2/) workloads for bench/run.sh: ecrd and the reference.

The same requests go to ecrd (Basic auth: user AWS, the password from
GetAuthorizationToken) and to the reference registry (Debian's
docker-registry, CNCF distribution 2.8, run without auth):

    registry.py login --endpoint URL --repo R [--repo R2] --auth-out F
        (ecrd) create the repositories and write
        "Basic base64(AWS:password)" from GetAuthorizationToken (boto3,
        signed: the bench principal's token)
        (--rule PREFIX=URL: also a pull-through cache rule)
    registry.py bigblob --endpoint URL --repo R --pid PID --server NAME
        --results F --tmp DIR [--auth F] [--size BYTES]
        push a --size (1 GiB) blob --pushes times, each a new blob (the
        file's first 16 bytes are rewritten per push): POST an upload, one
        PATCH streaming the whole file (Content-Length, sendfile), PUT
        ?digest=; then an image naming the last one, and --pulls GETs of
        it with curl; the median rate of each phase, with the server's
        peak RSS (VmHWM reset through /proc/PID/clear_refs, and the
        largest RssAnon sampled every 5 ms) appended to F
    registry.py image --endpoint URL --repo R --tag T --tmp DIR
        [--auth F] [--size BYTES]
        push an image: a config and one --size (100 MiB) layer
    registry.py pull --endpoint URL --repo R --tag T --pid PID --server N
        --results F [--auth F] [--clients 16] [--rounds 3]
        --clients curl processes at once, each GETting the manifest (by
        tag, with Accept) then its layer; total bytes over the wall time
        of the round, median of --rounds
    registry.py pool --endpoint URL --repo R --tag T --out F [--auth F]
        a raw "GET /v2/R/manifests/T" (Accept, Authorization), --count
        times, in bench/replay.lua's pool format, for wrk
    registry.py pushes --endpoint URL --repo R --clients N --size BYTES
        --tmp DIR --pid PID --server NAME --results F [--auth F]
        N pushes at once (a thread and a connection each, released
        together), each a new blob: one file of all but the last STAMP
        bytes, made once, sent by sendfile, then a tail naming the push
        (POST, one PATCH, PUT ?digest=; the digests come from one hash of
        the file, copied per tail); appends the aggregate rate (all bytes
        over the time from the release to the last PUT's answer) and the
        server's CPU seconds (utime+stime, all threads) in that span; with
        $BENCH_WINDOW set, writes that span there (bench/stall.py)
    registry.py ptc --endpoint URL --upstream URL --prefix P --repo R
        --pid PID --server NAME --results F --tmp DIR --auth F
        [--size BYTES] [--runs 3]
        issue 13: a pull-through cache rule P on ecrd for quay.io (which
        run.sh's --upstream-url points at the reference registry, URL);
        each run pushes a new --size (256 MiB) blob and an image naming it
        to the upstream, pulls the blob from it directly with curl, then
        through ecrd (the manifest, which fetches it, then the blob: its
        first pull, streamed as it comes), then through ecrd again (cached),
        and an ordinary pull of another new blob pushed to ecrd (both read
        once, as cold). Appends the
        medians: time to first byte, first-pull and direct rates and their
        ratio, ecrd's CPU seconds per GiB in a first pull, cached and
        ordinary rates, and ecrd's peak RSS in the first pulls
    registry.py blobs --endpoint URL --repo R --count N [--clients P]
        [--auth F]
        N tiny unique blobs pushed by P processes over keep-alive
        connections (POST, then PUT ?digest= with the body) and named by
        no image: GC's work for bench/stall.py

The big files are made once in --tmp from a seeded block (never whole in
memory) and hashed with hashlib as they are written.
"""

import argparse
import base64
import hashlib
import http.client
import json
import multiprocessing
import os
import statistics
import struct
import subprocess
import sys
import threading
import time
import urllib.parse

import memory
from memory import cpu_seconds, reset_hwm, status_file
from sign import OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, add_signing_args

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
ACCEPT = ", ".join((OCI_MANIFEST, DOCKER_MANIFEST,
                    "application/vnd.oci.image.index.v1+json",
                    "application/vnd.docker.distribution.manifest.list"
                    ".v2+json"))
BLOCK = 16 << 20            # bytes written at a time when making a file
STAMP = 16                  # leading bytes rewritten per push


# --- files ------------------------------------------------------------------

def make_file(path, size, seed):
    """A size-byte file of a seeded pseudo-random block, block i stamped
    with i; made once (kept beside its digest); returns the digest."""
    side = path + ".sha256"
    if os.path.exists(path) and os.path.exists(side):
        with open(side) as f:
            return f.read().strip()
    block = hashlib.shake_128(b"ecrd-bench-registry-%d" % seed).digest(BLOCK)
    h = hashlib.sha256()
    with open(path + ".tmp", "wb") as f:
        for i in range((size + BLOCK - 1) // BLOCK):
            n = min(BLOCK, size - i * BLOCK)
            piece = struct.pack(">Q", i) + memoryview(block)[8:n]
            f.write(piece)
            h.update(piece)
    os.replace(path + ".tmp", path)
    digest = "sha256:" + h.hexdigest()
    with open(side, "w") as f:
        f.write(digest)
    return digest


def hash_file(path):
    """A sha256 object fed path's bytes, streaming."""
    h = hashlib.sha256()
    buf = bytearray(BLOCK)
    with open(path, "rb", buffering=0) as f:
        while True:
            n = f.readinto(buf)
            if not n:
                break
            h.update(memoryview(buf)[:n])
    return h


def restamp(path, run):
    """Make path a new blob (its first STAMP bytes name run); its digest,
    hashed streaming (and kept beside it)."""
    with open(path, "r+b") as f:
        f.write(b"%-*s" % (STAMP, b"run-%d" % run))
    digest = "sha256:" + hash_file(path).hexdigest()
    with open(path + ".sha256", "w") as f:
        f.write(digest)
    return digest


# --- HTTP -------------------------------------------------------------------

class Registry:
    """Keep-alive connection to one registry, with optional Basic auth."""

    def __init__(self, endpoint, auth):
        self.endpoint = endpoint
        self.auth = auth
        u = urllib.parse.urlsplit(endpoint)
        # https: SSL_CERT_FILE names the CA (bench/run.sh, "tls").
        conn = (http.client.HTTPSConnection if u.scheme == "https"
                else http.client.HTTPConnection)
        self.conn = conn(u.hostname, u.port, timeout=300)

    def headers(self, extra=None):
        h = {}
        if self.auth:
            h["Authorization"] = self.auth
        h.update(extra or {})
        return h

    def call(self, method, url, body=None, headers=None, expect=(200,)):
        path = urllib.parse.urlsplit(url)
        path = path.path + ("?" + path.query if path.query else "")
        self.conn.request(method, path, body=body,
                          headers=self.headers(headers))
        r = self.conn.getresponse()
        data = r.read()
        if r.status not in expect:
            sys.exit("registry.py: %s %s: HTTP %d %s" % (
                method, path, r.status, data[:300]))
        return r, data

    def start_upload(self, repo):
        r, _ = self.call("POST", "/v2/%s/blobs/uploads/" % repo,
                         headers={"Content-Length": "0"}, expect=(202,))
        return urllib.parse.urljoin(self.endpoint, r.getheader("Location"))

    def finish(self, location, digest, body=b""):
        sep = "&" if "?" in location else "?"
        self.call("PUT", location + sep + "digest=" +
                  urllib.parse.quote(digest, safe=""), body=body,
                  headers={"Content-Type": "application/octet-stream",
                           "Content-Length": str(len(body))},
                  expect=(201,))

    def push_small(self, repo, data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        self.finish(self.start_upload(repo), digest, data)
        return digest

    def patch_file(self, location, path, size, tail=b""):
        """One PATCH of size bytes: the file's first size - len(tail)
        (sendfile), then tail; the next Location."""
        u = urllib.parse.urlsplit(location)
        self.conn.putrequest("PATCH", u.path + ("?" + u.query if u.query
                                                else ""),
                             skip_accept_encoding=True)
        for k, v in self.headers({
                "Content-Type": "application/octet-stream",
                "Content-Length": str(size)}).items():
            self.conn.putheader(k, v)
        self.conn.endheaders()
        with open(path, "rb") as f:
            sent = self.conn.sock.sendfile(f, 0, size - len(tail))
        self.conn.sock.sendall(tail)
        sent += len(tail)
        if sent != size:
            sys.exit("registry.py: PATCH sent %d of %d bytes" % (sent, size))
        r = self.conn.getresponse()
        data = r.read()
        if r.status != 202:
            sys.exit("registry.py: PATCH: HTTP %d %s" % (r.status,
                                                        data[:300]))
        return urllib.parse.urljoin(self.endpoint, r.getheader("Location"))

    def put_manifest(self, repo, tag, config, layer_digest, layer_size):
        cd = self.push_small(repo, config)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "size": len(config),
                       "digest": cd},
            "layers": [{"mediaType": OCI_LAYER, "size": layer_size,
                        "digest": layer_digest}]},
            separators=(",", ":")).encode()
        self.call("PUT", "/v2/%s/manifests/%s" % (repo, tag), body=manifest,
                  headers={"Content-Type": OCI_MANIFEST}, expect=(201,))


def config_for(tag):
    return json.dumps({"architecture": "amd64", "os": "linux",
                       "config": {"Labels": {"bench": tag}},
                       "rootfs": {"type": "layers", "diff_ids": []}},
                      separators=(",", ":")).encode()


def read_auth(a):
    if not a.auth:
        return None
    with open(a.auth) as f:
        return f.read().strip()


# --- memory -----------------------------------------------------------------

class Sampler(memory.Sampler):
    """A phase's memory: VmHWM reset first, then the largest RssAnon."""

    def __init__(self, pid):
        self.reset = reset_hwm(pid)
        super().__init__(pid)

    def finish(self):
        anon, _ = super().finish()
        st = status_file(self.pid)
        return ("hwm_kib=%d hwm_reset=%d anon_peak_kib=%d file_kib=%d"
                % (st["VmHWM"], int(self.reset), anon, st["RssFile"]))


# --- commands ---------------------------------------------------------------

def cmd_login(a):
    import boto3
    import botocore.config
    ecr = boto3.session.Session().client(
        "ecr", endpoint_url=a.endpoint, region_name=a.region,
        aws_access_key_id=a.key, aws_secret_access_key=a.secret,
        config=botocore.config.Config(retries={"max_attempts": 1}))
    for repo in a.repo:
        try:
            ecr.create_repository(repositoryName=repo)
        except ecr.exceptions.RepositoryAlreadyExistsException:
            pass
    for rule in a.rule or ():
        prefix, _, url = rule.partition("=")
        ecr.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix,
                                           upstreamRegistryUrl=url)
    tok = ecr.get_authorization_token()["authorizationData"][0]
    user, _, pw = base64.b64decode(tok["authorizationToken"]).decode() \
        .partition(":")
    if user != "AWS" or not pw:
        sys.exit("registry.py: unexpected authorizationToken")
    with open(a.auth_out, "w") as f:
        f.write("Basic " + tok["authorizationToken"])


def curl_get(url, auth, accept=None, max_time=120):
    """curl url to /dev/null; (status, bytes, seconds)."""
    cmd = ["curl", "-sS", "--max-time", str(max_time), "-o", "/dev/null",
           "-w", "%{http_code} %{size_download} %{time_total}"]
    if auth:
        cmd += ["-H", "Authorization: " + auth]
    if accept:
        cmd += ["-H", "Accept: " + accept]
    out = subprocess.run(cmd + [url], capture_output=True, text=True,
                         timeout=max_time + 30)
    if out.returncode != 0:
        sys.exit("registry.py: curl %s: %s" % (url, out.stderr.strip()))
    code, size, secs = out.stdout.split()
    return int(code), int(size), float(secs)


def cmd_bigblob(a):
    auth = read_auth(a)
    path = os.path.join(a.tmp, "big-%d.bin" % a.size)
    make_file(path, a.size, 1)
    reg = Registry(a.endpoint, auth)
    reg.call("GET", "/v2/", expect=(200,))

    # Push: each run a new blob; the time from POST to PUT's answer.
    runs, patch_secs, commit_secs = [], [], []
    sampler = None
    for run in range(a.pushes):
        digest = restamp(path, run)
        if sampler is None:
            sampler = Sampler(a.pid)
        t0 = time.monotonic()
        loc = reg.start_upload(a.repo)
        loc = reg.patch_file(loc, path, a.size)
        t1 = time.monotonic()
        reg.finish(loc, digest)
        t2 = time.monotonic()
        runs.append(a.size / (t2 - t0))
        patch_secs.append(t1 - t0)
        commit_secs.append(t2 - t1)
    mem = sampler.finish()
    with open(a.results, "a") as f:
        f.write("regblob phase=push server=%s bytes=%d rate=%.0f runs=%s "
                "patch_s=%s commit_s=%s %s\n" % (
                    a.server, a.size, statistics.median(runs),
                    ",".join("%.0f" % r for r in runs),
                    ",".join("%.3f" % s for s in patch_secs),
                    ",".join("%.3f" % s for s in commit_secs), mem))

    # An image naming the last blob, then pulls of the blob.
    reg.put_manifest(a.repo, "big", config_for("big"), digest, a.size)
    if a.pulls == 0:
        return
    url = "%s/v2/%s/blobs/%s" % (a.endpoint, a.repo, digest)
    sampler = Sampler(a.pid)
    runs = []
    for _ in range(a.pulls):
        code, size, secs = curl_get(url, auth)
        if code != 200 or size != a.size:
            sys.exit("registry.py: pull: HTTP %d, %d bytes" % (code, size))
        runs.append(size / secs)
    mem = sampler.finish()
    with open(a.results, "a") as f:
        f.write("regblob phase=pull server=%s bytes=%d rate=%.0f runs=%s "
                "%s\n" % (a.server, a.size, statistics.median(runs),
                          ",".join("%.0f" % r for r in runs), mem))


def curl_timed(url, auth):
    """curl url to /dev/null: (status, bytes, first byte s, total s)."""
    cmd = ["curl", "-sS", "--max-time", "120", "-o", "/dev/null", "-w",
           "%{http_code} %{size_download} %{time_starttransfer} "
           "%{time_total}"]
    if auth:
        cmd += ["-H", "Authorization: " + auth]
    out = subprocess.run(cmd + [url], capture_output=True, text=True,
                         timeout=150)
    if out.returncode != 0:
        sys.exit("registry.py: curl %s: %s" % (url, out.stderr.strip()))
    code, size, first, total = out.stdout.split()
    return int(code), int(size), float(first), float(total)


def cmd_ptc(a):
    auth = read_auth(a)
    ecrd = Registry(a.endpoint, auth)
    up = Registry(a.upstream, None)
    path = os.path.join(a.tmp, "ptc-%d.bin" % a.size)
    make_file(path, a.size, 3)
    direct, first, ttfb, cached, cpu = [], [], [], [], []
    sampler = None
    for run in range(a.runs):
        digest = restamp(path, 100 + run)
        tag = "r%d" % run
        loc = up.patch_file(up.start_upload(a.repo), path, a.size)
        up.finish(loc, digest)
        up.put_manifest(a.repo, tag, config_for(tag), digest, a.size)
        code, size, _, secs = curl_timed(
            "%s/v2/%s/blobs/%s" % (a.upstream, a.repo, digest), None)
        if code != 200 or size != a.size:
            sys.exit("registry.py: direct pull: HTTP %d" % code)
        direct.append(size / secs)
        name = "%s/%s" % (a.prefix, a.repo)
        ecrd.call("GET", "/v2/%s/manifests/%s" % (name, tag),
                  headers={"Accept": ACCEPT})
        url = "%s/v2/%s/blobs/%s" % (a.endpoint, name, digest)
        if sampler is None:
            sampler = Sampler(a.pid)
        cpu0 = cpu_seconds(a.pid)
        code, size, t_first, secs = curl_timed(url, auth)
        cpu.append((cpu_seconds(a.pid) - cpu0) / (size / (1 << 30)))
        if code != 200 or size != a.size:
            sys.exit("registry.py: first pull: HTTP %d, %d bytes"
                     % (code, size))
        first.append(size / secs)
        ttfb.append(t_first)
        code, size, _, secs = curl_timed(url, auth)
        if code != 200 or size != a.size:
            sys.exit("registry.py: cached pull: HTTP %d" % code)
        cached.append(size / secs)
    mem = sampler.finish()
    # An ordinary pull, as cold as the cached one: each run a new blob
    # pushed to ecrd itself, pulled once.
    ordinary = []
    for run in range(a.runs):
        digest = restamp(path, 200 + run)
        loc = ecrd.patch_file(ecrd.start_upload(a.own_repo), path, a.size)
        ecrd.finish(loc, digest)
        code, size, _, secs = curl_timed("%s/v2/%s/blobs/%s" % (
            a.endpoint, a.own_repo, digest), auth)
        if code != 200 or size != a.size:
            sys.exit("registry.py: ordinary pull: HTTP %d" % code)
        ordinary.append(size / secs)
    med = statistics.median
    with open(a.results, "a") as f:
        f.write("ptc server=%s bytes=%d direct=%.0f first=%.0f ratio=%.3f "
                "ttfb_ms=%.1f cpu_s_per_gib=%.2f cached=%.0f ordinary=%.0f "
                "direct_runs=%s first_runs=%s %s\n" % (
                    a.server, a.size, med(direct), med(first),
                    med(first) / med(direct), 1000 * med(ttfb), med(cpu),
                    med(cached),
                    med(ordinary), ",".join("%.0f" % r for r in direct),
                    ",".join("%.0f" % r for r in first), mem))


def cmd_image(a):
    reg = Registry(a.endpoint, read_auth(a))
    path = os.path.join(a.tmp, "layer-%d.bin" % a.size)
    digest = make_file(path, a.size, 2)
    loc = reg.patch_file(reg.start_upload(a.repo), path, a.size)
    reg.finish(loc, digest)
    reg.put_manifest(a.repo, a.tag, config_for(a.tag), digest, a.size)


def cmd_pull(a):
    auth = read_auth(a)
    reg = Registry(a.endpoint, auth)
    _, body = reg.call("GET", "/v2/%s/manifests/%s" % (a.repo, a.tag),
                       headers={"Accept": ACCEPT})
    layer = json.loads(body)["layers"][0]
    murl = "%s/v2/%s/manifests/%s" % (a.endpoint, a.repo, a.tag)
    burl = "%s/v2/%s/blobs/%s" % (a.endpoint, a.repo, layer["digest"])
    cmd = ["curl", "-sS", "--max-time", "120",
           "-w", "%{http_code} %{size_download}\\n",
           "-H", "Accept: " + ACCEPT]
    if auth:
        cmd += ["-H", "Authorization: " + auth]
    cmd += ["-o", "/dev/null", murl, "-o", "/dev/null", burl]
    want = len(body) + layer["size"]
    sampler = Sampler(a.pid)
    rates = []
    for _ in range(a.rounds):
        t0 = time.monotonic()
        procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
                 for _ in range(a.clients)]
        total = 0
        for p in procs:
            try:
                out, err = p.communicate(timeout=150)
            except subprocess.TimeoutExpired:
                for q in procs:
                    q.kill()
                sys.exit("registry.py: a pulling curl took over 150 s")
            got = [line.split() for line in out.splitlines()]
            if (p.returncode != 0 or [g[0] for g in got] != ["200", "200"]
                    or sum(int(g[1]) for g in got) != want):
                sys.exit("registry.py: pull: %r %s" % (out, err.strip()))
            total += want
        rates.append(total / (time.monotonic() - t0))
    mem = sampler.finish()
    with open(a.results, "a") as f:
        f.write("regpull server=%s clients=%d bytes=%d rate=%.0f runs=%s "
                "%s\n" % (a.server, a.clients, want,
                          statistics.median(rates),
                          ",".join("%.0f" % r for r in rates), mem))


def cmd_pool(a):
    auth = read_auth(a)
    host = urllib.parse.urlsplit(a.endpoint).netloc
    lines = ["GET /v2/%s/manifests/%s HTTP/1.1" % (a.repo, a.tag),
             "Host: " + host, "Accept: " + ACCEPT]
    if auth:
        lines.append("Authorization: " + auth)
    req = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    with open(a.out, "wb") as f:
        f.write((b"%d\n" % len(req) + req) * a.count)


def cmd_pushes(a):
    auth = read_auth(a)
    path = os.path.join(a.tmp, "push-%d.bin" % (a.size - STAMP))
    make_file(path, a.size - STAMP, 3)
    shared = hash_file(path)
    run = os.urandom(4).hex()
    tails = [b"%-*s" % (STAMP, ("%s-%d" % (run, i)).encode())
             for i in range(a.clients)]
    regs = [Registry(a.endpoint, auth) for _ in range(a.clients)]
    for reg in regs:
        reg.call("GET", "/v2/", expect=(200,))
    release = threading.Barrier(a.clients + 1)
    ends, failed = [0.0] * a.clients, []

    def push(i):
        h = shared.copy()
        h.update(tails[i])
        release.wait()
        try:
            loc = regs[i].start_upload(a.repo)
            loc = regs[i].patch_file(loc, path, a.size, tails[i])
            regs[i].finish(loc, "sha256:" + h.hexdigest())
        except BaseException as e:      # sys.exit in Registry.call too
            failed.append(e)
        ends[i] = time.monotonic()

    threads = [threading.Thread(target=push, args=(i,))
               for i in range(a.clients)]
    for t in threads:
        t.start()
    cpu0 = cpu_seconds(a.pid)
    release.wait()
    t0 = time.monotonic()
    for t in threads:
        t.join()
    t1 = max(ends)
    cpu = cpu_seconds(a.pid) - cpu0
    if failed:
        sys.exit("registry.py: pushes: %s" % failed[0])
    if os.environ.get("BENCH_WINDOW"):
        with open(os.environ["BENCH_WINDOW"], "w") as f:
            f.write("%.6f %.6f\n" % (t0, t1))
    total = a.size * a.clients
    with open(a.results, "a") as f:
        f.write("regpush server=%s clients=%d bytes=%d secs=%.3f rate=%.0f "
                "cpu_s=%.2f\n" % (a.server, a.clients, total, t1 - t0,
                                   total / (t1 - t0), cpu))


def push_tiny(job):
    endpoint, auth, repo, first, stop, nonce = job
    reg = Registry(endpoint, auth)
    for i in range(first, stop):
        reg.push_small(repo, b"ecrd-bench-gc %s %d\n" % (nonce, i))
    return stop - first


def cmd_blobs(a):
    auth = read_auth(a)
    nonce = os.urandom(8).hex().encode()
    step = -(-a.count // a.clients)
    jobs = [(a.endpoint, auth, a.repo, i, min(i + step, a.count), nonce)
            for i in range(0, a.count, step)]
    t0 = time.monotonic()
    with multiprocessing.Pool(len(jobs)) as pool:
        n = sum(pool.map(push_tiny, jobs))
    print("registry.py: %d unreferenced blobs pushed in %.1f s"
          % (n, time.monotonic() - t0), file=sys.stderr)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("login", "bigblob", "image", "pull", "pool", "pushes",
                 "blobs", "ptc"):
        s = sub.add_parser(name)
        s.add_argument("--endpoint", required=True)
        if name == "login":
            s.add_argument("--repo", action="append", required=True)
            s.add_argument("--auth-out", required=True)
            s.add_argument("--rule", action="append",
                           help="PREFIX=URL: a pull-through cache rule")
            add_signing_args(s)
            continue
        s.add_argument("--repo", required=True)
        s.add_argument("--auth", help="file holding the Authorization value")
        if name in ("image", "pull", "pool"):
            s.add_argument("--tag", default="latest")
        if name == "ptc":
            s.add_argument("--upstream", required=True)
            s.add_argument("--prefix", required=True)
            s.add_argument("--own-repo", required=True)
            s.add_argument("--size", type=int, default=256 << 20)
            s.add_argument("--runs", type=int, default=3)
        if name in ("bigblob", "pull", "pushes", "ptc"):
            s.add_argument("--pid", type=int, required=True)
            s.add_argument("--server", required=True)
            s.add_argument("--results", required=True)
        if name in ("bigblob", "image", "pushes", "ptc"):
            s.add_argument("--tmp", required=True)
        if name == "pushes":
            s.add_argument("--clients", type=int, required=True)
            s.add_argument("--size", type=int, default=256 << 20)
        if name == "blobs":
            s.add_argument("--count", type=int, required=True)
            s.add_argument("--clients", type=int, default=8)
        if name == "bigblob":
            s.add_argument("--size", type=int, default=1 << 30)
            s.add_argument("--pushes", type=int, default=3)
            s.add_argument("--pulls", type=int, default=3)
        if name == "image":
            s.add_argument("--size", type=int, default=100 << 20)
        if name == "pull":
            s.add_argument("--clients", type=int, default=16)
            s.add_argument("--rounds", type=int, default=3)
        if name == "pool":
            s.add_argument("--out", required=True)
            s.add_argument("--count", type=int, default=64,
                           help="copies (each wrk thread needs one)")
    a = p.parse_args()
    {"login": cmd_login, "bigblob": cmd_bigblob, "image": cmd_image,
     "pull": cmd_pull, "pool": cmd_pool, "pushes": cmd_pushes,
     "blobs": cmd_blobs, "ptc": cmd_ptc}[a.cmd](a)


if __name__ == "__main__":
    main()
