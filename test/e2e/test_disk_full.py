"""A full disk (issue 11): writes fail with a 5xx that clients retry and a
log line naming the cause; deletes and the GC still work, and make room.

Each test mounts a small tmpfs (root only, as CI runs) as the data
directory's file system, fills it to the last byte with a file beside the
store, and unmounts it afterwards. Without mount(8) permission the tests
skip, saying so.
"""

import errno
import json
import os
import subprocess
import unittest

import botocore.exceptions

import harness
from harness import (basic_auth, build_image, push_blobs, push_image,
                     registry_password, registry_request, seeded_bytes,
                     sha256_digest, unique_name)

FS_SIZE = "48m"
MOUNT_TIMEOUT_S = 30.0


def try_mount(path):
    """Mount a tmpfs on path: None, or why it cannot be done here."""
    if os.geteuid() != 0:
        return "mounting a tmpfs needs root (CI runs as root)"
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + FS_SIZE,
                           "tmpfs", path], capture_output=True, text=True,
                          timeout=MOUNT_TIMEOUT_S)
    if proc.returncode != 0:
        return "mount -t tmpfs failed: %s" % proc.stderr.strip()
    return None


def fill(path):
    """Write path until the file system has not one byte left."""
    block = b"\0" * (1 << 20)
    with open(path, "ab", buffering=0) as f:
        for size in (1 << 20, 4096, 1):
            while True:
                try:
                    f.write(block[:size])
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break


class DiskFullTest(harness.OwnServersTestCase):

    tmp_prefix = "e2e-diskfull-"

    def setUp(self):
        super().setUp()
        self.mnt = os.path.join(self.tmp, "mnt")
        os.mkdir(self.mnt)
        why = try_mount(self.mnt)
        if why is not None:
            self.skipTest(why)
        # Cleanups run last in, first out: after tearDown stops servers.
        self.addCleanup(subprocess.run, ["umount", self.mnt],
                        timeout=MOUNT_TIMEOUT_S, check=True)
        self.filler = os.path.join(self.mnt, "filler")
        self.data = os.path.join(self.mnt, "data")
        self.srv = self.start(data_dir=self.data)
        self.client = harness.ecr_client(self.srv.endpoint)

    def tearDown(self):
        super().tearDown()
        if os.path.exists(self.filler):
            os.unlink(self.filler)

    def assertServerException(self, call, *args, **kw):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            call(*args, **kw)
        err = cm.exception.response
        self.assertEqual(err["Error"]["Code"], "ServerException", err)
        self.assertEqual(err["ResponseMetadata"]["HTTPStatusCode"], 500)

    def assertLogged(self, *words):
        text = self.srv.stderr()
        for w in words:
            self.assertIn(w, text)

    def make_repo(self):
        name = unique_name("full")
        self.client.create_repository(repositoryName=name)
        return name

    def test_layer_part_on_a_full_disk_is_server_exception(self):
        repo = self.make_repo()
        upload_id = self.client.initiate_layer_upload(
            repositoryName=repo)["uploadId"]
        fill(self.filler)
        # Small parts fail at the sync, big ones while they stream.
        for size in (100, 3 << 20):
            data = seeded_bytes("part-%d" % size, size)
            self.assertServerException(
                self.client.upload_layer_part, repositoryName=repo,
                uploadId=upload_id, partFirstByte=0, partLastByte=size - 1,
                layerPartBlob=data)
        self.assertLogged("No space left on device",
                          "uploads/" + upload_id)
        # Room again: the same part goes in, and the upload completes.
        os.unlink(self.filler)
        data = seeded_bytes("part-after", 3 << 20)
        r = self.client.upload_layer_part(
            repositoryName=repo, uploadId=upload_id, partFirstByte=0,
            partLastByte=len(data) - 1, layerPartBlob=data)
        self.assertEqual(r["lastByteReceived"], len(data) - 1)
        done = self.client.complete_layer_upload(
            repositoryName=repo, uploadId=upload_id,
            layerDigests=[sha256_digest(data)])
        self.assertEqual(done["layerDigest"], sha256_digest(data))

    def test_put_image_on_a_full_disk_is_server_exception(self):
        repo = self.make_repo()
        # A manifest of a few MiB needs pages no free list holds.
        image = build_image("full-put", annotations={
            "e2e.pad": "p" * (3 << 20)})
        push_blobs(self.client, repo, image.blobs)
        fill(self.filler)
        self.assertServerException(
            self.client.put_image, repositoryName=repo,
            imageManifest=image.text, imageTag="v1")
        self.assertLogged("store: no space left on device")
        os.unlink(self.filler)
        push_image(self.client, repo, image, blobs=False, tag="v1")

    def test_deletes_and_gc_work_on_a_full_disk_and_make_room(self):
        repo, doomed = self.make_repo(), self.make_repo()
        image = build_image("full-del", big_layer=4 << 20)
        push_image(self.client, repo, image, tag="v1")
        push_image(self.client, doomed, build_image("full-doomed"),
                   tag="v1")
        fill(self.filler)
        deleted = self.client.batch_delete_image(
            repositoryName=repo, imageIds=[{"imageTag": "v1"}])
        self.assertEqual(len(deleted["imageIds"]), 1, deleted)
        self.assertEqual(deleted["failures"], [])
        self.client.delete_repository(repositoryName=doomed, force=True)
        r = harness.http_request(self.srv.host, self.srv.port, "POST",
                                 "/_ecrd/gc?grace_seconds=0")
        self.assertEqual(r.status, 200, r)
        self.assertGreater(r.json()["blobsRemoved"], 0, r)
        # What the GC freed takes the same image again, filler and all.
        push_image(self.client, repo, image, tag="v1")
        got = self.client.batch_get_image(
            repositoryName=repo, imageIds=[{"imageTag": "v1"}])
        self.assertEqual(got["images"][0]["imageManifest"], image.text)

    def test_gc_works_on_a_full_disk_without_the_reserve(self):
        # The reserve already spent: the GC removes the files of blobs no
        # layer uses before its commit needs the room.
        repo = self.make_repo()
        for i in range(3):
            push_image(self.client, repo, build_image(
                "full-gc-%d" % i, big_layer=2 << 20), tag="v%d" % i)
        self.client.delete_repository(repositoryName=repo, force=True)
        os.unlink(os.path.join(self.data, "reserve"))
        fill(self.filler)
        r = harness.http_request(self.srv.host, self.srv.port, "POST",
                                 "/_ecrd/gc?grace_seconds=0")
        self.assertEqual(r.status, 200, r)
        # Three images of three small layers, a big one and a config.
        self.assertEqual(r.json()["blobsRemoved"], 15, r)
        repo = self.make_repo()
        push_image(self.client, repo, build_image(
            "full-gc-again", big_layer=2 << 20), tag="v1")

    def test_registry_writes_on_a_full_disk_are_5xx(self):
        repo = self.make_repo()
        auth = {"Authorization": basic_auth(
            "AWS", registry_password(self.client))}
        host, port = self.srv.host, self.srv.port
        image = build_image("reg-full", annotations={
            "e2e.pad": "p" * (3 << 20)})
        push_blobs(self.client, repo, image.blobs)
        r = registry_request(host, port, "POST",
                             "/v2/%s/blobs/uploads/" % repo, headers=auth)
        self.assertEqual(r.status, 202, r)
        loc = r.header("Location")
        fill(self.filler)
        data = seeded_bytes("reg-full", 3 << 20)
        octets = dict(auth, **{"Content-Type": "application/octet-stream"})
        for method, path in (("PATCH", loc), (
                "PUT", loc + "?digest=" + sha256_digest(data))):
            r = registry_request(host, port, method, path, body=data,
                                 headers=octets)
            self.assertIn(r.status, (500, 503), (method, r))
        r = registry_request(host, port, "PUT", "/v2/%s/manifests/v1" % repo,
                             body=image.text.encode(), headers=dict(
                                 auth, **{"Content-Type": image.media_type}))
        self.assertIn(r.status, (500, 503), r)
        self.assertLogged("No space left on device")
        os.unlink(self.filler)
        r = registry_request(host, port, "PUT", "/v2/%s/manifests/v1" % repo,
                             body=image.text.encode(), headers=dict(
                                 auth, **{"Content-Type": image.media_type}))
        self.assertEqual(r.status, 201, r)


class MapFullTest(harness.OwnServersTestCase):
    """--map-size: past it writes are ServerException; deleting and
    collecting make room for as much again (issue 11)."""

    tmp_prefix = "e2e-mapfull-"

    def test_map_size_is_checked(self):
        for bad in ("1k", "abc", "", "12Q", "99999999999999999999T"):
            s = harness.Server("--map-size", bad)
            self.servers.append(s)
            s.spawn()
            self.assertEqual(s.wait_exit(), 2, bad)
            self.assertIn("--map-size: '%s' is" % bad, s.stderr())

    def test_full_map_then_delete_and_collect_fits_the_same_again(self):
        srv = self.start("--map-size", "24M",
                         data_dir=os.path.join(self.tmp, "data"))
        client = harness.ecr_client(srv.endpoint)
        repo = unique_name("map")
        client.create_repository(repositoryName=repo)
        base = build_image("map-full")
        push_blobs(client, repo, base.blobs)

        def big(i):
            obj = json.loads(base.text)
            obj["annotations"] = {"e2e.pad": "%d" % i + "p" * (3 << 20)}
            return json.dumps(obj)

        pushed = []
        for i in range(20):
            try:
                client.put_image(repositoryName=repo, imageManifest=big(i),
                                 imageTag="t%d" % i)
            except botocore.exceptions.ClientError as e:
                err = e.response
                self.assertEqual(err["Error"]["Code"], "ServerException")
                break
            pushed.append(i)
        else:
            self.fail("a 24 MiB map took 20 manifests of 3 MiB")
        self.assertGreaterEqual(len(pushed), 2)
        self.assertIn("store: store is full", srv.stderr())
        client.batch_delete_image(repositoryName=repo, imageIds=[
            {"imageTag": "t%d" % i} for i in pushed])
        r = harness.http_request(srv.host, srv.port, "POST",
                                 "/_ecrd/gc?grace_seconds=0")
        self.assertEqual(r.status, 200, r)
        # The GC took the layers no image used any more.
        push_blobs(client, repo, base.blobs)
        for i in range(100, 100 + len(pushed)):
            client.put_image(repositoryName=repo, imageManifest=big(i),
                             imageTag="t%d" % i)


if __name__ == "__main__":
    unittest.main()
