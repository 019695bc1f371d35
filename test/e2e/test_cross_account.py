"""Another account's registry (issue 11, items 13 and 14).

Permissive mode has no authorization: a registryId, or a resourceArn
naming another account, simply selects that account's registry, as moto
and LocalStack do. Strict mode keeps IAM's cross-account evaluation, and
decides the operations that take repositoryNames (DescribeRepositories,
BatchGetRepositoryScanningConfiguration) on each named repository's ARN,
as the Service Authorization Reference lists them (repository*); without
names their resource stays "*".
"""

import json
import unittest

import botocore.exceptions

import harness
from harness import (REGION, EcrdTestCase, build_image, fresh_account,
                     repo_arn, unique_name, upload_layer)

ACCT_A = "111111111111"
ACCT_B = "222222222222"
ADMIN = [{"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}]


def principal(key, arn, policies):
    return {"accessKeyId": key, "secretAccessKey": "secret-" + key.lower(),
            "arn": arn, "policies": policies}


ALICE = principal("AKIAXACCTALICE000001",
                  "arn:aws:iam::%s:user/alice" % ACCT_A, ADMIN)
BOB = principal("AKIAXACCTBOB00000002",
                "arn:aws:iam::%s:user/bob" % ACCT_B, ADMIN)
# May describe one repository of its own account (and get its scanning
# configuration), nothing else.
CAROL_REPO = "e2e-xacct-carol-own"
CAROL = principal("AKIAXACCTCAROL000003",
                  "arn:aws:iam::%s:user/carol" % ACCT_A,
                  [{"Version": "2012-10-17", "Statement": [
                      {"Effect": "Allow",
                       "Action": [
                           "ecr:DescribeRepositories",
                           "ecr:BatchGetRepositoryScanningConfiguration"],
                       "Resource": repo_arn(CAROL_REPO, ACCT_A)}]}])


def denied(p, action, resource, why):
    return ("User: %s is not authorized to perform: ecr:%s on resource: %s "
            "because no %s-based policy allows the ecr:%s action"
            % (p["arn"], action, resource, why, action))


class PermissiveCrossAccountTest(EcrdTestCase):
    """registryId and resourceArn select the registry; nothing is denied."""

    def test_registry_id_selects_another_accounts_registry(self):
        a, b = fresh_account(), fresh_account()
        ca, cb = self.ecr(key=a), self.ecr(key=b)
        name = unique_name("xacct")
        repo = ca.create_repository(registryId=b,
                                    repositoryName=name)["repository"]
        self.assertEqual(repo["registryId"], b)
        self.assertEqual(repo["repositoryArn"], repo_arn(name, b))
        # It is b's: b sees it as its own, a's registry does not hold it.
        got = cb.describe_repositories(repositoryNames=[name])
        self.assertEqual(got["repositories"][0]["repositoryArn"],
                         repo["repositoryArn"])
        self.assertEqual([r["repositoryName"] for r in
                          ca.describe_repositories()["repositories"]], [])
        got = ca.describe_repositories(registryId=b, repositoryNames=[name])
        self.assertEqual(got["repositories"][0]["registryId"], b)
        self.assertIn(name, [r["repositoryName"] for r in
                             ca.describe_repositories(registryId=b)[
                                 "repositories"]])

    def test_images_in_another_accounts_registry(self):
        a, b = fresh_account(), fresh_account()
        ca, cb = self.ecr(key=a), self.ecr(key=b)
        name = unique_name("xacct-img")
        ca.create_repository(registryId=b, repositoryName=name)
        image = build_image("xacct-" + name, n_layers=1)
        for data in image.blobs.values():
            upload_layer(ca, name, data, registry_id=b)
        put = ca.put_image(registryId=b, repositoryName=name,
                           imageManifest=image.text, imageTag="v1")["image"]
        self.assertEqual(put["registryId"], b)
        self.assertEqual(put["imageId"]["imageDigest"], image.digest)
        details = ca.describe_images(registryId=b, repositoryName=name)[
            "imageDetails"]
        self.assertEqual([d["imageDigest"] for d in details], [image.digest])
        self.assertEqual(details[0]["registryId"], b)
        got = cb.batch_get_image(repositoryName=name,
                                 imageIds=[{"imageTag": "v1"}])["images"]
        self.assertEqual(got[0]["imageManifest"], image.text)
        listed = ca.list_images(registryId=b, repositoryName=name)
        self.assertEqual(listed["imageIds"][0]["imageDigest"], image.digest)

    def test_tags_by_the_arn_of_another_account(self):
        a, b = fresh_account(), fresh_account()
        name = unique_name("xacct-tag")
        arn = self.ecr(key=b).create_repository(
            repositoryName=name)["repository"]["repositoryArn"]
        ca = self.ecr(key=a)
        ca.tag_resource(resourceArn=arn, tags=[{"Key": "k", "Value": "v"}])
        self.assertEqual(ca.list_tags_for_resource(resourceArn=arn)["tags"],
                         [{"Key": "k", "Value": "v"}])
        self.assertEqual(self.ecr(key=b).list_tags_for_resource(
            resourceArn=arn)["tags"], [{"Key": "k", "Value": "v"}])
        ca.untag_resource(resourceArn=arn, tagKeys=["k"])
        self.assertEqual(ca.list_tags_for_resource(resourceArn=arn)["tags"],
                         [])
        ca.delete_repository(registryId=b, repositoryName=name)
        with self.assertRaises(Exception) as cm:
            self.ecr(key=b).describe_repositories(repositoryNames=[name])
        self.assertClientError(cm, "RepositoryNotFoundException")

    def test_authorization_token_for_another_registry(self):
        # registryIds selects the registry the token's pushes and pulls
        # go to, as registryId does for the API.
        a, b = fresh_account(), fresh_account()
        name = unique_name("xacct-token")
        self.ecr(key=b).create_repository(repositoryName=name)
        data = self.ecr(key=a).get_authorization_token(
            registryIds=[b])["authorizationData"]
        self.assertEqual(len(data), 1)
        self.assertTrue(data[0]["proxyEndpoint"].startswith(
            "https://%s.dkr.ecr." % b), data)
        user, password = harness.decode_token(data[0]["authorizationToken"])
        r = harness.registry_request(
            self.server.host, self.server.port, "GET",
            "/v2/%s/tags/list" % name,
            headers={"Authorization": harness.basic_auth(user, password)})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"name": name, "tags": []})

    def test_cli_registry_id(self):
        a, b = fresh_account(), fresh_account()
        name = unique_name("xacct-cli")
        self.ecr(key=b).create_repository(repositoryName=name)
        for major in (1, 2):
            with self.subTest(cli=major):
                out = self.assertCliOk(self.cli(
                    major, "ecr", "describe-repositories", "--registry-id",
                    b, "--repository-names", name, key=a))
                self.assertEqual(out["repositories"][0]["registryId"], b)


class StrictCrossAccountTest(EcrdTestCase):
    """Strict mode: cross-account access needs both sides' policies, and
    repositoryNames are decided one ARN at a time."""

    principals = [ALICE, BOB, CAROL]

    def as_(self, p):
        return self.ecr(key=p["accessKeyId"], secret=p["secretAccessKey"])

    def assertDenied(self, cm, p, action, resource, why):
        self.assertClientError(cm, "AccessDeniedException",
                               denied(p, action, resource, why))

    def ensure_repos(self, p, *names):
        for name in names:
            try:
                self.as_(p).create_repository(repositoryName=name)
            except botocore.exceptions.ClientError as e:
                if e.response["Error"]["Code"] != \
                        "RepositoryAlreadyExistsException":
                    raise

    def bob_repo(self, allow_alice=()):
        """A repository of Bob's whose policy lets Alice do allow_alice."""
        name = unique_name("xacct-strict")
        self.as_(BOB).create_repository(repositoryName=name)
        if allow_alice:
            self.as_(BOB).set_repository_policy(
                repositoryName=name, policyText=json.dumps({
                    "Version": "2012-10-17", "Statement": [{
                        "Effect": "Allow",
                        "Principal": {"AWS": ALICE["arn"]},
                        "Action": ["ecr:%s" % a for a in allow_alice]}]}))
        return name

    def test_registry_id_of_another_account_is_still_denied(self):
        name = unique_name("xacct-strict")
        with self.assertRaises(Exception) as cm:
            self.as_(ALICE).create_repository(registryId=ACCT_B,
                                              repositoryName=name)
        self.assertDenied(cm, ALICE, "CreateRepository",
                          repo_arn(name, ACCT_B), "resource")
        mine = self.bob_repo()
        with self.assertRaises(Exception) as cm:
            self.as_(ALICE).list_tags_for_resource(
                resourceArn=repo_arn(mine, ACCT_B))
        self.assertDenied(cm, ALICE, "ListTagsForResource",
                          repo_arn(mine, ACCT_B), "resource")
        with self.assertRaises(Exception) as cm:
            self.as_(ALICE).describe_images(registryId=ACCT_B,
                                            repositoryName=mine)
        self.assertDenied(cm, ALICE, "DescribeImages",
                          repo_arn(mine, ACCT_B), "resource")

    def test_describe_named_repositories_across_accounts(self):
        shared = self.bob_repo(allow_alice=["DescribeRepositories"])
        private = self.bob_repo()
        got = self.as_(ALICE).describe_repositories(
            registryId=ACCT_B, repositoryNames=[shared])["repositories"]
        self.assertEqual([(r["registryId"], r["repositoryName"])
                          for r in got], [(ACCT_B, shared)])
        # One name the policies do not allow fails the whole call, naming
        # the first such repository [unconfirmed how ECR reports it].
        with self.assertRaises(Exception) as cm:
            self.as_(ALICE).describe_repositories(
                registryId=ACCT_B, repositoryNames=[shared, private])
        self.assertDenied(cm, ALICE, "DescribeRepositories",
                          repo_arn(private, ACCT_B), "resource")
        # Without names the resource is "*", which no repository policy
        # grants.
        with self.assertRaises(Exception) as cm:
            self.as_(ALICE).describe_repositories(registryId=ACCT_B)
        self.assertDenied(cm, ALICE, "DescribeRepositories", "*",
                          "resource")

    def test_identity_policy_on_one_repository_arn(self):
        other = unique_name("xacct-other")
        self.ensure_repos(ALICE, CAROL_REPO, other)
        got = self.as_(CAROL).describe_repositories(
            repositoryNames=[CAROL_REPO])["repositories"]
        self.assertEqual([r["repositoryName"] for r in got], [CAROL_REPO])
        with self.assertRaises(Exception) as cm:
            self.as_(CAROL).describe_repositories(
                repositoryNames=[CAROL_REPO, other])
        self.assertDenied(cm, CAROL, "DescribeRepositories",
                          repo_arn(other, ACCT_A), "identity")
        with self.assertRaises(Exception) as cm:
            self.as_(CAROL).describe_repositories()
        self.assertDenied(cm, CAROL, "DescribeRepositories", "*",
                          "identity")

    def test_scanning_configuration_names_are_decided_each(self):
        other = unique_name("xacct-scan")
        self.ensure_repos(ALICE, CAROL_REPO, other)
        carol = self.as_(CAROL)
        # Allowed: the operation answers for the repository.
        got = carol.batch_get_repository_scanning_configuration(
            repositoryNames=[CAROL_REPO])
        self.assertEqual([c["repositoryName"] for c in
                          got["scanningConfigurations"]], [CAROL_REPO])
        with self.assertRaises(Exception) as cm:
            carol.batch_get_repository_scanning_configuration(
                repositoryNames=[other, CAROL_REPO])
        self.assertDenied(cm, CAROL,
                          "BatchGetRepositoryScanningConfiguration",
                          repo_arn(other, ACCT_A), "identity")

if __name__ == "__main__":
    unittest.main()
