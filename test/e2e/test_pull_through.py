"""Pull-through cache rules against real upstreams on loopback (issue 13,
docs/ecr-behaviour.md 3.9).

ValidateTest points each upstream host at a local registry with
--upstream-url: Debian's docker-registry, anonymous and with htpasswd Basic
auth (the rule's secret right and wrong), a small token server for the
Bearer flow (realm, service, the secret as Basic), an upstream answering
500 and one that is down. ValidatePullThroughCacheRule really asks them:
isValid, and a failure in words when it is not. A silent upstream keeps
its call waiting while the server answers everything else.
"""

import base64
import http.server
import json
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.request

import harness
from harness import EcrdTestCase, poll

REGISTRY = shutil.which("docker-registry") or "/usr/bin/docker-registry"
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

    def do_GET(self):
        srv = self.server
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


class ValidateTest(EcrdTestCase):

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
