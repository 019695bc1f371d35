"""HTTPS on the same port (--tls-cert/--tls-key, issue 18; docs/tls.md).

A CA and a server certificate are made here with the openssl CLI; boto3
(verify=), the aws CLI (--ca-bundle), curl (--cacert) and skopeo
(--cert-dir) trust that CA and talk to ecrd over TLS. Multi-MiB blobs
stream up and down, a file answer over TLS is mapped a window at a time
rather than whole (bounded memory), URIs say https, and SIGHUP swaps the
certificate (a broken one keeps the old).
"""

import base64
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import unittest
import urllib.request

import botocore.exceptions

import harness
from harness import EcrdTestCase, poll
from test_registry import SKOPEO, UMOCI, Layout, describe, run_tool

OPENSSL = shutil.which("openssl")
CURL = shutil.which("curl")
TOOL_TIMEOUT_S = 120
BLOB_MIB = 24
# server/http.c's FILE_QUEUE_MAX plus a window: what a TLS file answer
# may have mapped at once.
MAPPED_MAX = 5 * 1024 * 1024
SANS = ("DNS:localhost,IP:127.0.0.1,DNS:*.dkr.ecr.us-east-1.localhost,"
        "DNS:*.dkr.ecr.eu-west-1.localhost")


def openssl(*args, cwd):
    p = subprocess.run((OPENSSL,) + args, cwd=cwd, capture_output=True,
                       text=True, timeout=TOOL_TIMEOUT_S,
                       stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise AssertionError("openssl %s: %s" % (" ".join(args), p.stderr))
    return p.stdout


def make_ca(d):
    """ca.pem and ca.key in d."""
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
            "-out", "ca.pem", "-days", "2", "-subj", "/CN=ecrd e2e CA",
            cwd=d)


def make_cert(d, name, cn):
    """name.pem and name.key in d, signed by d's CA, for SANS."""
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
            "-subj", "/CN=" + cn, cwd=d)
    with open(os.path.join(d, name + ".ext"), "w") as f:
        f.write("subjectAltName=%s\n" % SANS)
    openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
            "-CAkey", "ca.key", "-CAcreateserial", "-out", name + ".pem",
            "-days", "2", "-extfile", name + ".ext", cwd=d)


def served_cn(host, port, ca):
    """The common name of the certificate a new connection is served."""
    ctx = ssl.create_default_context(cafile=ca)
    with ctx.wrap_socket(socket.create_connection(
            (host, port), timeout=harness.HTTP_TIMEOUT_S),
            server_hostname="localhost") as s:
        subject = dict(x[0] for x in s.getpeercert()["subject"])
    return subject["commonName"]


def mapped_bytes(pid, hexd):
    """Bytes the process has mapped from files named hexd (a blob)."""
    total = 0
    with open("/proc/%d/maps" % pid) as f:
        for line in f:
            if line.rstrip().endswith(hexd):
                lo, hi = line.split()[0].split("-")
                total += int(hi, 16) - int(lo, 16)
    return total


class TlsServer(EcrdTestCase):
    """A class's ecrd serving HTTPS with a certificate from a CA made for
    it (cls.ca), as localhost: client() is boto3 trusting that CA."""

    more_args = ()

    @classmethod
    def setUpClass(cls):
        harness.needs_binary()
        cls.pki = tempfile.mkdtemp(prefix="e2e-tls-")
        try:
            make_ca(cls.pki)
            make_cert(cls.pki, "server", "ecrd-one")
            cls.ca = os.path.join(cls.pki, "ca.pem")
            cls.cert = os.path.join(cls.pki, "server.pem")
            cls.key = os.path.join(cls.pki, "server.key")
            cls.server_args = ("--tls-cert", cls.cert, "--tls-key", cls.key,
                               "--public-endpoint", "localhost:0"
                               ) + cls.more_args
            super().setUpClass()
        except BaseException:
            shutil.rmtree(cls.pki, ignore_errors=True)
            raise
        cls.url = "https://localhost:%d" % cls.server.port

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.pki, ignore_errors=True)

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="e2e-tls-case-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def client(self, verify=None, key=harness.DEFAULT_KEY,
               secret=harness.DEFAULT_SECRET):
        return harness.boto3.session.Session().client(
            "ecr", endpoint_url=self.url, region_name=harness.REGION,
            aws_access_key_id=key, aws_secret_access_key=secret,
            config=harness._boto_config,
            verify=self.ca if verify is None else verify)


@unittest.skipUnless(OPENSSL, "the openssl CLI is needed")
class TlsTest(TlsServer):
    more_args = ()

    def password(self):
        data = self.client().get_authorization_token()["authorizationData"]
        return base64.b64decode(data[0]["authorizationToken"]).decode()[4:]

    def https(self):
        ctx = ssl.create_default_context(cafile=self.ca)
        return http.client.HTTPSConnection(
            "localhost", self.server.port, context=ctx,
            timeout=harness.HTTP_TIMEOUT_S)

    def reg_headers(self, password, extra=None):
        auth = base64.b64encode(("AWS:" + password).encode()).decode()
        h = {"Authorization": "Basic " + auth}
        h.update(extra or {})
        return h

    def make_repo(self):
        name = harness.unique_name("tls")
        self.client().create_repository(repositoryName=name)
        return name

    def push_blob(self, repo, data, password):
        """POST, a streamed PATCH, PUT ?digest= over one TLS connection."""
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        c = self.https()
        c.request("POST", "/v2/%s/blobs/uploads/" % repo,
                  headers=self.reg_headers(password))
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 202)
        loc = r.getheader("Location")
        c.putrequest("PATCH", loc)
        for k, v in self.reg_headers(password, {
                "Content-Type": "application/octet-stream",
                "Content-Length": str(len(data))}).items():
            c.putheader(k, v)
        c.endheaders()
        for at in range(0, len(data), 1 << 20):
            c.send(data[at:at + (1 << 20)])
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 202, r.reason)
        c.request("PUT", "%s%sdigest=%s" % (
            loc, "&" if "?" in loc else "?", digest), body=b"",
            headers=self.reg_headers(password))
        r = c.getresponse()
        r.read()
        self.assertEqual(r.status, 201)
        c.close()
        return digest

    # -- the API --------------------------------------------------------

    def test_boto3_verifies_the_certificate_and_uris_say_https(self):
        name = self.make_repo()
        repos = self.client().describe_repositories(
            repositoryNames=[name])["repositories"]
        self.assertEqual(repos[0]["repositoryUri"],
                         "localhost:%d/%s" % (self.server.port, name))
        data = self.client().get_authorization_token()["authorizationData"]
        self.assertEqual(data[0]["proxyEndpoint"],
                         "https://localhost:%d" % self.server.port)
        # Without the CA, the server's certificate is refused.
        with self.assertRaises(botocore.exceptions.SSLError):
            self.client(verify=True).describe_repositories()

    def test_aws_cli_with_ca_bundle(self):
        cli = harness.find_cli(2) or harness.find_cli(1)
        if cli is None:
            self.fail("no aws CLI found")
        name = self.make_repo()
        r = harness.run_cli(cli, self.url, "ecr", "describe-repositories",
                            "--repository-names", name, "--ca-bundle",
                            self.ca)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.json()["repositories"][0]["repositoryName"], name)

    @unittest.skipUnless(CURL, "curl is needed")
    def test_curl_with_cacert_and_plain_http_refused(self):
        p = run_tool((CURL, "-sS", "--cacert", self.ca,
                      self.url + "/health"))
        self.assertEqual(p.returncode, 0, describe(p))
        self.assertIn('"status":"running"', p.stdout)
        # Plain HTTP on the HTTPS port gets no HTTP answer.
        p = run_tool((CURL, "-sS", "--max-time", "10",
                      "http://127.0.0.1:%d/health" % self.server.port))
        self.assertNotEqual(p.returncode, 0)
        self.assertNotIn("running", p.stdout)

    # -- blobs ----------------------------------------------------------

    def test_multi_mib_blob_push_and_pull_with_bounded_mapping(self):
        """A blob pushed through a streamed PATCH comes back whole; while
        the client reads slowly the server has at most a few MiB of the
        file mapped (not the whole blob, as evbuffer_add_file would)."""
        repo, password = self.make_repo(), self.password()
        data = os.urandom(BLOB_MIB << 20)
        digest = self.push_blob(repo, data, password)
        c = self.https()
        c.request("GET", "/v2/%s/blobs/%s" % (repo, digest),
                  headers=self.reg_headers(password))
        r = c.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(int(r.getheader("Content-Length")), len(data))
        first = r.read(1 << 20)
        mapped = mapped_bytes(self.server.pid, digest.split(":")[1])
        self.assertLessEqual(mapped, MAPPED_MAX)
        rest = r.read()
        c.close()
        self.assertEqual(hashlib.sha256(first + rest).hexdigest(),
                         digest.split(":")[1])
        # A range over TLS too.
        c = self.https()
        c.request("GET", "/v2/%s/blobs/%s" % (repo, digest),
                  headers=self.reg_headers(password,
                                           {"Range": "bytes=5000000-5000999"}))
        r = c.getresponse()
        self.assertEqual(r.status, 206)
        self.assertEqual(r.read(), data[5000000:5001000])
        c.close()

    def upload_layer(self, ecr, repo, data):
        up = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
        ecr.upload_layer_part(repositoryName=repo, uploadId=up,
                              partFirstByte=0, partLastByte=len(data) - 1,
                              layerPartBlob=data)
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        ecr.complete_layer_upload(repositoryName=repo, uploadId=up,
                                  layerDigests=[digest])
        return digest

    def test_layer_api_download_url_is_https(self):
        repo, ecr = self.make_repo(), self.client()
        data = os.urandom(3 << 20)
        config = b'{"architecture":"amd64","os":"linux"}'
        digest, config_digest = (self.upload_layer(ecr, repo, b)
                                 for b in (data, config))
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1"
                                    "+json",
                       "digest": config_digest, "size": len(config)},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1"
                                     ".tar",
                        "digest": digest, "size": len(data)}]}
        ecr.put_image(repositoryName=repo, imageTag="v1",
                      imageManifest=json.dumps(manifest))
        url = ecr.get_download_url_for_layer(
            repositoryName=repo, layerDigest=digest)["downloadUrl"]
        self.assertTrue(url.startswith(
            "https://localhost:%d/_ecrd/blobs/" % self.server.port), url)
        ctx = ssl.create_default_context(cafile=self.ca)
        with urllib.request.urlopen(url, context=ctx,
                                    timeout=harness.HTTP_TIMEOUT_S) as r:
            self.assertEqual(r.read(), data)

    @unittest.skipUnless(SKOPEO and UMOCI, "skopeo and umoci are needed")
    def test_skopeo_push_and_pull_with_cert_dir(self):
        certs = os.path.join(self.tmp, "certs")
        os.mkdir(certs)
        shutil.copy(self.ca, os.path.join(certs, "ca.crt"))
        repo, password = self.make_repo(), self.password()
        layout = Layout(self, os.path.join(self.tmp, "src"))
        big = os.urandom(6 << 20)
        layout.add_image("v1", [{"e2e/big.bin": big}])
        ref = "docker://localhost:%d/%s:v1" % (self.server.port, repo)
        p = run_tool((SKOPEO, "--insecure-policy", "copy",
                      "--dest-cert-dir", certs, "--dest-creds",
                      "AWS:" + password,
                      "oci:%s:v1" % layout.path, ref))
        self.assertEqual(p.returncode, 0, describe(p))
        out = os.path.join(self.tmp, "out")
        p = run_tool((SKOPEO, "--insecure-policy", "copy",
                      "--src-cert-dir", certs, "--src-creds",
                      "AWS:" + password, ref, "oci:%s:v1" % out))
        self.assertEqual(p.returncode, 0, describe(p))
        self.assertEqual(Layout.existing(self, out).files("v1")
                         ["e2e/big.bin"], big)

    # -- reload ---------------------------------------------------------

    def test_sighup_reloads_the_certificate_and_keeps_it_when_broken(self):
        host, port = "127.0.0.1", self.server.port
        self.assertEqual(served_cn(host, port, self.ca), "ecrd-one")
        make_cert(self.pki, "next", "ecrd-two")
        saved = {}
        for ext in ("pem", "key"):
            with open(os.path.join(self.pki, "server." + ext), "rb") as f:
                saved[ext] = f.read()
            shutil.copy(os.path.join(self.pki, "next." + ext),
                        os.path.join(self.pki, "server." + ext))
        self.addCleanup(self.restore, saved)
        self.server.proc.send_signal(signal.SIGHUP)
        poll(lambda: served_cn(host, port, self.ca) == "ecrd-two",
             harness.START_TIMEOUT_S, "the new certificate", self.server.proc)
        # A broken certificate is refused; the one in use stays.
        with open(self.cert, "w") as f:
            f.write("-----BEGIN CERTIFICATE-----\nbroken\n")
        self.server.proc.send_signal(signal.SIGHUP)
        poll(lambda: "keeping the old TLS certificate" in
             self.server.stderr(), harness.START_TIMEOUT_S,
             "the refusal in the log", self.server.proc)
        self.assertEqual(served_cn(host, port, self.ca), "ecrd-two")
        self.assertEqual(self.client().describe_repositories()[
            "ResponseMetadata"]["HTTPStatusCode"], 200)

    def restore(self, saved):
        for ext, data in saved.items():
            with open(os.path.join(self.pki, "server." + ext), "wb") as f:
                f.write(data)


def transport_principal(name, deny_when):
    """Allowed everything but when aws:SecureTransport is deny_when."""
    return {
        "accessKeyId": "AKIATLS" + name.upper(), "secretAccessKey": "s-" + name,
        "arn": "arn:aws:iam::%s:user/%s" % (harness.DEFAULT_ACCOUNT, name),
        "policies": [{"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "ecr:*", "Resource": "*",
             "Condition": {"Bool": {"aws:SecureTransport": deny_when}}}]}]}


SECURE_ONLY = transport_principal("secure", "false")
INSECURE_ONLY = transport_principal("insecure", "true")


@unittest.skipUnless(OPENSSL, "the openssl CLI is needed")
class TlsStrictTest(TlsServer):
    """Over HTTPS aws:SecureTransport is true (docs/tls.md)."""
    principals = [SECURE_ONLY, INSECURE_ONLY]

    def test_secure_transport_is_true_over_https(self):
        ok = self.client(key=SECURE_ONLY["accessKeyId"],
                         secret=SECURE_ONLY["secretAccessKey"])
        self.assertEqual(ok.describe_repositories()["ResponseMetadata"][
            "HTTPStatusCode"], 200)
        denied = self.client(key=INSECURE_ONLY["accessKeyId"],
                             secret=INSECURE_ONLY["secretAccessKey"])
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            denied.describe_repositories()
        err = cm.exception.response["Error"]
        self.assertEqual(err["Code"], "AccessDeniedException")
        self.assertEqual(err["Message"], (
            "User: %s is not authorized to perform: "
            "ecr:DescribeRepositories on resource: * with an explicit deny "
            "in an identity-based policy" % INSECURE_ONLY["arn"]))


@unittest.skipUnless(OPENSSL, "the openssl CLI is needed")
class TlsFlagsTest(unittest.TestCase):
    """Bad TLS flags stop ecrd at start, with a message."""

    def setUp(self):
        harness.needs_binary()
        self.tmp = tempfile.mkdtemp(prefix="e2e-tls-flags-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def run_ecrd(self, *args):
        return subprocess.run(
            (harness.ecrd_bin(), "--listen", "127.0.0.1:0", "--ephemeral")
            + args, capture_output=True, text=True,
            timeout=harness.START_TIMEOUT_S, stdin=subprocess.DEVNULL,
            env=dict(os.environ, TMPDIR=self.tmp))

    def test_cert_without_key_is_a_usage_error(self):
        p = self.run_ecrd("--tls-cert", "/nonexistent.pem")
        self.assertEqual(p.returncode, 2, p.stderr)
        self.assertIn("--tls-cert and --tls-key go together", p.stderr)

    def test_unreadable_or_mismatched_files_stop_the_server(self):
        make_ca(self.tmp)
        make_cert(self.tmp, "a", "a")
        make_cert(self.tmp, "b", "b")
        p = self.run_ecrd("--tls-cert", os.path.join(self.tmp, "none.pem"),
                          "--tls-key", os.path.join(self.tmp, "a.key"))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("cannot load the certificate", p.stderr)
        p = self.run_ecrd("--tls-cert", os.path.join(self.tmp, "a.pem"),
                          "--tls-key", os.path.join(self.tmp, "b.key"))
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn("key", p.stderr)


if __name__ == "__main__":
    unittest.main()
