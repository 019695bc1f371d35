"""ECR's count and size quotas (issue 11, item 15; issue 17's --quota;
docs/ecr-behaviour.md 4).

100,000 repositories per region (CreateRepository -> LimitExceeded) and
the 52,000 MiB maximum layer size (the layer API -> LimitExceeded, registry
uploads -> 413 SIZE_INVALID). The limits are the server's
--max-repositories and --max-layer-size, so the tests use small ones; the
real 52,000 MiB is tested through declared ranges and lengths, never by
writing that much.
"""

import socket
import subprocess
import unittest

import botocore.exceptions

import harness
from harness import (OTHER_REGION, EcrdTestCase, fresh_account,
                     registry_password, registry_request, sha256_digest,
                     unique_name)

LAYER_SIZE_MAX = 52000 * 1024 * 1024        # ECR's, the default


def repositories_message(max_repos, account, region=harness.REGION):
    # [unconfirmed] wording, as ecrd words the images quota.
    return ("The maximum number of repositories (%d) has been reached for "
            "the registry with id '%s' in the region '%s'"
            % (max_repos, account, region))


def layer_size_message(upload_id, max_size):
    # [unconfirmed] wording.
    return ("The layer upload with id '%s' would exceed the maximum layer "
            "size of %d bytes" % (upload_id, max_size))


class QuotaHelpers:

    def assertLimit(self, fn, message, **kw):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            fn(**kw)
        self.assertClientError(cm, "LimitExceededException", message)

    # -- the registry, raw ------------------------------------------------

    def reg(self, method, path, password, body=b"", headers=()):
        headers = list(headers) + [("Authorization",
                                    harness.basic_auth("AWS", password))]
        return registry_request(self.server.host, self.server.port, method,
                                path, body, headers)

    def reg_whole(self, method, path, password, headers, body=b""):
        """A request sent in one piece, headers as given and body raw:
        a server that answers from the headers leaves nothing unread."""
        s = socket.create_connection((self.server.host, self.server.port),
                                     timeout=harness.HTTP_TIMEOUT_S)
        try:
            head = "".join("%s: %s\r\n" % h for h in list(headers) + [
                ("Host", self.server.hostport),
                ("Authorization", harness.basic_auth("AWS", password))])
            s.sendall(("%s %s HTTP/1.1\r\n%s\r\n" % (method, path, head))
                      .encode("latin-1") + body)
            return harness.read_response(s.makefile("rb"))
        finally:
            s.close()

    def start_upload(self, repo, password):
        r = self.reg("POST", "/v2/%s/blobs/uploads/" % repo, password)
        self.assertEqual(r.status, 202, r)
        return r.header("Location")

    def assertUploadAt(self, loc, password, end):
        r = self.reg("GET", loc, password)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.header("Range"), "0-%d" % end)

    def assertTooLarge(self, r, upload_id, max_size):
        self.assertEqual(r.status, 413, r)
        body = r.json()
        self.assertEqual(body["errors"][0]["code"], "SIZE_INVALID", body)
        self.assertEqual(body["errors"][0]["message"],
                         layer_size_message(upload_id, max_size))


class RepositoryQuotaTest(QuotaHelpers, EcrdTestCase):
    server_args = ("--max-repositories", "3")

    def test_create_past_the_quota(self):
        """A fresh account holds 3 repositories per region, no more."""
        acct = fresh_account()
        client = self.ecr(key=acct)
        names = [unique_name("quota") for _ in range(3)]
        for name in names:
            client.create_repository(repositoryName=name)
        self.assertLimit(client.create_repository,
                         repositories_message(3, acct),
                         repositoryName=unique_name("quota"))
        # A name that exists is still that, at the limit.
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            client.create_repository(repositoryName=names[0])
        self.assertClientError(cm, "RepositoryAlreadyExistsException")
        # Nothing was left behind by the refusal.
        got = client.describe_repositories()["repositories"]
        self.assertEqual(sorted(r["repositoryName"] for r in got),
                         sorted(names))
        # Per registry and region: others are untouched.
        self.ecr(key=acct, region=OTHER_REGION).create_repository(
            repositoryName=unique_name("quota"))
        self.ecr(key=fresh_account()).create_repository(
            repositoryName=unique_name("quota"))
        # Deleting one makes room for one.
        client.delete_repository(repositoryName=names[0])
        client.create_repository(repositoryName=unique_name("quota"))
        self.assertLimit(client.create_repository,
                         repositories_message(3, acct),
                         repositoryName=unique_name("quota"))

    def test_bad_flag_values_stop_the_server(self):
        harness.needs_binary()
        for flag, value in (("--max-repositories", "0"),
                            ("--max-repositories", "-1"),
                            ("--max-layer-size", "0"),
                            ("--max-layer-size", "9223372036854775808"),
                            ("--max-layer-size", "1k")):
            with self.subTest(flag=flag, value=value):
                p = subprocess.run([harness.ecrd_bin(), flag, value,
                                    "--ephemeral"], capture_output=True,
                                   text=True, timeout=30,
                                   stdin=subprocess.DEVNULL)
                self.assertNotEqual(p.returncode, 0, p)
                self.assertIn("ecrd: %s: '%s' is" % (flag, value), p.stderr)


class DeclaredLayerSizeTest(QuotaHelpers, EcrdTestCase):
    """ECR's 52,000 MiB, refused from what the request declares."""

    def test_layer_part_past_the_limit(self):
        client = self.ecr()
        repo = unique_name("quota")
        client.create_repository(repositoryName=repo)
        upload_id = client.initiate_layer_upload(
            repositoryName=repo)["uploadId"]
        self.assertLimit(client.upload_layer_part,
                         layer_size_message(upload_id, LAYER_SIZE_MAX),
                         repositoryName=repo, uploadId=upload_id,
                         partFirstByte=0, partLastByte=LAYER_SIZE_MAX,
                         layerPartBlob=b"declared past the limit")
        # At the limit the range is allowed (and then does not match).
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            client.upload_layer_part(
                repositoryName=repo, uploadId=upload_id, partFirstByte=0,
                partLastByte=LAYER_SIZE_MAX - 1, layerPartBlob=b"short")
        self.assertClientError(cm, "InvalidLayerPartException")
        # The upload still works.
        data = b"a small layer after all"
        client.upload_layer_part(repositoryName=repo, uploadId=upload_id,
                                 partFirstByte=0, partLastByte=len(data) - 1,
                                 layerPartBlob=data)
        got = client.complete_layer_upload(
            repositoryName=repo, uploadId=upload_id,
            layerDigests=[sha256_digest(data)])
        self.assertEqual(got["layerDigest"], sha256_digest(data))

    def test_registry_upload_past_the_limit(self):
        client = self.ecr()
        password = registry_password(client)
        repo = unique_name("quota")
        client.create_repository(repositoryName=repo)
        loc = self.start_upload(repo, password)
        upload_id = loc.rsplit("/", 1)[1]
        for method, path, headers, body in (
                ("PATCH", loc, [("Content-Length",
                                 str(LAYER_SIZE_MAX + 1))], b""),
                ("PATCH", loc, [("Content-Range", "0-%d" % LAYER_SIZE_MAX),
                                ("Content-Length", "5")], b"bytes"),
                ("PUT", loc + "?digest=" + sha256_digest(b"x"),
                 [("Content-Length", str(LAYER_SIZE_MAX + 1))], b"")):
            with self.subTest(method=method, headers=headers):
                r = self.reg_whole(method, path, password, headers, body)
                self.assertTooLarge(r, upload_id, LAYER_SIZE_MAX)
                self.assertUploadAt(loc, password, 0)
        # The upload still works.
        data = b"a small blob after all"
        r = self.reg("PATCH", loc, password, data)
        self.assertEqual(r.status, 202, r)
        r = self.reg("PUT", loc + "?digest=" + sha256_digest(data),
                     password)
        self.assertEqual(r.status, 201, r)


class LayerSizeTest(QuotaHelpers, EcrdTestCase):
    """A small --max-layer-size: the bytes themselves count."""

    server_args = ("--max-layer-size", "1000")

    def test_layer_parts_past_the_limit(self):
        client = self.ecr()
        repo = unique_name("quota")
        client.create_repository(repositoryName=repo)
        upload_id = client.initiate_layer_upload(
            repositoryName=repo)["uploadId"]
        client.upload_layer_part(repositoryName=repo, uploadId=upload_id,
                                 partFirstByte=0, partLastByte=599,
                                 layerPartBlob=b"a" * 600)
        self.assertLimit(client.upload_layer_part,
                         layer_size_message(upload_id, 1000),
                         repositoryName=repo, uploadId=upload_id,
                         partFirstByte=600, partLastByte=1000,
                         layerPartBlob=b"b" * 401)
        # Exactly the limit is a layer.
        got = client.upload_layer_part(
            repositoryName=repo, uploadId=upload_id, partFirstByte=600,
            partLastByte=999, layerPartBlob=b"b" * 400)
        self.assertEqual(got["lastByteReceived"], 999)

    def test_registry_stream_past_the_limit(self):
        client = self.ecr()
        password = registry_password(client)
        repo = unique_name("quota")
        client.create_repository(repositoryName=repo)
        loc = self.start_upload(repo, password)
        upload_id = loc.rsplit("/", 1)[1]
        # Chunked: nothing declared, the bytes are counted as they come.
        r = self.reg_whole("PATCH", loc, password,
                           [("Transfer-Encoding", "chunked")],
                           b"258\r\n" + b"c" * 600 + b"\r\n" +
                           b"258\r\n" + b"c" * 600 + b"\r\n0\r\n\r\n")
        self.assertTooLarge(r, upload_id, 1000)
        self.assertUploadAt(loc, password, 0)
        data = b"d" * 1000
        r = self.reg("PUT", loc + "?digest=" + sha256_digest(data),
                     password, data)
        self.assertEqual(r.status, 201, r)


class LoweredLayerSizeTest(QuotaHelpers, harness.OwnServersTestCase):
    """Uploads begun under a higher limit cannot complete under a lower
    one (the layer API and the registry both check at the end)."""

    def test_complete_past_a_lowered_limit(self):
        data_dir = self.tmp + "/data"
        self.server = self.start(data_dir=data_dir)
        client = self.ecr()
        password = registry_password(client)
        repo = unique_name("quota")
        client.create_repository(repositoryName=repo)
        data = b"e" * 600
        upload_id = client.initiate_layer_upload(
            repositoryName=repo)["uploadId"]
        client.upload_layer_part(repositoryName=repo, uploadId=upload_id,
                                 partFirstByte=0, partLastByte=599,
                                 layerPartBlob=data)
        loc = self.start_upload(repo, password)
        r = self.reg("PATCH", loc, password, data)
        self.assertEqual(r.status, 202, r)
        self.server.stop()
        self.server = self.start("--max-layer-size", "500",
                                 data_dir=data_dir)
        client = self.ecr()
        password = registry_password(client)
        self.assertLimit(client.complete_layer_upload,
                         layer_size_message(upload_id, 500),
                         repositoryName=repo, uploadId=upload_id,
                         layerDigests=[sha256_digest(data)])
        r = self.reg("PUT", loc + "?digest=" + sha256_digest(data),
                     password)
        self.assertTooLarge(r, loc.rsplit("/", 1)[1], 500)


# -- --quota NAME=VALUE: each count quota lowered, hit with a few calls ------

def images_message(n, repo, account):
    return ("The maximum number of images per repository (%d) has been "
            "reached for the repository with name '%s' in the registry with "
            "id '%s'" % (n, repo, account))


def tags_message(tag, repo, account, n):
    # ECR's, as its registry answers it (docs/ecr-behaviour.md 5).
    return ("Adding tag '%s' to an image in the repository with name '%s' "
            "in registry with id '%s' exceeds the maximum allowed number of "
            "tags per image which is '%d'" % (tag, repo, account, n))


def synthetic(seed):
    """A manifest naming a config nobody uploaded (--relax-references)."""
    config = {"mediaType": harness.MEDIA_DOCKER_CONFIG, "size": 2,
              "digest": sha256_digest(("quota %s" % seed).encode())}
    return harness.manifest_json({
        "schemaVersion": 2, "mediaType": harness.MEDIA_DOCKER_MANIFEST,
        "config": config, "layers": []})


class LoweredQuotaTest(QuotaHelpers, EcrdTestCase):
    """Every quota of the table lowered (README, Quotas); each test works
    in an account of its own, the quotas being per registry."""

    server_args = ("--relax-references",
                   "--quota", "repositories-per-region=2",
                   "--quota", "images-per-repository=2",
                   "--quota", "tags-per-image=2",
                   "--quota", "layer-parts=2",
                   "--quota", "layer-size=1000",
                   "--quota", "pull-through-rules=1",
                   "--quota", "pull-time-update-exclusions=1",
                   "--quota", "scans-per-day=1")

    def setUp(self):
        self.acct = fresh_account()
        self.c = self.ecr(key=self.acct)

    def repo(self):
        name = unique_name("quota")
        self.c.create_repository(repositoryName=name)
        return name

    def test_repositories_per_region(self):
        self.repo()
        self.repo()
        self.assertLimit(self.c.create_repository,
                         repositories_message(2, self.acct),
                         repositoryName=unique_name("quota"))

    def test_images_per_repository(self):
        repo = self.repo()
        for i in range(2):
            self.c.put_image(repositoryName=repo,
                             imageManifest=synthetic("%s/%d" % (repo, i))
                             .decode())
        self.assertLimit(self.c.put_image, images_message(2, repo, self.acct),
                         repositoryName=repo,
                         imageManifest=synthetic(repo + "/3").decode())
        # Tagging an image already there is no new image.
        self.c.put_image(repositoryName=repo, imageTag="again",
                         imageManifest=synthetic(repo + "/0").decode())
        # The registry says DENIED (403) with ECR's message.
        password = registry_password(self.c)
        r = self.reg("PUT", "/v2/%s/manifests/v9" % repo, password,
                     synthetic(repo + "/9"),
                     [("Content-Type", harness.MEDIA_DOCKER_MANIFEST)])
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.json()["errors"][0]["code"], "DENIED")
        self.assertEqual(r.json()["errors"][0]["message"],
                         images_message(2, repo, self.acct))

    def test_tags_per_image(self):
        repo = self.repo()
        text = synthetic(repo).decode()
        for tag in ("a", "b"):
            self.c.put_image(repositoryName=repo, imageTag=tag,
                             imageManifest=text)
        self.assertLimit(self.c.put_image,
                         tags_message("c", repo, self.acct, 2),
                         repositoryName=repo, imageTag="c",
                         imageManifest=text)
        password = registry_password(self.c)
        r = self.reg("PUT", "/v2/%s/manifests/d" % repo, password,
                     text.encode(),
                     [("Content-Type", harness.MEDIA_DOCKER_MANIFEST)])
        self.assertEqual(r.status, 403, r)
        self.assertEqual(r.json()["errors"][0]["message"],
                         tags_message("d", repo, self.acct, 2))
        # Nothing was tagged; another image takes tags as before.
        got = self.c.describe_images(repositoryName=repo)["imageDetails"]
        self.assertEqual(sorted(got[0]["imageTags"]), ["a", "b"])
        self.c.put_image(repositoryName=repo, imageTag="c",
                         imageManifest=synthetic(repo + "/2").decode())
        # Moving a tag away makes room.
        self.c.put_image(repositoryName=repo, imageTag="a",
                         imageManifest=synthetic(repo + "/2").decode())
        self.c.put_image(repositoryName=repo, imageTag="c",
                         imageManifest=text)

    def test_layer_parts(self):
        repo = self.repo()
        upload_id = self.c.initiate_layer_upload(
            repositoryName=repo)["uploadId"]
        for i in range(2):
            self.c.upload_layer_part(repositoryName=repo, uploadId=upload_id,
                                     partFirstByte=i * 10,
                                     partLastByte=i * 10 + 9,
                                     layerPartBlob=b"p" * 10)
        self.assertLimit(self.c.upload_layer_part,
                         "The upload with id '%s' has reached the limit of "
                         "2 layer parts" % upload_id,
                         repositoryName=repo, uploadId=upload_id,
                         partFirstByte=20, partLastByte=29,
                         layerPartBlob=b"p" * 10)

    def test_layer_size(self):
        repo = self.repo()
        upload_id = self.c.initiate_layer_upload(
            repositoryName=repo)["uploadId"]
        self.assertLimit(self.c.upload_layer_part,
                         layer_size_message(upload_id, 1000),
                         repositoryName=repo, uploadId=upload_id,
                         partFirstByte=0, partLastByte=1000,
                         layerPartBlob=b"s" * 1001)

    def test_pull_through_rules(self):
        self.c.create_pull_through_cache_rule(
            ecrRepositoryPrefix="ptc-one", upstreamRegistryUrl="public.ecr.aws")
        self.assertLimit(self.c.create_pull_through_cache_rule,
                         "The maximum number of pull through cache rules "
                         "(1) has been reached for the registry with id "
                         "'%s'" % self.acct,
                         ecrRepositoryPrefix="ptc-two",
                         upstreamRegistryUrl="public.ecr.aws")
        self.assertEqual(len(self.c.describe_pull_through_cache_rules()[
            "pullThroughCacheRules"]), 1)

    def test_pull_time_update_exclusions(self):
        arn = "arn:aws:iam::%s:user/u%d"
        self.c.register_pull_time_update_exclusion(
            principalArn=arn % (self.acct, 1))
        self.assertLimit(self.c.register_pull_time_update_exclusion,
                         "The maximum number of pull time update exclusions "
                         "(1) in the registry with id '%s' has been reached"
                         % self.acct,
                         principalArn=arn % (self.acct, 2))

    def test_scans_per_day(self):
        repo = self.repo()
        digests = []
        for seed in ("scan-a", "scan-b"):
            image = harness.build_image("%s/%s" % (repo, seed))
            harness.push_image(self.c, repo, image, tag=seed)
            digests.append(image.digest)
        self.c.start_image_scan(repositoryName=repo,
                                imageId={"imageDigest": digests[0]})
        self.assertLimit(self.c.start_image_scan,
                         "The scan quota per registry has been exceeded. "
                         "Wait and try again.",
                         repositoryName=repo,
                         imageId={"imageDigest": digests[1]})


class QuotaFlagTest(unittest.TestCase):
    """An unknown quota or a bad value stops ecrd at start (status 2)."""

    def test_bad_quotas_stop_the_server(self):
        harness.needs_binary()
        for arg, says in (
                ("nope=1", "unknown quota 'nope'"),
                ("tags-per-image=1001", "from 1 to 1000"),
                ("tags-per-image=0", "from 1 to 1000"),
                ("images-per-repository", "want NAME=VALUE"),
                ("images-per-repository=ten", "want NAME=VALUE"),
                ("repositories-per-region=-1", "want NAME=VALUE")):
            with self.subTest(arg=arg):
                p = subprocess.run([harness.ecrd_bin(), "--quota", arg,
                                    "--ephemeral"], capture_output=True,
                                   text=True, timeout=30,
                                   stdin=subprocess.DEVNULL)
                self.assertEqual(p.returncode, 2, p)
                self.assertIn("ecrd: --quota '%s': " % arg, p.stderr)
                self.assertIn(says, p.stderr)


if __name__ == "__main__":
    unittest.main()
