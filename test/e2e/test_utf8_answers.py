"""Every JSON answer is valid UTF-8, whatever bytes a request carries
(issue 11, item 3).

Error messages echo headers (Authorization, X-Amz-Date), targets and
repository names from the URL path; raw bytes that are not UTF-8 must come
back replaced (U+FFFD), never verbatim. Requests go out on raw sockets, so
any byte reaches the server; each answer body must decode as strict UTF-8
and parse as JSON.
"""

import json
import socket
import unittest

import harness
from harness import (HTTP_TIMEOUT_S, TARGET_PREFIX, EcrdTestCase,
                     read_response, unique_name)

BAD = b"\xff\xfe\xc3"     # not UTF-8: two stray bytes and a cut sequence
SIGV4 = (b"AWS4-HMAC-SHA256 Credential=AKIA" + BAD +
         b"/20240101/us-east-1/ecr/aws4_request, SignedHeaders=host;"
         b"x-amz-date, Signature=" + b"0" * 64)
OWNER = {"accessKeyId": "AKIAUTF8OWNER0000001",
         "secretAccessKey": "utf8-owner-secret",
         "arn": "arn:aws:iam::111111111111:user/owner",
         "policies": [{"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}]}


def raw_exchange(server, request):
    """Send request bytes as they are; the one response that comes back."""
    sock = socket.create_connection((server.host, server.port),
                                    timeout=HTTP_TIMEOUT_S)
    try:
        sock.sendall(request)
        with sock.makefile("rb") as f:
            return read_response(f)
    finally:
        sock.close()


def api_request(headers, body=b"{}"):
    lines = [b"POST / HTTP/1.1", b"Host: localhost",
             b"Content-Type: application/x-amz-json-1.1",
             b"Content-Length: %d" % len(body), b"Connection: close"]
    lines += [k + b": " + v for k, v in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def get_request(path, headers=()):
    lines = [b"GET " + path + b" HTTP/1.1", b"Host: localhost",
             b"Connection: close"]
    lines += [k + b": " + v for k, v in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


class Utf8Helpers:

    def assertUtf8Json(self, resp):
        """The body decodes as strict UTF-8 and parses as JSON."""
        self.assertTrue(resp.body, resp)
        text = resp.body.decode("utf-8", errors="strict")
        return json.loads(text)

    def exchange(self, request):
        return raw_exchange(self.server, request)


class PermissiveUtf8Test(Utf8Helpers, EcrdTestCase):

    def target(self, op=b"ListImages"):
        return (b"X-Amz-Target", TARGET_PREFIX.encode() + op)

    def test_raw_authorization_header(self):
        r = self.exchange(api_request([self.target(),
                                       (b"Authorization", b"\xff\xfe")]))
        body = self.assertUtf8Json(r)
        self.assertEqual(r.status, 400, r)
        self.assertEqual(body["__type"], "IncompleteSignatureException")

    def test_raw_credential_in_a_sigv4_header(self):
        r = self.exchange(api_request([self.target(),
                                       (b"Authorization", SIGV4),
                                       (b"X-Amz-Date", b"20240101T000000Z")]))
        self.assertUtf8Json(r)
        self.assertEqual(r.status, 400, r)

    def test_raw_x_amz_date_is_echoed_replaced(self):
        r = self.exchange(api_request([self.target(),
                                       (b"Authorization", SIGV4),
                                       (b"X-Amz-Date", b"2024" + BAD)]))
        body = self.assertUtf8Json(r)
        self.assertEqual(body["__type"], "IncompleteSignatureException")
        self.assertIn("2024\ufffd\ufffd\ufffd", body["message"])

    def test_raw_target(self):
        r = self.exchange(api_request([self.target(b"List" + BAD)]))
        body = self.assertUtf8Json(r)
        self.assertEqual(body["__type"], "UnknownOperationException")

    def registry_auth(self):
        password, _ = harness.mint_registry_password(self.server, 600)
        return (b"Authorization",
                harness.basic_auth("AWS", password).encode())

    def test_raw_repository_name_in_registry_paths(self):
        auth = self.registry_auth()
        name = b"e2e-" + unique_name("utf8").encode() + BAD
        for path in (b"/v2/" + name + b"/tags/list",
                     b"/v2/" + name + b"/manifests/latest",
                     b"/v2/ok/manifests/v" + BAD,
                     b"/v2/" + name + b"/blobs/sha256:" + BAD,
                     b"/v2/" + name + b"/blobs/uploads/" + BAD):
            with self.subTest(path=path):
                r = self.exchange(get_request(path, [auth]))
                body = self.assertUtf8Json(r)
                self.assertGreaterEqual(r.status, 400, r)
                self.assertIn("errors", body)

    def test_raw_registry_credentials(self):
        for value in (b"Basic " + BAD, b"Bearer " + BAD, BAD):
            with self.subTest(value=value):
                r = self.exchange(get_request(b"/v2/x/tags/list",
                                              [(b"Authorization", value)]))
                self.assertEqual(r.status, 401, r)
                self.assertUtf8Json(r)

    def test_raw_bytes_in_admin_and_unknown_paths(self):
        for path in (b"/_ecrd/" + BAD, b"/" + BAD,
                     b"/_ecrd/blobs/" + BAD + b"?expires=" + BAD):
            with self.subTest(path=path):
                r = self.exchange(get_request(path))
                self.assertGreaterEqual(r.status, 400, r)
                self.assertUtf8Json(r)
        r = self.exchange(b"POST /_ecrd/token?expires_in_seconds=1&account="
                          + BAD + b" HTTP/1.1\r\nHost: x\r\nContent-Length:"
                          b" 0\r\nConnection: close\r\n\r\n")
        self.assertEqual(r.status, 400, r)
        self.assertUtf8Json(r)


class StrictUtf8Test(Utf8Helpers, EcrdTestCase):

    principals = [OWNER]

    def test_raw_access_key_and_date(self):
        target = (b"X-Amz-Target", TARGET_PREFIX.encode() + b"ListImages")
        for headers in ([(b"Authorization", SIGV4),
                         (b"X-Amz-Date", b"20240101T000000Z")],
                        [(b"Authorization", SIGV4),
                         (b"X-Amz-Date", BAD)],
                        [(b"Authorization", b"\xff\xfe")],
                        [(b"X-Amz-Security-Token", BAD),
                         (b"Authorization", SIGV4),
                         (b"X-Amz-Date", b"20240101T000000Z")]):
            with self.subTest(headers=headers):
                r = self.exchange(api_request([target] + headers))
                self.assertEqual(r.status, 400, r)
                self.assertUtf8Json(r)

    def test_raw_registry_paths_without_credentials(self):
        r = self.exchange(get_request(b"/v2/" + BAD + b"/tags/list",
                                      [(b"Authorization", b"Basic " + BAD)]))
        self.assertEqual(r.status, 401, r)
        self.assertUtf8Json(r)


if __name__ == "__main__":
    unittest.main()
