"""docker-credential-ecrd end to end (issue 18).

The helper speaks docker's credential-helper protocol (get, store, erase,
list on standard input and output) and answers `get` with a registry
password from ecrd's GetAuthorizationToken, signed with the standard AWS
environment variables or shared credentials file, and cached (mode 0600)
until 15 minutes before it expires. Here against a strict-mode ecrd, so
every call it makes must carry a valid SigV4 signature: the protocol
directly, then the real clients configured through credHelpers: the
docker CLI without an engine (docker manifest inspect), skopeo and
podman (--authfile).
"""

import json
import os
import shutil
import stat
import subprocess
import tempfile
import time
import unittest

import harness
from harness import (DEFAULT_ACCOUNT, DEFAULT_KEY, DEFAULT_SECRET,
                     OTHER_REGION, EcrdTestCase, build_image, unique_name)
from test_registry import (DOCKER, SKOPEO, Registry, RegistryHelpers,
                           describe, run_tool)

HELPER_NAME = "docker-credential-ecrd"
MARGIN_S = 15 * 60
TWELVE_HOURS_S = 12 * 3600
SESSION_KEY = "ASIACREDHELPER"
SESSION_SECRET = "session-secret"
SESSION_TOKEN = "session-token-value"
PODMAN = shutil.which("podman")


def helper_bin():
    path = os.environ.get("ECRD_CREDHELPER_BIN") or os.path.join(
        os.path.dirname(os.path.dirname(harness.ecrd_bin())), "credhelper",
        HELPER_NAME)
    if not os.access(path, os.X_OK):
        raise AssertionError("no %s at %s (build it, or set "
                             "ECRD_CREDHELPER_BIN)" % (HELPER_NAME, path))
    return path


def root_principal(key, secret, account=DEFAULT_ACCOUNT, **extra):
    p = {"accessKeyId": key, "secretAccessKey": secret,
         "arn": "arn:aws:iam::%s:root" % account, "policies": []}
    p.update(extra)
    return p


class CredHelperTest(RegistryHelpers, EcrdTestCase):
    # Strict: every GetAuthorizationToken the helper sends must verify.
    principals = [root_principal(DEFAULT_KEY, DEFAULT_SECRET),
                  root_principal(SESSION_KEY, SESSION_SECRET,
                                 sessionToken=SESSION_TOKEN)]

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.helper = helper_bin()

    def setUp(self):
        self.home = tempfile.mkdtemp(prefix="e2e-credhelper-")
        self.addCleanup(shutil.rmtree, self.home, True)
        self.cache = os.path.join(self.home, "cache")
        # docker, skopeo and podman find the helper on PATH by its name.
        self.bin = os.path.join(self.home, "bin")
        os.mkdir(self.bin)
        os.symlink(self.helper, os.path.join(self.bin, HELPER_NAME))

    def env(self, key=DEFAULT_KEY, secret=DEFAULT_SECRET, **extra):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("AWS_") and k != "ECRD_ENDPOINT"}
        env.update({"HOME": self.home, "XDG_CACHE_HOME": self.cache,
                    "PATH": self.bin + os.pathsep + env.get("PATH", ""),
                    "AWS_SHARED_CREDENTIALS_FILE":
                        os.path.join(self.home, "no-credentials")})
        if key is not None:
            env.update({"AWS_ACCESS_KEY_ID": key,
                        "AWS_SECRET_ACCESS_KEY": secret})
        env.update(extra)
        return env

    def run_helper(self, cmd, stdin="", **env):
        return subprocess.run([self.helper, cmd], input=stdin,
                              capture_output=True, text=True,
                              env=self.env(**env),
                              timeout=harness.CLI_TIMEOUT_S)

    def get(self, server=None, **env):
        p = self.run_helper("get", server or self.server.hostport, **env)
        self.assertEqual(p.returncode, 0, describe(p))
        self.assertEqual(p.stderr, "", describe(p))
        return json.loads(p.stdout)

    def assertGetFails(self, *contains, **env):
        p = self.run_helper("get", self.server.hostport, **env)
        self.assertEqual(p.returncode, 1, describe(p))
        for part in contains:
            self.assertIn(part, p.stdout, describe(p))
        return p

    def assertWorks(self, cred, path="/v2/"):
        r = Registry(self.server, cred["Secret"], user=cred["Username"]
                     ).get(path)
        self.assertEqual(r.status, 200, r)

    def cache_files(self):
        d = os.path.join(self.cache, "ecrd")
        if not os.path.isdir(d):
            return []
        return [os.path.join(d, n) for n in sorted(os.listdir(d))]

    def rewrite_cache(self, **changes):
        (path,) = self.cache_files()
        with open(path) as f:
            entry = json.load(f)
        entry.update(changes)
        with open(path, "w") as f:
            json.dump(entry, f)
        return path

    # -- the protocol -----------------------------------------------------

    def test_get_answers_a_password_the_registry_takes(self):
        cred = self.get()
        self.assertEqual(set(cred), {"ServerURL", "Username", "Secret"})
        self.assertEqual(cred["ServerURL"], self.server.hostport)
        self.assertEqual(cred["Username"], "AWS")
        self.assertWorks(cred)
        # The URL forms docker and containers/image pass work alike.
        for server in ("http://%s/" % self.server.hostport,
                       " %s\n" % self.server.hostport):
            with self.subTest(server=server):
                self.assertWorks(self.get(server))

    def test_get_signs_with_the_shared_credentials_file_profile(self):
        path = os.path.join(self.home, "credentials")
        with open(path, "w") as f:
            f.write("# comment\n[default]\naws_access_key_id = NOPE\n"
                    "aws_secret_access_key = nope\n\n[ci]\n"
                    "aws_access_key_id = %s\n"
                    "aws_secret_access_key = %s  \n"
                    "aws_session_token=%s\n"
                    % (SESSION_KEY, SESSION_SECRET, SESSION_TOKEN))
        cred = self.get(key=None, AWS_SHARED_CREDENTIALS_FILE=path,
                        AWS_PROFILE="ci")
        self.assertWorks(cred)
        # ~/.aws/credentials when the variable is unset; [default] there.
        os.mkdir(os.path.join(self.home, ".aws"))
        shutil.copy(path, os.path.join(self.home, ".aws", "credentials"))
        env = self.env(key=None)
        del env["AWS_SHARED_CREDENTIALS_FILE"]
        p = subprocess.run([self.helper, "get"], input=self.server.hostport,
                           capture_output=True, text=True, env=env,
                           timeout=harness.CLI_TIMEOUT_S)
        self.assertEqual(p.returncode, 1, describe(p))
        self.assertIn("UnrecognizedClientException", p.stdout)

    def test_session_token_is_sent_and_signed(self):
        self.assertWorks(self.get(key=SESSION_KEY, secret=SESSION_SECRET,
                                  AWS_SESSION_TOKEN=SESSION_TOKEN))
        shutil.rmtree(self.cache)
        self.assertGetFails("GetAuthorizationToken at %s"
                            % self.server.endpoint,
                            key=SESSION_KEY, secret=SESSION_SECRET)

    def test_a_wrong_secret_is_ecrs_signature_error(self):
        p = self.assertGetFails("InvalidSignatureException: The request "
                                "signature we calculated does not match",
                                secret="wrong")
        self.assertEqual(self.cache_files(), [], describe(p))

    def test_unsigned_calls_when_no_credentials_exist(self):
        # Strict mode refuses them with AWS's words; permissive takes them.
        self.assertGetFails("MissingAuthenticationTokenException", key=None)

    def test_token_is_cached_owner_only_until_shortly_before_expiry(self):
        before = int(time.time())
        first = self.get()
        (path,) = self.cache_files()
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(os.stat(os.path.dirname(path))
                                      .st_mode), 0o700)
        with open(path) as f:
            entry = json.load(f)
        self.assertAlmostEqual(entry["expiresAt"], before + TWELVE_HOURS_S,
                               delta=120)
        # Served from the cache: a wrong secret never reaches ecrd.
        self.assertEqual(self.get(secret="wrong"), first)
        # Inside the margin: fetched again (and the wrong secret fails).
        self.rewrite_cache(expiresAt=int(time.time()) + MARGIN_S - 60)
        self.assertGetFails("InvalidSignatureException", secret="wrong")
        self.assertWorks(self.get())
        with open(path) as f:
            self.assertGreater(json.load(f)["expiresAt"],
                               int(time.time()) + TWELVE_HOURS_S - 120)

    def test_a_cache_file_others_may_read_is_not_trusted(self):
        self.get()
        path = self.rewrite_cache(secret="planted")
        os.chmod(path, 0o644)
        cred = self.get()
        self.assertNotEqual(cred["Secret"], "planted")
        self.assertWorks(cred)
        self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)

    def test_each_key_and_server_has_its_own_entry(self):
        self.get()
        self.get(key=SESSION_KEY, secret=SESSION_SECRET,
                 AWS_SESSION_TOKEN=SESSION_TOKEN)
        self.get("http://" + self.server.hostport)
        self.assertEqual(len(self.cache_files()), 3)

    def test_list_erase_and_store(self):
        p = self.run_helper("list")
        self.assertEqual((p.returncode, json.loads(p.stdout)), (0, {}))
        self.get()
        p = self.run_helper("list")
        self.assertEqual(json.loads(p.stdout),
                         {self.server.hostport: "AWS"}, describe(p))
        # store keeps nothing: the helper makes its own credentials.
        p = self.run_helper("store", json.dumps(
            {"ServerURL": "elsewhere:1", "Username": "u", "Secret": "s"}))
        self.assertEqual((p.returncode, p.stdout), (0, ""), describe(p))
        p = self.run_helper("list")
        self.assertEqual(json.loads(p.stdout),
                         {self.server.hostport: "AWS"})
        p = self.run_helper("erase", self.server.hostport)
        self.assertEqual(p.returncode, 0, describe(p))
        self.assertEqual(self.cache_files(), [])
        self.assertEqual(json.loads(self.run_helper("list").stdout), {})

    def test_endpoint_from_the_environment_region_from_the_host(self):
        name = unique_name("credhelper")
        self.make_repo(self.ecr(region=OTHER_REGION), name)
        host = "%s.dkr.ecr.%s.localhost:%d" % (DEFAULT_ACCOUNT, OTHER_REGION,
                                              self.server.port)
        for var in ("ECRD_ENDPOINT", "AWS_ENDPOINT_URL_ECR",
                    "AWS_ENDPOINT_URL"):
            with self.subTest(var=var):
                shutil.rmtree(self.cache, ignore_errors=True)
                cred = self.get(host, **{var: self.server.endpoint})
                self.assertEqual(cred["ServerURL"], host)
                # The token names eu-west-1's registry, which holds name.
                self.assertWorks(cred, "/v2/%s/tags/list" % name)
        # AWS_REGION otherwise.
        cred = self.get(AWS_REGION=OTHER_REGION)
        self.assertWorks(cred, "/v2/%s/tags/list" % name)

    def test_bad_input_and_unreachable_endpoints_fail_cleanly(self):
        for stdin in ("", " \n"):
            p = self.run_helper("get", stdin)
            self.assertEqual(p.returncode, 1, describe(p))
            self.assertIn("no server URL", p.stdout)
        p = self.run_helper("get", "127.0.0.1:1")
        self.assertEqual(p.returncode, 1, describe(p))
        self.assertIn("GetAuthorizationToken at http://127.0.0.1:1: ",
                      p.stdout)
        p = self.run_helper("get", self.server.hostport,
                            ECRD_ENDPOINT="not a url")
        self.assertEqual(p.returncode, 1, describe(p))
        self.assertIn("is not a URL", p.stdout)
        p = subprocess.run([self.helper, "frobnicate"], capture_output=True,
                           text=True, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 2, describe(p))
        p = subprocess.run([self.helper, "version"], capture_output=True,
                           text=True)
        self.assertRegex(p.stdout, r"^docker-credential-ecrd \d+\.\d+")

    # -- real clients through credHelpers ---------------------------------

    def pushed(self):
        repo = self.make_repo()
        image = build_image("credhelper-" + repo, n_layers=1)
        self.push(self.reg(), repo, image, "v1")
        return repo, image

    def auth_file(self, helpers=True):
        path = os.path.join(self.home, "auth.json")
        with open(path, "w") as f:
            json.dump({"credHelpers": {self.server.hostport: "ecrd"}}
                      if helpers else {}, f)
        return path

    @unittest.skipUnless(DOCKER, "the docker CLI is needed")
    def test_docker_manifest_inspect(self):
        repo, image = self.pushed()
        ref = "%s/%s:v1" % (self.server.hostport, repo)
        for helpers in (False, True):
            self.auth_file(helpers)
            os.replace(os.path.join(self.home, "auth.json"),
                       os.path.join(self.home, "config.json"))
            env = self.env(DOCKER_CONFIG=self.home)
            env.pop("DOCKER_HOST", None)
            p = run_tool((DOCKER, "manifest", "inspect", "--insecure", ref),
                         env=env)
            if not helpers:
                self.assertNotEqual(p.returncode, 0, describe(p))
                self.assertIn("no basic auth credentials", p.stderr)
                continue
            self.assertEqual(p.returncode, 0, describe(p))
            self.assertEqual(json.loads(p.stdout),
                             json.loads(image.manifest))

    @unittest.skipUnless(SKOPEO, "skopeo is needed")
    def test_skopeo_inspect_with_an_authfile(self):
        repo, image = self.pushed()
        ref = "docker://%s/%s:v1" % (self.server.hostport, repo)
        for helpers in (False, True):
            p = run_tool((SKOPEO, "inspect", "--raw", "--tls-verify=false",
                          "--authfile", self.auth_file(helpers), ref),
                         env=self.env())
            if not helpers:
                self.assertNotEqual(p.returncode, 0, describe(p))
                continue
            self.assertEqual(p.returncode, 0, describe(p))
            self.assertEqual(p.stdout.encode(), image.manifest)

    @unittest.skipUnless(PODMAN, "podman is needed (cmake/deps.sh test)")
    def test_podman_pull_with_an_authfile(self):
        repo, image = self.pushed()
        # podman refuses a run root longer than 50 characters: /tmp.
        store = tempfile.mkdtemp(prefix="ecrd-podman-", dir="/tmp")
        self.addCleanup(shutil.rmtree, store, True)
        ref = "%s/%s:v1" % (self.server.hostport, repo)
        argv = (PODMAN, "--root", store + "/root", "--runroot",
                store + "/run", "--tmpdir", store + "/tmp",
                "--storage-driver", "vfs", "--events-backend", "none")
        for helpers in (False, True):
            p = run_tool(argv + ("pull", "--tls-verify=false", "--authfile",
                                 self.auth_file(helpers), ref),
                         env=self.env())
            if not helpers:
                self.assertNotEqual(p.returncode, 0, describe(p))
                continue
            self.assertEqual(p.returncode, 0, describe(p))
            p = run_tool(argv + ("image", "inspect", "--format",
                                 "{{.Digest}}", ref), env=self.env())
            self.assertEqual(p.stdout.strip(), image.digest, describe(p))


if __name__ == "__main__":
    unittest.main()
