"""Connections under stress (issue 11, items 4-6), driven with raw sockets.

An early answer (401, 416 or 413 decided from the headers) reaches a client
that is still sending its body: the server closes lingering (FIN after the
answer, then reading and discarding for a while) instead of resetting. At
the file-descriptor limit the server pauses accepting rather than spinning
and flooding its log, and serves again once connections close. A header
block that trickles in is cut off by its deadline. A client that half-closes
(shutdown(SHUT_WR)) after its request still gets the answer.
"""

import hashlib
import json
import os
import resource
import select
import socket
import threading
import time
import unittest
import uuid

import harness
from harness import (JSON_11, TARGET_PREFIX, EcrdTestCase, OwnServersTestCase,
                     basic_auth, http_request, poll, read_response,
                     registry_password, registry_request, unique_name)

MiB = 1024 * 1024
# More than loopback's socket buffers hold, so an unread body cannot hide
# in the kernel: a server that closes without reading it resets.
BODY_LEN = 16 * MiB
PIECE = 64 * 1024
API_BODY_LIMIT = 32 * MiB


def connect(server, timeout=harness.HTTP_TIMEOUT_S):
    return socket.create_connection((server.host, server.port),
                                    timeout=timeout)


def api_request(server, op, body, length=None):
    """A raw ECR API request with a Content-Length (length, if given,
    declares more than body holds)."""
    return ("POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n"
            "X-Amz-Target: %s%s\r\nContent-Length: %d\r\n\r\n"
            % (server.hostport, JSON_11, TARGET_PREFIX, op,
               len(body) if length is None else length)).encode() + body


def head(server, method, path, length, headers=()):
    lines = ["%s %s HTTP/1.1" % (method, path), "Host: " + server.hostport,
             "Content-Type: application/octet-stream",
             "Content-Length: %d" % length]
    lines += ["%s: %s" % h for h in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Sender(threading.Thread):
    """Sends n bytes of body on sock; keeps the error that stopped it."""

    def __init__(self, sock, n):
        super().__init__(daemon=True)
        self.sock = sock
        self.n = n
        self.error = None

    def run(self):
        piece = b"x" * PIECE
        left = self.n
        try:
            while left > 0:
                k = min(left, PIECE)
                self.sock.sendall(piece[:k])
                left -= k
        except OSError as e:
            self.error = e


class EarlyAnswerTest(EcrdTestCase):
    """Item 4: answers decided from the headers, body still coming."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.password = registry_password(
            harness.ecr_client(cls.server.endpoint))

    def early_answer(self, request_head, body_len):
        """Send request_head, then body_len bytes from another thread while
        the answer is read. Neither side may see a reset: the body goes
        out whole, the answer is read whole, then a clean end of stream."""
        with connect(self.server) as sock, sock.makefile("rb") as f:
            sock.sendall(request_head)
            sender = Sender(sock, body_len)
            sender.start()
            resp = read_response(f)
            sender.join(harness.HTTP_TIMEOUT_S)
            self.assertFalse(sender.is_alive(), "the body was not taken")
            self.assertIsNone(sender.error, "sending the body failed")
            self.assertEqual(f.read(), b"")
        self.assertEqual((resp.header("Connection") or "").lower(), "close")
        self.assertHealthy()
        return resp

    def assertRegError(self, resp, status, code):
        self.assertEqual(resp.status, status, resp)
        self.assertEqual(resp.json()["errors"][0]["code"], code, resp)

    def start_upload(self):
        repo = unique_name("linger")
        self.ecr().create_repository(repositoryName=repo)
        r = registry_request(
            self.server.host, self.server.port, "POST",
            "/v2/%s/blobs/uploads/" % repo,
            headers={"Authorization": basic_auth("AWS", self.password)})
        self.assertEqual(r.status, 202, r)
        return r.header("Location")

    def test_unauthenticated_patch_is_401(self):
        path = "/v2/%s/blobs/uploads/%s" % (unique_name("linger"),
                                            uuid.uuid4())
        resp = self.early_answer(head(self.server, "PATCH", path, BODY_LEN),
                                 BODY_LEN)
        self.assertRegError(resp, 401, "UNAUTHORIZED")

    def test_unauthenticated_put_is_401(self):
        path = "/v2/%s/blobs/uploads/%s?digest=sha256:%s" % (
            unique_name("linger"), uuid.uuid4(), "a" * 64)
        resp = self.early_answer(head(self.server, "PUT", path, BODY_LEN),
                                 BODY_LEN)
        self.assertRegError(resp, 401, "UNAUTHORIZED")

    def test_out_of_order_patch_is_416(self):
        loc = self.start_upload()
        resp = self.early_answer(head(
            self.server, "PATCH", loc, BODY_LEN,
            [("Authorization", basic_auth("AWS", self.password)),
             ("Content-Range", "10-%d" % (10 + BODY_LEN - 1))]), BODY_LEN)
        self.assertRegError(resp, 416, "BLOB_UPLOAD_INVALID")

    def test_api_body_over_the_limit_is_413(self):
        resp = self.early_answer(api_request(
            self.server, "DescribeRepositories", b"",
            API_BODY_LIMIT + MiB), BODY_LEN)
        self.assertAwsError(resp, 413, "RequestEntityTooLargeException")


class HalfCloseTest(EcrdTestCase):
    """Item 6: shutdown(SHUT_WR) after a whole request still gets the
    answer, and the write it asked for is done."""

    def half_closed(self, request, n_answers=1):
        with connect(self.server) as sock, sock.makefile("rb") as f:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
            resps = [read_response(f) for _ in range(n_answers)]
            # Then the server closes (whether the last answer said
            # "Connection: close" depends on when it saw the EOF).
            self.assertEqual(f.read(), b"")
        return resps

    def test_create_repository(self):
        name = unique_name("half")
        resp, = self.half_closed(api_request(
            self.server, "CreateRepository",
            json.dumps({"repositoryName": name}).encode()))
        out = self.assertOk(resp)
        self.assertEqual(out["repository"]["repositoryName"], name)
        repos = self.ecr().describe_repositories(
            repositoryNames=[name])["repositories"]
        self.assertEqual([r["repositoryName"] for r in repos], [name])

    def test_pipelined_writes(self):
        names = [unique_name("half") for _ in range(3)]
        resps = self.half_closed(b"".join(api_request(
            self.server, "CreateRepository",
            json.dumps({"repositoryName": n}).encode()) for n in names), 3)
        for name, resp in zip(names, resps):
            self.assertEqual(
                self.assertOk(resp)["repository"]["repositoryName"], name)

    def test_registry_blob_upload(self):
        repo = unique_name("half")
        self.ecr().create_repository(repositoryName=repo)
        auth = ("Authorization", basic_auth(
            "AWS", registry_password(self.ecr())))
        r = registry_request(self.server.host, self.server.port, "POST",
                             "/v2/%s/blobs/uploads/" % repo, headers=[auth])
        self.assertEqual(r.status, 202, r)
        data = hashlib.sha256(b"half-close").digest() * 4096
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        resp, = self.half_closed(head(
            self.server, "PUT", "%s?digest=%s" % (r.header("Location"),
                                                  digest),
            len(data), [auth]) + data)
        self.assertEqual(resp.status, 201, resp)
        self.assertEqual(resp.header("Docker-Content-Digest"), digest)
        r = registry_request(self.server.host, self.server.port, "GET",
                             "/v2/%s/blobs/%s" % (repo, digest),
                             headers=[auth])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, data)


FD_LIMIT = 64
EMFILE_TEXT = os.strerror(24)   # EMFILE: "Too many open files"


def low_fd_limit():
    resource.setrlimit(resource.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))


def cpu_seconds(pid):
    """utime + stime of a process, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class LimitsTest(OwnServersTestCase):
    """Item 5: the descriptor limit and slow or silent clients."""

    tmp_prefix = "e2e-conn-"

    def open_connections(self, server, n):
        socks = []
        self.addCleanup(lambda: [s.close() for s in socks])
        for _ in range(n):
            socks.append(connect(server))
        return socks

    def test_at_the_descriptor_limit_accept_pauses(self):
        server = self.start(preexec_fn=low_fd_limit)
        # Connecting succeeds through the listen backlog; the server runs
        # out of descriptors accepting them.
        socks = self.open_connections(server, FD_LIMIT + 32)
        poll(lambda: EMFILE_TEXT in server.stderr(), 30,
             "the server to reach its descriptor limit", server.proc)
        lines = server.stderr().count(EMFILE_TEXT)
        cpu = cpu_seconds(server.pid)
        # A measured window at the limit: a spinning server burns a whole
        # core and logs each accept; the margin is generous.
        threading.Event().wait(1.0)
        self.assertLess(cpu_seconds(server.pid) - cpu, 0.25)
        self.assertLessEqual(server.stderr().count(EMFILE_TEXT) - lines, 3)
        for s in socks:
            s.close()
        r = http_request(server.host, server.port, "GET", "/health")
        self.assertEqual(r.status, 200, r)
        self.assertLessEqual(server.stderr().count(EMFILE_TEXT), 10)

    def trickle(self, sock, lines, period=0.5, limit=30.0):
        """Send one of lines every period until the server closes sock
        (True) or limit passes (False); also what the server sent."""
        got = b""
        deadline = time.monotonic() + limit
        lines = iter(lines)
        while time.monotonic() < deadline:
            line = next(lines, None)
            try:
                if line:
                    sock.sendall(line)
                ready, _, _ = select.select([sock], [], [], period)
                if not ready:
                    continue
                data = sock.recv(65536)
            except (BrokenPipeError, ConnectionResetError):
                return True, got
            if not data:
                return True, got
            got += data
        return False, got

    def test_trickled_headers_meet_their_deadline(self):
        server = self.start("--header-timeout", "2")
        slow = (b"X-Slow-%d: x\r\n" % i for i in range(1000))
        with connect(server) as sock:
            closed, got = self.trickle(sock, [b"GET /health HTTP/1.1\r\n"
                                              b"Host: x\r\n"] + list(slow))
        self.assertTrue(closed, "a trickling client was never cut off")
        if got:
            self.assertTrue(got.startswith(b"HTTP/1.1 408 "), got[:200])
        # A client that never sends a byte goes the same way.
        with connect(server) as sock:
            closed, got = self.trickle(sock, [])
        self.assertTrue(closed, "a silent client was never cut off")
        self.assertEqual(got, b"")
        self.assertHealthy(server)

    def test_the_deadline_is_per_request_not_per_connection(self):
        """Later requests' deadlines start at their first byte: a
        keep-alive connection idle for longer than the header timeout
        still serves its next request."""
        server = self.start("--header-timeout", "1")
        request = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        with connect(server) as sock, sock.makefile("rb") as f:
            sock.sendall(request)
            self.assertEqual(read_response(f).status, 200)
            threading.Event().wait(1.5)
            sock.sendall(request)
            self.assertEqual(read_response(f).status, 200)


if __name__ == "__main__":
    unittest.main()
