"""The AWS JSON 1.1 wire protocol, probed with raw HTTP.

A table of malformed or unusual requests (docs/ecr-behaviour.md 1.1-1.5), each
checked for its exact status, __type and x-amzn-RequestId, followed by a
health check to show the server survived. Then the operations not built yet
(501 naming the operation), pipelining, Expect: 100-continue, oversized
bodies and POST /moto-api/reset.
"""

import base64
import json
import socket
import threading
import time
import unittest

import botocore.session

import harness
from harness import (DEFAULT_ACCOUNT, JSON_11, OTHER_REGION, REGION,
                     TARGET_PREFIX, EcrdTestCase, fresh_account,
                     not_found_message, read_response, sign_headers,
                     unique_name)

# Operations the server implements today; every other model operation must
# answer 501 NotImplementedException until it is built. Extend this set as
# operations land.
BUILT_OPS = {"CreateRepository", "DescribeRepositories", "DeleteRepository",
             "PutImageTagMutability", "PutImageScanningConfiguration",
             "TagResource", "UntagResource", "ListTagsForResource",
             "DescribeRegistry", "GetAuthorizationToken",
             # Issue 3: images and layers.
             "PutImage", "BatchGetImage", "BatchDeleteImage", "ListImages",
             "DescribeImages", "InitiateLayerUpload", "UploadLayerPart",
             "CompleteLayerUpload", "BatchCheckLayerAvailability",
             "GetDownloadUrlForLayer", "ListImageReferrers",
             "UpdateImageStorageClass", "DescribeImageReplicationStatus",
             # Issue 5: policies and account settings.
             "SetRepositoryPolicy", "GetRepositoryPolicy",
             "DeleteRepositoryPolicy", "PutRegistryPolicy",
             "GetRegistryPolicy", "DeleteRegistryPolicy",
             "GetAccountSetting", "PutAccountSetting",
             # Issue 6: lifecycle policies.
             "PutLifecyclePolicy", "GetLifecyclePolicy",
             "DeleteLifecyclePolicy", "StartLifecyclePolicyPreview",
             "GetLifecyclePolicyPreview",
             # Issue 13: creation templates, pull-through cache rules.
             "CreateRepositoryCreationTemplate",
             "DescribeRepositoryCreationTemplates",
             "UpdateRepositoryCreationTemplate",
             "DeleteRepositoryCreationTemplate",
             "CreatePullThroughCacheRule", "DescribePullThroughCacheRules",
             "UpdatePullThroughCacheRule", "DeletePullThroughCacheRule",
             "ValidatePullThroughCacheRule",
             # Issue 14: replication.
             "PutReplicationConfiguration",
             # Issue 15: scanning.
             "StartImageScan", "DescribeImageScanFindings",
             "PutRegistryScanningConfiguration",
             "GetRegistryScanningConfiguration",
             "BatchGetRepositoryScanningConfiguration",
             # Issue 16: pull-time update exclusions, managed signing.
             "RegisterPullTimeUpdateExclusion",
             "DeregisterPullTimeUpdateExclusion",
             "ListPullTimeUpdateExclusions", "PutSigningConfiguration",
             "GetSigningConfiguration", "DeleteSigningConfiguration",
             "DescribeImageSigningStatus"}

MiB = 1024 * 1024
BODY_LIMIT = 32 * MiB
DESCRIBE = "DescribeRepositories"
CREATE = "CreateRepository"


def case(name, status, error_type, body=b"{}", op=DESCRIBE, target=None,
         headers=None, method="POST", path="/", message=None,
         contains=(), no_target=False):
    return dict(name=name, status=status, error_type=error_type, body=body,
                op=op, target=target, headers=headers or {}, method=method,
                path=path, message=message, contains=contains,
                no_target=no_target)


SER = "SerializationException"
IPE = "InvalidParameterException"
UNK = "UnknownOperationException"

# name, expected status, expected __type, request.
BAD_INPUTS = [
    case("truncated_json", 400, SER, b'{"repositoryNames": ["a"'),
    case("truncated_string", 400, SER, b'{"nextToken": "abc'),
    case("trailing_garbage", 400, SER, b'{} x'),
    case("two_objects", 400, SER, b'{}{}'),
    case("top_level_array", 400, SER, b'[]'),
    case("top_level_string", 400, SER, b'"DescribeRepositories"'),
    case("top_level_number", 400, SER, b'42'),
    case("top_level_null", 400, SER, b'null'),
    case("top_level_true", 400, SER, b'true'),
    case("not_json", 400, SER, b'repositoryName=abc'),
    case("single_quotes", 400, SER, b"{'maxResults': 5}"),
    case("trailing_comma", 400, SER, b'{"maxResults": 5,}'),
    case("nested_10k_arrays", 400, SER, b'[' * 10000),
    case("nested_10k_in_member", 400, SER,
         b'{"x": ' + b'[' * 10000 + b']' * 10000 + b'}'),
    case("nested_10k_objects", 400, SER, b'{"a":' * 10000 + b'1' +
         b'}' * 10000),
    case("huge_exponent_number", 400, SER, b'{"maxResults": 1e400}'),
    case("huge_integer", 400, SER,
         b'{"maxResults": 123456789012345678901234567890}'),
    case("int32_overflow", 400, SER, b'{"maxResults": 4294967297}'),
    case("fraction_for_integer", 400, SER, b'{"maxResults": 3.5}'),
    case("string_for_integer", 400, SER, b'{"maxResults": "12"}'),
    case("bool_for_integer", 400, SER, b'{"maxResults": true}'),
    case("number_for_string", 400, SER, b'{"repositoryName": 5}', op=CREATE),
    case("object_for_string", 400, SER, b'{"repositoryName": {}}', op=CREATE),
    case("string_for_list", 400, SER, b'{"repositoryNames": "abc"}'),
    case("number_in_list", 400, SER, b'{"repositoryNames": [1]}'),
    case("string_for_boolean", 400, SER,
         b'{"repositoryName": "x1", "imageScanningConfiguration": '
         b'{"scanOnPush": "yes"}}', op=CREATE),
    case("list_for_structure", 400, SER,
         b'{"repositoryName": "x1", "encryptionConfiguration": []}',
         op=CREATE),
    case("invalid_utf8_in_value", 400, SER,
         b'{"repositoryName": "ab\xff\xfe"}', op=CREATE),
    case("invalid_utf8_in_key", 400, SER, b'{"\xc3\x28": 1}'),
    case("overlong_utf8", 400, SER, b'{"nextToken": "\xc0\xaf"}'),
    case("utf16_surrogate_bytes", 400, SER, b'{"nextToken": "\xed\xa0\x80"}'),
    case("nul_byte_in_body", 400, SER, b'{"nextToken": "a\x00b"}'),
    case("missing_target", 400, UNK, no_target=True),
    case("empty_target", 400, UNK, target=""),
    case("wrong_prefix", 400, UNK,
         target="AmazonEC2ContainerRegistry_V20150922.DescribeRepositories"),
    case("bare_operation", 400, UNK, target="DescribeRepositories"),
    case("prefix_without_operation", 400, UNK, target=TARGET_PREFIX),
    case("unknown_operation", 400, UNK, target=TARGET_PREFIX +
         "DescribeRepository"),
    case("lowercase_operation", 400, UNK, target=TARGET_PREFIX +
         "describeRepositories"),
    case("uppercase_operation", 400, UNK, target=TARGET_PREFIX +
         "DESCRIBEREPOSITORIES"),
    case("operation_with_suffix", 400, UNK, target=TARGET_PREFIX +
         "DescribeRepositories.x"),
    case("get_root", 404, UNK, method="GET", path="/", body=b""),
    case("post_other_path", 404, UNK, path="/v1/repositories"),
    case("get_unknown_path", 404, UNK, method="GET", path="/nope", body=b""),
    case("missing_required_member", 400, IPE, b'{}', op=CREATE,
         contains=("'repositoryName'", "must not be null")),
    case("null_required_member", 400, IPE, b'{"repositoryName": null}',
         op=CREATE, contains=("'repositoryName'", "must not be null")),
    case("missing_required_tags", 400, IPE,
         json.dumps({"resourceArn": harness.repo_arn("x1")}).encode(),
         op="TagResource", contains=("'tags'", "must not be null")),
    case("uppercase_repository_name", 400, IPE,
         b'{"repositoryName": "UpperCase"}', op=CREATE,
         message=harness.REPO_NAME_MESSAGE),
    case("one_letter_repository_name", 400, IPE,
         b'{"repositoryName": "a"}', op=CREATE,
         contains=("'repositoryName'", "length greater than or equal to 2")),
    case("max_results_zero", 400, IPE, b'{"maxResults": 0}',
         contains="'maxResults'"),
    case("max_results_1001", 400, IPE, b'{"maxResults": 1001}',
         contains="'maxResults'"),
    case("max_results_negative", 400, IPE, b'{"maxResults": -1}',
         contains="'maxResults'"),
    case("bad_enum", 400, IPE,
         b'{"repositoryName": "x1", "imageTagMutability": "mutable"}',
         op=CREATE, contains="imageTagMutability"),
    case("bad_registry_id", 400, IPE, b'{"registryId": "12345"}',
         contains="registryId"),
    case("empty_repository_names", 400, IPE, b'{"repositoryNames": []}',
         contains="repositoryNames"),
    case("malformed_authorization", 400, "IncompleteSignatureException",
         headers={"Authorization": "AWS4-HMAC-SHA256 garbage"}),
    case("authorization_without_signature", 400,
         "IncompleteSignatureException",
         headers={"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/"
                  "20250101/us-east-1/ecr/aws4_request, SignedHeaders=host",
                  "X-Amz-Date": "20250101T000000Z"}),
    case("authorization_short_credential", 400,
         "IncompleteSignatureException",
         headers={"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/x, "
                  "SignedHeaders=host, Signature=" + "0" * 64,
                  "X-Amz-Date": "20250101T000000Z"}),
    case("authorization_without_date", 400, "IncompleteSignatureException",
         headers={"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/"
                  "20250101/us-east-1/ecr/aws4_request, SignedHeaders=host,"
                  " Signature=" + "0" * 64}),
]


class BadInputTableTest(EcrdTestCase):
    """One test per row of BAD_INPUTS (generated below)."""

    def run_case(self, c):
        headers = {"Content-Type": JSON_11}
        if not c["no_target"]:
            headers["X-Amz-Target"] = (c["target"] if c["target"] is not None
                                       else TARGET_PREFIX + c["op"])
        headers.update(c["headers"])
        resp = self.http(c["method"], c["path"], c["body"], headers)
        self.assertAwsError(resp, c["status"], c["error_type"],
                            message=c["message"],
                            message_contains=c["contains"])
        self.assertEqual(resp.header("Content-Type"), JSON_11)
        self.assertHealthy()


def _make_case_test(c):
    def test(self):
        self.run_case(c)
    test.__doc__ = "%s -> %d %s" % (c["name"], c["status"], c["error_type"])
    return test


for _c in BAD_INPUTS:
    setattr(BadInputTableTest, "test_" + _c["name"], _make_case_test(_c))


class AcceptedInputTest(EcrdTestCase):
    """Things a lenient-but-correct server must accept
    (docs/ecr-behaviour.md 1.1)."""

    def test_empty_body_is_an_empty_object(self):
        body = self.assertOk(self.api(DESCRIBE, body=b""))
        self.assertIn("repositories", body)

    def test_null_members_are_absent(self):
        name = unique_name()
        body = self.assertOk(self.api(CREATE, {
            "repositoryName": name, "tags": None, "registryId": None,
            "imageTagMutability": None, "encryptionConfiguration": None,
            "imageScanningConfiguration": None}))
        repo = body["repository"]
        self.assertEqual(repo["imageTagMutability"], "MUTABLE")
        self.assertEqual(repo["encryptionConfiguration"],
                         {"encryptionType": "AES256"})
        self.assertOk(self.api(DESCRIBE, {"maxResults": None,
                                          "nextToken": None,
                                          "repositoryNames": None}))

    def test_unknown_members_are_ignored(self):
        name = unique_name()
        body = self.assertOk(self.api(CREATE, {
            "repositoryName": name, "colour": "blue", "nested": {"a": [1]},
            "imageScanningConfiguration": {"scanOnPush": True,
                                           "extra": 1}}))
        self.assertEqual(body["repository"]["repositoryName"], name)
        self.assertEqual(body["repository"]["imageScanningConfiguration"],
                         {"scanOnPush": True})

    def test_content_types(self):
        for ctype in ("application/x-amz-json-1.0", "application/json",
                      None):
            with self.subTest(content_type=ctype):
                headers = {"X-Amz-Target": TARGET_PREFIX + DESCRIBE}
                if ctype:
                    headers["Content-Type"] = ctype
                resp = self.http("POST", "/", b"{}", headers)
                self.assertOk(resp)

    def test_success_headers(self):
        resp = self.api(DESCRIBE, {})
        self.assertOk(resp)
        self.assertEqual(resp.header("Content-Type"), JSON_11)
        self.assertEqual(int(resp.header("Content-Length")), len(resp.body))
        import email.utils
        date = email.utils.parsedate_to_datetime(resp.header("Date"))
        self.assertAlmostEqual(date.timestamp(), time.time(), delta=60)

    def test_request_ids_are_unique(self):
        ids = {self.api(DESCRIBE, {}).header("x-amzn-RequestId")
               for _ in range(5)}
        self.assertEqual(len(ids), 5)

    def test_botocore_style_json_with_spaces_and_escapes(self):
        name = unique_name()
        body = ('{ "repositoryName" : "%s" ,\n "tags" : [ { "Key" : '
                '"k\\u00e9\\/\\"", "Value" : "v\\n" } ] }' % name).encode()
        self.assertOk(self.api(CREATE, body=body))
        tags = self.assertOk(self.api("ListTagsForResource", {
            "resourceArn": harness.repo_arn(name)}))["tags"]
        self.assertEqual(tags, [{"Key": "k\u00e9/\"", "Value": "v\n"}])

    def test_region_comes_from_the_signature_scope(self):
        name = unique_name()
        body = json.dumps({"repositoryName": name}).encode()
        headers = sign_headers(self.server.endpoint, CREATE, body,
                               "AKIDANYTHING", "secret",
                               region="ap-south-1")
        out = self.assertOk(self.http("POST", "/", body, headers))
        self.assertEqual(out["repository"]["repositoryArn"],
                         harness.repo_arn(name, region="ap-south-1"))

    def test_health_endpoints(self):
        for path in ("/health", "/_ecrd/health"):
            with self.subTest(path=path):
                resp = self.http("GET", path)
                self.assertEqual(resp.status, 200)
                body = resp.json()
                self.assertEqual(body["service"], "ecrd")
                self.assertEqual(body["status"], "running")
                self.assertIsInstance(body["version"], str)

    def test_chunked_request_body(self):
        name = unique_name()
        payload = json.dumps({"repositoryName": name}).encode()
        head = ("POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n"
                "X-Amz-Target: %s%s\r\nTransfer-Encoding: chunked\r\n"
                "Connection: close\r\n\r\n"
                % (self.server.hostport, JSON_11, TARGET_PREFIX, CREATE))
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(payload[i:i + 7]),
                                              payload[i:i + 7])
                          for i in range(0, len(payload), 7))
        with self.connect() as (sock, f):
            sock.sendall(head.encode() + chunks + b"0\r\n\r\n")
            resp = read_response(f)
        out = self.assertOk(resp)
        self.assertEqual(out["repository"]["repositoryName"], name)

    def connect(self):
        return _Conn(self.server)


class StringSafetyTest(EcrdTestCase):
    """What goes in as a string comes out as the same valid UTF-8, or not
    at all: no silent truncation at NUL, no invalid UTF-8 stored."""

    def test_stored_strings_stay_valid_utf8(self):
        acct = fresh_account()
        for i, raw in enumerate((b"\xc0\xaf", b"\xed\xa0\x80",
                                 b"\xf8\x88\x80\x80\x80", b"\xff")):
            with self.subTest(bytes=raw):
                body = (b'{"repositoryName": "utf-%d", "tags": [{"Key": "k",'
                        b' "Value": "v%s"}]}' % (i, raw))
                resp = self.api(CREATE, body=body, key=acct)
                self.assertAwsError(resp, 400, SER)
        # Whatever was accepted, boto3 must still be able to read it back.
        client = self.ecr(key=acct)
        for repo in client.describe_repositories()["repositories"]:
            with self.subTest(readback=repo["repositoryName"]):
                try:
                    client.list_tags_for_resource(
                        resourceArn=repo["repositoryArn"])
                except UnicodeDecodeError as e:
                    self.fail("the server stored invalid UTF-8 and now "
                              "sends it, which botocore cannot decode: %s"
                              % e)

    def test_nul_in_an_arn_is_not_truncated(self):
        name = unique_name("nul")
        arn = self.ecr().create_repository(
            repositoryName=name, tags=[{"Key": "k", "Value": "v"}]
        )["repository"]["repositoryArn"]
        for op, extra in (("ListTagsForResource", {}),
                          ("TagResource", {"tags": [{"Key": "evil",
                                                     "Value": "1"}]}),
                          ("UntagResource", {"tagKeys": ["k"]})):
            with self.subTest(op=op):
                payload = dict(resourceArn=arn + "\u0000junk", **extra)
                resp = self.api(op, payload)
                self.assertAwsError(resp, 400, IPE,
                                    "Invalid parameter at 'resourceArn' "
                                    "failed to satisfy constraint: "
                                    "'Member must not contain NUL "
                                    "characters'")
        self.assertEqual(self.ecr().list_tags_for_resource(
            resourceArn=arn)["tags"], [{"Key": "k", "Value": "v"}])

    def test_nul_in_a_tag_is_not_truncated(self):
        name = unique_name("nul")
        arn = self.ecr().create_repository(
            repositoryName=name)["repository"]["repositoryArn"]
        for tag in ({"Key": "k\u0000x", "Value": "v"},
                    {"Key": "k", "Value": "v\u0000x"}):
            with self.subTest(tag=tag):
                resp = self.api("TagResource", {"resourceArn": arn,
                                                "tags": [tag]})
                if resp.status == 200:
                    got = self.ecr().list_tags_for_resource(
                        resourceArn=arn)["tags"]
                    self.assertEqual(got, [tag], "stored changed")
                    self.ecr().untag_resource(resourceArn=arn,
                                              tagKeys=[tag["Key"]])
                else:
                    self.assertEqual(resp.status, 400, resp)
                    self.assertIn(resp.json()["__type"],
                                  ("InvalidTagParameterException", IPE))
                    self.assertEqual(self.ecr().list_tags_for_resource(
                        resourceArn=arn)["tags"], [])


class _Conn:
    """A raw keep-alive connection: (socket, buffered reader)."""

    def __init__(self, server):
        self.server = server

    def __enter__(self):
        self.sock = socket.create_connection(
            (self.server.host, self.server.port),
            timeout=harness.HTTP_TIMEOUT_S)
        self.f = self.sock.makefile("rb")
        return self.sock, self.f

    def __exit__(self, *exc):
        self.f.close()
        self.sock.close()


def raw_request(server, op, body, extra=""):
    if isinstance(body, str):
        body = body.encode()
    return ("POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n"
            "X-Amz-Target: %s%s\r\nContent-Length: %d\r\n%s\r\n"
            % (server.hostport, JSON_11, TARGET_PREFIX, op, len(body),
               extra)).encode() + body


class ConnectionTest(EcrdTestCase):

    def test_pipelined_burst_answered_in_order(self):
        names = [unique_name("pipe") for _ in range(25)]
        reqs = []
        for name in names:
            reqs.append(raw_request(self.server, CREATE,
                                    json.dumps({"repositoryName": name})))
            reqs.append(raw_request(self.server, DESCRIBE,
                                    json.dumps({"repositoryNames": [name]})))
        self.assertEqual(len(reqs), 50)
        with _Conn(self.server) as (sock, f):
            sock.sendall(b"".join(reqs))
            resps = [read_response(f) for _ in reqs]
            # The connection is still usable afterwards.
            sock.sendall(raw_request(self.server, DESCRIBE,
                                     json.dumps({"repositoryNames":
                                                 names[:3]})))
            last = read_response(f)
        ids = set()
        for i, name in enumerate(names):
            created = self.assertOk(resps[2 * i])
            self.assertEqual(created["repository"]["repositoryName"], name)
            described = self.assertOk(resps[2 * i + 1])
            self.assertEqual(described["repositories"],
                             [created["repository"]])
            ids.add(resps[2 * i].header("x-amzn-RequestId"))
            ids.add(resps[2 * i + 1].header("x-amzn-RequestId"))
            self.assertNotEqual(
                (resps[2 * i].header("Connection") or "").lower(), "close")
        self.assertEqual(len(ids), 50)
        self.assertEqual(len(self.assertOk(last)["repositories"]), 3)

    def test_pipelined_errors_do_not_break_the_stream(self):
        missing = unique_name("pipe")
        reqs = [raw_request(self.server, DESCRIBE, "{bad"),
                raw_request(self.server, DESCRIBE,
                            json.dumps({"repositoryNames": [missing]})),
                raw_request(self.server, DESCRIBE, "{}")]
        with _Conn(self.server) as (sock, f):
            sock.sendall(b"".join(reqs))
            resps = [read_response(f) for _ in reqs]
        self.assertAwsError(resps[0], 400, SER)
        self.assertAwsError(resps[1], 400, "RepositoryNotFoundException",
                            not_found_message(missing))
        self.assertOk(resps[2])

    def test_expect_100_continue(self):
        name = unique_name()
        body = json.dumps({"repositoryName": name}).encode()
        head = raw_request(self.server, CREATE, body,
                           "Expect: 100-continue\r\n")[:-len(body)]
        with _Conn(self.server) as (sock, f):
            sock.sendall(head)
            interim = read_response(f)
            self.assertEqual(interim.status, 100)
            sock.sendall(body)
            resp = read_response(f)
        out = self.assertOk(resp)
        self.assertEqual(out["repository"]["repositoryName"], name)

    def test_expect_100_continue_with_too_large_a_body(self):
        head = ("POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n"
                "X-Amz-Target: %s%s\r\nContent-Length: %d\r\n"
                "Expect: 100-continue\r\n\r\n"
                % (self.server.hostport, JSON_11, TARGET_PREFIX, DESCRIBE,
                   33 * MiB))
        with _Conn(self.server) as (sock, f):
            sock.sendall(head.encode())
            resp = read_response(f)
        # A final answer without asking for the body.
        self.assertAwsError(resp, 413, "RequestEntityTooLargeException")
        self.assertHealthy()

    def test_declared_33_mib_body_is_413(self):
        head = ("POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n"
                "X-Amz-Target: %s%s\r\nContent-Length: %d\r\n\r\n"
                % (self.server.hostport, JSON_11, TARGET_PREFIX, DESCRIBE,
                   33 * MiB))
        with _Conn(self.server) as (sock, f):
            sock.sendall(head.encode() + b"{")
            resp = read_response(f)
        self.assertAwsError(resp, 413, "RequestEntityTooLargeException")
        self.assertHealthy()

    def test_sent_33_mib_body_is_413(self):
        """The body really arrives (chunked, so no length up front)."""
        head = ("POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\n"
                "X-Amz-Target: %s%s\r\nTransfer-Encoding: chunked\r\n\r\n"
                % (self.server.hostport, JSON_11, TARGET_PREFIX, DESCRIBE))
        piece = b" " * MiB
        chunk = b"%x\r\n%s\r\n" % (len(piece), piece)
        with _Conn(self.server) as (sock, f):
            def send():
                try:
                    sock.sendall(head.encode() + b'2\r\n{"\r\n')
                    for _ in range(33):
                        sock.sendall(chunk)
                    sock.sendall(b"0\r\n\r\n")
                except OSError:
                    pass    # the server may hang up once it has answered
            sender = threading.Thread(target=send, daemon=True)
            sender.start()
            resp = read_response(f)
            sender.join(harness.HTTP_TIMEOUT_S)
        self.assertAwsError(resp, 413, "RequestEntityTooLargeException")
        self.assertHealthy()

    def test_body_just_under_the_limit_is_parsed(self):
        # 32 MiB of JSON (whitespace-padded) is accepted and parsed.
        body = b'{"maxResults": 5' + b" " * (BODY_LIMIT - 32) + b'}'
        self.assertLessEqual(len(body), BODY_LIMIT)
        resp = self.api(DESCRIBE, body=body)
        self.assertOk(resp)

    def test_garbage_request_line(self):
        with _Conn(self.server) as (sock, f):
            sock.sendall(b"THIS IS NOT HTTP\r\n\r\n")
            try:
                resp = read_response(f)
                self.assertGreaterEqual(resp.status, 400)
                self.assertLess(resp.status, 500)
            except (EOFError, ConnectionError):
                pass    # hanging up is an answer too
        self.assertHealthy()


# ---------------------------------------------------------------------------
# Operations not built yet: 501 naming the operation, after validation, so
# each gets a minimal valid input built from the model.

_DIGEST = "sha256:" + "a" * 64
_SAMPLES = {
    "repositoryName": "e2e-unbuilt",
    "repositoryNames": ["e2e-unbuilt"],
    "layerDigests": [_DIGEST],
    "layerDigest": _DIGEST,
    "imageDigest": _DIGEST,
    "uploadId": "0b2c1f4e-1111-4222-8333-444455556666",
    "imageIds": [{"imageTag": "latest"}],
    "ecrRepositoryPrefix": "e2e",
    "upstreamRegistryUrl": "public.ecr.aws",
    "prefix": "e2e",
    "appliedFor": ["REPLICATION"],
    "principalArn": "arn:aws:iam::123456789012:role/e2e",
    "name": "BASIC_SCAN_TYPE_VERSION",
    "value": "AWS_NATIVE",
    "imageManifest": json.dumps({"schemaVersion": 2, "mediaType":
                                 "application/vnd.oci.image.manifest.v1+json",
                                 "config": {}, "layers": []}),
    "lifecyclePolicyText": json.dumps({"rules": [{
        "rulePriority": 1, "description": "expire untagged images",
        "selection": {"tagStatus": "untagged", "countType": "imageCountMoreThan",
                      "countNumber": 10}, "action": {"type": "expire"}}]}),
    "policyText": json.dumps({"Version": "2012-10-17", "Statement": []}),
    "subjectId": {"imageDigest": _DIGEST},
    "replicationConfiguration": {"rules": []},
    "signingConfiguration": {"rules": []},
    "targetStorageClass": "STANDARD",
    "partFirstByte": 0,
    "partLastByte": 0,
    "layerPartBlob": base64.b64encode(b"layer").decode(),
}


def _sample(member, shape):
    import re
    if member in _SAMPLES:
        return _SAMPLES[member]
    t = shape.type_name
    meta = shape.metadata
    if t == "structure":
        return {m: _sample(m, shape.members[m])
                for m in shape.required_members}
    if t == "list":
        n = meta.get("min", 0)
        return [_sample(member, shape.member) for _ in range(n)]
    if t == "string":
        if shape.enum:
            return shape.enum[0]
        value = "a" * max(meta.get("min", 1), 1)
        if "pattern" in meta and not re.fullmatch(meta["pattern"], value):
            raise AssertionError("add a sample for member %r (pattern %s)"
                                 % (member, meta["pattern"]))
        return value
    if t in ("integer", "long"):
        return max(meta.get("min", 1), 1)
    if t == "boolean":
        return False
    if t == "blob":
        return base64.b64encode(b"x").decode()
    raise AssertionError("no sample for %s (%s)" % (member, t))


def unbuilt_operations():
    model = botocore.session.Session().get_service_model("ecr")
    out = []
    for op in sorted(model.operation_names):
        if op in BUILT_OPS:
            continue
        shape = model.operation_model(op).input_shape
        out.append((op, _sample(op, shape) if shape is not None else {}))
    return model, out


def every_operation():
    """Each operation with a sample request that passes the model's
    checks, where _sample can make one (None: it cannot)."""
    model = botocore.session.Session().get_service_model("ecr")
    out = []
    for op in sorted(model.operation_names):
        shape = model.operation_model(op).input_shape
        try:
            payload = _sample(op, shape) if shape is not None else {}
        except AssertionError:
            payload = None
        out.append((op, payload))
    return out


class OperationTableTest(EcrdTestCase):
    """All 58 operations are built: none answers 501 any more."""

    def test_model_has_the_expected_operations(self):
        model, ops = unbuilt_operations()
        self.assertLessEqual(BUILT_OPS, set(model.operation_names))
        # botocore 1.43: 58 operations, all of them built.
        self.assertEqual(len(model.operation_names), 58)
        self.assertEqual(ops, [])

    def test_none_answers_501(self):
        sent = 0
        for op, payload in every_operation():
            if payload is None:
                continue
            with self.subTest(op=op):
                resp = self.api(op, payload)
                self.assertNotEqual(resp.status, 501)
                self.assertNotIn(b"NotImplementedException", resp.body)
                sent += 1
        # Nearly every operation gets a request the model accepts.
        self.assertGreaterEqual(sent, 50)
        self.assertHealthy()

    def test_via_boto3_too(self):
        got = self.ecr().batch_get_repository_scanning_configuration(
            repositoryNames=["e2e-unbuilt"])
        self.assertEqual([f["repositoryName"] for f in got["failures"]],
                         ["e2e-unbuilt"])


# ---------------------------------------------------------------------------
# POST /moto-api/reset


class ResetTest(EcrdTestCase):
    # Its own server even with ECRD_TEST_ENDPOINT: a reset wipes everything.
    server_args = ("--log-level", "warn")

    def test_reset_wipes_every_registry(self):
        a, b = fresh_account(), fresh_account()
        name = unique_name("reset")
        places = [(DEFAULT_ACCOUNT, REGION), (DEFAULT_ACCOUNT, OTHER_REGION),
                  (a, REGION), (a, OTHER_REGION), (b, REGION)]
        keys = {DEFAULT_ACCOUNT: harness.DEFAULT_KEY, a: a, b: b}
        for acct, region in places:
            self.ecr(key=keys[acct], region=region).create_repository(
                repositoryName=name, tags=[{"Key": "k", "Value": "v"}])
        resp = self.http("POST", "/moto-api/reset", b"")
        self.assertEqual(resp.status, 200, resp)
        for acct, region in places:
            with self.subTest(account=acct, region=region):
                client = self.ecr(key=keys[acct], region=region)
                self.assertEqual(
                    client.describe_repositories()["repositories"], [])
                # The name is free; the old tags did not survive.
                repo = client.create_repository(
                    repositoryName=name)["repository"]
                self.assertEqual(client.list_tags_for_resource(
                    resourceArn=repo["repositoryArn"])["tags"], [])
        self.assertHealthy()

    def test_reset_keeps_tokens_working(self):
        # Tokens MAC'd before a reset: refused or honoured, never a 500.
        client = self.ecr(key=fresh_account())
        for _ in range(3):
            client.create_repository(repositoryName=unique_name("reset"))
        token = client.describe_repositories(maxResults=1)["nextToken"]
        self.assertEqual(self.http("POST", "/moto-api/reset", b"").status,
                         200)
        resp = client.describe_repositories(nextToken=token)
        self.assertIsInstance(resp["repositories"], list)


if __name__ == "__main__":
    unittest.main()
