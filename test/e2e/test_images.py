"""Images and layers through the ECR API (issue 3).

Real multi-layer images (real tar.gz layers, a config, Docker v2 schema 2
and OCI manifests, manifest lists, OCI referrers) are pushed through the
layer API and PutImage, then pulled back through BatchGetImage and
GetDownloadUrlForLayer and compared byte for byte. Checks what
docs/ecr-behaviour.md 2.2, 2.4, 3.2, 3.3 and 3.14 say real ECR does: exact
__type, status, messages where they are known and response shapes; where
the document marks a detail [unconfirmed], only the certain part is
asserted. The aws CLI v1 and v2 drive list-images, describe-images,
batch-get-image, put-image and batch-delete-image, pagination included.
Restart and kill -9 tests show what PutImage acknowledged survives.
"""

import base64
import json
import os
import shutil
import signal
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid

import botocore.exceptions

import harness
from harness import (DEFAULT_ACCOUNT, LAYER_PART_SIZE, MEDIA_DOCKER_CONFIG,
                     MEDIA_DOCKER_LAYER, MEDIA_DOCKER_LIST,
                     MEDIA_DOCKER_MANIFEST, MEDIA_DOCKER_SCHEMA1,
                     MEDIA_OCI_CONFIG, MEDIA_OCI_INDEX,
                     MEDIA_OCI_LAYER, MEDIA_OCI_MANIFEST, MIN_LAYER_PART,
                     EcrdTestCase, Server, build_image, build_index,
                     build_referrer, descriptor, epoch, fetch_url,
                     manifest_json, not_found_message, poll, push_blobs,
                     push_image, sha256_digest, tar_layer, unique_name,
                     upload_layer)

UUID_RE = (r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
           r"[0-9a-f]{12}$")
IMAGE_KEYS = {"registryId", "repositoryName", "imageId", "imageManifest",
              "imageManifestMediaType"}
INVALID_JSON = ("Invalid parameter at 'ImageManifest' failed to satisfy "
                "constraint: 'Invalid JSON syntax'")
PART_TOO_SMALL = "All layer parts except the last part should be at least 5MB"
# Issue 11 (9): [unconfirmed] wordings, in ECR's constraint style.
BAD_SIZE = ("Invalid parameter at 'ImageManifest' failed to satisfy "
            "constraint: 'Descriptor sizes and their sum must be between 0 "
            "and 9223372036854775807'")


def size_mismatch_message(declared, digest, stored):
    return ("Invalid parameter at 'ImageManifest' failed to satisfy "
            "constraint: 'Size %d of the descriptor with digest %s does not "
            "match the size %d of the stored content'"
            % (declared, digest, stored))

NOT_FOUND_REASON = "Requested image not found"
MISSING_DIGEST_AND_TAG_REASON = ("Invalid request parameters: both tag and "
                                 "digest cannot be null")
PULL_RECORD_TIMEOUT_S = 15.0   # lastRecordedPullTime may lag the pull
RESTORE_TIMEOUT_S = 60.0       # ACTIVATING -> ACTIVE (configurable delay)
CLOCK_SLACK_S = 5.0
CRASH_ACKS = 24                # PutImage answers to wait for before kill -9


def fake_digest(seed):
    """A well-formed sha256 digest of nothing anyone uploaded."""
    return sha256_digest(("never uploaded %s %s" % (seed, uuid.uuid4()))
                         .encode())


def image_not_found_message(repo, digest=None, tag=None,
                            account=DEFAULT_ACCOUNT):
    return ("The image with imageId {imageDigest:'%s', imageTag:'%s'} does "
            "not exist within the repository with name '%s' in the registry "
            "with id '%s'" % (digest or "null", tag or "null", repo, account))


def image_exists_message(repo, digest, tag, account=DEFAULT_ACCOUNT):
    return ("Image with digest '%s' and tag '%s' already exists in the "
            "repository with name '%s' in registry with id '%s'"
            % (digest, tag, repo, account))


def layers_not_found_message(repo, digests, account=DEFAULT_ACCOUNT):
    return ("Layers with digests '[%s]' required for pushing image into "
            "repository with name '%s' in the registry with id '%s' do not "
            "exist" % (", ".join(digests), repo, account))


def empty_upload_message(repo, upload_id, account=DEFAULT_ACCOUNT):
    return ("The upload with id '%s' in the repository with name '%s' in "
            "registry with id '%s' cannot be completed because it does not "
            "have any parts" % (upload_id, repo, account))


def not_empty_message(repo, account=DEFAULT_ACCOUNT):
    return ("The repository with name '%s' in registry with id '%s' cannot "
            "be deleted because it still contains images" % (repo, account))


def id_key(image_id):
    """An imageId as a sortable (digest, tag) pair."""
    return (image_id.get("imageDigest"), image_id.get("imageTag"))


def b64(data):
    return base64.b64encode(data).decode("ascii")


class ImageHelpers:
    """Helpers shared by the test classes (a mixin over EcrdTestCase)."""

    def make_repo(self, client=None, **kw):
        name = unique_name("img")
        (client or self.ecr()).create_repository(repositoryName=name, **kw)
        return name

    def push(self, repo, image, tag=None, client=None, **kw):
        return push_image(client or self.ecr(), repo, image, tag, **kw)

    def put(self, repo, manifest, tag=None, media_type=None, digest=None,
            client=None):
        """PutImage of raw manifest bytes (no blobs pushed)."""
        kw = {"repositoryName": repo,
              "imageManifest": manifest.decode("utf-8")}
        if tag is not None:
            kw["imageTag"] = tag
        if media_type is not None:
            kw["imageManifestMediaType"] = media_type
        if digest is not None:
            kw["imageDigest"] = digest
        return (client or self.ecr()).put_image(**kw)["image"]

    def list_ids(self, repo, client=None, **filt):
        """Every ListImages entry, through the boto3 paginator."""
        kw = {"repositoryName": repo}
        if filt:
            kw["filter"] = filt
        pages = (client or self.ecr()).get_paginator("list_images") \
            .paginate(**kw)
        return sorted(id_key(i) for p in pages for i in p["imageIds"])

    def details(self, repo, client=None, **filt):
        """Every DescribeImages detail, by digest."""
        kw = {"repositoryName": repo}
        if filt:
            kw["filter"] = filt
        pages = (client or self.ecr()).get_paginator("describe_images") \
            .paginate(**kw)
        return {d["imageDigest"]: d for p in pages for d in p["imageDetails"]}

    def detail(self, repo, digest, client=None):
        out = (client or self.ecr()).describe_images(
            repositoryName=repo, imageIds=[{"imageDigest": digest}])
        self.assertEqual(len(out["imageDetails"]), 1, out)
        return out["imageDetails"][0]

    def pulled_detail(self, repo, digest, client=None):
        """The detail once lastRecordedPullTime shows (it may lag)."""
        def recorded():
            d = self.detail(repo, digest, client)
            return d if "lastRecordedPullTime" in d else None
        return poll(recorded, PULL_RECORD_TIMEOUT_S,
                    "lastRecordedPullTime of %s" % digest)

    def get_one(self, repo, image_id, client=None, accepted=None):
        kw = {"repositoryName": repo, "imageIds": [image_id]}
        if accepted:
            kw["acceptedMediaTypes"] = accepted
        return (client or self.ecr()).batch_get_image(**kw)

    def download(self, repo, digest, client=None, server=None, headers=None):
        """GetDownloadUrlForLayer, then the URL fetched bare."""
        out = (client or self.ecr()).get_download_url_for_layer(
            repositoryName=repo, layerDigest=digest)
        self.assertEqual(out["layerDigest"], digest)
        url = out["downloadUrl"]
        host = urllib.parse.urlsplit(url)
        self.assertEqual("%s:%s" % (host.hostname, host.port),
                         (server or self.server).hostport,
                         "the download URL is not on this server: " + url)
        return fetch_url(url, headers)

    def assertBlobDownload(self, repo, digest, data, client=None,
                           server=None):
        r = self.download(repo, digest, client, server)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(len(r.body), len(data))
        self.assertEqual(r.body, data, "blob %s differs" % digest)
        self.assertEqual(r.header("Content-Length"), str(len(data)))
        self.assertEqual(r.header("Docker-Content-Digest"), digest)

    def assertPutResult(self, got, repo, image, tag=None, media_type=None):
        self.assertEqual(set(got), IMAGE_KEYS, got)
        self.assertEqual(got["registryId"], DEFAULT_ACCOUNT)
        self.assertEqual(got["repositoryName"], repo)
        want_id = {"imageDigest": image.digest}
        if tag is not None:
            want_id["imageTag"] = tag
        self.assertEqual(got["imageId"], want_id)
        self.assertEqual(got["imageManifest"].encode("utf-8"),
                         image.manifest)
        self.assertEqual(got["imageManifestMediaType"],
                         media_type or image.media_type)

    def assertDetail(self, d, repo, image, tags=(), pushed=None,
                     artifact=None, status="ACTIVE", pulled=False,
                     subject=None, extra_keys=(), may_lack=()):
        """An exact ImageDetail; may_lack names members an older client
        model drops (the aws CLI v2 bundles its own botocore)."""
        keys = {"registryId", "repositoryName", "imageDigest",
                "imageSizeInBytes", "imagePushedAt",
                "imageManifestMediaType", "imageStatus"}
        if tags:
            keys.add("imageTags")
        if artifact is not None:
            keys.add("artifactMediaType")
        if pulled:
            keys.add("lastRecordedPullTime")
        if subject is not None:
            keys.add("subjectManifestDigest")
        keys |= set(extra_keys)
        keys -= set(may_lack) - set(d)
        self.assertEqual(set(d), keys, d)
        self.assertEqual(d["registryId"], DEFAULT_ACCOUNT)
        self.assertEqual(d["repositoryName"], repo)
        self.assertEqual(d["imageDigest"], image.digest)
        if tags:
            self.assertEqual(sorted(d["imageTags"]), sorted(tags))
        self.assertEqual(d["imageSizeInBytes"], image.size)
        self.assertEqual(d["imageManifestMediaType"], image.media_type)
        if artifact is not None:
            self.assertEqual(d["artifactMediaType"], artifact)
        if "imageStatus" in keys:
            self.assertEqual(d["imageStatus"], status)
        if subject is not None:
            self.assertEqual(d["subjectManifestDigest"], subject)
        if pushed is not None:
            lo, hi = pushed
            self.assertGreaterEqual(epoch(d["imagePushedAt"]),
                                    lo - CLOCK_SLACK_S)
            self.assertLessEqual(epoch(d["imagePushedAt"]),
                                 hi + CLOCK_SLACK_S)


# ---------------------------------------------------------------------------
# The layer upload API (docs/ecr-behaviour.md 3.3)


class LayerUploadTest(ImageHelpers, EcrdTestCase):

    def initiate(self, repo):
        return self.ecr().initiate_layer_upload(
            repositoryName=repo)["uploadId"]

    def part(self, repo, upload_id, first, data, last=None):
        """UploadLayerPart on the wire, so the error body can be read."""
        return self.api("UploadLayerPart", {
            "repositoryName": repo, "uploadId": upload_id,
            "partFirstByte": first,
            "partLastByte": first + len(data) - 1 if last is None else last,
            "layerPartBlob": b64(data)})

    def assertInvalidPart(self, resp, repo, upload_id, last_valid):
        body = self.assertAwsError(resp, 400, "InvalidLayerPartException")
        self.assertEqual(body.get("registryId"), DEFAULT_ACCOUNT, body)
        self.assertEqual(body.get("repositoryName"), repo, body)
        self.assertEqual(body.get("uploadId"), upload_id, body)
        self.assertEqual(body.get("lastValidByteReceived"), last_valid, body)

    def test_initiate_wire_shape(self):
        repo = self.make_repo()
        body = self.assertOk(self.api("InitiateLayerUpload",
                                      {"repositoryName": repo}))
        self.assertEqual(set(body), {"uploadId", "partSize"}, body)
        self.assertRegex(body["uploadId"], UUID_RE)
        self.assertEqual(body["partSize"], LAYER_PART_SIZE)
        again = self.initiate(repo)
        self.assertNotEqual(again, body["uploadId"])

    def test_initiate_in_a_missing_repository(self):
        name = unique_name("img")
        with self.assertRaises(Exception) as cm:
            self.ecr().initiate_layer_upload(repositoryName=name)
        self.assertClientError(cm, "RepositoryNotFoundException",
                               not_found_message(name))

    def test_single_part_upload_shapes(self):
        repo = self.make_repo()
        data, _ = tar_layer({"hello.txt": b"hello, layer\n"})
        digest = sha256_digest(data)
        upload_id = self.initiate(repo)
        body = self.assertOk(self.part(repo, upload_id, 0, data))
        self.assertEqual(body, {"registryId": DEFAULT_ACCOUNT,
                                "repositoryName": repo,
                                "uploadId": upload_id,
                                "lastByteReceived": len(data) - 1})
        body = self.assertOk(self.api("CompleteLayerUpload", {
            "repositoryName": repo, "uploadId": upload_id,
            "layerDigests": [digest]}))
        self.assertEqual(body, {"registryId": DEFAULT_ACCOUNT,
                                "repositoryName": repo,
                                "uploadId": upload_id,
                                "layerDigest": digest})

    def test_multi_part_upload_then_available(self):
        repo = self.make_repo()
        data = harness.seeded_bytes("multi-part", MIN_LAYER_PART + 777777)
        digest = sha256_digest(data)
        upload_id = self.initiate(repo)
        out = self.ecr().upload_layer_part(
            repositoryName=repo, uploadId=upload_id, partFirstByte=0,
            partLastByte=MIN_LAYER_PART - 1,
            layerPartBlob=data[:MIN_LAYER_PART])
        self.assertEqual(out["lastByteReceived"], MIN_LAYER_PART - 1)
        out = self.ecr().upload_layer_part(
            repositoryName=repo, uploadId=upload_id,
            partFirstByte=MIN_LAYER_PART, partLastByte=len(data) - 1,
            layerPartBlob=data[MIN_LAYER_PART:])
        self.assertEqual(out["lastByteReceived"], len(data) - 1)
        out = self.ecr().complete_layer_upload(
            repositoryName=repo, uploadId=upload_id, layerDigests=[digest])
        self.assertEqual(out["layerDigest"], digest)
        # Completed but not yet referenced: AVAILABLE all the same.
        body = self.assertOk(self.api("BatchCheckLayerAvailability", {
            "repositoryName": repo, "layerDigests": [digest]}))
        self.assertEqual(set(body), {"layers", "failures"}, body)
        self.assertEqual(body["failures"], [])
        self.assertEqual(len(body["layers"]), 1)
        layer = body["layers"][0]
        self.assertLessEqual({"layerDigest", "layerAvailability",
                              "layerSize"}, set(layer))
        self.assertLessEqual(set(layer), {"layerDigest", "layerAvailability",
                                          "layerSize", "mediaType"})
        self.assertEqual(layer["layerDigest"], digest)
        self.assertEqual(layer["layerAvailability"], "AVAILABLE")
        self.assertEqual(layer["layerSize"], len(data))

    def test_batch_check_unknown_digest_is_a_failure(self):
        repo = self.make_repo()
        data = b"known layer bytes"
        known = upload_layer(self.ecr(), repo, data)
        unknown = fake_digest("check")
        out = self.ecr().batch_check_layer_availability(
            repositoryName=repo, layerDigests=[known, unknown])
        self.assertEqual([(l["layerDigest"], l["layerAvailability"],
                           l["layerSize"]) for l in out["layers"]],
                         [(known, "AVAILABLE", len(data))])
        self.assertEqual(len(out["failures"]), 1, out)
        failure = out["failures"][0]
        self.assertEqual(failure["layerDigest"], unknown)
        self.assertEqual(failure["failureCode"], "MissingLayerDigest")
        self.assertIsInstance(failure.get("failureReason", ""), str)

    def test_layers_belong_to_their_repository(self):
        a, b = self.make_repo(), self.make_repo()
        digest = upload_layer(self.ecr(), a, b"only in repository a")
        out = self.ecr().batch_check_layer_availability(
            repositoryName=b, layerDigests=[digest])
        self.assertEqual(out["layers"], [])
        self.assertEqual([(f["layerDigest"], f["failureCode"])
                          for f in out["failures"]],
                         [(digest, "MissingLayerDigest")])

    def test_first_part_must_start_at_zero(self):
        repo = self.make_repo()
        upload_id = self.initiate(repo)
        self.assertInvalidPart(self.part(repo, upload_id, 1, b"x" * 100),
                               repo, upload_id, -1)

    def test_parts_must_be_contiguous_and_a_bad_part_changes_nothing(self):
        repo = self.make_repo()
        data = harness.seeded_bytes("contiguous", MIN_LAYER_PART + 4096)
        upload_id = self.initiate(repo)
        first = data[:MIN_LAYER_PART]
        self.assertOk(self.part(repo, upload_id, 0, first))
        rest = data[MIN_LAYER_PART:]
        # A gap after the first part.
        self.assertInvalidPart(
            self.part(repo, upload_id, MIN_LAYER_PART + 10, rest[10:]),
            repo, upload_id, MIN_LAYER_PART - 1)
        # The declared range does not match the blob's length.
        self.assertInvalidPart(
            self.part(repo, upload_id, MIN_LAYER_PART, rest,
                      last=MIN_LAYER_PART + len(rest)),
            repo, upload_id, MIN_LAYER_PART - 1)
        # The right part is still accepted and the layer is whole.
        body = self.assertOk(self.part(repo, upload_id, MIN_LAYER_PART,
                                       rest))
        self.assertEqual(body["lastByteReceived"], len(data) - 1)
        out = self.ecr().complete_layer_upload(
            repositoryName=repo, uploadId=upload_id,
            layerDigests=[sha256_digest(data)])
        self.assertEqual(out["layerDigest"], sha256_digest(data))

    def test_length_mismatch_on_the_first_part(self):
        repo = self.make_repo()
        upload_id = self.initiate(repo)
        self.assertInvalidPart(self.part(repo, upload_id, 0, b"y" * 50,
                                         last=99),
                               repo, upload_id, -1)

    def test_complete_verifies_the_digest(self):
        repo = self.make_repo()
        data = b"the bytes actually sent"
        upload_id = self.initiate(repo)
        self.assertOk(self.part(repo, upload_id, 0, data))
        with self.assertRaises(Exception) as cm:
            self.ecr().complete_layer_upload(
                repositoryName=repo, uploadId=upload_id,
                layerDigests=[sha256_digest(b"other bytes")])
        self.assertClientError(cm, "InvalidLayerException")
        out = self.ecr().batch_check_layer_availability(
            repositoryName=repo, layerDigests=[sha256_digest(data),
                                               sha256_digest(b"other bytes")])
        self.assertEqual(out["layers"], [])

    def test_complete_without_parts(self):
        repo = self.make_repo()
        upload_id = self.initiate(repo)
        with self.assertRaises(Exception) as cm:
            self.ecr().complete_layer_upload(
                repositoryName=repo, uploadId=upload_id,
                layerDigests=[sha256_digest(b"")])
        self.assertClientError(cm, "EmptyUploadException",
                               empty_upload_message(repo, upload_id))

    def test_a_small_part_that_is_not_the_last(self):
        repo = self.make_repo()
        data = harness.seeded_bytes("small-parts", 3000)
        upload_id = self.initiate(repo)
        # Each part is accepted; the size rule is CompleteLayerUpload's.
        self.assertOk(self.part(repo, upload_id, 0, data[:1000]))
        self.assertOk(self.part(repo, upload_id, 1000, data[1000:]))
        with self.assertRaises(Exception) as cm:
            self.ecr().complete_layer_upload(
                repositoryName=repo, uploadId=upload_id,
                layerDigests=[sha256_digest(data)])
        self.assertClientError(cm, "LayerPartTooSmallException",
                               PART_TOO_SMALL)

    def test_layer_already_exists(self):
        repo = self.make_repo()
        data = b"uploaded twice"
        upload_layer(self.ecr(), repo, data)
        with self.assertRaises(Exception) as cm:
            upload_layer(self.ecr(), repo, data)
        self.assertClientError(cm, "LayerAlreadyExistsException")
        # Another repository of the registry takes it as a new layer.
        other = self.make_repo()
        self.assertEqual(upload_layer(self.ecr(), other, data),
                         sha256_digest(data))

    def test_unknown_and_foreign_upload_ids(self):
        repo, other = self.make_repo(), self.make_repo()
        unknown = str(uuid.uuid4())
        with self.assertRaises(Exception) as cm:
            self.ecr().upload_layer_part(
                repositoryName=repo, uploadId=unknown, partFirstByte=0,
                partLastByte=2, layerPartBlob=b"abc")
        self.assertClientError(cm, "UploadNotFoundException")
        with self.assertRaises(Exception) as cm:
            self.ecr().complete_layer_upload(
                repositoryName=repo, uploadId=unknown,
                layerDigests=[sha256_digest(b"abc")])
        self.assertClientError(cm, "UploadNotFoundException")
        # An upload belongs to the repository it was started in.
        foreign = self.initiate(other)
        with self.assertRaises(Exception) as cm:
            self.ecr().upload_layer_part(
                repositoryName=repo, uploadId=foreign, partFirstByte=0,
                partLastByte=2, layerPartBlob=b"abc")
        self.assertClientError(cm, "UploadNotFoundException")

    def test_upload_id_ends_with_complete(self):
        repo = self.make_repo()
        upload_id = self.initiate(repo)
        self.assertOk(self.part(repo, upload_id, 0, b"done"))
        self.ecr().complete_layer_upload(
            repositoryName=repo, uploadId=upload_id,
            layerDigests=[sha256_digest(b"done")])
        with self.assertRaises(Exception) as cm:
            self.ecr().upload_layer_part(
                repositoryName=repo, uploadId=upload_id, partFirstByte=4,
                partLastByte=6, layerPartBlob=b"abc")
        self.assertClientError(cm, "UploadNotFoundException")
        with self.assertRaises(Exception) as cm:
            self.ecr().complete_layer_upload(
                repositoryName=repo, uploadId=upload_id,
                layerDigests=[sha256_digest(b"done")])
        self.assertClientError(cm, "UploadNotFoundException")

    def test_download_url_needs_a_referenced_layer(self):
        repo = self.make_repo()
        never = fake_digest("download")
        with self.assertRaises(Exception) as cm:
            self.ecr().get_download_url_for_layer(repositoryName=repo,
                                                  layerDigest=never)
        self.assertClientError(cm, "LayersNotFoundException",
                               message_contains=(never, repo))
        loose = upload_layer(self.ecr(), repo, b"uploaded, never used")
        with self.assertRaises(Exception) as cm:
            self.ecr().get_download_url_for_layer(repositoryName=repo,
                                                  layerDigest=loose)
        self.assertClientError(cm, "LayerInaccessibleException")

    def test_concurrent_uploads_of_one_layer(self):
        repo = self.make_repo()
        image = build_image("concurrent-layer", n_layers=1)
        layer = image.layers[0]["digest"]
        data = image.blobs[layer]
        results, lock = [], threading.Lock()

        def upload():
            client = harness.ecr_client(self.server.endpoint)
            try:
                got = ("ok", upload_layer(client, repo, data))
            except botocore.exceptions.ClientError as e:
                got = ("error", e.response["Error"]["Code"])
            except Exception as e:          # reported below
                got = ("exception", repr(e))
            with lock:
                results.append(got)

        threads = [threading.Thread(target=upload) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(harness.HTTP_TIMEOUT_S * 4)
        self.assertEqual(len(results), 8, results)
        for got in results:
            self.assertIn(got, {("ok", layer),
                                ("error", "LayerAlreadyExistsException")},
                          results)
        # Completions are serialised: the first one wins, the rest find
        # the layer already there.
        self.assertEqual(results.count(("ok", layer)), 1, results)
        out = self.ecr().batch_check_layer_availability(
            repositoryName=repo, layerDigests=[layer])
        self.assertEqual(out["layers"][0]["layerSize"], len(data))
        push_image(self.ecr(), repo, image, "v1")
        self.assertBlobDownload(repo, layer, data)


# ---------------------------------------------------------------------------
# Push a real image, pull it back byte for byte
# (docs/ecr-behaviour.md 3.2, 3.3)


class PushPullTest(ImageHelpers, EcrdTestCase):

    def roundtrip(self, image, tag):
        repo = self.make_repo()
        t0 = time.time()
        got = self.push(repo, image, tag)
        t1 = time.time()
        self.assertPutResult(got, repo, image, tag)
        self.assertEqual(got["imageId"]["imageDigest"],
                         sha256_digest(image.manifest))

        # Pull the manifest by tag and by digest.
        for image_id in ({"imageTag": tag}, {"imageDigest": image.digest}):
            out = self.get_one(repo, image_id)
            self.assertEqual(out["failures"], [], out)
            self.assertEqual(len(out["images"]), 1, out)
            img = out["images"][0]
            self.assertEqual(set(img), IMAGE_KEYS, img)
            self.assertEqual(img["registryId"], DEFAULT_ACCOUNT)
            self.assertEqual(img["repositoryName"], repo)
            self.assertEqual(img["imageManifest"].encode("utf-8"),
                             image.manifest)
            self.assertEqual(img["imageManifestMediaType"], image.media_type)
            self.assertEqual(img["imageId"]["imageDigest"], image.digest)
            if "imageTag" in image_id:
                self.assertEqual(img["imageId"], {"imageDigest": image.digest,
                                                  "imageTag": tag})

        # Every blob the manifest names downloads whole, bare.
        manifest = json.loads(image.manifest)
        names = [manifest["config"]] + manifest["layers"]
        self.assertEqual(len(names), len(image.blobs))
        for desc in names:
            self.assertBlobDownload(repo, desc["digest"],
                                    image.blobs[desc["digest"]])

        # BatchCheckLayerAvailability agrees on every blob.
        out = self.ecr().batch_check_layer_availability(
            repositoryName=repo, layerDigests=[d["digest"] for d in names])
        self.assertEqual(out["failures"], [])
        self.assertEqual(
            sorted((l["layerDigest"], l["layerAvailability"], l["layerSize"])
                   for l in out["layers"]),
            sorted((d["digest"], "AVAILABLE", d["size"]) for d in names))
        config = [l for l in out["layers"]
                  if l["layerDigest"] == manifest["config"]["digest"]][0]
        if "mediaType" in config:
            self.assertEqual(config["mediaType"],
                             manifest["config"]["mediaType"])

        detail = self.pulled_detail(repo, image.digest)
        self.assertDetail(detail, repo, image, [tag], (t0, t1),
                          artifact=manifest["config"]["mediaType"],
                          pulled=True)
        return repo, detail

    def test_docker_v2_image_with_a_multi_part_layer(self):
        image = build_image("docker-v2", big_layer=MIN_LAYER_PART + 9000)
        self.assertEqual(len(image.layers), 4)
        self.assertGreater(image.layers[-1]["size"], MIN_LAYER_PART)
        self.assertTrue(image.manifest.endswith(b"}\n"))
        self.roundtrip(image, "v1.0")

    def test_oci_image(self):
        self.roundtrip(build_image("oci", oci=True), "oci-latest")

    def test_image_size_is_layers_plus_config(self):
        image = build_image("size", n_layers=5)
        repo = self.make_repo()
        self.push(repo, image, "s")
        want = sum(l["size"] for l in image.layers) + image.config["size"]
        self.assertEqual(self.detail(repo, image.digest)["imageSizeInBytes"],
                         want)

    def test_range_requests_on_the_download_url(self):
        image = build_image("range", n_layers=1)
        repo = self.make_repo()
        self.push(repo, image, "r")
        layer = image.layers[0]["digest"]
        data = image.blobs[layer]
        self.assertGreater(len(data), 300)
        url = self.ecr().get_download_url_for_layer(
            repositoryName=repo, layerDigest=layer)["downloadUrl"]
        r = fetch_url(url, {"Range": "bytes=100-299"})
        self.assertEqual(r.status, 206, r)
        self.assertEqual(r.body, data[100:300])
        self.assertEqual(r.header("Content-Length"), "200")
        self.assertEqual(r.header("Content-Range"),
                         "bytes 100-299/%d" % len(data))
        r = fetch_url(url, {"Range": "bytes=%d-" % (len(data) - 10)})
        self.assertEqual(r.status, 206, r)
        self.assertEqual(r.body, data[-10:])
        self.assertEqual(r.header("Content-Range"), "bytes %d-%d/%d" % (
            len(data) - 10, len(data) - 1, len(data)))
        # The whole blob again, for the same URL.
        r = fetch_url(url)
        self.assertEqual((r.status, r.body), (200, data))

    def test_last_recorded_pull_time_follows_a_pull(self):
        image = build_image("pull-time")
        repo = self.make_repo()
        self.push(repo, image, "p")
        # Describing and listing are not pulls.
        self.ecr().list_images(repositoryName=repo)
        self.assertNotIn("lastRecordedPullTime",
                         self.detail(repo, image.digest))
        before = time.time()
        self.assertEqual(len(self.get_one(repo, {"imageTag": "p"})["images"]),
                         1)
        when = self.pulled_detail(repo, image.digest)["lastRecordedPullTime"]
        self.assertGreaterEqual(epoch(when), before - CLOCK_SLACK_S)
        self.assertLessEqual(epoch(when), time.time() + CLOCK_SLACK_S)

    def test_schema1_manifest_is_accepted(self):
        repo = self.make_repo()
        layers = [tar_layer({"s1-%d" % i: b"schema one %d\n" % i})[0]
                  for i in range(2)]
        for data in layers:
            upload_layer(self.ecr(), repo, data)
        v1 = [json.dumps({"id": "%064x" % (i + 1), "created": "2024-01-01"})
              for i in range(2)]
        manifest = manifest_json({
            "schemaVersion": 1, "name": repo, "tag": "old",
            "architecture": "amd64",
            "fsLayers": [{"blobSum": sha256_digest(d)} for d in layers],
            "history": [{"v1Compatibility": h} for h in v1]})
        got = self.put(repo, manifest, "old", media_type=MEDIA_DOCKER_SCHEMA1)
        self.assertEqual(got["imageId"], {"imageDigest":
                                          sha256_digest(manifest),
                                          "imageTag": "old"})
        self.assertEqual(got["imageManifestMediaType"], MEDIA_DOCKER_SCHEMA1)
        img = self.get_one(repo, {"imageTag": "old"})["images"][0]
        self.assertEqual(img["imageManifest"].encode(), manifest)
        self.assertEqual(img["imageManifestMediaType"], MEDIA_DOCKER_SCHEMA1)


# ---------------------------------------------------------------------------
# PutImage: identity, media types, references, tags (docs/ecr-behaviour.md 3.2)


class PutImageTest(ImageHelpers, EcrdTestCase):

    def test_digest_covers_the_exact_bytes(self):
        repo = self.make_repo()
        base = build_image("exact", oci=True,
                           annotations={"note": "caf\u00e9 \u2615"})
        push_blobs(self.ecr(), repo, base.blobs)
        obj = json.loads(base.manifest)
        variants = [base.manifest,
                    base.manifest.rstrip(b"\n"),
                    json.dumps(obj, separators=(",", ":")).encode(),
                    json.dumps(obj, ensure_ascii=False).encode("utf-8")]
        digests = set()
        for i, raw in enumerate(variants):
            got = self.put(repo, raw, "v%d" % i)
            self.assertEqual(got["imageId"]["imageDigest"],
                             sha256_digest(raw))
            self.assertEqual(got["imageManifest"].encode("utf-8"), raw)
            img = self.get_one(repo, {"imageTag": "v%d" % i})["images"][0]
            self.assertEqual(img["imageManifest"].encode("utf-8"), raw)
            digests.add(got["imageId"]["imageDigest"])
        self.assertEqual(len(digests), len(variants))
        self.assertEqual(len(self.details(repo)), len(variants))

    def test_put_by_digest_without_a_tag(self):
        repo = self.make_repo()
        image = build_image("by-digest")
        got = self.push(repo, image, digest=image.digest)
        self.assertPutResult(got, repo, image)
        self.assertEqual(self.list_ids(repo), [(image.digest, None)])
        self.assertDetail(self.detail(repo, image.digest), repo, image,
                          artifact=MEDIA_DOCKER_CONFIG)

    def test_image_digest_that_does_not_match(self):
        repo = self.make_repo()
        image = build_image("mismatch")
        push_blobs(self.ecr(), repo, image.blobs)
        wrong = sha256_digest(image.manifest + b" ")
        with self.assertRaises(Exception) as cm:
            self.put(repo, image.manifest, "t", digest=wrong)
        self.assertClientError(cm, "ImageDigestDoesNotMatchException")
        self.assertEqual(self.list_ids(repo), [])

    def test_invalid_json(self):
        repo = self.make_repo()
        for raw in (b"{", b"not json at all\n", b'{"schemaVersion": 2,}',
                    b'{"schemaVersion": 2}}'):
            with self.subTest(manifest=raw):
                with self.assertRaises(Exception) as cm:
                    self.put(repo, raw, "t", media_type=MEDIA_OCI_MANIFEST)
                self.assertClientError(cm, "InvalidParameterException",
                                       INVALID_JSON)
        self.assertEqual(self.list_ids(repo), [])

    def test_no_media_type_in_manifest_or_parameter(self):
        repo = self.make_repo()
        image = build_image("no-media-type", oci=True)
        push_blobs(self.ecr(), repo, image.blobs)
        obj = json.loads(image.manifest)
        del obj["mediaType"]
        raw = manifest_json(obj)
        with self.assertRaises(Exception) as cm:
            self.put(repo, raw, "t")
        self.assertClientError(cm, "InvalidParameterException", INVALID_JSON)
        # The parameter supplies what the manifest leaves out.
        got = self.put(repo, raw, "t", media_type=MEDIA_OCI_MANIFEST)
        self.assertEqual(got["imageId"]["imageDigest"], sha256_digest(raw))
        self.assertEqual(got["imageManifestMediaType"], MEDIA_OCI_MANIFEST)
        self.assertEqual(self.detail(repo, sha256_digest(raw))
                         ["imageManifestMediaType"], MEDIA_OCI_MANIFEST)

    def test_declared_sizes_must_match_the_stored_blobs(self):
        """Issue 11 (9): sizes of 2^62 made imageSizeInBytes negative; a
        descriptor's size is the stored blob's, or the put is refused."""
        repo = self.make_repo()
        image = build_image("sizes", oci=True, n_layers=2)
        push_blobs(self.ecr(), repo, image.blobs)
        for where, size in (("config", 2 ** 62), ("layers", 2 ** 62),
                            ("layers", None)):
            with self.subTest(where=where, size=size):
                obj = json.loads(image.manifest)
                d = obj["config"] if where == "config" else obj["layers"][1]
                stored = d["size"]
                d["size"] = size if size is not None else stored + 1
                with self.assertRaises(Exception) as cm:
                    self.put(repo, manifest_json(obj), "t")
                self.assertClientError(cm, "InvalidParameterException",
                                       size_mismatch_message(
                                           d["size"], d["digest"], stored))
        self.assertEqual(self.list_ids(repo), [])
        # An index's children are stored manifests: the same rule.
        self.push(repo, image)
        obj = json.loads(build_index([image], oci=True).manifest)
        obj["manifests"][0]["size"] += 1
        with self.assertRaises(Exception) as cm:
            self.put(repo, manifest_json(obj), "multi")
        self.assertClientError(cm, "InvalidParameterException",
                               size_mismatch_message(
                                   len(image.manifest) + 1, image.digest,
                                   len(image.manifest)))
        self.assertEqual(self.list_ids(repo), [(image.digest, None)])

    def test_media_type_parameter_that_disagrees(self):
        repo = self.make_repo()
        image = build_image("disagree")
        push_blobs(self.ecr(), repo, image.blobs)
        with self.assertRaises(Exception) as cm:
            self.put(repo, image.manifest, "t", media_type=MEDIA_OCI_MANIFEST)
        # [unconfirmed] wording: only the type is certain.
        self.assertClientError(cm, "InvalidParameterException")
        # Agreeing is fine.
        got = self.put(repo, image.manifest, "t",
                       media_type=MEDIA_DOCKER_MANIFEST)
        self.assertPutResult(got, repo, image, "t")

    def test_missing_layer(self):
        repo = self.make_repo()
        image = build_image("missing-layer")
        absent = image.layers[1]["digest"]
        for digest, data in image.blobs.items():
            if digest != absent:
                upload_layer(self.ecr(), repo, data)
        with self.assertRaises(Exception) as cm:
            self.put(repo, image.manifest, "t")
        self.assertClientError(cm, "LayersNotFoundException",
                               layers_not_found_message(repo, [absent]))
        self.assertEqual(self.list_ids(repo), [])

    def test_missing_config(self):
        repo = self.make_repo()
        image = build_image("missing-config", oci=True)
        for desc in image.layers:
            upload_layer(self.ecr(), repo, image.blobs[desc["digest"]])
        with self.assertRaises(Exception) as cm:
            self.put(repo, image.manifest, "t")
        self.assertClientError(
            cm, "LayersNotFoundException",
            layers_not_found_message(repo, [image.config["digest"]]))

    def test_layers_of_another_repository_do_not_count(self):
        a, b = self.make_repo(), self.make_repo()
        image = build_image("other-repo")
        push_blobs(self.ecr(), a, image.blobs)
        with self.assertRaises(Exception) as cm:
            self.put(b, image.manifest, "t")
        self.assertClientError(cm, "LayersNotFoundException",
                               message_contains=(b, DEFAULT_ACCOUNT))

    def test_index_children_must_be_images(self):
        for oci in (False, True):
            with self.subTest(oci=oci):
                repo = self.make_repo()
                amd = build_image("kids-amd", oci=oci, arch="amd64")
                arm = build_image("kids-arm", oci=oci, arch="arm64")
                index = build_index([amd, arm], oci=oci)
                # Only one child is an image of the repository.
                self.push(repo, amd, digest=amd.digest)
                with self.assertRaises(Exception) as cm:
                    self.put(repo, index.manifest, "multi")
                self.assertClientError(cm,
                                       "ReferencedImagesNotFoundException")
                self.assertNotIn(index.digest,
                                 [d for d, _ in self.list_ids(repo)])
                # Blobs of the child are not enough: it must be an image.
                push_blobs(self.ecr(), repo, arm.blobs)
                with self.assertRaises(Exception) as cm:
                    self.put(repo, index.manifest, "multi")
                self.assertClientError(cm,
                                       "ReferencedImagesNotFoundException")

    def test_missing_repository(self):
        name = unique_name("img")
        image = build_image("no-repo")
        with self.assertRaises(Exception) as cm:
            self.put(name, image.manifest, "t")
        self.assertClientError(cm, "RepositoryNotFoundException",
                               not_found_message(name))

    def test_bad_tag(self):
        repo = self.make_repo()
        image = build_image("bad-tag")
        push_blobs(self.ecr(), repo, image.blobs)
        for tag in ("a+b", "has space", "x" * 301):
            with self.subTest(tag=tag):
                with self.assertRaises(Exception) as cm:
                    self.put(repo, image.manifest, tag)
                self.assertClientError(cm, "InvalidParameterException",
                                       message_contains="imageTag")
        self.assertEqual(self.list_ids(repo), [])

    def test_identical_push_with_the_same_tag(self):
        for mode in ("MUTABLE", "IMMUTABLE"):
            with self.subTest(mode=mode):
                repo = self.make_repo(imageTagMutability=mode)
                image = build_image("identical-" + mode)
                self.push(repo, image, "same")
                with self.assertRaises(Exception) as cm:
                    self.put(repo, image.manifest, "same")
                self.assertClientError(
                    cm, "ImageAlreadyExistsException",
                    image_exists_message(repo, image.digest, "same"))
                self.assertEqual(self.list_ids(repo),
                                 [(image.digest, "same")])

    def test_same_image_under_another_tag(self):
        repo = self.make_repo()
        image = build_image("two-tags")
        self.push(repo, image, "a")
        got = self.put(repo, image.manifest, "b")
        self.assertPutResult(got, repo, image, "b")
        self.assertEqual(self.list_ids(repo), sorted(
            [(image.digest, "a"), (image.digest, "b")]))
        self.assertDetail(self.detail(repo, image.digest), repo, image,
                          ["a", "b"], artifact=MEDIA_DOCKER_CONFIG)

    def test_moving_a_tag_leaves_the_old_image_untagged(self):
        repo = self.make_repo()
        old, new = build_image("retag-old"), build_image("retag-new")
        self.push(repo, old, "latest")
        got = self.push(repo, new, "latest")
        self.assertPutResult(got, repo, new, "latest")
        self.assertEqual(self.list_ids(repo), sorted(
            [(new.digest, "latest"), (old.digest, None)]))
        self.assertEqual(self.list_ids(repo, tagStatus="UNTAGGED"),
                         [(old.digest, None)])
        old_detail = self.detail(repo, old.digest)
        self.assertNotIn("imageTags", old_detail)
        self.assertDetail(old_detail, repo, old, artifact=MEDIA_DOCKER_CONFIG)
        # The old image is still whole and pullable by digest.
        out = self.get_one(repo, {"imageDigest": old.digest})
        self.assertEqual(out["images"][0]["imageManifest"].encode(),
                         old.manifest)
        for digest, data in old.blobs.items():
            self.assertBlobDownload(repo, digest, data)
        out = self.get_one(repo, {"imageTag": "latest"})
        self.assertEqual(out["images"][0]["imageId"]["imageDigest"],
                         new.digest)

    def test_moving_a_tag_keeps_the_old_images_other_tags(self):
        repo = self.make_repo()
        old, new = build_image("keep-old"), build_image("keep-new")
        self.push(repo, old, "stable")
        self.put(repo, old.manifest, "latest")
        self.push(repo, new, "latest")
        self.assertEqual(self.list_ids(repo), sorted(
            [(old.digest, "stable"), (new.digest, "latest")]))
        self.assertEqual(self.detail(repo, old.digest)["imageTags"],
                         ["stable"])

    def assertTagMove(self, repo, tag, allowed, seed):
        first, second = build_image(seed + "-1"), build_image(seed + "-2")
        self.push(repo, first, tag)
        if allowed:
            got = self.push(repo, second, tag)
            self.assertEqual(got["imageId"], {"imageDigest": second.digest,
                                              "imageTag": tag})
            want = second.digest
        else:
            with self.assertRaises(Exception) as cm:
                self.push(repo, second, tag)
            self.assertClientError(cm, "ImageTagAlreadyExistsException")
            want = first.digest
        out = self.get_one(repo, {"imageTag": tag})
        self.assertEqual(out["images"][0]["imageId"]["imageDigest"], want)

    def test_immutable_tags(self):
        repo = self.make_repo(imageTagMutability="IMMUTABLE")
        self.assertTagMove(repo, "v1", False, "immutable")
        # New tags are fine, on a new image or an existing one.
        image = build_image("immutable-extra")
        self.push(repo, image, "v2")
        self.put(repo, image.manifest, "v3")
        self.assertEqual(sorted(self.detail(repo, image.digest)
                                ["imageTags"]), ["v2", "v3"])

    def test_immutable_with_exclusion(self):
        repo = self.make_repo(
            imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
            imageTagMutabilityExclusionFilters=[
                {"filterType": "WILDCARD", "filter": "dev-*"},
                {"filterType": "WILDCARD", "filter": "latest"},
                {"filterType": "WILDCARD", "filter": "*-rc"}])
        # Tags matching a filter stay mutable; the rest are immutable.
        for i, (tag, allowed) in enumerate([
                ("dev-1", True), ("latest", True), ("1.0-rc", True),
                ("v1", False), ("develop", False), ("latest-1", False),
                ("1.0-rc1", False)]):
            with self.subTest(tag=tag):
                self.assertTagMove(repo, tag, allowed, "iwe-%d" % i)

    def test_mutable_with_exclusion(self):
        repo = self.make_repo(
            imageTagMutability="MUTABLE_WITH_EXCLUSION",
            imageTagMutabilityExclusionFilters=[
                {"filterType": "WILDCARD", "filter": "release-*"}])
        # Tags matching a filter are immutable; the rest stay mutable.
        for i, (tag, allowed) in enumerate([
                ("release-1", False), ("release-", False),
                ("latest", True), ("release", True),
                ("my-release-1", True)]):
            with self.subTest(tag=tag):
                self.assertTagMove(repo, tag, allowed, "mwe-%d" % i)


# ---------------------------------------------------------------------------
# --relax-references: synthetic manifests, as moto-based suites push them


def synthetic_image(seed, oci=False):
    """A manifest naming a config and 3 layers nobody uploaded."""
    layers = [{"mediaType": MEDIA_OCI_LAYER if oci else MEDIA_DOCKER_LAYER,
               "size": 1000 * (i + 1), "digest": fake_digest(seed)}
              for i in range(3)]
    config = {"mediaType": MEDIA_OCI_CONFIG if oci else MEDIA_DOCKER_CONFIG,
              "size": 1234, "digest": fake_digest(seed)}
    media_type = MEDIA_OCI_MANIFEST if oci else MEDIA_DOCKER_MANIFEST
    raw = manifest_json({"schemaVersion": 2, "mediaType": media_type,
                         "config": config, "layers": layers})
    return harness.BuiltImage(raw, media_type, {}, config, layers)


class RelaxedReferencesTest(ImageHelpers, EcrdTestCase):
    server_args = ("--relax-references",)

    def test_missing_layers_and_config_are_allowed(self):
        repo = self.make_repo()
        for oci in (False, True):
            with self.subTest(oci=oci):
                image = synthetic_image("relaxed-%s" % oci, oci)
                got = self.put(repo, image.manifest, "t-%s" % oci)
                self.assertPutResult(got, repo, image, "t-%s" % oci)
                self.assertEqual(image.size, 1000 + 2000 + 3000 + 1234)
                self.assertDetail(self.detail(repo, image.digest), repo,
                                  image, ["t-%s" % oci],
                                  artifact=image.config["mediaType"])
                out = self.get_one(repo, {"imageTag": "t-%s" % oci})
                self.assertEqual(out["images"][0]["imageManifest"].encode(),
                                 image.manifest)
                # The layers still do not exist.
                missing = image.layers[0]["digest"]
                out = self.ecr().batch_check_layer_availability(
                    repositoryName=repo, layerDigests=[missing])
                self.assertEqual([f["failureCode"] for f in out["failures"]],
                                 ["MissingLayerDigest"])
                with self.assertRaises(Exception) as cm:
                    self.ecr().get_download_url_for_layer(
                        repositoryName=repo, layerDigest=missing)
                self.assertClientError(cm, "LayersNotFoundException")

    def test_missing_children_are_allowed(self):
        repo = self.make_repo()
        amd = build_image("relaxed-amd", arch="amd64")
        arm = build_image("relaxed-arm", arch="arm64")
        for oci in (False, True):
            with self.subTest(oci=oci):
                index = build_index([amd, arm], oci=oci)
                got = self.put(repo, index.manifest, "multi-%s" % oci)
                self.assertPutResult(got, repo, index, "multi-%s" % oci)

    def test_sizes_past_a_long_are_refused(self):
        """Issue 11 (9): with nothing stored to compare, the sizes must
        still fit ECR's long, alone and summed."""
        repo = self.make_repo()
        for sizes in ([2 ** 62, 2 ** 62, 1], [2 ** 63, 1, 1], [-1, 1, 1],
                      [2 ** 64 - 1, 0, 0], [2 ** 63 - 1, 1, 0]):
            with self.subTest(sizes=sizes):
                image = synthetic_image("relaxed-size")
                obj = json.loads(image.manifest)
                for layer, size in zip(obj["layers"], sizes):
                    layer["size"] = size
                with self.assertRaises(Exception) as cm:
                    self.put(repo, manifest_json(obj), "t")
                self.assertClientError(cm, "InvalidParameterException",
                                       BAD_SIZE)
        self.assertEqual(self.list_ids(repo), [])
        # Large but possible: counted as given.
        image = synthetic_image("relaxed-big")
        obj = json.loads(image.manifest)
        obj["layers"][0]["size"] = 2 ** 62
        raw = manifest_json(obj)
        self.put(repo, raw, "big")
        self.assertEqual(self.detail(repo, sha256_digest(raw))
                         ["imageSizeInBytes"], 2 ** 62 + 2000 + 3000 + 1234)

    def test_other_checks_stay_strict(self):
        repo = self.make_repo()
        image = synthetic_image("relaxed-strict")
        with self.assertRaises(Exception) as cm:
            self.put(repo, image.manifest, "t",
                     digest=sha256_digest(b"something else"))
        self.assertClientError(cm, "ImageDigestDoesNotMatchException")
        with self.assertRaises(Exception) as cm:
            self.put(repo, b"{oops", "t", media_type=MEDIA_OCI_MANIFEST)
        self.assertClientError(cm, "InvalidParameterException", INVALID_JSON)
        obj = json.loads(image.manifest)
        del obj["mediaType"]
        with self.assertRaises(Exception) as cm:
            self.put(repo, manifest_json(obj), "t")
        self.assertClientError(cm, "InvalidParameterException", INVALID_JSON)
        self.put(repo, image.manifest, "t")
        with self.assertRaises(Exception) as cm:
            self.put(repo, image.manifest, "t")
        self.assertClientError(cm, "ImageAlreadyExistsException",
                               image_exists_message(repo, image.digest, "t"))
        name = unique_name("img")
        with self.assertRaises(Exception) as cm:
            self.put(name, image.manifest, "t")
        self.assertClientError(cm, "RepositoryNotFoundException",
                               not_found_message(name))


class StrictByDefaultTest(ImageHelpers, EcrdTestCase):
    """The synthetic manifests above are refused without the option."""

    def test_synthetic_manifest_is_refused(self):
        repo = self.make_repo()
        image = synthetic_image("strict-default")
        with self.assertRaises(Exception) as cm:
            self.put(repo, image.manifest, "t")
        self.assertClientError(cm, "LayersNotFoundException",
                               message_contains=(repo, DEFAULT_ACCOUNT))
        self.assertEqual(self.list_ids(repo), [])


# ---------------------------------------------------------------------------
# Manifest lists and OCI indexes


class ManifestListTest(ImageHelpers, EcrdTestCase):

    def build(self, seed, oci):
        amd = build_image(seed + "-amd64", oci=oci, arch="amd64",
                          n_layers=2)
        arm = build_image(seed + "-arm64", oci=oci, arch="arm64",
                          n_layers=4)
        self.assertNotEqual(amd.size, arm.size)
        return amd, arm, build_index([amd, arm], oci=oci)

    def check_list(self, oci):
        repo = self.make_repo()
        amd, arm, index = self.build("list-%s" % oci, oci)
        t0 = time.time()
        got = self.push(repo, index, "multi")
        t1 = time.time()
        self.assertPutResult(got, repo, index, "multi")
        self.assertEqual(index.size, max(amd.size, arm.size))
        self.assertEqual(self.list_ids(repo), sorted(
            [(index.digest, "multi"), (amd.digest, None),
             (arm.digest, None)]))
        details = self.details(repo)
        self.assertEqual(set(details), {index.digest, amd.digest,
                                        arm.digest})
        d = details[index.digest]
        self.assertDetail(d, repo, index, ["multi"], (t0, t1),
                          extra_keys=set(d) & {"artifactMediaType"})
        config_type = MEDIA_OCI_CONFIG if oci else MEDIA_DOCKER_CONFIG
        for child in (amd, arm):
            self.assertDetail(details[child.digest], repo, child,
                              artifact=config_type)

        # By tag with the list types (and by digest): the list itself.
        list_types = [MEDIA_DOCKER_LIST, MEDIA_OCI_INDEX]
        for image_id in ({"imageTag": "multi"},
                         {"imageDigest": index.digest}):
            out = self.get_one(repo, image_id, accepted=list_types)
            self.assertEqual(out["failures"], [])
            img = out["images"][0]
            self.assertEqual(img["imageManifest"].encode(), index.manifest)
            self.assertEqual(img["imageManifestMediaType"], index.media_type)
        # Without acceptedMediaTypes, the stored manifest.
        out = self.get_one(repo, {"imageTag": "multi"})
        self.assertEqual(out["images"][0]["imageManifest"].encode(),
                         index.manifest)

        # By tag with image types only: a platform image instead.
        child_type = MEDIA_OCI_MANIFEST if oci else MEDIA_DOCKER_MANIFEST
        out = self.get_one(repo, {"imageTag": "multi"},
                           accepted=[child_type])
        self.assertEqual(out["failures"], [], out)
        self.assertEqual(len(out["images"]), 1, out)
        img = out["images"][0]
        self.assertIn(img["imageManifest"].encode(),
                      (amd.manifest, arm.manifest))
        self.assertEqual(img["imageManifestMediaType"], child_type)

        # By digest that is not translated: a failure, no image.
        out = self.get_one(repo, {"imageDigest": index.digest},
                           accepted=[child_type])
        self.assertEqual(out["images"], [], out)
        self.assertEqual([f["imageId"] for f in out["failures"]],
                         [{"imageDigest": index.digest}])

        # The children download like any image.
        for child in (amd, arm):
            for digest, data in child.blobs.items():
                self.assertBlobDownload(repo, digest, data)

    def test_docker_manifest_list(self):
        self.check_list(False)

    def test_oci_index(self):
        self.check_list(True)

    def test_children_cannot_be_deleted_while_the_list_exists(self):
        repo = self.make_repo()
        amd, arm, index = self.build("refd", False)
        self.push(repo, index, "multi")
        self.put(repo, amd.manifest, "amd-only")
        out = self.ecr().batch_delete_image(
            repositoryName=repo,
            imageIds=[{"imageDigest": arm.digest}, {"imageTag": "amd-only"}])
        self.assertEqual(out["imageIds"], [], out)
        self.assertEqual(sorted((f["imageId"].get("imageDigest", ""),
                                 f["imageId"].get("imageTag", ""),
                                 f["failureCode"]) for f in out["failures"]),
                         sorted([(arm.digest, "",
                                  "ImageReferencedByManifestList"),
                                 ("", "amd-only",
                                  "ImageReferencedByManifestList")]))
        self.assertEqual(self.list_ids(repo), sorted(
            [(index.digest, "multi"), (amd.digest, "amd-only"),
             (arm.digest, None)]))

        # Deleting the list leaves its children as images.
        out = self.ecr().batch_delete_image(
            repositoryName=repo, imageIds=[{"imageTag": "multi"}])
        self.assertEqual(out["imageIds"], [{"imageDigest": index.digest,
                                            "imageTag": "multi"}])
        self.assertEqual(out["failures"], [])
        self.assertEqual(self.list_ids(repo), sorted(
            [(amd.digest, "amd-only"), (arm.digest, None)]))
        # And now they can go.
        out = self.ecr().batch_delete_image(
            repositoryName=repo, imageIds=[{"imageDigest": arm.digest}])
        self.assertEqual(out["failures"], [])
        self.assertEqual(self.list_ids(repo), [(amd.digest, "amd-only")])


# ---------------------------------------------------------------------------
# BatchGetImage (docs/ecr-behaviour.md 3.2)


class BatchGetImageTest(ImageHelpers, EcrdTestCase):

    def test_failures_echo_the_request(self):
        repo = self.make_repo()
        a, b = build_image("get-a"), build_image("get-b")
        self.push(repo, a, "a")
        self.push(repo, b, "b")
        missing = fake_digest("get")
        asked = [{"imageTag": "a"},
                 {"imageTag": "nope"},
                 {"imageDigest": missing},
                 {"imageTag": "a", "imageDigest": a.digest},
                 {"imageTag": "a", "imageDigest": b.digest},
                 {}]
        body = self.assertOk(self.api("BatchGetImage", {
            "repositoryName": repo, "imageIds": asked}))
        self.assertEqual(set(body), {"images", "failures"}, body)
        self.assertEqual(len(body["images"]), 2, body)
        for img in body["images"]:
            self.assertEqual(set(img), IMAGE_KEYS)
            self.assertEqual(img["imageId"], {"imageDigest": a.digest,
                                              "imageTag": "a"})
            self.assertEqual(img["imageManifest"].encode(), a.manifest)
        by_id = {json.dumps(f["imageId"], sort_keys=True): f
                 for f in body["failures"]}
        self.assertEqual(len(by_id), 4, body["failures"])

        def failure(image_id):
            f = by_id[json.dumps(image_id, sort_keys=True)]
            self.assertEqual(set(f), {"imageId", "failureCode",
                                      "failureReason"}, f)
            return f
        for image_id in ({"imageTag": "nope"}, {"imageDigest": missing}):
            f = failure(image_id)
            self.assertEqual((f["failureCode"], f["failureReason"]),
                             ("ImageNotFound", NOT_FOUND_REASON))
        self.assertEqual(failure({"imageTag": "a", "imageDigest": b.digest})
                         ["failureCode"], "ImageTagDoesNotMatchDigest")
        self.assertEqual(failure({})["failureCode"], "MissingDigestAndTag")

    def test_everything_failing_is_still_200(self):
        repo = self.make_repo()
        body = self.assertOk(self.api("BatchGetImage", {
            "repositoryName": repo, "imageIds": [{"imageTag": "x"}]}))
        self.assertEqual(body, {"images": [], "failures": [{
            "imageId": {"imageTag": "x"}, "failureCode": "ImageNotFound",
            "failureReason": NOT_FOUND_REASON}]})

    def test_missing_repository(self):
        name = unique_name("img")
        with self.assertRaises(Exception) as cm:
            self.ecr().batch_get_image(repositoryName=name,
                                       imageIds=[{"imageTag": "x"}])
        self.assertClientError(cm, "RepositoryNotFoundException",
                               not_found_message(name))

    def test_stored_type_accepted_returns_the_bytes_unchanged(self):
        repo = self.make_repo()
        docker, oci = build_image("acc-docker"), build_image("acc-oci",
                                                             oci=True)
        self.push(repo, docker, "d")
        self.push(repo, oci, "o")
        both = [MEDIA_DOCKER_MANIFEST, MEDIA_OCI_MANIFEST]
        for tag, image in (("d", docker), ("o", oci)):
            for accepted in ([image.media_type], both):
                out = self.get_one(repo, {"imageTag": tag}, accepted=accepted)
                self.assertEqual(out["failures"], [])
                img = out["images"][0]
                self.assertEqual(img["imageManifest"].encode(),
                                 image.manifest)
                self.assertEqual(img["imageManifestMediaType"],
                                 image.media_type)

    def test_docker_v2_translated_to_oci_by_tag_only(self):
        repo = self.make_repo()
        image = build_image("translate")
        self.push(repo, image, "t")
        out = self.get_one(repo, {"imageTag": "t"},
                           accepted=[MEDIA_OCI_MANIFEST])
        self.assertEqual(out["failures"], [], out)
        img = out["images"][0]
        self.assertEqual(img["imageManifestMediaType"], MEDIA_OCI_MANIFEST)
        got = json.loads(img["imageManifest"])
        want = json.loads(image.manifest)
        self.assertEqual(got["schemaVersion"], 2)
        self.assertEqual(got["mediaType"], MEDIA_OCI_MANIFEST)
        self.assertEqual(got["config"]["mediaType"], MEDIA_OCI_CONFIG)
        self.assertEqual((got["config"]["digest"], got["config"]["size"]),
                         (want["config"]["digest"], want["config"]["size"]))
        self.assertEqual([(l["mediaType"], l["digest"], l["size"])
                          for l in got["layers"]],
                         [(MEDIA_OCI_LAYER, l["digest"], l["size"])
                          for l in want["layers"]])
        # By digest the stored bytes are all there is: a failure.
        out = self.get_one(repo, {"imageDigest": image.digest},
                           accepted=[MEDIA_OCI_MANIFEST])
        self.assertEqual(out["images"], [], out)
        self.assertEqual([f["imageId"] for f in out["failures"]],
                         [{"imageDigest": image.digest}])
        # Nothing changed in the repository.
        self.assertEqual(self.list_ids(repo), [(image.digest, "t")])

    def test_image_asked_with_list_types_only_is_not_returned(self):
        repo = self.make_repo()
        image = build_image("list-only")
        self.push(repo, image, "t")
        out = self.get_one(repo, {"imageTag": "t"},
                           accepted=[MEDIA_DOCKER_LIST, MEDIA_OCI_INDEX])
        self.assertEqual(out["images"], [], out)
        self.assertEqual([f["imageId"] for f in out["failures"]],
                         [{"imageTag": "t"}])


# ---------------------------------------------------------------------------
# BatchDeleteImage, DeleteRepository with images, shared blobs


class BatchDeleteImageTest(ImageHelpers, EcrdTestCase):

    def test_by_tag_removes_the_tag_then_the_image(self):
        repo = self.make_repo()
        image = build_image("del-tag")
        self.push(repo, image, "a")
        self.put(repo, image.manifest, "b")
        body = self.assertOk(self.api("BatchDeleteImage", {
            "repositoryName": repo, "imageIds": [{"imageTag": "a"}]}))
        self.assertEqual(body, {"imageIds": [{"imageDigest": image.digest,
                                              "imageTag": "a"}],
                                "failures": []})
        self.assertEqual(self.list_ids(repo), [(image.digest, "b")])
        # Its last tag: the image goes too.
        out = self.ecr().batch_delete_image(repositoryName=repo,
                                            imageIds=[{"imageTag": "b"}])
        self.assertEqual(out["imageIds"], [{"imageDigest": image.digest,
                                            "imageTag": "b"}])
        self.assertEqual(self.list_ids(repo), [])
        with self.assertRaises(Exception) as cm:
            self.ecr().describe_images(repositoryName=repo,
                                       imageIds=[{"imageDigest":
                                                  image.digest}])
        self.assertClientError(cm, "ImageNotFoundException",
                               image_not_found_message(repo, image.digest))

    def test_by_digest_deletes_the_image_and_every_tag(self):
        repo = self.make_repo()
        image, other = build_image("del-digest"), build_image("del-other")
        self.push(repo, image, "a")
        self.put(repo, image.manifest, "b")
        self.push(repo, other, "c")
        out = self.ecr().batch_delete_image(
            repositoryName=repo, imageIds=[{"imageDigest": image.digest}])
        self.assertEqual(out["failures"], [])
        self.assertTrue(out["imageIds"])
        # [unconfirmed] one entry or one per tag: each names the digest.
        for entry in out["imageIds"]:
            self.assertEqual(entry["imageDigest"], image.digest)
            self.assertIn(entry.get("imageTag", "a"), ("a", "b"))
        self.assertEqual(self.list_ids(repo), [(other.digest, "c")])
        out = self.get_one(repo, {"imageTag": "a"})
        self.assertEqual([f["failureCode"] for f in out["failures"]],
                         ["ImageNotFound"])

    def test_failures(self):
        repo = self.make_repo()
        a, b = build_image("delf-a"), build_image("delf-b")
        self.push(repo, a, "a")
        self.push(repo, b, "b")
        missing = fake_digest("delete")
        body = self.assertOk(self.api("BatchDeleteImage", {
            "repositoryName": repo, "imageIds": [
                {"imageTag": "nope"}, {"imageDigest": missing}, {},
                {"imageTag": "a", "imageDigest": b.digest}]}))
        self.assertEqual(body["imageIds"], [])
        got = sorted(body["failures"],
                     key=lambda f: json.dumps(f["imageId"], sort_keys=True))
        want = sorted([
            {"imageId": {"imageTag": "nope"}, "failureCode": "ImageNotFound",
             "failureReason": NOT_FOUND_REASON},
            {"imageId": {"imageDigest": missing},
             "failureCode": "ImageNotFound",
             "failureReason": NOT_FOUND_REASON},
            {"imageId": {}, "failureCode": "MissingDigestAndTag",
             "failureReason": MISSING_DIGEST_AND_TAG_REASON}],
            key=lambda f: json.dumps(f["imageId"], sort_keys=True))
        mismatch = [f for f in got if f["imageId"] == {
            "imageTag": "a", "imageDigest": b.digest}]
        self.assertEqual(len(mismatch), 1, got)
        self.assertEqual(mismatch[0]["failureCode"],
                         "ImageTagDoesNotMatchDigest")
        self.assertEqual([f for f in got if f not in mismatch], want)
        # Nothing was deleted.
        self.assertEqual(self.list_ids(repo), sorted(
            [(a.digest, "a"), (b.digest, "b")]))

    def test_tag_and_matching_digest(self):
        repo = self.make_repo()
        image = build_image("del-both")
        self.push(repo, image, "a")
        self.put(repo, image.manifest, "b")
        out = self.ecr().batch_delete_image(
            repositoryName=repo, imageIds=[{"imageTag": "a",
                                            "imageDigest": image.digest}])
        self.assertEqual(out["failures"], [])
        self.assertEqual(out["imageIds"], [{"imageDigest": image.digest,
                                            "imageTag": "a"}])
        self.assertEqual(self.list_ids(repo), [(image.digest, "b")])

    def test_missing_repository(self):
        name = unique_name("img")
        with self.assertRaises(Exception) as cm:
            self.ecr().batch_delete_image(repositoryName=name,
                                          imageIds=[{"imageTag": "x"}])
        self.assertClientError(cm, "RepositoryNotFoundException",
                               not_found_message(name))

    def test_delete_repository_with_images(self):
        repo = self.make_repo()
        self.push(repo, build_image("not-empty"), "t")
        with self.assertRaises(Exception) as cm:
            self.ecr().delete_repository(repositoryName=repo)
        self.assertClientError(cm, "RepositoryNotEmptyException",
                               not_empty_message(repo))
        self.assertEqual(len(self.list_ids(repo)), 1)
        out = self.ecr().delete_repository(repositoryName=repo, force=True)
        self.assertEqual(out["repository"]["repositoryName"], repo)
        with self.assertRaises(Exception) as cm:
            self.ecr().list_images(repositoryName=repo)
        self.assertClientError(cm, "RepositoryNotFoundException",
                               not_found_message(repo))
        # The name starts empty again.
        self.ecr().create_repository(repositoryName=repo)
        self.assertEqual(self.list_ids(repo), [])

    def test_untagged_only_repository_is_not_empty(self):
        repo = self.make_repo()
        image = build_image("untagged-only")
        self.push(repo, image, digest=image.digest)
        with self.assertRaises(Exception) as cm:
            self.ecr().delete_repository(repositoryName=repo)
        self.assertClientError(cm, "RepositoryNotEmptyException",
                               not_empty_message(repo))

    def test_uploaded_layers_alone_do_not_block_delete(self):
        repo = self.make_repo()
        upload_layer(self.ecr(), repo, b"a layer but no image")
        out = self.ecr().delete_repository(repositoryName=repo)
        self.assertEqual(out["repository"]["repositoryName"], repo)

    def test_shared_blobs_outlive_one_image(self):
        repo, other = self.make_repo(), self.make_repo()
        shared, _ = tar_layer({"shared.txt": b"shared by two images\n"})
        mine, _ = tar_layer({"mine.txt": b"only the first\n"})
        config = b'{"architecture":"amd64","os":"linux"}'
        for r in (repo, other):
            for blob in (shared, mine, config):
                upload_layer(self.ecr(), r, blob)

        def image(layers, note):
            obj = {"schemaVersion": 2, "mediaType": MEDIA_OCI_MANIFEST,
                   "config": descriptor(MEDIA_OCI_CONFIG, config),
                   "layers": [descriptor(MEDIA_OCI_LAYER, l)
                              for l in layers],
                   "annotations": {"note": note}}
            return manifest_json(obj)
        first, second = image([shared, mine], "1"), image([shared], "2")
        self.put(repo, first, "first")
        self.put(repo, second, "second")
        self.put(other, first, "first")
        self.ecr().batch_delete_image(repositoryName=repo,
                                      imageIds=[{"imageTag": "first"}])
        self.assertBlobDownload(repo, sha256_digest(shared), shared)
        self.assertBlobDownload(repo, sha256_digest(config), config)
        # The other repository's image still has every blob.
        self.ecr().delete_repository(repositoryName=repo, force=True)
        for blob in (shared, mine, config):
            self.assertBlobDownload(other, sha256_digest(blob), blob)


# ---------------------------------------------------------------------------
# ListImages and DescribeImages (docs/ecr-behaviour.md 2.2, 3.2)


class ListAndDescribeTest(ImageHelpers, EcrdTestCase):

    def populate(self):
        """7 images: 4 with one tag, 2 with two tags, 1 untagged."""
        repo = self.make_repo()
        images = [build_image("list-%d-%s" % (i, repo), n_layers=1)
                  for i in range(7)]
        entries = []
        for i, image in enumerate(images):
            if i == 6:
                self.push(repo, image, digest=image.digest)
                entries.append((image.digest, None))
                continue
            self.push(repo, image, "t%d" % i)
            entries.append((image.digest, "t%d" % i))
            if i >= 4:
                self.put(repo, image.manifest, "extra%d" % i)
                entries.append((image.digest, "extra%d" % i))
        return repo, images, sorted(entries)

    def test_empty_repository_wire_shape(self):
        repo = self.make_repo()
        body = self.assertOk(self.api("ListImages", {"repositoryName": repo}))
        self.assertEqual(body, {"imageIds": []})
        body = self.assertOk(self.api("DescribeImages",
                                      {"repositoryName": repo}))
        self.assertEqual(body, {"imageDetails": []})

    def test_one_entry_per_tag_and_per_untagged_image(self):
        repo, images, entries = self.populate()
        self.assertEqual(len(entries), 9)
        self.assertEqual(self.list_ids(repo), entries)
        self.assertEqual(self.list_ids(repo, tagStatus="ANY"), entries)
        self.assertEqual(self.list_ids(repo, tagStatus="TAGGED"),
                         [e for e in entries if e[1] is not None])
        self.assertEqual(self.list_ids(repo, tagStatus="UNTAGGED"),
                         [(images[6].digest, None)])

    def test_list_images_pages(self):
        repo, _, entries = self.populate()
        seen, tokens, token = [], set(), None
        while True:
            kw = {"repositoryName": repo, "maxResults": 3}
            if token:
                kw["nextToken"] = token
            out = self.ecr().list_images(**kw)
            self.assertLessEqual(len(out["imageIds"]), 3)
            seen += [id_key(i) for i in out["imageIds"]]
            token = out.get("nextToken")
            if not token:
                break
            self.assertNotEqual(token, "")
            self.assertNotIn(token, tokens)
            tokens.add(token)
            self.assertLess(len(tokens), 10, "pagination did not end")
        self.assertEqual(len(seen), len(entries))
        self.assertEqual(sorted(seen), entries)
        pages = list(self.ecr().get_paginator("list_images").paginate(
            repositoryName=repo, PaginationConfig={"PageSize": 2}))
        self.assertGreaterEqual(len(pages), 5)
        self.assertEqual(sorted(id_key(i) for p in pages
                                for i in p["imageIds"]), entries)
        # Everything on one page: no token.
        out = self.ecr().list_images(repositoryName=repo, maxResults=1000)
        self.assertNotIn("nextToken", out)
        self.assertEqual(sorted(id_key(i) for i in out["imageIds"]), entries)

    def test_describe_images_pages_by_image(self):
        repo, images, _ = self.populate()
        pages = list(self.ecr().get_paginator("describe_images").paginate(
            repositoryName=repo, PaginationConfig={"PageSize": 2}))
        self.assertGreaterEqual(len(pages), 4)
        got = [d for p in pages for d in p["imageDetails"]]
        self.assertEqual(sorted(d["imageDigest"] for d in got),
                         sorted(i.digest for i in images))
        by_digest = {d["imageDigest"]: d for d in got}
        for i, image in enumerate(images):
            tags = [] if i == 6 else ["t%d" % i] + (
                ["extra%d" % i] if i >= 4 else [])
            self.assertDetail(by_digest[image.digest], repo, image, tags,
                              artifact=MEDIA_DOCKER_CONFIG)
        tagged = self.details(repo, tagStatus="TAGGED")
        self.assertEqual(set(tagged), {i.digest for i in images[:6]})
        untagged = self.details(repo, tagStatus="UNTAGGED")
        self.assertEqual(set(untagged), {images[6].digest})

    def test_describe_by_ids_lists_every_tag(self):
        repo, images, _ = self.populate()
        out = self.ecr().describe_images(repositoryName=repo, imageIds=[
            {"imageTag": "extra5"}, {"imageDigest": images[6].digest}])
        self.assertNotIn("nextToken", out)
        got = {d["imageDigest"]: d for d in out["imageDetails"]}
        self.assertEqual(set(got), {images[5].digest, images[6].digest})
        self.assertEqual(sorted(got[images[5].digest]["imageTags"]),
                         ["extra5", "t5"])
        self.assertNotIn("imageTags", got[images[6].digest])

    def test_describe_with_a_missing_id_fails_the_call(self):
        repo, images, _ = self.populate()
        missing = fake_digest("describe")
        cases = [({"imageTag": "nope"}, None, "nope"),
                 ({"imageDigest": missing}, missing, None)]
        for image_id, digest, tag in cases:
            with self.subTest(image_id=image_id):
                with self.assertRaises(Exception) as cm:
                    self.ecr().describe_images(
                        repositoryName=repo,
                        imageIds=[{"imageTag": "t0"}, image_id])
                self.assertClientError(
                    cm, "ImageNotFoundException",
                    image_not_found_message(repo, digest, tag))

    def test_ids_with_paging_members_are_refused(self):
        repo, _, _ = self.populate()
        for extra in ({"maxResults": 5}, {"filter": {"tagStatus": "ANY"}}):
            with self.subTest(extra=extra):
                with self.assertRaises(Exception) as cm:
                    self.ecr().describe_images(
                        repositoryName=repo, imageIds=[{"imageTag": "t0"}],
                        **extra)
                self.assertClientError(cm, "InvalidParameterException")

    def test_bad_paging_parameters(self):
        repo = self.make_repo()
        for op in ("list_images", "describe_images"):
            with self.subTest(op=op):
                with self.assertRaises(Exception) as cm:
                    getattr(self.ecr(), op)(repositoryName=repo,
                                            maxResults=1001)
                self.assertClientError(cm, "InvalidParameterException",
                                       message_contains="maxResults")
                with self.assertRaises(Exception) as cm:
                    getattr(self.ecr(), op)(repositoryName=repo,
                                            nextToken="garbage")
                self.assertClientError(cm, "InvalidParameterException",
                                       message_contains="nextToken")

    def test_missing_repository(self):
        name = unique_name("img")
        for op in ("list_images", "describe_images"):
            with self.subTest(op=op):
                with self.assertRaises(Exception) as cm:
                    getattr(self.ecr(), op)(repositoryName=name)
                self.assertClientError(cm, "RepositoryNotFoundException",
                                       not_found_message(name))

    def test_timestamps_are_epoch_numbers(self):
        repo = self.make_repo()
        image = build_image("wire-times")
        self.push(repo, image, "t")
        self.get_one(repo, {"imageTag": "t"})

        def pulled():
            body = self.assertOk(self.api("DescribeImages", {
                "repositoryName": repo,
                "imageIds": [{"imageTag": "t"}]}))
            d = body["imageDetails"][0]
            return d if "lastRecordedPullTime" in d else None
        d = poll(pulled, PULL_RECORD_TIMEOUT_S, "lastRecordedPullTime")
        for key in ("imagePushedAt", "lastRecordedPullTime"):
            self.assertIsInstance(d[key], (int, float), key)
            self.assertNotIsInstance(d[key], bool, key)
        self.assertIsInstance(d["imageSizeInBytes"], int)


# ---------------------------------------------------------------------------
# ListImageReferrers (OCI 1.1 subject)


class ReferrersTest(ImageHelpers, EcrdTestCase):
    SBOM = "application/vnd.example.sbom.v1"
    SIG = "application/vnd.example.signature.v1"

    def test_referrers_of_an_image(self):
        repo = self.make_repo()
        subject = build_image("subject", oci=True)
        other = build_image("not-a-subject", oci=True)
        self.push(repo, subject, "app")
        self.push(repo, other, "other")
        sbom = build_referrer(subject, self.SBOM, b'{"sbom": true}\n',
                              "application/spdx+json",
                              annotations={"org.example.kind": "sbom"})
        sig = build_referrer(subject, self.SIG, b"signature bytes",
                             "application/octet-stream")
        unrelated = build_referrer(other, self.SBOM, b'{"sbom": 2}\n',
                                   "application/spdx+json")
        for r in (sbom, sig, unrelated):
            got = self.push(repo, r, digest=r.digest)
            self.assertPutResult(got, repo, r)

        body = self.assertOk(self.api("ListImageReferrers", {
            "repositoryName": repo,
            "subjectId": {"imageDigest": subject.digest}}))
        self.assertEqual(set(body), {"referrers"}, body)
        got = {r["digest"]: r for r in body["referrers"]}
        self.assertEqual(set(got), {sbom.digest, sig.digest})
        self.assertEqual(got[sbom.digest], {
            "digest": sbom.digest, "mediaType": MEDIA_OCI_MANIFEST,
            "artifactType": self.SBOM, "size": len(sbom.manifest),
            "annotations": {"org.example.kind": "sbom"},
            "artifactStatus": "ACTIVE"})
        entry = dict(got[sig.digest])
        # [unconfirmed] whether an empty annotations map is sent.
        self.assertEqual(entry.pop("annotations", {}), {})
        self.assertEqual(entry, {
            "digest": sig.digest, "mediaType": MEDIA_OCI_MANIFEST,
            "artifactType": self.SIG, "size": len(sig.manifest),
            "artifactStatus": "ACTIVE"})

        # filter.artifactTypes
        out = self.ecr().list_image_referrers(
            repositoryName=repo, subjectId={"imageDigest": subject.digest},
            filter={"artifactTypes": [self.SIG]})
        self.assertEqual([r["digest"] for r in out["referrers"]],
                         [sig.digest])
        out = self.ecr().list_image_referrers(
            repositoryName=repo, subjectId={"imageDigest": subject.digest},
            filter={"artifactTypes": ["application/vnd.example.none"]})
        self.assertEqual(out["referrers"], [])

        # The referrer is an image of its own that names its subject.
        d = self.detail(repo, sbom.digest)
        self.assertDetail(d, repo, sbom, artifact=self.SBOM,
                          subject=subject.digest)
        self.assertNotIn("subjectManifestDigest",
                         self.detail(repo, subject.digest))
        out = self.get_one(repo, {"imageDigest": sbom.digest})
        self.assertEqual(out["images"][0]["imageManifest"].encode(),
                         sbom.manifest)
        for digest, data in sbom.blobs.items():
            self.assertBlobDownload(repo, digest, data)

    def test_no_referrers(self):
        repo = self.make_repo()
        image = build_image("lonely", oci=True)
        self.push(repo, image, "t")
        out = self.ecr().list_image_referrers(
            repositoryName=repo, subjectId={"imageDigest": image.digest})
        self.assertEqual(out["referrers"], [])
        self.assertNotIn("nextToken", out)

    def test_referrer_pages(self):
        repo = self.make_repo()
        subject = build_image("paged-subject", oci=True)
        self.push(repo, subject, "t")
        want = set()
        for i in range(5):
            r = build_referrer(subject, self.SIG, b"sig %d" % i,
                               "application/octet-stream")
            self.push(repo, r, digest=r.digest)
            want.add(r.digest)
        seen, token, calls = [], None, 0
        while True:
            kw = {"repositoryName": repo, "maxResults": 2,
                  "subjectId": {"imageDigest": subject.digest}}
            if token:
                kw["nextToken"] = token
            out = self.ecr().list_image_referrers(**kw)
            self.assertLessEqual(len(out["referrers"]), 2)
            seen += [r["digest"] for r in out["referrers"]]
            calls += 1
            token = out.get("nextToken")
            if not token:
                break
            self.assertLess(calls, 10, "pagination did not end")
        self.assertEqual(sorted(seen), sorted(want))
        with self.assertRaises(Exception) as cm:
            self.ecr().list_image_referrers(
                repositoryName=repo, maxResults=51,
                subjectId={"imageDigest": subject.digest})
        self.assertClientError(cm, "InvalidParameterException",
                               message_contains="maxResults")

    def test_missing_repository(self):
        name = unique_name("img")
        with self.assertRaises(Exception) as cm:
            self.ecr().list_image_referrers(
                repositoryName=name,
                subjectId={"imageDigest": fake_digest("ref")})
        self.assertClientError(cm, "RepositoryNotFoundException",
                               not_found_message(name))


# ---------------------------------------------------------------------------
# Archive storage class (docs/ecr-behaviour.md 3.14) and replication status


class ArchiveTest(ImageHelpers, EcrdTestCase):

    def storage(self, repo, image_id, target):
        return self.ecr().update_image_storage_class(
            repositoryName=repo, imageId=image_id,
            targetStorageClass=target)

    def test_archive_hides_and_restore_brings_back(self):
        repo = self.make_repo()
        image, kept = build_image("archive"), build_image("kept")
        self.push(repo, image, "old")
        self.push(repo, kept, "kept")
        body = self.assertOk(self.api("UpdateImageStorageClass", {
            "repositoryName": repo, "imageId": {"imageDigest": image.digest},
            "targetStorageClass": "ARCHIVE"}))
        self.assertEqual(set(body), {"registryId", "repositoryName",
                                     "imageId", "imageStatus"}, body)
        self.assertEqual(body["registryId"], DEFAULT_ACCOUNT)
        self.assertEqual(body["repositoryName"], repo)
        self.assertEqual(body["imageId"]["imageDigest"], image.digest)
        self.assertEqual(body["imageStatus"], "ARCHIVED")

        # Hidden by default; shown with imageStatus ARCHIVED or ANY.
        self.assertEqual(self.list_ids(repo), [(kept.digest, "kept")])
        self.assertEqual(set(self.details(repo)), {kept.digest})
        self.assertEqual([d for d, _ in self.list_ids(
            repo, imageStatus="ARCHIVED")], [image.digest])
        self.assertEqual({d for d, _ in self.list_ids(repo,
                                                      imageStatus="ANY")},
                         {image.digest, kept.digest})
        archived = self.details(repo, imageStatus="ARCHIVED")
        self.assertEqual(set(archived), {image.digest})
        self.assertDetail(archived[image.digest], repo, image, ["old"],
                          artifact=MEDIA_DOCKER_CONFIG, status="ARCHIVED",
                          extra_keys={"lastArchivedAt"})

        # An archived image cannot be pulled.
        for image_id in ({"imageTag": "old"}, {"imageDigest": image.digest}):
            out = self.get_one(repo, image_id)
            self.assertEqual(out["images"], [], out)
            self.assertEqual([f["imageId"] for f in out["failures"]],
                             [image_id])

        # STANDARD restores it: ACTIVATING, then ACTIVE. The restore delay
        # is ecrd's choice (docs/ecr-behaviour.md 3.14); with none the answer
        # may already be ACTIVE.
        out = self.storage(repo, {"imageDigest": image.digest}, "STANDARD")
        self.assertIn(out["imageStatus"], ("ACTIVATING", "ACTIVE"))

        def active():
            d = self.details(repo, imageStatus="ANY").get(image.digest)
            return d if d and d["imageStatus"] == "ACTIVE" else None
        d = poll(active, RESTORE_TIMEOUT_S, "the image to be ACTIVE again")
        self.assertIn("lastActivatedAt", d)
        self.assertEqual(self.list_ids(repo), sorted(
            [(kept.digest, "kept"), (image.digest, "old")]))
        out = self.get_one(repo, {"imageTag": "old"})
        self.assertEqual(out["images"][0]["imageManifest"].encode(),
                         image.manifest)

    def test_re_push_restores_at_once(self):
        repo = self.make_repo()
        image = build_image("archive-repush")
        self.push(repo, image, "v1")
        self.storage(repo, {"imageTag": "v1"}, "ARCHIVE")
        got = self.put(repo, image.manifest, "v2")
        self.assertEqual(got["imageId"], {"imageDigest": image.digest,
                                          "imageTag": "v2"})
        d = self.detail(repo, image.digest)
        self.assertEqual(d["imageStatus"], "ACTIVE")
        self.assertEqual(sorted(d["imageTags"]), ["v1", "v2"])
        out = self.get_one(repo, {"imageTag": "v1"})
        self.assertEqual(out["images"][0]["imageManifest"].encode(),
                         image.manifest)

    def availability(self, repo, digests):
        out = self.ecr().batch_check_layer_availability(
            repositoryName=repo, layerDigests=digests)
        self.assertEqual(out["failures"], [], out)
        self.assertEqual([l["layerDigest"] for l in out["layers"]], digests)
        return [l["layerAvailability"] for l in out["layers"]]

    def test_layers_of_archived_images_are_archived(self):
        # A layer is ARCHIVED when every image naming it is archived
        # (docs/ecr-behaviour.md 3.3); one active image keeps it AVAILABLE,
        # as does being uploaded with no image at all.
        repo = self.make_repo()
        image = build_image("archive-layers", n_layers=2)
        shared, own = image.layers[0]["digest"], image.layers[1]["digest"]
        config = image.config["digest"]
        other = manifest_json({"schemaVersion": 2,
                               "mediaType": MEDIA_DOCKER_MANIFEST,
                               "config": image.config,
                               "layers": [image.layers[0]]})
        loose = build_image("archive-loose", n_layers=1)
        self.push(repo, image, "archived")
        self.put(repo, other, "other")
        push_blobs(self.ecr(), repo,
                   {loose.layers[0]["digest"]: loose.blobs[
                       loose.layers[0]["digest"]]})
        asked = [shared, own, config, loose.layers[0]["digest"]]
        self.assertEqual(self.availability(repo, asked), ["AVAILABLE"] * 4)

        self.storage(repo, {"imageTag": "archived"}, "ARCHIVE")
        self.assertEqual(self.availability(repo, asked),
                         ["AVAILABLE", "ARCHIVED", "AVAILABLE", "AVAILABLE"])
        self.storage(repo, {"imageTag": "other"}, "ARCHIVE")
        self.assertEqual(self.availability(repo, asked),
                         ["ARCHIVED", "ARCHIVED", "ARCHIVED", "AVAILABLE"])

        # Restoring one brings back the layers it names.
        self.storage(repo, {"imageTag": "other"}, "STANDARD")
        self.assertEqual(self.availability(repo, asked),
                         ["AVAILABLE", "ARCHIVED", "AVAILABLE", "AVAILABLE"])
        # Deleting the last active image leaves its layers archived ones.
        self.ecr().batch_delete_image(repositoryName=repo,
                                      imageIds=[{"imageTag": "other"}])
        self.assertEqual(self.availability(repo, asked),
                         ["ARCHIVED", "ARCHIVED", "ARCHIVED", "AVAILABLE"])

    def test_unknown_image_and_repository(self):
        repo = self.make_repo()
        missing = fake_digest("archive")
        with self.assertRaises(Exception) as cm:
            self.storage(repo, {"imageDigest": missing}, "ARCHIVE")
        self.assertClientError(cm, "ImageNotFoundException",
                               image_not_found_message(repo, missing))
        name = unique_name("img")
        with self.assertRaises(Exception) as cm:
            self.storage(name, {"imageDigest": missing}, "ARCHIVE")
        self.assertClientError(cm, "RepositoryNotFoundException",
                               not_found_message(name))

    def test_replication_status(self):
        repo = self.make_repo()
        image = build_image("replication")
        self.push(repo, image, "t")
        body = self.assertOk(self.api("DescribeImageReplicationStatus", {
            "repositoryName": repo,
            "imageId": {"imageDigest": image.digest}}))
        self.assertEqual(set(body), {"repositoryName", "imageId",
                                     "replicationStatuses"}, body)
        self.assertEqual(body["repositoryName"], repo)
        self.assertEqual(body["replicationStatuses"], [])
        self.assertEqual(body["imageId"]["imageDigest"], image.digest)
        missing = fake_digest("replication")
        with self.assertRaises(Exception) as cm:
            self.ecr().describe_image_replication_status(
                repositoryName=repo, imageId={"imageDigest": missing})
        self.assertClientError(cm, "ImageNotFoundException",
                               image_not_found_message(repo, missing))


# ---------------------------------------------------------------------------
# The aws CLI v1 and v2


class CliImageCases(ImageHelpers):
    cli_major = None
    # Members a CLI whose bundled model predates them leaves out.
    NEWER_DETAIL_MEMBERS = ("imageStatus",)

    @classmethod
    def setUpClass(cls):
        if harness.find_cli(cls.cli_major) is None:
            raise unittest.SkipTest("aws CLI v%d is not installed"
                                    % cls.cli_major)
        super().setUpClass()

    def aws(self, *args, **kw):
        return self.cli(self.cli_major, *args, **kw)

    def populate(self, n=8):
        """n tagged images, one of them with a second tag, one untagged."""
        repo = self.make_repo()
        images = [build_image("cli-%d-%s" % (i, repo), n_layers=1)
                  for i in range(n)]
        entries = []
        for i, image in enumerate(images[:-1]):
            self.push(repo, image, "t%d" % i)
            entries.append((image.digest, "t%d" % i))
        self.put(repo, images[0].manifest, "also")
        entries.append((images[0].digest, "also"))
        self.push(repo, images[-1], digest=images[-1].digest)
        entries.append((images[-1].digest, None))
        return repo, images, sorted(entries)

    def test_list_images_page_size_and_max_items(self):
        repo, images, entries = self.populate()
        seen, token, calls = [], None, 0
        while True:
            args = ["ecr", "list-images", "--repository-name", repo,
                    "--page-size", "3", "--max-items", "4"]
            if token:
                args += ["--starting-token", token]
            out = self.assertCliOk(self.aws(*args))
            calls += 1
            self.assertLessEqual(len(out["imageIds"]), 4)
            seen += [id_key(i) for i in out["imageIds"]]
            token = out.get("NextToken")
            if not token:
                break
            self.assertLess(calls, 6, "pagination did not end")
        self.assertEqual(calls, 3)
        self.assertEqual(sorted(seen), entries)
        out = self.assertCliOk(self.aws("ecr", "list-images",
                                        "--repository-name", repo,
                                        "--page-size", "2"))
        self.assertEqual(sorted(id_key(i) for i in out["imageIds"]), entries)
        self.assertNotIn("NextToken", out)
        out = self.assertCliOk(self.aws("ecr", "list-images",
                                        "--repository-name", repo,
                                        "--filter", "tagStatus=UNTAGGED"))
        self.assertEqual([id_key(i) for i in out["imageIds"]],
                         [(images[-1].digest, None)])

    def test_describe_images(self):
        repo, images, _ = self.populate()
        out = self.assertCliOk(self.aws("ecr", "describe-images",
                                        "--repository-name", repo,
                                        "--page-size", "3"))
        self.assertNotIn("NextToken", out)
        got = {d["imageDigest"]: d for d in out["imageDetails"]}
        self.assertEqual(set(got), {i.digest for i in images})
        self.assertDetail(got[images[0].digest], repo, images[0],
                          ["t0", "also"], artifact=MEDIA_DOCKER_CONFIG,
                          may_lack=self.NEWER_DETAIL_MEMBERS)
        self.assertDetail(got[images[-1].digest], repo, images[-1],
                          artifact=MEDIA_DOCKER_CONFIG,
                          may_lack=self.NEWER_DETAIL_MEMBERS)
        out = self.assertCliOk(self.aws(
            "ecr", "describe-images", "--repository-name", repo,
            "--max-items", "5"))
        self.assertEqual(len(out["imageDetails"]), 5)
        self.assertTrue(out.get("NextToken"))
        out = self.assertCliOk(self.aws(
            "ecr", "describe-images", "--repository-name", repo,
            "--image-ids", "imageTag=also"))
        self.assertEqual([d["imageDigest"] for d in out["imageDetails"]],
                         [images[0].digest])
        self.assertEqual(sorted(out["imageDetails"][0]["imageTags"]),
                         ["also", "t0"])
        res = self.aws("ecr", "describe-images", "--repository-name", repo,
                       "--image-ids", "imageTag=nope")
        self.assertCliError(res, "ImageNotFoundException",
                            image_not_found_message(repo, None, "nope"))

    def test_put_image_and_batch_get_image(self):
        repo = self.make_repo()
        image = build_image("cli-put")
        push_blobs(self.ecr(), repo, image.blobs)
        tmp = tempfile.mkdtemp(prefix="e2e-manifest-")
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, "manifest.json")
        with open(path, "wb") as f:
            f.write(image.manifest)
        out = self.assertCliOk(self.aws(
            "ecr", "put-image", "--repository-name", repo,
            "--image-tag", "cli", "--image-manifest", "file://" + path))
        self.assertPutResult(out["image"], repo, image, "cli")
        out = self.assertCliOk(self.aws(
            "ecr", "batch-get-image", "--repository-name", repo,
            "--image-ids", "imageTag=cli", "imageTag=nope"))
        self.assertEqual([i["imageManifest"].encode() for i in out["images"]],
                         [image.manifest])
        self.assertEqual(out["failures"], [{
            "imageId": {"imageTag": "nope"}, "failureCode": "ImageNotFound",
            "failureReason": NOT_FOUND_REASON}])
        res = self.aws("ecr", "put-image", "--repository-name", repo,
                       "--image-tag", "cli", "--image-manifest",
                       "file://" + path)
        self.assertCliError(res, "ImageAlreadyExistsException",
                            image_exists_message(repo, image.digest, "cli"))

    def test_batch_delete_image(self):
        repo, images, entries = self.populate(4)
        out = self.assertCliOk(self.aws(
            "ecr", "batch-delete-image", "--repository-name", repo,
            "--image-ids", "imageTag=t1", "imageTag=nope",
            "imageDigest=" + images[2].digest))
        deleted = sorted(id_key(i) for i in out["imageIds"])
        self.assertIn((images[1].digest, "t1"), deleted)
        self.assertEqual({d for d, _ in deleted},
                         {images[1].digest, images[2].digest})
        self.assertEqual(out["failures"], [{
            "imageId": {"imageTag": "nope"}, "failureCode": "ImageNotFound",
            "failureReason": NOT_FOUND_REASON}])
        left = self.assertCliOk(self.aws("ecr", "list-images",
                                         "--repository-name", repo))
        self.assertEqual(sorted(id_key(i) for i in left["imageIds"]),
                         [e for e in entries
                          if e[0] not in (images[1].digest,
                                          images[2].digest)])
        res = self.aws("ecr", "delete-repository", "--repository-name", repo)
        self.assertCliError(res, "RepositoryNotEmptyException",
                            not_empty_message(repo))
        self.assertCliOk(self.aws("ecr", "delete-repository",
                                  "--repository-name", repo, "--force"))


class CliV1ImagesTest(CliImageCases, EcrdTestCase):
    cli_major = 1


class CliV2ImagesTest(CliImageCases, EcrdTestCase):
    cli_major = 2


# ---------------------------------------------------------------------------
# Restart and kill -9: what was acknowledged is there, whole


class ImagePersistenceTest(ImageHelpers, harness.OwnServersTestCase):
    """No shared server: each test starts its own on a data directory."""

    tmp_prefix = "e2e-images-"

    def test_restart_keeps_images_tags_layers_and_uploads(self):
        data = os.path.join(self.tmp, "data")
        first = self.start(data_dir=data)
        c = self.ecr(server=first)
        repo = self.make_repo(client=c)
        image = build_image("persist", big_layer=MIN_LAYER_PART + 100)
        old = build_image("persist-old", oci=True)
        push_image(c, repo, old, "latest")
        push_image(c, repo, image, "latest")
        c.put_image(repositoryName=repo, imageManifest=image.text,
                    imageTag="v1")
        loose = upload_layer(c, repo, b"uploaded, not referenced")
        # An upload in progress: one 5 MiB part before the restart.
        pending = harness.seeded_bytes("pending", MIN_LAYER_PART + 5000)
        upload_id = c.initiate_layer_upload(repositoryName=repo)["uploadId"]
        c.upload_layer_part(repositoryName=repo, uploadId=upload_id,
                            partFirstByte=0, partLastByte=MIN_LAYER_PART - 1,
                            layerPartBlob=pending[:MIN_LAYER_PART])
        ids_before = self.list_ids(repo, client=c)
        details_before = self.details(repo, client=c)
        first.stop()

        second = self.start(data_dir=data)
        c = self.ecr(server=second)
        self.assertEqual(self.list_ids(repo, client=c), ids_before)
        self.assertEqual(ids_before, sorted(
            [(image.digest, "latest"), (image.digest, "v1"),
             (old.digest, None)]))
        self.assertEqual(self.details(repo, client=c), details_before)
        for tag in ("latest", "v1"):
            out = self.get_one(repo, {"imageTag": tag}, client=c)
            self.assertEqual(out["images"][0]["imageManifest"].encode(),
                             image.manifest)
        for img in (image, old):
            for digest, blob in img.blobs.items():
                self.assertBlobDownload(repo, digest, blob, client=c,
                                        server=second)
        out = c.batch_check_layer_availability(repositoryName=repo,
                                               layerDigests=[loose])
        self.assertEqual([l["layerAvailability"] for l in out["layers"]],
                         ["AVAILABLE"])
        # The upload carries on where it stopped.
        c.upload_layer_part(repositoryName=repo, uploadId=upload_id,
                            partFirstByte=MIN_LAYER_PART,
                            partLastByte=len(pending) - 1,
                            layerPartBlob=pending[MIN_LAYER_PART:])
        out = c.complete_layer_upload(repositoryName=repo,
                                      uploadId=upload_id,
                                      layerDigests=[sha256_digest(pending)])
        self.assertEqual(out["layerDigest"], sha256_digest(pending))
        second.stop()

    def test_kill_9_during_a_put_image_burst(self):
        data = os.path.join(self.tmp, "data")
        s = self.start(data_dir=data)
        c = self.ecr(server=s)
        repo = self.make_repo(client=c)
        config = b'{"architecture":"amd64","os":"linux","e2e":"crash"}'
        upload_layer(c, repo, config)
        acked, problems, lock = [], [], threading.Lock()
        stop = threading.Event()

        def burst(worker):
            client = harness.ecr_client(s.endpoint)
            i = 0
            while not stop.is_set():
                layer, _ = tar_layer({"w%d/%d.txt" % (worker, i):
                                      b"crash layer %d %d\n" % (worker, i)})
                manifest = manifest_json({
                    "schemaVersion": 2, "mediaType": MEDIA_OCI_MANIFEST,
                    "config": descriptor(MEDIA_OCI_CONFIG, config),
                    "layers": [descriptor(MEDIA_OCI_LAYER, layer)],
                    "annotations": {"worker": str(worker), "n": str(i)}})
                tag = "w%d-%d" % (worker, i)
                try:
                    upload_layer(client, repo, layer)
                    client.put_image(repositoryName=repo, imageTag=tag,
                                     imageManifest=manifest.decode())
                except botocore.exceptions.ClientError as e:
                    with lock:
                        problems.append((tag, e.response["Error"]))
                    return
                except (botocore.exceptions.BotoCoreError, OSError):
                    return          # the server died under us
                with lock:
                    acked.append((tag, manifest, layer))
                i += 1

        workers = [threading.Thread(target=burst, args=(w,))
                   for w in range(2)]
        for t in workers:
            t.start()
        try:
            poll(lambda: len(acked) >= CRASH_ACKS or problems or
                 not s.is_running(), 120, "%d acknowledged PutImage calls"
                 % CRASH_ACKS)
        finally:
            s.proc.send_signal(signal.SIGKILL)
            s.proc.wait()
            stop.set()
            for t in workers:
                t.join(harness.HTTP_TIMEOUT_S * 2)
        self.assertEqual(problems, [])
        self.assertEqual(s.proc.returncode, -signal.SIGKILL, s.stderr())
        for marker in harness.SANITIZER_MARKERS:
            self.assertNotIn(marker, s.stderr())
        self.assertGreaterEqual(len(acked), CRASH_ACKS)

        again = self.start(data_dir=data)
        c = self.ecr(server=again)
        tags = {t for _, t in self.list_ids(repo, client=c)}
        for tag, manifest, layer in acked:
            with self.subTest(tag=tag):
                self.assertIn(tag, tags)
                out = self.get_one(repo, {"imageTag": tag}, client=c)
                self.assertEqual(out["failures"], [])
                self.assertEqual(out["images"][0]["imageManifest"].encode(),
                                 manifest)
                self.assertEqual(out["images"][0]["imageId"],
                                 {"imageDigest": sha256_digest(manifest),
                                  "imageTag": tag})
                self.assertBlobDownload(repo, sha256_digest(layer), layer,
                                        client=c, server=again)
        self.assertBlobDownload(repo, sha256_digest(config), config,
                                client=c, server=again)
        # The store still takes writes after the crash.
        image = build_image("after-crash")
        push_image(c, repo, image, "after")
        self.assertEqual(self.get_one(repo, {"imageTag": "after"}, client=c)
                         ["images"][0]["imageManifest"].encode(),
                         image.manifest)
        again.stop()


if __name__ == "__main__":
    unittest.main()
