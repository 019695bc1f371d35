"""--throttle and --throttle-rate (issue 17; docs/observability.md,
"Throttling and faults").

Token buckets per account, region and operation at ECR's published rates:
ThrottlingException "Rate exceeded" (400) on the API, 429 TOOMANYREQUESTS
with Retry-After on the registry, whose routes count as the ECR action
they stand for. Rates are lowered (often to 0, which refuses every call)
so that a few calls suffice; no assertion depends on how fast they go,
except that a refused bucket is tested right after it refused.
"""

import os
import subprocess
import unittest
from unittest import mock

import harness
from harness import EcrdTestCase, OwnServersTestCase, unique_name
from test_registry import RegistryHelpers

THROTTLED = "ThrottlingException"
RATE_EXCEEDED = "Rate exceeded"
DRAIN_MAX = 50


def rates(*pairs):
    out = ()
    for pair in pairs:
        out += ("--throttle-rate", pair)
    return out


class ThrottleTest(RegistryHelpers, EcrdTestCase):

    server_args = rates("ListImages=0", "BatchGetImage=0",
                        "DescribeRepositories=1", "DescribeRegistry=1",
                        "DescribePullThroughCacheRules=1",
                        "GetRegistryPolicy=1")

    def drain(self, op, payload=None, **kw):
        """Call op until it is refused (its bucket is then empty)."""
        for _ in range(DRAIN_MAX):
            r = self.api(op, payload or {}, **kw)
            if r.header("x-amzn-ErrorType") == THROTTLED:
                return r
        self.fail("%s was never throttled in %d calls" % (op, DRAIN_MAX))

    # -- the API ----------------------------------------------------------

    def test_throttling_exception_shape(self):
        r = self.api("ListImages", {"repositoryName": "any"})
        self.assertAwsError(r, 400, THROTTLED, RATE_EXCEEDED)
        self.assertEqual(r.json(), {"__type": THROTTLED,
                                    "message": RATE_EXCEEDED})
        # Before any other work: a body that would not even parse.
        r = self.api("ListImages", body=b"{not json")
        self.assertAwsError(r, 400, THROTTLED, RATE_EXCEEDED)
        with self.assertRaises(harness.botocore.exceptions.ClientError) as cm:
            self.ecr().list_images(repositoryName="any")
        self.assertClientError(cm, THROTTLED, RATE_EXCEEDED)
        # Unthrottled operations go on.
        self.assertOk(self.api("GetAuthorizationToken", {}))

    def test_burst_then_refused(self):
        r = self.drain("DescribeRepositories")
        self.assertAwsError(r, 400, THROTTLED, RATE_EXCEEDED)
        # A second later (at most) the bucket holds a call again.
        harness.poll(lambda: self.api("DescribeRepositories", {}).status
                     == 200, 10.0, "DescribeRepositories refilled")

    def test_boto3_standard_retries_through_throttling(self):
        attempts = []
        client = harness.boto3.session.Session().client(
            "ecr", endpoint_url=self.server.endpoint,
            region_name=harness.REGION,
            aws_access_key_id=harness.DEFAULT_KEY,
            aws_secret_access_key=harness.DEFAULT_SECRET,
            config=harness.botocore.config.Config(
                retries={"max_attempts": 10, "mode": "standard"}))
        client.meta.events.register(
            "before-send.ecr.DescribeRegistry",
            lambda **kw: attempts.append(1))
        # The bucket refills a call a second: tried again if the drain
        # and the call were a second apart (a very slow machine).
        for _ in range(5):
            self.drain("DescribeRegistry")
            attempts.clear()
            got = client.describe_registry()
            if got["ResponseMetadata"]["RetryAttempts"] > 0:
                break
        self.assertEqual(got["registryId"], harness.DEFAULT_ACCOUNT)
        self.assertGreater(got["ResponseMetadata"]["RetryAttempts"], 0)
        self.assertEqual(len(attempts),
                         got["ResponseMetadata"]["RetryAttempts"] + 1)

    def test_aws_cli_v2_retries_then_reports_throttling(self):
        env = {"AWS_RETRY_MODE": "standard", "AWS_MAX_ATTEMPTS": "2"}
        with mock.patch.dict(os.environ, env):
            res = self.cli(2, "ecr", "list-images", "--repository-name",
                           "any")
        self.assertCliError(res, THROTTLED, message_contains=RATE_EXCEEDED)
        self.assertIn("reached max retries: 1", res.stderr, res)

    def test_buckets_per_account_and_region(self):
        op = "DescribePullThroughCacheRules"
        self.drain(op)
        # Right after the default account's refusal, its other buckets
        # and other accounts' and regions' are full.
        self.assertOk(self.api(op, {}, key="111111111111"))
        self.assertOk(self.api(op, {}, key=harness.DEFAULT_KEY,
                               region=harness.OTHER_REGION))
        self.assertOk(self.api("GetAuthorizationToken", {}))
        self.drain(op, key="111111111111")
        self.assertOk(self.api(op, {}, key="222222222222"))

    # -- the registry -----------------------------------------------------

    def test_registry_429_with_retry_after(self):
        name = self.make_repo()
        reg = self.reg()
        path = "/v2/%s/manifests/latest" % name
        for head in (False, True):
            with self.subTest(head=head):
                r = reg.head(path) if head else reg.get(path)
                self.assertRegError(r, 429, "TOOMANYREQUESTS",
                                    RATE_EXCEEDED, head=head)
                self.assertEqual(r.header("Retry-After"), "1")
        # BatchGetImage's bucket is the API's too.
        r = self.api("BatchGetImage", {"repositoryName": name,
                                       "imageIds": [{"imageTag": "x"}]})
        self.assertAwsError(r, 400, THROTTLED, RATE_EXCEEDED)
        # Other routes count as other actions, with their own rates.
        r = reg.head("/v2/%s/blobs/%s" % (name, "sha256:" + "0" * 64))
        self.assertEqual(r.status, 404, r)
        self.assertEqual(reg.get("/v2/").status, 200)

    def test_registry_tags_list_counts_as_list_images(self):
        name = self.make_repo()
        r = self.reg().get("/v2/%s/tags/list" % name)
        self.assertRegError(r, 429, "TOOMANYREQUESTS", RATE_EXCEEDED)
        self.assertTrue(int(r.header("Retry-After")) >= 1)


class PublishedRatesTest(EcrdTestCase):
    """--throttle alone: ECR's rates, PutImage's 10 a second the lowest."""

    server_args = ("--throttle",)

    def test_put_image_past_ten_a_second(self):
        name = unique_name("throttle")
        self.ecr().create_repository(repositoryName=name)
        types = set()
        for _ in range(60):
            r = self.api("PutImage", {"repositoryName": name,
                                      "imageManifest": "{}"})
            types.add(r.header("x-amzn-ErrorType"))
        self.assertIn(THROTTLED, types)
        # DescribeRepositories (20 a second) had none of it.
        self.assertOk(self.api("DescribeRepositories", {}))


class ThrottleOffTest(EcrdTestCase):
    """Without --throttle nothing is ever throttled."""

    def test_no_throttling_by_default(self):
        name = unique_name("throttle")
        for _ in range(60):
            r = self.api("PutImage", {"repositoryName": name,
                                      "imageManifest": "{}"})
            self.assertNotEqual(r.header("x-amzn-ErrorType"), THROTTLED)


class ThrottleFlagsTest(OwnServersTestCase):

    def test_bad_rates_stop_ecrd(self):
        for arg, words in (("Nope=1", "'Nope' is not an ECR operation"),
                           ("PutImage", "takes OPERATION=N"),
                           ("PutImage=x", "'x' is invalid"),
                           ("PutImage=-1", "'-1' is invalid"),
                           ("PutImage=1000001", "'1000001' is too large")):
            with self.subTest(arg=arg):
                p = subprocess.run(
                    [harness.ecrd_bin(), "--ephemeral", "--listen",
                     "127.0.0.1:0", "--throttle-rate", arg],
                    capture_output=True, text=True, timeout=30,
                    stdin=subprocess.DEVNULL)
                self.assertEqual(p.returncode, 2, p)
                self.assertIn(words, p.stderr)


if __name__ == "__main__":
    unittest.main()
