"""UploadLayerPart bodies stream (issue 3).

The server decodes layerPartBlob while the body arrives and writes it
into the upload file under the upload's lease; everything else in the
body goes through the usual parse and validation. These tests send the
body in every shape a client could: the model's member order and the
blob first, JSON's escaped slash, split into pieces at every kind of
place (chunked transfer encoding hands the server each chunk as it is),
bad base64 at the start, middle and end, duplicate and oversized blobs,
bodies past the limit, two parts of one upload at once, a client gone
mid-part, registry chunks racing a part, and strict mode's signature
over a body it never held whole. After every refusal the upload takes
the right part at the same offset and completes to the right digest.
"""

import base64
import json
import os
import socket
import tempfile
import time
import unittest

import harness
from harness import (JSON_11, TARGET_PREFIX, EcrdTestCase,
                     basic_auth, read_response, registry_password,
                     sha256_digest, sign_headers, unique_name)

MiB = 1024 * 1024
NOT_BASE64 = ("Unexpected value type in payload at 'layerPartBlob': "
              "expected a base64 string")
BUSY = "another part of this upload is still being received"
TOO_LONG = ("Invalid parameter at 'layerPartBlob' failed to satisfy "
            "constraint: 'Member must have length less than or equal to "
            "20971520'")
LEASE_TIMEOUT_S = 10.0


def b64(data):
    return base64.b64encode(data).decode("ascii")


def part_body(repo, upload_id, first, data, blob_first=False, blob=None,
              last=None):
    """An UploadLayerPart body with its members in the order asked;
    blob replaces the blob's JSON text (quotes included)."""
    blob = blob if blob is not None else json.dumps(b64(data))
    last = first + len(data) - 1 if last is None else last
    head = [("repositoryName", json.dumps(repo)),
            ("uploadId", json.dumps(upload_id)),
            ("partFirstByte", str(first)), ("partLastByte", str(last))]
    members = ([("layerPartBlob", blob)] + head if blob_first
               else head + [("layerPartBlob", blob)])
    return ("{" + ", ".join('"%s": %s' % m for m in members) + "}").encode()


class RawPost:
    """POST / on a socket of its own, so a body can stop half way."""

    def __init__(self, server, headers, length=None, chunked=False):
        self.sock = socket.create_connection((server.host, server.port),
                                             timeout=harness.HTTP_TIMEOUT_S)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.file = self.sock.makefile("rb")
        self.chunked = chunked
        lines = ["POST / HTTP/1.1", "Host: %s:%d" % (server.host,
                                                    server.port)]
        lines += ["%s: %s" % kv for kv in headers.items()
                  if kv[0].lower() not in ("host", "content-length")]
        lines.append("Transfer-Encoding: chunked" if chunked
                     else "Content-Length: %d" % length)
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())

    def send(self, data):
        if self.chunked:
            data = b"%x\r\n%s\r\n" % (len(data), data)
        self.sock.sendall(data)

    def finish(self):
        if self.chunked:
            self.sock.sendall(b"0\r\n\r\n")
        return read_response(self.file)

    def close(self):
        self.file.close()
        self.sock.close()


def api_headers(op):
    return {"Content-Type": JSON_11, "X-Amz-Target": TARGET_PREFIX + op}


class StreamTestCase(EcrdTestCase):
    """A durable server, so a test can watch an upload file fill."""

    durable = True

    def make_repo(self):
        name = unique_name("stream")
        self.ecr().create_repository(repositoryName=name)
        return name

    def initiate(self, repo):
        return self.ecr().initiate_layer_upload(
            repositoryName=repo)["uploadId"]

    def post_part(self, body, headers=None):
        return self.api("UploadLayerPart", body=body, headers=headers)

    def complete(self, repo, upload_id, data):
        return self.api("CompleteLayerUpload", {
            "repositoryName": repo, "uploadId": upload_id,
            "layerDigests": [sha256_digest(data)]})

    def assertCompletes(self, repo, upload_id, data):
        body = self.assertOk(self.complete(repo, upload_id, data))
        self.assertEqual(body["layerDigest"], sha256_digest(data))
        out = self.ecr().batch_check_layer_availability(
            repositoryName=repo, layerDigests=[sha256_digest(data)])
        self.assertEqual(out["layers"][0]["layerSize"], len(data), out)

    def assertPartOk(self, resp, upload_id, last):
        body = self.assertOk(resp)
        self.assertEqual(body["uploadId"], upload_id)
        self.assertEqual(body["lastByteReceived"], last)

    def assertInvalidPart(self, resp, last_valid, contains):
        body = self.assertAwsError(resp, 400, "InvalidLayerPartException",
                                   message_contains=contains)
        self.assertEqual(body["lastValidByteReceived"], last_valid, body)

    def wait_file(self, upload_id, size):
        """Until the upload's file holds size bytes (the stream is in)."""
        path = os.path.join(self.data_dir, "uploads", upload_id)
        harness.poll(lambda: os.path.exists(path) and
                     os.path.getsize(path) >= size, LEASE_TIMEOUT_S,
                     "upload file of %d bytes" % size, self.server.proc)


class LayerPartStreamTest(StreamTestCase):

    def test_blob_before_upload_id(self):
        repo = self.make_repo()
        upload_id = self.initiate(repo)
        data = harness.seeded_bytes("blob-first", 5 * MiB + 12345)
        cut = 5 * MiB
        self.assertPartOk(self.post_part(part_body(
            repo, upload_id, 0, data[:cut], blob_first=True)),
            upload_id, cut - 1)
        self.assertPartOk(self.post_part(part_body(
            repo, upload_id, cut, data[cut:])), upload_id, len(data) - 1)
        self.assertCompletes(repo, upload_id, data)

    def test_escaped_slashes(self):
        repo = self.make_repo()
        upload_id = self.initiate(repo)
        data = b"\xff\xfe\xfd" * 1000 + b"slash"
        text = b64(data)
        self.assertIn("/", text)
        blob = '"%s"' % text.replace("/", "\\/")
        self.assertPartOk(self.post_part(part_body(
            repo, upload_id, 0, data, blob=blob)), upload_id, len(data) - 1)
        self.assertCompletes(repo, upload_id, data)

    def test_body_in_pieces_of_every_size(self):
        """Chunks of 1 to 13 bytes split the body everywhere: inside
        keys, escapes, quanta, right after the blob's opening quote."""
        repo = self.make_repo()
        upload_id = self.initiate(repo)
        data = harness.seeded_bytes("pieces", 3000) + b"\xff\xff\xff"
        blob = '"%s"' % b64(data).replace("/", "\\/")
        for blob_first in (True, False):
            body = part_body(repo, upload_id, 0, data, blob=blob,
                             blob_first=blob_first)
            post = RawPost(self.server, api_headers("UploadLayerPart"),
                           chunked=True)
            try:
                i, n = 0, 1
                while i < len(body):
                    post.send(body[i:i + n])
                    i += n
                    n = n % 13 + 1
                resp = post.finish()
            finally:
                post.close()
            if blob_first:
                self.assertPartOk(resp, upload_id, len(data) - 1)
                # The same bytes again start at the wrong place.
                continue
            self.assertInvalidPart(resp, len(data) - 1, "contiguous")
        self.assertCompletes(repo, upload_id, data)

    def test_bad_base64_anywhere_changes_nothing(self):
        repo = self.make_repo()
        upload_id = self.initiate(repo)
        data = harness.seeded_bytes("bad-b64", 2 * MiB + 3)
        good = b64(data)
        mid = len(good) // 2 // 4 * 4
        cases = {
            "a character outside the alphabet": good[:mid] + "!" +
            good[mid + 1:],
            "padding in the middle": good[:mid] + "=" + good[mid + 1:],
            "a blank in the middle": good[:mid] + " " + good[mid + 1:],
            "a blank at the end": good + " ",
            "a blank at the start": " " + good[1:],
            "a length that is no multiple of 4": good[:-1],
            "the URL alphabet": good[:mid] + "-_" + good[mid + 2:],
        }
        for what, text in cases.items():
            with self.subTest(what):
                resp = self.post_part(part_body(
                    repo, upload_id, 0, data, blob='"%s"' % text))
                self.assertAwsError(resp, 400, "SerializationException",
                                    NOT_BASE64)
        for what, blob in {"an escape other than \\/": '"\\u0041AAA"',
                           "a control character": '"AAAA\\u0000"'}.items():
            with self.subTest(what):
                resp = self.post_part(part_body(repo, upload_id, 0, b"xyz",
                                                blob=blob))
                self.assertAwsError(resp, 400, "SerializationException")
        self.assertPartOk(self.post_part(part_body(repo, upload_id, 0, data)),
                          upload_id, len(data) - 1)
        self.assertCompletes(repo, upload_id, data)

    def test_malformed_bodies_are_serialization_errors(self):
        repo = self.make_repo()
        upload_id = self.initiate(repo)
        good = part_body(repo, upload_id, 0, b"abc")
        bodies = {
            "truncated in the blob": good[:good.index(b"YWJj") + 2],
            "truncated after the blob": good[:-1],
            "an array": b'["layerPartBlob", "YWJj"]',
            "a nested blob only": b'{"x": {"layerPartBlob": "YWJj"}}',
            "garbage after the object": good + b"x",
        }
        for what, body in bodies.items():
            with self.subTest(what):
                resp = self.post_part(body)
                self.assertEqual(resp.status, 400, resp)
                self.assertIn(resp.json()["__type"],
                              ("SerializationException",
                               "InvalidParameterException"), resp)
        self.assertPartOk(self.post_part(good), upload_id, 2)
        self.assertCompletes(repo, upload_id, b"abc")

    def test_escaped_member_names_count(self):
        """Keys are read as JSON reads them: escaped names stream too."""
        repo = self.make_repo()
        upload_id = self.initiate(repo)
        data = harness.seeded_bytes("escaped-keys", 2 * MiB)
        body = part_body(repo, upload_id, 0, data)
        body = body.replace(b'"uploadId"', b'"upload\\u0049d"').replace(
            b'"layerPartBlob"', b'"layerPart\\u0042lob"')
        self.assertIn(b"\\u0042", body)
        self.assertPartOk(self.post_part(body), upload_id, len(data) - 1)
        self.assertCompletes(repo, upload_id, data)

    def test_members_given_twice_are_refused(self):
        """A second layerPartBlob or uploadId, however spelt, is refused
        and leaves both uploads as they were."""
        repo = self.make_repo()
        one, two = self.initiate(repo), self.initiate(repo)
        data = harness.seeded_bytes("twice", 2 * MiB)
        base = part_body(repo, one, 0, data)[:-1]
        tails = {
            "layerPartBlob": b', "layerPartBlob": "ZGVm"}',
            "layerPartBlob ": b', "layerPart\\u0042lob": "ZGVm"}',
            "layerPartBlob  ": b', "layerPartBlob": 5}',
            "uploadId": (', "uploadId": "%s"}' % two).encode(),
            "uploadId ": (', "upload\\u0049d": "%s"}' % two).encode(),
        }
        for member, tail in tails.items():
            with self.subTest(tail):
                self.assertAwsError(self.post_part(base + tail), 400,
                                    "SerializationException",
                                    "Duplicate member '%s'" % member.strip())
        # Both still stand at byte 0.
        for upload_id in (one, two):
            self.assertPartOk(self.post_part(part_body(
                repo, upload_id, 0, data)), upload_id, len(data) - 1)
        self.assertCompletes(repo, one, data)

    def test_blob_over_20_mib_is_invalid_parameter(self):
        repo = self.make_repo()
        upload_id = self.initiate(repo)
        data = b"\0" * (20 * MiB + 1)
        resp = self.post_part(part_body(repo, upload_id, 0, data))
        self.assertAwsError(resp, 400, "InvalidParameterException", TOO_LONG)
        resp = self.post_part(part_body(repo, upload_id, 0, data[:20 * MiB]))
        self.assertPartOk(resp, upload_id, 20 * MiB - 1)

    def test_body_over_the_limit_is_413(self):
        repo = self.make_repo()
        upload_id = self.initiate(repo)
        limit = 32 * MiB + 4096
        # Declared too long: refused before the body.
        post = RawPost(self.server, api_headers("UploadLayerPart"),
                       length=limit + 1)
        try:
            resp = post.finish()
        finally:
            post.close()
        self.assertAwsError(resp, 413, "RequestEntityTooLargeException")
        # Chunked: refused once it passes the limit.
        post = RawPost(self.server, api_headers("UploadLayerPart"),
                       chunked=True)
        try:
            head = part_body(repo, upload_id, 0, b"")[:-3]
            post.send(head)
            chunk = b"A" * MiB
            sent = len(head)
            try:
                while sent <= limit:
                    post.send(chunk)
                    sent += len(chunk)
            except (BrokenPipeError, ConnectionResetError):
                pass
            resp = read_response(post.file)
        finally:
            post.close()
        self.assertAwsError(resp, 413, "RequestEntityTooLargeException")
        self.assertPartOk(self.post_part(part_body(repo, upload_id, 0,
                                                   b"abc")), upload_id, 2)

    def start_part(self, repo, upload_id, first, data, written):
        """A part whose body stops short: returns (post, rest of body)
        once written bytes of it are in the upload file."""
        body = part_body(repo, upload_id, first, data)
        cut = body.index(b'"layerPartBlob"') + 18 + (written + MiB) // 3 * 4
        post = RawPost(self.server, api_headers("UploadLayerPart"),
                       length=len(body))
        post.send(body[:cut])
        self.wait_file(upload_id, first + written)
        return post, body[cut:]

    def test_two_parts_of_one_upload_at_once(self):
        repo = self.make_repo()
        upload_id = self.initiate(repo)
        data = harness.seeded_bytes("at-once", 4 * MiB)
        post, rest = self.start_part(repo, upload_id, 0, data, 2 * MiB)
        try:
            # The same part again, and a completion, while it streams.
            for blob_first in (False, True):
                self.assertInvalidPart(self.post_part(part_body(
                    repo, upload_id, 0, data, blob_first=blob_first)),
                    -1, BUSY)
            self.assertInvalidPart(self.complete(repo, upload_id, data), -1,
                                   "still being received")
            post.send(rest)
            self.assertPartOk(post.finish(), upload_id, len(data) - 1)
        finally:
            post.close()
        self.assertCompletes(repo, upload_id, data)

    def test_a_client_gone_mid_part_leaves_the_upload_as_it_was(self):
        repo = self.make_repo()
        upload_id = self.initiate(repo)
        data = harness.seeded_bytes("gone", 3 * MiB)
        post, _ = self.start_part(repo, upload_id, 0, data, 2 * MiB)
        post.close()
        deadline = time.monotonic() + LEASE_TIMEOUT_S
        while True:
            resp = self.post_part(part_body(repo, upload_id, 0, data))
            if resp.status == 200 or time.monotonic() > deadline:
                break
            self.assertInvalidPart(resp, -1, BUSY)
            time.sleep(0.05)
        self.assertPartOk(resp, upload_id, len(data) - 1)
        self.assertCompletes(repo, upload_id, data)

    def test_registry_chunks_and_parts_share_the_lease(self):
        repo = self.make_repo()
        auth = {"Authorization": basic_auth(
            "AWS", registry_password(self.ecr()))}
        r = self.http("POST", "/v2/%s/blobs/uploads/" % repo, b"", auth)
        self.assertEqual(r.status, 202, r)
        loc = r.header("Location")
        upload_id = r.header("Docker-Upload-UUID")
        data = harness.seeded_bytes("registry-lease", 3 * MiB)
        post, rest = self.start_part(repo, upload_id, 0, data, 2 * MiB)
        try:
            r = self.http("PATCH", loc, b"x" * 10, dict(
                auth, **{"Content-Type": "application/octet-stream"}))
            self.assertEqual(r.status, 416, r)
            r = self.http("PUT", loc + ("&" if "?" in loc else "?") +
                          "digest=" + sha256_digest(data), b"", auth)
            self.assertEqual(r.status, 416, r)
            post.send(rest)
            self.assertPartOk(post.finish(), upload_id, len(data) - 1)
        finally:
            post.close()
        r = self.http("PUT", loc + ("&" if "?" in loc else "?") +
                      "digest=" + sha256_digest(data), b"", auth)
        self.assertEqual(r.status, 201, r)
        r = self.http("GET", "/v2/%s/blobs/%s" % (repo, sha256_digest(data)),
                      b"", auth)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, data)


PRINCIPAL = {"accessKeyId": "AKIASTREAMSTRICT0001",
             "secretAccessKey": "stream-secret",
             "arn": "arn:aws:iam::444455556666:user/streamer",
             "policies": [{"Version": "2012-10-17", "Statement": [
                 {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}]}
BAD_SIGNATURE = ("The request signature we calculated does not match the "
                 "signature you provided. Check your AWS Secret Access Key "
                 "and signing method. Consult the service documentation for "
                 "details.")


class StrictStreamTest(StreamTestCase):
    """Strict mode: the signature covers a body hashed as it streamed."""

    principals = [PRINCIPAL]

    def ecr(self, **kw):
        return super().ecr(key=PRINCIPAL["accessKeyId"],
                           secret=PRINCIPAL["secretAccessKey"], **kw)

    def signed_part(self, body, tamper=False):
        headers = sign_headers(self.server.endpoint, "UploadLayerPart", body,
                               PRINCIPAL["accessKeyId"],
                               PRINCIPAL["secretAccessKey"])
        if tamper:
            i = body.index(b'"layerPartBlob"') + 40
            body = body[:i] + (b"B" if body[i:i + 1] != b"B" else b"C") + \
                body[i + 1:]
        return self.http("POST", "/", body, headers)

    def test_signed_parts_in_both_orders_and_a_tampered_one(self):
        repo = self.make_repo()
        upload_id = self.initiate(repo)
        data = harness.seeded_bytes("strict-stream", 5 * MiB + 999)
        cut = 5 * MiB
        first = part_body(repo, upload_id, 0, data[:cut])
        self.assertAwsError(self.signed_part(first, tamper=True), 400,
                            "InvalidSignatureException", BAD_SIGNATURE)
        self.assertPartOk(self.signed_part(first), upload_id, cut - 1)
        second = part_body(repo, upload_id, cut, data[cut:], blob_first=True)
        self.assertAwsError(self.signed_part(second, tamper=True), 400,
                            "InvalidSignatureException", BAD_SIGNATURE)
        self.assertPartOk(self.signed_part(second), upload_id, len(data) - 1)
        body = self.ecr().complete_layer_upload(
            repositoryName=repo, uploadId=upload_id,
            layerDigests=[sha256_digest(data)])
        self.assertEqual(body["layerDigest"], sha256_digest(data))

    def test_a_stranger_cannot_hold_an_upload(self):
        """An unsigned body, sent slowly, is kept in memory: it takes no
        lease, so the owner's parts and completion go ahead meanwhile."""
        repo = self.make_repo()
        upload_id = self.initiate(repo)
        data = harness.seeded_bytes("stranger", 3 * MiB)
        body = part_body(repo, upload_id, 0, data)
        post = RawPost(self.server, api_headers("UploadLayerPart"),
                       length=len(body))
        try:
            post.send(body[:len(body) // 2])
            self.assertPartOk(self.signed_part(body), upload_id,
                              len(data) - 1)
            body2 = self.ecr().complete_layer_upload(
                repositoryName=repo, uploadId=upload_id,
                layerDigests=[sha256_digest(data)])
            self.assertEqual(body2["layerDigest"], sha256_digest(data))
            post.send(body[len(body) // 2:])
            self.assertEqual(post.finish().status, 400)
        finally:
            post.close()

    def test_aws_cli_uploads_a_part(self):
        """The CLIs send the model's order: the part goes to the file."""
        repo = self.make_repo()
        data = harness.seeded_bytes("cli-part", 70000)
        with tempfile.NamedTemporaryFile(suffix=".bin") as f:
            f.write(data)
            f.flush()
            for major in (1, 2):
                with self.subTest(cli=major):
                    upload_id = self.initiate(repo)
                    res = self.cli(major, "ecr", "upload-layer-part",
                                   "--repository-name", repo,
                                   "--upload-id", upload_id,
                                   "--part-first-byte", "0",
                                   "--part-last-byte", str(len(data) - 1),
                                   "--layer-part-blob", "fileb://" + f.name,
                                   key=PRINCIPAL["accessKeyId"],
                                   secret=PRINCIPAL["secretAccessKey"])
                    self.assertEqual(res.rc, 0, res)
                    self.assertEqual(res.json()["lastByteReceived"],
                                     len(data) - 1)
                    body = self.ecr().complete_layer_upload(
                        repositoryName=repo, uploadId=upload_id,
                        layerDigests=[sha256_digest(data)])
                    self.assertEqual(body["layerDigest"],
                                     sha256_digest(data))
                    if major == 1:
                        repo = self.make_repo()


if __name__ == "__main__":
    unittest.main()
