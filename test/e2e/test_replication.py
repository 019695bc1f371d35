"""End-to-end tests for replication (issue 14, docs/ecr-behaviour.md 3.8).

Two regions and three accounts in one server: a 12-digit access key is
that account. PutReplicationConfiguration and DescribeRegistry through
boto3 and the aws CLI v1 and v2; pushes through PutImage and skopeo;
filters; cross-account destinations with and without the destination's
registry policy; an immutable destination; statuses held IN_PROGRESS by
--replication-delay; and a kill -9 between the push's answer and the copy.
"""

import json
import os
import shutil
import tempfile
import unittest

import botocore.exceptions

import harness
from harness import (EcrdTestCase, OwnServersTestCase, build_image,
                     build_index, build_referrer, ecr_client, fresh_account,
                     poll, push_image, registry_password, unique_name)
from test_registry import SKOPEO, UMOCI, Layout, LAYER_FILES, describe, \
    run_tool

SRC_REGION = "us-east-1"
DST_REGION = "eu-west-1"
WAIT_S = 30
MEDIA_ARTIFACT = "application/vnd.example.sbom+json"


def dest(account, region=DST_REGION):
    return {"region": region, "registryId": account}


def allow_policy(source, actions):
    """A registry policy letting account source do actions (3.5)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "ReplicationAccess", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::%s:root" % source},
        "Action": actions, "Resource": "*"}]})


class ReplicationHelpers:

    def client(self, account, region=SRC_REGION, server=None):
        return self.ecr(key=account, region=region, server=server)

    def configure(self, account, rules, region=SRC_REGION, server=None):
        out = self.client(account, region, server).\
            put_replication_configuration(
                replicationConfiguration={"rules": rules})
        return out["replicationConfiguration"]

    def statuses(self, client, repo, digest):
        return client.describe_image_replication_status(
            repositoryName=repo, imageId={"imageDigest": digest})[
                "replicationStatuses"]

    def settled(self, client, repo, digest, n):
        """The image's n statuses once none is IN_PROGRESS any more."""
        def done():
            got = self.statuses(client, repo, digest)
            if len(got) == n and all(s["status"] != "IN_PROGRESS"
                                     for s in got):
                return got
            return None
        return poll(done, WAIT_S, "replication of %s" % digest)

    def images(self, client, repo):
        """{digest: sorted tags} of repo, or None when it does not exist."""
        try:
            out = client.describe_images(repositoryName=repo)
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] == "RepositoryNotFoundException":
                return None
            raise
        return {d["imageDigest"]: sorted(d.get("imageTags", []))
                for d in out["imageDetails"]}

    def manifest(self, client, repo, digest):
        out = client.batch_get_image(
            repositoryName=repo, imageIds=[{"imageDigest": digest}],
            acceptedMediaTypes=[harness.MEDIA_DOCKER_MANIFEST,
                                harness.MEDIA_OCI_MANIFEST,
                                harness.MEDIA_DOCKER_LIST,
                                harness.MEDIA_OCI_INDEX])
        self.assertEqual(out["failures"], [])
        return out["images"][0]["imageManifest"]


class ConfigurationTest(ReplicationHelpers, EcrdTestCase):

    def test_put_returns_and_describe_registry_shows_it(self):
        a, b = fresh_account(), fresh_account()
        rules = [{"destinations": [dest(a), dest(b, "us-west-2")],
                  "repositoryFilters": [{"filter": "prod",
                                         "filterType": "PREFIX_MATCH"}]},
                 {"destinations": [dest(a, "ap-south-1")]}]
        self.assertEqual(self.configure(a, rules), {"rules": rules})
        reg = self.client(a).describe_registry()
        self.assertEqual(reg["registryId"], a)
        self.assertEqual(reg["replicationConfiguration"], {"rules": rules})
        # Per region: the other region of the account has none.
        self.assertEqual(self.client(a, DST_REGION).describe_registry()[
            "replicationConfiguration"], {"rules": []})
        # An empty rules list turns it off.
        self.assertEqual(self.configure(a, []), {"rules": []})
        self.assertEqual(self.client(a).describe_registry()[
            "replicationConfiguration"], {"rules": []})

    def assertInvalid(self, account, rules, message=None, contains=()):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.configure(account, rules)
        self.assertClientError(cm, "InvalidParameterException", message,
                               contains)

    def test_refused_as_ecr_refuses_them(self):
        a = fresh_account()
        prefix = ("Invalid parameter at 'replicationConfiguration' failed "
                  "to satisfy constraint: ")
        self.assertInvalid(a, [{"destinations": [dest(a, SRC_REGION)]}],
                           prefix + "'Replication destination cannot be "
                           "the same as the source registry'")
        self.assertInvalid(a, [{"destinations": [dest(a, "xx-fake-1")]}],
                           prefix + "'Replication destination region "
                           "'xx-fake-1' is not a valid region'")
        self.assertInvalid(a, [{"destinations": [dest(a, "cn-north-1")]}],
                           prefix + "'Replication destination region "
                           "'cn-north-1' is not in the partition of the "
                           "source registry'")
        # 26 unique destinations over two rules; repeats count once.
        accts = ["%012d" % (400000000000 + i) for i in range(26)]
        ok = [{"destinations": [dest(x) for x in accts[:13]]},
              {"destinations": [dest(x) for x in accts[:12]] +
               [dest(accts[12])]}]
        self.assertEqual(self.configure(a, ok), {"rules": ok})
        self.assertInvalid(a, [{"destinations": [dest(x) for x in
                                                 accts[:13]]},
                               {"destinations": [dest(x) for x in
                                                 accts[13:]]}],
                           prefix + "'The number of unique replication "
                           "destinations must be less than or equal to "
                           "25'")
        # What the model states: rules 0-10, filters 1-100 PREFIX_MATCH.
        self.assertInvalid(a, [{"destinations": [dest(accts[0])]}] * 11,
                           contains="Member must have length less than "
                           "or equal to 10")
        # (boto3 refuses an empty list itself: sent raw.)
        resp = self.api("PutReplicationConfiguration", {
            "replicationConfiguration": {"rules": [{
                "destinations": [dest(accts[0])],
                "repositoryFilters": []}]}}, key=a)
        self.assertAwsError(resp, 400, "InvalidParameterException",
                            message_contains="greater than or equal to 1")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.configure(a, [{"destinations": [dest(accts[0])],
                                "repositoryFilters": [{
                                    "filter": "prod",
                                    "filterType": "WILDCARD"}]}])
        self.assertIn(cm.exception.response["Error"]["Code"],
                      ("InvalidParameterException", "ValidationException"))
        # A refused configuration leaves the one before in place.
        self.assertEqual(self.client(a).describe_registry()[
            "replicationConfiguration"], {"rules": ok})

    def test_aws_cli_v1_and_v2(self):
        for major in (1, 2):
            with self.subTest(cli=major):
                a, b = fresh_account(), fresh_account()
                conf = {"rules": [{"destinations": [dest(b)],
                                   "repositoryFilters": [{
                                       "filter": "team",
                                       "filterType": "PREFIX_MATCH"}]}]}
                out = self.assertCliOk(self.cli(
                    major, "ecr", "put-replication-configuration",
                    "--replication-configuration", json.dumps(conf),
                    key=a, region=SRC_REGION))
                self.assertEqual(out["replicationConfiguration"], conf)
                out = self.assertCliOk(self.cli(
                    major, "ecr", "describe-registry", key=a,
                    region=SRC_REGION))
                self.assertEqual(out, {"registryId": a,
                                       "replicationConfiguration": conf})
                res = self.cli(major, "ecr", "put-replication-configuration",
                               "--replication-configuration", json.dumps(
                                   {"rules": [{"destinations": [
                                       dest(a, SRC_REGION)]}]}),
                               key=a, region=SRC_REGION)
                self.assertCliError(res, "InvalidParameterException",
                                    message_contains="cannot be the same "
                                    "as the source registry")

    def test_status_errors_as_ecr(self):
        a = fresh_account()
        c = self.client(a)
        repo = unique_name("repl-err")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.statuses(c, repo, build_image("repl-none").digest)
        self.assertClientError(cm, "RepositoryNotFoundException")
        c.create_repository(repositoryName=repo)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.statuses(c, repo, build_image("repl-none").digest)
        self.assertClientError(cm, "ImageNotFoundException")


class ReplicationTest(ReplicationHelpers, EcrdTestCase):

    def test_put_image_reaches_another_region(self):
        a = fresh_account()
        self.configure(a, [{"destinations": [dest(a)]}])
        src, dst = self.client(a), self.client(a, DST_REGION)
        repo = unique_name("repl-region")
        src.create_repository(repositoryName=repo)
        image = build_image("repl-region")
        push_image(src, repo, image, tag="v1")
        self.assertEqual(self.settled(src, repo, image.digest, 1), [
            {"region": DST_REGION, "registryId": a, "status": "COMPLETE"}])
        self.assertEqual(self.images(dst, repo), {image.digest: ["v1"]})
        self.assertEqual(self.manifest(dst, repo, image.digest), image.text)
        # The blobs are there by content: available, downloadable.
        layers = dst.batch_check_layer_availability(
            repositoryName=repo, layerDigests=list(image.blobs))
        self.assertEqual({l["layerAvailability"] for l in
                          layers["layers"]}, {"AVAILABLE"})
        url = dst.get_download_url_for_layer(
            repositoryName=repo,
            layerDigest=image.layers[0]["digest"])["downloadUrl"]
        got = harness.fetch_url(url)
        self.assertEqual(got.body, image.blobs[image.layers[0]["digest"]])
        # Made with ECR's defaults (no template).
        r = dst.describe_repositories(repositoryNames=[repo])[
            "repositories"][0]
        self.assertEqual(r["imageTagMutability"], "MUTABLE")
        # Re-tagging at the source is a push: it is replicated too.
        src.put_image(repositoryName=repo, imageManifest=image.text,
                      imageTag="v2")
        poll(lambda: self.images(dst, repo) == {image.digest: ["v1", "v2"]},
             WAIT_S, "the new tag at the destination")

    def test_filters_choose_repositories(self):
        a = fresh_account()
        self.configure(a, [{"destinations": [dest(a)],
                            "repositoryFilters": [
                                {"filter": "prod", "filterType":
                                 "PREFIX_MATCH"},
                                {"filter": "team/web", "filterType":
                                 "PREFIX_MATCH"}]}])
        src, dst = self.client(a), self.client(a, DST_REGION)
        names = {"prod-api": True, "prod/db": True, "team/web-x": True,
                 "dev/prod": False, "team/api": False}
        images = {}
        for name, _ in sorted(names.items()):
            src.create_repository(repositoryName=name)
            images[name] = build_image("repl-filter-" + name)
            push_image(src, name, images[name], tag="v1")
        # Jobs run in push order: once the last match arrived, all did.
        for name, wanted in sorted(names.items()):
            if wanted:
                self.settled(src, name, images[name].digest, 1)
        for name, wanted in names.items():
            got = self.images(dst, name)
            if wanted:
                self.assertEqual(got, {images[name].digest: ["v1"]})
            else:
                self.assertIsNone(got, name)
                self.assertEqual(self.statuses(src, name,
                                               images[name].digest), [])

    def test_only_pushes_after_configuration(self):
        a = fresh_account()
        src, dst = self.client(a), self.client(a, DST_REGION)
        repo = unique_name("repl-before")
        src.create_repository(repositoryName=repo)
        before, after = build_image("repl-before"), build_image("repl-after")
        push_image(src, repo, before, tag="old")
        self.configure(a, [{"destinations": [dest(a)]}])
        push_image(src, repo, after, tag="new")
        self.settled(src, repo, after.digest, 1)
        self.assertEqual(self.images(dst, repo), {after.digest: ["new"]})
        self.assertEqual(self.statuses(src, repo, before.digest), [])

    def test_index_children_and_referrers(self):
        a = fresh_account()
        self.configure(a, [{"destinations": [dest(a)]}])
        src, dst = self.client(a), self.client(a, DST_REGION)
        repo = unique_name("repl-index")
        src.create_repository(repositoryName=repo)
        amd = build_image("repl-index-amd", oci=True)
        arm = build_image("repl-index-arm", oci=True, arch="arm64")
        index = build_index([amd, arm], oci=True)
        push_image(src, repo, index, tag="multi")
        sbom = build_referrer(amd, MEDIA_ARTIFACT, b'{"sbom":1}',
                              "application/json")
        push_image(src, repo, sbom)
        for img in (amd, arm, index, sbom):
            self.settled(src, repo, img.digest, 1)
        got = self.images(dst, repo)
        self.assertEqual(got, {amd.digest: [], arm.digest: [],
                               index.digest: ["multi"], sbom.digest: []})
        self.assertEqual(self.manifest(dst, repo, index.digest), index.text)
        refs = dst.list_image_referrers(
            repositoryName=repo, subjectId={"imageDigest": amd.digest})
        self.assertEqual([r["digest"] for r in refs["referrers"]],
                         [sbom.digest])

    def test_no_chaining_deletes_or_archives(self):
        a, c = fresh_account(), fresh_account()
        self.configure(a, [{"destinations": [dest(a)]}])
        # The destination region replicates its own pushes on to c.
        self.configure(a, [{"destinations": [dest(c)]}], region=DST_REGION)
        self.client(c, DST_REGION).put_registry_policy(
            policyText=allow_policy(a, ["ecr:ReplicateImage",
                                        "ecr:CreateRepository"]))
        src, mid = self.client(a), self.client(a, DST_REGION)
        end = self.client(c, DST_REGION)
        repo = unique_name("repl-chain")
        src.create_repository(repositoryName=repo)
        image = build_image("repl-chain")
        push_image(src, repo, image, tag="v1")
        self.settled(src, repo, image.digest, 1)
        self.assertEqual(self.statuses(mid, repo, image.digest), [])
        # A push made in the middle region goes on; then the copy would
        # have arrived before it, had it gone on.
        own = build_image("repl-chain-own")
        push_image(mid, repo, own, tag="own")
        self.assertEqual(self.settled(mid, repo, own.digest, 1)[0][
            "status"], "COMPLETE")
        self.assertEqual(self.images(end, repo), {own.digest: ["own"]})
        # Deletes and archives stay at the source.
        src.update_image_storage_class(
            repositoryName=repo, imageId={"imageDigest": image.digest},
            targetStorageClass="ARCHIVE")
        src.batch_delete_image(repositoryName=repo,
                               imageIds=[{"imageTag": "v1"}])
        marker = build_image("repl-chain-marker")
        push_image(src, repo, marker, tag="marker")
        self.settled(src, repo, marker.digest, 1)
        details = mid.describe_images(repositoryName=repo,
                                      imageIds=[{"imageDigest":
                                                 image.digest}])
        self.assertEqual(details["imageDetails"][0]["imageStatus"],
                         "ACTIVE")
        self.assertEqual(details["imageDetails"][0]["imageTags"], ["v1"])

    def test_cross_account_needs_the_destination_registry_policy(self):
        a, b = fresh_account(), fresh_account()
        self.configure(a, [{"destinations": [dest(b, SRC_REGION)]}])
        src, dst = self.client(a), self.client(b)
        repo = unique_name("repl-xacct")
        src.create_repository(repositoryName=repo)
        first = build_image("repl-xacct-1")
        push_image(src, repo, first, tag="v1")
        self.assertEqual(self.settled(src, repo, first.digest, 1), [
            {"region": SRC_REGION, "registryId": b, "status": "FAILED",
             "failureCode": "ACCESS_DENIED"}])
        self.assertIsNone(self.images(dst, repo))
        # ReplicateImage alone: the repository cannot be made.
        dst.put_registry_policy(policyText=allow_policy(
            a, ["ecr:ReplicateImage"]))
        second = build_image("repl-xacct-2")
        push_image(src, repo, second, tag="v2")
        self.assertEqual(self.settled(src, repo, second.digest, 1)[0][
            "failureCode"], "REPOSITORY_CREATION_DENIED")
        self.assertIsNone(self.images(dst, repo))
        # ... but an existing one takes the image.
        dst.create_repository(repositoryName=repo)
        third = build_image("repl-xacct-3")
        push_image(src, repo, third, tag="v3")
        self.assertEqual(self.settled(src, repo, third.digest, 1)[0][
            "status"], "COMPLETE")
        self.assertEqual(self.images(dst, repo), {third.digest: ["v3"]})
        # With CreateRepository as well, a new repository is made, from
        # the destination's REPLICATION template.
        dst.put_registry_policy(policyText=allow_policy(
            a, ["ecr:ReplicateImage", "ecr:CreateRepository"]))
        prefix = unique_name("repl-tpl")
        dst.create_repository_creation_template(
            prefix=prefix, appliedFor=["REPLICATION"],
            imageTagMutability="IMMUTABLE",
            resourceTags=[{"Key": "made-by", "Value": "replication"}],
            customRoleArn="arn:aws:iam::%s:role/ecr-templates" % b)
        other = prefix + "/app"
        src.create_repository(repositoryName=other)
        fourth = build_image("repl-xacct-4")
        push_image(src, other, fourth, tag="v4")
        self.assertEqual(self.settled(src, other, fourth.digest, 1)[0][
            "status"], "COMPLETE")
        r = dst.describe_repositories(repositoryNames=[other])[
            "repositories"][0]
        self.assertEqual(r["imageTagMutability"], "IMMUTABLE")
        self.assertEqual(self.images(dst, other), {fourth.digest: ["v4"]})

    def test_immutable_destination_drops_an_existing_tag(self):
        a = fresh_account()
        self.configure(a, [{"destinations": [dest(a)]}])
        src, dst = self.client(a), self.client(a, DST_REGION)
        repo = unique_name("repl-immutable")
        src.create_repository(repositoryName=repo)
        dst.create_repository(repositoryName=repo,
                              imageTagMutability="IMMUTABLE")
        there = build_image("repl-immutable-there")
        push_image(dst, repo, there, tag="v1")
        image = build_image("repl-immutable-new")
        push_image(src, repo, image, tag="v1")
        self.assertEqual(self.settled(src, repo, image.digest, 1)[0][
            "status"], "COMPLETE")
        self.assertEqual(self.images(dst, repo),
                         {there.digest: ["v1"], image.digest: []})
        # A tag the destination lacks arrives.
        src.put_image(repositoryName=repo, imageManifest=image.text,
                      imageTag="v2")
        poll(lambda: self.images(dst, repo)[image.digest] == ["v2"],
             WAIT_S, "v2 at the destination")


def principal(key, account, name, actions):
    return {"accessKeyId": key, "secretAccessKey": "secret-" + key.lower(),
            "arn": "arn:aws:iam::%s:user/%s" % (account, name),
            "policies": [{"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Action": actions, "Resource": "*"}]}]}


STRICT_A, STRICT_B, STRICT_C = "111111111111", "222222222222", "333333333333"
# May push and configure replication, but not create repositories: the
# copies' repositories are made by the service, not by this caller.
PUSHER = principal("AKIAREPLPUSHER000001", STRICT_A, "pusher", [
    "ecr:PutImage", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
    "ecr:CompleteLayerUpload", "ecr:BatchCheckLayerAvailability",
    "ecr:PutReplicationConfiguration", "ecr:DescribeRegistry",
    "ecr:DescribeImageReplicationStatus"])
ADMIN_A = principal("AKIAREPLADMINA000002", STRICT_A, "admin", ["ecr:*"])
ADMIN_B = principal("AKIAREPLADMINB000003", STRICT_B, "admin", ["ecr:*"])
ADMIN_C = principal("AKIAREPLADMINC000004", STRICT_C, "admin", ["ecr:*"])


class StrictReplicationTest(ReplicationHelpers, EcrdTestCase):
    """Strict mode: the destination's registry policy decides, as in
    permissive mode; the pusher's own permissions do not."""

    principals = [PUSHER, ADMIN_A, ADMIN_B, ADMIN_C]

    def as_(self, p, region=SRC_REGION):
        return self.ecr(key=p["accessKeyId"], secret=p["secretAccessKey"],
                        region=region)

    def test_registry_policy_decides_in_strict_mode_too(self):
        self.as_(ADMIN_B).put_registry_policy(policyText=allow_policy(
            STRICT_A, ["ecr:ReplicateImage", "ecr:CreateRepository"]))
        pusher = self.as_(PUSHER)
        pusher.put_replication_configuration(replicationConfiguration={
            "rules": [{"destinations": [dest(STRICT_B, SRC_REGION),
                                        dest(STRICT_C, SRC_REGION)]}]})
        repo = unique_name("repl-strict")
        self.as_(ADMIN_A).create_repository(repositoryName=repo)
        image = build_image("repl-strict")
        push_image(pusher, repo, image, tag="v1")
        got = self.settled(pusher, repo, image.digest, 2)
        self.assertEqual(sorted((s["registryId"], s["status"],
                                 s.get("failureCode")) for s in got),
                         [(STRICT_B, "COMPLETE", None),
                          (STRICT_C, "FAILED", "ACCESS_DENIED")])
        self.assertEqual(self.images(self.as_(ADMIN_B), repo),
                         {image.digest: ["v1"]})
        self.assertIsNone(self.images(self.as_(ADMIN_C), repo))


@unittest.skipUnless(SKOPEO and UMOCI, "skopeo and umoci are needed")
class SkopeoReplicationTest(ReplicationHelpers, EcrdTestCase):

    def test_registry_push_is_replicated(self):
        a, b = fresh_account(), fresh_account()
        self.configure(a, [{"destinations": [dest(a), dest(b)]}])
        self.client(b, DST_REGION).put_registry_policy(
            policyText=allow_policy(a, ["ecr:ReplicateImage",
                                        "ecr:CreateRepository"]))
        src = self.client(a)
        repo = unique_name("repl-skopeo")
        src.create_repository(repositoryName=repo)
        tmp = tempfile.mkdtemp(prefix="e2e-repl-")
        self.addCleanup(shutil.rmtree, tmp, True)
        layout = Layout(self, os.path.join(tmp, "L"))
        layout.add_image("v1", LAYER_FILES)
        p = run_tool((SKOPEO, "--insecure-policy", "copy",
                      "--dest-tls-verify=false", "--dest-creds",
                      "AWS:" + registry_password(src),
                      "oci:%s:v1" % layout.path,
                      "docker://%s/%s:v1" % (self.server.hostport, repo)))
        self.assertEqual(p.returncode, 0, describe(p))
        digest = layout.ref("v1")["digest"]
        got = self.settled(src, repo, digest, 2)
        self.assertEqual(sorted((s["registryId"], s["status"])
                                for s in got),
                         sorted([(a, "COMPLETE"), (b, "COMPLETE")]))
        for acct in (a, b):
            dst = self.client(acct, DST_REGION)
            self.assertEqual(self.images(dst, repo), {digest: ["v1"]})
        # Pulled back from the other account's registry, whole.
        out = os.path.join(tmp, "out")
        p = run_tool((SKOPEO, "--insecure-policy", "copy",
                      "--src-tls-verify=false", "--src-creds",
                      "AWS:" + registry_password(self.client(b, DST_REGION)),
                      "docker://%s/%s:v1" % (self.server.hostport, repo),
                      "oci:%s:out" % out))
        self.assertEqual(p.returncode, 0, describe(p))
        self.assertEqual(Layout.existing(self, out).files("out"),
                         layout.files("v1"))


class DelayAndCrashTest(ReplicationHelpers, OwnServersTestCase):

    def test_statuses_in_progress_then_complete(self):
        s = self.start("--replication-delay", "2")
        a, b = fresh_account(), fresh_account()
        self.configure(a, [{"destinations": [dest(a), dest(b)]}], server=s)
        src = self.client(a, server=s)
        repo = unique_name("repl-delay")
        src.create_repository(repositoryName=repo)
        image = build_image("repl-delay")
        push_image(src, repo, image, tag="v1")
        got = self.statuses(src, repo, image.digest)
        self.assertEqual(sorted(got, key=lambda x: x["registryId"]),
                         sorted([{"region": DST_REGION, "registryId": a,
                                  "status": "IN_PROGRESS"},
                                 {"region": DST_REGION, "registryId": b,
                                  "status": "IN_PROGRESS"}],
                                key=lambda x: x["registryId"]))
        self.assertIsNone(self.images(self.client(a, DST_REGION, s), repo))
        got = self.settled(src, repo, image.digest, 2)
        self.assertEqual({(x["registryId"], x["status"],
                           x.get("failureCode")) for x in got},
                         {(a, "COMPLETE", None),
                          (b, "FAILED", "ACCESS_DENIED")})

    def test_kill_after_the_answer_and_before_the_copy(self):
        data = os.path.join(self.tmp, "data")
        os.mkdir(data)
        # Held an hour: the copy cannot have run when the kill comes.
        s = self.start("--replication-delay", "3600", data_dir=data)
        a = fresh_account()
        self.configure(a, [{"destinations": [dest(a)]}], server=s)
        src = self.client(a, server=s)
        repo = unique_name("repl-kill")
        src.create_repository(repositoryName=repo)
        image = build_image("repl-kill")
        push_image(src, repo, image, tag="v1")
        self.assertEqual(self.statuses(src, repo, image.digest)[0][
            "status"], "IN_PROGRESS")
        s.kill()
        s = self.start(data_dir=data)
        src = self.client(a, server=s)
        self.assertEqual(self.settled(src, repo, image.digest, 1)[0][
            "status"], "COMPLETE")
        self.assertEqual(self.images(self.client(a, DST_REGION, s), repo),
                         {image.digest: ["v1"]})


if __name__ == "__main__":
    unittest.main()
