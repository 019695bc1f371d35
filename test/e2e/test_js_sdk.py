"""The AWS SDK for JavaScript v3 (@aws-sdk/client-ecr) against ecrd
(issue 18): create, paginate, token, layer upload, PutImage,
BatchGetImage and its error classes, driven by js_sdk_session.cjs with
node.

The SDK comes from npm into a cache under the build tree (beside ECRD_BIN;
ECRD_JS_SDK_DIR overrides), never into the source tree. The test is
skipped, saying so, only when the npm registry cannot be reached.
"""

import json
import os
import shutil
import subprocess
import unittest

import harness
from harness import EcrdTestCase

NODE = shutil.which("node")
NPM = shutil.which("npm")
HERE = os.path.dirname(os.path.abspath(__file__))
NPM_TIMEOUT_S = 300
NODE_TIMEOUT_S = 120
# The SDK version the test installs: pinned, so a later release that needs
# a newer node cannot break the run unannounced. Releases since January
# 2026 need node 20; Debian 12's nodejs is 18, which gets the last release
# before (engines ">=18"; only node 20 was at hand to run it here).
SDK_VERSIONS = {18: "3.958.0", 20: "3.1178.0"}


def node_major():
    out = subprocess.run((NODE, "--version"), capture_output=True, text=True,
                         timeout=NODE_TIMEOUT_S).stdout
    return int(out.strip().lstrip("v").split(".")[0])


def sdk_package():
    major = node_major()
    if major < 18:
        raise AssertionError("node %d is too old for the AWS SDK for "
                             "JavaScript v3 (18 or later)" % major)
    return "@aws-sdk/client-ecr@" + SDK_VERSIONS[18 if major < 20 else 20]
# npm's words when it cannot reach its registry at all.
OFFLINE_MARKERS = ("ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ETIMEDOUT",
                   "ENETUNREACH", "ECONNRESET")


def sdk_dir():
    explicit = os.environ.get("ECRD_JS_SDK_DIR")
    if explicit:
        return explicit
    # ECRD_BIN is BUILD/server/ecrd: the cache is BUILD/js-sdk.
    return os.path.join(os.path.dirname(os.path.dirname(
        os.path.abspath(harness.ecrd_bin()))), "js-sdk")


def install_sdk():
    """node_modules holding @aws-sdk/client-ecr, installed once."""
    package = sdk_package()
    d = sdk_dir()
    modules = os.path.join(d, "node_modules")
    try:
        with open(os.path.join(modules, "@aws-sdk", "client-ecr",
                               "package.json")) as f:
            if package.endswith("@" + json.load(f)["version"]):
                return modules
    except (OSError, ValueError, KeyError):
        pass
    os.makedirs(d, exist_ok=True)
    p = subprocess.run(
        (NPM, "install", "--prefix", d, "--no-audit", "--no-fund",
         "--no-save", "--loglevel=error", package),
        capture_output=True, text=True, timeout=NPM_TIMEOUT_S,
        stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        if any(m in p.stderr for m in OFFLINE_MARKERS):
            raise unittest.SkipTest("the npm registry is unreachable, so "
                                    "@aws-sdk/client-ecr cannot be "
                                    "installed: " + p.stderr[-500:])
        raise AssertionError("npm install %s failed:\n" % package
                             + p.stderr[-3000:])
    return modules


class JsSdkTest(EcrdTestCase):

    @classmethod
    def setUpClass(cls):
        if NODE is None or NPM is None:
            raise AssertionError("node and npm are needed (cmake/deps.sh "
                                 "test installs nodejs)")
        cls.modules = install_sdk()
        super().setUpClass()

    def session(self, account, prefix):
        env = dict(os.environ, NODE_PATH=self.modules, NODE_NO_WARNINGS="1",
                   ECRD_ENDPOINT=self.server.endpoint, ECRD_ACCOUNT=account,
                   ECRD_PREFIX=prefix)
        p = subprocess.run((NODE, os.path.join(HERE, "js_sdk_session.cjs")),
                           capture_output=True, text=True, env=env,
                           timeout=NODE_TIMEOUT_S, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stderr[-3000:])
        return json.loads(p.stdout)

    def test_session(self):
        account = harness.fresh_account()
        prefix = harness.unique_name("js")
        out = self.session(account, prefix)
        names = ["%s-%d" % (prefix, i) for i in range(3)]
        self.assertEqual(out["created"], [
            "%s.dkr.ecr.us-east-1.amazonaws.com/%s" % (account, n)
            for n in names])
        # A fresh account holds only these: three pages of one.
        self.assertEqual(out["pages"], [[n] for n in sorted(names)])
        self.assertEqual(out["token"]["user"], "AWS")
        self.assertTrue(out["token"]["expiresAtIsDate"])
        self.assertTrue(11.9 < out["token"]["hoursLeft"] <= 12.0,
                        out["token"])
        self.assertEqual(out["token"]["proxyEndpoint"],
                         "https://%s.dkr.ecr.us-east-1.amazonaws.com"
                         % account)
        self.assertEqual(out["layer"]["digest"], out["layerDigestWanted"])
        size = 10 * 1024 * 1024 + 17
        self.assertEqual(out["layer"]["parts"],
                         [(5 << 20) - 1, (10 << 20) - 1, size - 1])
        self.assertEqual(out["put"]["digest"], out["put"]["wanted"])
        self.assertEqual(out["get"], {
            "manifestsEqual": True,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": out["put"]["wanted"],
            "failures": ["ImageNotFound"]})
        self.assertEqual(out["notFound"], {
            "thrown": True, "name": "RepositoryNotFoundException",
            "message": harness.not_found_message(prefix + "-missing",
                                                 account),
            "status": 400, "fault": "client",
            "isRepositoryNotFound": True, "isInvalidParameter": False,
            "isServiceException": True})
        self.assertEqual(out["invalid"], {
            "thrown": True, "name": "InvalidParameterException",
            "message": harness.REPO_NAME_MESSAGE, "status": 400,
            "fault": "client", "isRepositoryNotFound": False,
            "isInvalidParameter": True, "isServiceException": True})


if __name__ == "__main__":
    unittest.main()
