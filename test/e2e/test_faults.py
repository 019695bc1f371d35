"""Fault injection at /_ecrd/faults (issue 17; docs/observability.md,
"Throttling and faults").

Rules make an ECR operation or a registry route answer an error, or answer
late, by count or by chance (only probabilities 1 and 0 are tested: never
randomness otherwise). GET lists them with what is left of their counts,
DELETE clears them, a bad rule is a 400 that adds nothing, and strict mode
serves the endpoint only with --admin-endpoints.
"""

import base64
import json
import unittest

import harness
from harness import EcrdTestCase, unique_name
from test_registry import SKOPEO, RegistryHelpers, describe, run_tool

IPE = "InvalidParameterException"
FAULTS = "/_ecrd/faults"
DEFAULT_MESSAGE = "Fault injected by ecrd"


class FaultHelpers:

    def post_rules(self, *rules):
        return self.http("POST", FAULTS, json.dumps(
            {"rules": list(rules)}).encode())

    def add(self, *rules):
        r = self.post_rules(*rules)
        self.assertEqual(r.status, 200, r)
        return r.json()["rules"]

    def listed(self):
        r = self.http("GET", FAULTS)
        self.assertEqual(r.status, 200, r)
        return r.json()["rules"]

    def clear(self):
        r = self.http("DELETE", FAULTS)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"rules": []})


class FaultsTest(FaultHelpers, RegistryHelpers, EcrdTestCase):

    def setUp(self):
        self.clear()
        self.addCleanup(self.clear)

    def describe_repos(self):
        return self.api("DescribeRepositories", {})

    # -- the API ----------------------------------------------------------

    def test_by_count(self):
        rules = self.add({"operation": "DescribeRepositories",
                          "error": "ServerException", "status": 500,
                          "count": 2})
        self.assertEqual(rules, [{
            "operation": "DescribeRepositories", "error": "ServerException",
            "status": 500, "remaining": 2, "probability": 1.0,
            "latencyMs": 0}])
        for left in (1, 0):
            self.assertAwsError(self.describe_repos(), 500,
                                "ServerException", DEFAULT_MESSAGE)
            self.assertEqual(self.listed()[0]["remaining"], left)
        self.assertOk(self.describe_repos())
        # Other operations never saw it.
        self.assertOk(self.api("DescribeRegistry", {}))

    def test_boto3_retries_through_a_counted_fault(self):
        self.add({"operation": "ListImages", "error": "ServerException",
                  "count": 2})
        name = unique_name("faults")
        self.ecr().create_repository(repositoryName=name)
        client = harness.boto3.session.Session().client(
            "ecr", endpoint_url=self.server.endpoint,
            region_name=harness.REGION,
            aws_access_key_id=harness.DEFAULT_KEY,
            aws_secret_access_key=harness.DEFAULT_SECRET,
            config=harness.botocore.config.Config(
                retries={"max_attempts": 5, "mode": "standard"}))
        got = client.list_images(repositoryName=name)
        self.assertEqual(got["imageIds"], [])
        self.assertEqual(got["ResponseMetadata"]["RetryAttempts"], 2)
        self.assertEqual(self.listed()[0]["remaining"], 0)

    def test_error_status_and_message_as_asked(self):
        self.add({"operation": "DescribeRegistry",
                  "error": "ThrottlingException", "message": "Rate exceeded"},
                 {"operation": "DescribeRepositories",
                  "error": "RepositoryNotFoundException", "status": 404,
                  "message": "gone"})
        self.assertAwsError(self.api("DescribeRegistry", {}), 400,
                            "ThrottlingException", "Rate exceeded")
        self.assertAwsError(self.describe_repos(), 404,
                            "RepositoryNotFoundException", "gone")
        # No count: every call.
        self.assertAwsError(self.describe_repos(), 404,
                            "RepositoryNotFoundException", "gone")

    def test_probability_one_always_zero_never(self):
        self.add({"operation": "DescribeRepositories", "probability": 0.0,
                  "error": "ServerException", "count": 3},
                 {"operation": "DescribeRegistry", "probability": 1,
                  "error": "ServerException"})
        for _ in range(5):
            self.assertOk(self.describe_repos())
            self.assertAwsError(self.api("DescribeRegistry", {}), 500,
                                "ServerException")
        # A rule that never fired kept its count.
        self.assertEqual(self.listed()[0]["remaining"], 3)

    def test_the_first_rule_that_fires_answers(self):
        self.add({"operation": "DescribeRepositories",
                  "error": "AccessDeniedException", "count": 1},
                 {"operation": "DescribeRepositories",
                  "error": "ServerException", "count": 1})
        self.assertAwsError(self.describe_repos(), 400,
                            "AccessDeniedException")
        self.assertAwsError(self.describe_repos(), 500, "ServerException")
        self.assertOk(self.describe_repos())

    def test_latency_delays_the_real_answer_or_an_error(self):
        self.add({"operation": "DescribeRepositories", "latencyMs": 200,
                  "count": 1},
                 {"operation": "DescribeRegistry", "latencyMs": 150,
                  "error": "ServerException", "count": 1})
        # Only that the answer came, and which: no timing asserted.
        self.assertOk(self.describe_repos())
        self.assertAwsError(self.api("DescribeRegistry", {}), 500,
                            "ServerException")
        self.assertOk(self.api("DescribeRegistry", {}))

    def test_a_faulted_call_changes_nothing(self):
        name = unique_name("faults")
        self.add({"operation": "CreateRepository",
                  "error": "ServerException", "count": 1})
        self.assertAwsError(self.api("CreateRepository",
                                     {"repositoryName": name}),
                            500, "ServerException")
        r = self.api("DescribeRepositories", {"repositoryNames": [name]})
        self.assertAwsError(r, 400, "RepositoryNotFoundException")

    def test_upload_layer_part_body_is_dropped(self):
        name = unique_name("faults")
        self.ecr().create_repository(repositoryName=name)
        upload = self.ecr().initiate_layer_upload(repositoryName=name)
        self.add({"operation": "UploadLayerPart",
                  "error": "ServerException", "count": 1})
        blob = b"x" * (1024 * 1024)
        r = self.api("UploadLayerPart", body=json.dumps({
            "repositoryName": name, "uploadId": upload["uploadId"],
            "partFirstByte": 0, "partLastByte": len(blob) - 1,
            "layerPartBlob": base64.b64encode(blob).decode()
        }).encode())
        self.assertAwsError(r, 500, "ServerException")
        self.assertHealthy()

    # -- the registry -----------------------------------------------------

    def test_registry_route_fault_with_a_registry_code(self):
        name = self.make_repo()
        reg = self.reg()
        self.push(reg, name, harness.build_image("faults-reg"), "v1")
        self.add({"operation": "manifest-get", "error": "MANIFEST_UNKNOWN",
                  "count": 1},
                 {"operation": "tags-list", "error": "UNKNOWN",
                  "status": 503, "message": "try later", "count": 1})
        path = "/v2/%s/manifests/v1" % name
        self.assertRegError(reg.get(path), 404, "MANIFEST_UNKNOWN",
                            "manifest unknown to registry")
        self.assertEqual(reg.get(path).status, 200)
        self.assertRegError(reg.get("/v2/%s/tags/list" % name), 503,
                            "UNKNOWN", "try later")
        self.assertEqual(reg.get("/v2/%s/tags/list" % name).status, 200)

    def test_registry_upload_fault_drops_the_body(self):
        name = self.make_repo()
        reg = self.reg()
        loc = self.start_upload(reg, name)
        self.add({"operation": "upload-patch", "error": "BLOB_UPLOAD_INVALID",
                  "count": 1})
        r = reg.request("PATCH", loc, b"y" * (256 * 1024),
                        headers={"Content-Type": "application/octet-stream"})
        self.assertRegError(r, 400, "BLOB_UPLOAD_INVALID")
        self.assertHealthy()

    def test_registry_latency_then_the_real_answer(self):
        name = self.make_repo()
        reg = self.reg()
        self.add({"operation": "tags-list", "latencyMs": 100, "count": 1})
        r = reg.get("/v2/%s/tags/list" % name)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["name"], name)

    @unittest.skipUnless(SKOPEO, "skopeo is needed")
    def test_skopeo_sees_a_registry_fault(self):
        name = self.make_repo()
        self.push(self.reg(), name, harness.build_image("faults-sk"), "v1")
        ref = "docker://%s/%s:v1" % (self.server.hostport, name)
        argv = (SKOPEO, "--insecure-policy", "inspect", "--raw",
                "--tls-verify=false", "--creds", "AWS:" + self.password, ref)
        self.add({"operation": "manifest-get", "error": "DENIED",
                  "message": "injected for skopeo", "count": 1})
        p = run_tool(argv)
        self.assertNotEqual(p.returncode, 0, describe(p))
        self.assertIn("injected for skopeo", p.stderr, describe(p))
        p = run_tool(argv)
        self.assertEqual(p.returncode, 0, describe(p))

    # -- the endpoint -----------------------------------------------------

    def test_get_lists_and_delete_clears(self):
        self.add({"operation": "PutImage", "latencyMs": 5},
                 {"operation": "blob-get", "error": "BLOB_UNKNOWN",
                  "probability": 0.5, "count": 7})
        self.add({"operation": "ListImages", "error": "ServerException"})
        self.assertEqual(self.listed(), [
            {"operation": "PutImage", "probability": 1.0, "latencyMs": 5},
            {"operation": "blob-get", "error": "BLOB_UNKNOWN", "status": 404,
             "remaining": 7, "probability": 0.5, "latencyMs": 0},
            {"operation": "ListImages", "error": "ServerException",
             "status": 500, "probability": 1.0, "latencyMs": 0}])
        self.clear()
        self.assertEqual(self.listed(), [])
        self.assertOk(self.describe_repos())

    def test_bad_rules_are_refused_and_add_nothing(self):
        good = {"operation": "DescribeRepositories",
                "error": "ServerException"}
        bad = [
            ({}, "operation: required"),
            ({"operation": "NoSuchOperation", "error": "ServerException"},
             "operation: not an ECR operation nor a registry route"),
            ({"operation": 7, "error": "ServerException"},
             "operation: required"),
            ({"operation": "ListImages", "error": "NoSuchException"},
             "error: not an ECR error"),
            ({"operation": "ListImages", "error": "BLOB_UNKNOWN"},
             "error: not an ECR error"),
            ({"operation": "blob-get", "error": "ServerException"},
             "error: not a registry error code"),
            ({"operation": "ListImages"},
             "error or latencyMs: one is required"),
            ({"operation": "ListImages", "error": "ServerException",
              "probability": 1.5}, "probability: must be a number"),
            ({"operation": "ListImages", "error": "ServerException",
              "probability": "1"}, "probability: must be a number"),
            ({"operation": "ListImages", "error": "ServerException",
              "count": 0}, "count: must be a whole number"),
            ({"operation": "ListImages", "error": "ServerException",
              "count": 1.5}, "count: must be a whole number"),
            ({"operation": "ListImages", "error": "ServerException",
              "status": 200}, "status: must be a whole number"),
            ({"operation": "ListImages", "latencyMs": 5, "status": 500},
             "status: only with error"),
            ({"operation": "ListImages", "latencyMs": -1},
             "latencyMs: must be a whole number"),
            ({"operation": "ListImages", "latencyMs": 600001},
             "latencyMs: must be a whole number"),
            ({"operation": "ListImages", "error": "ServerException",
              "message": 5}, "message: must be a string"),
            ({"operation": "ListImages", "error": "ServerException",
              "cuont": 1}, "cuont: unknown member"),
            ("ListImages", "must be an object"),
        ]
        for rule, words in bad:
            with self.subTest(rule=rule):
                r = self.post_rules(good, rule)
                body = self.assertAwsError(r, 400, IPE)
                self.assertIn("rules[1].", body["message"])
                self.assertIn(words, body["message"])
                self.assertEqual(self.listed(), [])
        for body, error in ((b"{", "SerializationException"),
                            (b"[]", IPE),
                            (b"{}", IPE), (b'{"rules": {}}', IPE)):
            with self.subTest(body=body):
                self.assertAwsError(self.http("POST", FAULTS, body), 400,
                                    error)
        r = self.post_rules(*[good] * 101)
        self.assertAwsError(r, 400, IPE, "rules: at most 100 rules in all")
        self.assertEqual(self.listed(), [])
        self.assertOk(self.describe_repos())

    def test_other_methods_are_unknown(self):
        for method in ("PUT", "PATCH"):
            with self.subTest(method=method):
                self.assertAwsError(self.http(method, FAULTS), 404,
                                    "UnknownOperationException")


OWNER = {"accessKeyId": "AKIAFAULTSOWNER00001",
         "secretAccessKey": "faults-owner-secret",
         "arn": "arn:aws:iam::111111111111:user/owner",
         "policies": [{"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}]}


class StrictFaultsClosedTest(FaultHelpers, EcrdTestCase):
    """Strict mode without --admin-endpoints: no such endpoint."""

    principals = [OWNER]

    def test_faults_endpoint_is_an_unknown_path(self):
        for method, body in (("GET", b""), ("DELETE", b""),
                             ("POST", b'{"rules":[{"operation":'
                                      b'"DescribeRepositories","error":'
                                      b'"ServerException"}]}')):
            with self.subTest(method=method):
                self.assertAwsError(self.http(method, FAULTS, body), 404,
                                    "UnknownOperationException")
        owner = self.ecr(key=OWNER["accessKeyId"],
                         secret=OWNER["secretAccessKey"])
        self.assertEqual(owner.describe_repositories()["repositories"], [])


class StrictFaultsOptInTest(FaultHelpers, EcrdTestCase):
    """--admin-endpoints serves it in strict mode; rules fire before the
    signature is even looked at."""

    principals = [OWNER]
    server_args = ("--admin-endpoints",)

    def test_faults_endpoint_is_served(self):
        self.add({"operation": "DescribeRepositories",
                  "error": "ServerException", "count": 1})
        # Signed with the wrong secret: the rule answers first.
        r = self.api("DescribeRepositories", {}, key=OWNER["accessKeyId"])
        self.assertAwsError(r, 500, "ServerException", DEFAULT_MESSAGE)
        r = self.api("DescribeRepositories", {}, key=OWNER["accessKeyId"])
        self.assertAwsError(r, 400, "InvalidSignatureException")
        owner = self.ecr(key=OWNER["accessKeyId"],
                         secret=OWNER["secretAccessKey"])
        self.assertEqual(owner.describe_repositories()["repositories"], [])
        self.clear()


if __name__ == "__main__":
    unittest.main()
