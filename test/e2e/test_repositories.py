"""Repositories, tags, registry and auth tokens through boto3 and the aws CLI.

Checks what docs/ecr-behaviour.md 2.1, 2.2, 3.1 and 3.4 say real ECR does: the
exact response shapes, messages and error types, pagination, and that
accounts and regions are separate registries.
"""

import re
import time
import unittest

import harness
from harness import (DEFAULT_ACCOUNT, OTHER_REGION, REGION, EcrdTestCase,
                     already_exists_message, decode_token, epoch,
                     fresh_account, not_found_message, repo_arn, repo_uri,
                     unique_name)

REPO_KEYS = {"repositoryArn", "registryId", "repositoryName",
             "repositoryUri", "createdAt", "imageTagMutability",
             "imageScanningConfiguration", "encryptionConfiguration"}
KMS_ARN_RE = (r"arn:aws:kms:%s:%s:key/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
              r"[0-9a-f]{4}-[0-9a-f]{12}")
TOKEN_TTL_S = 12 * 3600
CLOCK_SLACK_S = 120
INVALID_ARN = ("Invalid parameter at 'resourceArn' failed to satisfy "
               "constraint: 'Invalid ARN'")


def tags_dict(tags):
    return {t["Key"]: t["Value"] for t in tags}


class RepoAssertions:
    """Exact Repository objects (docs/ecr-behaviour.md 2.1, 3.1)."""

    def assertRepository(self, repo, name, account=DEFAULT_ACCOUNT,
                         region=REGION, mutability="MUTABLE",
                         scan_on_push=False, encryption=None,
                         filters=None, created=None, uri=None):
        keys = set(REPO_KEYS)
        if filters:
            keys.add("imageTagMutabilityExclusionFilters")
        self.assertEqual(set(repo), keys, repo)
        self.assertEqual(repo["repositoryArn"],
                         repo_arn(name, account, region))
        self.assertEqual(repo["registryId"], account)
        self.assertEqual(repo["repositoryName"], name)
        self.assertEqual(repo["repositoryUri"],
                         uri or repo_uri(name, account, region))
        self.assertEqual(repo["imageTagMutability"], mutability)
        self.assertEqual(repo["imageScanningConfiguration"],
                         {"scanOnPush": scan_on_push})
        enc = repo["encryptionConfiguration"]
        if encryption is None or encryption == "AES256":
            self.assertEqual(enc, {"encryptionType": "AES256"})
        elif encryption == "KMS":
            self.assertEqual(set(enc), {"encryptionType", "kmsKey"})
            self.assertEqual(enc["encryptionType"], "KMS")
            self.assertRegex(enc["kmsKey"],
                             "^" + KMS_ARN_RE % (region, account) + "$")
        else:
            self.assertEqual(enc, encryption)
        if filters:
            self.assertEqual(repo["imageTagMutabilityExclusionFilters"],
                             filters)
        if created is not None:
            lo, hi = created
            self.assertGreaterEqual(epoch(repo["createdAt"]), lo - 2)
            self.assertLessEqual(epoch(repo["createdAt"]), hi + 2)


# ---------------------------------------------------------------------------
# boto3


class CreateRepositoryTest(RepoAssertions, EcrdTestCase):

    def test_defaults_and_exact_wire_shape(self):
        name = unique_name()
        t0 = time.time()
        body = self.assertOk(self.api("CreateRepository",
                                      {"repositoryName": name}))
        t1 = time.time()
        self.assertEqual(set(body), {"repository"})
        repo = body["repository"]
        # Timestamps are JSON numbers of epoch seconds, never strings.
        self.assertIsInstance(repo["createdAt"], (int, float))
        self.assertRepository(repo, name, created=(t0, t1))

    def test_every_option(self):
        name = unique_name()
        key = "arn:aws:kms:us-east-1:123456789012:key/" \
              "0b2c1f4e-1111-4222-8333-444455556666"
        t0 = time.time()
        repo = self.ecr().create_repository(
            repositoryName=name, imageTagMutability="IMMUTABLE",
            imageScanningConfiguration={"scanOnPush": True},
            encryptionConfiguration={"encryptionType": "KMS",
                                     "kmsKey": key},
            tags=[{"Key": "team", "Value": "core"},
                  {"Key": "env", "Value": ""}])["repository"]
        self.assertRepository(repo, name, mutability="IMMUTABLE",
                              scan_on_push=True,
                              encryption={"encryptionType": "KMS",
                                          "kmsKey": key},
                              created=(t0, time.time()))
        tags = self.ecr().list_tags_for_resource(
            resourceArn=repo["repositoryArn"])["tags"]
        self.assertEqual(tags_dict(tags), {"team": "core", "env": ""})
        described = self.ecr().describe_repositories(
            repositoryNames=[name])["repositories"]
        self.assertEqual(described, [repo])

    def test_kms_without_key_gets_a_stable_managed_key(self):
        a, b = unique_name(), unique_name()
        ra = self.ecr().create_repository(
            repositoryName=a, encryptionConfiguration={
                "encryptionType": "KMS"})["repository"]
        rb = self.ecr().create_repository(
            repositoryName=b, encryptionConfiguration={
                "encryptionType": "KMS"})["repository"]
        self.assertRepository(ra, a, encryption="KMS")
        self.assertRepository(rb, b, encryption="KMS")
        self.assertEqual(ra["encryptionConfiguration"]["kmsKey"],
                         rb["encryptionConfiguration"]["kmsKey"])

    def test_explicit_aes256(self):
        name = unique_name()
        repo = self.ecr().create_repository(
            repositoryName=name,
            encryptionConfiguration={"encryptionType": "AES256"}
        )["repository"]
        self.assertRepository(repo, name)

    def test_kms_key_with_aes256_is_invalid(self):
        name = unique_name()
        with self.assertRaises(Exception) as cm:
            self.ecr().create_repository(
                repositoryName=name, encryptionConfiguration={
                    "encryptionType": "AES256", "kmsKey": "alias/x"})
        self.assertClientError(cm, "InvalidParameterException")
        self.assertNotCreated(name)

    def test_mutability_with_exclusion_filters(self):
        filters = [{"filterType": "WILDCARD", "filter": "dev-*"},
                   {"filterType": "WILDCARD", "filter": "latest"}]
        for mode in ("MUTABLE_WITH_EXCLUSION", "IMMUTABLE_WITH_EXCLUSION"):
            with self.subTest(mode=mode):
                name = unique_name()
                repo = self.ecr().create_repository(
                    repositoryName=name, imageTagMutability=mode,
                    imageTagMutabilityExclusionFilters=filters
                )["repository"]
                self.assertRepository(repo, name, mutability=mode,
                                      filters=filters)
                again = self.ecr().describe_repositories(
                    repositoryNames=[name])["repositories"][0]
                self.assertEqual(again, repo)

    def test_exclusion_filters_need_an_exclusion_mode(self):
        filters = [{"filterType": "WILDCARD", "filter": "dev-*"}]
        cases = [("MUTABLE", filters), ("IMMUTABLE", filters),
                 ("MUTABLE_WITH_EXCLUSION", None),
                 ("IMMUTABLE_WITH_EXCLUSION", None)]
        for mode, flt in cases:
            with self.subTest(mode=mode, filters=flt):
                name = unique_name()
                kw = {"repositoryName": name, "imageTagMutability": mode}
                if flt:
                    kw["imageTagMutabilityExclusionFilters"] = flt
                with self.assertRaises(Exception) as cm:
                    self.ecr().create_repository(**kw)
                self.assertClientError(cm, "InvalidParameterException")
                self.assertNotCreated(name)

    def test_exclusion_filter_pattern_and_count(self):
        bad = [[{"filterType": "WILDCARD", "filter": "has space"}],
               [{"filterType": "WILDCARD", "filter": "f%d" % i}
                for i in range(6)],
               [{"filterType": "REGEX", "filter": "x"}]]
        for flt in bad:
            with self.subTest(filters=flt):
                name = unique_name()
                with self.assertRaises(Exception) as cm:
                    self.ecr().create_repository(
                        repositoryName=name,
                        imageTagMutability="MUTABLE_WITH_EXCLUSION",
                        imageTagMutabilityExclusionFilters=flt)
                self.assertClientError(cm, "InvalidParameterException")

    def test_already_exists_exact_message(self):
        name = unique_name()
        self.ecr().create_repository(repositoryName=name)
        with self.assertRaises(Exception) as cm:
            self.ecr().create_repository(repositoryName=name,
                                         imageTagMutability="IMMUTABLE")
        self.assertClientError(cm, "RepositoryAlreadyExistsException",
                               already_exists_message(name))
        # The first repository is untouched.
        repo = self.ecr().describe_repositories(
            repositoryNames=[name])["repositories"][0]
        self.assertEqual(repo["imageTagMutability"], "MUTABLE")

    def test_names_the_model_allows(self):
        base = unique_name()
        for name in (base + "/a/b/c", base + "__x", base + "---y",
                     base + ".z", "0" + base):
            with self.subTest(name=name):
                repo = self.ecr().create_repository(
                    repositoryName=name)["repository"]
                self.assertRepository(repo, name)

    def test_uppercase_name_exact_regex_message(self):
        with self.assertRaises(Exception) as cm:
            self.ecr().create_repository(repositoryName="Upper" +
                                         unique_name())
        self.assertClientError(cm, "InvalidParameterException",
                               harness.REPO_NAME_MESSAGE)

    def test_bad_names(self):
        base = unique_name()
        for name in (base + "-", "-" + base, base + "//x", base + "/",
                     base + " x", base + "+x"):
            with self.subTest(name=name):
                with self.assertRaises(Exception) as cm:
                    self.ecr().create_repository(repositoryName=name)
                self.assertClientError(cm, "InvalidParameterException",
                                       message_contains="'repositoryName'")

    def test_name_longer_than_256(self):
        name = ("n" * 257)
        with self.assertRaises(Exception) as cm:
            self.ecr().create_repository(repositoryName=name)
        self.assertClientError(
            cm, "InvalidParameterException",
            message_contains=("'repositoryName'", "256"))
        name = "m" * 256
        repo = self.ecr().create_repository(repositoryName=name)
        self.assertRepository(repo["repository"], name)
        self.ecr().delete_repository(repositoryName=name)

    def test_bad_enum_values(self):
        with self.assertRaises(Exception) as cm:
            self.ecr().create_repository(repositoryName=unique_name(),
                                         imageTagMutability="SOMETIMES")
        self.assertClientError(cm, "InvalidParameterException",
                               message_contains="imageTagMutability")
        with self.assertRaises(Exception) as cm:
            self.ecr().create_repository(
                repositoryName=unique_name(),
                encryptionConfiguration={"encryptionType": "ROT13"})
        self.assertClientError(cm, "InvalidParameterException",
                               message_contains="encryptionType")

    def assertNotCreated(self, name):
        with self.assertRaises(Exception) as cm:
            self.ecr().describe_repositories(repositoryNames=[name])
        self.assertClientError(cm, "RepositoryNotFoundException",
                               not_found_message(name))


class DescribeRepositoriesTest(RepoAssertions, EcrdTestCase):

    def test_by_names(self):
        names = [unique_name() for _ in range(3)]
        created = {n: self.ecr().create_repository(
            repositoryName=n)["repository"] for n in names}
        got = self.ecr().describe_repositories(
            repositoryNames=names)["repositories"]
        self.assertEqual(sorted(got, key=lambda r: r["repositoryName"]),
                         [created[n] for n in sorted(names)])

    def test_missing_name_exact_message(self):
        name = unique_name()
        with self.assertRaises(Exception) as cm:
            self.ecr().describe_repositories(repositoryNames=[name])
        self.assertClientError(
            cm, "RepositoryNotFoundException",
            "The repository with name '%s' does not exist in the registry "
            "with id '123456789012'" % name)

    def test_one_missing_name_fails_the_whole_call(self):
        present = [unique_name(), unique_name()]
        for n in present:
            self.ecr().create_repository(repositoryName=n)
        missing = unique_name()
        resp = self.api("DescribeRepositories", {
            "repositoryNames": [present[0], missing, present[1]]})
        body = self.assertAwsError(resp, 400, "RepositoryNotFoundException",
                                   not_found_message(missing))
        self.assertNotIn("repositories", body)

    def test_names_with_paging_members_are_refused(self):
        name = unique_name()
        self.ecr().create_repository(repositoryName=name)
        with self.assertRaises(Exception) as cm:
            self.ecr().describe_repositories(repositoryNames=[name],
                                             maxResults=5)
        self.assertClientError(cm, "InvalidParameterException")


class PaginationTest(EcrdTestCase):
    """docs/ecr-behaviour.md 2.2 over a private registry per test."""

    def make_registry(self, n, region=REGION):
        acct = fresh_account()
        names = ["p%03d-%s" % (i, unique_name("page")) for i in range(n)]
        client = self.ecr(key=acct, region=region)
        # Created out of order: the listing must sort them.
        for name in reversed(names):
            client.create_repository(repositoryName=name)
        return acct, client, sorted(names)

    def test_manual_pages_of_seven(self):
        acct, client, names = self.make_registry(25)
        seen, pages, token = [], [], None
        for _ in range(10):
            kw = {"maxResults": 7}
            if token:
                kw["nextToken"] = token
            page = client.describe_repositories(**kw)
            pages.append(len(page["repositories"]))
            self.assertLessEqual(len(page["repositories"]), 7)
            for r in page["repositories"]:
                self.assertEqual(r["registryId"], acct)
            seen += [r["repositoryName"] for r in page["repositories"]]
            token = page.get("nextToken")
            if token is None:
                break
            self.assertNotEqual(token, "")
        else:
            self.fail("pagination did not end: %r" % pages)
        self.assertEqual(seen, names)     # sorted, no gaps, no repeats
        self.assertEqual(pages[:3], [7, 7, 7])

    def test_boto3_paginator(self):
        _, client, names = self.make_registry(25)
        pager = client.get_paginator("describe_repositories")
        pages = list(pager.paginate(PaginationConfig={"PageSize": 7}))
        got = [r["repositoryName"] for p in pages for r in p["repositories"]]
        self.assertEqual(got, names)
        self.assertTrue(all(len(p["repositories"]) <= 7 for p in pages))
        # MaxItems: resume from the paginator's own token.
        first = pager.paginate(PaginationConfig={
            "PageSize": 7, "MaxItems": 10}).build_full_result()
        self.assertEqual([r["repositoryName"]
                          for r in first["repositories"]], names[:10])
        rest = pager.paginate(PaginationConfig={
            "PageSize": 7, "MaxItems": 10,
            "StartingToken": first["NextToken"]}).build_full_result()
        self.assertEqual([r["repositoryName"]
                          for r in rest["repositories"]], names[10:20])
        last = pager.paginate(PaginationConfig={
            "PageSize": 7, "MaxItems": 10,
            "StartingToken": rest["NextToken"]}).build_full_result()
        self.assertEqual([r["repositoryName"]
                          for r in last["repositories"]], names[20:])
        self.assertNotIn("NextToken", last)

    def test_default_page_is_100(self):
        _, client, names = self.make_registry(103)
        page = client.describe_repositories()
        self.assertEqual([r["repositoryName"] for r in page["repositories"]],
                         names[:100])
        self.assertIn("nextToken", page)
        page2 = client.describe_repositories(nextToken=page["nextToken"])
        self.assertEqual([r["repositoryName"]
                          for r in page2["repositories"]], names[100:])
        self.assertNotIn("nextToken", page2)

    def test_everything_fits_one_page_without_token(self):
        _, client, names = self.make_registry(5)
        page = client.describe_repositories(maxResults=1000)
        self.assertEqual([r["repositoryName"] for r in page["repositories"]],
                         names)
        self.assertNotIn("nextToken", page)

    def test_empty_registry(self):
        client = self.ecr(key=fresh_account())
        page = client.describe_repositories()
        self.assertEqual(page["repositories"], [])
        self.assertNotIn("nextToken", page)

    def test_token_survives_deleting_the_last_seen_repository(self):
        _, client, names = self.make_registry(12)
        page = client.describe_repositories(maxResults=5)
        self.assertEqual([r["repositoryName"] for r in page["repositories"]],
                         names[:5])
        client.delete_repository(repositoryName=names[4])
        rest = []
        token = page["nextToken"]
        while token:
            p = client.describe_repositories(maxResults=5, nextToken=token)
            rest += [r["repositoryName"] for r in p["repositories"]]
            token = p.get("nextToken")
        self.assertEqual(rest, names[5:])

    def test_invalid_next_token(self):
        acct, client, _ = self.make_registry(3)
        for token in ("garbage", "A" * 64, "%%%", "x" * 5000):
            with self.subTest(token=token[:20]):
                with self.assertRaises(Exception) as cm:
                    client.describe_repositories(nextToken=token)
                self.assertClientError(cm, "InvalidParameterException",
                                       message_contains="nextToken")

    def test_token_from_another_registry_is_invalid(self):
        _, client, _ = self.make_registry(3)
        token = client.describe_repositories(maxResults=1)["nextToken"]
        # Same text, other account; then other region of the same account.
        other = self.ecr(key=fresh_account())
        with self.assertRaises(Exception) as cm:
            other.describe_repositories(nextToken=token)
        self.assertClientError(cm, "InvalidParameterException",
                               message_contains="nextToken")

    def test_token_from_another_region_is_invalid(self):
        acct, client, _ = self.make_registry(3)
        token = client.describe_repositories(maxResults=1)["nextToken"]
        other = self.ecr(key=acct, region=OTHER_REGION)
        with self.assertRaises(Exception) as cm:
            other.describe_repositories(nextToken=token)
        self.assertClientError(cm, "InvalidParameterException",
                               message_contains="nextToken")

    def test_max_results_range(self):
        client = self.ecr(key=fresh_account())
        with self.assertRaises(Exception) as cm:
            client.describe_repositories(maxResults=1001)
        self.assertClientError(cm, "InvalidParameterException",
                               message_contains="maxResults")
        self.assertEqual(client.describe_repositories(
            maxResults=1000)["repositories"], [])
        # botocore refuses 0 itself, so send it raw.
        resp = self.api("DescribeRepositories", {"maxResults": 0})
        self.assertAwsError(resp, 400, "InvalidParameterException",
                            message_contains="maxResults")


class DeleteRepositoryTest(RepoAssertions, EcrdTestCase):

    def test_delete_returns_the_repository(self):
        name = unique_name()
        created = self.ecr().create_repository(
            repositoryName=name, imageTagMutability="IMMUTABLE",
            imageScanningConfiguration={"scanOnPush": True}
        )["repository"]
        deleted = self.ecr().delete_repository(repositoryName=name)
        self.assertEqual(set(deleted), {"repository", "ResponseMetadata"})
        self.assertEqual(deleted["repository"], created)
        with self.assertRaises(Exception) as cm:
            self.ecr().describe_repositories(repositoryNames=[name])
        self.assertClientError(cm, "RepositoryNotFoundException",
                               not_found_message(name))

    def test_delete_missing_exact_message(self):
        name = unique_name()
        for force in (False, True):
            with self.subTest(force=force):
                with self.assertRaises(Exception) as cm:
                    self.ecr().delete_repository(repositoryName=name,
                                                 force=force)
                self.assertClientError(cm, "RepositoryNotFoundException",
                                       not_found_message(name))

    def test_force_delete_of_an_empty_repository(self):
        name = unique_name()
        created = self.ecr().create_repository(
            repositoryName=name)["repository"]
        deleted = self.ecr().delete_repository(repositoryName=name,
                                               force=True)["repository"]
        self.assertEqual(deleted, created)

    def test_name_is_reusable_and_old_tags_are_gone(self):
        name = unique_name()
        first = self.ecr().create_repository(
            repositoryName=name, imageTagMutability="IMMUTABLE",
            tags=[{"Key": "old", "Value": "1"}])["repository"]
        self.ecr().delete_repository(repositoryName=name)
        second = self.ecr().create_repository(
            repositoryName=name)["repository"]
        self.assertRepository(second, name)
        self.assertGreaterEqual(epoch(second["createdAt"]),
                                epoch(first["createdAt"]))
        self.assertEqual(self.ecr().list_tags_for_resource(
            resourceArn=second["repositoryArn"])["tags"], [])

    def test_not_empty_without_force(self):
        # A repository holding an image is deleted only with force;
        # refused, it keeps its record and its image.
        name = unique_name()
        created = self.ecr().create_repository(
            repositoryName=name)["repository"]
        image = harness.build_image("not-empty-" + name)
        harness.push_image(self.ecr(), name, image, tag="v1")
        message = ("The repository with name '%s' in registry with id "
                   "'%s' cannot be deleted because it still contains "
                   "images" % (name, DEFAULT_ACCOUNT))
        with self.assertRaises(Exception) as cm:
            self.ecr().delete_repository(repositoryName=name)
        self.assertClientError(cm, "RepositoryNotEmptyException", message)
        self.assertEqual(self.ecr().describe_repositories(
            repositoryNames=[name])["repositories"], [created])
        self.assertEqual(self.ecr().list_images(repositoryName=name)[
            "imageIds"], [{"imageDigest": image.digest, "imageTag": "v1"}])
        deleted = self.ecr().delete_repository(repositoryName=name,
                                               force=True)["repository"]
        self.assertEqual(deleted, created)


class TaggingTest(EcrdTestCase):

    def make(self, tags=()):
        name = unique_name("tags")
        repo = self.ecr().create_repository(
            repositoryName=name, tags=list(tags))["repository"]
        return name, repo["repositoryArn"]

    def tags(self, arn):
        return tags_dict(self.ecr().list_tags_for_resource(
            resourceArn=arn)["tags"])

    def test_tag_overwrite_untag_list(self):
        _, arn = self.make([{"Key": "a", "Value": "1"},
                            {"Key": "b", "Value": "2"}])
        self.assertEqual(self.tags(arn), {"a": "1", "b": "2"})
        out = self.ecr().tag_resource(resourceArn=arn, tags=[
            {"Key": "a", "Value": "9"}, {"Key": "c", "Value": "3"}])
        self.assertEqual(set(out), {"ResponseMetadata"})
        self.assertEqual(self.tags(arn), {"a": "9", "b": "2", "c": "3"})
        out = self.ecr().untag_resource(resourceArn=arn,
                                        tagKeys=["b", "never-there"])
        self.assertEqual(set(out), {"ResponseMetadata"})
        self.assertEqual(self.tags(arn), {"a": "9", "c": "3"})

    def test_empty_body_replies(self):
        _, arn = self.make()
        resp = self.api("TagResource", {"resourceArn": arn, "tags": [
            {"Key": "k", "Value": "v"}]})
        self.assertEqual(self.assertOk(resp), {})
        resp = self.api("UntagResource", {"resourceArn": arn,
                                          "tagKeys": ["k"]})
        self.assertEqual(self.assertOk(resp), {})
        resp = self.api("ListTagsForResource", {"resourceArn": arn})
        self.assertEqual(self.assertOk(resp), {"tags": []})

    def test_fifty_tags_is_the_limit(self):
        _, arn = self.make()
        fifty = [{"Key": "k%02d" % i, "Value": str(i)} for i in range(50)]
        self.ecr().tag_resource(resourceArn=arn, tags=fifty)
        self.assertEqual(len(self.tags(arn)), 50)
        # Overwriting an existing key at the limit is fine.
        self.ecr().tag_resource(resourceArn=arn,
                                tags=[{"Key": "k00", "Value": "new"}])
        with self.assertRaises(Exception) as cm:
            self.ecr().tag_resource(resourceArn=arn, tags=[
                {"Key": "k01", "Value": "x"}, {"Key": "extra", "Value": "x"}])
        self.assertClientError(cm, "TooManyTagsException")
        got = self.tags(arn)
        self.assertEqual(len(got), 50)
        self.assertEqual(got["k00"], "new")
        self.assertEqual(got["k01"], "1")   # nothing applied

    def test_fifty_one_tags_at_once(self):
        _, arn = self.make([{"Key": "keep", "Value": "1"}])
        many = [{"Key": "k%02d" % i, "Value": "v"} for i in range(51)]
        with self.assertRaises(Exception) as cm:
            self.ecr().tag_resource(resourceArn=arn, tags=many)
        self.assertClientError(cm, "TooManyTagsException")
        self.assertEqual(self.tags(arn), {"keep": "1"})

    def test_create_with_fifty_one_tags(self):
        name = unique_name("tags")
        many = [{"Key": "k%02d" % i, "Value": "v"} for i in range(51)]
        with self.assertRaises(Exception) as cm:
            self.ecr().create_repository(repositoryName=name, tags=many)
        self.assertClientError(cm, "TooManyTagsException")
        with self.assertRaises(Exception) as cm:
            self.ecr().describe_repositories(repositoryNames=[name])
        self.assertClientError(cm, "RepositoryNotFoundException")

    def test_reserved_aws_prefix(self):
        _, arn = self.make()
        with self.assertRaises(Exception) as cm:
            self.ecr().tag_resource(resourceArn=arn, tags=[
                {"Key": "aws:owner", "Value": "x"}])
        self.assertClientError(cm, "InvalidTagParameterException")
        self.assertEqual(self.tags(arn), {})

    def test_bad_arns(self):
        name, arn = self.make()
        bad = ["not-an-arn", "arn:aws:s3:::bucket",
               "arn:aws:ecr:%s:%s:image/%s" % (REGION, DEFAULT_ACCOUNT,
                                               name),
               "arn:aws:ecr:%s:%s:repository/" % (REGION, DEFAULT_ACCOUNT),
               arn.replace("repository/", "repository")]
        for bad_arn in bad:
            for op, kw in (("list_tags_for_resource", {}),
                           ("tag_resource",
                            {"tags": [{"Key": "k", "Value": "v"}]}),
                           ("untag_resource", {"tagKeys": ["k"]})):
                with self.subTest(arn=bad_arn, op=op):
                    with self.assertRaises(Exception) as cm:
                        getattr(self.ecr(), op)(resourceArn=bad_arn, **kw)
                    self.assertClientError(cm, "InvalidParameterException",
                                           INVALID_ARN)

    def test_arn_of_a_missing_repository(self):
        name = unique_name("tags")
        arn = repo_arn(name)
        for op, kw in (("list_tags_for_resource", {}),
                       ("tag_resource", {"tags": [{"Key": "k",
                                                   "Value": "v"}]}),
                       ("untag_resource", {"tagKeys": ["k"]})):
            with self.subTest(op=op):
                with self.assertRaises(Exception) as cm:
                    getattr(self.ecr(), op)(resourceArn=arn, **kw)
                self.assertClientError(cm, "RepositoryNotFoundException",
                                       not_found_message(name))

    def test_tags_of_a_namespaced_repository(self):
        name = unique_name("tags") + "/team/app"
        arn = self.ecr().create_repository(
            repositoryName=name, tags=[{"Key": "x", "Value": "y"}]
        )["repository"]["repositoryArn"]
        self.assertEqual(arn, repo_arn(name))
        self.assertEqual(self.tags(arn), {"x": "y"})


class RepositorySettingsTest(RepoAssertions, EcrdTestCase):

    def describe(self, name):
        return self.ecr().describe_repositories(
            repositoryNames=[name])["repositories"][0]

    def test_put_image_tag_mutability_echoes_and_persists(self):
        name = unique_name()
        self.ecr().create_repository(repositoryName=name)
        body = self.assertOk(self.api("PutImageTagMutability", {
            "repositoryName": name, "imageTagMutability": "IMMUTABLE"}))
        self.assertEqual(body, {"registryId": DEFAULT_ACCOUNT,
                                "repositoryName": name,
                                "imageTagMutability": "IMMUTABLE"})
        self.assertRepository(self.describe(name), name,
                              mutability="IMMUTABLE")

    def test_put_image_tag_mutability_with_filters(self):
        name = unique_name()
        self.ecr().create_repository(repositoryName=name)
        filters = [{"filterType": "WILDCARD", "filter": "release-*"}]
        out = self.ecr().put_image_tag_mutability(
            repositoryName=name, imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
            imageTagMutabilityExclusionFilters=filters)
        out.pop("ResponseMetadata")
        self.assertEqual(out, {
            "registryId": DEFAULT_ACCOUNT, "repositoryName": name,
            "imageTagMutability": "IMMUTABLE_WITH_EXCLUSION",
            "imageTagMutabilityExclusionFilters": filters})
        self.assertRepository(self.describe(name), name,
                              mutability="IMMUTABLE_WITH_EXCLUSION",
                              filters=filters)
        # Back to plain MUTABLE: the filters go with the mode.
        self.ecr().put_image_tag_mutability(repositoryName=name,
                                            imageTagMutability="MUTABLE")
        self.assertRepository(self.describe(name), name)

    def test_put_image_tag_mutability_errors(self):
        name = unique_name()
        self.ecr().create_repository(repositoryName=name)
        filters = [{"filterType": "WILDCARD", "filter": "x*"}]
        for mode, flt in (("IMMUTABLE", filters),
                          ("MUTABLE_WITH_EXCLUSION", None)):
            with self.subTest(mode=mode):
                kw = {"repositoryName": name, "imageTagMutability": mode}
                if flt:
                    kw["imageTagMutabilityExclusionFilters"] = flt
                with self.assertRaises(Exception) as cm:
                    self.ecr().put_image_tag_mutability(**kw)
                self.assertClientError(cm, "InvalidParameterException")
        self.assertRepository(self.describe(name), name)
        missing = unique_name()
        with self.assertRaises(Exception) as cm:
            self.ecr().put_image_tag_mutability(
                repositoryName=missing, imageTagMutability="IMMUTABLE")
        self.assertClientError(cm, "RepositoryNotFoundException",
                               not_found_message(missing))

    def test_put_image_scanning_configuration_echoes_and_persists(self):
        name = unique_name()
        self.ecr().create_repository(repositoryName=name)
        body = self.assertOk(self.api("PutImageScanningConfiguration", {
            "repositoryName": name,
            "imageScanningConfiguration": {"scanOnPush": True}}))
        self.assertEqual(body, {"registryId": DEFAULT_ACCOUNT,
                                "repositoryName": name,
                                "imageScanningConfiguration":
                                    {"scanOnPush": True}})
        self.assertRepository(self.describe(name), name, scan_on_push=True)
        self.ecr().put_image_scanning_configuration(
            repositoryName=name,
            imageScanningConfiguration={"scanOnPush": False})
        self.assertRepository(self.describe(name), name)
        missing = unique_name()
        with self.assertRaises(Exception) as cm:
            self.ecr().put_image_scanning_configuration(
                repositoryName=missing,
                imageScanningConfiguration={"scanOnPush": True})
        self.assertClientError(cm, "RepositoryNotFoundException",
                               not_found_message(missing))


class RegistryAndTokenTest(EcrdTestCase):

    def test_describe_registry(self):
        body = self.assertOk(self.api("DescribeRegistry", {}))
        self.assertEqual(body, {"registryId": DEFAULT_ACCOUNT,
                                "replicationConfiguration": {"rules": []}})
        acct = fresh_account()
        out = self.ecr(key=acct).describe_registry()
        self.assertEqual(out["registryId"], acct)

    def assertAuthData(self, data, account, region, now):
        self.assertEqual(set(data), {"authorizationToken", "expiresAt",
                                     "proxyEndpoint"})
        user, password = decode_token(data["authorizationToken"])
        self.assertEqual(user, "AWS")
        self.assertTrue(password)
        self.assertNotIn(":", password)
        self.assertAlmostEqual(epoch(data["expiresAt"]), now + TOKEN_TTL_S,
                               delta=CLOCK_SLACK_S)
        self.assertEqual(data["proxyEndpoint"],
                         "https://%s.dkr.ecr.%s.amazonaws.com"
                         % (account, region))
        return password

    def test_get_authorization_token_wire(self):
        now = time.time()
        body = self.assertOk(self.api("GetAuthorizationToken", {}))
        self.assertEqual(set(body), {"authorizationData"})
        self.assertEqual(len(body["authorizationData"]), 1)
        data = body["authorizationData"][0]
        self.assertIsInstance(data["expiresAt"], (int, float))
        self.assertAuthData(data, DEFAULT_ACCOUNT, REGION, now)

    def test_get_authorization_token_per_account_and_region(self):
        acct = fresh_account()
        now = time.time()
        for region in (REGION, OTHER_REGION):
            with self.subTest(region=region):
                out = self.ecr(key=acct, region=region)\
                    .get_authorization_token()
                self.assertEqual(len(out["authorizationData"]), 1)
                self.assertAuthData(out["authorizationData"][0], acct,
                                    region, now)

    def test_deprecated_registry_ids_give_one_element_each(self):
        acct = fresh_account()
        now = time.time()
        out = self.ecr(key=acct).get_authorization_token(
            registryIds=[acct])
        self.assertEqual(len(out["authorizationData"]), 1)
        self.assertAuthData(out["authorizationData"][0], acct, REGION, now)


class IsolationTest(RepoAssertions, EcrdTestCase):
    """Accounts (12-digit access keys) and regions are separate registries."""

    def test_same_name_in_two_accounts_and_two_regions(self):
        a, b = fresh_account(), fresh_account()
        name = unique_name("iso")
        places = [(a, REGION), (a, OTHER_REGION), (b, REGION),
                  (b, OTHER_REGION)]
        for acct, region in places:
            repo = self.ecr(key=acct, region=region).create_repository(
                repositoryName=name)["repository"]
            self.assertRepository(repo, name, acct, region)
        for acct, region in places:
            listed = self.ecr(key=acct, region=region)\
                .describe_repositories()["repositories"]
            self.assertEqual([(r["repositoryArn"], r["repositoryUri"])
                              for r in listed],
                             [(repo_arn(name, acct, region),
                               repo_uri(name, acct, region))])
        self.ecr(key=a, region=REGION).delete_repository(repositoryName=name)
        with self.assertRaises(Exception) as cm:
            self.ecr(key=a, region=REGION).describe_repositories(
                repositoryNames=[name])
        self.assertClientError(cm, "RepositoryNotFoundException",
                               not_found_message(name, a))
        for acct, region in places[1:]:
            self.assertEqual(len(self.ecr(key=acct, region=region)
                                 .describe_repositories(
                                     repositoryNames=[name])
                                 ["repositories"]), 1)

    def test_other_keys_use_the_default_account(self):
        name = unique_name("iso")
        repo = self.ecr(key="AKIAOTHERKEY0000").create_repository(
            repositoryName=name)["repository"]
        self.assertRepository(repo, name, DEFAULT_ACCOUNT)
        # Unsigned (curl-style) requests land there too.
        body = self.assertOk(self.api("DescribeRepositories",
                                      {"repositoryNames": [name]}))
        self.assertEqual(body["repositories"][0]["repositoryArn"],
                         repo["repositoryArn"])

    def test_own_registry_id_is_accepted(self):
        acct = fresh_account()
        name = unique_name("iso")
        client = self.ecr(key=acct)
        client.create_repository(registryId=acct, repositoryName=name)
        got = client.describe_repositories(registryId=acct,
                                           repositoryNames=[name])
        self.assertEqual(got["repositories"][0]["registryId"], acct)

    def test_registry_id_of_another_account_selects_its_registry(self):
        # Permissive mode has no authorization: registryId picks the
        # registry, as in moto and LocalStack (issue 11, item 13).
        a, b = fresh_account(), fresh_account()
        name, other = unique_name("iso"), unique_name("iso")
        self.ecr(key=b).create_repository(repositoryName=name)
        ca = self.ecr(key=a)
        got = ca.describe_repositories(registryId=b, repositoryNames=[name])
        self.assertEqual(got["repositories"][0]["registryId"], b)
        ca.put_image_tag_mutability(registryId=b, repositoryName=name,
                                    imageTagMutability="IMMUTABLE")
        ca.create_repository(registryId=b, repositoryName=other)
        repos = {r["repositoryName"]: r for r in self.ecr(
            key=b).describe_repositories()["repositories"]}
        self.assertEqual(set(repos), {name, other})
        self.assertEqual(repos[name]["imageTagMutability"], "IMMUTABLE")
        ca.delete_repository(registryId=b, repositoryName=other)
        self.assertEqual(ca.describe_repositories()["repositories"], [])

    def test_tagging_an_arn_of_another_account(self):
        a, b = fresh_account(), fresh_account()
        name = unique_name("iso")
        arn = self.ecr(key=b).create_repository(
            repositoryName=name)["repository"]["repositoryArn"]
        self.ecr(key=a).tag_resource(resourceArn=arn, tags=[
            {"Key": "k", "Value": "v"}])
        self.assertEqual(self.ecr(key=b).list_tags_for_resource(
            resourceArn=arn)["tags"], [{"Key": "k", "Value": "v"}])


class PublicEndpointTest(RepoAssertions, EcrdTestCase):
    server_args = ("--public-endpoint", "127.0.0.1:5999")

    def test_uris_name_this_server(self):
        name = unique_name()
        repo = self.ecr().create_repository(repositoryName=name)["repository"]
        self.assertRepository(repo, name, uri="127.0.0.1:5999/" + name)
        data = self.ecr().get_authorization_token()["authorizationData"][0]
        self.assertEqual(data["proxyEndpoint"], "http://127.0.0.1:5999")


# ---------------------------------------------------------------------------
# aws CLI v1 and v2: the same behaviour through each CLI's own parsing.


class CliCases(RepoAssertions):
    cli_major = None

    @classmethod
    def setUpClass(cls):
        if harness.find_cli(cls.cli_major) is None:
            raise unittest.SkipTest("aws CLI v%d is not installed"
                                    % cls.cli_major)
        super().setUpClass()

    def aws(self, *args, **kw):
        return self.cli(self.cli_major, *args, **kw)

    def test_create_with_every_option(self):
        key = ("arn:aws:kms:us-east-1:123456789012:key/"
               "0b2c1f4e-1111-4222-8333-444455556666")
        full, kms, plain = unique_name(), unique_name(), unique_name()
        t0 = time.time()
        out = self.assertCliOk(self.aws(
            "ecr", "create-repository", "--repository-name", full,
            "--image-tag-mutability", "IMMUTABLE",
            "--image-scanning-configuration", "scanOnPush=true",
            "--encryption-configuration",
            "encryptionType=KMS,kmsKey=" + key,
            "--tags", "Key=team,Value=core", "Key=env,Value=prod"))
        self.assertRepository(out["repository"], full,
                              mutability="IMMUTABLE", scan_on_push=True,
                              encryption={"encryptionType": "KMS",
                                          "kmsKey": key},
                              created=(t0, time.time()))
        out = self.assertCliOk(self.aws(
            "ecr", "create-repository", "--repository-name", kms,
            "--encryption-configuration", "encryptionType=KMS"))
        self.assertRepository(out["repository"], kms, encryption="KMS")
        out = self.assertCliOk(self.aws(
            "ecr", "create-repository", "--repository-name", plain,
            "--encryption-configuration", "encryptionType=AES256"))
        self.assertRepository(out["repository"], plain)
        out = self.assertCliOk(self.aws(
            "ecr", "describe-repositories", "--repository-names", full, kms,
            plain))
        self.assertEqual(sorted(r["repositoryName"]
                                for r in out["repositories"]),
                         sorted([full, kms, plain]))
        out = self.assertCliOk(self.aws(
            "ecr", "list-tags-for-resource", "--resource-arn",
            repo_arn(full)))
        self.assertEqual(tags_dict(out["tags"]),
                         {"team": "core", "env": "prod"})

    def test_exclusion_mode_without_filters_is_refused(self):
        name = unique_name()
        res = self.aws("ecr", "create-repository", "--repository-name", name,
                       "--image-tag-mutability", "IMMUTABLE_WITH_EXCLUSION")
        self.assertCliError(res, "InvalidParameterException")

    def test_create_with_exclusion_filters(self):
        mode_filters = [
            ("MUTABLE_WITH_EXCLUSION",
             [{"filterType": "WILDCARD", "filter": "dev-*"}]),
            ("IMMUTABLE_WITH_EXCLUSION",
             [{"filterType": "WILDCARD", "filter": "latest"},
              {"filterType": "WILDCARD", "filter": "*-rc"}])]
        for mode, filters in mode_filters:
            name = unique_name()
            res = self.aws(
                "ecr", "create-repository", "--repository-name", name,
                "--image-tag-mutability", mode,
                "--image-tag-mutability-exclusion-filters",
                *["filterType=%s,filter=%s" % (f["filterType"], f["filter"])
                  for f in filters])
            if res.rc != 0 and "Unknown options" in res.stderr:
                self.skipTest("this aws CLI v%d's model predates "
                              "--image-tag-mutability-exclusion-filters"
                              % self.cli_major)
            out = self.assertCliOk(res)
            self.assertRepository(out["repository"], name, mutability=mode,
                                  filters=filters)

    def test_already_exists(self):
        name = unique_name()
        self.ecr().create_repository(repositoryName=name)
        res = self.aws("ecr", "create-repository", "--repository-name", name)
        self.assertCliError(res, "RepositoryAlreadyExistsException",
                            already_exists_message(name))

    def test_describe_with_a_missing_name(self):
        present, missing = unique_name(), unique_name()
        self.ecr().create_repository(repositoryName=present)
        res = self.aws("ecr", "describe-repositories", "--repository-names",
                       present, missing)
        self.assertCliError(res, "RepositoryNotFoundException",
                            not_found_message(missing))
        self.assertEqual(res.stdout.strip(), "")

    def test_pagination_page_size_and_max_items(self):
        acct = fresh_account()
        client = self.ecr(key=acct)
        names = sorted("c%02d-%s" % (i, unique_name("cli"))
                       for i in range(25))
        for name in reversed(names):
            client.create_repository(repositoryName=name)
        seen, token, calls = [], None, 0
        while True:
            args = ["ecr", "describe-repositories", "--page-size", "7",
                    "--max-items", "10"]
            if token:
                args += ["--starting-token", token]
            out = self.assertCliOk(self.aws(*args, key=acct))
            calls += 1
            got = [r["repositoryName"] for r in out["repositories"]]
            self.assertLessEqual(len(got), 10)
            seen += got
            token = out.get("NextToken")
            if not token:
                break
            self.assertLess(calls, 5, "pagination did not end")
        self.assertEqual(seen, names)
        self.assertEqual(calls, 3)
        out = self.assertCliOk(self.aws("ecr", "describe-repositories",
                                        "--page-size", "7", key=acct))
        self.assertEqual([r["repositoryName"] for r in out["repositories"]],
                         names)
        self.assertNotIn("NextToken", out)

    def test_bad_next_token_and_max_results(self):
        acct = fresh_account()
        res = self.aws("ecr", "describe-repositories", "--max-results",
                       "1001", "--no-paginate", key=acct)
        self.assertCliError(res, "InvalidParameterException",
                            message_contains="maxResults")
        res = self.aws("ecr", "describe-repositories", "--next-token",
                       "garbage", "--no-paginate", key=acct)
        self.assertCliError(res, "InvalidParameterException",
                            message_contains="nextToken")

    def test_delete_with_and_without_force(self):
        a, b = unique_name(), unique_name()
        for n in (a, b):
            self.ecr().create_repository(repositoryName=n)
        out = self.assertCliOk(self.aws("ecr", "delete-repository",
                                        "--repository-name", a))
        self.assertRepository(out["repository"], a)
        out = self.assertCliOk(self.aws("ecr", "delete-repository",
                                        "--repository-name", b, "--force"))
        self.assertRepository(out["repository"], b)
        res = self.aws("ecr", "delete-repository", "--repository-name", a)
        self.assertCliError(res, "RepositoryNotFoundException",
                            not_found_message(a))
        # The name is free again.
        out = self.assertCliOk(self.aws("ecr", "create-repository",
                                        "--repository-name", a))
        self.assertRepository(out["repository"], a)

    def test_tags(self):
        name = unique_name()
        arn = self.ecr().create_repository(
            repositoryName=name, tags=[{"Key": "a", "Value": "1"}]
        )["repository"]["repositoryArn"]
        self.assertCliOk(self.aws("ecr", "tag-resource", "--resource-arn",
                                  arn, "--tags", "Key=a,Value=2",
                                  "Key=b,Value=3"))
        self.assertCliOk(self.aws("ecr", "untag-resource", "--resource-arn",
                                  arn, "--tag-keys", "b", "nope"))
        out = self.assertCliOk(self.aws("ecr", "list-tags-for-resource",
                                        "--resource-arn", arn))
        self.assertEqual(out["tags"], [{"Key": "a", "Value": "2"}])
        res = self.aws("ecr", "list-tags-for-resource", "--resource-arn",
                       "arn:aws:s3:::nope")
        self.assertCliError(res, "InvalidParameterException", INVALID_ARN)

    def test_settings(self):
        name = unique_name()
        self.ecr().create_repository(repositoryName=name)
        out = self.assertCliOk(self.aws(
            "ecr", "put-image-tag-mutability", "--repository-name", name,
            "--image-tag-mutability", "IMMUTABLE"))
        self.assertEqual(out, {"registryId": DEFAULT_ACCOUNT,
                               "repositoryName": name,
                               "imageTagMutability": "IMMUTABLE"})
        out = self.assertCliOk(self.aws(
            "ecr", "put-image-scanning-configuration", "--repository-name",
            name, "--image-scanning-configuration", "scanOnPush=true"))
        self.assertEqual(out, {"registryId": DEFAULT_ACCOUNT,
                               "repositoryName": name,
                               "imageScanningConfiguration":
                                   {"scanOnPush": True}})
        out = self.assertCliOk(self.aws("ecr", "describe-repositories",
                                        "--repository-names", name))
        self.assertRepository(out["repositories"][0], name,
                              mutability="IMMUTABLE", scan_on_push=True)

    def test_describe_registry(self):
        acct = fresh_account()
        out = self.assertCliOk(self.aws("ecr", "describe-registry",
                                        key=acct))
        self.assertEqual(out, {"registryId": acct,
                               "replicationConfiguration": {"rules": []}})

    def test_get_authorization_token(self):
        acct = fresh_account()
        now = time.time()
        out = self.assertCliOk(self.aws("ecr", "get-authorization-token",
                                        key=acct, region=OTHER_REGION))
        self.assertEqual(len(out["authorizationData"]), 1)
        data = out["authorizationData"][0]
        user, password = decode_token(data["authorizationToken"])
        self.assertEqual(user, "AWS")
        self.assertTrue(password)
        self.assertNotIn(":", password)
        self.assertAlmostEqual(epoch(data["expiresAt"]), now + TOKEN_TTL_S,
                               delta=CLOCK_SLACK_S)
        self.assertEqual(data["proxyEndpoint"],
                         "https://%s.dkr.ecr.%s.amazonaws.com"
                         % (acct, OTHER_REGION))

    def test_get_login_password(self):
        res = self.aws("ecr", "get-login-password")
        self.assertEqual(res.rc, 0, res)
        lines = res.stdout.splitlines()
        self.assertEqual(len(lines), 1, res)
        password = lines[0]
        self.assertTrue(password)
        self.assertNotIn(":", password)
        self.assertRegex(password, r"^\S+$")

    def test_accounts_and_regions(self):
        a, b = fresh_account(), fresh_account()
        name = unique_name()
        for acct, region in ((a, REGION), (a, OTHER_REGION), (b, REGION)):
            out = self.assertCliOk(self.aws(
                "ecr", "create-repository", "--repository-name", name,
                key=acct, region=region))
            self.assertRepository(out["repository"], name, acct, region)
        # Permissive mode: --registry-id selects b's registry (issue 11).
        out = self.assertCliOk(self.aws("ecr", "describe-repositories",
                                        "--registry-id", b, key=a))
        self.assertEqual([(r["registryId"], r["repositoryName"])
                          for r in out["repositories"]], [(b, name)])


class CliV1Test(CliCases, EcrdTestCase):
    cli_major = 1

    def test_get_login_prints_a_docker_login(self):
        acct = fresh_account()
        res = self.aws("ecr", "get-login", "--no-include-email", key=acct)
        self.assertEqual(res.rc, 0, res)
        m = re.fullmatch(r"docker login -u AWS -p (\S+) (\S+)",
                         res.stdout.strip())
        self.assertIsNotNone(m, res)
        self.assertNotIn(":", m.group(1))
        self.assertEqual(m.group(2), "https://%s.dkr.ecr.%s.amazonaws.com"
                         % (acct, REGION))


class CliV2Test(CliCases, EcrdTestCase):
    cli_major = 2


if __name__ == "__main__":
    unittest.main()
