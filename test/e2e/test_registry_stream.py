"""Registry blob bodies written off the event loop (issue 12).

The server copies a streamed PATCH or PUT body into chunks that the worker
pool writes, hashes and syncs, holding the connection while enough wait.
These check what a client sees of that: bodies of many chunks, resumed at
an offset inside a disk block, come back whole; a connection that drops
mid-body leaves the upload where it stood, resumable; a digest that does
not match is still DIGEST_INVALID once the hash is taken off the loop.
"""
import http.client
import socket
import unittest
import urllib.parse

import harness
from harness import (EcrdTestCase, basic_auth, poll, registry_password,
                     seeded_bytes, sha256_digest, unique_name)
from test_registry import CHUNK_MIN, RegistryHelpers

MIB = 1024 * 1024
RETRY_TIMEOUT_S = 30.0


class StreamTest(RegistryHelpers, EcrdTestCase):

    def patch(self, reg, loc, data, start):
        return reg.request("PATCH", loc, body=data, headers={
            "Content-Type": "application/octet-stream",
            "Content-Range": "%d-%d" % (start, start + len(data) - 1)})

    def test_many_chunks_from_an_unaligned_offset_round_trip(self):
        reg = self.reg()
        repo = self.make_repo()
        first = seeded_bytes("stream-first", CHUNK_MIN + 4097)
        rest = seeded_bytes("stream-rest", 23 * MIB + 5)
        data = first + rest
        loc = self.start_upload(reg, repo)
        r = self.patch(reg, loc, first, 0)
        self.assertUploadHeaders(r, repo, 202, len(first) - 1)
        r = self.patch(reg, loc, rest, len(first))
        self.assertUploadHeaders(r, repo, 202, len(data) - 1)
        self.finish_upload(reg, repo, loc, sha256_digest(data))
        self.assertBlobPulls(reg, repo, sha256_digest(data), data)

    def test_many_chunks_on_the_put(self):
        reg = self.reg()
        repo = self.make_repo()
        data = seeded_bytes("stream-put", 17 * MIB + 3)
        loc = self.start_upload(reg, repo)
        self.finish_upload(reg, repo, loc, sha256_digest(data), body=data)
        self.assertBlobPulls(reg, repo, sha256_digest(data), data)

    def test_one_connection_goes_on_after_a_streamed_body(self):
        """A body held for the pool on its last piece must not leave the
        connection deaf to the next request on it."""
        repo = self.make_repo()
        reg = self.reg()
        loc = self.start_upload(reg, repo)
        conn = http.client.HTTPConnection(
            self.server.host, self.server.port,
            timeout=harness.HTTP_TIMEOUT_S)
        auth = {"Authorization": basic_auth("AWS", self.password)}
        try:
            for i in range(3):
                data = seeded_bytes("stream-keepalive-%d" % i, 12 * MIB + i)
                if i > 0:
                    loc = self.start_upload(reg, repo)
                conn.request("PATCH", loc, body=data, headers=dict(
                    auth, **{"Content-Type": "application/octet-stream"}))
                r = conn.getresponse()
                r.read()
                self.assertEqual(r.status, 202)
                conn.request("PUT", "%s?digest=%s" % (
                    urllib.parse.urlsplit(loc).path, sha256_digest(data)),
                    headers=auth)
                r = conn.getresponse()
                r.read()
                self.assertEqual(r.status, 201)
                self.assertBlobPulls(reg, repo, sha256_digest(data), data)
        finally:
            conn.close()

    def send_part_then_drop(self, loc, total, sent):
        """A PATCH announcing total bytes that sends sent and hangs up."""
        s = socket.create_connection((self.server.host, self.server.port),
                                     timeout=harness.HTTP_TIMEOUT_S)
        try:
            s.sendall(("PATCH %s HTTP/1.1\r\nHost: %s\r\nAuthorization: "
                       "%s\r\nContent-Type: application/octet-stream\r\n"
                       "Content-Length: %d\r\n\r\n"
                       % (loc, self.server.hostport,
                          basic_auth("AWS", self.password), total)
                       ).encode("latin-1"))
            s.sendall(seeded_bytes("stream-dropped", sent))
        finally:
            s.close()

    def test_dropped_body_leaves_the_upload_resumable(self):
        reg = self.reg()
        repo = self.make_repo()
        head = seeded_bytes("stream-head", CHUNK_MIN)
        tail = seeded_bytes("stream-tail", 9 * MIB + 1)
        loc = self.start_upload(reg, repo)
        r = self.patch(reg, loc, head, 0)
        self.assertUploadHeaders(r, repo, 202, len(head) - 1)
        self.send_part_then_drop(loc, 16 * MIB, 6 * MIB + 123)
        # The dropped bytes are not counted: the upload stands after head.
        r = reg.get(loc)
        self.assertUploadHeaders(r, repo, 204, len(head) - 1)

        # Its stream may still hold the upload for a moment (416 then).
        def resumed():
            r = self.patch(reg, loc, tail, len(head))
            if r.status == 416:
                return None
            return r
        r = poll(resumed, RETRY_TIMEOUT_S, "the upload to be free")
        self.assertUploadHeaders(r, repo, 202, len(head) + len(tail) - 1)
        data = head + tail
        self.finish_upload(reg, repo, loc, sha256_digest(data))
        self.assertBlobPulls(reg, repo, sha256_digest(data), data)

    def test_digest_mismatch_after_a_streamed_body(self):
        reg = self.reg()
        repo = self.make_repo()
        data = seeded_bytes("stream-mismatch", 7 * MIB + 11)
        wrong = sha256_digest(data + b"x")
        for body in (True, False):
            with self.subTest(body_on_the_put=body):
                loc = self.start_upload(reg, repo)
                if not body:
                    self.patch(reg, loc, data, 0)
                r = reg.request("PUT", loc + "?digest=" + wrong,
                                body=data if body else b"")
                self.assertRegError(r, 400, "DIGEST_INVALID")
        r = reg.head("/v2/%s/blobs/%s" % (repo, wrong))
        self.assertEqual(r.status, 404, r)


if __name__ == "__main__":
    unittest.main()
