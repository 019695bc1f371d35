"""Registry host names that carry the account and region (issue 18;
docs/hosts.md): --public-endpoint {account}.dkr.ecr.{region}.localhost:0.

repositoryUri and proxyEndpoint follow the template for every account and
region (boto3), a registry request whose Host has the template's shape
selects that registry (raw HTTP with Host headers, curl, which resolves
*.localhost itself, and curl --resolve), and skopeo pushes to a
repositoryUri unchanged. Go's resolver (skopeo) and glibc's do not
resolve *.localhost here, so skopeo runs in a private mount namespace
whose /etc/hosts has the line docs/hosts.md tells users to add.
"""

import base64
import os
import shutil
import subprocess
import tempfile
import unittest

import harness
from harness import EcrdTestCase
from test_registry import SKOPEO, UMOCI, Layout, describe, run_tool

CURL = shutil.which("curl")
UNSHARE = shutil.which("unshare")
TEMPLATE = "{account}.dkr.ecr.{region}.localhost:0"


class HostTemplateTest(EcrdTestCase):
    server_args = ("--public-endpoint", TEMPLATE)

    def host(self, account, region):
        return "%s.dkr.ecr.%s.localhost:%d" % (account, region,
                                               self.server.port)

    def make_repo(self, account, region):
        name = harness.unique_name("hosts")
        repo = self.ecr(key=account, region=region).create_repository(
            repositoryName=name)["repository"]
        return name, repo

    def password(self, account=None, region=harness.REGION):
        ecr = self.ecr(key=account or harness.DEFAULT_KEY, region=region)
        data = ecr.get_authorization_token()["authorizationData"][0]
        return base64.b64decode(data["authorizationToken"]).decode()[4:]

    def tags(self, name, host, password):
        auth = base64.b64encode(("AWS:" + password).encode()).decode()
        return self.http("GET", "/v2/%s/tags/list" % name, headers={
            "Host": host, "Authorization": "Basic " + auth})

    def test_uris_follow_the_account_and_region(self):
        for region in (harness.REGION, harness.OTHER_REGION):
            account = harness.fresh_account()
            name, repo = self.make_repo(account, region)
            self.assertEqual(repo["repositoryUri"],
                             "%s/%s" % (self.host(account, region), name))
            ecr = self.ecr(key=account, region=region)
            data = ecr.get_authorization_token()["authorizationData"][0]
            self.assertEqual(data["proxyEndpoint"],
                             "http://" + self.host(account, region))
            # registryIds name other registries' hosts.
            other = harness.fresh_account()
            data = ecr.get_authorization_token(
                registryIds=[other])["authorizationData"][0]
            self.assertEqual(data["proxyEndpoint"],
                             "http://" + self.host(other, region))

    def test_host_selects_the_registry_and_region(self):
        account = harness.fresh_account()
        name, _ = self.make_repo(account, harness.OTHER_REGION)
        # A token of the default account and region.
        pw = self.password()
        r = self.tags(name, self.host(account, harness.OTHER_REGION), pw)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json()["name"], name)
        # Another Host shape falls back to the token's registry, where
        # the repository is not.
        for host in ("127.0.0.1:%d" % self.server.port,
                     self.host(account, harness.REGION),
                     self.host(harness.DEFAULT_ACCOUNT,
                               harness.OTHER_REGION),
                     "%s.dkr.ecr.%s.example.test:%d" % (
                         account, harness.OTHER_REGION, self.server.port)):
            r = self.tags(name, host, pw)
            self.assertEqual(r.status, 404, (host, r))
            self.assertEqual(r.json()["errors"][0]["code"], "NAME_UNKNOWN")

    def test_malformed_hosts_fall_back_to_the_token(self):
        name, _ = self.make_repo(harness.DEFAULT_ACCOUNT, harness.REGION)
        pw = self.password()
        for host in ("12345.dkr.ecr.us-east-1.localhost",
                     "1234567890123.dkr.ecr.us-east-1.localhost",
                     "123456789012.dkr.ecr.US_EAST.localhost",
                     "123456789012.dkr.ecr..localhost", ""):
            r = self.tags(name, host, pw)
            self.assertEqual(r.status, 200, (host, r))
            self.assertEqual(r.json()["name"], name)

    @unittest.skipUnless(CURL, "curl is needed")
    def test_curl_resolves_localhost_names_itself(self):
        account = harness.fresh_account()
        name, repo = self.make_repo(account, harness.OTHER_REGION)
        creds = "AWS:" + self.password()
        url = "http://%s/v2/%s/tags/list" % (
            self.host(account, harness.OTHER_REGION), name)
        p = run_tool((CURL, "-sS", "-u", creds, url))
        self.assertEqual(p.returncode, 0, describe(p))
        self.assertIn('"name":"%s"' % name, p.stdout)
        # Names elsewhere need --resolve (or DNS, or /etc/hosts).
        host = self.host(account, harness.OTHER_REGION).split(":")[0]
        p = run_tool((CURL, "-sS", "-u", creds, "--resolve",
                      "%s:%d:127.0.0.1" % (host, self.server.port), url))
        self.assertEqual(p.returncode, 0, describe(p))
        self.assertIn('"name":"%s"' % name, p.stdout)

    @unittest.skipUnless(SKOPEO and UMOCI and UNSHARE,
                         "skopeo, umoci and unshare are needed")
    def test_skopeo_pushes_to_the_repository_uri(self):
        tmp = tempfile.mkdtemp(prefix="e2e-hosts-")
        self.addCleanup(shutil.rmtree, tmp, True)
        account = harness.fresh_account()
        name, repo = self.make_repo(account, harness.OTHER_REGION)
        layout = Layout(self, os.path.join(tmp, "src"))
        layout.add_image("v1", [{"e2e/hosts.txt": b"hosts\n"}])
        hosts = os.path.join(tmp, "hosts")
        with open(hosts, "w") as f:
            f.write("127.0.0.1 localhost\n127.0.0.1 %s\n"
                    % repo["repositoryUri"].split(":")[0])
        script = ('mount --bind "$1" /etc/hosts && shift && exec "$@"')
        argv = (UNSHARE, "-m", "sh", "-c", script, "sh", hosts, SKOPEO,
                "--insecure-policy", "copy", "--dest-tls-verify=false",
                "--dest-creds", "AWS:" + self.password(),
                "oci:%s:v1" % layout.path,
                "docker://%s:v1" % repo["repositoryUri"])
        p = run_tool(argv)
        if p.returncode != 0 and "mount" in p.stderr and \
                "ermission" in p.stderr:
            self.skipTest("no private mount namespace here: %s" % p.stderr)
        self.assertEqual(p.returncode, 0, describe(p))
        images = self.ecr(key=account, region=harness.OTHER_REGION) \
            .describe_images(repositoryName=name)["imageDetails"]
        self.assertEqual([i.get("imageTags") for i in images], [["v1"]])


class HostTemplateFlagTest(unittest.TestCase):

    def setUp(self):
        harness.needs_binary()
        self.tmp = tempfile.mkdtemp(prefix="e2e-hosts-flags-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_malformed_templates_stop_the_server(self):
        for tmpl, why in (
                ("{acct}.dkr.localhost:5080", "only {account} and {region}"),
                ("{account}.{account}.localhost", "may stand once"),
                ("{account}-x.localhost", "before '.', ':' or the end"),
                ("x.localhost:{region}", "in the host"),
                ("{region}.local_host", "not a host name"),
                ("http://{account}.localhost", "no scheme")):
            p = subprocess.run(
                (harness.ecrd_bin(), "--listen", "127.0.0.1:0",
                 "--ephemeral", "--public-endpoint", tmpl),
                capture_output=True, text=True, stdin=subprocess.DEVNULL,
                timeout=harness.START_TIMEOUT_S,
                env=dict(os.environ, TMPDIR=self.tmp))
            self.assertEqual(p.returncode, 2, (tmpl, p.stderr))
            self.assertIn(why, p.stderr, tmpl)


if __name__ == "__main__":
    unittest.main()
