"""--audit-log: CloudTrail's records of ECR (issue 17; docs/observability.md,
"Audit trail"; docs/ecr-integrations.md 3).

One record per ECR API call (success and error) and per registry call,
the registry's under the ECR API each stands for (a manifest PUT is
PutImage, a blob GET is GetDownloadUrlForLayer, ...), with userIdentity
from the caller's principal (Root, IAMUser, AssumedRole in strict mode,
the registry token's for registry calls), requestParameters without
blobs, responseElements for writes alone, readOnly; and the lifecycle's
PolicyExecutionEvent (AwsServiceEvent) after a run's commit. Records are
matched to calls by requestID, the x-amzn-RequestId each answer carries.
"""

import json
import os
import re
import shutil
import signal
import tempfile
import unittest

import botocore.exceptions

import harness
from harness import (DEFAULT_ACCOUNT, DEFAULT_KEY, REGION, EcrdTestCase,
                     basic_auth, build_image, decode_token, manifest_json,
                     poll, registry_password, registry_request,
                     sha256_digest, unique_name)
from test_registry import LAYER_FILES, SKOPEO, UMOCI, Layout, describe, \
    run_tool

RECORD_TIMEOUT_S = 15.0     # written once per loop turn
UUID_RE = r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-" \
          r"[0-9a-f]{12}$"
TIME_RE = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"
JAVA_TIME_RE = r"^[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d\d:\d\d [AP]M$"
BASE = {"eventVersion", "userIdentity", "eventTime", "eventSource",
        "eventName", "awsRegion", "sourceIPAddress", "userAgent",
        "requestParameters", "responseElements", "requestID", "eventID",
        "readOnly", "eventType", "managementEvent", "recipientAccountId",
        "eventCategory"}

ADMIN = [{"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}]
ACCOUNT = "444455556666"
ALICE = {"accessKeyId": "AKIAAUDITALICE000001",
         "secretAccessKey": "alice-audit-secret",
         "arn": "arn:aws:iam::%s:user/ci/alice" % ACCOUNT,
         "policies": ADMIN}
CAROL = {"accessKeyId": "ASIAAUDITCAROL000003",
         "secretAccessKey": "carol-audit-secret",
         "sessionToken": "FwoGZXIvYXdzEJr//////////wEaDAUDIT+token==",
         "arn": "arn:aws:sts::%s:assumed-role/builder/ci-session" % ACCOUNT,
         "policies": ADMIN}
DAVE = {"accessKeyId": "AKIAAUDITDAVE0000004",
        "secretAccessKey": "dave-audit-secret",
        "arn": "arn:aws:iam::%s:user/dave" % ACCOUNT, "policies": []}


class AuditCase(EcrdTestCase):
    """A class server with --audit-log in a directory of the class's."""

    extra_args = ()

    @classmethod
    def setUpClass(cls):
        cls.audit_dir = tempfile.mkdtemp(prefix="e2e-audit-")
        cls.audit_path = os.path.join(cls.audit_dir, "audit.log")
        cls.server_args = tuple(cls.extra_args) + ("--audit-log",
                                                   cls.audit_path)
        try:
            super().setUpClass()
        except BaseException:
            shutil.rmtree(cls.audit_dir, ignore_errors=True)
            raise
        # Class cleanups run after tearDownClass has stopped the server.
        cls.addClassCleanup(shutil.rmtree, cls.audit_dir, True)

    def records(self, path=None):
        try:
            with open(path or self.audit_path, encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            return []
        # Whole lines only: a batch may be mid-write.
        return [json.loads(line) for line in text.split("\n")[:-1]]

    def record(self, request_id, path=None):
        def found():
            got = [r for r in self.records(path)
                   if r.get("requestID") == request_id]
            return got or None
        got = poll(found, RECORD_TIMEOUT_S, "the record of %s" % request_id)
        self.assertEqual(len(got), 1, got)
        return got[0]

    def record_of(self, response, path=None):
        return self.record(response["ResponseMetadata"]["RequestId"], path)

    def record_of_error(self, cm):
        exc = cm.exception
        return self.record(exc.response["ResponseMetadata"]["RequestId"])

    def assertBase(self, rec, name, read_only, account=DEFAULT_ACCOUNT):
        self.assertTrue(BASE <= set(rec), sorted(BASE - set(rec)))
        self.assertEqual(rec["eventVersion"], "1.11")
        self.assertRegex(rec["eventTime"], TIME_RE)
        self.assertEqual(rec["eventSource"], "ecr.amazonaws.com")
        self.assertEqual(rec["eventName"], name)
        self.assertEqual(rec["awsRegion"], REGION)
        self.assertEqual(rec["sourceIPAddress"], "127.0.0.1")
        self.assertRegex(rec["eventID"], UUID_RE)
        self.assertIs(rec["readOnly"], read_only)
        self.assertEqual(rec["eventType"], "AwsApiCall")
        self.assertIs(rec["managementEvent"], True)
        self.assertEqual(rec["eventCategory"], "Management")
        self.assertEqual(rec["recipientAccountId"], account)
        self.assertNotIn("tlsDetails", rec)


class ApiCallsTest(AuditCase):
    """Permissive mode: the caller is its access key's account root."""

    def test_success_record(self):
        c = self.ecr()
        name = unique_name("audit")
        out = c.create_repository(repositoryName=name,
                                  imageTagMutability="IMMUTABLE")
        rec = self.record_of(out)
        self.assertBase(rec, "CreateRepository", False)
        self.assertNotIn("errorCode", rec)
        self.assertEqual(rec["userIdentity"], {
            "type": "Root", "principalId": DEFAULT_ACCOUNT,
            "arn": "arn:aws:iam::%s:root" % DEFAULT_ACCOUNT,
            "accountId": DEFAULT_ACCOUNT, "accessKeyId": DEFAULT_KEY})
        self.assertIn("Boto3", rec["userAgent"])
        self.assertEqual(rec["requestParameters"],
                         {"repositoryName": name,
                          "imageTagMutability": "IMMUTABLE"})
        repo = rec["responseElements"]["repository"]
        self.assertEqual(repo["repositoryName"], name)
        self.assertEqual(repo["repositoryArn"],
                         out["repository"]["repositoryArn"])
        # CloudTrail writes the answer's times the Java way (3.4).
        self.assertRegex(repo["createdAt"], JAVA_TIME_RE)
        self.assertEqual(rec["resources"], [{
            "accountId": DEFAULT_ACCOUNT, "type": "AWS::ECR::Repository",
            "ARN": out["repository"]["repositoryArn"]}])
        # A read: readOnly, and no responseElements.
        out = c.describe_repositories(repositoryNames=[name])
        rec = self.record_of(out)
        self.assertBase(rec, "DescribeRepositories", True)
        self.assertIsNone(rec["responseElements"])
        self.assertEqual(rec["requestParameters"],
                         {"repositoryNames": [name]})

    def test_error_record(self):
        name = unique_name("audit")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.ecr().describe_images(repositoryName=name)
        rec = self.record_of_error(cm)
        self.assertBase(rec, "DescribeImages", True)
        err = cm.exception.response["Error"]
        self.assertEqual(rec["errorCode"], "RepositoryNotFoundException")
        self.assertEqual(rec["errorCode"], err["Code"])
        self.assertEqual(rec["errorMessage"], err["Message"])
        self.assertIsNone(rec["responseElements"])
        self.assertEqual(rec["requestParameters"], {"repositoryName": name})
        # A failed write records no answer either.
        self.ecr().create_repository(repositoryName=name)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.ecr().create_repository(repositoryName=name)
        rec = self.record_of_error(cm)
        self.assertEqual(rec["errorCode"],
                         "RepositoryAlreadyExistsException")
        self.assertIs(rec["readOnly"], False)
        self.assertIsNone(rec["responseElements"])

    def test_unknown_operation_and_bad_json(self):
        r = self.api("NoSuchOperation", {})
        rec = self.record(r.header("x-amzn-RequestId"))
        self.assertEqual(rec["eventName"], "NoSuchOperation")
        self.assertEqual(rec["errorCode"], r.json()["__type"])
        r = self.api("ListImages", body=b"{not json")
        rec = self.record(r.header("x-amzn-RequestId"))
        self.assertEqual(rec["eventName"], "ListImages")
        self.assertEqual(rec["errorCode"], r.json()["__type"])
        self.assertIsNone(rec["requestParameters"])

    def test_layer_part_blob_is_not_recorded(self):
        c = self.ecr()
        name = unique_name("audit")
        c.create_repository(repositoryName=name)
        upload = c.initiate_layer_upload(repositoryName=name)
        rec = self.record_of(upload)
        self.assertBase(rec, "InitiateLayerUpload", False)
        self.assertEqual(rec["responseElements"]["uploadId"],
                         upload["uploadId"])
        blob = b"AUDIT-BLOB-MARKER" * 8
        out = c.upload_layer_part(repositoryName=name,
                                  uploadId=upload["uploadId"],
                                  partFirstByte=0,
                                  partLastByte=len(blob) - 1,
                                  layerPartBlob=blob)
        rec = self.record_of(out)
        self.assertBase(rec, "UploadLayerPart", False)
        self.assertEqual(rec["requestParameters"], {
            "repositoryName": name, "uploadId": upload["uploadId"],
            "partFirstByte": 0, "partLastByte": len(blob) - 1})
        self.assertEqual(rec["responseElements"]["lastByteReceived"],
                         len(blob) - 1)
        with open(self.audit_path, "rb") as f:
            text = f.read()
        self.assertNotIn(b"AUDIT-BLOB-MARKER", text)
        self.assertNotIn(b"QVVESVQtQkxPQi1NQVJLRV", text)   # its base64
        out = c.complete_layer_upload(repositoryName=name,
                                      uploadId=upload["uploadId"],
                                      layerDigests=[sha256_digest(blob)])
        rec = self.record_of(out)
        self.assertEqual(rec["responseElements"]["layerDigest"],
                         sha256_digest(blob))

    def test_put_image_and_batch_get_image(self):
        c = self.ecr()
        name = unique_name("audit")
        c.create_repository(repositoryName=name)
        image = build_image("audit-put")
        harness.push_image(c, name, image, tag="v1")
        # ECR records PutImage's manifest and echoes it (3.5).
        text = image.text
        mine = poll(lambda: [
            r for r in self.records() if r["eventName"] == "PutImage"
            and r["requestParameters"].get("repositoryName") == name],
            RECORD_TIMEOUT_S, "PutImage's record")
        self.assertEqual(len(mine), 1, mine)
        rec = mine[0]
        self.assertEqual(rec["requestParameters"]["imageManifest"], text)
        self.assertEqual(rec["requestParameters"]["imageTag"], "v1")
        self.assertEqual(rec["responseElements"]["image"]["imageId"],
                         {"imageDigest": sha256_digest(text.encode()),
                          "imageTag": "v1"})
        out = c.batch_get_image(
            repositoryName=name, imageIds=[{"imageTag": "v1"}],
            acceptedMediaTypes=[harness.MEDIA_DOCKER_MANIFEST])
        rec = self.record_of(out)
        self.assertBase(rec, "BatchGetImage", True)
        self.assertEqual(rec["requestParameters"], {
            "repositoryName": name, "imageIds": [{"imageTag": "v1"}],
            "acceptedMediaTypes": [harness.MEDIA_DOCKER_MANIFEST]})
        self.assertIsNone(rec["responseElements"])
        out = c.get_authorization_token()
        rec = self.record_of(out)
        self.assertBase(rec, "GetAuthorizationToken", True)
        self.assertIsNone(rec["responseElements"])
        token = out["authorizationData"][0]["authorizationToken"]
        with open(self.audit_path) as f:
            self.assertNotIn(token, f.read())

    def test_sighup_reopens_the_log(self):
        moved = self.audit_path + ".1"
        c = self.ecr()
        before = c.describe_registry()
        self.record_of(before)
        os.rename(self.audit_path, moved)
        self.addCleanup(lambda: os.path.exists(moved) and os.remove(moved))
        os.kill(self.server.pid, signal.SIGHUP)
        # Once reopened, the next record goes to the new file.
        poll(lambda: os.path.exists(self.audit_path), RECORD_TIMEOUT_S,
             "the reopened audit log")
        after = c.describe_registry()
        self.record_of(after)
        ids = [r["requestID"] for r in self.records(moved)]
        self.assertIn(before["ResponseMetadata"]["RequestId"], ids)
        self.assertNotIn(after["ResponseMetadata"]["RequestId"], ids)


class RegistryCallsTest(AuditCase):
    """/v2 requests, under the ECR API names (docs/ecr-integrations.md
    3.3), with the registry token's principal."""

    def reg(self, method, path, password, body=b"", headers=()):
        headers = list(headers) + [
            ("Authorization", basic_auth("AWS", password)),
            ("User-Agent", "audit-e2e/1.0")]
        return registry_request(self.server.host, self.server.port, method,
                                path, body, headers)

    def push_blob(self, repo, data, password):
        r = self.reg("POST", "/v2/%s/blobs/uploads/" % repo, password)
        self.assertEqual(r.status, 202, r)
        start = self.record(r.header("x-amzn-RequestId"))
        loc = r.header("Location")
        r = self.reg("PUT", loc + "?digest=" + sha256_digest(data),
                     password, data)
        self.assertEqual(r.status, 201, r)
        return start, self.record(r.header("x-amzn-RequestId"))

    def test_push_and_pull_records(self):
        c = self.ecr()
        password = registry_password(c)
        repo = unique_name("audit")
        c.create_repository(repositoryName=repo)
        config = b'{"architecture":"amd64","os":"linux"}'
        start, done = self.push_blob(repo, config, password)
        self.assertBase(start, "InitiateLayerUpload", False)
        self.assertEqual(start["requestParameters"],
                         {"repositoryName": repo,
                          "registryId": DEFAULT_ACCOUNT})
        upload_id = start["responseElements"]["uploadId"]
        self.assertTrue(upload_id)
        self.assertBase(done, "CompleteLayerUpload", False)
        self.assertEqual(done["requestParameters"], {
            "repositoryName": repo, "registryId": DEFAULT_ACCOUNT,
            "uploadId": upload_id, "layerDigests": [sha256_digest(config)]})
        self.assertEqual(done["userAgent"], "audit-e2e/1.0")
        # The token's principal: the account root, without a key.
        self.assertEqual(done["userIdentity"]["type"], "Root")
        self.assertNotIn("accessKeyId", done["userIdentity"])
        manifest = manifest_json({
            "schemaVersion": 2, "mediaType": harness.MEDIA_OCI_MANIFEST,
            "config": {"mediaType": harness.MEDIA_OCI_CONFIG,
                       "digest": sha256_digest(config),
                       "size": len(config)},
            "layers": []})
        r = self.reg("PUT", "/v2/%s/manifests/v1" % repo, password,
                     manifest,
                     [("Content-Type", harness.MEDIA_OCI_MANIFEST)])
        self.assertEqual(r.status, 201, r)
        rec = self.record(r.header("x-amzn-RequestId"))
        self.assertBase(rec, "PutImage", False)
        self.assertEqual(rec["requestParameters"], {
            "repositoryName": repo, "registryId": DEFAULT_ACCOUNT,
            "imageTag": "v1", "imageManifest": manifest.decode(),
            "imageManifestMediaType": harness.MEDIA_OCI_MANIFEST})
        self.assertEqual(rec["responseElements"]["image"]["imageId"], {
            "imageDigest": sha256_digest(manifest), "imageTag": "v1"})
        r = self.reg("GET", "/v2/%s/manifests/v1" % repo, password,
                     headers=[("Accept", harness.MEDIA_OCI_MANIFEST),
                              ("Accept", harness.MEDIA_DOCKER_MANIFEST)])
        self.assertEqual(r.status, 200, r)
        rec = self.record(r.header("x-amzn-RequestId"))
        self.assertBase(rec, "BatchGetImage", True)
        self.assertEqual(rec["requestParameters"]["imageIds"],
                         [{"imageTag": "v1"}])
        self.assertEqual(rec["requestParameters"]["acceptedMediaTypes"],
                         [harness.MEDIA_OCI_MANIFEST,
                          harness.MEDIA_DOCKER_MANIFEST])
        self.assertIsNone(rec["responseElements"])
        digest = sha256_digest(config)
        for method, name in (("GET", "GetDownloadUrlForLayer"),
                             ("HEAD", "BatchCheckLayerAvailability")):
            r = self.reg(method, "/v2/%s/blobs/%s" % (repo, digest),
                         password)
            self.assertIn(r.status, (200, 307), r)
            rec = self.record(r.header("x-amzn-RequestId"))
            self.assertBase(rec, name, True)
            if method == "GET":
                self.assertEqual(rec["requestParameters"]["layerDigest"],
                                 digest)
            else:
                self.assertEqual(rec["requestParameters"]["layerDigests"],
                                 [digest])
        # A failure: the registry's answer, ECR's error in the record.
        r = self.reg("GET", "/v2/%s/manifests/nope" % repo, password)
        self.assertEqual(r.status, 404, r)
        rec = self.record(r.header("x-amzn-RequestId"))
        # The registry's own error, as its client saw it.
        self.assertEqual(rec["errorCode"], "MANIFEST_UNKNOWN")
        self.assertEqual(rec["errorMessage"],
                         r.json()["errors"][0]["message"])
        # One an ECR exception stands for: that exception.
        bad = manifest.replace(sha256_digest(config).encode(),
                               sha256_digest(b"never pushed").encode())
        r = self.reg("PUT", "/v2/%s/manifests/v2" % repo, password, bad,
                     [("Content-Type", harness.MEDIA_OCI_MANIFEST)])
        self.assertEqual(r.status, 400, r)
        rec = self.record(r.header("x-amzn-RequestId"))
        self.assertEqual(rec["eventName"], "PutImage")
        self.assertEqual(rec["errorCode"], "LayersNotFoundException")
        self.assertIsNone(rec["responseElements"])
        # GET /v2/ is no ECR API call: no record.
        r = self.reg("GET", "/v2/", password)
        self.assertEqual(r.status, 200, r)
        r2 = c.describe_registry()
        self.record_of(r2)
        ids = [x["requestID"] for x in self.records()]
        self.assertNotIn(r.header("x-amzn-RequestId"), ids)

    def test_bad_password_is_anonymous(self):
        repo = unique_name("audit")
        r = self.reg("GET", "/v2/%s/tags/list" % repo, "not-a-token")
        self.assertIn(r.status, (401, 403), r)
        rec = self.record(r.header("x-amzn-RequestId"))
        self.assertEqual(rec["eventName"], "ListImages")
        self.assertEqual(rec["userIdentity"]["type"], "AWSAccount")
        self.assertEqual(rec["userIdentity"]["accountId"],
                         "ANONYMOUS_PRINCIPAL")
        self.assertIn("errorCode", rec)

    @unittest.skipUnless(SKOPEO and UMOCI, "skopeo and umoci are needed")
    def test_skopeo_push_and_pull(self):
        tmp = tempfile.mkdtemp(prefix="e2e-audit-skopeo-")
        self.addCleanup(shutil.rmtree, tmp, True)
        layout = Layout(self, os.path.join(tmp, "L"))
        layout.add_image("v1", LAYER_FILES)
        c = self.ecr()
        password = registry_password(c)
        repo = unique_name("audit")
        c.create_repository(repositoryName=repo)
        ref = "docker://%s/%s:v1" % (self.server.hostport, repo)
        p = run_tool((SKOPEO, "--insecure-policy", "copy",
                      "--dest-tls-verify=false", "--dest-creds",
                      "AWS:" + password, "oci:%s:v1" % layout.path, ref))
        self.assertEqual(p.returncode, 0, describe(p))
        p = run_tool((SKOPEO, "--insecure-policy", "copy",
                      "--src-tls-verify=false", "--src-creds",
                      "AWS:" + password, ref,
                      "oci:%s:out" % os.path.join(tmp, "out")))
        self.assertEqual(p.returncode, 0, describe(p))
        # Records are written in answer order: once this call's is in the
        # file, so are all of skopeo's (a batch may be written later).
        self.record_of(c.describe_registry())

        def mine():
            got = [r for r in self.records()
                   if (r["requestParameters"] or {}).get(
                       "repositoryName") == repo]
            names = {r["eventName"] for r in got}
            return got if {"PutImage", "BatchGetImage",
                           "GetDownloadUrlForLayer"} <= names else None
        got = poll(mine, RECORD_TIMEOUT_S, "skopeo's records")
        names = [r["eventName"] for r in got]
        # Three layers and a config: each uploaded, then fetched.
        self.assertGreaterEqual(names.count("CompleteLayerUpload"), 4)
        self.assertEqual(names.count("InitiateLayerUpload"),
                         names.count("CompleteLayerUpload"))
        self.assertEqual(names.count("PutImage"), 1)
        self.assertGreaterEqual(names.count("GetDownloadUrlForLayer"), 4)
        for r in got:
            # skopeo asks for each blob before pushing it: not there yet.
            if r["eventName"] == "BatchCheckLayerAvailability":
                self.assertIn(r.get("errorCode"), (None, "BLOB_UNKNOWN"))
            else:
                self.assertNotIn("errorCode", r, r)
            self.assertEqual(r["userIdentity"]["type"], "Root")
            self.assertEqual(r["recipientAccountId"], DEFAULT_ACCOUNT)


class StrictIdentityTest(AuditCase):
    """Strict mode: IAM users and assumed roles as CloudTrail writes them
    (docs/ecr-integrations.md 3.2)."""

    principals = [ALICE, CAROL, DAVE]

    def as_(self, p):
        return self.ecr(key=p["accessKeyId"], secret=p["secretAccessKey"],
                        token=p.get("sessionToken"))

    def test_iam_user(self):
        out = self.as_(ALICE).describe_repositories()
        rec = self.record_of(out)
        self.assertBase(rec, "DescribeRepositories", True, ACCOUNT)
        u = rec["userIdentity"]
        self.assertEqual(set(u), {"type", "principalId", "arn", "accountId",
                                  "accessKeyId", "userName"})
        self.assertEqual(u["type"], "IAMUser")
        self.assertEqual(u["arn"], ALICE["arn"])
        self.assertEqual(u["accountId"], ACCOUNT)
        self.assertEqual(u["accessKeyId"], ALICE["accessKeyId"])
        self.assertEqual(u["userName"], "alice")
        self.assertRegex(u["principalId"], r"^AIDA[A-Z2-7]{17}$")
        # The same user, the same id, record after record.
        again = self.record_of(self.as_(ALICE).describe_registry())
        self.assertEqual(again["userIdentity"]["principalId"],
                         u["principalId"])

    def test_assumed_role(self):
        out = self.as_(CAROL).describe_repositories()
        rec = self.record_of(out)
        self.assertBase(rec, "DescribeRepositories", True, ACCOUNT)
        u = rec["userIdentity"]
        self.assertEqual(u["type"], "AssumedRole")
        self.assertEqual(u["arn"], CAROL["arn"])
        self.assertEqual(u["accessKeyId"], CAROL["accessKeyId"])
        self.assertRegex(u["principalId"], r"^AROA[A-Z2-7]{17}:ci-session$")
        issuer = u["sessionContext"]["sessionIssuer"]
        self.assertEqual(issuer, {
            "type": "Role", "principalId": u["principalId"].split(":")[0],
            "arn": "arn:aws:iam::%s:role/builder" % ACCOUNT,
            "accountId": ACCOUNT, "userName": "builder"})
        attrs = u["sessionContext"]["attributes"]
        self.assertEqual(attrs["mfaAuthenticated"], "false")
        self.assertRegex(attrs["creationDate"], TIME_RE)
        # Its registry token carries the role: its pulls say so.
        data = self.as_(CAROL).get_authorization_token()[
            "authorizationData"][0]
        _, password = decode_token(data["authorizationToken"])
        r = registry_request(self.server.host, self.server.port, "GET",
                             "/v2/_catalog",
                             headers=[("Authorization",
                                       basic_auth("AWS", password))])
        self.assertEqual(r.status, 200, r)
        rec = self.record(r.header("x-amzn-RequestId"))
        self.assertEqual(rec["eventName"], "DescribeRepositories")
        self.assertEqual(rec["userIdentity"]["arn"], CAROL["arn"])
        self.assertEqual(rec["userIdentity"]["sessionContext"][
            "sessionIssuer"], issuer)

    def test_denied_and_unknown_callers(self):
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.as_(DAVE).create_repository(
                repositoryName=unique_name("audit"))
        rec = self.record_of_error(cm)
        self.assertEqual(rec["errorCode"], "AccessDeniedException")
        self.assertEqual(rec["errorMessage"],
                         cm.exception.response["Error"]["Message"])
        self.assertEqual(rec["userIdentity"]["type"], "IAMUser")
        self.assertEqual(rec["userIdentity"]["userName"], "dave")
        # A key nobody issued: no principal.
        stranger = self.ecr(key="AKIAAUDITNOBODY00009", secret="x")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            stranger.describe_repositories()
        rec = self.record_of_error(cm)
        self.assertEqual(rec["errorCode"], "UnrecognizedClientException")
        self.assertEqual(rec["userIdentity"]["type"], "AWSAccount")
        self.assertEqual(rec["userIdentity"]["accountId"],
                         "ANONYMOUS_PRINCIPAL")


def synthetic(seed):
    """A tiny manifest naming a config nobody uploaded (relaxed refs)."""
    config = {"mediaType": harness.MEDIA_DOCKER_CONFIG, "size": 2,
              "digest": sha256_digest(("audit %s" % seed).encode())}
    return manifest_json({"schemaVersion": 2,
                          "mediaType": harness.MEDIA_DOCKER_MANIFEST,
                          "config": config, "layers": []}).decode()


class LifecycleEventTest(AuditCase):
    """Lifecycle expiries: PolicyExecutionEvent after the run's commit,
    at most ten images a record (docs/ecr-integrations.md 3.5)."""

    extra_args = ("--relax-references", "--lifecycle-interval", "0")

    def advance(self, seconds):
        r = self.http("POST", "/_ecrd/clock?advance_seconds=%d" % seconds)
        self.assertEqual(r.status, 200, r)

    def test_policy_execution_event(self):
        c = self.ecr()
        repo = unique_name("audit")
        c.create_repository(repositoryName=repo)
        pushed = {}
        for i in range(13):
            tags = {"imageTag": "keep-%d" % i} if i < 2 else {}
            out = c.put_image(repositoryName=repo,
                              imageManifest=synthetic("%s/%d" % (repo, i)),
                              **tags)
            pushed[out["image"]["imageId"]["imageDigest"]] = \
                out["image"]["imageId"].get("imageTag")
            self.advance(1)
        policy = {"rules": [
            {"rulePriority": 1, "description": "old untagged",
             "selection": {"tagStatus": "untagged",
                           "countType": "imageCountMoreThan",
                           "countNumber": 1},
             "action": {"type": "expire"}},
            {"rulePriority": 2, "description": "keep one tagged",
             "selection": {"tagStatus": "tagged",
                           "tagPrefixList": ["keep"],
                           "countType": "imageCountMoreThan",
                           "countNumber": 1},
             "action": {"type": "expire"}}]}
        c.put_lifecycle_policy(repositoryName=repo,
                               lifecyclePolicyText=json.dumps(policy))
        r = self.http("POST", "/_ecrd/lifecycle/run?repositoryName=" + repo)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["expired"], 11)
        left = {d["imageDigest"] for d in c.describe_images(
            repositoryName=repo)["imageDetails"]}
        expired = set(pushed) - left

        def events():
            got = [x for x in self.records()
                   if x["eventName"] == "PolicyExecutionEvent" and
                   x["serviceEventDetails"]["repositoryName"] == repo]
            n = sum(len(x["serviceEventDetails"][
                "lifecycleEventImageActions"]) for x in got)
            return got if n >= len(expired) else None
        got = poll(events, RECORD_TIMEOUT_S, "PolicyExecutionEvent")
        self.assertEqual(sorted(len(x["serviceEventDetails"][
            "lifecycleEventImageActions"]) for x in got), [1, 10])
        seen = {}
        for rec in got:
            self.assertEqual(rec["eventType"], "AwsServiceEvent")
            self.assertEqual(rec["eventSource"], "ecr.amazonaws.com")
            self.assertEqual(rec["userIdentity"],
                             {"accountId": DEFAULT_ACCOUNT,
                              "invokedBy": "AWS Internal"})
            self.assertEqual(rec["sourceIPAddress"], "AWS Internal")
            self.assertEqual(rec["userAgent"], "AWS Internal")
            self.assertIsNone(rec["requestParameters"])
            self.assertIsNone(rec["responseElements"])
            self.assertIs(rec["readOnly"], True)
            self.assertEqual(rec["recipientAccountId"], DEFAULT_ACCOUNT)
            self.assertEqual(rec["awsRegion"], REGION)
            self.assertRegex(rec["eventID"], UUID_RE)
            details = rec["serviceEventDetails"]
            pol = details["lifecycleEventPolicy"]
            self.assertTrue(pol["policyId"])
            self.assertIsInstance(pol["lastEvaluatedAt"], int)
            rules = {x["rulePriority"]: x for x in
                     pol["lifecycleEventRules"]}
            # The rules of this record's images, no others.
            self.assertEqual(set(rules), {
                a["rulePriority"]
                for a in details["lifecycleEventImageActions"]})
            if 1 in rules:
                self.assertEqual(rules[1], {
                    "rulePriority": 1, "description": "old untagged",
                    "lifecycleEventSelection": policy["rules"][0][
                        "selection"],
                    "action": "expire"})
            for act in details["lifecycleEventImageActions"]:
                img = act["lifecycleEventImage"]
                self.assertNotIn(img["digest"], seen)
                seen[img["digest"]] = act
                self.assertIsInstance(img["pushedAt"], int)
                tag = pushed[img["digest"]]
                if tag is None:
                    self.assertEqual(img["tagStatus"], "UNTAGGED")
                    self.assertEqual(img["tagList"], [])
                    self.assertEqual(act["rulePriority"], 1)
                else:
                    self.assertEqual(img["tagStatus"], "TAGGED")
                    self.assertEqual(img["tagList"], [tag])
                    self.assertEqual(act["rulePriority"], 2)
        self.assertEqual(set(seen), expired)


if __name__ == "__main__":
    unittest.main()
