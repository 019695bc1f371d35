"""The emulator's admin endpoints (issue 11, items 1 and 2).

They act for any account without credentials, so strict mode answers 404
for them (as for any unknown path) unless the server was started with
--admin-endpoints; permissive mode serves them. Health and presigned blob
URLs stay open. Every number in their query strings is checked against a
documented range, and account IDs and regions are validated: a bad value
is a 400 InvalidParameterException, never an overflow or a fallback.
"""

import unittest

import harness
from harness import (DEFAULT_ACCOUNT, REGION, EcrdTestCase, unique_name)

ADMIN = [{"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}]
OWNER = {"accessKeyId": "AKIAADMINOWNER000001",
         "secretAccessKey": "admin-owner-secret",
         "arn": "arn:aws:iam::111111111111:user/owner", "policies": ADMIN}

TEN_YEARS = 10 * 365 * 86400
IPE = "InvalidParameterException"

# (path with a query that would work, what it does if it runs)
ADMIN_CALLS = [
    ("/_ecrd/token?expires_in_seconds=600&account=111111111111", "token"),
    ("/moto-api/reset", "reset"),
    ("/_ecrd/gc?grace_seconds=0", "gc"),
    ("/_ecrd/clock?advance_seconds=1", "clock"),
    ("/_ecrd/lifecycle/run", "lifecycle"),
]


class AdminHelpers:

    def post(self, path):
        return self.http("POST", path, b"")

    def unknown_path_answer(self):
        r = self.post("/_ecrd/no-such-endpoint")
        self.assertAwsError(r, 404, "UnknownOperationException")
        return r.json()

    def assertOpen(self, path):
        r = self.post(path)
        self.assertEqual(r.status, 200, r)
        self.assertIsNone(r.header("x-amzn-ErrorType"), r)
        return r.json()


class StrictAdminClosedTest(AdminHelpers, EcrdTestCase):
    """Strict mode without --admin-endpoints: they do not exist."""

    principals = [OWNER]

    def owner(self):
        return self.ecr(key=OWNER["accessKeyId"],
                        secret=OWNER["secretAccessKey"])

    def test_admin_endpoints_answer_404_as_unknown_paths(self):
        name = unique_name("admin")
        self.owner().create_repository(repositoryName=name)
        unknown = self.unknown_path_answer()
        for path, what in ADMIN_CALLS:
            with self.subTest(what=what):
                r = self.post(path)
                self.assertAwsError(r, 404, "UnknownOperationException")
                self.assertEqual(r.json(), unknown)
                self.assertNotIn("password", r.body.decode())
        # The reset did not happen: the repository is still there.
        got = self.owner().describe_repositories(repositoryNames=[name])
        self.assertEqual(got["repositories"][0]["repositoryName"], name)

    def test_health_and_blob_urls_stay_open(self):
        self.assertHealthy()
        r = self.http("GET", "/_ecrd/health")
        self.assertEqual(r.status, 200, r)
        # A presigned download URL carries its own signature: a bad one
        # is refused by that check, not hidden as an unknown path.
        r = self.http("GET", "/_ecrd/blobs/sha256:" + "0" * 64 +
                      "?expires=1&signature=00")
        self.assertAwsError(r, 403, "AccessDeniedException")


class StrictAdminOptInTest(AdminHelpers, EcrdTestCase):
    """--admin-endpoints opens them in strict mode."""

    principals = [OWNER]
    server_args = ("--admin-endpoints",)

    def test_admin_endpoints_are_served(self):
        body = self.assertOpen("/_ecrd/token?expires_in_seconds=600"
                               "&account=111111111111")
        self.assertTrue(body["password"])
        self.assertIn("offsetSeconds",
                      self.assertOpen("/_ecrd/clock?advance_seconds=0"))
        self.assertIn("blobsRemoved",
                      self.assertOpen("/_ecrd/gc?grace_seconds=86400"))


class PermissiveAdminTest(AdminHelpers, EcrdTestCase):
    """Permissive mode serves them; their query strings are checked."""

    def assertInvalid(self, path, message):
        r = self.post(path)
        self.assertAwsError(r, 400, IPE, message)

    def test_every_admin_endpoint_is_open(self):
        for path, what in ADMIN_CALLS:
            if what == "reset":
                continue    # would wipe other tests' repositories
            with self.subTest(what=what):
                self.assertOpen(path)

    def test_token_expiry_must_be_a_number_in_range(self):
        message = ("expires_in_seconds must be a whole number from %d to %d"
                   % (-TEN_YEARS, TEN_YEARS))
        for value in ("9223372036854775807", "-9223372036854775808",
                      "99999999999999999999", "-99999999999999999999",
                      "abc", "", "1.5", "+5", "%205", "5%00", "0x10",
                      str(TEN_YEARS + 1), str(-TEN_YEARS - 1)):
            with self.subTest(value=value):
                self.assertInvalid("/_ecrd/token?expires_in_seconds="
                                   + value, message)
        for value in (TEN_YEARS, -TEN_YEARS, 0):
            with self.subTest(value=value):
                body = self.assertOpen("/_ecrd/token?expires_in_seconds=%d"
                                       % value)
                self.assertIsInstance(body["expiresAt"], int)
        self.assertInvalid("/_ecrd/token", "expires_in_seconds is required")

    def test_token_account_and_region_are_validated(self):
        base = "/_ecrd/token?expires_in_seconds=60&"
        for value in ("12345", "1234567890123", "12345678901a", "",
                      "%FF%FE"):
            with self.subTest(account=value):
                self.assertInvalid(base + "account=" + value,
                                   "account must be a 12-digit account ID")
        for value in ("US-EAST-1", "x", "us_east_1", "a" * 26, ""):
            with self.subTest(region=value):
                self.assertInvalid(base + "region=" + value,
                                   "region must be a region name such as "
                                   "us-east-1")
        password, _ = harness.mint_registry_password(
            self.server, 60, account="210987654321", region="eu-west-1")
        self.assertTrue(password)

    def test_gc_grace_must_be_a_number_in_range(self):
        message = ("grace_seconds must be a whole number from 0 to %d"
                   % TEN_YEARS)
        for value in ("-1", "9223372036854775807", "abc", "",
                      str(TEN_YEARS + 1)):
            with self.subTest(value=value):
                self.assertInvalid("/_ecrd/gc?grace_seconds=" + value,
                                   message)
        self.assertOpen("/_ecrd/gc?grace_seconds=%d" % TEN_YEARS)
        self.assertOpen("/_ecrd/gc")

    def test_clock_advance_must_be_a_number_in_range(self):
        for value in ("-1", "9223372036854775807", "99999999999999999999",
                      "abc", ""):
            with self.subTest(value=value):
                r = self.post("/_ecrd/clock?advance_seconds=" + value)
                body = self.assertAwsError(r, 400, IPE)
                self.assertRegex(body["message"], r"^advance_seconds must "
                                 r"be a whole number from 0 to \d+$")
        self.assertInvalid("/_ecrd/clock", "advance_seconds is required")
        self.assertEqual(self.assertOpen(
            "/_ecrd/clock?advance_seconds=0")["offsetSeconds"], 0)

    def test_lifecycle_run_validates_registry_and_region(self):
        self.assertInvalid("/_ecrd/lifecycle/run?registryId=123",
                           "registryId must be a 12-digit account ID")
        self.assertInvalid("/_ecrd/lifecycle/run?region=Mars",
                           "region must be a region name such as us-east-1")
        self.assertInvalid("/_ecrd/lifecycle/run?repositoryName=a%00b",
                           "repositoryName must be at most 511 bytes and "
                           "hold no NUL")
        body = self.assertOpen("/_ecrd/lifecycle/run?registryId=%s&region=%s"
                               % (DEFAULT_ACCOUNT, REGION))
        self.assertEqual(body, {"expired": 0, "transitioned": 0})


if __name__ == "__main__":
    unittest.main()
