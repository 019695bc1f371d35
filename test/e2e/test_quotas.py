"""ECR's count and size quotas (issue 11, item 15; docs/ecr-behaviour.md 4).

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


if __name__ == "__main__":
    unittest.main()
