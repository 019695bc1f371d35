"""Garbage collection in slices (issue 12): POST /_ecrd/gc of many blobs
answers with its counts once its run is done, removes their files in the
worker pool while other requests are answered, and never removes the file
of a blob a record names, even one pushed again while the run is under way;
a server stopped mid-collection exits cleanly and the next run finishes."""

import http.client
import os
import threading
import time
import unittest
import urllib.parse

import harness
from harness import (basic_auth, ecr_client, manifest_json, registry_password,
                     seeded_bytes, sha256_digest, unique_name)

N_GARBAGE = 600             # more than two of the GC's slices (250)
GC_DEADLINE_S = 300         # bounds every wait on a collection
GRACE_S = 600               # less than the hour the clock moves on
MEDIA_MANIFEST = harness.MEDIA_DOCKER_MANIFEST


class Registry:
    """One keep-alive connection to the server's /v2/ API."""

    def __init__(self, server, auth):
        self.auth = auth
        self.conn = http.client.HTTPConnection(server.host, server.port,
                                               timeout=harness.HTTP_TIMEOUT_S)

    def call(self, method, path, body=b"", headers=None, expect=200):
        h = {"Authorization": self.auth, "Content-Length": str(len(body))}
        h.update(headers or {})
        self.conn.request(method, path, body=body, headers=h)
        r = self.conn.getresponse()
        data = r.read()
        if r.status != expect:
            raise AssertionError("%s %s: %d %r" % (method, path, r.status,
                                                   data[:300]))
        return r, data

    def push(self, repo, data):
        """POST, then PUT ?digest= with the whole blob."""
        digest = sha256_digest(data)
        r, _ = self.call("POST", "/v2/%s/blobs/uploads/" % repo,
                         expect=202)
        loc = urllib.parse.urlsplit(r.getheader("Location"))
        sep = "&" if loc.query else "?"
        self.call("PUT", loc.path + ("?" + loc.query if loc.query else "") +
                  sep + "digest=" + urllib.parse.quote(digest, safe=""),
                  body=data, headers={
                      "Content-Type": "application/octet-stream"},
                  expect=201)
        return digest

    def pull(self, repo, digest):
        return self.call("GET", "/v2/%s/blobs/%s" % (repo, digest))[1]

    def close(self):
        self.conn.close()


def blob_file(data_dir, digest):
    algo, hexd = digest.split(":")
    return os.path.join(data_dir, "blobs", algo, hexd)


class GcTest(harness.OwnServersTestCase):
    tmp_prefix = "e2e-gc-"

    def setUp(self):
        super().setUp()
        self.data_dir = os.path.join(self.tmp, "data")

    def serve(self):
        server = self.start(data_dir=self.data_dir)
        client = ecr_client(server.endpoint)
        reg = Registry(server, basic_auth("AWS", registry_password(client)))
        self.addCleanup(reg.close)
        return server, client, reg

    def push_garbage(self, client, reg, seed):
        """N_GARBAGE blobs in a repository of their own, named by no
        image; their digests."""
        repo = unique_name("gc-garbage")
        client.create_repository(repositoryName=repo)
        return [reg.push(repo, seeded_bytes("%s-%d" % (seed, i), 64))
                for i in range(N_GARBAGE)]

    def push_image(self, client, reg):
        """An image whose config and layer the GC must keep."""
        repo = unique_name("gc-keep")
        client.create_repository(repositoryName=repo)
        config = b'{"architecture":"amd64","os":"linux"}'
        layer = seeded_bytes("gc-kept-layer", 1000)
        manifest = manifest_json({
            "schemaVersion": 2, "mediaType": MEDIA_MANIFEST,
            "config": harness.descriptor(harness.MEDIA_DOCKER_CONFIG,
                                         config),
            "layers": [harness.descriptor(harness.MEDIA_DOCKER_LAYER,
                                          layer)]})
        kept = {reg.push(repo, config): config, reg.push(repo, layer): layer}
        reg.call("PUT", "/v2/%s/manifests/v1" % repo, body=manifest,
                 headers={"Content-Type": MEDIA_MANIFEST}, expect=201)
        return repo, kept

    def collect_in_background(self, server, grace_s=0):
        """POST /_ecrd/gc?grace_seconds=grace_s on a thread of its own."""
        out = {}

        def run():
            try:
                out["resp"] = harness.http_request(
                    server.host, server.port, "POST",
                    "/_ecrd/gc?grace_seconds=%d" % grace_s,
                    timeout=GC_DEADLINE_S)
            except OSError as e:    # the stop test's server went away
                out["error"] = e
        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t, out

    def test_gc_of_many_blobs_counts_them_while_requests_are_answered(self):
        server, client, reg = self.serve()
        garbage = self.push_garbage(client, reg, "count")
        keep_repo, kept = self.push_image(client, reg)
        again = seeded_bytes("count-%d" % (N_GARBAGE - 1), 64)
        # The garbage is an hour old, older than the grace; what is pushed
        # from now on is younger, whenever the run starts.
        r = harness.http_request(server.host, server.port, "POST",
                                 "/_ecrd/clock?advance_seconds=3600")
        self.assertEqual(r.status, 200, r)
        t, out = self.collect_in_background(server, GRACE_S)
        # A garbage blob pushed again, into another repository, while the
        # run may be removing it: its file must survive either way.
        self.assertEqual(reg.push(keep_repo, again), garbage[-1])
        # Requests are answered while it runs (how fast is for bench/).
        deadline = time.monotonic() + GC_DEADLINE_S
        while True:
            r = client.describe_repositories(repositoryNames=[keep_repo])
            self.assertEqual(len(r["repositories"]), 1)
            if not t.is_alive() or time.monotonic() > deadline:
                break
        t.join(GC_DEADLINE_S)
        self.assertFalse(t.is_alive(), "the GC did not answer")
        r = out["resp"]
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(set(body), {"blobsRemoved", "uploadsRemoved"})
        # The re-pushed blob counts if its record went before the push.
        self.assertIn(body["blobsRemoved"], (N_GARBAGE - 1, N_GARBAGE), body)
        self.assertEqual(body["uploadsRemoved"], 0, body)
        for d in garbage[:-1]:
            self.assertFalse(os.path.exists(blob_file(self.data_dir, d)), d)
        self.assertEqual(reg.pull(keep_repo, garbage[-1]), again)
        for d, data in kept.items():
            self.assertEqual(reg.pull(keep_repo, d), data)
        # The blob pushed again is named by no image: a run with no grace
        # takes it, and only it.
        r = harness.http_request(server.host, server.port, "POST",
                                 "/_ecrd/gc?grace_seconds=0")
        self.assertEqual(r.json(), {"blobsRemoved": 1, "uploadsRemoved": 0})
        self.assertFalse(os.path.exists(blob_file(self.data_dir,
                                                  garbage[-1])))
        for d, data in kept.items():
            self.assertEqual(reg.pull(keep_repo, d), data)

    def test_stop_mid_collection_exits_cleanly_and_the_next_run_ends_it(self):
        server, client, reg = self.serve()
        garbage = self.push_garbage(client, reg, "stop")
        t, _ = self.collect_in_background(server)
        server.stop()          # SIGTERM; checks the exit and stderr
        t.join(GC_DEADLINE_S)
        reg.close()
        server, client, reg = self.serve()
        r = harness.http_request(server.host, server.port, "POST",
                                 "/_ecrd/gc?grace_seconds=0",
                                 timeout=GC_DEADLINE_S)
        self.assertEqual(r.status, 200, r)
        self.assertLessEqual(r.json()["blobsRemoved"], N_GARBAGE)
        for d in garbage:
            self.assertFalse(os.path.exists(blob_file(self.data_dir, d)), d)


if __name__ == "__main__":
    unittest.main()
