"""Lifecycle policies (issue 6): Put/Get/DeleteLifecyclePolicy,
Start/GetLifecyclePolicyPreview and runs, end to end.

Checks what docs/ecr-behaviour.md 3.6 says real ECR does: ECR's validation
wording for schema errors (exact), the canonical text Put/Get/Delete answer
with, the preview echoing the submitted text, lastEvaluatedAt 0.0 until a
run, preview results and summary, paging, the waiter. Then that a run
(POST /_ecrd/lifecycle/run, or the scheduler) removes exactly the images the
preview named, through the aws CLI and boto3; that age rules follow the
emulator's clock (POST /_ecrd/clock); that policies, previews and the
effects of runs survive restarts, SIGKILL included.

Every class runs its own server (--relax-references, for quick synthetic
manifests; --lifecycle-interval 0, so only the tests start runs), and moves
that server's clock a second ahead between pushes so push times are
ordered.
"""

import json
import os
import shutil
import signal
import tempfile
import time
import unittest
import urllib.parse

import harness
from harness import (DEFAULT_ACCOUNT, MEDIA_DOCKER_CONFIG, MEDIA_DOCKER_LIST,
                     MEDIA_DOCKER_MANIFEST, EcrdTestCase, Server, epoch,
                     manifest_json, not_found_message, poll, sha256_digest,
                     unique_name)

PREFIX = ("Invalid parameter at 'LifecyclePolicyText' failed to satisfy "
          "constraint: 'Lifecycle policy validation failure: ")
DAY_S = 86400
SCHEDULE_TIMEOUT_S = 30.0
SERVER_ARGS = ("--relax-references", "--lifecycle-interval", "0")


def no_policy_message(repo, account=DEFAULT_ACCOUNT):
    return ("Lifecycle policy does not exist for the repository with name "
            "'%s' in the registry with id '%s'" % (repo, account))


def invalid(detail, closed=True):
    """ECR's whole message; oneOf and minimum details lack the quote."""
    return PREFIX + detail + ("'" if closed else "")


def rule(prio, selection, action=None, description=None):
    r = {"rulePriority": prio, "selection": selection,
         "action": action or {"type": "expire"}}
    if description is not None:
        r["description"] = description
    return r


def count_more(n, tag_status="any", **extra):
    sel = {"tagStatus": tag_status, "countType": "imageCountMoreThan",
           "countNumber": n}
    sel.update(extra)
    return sel


def since(kind, days, tag_status="any", **extra):
    sel = {"tagStatus": tag_status, "countType": kind, "countUnit": "days",
           "countNumber": days}
    sel.update(extra)
    return sel


ARCHIVE = {"type": "transition", "targetStorageClass": "archive"}


def policy(*rules):
    return json.dumps({"rules": list(rules)})


def pad(text):
    """Texts under 100 characters fail the model first: pad with spaces."""
    return text + " " * max(0, 100 - len(text))


def synthetic(seed, oci=False):
    """A tiny manifest naming a config nobody uploaded (relaxed refs)."""
    config = {"mediaType": MEDIA_DOCKER_CONFIG, "size": 2,
              "digest": sha256_digest(("lifecycle %s" % seed).encode())}
    raw = manifest_json({"schemaVersion": 2,
                         "mediaType": MEDIA_DOCKER_MANIFEST,
                         "config": config, "layers": []})
    return raw.decode("utf-8")


class LifecycleHelpers:
    """A mixin over EcrdTestCase."""

    server_args = SERVER_ARGS

    def make_repo(self, server=None):
        name = unique_name("lcy")
        self.ecr(server=server).create_repository(repositoryName=name)
        return name

    def advance(self, seconds, server=None):
        r = self.http("POST", "/_ecrd/clock?advance_seconds=%d" % seconds,
                      server=server)
        self.assertEqual(r.status, 200, r)
        return r.json()

    def push(self, repo, seed, tags=(), server=None):
        """Push one image (tagged with each of tags); a second later on
        the server's clock. Returns its digest."""
        client = self.ecr(server=server)
        text = synthetic("%s/%s" % (repo, seed))
        digest = None
        for tag in tags or (None,):
            kw = {"repositoryName": repo, "imageManifest": text}
            if tag is not None:
                kw["imageTag"] = tag
            digest = client.put_image(**kw)["image"]["imageId"][
                "imageDigest"]
        self.advance(1, server)
        return digest

    def run_lifecycle(self, repo=None, server=None, **query):
        if repo is not None:
            query["repositoryName"] = repo
        path = "/_ecrd/lifecycle/run"
        if query:
            path += "?" + urllib.parse.urlencode(query)
        return self.http("POST", path, server=server)

    def run_ok(self, repo=None, server=None):
        r = self.run_lifecycle(repo, server)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), "application/json")
        body = r.json()
        self.assertEqual(set(body), {"expired", "transitioned"})
        return body

    def images(self, repo, server=None):
        """{digest: detail} of every image, archived ones too."""
        pages = self.ecr(server=server).get_paginator("describe_images") \
            .paginate(repositoryName=repo, filter={"imageStatus": "ANY"})
        return {d["imageDigest"]: d for p in pages for d in p["imageDetails"]}

    def preview(self, repo, server=None, **kw):
        """Every preview result, through the boto3 paginator."""
        pages = list(self.ecr(server=server).get_paginator(
            "get_lifecycle_policy_preview").paginate(
                repositoryName=repo, **kw))
        results = [r for p in pages for r in p["previewResults"]]
        pages[0].pop("ResponseMetadata", None)
        return pages[0], results


# ---------------------------------------------------------------------------
# Put, Get, Delete (3.6: validation, normalisation, lastEvaluatedAt)

class PolicyApiTest(LifecycleHelpers, EcrdTestCase):

    def test_put_get_delete_answer_the_canonical_text(self):
        repo = self.make_repo()
        # Rules out of order, keys out of order, whitespace: ECR answers
        # compactly, sorted by rulePriority, keys in its order (3.6).
        submitted = json.dumps({"rules": [
            {"action": {"type": "expire"},
             "selection": {"countNumber": 5, "countType":
                           "imageCountMoreThan", "tagStatus": "any"},
             "rulePriority": 20},
            {"selection": {"tagPrefixList": ["prod", "rel/x"],
                           "countNumber": 14, "countUnit": "days",
                           "countType": "sinceImagePushed",
                           "tagStatus": "tagged"},
             "description": "old prod", "rulePriority": 3,
             "action": {"type": "expire"}}]}, indent=4)
        canonical = (
            '{"rules":[{"rulePriority":3,"description":"old prod",'
            '"selection":{"tagStatus":"tagged","tagPrefixList":["prod",'
            '"rel/x"],"countType":"sinceImagePushed","countUnit":"days",'
            '"countNumber":14},"action":{"type":"expire"}},'
            '{"rulePriority":20,"selection":{"tagStatus":"any",'
            '"countType":"imageCountMoreThan","countNumber":5},'
            '"action":{"type":"expire"}}]}')
        ecr = self.ecr()
        out = ecr.put_lifecycle_policy(repositoryName=repo,
                                       lifecyclePolicyText=submitted)
        self.assertEqual(out["registryId"], DEFAULT_ACCOUNT)
        self.assertEqual(out["repositoryName"], repo)
        self.assertEqual(out["lifecyclePolicyText"], canonical)
        self.assertNotIn("lastEvaluatedAt", out)
        got = ecr.get_lifecycle_policy(repositoryName=repo)
        self.assertEqual(got["lifecyclePolicyText"], canonical)
        self.assertEqual(got["registryId"], DEFAULT_ACCOUNT)
        self.assertEqual(epoch(got["lastEvaluatedAt"]), 0.0)
        # On the wire: 0.0 until the policy has run (3.6).
        raw = self.api("GetLifecyclePolicy", {"repositoryName": repo})
        self.assertEqual(self.assertOk(raw)["lastEvaluatedAt"], 0)
        deleted = ecr.delete_lifecycle_policy(repositoryName=repo)
        self.assertEqual(deleted["lifecyclePolicyText"], canonical)
        self.assertEqual(epoch(deleted["lastEvaluatedAt"]), 0.0)
        for call in (ecr.get_lifecycle_policy, ecr.delete_lifecycle_policy):
            with self.assertRaises(Exception) as cm:
                call(repositoryName=repo)
            self.assertClientError(cm, "LifecyclePolicyNotFoundException",
                                   no_policy_message(repo))

    def test_put_replaces_the_policy(self):
        repo = self.make_repo()
        ecr = self.ecr()
        ecr.put_lifecycle_policy(repositoryName=repo,
                                 lifecyclePolicyText=policy(rule(
                                     1, count_more(3))))
        second = policy(rule(1, count_more(7)))
        out = ecr.put_lifecycle_policy(repositoryName=repo,
                                       lifecyclePolicyText=second)
        self.assertEqual(out["lifecyclePolicyText"],
                         second.replace(" ", ""))
        self.assertIn('"countNumber":7', ecr.get_lifecycle_policy(
            repositoryName=repo)["lifecyclePolicyText"])

    def test_missing_repository(self):
        name = unique_name("lcy-missing")
        ecr = self.ecr()
        for op, kw in (("put_lifecycle_policy", {"lifecyclePolicyText":
                        policy(rule(1, count_more(1)))}),
                       ("get_lifecycle_policy", {}),
                       ("delete_lifecycle_policy", {}),
                       ("start_lifecycle_policy_preview", {}),
                       ("get_lifecycle_policy_preview", {})):
            with self.subTest(op=op):
                with self.assertRaises(Exception) as cm:
                    getattr(ecr, op)(repositoryName=name, **kw)
                self.assertClientError(cm, "RepositoryNotFoundException",
                                       not_found_message(name))

    def test_schema_errors_in_ecrs_words(self):
        repo = self.make_repo()
        r1 = rule(1, count_more(1))
        cases = [
            ("not json", pad("lifecycle policy, not JSON"),
             invalid("Could not map policyString into LifecyclePolicy.")),
            ("missing rules", pad(json.dumps({"rulez": [r1]})),
             invalid('object has missing required properties '
                     '(["rules"])')),
            ("extra key", pad(json.dumps({"rules": [r1], "x": 1})),
             invalid('object instance has properties which are not '
                     'allowed by the schema: (["x"])')),
            ("null rules", pad('{"rules": null}'),
             invalid('instance type (null) does not match any allowed '
                     'primitive type (allowed: ["array"])')),
            ("rule missing keys", pad('{"rules": [{"rulePriority": 1}]}'),
             invalid('object has missing required properties '
                     '(["action","selection"])')),
            ("bad action", policy(rule(1, count_more(1),
                                       {"type": "delete"})),
             invalid('instance value (delete) not found in enum '
                     ':(possible values: ["expire","transition"])')),
            ("bad count unit", policy(rule(1, since(
                "sinceImagePushed", 3, countUnit="hours"))),
             invalid('instance value (hours) not found in enum '
                     ':(possible values: ["days"])')),
            ("priority 0", policy(rule(0, count_more(1))),
             invalid("numeric instance is lower than the required minimum "
                     "(minimum: 1, found: 0)", closed=False)),
            ("count unit with a count", policy(rule(1, count_more(
                1, countUnit="days"))),
             invalid("instance failed to match exactly one schema "
                     "(matched 0 out of 2)", closed=False)),
            ("transition without target", policy(rule(
                1, since("sinceImagePushed", 30), {"type": "transition"})),
             invalid("instance failed to match exactly one schema "
                     "(matched 0 out of 2)", closed=False)),
        ]
        ecr = self.ecr()
        for name, text, message in cases:
            for op in ("put_lifecycle_policy",
                       "start_lifecycle_policy_preview"):
                with self.subTest(case=name, op=op):
                    with self.assertRaises(Exception) as cm:
                        getattr(ecr, op)(repositoryName=repo,
                                         lifecyclePolicyText=text)
                    self.assertClientError(cm, "InvalidParameterException",
                                           message)
        # Nothing was stored.
        with self.assertRaises(Exception) as cm:
            ecr.get_lifecycle_policy(repositoryName=repo)
        self.assertClientError(cm, "LifecyclePolicyNotFoundException")

    def test_semantic_errors(self):
        # ECR's exact words are [unconfirmed]; the prefix is ECR's (3.6).
        repo = self.make_repo()
        cases = [
            ("priorities unique", policy(
                rule(2, count_more(1, "untagged")), rule(2, count_more(3))),
             "rulePriority must be unique"),
            ("any last", policy(rule(1, count_more(1)), rule(
                2, since("sinceImagePushed", 1, "untagged"))),
             "tagStatus any must have the highest rulePriority"),
            ("one untagged rule", policy(
                rule(1, count_more(1, "untagged")),
                rule(2, since("sinceImagePushed", 1, "untagged"))),
             "both select untagged images"),
            ("tagged needs a list", policy(rule(1, count_more(
                1, "tagged"))),
             "tagStatus tagged requires tagPrefixList or tagPatternList"),
            ("five wildcards", policy(rule(1, count_more(
                1, "tagged", tagPatternList=["a*b*c*d*e*"]))),
             "has more than 4 wildcards"),
            ("pulled only transitions", policy(rule(1, since(
                "sinceImagePulled", 30))),
             "sinceImagePulled is allowed only with action type "
             "transition"),
            ("archive minimum", policy(rule(1, since(
                "sinceImageTransitioned", 30, storageClass="archive"))),
             "countNumber of at least 90"),
        ]
        for name, text, part in cases:
            with self.subTest(case=name):
                with self.assertRaises(Exception) as cm:
                    self.ecr().put_lifecycle_policy(
                        repositoryName=repo, lifecyclePolicyText=text)
                err = self.assertClientError(cm, "InvalidParameterException")
                self.assertTrue(err["Message"].startswith(PREFIX), err)
                self.assertIn(part, err["Message"])

    def test_text_shorter_than_the_model_allows(self):
        repo = self.make_repo()
        r = self.api("PutLifecyclePolicy", {"repositoryName": repo,
                                            "lifecyclePolicyText": "{}"})
        self.assertAwsError(r, 400, "InvalidParameterException",
                            "Invalid parameter at 'lifecyclePolicyText' "
                            "failed to satisfy constraint: 'Member must "
                            "have length greater than or equal to 100'")

    def test_cli_put_get_delete(self):
        repo = self.make_repo()
        text = policy(rule(1, count_more(2, "untagged"), description="u"))
        canonical = ('{"rules":[{"rulePriority":1,"description":"u",'
                     '"selection":{"tagStatus":"untagged","countType":'
                     '"imageCountMoreThan","countNumber":2},"action":'
                     '{"type":"expire"}}]}')
        with tempfile.NamedTemporaryFile("w", suffix=".json",
                                         delete=False) as f:
            f.write(text)
        self.addCleanup(os.unlink, f.name)
        for major in (1, 2):
            with self.subTest(cli=major):
                out = self.assertCliOk(self.cli(
                    major, "ecr", "put-lifecycle-policy",
                    "--repository-name", repo,
                    "--lifecycle-policy-text", "file://" + f.name))
                self.assertEqual(out["lifecyclePolicyText"], canonical)
                got = self.assertCliOk(self.cli(
                    major, "ecr", "get-lifecycle-policy",
                    "--repository-name", repo))
                self.assertEqual(got["lifecyclePolicyText"], canonical)
                self.assertEqual(epoch(got["lastEvaluatedAt"]), 0.0)
                self.assertCliOk(self.cli(
                    major, "ecr", "delete-lifecycle-policy",
                    "--repository-name", repo))
                res = self.cli(major, "ecr", "get-lifecycle-policy",
                               "--repository-name", repo)
                self.assertCliError(res, "LifecyclePolicyNotFoundException",
                                    no_policy_message(repo))


# ---------------------------------------------------------------------------
# Previews (3.6)

class PreviewTest(LifecycleHelpers, EcrdTestCase):

    def test_preview_needs_a_policy_or_a_text(self):
        repo = self.make_repo()
        with self.assertRaises(Exception) as cm:
            self.ecr().start_lifecycle_policy_preview(repositoryName=repo)
        self.assertClientError(cm, "LifecyclePolicyNotFoundException",
                               no_policy_message(repo))
        with self.assertRaises(Exception) as cm:
            self.ecr().get_lifecycle_policy_preview(repositoryName=repo)
        self.assertClientError(
            cm, "LifecyclePolicyPreviewNotFoundException",
            "Lifecycle policy preview does not exist for the repository "
            "with name '%s' in the registry with id '%s'"
            % (repo, DEFAULT_ACCOUNT))

    def test_results_summary_and_verbatim_text(self):
        repo = self.make_repo()
        old = [self.push(repo, "old-%d" % i) for i in range(3)]
        kept = self.push(repo, "new")
        v = [self.push(repo, "v%d" % i, ["v%d" % i]) for i in range(4)]
        text = json.dumps({"rules": [
            rule(2, count_more(1, "tagged", tagPrefixList=["v"])),
            rule(1, count_more(1, "untagged"))]}, indent=2)
        ecr = self.ecr()
        start = ecr.start_lifecycle_policy_preview(
            repositoryName=repo, lifecyclePolicyText=text)
        self.assertEqual(start, {**start, "registryId": DEFAULT_ACCOUNT,
                                 "repositoryName": repo,
                                 "lifecyclePolicyText": text,
                                 "status": "IN_PROGRESS"})
        # Computed at once: the waiter's first poll succeeds.
        ecr.get_waiter("lifecycle_policy_preview_complete").wait(
            repositoryName=repo, WaiterConfig={"Delay": 1, "MaxAttempts": 2})
        first, results = self.preview(repo)
        self.assertEqual(first["status"], "COMPLETE")
        self.assertEqual(first["lifecyclePolicyText"], text)
        self.assertEqual(first["summary"], {"expiringImageTotalCount": 6})
        # Oldest first (3.6 step 6).
        self.assertEqual([r["imageDigest"] for r in results],
                         old + v[:3])
        self.assertNotIn(kept, [r["imageDigest"] for r in results])
        details = self.images(repo)
        for r in results:
            prio = 1 if r["imageDigest"] in old else 2
            want = {"imageDigest": r["imageDigest"],
                    "imagePushedAt": details[r["imageDigest"]][
                        "imagePushedAt"],
                    "action": {"type": "EXPIRE"},
                    "appliedRulePriority": prio,
                    "storageClass": "STANDARD"}
            if prio == 2:
                want["imageTags"] = details[r["imageDigest"]]["imageTags"]
            self.assertEqual(r, want)
        # Nothing happened to the images.
        self.assertEqual(len(details), 8)

    def test_paging_filter_and_image_ids(self):
        repo = self.make_repo()
        untagged = [self.push(repo, "u%d" % i) for i in range(5)]
        tagged = [self.push(repo, "t%d" % i, ["t%d" % i, "x%d" % i])
                  for i in range(4)]
        # Untagged: all but the newest; any: all but the newest of the 9
        # (t3); the untagged ones rule 1 matched count, but stay rule 1's.
        self.ecr().start_lifecycle_policy_preview(
            repositoryName=repo, lifecyclePolicyText=policy(
                rule(1, count_more(1, "untagged")),
                rule(2, count_more(1))))
        untagged, tagged = untagged[:4], tagged[:3]
        ecr = self.ecr()
        page = ecr.get_lifecycle_policy_preview(repositoryName=repo,
                                                maxResults=4)
        self.assertEqual(len(page["previewResults"]), 4)
        self.assertEqual(page["summary"]["expiringImageTotalCount"], 7)
        seen = [r["imageDigest"] for r in page["previewResults"]]
        while "nextToken" in page:
            page = ecr.get_lifecycle_policy_preview(
                repositoryName=repo, maxResults=4,
                nextToken=page["nextToken"])
            self.assertEqual(page["summary"]["expiringImageTotalCount"], 7)
            seen += [r["imageDigest"] for r in page["previewResults"]]
        self.assertEqual(seen, untagged + tagged)
        _, only_tagged = self.preview(repo, filter={"tagStatus": "TAGGED"},
                                      PaginationConfig={"PageSize": 3})
        self.assertEqual([r["imageDigest"] for r in only_tagged], tagged)
        _, only_untagged = self.preview(repo,
                                        filter={"tagStatus": "UNTAGGED"})
        self.assertEqual([r["imageDigest"] for r in only_untagged],
                         untagged)
        by_ids = ecr.get_lifecycle_policy_preview(
            repositoryName=repo, imageIds=[{"imageTag": "x2"},
                                           {"imageDigest": untagged[1]},
                                           {"imageTag": "nothing"}])
        self.assertEqual([r["imageDigest"] for r in
                          by_ids["previewResults"]],
                         [untagged[1], tagged[2]])
        with self.assertRaises(Exception) as cm:
            ecr.get_lifecycle_policy_preview(
                repositoryName=repo, maxResults=2,
                imageIds=[{"imageTag": "x2"}])
        self.assertClientError(cm, "InvalidParameterException")
        with self.assertRaises(Exception) as cm:
            ecr.get_lifecycle_policy_preview(repositoryName=repo,
                                             nextToken="garbage")
        self.assertClientError(cm, "InvalidParameterException")
        r = self.api("GetLifecyclePolicyPreview",
                     {"repositoryName": repo, "maxResults": 101})
        self.assertAwsError(r, 400, "InvalidParameterException")

    def test_transition_results_and_stored_policy(self):
        repo = self.make_repo()
        old = [self.push(repo, "o%d" % i, ["o%d" % i]) for i in range(2)]
        self.advance(3 * DAY_S)
        new = self.push(repo, "n", ["n"])
        ecr = self.ecr()
        stored = ecr.put_lifecycle_policy(
            repositoryName=repo, lifecyclePolicyText=policy(rule(
                1, since("sinceImagePushed", 2), ARCHIVE)))[
                    "lifecyclePolicyText"]
        # No text: the stored (canonical) policy, echoed as stored.
        start = ecr.start_lifecycle_policy_preview(repositoryName=repo)
        self.assertEqual(start["lifecyclePolicyText"], stored)
        first, results = self.preview(repo)
        self.assertEqual(first["summary"], {
            "expiringImageTotalCount": 0,
            "transitioningImageTotalCounts": [
                {"targetStorageClass": "ARCHIVE", "imageTotalCount": 2}]})
        self.assertEqual([r["imageDigest"] for r in results], old)
        for r in results:
            self.assertEqual(r["action"], {"type": "TRANSITION",
                                           "targetStorageClass": "ARCHIVE"})
            self.assertEqual(r["storageClass"], "STANDARD")
        self.assertNotIn(new, [r["imageDigest"] for r in results])

    def test_a_new_preview_replaces_the_last(self):
        repo = self.make_repo()
        digests = [self.push(repo, "r%d" % i) for i in range(3)]
        ecr = self.ecr()
        ecr.start_lifecycle_policy_preview(
            repositoryName=repo, lifecyclePolicyText=policy(rule(
                1, count_more(1))))
        page = ecr.get_lifecycle_policy_preview(repositoryName=repo,
                                                maxResults=1)
        ecr.start_lifecycle_policy_preview(
            repositoryName=repo, lifecyclePolicyText=policy(rule(
                1, count_more(2))))
        _, results = self.preview(repo)
        self.assertEqual([r["imageDigest"] for r in results], digests[:1])
        # The old preview's page token is refused.
        with self.assertRaises(Exception) as cm:
            ecr.get_lifecycle_policy_preview(repositoryName=repo,
                                             nextToken=page["nextToken"])
        self.assertClientError(cm, "InvalidParameterException")

    def test_cli_preview(self):
        repo = self.make_repo()
        digests = [self.push(repo, "c%d" % i) for i in range(3)]
        text = policy(rule(1, count_more(1)))
        for major in (1, 2):
            with self.subTest(cli=major):
                out = self.assertCliOk(self.cli(
                    major, "ecr", "start-lifecycle-policy-preview",
                    "--repository-name", repo,
                    "--lifecycle-policy-text", text))
                self.assertEqual(out["lifecyclePolicyText"], text)
                self.assertCliOk(self.cli(
                    major, "ecr", "wait",
                    "lifecycle-policy-preview-complete",
                    "--repository-name", repo))
                got = self.assertCliOk(self.cli(
                    major, "ecr", "get-lifecycle-policy-preview",
                    "--repository-name", repo))
                self.assertEqual(got["status"], "COMPLETE")
                self.assertEqual([r["imageDigest"]
                                  for r in got["previewResults"]],
                                 digests[:2])


# ---------------------------------------------------------------------------
# Runs: the admin endpoint, the scheduler, ECR's worked examples (3.6)

class RunTest(LifecycleHelpers, EcrdTestCase):

    def put_policy(self, repo, text):
        self.ecr().put_lifecycle_policy(repositoryName=repo,
                                        lifecyclePolicyText=text)

    def test_preview_and_run_agree(self):
        repo = self.make_repo()
        for i in range(4):
            self.push(repo, "prod%d" % i, ["prod-%d" % i])
        for i in range(3):
            self.push(repo, "rc%d" % i, ["1.%d-rc1" % i])
        for i in range(4):
            self.push(repo, "u%d" % i)
        for i in range(5):
            self.push(repo, "f%d" % i, ["feature-%d" % i, "f%d" % i])
        self.advance(2 * DAY_S)
        self.push(repo, "fresh-rc", ["2.0-rc1"])
        self.put_policy(repo, policy(
            rule(1, count_more(2, "tagged", tagPrefixList=["prod"])),
            rule(2, since("sinceImagePushed", 1, "tagged",
                          tagPatternList=["*-rc*"]), ARCHIVE),
            rule(3, count_more(1, "untagged")),
            rule(4, count_more(3))))
        self.ecr().start_lifecycle_policy_preview(repositoryName=repo)
        first, results = self.preview(repo)
        expire = {r["imageDigest"] for r in results
                  if r["action"]["type"] == "EXPIRE"}
        archive = {r["imageDigest"] for r in results
                   if r["action"]["type"] == "TRANSITION"}
        before = self.images(repo)
        # prod: 2 of 4; rc: the 3 older than a day; untagged: 3 of 4; any,
        # keeping the 3 newest of all 17: f2, f1 and f0.
        self.assertEqual((len(expire), len(archive)), (2 + 3 + 3, 3))
        body = self.run_ok(repo)
        self.assertEqual(body, {"expired": len(expire),
                                "transitioned": len(archive)})
        self.assertEqual(first["summary"]["expiringImageTotalCount"],
                         body["expired"])
        after = self.images(repo)
        self.assertEqual(set(before) - set(after), expire)
        self.assertEqual({d for d, x in after.items()
                          if x["imageStatus"] == "ARCHIVED"}, archive)
        for d in archive:
            self.assertIn("lastArchivedAt", after[d])
        # A second run finds nothing more to do, and previews agree.
        self.assertEqual(self.run_ok(repo),
                         {"expired": 0, "transitioned": 0})
        self.ecr().start_lifecycle_policy_preview(repositoryName=repo)
        self.assertEqual(self.preview(repo)[1], [])

    def worked_example(self, prod_first):
        """AWS's example (3.6): A(beta-1,prod-1) oldest, then B(beta-2,
        prod-2), then C(beta-3); keep one prod and one beta."""
        repo = self.make_repo()
        a = self.push(repo, "A", ["beta-1", "prod-1"])
        b = self.push(repo, "B", ["beta-2", "prod-2"])
        c = self.push(repo, "C", ["beta-3"])
        prod = count_more(1, "tagged", tagPrefixList=["prod"])
        beta = count_more(1, "tagged", tagPrefixList=["beta"])
        text = policy(rule(1, prod), rule(2, beta)) if prod_first else \
            policy(rule(1, beta), rule(2, prod))
        with tempfile.NamedTemporaryFile("w", suffix=".json",
                                         delete=False) as f:
            f.write(text)
        self.addCleanup(os.unlink, f.name)
        res = self.cli(1, "ecr", "put-lifecycle-policy", "--repository-name",
                       repo, "--lifecycle-policy-text", "file://" + f.name)
        self.assertCliOk(res)
        return repo, a, b, c

    def remaining_via_cli(self, repo):
        out = self.assertCliOk(self.cli(1, "ecr", "describe-images",
                                        "--repository-name", repo))
        return {d["imageDigest"] for d in out["imageDetails"]}

    def test_worked_example_prod_first_expires_only_a(self):
        repo, a, b, c = self.worked_example(prod_first=True)
        self.assertEqual(self.run_ok(repo), {"expired": 1,
                                             "transitioned": 0})
        self.assertEqual(self.remaining_via_cli(repo), {b, c})

    def test_worked_example_beta_first_expires_a_and_b(self):
        repo, a, b, c = self.worked_example(prod_first=False)
        self.assertEqual(self.run_ok(repo), {"expired": 2,
                                             "transitioned": 0})
        self.assertEqual(self.remaining_via_cli(repo), {c})
        self.assertEqual(set(self.images(repo)), {c})

    def test_manifest_list_children_stay(self):
        repo = self.make_repo()
        ecr = self.ecr()
        children = [synthetic("%s/child-%d" % (repo, i)) for i in range(2)]
        descs = []
        for text in children:
            d = ecr.put_image(repositoryName=repo, imageManifest=text)[
                "image"]["imageId"]["imageDigest"]
            descs.append({"mediaType": MEDIA_DOCKER_MANIFEST,
                          "size": len(text.encode()), "digest": d,
                          "platform": {"architecture": "amd64",
                                       "os": "linux"}})
        index = manifest_json({"schemaVersion": 2,
                               "mediaType": MEDIA_DOCKER_LIST,
                               "manifests": descs}).decode()
        ecr.put_image(repositoryName=repo, imageManifest=index,
                      imageTag="multi")
        lonely = self.push(repo, "lonely")
        self.advance(2 * DAY_S)
        self.put_policy(repo, policy(rule(1, since("sinceImagePushed", 1,
                                                   "untagged"))))
        ecr.start_lifecycle_policy_preview(repositoryName=repo)
        self.assertEqual([r["imageDigest"] for r in self.preview(repo)[1]],
                         [lonely])
        self.assertEqual(self.run_ok(repo), {"expired": 1,
                                             "transitioned": 0})
        self.assertEqual(len(self.images(repo)), 3)

    def test_last_evaluated_at_follows_a_run(self):
        repo = self.make_repo()
        self.put_policy(repo, policy(rule(1, count_more(5))))
        self.assertEqual(epoch(self.ecr().get_lifecycle_policy(
            repositoryName=repo)["lastEvaluatedAt"]), 0.0)
        now = self.advance(0)["now"]
        self.assertEqual(self.run_ok(repo), {"expired": 0,
                                             "transitioned": 0})
        got = self.ecr().get_lifecycle_policy(repositoryName=repo)
        self.assertGreaterEqual(epoch(got["lastEvaluatedAt"]), now)
        self.assertLess(epoch(got["lastEvaluatedAt"]), now + 60)
        out = self.assertCliOk(self.cli(1, "ecr", "get-lifecycle-policy",
                                        "--repository-name", repo))
        self.assertEqual(epoch(out["lastEvaluatedAt"]),
                         epoch(got["lastEvaluatedAt"]))

    def test_admin_endpoint_errors_and_scopes(self):
        missing = unique_name("lcy-missing")
        r = self.run_lifecycle(missing)
        self.assertAwsError(r, 400, "RepositoryNotFoundException",
                            not_found_message(missing))
        repo = self.make_repo()
        r = self.run_lifecycle(repo)
        self.assertAwsError(r, 400, "LifecyclePolicyNotFoundException",
                            no_policy_message(repo))
        digests = [self.push(repo, "s%d" % i) for i in range(3)]
        self.put_policy(repo, policy(rule(1, count_more(1))))
        # The account's partition, then every repository.
        r = self.run_lifecycle(registryId=DEFAULT_ACCOUNT,
                               region=harness.REGION)
        self.assertEqual(r.status, 200, r)
        self.assertGreaterEqual(r.json()["expired"], 2)
        self.assertEqual(set(self.images(repo)), {digests[2]})
        self.assertEqual(self.run_ok(), {"expired": 0, "transitioned": 0})
        r = self.http("POST", "/_ecrd/clock?advance_seconds=soon")
        self.assertAwsError(r, 400, "InvalidParameterException")

    def test_other_requests_are_answered_during_a_run(self):
        repo = self.make_repo()
        for i in range(30):
            self.push(repo, "busy%d" % i)
        self.put_policy(repo, policy(rule(1, count_more(1))))
        self.assertEqual(self.run_ok(repo)["expired"], 29)
        self.assertHealthy()


class ReferrersGoWithTheirSubjectTest(LifecycleHelpers, EcrdTestCase):

    def test_expiring_an_image_expires_its_referrers_too(self):
        # 3.6 step 5: reference artifacts of a deleted subject go as well
        # (ECR within 24 h; ecrd at once), and theirs with them.
        repo = self.make_repo()
        old = self.push(repo, "old", tags=("old-1",))
        keep = self.push(repo, "keep", tags=("old-2",))
        ecr = self.ecr()

        def referrer(seed, subject):
            text = json.dumps({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "artifactType": "application/vnd.example.sig",
                "config": {"mediaType": "application/vnd.oci.empty.v1+json",
                           "size": 2, "digest": sha256_digest(b"{}")},
                "layers": [],
                "subject": {"mediaType": MEDIA_DOCKER_MANIFEST,
                            "size": 1, "digest": subject},
                "annotations": {"seed": seed}})
            return ecr.put_image(repositoryName=repo, imageManifest=text)[
                "image"]["imageId"]["imageDigest"]

        sig = referrer("sig-of-old", old)
        sig_of_sig = referrer("sig-of-sig", sig)
        sig_keep = referrer("sig-of-keep", keep)
        ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=(
            policy(rule(1, count_more(1, "tagged",
                                      tagPrefixList=["old-"])))))
        self.assertEqual(self.run_ok(repo)["expired"], 1)
        left = set(self.images(repo))
        self.assertEqual(left, {keep, sig_keep})
        self.assertNotIn(sig_of_sig, left)


class ClockTest(LifecycleHelpers, EcrdTestCase):
    """Age rules against the emulator's clock (3.6, 3.14)."""

    def test_since_image_pushed_follows_the_clock(self):
        repo = self.make_repo()
        old = [self.push(repo, "a%d" % i) for i in range(2)]
        self.ecr().put_lifecycle_policy(
            repositoryName=repo, lifecyclePolicyText=policy(
                rule(1, since("sinceImagePushed", 3))))
        self.assertEqual(self.run_ok(repo)["expired"], 0)
        self.advance(2 * DAY_S)
        young = self.push(repo, "young")
        self.assertEqual(self.run_ok(repo)["expired"], 0)
        self.advance(DAY_S + 60)
        self.assertEqual(self.run_ok(repo)["expired"], 2)
        self.assertEqual(set(self.images(repo)), {young})
        self.assertNotIn(old[0], self.images(repo))

    def test_transition_then_expire_after_ninety_days(self):
        repo = self.make_repo()
        digests = [self.push(repo, "t%d" % i, ["t%d" % i]) for i in range(3)]
        self.ecr().put_lifecycle_policy(
            repositoryName=repo, lifecyclePolicyText=policy(
                rule(1, since("sinceImagePushed", 1), ARCHIVE),
                rule(2, since("sinceImageTransitioned", 90,
                              storageClass="archive"))))
        self.advance(DAY_S + 60)
        self.assertEqual(self.run_ok(repo), {"expired": 0,
                                             "transitioned": 3})
        statuses = {d: x["imageStatus"] for d, x in self.images(repo).items()}
        self.assertEqual(statuses, {d: "ARCHIVED" for d in digests})
        self.advance(89 * DAY_S)
        self.assertEqual(self.run_ok(repo), {"expired": 0,
                                             "transitioned": 0})
        self.advance(DAY_S + 60)
        self.ecr().start_lifecycle_policy_preview(repositoryName=repo)
        _, results = self.preview(repo)
        self.assertEqual([(r["imageDigest"], r["storageClass"],
                           r["appliedRulePriority"]) for r in results],
                         [(d, "ARCHIVE", 2) for d in digests])
        self.assertEqual(self.run_ok(repo), {"expired": 3,
                                             "transitioned": 0})
        self.assertEqual(self.images(repo), {})


class StrictClockTest(LifecycleHelpers, EcrdTestCase):
    """The emulator's clock moves push times and lifecycle ages, never the
    time SigV4 signatures are checked against (strict mode)."""

    KEY = "AKIALIFECYCLECLOCK01"
    SECRET = "lifecycle/clock+secret"

    principals = [{
        "accessKeyId": KEY, "secretAccessKey": SECRET,
        "arn": "arn:aws:iam::111111111111:user/lcy",
        "policies": [{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}]}]
    # POST /_ecrd/clock is served in strict mode on request (issue 11).
    server_args = SERVER_ARGS + ("--clock-offset", str(10 * DAY_S),
                                 "--admin-endpoints")

    def test_signed_requests_work_with_the_clock_ahead(self):
        ecr = self.ecr(key=self.KEY, secret=self.SECRET)
        repo = unique_name("lcy-strict")
        ecr.create_repository(repositoryName=repo)
        self.advance(30 * DAY_S)
        text = synthetic(repo)
        pushed = ecr.put_image(repositoryName=repo, imageManifest=text)[
            "image"]["imageId"]["imageDigest"]
        detail = ecr.describe_images(repositoryName=repo)["imageDetails"][0]
        self.assertEqual(detail["imageDigest"], pushed)
        # Pushed on the emulator's clock: 40 days ahead of the real one.
        ahead = epoch(detail["imagePushedAt"]) - time.time()
        self.assertGreater(ahead, 39 * DAY_S)
        self.assertLess(ahead, 41 * DAY_S)


class SchedulerTest(LifecycleHelpers, EcrdTestCase):
    server_args = ("--relax-references", "--lifecycle-interval", "1")

    def test_policies_run_on_their_own(self):
        repo = self.make_repo()
        keep = None
        for i in range(3):
            keep = self.push(repo, "sched%d" % i)
        self.ecr().put_lifecycle_policy(
            repositoryName=repo, lifecyclePolicyText=policy(
                rule(1, count_more(1))))
        poll(lambda: set(self.images(repo)) == {keep}, SCHEDULE_TIMEOUT_S,
             "the scheduled run to expire two images")
        poll(lambda: epoch(self.ecr().get_lifecycle_policy(
            repositoryName=repo)["lastEvaluatedAt"]) > 0,
            SCHEDULE_TIMEOUT_S, "lastEvaluatedAt")


# ---------------------------------------------------------------------------
# Restarts (STYLE.md 9): policies, previews and runs are durable

class RestartTest(LifecycleHelpers, EcrdTestCase):

    @classmethod
    def setUpClass(cls):
        if not harness.have_binary():
            raise unittest.SkipTest("needs its own ecrd processes")
        cls._clients = {}
        cls.server = None

    @classmethod
    def tearDownClass(cls):
        pass

    def start(self, data_dir):
        s = Server(*SERVER_ARGS, data_dir=data_dir)
        self.addCleanup(s.cleanup)
        s.start()
        self.server = s
        return s

    def test_restart_mid_way_loses_nothing(self):
        data_dir = tempfile.mkdtemp(prefix="e2e-lcy-")
        self.addCleanup(shutil.rmtree, data_dir, True)
        self.start(data_dir)
        repo = self.make_repo()
        digests = [self.push(repo, "p%d" % i, ["p%d" % i]) for i in range(4)]
        text = policy(rule(1, count_more(1)))
        stored = self.ecr().put_lifecycle_policy(
            repositoryName=repo, lifecyclePolicyText=text)[
                "lifecyclePolicyText"]
        self.ecr().start_lifecycle_policy_preview(repositoryName=repo)
        before = self.preview(repo)
        self.server.stop()

        self.start(data_dir)
        got = self.ecr().get_lifecycle_policy(repositoryName=repo)
        self.assertEqual(got["lifecyclePolicyText"], stored)
        self.assertEqual(epoch(got["lastEvaluatedAt"]), 0.0)
        self.assertEqual(self.preview(repo), before)
        self.assertEqual(self.run_ok(repo), {"expired": 3,
                                             "transitioned": 0})
        evaluated = self.ecr().get_lifecycle_policy(
            repositoryName=repo)["lastEvaluatedAt"]
        # SIGKILL: what the run answered was durable already.
        self.server.proc.send_signal(signal.SIGKILL)
        self.server.proc.wait()

        self.start(data_dir)
        self.assertEqual(set(self.images(repo)), {digests[3]})
        got = self.ecr().get_lifecycle_policy(repositoryName=repo)
        self.assertEqual(epoch(got["lastEvaluatedAt"]), epoch(evaluated))
        self.assertEqual(self.preview(repo), before)
        self.server.stop()


if __name__ == "__main__":
    unittest.main()
