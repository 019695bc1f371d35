"""Strict mode (--credentials): SigV4 signatures are verified.

Two principals in two accounts and one with a session token; the errors
real JSON services send for bad signatures (docs/ecr-behaviour.md 1.6).
"""

import datetime
import json
import unittest

import harness
from harness import (JSON_11, OTHER_REGION, REGION, TARGET_PREFIX,
                     EcrdTestCase, sign_headers, unique_name)

# Strict mode enforces policies (issue #5): these principals may do anything
# in their own account; test_policies.py covers the rest.
ADMIN = [{"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}]
ALICE = {"accessKeyId": "AKIASTRICTALICE00001",
         "secretAccessKey": "alice/secret+KEY=1",
         "arn": "arn:aws:iam::111111111111:user/ci", "policies": ADMIN}
BOB = {"accessKeyId": "AKIASTRICTBOB0000002",
       "secretAccessKey": "bob-secret-2",
       "arn": "arn:aws:iam::222222222222:user/deployer", "policies": ADMIN}
CAROL = {"accessKeyId": "ASIASTRICTCAROL00003",
         "secretAccessKey": "carol-secret-3",
         "sessionToken": "FwoGZXIvYXdzEJr//////////wEaDE2E2E+session/token==",
         "arn": "arn:aws:sts::333333333333:assumed-role/builder/session",
         "policies": ADMIN}

BAD_SIGNATURE = ("The request signature we calculated does not match the "
                 "signature you provided. Check your AWS Secret Access Key "
                 "and signing method. Consult the service documentation for "
                 "details.")
BAD_TOKEN = "The security token included in the request is invalid."


class StrictModeTest(EcrdTestCase):

    principals = [ALICE, BOB, CAROL]

    def as_(self, p, region=REGION, secret=None, token=None):
        return self.ecr(key=p["accessKeyId"], region=region,
                        secret=secret or p["secretAccessKey"],
                        token=token if token is not None
                        else p.get("sessionToken"))

    def signed(self, op, payload, p, secret=None, token=None, at=None,
               region=REGION, service="ecr"):
        body = json.dumps(payload).encode()
        headers = sign_headers(self.server.endpoint, op, body,
                               p["accessKeyId"],
                               secret or p["secretAccessKey"], region,
                               token=token, at=at, service=service)
        return self.http("POST", "/", body, headers)

    def test_signed_requests_land_in_each_principals_account(self):
        name = unique_name("strict")
        for p, acct in ((ALICE, "111111111111"), (BOB, "222222222222"),
                        (CAROL, "333333333333")):
            with self.subTest(principal=p["arn"]):
                c = self.as_(p)
                repo = c.create_repository(repositoryName=name)["repository"]
                self.assertEqual(repo["registryId"], acct)
                self.assertEqual(repo["repositoryArn"],
                                 harness.repo_arn(name, acct))
                self.assertEqual(c.describe_registry()["registryId"], acct)
                listed = [r["repositoryArn"] for r in
                          c.describe_repositories()["repositories"]]
                self.assertEqual(listed, [harness.repo_arn(name, acct)])

    def test_region_from_the_credential_scope(self):
        name = unique_name("strict")
        repo = self.as_(ALICE, region=OTHER_REGION).create_repository(
            repositoryName=name)["repository"]
        self.assertEqual(repo["repositoryArn"],
                         harness.repo_arn(name, "111111111111",
                                          OTHER_REGION))

    def test_another_accounts_registry_is_denied(self):
        with self.assertRaises(Exception) as cm:
            self.as_(ALICE).describe_repositories(registryId="222222222222")
        self.assertClientError(
            cm, "AccessDeniedException",
            message_contains="User: %s is not authorized to perform: "
                             "ecr:DescribeRepositories" % ALICE["arn"])

    def test_wrong_secret(self):
        with self.assertRaises(Exception) as cm:
            self.as_(ALICE, secret="not-the-secret").describe_repositories()
        self.assertClientError(cm, "InvalidSignatureException",
                               BAD_SIGNATURE)

    def test_tampered_body(self):
        body = json.dumps({"repositoryName": unique_name()}).encode()
        headers = sign_headers(self.server.endpoint, "CreateRepository",
                               body, ALICE["accessKeyId"],
                               ALICE["secretAccessKey"])
        resp = self.http("POST", "/", body.replace(b"e2e", b"e3e"), headers)
        self.assertAwsError(resp, 400, "InvalidSignatureException",
                            BAD_SIGNATURE)

    def test_signed_target_cannot_be_swapped(self):
        body = b"{}"
        headers = sign_headers(self.server.endpoint, "DescribeRepositories",
                               body, ALICE["accessKeyId"],
                               ALICE["secretAccessKey"])
        headers["X-Amz-Target"] = TARGET_PREFIX + "DescribeRegistry"
        resp = self.http("POST", "/", body, headers)
        self.assertAwsError(resp, 400, "InvalidSignatureException",
                            BAD_SIGNATURE)

    def test_unknown_key(self):
        for key in ("AKIANOBODY0000000000", "999999999999"):
            with self.subTest(key=key):
                with self.assertRaises(Exception) as cm:
                    self.ecr(key=key, secret="whatever").describe_repositories()
                self.assertClientError(cm, "UnrecognizedClientException",
                                       BAD_TOKEN)

    def test_unsigned_request(self):
        resp = self.api("DescribeRepositories", {})
        self.assertAwsError(resp, 400, "MissingAuthenticationTokenException",
                            message_contains="Authentication Token")
        self.assertHealthy()

    def test_signature_expired(self):
        past = datetime.datetime.now(datetime.timezone.utc) - \
            datetime.timedelta(minutes=10)
        resp = self.signed("DescribeRepositories", {}, ALICE, at=past)
        body = self.assertAwsError(resp, 400, "InvalidSignatureException")
        amz = past.strftime("%Y%m%dT%H%M%SZ")
        self.assertTrue(body["message"].startswith(
            "Signature expired: %s is now earlier than " % amz),
            body["message"])

    def test_signature_from_the_future(self):
        future = datetime.datetime.now(datetime.timezone.utc) + \
            datetime.timedelta(minutes=10)
        resp = self.signed("DescribeRepositories", {}, ALICE, at=future)
        body = self.assertAwsError(resp, 400, "InvalidSignatureException")
        amz = future.strftime("%Y%m%dT%H%M%SZ")
        self.assertTrue(body["message"].startswith(
            "Signature not yet current: %s is still later than " % amz),
            body["message"])

    def test_small_skew_is_fine(self):
        near = datetime.datetime.now(datetime.timezone.utc) - \
            datetime.timedelta(minutes=3)
        resp = self.signed("DescribeRegistry", {}, ALICE, at=near)
        self.assertEqual(self.assertOk(resp)["registryId"], "111111111111")

    def test_wrong_service_in_scope(self):
        resp = self.signed("DescribeRepositories", {}, ALICE, service="ecs")
        self.assertAwsError(resp, 400, "InvalidSignatureException")

    def test_session_token_principal(self):
        c = self.as_(CAROL)
        self.assertEqual(c.describe_registry()["registryId"], "333333333333")
        with self.assertRaises(Exception) as cm:
            self.as_(CAROL, token="").describe_registry()
        self.assertClientError(cm, "UnrecognizedClientException", BAD_TOKEN)
        with self.assertRaises(Exception) as cm:
            self.as_(CAROL, token="wrong-token").describe_registry()
        self.assertClientError(cm, "UnrecognizedClientException", BAD_TOKEN)
        # Signed without X-Amz-Security-Token at all.
        resp = self.signed("DescribeRegistry", {}, CAROL)
        self.assertAwsError(resp, 400, "UnrecognizedClientException",
                            BAD_TOKEN)
        resp = self.signed("DescribeRegistry", {}, CAROL,
                           token=CAROL["sessionToken"])
        self.assertEqual(self.assertOk(resp)["registryId"], "333333333333")

    def test_auth_is_checked_before_dispatch(self):
        # An unknown operation from an unsigned caller: authentication first.
        resp = self.http("POST", "/", b"{}", {
            "Content-Type": JSON_11,
            "X-Amz-Target": TARGET_PREFIX + "NoSuchOperation"})
        self.assertAwsError(resp, 400, "MissingAuthenticationTokenException")
        # Health needs no signature.
        self.assertHealthy()

    def test_authorization_token_names_the_principals_registry(self):
        data = self.as_(BOB).get_authorization_token()["authorizationData"]
        self.assertEqual(data[0]["proxyEndpoint"],
                         "https://222222222222.dkr.ecr.%s.amazonaws.com"
                         % REGION)
        user, password = harness.decode_token(data[0]["authorizationToken"])
        self.assertEqual(user, "AWS")
        self.assertNotIn(":", password)

    def test_cli_signs_correctly(self):
        for major in (1, 2):
            with self.subTest(cli=major):
                if harness.find_cli(major) is None:
                    self.skipTest("aws CLI v%d is not installed" % major)
                res = self.cli(major, "ecr", "describe-registry",
                               key=CAROL["accessKeyId"],
                               secret=CAROL["secretAccessKey"],
                               token=CAROL["sessionToken"])
                self.assertEqual(self.assertCliOk(res)["registryId"],
                                 "333333333333")
                res = self.cli(major, "ecr", "describe-registry",
                               key=ALICE["accessKeyId"], secret="nope")
                self.assertCliError(res, "InvalidSignatureException",
                                    BAD_SIGNATURE)


if __name__ == "__main__":
    unittest.main()
