"""Pull-through cache rules against real upstreams on loopback (issue 13,
docs/ecr-behaviour.md 3.9).

PullTest pushes images to docker-registry upstreams and pulls them through
ecrd with skopeo and the registry API: by tag, by digest, a multi-arch
index, from an htpasswd upstream with the rule's secret (and podman, in a
vfs store of its own, by tag and digest); the bytes equal the upstream's; a second pull is served from ecrd's store with the
upstream stopped; the repository is made from the PULL_THROUGH_CACHE
template. An upstream that is down, answers 500, or sends a blob whose
bytes do not match its digest gets clear errors, nothing recorded, and
the server keeps serving.

ValidateTest points each upstream host at a local registry with
--upstream-url: Debian's docker-registry, anonymous and with htpasswd Basic
auth (the rule's secret right and wrong), a small token server for the
Bearer flow (realm, service, the secret as Basic), an upstream answering
500 and one that is down. ValidatePullThroughCacheRule really asks them:
isValid, and a failure in words when it is not. A silent upstream keeps
its call waiting while the server answers everything else.

EcrUpstreamTest runs a second ecrd as the ecr upstream, permissive and
strict: the first logs in with GetAuthorizationToken (signed with
--upstream-credentials' principal for the rule's customRoleArn) and pulls
by tag, digest and index, with upstreamRepositoryPrefix's mapping; Validate
is true, or false when the upstream refuses the signature or is down.
"""

import base64
import http.client
import http.server
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import unittest
import urllib.parse
import urllib.request

import harness
from harness import (EcrdTestCase, build_image, build_index, poll,
                     registry_password, registry_request)
from test_registry import SKOPEO, describe, run_tool

REGISTRY = shutil.which("docker-registry") or "/usr/bin/docker-registry"
PODMAN = shutil.which("podman")
HTPASSWD = shutil.which("htpasswd")
SECRET = "arn:aws:secretsmanager:us-east-1:%s:secret:ecr-pullthroughcache/%s"
USER, PASSWORD = "alice", "s3cret-token"
START_S = 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class UpstreamRegistry:
    """docker-registry on a free loopback port, with htpasswd when users."""

    def __init__(self, users=None):
        self.dir = tempfile.mkdtemp(prefix="e2e-upstream-")
        self.port = free_port()
        config = ("version: 0.1\nlog:\n  level: error\nstorage:\n"
                  "  filesystem:\n    rootdirectory: %s/data\n"
                  "http:\n  addr: 127.0.0.1:%d\n" % (self.dir, self.port))
        if users:
            path = os.path.join(self.dir, "htpasswd")
            with open(path, "w") as f:
                for user, password in users.items():
                    f.write(subprocess.run(
                        [HTPASSWD, "-Bbn", user, password], check=True,
                        capture_output=True, text=True).stdout.strip()
                        + "\n")
            config += ("auth:\n  htpasswd:\n    realm: e2e\n"
                       "    path: %s\n" % path)
        with open(os.path.join(self.dir, "config.yml"), "w") as f:
            f.write(config)
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(
            [REGISTRY, "serve", os.path.join(self.dir, "config.yml")],
            stdout=self.log, stderr=subprocess.STDOUT)
        poll(self.ready, START_S, "docker-registry to answer")

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def ready(self):
        try:
            urllib.request.urlopen(self.url + "/v2/", timeout=2)
        except urllib.error.HTTPError:
            return True     # 401: up, and asking for credentials
        except OSError:
            return False
        return True

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.dir, True)


class FakeUpstream(http.server.ThreadingHTTPServer):
    """A registry that only pings: the Bearer flow, 500, or silence."""

    daemon_threads = True

    def __init__(self, mode):
        self.mode = mode
        self.token = "tok-" + os.urandom(8).hex()
        self.token_requests = []
        self.hold = threading.Event()
        self.content = {}       # reference -> (content type, bytes)
        self.requests = []      # (method, path) in content mode
        super().__init__(("127.0.0.1", 0), FakeHandler)
        self.thread = threading.Thread(target=self.serve_forever,
                                       daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.server_address[1]

    def close(self):
        self.hold.set()
        self.shutdown()
        self.server_close()


class FakeHandler(http.server.BaseHTTPRequestHandler):

    def log_message(self, *args):
        pass

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_HEAD(self):
        srv = self.server
        srv.requests.append(("HEAD", self.path))
        got = srv.content.get(self.path.split("/")[-1])
        self.send_response(404 if got is None else 200)
        self.send_header("Content-Length",
                         str(0 if got is None else len(got[1])))
        if got is not None:
            self.send_header("Content-Type", got[0])
        self.end_headers()

    def do_GET(self):
        srv = self.server
        if srv.mode == "content":
            srv.requests.append(("GET", self.path))
            # /v2/<name>/(manifests|blobs)/<ref>: what the test put there.
            got = srv.content.get(self.path.split("/")[-1])
            if self.path == "/v2/":
                self.answer(200, b"{}")
            elif got is None:
                self.answer(404, b"{}")
            else:
                self.answer(200, got[1], [("Content-Type", got[0])])
            return
        if srv.mode == "silent":
            srv.hold.wait(60)
            return
        if srv.mode == "500":
            self.answer(500, b"upstream broke")
            return
        basic = "Basic " + base64.b64encode(
            ("%s:%s" % (USER, PASSWORD)).encode()).decode()
        auth = self.headers.get("Authorization")
        if self.path.startswith("/token"):
            srv.token_requests.append(self.path)
            if auth != basic:
                self.answer(401)
            else:
                self.answer(200, json.dumps(
                    {"token": srv.token, "expires_in": 300}).encode())
            return
        if auth == "Bearer " + srv.token:
            self.answer(200, b"{}")
            return
        self.answer(401, b"{}", [(
            "WWW-Authenticate", 'Bearer realm="%s/token",service="fake '
            'registry"' % srv.url)])


class UpstreamCase(EcrdTestCase):
    """An ecrd with upstreams of the class's own, closed with it."""

    @classmethod
    def keep(cls, upstream):
        cls.upstreams.append(upstream)
        return upstream

    @classmethod
    def close_all(cls):
        for u in cls.upstreams:
            u.close()
        shutil.rmtree(cls.tmp, True)

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.close_all()


class ValidateTest(UpstreamCase):

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(REGISTRY) or HTPASSWD is None:
            raise unittest.SkipTest("needs docker-registry and htpasswd")
        cls.upstreams = []
        cls.tmp = tempfile.mkdtemp(prefix="e2e-ptc-")
        try:
            anon = cls.keep(UpstreamRegistry())
            basic = cls.keep(UpstreamRegistry({USER: PASSWORD}))
            cls.bearer = cls.keep(FakeUpstream("bearer"))
            broken = cls.keep(FakeUpstream("500"))
            cls.silent = cls.keep(FakeUpstream("silent"))
            secrets = os.path.join(cls.tmp, "secrets.json")
            acct = harness.DEFAULT_ACCOUNT
            with open(secrets, "w") as f:
                json.dump({
                    SECRET % (acct, "good"):
                        {"username": USER, "accessToken": PASSWORD},
                    SECRET % (acct, "wrong"):
                        {"username": USER, "accessToken": "nope"},
                }, f)
            cls.server_args = (
                "--secrets", secrets,
                "--upstream-url", "quay.io=" + anon.url,
                "--upstream-url", "ghcr.io=" + basic.url,
                "--upstream-url", "registry.gitlab.com=" + cls.bearer.url,
                "--upstream-url", "public.ecr.aws=" + broken.url,
                "--upstream-url", "registry.k8s.io=http://127.0.0.1:%d"
                % free_port(),
                "--upstream-url", "cgr.dev=" + cls.silent.url)
            super().setUpClass()
        except BaseException:
            cls.close_all()
            raise

    def rule(self, prefix, url, secret=None):
        kw = {}
        if secret is not None:
            kw["credentialArn"] = SECRET % (harness.DEFAULT_ACCOUNT, secret)
        self.ecr().create_pull_through_cache_rule(
            ecrRepositoryPrefix=prefix, upstreamRegistryUrl=url, **kw)
        self.addCleanup(self.ecr().delete_pull_through_cache_rule,
                        ecrRepositoryPrefix=prefix)

    def validate(self, prefix):
        return self.ecr().validate_pull_through_cache_rule(
            ecrRepositoryPrefix=prefix)

    def test_anonymous_upstream_is_valid(self):
        self.rule("anon", "quay.io")
        out = self.validate("anon")
        self.assertIs(out["isValid"], True)
        self.assertNotIn("failure", out)
        self.assertEqual(out["ecrRepositoryPrefix"], "anon")
        self.assertEqual(out["upstreamRegistryUrl"], "quay.io")
        self.assertEqual(out["registryId"], harness.DEFAULT_ACCOUNT)

    def test_basic_auth_with_the_rules_secret(self):
        self.rule("basicok", "ghcr.io", "good")
        self.rule("basicno", "ghcr.io", "wrong")
        out = self.validate("basicok")
        self.assertIs(out["isValid"], True, out)
        self.assertEqual(out["credentialArn"],
                         SECRET % (harness.DEFAULT_ACCOUNT, "good"))
        out = self.validate("basicno")
        self.assertIs(out["isValid"], False)
        self.assertIn("rejected the credentials", out["failure"])

    def test_bearer_token_flow(self):
        self.rule("bearer", "registry.gitlab.com", "good")
        self.rule("bearerno", "registry.gitlab.com", "wrong")
        out = self.validate("bearer")
        self.assertIs(out["isValid"], True, out)
        self.assertTrue(any("service=fake%20registry" in p
                            for p in self.bearer.token_requests),
                        self.bearer.token_requests)
        out = self.validate("bearerno")
        self.assertIs(out["isValid"], False)
        self.assertIn("token service rejected", out["failure"])

    def test_upstream_errors_are_invalid_in_words(self):
        self.rule("broken", "public.ecr.aws")
        self.rule("down", "registry.k8s.io")
        out = self.validate("broken")
        self.assertIs(out["isValid"], False)
        self.assertIn("answered HTTP 500", out["failure"])
        out = self.validate("down")
        self.assertIs(out["isValid"], False)
        self.assertIn("Unable to connect to the upstream registry",
                      out["failure"])
        # The CLI shows the same answer (the v2 installed predates it).
        for major in (1,):
            with self.subTest(cli=major):
                out = self.assertCliOk(self.cli(
                    major, "ecr", "validate-pull-through-cache-rule",
                    "--ecr-repository-prefix", "down"))
                self.assertIs(out["isValid"], False)

    def test_a_silent_upstream_does_not_stop_the_server(self):
        self.rule("silent", "cgr.dev", "good")
        result = {}

        def call():
            result["out"] = self.validate("silent")

        t = threading.Thread(target=call, daemon=True)
        t.start()
        try:
            # Everything else is answered while the validation waits.
            for _ in range(5):
                self.ecr().describe_pull_through_cache_rules()
                self.assertEqual(self.http("GET", "/health").status, 200)
            self.assertTrue(t.is_alive())
        finally:
            self.silent.hold.set()
        t.join(60)
        self.assertFalse(t.is_alive())
        self.assertIs(result["out"]["isValid"], False)

    def test_no_rule_is_not_found(self):
        with self.assertRaises(Exception) as cm:
            self.validate("nosuchrule")
        self.assertClientError(cm, "PullThroughCacheRuleNotFoundException",
                               message_contains="nosuchrule")


def upstream_push(base, repo, image, ref, auth=None):
    """Push image (its blobs and children first) to a registry over HTTP."""
    headers = {"Authorization": auth} if auth else {}
    for child in image.children:
        upstream_push(base, repo, child, child.digest, auth)
    for digest, data in image.blobs.items():
        req = urllib.request.Request(
            "%s/v2/%s/blobs/uploads/" % (base, repo), data=b"",
            method="POST", headers=headers)
        with urllib.request.urlopen(req, timeout=30) as r:
            loc = urllib.parse.urljoin(base, r.headers["Location"])
        sep = "&" if "?" in loc else "?"
        req = urllib.request.Request(
            loc + sep + "digest=" + digest, data=data, method="PUT",
            headers=dict(headers, **{
                "Content-Type": "application/octet-stream"}))
        urllib.request.urlopen(req, timeout=30).close()
    req = urllib.request.Request(
        "%s/v2/%s/manifests/%s" % (base, repo, ref), data=image.manifest,
        method="PUT", headers=dict(headers, **{
            "Content-Type": image.media_type}))
    urllib.request.urlopen(req, timeout=30).close()


BASIC = "Basic " + base64.b64encode(
    ("%s:%s" % (USER, PASSWORD)).encode()).decode()


class PullMixin:
    """Pulls through cls.server, as its own GetAuthorizationToken allows."""

    def get(self, path, method="GET", accept=None):
        headers = {"Authorization": "Basic " + base64.b64encode(
            ("AWS:" + self.password).encode()).decode()}
        if accept:
            headers["Accept"] = accept
        return registry_request(self.server.host, self.server.port, method,
                                path, headers=headers)

    def skopeo_pull(self, ref, *opts, ok=True):
        out = os.path.join(self.tmp, "out-" + os.urandom(4).hex())
        self.addCleanup(shutil.rmtree, out, True)
        p = run_tool((SKOPEO, "--insecure-policy", "copy", *opts,
                      "--src-tls-verify=false", "--src-creds",
                      "AWS:" + self.password,
                      "docker://%s/%s" % (self.server.hostport, ref),
                      "dir:" + out))
        if ok:
            self.assertEqual(p.returncode, 0, describe(p))
        return out, p

    def assertBlobsIn(self, out, image):
        for digest, data in image.blobs.items():
            with open(os.path.join(out, digest.split(":")[1]), "rb") as f:
                self.assertEqual(f.read(), data, digest)


class PullTest(PullMixin, UpstreamCase):

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(REGISTRY) or HTPASSWD is None:
            raise unittest.SkipTest("needs docker-registry and htpasswd")
        cls.upstreams = []
        cls.tmp = tempfile.mkdtemp(prefix="e2e-ptc-pull-")
        try:
            cls.anon = cls.keep(UpstreamRegistry())
            cls.stoppable = cls.keep(UpstreamRegistry())
            cls.basic = cls.keep(UpstreamRegistry({USER: PASSWORD}))
            cls.fake = cls.keep(FakeUpstream("content"))
            cls.broken = cls.keep(FakeUpstream("500"))
            secrets = os.path.join(cls.tmp, "secrets.json")
            with open(secrets, "w") as f:
                json.dump({SECRET % (harness.DEFAULT_ACCOUNT, "good"):
                           {"username": USER, "accessToken": PASSWORD}}, f)
            # Every tag pull checks upstream: refreshes and fallbacks show.
            cls.server_args = (
                "--secrets", secrets, "--pull-through-refresh", "0",
                "--upstream-url", "quay.io=" + cls.anon.url,
                "--upstream-url", "registry.k8s.io=" + cls.stoppable.url,
                "--upstream-url", "ghcr.io=" + cls.basic.url,
                "--upstream-url", "public.ecr.aws=" + cls.fake.url,
                "--upstream-url", "registry.gitlab.com=" + cls.broken.url,
                "--upstream-url", "cgr.dev=http://127.0.0.1:%d"
                % free_port())
            super().setUpClass()
        except BaseException:
            cls.close_all()
            raise
        c = cls.ecr_client()
        for prefix, url, secret in (
                ("quay", "quay.io", None), ("k8s", "registry.k8s.io", None),
                ("gh", "ghcr.io", "good"), ("pub", "public.ecr.aws", None),
                ("gl", "registry.gitlab.com", "good"),
                ("cg", "cgr.dev", "good")):
            kw = {}
            if secret:
                kw["credentialArn"] = SECRET % (harness.DEFAULT_ACCOUNT,
                                                secret)
            c.create_pull_through_cache_rule(
                ecrRepositoryPrefix=prefix, upstreamRegistryUrl=url, **kw)
        cls.password = registry_password(c)

    @classmethod
    def ecr_client(cls):
        return harness.ecr_client(cls.server.endpoint)

    def test_pull_by_tag_then_by_digest(self):
        image = build_image("ptc-tag")
        upstream_push(self.anon.url, "team/app", image, "v1")
        r = self.get("/v2/quay/team/app/manifests/v1",
                     accept=image.media_type)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, image.manifest)
        self.assertEqual(r.header("Docker-Content-Digest"), image.digest)
        out, _ = self.skopeo_pull("quay/team/app:v1")
        self.assertBlobsIn(out, image)
        other = build_image("ptc-digest")
        upstream_push(self.anon.url, "team/app", other, other.digest)
        out, _ = self.skopeo_pull("quay/team/app@" + other.digest)
        self.assertBlobsIn(out, other)
        imgs = self.ecr().describe_images(repositoryName="quay/team/app")
        self.assertEqual({i["imageDigest"] for i in imgs["imageDetails"]},
                         {image.digest, other.digest})

    def test_a_tag_moved_upstream_is_refreshed(self):
        first, second = build_image("ptc-old"), build_image("ptc-new")
        upstream_push(self.anon.url, "moving/app", first, "v1")
        r = self.get("/v2/quay/moving/app/manifests/v1",
                     accept=first.media_type)
        self.assertEqual(r.header("Docker-Content-Digest"), first.digest)
        upstream_push(self.anon.url, "moving/app", second, "v1")
        out, _ = self.skopeo_pull("quay/moving/app:v1")
        self.assertBlobsIn(out, second)
        r = self.get("/v2/quay/moving/app/manifests/v1",
                     accept=second.media_type)
        self.assertEqual(r.header("Docker-Content-Digest"), second.digest)

    def test_batch_get_image_pulls_through(self):
        image = build_image("ptc-bgi")
        upstream_push(self.anon.url, "bgi/app", image, "v1")
        out = self.ecr().batch_get_image(
            repositoryName="quay/bgi/app",
            imageIds=[{"imageTag": "v1"}, {"imageTag": "absent"}],
            acceptedMediaTypes=[image.media_type])
        self.assertEqual(len(out["images"]), 1, out)
        self.assertEqual(out["images"][0]["imageManifest"].encode(),
                         image.manifest)
        self.assertEqual(out["images"][0]["imageId"]["imageDigest"],
                         image.digest)
        self.assertEqual([f["failureCode"] for f in out["failures"]],
                         ["ImageNotFound"])
        out = self.ecr().batch_get_image(
            repositoryName="cg/none/app", imageIds=[{"imageTag": "v1"}])
        self.assertEqual(out["images"], [])
        self.assertEqual(out["failures"][0]["failureCode"],
                         "UpstreamUnavailable")
        with self.assertRaises(Exception) as cm:
            self.ecr().batch_get_image(repositoryName="norule/app",
                                       imageIds=[{"imageTag": "v1"}])
        self.assertClientError(cm, "RepositoryNotFoundException")

    def test_a_slow_client_gets_the_whole_blob(self):
        # 24 MiB read slowly: the upstream transfer pauses and resumes.
        image = build_image("ptc-slow", n_layers=1, big_layer=24 << 20)
        big = image.layers[-1]["digest"]
        upstream_push(self.anon.url, "slow/app", image, "v1")
        self.assertEqual(self.get("/v2/quay/slow/app/manifests/v1",
                                  accept=image.media_type).status, 200)
        conn = http.client.HTTPConnection(self.server.host,
                                          self.server.port, timeout=60)
        try:
            conn.request("GET", "/v2/quay/slow/app/blobs/" + big,
                         headers={"Authorization": "Basic " +
                                  base64.b64encode(("AWS:" + self.password)
                                                   .encode()).decode()})
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            got = bytearray()
            while True:
                piece = r.read(256 << 10)
                if not piece:
                    break
                got += piece
                if len(got) < (8 << 20):
                    threading.Event().wait(0.01)
        finally:
            conn.close()
        self.assertEqual(bytes(got), image.blobs[big])
        r = self.get("/v2/quay/slow/app/blobs/" + big)
        self.assertEqual(r.body, image.blobs[big])

    def test_multi_arch_index(self):
        kids = [build_image("ptc-amd", arch="amd64"),
                build_image("ptc-arm", arch="arm64")]
        index = build_index(kids)
        upstream_push(self.anon.url, "multi", index, "v1")
        out, _ = self.skopeo_pull("quay/multi:v1", "--all")
        with open(os.path.join(out, "manifest.json"), "rb") as f:
            self.assertEqual(f.read(), index.manifest)
        for kid in kids:
            self.assertBlobsIn(out, kid)

    def podman(self, *args):
        """podman in a store of the test's own (vfs), removed after."""
        root = tempfile.mkdtemp(prefix="podman-", dir=self.tmp)
        self.addCleanup(shutil.rmtree, root, True)
        # podman refuses a runroot longer than 50 characters.
        run = tempfile.mkdtemp(prefix="e2e-pm-", dir="/tmp")
        self.addCleanup(shutil.rmtree, run, True)
        env = dict(os.environ, TMPDIR=root)
        return run_tool((PODMAN, "--root", os.path.join(root, "root"),
                         "--runroot", run,
                         "--storage-driver", "vfs", "--events-backend",
                         "none", *args), env=env)

    @unittest.skipIf(PODMAN is None, "needs podman")
    def test_podman_pulls_by_tag_and_digest(self):
        image = build_image("ptc-podman", oci=True)
        upstream_push(self.anon.url, "pod/app", image, "v1")
        other = build_image("ptc-podman-digest", oci=True)
        upstream_push(self.anon.url, "pod/app", other, other.digest)
        for ref in ("quay/pod/app:v1", "quay/pod/app@" + other.digest):
            with self.subTest(ref=ref):
                p = self.podman("pull", "--tls-verify=false", "--creds",
                                "AWS:" + self.password,
                                "%s/%s" % (self.server.hostport, ref))
                self.assertEqual(p.returncode, 0, describe(p))
        imgs = self.ecr().describe_images(repositoryName="quay/pod/app")
        got = {i["imageDigest"] for i in imgs["imageDetails"]}
        self.assertEqual(got, {image.digest, other.digest})
        # Every layer came through and was recorded.
        for img in (image, other):
            out = self.ecr().batch_check_layer_availability(
                repositoryName="quay/pod/app",
                layerDigests=[d for d in img.blobs])
            self.assertEqual(out["failures"], [], out)

    def test_basic_auth_upstream_with_the_secret(self):
        image = build_image("ptc-basic")
        upstream_push(self.basic.url, "private/app", image, "v1",
                      auth=BASIC)
        out, _ = self.skopeo_pull("gh/private/app:v1")
        self.assertBlobsIn(out, image)

    def test_cached_pull_with_the_upstream_stopped(self):
        image = build_image("ptc-cached")
        upstream_push(self.stoppable.url, "keep/app", image, "v1")
        self.skopeo_pull("k8s/keep/app:v1")
        self.stoppable.proc.terminate()
        self.stoppable.proc.wait(10)
        out, _ = self.skopeo_pull("k8s/keep/app:v1")
        self.assertBlobsIn(out, image)
        out, _ = self.skopeo_pull("k8s/keep/app@" + image.digest)
        # A miss with the upstream down: MANIFEST_UNKNOWN.
        r = self.get("/v2/k8s/keep/app/manifests/v2")
        self.assertEqual(r.status, 404, r)
        self.assertIn(b"MANIFEST_UNKNOWN", r.body)

    def test_template_makes_the_repository(self):
        self.ecr().create_repository_creation_template(
            prefix="quay/tpl", appliedFor=["PULL_THROUGH_CACHE"],
            imageTagMutability="IMMUTABLE")
        self.addCleanup(self.ecr().delete_repository_creation_template,
                        prefix="quay/tpl")
        image = build_image("ptc-tpl")
        upstream_push(self.anon.url, "tpl/app", image, "v1")
        self.skopeo_pull("quay/tpl/app:v1")
        repo = self.ecr().describe_repositories(
            repositoryNames=["quay/tpl/app"])["repositories"][0]
        self.assertEqual(repo["imageTagMutability"], "IMMUTABLE")

    def test_upstream_down_or_failing_records_nothing(self):
        for prefix in ("cg", "gl"):
            with self.subTest(prefix=prefix):
                r = self.get("/v2/%s/some/app/manifests/v1" % prefix)
                self.assertEqual(r.status, 404, r)
                self.assertIn(b"MANIFEST_UNKNOWN", r.body)
                with self.assertRaises(Exception) as cm:
                    self.ecr().describe_repositories(
                        repositoryNames=["%s/some/app" % prefix])
                self.assertClientError(cm, "RepositoryNotFoundException")
        self.assertEqual(self.http("GET", "/health").status, 200)

    def test_head_of_a_missing_blob_asks_only_the_upstreams_head(self):
        # Issue 13: a HEAD must not start the whole blob's transfer.
        image = build_image("ptc-head", n_layers=1)
        layer = image.layers[0]["digest"]
        self.fake.content["head"] = (image.media_type, image.manifest)
        for digest, data in image.blobs.items():
            self.fake.content[digest] = ("application/octet-stream", data)
        r = self.get("/v2/pub/head/app/manifests/head",
                     accept=image.media_type)
        self.assertEqual(r.status, 200, r)
        del self.fake.requests[:]
        r = self.get("/v2/pub/head/app/blobs/" + layer, method="HEAD")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Length"),
                         str(len(image.blobs[layer])))
        self.assertEqual(r.header("Docker-Content-Digest"), layer)
        self.assertEqual(r.body, b"")
        self.assertEqual(self.fake.requests,
                         [("HEAD", "/v2/head/app/blobs/" + layer)])
        # Nothing recorded: the layer is still to be pulled.
        out = self.ecr().batch_check_layer_availability(
            repositoryName="pub/head/app", layerDigests=[layer])
        self.assertEqual(out["failures"][0]["failureCode"],
                         "MissingLayerDigest")
        # A blob the upstream lacks: 404 BLOB_UNKNOWN.
        missing = "sha256:" + "0" * 64
        r = self.get("/v2/pub/head/app/blobs/" + missing, method="HEAD")
        self.assertEqual(r.status, 404, r)
        # The GET then pulls it.
        r = self.get("/v2/pub/head/app/blobs/" + layer)
        self.assertEqual(r.body, image.blobs[layer])
        self.assertIn(("GET", "/v2/head/app/blobs/" + layer),
                      self.fake.requests)

    def test_blob_not_matching_its_digest_is_not_recorded(self):
        image = build_image("ptc-corrupt", n_layers=1)
        layer = image.layers[0]["digest"]
        self.fake.content["v1"] = (image.media_type, image.manifest)
        for digest, data in image.blobs.items():
            bad = data if digest != layer else data[:-1] + bytes(
                [data[-1] ^ 1])
            self.fake.content[digest] = ("application/octet-stream", bad)
        r = self.get("/v2/pub/bad/app/manifests/v1",
                     accept=image.media_type)
        self.assertEqual(r.status, 200, r)
        # Streamed as it came, but cut short: never a whole bad blob.
        with self.assertRaises(http.client.IncompleteRead) as cm:
            self.get("/v2/pub/bad/app/blobs/" + layer)
        self.assertEqual(len(cm.exception.partial),
                         len(image.blobs[layer]) - 1)
        # Not recorded: asked again, it is fetched (and cut) again.
        with self.assertRaises(http.client.IncompleteRead):
            self.get("/v2/pub/bad/app/blobs/" + layer)
        out = self.ecr().batch_check_layer_availability(
            repositoryName="pub/bad/app", layerDigests=[layer])
        self.assertEqual(out["failures"][0]["failureCode"], "MissingLayerDigest")
        # The good config blob came through and was recorded.
        r = self.get("/v2/pub/bad/app/blobs/" + image.config["digest"])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, image.blobs[image.config["digest"]])
        self.assertEqual(self.http("GET", "/health").status, 200)


class CheckedTagTest(PullMixin, UpstreamCase):
    """When a tag was last checked upstream is kept in the store."""

    durable = True

    @classmethod
    def setUpClass(cls):
        cls.upstreams = []
        cls.tmp = tempfile.mkdtemp(prefix="e2e-ptc-checked-")
        try:
            cls.fake = cls.keep(FakeUpstream("content"))
            cls.server_args = ("--upstream-url",
                               "public.ecr.aws=" + cls.fake.url)
            super().setUpClass()
        except BaseException:
            cls.close_all()
            raise
        c = harness.ecr_client(cls.server.endpoint)
        c.create_pull_through_cache_rule(ecrRepositoryPrefix="pub",
                                         upstreamRegistryUrl="public.ecr.aws")
        cls.password = registry_password(c)

    def test_a_restart_does_not_check_a_fresh_tag_again(self):
        first, second = build_image("ptc-chk-1"), build_image("ptc-chk-2")
        self.fake.content["v1"] = (first.media_type, first.manifest)
        r = self.get("/v2/pub/chk/app/manifests/v1",
                     accept=first.media_type)
        self.assertEqual(r.header("Docker-Content-Digest"), first.digest)
        cls = type(self)
        cls.server.stop()
        cls.server.cleanup()
        cls.server = harness.start_server(*cls.server_args,
                                          data_dir=cls.data_dir)
        # The tag moves upstream; checked under 24 h ago, it is not asked.
        self.fake.content["v1"] = (second.media_type, second.manifest)
        del self.fake.requests[:]
        r = self.get("/v2/pub/chk/app/manifests/v1",
                     accept=first.media_type)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Docker-Content-Digest"), first.digest)
        self.assertEqual(self.fake.requests, [])
        # A day later (the server's clock moved), it is checked again.
        self.assertEqual(self.http("POST", "/_ecrd/clock?advance_seconds="
                                   "86401").status, 200)
        self.password = registry_password(self.ecr())
        r = self.get("/v2/pub/chk/app/manifests/v1",
                     accept=second.media_type)
        self.assertEqual(r.header("Docker-Content-Digest"), second.digest)
        self.assertEqual(self.fake.requests,
                         [("GET", "/v2/chk/app/manifests/v1")])


ACCT = harness.DEFAULT_ACCOUNT
ADMIN = {"accessKeyId": "AKIAPTCADMIN00000001",
         "secretAccessKey": "secret-admin",
         "arn": "arn:aws:iam::%s:user/admin" % ACCT,
         "policies": [{"Version": "2012-10-17", "Statement": [
             {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}]}
PULLER = {"accessKeyId": "AKIAPTCPULL000000001",
          "secretAccessKey": "secret-puller",
          "arn": "arn:aws:iam::%s:user/puller" % ACCT,
          "policies": [{"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Resource": "*", "Action": [
                  "ecr:GetAuthorizationToken", "ecr:BatchGetImage",
                  "ecr:GetDownloadUrlForLayer",
                  "ecr:BatchCheckLayerAvailability"]}]}]}


class StrictPullTest(UpstreamCase):
    """Strict mode: pulling into the cache needs CreateRepository and
    BatchImportUpstreamImage; pulling what is cached does not."""

    principals = [ADMIN, PULLER]

    @classmethod
    def setUpClass(cls):
        if not os.path.exists(REGISTRY):
            raise unittest.SkipTest("needs docker-registry")
        cls.upstreams = []
        cls.tmp = tempfile.mkdtemp(prefix="e2e-ptc-strict-")
        try:
            cls.anon = cls.keep(UpstreamRegistry())
            cls.server_args = ("--upstream-url", "quay.io=" + cls.anon.url)
            super().setUpClass()
        except BaseException:
            cls.close_all()
            raise

    def client(self, who):
        return self.ecr(key=who["accessKeyId"],
                        secret=who["secretAccessKey"])

    def get(self, who, path):
        auth = base64.b64encode(
            ("AWS:" + registry_password(self.client(who))).encode())
        return registry_request(self.server.host, self.server.port, "GET",
                                path, headers={
                                    "Authorization": "Basic " +
                                    auth.decode()})

    def test_importing_needs_its_actions(self):
        self.client(ADMIN).create_pull_through_cache_rule(
            ecrRepositoryPrefix="quay", upstreamRegistryUrl="quay.io")
        image = build_image("ptc-strict")
        upstream_push(self.anon.url, "s/app", image, "v1")
        path = "/v2/quay/s/app/manifests/v1"
        r = self.get(PULLER, path)
        self.assertEqual(r.status, 403, r)
        self.assertIn(b"ecr:BatchImportUpstreamImage", r.body)
        with self.assertRaises(Exception) as cm:
            self.client(ADMIN).describe_repositories(
                repositoryNames=["quay/s/app"])
        self.assertClientError(cm, "RepositoryNotFoundException")
        r = self.get(ADMIN, path)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, image.manifest)
        # Cached and fresh: a plain pull, which the puller may do.
        r = self.get(PULLER, path)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, image.manifest)


# A second ecrd as the ecr upstream (issue 13): permissive, and strict
# with the principal that --upstream-credentials gives the first one.
PERM_ACCT, PERM_REGION = "111122223333", "us-west-2"
STRICT_ACCT, STRICT_REGION = "444455556666", "eu-west-1"
PERM_HOST = "%s.dkr.ecr.%s.amazonaws.com" % (PERM_ACCT, PERM_REGION)
STRICT_HOST = "%s.dkr.ecr.%s.amazonaws.com" % (STRICT_ACCT, STRICT_REGION)
PULL_ROLE = "arn:aws:iam::%s:role/ptc-pull" % STRICT_ACCT
UPSTREAM_PULLER = {
    "accessKeyId": "AKIAPTCUPSTREAM00001", "secretAccessKey": "secret-up",
    "arn": PULL_ROLE,
    "policies": [{"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}]}


class EcrdUpstream:
    """An ecrd as an upstream registry, closed with the test class."""

    def __init__(self, tmp, principals=None):
        args = ()
        if principals is not None:
            path = os.path.join(tmp, "up-creds-%s.json" % os.urandom(4).hex())
            with open(path, "w") as f:
                json.dump({"principals": principals}, f)
            args = ("--credentials", path)
        self.server = harness.start_server(*args)

    @property
    def url(self):
        return self.server.endpoint

    def client(self, key, region, secret="x"):
        return harness.ecr_client(self.server.endpoint, key, secret, region)

    def close(self):
        try:
            self.server.stop()
        finally:
            self.server.cleanup()


def dir_layout(path, image):
    """image as skopeo's dir: transport writes it (manifest and blobs)."""
    os.makedirs(path)
    with open(os.path.join(path, "version"), "w") as f:
        f.write("Directory Transport Version: 1.1\n")
    with open(os.path.join(path, "manifest.json"), "wb") as f:
        f.write(image.manifest)
    for digest, data in image.blobs.items():
        with open(os.path.join(path, digest.split(":")[1]), "wb") as f:
            f.write(data)


class EcrUpstreamTest(PullMixin, UpstreamCase):

    @classmethod
    def setUpClass(cls):
        if SKOPEO is None:
            raise unittest.SkipTest("needs skopeo")
        cls.upstreams = []
        cls.tmp = tempfile.mkdtemp(prefix="e2e-ptc-ecr-")
        try:
            cls.perm = cls.keep(EcrdUpstream(cls.tmp))
            cls.strict = cls.keep(EcrdUpstream(cls.tmp, [UPSTREAM_PULLER]))
            creds = os.path.join(cls.tmp, "upstream-credentials.json")
            with open(creds, "w") as f:
                json.dump({"principals": [UPSTREAM_PULLER]}, f)
            cls.server_args = (
                "--upstream-credentials", creds,
                "--upstream-url", "%s=%s" % (PERM_HOST, cls.perm.url),
                "--upstream-url", "%s=%s" % (STRICT_HOST, cls.strict.url),
                "--upstream-url", "123456789012.dkr.ecr.us-east-2."
                "amazonaws.com=http://127.0.0.1:%d" % free_port())
            super().setUpClass()
        except BaseException:
            cls.close_all()
            raise
        c = harness.ecr_client(cls.server.endpoint)
        own_role = "arn:aws:iam::%s:role/ptc" % harness.DEFAULT_ACCOUNT
        for prefix, url, kw in (
                ("ecrp", PERM_HOST, {"customRoleArn": own_role}),
                ("ecrpfx", PERM_HOST, {"customRoleArn": own_role,
                                       "upstreamRepositoryPrefix": "team"}),
                ("ecrs", STRICT_HOST, {"customRoleArn": PULL_ROLE}),
                ("ecrnocreds", STRICT_HOST, {
                    "customRoleArn": "arn:aws:iam::%s:role/none"
                    % STRICT_ACCT}),
                ("ecrdown", "123456789012.dkr.ecr.us-east-2.amazonaws.com",
                 {})):
            c.create_pull_through_cache_rule(
                ecrRepositoryPrefix=prefix, upstreamRegistryUrl=url,
                upstreamRegistry="ecr", **kw)
        cls.password = registry_password(c)
        # The permissive upstream takes a 12-digit key as that account.
        cls.perm_ecr = cls.perm.client(PERM_ACCT, PERM_REGION)
        cls.strict_ecr = cls.strict.client(
            UPSTREAM_PULLER["accessKeyId"], STRICT_REGION,
            UPSTREAM_PULLER["secretAccessKey"])

    def upstream_repo(self, ecr, name):
        ecr.create_repository(repositoryName=name)
        return "Basic " + base64.b64encode(
            ("AWS:" + registry_password(ecr)).encode()).decode()

    def skopeo_push(self, up, ecr, image, ref):
        """skopeo copies image from a dir: layout to the upstream ecrd."""
        src = os.path.join(self.tmp, "src-" + os.urandom(4).hex())
        self.addCleanup(shutil.rmtree, src, True)
        dir_layout(src, image)
        p = run_tool((SKOPEO, "--insecure-policy", "copy",
                      "--dest-tls-verify=false", "--dest-creds",
                      "AWS:" + registry_password(ecr), "dir:" + src,
                      "docker://%s/%s" % (up.server.hostport, ref)))
        self.assertEqual(p.returncode, 0, describe(p))

    def test_pull_by_tag_digest_and_index(self):
        auth = self.upstream_repo(self.perm_ecr, "team/app")
        image = build_image("ptc-ecr-tag")
        self.skopeo_push(self.perm, self.perm_ecr, image, "team/app:v1")
        out, _ = self.skopeo_pull("ecrp/team/app:v1")
        self.assertBlobsIn(out, image)
        with open(os.path.join(out, "manifest.json"), "rb") as f:
            self.assertEqual(f.read(), image.manifest)
        other = build_image("ptc-ecr-digest")
        upstream_push(self.perm.url, "team/app", other, "v2", auth=auth)
        out, _ = self.skopeo_pull("ecrp/team/app@" + other.digest)
        self.assertBlobsIn(out, other)
        kids = [build_image("ptc-ecr-amd", arch="amd64"),
                build_image("ptc-ecr-arm", arch="arm64")]
        index = build_index(kids)
        upstream_push(self.perm.url, "team/app", index, "multi", auth=auth)
        out, _ = self.skopeo_pull("ecrp/team/app:multi", "--all")
        with open(os.path.join(out, "manifest.json"), "rb") as f:
            self.assertEqual(f.read(), index.manifest)
        for kid in kids:
            self.assertBlobsIn(out, kid)
        imgs = self.ecr().describe_images(repositoryName="ecrp/team/app")
        self.assertTrue({image.digest, other.digest, index.digest} <=
                        {i["imageDigest"] for i in imgs["imageDetails"]})

    def test_upstream_repository_prefix_maps_the_path(self):
        self.upstream_repo(self.perm_ecr, "team/svc")
        image = build_image("ptc-ecr-prefix")
        self.skopeo_push(self.perm, self.perm_ecr, image, "team/svc:v1")
        out, _ = self.skopeo_pull("ecrpfx/svc:v1")
        self.assertBlobsIn(out, image)
        r = self.get("/v2/ecrpfx/svc/manifests/v1", accept=image.media_type)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Docker-Content-Digest"), image.digest)

    def test_strict_upstream_with_the_roles_credentials(self):
        self.upstream_repo(self.strict_ecr, "private/app")
        image = build_image("ptc-ecr-strict")
        self.skopeo_push(self.strict, self.strict_ecr, image,
                         "private/app:v1")
        out, _ = self.skopeo_pull("ecrs/private/app:v1")
        self.assertBlobsIn(out, image)
        # Without credentials for the role, the upstream refuses.
        r = self.get("/v2/ecrnocreds/private/app/manifests/v1",
                     accept=image.media_type)
        self.assertEqual(r.status, 404, r)
        self.assertIn(b"MANIFEST_UNKNOWN", r.body)

    def test_validate(self):
        for prefix in ("ecrp", "ecrpfx", "ecrs"):
            with self.subTest(prefix=prefix):
                out = self.ecr().validate_pull_through_cache_rule(
                    ecrRepositoryPrefix=prefix)
                self.assertIs(out["isValid"], True, out)
                self.assertNotIn("failure", out)
        out = self.ecr().validate_pull_through_cache_rule(
            ecrRepositoryPrefix="ecrnocreds")
        self.assertIs(out["isValid"], False)
        self.assertIn("GetAuthorizationToken with HTTP 400: "
                      "UnrecognizedClientException", out["failure"])
        out = self.ecr().validate_pull_through_cache_rule(
            ecrRepositoryPrefix="ecrdown")
        self.assertIs(out["isValid"], False)
        self.assertIn("Unable to connect to the upstream registry's ECR "
                      "API", out["failure"])
