"""Pull-time update exclusions and archive restores (issue 16).

Exclusions (docs/ecr-behaviour.md 3.13): the three operations as ECR
answers them, and their effect: a pull by an excluded principal, known
from its SigV4 credentials (BatchGetImage) or its registry token (a
registry GET), leaves lastRecordedPullTime alone. Archive restores (3.14):
STANDARD makes an archived image ACTIVATING, not pullable until the
restore ends --archive-restore-seconds later (the clock moved on through
/_ecrd/clock, so nothing here waits on real time).
"""

import unittest

import harness
from harness import (EcrdTestCase, OwnServersTestCase, basic_auth,
                     build_image, decode_token, http_request, poll,
                     push_image, registry_request, unique_name)

PULL_RECORD_TIMEOUT_S = 15.0   # lastRecordedPullTime lags a pull (~1 s)
RESTORE_TIMEOUT_S = 15.0       # the server ends due restores each second

ADMIN = [{"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}]
ACCOUNT = "111111111111"
ALICE = {"accessKeyId": "AKIAEXCLALICE0000001",
         "secretAccessKey": "alice-excl-secret",
         "arn": "arn:aws:iam::%s:user/ci" % ACCOUNT, "policies": ADMIN}
ROBOT = {"accessKeyId": "AKIAEXCLROBOT0000002",
         "secretAccessKey": "robot-excl-secret",
         "arn": "arn:aws:iam::%s:role/scanner" % ACCOUNT,
         "policies": ADMIN}


class ExclusionTest(EcrdTestCase):

    principals = [ALICE, ROBOT]

    def as_(self, p):
        return self.ecr(key=p["accessKeyId"], secret=p["secretAccessKey"])

    def listed(self, page_size=None):
        """Every exclusion, page by page (boto3 has no paginator)."""
        c, arns, kw = self.as_(ALICE), [], {}
        if page_size:
            kw["maxResults"] = page_size
        for _ in range(200):
            page = c.list_pull_time_update_exclusions(**kw)
            arns += page["pullTimeUpdateExclusions"]
            if "nextToken" not in page:
                return arns
            kw["nextToken"] = page["nextToken"]
        raise AssertionError("the pages never end")

    def setUp(self):
        # Each test starts from an empty list (the server is shared).
        for arn in self.listed():
            self.as_(ALICE).deregister_pull_time_update_exclusion(
                principalArn=arn)

    def assertError(self, fn, code, message=None, **kw):
        with self.assertRaises(Exception) as cm:
            fn(**kw)
        self.assertClientError(cm, code, message)

    def test_register_list_deregister(self):
        c = self.as_(ALICE)
        out = c.register_pull_time_update_exclusion(principalArn=ROBOT["arn"])
        self.assertEqual(set(out) - {"ResponseMetadata"},
                         {"principalArn", "createdAt"})
        self.assertEqual(out["principalArn"], ROBOT["arn"])
        self.assertError(c.register_pull_time_update_exclusion,
                         "ExclusionAlreadyExistsException",
                         principalArn=ROBOT["arn"])
        extra = ["arn:aws:iam::%s:user/u%d" % (ACCOUNT, i)
                 for i in range(4)]
        for arn in extra:
            c.register_pull_time_update_exclusion(principalArn=arn)
        page = c.list_pull_time_update_exclusions(maxResults=2)
        self.assertEqual(page["pullTimeUpdateExclusions"],
                         [ROBOT["arn"], extra[0]])
        self.assertIn("nextToken", page)
        self.assertEqual(self.listed(2), [ROBOT["arn"]] + extra)
        out = c.deregister_pull_time_update_exclusion(principalArn=extra[1])
        self.assertEqual(out["principalArn"], extra[1])
        self.assertError(c.deregister_pull_time_update_exclusion,
                         "ExclusionNotFoundException",
                         principalArn=extra[1])
        listed = c.list_pull_time_update_exclusions()[
            "pullTimeUpdateExclusions"]
        self.assertNotIn(extra[1], listed)
        self.assertNotIn("nextToken", c.list_pull_time_update_exclusions())

    def test_bad_input(self):
        for arn in ("arn:aws:iam::%s:root" % ACCOUNT, "not-an-arn",
                    "arn:aws:iam::1234:user/short-account"):
            with self.subTest(arn=arn):
                self.assertError(
                    self.as_(ALICE).register_pull_time_update_exclusion,
                    "ValidationException", principalArn=arn)
        self.assertError(self.as_(ALICE).list_pull_time_update_exclusions,
                         "InvalidParameterException", nextToken="forged")

    def test_limit_of_100(self):
        c = self.as_(ALICE)
        for i in range(100):
            c.register_pull_time_update_exclusion(
                principalArn="arn:aws:iam::%s:role/r%03d" % (ACCOUNT, i))
        self.assertError(c.register_pull_time_update_exclusion,
                         "LimitExceededException",
                         principalArn=ROBOT["arn"])

    # -- the effect on lastRecordedPullTime --------------------------------

    def pull_time(self, repo, digest):
        d = self.as_(ALICE).describe_images(
            repositoryName=repo, imageIds=[{"imageDigest": digest}])
        return d["imageDetails"][0].get("lastRecordedPullTime")

    def wait_recorded(self, repo, digest):
        return poll(lambda: self.pull_time(repo, digest),
                    PULL_RECORD_TIMEOUT_S, "lastRecordedPullTime")

    def registry_get(self, p, repo, digest):
        data = self.as_(p).get_authorization_token()["authorizationData"][0]
        _, password = decode_token(data["authorizationToken"])
        r = registry_request(
            self.server.host, self.server.port, "GET",
            "/v2/%s/manifests/%s" % (repo, digest),
            headers={"Authorization": basic_auth("AWS", password),
                     "Accept": "application/vnd.docker.distribution."
                               "manifest.v2+json"})
        self.assertEqual(r.status, 200, r)

    def batch_get(self, p, repo, digest):
        out = self.as_(p).batch_get_image(
            repositoryName=repo, imageIds=[{"imageDigest": digest}])
        self.assertEqual(len(out["images"]), 1, out)

    def test_excluded_pulls_leave_the_pull_time(self):
        c = self.as_(ALICE)
        repo = unique_name("excl")
        c.create_repository(repositoryName=repo)
        images = [build_image("excl-%s-%d" % (repo, i)) for i in range(4)]
        for i, img in enumerate(images):
            push_image(c, repo, img, "t%d" % i)
        c.register_pull_time_update_exclusion(principalArn=ROBOT["arn"])
        excluded, witness = images[0].digest, images[1].digest
        for pull in (self.batch_get, self.registry_get):
            with self.subTest(pull=pull.__name__):
                pull(ROBOT, repo, excluded)
                # Alice's pull is noted after Robot's: once hers shows,
                # Robot's would have been written too.
                pull(ALICE, repo, witness)
                self.wait_recorded(repo, witness)
                self.assertIsNone(self.pull_time(repo, excluded))
        # Deregistered, Robot's pulls count again, both ways.
        c.deregister_pull_time_update_exclusion(principalArn=ROBOT["arn"])
        self.batch_get(ROBOT, repo, images[2].digest)
        self.wait_recorded(repo, images[2].digest)
        self.registry_get(ROBOT, repo, images[3].digest)
        self.wait_recorded(repo, images[3].digest)


class ArchiveRestoreTest(OwnServersTestCase):

    RESTORE_S = 600

    def advance(self, server, seconds):
        r = http_request(server.host, server.port, "POST",
                         "/_ecrd/clock?advance_seconds=%d" % seconds)
        self.assertEqual(r.status, 200, r)

    def status(self, c, repo, digest):
        d = c.describe_images(repositoryName=repo,
                              imageIds=[{"imageDigest": digest}])
        return d["imageDetails"][0]

    def manifest_status(self, server, repo, digest):
        password, _ = harness.mint_registry_password(server, 3600)
        return registry_request(
            server.host, server.port, "GET",
            "/v2/%s/manifests/%s" % (repo, digest),
            headers={"Authorization": basic_auth("AWS", password),
                     "Accept": "application/vnd.docker.distribution."
                               "manifest.v2+json"}).status

    def test_restore_takes_the_configured_time(self):
        s = self.start("--archive-restore-seconds", str(self.RESTORE_S))
        c = self.ecr(server=s)
        repo = unique_name("arch")
        c.create_repository(repositoryName=repo)
        img = build_image("archive-restore-" + repo)
        push_image(c, repo, img, "v1")
        out = c.update_image_storage_class(
            repositoryName=repo, imageId={"imageDigest": img.digest},
            targetStorageClass="ARCHIVE")
        self.assertEqual(out["imageStatus"], "ARCHIVED")
        out = c.update_image_storage_class(
            repositoryName=repo, imageId={"imageDigest": img.digest},
            targetStorageClass="STANDARD")
        self.assertEqual(out["imageStatus"], "ACTIVATING")
        # Asked again while restoring: still ACTIVATING.
        out = c.update_image_storage_class(
            repositoryName=repo, imageId={"imageTag": "v1"},
            targetStorageClass="STANDARD")
        self.assertEqual(out["imageStatus"], "ACTIVATING")
        d = self.status(c, repo, img.digest)
        self.assertEqual(d["imageStatus"], "ACTIVATING")
        self.assertNotIn("lastActivatedAt", d)
        # Listed under ACTIVATING (and ANY), not under the default ACTIVE.
        self.assertEqual(c.list_images(repositoryName=repo)["imageIds"], [])
        self.assertEqual(
            [i["imageDigest"] for i in c.list_images(
                repositoryName=repo,
                filter={"imageStatus": "ACTIVATING"})["imageIds"]],
            [img.digest])
        # Not pullable yet, through either protocol.
        got = c.batch_get_image(repositoryName=repo,
                                imageIds=[{"imageTag": "v1"}])
        self.assertEqual(got["images"], [])
        self.assertEqual(len(got["failures"]), 1)
        self.assertEqual(self.manifest_status(s, repo, img.digest), 404)
        # Once the clock passes the restore's end it is ACTIVE.
        self.advance(s, self.RESTORE_S + 1)
        poll(lambda: self.status(c, repo, img.digest)["imageStatus"]
             == "ACTIVE", RESTORE_TIMEOUT_S, "the restore to end")
        d = self.status(c, repo, img.digest)
        self.assertIn("lastActivatedAt", d)
        self.assertEqual(self.manifest_status(s, repo, img.digest), 200)
        got = c.batch_get_image(repositoryName=repo,
                                imageIds=[{"imageTag": "v1"}])
        self.assertEqual(len(got["images"]), 1, got)

    def test_restore_survives_a_restart_and_re_push_is_at_once(self):
        data = self.tmp + "/data"
        s = self.start("--archive-restore-seconds", str(self.RESTORE_S),
                       data_dir=data)
        c = self.ecr(server=s)
        repo = unique_name("arch")
        c.create_repository(repositoryName=repo)
        a, b = build_image("arch-a-" + repo), build_image("arch-b-" + repo)
        push_image(c, repo, a, "a")
        push_image(c, repo, b, "b")
        for img in (a, b):
            c.update_image_storage_class(
                repositoryName=repo, imageId={"imageDigest": img.digest},
                targetStorageClass="ARCHIVE")
            c.update_image_storage_class(
                repositoryName=repo, imageId={"imageDigest": img.digest},
                targetStorageClass="STANDARD")
        # Re-pushing b restores it at once.
        c.put_image(repositoryName=repo, imageManifest=b.text,
                    imageTag="b2")
        self.assertEqual(self.status(c, repo, b.digest)["imageStatus"],
                         "ACTIVE")
        s.stop()
        s = self.start("--archive-restore-seconds", str(self.RESTORE_S),
                       data_dir=data)
        c = self.ecr(server=s)
        self.assertEqual(self.status(c, repo, a.digest)["imageStatus"],
                         "ACTIVATING")
        self.advance(s, self.RESTORE_S + 1)
        poll(lambda: self.status(c, repo, a.digest)["imageStatus"]
             == "ACTIVE", RESTORE_TIMEOUT_S, "the restore to end")


if __name__ == "__main__":
    unittest.main()
