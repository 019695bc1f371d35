"""Repository and registry policies, and strict-mode enforcement (issue 5).

PolicyOperationsTest (permissive mode) drives Set/Get/DeleteRepositoryPolicy,
Put/Get/DeleteRegistryPolicy and the account setting REGISTRY_POLICY_SCOPE:
the Jackson layout ECR stores and returns, the validation errors and the
not-found messages of docs/ecr-behaviour.md 2.4 and 3.5.

StrictPoliciesTest runs a server with two accounts and several principals
in a credentials file and checks that boto3 and the aws CLI are allowed and
denied exactly as IAM would decide (docs/ecr-behaviour.md 1.6): a CI role that
can push but not delete, an explicit Deny beating an Allow, cross-account
pull through a repository policy (and only with one), conditions on
aws:SourceIp, aws:PrincipalArn and resource tags, the registry policy under
scope V2, and policy changes taking effect on the next request.
CredentialsReloadTest covers SIGHUP with new policies and a malformed one.
"""

import base64
import json
import os
import shutil
import signal
import tempfile
import unittest

import harness
from harness import (OTHER_REGION, REGION, EcrdTestCase, Server, build_image,
                     fresh_account, not_found_message, poll, push_image,
                     repo_arn, unique_name)

IPE = "InvalidParameterException"
BAD_REPO_POLICY = ("Invalid parameter at 'PolicyText' failed to satisfy "
                   "constraint: 'Invalid repository policy provided'")
BAD_REGISTRY_POLICY = ("Invalid parameter at 'PolicyText' failed to satisfy "
                       "constraint: 'Invalid registry policy provided'")

# docs/ecr-behaviour.md 3.5: the input below, stored and answered like this.
EXAMPLE_IN = ('{"Version":"2008-10-17","Statement":[{"Sid":"x",'
              '"Effect":"Allow","Principal":"*",'
              '"Action":["ecr:BatchGetImage"]}]}')
EXAMPLE_OUT = ('{\n  "Version" : "2008-10-17",\n  "Statement" : [ {\n'
               '    "Sid" : "x",\n    "Effect" : "Allow",\n'
               '    "Principal" : "*",\n'
               '    "Action" : [ "ecr:BatchGetImage" ]\n  } ]\n}')

ACCT_A = "111111111111"
ACCT_B = "222222222222"


def doc(*statements, version="2012-10-17"):
    return json.dumps({"Version": version, "Statement": list(statements)})


def allow(actions, resource="*", **extra):
    st = {"Effect": "Allow", "Action": actions, "Resource": resource}
    st.update(extra)
    return st


def identity(*statements):
    return [{"Version": "2012-10-17", "Statement": list(statements)}]


def denied(principal, action, resource, why):
    """AWS's AccessDeniedException message (docs/ecr-behaviour.md 1.6)."""
    text = ("User: %s is not authorized to perform: ecr:%s on resource: %s "
            % (principal, action, resource))
    if why in ("identity", "resource"):
        return text + ("because no %s-based policy allows the ecr:%s action"
                       % (why, action))
    return text + "with an explicit deny in %s-based policy" % why


def repo_not_found_policy(name, account):
    return ("Repository policy does not exist for the repository with name "
            "'%s' in the registry with id '%s'" % (name, account))


# ---------------------------------------------------------------------------
# The operations themselves, in permissive mode.

class PolicyOperationsTest(EcrdTestCase):

    def setUp(self):
        self.acct = fresh_account()
        self.c = self.ecr(key=self.acct)

    def repo(self):
        name = unique_name("pol")
        self.c.create_repository(repositoryName=name)
        return name

    def test_set_get_delete_return_the_jackson_layout(self):
        name = self.repo()
        r = self.c.set_repository_policy(repositoryName=name,
                                         policyText=EXAMPLE_IN)
        self.assertEqual(r["policyText"], EXAMPLE_OUT)
        self.assertEqual(r["registryId"], self.acct)
        self.assertEqual(r["repositoryName"], name)
        r = self.c.get_repository_policy(repositoryName=name)
        self.assertEqual((r["registryId"], r["repositoryName"],
                          r["policyText"]), (self.acct, name, EXAMPLE_OUT))
        # Any input layout gives the same text (Terraform diffs on it).
        pretty = json.dumps(json.loads(EXAMPLE_IN), indent=7)
        r = self.c.set_repository_policy(repositoryName=name,
                                         policyText=pretty)
        self.assertEqual(r["policyText"], EXAMPLE_OUT)
        r = self.c.delete_repository_policy(repositoryName=name)
        self.assertEqual(r["policyText"], EXAMPLE_OUT)
        with self.assertRaises(Exception) as cm:
            self.c.get_repository_policy(repositoryName=name)
        self.assertClientError(cm, "RepositoryPolicyNotFoundException",
                               repo_not_found_policy(name, self.acct))

    def test_nested_principals_and_conditions_keep_input_order(self):
        name = self.repo()
        text = doc({"Sid": "pull", "Effect": "Allow",
                    "Principal": {"AWS": [ACCT_B,
                                          "arn:aws:iam::%s:root" % ACCT_A]},
                    "Action": ["ecr:BatchGetImage",
                               "ecr:GetDownloadUrlForLayer"],
                    "Condition": {"IpAddress":
                                  {"aws:SourceIp": "10.0.0.0/8"}}})
        want = ('{\n  "Version" : "2012-10-17",\n  "Statement" : [ {\n'
                '    "Sid" : "pull",\n    "Effect" : "Allow",\n'
                '    "Principal" : {\n      "AWS" : [ "%s", '
                '"arn:aws:iam::%s:root" ]\n    },\n'
                '    "Action" : [ "ecr:BatchGetImage", '
                '"ecr:GetDownloadUrlForLayer" ],\n'
                '    "Condition" : {\n      "IpAddress" : {\n'
                '        "aws:SourceIp" : "10.0.0.0/8"\n      }\n    }\n'
                '  } ]\n}' % (ACCT_B, ACCT_A))
        r = self.c.set_repository_policy(repositoryName=name,
                                         policyText=text)
        self.assertEqual(r["policyText"], want)

    def test_what_ecr_accepts(self):
        name = self.repo()
        st = {"Sid": "same", "Effect": "Allow", "Principal": "*",
              "Action": "ecr:*"}
        cases = {
            "version 2008, no Resource": doc(st, version="2008-10-17"),
            "duplicate Sids": doc(st, dict(st, Action="ecr:Get*")),
            "one statement object": json.dumps(
                {"Version": "2012-10-17", "Statement": st}),
            "NotAction, any case": doc(dict(st, Action=None, NotAction=[
                "ECR:deleterepository"])),
            "IAM-only ECR actions": doc(dict(st, Action=[
                "ecr:ReplicateImage", "ecr:BatchImportUpstreamImage"])),
        }
        for what, text in cases.items():
            text = text.replace('"Action": null, ', "")
            with self.subTest(what):
                r = self.c.set_repository_policy(repositoryName=name,
                                                 policyText=text)
                self.assertEqual(json.loads(r["policyText"]),
                                 json.loads(text))

    def test_invalid_policies(self):
        name = self.repo()
        good = {"Effect": "Allow", "Principal": "*",
                "Action": "ecr:BatchGetImage"}
        def without(key):
            return {k: v for k, v in good.items() if k != key}

        cases = {
            "not JSON": "{",
            "empty": "",
            "a list": "[]",
            "no Statement": json.dumps({"Version": "2012-10-17"}),
            "empty Statement": doc(),
            "bad Version": doc(good, version="2020-01-01"),
            "no Effect": doc(without("Effect")),
            "lower-case effect": doc(dict(good, Effect="allow")),
            "no Principal": doc(without("Principal")),
            "invalid principal": doc(dict(good, Principal={
                "AWS": "not-an-account"})),
            "no Action": doc(without("Action")),
            "unknown ecr action": doc(dict(good, Action="ecr:FooBar")),
            "another service's action": doc(dict(good,
                                                 Action="s3:GetObject")),
            "unknown element": doc(dict(good, Colour="blue")),
        }
        for what, text in cases.items():
            with self.subTest(what):
                with self.assertRaises(Exception) as cm:
                    self.c.set_repository_policy(repositoryName=name,
                                                 policyText=text)
                self.assertClientError(cm, IPE, BAD_REPO_POLICY)
        with self.assertRaises(Exception) as cm:
            self.c.get_repository_policy(repositoryName=name)
        self.assertClientError(cm, "RepositoryPolicyNotFoundException")

    def test_size_limit_is_10240_characters(self):
        name = self.repo()
        base = json.loads(EXAMPLE_IN)
        pad = 10240 - len(json.dumps(base, separators=(",", ":")))
        base["Statement"][0]["Sid"] = "x" * (pad + 1)
        text = json.dumps(base, separators=(",", ":"))
        self.assertEqual(len(text), 10240)
        self.c.set_repository_policy(repositoryName=name, policyText=text)
        with self.assertRaises(Exception) as cm:
            self.c.set_repository_policy(repositoryName=name,
                                         policyText=text + " ")
        self.assertClientError(
            cm, IPE, "Invalid parameter at 'policyText' failed to satisfy "
            "constraint: 'Member must have length less than or equal to "
            "10240'")

    def test_missing_repository_and_missing_policy(self):
        ghost = unique_name("ghost")
        for call in (self.c.get_repository_policy,
                     self.c.delete_repository_policy):
            with self.subTest(call.__name__):
                with self.assertRaises(Exception) as cm:
                    call(repositoryName=ghost)
                self.assertClientError(cm, "RepositoryNotFoundException",
                                       not_found_message(ghost, self.acct))
        with self.assertRaises(Exception) as cm:
            self.c.set_repository_policy(repositoryName=ghost,
                                         policyText=EXAMPLE_IN)
        self.assertClientError(cm, "RepositoryNotFoundException")
        name = self.repo()
        with self.assertRaises(Exception) as cm:
            self.c.delete_repository_policy(repositoryName=name)
        self.assertClientError(cm, "RepositoryPolicyNotFoundException",
                               repo_not_found_policy(name, self.acct))

    def test_policy_goes_with_its_repository(self):
        name = self.repo()
        self.c.set_repository_policy(repositoryName=name,
                                     policyText=EXAMPLE_IN)
        self.c.delete_repository(repositoryName=name)
        self.c.create_repository(repositoryName=name)
        with self.assertRaises(Exception) as cm:
            self.c.get_repository_policy(repositoryName=name)
        self.assertClientError(cm, "RepositoryPolicyNotFoundException")

    def test_registry_policy_round_trip(self):
        missing = ("Registry policy does not exist in the registry with id "
                   "'%s'" % self.acct)
        for call in (self.c.get_registry_policy,
                     self.c.delete_registry_policy):
            with self.assertRaises(Exception) as cm:
                call()
            self.assertClientError(cm, "RegistryPolicyNotFoundException",
                                   missing)
        text = doc({"Sid": "x", "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::%s:root" % ACCT_B},
                    "Action": ["ecr:CreateRepository",
                               "ecr:ReplicateImage"],
                    "Resource": "arn:aws:ecr:%s:%s:repository/*"
                    % (REGION, self.acct)})
        # Laid out as repository policies are [unconfirmed] (3.5).
        want = ('{\n  "Version" : "2012-10-17",\n  "Statement" : [ {\n'
                '    "Sid" : "x",\n    "Effect" : "Allow",\n'
                '    "Principal" : {\n'
                '      "AWS" : "arn:aws:iam::%s:root"\n    },\n'
                '    "Action" : [ "ecr:CreateRepository", '
                '"ecr:ReplicateImage" ],\n'
                '    "Resource" : "arn:aws:ecr:%s:%s:repository/*"\n'
                '  } ]\n}' % (ACCT_B, REGION, self.acct))
        r = self.c.put_registry_policy(policyText=text)
        self.assertEqual((r["registryId"], r["policyText"]),
                         (self.acct, want))
        self.assertEqual(self.c.get_registry_policy()["policyText"], want)
        # Registries are per region.
        with self.assertRaises(Exception) as cm:
            self.ecr(key=self.acct, region=OTHER_REGION).get_registry_policy()
        self.assertClientError(cm, "RegistryPolicyNotFoundException")
        r = self.c.delete_registry_policy()
        self.assertEqual((r["registryId"], r["policyText"]),
                         (self.acct, want))
        with self.assertRaises(Exception) as cm:
            self.c.get_registry_policy()
        self.assertClientError(cm, "RegistryPolicyNotFoundException",
                               missing)

    def test_registry_policy_scope(self):
        self.assertEqual(self.c.get_account_setting(
            name="REGISTRY_POLICY_SCOPE")["value"], "V2")
        broad = doc({"Effect": "Allow", "Principal": {"AWS": ACCT_B},
                     "Action": ["ecr:BatchGetImage"], "Resource": "*"})
        narrow = doc({"Effect": "Allow", "Principal": {"AWS": ACCT_B},
                      "Action": ["ecr:ReplicateImage",
                                 "ecr:CreateRepository",
                                 "ecr:BatchImportUpstreamImage"],
                      "Resource": "*"})
        star = doc({"Effect": "Allow", "Principal": {"AWS": ACCT_B},
                    "Action": "ecr:*", "Resource": "*"})
        self.c.put_registry_policy(policyText=broad)     # V2: any action
        r = self.c.put_account_setting(name="REGISTRY_POLICY_SCOPE",
                                       value="V1")
        self.assertEqual((r["name"], r["value"]),
                         ("REGISTRY_POLICY_SCOPE", "V1"))
        self.assertEqual(self.c.get_account_setting(
            name="REGISTRY_POLICY_SCOPE")["value"], "V1")
        with self.assertRaises(Exception) as cm:
            self.c.put_registry_policy(policyText=broad)
        self.assertClientError(cm, IPE, BAD_REGISTRY_POLICY)
        self.c.put_registry_policy(policyText=narrow)
        self.c.put_registry_policy(policyText=star)
        self.c.put_account_setting(name="REGISTRY_POLICY_SCOPE", value="V2")
        self.c.put_registry_policy(policyText=broad)

    def test_account_settings(self):
        for name, value in (("BASIC_SCAN_TYPE_VERSION", "AWS_NATIVE"),
                            ("BLOB_MOUNTING", "DISABLED"),
                            ("REGISTRY_POLICY_SCOPE", "V2")):
            with self.subTest(name):
                r = self.c.get_account_setting(name=name)
                self.assertEqual((r["name"], r["value"]), (name, value))
        self.c.put_account_setting(name="BLOB_MOUNTING", value="ENABLED")
        self.assertEqual(self.c.get_account_setting(
            name="BLOB_MOUNTING")["value"], "ENABLED")
        self.assertEqual(self.c.get_account_setting(
            name="REGISTRY_POLICY_SCOPE")["value"], "V2")
        # The wording is Coral's [unconfirmed] (docs/ecr-behaviour.md 3.11).
        with self.assertRaises(Exception) as cm:
            self.c.get_account_setting(name="NO_SUCH_SETTING")
        self.assertClientError(cm, "ValidationException",
                               message_contains="'NO_SUCH_SETTING'")
        with self.assertRaises(Exception) as cm:
            self.c.put_account_setting(name="REGISTRY_POLICY_SCOPE",
                                       value="V3")
        self.assertClientError(cm, "ValidationException",
                               message_contains="[V1, V2]")

    def test_permissive_mode_enforces_nothing(self):
        name = self.repo()
        self.c.set_repository_policy(repositoryName=name, policyText=doc(
            {"Effect": "Deny", "Principal": "*", "Action": "ecr:*"}),
            force=True)
        self.c.describe_repositories(repositoryNames=[name])
        self.c.delete_repository_policy(repositoryName=name)

    def test_cli_v1_and_v2(self):
        name = self.repo()
        for major in (1, 2):
            with self.subTest(cli=major):
                if harness.find_cli(major) is None:
                    self.skipTest("aws CLI v%d is not installed" % major)
                res = self.cli(major, "ecr", "set-repository-policy",
                               "--repository-name", name, "--policy-text",
                               EXAMPLE_IN, key=self.acct)
                self.assertEqual(self.assertCliOk(res)["policyText"],
                                 EXAMPLE_OUT)
                res = self.cli(major, "ecr", "get-repository-policy",
                               "--repository-name", name, key=self.acct)
                self.assertEqual(self.assertCliOk(res)["policyText"],
                                 EXAMPLE_OUT)
                res = self.cli(major, "ecr", "set-repository-policy",
                               "--repository-name", name, "--policy-text",
                               "{}", key=self.acct)
                self.assertCliError(res, IPE, BAD_REPO_POLICY)


# ---------------------------------------------------------------------------
# Strict mode.

def principal(key, arn, policies, token=None):
    p = {"accessKeyId": key, "secretAccessKey": "secret-" + key.lower(),
         "arn": arn, "policies": policies}
    if token:
        p["sessionToken"] = token
    return p


REPOS_A = "arn:aws:ecr:%s:%s:repository/*" % (REGION, ACCT_A)
PUSH = ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
        "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage",
        "ecr:DescribeImages"]

ADMIN_A = principal("AKIAPOLADMINA0000001",
                    "arn:aws:iam::%s:user/admin" % ACCT_A,
                    identity(allow("ecr:*")))
ROOT_A = principal("AKIAPOLROOTA00000002", "arn:aws:iam::%s:root" % ACCT_A,
                   [])
CI_A = principal("ASIAPOLCIA0000000003",
                 "arn:aws:sts::%s:assumed-role/ci/build-42" % ACCT_A,
                 identity(allow(PUSH, REPOS_A),
                          allow("ecr:GetAuthorizationToken")),
                 token="ci-session-token")
INTERN_A = principal("AKIAPOLINTERNA000004",
                     "arn:aws:iam::%s:user/interns/intern" % ACCT_A,
                     identity(allow("ecr:*"),
                              {"Effect": "Deny",
                               "Action": ["ecr:DeleteRepository",
                                          "ecr:BatchDeleteImage"],
                               "Resource": "*"}))
IP_A = principal("AKIAPOLIPA0000000005", "arn:aws:iam::%s:user/ip" % ACCT_A,
                 identity(allow("ecr:DescribeRepositories", Condition={
                     "IpAddress": {"aws:SourceIp": "127.0.0.0/8"}}),
                     allow("ecr:DescribeRegistry", Condition={
                         "IpAddress": {"aws:SourceIp": ["10.0.0.0/8",
                                                        "2001:db8::/32"]}}),
                     allow("ecr:GetAuthorizationToken", Condition={
                         "NotIpAddress": {"aws:SourceIp": "127.0.0.1/32"}})))
TAGGED_A = principal(
    "AKIAPOLTAGA000000006", "arn:aws:iam::%s:user/tagged" % ACCT_A,
    identity(allow("ecr:ListImages", Condition={
        "StringEquals": {"ecr:ResourceTag/team": "blue"}}),
        allow("ecr:DescribeImages", Condition={
            "StringEquals": {"aws:ResourceTag/team": "blue"}}),
        allow("ecr:CreateRepository", Condition={
            "StringEquals": {"aws:RequestTag/team": "blue"},
            "ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}}),
        allow("ecr:ListTagsForResource", Condition={
            "StringEquals": {"aws:username": "tagged"}})))
PULLER_B = principal("AKIAPOLPULLERB000007",
                     "arn:aws:iam::%s:user/puller" % ACCT_B,
                     identity(allow(["ecr:BatchGetImage",
                                     "ecr:DescribeImages",
                                     "ecr:GetRepositoryPolicy",
                                     "ecr:TagResource"])))
BUILDER_B = principal("AKIAPOLBUILDERB00008",
                      "arn:aws:iam::%s:user/builder" % ACCT_B,
                      identity(allow("ecr:*")))
NOBODY_B = principal("AKIAPOLNOBODYB000009",
                     "arn:aws:iam::%s:user/nobody" % ACCT_B, [])
PRINCIPALS = [ADMIN_A, ROOT_A, CI_A, INTERN_A, IP_A, TAGGED_A, PULLER_B,
              BUILDER_B, NOBODY_B]


class StrictPoliciesTest(EcrdTestCase):

    principals = PRINCIPALS
    # The minted-token test below needs POST /_ecrd/token (issue 11).
    server_args = ("--admin-endpoints",)

    def as_(self, p, region=REGION):
        return self.ecr(key=p["accessKeyId"], secret=p["secretAccessKey"],
                        token=p.get("sessionToken"), region=region)

    def assertDenied(self, cm, p, action, resource, why):
        self.assertClientError(cm, "AccessDeniedException",
                               denied(p["arn"], action, resource, why))

    def new_repo(self, tags=None):
        name = unique_name("strict")
        kw = {"tags": tags} if tags else {}
        self.as_(ADMIN_A).create_repository(repositoryName=name, **kw)
        return name

    def test_admin_minted_registry_token_acts_as_the_account_root(self):
        # POST /_ecrd/token names the account's root (README): in strict
        # mode its registry calls are the root's, allowed in its account.
        name = self.new_repo()
        password, _ = harness.mint_registry_password(
            self.server, 600, account=ACCT_A, region=REGION)
        auth = base64.b64encode(("AWS:" + password).encode()).decode()
        r = harness.http_request(
            self.server.host, self.server.port, "GET",
            "/v2/%s/tags/list" % name,
            headers={"Authorization": "Basic " + auth})
        self.assertEqual(r.status, 200, r)

    def test_ci_role_can_push_but_not_delete(self):
        name = self.new_repo()
        ci = self.as_(CI_A)
        image = build_image("policies-ci")
        pushed = push_image(ci, name, image, tag="v1")
        self.assertEqual(pushed["imageId"]["imageDigest"], image.digest)
        got = ci.batch_get_image(repositoryName=name,
                                 imageIds=[{"imageTag": "v1"}])["images"]
        self.assertEqual(got[0]["imageManifest"], image.text)
        with self.assertRaises(Exception) as cm:
            ci.batch_delete_image(repositoryName=name,
                                  imageIds=[{"imageTag": "v1"}])
        self.assertDenied(cm, CI_A, "BatchDeleteImage", repo_arn(name, ACCT_A),
                          "identity")
        with self.assertRaises(Exception) as cm:
            ci.delete_repository(repositoryName=name, force=True)
        self.assertDenied(cm, CI_A, "DeleteRepository", repo_arn(name, ACCT_A),
                          "identity")
        for major in (1, 2):
            with self.subTest(cli=major):
                if harness.find_cli(major) is None:
                    self.skipTest("aws CLI v%d is not installed" % major)
                res = self.cli(major, "ecr", "batch-delete-image",
                               "--repository-name", name, "--image-ids",
                               "imageTag=v1", key=CI_A["accessKeyId"],
                               secret=CI_A["secretAccessKey"],
                               token=CI_A["sessionToken"])
                self.assertCliError(res, "AccessDeniedException", denied(
                    CI_A["arn"], "BatchDeleteImage", repo_arn(name, ACCT_A),
                    "identity"))
        # Still there: the admin may delete it.
        self.as_(ADMIN_A).batch_delete_image(repositoryName=name,
                                             imageIds=[{"imageTag": "v1"}])

    def test_token_needs_get_authorization_token(self):
        self.as_(CI_A).get_authorization_token()
        with self.assertRaises(Exception) as cm:
            self.as_(NOBODY_B).get_authorization_token()
        self.assertDenied(cm, NOBODY_B, "GetAuthorizationToken", "*",
                          "identity")

    def test_account_root_may_do_anything_in_its_account(self):
        name = unique_name("root")
        root = self.as_(ROOT_A)
        root.create_repository(repositoryName=name)
        root.set_repository_policy(repositoryName=name, policyText=EXAMPLE_IN)
        root.delete_repository(repositoryName=name)

    def test_explicit_deny_wins(self):
        name = self.new_repo()
        intern = self.as_(INTERN_A)
        intern.describe_repositories(repositoryNames=[name])
        with self.assertRaises(Exception) as cm:
            intern.delete_repository(repositoryName=name)
        self.assertDenied(cm, INTERN_A, "DeleteRepository",
                          repo_arn(name, ACCT_A), "an identity")
        # A Deny in the repository policy beats the identity Allow.
        self.as_(ADMIN_A).set_repository_policy(
            repositoryName=name, policyText=doc(
                {"Effect": "Deny", "Principal": {"AWS": INTERN_A["arn"]},
                 "Action": "ecr:DescribeImages"}))
        with self.assertRaises(Exception) as cm:
            intern.describe_images(repositoryName=name)
        self.assertDenied(cm, INTERN_A, "DescribeImages",
                          repo_arn(name, ACCT_A), "a resource")
        self.as_(ADMIN_A).describe_images(repositoryName=name)

    def test_same_account_allow_in_repository_policy_suffices(self):
        name = self.new_repo()
        with self.assertRaises(Exception) as cm:
            self.as_(IP_A).list_images(repositoryName=name)
        self.assertDenied(cm, IP_A, "ListImages", repo_arn(name, ACCT_A),
                          "identity")
        self.as_(ADMIN_A).set_repository_policy(
            repositoryName=name, policyText=doc(
                {"Effect": "Allow", "Principal": {"AWS": IP_A["arn"]},
                 "Action": "ecr:ListImages"}))
        self.assertEqual(self.as_(IP_A).list_images(
            repositoryName=name)["imageIds"], [])

    def test_cross_account_pull_needs_the_repository_policy(self):
        name = self.new_repo()
        image = build_image("policies-cross")
        push_image(self.as_(ADMIN_A), name, image, tag="latest")
        arn = repo_arn(name, ACCT_A)
        puller = self.as_(PULLER_B)

        def pull():
            return puller.batch_get_image(
                registryId=ACCT_A, repositoryName=name,
                imageIds=[{"imageTag": "latest"}])["images"]

        with self.assertRaises(Exception) as cm:
            pull()
        self.assertDenied(cm, PULLER_B, "BatchGetImage", arn, "resource")
        self.as_(ADMIN_A).set_repository_policy(
            repositoryName=name, policyText=doc(
                {"Sid": "pull", "Effect": "Allow",
                 "Principal": {"AWS": "arn:aws:iam::%s:root" % ACCT_B},
                 "Action": ["ecr:BatchGetImage", "ecr:DescribeImages"]}))
        # The next request sees the policy.
        self.assertEqual(pull()[0]["imageManifest"], image.text)
        self.assertEqual(puller.describe_images(
            registryId=ACCT_A, repositoryName=name)["imageDetails"][0][
            "registryId"], ACCT_A)
        # Both sides must allow across accounts.
        with self.assertRaises(Exception) as cm:
            self.as_(NOBODY_B).batch_get_image(
                registryId=ACCT_A, repositoryName=name,
                imageIds=[{"imageTag": "latest"}])
        self.assertDenied(cm, NOBODY_B, "BatchGetImage", arn, "identity")
        with self.assertRaises(Exception) as cm:
            puller.get_repository_policy(registryId=ACCT_A,
                                         repositoryName=name)
        self.assertDenied(cm, PULLER_B, "GetRepositoryPolicy", arn,
                          "resource")
        with self.assertRaises(Exception) as cm:
            puller.tag_resource(resourceArn=arn,
                                tags=[{"Key": "k", "Value": "v"}])
        self.assertDenied(cm, PULLER_B, "TagResource", arn, "resource")
        self.as_(ADMIN_A).delete_repository_policy(repositoryName=name)
        with self.assertRaises(Exception) as cm:
            pull()
        self.assertDenied(cm, PULLER_B, "BatchGetImage", arn, "resource")

    def test_cross_account_via_the_cli(self):
        name = self.new_repo()
        self.as_(ADMIN_A).set_repository_policy(
            repositoryName=name, policyText=doc(
                {"Effect": "Allow", "Principal": {"AWS": ACCT_B},
                 "Action": "ecr:DescribeImages"}))
        for major in (1, 2):
            with self.subTest(cli=major):
                if harness.find_cli(major) is None:
                    self.skipTest("aws CLI v%d is not installed" % major)
                res = self.cli(major, "ecr", "describe-images",
                               "--registry-id", ACCT_A, "--repository-name",
                               name, key=PULLER_B["accessKeyId"],
                               secret=PULLER_B["secretAccessKey"])
                self.assertEqual(self.assertCliOk(res)["imageDetails"], [])
                res = self.cli(major, "ecr", "list-images",
                               "--registry-id", ACCT_A, "--repository-name",
                               name, key=BUILDER_B["accessKeyId"],
                               secret=BUILDER_B["secretAccessKey"])
                self.assertCliError(res, "AccessDeniedException", denied(
                    BUILDER_B["arn"], "ListImages", repo_arn(name, ACCT_A),
                    "resource"))

    def test_condition_on_principal_arn(self):
        name = self.new_repo()
        self.as_(ADMIN_A).set_repository_policy(
            repositoryName=name, policyText=doc(
                {"Effect": "Allow", "Principal": {"AWS": ACCT_B},
                 "Action": "ecr:DescribeImages",
                 "Condition": {"ArnLike": {
                     "aws:PrincipalArn": "arn:aws:iam::%s:user/pull*"
                     % ACCT_B}}}))
        self.as_(PULLER_B).describe_images(registryId=ACCT_A,
                                           repositoryName=name)
        with self.assertRaises(Exception) as cm:
            self.as_(BUILDER_B).describe_images(registryId=ACCT_A,
                                                repositoryName=name)
        self.assertDenied(cm, BUILDER_B, "DescribeImages",
                          repo_arn(name, ACCT_A), "resource")

    def test_condition_on_source_ip(self):
        # The tests reach the server from 127.0.0.1.
        self.as_(IP_A).describe_repositories()
        with self.assertRaises(Exception) as cm:
            self.as_(IP_A).describe_registry()
        self.assertDenied(cm, IP_A, "DescribeRegistry", "*", "identity")
        with self.assertRaises(Exception) as cm:
            self.as_(IP_A).get_authorization_token()
        self.assertDenied(cm, IP_A, "GetAuthorizationToken", "*", "identity")

    def test_conditions_on_tags(self):
        blue = self.new_repo(tags=[{"Key": "team", "Value": "blue"}])
        red = self.new_repo(tags=[{"Key": "team", "Value": "red"}])
        tagged = self.as_(TAGGED_A)
        tagged.list_images(repositoryName=blue)
        tagged.describe_images(repositoryName=blue)
        for call, action in ((tagged.list_images, "ListImages"),
                             (tagged.describe_images, "DescribeImages")):
            with self.subTest(action):
                with self.assertRaises(Exception) as cm:
                    call(repositoryName=red)
                self.assertDenied(cm, TAGGED_A, action,
                                  repo_arn(red, ACCT_A), "identity")
        # Tags changed by TagResource count on the next request.
        self.as_(ADMIN_A).tag_resource(resourceArn=repo_arn(red, ACCT_A),
                                       tags=[{"Key": "team",
                                              "Value": "blue"}])
        tagged.list_images(repositoryName=red)
        # aws:RequestTag and aws:TagKeys on CreateRepository.
        name = unique_name("reqtag")
        tagged.create_repository(repositoryName=name,
                                 tags=[{"Key": "team", "Value": "blue"}])
        for tags in ([], [{"Key": "team", "Value": "red"}],
                     [{"Key": "team", "Value": "blue"},
                      {"Key": "cost", "Value": "x"}]):
            with self.subTest(tags=tags):
                other = unique_name("reqtag")
                with self.assertRaises(Exception) as cm:
                    tagged.create_repository(repositoryName=other, tags=tags)
                self.assertDenied(cm, TAGGED_A, "CreateRepository",
                                  repo_arn(other, ACCT_A), "identity")
        # aws:username is the user's name, without its path.
        tagged.list_tags_for_resource(resourceArn=repo_arn(name, ACCT_A))

    def test_registry_policy_v2_applies_to_every_request(self):
        # A region of its own, so the other tests never see this policy.
        admin = self.as_(ADMIN_A, OTHER_REGION)
        builder = self.as_(BUILDER_B, OTHER_REGION)
        name = unique_name("regpol")
        admin.create_repository(repositoryName=name)
        arn = repo_arn(name, ACCT_A, OTHER_REGION)
        with self.assertRaises(Exception) as cm:
            builder.list_images(registryId=ACCT_A, repositoryName=name)
        self.assertDenied(cm, BUILDER_B, "ListImages", arn, "resource")
        admin.put_registry_policy(policyText=doc(
            {"Effect": "Allow", "Principal": {"AWS": BUILDER_B["arn"]},
             "Action": "ecr:ListImages",
             "Resource": "arn:aws:ecr:%s:%s:repository/*"
             % (OTHER_REGION, ACCT_A)},
            {"Effect": "Deny", "Principal": {"AWS": ADMIN_A["arn"]},
             "Action": "ecr:DeleteRepository", "Resource": "*"}))
        try:
            self.assertEqual(builder.list_images(
                registryId=ACCT_A, repositoryName=name)["imageIds"], [])
            with self.assertRaises(Exception) as cm:
                admin.delete_repository(repositoryName=name)
            self.assertDenied(cm, ADMIN_A, "DeleteRepository", arn,
                              "a resource")
            # Scope V1 keeps the registry policy out of API requests.
            admin.put_account_setting(name="REGISTRY_POLICY_SCOPE",
                                      value="V1")
            with self.assertRaises(Exception) as cm:
                builder.list_images(registryId=ACCT_A, repositoryName=name)
            self.assertDenied(cm, BUILDER_B, "ListImages", arn, "resource")
        finally:
            admin.put_account_setting(name="REGISTRY_POLICY_SCOPE",
                                      value="V2")
            admin.delete_registry_policy()
        admin.delete_repository(repositoryName=name)

    def test_force_guards_against_locking_yourself_out(self):
        name = self.new_repo()
        admin = self.as_(ADMIN_A)
        lockout = doc({"Effect": "Deny", "Principal": "*",
                       "Action": "ecr:SetRepositoryPolicy"})
        # The wording is ecrd's [unconfirmed] (docs/ecr-behaviour.md 3.5).
        with self.assertRaises(Exception) as cm:
            admin.set_repository_policy(repositoryName=name,
                                        policyText=lockout)
        self.assertClientError(cm, IPE, message_contains=(
            "Invalid parameter at 'PolicyText'", "force"))
        with self.assertRaises(Exception) as cm:
            admin.get_repository_policy(repositoryName=name)
        self.assertClientError(cm, "RepositoryPolicyNotFoundException")
        admin.set_repository_policy(repositoryName=name, policyText=lockout,
                                    force=True)
        with self.assertRaises(Exception) as cm:
            admin.set_repository_policy(repositoryName=name,
                                        policyText=EXAMPLE_IN, force=True)
        self.assertDenied(cm, ADMIN_A, "SetRepositoryPolicy",
                          repo_arn(name, ACCT_A), "a resource")
        admin.delete_repository_policy(repositoryName=name)
        admin.set_repository_policy(repositoryName=name,
                                    policyText=EXAMPLE_IN)


# ---------------------------------------------------------------------------
# Identity policies come from the credentials file.

class CredentialsReloadTest(unittest.TestCase):

    def setUp(self):
        if not harness.have_binary():
            self.skipTest("needs its own ecrd; no binary at %s"
                          % harness.ecrd_bin())
        self.tmp = tempfile.mkdtemp(prefix="e2e-policies-reload-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.path = os.path.join(self.tmp, "credentials.json")

    def write(self, principals):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"principals": principals}, f)
        os.rename(tmp, self.path)

    def test_malformed_identity_policy_stops_the_server(self):
        bad = principal("AKIAPOLBAD0000000001", ADMIN_A["arn"],
                        identity({"Effect": "Allow", "Action": "ecr:*"}))
        self.write([bad])
        s = Server("--credentials", self.path)
        self.addCleanup(s.cleanup)
        s.spawn()
        self.assertGreater(s.wait_exit(), 0)
        err = s.stderr()
        self.assertIn(self.path, err)
        self.assertIn("principals[0].policies[0]", err)
        for marker in harness.SANITIZER_MARKERS:
            self.assertNotIn(marker, err)

    def test_sighup_brings_new_policies(self):
        user = principal("AKIAPOLHUP0000000001", ADMIN_A["arn"],
                         identity(allow("ecr:DescribeRegistry")))
        self.write([user])
        s = Server("--credentials", self.path).start()
        self.addCleanup(s.cleanup)
        c = harness.ecr_client(s.endpoint, user["accessKeyId"],
                               user["secretAccessKey"])
        c.describe_registry()
        with self.assertRaises(Exception) as cm:
            c.describe_repositories()
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "AccessDeniedException")

        # A malformed policy on SIGHUP: the old ones stay.
        self.write([dict(user, policies=identity({"Effect": "Allow"}))])
        mark = len(s.stderr())
        os.kill(s.pid, signal.SIGHUP)
        poll(lambda: self.path in s.stderr()[mark:], 10,
             "a log line about the broken credentials file")
        c.describe_registry()

        self.write([dict(user, policies=identity(allow(
            "ecr:DescribeRepositories")))])
        os.kill(s.pid, signal.SIGHUP)

        def reloaded():
            try:
                c.describe_repositories()
                return True
            except Exception:
                return None
        poll(reloaded, 10, "the reloaded policies")
        with self.assertRaises(Exception) as cm:
            c.describe_registry()
        self.assertEqual(cm.exception.response["Error"]["Message"], denied(
            ADMIN_A["arn"], "DescribeRegistry", "*", "identity"))
        s.stop()


if __name__ == "__main__":
    unittest.main()
