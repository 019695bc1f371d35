"""Repository creation templates, create on push, pull-through cache rules
and the --secrets file (issue 13, docs/ecr-behaviour.md 3.9, 3.10).

TemplateOperationsTest drives the four template operations with boto3 and
the aws CLI v1 and v2: defaults, validation (appliedFor, the policies as
SetRepositoryPolicy and PutLifecyclePolicy check them, tag mutability,
customRoleArn), TemplateAlreadyExists/TemplateNotFound, pagination and the
prefixes filter, and durability across a restart.
CreateOnPushTest pushes to missing repositories with PutImage, the registry
API and skopeo: each template field is visible afterwards, the longest
prefix wins, ROOT is the fallback, CreateRepository ignores templates,
later edits leave existing repositories alone, and without a CREATE_ON_PUSH
template the push fails as before. StrictCreateOnPushTest needs
ecr:CreateRepository for it. PullThroughCacheRuleTest covers the rule
operations and SecretsFileTest the secrets file (refused at start, reread
on SIGHUP, kept when the new one is broken).

moto 5.2 implements none of these operations, so there is nothing to
compare with; the expectations are ECR's documented behaviour.
"""

import json
import os
import shutil
import signal
import tempfile
import unittest
import uuid

import harness
from harness import (EcrdTestCase, Server, build_image, fresh_account, poll,
                     push_image, registry_password, repo_arn, unique_name)
from test_registry import (LAYER_FILES, SKOPEO, UMOCI, Layout, Registry,
                           describe, run_tool)

REPO_POLICY = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Sid": "pull", "Effect": "Allow", "Principal": "*",
                   "Action": ["ecr:BatchGetImage"]}]})
REPO_POLICY_STORED = (
    '{\n  "Version" : "2012-10-17",\n  "Statement" : [ {\n'
    '    "Sid" : "pull",\n    "Effect" : "Allow",\n'
    '    "Principal" : "*",\n    "Action" : [ "ecr:BatchGetImage" ]\n'
    '  } ]\n}')
LIFECYCLE = json.dumps({"rules": [{
    "rulePriority": 1, "description": "keep five",
    "selection": {"tagStatus": "any", "countType": "imageCountMoreThan",
                  "countNumber": 5},
    "action": {"type": "expire"}}]})
ROLE = "arn:aws:iam::123456789012:role/ecr-templates"
KMS_KEY = ("arn:aws:kms:us-east-1:123456789012:key/"
           "0a1b2c3d-0a1b-0a1b-0a1b-0a1b2c3d4e5f")
SECRET = "arn:aws:secretsmanager:us-east-1:%s:secret:ecr-pullthroughcache/%s"


def prefix_name(tag="t"):
    """A template prefix (and the start of repository names) of its own."""
    return "e2e%s%s" % (tag, uuid.uuid4().hex[:8])


class TemplateOperationsTest(EcrdTestCase):

    durable = True

    def test_create_answers_with_defaults_and_times(self):
        c = self.ecr()
        prefix = prefix_name()
        out = c.create_repository_creation_template(
            prefix=prefix, appliedFor=["CREATE_ON_PUSH"],
            description="made by e2e")
        self.assertEqual(out["registryId"], harness.DEFAULT_ACCOUNT)
        t = out["repositoryCreationTemplate"]
        self.assertEqual(t["prefix"], prefix)
        self.assertEqual(t["description"], "made by e2e")
        self.assertEqual(t["appliedFor"], ["CREATE_ON_PUSH"])
        self.assertEqual(t["imageTagMutability"], "MUTABLE")
        self.assertEqual(t["encryptionConfiguration"],
                         {"encryptionType": "AES256"})
        self.assertEqual(t["createdAt"], t["updatedAt"])
        self.assertNotIn("repositoryPolicy", t)

    def test_policies_are_kept_as_the_direct_operations_keep_them(self):
        c = self.ecr()
        t = c.create_repository_creation_template(
            prefix=prefix_name(), appliedFor=["REPLICATION"],
            repositoryPolicy=REPO_POLICY,
            lifecyclePolicy=LIFECYCLE)["repositoryCreationTemplate"]
        self.assertEqual(t["repositoryPolicy"], REPO_POLICY_STORED)
        self.assertEqual(json.loads(t["lifecyclePolicy"]),
                         json.loads(LIFECYCLE))

    def test_validation(self):
        c = self.ecr()
        prefix = prefix_name()
        cases = [
            (dict(appliedFor=[]), "ValidationException",
             "at 'appliedFor'"),
            (dict(appliedFor=["CREATE_ON_PUSH"], repositoryPolicy="{"),
             "InvalidParameterException",
             "Invalid repository policy provided"),
            (dict(appliedFor=["CREATE_ON_PUSH"],
                  lifecyclePolicy='{"rules":[]}'),
             "InvalidParameterException", ""),
            (dict(appliedFor=["CREATE_ON_PUSH"],
                  imageTagMutability="IMMUTABLE_WITH_EXCLUSION"),
             "InvalidParameterException",
             "imageTagMutabilityExclusionFilters"),
            (dict(appliedFor=["CREATE_ON_PUSH"],
                  imageTagMutabilityExclusionFilters=[
                      {"filterType": "WILDCARD", "filter": "dev*"}]),
             "InvalidParameterException",
             "imageTagMutabilityExclusionFilters"),
            (dict(appliedFor=["CREATE_ON_PUSH"],
                  resourceTags=[{"Key": "team", "Value": "a"}]),
             "ValidationException", "customRoleArn"),
            (dict(appliedFor=["CREATE_ON_PUSH"],
                  encryptionConfiguration={"encryptionType": "KMS"}),
             "ValidationException", "customRoleArn"),
            (dict(appliedFor=["CREATE_ON_PUSH"],
                  encryptionConfiguration={"encryptionType": "AES256",
                                           "kmsKey": KMS_KEY}),
             "InvalidParameterException", "kmsKey"),
        ]
        for kw, code, part in cases:
            with self.subTest(kw=kw):
                with self.assertRaises(Exception) as cm:
                    c.create_repository_creation_template(prefix=prefix,
                                                          **kw)
                self.assertClientError(cm, code, message_contains=part)
        # Nothing was stored by the failures.
        out = c.describe_repository_creation_templates(prefixes=[prefix])
        self.assertEqual(out["repositoryCreationTemplates"], [])
        # The model's pattern: ValidationException, Coral's words.
        r = self.api("CreateRepositoryCreationTemplate",
                     {"prefix": "Upper", "appliedFor": ["CREATE_ON_PUSH"]})
        self.assertAwsError(r, 400, "ValidationException",
                            message_contains="at 'prefix'")
        # With a role, tags and KMS are fine.
        t = c.create_repository_creation_template(
            prefix=prefix, appliedFor=["CREATE_ON_PUSH"],
            resourceTags=[{"Key": "team", "Value": "a"}],
            encryptionConfiguration={"encryptionType": "KMS",
                                     "kmsKey": KMS_KEY},
            customRoleArn=ROLE)["repositoryCreationTemplate"]
        self.assertEqual(t["customRoleArn"], ROLE)

    def test_exists_not_found_update_delete(self):
        c = self.ecr()
        prefix = prefix_name()
        c.create_repository_creation_template(prefix=prefix,
                                              appliedFor=["REPLICATION"])
        with self.assertRaises(Exception) as cm:
            # A '/' is implied at the end: the same prefix.
            c.create_repository_creation_template(
                prefix=prefix + "/", appliedFor=["CREATE_ON_PUSH"])
        self.assertClientError(cm, "TemplateAlreadyExistsException",
                               message_contains=prefix)
        t = c.update_repository_creation_template(
            prefix=prefix, imageTagMutability="IMMUTABLE",
            description="now immutable")["repositoryCreationTemplate"]
        self.assertEqual(t["imageTagMutability"], "IMMUTABLE")
        self.assertEqual(t["appliedFor"], ["REPLICATION"])
        self.assertGreaterEqual(t["updatedAt"], t["createdAt"])
        gone = c.delete_repository_creation_template(prefix=prefix)
        self.assertEqual(gone["repositoryCreationTemplate"]["description"],
                         "now immutable")
        for op in (c.delete_repository_creation_template,
                   c.update_repository_creation_template):
            with self.assertRaises(Exception) as cm:
                op(prefix=prefix)
            self.assertClientError(cm, "TemplateNotFoundException",
                                   message_contains=prefix)

    def test_pagination_and_prefixes(self):
        c = self.ecr(key=fresh_account())
        prefixes = sorted(prefix_name("p%d" % i) for i in range(7))
        for p in reversed(prefixes):
            c.create_repository_creation_template(
                prefix=p, appliedFor=["PULL_THROUGH_CACHE"])
        pages = list(c.get_paginator(
            "describe_repository_creation_templates").paginate(
                PaginationConfig={"PageSize": 3}))
        self.assertEqual(len(pages), 3)
        got = [t["prefix"] for pg in pages
               for t in pg["repositoryCreationTemplates"]]
        self.assertEqual(got, prefixes)
        out = c.describe_repository_creation_templates(
            prefixes=[prefixes[2], "e2enotthere"])
        self.assertEqual([t["prefix"] for t in
                          out["repositoryCreationTemplates"]],
                         [prefixes[2]])
        r = self.api("DescribeRepositoryCreationTemplates",
                     {"nextToken": "garbage"})
        self.assertEqual(r.status, 400, r)

    def test_cli_v1_and_v2(self):
        for major in (1, 2):
            with self.subTest(cli=major):
                prefix = prefix_name("cli%d" % major)
                res = self.cli(
                    major, "ecr", "create-repository-creation-template",
                    "--prefix", prefix, "--applied-for", "CREATE_ON_PUSH",
                    "--image-tag-mutability", "IMMUTABLE")
                if "Invalid choice" in res.stderr:
                    continue    # a CLI older than the operations
                out = self.assertCliOk(res)
                self.assertEqual(
                    out["repositoryCreationTemplate"]["prefix"], prefix)
                out = self.assertCliOk(self.cli(
                    major, "ecr", "describe-repository-creation-templates",
                    "--prefixes", prefix))
                self.assertEqual(
                    out["repositoryCreationTemplates"][0]
                    ["imageTagMutability"], "IMMUTABLE")
                res = self.cli(major, "ecr",
                               "delete-repository-creation-template",
                               "--prefix", prefix + "x")
                self.assertCliError(res, "TemplateNotFoundException")

    def test_templates_survive_a_restart(self):
        prefix = prefix_name()
        self.ecr().create_repository_creation_template(
            prefix=prefix, appliedFor=["CREATE_ON_PUSH"],
            lifecyclePolicy=LIFECYCLE)
        cls = type(self)
        cls.server.stop()
        cls.server.cleanup()
        cls.server = harness.start_server(data_dir=cls.data_dir)
        self._clients.clear()
        out = self.ecr().describe_repository_creation_templates(
            prefixes=[prefix])["repositoryCreationTemplates"]
        self.assertEqual(len(out), 1)
        self.assertEqual(json.loads(out[0]["lifecyclePolicy"]),
                         json.loads(LIFECYCLE))


class CreateOnPushTest(EcrdTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.password = registry_password(
            harness.ecr_client(cls.server.endpoint))

    def full_template(self, prefix, **kw):
        self.ecr().create_repository_creation_template(
            prefix=prefix, appliedFor=["CREATE_ON_PUSH"],
            imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
            imageTagMutabilityExclusionFilters=[
                {"filterType": "WILDCARD", "filter": "latest*"}],
            encryptionConfiguration={"encryptionType": "KMS",
                                     "kmsKey": KMS_KEY},
            resourceTags=[{"Key": "team", "Value": "platform"}],
            repositoryPolicy=REPO_POLICY, lifecyclePolicy=LIFECYCLE,
            customRoleArn=ROLE, **kw)

    def assertMadeFromFullTemplate(self, name):
        c = self.ecr()
        repo = c.describe_repositories(
            repositoryNames=[name])["repositories"][0]
        self.assertEqual(repo["imageTagMutability"],
                         "IMMUTABLE_WITH_EXCLUSION")
        self.assertEqual(repo["imageTagMutabilityExclusionFilters"],
                         [{"filterType": "WILDCARD", "filter": "latest*"}])
        self.assertEqual(repo["encryptionConfiguration"],
                         {"encryptionType": "KMS", "kmsKey": KMS_KEY})
        self.assertEqual(c.get_repository_policy(
            repositoryName=name)["policyText"], REPO_POLICY_STORED)
        self.assertEqual(json.loads(c.get_lifecycle_policy(
            repositoryName=name)["lifecyclePolicyText"]),
            json.loads(LIFECYCLE))
        self.assertEqual(c.list_tags_for_resource(
            resourceArn=repo_arn(name))["tags"],
            [{"Key": "team", "Value": "platform"}])

    def test_put_image_applies_every_field(self):
        prefix = prefix_name()
        self.full_template(prefix)
        name = "%s/app" % prefix
        push_image(self.ecr(), name, build_image(name), tag="v1")
        self.assertMadeFromFullTemplate(name)

    def test_longest_prefix_wins_and_root_is_the_fallback(self):
        acct = fresh_account()
        c = self.ecr(key=acct)
        prefix = prefix_name()
        for p, mut in ((prefix, "IMMUTABLE"),
                       (prefix + "/team", "MUTABLE"),
                       ("ROOT", "IMMUTABLE")):
            c.create_repository_creation_template(
                prefix=p, appliedFor=["CREATE_ON_PUSH"],
                imageTagMutability=mut, description=p)
        # Only REPLICATION: never chosen for a push, however long.
        c.create_repository_creation_template(
            prefix=prefix + "/team/x", appliedFor=["REPLICATION"])
        want = {prefix + "/team/x/app": "MUTABLE",
                prefix + "/team/app": "MUTABLE",
                prefix + "/other": "IMMUTABLE",
                prefix + "team": "IMMUTABLE",     # ROOT: no '/' after it
                "elsewhere/app": "IMMUTABLE"}
        for name, mut in want.items():
            with self.subTest(name=name):
                push_image(c, name, build_image(name), tag="v1")
                repo = c.describe_repositories(
                    repositoryNames=[name])["repositories"][0]
                self.assertEqual(repo["imageTagMutability"], mut)

    def test_without_a_template_the_push_fails_as_before(self):
        c = self.ecr(key=fresh_account())
        name = unique_name("nocop")
        with self.assertRaises(Exception) as cm:
            push_image(c, name, build_image(name), tag="v1")
        self.assertClientError(cm, "RepositoryNotFoundException")
        c.create_repository_creation_template(
            prefix="ROOT", appliedFor=["PULL_THROUGH_CACHE", "REPLICATION"])
        with self.assertRaises(Exception) as cm:
            push_image(c, name, build_image(name), tag="v1")
        self.assertClientError(cm, "RepositoryNotFoundException")
        reg = Registry(self.server, self.password)
        r = reg.request("PUT", "/v2/%s/manifests/v1" % name,
                        body=build_image(name).manifest,
                        headers={"Content-Type":
                                 harness.MEDIA_DOCKER_MANIFEST})
        self.assertEqual(r.status, 404, r)
        self.assertEqual(r.json()["errors"][0]["code"], "NAME_UNKNOWN")
        r = reg.request("POST", "/v2/%s/blobs/uploads/" % name)
        self.assertEqual(r.status, 404, r)
        self.assertEqual(c.describe_repositories()["repositories"], [])

    def test_create_repository_ignores_templates_and_edits_stay_out(self):
        c = self.ecr()
        prefix = prefix_name()
        self.full_template(prefix)
        plain = "%s/plain" % prefix
        c.create_repository(repositoryName=plain)
        repo = c.describe_repositories(
            repositoryNames=[plain])["repositories"][0]
        self.assertEqual(repo["imageTagMutability"], "MUTABLE")
        with self.assertRaises(Exception) as cm:
            c.get_repository_policy(repositoryName=plain)
        self.assertClientError(cm, "RepositoryPolicyNotFoundException")
        pushed = "%s/pushed" % prefix
        push_image(c, pushed, build_image(pushed), tag="v1")
        c.update_repository_creation_template(
            prefix=prefix, imageTagMutability="MUTABLE",
            repositoryPolicy="", resourceTags=[])
        c.delete_repository_creation_template(prefix=prefix)
        self.assertMadeFromFullTemplate(pushed)

    def test_a_failed_push_creates_nothing(self):
        c = self.ecr()
        prefix = prefix_name()
        self.full_template(prefix)
        name = "%s/broken" % prefix
        with self.assertRaises(Exception) as cm:
            c.put_image(repositoryName=name, imageManifest="{not json",
                        imageTag="v1")
        self.assertClientError(cm, "InvalidParameterException")
        with self.assertRaises(Exception) as cm:
            c.describe_repositories(repositoryNames=[name])
        self.assertClientError(cm, "RepositoryNotFoundException")

    @unittest.skipUnless(SKOPEO and UMOCI, "skopeo and umoci are needed")
    def test_skopeo_copy_to_a_new_repository(self):
        tmp = tempfile.mkdtemp(prefix="e2e-templates-")
        self.addCleanup(shutil.rmtree, tmp, True)
        layout = Layout(self, os.path.join(tmp, "L"))
        layout.add_image("v1", LAYER_FILES)
        prefix = prefix_name()
        self.full_template(prefix)
        name = "%s/skopeo/app" % prefix
        p = run_tool(["skopeo", "--insecure-policy", "copy",
                      "--dest-tls-verify=false", "--dest-creds",
                      "AWS:" + self.password, "oci:%s:v1" % layout.path,
                      "docker://%s/%s:v1" % (self.server.hostport, name)])
        self.assertEqual(p.returncode, 0, describe(p))
        self.assertMadeFromFullTemplate(name)
        images = self.ecr().describe_images(
            repositoryName=name)["imageDetails"]
        self.assertEqual(images[0]["imageTags"], ["v1"])
        self.assertEqual(images[0]["imageDigest"],
                         layout.ref("v1")["digest"])


ACCT = "111111111111"
ADMIN = {"accessKeyId": "AKIATPLADMIN00000001",
         "secretAccessKey": "secret-admin",
         "arn": "arn:aws:iam::%s:user/admin" % ACCT,
         "policies": [{"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}]}
PUSHER = {"accessKeyId": "AKIATPLPUSH000000001",
          "secretAccessKey": "secret-pusher",
          "arn": "arn:aws:iam::%s:user/pusher" % ACCT,
          "policies": [{"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Resource": "*", "Action": [
                  "ecr:GetAuthorizationToken", "ecr:InitiateLayerUpload",
                  "ecr:UploadLayerPart", "ecr:CompleteLayerUpload",
                  "ecr:BatchCheckLayerAvailability", "ecr:PutImage"]}]}]}


class StrictCreateOnPushTest(EcrdTestCase):

    principals = [ADMIN, PUSHER]

    def client(self, who):
        return self.ecr(key=who["accessKeyId"],
                        secret=who["secretAccessKey"])

    def test_create_on_push_needs_create_repository(self):
        prefix = prefix_name()
        self.client(ADMIN).create_repository_creation_template(
            prefix=prefix, appliedFor=["CREATE_ON_PUSH"])
        name = "%s/app" % prefix
        with self.assertRaises(Exception) as cm:
            push_image(self.client(PUSHER), name, build_image(name),
                       tag="v1")
        self.assertClientError(cm, "AccessDeniedException",
                               message_contains="ecr:CreateRepository")
        with self.assertRaises(Exception) as cm:
            self.client(ADMIN).describe_repositories(repositoryNames=[name])
        self.assertClientError(cm, "RepositoryNotFoundException",
                               message_contains=name)
        push_image(self.client(ADMIN), name, build_image(name), tag="v1")
        self.client(ADMIN).describe_repositories(repositoryNames=[name])


class PullThroughCacheRuleTest(EcrdTestCase):

    @classmethod
    def setUpClass(cls):
        cls.secrets_dir = tempfile.mkdtemp(prefix="e2e-secrets-")
        path = os.path.join(cls.secrets_dir, "secrets.json")
        acct = harness.DEFAULT_ACCOUNT
        with open(path, "w") as f:
            json.dump({
                SECRET % (acct, "docker-hub-AbC123"):
                    {"username": "alice", "accessToken": "dckr_pat_x"},
                "ecr-pullthroughcache/ghcr":
                    json.dumps({"username": "bob", "accessToken": "ghp"}),
                SECRET % (acct, "broken"): {"username": "carol"},
            }, f)
        cls.server_args = ("--secrets", path)
        try:
            super().setUpClass()
        except BaseException:
            shutil.rmtree(cls.secrets_dir, True)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.secrets_dir, True)

    def secret(self, name):
        return SECRET % (harness.DEFAULT_ACCOUNT, name)

    def test_create_infers_the_upstream_and_answers(self):
        c = self.ecr(key=fresh_account())
        cases = [("quay.io", "quay", {}),
                 ("public.ecr.aws", "ecr-public", {}),
                 ("registry.k8s.io", "k8s", {})]
        for i, (url, name, kw) in enumerate(cases):
            with self.subTest(url=url):
                out = c.create_pull_through_cache_rule(
                    ecrRepositoryPrefix="r%d" % i, upstreamRegistryUrl=url,
                    **kw)
                self.assertEqual(out["upstreamRegistry"], name)
                self.assertEqual(out["upstreamRegistryUrl"], url)
                self.assertIn("createdAt", out)
        with self.assertRaises(Exception) as cm:
            c.create_pull_through_cache_rule(ecrRepositoryPrefix="r0",
                                             upstreamRegistryUrl="quay.io")
        self.assertClientError(
            cm, "PullThroughCacheRuleAlreadyExistsException")

    def test_upstream_errors(self):
        c = self.ecr()
        for url, kw in (("example.com", {}),
                        ("quay.io", {"upstreamRegistry": "k8s"})):
            with self.subTest(url=url):
                with self.assertRaises(Exception) as cm:
                    c.create_pull_through_cache_rule(
                        ecrRepositoryPrefix="bad", upstreamRegistryUrl=url,
                        **kw)
                self.assertClientError(
                    cm, "UnsupportedUpstreamRegistryException",
                    "The upstream registry URL %s is invalid. Specify a "
                    "valid upstream registry URL and try again" % url)
        with self.assertRaises(Exception) as cm:
            c.create_pull_through_cache_rule(
                ecrRepositoryPrefix="hub", upstreamRegistryUrl="ghcr.io")
        self.assertClientError(cm, "ValidationException",
                               message_contains="credentialArn")
        with self.assertRaises(Exception) as cm:
            c.create_pull_through_cache_rule(
                ecrRepositoryPrefix="qq", upstreamRegistryUrl="quay.io",
                customRoleArn=ROLE)
        self.assertClientError(cm, "ValidationException")

    def test_credentials_come_from_the_secrets_file(self):
        c = self.ecr()
        out = c.create_pull_through_cache_rule(
            ecrRepositoryPrefix="hub-" + uuid.uuid4().hex[:6],
            upstreamRegistryUrl="registry-1.docker.io",
            credentialArn=self.secret("docker-hub"))
        self.assertEqual(out["upstreamRegistry"], "docker-hub")
        out = c.create_pull_through_cache_rule(
            ecrRepositoryPrefix="gh-" + uuid.uuid4().hex[:6],
            upstreamRegistryUrl="ghcr.io",
            credentialArn=self.secret("ghcr-XyZ789"))
        self.assertEqual(out["upstreamRegistry"],
                         "github-container-registry")
        for name, code in (("nothere", "SecretNotFoundException"),
                           ("broken",
                            "UnableToDecryptSecretValueException")):
            with self.subTest(secret=name):
                with self.assertRaises(Exception) as cm:
                    c.create_pull_through_cache_rule(
                        ecrRepositoryPrefix="az-" + uuid.uuid4().hex[:6],
                        upstreamRegistryUrl="myreg.azurecr.io",
                        credentialArn=self.secret(name))
                self.assertClientError(cm, code,
                                       message_contains=self.secret(name))

    def test_ecr_upstream(self):
        c = self.ecr()
        other = "111122223333.dkr.ecr.us-west-2.amazonaws.com"
        with self.assertRaises(Exception) as cm:
            c.create_pull_through_cache_rule(
                ecrRepositoryPrefix="x-" + uuid.uuid4().hex[:6],
                upstreamRegistryUrl=other)
        self.assertClientError(cm, "ValidationException",
                               message_contains="customRoleArn")
        out = c.create_pull_through_cache_rule(
            ecrRepositoryPrefix="x-" + uuid.uuid4().hex[:6],
            upstreamRegistryUrl=other, customRoleArn=ROLE,
            upstreamRepositoryPrefix="team")
        self.assertEqual(out["upstreamRegistry"], "ecr")
        self.assertEqual(out["upstreamRepositoryPrefix"], "team")

    def test_describe_update_delete(self):
        c = self.ecr(key=fresh_account())
        for i in range(5):
            c.create_pull_through_cache_rule(
                ecrRepositoryPrefix="p%d" % i, upstreamRegistryUrl="quay.io")
        pages = list(c.get_paginator(
            "describe_pull_through_cache_rules").paginate(
                PaginationConfig={"PageSize": 2}))
        self.assertEqual([r["ecrRepositoryPrefix"] for pg in pages
                          for r in pg["pullThroughCacheRules"]],
                         ["p0", "p1", "p2", "p3", "p4"])
        out = c.describe_pull_through_cache_rules(
            ecrRepositoryPrefixes=["p3"])["pullThroughCacheRules"]
        self.assertEqual([r["ecrRepositoryPrefix"] for r in out], ["p3"])
        with self.assertRaises(Exception) as cm:
            c.describe_pull_through_cache_rules(
                ecrRepositoryPrefixes=["p3", "nope"])
        self.assertClientError(cm, "PullThroughCacheRuleNotFoundException",
                               message_contains="'nope'")
        up = c.update_pull_through_cache_rule(
            ecrRepositoryPrefix="p3",
            credentialArn=self.secret("docker-hub-AbC123"))
        self.assertIn("updatedAt", up)
        gone = c.delete_pull_through_cache_rule(ecrRepositoryPrefix="p3")
        self.assertEqual(gone["upstreamRegistryUrl"], "quay.io")
        self.assertEqual(gone["credentialArn"],
                         self.secret("docker-hub-AbC123"))
        for op in (c.delete_pull_through_cache_rule,
                   c.update_pull_through_cache_rule):
            with self.assertRaises(Exception) as cm:
                op(ecrRepositoryPrefix="p3")
            self.assertClientError(cm,
                                   "PullThroughCacheRuleNotFoundException")

    def test_fifty_rules_per_registry(self):
        c = self.ecr(key=fresh_account())
        for i in range(50):
            c.create_pull_through_cache_rule(
                ecrRepositoryPrefix="l%02d" % i,
                upstreamRegistryUrl="quay.io")
        with self.assertRaises(Exception) as cm:
            c.create_pull_through_cache_rule(ecrRepositoryPrefix="l50",
                                             upstreamRegistryUrl="quay.io")
        self.assertClientError(cm, "LimitExceededException")
        out = c.describe_pull_through_cache_rules(maxResults=100)
        self.assertEqual(len(out["pullThroughCacheRules"]), 50)

    def test_cli_v1_and_v2(self):
        for major in (1, 2):
            with self.subTest(cli=major):
                prefix = "cli%d-%s" % (major, uuid.uuid4().hex[:6])
                out = self.assertCliOk(self.cli(
                    major, "ecr", "create-pull-through-cache-rule",
                    "--ecr-repository-prefix", prefix,
                    "--upstream-registry-url", "public.ecr.aws"))
                # An older CLI's model may drop upstreamRegistry.
                self.assertEqual(out["ecrRepositoryPrefix"], prefix)
                out = self.assertCliOk(self.cli(
                    major, "ecr", "describe-pull-through-cache-rules",
                    "--ecr-repository-prefixes", prefix))
                self.assertEqual(len(out["pullThroughCacheRules"]), 1)
                self.assertCliOk(self.cli(
                    major, "ecr", "delete-pull-through-cache-rule",
                    "--ecr-repository-prefix", prefix))

    def test_validate_needs_a_rule(self):
        # Validating with real upstreams: test_pull_through.py.
        r = self.api("ValidatePullThroughCacheRule",
                     {"ecrRepositoryPrefix": "norule"})
        self.assertAwsError(r, 400, "PullThroughCacheRuleNotFoundException",
                            message_contains="norule")


class SecretsFileTest(unittest.TestCase):

    def setUp(self):
        if not harness.have_binary():
            self.skipTest("needs its own ecrd; no binary at %s"
                          % harness.ecrd_bin())
        self.tmp = tempfile.mkdtemp(prefix="e2e-secrets-reload-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.path = os.path.join(self.tmp, "secrets.json")

    def write(self, text):
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.rename(tmp, self.path)

    def test_a_malformed_file_stops_the_server(self):
        for text in ("{not json", "[]"):
            with self.subTest(text=text):
                self.write(text)
                s = Server("--secrets", self.path)
                self.addCleanup(s.cleanup)
                s.spawn()
                self.assertGreater(s.wait_exit(), 0)
                err = s.stderr()
                self.assertIn(self.path, err)
                for marker in harness.SANITIZER_MARKERS:
                    self.assertNotIn(marker, err)

    def test_sighup_rereads_and_keeps_the_old_file_on_error(self):
        arn = SECRET % (harness.DEFAULT_ACCOUNT, "hub")
        self.write(json.dumps({"ecr-pullthroughcache/other": {
            "username": "u", "accessToken": "t"}}))
        s = Server("--secrets", self.path).start()
        self.addCleanup(s.cleanup)
        c = harness.ecr_client(s.endpoint)

        def create(prefix):
            return c.create_pull_through_cache_rule(
                ecrRepositoryPrefix=prefix,
                upstreamRegistryUrl="registry-1.docker.io",
                credentialArn=arn)

        with self.assertRaises(Exception) as cm:
            create("hub1")
        self.assertEqual(cm.exception.response["Error"]["Code"],
                         "SecretNotFoundException")
        self.write(json.dumps({"ecr-pullthroughcache/hub": {
            "username": "u", "accessToken": "t"}}))
        mark = len(s.stderr())
        os.kill(s.pid, signal.SIGHUP)
        poll(lambda: "secrets reloaded" in s.stderr()[mark:], 10,
             "the secrets file reread")
        create("hub1")
        # A broken file on SIGHUP: logged, the old secrets stay.
        self.write("{broken")
        mark = len(s.stderr())
        os.kill(s.pid, signal.SIGHUP)
        poll(lambda: "keeping the old secrets" in s.stderr()[mark:], 10,
             "a log line about the broken secrets file")
        self.assertNotIn("accessToken", s.stderr())
        create("hub2")
        s.stop()
        self.assertEqual(s.returncode, 0)


if __name__ == "__main__":
    unittest.main()
