"""Managed signing (issue 16, docs/ecr-behaviour.md 3.12).

Put/Get/DeleteSigningConfiguration as ECR answers them; a push (skopeo or
PutImage) that matches a rule is signed off the request path: its status
goes IN_PROGRESS then COMPLETE, and a Notary Project signature (JWS,
notary.x509, ES256) appears as a referrer of the image through
ListImageReferrers and the registry's referrers API. The signature is
checked here with Python's `cryptography`, not with ecrd's code: the JWS
signature over the protected header and payload, the payload's
targetArtifact against the image's descriptor, and the envelope's
certificate against the admin endpoint's.
"""

import base64
import datetime
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import unittest
import urllib.parse

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import \
    encode_dss_signature

from harness import (EcrdTestCase, OwnServersTestCase, basic_auth,
                     build_image, decode_token, http_request, poll,
                     push_image, registry_request, unique_name)

SIGN_TIMEOUT_S = 30.0   # a signing is taken within a second or two
PROFILE = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/ecrd_e2e"
OTHER = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/other_one"
NOTARY = "application/vnd.cncf.notary.signature"
SKOPEO = shutil.which("skopeo")
CONFIG = {"rules": [{"signingProfileArn": PROFILE, "repositoryFilters": [
    {"filter": "e2e-signed/*", "filterType": "WILDCARD_MATCH"}]}]}


def b64url(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SigningConfigurationTest(EcrdTestCase):

    def tearDown(self):
        try:
            self.ecr().delete_signing_configuration()
        except Exception:
            pass

    def test_put_get_delete(self):
        c = self.ecr()
        with self.assertRaises(Exception) as cm:
            c.get_signing_configuration()
        self.assertClientError(cm, "SigningConfigurationNotFoundException")
        with self.assertRaises(Exception) as cm:
            c.delete_signing_configuration()
        self.assertClientError(cm, "SigningConfigurationNotFoundException")
        config = {"rules": [
            {"signingProfileArn": PROFILE,
             "repositoryFilters": [
                 {"filter": "myapp/*", "filterType": "WILDCARD_MATCH"},
                 {"filter": "*prod*", "filterType": "WILDCARD_MATCH"}]},
            {"signingProfileArn": OTHER}]}
        out = c.put_signing_configuration(signingConfiguration=config)
        self.assertEqual(out["signingConfiguration"], config)
        got = c.get_signing_configuration()
        self.assertEqual(got["registryId"], "123456789012")
        self.assertEqual(got["signingConfiguration"], config)
        out = c.delete_signing_configuration()
        self.assertEqual(out["signingConfiguration"], config)
        with self.assertRaises(Exception) as cm:
            c.get_signing_configuration()
        self.assertClientError(cm, "SigningConfigurationNotFoundException")

    def test_validation(self):
        bad = [
            {"rules": [{"signingProfileArn": "arn:aws:signer:x"}]},
            {"rules": [{"signingProfileArn": PROFILE,
                        "repositoryFilters": []}]},
            {"rules": [{"signingProfileArn": PROFILE,
                        "repositoryFilters": [
                            {"filter": "Upper", "filterType":
                             "WILDCARD_MATCH"}]}]},
            {"rules": [{"signingProfileArn": PROFILE}] * 11},
        ]
        for config in bad:
            with self.subTest(config=config):
                r = self.api("PutSigningConfiguration",
                             {"signingConfiguration": config})
                self.assertAwsError(r, 400, "ValidationException")
        with self.assertRaises(Exception) as cm:
            self.ecr().get_signing_configuration()
        self.assertClientError(cm, "SigningConfigurationNotFoundException")


class SigningTest(EcrdTestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ecr(cls).put_signing_configuration(signingConfiguration=CONFIG)

    def statuses(self, repo, digest):
        return self.ecr().describe_image_signing_status(
            repositoryName=repo,
            imageId={"imageDigest": digest})["signingStatuses"]

    def wait_complete(self, repo, digest):
        def done():
            s = self.statuses(repo, digest)
            return s if s and s[0]["status"] != "IN_PROGRESS" else None
        s = poll(done, SIGN_TIMEOUT_S, "the signing to end")
        self.assertEqual(s, [{"signingProfileArn": PROFILE,
                              "status": "COMPLETE"}])

    def password(self):
        data = self.ecr().get_authorization_token()["authorizationData"][0]
        return decode_token(data["authorizationToken"])[1]

    def reg_get(self, path, accept=None):
        h = {"Authorization": basic_auth("AWS", self.password())}
        if accept:
            h["Accept"] = accept
        return registry_request(self.server.host, self.server.port, "GET",
                                path, headers=h)

    def certificate(self):
        r = http_request(self.server.host, self.server.port, "POST",
                         "/_ecrd/signing/certificate?" +
                         urllib.parse.urlencode({"profile": PROFILE}))
        self.assertEqual(r.status, 200, r)
        return x509.load_pem_x509_certificate(
            r.json()["certificate"].encode())

    def verify_signature(self, repo, digest, media_type, size):
        """The referrer through the registry, checked independently."""
        r = self.reg_get("/v2/%s/referrers/%s?artifactType=%s"
                         % (repo, digest, urllib.parse.quote(NOTARY)))
        self.assertEqual(r.status, 200, r)
        refs = r.json()["manifests"]
        self.assertEqual(len(refs), 1, refs)
        self.assertEqual(refs[0]["artifactType"], NOTARY)
        m = self.reg_get("/v2/%s/manifests/%s" % (repo, refs[0]["digest"]),
                         "application/vnd.oci.image.manifest.v1+json")
        self.assertEqual(m.status, 200, m)
        self.assertEqual("sha256:" + hashlib.sha256(m.body).hexdigest(),
                         refs[0]["digest"])
        manifest = m.json()
        self.assertEqual(manifest["artifactType"], NOTARY)
        self.assertEqual(manifest["subject"], {
            "mediaType": media_type, "digest": digest, "size": size})
        self.assertEqual(len(manifest["layers"]), 1)
        layer = manifest["layers"][0]
        self.assertEqual(layer["mediaType"], "application/jose+json")
        blob = self.reg_get("/v2/%s/blobs/%s" % (repo, layer["digest"]))
        self.assertEqual(blob.status, 200, blob)
        self.assertEqual(len(blob.body), layer["size"])
        self.assertEqual("sha256:" + hashlib.sha256(blob.body).hexdigest(),
                         layer["digest"])
        env = json.loads(blob.body)
        self.assertEqual(set(env), {"payload", "protected", "header",
                                    "signature"})
        header = json.loads(b64url(env["protected"]))
        self.assertEqual(header["alg"], "ES256")
        self.assertEqual(header["cty"],
                         "application/vnd.cncf.notary.payload.v1+json")
        self.assertEqual(header["io.cncf.notary.signingScheme"],
                         "notary.x509")
        self.assertIn("io.cncf.notary.signingScheme", header["crit"])
        self.assertIn("io.cncf.notary.signingTime", header)
        payload = json.loads(b64url(env["payload"]))
        self.assertEqual(payload["targetArtifact"], {
            "mediaType": media_type, "digest": digest, "size": size})
        # The certificate in x5c is the admin endpoint's, and verifies.
        chain = env["header"]["x5c"]
        self.assertEqual(len(chain), 1)
        leaf = x509.load_der_x509_certificate(base64.b64decode(chain[0]))
        self.assertEqual(leaf, self.certificate())
        raw = b64url(env["signature"])
        self.assertEqual(len(raw), 64)
        der = encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                   int.from_bytes(raw[32:], "big"))
        signing_input = (env["protected"] + "." + env["payload"]).encode()
        leaf.public_key().verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
        # A changed input does not verify: the check can fail.
        with self.assertRaises(Exception):
            leaf.public_key().verify(der, signing_input + b"x",
                                     ec.ECDSA(hashes.SHA256()))
        thumbs = json.loads(manifest["annotations"][
            "io.cncf.notary.x509chain.thumbprint#S256"])
        self.assertEqual(thumbs, [hashlib.sha256(
            base64.b64decode(chain[0])).hexdigest()])
        return refs[0]["digest"]

    def test_put_image_is_signed(self):
        c = self.ecr()
        repo = unique_name("signed/app")
        c.create_repository(repositoryName=repo)
        img = build_image("sign-" + repo)
        push_image(c, repo, img, "v1")
        self.wait_complete(repo, img.digest)
        sig = self.verify_signature(repo, img.digest, img.media_type,
                                    len(img.manifest))
        refs = c.list_image_referrers(
            repositoryName=repo,
            subjectId={"imageDigest": img.digest})["referrers"]
        self.assertEqual([(r["digest"], r["artifactType"]) for r in refs],
                         [(sig, NOTARY)])
        # Deleting the configuration keeps the signature.
        c.delete_signing_configuration()
        try:
            self.verify_signature(repo, img.digest, img.media_type,
                                  len(img.manifest))
        finally:
            c.put_signing_configuration(signingConfiguration=CONFIG)

    def test_unmatched_push_is_not_signed(self):
        c = self.ecr()
        repo = unique_name("plain")
        c.create_repository(repositoryName=repo)
        img = build_image("nosign-" + repo)
        push_image(c, repo, img, "v1")
        self.assertEqual(self.statuses(repo, img.digest), [])
        self.assertEqual(c.list_image_referrers(
            repositoryName=repo,
            subjectId={"imageDigest": img.digest})["referrers"], [])

    @unittest.skipIf(SKOPEO is None, "skopeo is not installed")
    def test_skopeo_push_is_signed(self):
        c = self.ecr()
        repo = unique_name("signed/skopeo")
        c.create_repository(repositoryName=repo)
        img = build_image("skopeo-" + repo)
        tmp = tempfile.mkdtemp(prefix="e2e-sign-")
        self.addCleanup(shutil.rmtree, tmp, True)
        src = os.path.join(tmp, "src")
        os.mkdir(src)
        with open(os.path.join(src, "version"), "w") as f:
            f.write("Directory Transport Version: 1.1\n")
        with open(os.path.join(src, "manifest.json"), "wb") as f:
            f.write(img.manifest)
        for digest, data in img.blobs.items():
            with open(os.path.join(src, digest.split(":")[1]), "wb") as f:
                f.write(data)
        p = subprocess.run(
            [SKOPEO, "--insecure-policy", "copy", "--dest-tls-verify=false",
             "--dest-creds", "AWS:" + self.password(), "dir:" + src,
             "docker://%s/%s:v1" % (self.server.hostport, repo)],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        d = c.describe_images(repositoryName=repo,
                              imageIds=[{"imageTag": "v1"}])["imageDetails"][0]
        digest = d["imageDigest"]
        self.wait_complete(repo, digest)
        m = self.reg_get("/v2/%s/manifests/%s" % (repo, digest),
                         d["imageManifestMediaType"])
        self.verify_signature(repo, digest, d["imageManifestMediaType"],
                              len(m.body))


class SigningKeyTest(OwnServersTestCase):
    """--signing-key: the profile signs with the key given."""

    def signed(self, c, repo, seed):
        img = build_image(seed + repo)
        push_image(c, repo, img, seed)

        def done():
            st = c.describe_image_signing_status(
                repositoryName=repo,
                imageId={"imageDigest": img.digest})["signingStatuses"]
            return st if st and st[0]["status"] != "IN_PROGRESS" else None
        st = poll(done, SIGN_TIMEOUT_S, "the signing to end")
        self.assertEqual(st[0]["status"], "COMPLETE")
        return img

    def cert_of(self, s):
        r = http_request(s.host, s.port, "POST",
                         "/_ecrd/signing/certificate?" +
                         urllib.parse.urlencode({"profile": PROFILE}))
        return r

    def test_failure_is_reported_and_leaves_no_referrer(self):
        # A file where the key directory should be: no key can be saved.
        data = os.path.join(self.tmp, "data")
        os.mkdir(data)
        with open(os.path.join(data, "signing"), "w") as f:
            f.write("not a directory")
        s = self.start(data_dir=data)
        c = self.ecr(server=s)
        c.put_signing_configuration(signingConfiguration={
            "rules": [{"signingProfileArn": PROFILE}]})
        repo = unique_name("fails")
        c.create_repository(repositoryName=repo)
        img = build_image("fails-" + repo)
        push_image(c, repo, img, "v1")

        def done():
            st = c.describe_image_signing_status(
                repositoryName=repo,
                imageId={"imageDigest": img.digest})["signingStatuses"]
            return st if st and st[0]["status"] != "IN_PROGRESS" else None
        st = poll(done, SIGN_TIMEOUT_S, "the signing to end")[0]
        self.assertEqual(st["status"], "FAILED")
        self.assertEqual(st["failureCode"], "SIGNING_FAILED")
        self.assertTrue(st["failureReason"])
        self.assertEqual(c.list_image_referrers(
            repositoryName=repo,
            subjectId={"imageDigest": img.digest})["referrers"], [])
        self.assertEqual(self.cert_of(s).status, 404)

    def test_made_key_is_private_and_kept_across_restarts(self):
        data = os.path.join(self.tmp, "data")
        s = self.start(data_dir=data)
        self.assertEqual(self.cert_of(s).status, 404)
        c = self.ecr(server=s)
        c.put_signing_configuration(signingConfiguration={
            "rules": [{"signingProfileArn": PROFILE}]})
        repo = unique_name("kept")
        c.create_repository(repositoryName=repo)
        self.signed(c, repo, "first-")
        first = self.cert_of(s).json()["certificate"]
        files = sorted(os.listdir(os.path.join(data, "signing")))
        self.assertEqual([f.rsplit(".", 1)[1] for f in files],
                         ["crt", "key"])
        for f in files:
            mode = os.stat(os.path.join(data, "signing", f)).st_mode
            self.assertEqual(mode & 0o777, 0o600, f)
        s.stop()
        s = self.start(data_dir=data)
        c = self.ecr(server=s)
        self.signed(c, repo, "second-")
        self.assertEqual(self.cert_of(s).json()["certificate"], first)

    def test_given_key_signs_and_bad_keys_stop_the_start(self):
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME,
                                             "given")])
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder().subject_name(name)
                .issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1))
                .not_valid_after(now + datetime.timedelta(days=30))
                .add_extension(x509.KeyUsage(True, False, False, False,
                                             False, False, False, False,
                                             False), critical=True)
                .sign(key, hashes.SHA256()))
        kp, cp = os.path.join(self.tmp, "k.pem"), os.path.join(self.tmp,
                                                               "c.pem")
        with open(kp, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        with open(cp, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        s = self.start("--signing-key", "%s=%s,%s" % (PROFILE, kp, cp))
        r = http_request(s.host, s.port, "POST",
                         "/_ecrd/signing/certificate?" +
                         urllib.parse.urlencode({"profile": PROFILE}))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(x509.load_pem_x509_certificate(
            r.json()["certificate"].encode()), cert)
        c = self.ecr(server=s)
        c.put_signing_configuration(signingConfiguration={
            "rules": [{"signingProfileArn": PROFILE}]})
        repo = unique_name("given")
        c.create_repository(repositoryName=repo)
        img = build_image("given-" + repo)
        push_image(c, repo, img, "v1")

        def done():
            st = c.describe_image_signing_status(
                repositoryName=repo,
                imageId={"imageDigest": img.digest})["signingStatuses"]
            return st if st and st[0]["status"] != "IN_PROGRESS" else None
        st = poll(done, SIGN_TIMEOUT_S, "the signing to end")
        self.assertEqual(st[0]["status"], "COMPLETE")
        refs = c.list_image_referrers(
            repositoryName=repo,
            subjectId={"imageDigest": img.digest})["referrers"]
        self.assertEqual(len(refs), 1)
        # A key that is not the certificate's stops the server.
        other = ec.generate_private_key(ec.SECP256R1())
        with open(kp, "wb") as f:
            f.write(other.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()))
        with self.assertRaises(Exception):
            self.start("--signing-key", "%s=%s,%s" % (PROFILE, kp, cp))


if __name__ == "__main__":
    unittest.main()
