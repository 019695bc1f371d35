"""Uploads whose file work is in flight (issue 12): a finish's hash, sync
and link run in the worker pool before the group commit, holding the
upload's lease. Meanwhile the registry's upload DELETE is refused and a GC
leaves the upload, record and file, alone; once the work goes on, the
finish records the blob. --test-hold-file-work holds the work in the pool
until the test lets it go, so the order is fixed, not raced."""

import os
import threading
import unittest
import urllib.parse

import harness
from harness import (basic_auth, ecr_client, registry_password, seeded_bytes,
                     sha256_digest, unique_name)
from test_gc import Registry, blob_file

DEADLINE_S = 60             # bounds every wait on held work


class LeaseTest(harness.OwnServersTestCase):
    tmp_prefix = "e2e-leases-"

    def setUp(self):
        super().setUp()
        self.data_dir = os.path.join(self.tmp, "data")
        self.hold = os.path.join(self.tmp, "hold")
        self.server = self.start("--test-hold-file-work", self.hold,
                                 data_dir=self.data_dir)
        self.client = ecr_client(self.server.endpoint)

    def upload_file(self, upload_id):
        return os.path.join(self.data_dir, "uploads", upload_id)

    def held(self):
        """Hold the file work of the writes sent from now on."""
        open(self.hold, "w").close()
        self.addCleanup(lambda: os.path.exists(self.hold) and
                        os.unlink(self.hold))

    def wait_held(self, t):
        harness.poll(lambda: os.path.exists(self.hold + ".held"),
                     DEADLINE_S, "the file work to be held",
                     self.server.proc)
        self.assertTrue(t.is_alive())

    def release(self, t):
        os.unlink(self.hold)
        t.join(DEADLINE_S)
        self.assertFalse(t.is_alive(), "the held call did not end")

    def in_background(self, fn):
        out = {}

        def run():
            try:
                out["value"] = fn()
            except Exception as e:     # reported by the test's assertions
                out["error"] = e
        t = threading.Thread(target=run, daemon=True)
        t.start()
        return t, out

    def gc(self):
        r = harness.http_request(self.server.host, self.server.port, "POST",
                                 "/_ecrd/gc?grace_seconds=0")
        self.assertEqual(r.status, 200, r)
        return r.json()

    def test_registry_finish_in_flight_keeps_its_upload_from_delete_and_gc(
            self):
        repo = unique_name("lease-reg")
        self.client.create_repository(repositoryName=repo)
        auth = basic_auth("AWS", registry_password(self.client))
        reg, fin = Registry(self.server, auth), Registry(self.server, auth)
        self.addCleanup(reg.close)
        self.addCleanup(fin.close)
        data = seeded_bytes("lease-reg", 300000)
        digest = sha256_digest(data)
        r, _ = reg.call("POST", "/v2/%s/blobs/uploads/" % repo, expect=202)
        path = urllib.parse.urlsplit(r.getheader("Location")).path
        upload_id = path.rsplit("/", 1)[1]
        reg.call("PATCH", path, body=data, headers={
            "Content-Type": "application/octet-stream"}, expect=202)
        self.held()
        t, out = self.in_background(lambda: fin.call(
            "PUT", path + "?digest=" + urllib.parse.quote(digest, safe=""),
            expect=201))
        self.wait_held(t)
        # The DELETE must not take the file from under the finish.
        _, body = reg.call("DELETE", path, expect=400)
        self.assertIn(b"BLOB_UPLOAD_INVALID", body)
        self.assertIn(b"still being written or finished", body)
        self.assertTrue(os.path.exists(self.upload_file(upload_id)))
        # Nor may the GC, however idle the upload looks.
        self.assertEqual(self.gc(), {"blobsRemoved": 0, "uploadsRemoved": 0})
        self.assertTrue(os.path.exists(self.upload_file(upload_id)))
        self.release(t)
        self.assertNotIn("error", out)
        self.assertEqual(out["value"][0].getheader("Docker-Content-Digest"),
                         digest)
        self.assertEqual(reg.pull(repo, digest), data)
        # Finished: the upload is gone, and so is its file's old name.
        reg.call("DELETE", path, expect=404)
        harness.poll(lambda: not os.path.exists(self.upload_file(upload_id)),
                     DEADLINE_S, "the upload's name to go", self.server.proc)

    def test_complete_layer_upload_in_flight_keeps_its_upload_from_gc(self):
        repo = unique_name("lease-ecr")
        self.client.create_repository(repositoryName=repo)
        data = seeded_bytes("lease-ecr", 200000)
        digest = sha256_digest(data)
        upload_id = self.client.initiate_layer_upload(
            repositoryName=repo)["uploadId"]
        self.client.upload_layer_part(
            repositoryName=repo, uploadId=upload_id, partFirstByte=0,
            partLastByte=len(data) - 1, layerPartBlob=data)
        self.held()
        other = ecr_client(self.server.endpoint)
        t, out = self.in_background(lambda: other.complete_layer_upload(
            repositoryName=repo, uploadId=upload_id, layerDigests=[digest]))
        self.wait_held(t)
        self.assertEqual(self.gc(), {"blobsRemoved": 0, "uploadsRemoved": 0})
        self.assertTrue(os.path.exists(self.upload_file(upload_id)))
        self.release(t)
        self.assertNotIn("error", out)
        self.assertEqual(out["value"]["layerDigest"], digest)
        r = self.client.batch_check_layer_availability(
            repositoryName=repo, layerDigests=[digest])
        self.assertEqual(r["layers"][0]["layerAvailability"], "AVAILABLE")
        with open(blob_file(self.data_dir, digest), "rb") as f:
            self.assertEqual(f.read(), data)
        harness.poll(lambda: not os.path.exists(self.upload_file(upload_id)),
                     DEADLINE_S, "the upload's name to go", self.server.proc)


if __name__ == "__main__":
    unittest.main()
