#!/usr/bin/env python3
"""kill -9 durability trials for ecrd (make durability).

Starts a durable ecrd (no --ephemeral) on a fresh --data-dir and, in each
trial, drives concurrent writes from several workers: CreateRepository,
layer uploads through the layer API (InitiateLayerUpload, UploadLayerPart,
CompleteLayerUpload) and through the registry's blob pushes (POST and PUT
/v2/NAME/blobs/uploads/), PutImage with and without tags, tag moves
(PutImage of a known manifest under a tag another image held) and
BatchDeleteImage. Beside them a collector fills a repository of its own
with small blobs and two tagged images of them, deletes it (force) and
runs POST /_ecrd/gc with a grace of ten years, which collects only those
blobs (issue 12: the GC's slices and its file work off the loop; the
delete's records reaped in slices after its answer). Every write the
server acknowledged is recorded. At a random moment the server gets
SIGKILL; it restarts on the same directory, and then:

  - every acknowledged write must be there: repositories, blobs (as
    BatchCheckLayerAvailability sees them), images with their exact
    manifest bytes, tags pointing where the last acknowledged write put
    them, and deleted images must stay deleted;
  - every repository the collector deleted (acknowledged) must be gone,
    and one made again under its name must be empty: none of the old
    blobs available in it and no image (the old records, reaped or not,
    never show through);
  - the write each worker had in flight at the kill may or may not have
    happened, but wholly or not at all;
  - every file under DATA/blobs/ must hash to the digest it is named by,
    and every blob the server says is available must have its file.

The next trial continues on the restarted server, so the store grows from
trial to trial. Figures go to stdout; the exit status is 1 if anything was
lost or corrupt. Each worker owns its repositories, so its writes apply in
the order it made them.

Usage: ECRD_BIN=build-release/server/ecrd test/durability/kill9.py
           [--trials 30] [--workers 4] [--max-seconds 1200] [--seed N]
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "e2e"))

import botocore.exceptions  # noqa: E402

import harness  # noqa: E402
from harness import (Server, basic_auth, descriptor, ecr_client,  # noqa: E402
                     manifest_json, registry_password, registry_request,
                     sha256_digest, upload_layer)

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
TAGS = ("latest", "stable", "v1", "v2")
REPOS_PER_WORKER = 3
BATCH = 100                 # imageIds per BatchGetImage / layer check
GC_BURST = 10               # blobs per collector round
GC_GRACE_S = 10 * 365 * 86400   # no worker's layer or upload is this old


class Model:
    """What one worker's acknowledged writes say its repositories hold."""

    def __init__(self):
        self.repos = set()
        self.blobs = {}     # repo -> set of digests
        self.images = {}    # repo -> {digest: manifest bytes}
        self.tags = {}      # repo -> {tag: digest}
        self.deleted = {}   # repo -> set of digests deleted, not re-pushed

    def copy(self):
        m = Model()
        m.repos = set(self.repos)
        m.blobs = {r: set(v) for r, v in self.blobs.items()}
        m.images = {r: dict(v) for r, v in self.images.items()}
        m.tags = {r: dict(v) for r, v in self.tags.items()}
        m.deleted = {r: set(v) for r, v in self.deleted.items()}
        return m

    def apply(self, op):
        kind, repo = op["kind"], op["repo"]
        if kind == "create":
            self.repos.add(repo)
            self.blobs.setdefault(repo, set())
            self.images.setdefault(repo, {})
            self.tags.setdefault(repo, {})
            self.deleted.setdefault(repo, set())
        elif kind == "blob":
            self.blobs[repo].add(op["digest"])
        elif kind == "put":
            self.images[repo][op["digest"]] = op["manifest"]
            self.deleted[repo].discard(op["digest"])
            if op["tag"] is not None:
                self.tags[repo][op["tag"]] = op["digest"]
        elif kind == "delete":
            self.images[repo].pop(op["digest"], None)
            self.deleted[repo].add(op["digest"])
            for tag in [t for t, d in self.tags[repo].items()
                        if d == op["digest"]]:
                del self.tags[repo][tag]

    def checks(self):
        """(key, expected) for everything this model says."""
        out = {}
        for r in self.repos:
            out[("repo", r)] = True
            for d in self.blobs[r]:
                out[("blob", r, d)] = True
            for d, m in self.images[r].items():
                out[("image", r, d)] = m
            for d in self.deleted[r]:
                out[("image", r, d)] = None
            for t, d in self.tags[r].items():
                out[("tag", r, t)] = d
        return out


class Worker(threading.Thread):
    """Sequential writes to its own repositories until told to stop."""

    def __init__(self, wid, trial, server, model, rng, stop, killing):
        super().__init__(daemon=True)
        self.wid, self.trial, self.server = wid, trial, server
        self.model, self.rng, self.stop = model, rng, stop
        self.killing = killing
        self.error = None
        self.refusals = []
        self.inflight = None
        self.acked = 0
        self.refused = 0
        self.client = ecr_client(server.endpoint)
        self.auth = None
        self.seq = 0

    def run(self):
        try:
            self.auth = basic_auth("AWS", registry_password(self.client))
            while not self.stop.is_set():
                op = self.next_op()
                self.inflight = op
                try:
                    self.execute(op)
                except botocore.exceptions.ClientError as e:
                    # An AWS error answer: the write did not happen.
                    if self.killing.is_set():
                        raise
                    self.inflight = None
                    self.refused += 1
                    self.refusals.append(e.response["Error"]["Code"])
                    continue
                self.inflight = None
                self.model.apply(op)
                self.acked += 1
        except Exception as e:
            # Expected once the server is killed; before, it is a finding
            # (and the op stays in flight: it may or may not have happened).
            if not self.killing.is_set():
                self.error = repr(e)

    def name(self, what):
        self.seq += 1
        return "%s-w%d-t%d-%d" % (what, self.wid, self.trial, self.seq)

    def next_op(self):
        m, rng = self.model, self.rng
        repos = sorted(m.repos)
        if len(repos) < REPOS_PER_WORKER or rng.random() < 0.02:
            return {"kind": "create", "repo": "dur/w%d/%s"
                    % (self.wid, self.name("r"))}
        repo = rng.choice(repos)
        images = sorted(m.images[repo])
        roll = rng.random()
        if images and roll < 0.15:
            return {"kind": "delete", "repo": repo,
                    "digest": rng.choice(images)}
        if images and roll < 0.35:
            digest = rng.choice(images)
            return {"kind": "put", "repo": repo, "digest": digest,
                    "manifest": m.images[repo][digest],
                    "tag": rng.choice(TAGS), "blobs": {}}
        if roll < 0.45:
            data = rng.randbytes(rng.randrange(1, 96 * 1024))
            return {"kind": "blob", "repo": repo,
                    "digest": sha256_digest(data), "data": data,
                    "via": rng.choice(("api", "registry"))}
        return self.new_image(repo)

    def new_image(self, repo):
        rng = self.rng
        blobs = {}
        layers = []
        for _ in range(rng.randrange(1, 4)):
            data = rng.randbytes(rng.randrange(1, 128 * 1024))
            blobs[sha256_digest(data)] = data
            layers.append(descriptor(DOCKER_LAYER, data))
        config = json.dumps({"architecture": "amd64", "os": "linux",
                             "config": {"Labels": {"n": self.name("i")}},
                             "rootfs": {"type": "layers", "diff_ids": [
                                 l["digest"] for l in layers]}}).encode()
        blobs[sha256_digest(config)] = config
        manifest = manifest_json({
            "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
            "config": descriptor(DOCKER_CONFIG, config), "layers": layers})
        tag = rng.choice(TAGS + (None,))
        return {"kind": "put", "repo": repo, "manifest": manifest,
                "digest": sha256_digest(manifest), "tag": tag,
                "blobs": blobs}

    def execute(self, op):
        kind, repo = op["kind"], op["repo"]
        if kind == "create":
            self.client.create_repository(repositoryName=repo)
        elif kind == "blob":
            self.push_blob(repo, op["data"], op["via"])
        elif kind == "put":
            # Blobs first, alternating the two ways in; they are writes
            # the server acknowledged too, but checked through the image.
            for i, data in enumerate(op["blobs"].values()):
                self.push_blob(repo, data, ("api", "registry")[i % 2])
            kw = {"repositoryName": repo,
                  "imageManifest": op["manifest"].decode()}
            if op["tag"] is not None:
                kw["imageTag"] = op["tag"]
            try:
                self.client.put_image(**kw)
            except botocore.exceptions.ClientError as e:
                # Same manifest and tag again: nothing to write.
                if e.response["Error"]["Code"] != \
                        "ImageAlreadyExistsException":
                    raise
        elif kind == "delete":
            r = self.client.batch_delete_image(
                repositoryName=repo,
                imageIds=[{"imageDigest": op["digest"]}])
            if r.get("failures"):
                raise RuntimeError("BatchDeleteImage failed: %r"
                                   % r["failures"])

    def push_blob(self, repo, data, via):
        if via == "api":
            try:
                upload_layer(self.client, repo, data)
            except botocore.exceptions.ClientError as e:
                if e.response["Error"]["Code"] != \
                        "LayerAlreadyExistsException":
                    raise
            return
        registry_push(self.server, self.auth, repo, data)


class Collector(threading.Thread):
    """Rounds of: fill a repository of its own, delete it, collect."""

    def __init__(self, trial, server, rng, stop, killing):
        super().__init__(daemon=True)
        self.trial, self.server, self.rng = trial, server, rng
        self.stop, self.killing = stop, killing
        self.error = None
        self.runs = 0
        self.in_gc = False      # a POST /_ecrd/gc unanswered
        self.deleted = []       # (repo, blob digests): deletes acknowledged
        self.client = ecr_client(server.endpoint)

    def run(self):
        try:
            auth = basic_auth("AWS", registry_password(self.client))
            while not self.stop.is_set():
                self.round(auth, "dur/gc/t%d-%d" % (self.trial, self.runs))
        except Exception as e:
            if not self.killing.is_set():
                self.error = repr(e)

    def round(self, auth, repo):
        s = self.server
        self.client.create_repository(repositoryName=repo)
        digests = []
        for _ in range(GC_BURST):
            if self.stop.is_set():
                return
            data = self.rng.randbytes(self.rng.randrange(1, 4096))
            registry_push(s, auth, repo, data)
            digests.append(sha256_digest(data))
        for tag in ("a", "b"):
            self.put_image(s, auth, repo, tag)
        self.client.delete_repository(repositoryName=repo, force=True)
        self.deleted.append((repo, digests))
        self.in_gc = True
        r = harness.http_request(s.host, s.port, "POST",
                                 "/_ecrd/gc?grace_seconds=%d" % GC_GRACE_S,
                                 timeout=600)
        self.in_gc = False
        if r.status != 200:
            raise RuntimeError("gc: %r" % r)
        self.runs += 1

    def put_image(self, s, auth, repo, tag):
        """An image of a new config and a new layer, under tag."""
        layer = self.rng.randbytes(self.rng.randrange(1, 4096))
        config = json.dumps({"architecture": "amd64", "os": "linux",
                             "rootfs": {"type": "layers", "diff_ids": [
                                 sha256_digest(layer)]}}).encode()
        for data in (layer, config):
            registry_push(s, auth, repo, data)
        manifest = manifest_json({
            "schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
            "config": descriptor(DOCKER_CONFIG, config),
            "layers": [descriptor(DOCKER_LAYER, layer)]})
        self.client.put_image(repositoryName=repo, imageTag=tag,
                              imageManifest=manifest.decode())


def check_deleted(client, deleted, figures):
    """Deleted repositories stay gone; one made again is empty."""
    for repo, digests in deleted:
        figures["deleted_checked"] += 1
        try:
            client.describe_repositories(repositoryNames=[repo])
            found = True
        except client.exceptions.RepositoryNotFoundException:
            found = False
        if not found:
            client.create_repository(repositoryName=repo)
        images = client.list_images(repositoryName=repo)["imageIds"]
        seen = []
        if digests:
            r = client.batch_check_layer_availability(
                repositoryName=repo, layerDigests=digests)
            seen = [x["layerDigest"] for x in r["layers"]
                    if x["layerAvailability"] == "AVAILABLE"]
        if found or images or seen:
            figures["resurrected"] += 1
            print("  RESURRECTED %s: listed %s, %d images, %d blobs"
                  % (repo, found, len(images), len(seen)))
        client.delete_repository(repositoryName=repo, force=True)


def registry_push(s, auth, repo, data):
    """POST, then PUT ?digest= with the whole blob."""
    hdr = {"Authorization": auth}
    r = registry_request(s.host, s.port, "POST",
                         "/v2/%s/blobs/uploads/" % repo, headers=hdr)
    if r.status != 202:
        raise RuntimeError("blob upload POST: %r" % r)
    loc = r.header("Location")
    loc = loc.split("://", 1)[-1].split("/", 1)[-1]
    sep = "&" if "?" in loc else "?"
    r = registry_request(s.host, s.port, "PUT", "/%s%sdigest=%s"
                         % (loc, sep, sha256_digest(data)), body=data,
                         headers=dict(hdr, **{
                             "Content-Type": "application/octet-stream"}))
    if r.status != 201:
        raise RuntimeError("blob upload PUT: %r" % r)


def check_available_files(data_dir, got, figures):
    """A blob the server says is available must have its file."""
    for key, have in got.items():
        if key[0] != "blob" or have is not True:
            continue
        algo, hexd = key[2].split(":", 1)
        figures["available_files"] += 1
        if not os.path.exists(os.path.join(data_dir, "blobs", algo, hexd)):
            figures["missing"] += 1
            print("  MISSING blob file of %s in %s" % (key[2], key[1]))


def observe(client, checks):
    """The server's answer for each check key: what it holds."""
    got = {}
    repos = sorted({k[1] for k in checks})
    listed = set()
    token = None
    while True:
        kw = {"maxResults": 1000}
        if token:
            kw["nextToken"] = token
        r = client.describe_repositories(**kw)
        listed.update(x["repositoryName"] for x in r["repositories"])
        token = r.get("nextToken")
        if not token:
            break
    for repo in repos:
        got[("repo", repo)] = repo in listed or None
        if repo not in listed:
            continue
        blobs = [k[2] for k in checks if k[0] == "blob" and k[1] == repo]
        for i in range(0, len(blobs), BATCH):
            r = client.batch_check_layer_availability(
                repositoryName=repo, layerDigests=blobs[i:i + BATCH])
            for layer in r["layers"]:
                got[("blob", repo, layer["layerDigest"])] = \
                    layer["layerAvailability"] == "AVAILABLE" or None
        digests = [k[2] for k in checks if k[0] == "image" and k[1] == repo]
        for i in range(0, len(digests), BATCH):
            r = client.batch_get_image(
                repositoryName=repo,
                imageIds=[{"imageDigest": d} for d in digests[i:i + BATCH]],
                acceptedMediaTypes=[DOCKER_MANIFEST])
            for img in r["images"]:
                got[("image", repo, img["imageId"]["imageDigest"])] = \
                    img["imageManifest"].encode()
        tags = {}
        for page in client.get_paginator("describe_images").paginate(
                repositoryName=repo):
            for d in page["imageDetails"]:
                for t in d.get("imageTags", []):
                    tags[t] = d["imageDigest"]
        for k in checks:
            if k[0] == "tag" and k[1] == repo:
                got[k] = tags.get(k[2])
    return got


def verify(model, inflight, got, figures):
    """Compare one worker's model (and its in-flight op) with got.

    A check both models agree on must hold; one the in-flight op changes
    may show either value, but that op's checks must all show one side.
    Returns the model to carry on with: the in-flight op applied if the
    server shows it, not applied if it does not. A value of None means
    absent (or deleted), as in got.
    """
    before = model.checks()
    after_model = model.copy()
    if inflight is not None:
        after_model.apply(inflight)
    after = after_model.checks()
    moved = []
    for key in set(before) | set(after):
        want, have = before.get(key), got.get(key)
        if want != after.get(key):
            moved.append(key)
            if have not in (want, after.get(key)):
                figures["lost"] += 1
                print("  LOST %r (in flight): want %r or %r, have %r" % (
                    key, short(want), short(after.get(key)), short(have)))
            continue
        figures["verified"] += 1
        if have != want:
            figures["lost"] += 1
            print("  LOST %r: want %r, have %r" % (key, short(want),
                                                  short(have)))
    if inflight is None:
        return model
    if all(got.get(k) == after.get(k) for k in moved):
        figures["inflight_applied"] += 1
        return after_model
    if not all(got.get(k) == before.get(k) for k in moved):
        figures["torn"] += 1
        print("  TORN: in-flight %s on %s only partly there"
              % (inflight["kind"], inflight["repo"]))
    return model


def short(v):
    if isinstance(v, bytes):
        return "<manifest %s>" % sha256_digest(v)[:19]
    return v


def check_blob_files(data_dir, figures):
    root = os.path.join(data_dir, "blobs")
    for algo in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        for name in os.listdir(os.path.join(root, algo)):
            path = os.path.join(root, algo, name)
            if algo != "sha256" or len(name) != 64:
                figures["other_files"] += 1
                continue
            h = hashlib.sha256()
            with open(path, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            figures["blob_files"] += 1
            if h.hexdigest() != name and path not in figures["corrupt"]:
                figures["corrupt"].add(path)
                print("  CORRUPT blob file %s" % path)


def start(data_dir, figures, is_restart=True):
    """ecrd on data_dir, ready to serve; a restart's time is a figure."""
    server = Server(data_dir=data_dir)
    t0 = time.monotonic()
    server.start()
    if is_restart:
        figures["restart_s"].append(time.monotonic() - t0)
    return server


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=30)
    ap.add_argument("--workers", type=int, default=4)
    ap.add_argument("--min-run", type=float, default=0.5,
                    help="shortest time before the kill, seconds")
    ap.add_argument("--max-run", type=float, default=4.0,
                    help="longest time before the kill, seconds")
    ap.add_argument("--max-seconds", type=float, default=1200,
                    help="start no trial after this many seconds")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", action="store_true",
                    help="keep the data directory")
    args = ap.parse_args()
    seed = args.seed if args.seed is not None else random.SystemRandom(
        ).randrange(1 << 32)
    rng = random.Random(seed)
    if not harness.have_binary():
        sys.exit("kill9: no ecrd binary at %s (set ECRD_BIN)"
                 % harness.ecrd_bin())
    data_dir = tempfile.mkdtemp(prefix="ecrd-kill9-")
    figures = {"verified": 0, "lost": 0, "torn": 0, "corrupt": set(),
               "acked": 0, "refused": 0, "inflight": 0,
               "inflight_applied": 0, "blob_files": 0, "other_files": 0,
               "restart_s": [], "trials": 0, "errors": 0,
               "refusals": {}, "available_files": 0, "missing": 0,
               "gc_runs": 0, "gc_killed": 0, "deleted_checked": 0,
               "resurrected": 0}
    models = [Model() for _ in range(args.workers)]
    began = time.monotonic()
    print("kill9: seed %d, data dir %s, binary %s" % (
        seed, data_dir, harness.ecrd_bin()))
    server = start(data_dir, figures, is_restart=False)
    try:
        for trial in range(1, args.trials + 1):
            if time.monotonic() - began > args.max_seconds:
                print("kill9: time budget spent after %d trials"
                      % (trial - 1))
                break
            stop, killing = threading.Event(), threading.Event()
            workers = [Worker(w, trial, server, models[w],
                              random.Random(rng.getrandbits(64)), stop,
                              killing)
                       for w in range(args.workers)]
            collector = Collector(trial, server,
                                  random.Random(rng.getrandbits(64)), stop,
                                  killing)
            for w in workers + [collector]:
                w.start()
            run = rng.uniform(args.min_run, args.max_run)
            stop.wait(run)
            killing.set()
            server.kill()           # SIGKILL by PID, then reaped
            figures["gc_killed"] += collector.in_gc
            stop.set()
            for w in workers + [collector]:
                w.join(timeout=60)
            server.cleanup()
            server = start(data_dir, figures)
            client = ecr_client(server.endpoint)
            lost0 = figures["lost"]
            figures["gc_runs"] += collector.runs
            if collector.error is not None:
                figures["errors"] += 1
                print("  ERROR before the kill (collector): %s"
                      % collector.error)
            check_deleted(client, collector.deleted, figures)
            for w in workers:
                figures["acked"] += w.acked
                figures["refused"] += w.refused
                if w.error is not None:
                    figures["errors"] += 1
                    print("  ERROR before the kill (worker %d): %s"
                          % (w.wid, w.error))
                for code in w.refusals:
                    figures["refusals"][code] = \
                        figures["refusals"].get(code, 0) + 1
                if w.inflight is not None:
                    figures["inflight"] += 1
                checks = dict(models[w.wid].checks())
                if w.inflight is not None:
                    after = models[w.wid].copy()
                    after.apply(w.inflight)
                    checks.update(after.checks())
                got = observe(client, checks)
                models[w.wid] = verify(models[w.wid], w.inflight, got,
                                       figures)
                check_available_files(data_dir, got, figures)
            check_blob_files(data_dir, figures)
            figures["trials"] += 1
            print("kill9: trial %d: killed after %.2f s, %d writes "
                  "acknowledged, restart %.3f s, %s" % (
                      trial, run, sum(w.acked for w in workers),
                      figures["restart_s"][-1],
                      "ok" if figures["lost"] == lost0 else "LOST WRITES"))
        server.stop()
    finally:
        server.cleanup()
        if args.keep:
            print("kill9: data kept in %s" % data_dir)
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    rs = sorted(figures["restart_s"]) or [0.0]
    print("kill9: %d trials in %.0f s: %d acknowledged writes, %d checks "
          "verified, %d lost, %d torn in-flight writes (%d in flight at a "
          "kill, %d of them applied), %d blob file checks, %d corrupt "
          "files, %d available blobs checked for a file, %d missing; "
          "%d GC runs completed, %d killed under way; %d deleted "
          "repositories checked, %d resurrected; "
          "restart median %.3f s, max %.3f s" % (
              figures["trials"], time.monotonic() - began, figures["acked"],
              figures["verified"], figures["lost"], figures["torn"],
              figures["inflight"], figures["inflight_applied"],
              figures["blob_files"], len(figures["corrupt"]),
              figures["available_files"], figures["missing"],
              figures["gc_runs"], figures["gc_killed"],
              figures["deleted_checked"], figures["resurrected"],
              rs[len(rs) // 2],
              rs[-1]))
    print("kill9: %d writes refused with an AWS error %r, %d workers failed "
          "before a kill" % (figures["refused"], figures["refusals"],
                             figures["errors"]))
    bad = figures["lost"] or figures["torn"] or figures["corrupt"] or \
        figures["errors"] or figures["missing"] or figures["resurrected"]
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
