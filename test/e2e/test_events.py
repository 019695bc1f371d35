"""EventBridge events (issue 17, docs/observability.md "Events").

A server with --events-file writes one JSON line per event, in
EventBridge's envelope (version, id, detail-type, source, account, time,
region, resources, detail) with ECR's detail fields, after the commit that
made it true and in commit order: "ECR Image Action" PUSH (PutImage,
skopeo), DELETE (one per image id BatchDeleteImage removes),
UPDATE_STORAGE_CLASS (archive, and a restore once it has ended), "ECR
Referrer Action" for a referrer's push (and a managed signature's), "ECR Image Scan" (basic) and
Inspector's "Inspector2 Scan" (enhanced), "ECR Pull Through Cache Action"
for a first pull from a local upstream (and FAILED for a missing tag),
"ECR Replication Action" in the destination's account and region, "ECR
Scan Resource Change" for enhanced scanning's coverage (a frequency
change, split 100 repositories an event; a covered repository's
creation, an image's push and delete; none under BASIC). A
failed call emits nothing; a burst of concurrent pushes of one tag leaves
its last PUSH event naming the image the tag holds.
"""

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import unittest

import botocore.exceptions

import harness
from harness import (DEFAULT_ACCOUNT, REGION, EcrdTestCase, build_image,
                     build_referrer, fresh_account, poll, push_image,
                     registry_password, repo_arn, unique_name)

UUID_RE = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
FRACTION_TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
ENVELOPE_KEYS = ["version", "id", "detail-type", "source", "account",
                 "time", "region", "resources", "detail"]
POLL_S = 60.0
MEDIA_SBOM = "application/vnd.example.sbom+json"


class EventsCase(EcrdTestCase):
    """A server writing its events to a file of the class's own."""

    extra_args = ()

    @classmethod
    def setUpClass(cls):
        cls.events_dir = tempfile.mkdtemp(prefix="e2e-events-")
        cls.events_path = os.path.join(cls.events_dir, "events.jsonl")
        cls.server_args = ("--events-file", cls.events_path) + \
            tuple(cls.extra_args)
        try:
            super().setUpClass()
        except BaseException:
            shutil.rmtree(cls.events_dir, True)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.events_dir, True)

    def events(self):
        """Every event written so far: whole lines, each one JSON object."""
        if not os.path.exists(self.events_path):
            return []
        with open(self.events_path, "rb") as f:
            data = f.read()
        self.assertTrue(data == b"" or data.endswith(b"\n"), data[-200:])
        return [json.loads(line) for line in data.splitlines()]

    def events_for(self, repo, detail_type=None, account=DEFAULT_ACCOUNT):
        names = (repo, harness.repo_arn(repo, account),
                 harness.repo_arn(repo, account, harness.OTHER_REGION))
        return [e for e in self.events()
                if e["detail"].get("repository-name") in names
                and e["account"] == account
                and (detail_type is None or e["detail-type"] == detail_type)]

    def wait_events(self, repo, n, detail_type=None, account=DEFAULT_ACCOUNT):
        """The repository's events once there are n (and no more)."""
        got = []

        def enough():
            got[:] = self.events_for(repo, detail_type, account)
            return len(got) >= n
        poll(enough, POLL_S, "%d events for %s" % (n, repo))
        self.assertEqual(len(got), n, got)
        return got

    def assertEnvelope(self, ev, detail_type, resources,
                       account=DEFAULT_ACCOUNT, region=REGION,
                       source="aws.ecr"):
        self.assertEqual(list(ev.keys()), ENVELOPE_KEYS)
        self.assertEqual(ev["version"], "0")
        self.assertRegex(ev["id"], UUID_RE)
        self.assertEqual(ev["detail-type"], detail_type)
        self.assertEqual(ev["source"], source)
        self.assertEqual(ev["account"], account)
        self.assertRegex(ev["time"], TIME_RE)
        self.assertEqual(ev["region"], region)
        self.assertEqual(ev["resources"], resources)

    def make_repo(self, client=None):
        repo = unique_name("ev")
        (client or self.ecr()).create_repository(repositoryName=repo)
        return repo


def push_detail(repo, digest, tag=None):
    d = {"action-type": "PUSH", "result": "SUCCESS", "repository-name": repo,
         "image-digest": digest}
    if tag is not None:
        d["image-tag"] = tag
    return d


class ImageActionTest(EventsCase):

    extra_args = ("--archive-restore-seconds", "0")

    def test_put_image_push(self):
        repo = self.make_repo()
        img = build_image("ev-push")
        push_image(self.ecr(), repo, img, tag="v1")
        [ev] = self.wait_events(repo, 1)
        self.assertEnvelope(ev, "ECR Image Action", [])
        self.assertEqual(ev["detail"], push_detail(repo, img.digest, "v1"))
        ids = {e["id"] for e in self.events()}
        self.assertEqual(len(ids), len(self.events()), "ids are unique")

    def test_untagged_push_has_no_tag_and_a_retag_is_a_push(self):
        repo = self.make_repo()
        img = build_image("ev-untagged")
        push_image(self.ecr(), repo, img)
        self.ecr().put_image(repositoryName=repo, imageManifest=img.text,
                             imageTag="later")
        got = self.wait_events(repo, 2)
        self.assertEqual([e["detail"] for e in got], [
            push_detail(repo, img.digest),
            push_detail(repo, img.digest, "later")])

    def test_skopeo_push(self):
        from test_registry import (SKOPEO, LAYER_FILES, Layout, describe,
                                   run_tool)
        repo = self.make_repo()
        tmp = tempfile.mkdtemp(prefix="e2e-events-oci-")
        self.addCleanup(shutil.rmtree, tmp, True)
        layout = Layout(self, os.path.join(tmp, "L"))
        layout.add_image("v1", LAYER_FILES)
        p = run_tool((SKOPEO, "--insecure-policy", "copy",
                      "--dest-tls-verify=false", "--dest-creds",
                      "AWS:" + registry_password(self.ecr()),
                      "oci:%s:v1" % layout.path,
                      "docker://%s/%s:v1" % (self.server.hostport, repo)))
        self.assertEqual(p.returncode, 0, describe(p))
        [ev] = self.wait_events(repo, 1)
        self.assertEnvelope(ev, "ECR Image Action", [])
        digest = layout.ref("v1")["digest"]
        self.assertEqual(ev["detail"], push_detail(repo, digest, "v1"))
        # The same push again changes nothing, and ECR says nothing.
        p = run_tool((SKOPEO, "--insecure-policy", "copy",
                      "--dest-tls-verify=false", "--dest-creds",
                      "AWS:" + registry_password(self.ecr()),
                      "oci:%s:v1" % layout.path,
                      "docker://%s/%s:v1" % (self.server.hostport, repo)))
        self.assertEqual(p.returncode, 0, describe(p))
        got = self.ecr().batch_get_image(
            repositoryName=repo, imageIds=[{"imageTag": "v1"}],
            acceptedMediaTypes=[harness.MEDIA_OCI_MANIFEST,
                                harness.MEDIA_DOCKER_MANIFEST])
        self.assertEqual(got["failures"], [])
        self.ecr().put_image(
            repositoryName=repo, imageTag="v2",
            imageManifest=got["images"][0]["imageManifest"],
            imageManifestMediaType=got["images"][0][
                "imageManifestMediaType"])
        got = self.wait_events(repo, 2)
        self.assertEqual(got[1]["detail"], push_detail(repo, digest, "v2"))

    def test_batch_delete_image_one_event_per_image_id(self):
        c = self.ecr()
        repo = self.make_repo()
        a, b = build_image("ev-del-a"), build_image("ev-del-b")
        push_image(c, repo, a, tag="a1")
        c.put_image(repositoryName=repo, imageManifest=a.text, imageTag="a2")
        push_image(c, repo, b, tag="b1")
        self.wait_events(repo, 3)
        # By digest: the image and both its tags (two image ids); by tag
        # of an image with one tag: the image; a missing one: a failure
        # in the answer, and no event.
        out = c.batch_delete_image(repositoryName=repo, imageIds=[
            {"imageDigest": a.digest}, {"imageTag": "b1"},
            {"imageTag": "nope"}])
        self.assertEqual(len(out["imageIds"]), 3)
        self.assertEqual(len(out["failures"]), 1)
        got = self.wait_events(repo, 6)[3:]
        for ev in got:
            self.assertEnvelope(ev, "ECR Image Action", [])
        self.assertEqual([e["detail"] for e in got], [
            {"action-type": "DELETE", "result": "SUCCESS",
             "repository-name": repo, "image-digest": a.digest,
             "image-tag": "a1"},
            {"action-type": "DELETE", "result": "SUCCESS",
             "repository-name": repo, "image-digest": a.digest,
             "image-tag": "a2"},
            {"action-type": "DELETE", "result": "SUCCESS",
             "repository-name": repo, "image-digest": b.digest,
             "image-tag": "b1"}])

    def test_untag_through_the_registry_api(self):
        c = self.ecr()
        repo = self.make_repo()
        img = build_image("ev-reg-del")
        push_image(c, repo, img, tag="x")
        c.put_image(repositoryName=repo, imageManifest=img.text, imageTag="y")
        self.wait_events(repo, 2)
        auth = "Basic " + base64.b64encode(
            ("AWS:" + registry_password(c)).encode()).decode()
        r = harness.registry_request(
            self.server.host, self.server.port, "DELETE",
            "/v2/%s/manifests/x" % repo, headers={"Authorization": auth})
        self.assertEqual(r.status, 202, r)
        [ev] = self.wait_events(repo, 3)[2:]
        self.assertEqual(ev["detail"], {
            "action-type": "DELETE", "result": "SUCCESS",
            "repository-name": repo, "image-digest": img.digest,
            "image-tag": "x"})

    def test_archive_then_restore(self):
        c = self.ecr()
        repo = self.make_repo()
        img = build_image("ev-archive", oci=True)
        push_image(c, repo, img, tag="cold")
        self.wait_events(repo, 1)
        out = c.update_image_storage_class(
            repositoryName=repo, imageId={"imageTag": "cold"},
            targetStorageClass="ARCHIVE")
        self.assertEqual(out["imageStatus"], "ARCHIVED")
        [archived] = self.wait_events(repo, 2)[1:]
        self.assertEnvelope(archived, "ECR Image Action", [])
        self.assertEqual(archived["detail"], {
            "action-type": "UPDATE_STORAGE_CLASS",
            "target-storage-class": "ARCHIVE", "result": "SUCCESS",
            "repository-name": repo, "image-digest": img.digest,
            "manifest-media-type": harness.MEDIA_OCI_MANIFEST,
            "artifact-media-type": harness.MEDIA_OCI_CONFIG})
        c.update_image_storage_class(
            repositoryName=repo, imageId={"imageTag": "cold"},
            targetStorageClass="STANDARD")
        # The restore's event comes once it has ended (ACTIVE).
        [restored] = self.wait_events(repo, 3)[2:]
        status = c.describe_images(repositoryName=repo)["imageDetails"][0]
        self.assertEqual(status["imageStatus"], "ACTIVE")
        self.assertEnvelope(restored, "ECR Image Action", [])
        last = restored["detail"].pop("last-activated-at")
        self.assertRegex(last, FRACTION_TIME_RE)
        self.assertEqual(restored["detail"], {
            "action-type": "UPDATE_STORAGE_CLASS",
            "target-storage-class": "STANDARD", "result": "SUCCESS",
            "repository-name": repo, "image-digest": img.digest,
            "manifest-media-type": harness.MEDIA_OCI_MANIFEST,
            "artifact-media-type": harness.MEDIA_OCI_CONFIG})

    def test_referrer_push(self):
        c = self.ecr()
        repo = self.make_repo()
        subject = build_image("ev-subject", oci=True)
        push_image(c, repo, subject, tag="app")
        sbom = build_referrer(subject, MEDIA_SBOM, b'{"sbom":1}',
                              "application/json")
        push_image(c, repo, sbom)
        got = self.wait_events(repo, 2)
        self.assertEqual(got[0]["detail-type"], "ECR Image Action")
        ev = got[1]
        self.assertEnvelope(ev, "ECR Referrer Action", [])
        self.assertEqual(ev["detail"], {
            "action-type": "PUSH", "result": "SUCCESS",
            "repository-name": repo, "image-digest": sbom.digest,
            "manifest-media-type": harness.MEDIA_OCI_MANIFEST,
            "artifact-media-type": MEDIA_SBOM})

    def test_failed_calls_emit_nothing(self):
        c = self.ecr()
        repo = self.make_repo()
        img = build_image("ev-fail")
        push_image(c, repo, img, tag="v1")
        self.wait_events(repo, 1)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            c.put_image(repositoryName=repo, imageManifest=img.text,
                        imageTag="v1")
        self.assertClientError(cm, "ImageAlreadyExistsException")
        missing = unique_name("ev-missing")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            c.put_image(repositoryName=missing, imageManifest=img.text,
                        imageTag="v1")
        self.assertClientError(cm, "RepositoryNotFoundException")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            c.update_image_storage_class(
                repositoryName=repo, imageId={"imageTag": "gone"},
                targetStorageClass="ARCHIVE")
        self.assertClientError(cm, "ImageNotFoundException")
        # A later event is written: the failed calls' would be before it.
        c.put_image(repositoryName=repo, imageManifest=img.text,
                    imageTag="v2")
        got = self.wait_events(repo, 2)
        self.assertEqual(got[1]["detail"], push_detail(repo, img.digest,
                                                       "v2"))
        self.assertEqual(self.events_for(missing), [])

    def test_zz_sighup_follows_a_rotated_file(self):
        """Last in the class: the file it reads from then on is new."""
        repo = self.make_repo()
        push_image(self.ecr(), repo, build_image("ev-rot-1"), tag="old")
        self.wait_events(repo, 1)
        rotated = self.events_path + ".1"
        os.rename(self.events_path, rotated)
        self.addCleanup(os.unlink, rotated)
        os.kill(self.server.pid, signal.SIGHUP)
        poll(lambda: "events file %s reopened" % self.events_path in
             self.server.stderr(), POLL_S, "the reopen after SIGHUP")
        img = build_image("ev-rot-2")
        push_image(self.ecr(), repo, img, tag="new")
        [ev] = self.wait_events(repo, 1)
        self.assertEqual(ev["detail"], push_detail(repo, img.digest, "new"))
        with open(rotated) as f:
            old = [json.loads(line) for line in f]
        self.assertEqual([e["detail"].get("image-tag") for e in old
                          if e["detail"]["repository-name"] == repo],
                         ["old"])

    def test_concurrent_pushes_in_commit_order(self):
        repo = self.make_repo()
        images = [build_image("ev-burst-%d" % i, n_layers=1)
                  for i in range(12)]
        c = self.ecr()
        for img in images:
            harness.push_blobs(c, repo, img.blobs)
        errors = []

        def put(img):
            try:
                self.ecr().put_image(repositoryName=repo,
                                     imageManifest=img.text,
                                     imageTag="latest")
            except Exception as e:  # reported below
                errors.append(e)
        threads = [threading.Thread(target=put, args=(img,))
                   for img in images]
        for t in threads:
            t.start()
        for t in threads:
            t.join(POLL_S)
        self.assertEqual(errors, [])
        got = self.wait_events(repo, len(images))
        self.assertEqual(sorted(e["detail"]["image-digest"] for e in got),
                         sorted(img.digest for img in images))
        # The tag holds what the last commit put there: the last event's.
        out = c.describe_images(repositoryName=repo,
                                imageIds=[{"imageTag": "latest"}])
        self.assertEqual(got[-1]["detail"]["image-digest"],
                         out["imageDetails"][0]["imageDigest"])
        # Its events are in the file in one run each, never interleaved.
        for ev in got:
            self.assertEqual(ev["detail"]["image-tag"], "latest")


class ScanTest(EventsCase):
    """Scan completion with a feed: basic's and enhanced's events."""

    @classmethod
    def setUpClass(cls):
        import test_scanning
        cls.feed_dir = tempfile.mkdtemp(prefix="e2e-events-osv-")
        for rec in test_scanning.FEED:
            with open(os.path.join(cls.feed_dir, rec["id"] + ".json"),
                      "w") as f:
                json.dump(rec, f)
        cls.extra_args = ("--vuln-db", cls.feed_dir)
        try:
            super().setUpClass()
        except BaseException:
            shutil.rmtree(cls.feed_dir, True)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.feed_dir, True)

    def test_basic_scan_on_push(self):
        import test_scanning
        c = self.ecr()
        repo = unique_name("ev-scan")
        c.create_repository(repositoryName=repo,
                            imageScanningConfiguration={"scanOnPush": True})
        digest = test_scanning.push(c, repo, test_scanning.debian(), "deb")
        [push, scan] = self.wait_events(repo, 2)
        self.assertEqual(push["detail-type"], "ECR Image Action")
        self.assertEnvelope(scan, "ECR Image Scan", [repo_arn(repo)])
        self.assertEqual(scan["detail"], {
            "scan-status": "COMPLETE", "repository-name": repo,
            "finding-severity-counts": {"CRITICAL": 1, "UNDEFINED": 1},
            "image-digest": digest, "image-tags": ["deb"]})
        # The result a test sets is a completion too.
        import test_scanning as ts
        r = self.http("POST", "/_ecrd/scan-findings", json.dumps({
            "repositoryName": repo, "imageId": {"imageTag": "deb"},
            "imageScanFindings": {"findings": [
                ts.finding(1, "HIGH"), ts.finding(2, "HIGH"),
                ts.finding(3, "LOW")]}}).encode())
        self.assertEqual(r.status, 200, r)
        [set_scan] = self.wait_events(repo, 3)[2:]
        self.assertEqual(set_scan["detail"]["finding-severity-counts"],
                         {"HIGH": 2, "LOW": 1})

    def test_enhanced_scan_is_inspectors_event(self):
        import test_scanning
        acct = fresh_account()
        c = self.ecr(key=acct)
        c.put_registry_scanning_configuration(
            scanType="ENHANCED",
            rules=[{"scanFrequency": "SCAN_ON_PUSH",
                    "repositoryFilters": [{"filter": "*",
                                           "filterType": "WILDCARD"}]}])
        repo = unique_name("ev-enh")
        c.create_repository(repositoryName=repo)
        digest = test_scanning.push(c, repo, test_scanning.debian(), "e1")
        got = self.wait_events(repo, 2, account=acct)
        scan = got[1]
        arn = repo_arn(repo, acct)
        self.assertEnvelope(scan, "Inspector2 Scan",
                            [arn + "/" + digest], account=acct,
                            source="aws.inspector2")
        self.assertEqual(scan["detail"], {
            "scan-status": "INITIAL_SCAN_COMPLETE", "repository-name": arn,
            "finding-severity-counts": {"CRITICAL": 1, "HIGH": 0,
                                        "MEDIUM": 0, "TOTAL": 2},
            "image-digest": digest, "image-tags": ["e1"]})


SCAN_RESOURCE = "ECR Scan Resource Change"


def enhanced_rules(*rules):
    return [{"scanFrequency": freq,
             "repositoryFilters": [{"filter": f, "filterType": "WILDCARD"}]}
            for freq, f in rules]


class ScanResourceTest(EventsCase):
    """Enhanced scanning's coverage changes: "ECR Scan Resource Change"."""

    def changes(self, acct, n):
        """The account's scan resource changes once there are n."""
        got = []

        def enough():
            got[:] = [e for e in self.events() if e["account"] == acct
                      and e["detail-type"] == SCAN_RESOURCE]
            return len(got) >= n
        poll(enough, POLL_S, "%d scan resource changes" % n)
        self.assertEqual(len(got), n, got)
        for ev in got:
            self.assertEnvelope(ev, SCAN_RESOURCE, [], account=acct)
        return got

    def entry(self, acct, repo, freq, prev=None):
        d = {"repository-name": repo,
             "repository-arn": repo_arn(repo, acct), "scan-frequency": freq}
        if prev is not None:
            d["previous-scan-frequency"] = prev
        return d

    def test_frequency_change_create_push_delete(self):
        acct = fresh_account()
        c = self.ecr(key=acct)
        base = unique_name("sr")
        app, web = base + "/app", base + "/web"
        for r in (app, web):
            c.create_repository(repositoryName=r)
        c.put_registry_scanning_configuration(
            scanType="ENHANCED",
            rules=enhanced_rules(("SCAN_ON_PUSH", base + "/*")))
        [ev] = self.changes(acct, 1)
        self.assertEqual(ev["detail"], {
            "action-type": "SCAN_FREQUENCY_CHANGE",
            "repositories": [
                self.entry(acct, app, "SCAN_ON_PUSH", "MANUAL"),
                self.entry(acct, web, "SCAN_ON_PUSH", "MANUAL")],
            "resource-type": "REPOSITORY", "scan-type": "ENHANCED"})
        # Only what changes is listed: web keeps SCAN_ON_PUSH.
        c.put_registry_scanning_configuration(
            scanType="ENHANCED",
            rules=enhanced_rules(("CONTINUOUS_SCAN", app),
                                 ("SCAN_ON_PUSH", base + "/*")))
        ev = self.changes(acct, 2)[1]
        self.assertEqual(ev["detail"]["repositories"], [
            self.entry(acct, app, "CONTINUOUS_SCAN", "SCAN_ON_PUSH")])
        # The same configuration again changes nothing.
        c.put_registry_scanning_configuration(
            scanType="ENHANCED",
            rules=enhanced_rules(("CONTINUOUS_SCAN", app),
                                 ("SCAN_ON_PUSH", base + "/*")))
        new = base + "/new"
        c.create_repository(repositoryName=new)
        ev = self.changes(acct, 3)[2]
        self.assertEqual(ev["detail"], {
            "action-type": "REPOSITORY_CREATE",
            "repositories": [self.entry(acct, new, "SCAN_ON_PUSH")],
            "resource-type": "REPOSITORY", "scan-type": "ENHANCED"})
        img = build_image("sr-push")
        push_image(c, new, img, tag="v1")
        c.batch_delete_image(repositoryName=new,
                             imageIds=[{"imageDigest": img.digest}])
        push, delete = self.changes(acct, 5)[3:]
        for ev, action in ((push, "IMAGE_PUSH"), (delete, "IMAGE_DELETE")):
            self.assertEqual(ev["detail"], {
                "action-type": action,
                "repositories": [self.entry(acct, new, "SCAN_ON_PUSH")],
                "resource-type": "IMAGE", "image-digest": img.digest,
                "scan-type": "ENHANCED"})

    def test_many_repositories_split_into_events(self):
        acct = fresh_account()
        c = self.ecr(key=acct)
        base = unique_name("srm")
        names = sorted("%s/r%03d" % (base, i) for i in range(101))
        for r in names:
            c.create_repository(repositoryName=r)
        c.put_registry_scanning_configuration(
            scanType="ENHANCED",
            rules=enhanced_rules(("CONTINUOUS_SCAN", base + "/*")))
        first, second = self.changes(acct, 2)
        listed = [r["repository-name"]
                  for ev in (first, second)
                  for r in ev["detail"]["repositories"]]
        self.assertEqual(len(first["detail"]["repositories"]), 100)
        self.assertEqual(listed, names)

    def test_basic_scanning_sends_none(self):
        acct = fresh_account()
        c = self.ecr(key=acct)
        repo = unique_name("sr-basic")
        c.create_repository(repositoryName=repo)
        c.put_registry_scanning_configuration(
            scanType="BASIC", rules=enhanced_rules(("SCAN_ON_PUSH", "*")))
        other = unique_name("sr-basic")
        c.create_repository(repositoryName=other)
        img = build_image("sr-basic")
        push_image(c, other, img, tag="v1")
        # Events come in commit order: once the push's is written, any
        # change before it would have been too.
        self.wait_events(other, 1, "ECR Image Action", account=acct)
        self.changes(acct, 0)
        # Enhanced with no rule matching: both leave SCAN_ON_PUSH, and a
        # new repository (and its image) is not covered: no more events.
        c.put_registry_scanning_configuration(
            scanType="ENHANCED",
            rules=enhanced_rules(("SCAN_ON_PUSH", "no-such-*")))
        [ev] = self.changes(acct, 1)
        self.assertEqual(ev["detail"]["repositories"], [
            self.entry(acct, r, "MANUAL", "SCAN_ON_PUSH")
            for r in sorted((repo, other))])
        third = unique_name("sr-basic")
        c.create_repository(repositoryName=third)
        push_image(c, third, build_image("sr-basic2"), tag="v2")
        self.wait_events(third, 1, "ECR Image Action", account=acct)
        self.changes(acct, 1)


class SigningTest(EventsCase):
    """Managed signing's signature is a referrer pushed after its commit."""

    def test_signature_is_a_referrer_push(self):
        from test_signing import CONFIG, NOTARY
        c = self.ecr()
        c.put_signing_configuration(signingConfiguration=CONFIG)
        repo = unique_name("signed/app")
        c.create_repository(repositoryName=repo)
        img = build_image("ev-signed")
        push_image(c, repo, img, tag="v1")
        push, sig = self.wait_events(repo, 2)
        self.assertEqual(push["detail"], push_detail(repo, img.digest, "v1"))
        refs = c.list_image_referrers(
            repositoryName=repo,
            subjectId={"imageDigest": img.digest})["referrers"]
        self.assertEqual(len(refs), 1)
        self.assertEnvelope(sig, "ECR Referrer Action", [])
        self.assertEqual(sig["detail"], {
            "action-type": "PUSH", "result": "SUCCESS",
            "repository-name": repo, "image-digest": refs[0]["digest"],
            "manifest-media-type": harness.MEDIA_OCI_MANIFEST,
            "artifact-media-type": NOTARY})


class ReplicationTest(EventsCase):

    def test_destination_events_in_another_region_and_account(self):
        from test_replication import DST_REGION, allow_policy, dest
        a, b = fresh_account(), fresh_account()
        self.ecr(key=b, region=DST_REGION).put_registry_policy(
            policyText=allow_policy(a, ["ecr:ReplicateImage",
                                        "ecr:CreateRepository"]))
        self.ecr(key=a).put_replication_configuration(
            replicationConfiguration={"rules": [
                {"destinations": [dest(a), dest(b)]}]})
        src = self.ecr(key=a)
        repo = self.make_repo(src)
        img = build_image("ev-repl")
        push_image(src, repo, img, tag="r1")
        [push] = self.wait_events(repo, 1, "ECR Image Action", account=a)
        self.assertEqual(push["region"], REGION)
        for acct in (a, b):
            evs = [e for e in self.wait_events(
                repo, 1, "ECR Replication Action", account=acct)]
            ev = evs[0]
            self.assertEnvelope(ev, "ECR Replication Action",
                                [repo_arn(repo, acct, DST_REGION)],
                                account=acct, region=DST_REGION)
            self.assertEqual(ev["detail"], {
                "result": "SUCCESS", "repository-name": repo,
                "image-digest": img.digest, "source-account": a,
                "action-type": "REPLICATE", "source-region": REGION,
                "image-tag": "r1"})
        # The copies made no PUSH of their own.
        self.assertEqual(len(self.events_for(repo, "ECR Image Action",
                                             account=b)), 0)


class PullThroughTest(EventsCase):
    """A first pull through the cache from a local docker-registry."""

    @classmethod
    def setUpClass(cls):
        from test_pull_through import REGISTRY, UpstreamRegistry, free_port
        if not os.path.exists(REGISTRY):
            raise unittest.SkipTest("needs docker-registry")
        cls.upstream = UpstreamRegistry()
        cls.extra_args = ("--upstream-url", "quay.io=" + cls.upstream.url,
                          "--upstream-url", "cgr.dev=http://127.0.0.1:%d"
                          % free_port())
        try:
            super().setUpClass()
        except BaseException:
            cls.upstream.close()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.upstream.close()

    def pull(self, path, accept):
        auth = "Basic " + base64.b64encode(
            ("AWS:" + registry_password(self.ecr())).encode()).decode()
        return harness.registry_request(
            self.server.host, self.server.port, "GET", path,
            headers={"Authorization": auth, "Accept": accept})

    def test_first_pull_and_a_missing_tag(self):
        from test_pull_through import upstream_push
        c = self.ecr()
        prefix = unique_name("evq")
        c.create_pull_through_cache_rule(ecrRepositoryPrefix=prefix,
                                         upstreamRegistryUrl="quay.io")
        img = build_image("ev-ptc")
        upstream_push(self.upstream.url, "team/app", img, "v1")
        repo = prefix + "/team/app"
        r = self.pull("/v2/%s/manifests/v1" % repo, img.media_type)
        self.assertEqual(r.status, 200, r)
        [ev] = self.wait_events(repo, 1)
        self.assertEnvelope(ev, "ECR Pull Through Cache Action",
                            [repo_arn(repo)])
        self.assertEqual(ev["detail"], {
            "rule-version": "1", "sync-status": "SUCCESS",
            "ecr-repository-prefix": prefix, "repository-name": repo,
            "upstream-registry-url": "quay.io", "image-tag": "v1",
            "image-digest": img.digest})
        # The cached image is no push of the client's.
        self.assertEqual(self.events_for(repo, "ECR Image Action"), [])
        r = self.pull("/v2/%s/manifests/absent" % repo, img.media_type)
        self.assertEqual(r.status, 404, r)
        [failed] = self.wait_events(repo, 2)[1:]
        self.assertEnvelope(failed, "ECR Pull Through Cache Action",
                            [repo_arn(repo)])
        self.assertEqual(failed["detail"]["sync-status"], "FAILED")
        self.assertEqual(failed["detail"]["image-tag"], "absent")
        self.assertIn("failure-code", failed["detail"])
        self.assertIn("failure-reason", failed["detail"])
        self.assertNotIn("image-digest", failed["detail"])


class StartTest(unittest.TestCase):
    """An events file that cannot be opened stops ecrd at start."""

    def test_unopenable_file_is_refused_at_start(self):
        harness.needs_binary()
        tmp = tempfile.mkdtemp(prefix="e2e-events-start-")
        self.addCleanup(shutil.rmtree, tmp, True)
        path = os.path.join(tmp, "missing", "events.jsonl")
        p = subprocess.run(
            [harness.ecrd_bin(), "--listen", "127.0.0.1:0", "--ephemeral",
             "--events-file", path], capture_output=True, text=True,
            timeout=harness.START_TIMEOUT_S, env=dict(os.environ,
                                                      TMPDIR=tmp))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(path + ": No such file or directory", p.stderr)


if __name__ == "__main__":
    unittest.main()
