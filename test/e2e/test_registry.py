"""The registry API (OCI Distribution / Docker Registry HTTP API V2) end to
end (issue 4).

ecrd serves /v2/ on the ECR API's port, over the same store. Raw HTTP
(http.client and a socket, so every header, repeated Accept lines, chunked
bodies and Expect: 100-continue are ours) checks each endpoint's status,
headers and error codes as docs/registry-behaviour.md 2-3 and
docs/ecr-behaviour.md 5 describe them; real clients (skopeo 1.9.3 over
umoci-built OCI layouts, the docker CLI without an engine) push, pull,
inspect, list, delete and log in; the ECR API cross-checks both ways (DescribeImages sizes and media
types, PutImage images pulled through /v2, BatchDeleteImage and DELETE,
lastRecordedPullTime after a registry pull, tag immutability).
"""

import base64
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import uuid

import botocore.exceptions

import harness
from harness import (DEFAULT_ACCOUNT, MEDIA_DOCKER_CONFIG, MEDIA_DOCKER_LAYER,
                     MEDIA_DOCKER_LIST, MEDIA_DOCKER_MANIFEST,
                     MEDIA_OCI_CONFIG, MEDIA_OCI_INDEX,
                     MEDIA_OCI_LAYER, MEDIA_OCI_MANIFEST, MIN_LAYER_PART,
                     OTHER_REGION, REGION, REGISTRY_API_VERSION,
                     EcrdTestCase, basic_auth, build_image, build_index,
                     build_referrer, descriptor, fresh_account, manifest_json,
                     mint_registry_password, not_found_message, poll,
                     push_image, registry_password, registry_request,
                     seeded_bytes, sha256_digest, unique_name, upload_layer)

CHUNK_MIN = 5242880                     # OCI-Chunk-Min-Length, ECR's part
EXPIRED_MESSAGE = ("Your authorization token has expired. Reauthenticate "
                   "and try again.")
PART_TOO_SMALL = "All layer parts except the last part should be at least 5MB"
LIST_LIMIT_MESSAGE = ("Invalid parameter at 'maxResults' failed to satisfy "
                      "constraint: 'Member must have value less than or "
                      "equal to 1000'")
UUID_RE = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
EMPTY_SHA256 = sha256_digest(b"")
PULL_RECORD_TIMEOUT_S = 15.0            # lastRecordedPullTime may lag
TOOL_TIMEOUT_S = 180.0
IMAGE_TYPES = (MEDIA_DOCKER_MANIFEST, MEDIA_OCI_MANIFEST)
LIST_TYPES = (MEDIA_DOCKER_LIST, MEDIA_OCI_INDEX)
# What containers/image (skopeo, podman) and the docker CLI accept: each
# type on an Accept line of its own (Go's Header.Add).
GO_ACCEPT = (MEDIA_OCI_MANIFEST, MEDIA_DOCKER_MANIFEST,
             "application/vnd.docker.distribution.manifest.v1+prettyjws",
             "application/vnd.docker.distribution.manifest.v1+json",
             MEDIA_DOCKER_LIST, MEDIA_OCI_INDEX)


def _tool(*names):
    for name in names:
        path = shutil.which(name) if "/" not in name else (
            name if os.access(name, os.X_OK) else None)
        if path:
            return path
    return None


SKOPEO = _tool("skopeo")
UMOCI = _tool("umoci")
DOCKER = _tool("/usr/local/bin/docker", "docker")


def fake_digest(seed):
    """A well-formed sha256 digest of nothing anyone uploaded."""
    return sha256_digest(("never uploaded %s %s" % (seed, uuid.uuid4()))
                         .encode())


def without_media_type(image):
    """image as podman, skopeo and buildah write OCI: no mediaType member
    (its children, blobs and platform kept)."""
    obj = json.loads(image.manifest)
    del obj["mediaType"]
    return harness.BuiltImage(
        json.dumps(obj, separators=(",", ":")).encode(), image.media_type,
        image.blobs, image.config, image.layers, image.children,
        image.platform, image.size)


def name_unknown_message(repo, account=DEFAULT_ACCOUNT):
    return not_found_message(repo, account)


def immutable_message(tag, repo):
    return ("The image tag '%s' already exists in the '%s' repository and "
            "cannot be overwritten because the repository is immutable."
            % (tag, repo))


def flip(text, at):
    """text with the character at index at changed (base64 alphabet)."""
    c = text[at]
    return text[:at] + ("B" if c == "A" else "A") + text[at + 1:]


def sha512_digest(data):
    return "sha512:" + hashlib.sha512(data).hexdigest()


def run_tool(argv, env=None, input=None, cwd=None):
    """A client tool run to completion (a CompletedProcess)."""
    proc = subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, env=env,
        input=input, cwd=cwd, timeout=TOOL_TIMEOUT_S,
        stdin=subprocess.DEVNULL if input is None else None)
    return proc


def describe(proc):
    """A failed tool run for a message, credentials masked."""
    argv = " ".join(re.sub(r"^AWS:.*", "AWS:***", a) for a in proc.args)
    return "%s -> rc %d\nstdout: %s\nstderr: %s" % (
        argv, proc.returncode, proc.stdout[-3000:], proc.stderr[-3000:])


# ---------------------------------------------------------------------------
# The registry as a raw HTTP client sees it


class Registry:
    """/v2 of one server with one Authorization value (or none)."""

    def __init__(self, server, password=None, user="AWS", auth=None):
        self.server = server
        self.auth = auth if auth is not None else (
            basic_auth(user, password) if password is not None else None)

    def request(self, method, path, body=b"", headers=(), chunks=None,
                auth=True):
        if isinstance(headers, dict):
            headers = list(headers.items())
        headers = list(headers)
        if auth and self.auth is not None:
            headers.append(("Authorization", self.auth))
        return registry_request(self.server.host, self.server.port, method,
                                path, body, headers, chunks)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def head(self, path, **kw):
        return self.request("HEAD", path, **kw)


class RegistryHelpers:
    """Assertions and push/pull steps over the raw registry API."""

    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        client = harness.ecr_client(cls.server.endpoint)
        cls.password = registry_password(client)

    def reg(self, password=None, **kw):
        return Registry(self.server, password or self.password, **kw)

    def make_repo(self, client=None, name=None, **kw):
        name = name or unique_name("reg")
        (client or self.ecr()).create_repository(repositoryName=name, **kw)
        return name

    # -- assertions -------------------------------------------------------

    def assertApiVersion(self, resp):
        self.assertEqual(resp.header("Docker-Distribution-Api-Version"),
                         REGISTRY_API_VERSION, resp.headers)

    def assertRegError(self, resp, status, code, message=None,
                       message_contains=(), head=False):
        """A registry error: status, the version header and (unless the
        request was a HEAD) {"errors":[{"code","message",...}]}."""
        self.assertEqual(resp.status, status, resp)
        self.assertApiVersion(resp)
        if head:
            self.assertEqual(resp.body, b"")
            return None
        self.assertTrue(resp.header("Content-Type").startswith(
            "application/json"), resp.headers)
        body = resp.json()
        self.assertEqual(set(body), {"errors"}, body)
        self.assertEqual(len(body["errors"]), 1, body)
        err = body["errors"][0]
        self.assertLessEqual({"code", "message"}, set(err), err)
        self.assertLessEqual(set(err), {"code", "message", "detail"}, err)
        self.assertEqual(err["code"], code, body)
        if message is not None:
            self.assertEqual(err["message"], message)
        if isinstance(message_contains, str):
            message_contains = (message_contains,)
        for part in message_contains:
            self.assertIn(part, err["message"])
        return err

    def assertUnauthorized(self, resp, head=False):
        self.assertRegError(resp, 401, "UNAUTHORIZED", head=head)
        self.assertEqual(
            resp.header("WWW-Authenticate"),
            'Basic realm="https://%s.dkr.ecr.%s.amazonaws.com/",'
            'service="ecr.amazonaws.com"' % (DEFAULT_ACCOUNT, REGION))

    def assertUploadHeaders(self, resp, repo, status, end):
        """Location, Docker-Upload-UUID and Range of an upload answer;
        returns the Location."""
        self.assertEqual(resp.status, status, resp)
        self.assertApiVersion(resp)
        loc = resp.header("Location")
        self.assertRegex(loc, r"^/v2/%s/blobs/uploads/(%s)$"
                         % (re.escape(repo), UUID_RE))
        self.assertEqual(resp.header("Docker-Upload-UUID"),
                         loc.rsplit("/", 1)[1])
        self.assertEqual(resp.header("Range"), "0-%d" % end)
        return loc

    def assertBlobPulls(self, reg, repo, digest, data):
        h = reg.head("/v2/%s/blobs/%s" % (repo, digest))
        self.assertEqual(h.status, 200, h)
        self.assertApiVersion(h)
        self.assertEqual(h.header("Content-Length"), str(len(data)))
        self.assertEqual(h.header("Docker-Content-Digest"), digest)
        self.assertEqual(h.body, b"")
        g = reg.get("/v2/%s/blobs/%s" % (repo, digest))
        self.assertEqual(g.status, 200, g)
        self.assertApiVersion(g)
        self.assertEqual(g.header("Content-Length"), str(len(data)))
        self.assertEqual(g.header("Docker-Content-Digest"), digest)
        self.assertEqual(len(g.body), len(data))
        self.assertTrue(g.body == data, "blob %s differs" % digest)

    def assertManifestPulls(self, reg, repo, ref, manifest, media_type,
                            digest=None, accept=None):
        digest = digest or sha256_digest(manifest)
        headers = [("Accept", accept)] if accept else []
        for method in ("GET", "HEAD"):
            r = reg.request(method, "/v2/%s/manifests/%s" % (repo, ref),
                            headers=headers)
            self.assertEqual(r.status, 200, (method, r))
            self.assertApiVersion(r)
            self.assertEqual(r.header("Content-Type"), media_type, method)
            self.assertEqual(r.header("Docker-Content-Digest"), digest)
            self.assertEqual(r.header("Content-Length"), str(len(manifest)))
            self.assertEqual(r.body, manifest if method == "GET" else b"")

    # -- push steps -------------------------------------------------------

    def start_upload(self, reg, repo, query=""):
        r = reg.request("POST", "/v2/%s/blobs/uploads/%s" % (repo, query))
        loc = self.assertUploadHeaders(r, repo, 202, 0)
        self.assertEqual(r.header("OCI-Chunk-Min-Length"), str(CHUNK_MIN))
        return loc

    def finish_upload(self, reg, repo, loc, digest, body=b"", chunks=None,
                      encode=False):
        sep = "&" if "?" in loc else "?"
        value = urllib.parse.quote(digest, safe="") if encode else digest
        r = reg.request("PUT", "%s%sdigest=%s" % (loc, sep, value),
                        body=body, chunks=chunks)
        self.assertEqual(r.status, 201, r)
        self.assertApiVersion(r)
        self.assertEqual(r.header("Location"),
                         "/v2/%s/blobs/%s" % (repo, digest))
        self.assertEqual(r.header("Docker-Content-Digest"), digest)
        return r

    def push_blob(self, reg, repo, data):
        """POST, one whole-blob PATCH, PUT ?digest= (as skopeo does)."""
        digest = sha256_digest(data)
        loc = self.start_upload(reg, repo)
        r = reg.request("PATCH", loc, body=data,
                        headers={"Content-Type": "application/octet-stream"})
        self.assertUploadHeaders(r, repo, 202, len(data) - 1)
        self.finish_upload(reg, repo, loc, digest)
        return digest

    def put_manifest(self, reg, repo, ref, manifest, media_type):
        headers = {"Content-Type": media_type} if media_type else {}
        return reg.request("PUT", "/v2/%s/manifests/%s" % (repo, ref),
                           body=manifest, headers=headers)

    def assertManifestPut(self, resp, repo, digest, subject=None):
        self.assertEqual(resp.status, 201, resp)
        self.assertApiVersion(resp)
        self.assertEqual(resp.header("Location"),
                         "/v2/%s/manifests/%s" % (repo, digest))
        self.assertEqual(resp.header("Docker-Content-Digest"), digest)
        self.assertEqual(resp.header("OCI-Subject"), subject)

    def push(self, reg, repo, image, tag=None):
        """A BuiltImage through the registry: blobs, children by digest,
        then the manifest by tag (or by digest)."""
        for child in image.children:
            self.push(reg, repo, child)
        for data in image.blobs.values():
            self.push_blob(reg, repo, data)
        r = self.put_manifest(reg, repo, tag or image.digest,
                              image.manifest, image.media_type)
        self.assertManifestPut(r, repo, image.digest)
        return r

    # -- the ECR API's view ----------------------------------------------

    def details(self, repo, client=None):
        pages = (client or self.ecr()).get_paginator(
            "describe_images").paginate(repositoryName=repo)
        return {d["imageDigest"]: d for p in pages
                for d in p["imageDetails"]}

    def detail(self, repo, digest, client=None):
        out = (client or self.ecr()).describe_images(
            repositoryName=repo, imageIds=[{"imageDigest": digest}])
        self.assertEqual(len(out["imageDetails"]), 1, out)
        return out["imageDetails"][0]

    def assertDescribed(self, d, repo, digest, size, media_type, artifact,
                        tags=(), account=DEFAULT_ACCOUNT):
        self.assertEqual(d["registryId"], account)
        self.assertEqual(d["repositoryName"], repo)
        self.assertEqual(d["imageDigest"], digest)
        self.assertEqual(d["imageSizeInBytes"], size)
        self.assertEqual(d["imageManifestMediaType"], media_type)
        if artifact is None:
            self.assertNotIn("artifactMediaType", d)
        else:
            self.assertEqual(d.get("artifactMediaType"), artifact)
        self.assertEqual(sorted(d.get("imageTags", [])), sorted(tags))
        self.assertEqual(d["imageStatus"], "ACTIVE")

    def tags(self, reg, repo):
        r = reg.get("/v2/%s/tags/list" % repo)
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(body["name"], repo)
        return body["tags"]


# ---------------------------------------------------------------------------
# Authentication (docs/registry-behaviour.md 2.1, docs/ecr-behaviour.md 5)


class AuthTest(RegistryHelpers, EcrdTestCase):

    def test_ping_with_the_get_authorization_token_password(self):
        out = self.ecr().get_authorization_token()["authorizationData"]
        self.assertEqual(len(out), 1)
        user, password = harness.decode_token(out[0]["authorizationToken"])
        self.assertEqual(user, "AWS")
        r = self.reg(password).get("/v2/")
        self.assertEqual(r.status, 200, r)
        self.assertApiVersion(r)
        self.assertEqual(r.json(), {})
        self.assertIsNone(r.header("WWW-Authenticate"))
        # curl's way: the token already is base64(AWS:password).
        r = Registry(self.server, auth="Basic " + out[0][
            "authorizationToken"]).get("/v2/")
        self.assertEqual(r.status, 200, r)
        # The scheme is case-insensitive (RFC 9110 11.1).
        r = Registry(self.server, auth="basic " + out[0][
            "authorizationToken"]).get("/v2/")
        self.assertEqual(r.status, 200, r)

    def test_ping_without_credentials_is_a_basic_challenge(self):
        for path in ("/v2/", "/v2"):
            with self.subTest(path=path):
                r = Registry(self.server).get(path)
                self.assertUnauthorized(r)
                self.assertEqual(r.json()["errors"][0]["code"],
                                 "UNAUTHORIZED")

    def test_minted_token_shape(self):
        before = time.time()
        password, expires_at = mint_registry_password(self.server, 600)
        after = time.time()
        self.assertIsInstance(expires_at, int)
        self.assertGreaterEqual(expires_at, int(before) + 600 - 1)
        self.assertLessEqual(expires_at, int(after) + 600 + 1)
        r = self.reg(password).get("/v2/")
        self.assertEqual(r.status, 200, r)
        r = harness.http_request(self.server.host, self.server.port, "POST",
                                 "/_ecrd/token")
        self.assertEqual(r.status, 400, r)

    def endpoints(self):
        """(method, path, body) over every kind of endpoint, on a repository
        holding an image, and an open upload in it."""
        reg = self.reg()
        repo = self.make_repo()
        image = build_image("auth-" + repo, n_layers=1)
        self.push(reg, repo, image, "v1")
        layer = image.layers[0]["digest"]
        loc = self.start_upload(reg, repo)
        other = build_image("auth-other-" + repo, n_layers=1)
        return repo, image, loc, [
            ("GET", "/v2/", b""),
            ("GET", "/v2/_catalog", b""),
            ("GET", "/v2/%s/tags/list" % repo, b""),
            ("GET", "/v2/%s/tags/list" % unique_name("missing"), b""),
            ("GET", "/v2/%s/manifests/v1" % repo, b""),
            ("HEAD", "/v2/%s/manifests/v1" % repo, b""),
            ("GET", "/v2/%s/manifests/%s" % (repo, image.digest), b""),
            ("GET", "/v2/%s/blobs/%s" % (repo, layer), b""),
            ("HEAD", "/v2/%s/blobs/%s" % (repo, layer), b""),
            ("GET", "/v2/%s/referrers/%s" % (repo, image.digest), b""),
            ("POST", "/v2/%s/blobs/uploads/" % repo, b""),
            ("POST", "/v2/%s/blobs/uploads/?mount=%s&from=%s"
             % (repo, layer, repo), b""),
            ("GET", loc, b""),
            ("PATCH", loc, b"refused bytes" * 1000),
            ("PUT", loc + "?digest=" + sha256_digest(b"x"), b"x"),
            ("DELETE", loc, b""),
            ("PUT", "/v2/%s/manifests/v1" % repo, other.manifest),
            ("DELETE", "/v2/%s/manifests/%s" % (repo, image.digest), b""),
            ("DELETE", "/v2/%s/manifests/v1" % repo, b""),
        ]

    def assertNothingChanged(self, repo, image, loc):
        reg = self.reg()
        self.assertManifestPulls(reg, repo, "v1", image.manifest,
                                 image.media_type)
        self.assertEqual(self.tags(reg, repo), ["v1"])
        r = reg.get(loc)
        self.assertUploadHeaders(r, repo, 204, 0)
        self.assertEqual(set(self.details(repo)), {image.digest})

    def test_bad_credentials_are_401_everywhere(self):
        repo, image, loc, endpoints = self.endpoints()
        good = self.password
        cases = {
            "none": None,
            "garbage password": basic_auth("AWS", "garbage"),
            "not base64": "Basic !!not*base64!!",
            "no colon": "Basic " + base64.b64encode(
                ("AWS" + good).encode()).decode(),
            "empty password": basic_auth("AWS", ""),
            "tampered body": basic_auth("AWS", flip(good, len(good) // 2)),
            "tampered start": basic_auth("AWS", flip(good, 4)),
            "tampered signature": basic_auth("AWS", flip(good, len(good) - 3)),
            "truncated": basic_auth("AWS", good[:-8]),
            "wrong user": basic_auth("user", good),
            "lowercase user": basic_auth("aws", good),
            "bearer": "Bearer " + good,
        }
        for what, auth in cases.items():
            for method, path, body in endpoints:
                with self.subTest(creds=what, method=method, path=path):
                    r = Registry(self.server, auth=auth).request(
                        method, path, body=body)
                    self.assertUnauthorized(r, head=method == "HEAD")
        self.assertNothingChanged(repo, image, loc)

    def test_expired_token_is_403_denied_everywhere(self):
        repo, image, loc, endpoints = self.endpoints()
        password, expires_at = mint_registry_password(self.server, -60)
        self.assertLess(expires_at, time.time())
        expired = self.reg(password)
        for method, path, body in endpoints:
            with self.subTest(method=method, path=path):
                r = expired.request(method, path, body=body)
                self.assertRegError(r, 403, "DENIED", EXPIRED_MESSAGE,
                                    head=method == "HEAD")
        self.assertNothingChanged(repo, image, loc)

    def test_the_token_names_the_registry(self):
        acct = fresh_account()
        client = self.ecr(key=acct)
        name = unique_name("acct")
        self.make_repo(client, name)
        theirs = self.reg(registry_password(client))
        r = theirs.get("/v2/%s/tags/list" % name)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"name": name, "tags": []})
        image = build_image("acct-" + name, n_layers=1)
        self.push(theirs, name, image, "v1")
        d = self.detail(name, image.digest, client)
        self.assertDescribed(d, name, image.digest, image.size,
                             image.media_type, MEDIA_DOCKER_CONFIG, ["v1"],
                             account=acct)
        # The default account's token does not see that repository.
        r = self.reg().get("/v2/%s/manifests/v1" % name)
        self.assertRegError(r, 404, "NAME_UNKNOWN",
                            name_unknown_message(name, DEFAULT_ACCOUNT))
        r = self.reg().request("POST", "/v2/%s/blobs/uploads/" % name)
        self.assertRegError(r, 404, "NAME_UNKNOWN",
                            name_unknown_message(name, DEFAULT_ACCOUNT))
        # And theirs does not see the default account's.
        mine = self.make_repo()
        r = theirs.get("/v2/%s/tags/list" % mine)
        self.assertRegError(r, 404, "NAME_UNKNOWN",
                            name_unknown_message(mine, acct))
        # A minted token for that account works the same.
        pw, _ = mint_registry_password(self.server, 300, account=acct)
        self.assertManifestPulls(self.reg(pw), name, "v1", image.manifest,
                                 image.media_type)

    def test_the_token_names_the_region(self):
        name = unique_name("region")
        self.make_repo(self.ecr(region=OTHER_REGION), name)
        there = self.reg(registry_password(self.ecr(region=OTHER_REGION)))
        r = there.get("/v2/%s/tags/list" % name)
        self.assertEqual(r.status, 200, r)
        minted, _ = mint_registry_password(self.server, 300,
                                           region=OTHER_REGION)
        r = self.reg(minted).get("/v2/%s/tags/list" % name)
        self.assertEqual(r.status, 200, r)
        r = self.reg().get("/v2/%s/tags/list" % name)
        self.assertRegError(r, 404, "NAME_UNKNOWN",
                            name_unknown_message(name))


# ---------------------------------------------------------------------------
# Routing, names and the version header


class RoutingTest(RegistryHelpers, EcrdTestCase):

    def test_repositories_are_not_created_by_a_push(self):
        reg = self.reg()
        name = unique_name("nopush")
        image = build_image("nopush", n_layers=1)
        digest = fake_digest("nopush")
        for method, path, body in (
                ("POST", "/v2/%s/blobs/uploads/" % name, b""),
                ("PUT", "/v2/%s/manifests/v1" % name, image.manifest),
                ("GET", "/v2/%s/manifests/v1" % name, b""),
                ("DELETE", "/v2/%s/manifests/%s" % (name, digest), b""),
                ("GET", "/v2/%s/blobs/%s" % (name, digest), b""),
                ("GET", "/v2/%s/tags/list" % name, b""),
                ("GET", "/v2/%s/referrers/%s" % (name, digest), b""),
                ("GET", "/v2/%s/blobs/uploads/%s" % (name, uuid.uuid4()),
                 b"")):
            with self.subTest(method=method, path=path):
                r = reg.request(method, path, body=body,
                                headers={"Content-Type": image.media_type})
                self.assertRegError(r, 404, "NAME_UNKNOWN",
                                    name_unknown_message(name))
        with self.assertRaises(botocore.exceptions.ClientError):
            self.ecr().describe_repositories(repositoryNames=[name])

    def test_namespaced_names(self):
        reg = self.reg()
        team = unique_name("team")
        name = team + "/web"
        self.make_repo(name=name)
        deeper = team + "/web/blobs/api"       # a marker inside the name
        self.make_repo(name=deeper)
        for repo in (name, deeper):
            with self.subTest(repo=repo):
                image = build_image("ns-" + repo, oci=True, n_layers=2)
                self.push(reg, repo, image, "v1")
                self.assertManifestPulls(reg, repo, "v1", image.manifest,
                                         image.media_type)
                for digest, data in image.blobs.items():
                    self.assertBlobPulls(reg, repo, digest, data)
                self.assertEqual(self.tags(reg, repo), ["v1"])
        # The parent path is not a repository.
        r = reg.get("/v2/%s/tags/list" % team)
        self.assertRegError(r, 404, "NAME_UNKNOWN",
                            name_unknown_message(team))

    def test_unknown_endpoints_are_404(self):
        reg = self.reg()
        repo = self.make_repo()
        for path in ("/v2/%s" % repo, "/v2/%s/nothing-here" % repo,
                     "/v2/%s/tags" % repo, "/v2/no/such/endpoint"):
            with self.subTest(path=path):
                r = reg.get(path)
                self.assertEqual(r.status, 404, r)
                self.assertApiVersion(r)
                self.assertEqual(set(r.json()), {"errors"})

    def test_unsupported_methods_are_refused(self):
        reg = self.reg()
        repo = self.make_repo()
        for method, path in (
                ("POST", "/v2/"), ("DELETE", "/v2/"),
                ("POST", "/v2/_catalog"),
                ("POST", "/v2/%s/tags/list" % repo),
                ("PUT", "/v2/%s/blobs/%s" % (repo, fake_digest("m"))),
                ("POST", "/v2/%s/manifests/v1" % repo),
                ("DELETE", "/v2/%s/referrers/%s" % (repo,
                                                      fake_digest("m")))):
            with self.subTest(method=method, path=path):
                r = reg.request(method, path)
                self.assertIn(r.status, (404, 405), r)
                self.assertApiVersion(r)
                self.assertEqual(set(r.json()), {"errors"})


# ---------------------------------------------------------------------------
# Blob pulls (end-2, end-10)


class BlobTest(RegistryHelpers, EcrdTestCase):

    def test_head_and_get(self):
        reg = self.reg()
        repo = self.make_repo()
        data = seeded_bytes("blob-get", 70000)
        digest = self.push_blob(reg, repo, data)
        self.assertBlobPulls(reg, repo, digest, data)

    def test_ranges(self):
        reg = self.reg()
        repo = self.make_repo()
        data = seeded_bytes("blob-range", 3000)
        digest = self.push_blob(reg, repo, data)
        path = "/v2/%s/blobs/%s" % (repo, digest)
        for spec, first, last in (("bytes=500-1499", 500, 1499),
                                  ("bytes=500-", 500, 2999),
                                  ("bytes=-500", 2500, 2999),
                                  ("bytes=2000-5000", 2000, 2999),
                                  ("bytes=0-0", 0, 0)):
            with self.subTest(range=spec):
                r = reg.get(path, headers={"Range": spec})
                self.assertEqual(r.status, 206, r)
                self.assertApiVersion(r)
                self.assertEqual(r.header("Content-Range"), "bytes %d-%d/%d"
                                 % (first, last, len(data)))
                self.assertEqual(r.header("Content-Length"),
                                 str(last - first + 1))
                self.assertEqual(r.body, data[first:last + 1])
        for spec in ("bytes=3000-", "bytes=5000-6000", "bytes=500-0"):
            with self.subTest(range=spec):
                r = reg.get(path, headers={"Range": spec})
                self.assertEqual(r.status, 416, r)
                self.assertApiVersion(r)
                self.assertEqual(r.header("Content-Range"),
                                 "bytes */%d" % len(data))

    def test_unknown_blob(self):
        reg = self.reg()
        repo = self.make_repo()
        digest = fake_digest("blob-unknown")
        r = reg.get("/v2/%s/blobs/%s" % (repo, digest))
        self.assertRegError(r, 404, "BLOB_UNKNOWN")
        r = reg.head("/v2/%s/blobs/%s" % (repo, digest))
        self.assertRegError(r, 404, "BLOB_UNKNOWN", head=True)

    def test_blobs_belong_to_their_repository(self):
        reg = self.reg()
        a, b = self.make_repo(), self.make_repo()
        digest = self.push_blob(reg, a, b"only in repository a")
        r = reg.get("/v2/%s/blobs/%s" % (b, digest))
        self.assertRegError(r, 404, "BLOB_UNKNOWN")

    def test_malformed_digest(self):
        reg = self.reg()
        repo = self.make_repo()
        for bad in ("sha256:totallywrong", "sha256:abc",
                    "sha256:" + "G" * 64, "md5:" + "a" * 32):
            with self.subTest(digest=bad):
                r = reg.get("/v2/%s/blobs/%s" % (repo, bad))
                self.assertRegError(r, 400, "DIGEST_INVALID")

    def test_blob_delete_is_unsupported(self):
        reg = self.reg()
        repo = self.make_repo()
        data = b"blobs stay until their images go"
        digest = self.push_blob(reg, repo, data)
        r = reg.request("DELETE", "/v2/%s/blobs/%s" % (repo, digest))
        self.assertRegError(r, 405, "UNSUPPORTED")
        self.assertBlobPulls(reg, repo, digest, data)


# ---------------------------------------------------------------------------
# Blob uploads (end-4 .. end-6, end-13)


class UploadTest(RegistryHelpers, EcrdTestCase):

    def status(self, reg, repo, loc, end):
        r = reg.get(loc)
        self.assertUploadHeaders(r, repo, 204, end)
        self.assertEqual(r.body, b"")
        return r

    def test_post_answers(self):
        reg = self.reg()
        repo = self.make_repo()
        r = reg.request("POST", "/v2/%s/blobs/uploads/" % repo)
        loc = self.assertUploadHeaders(r, repo, 202, 0)
        self.assertEqual(r.header("OCI-Chunk-Min-Length"), str(CHUNK_MIN))
        self.assertEqual(r.header("Content-Length"), "0")
        self.status(reg, repo, loc, 0)
        again = self.start_upload(reg, repo)
        self.assertNotEqual(again, loc)

    def test_whole_blob_patch_then_put(self):
        reg = self.reg()
        repo = self.make_repo()
        data = seeded_bytes("whole-patch", 123457)
        loc = self.start_upload(reg, repo)
        r = reg.request("PATCH", loc, body=data)
        self.assertEqual(self.assertUploadHeaders(r, repo, 202,
                                                  len(data) - 1), loc)
        self.status(reg, repo, loc, len(data) - 1)
        r = self.finish_upload(reg, repo, loc, sha256_digest(data),
                               encode=True)
        self.assertEqual(reg.get(r.header("Location")).body, data)
        self.assertBlobPulls(reg, repo, sha256_digest(data), data)
        # The upload is over.
        r = reg.get(loc)
        self.assertRegError(r, 404, "BLOB_UPLOAD_UNKNOWN")

    def test_whole_blob_patch_any_size(self):
        """A single PATCH of any size is one (last) part (2.3)."""
        reg = self.reg()
        repo = self.make_repo()
        for n in (1, 1000, CHUNK_MIN - 1, CHUNK_MIN + 1):
            with self.subTest(size=n):
                data = seeded_bytes("any-size-%d" % n, n)
                digest = self.push_blob(reg, repo, data)
                self.assertBlobPulls(reg, repo, digest, data)

    def test_chunked_transfer_encoding(self):
        """podman and buildah PATCH with Transfer-Encoding: chunked."""
        reg = self.reg()
        repo = self.make_repo()
        data = seeded_bytes("te-chunked", 300001)
        loc = self.start_upload(reg, repo)
        pieces = [data[i:i + 7919] for i in range(0, len(data), 7919)]
        r = reg.request("PATCH", loc, chunks=pieces)
        self.assertUploadHeaders(r, repo, 202, len(data) - 1)
        self.status(reg, repo, loc, len(data) - 1)
        self.finish_upload(reg, repo, loc, sha256_digest(data))
        self.assertBlobPulls(reg, repo, sha256_digest(data), data)

    def test_chunks_with_content_range(self):
        reg = self.reg()
        repo = self.make_repo()
        data = seeded_bytes("ranged-chunks", 2 * CHUNK_MIN + 4321)
        loc = self.start_upload(reg, repo)
        first, second = data[:CHUNK_MIN], data[CHUNK_MIN:2 * CHUNK_MIN]
        r = reg.request("PATCH", loc, body=first, headers={
            "Content-Range": "0-%d" % (CHUNK_MIN - 1),
            "Content-Type": "application/octet-stream"})
        self.assertUploadHeaders(r, repo, 202, CHUNK_MIN - 1)
        # A chunk body may come chunked too.
        r = reg.request("PATCH", loc, chunks=[second[:CHUNK_MIN // 2],
                                              second[CHUNK_MIN // 2:]],
                        headers={"Content-Range": "%d-%d" % (
                            CHUNK_MIN, 2 * CHUNK_MIN - 1)})
        self.assertUploadHeaders(r, repo, 202, 2 * CHUNK_MIN - 1)
        rest = data[2 * CHUNK_MIN:]
        r = reg.request("PATCH", loc, body=rest, headers={
            "Content-Range": "%d-%d" % (2 * CHUNK_MIN, len(data) - 1)})
        self.assertUploadHeaders(r, repo, 202, len(data) - 1)
        self.status(reg, repo, loc, len(data) - 1)
        self.finish_upload(reg, repo, loc, sha256_digest(data))
        self.assertBlobPulls(reg, repo, sha256_digest(data), data)

    def test_last_chunk_on_the_put(self):
        reg = self.reg()
        repo = self.make_repo()
        data = seeded_bytes("last-on-put", CHUNK_MIN + 999)
        loc = self.start_upload(reg, repo)
        r = reg.request("PATCH", loc, body=data[:CHUNK_MIN], headers={
            "Content-Range": "0-%d" % (CHUNK_MIN - 1)})
        self.assertUploadHeaders(r, repo, 202, CHUNK_MIN - 1)
        self.finish_upload(reg, repo, loc, sha256_digest(data),
                           body=data[CHUNK_MIN:])
        self.assertBlobPulls(reg, repo, sha256_digest(data), data)
        # Chunked on the PUT as well.
        data2 = seeded_bytes("last-on-put-2", CHUNK_MIN + 5)
        loc = self.start_upload(reg, repo)
        reg.request("PATCH", loc, body=data2[:CHUNK_MIN])
        self.finish_upload(reg, repo, loc, sha256_digest(data2),
                           chunks=[data2[CHUNK_MIN:CHUNK_MIN + 2],
                                   data2[CHUNK_MIN + 2:]])
        self.assertBlobPulls(reg, repo, sha256_digest(data2), data2)

    def test_monolithic_put(self):
        reg = self.reg()
        repo = self.make_repo()
        data = seeded_bytes("monolithic-put", 54321)
        loc = self.start_upload(reg, repo)
        self.finish_upload(reg, repo, loc, sha256_digest(data), body=data)
        self.assertBlobPulls(reg, repo, sha256_digest(data), data)

    def test_out_of_order_chunks_are_416(self):
        reg = self.reg()
        repo = self.make_repo()
        data = seeded_bytes("out-of-order", CHUNK_MIN + 2048)
        loc = self.start_upload(reg, repo)
        # The first chunk must start at 0.
        r = reg.request("PATCH", loc, body=data[10:2000], headers={
            "Content-Range": "10-1999"})
        self.assertRegError(r, 416, "BLOB_UPLOAD_INVALID")
        self.status(reg, repo, loc, 0)
        r = reg.request("PATCH", loc, body=data[:CHUNK_MIN], headers={
            "Content-Range": "0-%d" % (CHUNK_MIN - 1)})
        self.assertUploadHeaders(r, repo, 202, CHUNK_MIN - 1)
        rest = data[CHUNK_MIN:]
        for start in (0, CHUNK_MIN - 1, CHUNK_MIN + 1, 2 * CHUNK_MIN):
            with self.subTest(start=start):
                r = reg.request("PATCH", loc, body=rest, headers={
                    "Content-Range": "%d-%d" % (start,
                                                start + len(rest) - 1)})
                self.assertRegError(r, 416, "BLOB_UPLOAD_INVALID")
                self.status(reg, repo, loc, CHUNK_MIN - 1)
        # The right chunk still goes on, and the blob is whole.
        r = reg.request("PATCH", loc, body=rest, headers={
            "Content-Range": "%d-%d" % (CHUNK_MIN, len(data) - 1)})
        self.assertUploadHeaders(r, repo, 202, len(data) - 1)
        self.finish_upload(reg, repo, loc, sha256_digest(data))
        self.assertBlobPulls(reg, repo, sha256_digest(data), data)

    def test_content_range_must_match_the_body(self):
        """A chunk whose Content-Range disagrees with its length is
        refused whole (416), as the reference registry does; the upload
        stays where it was."""
        reg = self.reg()
        repo = self.make_repo()
        data = seeded_bytes("range-length", 4000)
        loc = self.start_upload(reg, repo)
        for header, body in (("0-99", data[:50]), ("0-49", data[:100]),
                             ("0-4999", data)):
            with self.subTest(range=header, length=len(body)):
                r = reg.request("PATCH", loc, body=body,
                                headers={"Content-Range": header})
                self.assertRegError(r, 416, "BLOB_UPLOAD_INVALID")
                self.status(reg, repo, loc, 0)
        r = reg.request("PATCH", loc, body=data, headers={
            "Content-Range": "0-%d" % (len(data) - 1)})
        self.assertUploadHeaders(r, repo, 202, len(data) - 1)
        self.finish_upload(reg, repo, loc, sha256_digest(data))
        self.assertBlobPulls(reg, repo, sha256_digest(data), data)

    def test_small_chunk_that_is_not_the_last(self):
        """ECR's rule: every part but the last is at least 5 MiB."""
        reg = self.reg()
        repo = self.make_repo()
        data = seeded_bytes("small-chunk", 3000)
        for final_body in (False, True):
            with self.subTest(last_on_put=final_body):
                loc = self.start_upload(reg, repo)
                r = reg.request("PATCH", loc, body=data[:1000], headers={
                    "Content-Range": "0-999"})
                self.assertUploadHeaders(r, repo, 202, 999)
                if final_body:
                    body = data[1000:]
                else:
                    r = reg.request("PATCH", loc, body=data[1000:],
                                    headers={"Content-Range": "1000-2999"})
                    self.assertUploadHeaders(r, repo, 202, 2999)
                    body = b""
                r = reg.request("PUT", loc + "?digest=" + sha256_digest(data),
                                body=body)
                self.assertRegError(r, 400, "BLOB_UPLOAD_INVALID",
                                    PART_TOO_SMALL)
                r = reg.head("/v2/%s/blobs/%s" % (repo, sha256_digest(data)))
                self.assertEqual(r.status, 404, r)

    def test_wrong_or_missing_digest(self):
        reg = self.reg()
        repo = self.make_repo()
        data = b"the bytes actually sent"
        other = sha256_digest(b"other bytes")
        for query in ("?digest=" + other, "", "?digest=sha256:abc",
                      "?digest=nonsense"):
            with self.subTest(query=query):
                loc = self.start_upload(reg, repo)
                reg.request("PATCH", loc, body=data)
                r = reg.request("PUT", loc + query)
                self.assertRegError(r, 400, "DIGEST_INVALID")
        for digest in (other, sha256_digest(data)):
            r = reg.head("/v2/%s/blobs/%s" % (repo, digest))
            self.assertEqual(r.status, 404, r)

    def test_cancel(self):
        reg = self.reg()
        repo = self.make_repo()
        loc = self.start_upload(reg, repo)
        reg.request("PATCH", loc, body=b"partial")
        r = reg.request("DELETE", loc)
        self.assertEqual(r.status, 204, r)
        self.assertApiVersion(r)
        for method, path, body in (
                ("GET", loc, b""), ("PATCH", loc, b"more"),
                ("PUT", loc + "?digest=" + sha256_digest(b"partial"), b""),
                ("DELETE", loc, b"")):
            with self.subTest(method=method):
                r = reg.request(method, path, body=body)
                self.assertRegError(r, 404, "BLOB_UPLOAD_UNKNOWN")

    def test_unknown_and_foreign_uploads(self):
        reg = self.reg()
        repo, other = self.make_repo(), self.make_repo()
        unknown = "/v2/%s/blobs/uploads/%s" % (repo, uuid.uuid4())
        foreign = self.start_upload(reg, other)
        moved = foreign.replace("/v2/%s/" % other, "/v2/%s/" % repo)
        for loc in (unknown, moved):
            for method, body in (("GET", b""), ("PATCH", b"abc"),
                                 ("PUT", b"abc"), ("DELETE", b"")):
                with self.subTest(loc=loc, method=method):
                    path = loc + ("?digest=" + sha256_digest(b"abc")
                                  if method == "PUT" else "")
                    r = reg.request(method, path, body=body)
                    self.assertRegError(r, 404, "BLOB_UPLOAD_UNKNOWN")
        # The foreign upload is intact in its own repository.
        self.status(reg, other, foreign, 0)

    def test_monolithic_post_falls_back_to_an_upload(self):
        reg = self.reg()
        repo = self.make_repo()
        data = seeded_bytes("mono-post", 4096)
        digest = sha256_digest(data)
        r = reg.request("POST", "/v2/%s/blobs/uploads/?digest=%s"
                        % (repo, digest), body=data, headers={
                            "Content-Type": "application/octet-stream"})
        loc = self.assertUploadHeaders(r, repo, 202, 0)
        # The client then uploads normally.
        r = reg.request("PATCH", loc, body=data)
        self.assertUploadHeaders(r, repo, 202, len(data) - 1)
        self.finish_upload(reg, repo, loc, digest)
        self.assertBlobPulls(reg, repo, digest, data)

    def test_empty_blobs(self):
        """The 0-byte blob and the 2-byte {} of OCI artifacts (2.3)."""
        reg = self.reg()
        repo = self.make_repo()
        loc = self.start_upload(reg, repo)
        self.finish_upload(reg, repo, loc, EMPTY_SHA256)
        self.assertBlobPulls(reg, repo, EMPTY_SHA256, b"")
        digest = self.push_blob(reg, repo, b"{}")
        self.assertBlobPulls(reg, repo, digest, b"{}")

    def test_sha512_blob(self):
        """Issue 4: sha256 and sha512 digests (the head conformance suite
        pushes sha512 blobs, docs/registry-behaviour.md 3.2)."""
        reg = self.reg()
        repo = self.make_repo()
        data = seeded_bytes("sha512", 5000)
        digest = sha512_digest(data)
        loc = self.start_upload(reg, repo)
        reg.request("PATCH", loc, body=data)
        self.finish_upload(reg, repo, loc, digest)
        self.assertBlobPulls(reg, repo, digest, data)

    def expect_continue(self, method, path, body, auth):
        """A request with Expect: 100-continue that sends its body only
        after the interim answer: (first answer, final answer or None)."""
        s = socket.create_connection((self.server.host, self.server.port),
                                     timeout=harness.HTTP_TIMEOUT_S)
        try:
            s.sendall(("%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: %s\r\n"
                       "Content-Type: application/octet-stream\r\n"
                       "Content-Length: %d\r\nExpect: 100-continue\r\n\r\n"
                       % (method, path, self.server.hostport, auth,
                          len(body))).encode("latin-1"))
            f = s.makefile("rb")
            first = harness.read_response(f)
            if first.status != 100:
                return first, None
            s.sendall(body)
            return first, harness.read_response(f)
        finally:
            s.close()

    def test_expect_100_continue_on_a_large_put(self):
        reg = self.reg()
        repo = self.make_repo()
        data = seeded_bytes("expect", 8 * 1024 * 1024 + 17)
        digest = sha256_digest(data)
        loc = self.start_upload(reg, repo)
        first, final = self.expect_continue(
            "PUT", loc + "?digest=" + digest, data, reg.auth)
        self.assertEqual(first.status, 100, first)
        self.assertEqual(final.status, 201, final)
        self.assertEqual(final.header("Location"),
                         "/v2/%s/blobs/%s" % (repo, digest))
        self.assertEqual(final.header("Docker-Content-Digest"), digest)
        self.assertBlobPulls(reg, repo, digest, data)
        # A PATCH as curl sends it, too.
        data2 = seeded_bytes("expect-2", 3 * 1024 * 1024)
        loc = self.start_upload(reg, repo)
        first, final = self.expect_continue("PATCH", loc, data2, reg.auth)
        self.assertEqual(first.status, 100, first)
        self.assertEqual(final.status, 202, final)
        self.assertEqual(final.header("Range"), "0-%d" % (len(data2) - 1))

    def test_expect_100_continue_refused_before_the_body(self):
        reg = self.reg()
        repo = self.make_repo()
        data = seeded_bytes("expect-refused", 6 * 1024 * 1024)
        unknown = "/v2/%s/blobs/uploads/%s?digest=%s" % (
            repo, uuid.uuid4(), sha256_digest(data))
        first, final = self.expect_continue("PUT", unknown, data, reg.auth)
        self.assertIsNone(final)
        self.assertEqual(first.status, 404, first)
        self.assertRegError(first, 404, "BLOB_UPLOAD_UNKNOWN")
        loc = self.start_upload(reg, repo)
        first, final = self.expect_continue(
            "PATCH", loc, data, basic_auth("AWS", "wrong"))
        self.assertIsNone(final)
        self.assertUnauthorized(first)

    def test_concurrent_pushes_of_one_blob(self):
        """Every client gets 201; the blob is whole (issue 4)."""
        repo = self.make_repo()
        data = seeded_bytes("concurrent-blob", 1024 * 1024 + 3)
        digest = sha256_digest(data)
        results, lock = [], threading.Lock()

        def push():
            reg = self.reg()
            try:
                r = reg.request("POST", "/v2/%s/blobs/uploads/" % repo)
                got = [r.status]
                loc = r.header("Location")
                r = reg.request("PATCH", loc, body=data)
                got.append(r.status)
                r = reg.request("PUT", loc + "?digest=" + digest)
                got.append(r.status)
                got.append(r.header("Docker-Content-Digest"))
            except Exception as e:          # reported below
                got = [repr(e)]
            with lock:
                results.append(got)

        threads = [threading.Thread(target=push) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(harness.HTTP_TIMEOUT_S * 4)
        self.assertEqual(results, [[202, 202, 201, digest]] * 8)
        self.assertBlobPulls(self.reg(), repo, digest, data)


# ---------------------------------------------------------------------------
# Manifests (end-3, end-7)


class ManifestTest(RegistryHelpers, EcrdTestCase):

    def test_push_by_tag_and_pull(self):
        reg = self.reg()
        for oci in (False, True):
            with self.subTest(oci=oci):
                repo = self.make_repo()
                image = build_image("manifest-%s" % oci, oci=oci)
                r = self.push(reg, repo, image, "v1")
                self.assertEqual(r.body, b"")
                for ref in ("v1", image.digest):
                    self.assertManifestPulls(reg, repo, ref, image.manifest,
                                             image.media_type)
                for digest, data in image.blobs.items():
                    self.assertBlobPulls(reg, repo, digest, data)

    def test_push_by_digest(self):
        reg = self.reg()
        repo = self.make_repo()
        image = build_image("by-digest", oci=True)
        self.push(reg, repo, image)
        self.assertManifestPulls(reg, repo, image.digest, image.manifest,
                                 image.media_type)
        self.assertEqual(self.tags(reg, repo), [])
        d = self.detail(repo, image.digest)
        self.assertNotIn("imageTags", d)

    def test_digest_in_the_url_must_match_the_body(self):
        reg = self.reg()
        repo = self.make_repo()
        image = build_image("digest-mismatch", n_layers=1)
        for blob in image.blobs.values():
            self.push_blob(reg, repo, blob)
        r = self.put_manifest(reg, repo, fake_digest("mismatch"),
                              image.manifest, image.media_type)
        self.assertRegError(r, 400, "DIGEST_INVALID")
        self.assertEqual(self.details(repo), {})

    def test_chunked_manifest_body(self):
        reg = self.reg()
        repo = self.make_repo()
        image = build_image("chunked-manifest", oci=True, n_layers=1)
        for blob in image.blobs.values():
            self.push_blob(reg, repo, blob)
        m = image.manifest
        r = reg.request("PUT", "/v2/%s/manifests/v1" % repo,
                        chunks=[m[:10], m[10:300], m[300:]],
                        headers={"Content-Type": image.media_type})
        self.assertManifestPut(r, repo, image.digest)
        self.assertManifestPulls(reg, repo, "v1", m, image.media_type)

    def test_media_type_from_content_type(self):
        """umoci writes OCI manifests without mediaType (2.4)."""
        reg = self.reg()
        repo = self.make_repo()
        image = build_image("no-media-type", oci=True, n_layers=2)
        obj = json.loads(image.manifest)
        del obj["mediaType"]
        raw = json.dumps(obj, separators=(",", ":")).encode()
        for blob in image.blobs.values():
            self.push_blob(reg, repo, blob)
        r = self.put_manifest(reg, repo, "v1", raw, MEDIA_OCI_MANIFEST)
        self.assertManifestPut(r, repo, sha256_digest(raw))
        self.assertManifestPulls(reg, repo, "v1", raw, MEDIA_OCI_MANIFEST)
        self.assertDescribed(self.detail(repo, sha256_digest(raw)), repo,
                             sha256_digest(raw), image.size,
                             MEDIA_OCI_MANIFEST, MEDIA_OCI_CONFIG, ["v1"])
        out = self.ecr().batch_get_image(repositoryName=repo,
                                         imageIds=[{"imageTag": "v1"}])
        img = out["images"][0]
        self.assertEqual(img["imageManifest"].encode(), raw)
        self.assertEqual(img["imageManifestMediaType"], MEDIA_OCI_MANIFEST)

    def test_declared_sizes_must_match_the_blobs(self):
        """Issue 11 (9): the same check as PutImage's, in the registry's
        terms: 400 MANIFEST_INVALID with PutImage's text."""
        reg = self.reg()
        repo = self.make_repo()
        image = build_image("reg-sizes", oci=True, n_layers=2)
        for blob in image.blobs.values():
            self.push_blob(reg, repo, blob)
        obj = json.loads(image.manifest)
        stored = obj["layers"][0]["size"]
        for size in (2 ** 62, stored - 1):
            with self.subTest(size=size):
                obj["layers"][0]["size"] = size
                r = self.put_manifest(reg, repo, "v1", manifest_json(obj),
                                      MEDIA_OCI_MANIFEST)
                self.assertRegError(
                    r, 400, "MANIFEST_INVALID",
                    "Invalid parameter at 'ImageManifest' failed to "
                    "satisfy constraint: 'Size %d of the descriptor with "
                    "digest %s does not match the size %d of the stored "
                    "content'" % (size, obj["layers"][0]["digest"], stored))
        r = reg.get("/v2/%s/manifests/v1" % repo)
        self.assertRegError(r, 404, "MANIFEST_UNKNOWN")

    def test_missing_layers(self):
        reg = self.reg()
        repo = self.make_repo()
        image = build_image("missing-layers", n_layers=2)
        missing = image.layers[1]["digest"]
        for digest, data in image.blobs.items():
            if digest != missing:
                self.push_blob(reg, repo, data)
        r = self.put_manifest(reg, repo, "v1", image.manifest,
                              image.media_type)
        self.assertRegError(r, 400, "MANIFEST_BLOB_UNKNOWN",
                            message_contains=missing)
        r = reg.get("/v2/%s/manifests/v1" % repo)
        self.assertRegError(r, 404, "MANIFEST_UNKNOWN")

    def test_missing_children_of_an_index(self):
        reg = self.reg()
        repo = self.make_repo()
        amd = build_image("missing-child-amd", arch="amd64", n_layers=1)
        arm = build_image("missing-child-arm", arch="arm64", n_layers=1)
        index = build_index([amd, arm], oci=True)
        self.push(reg, repo, amd)
        r = self.put_manifest(reg, repo, "multi", index.manifest,
                              index.media_type)
        self.assertRegError(r, 400, "MANIFEST_BLOB_UNKNOWN")

    def test_bad_manifests(self):
        reg = self.reg()
        repo = self.make_repo()
        for body in (b"{not json", b"", b"[]", b'{"schemaVersion": 2'):
            with self.subTest(body=body):
                r = self.put_manifest(reg, repo, "v1", body,
                                      MEDIA_DOCKER_MANIFEST)
                self.assertRegError(r, 400, "MANIFEST_INVALID")
        self.assertEqual(self.details(repo), {})

    def test_tag_immutability(self):
        reg = self.reg()
        repo = self.make_repo(imageTagMutability="IMMUTABLE")
        first = build_image("immutable-1", n_layers=1)
        second = build_image("immutable-2", n_layers=1)
        self.push(reg, repo, first, "v1")
        # An identical re-push is fine.
        r = self.put_manifest(reg, repo, "v1", first.manifest,
                              first.media_type)
        self.assertManifestPut(r, repo, first.digest)
        for blob in second.blobs.values():
            self.push_blob(reg, repo, blob)
        r = self.put_manifest(reg, repo, "v1", second.manifest,
                              second.media_type)
        self.assertRegError(r, 400, "TAG_INVALID",
                            immutable_message("v1", repo))
        self.assertManifestPulls(reg, repo, "v1", first.manifest,
                                 first.media_type)
        # By digest, and under a new tag, the second image goes in.
        r = self.put_manifest(reg, repo, second.digest, second.manifest,
                              second.media_type)
        self.assertManifestPut(r, repo, second.digest)
        r = self.put_manifest(reg, repo, "v2", second.manifest,
                              second.media_type)
        self.assertManifestPut(r, repo, second.digest)
        self.assertEqual(self.tags(reg, repo), ["v1", "v2"])

    def test_a_mutable_tag_moves(self):
        reg = self.reg()
        repo = self.make_repo()
        first = build_image("moves-1", n_layers=1)
        second = build_image("moves-2", n_layers=1)
        self.push(reg, repo, first, "latest")
        self.push(reg, repo, second, "latest")
        self.assertManifestPulls(reg, repo, "latest", second.manifest,
                                 second.media_type)
        details = self.details(repo)
        self.assertNotIn("imageTags", details[first.digest])
        self.assertEqual(details[second.digest]["imageTags"], ["latest"])

    def test_unknown_manifests(self):
        reg = self.reg()
        repo = self.make_repo()
        self.push(reg, repo, build_image("unknown-manifests", n_layers=1),
                  "v1")
        for ref in ("nope", fake_digest("manifest")):
            with self.subTest(ref=ref):
                r = reg.get("/v2/%s/manifests/%s" % (repo, ref))
                self.assertRegError(r, 404, "MANIFEST_UNKNOWN")
                r = reg.head("/v2/%s/manifests/%s" % (repo, ref))
                self.assertRegError(r, 404, "MANIFEST_UNKNOWN", head=True)

    def test_invalid_references(self):
        reg = self.reg()
        repo = self.make_repo()
        r = reg.get("/v2/%s/manifests/sha256:totallywrong" % repo)
        self.assertRegError(r, 400, "DIGEST_INVALID")
        r = reg.head("/v2/%s/manifests/v1+build" % repo)
        self.assertRegError(r, 400, "TAG_INVALID", head=True)

    def test_large_manifest_round_trips(self):
        """The conformance suites' ~3.9 MB manifest (3.2)."""
        reg = self.reg()
        repo = self.make_repo()
        image = build_image("large", oci=True, n_layers=1, annotations={
            "org.example.a%03d" % i: "x" * 10000 for i in range(390)})
        self.assertGreater(len(image.manifest), 3900000)
        self.assertLess(len(image.manifest), 4194304)
        self.push(reg, repo, image, "big")
        self.assertManifestPulls(reg, repo, "big", image.manifest,
                                 image.media_type)

    def test_oversized_manifest_is_413(self):
        reg = self.reg()
        repo = self.make_repo()
        body = b'{"schemaVersion":2,"pad":"' + b"x" * 4194304 + b'"}'
        r = self.put_manifest(reg, repo, "v1", body, MEDIA_OCI_MANIFEST)
        self.assertEqual(r.status, 413, r)
        self.assertApiVersion(r)
        self.assertEqual(self.details(repo), {})

    def test_manifest_list(self):
        reg = self.reg()
        for oci in (False, True):
            with self.subTest(oci=oci):
                repo = self.make_repo()
                amd = build_image("list-amd-%s" % oci, oci=oci,
                                  arch="amd64", n_layers=2)
                arm = build_image("list-arm-%s" % oci, oci=oci,
                                  arch="arm64", n_layers=3)
                index = build_index([amd, arm], oci=oci)
                self.push(reg, repo, index, "multi")
                accept = ", ".join(LIST_TYPES + IMAGE_TYPES)
                for ref in ("multi", index.digest):
                    self.assertManifestPulls(reg, repo, ref, index.manifest,
                                             index.media_type, accept=accept)
                for child in (amd, arm):
                    self.assertManifestPulls(reg, repo, child.digest,
                                             child.manifest,
                                             child.media_type)
                details = self.details(repo)
                self.assertEqual(set(details), {index.digest, amd.digest,
                                                arm.digest})
                d = details[index.digest]
                self.assertEqual(d["imageManifestMediaType"],
                                 index.media_type)
                self.assertEqual(d["imageTags"], ["multi"])
                self.assertEqual(d["imageSizeInBytes"], index.size)


# ---------------------------------------------------------------------------
# Content negotiation (docs/ecr-behaviour.md 5: as BatchGetImage's
# acceptedMediaTypes)


class NegotiationTest(RegistryHelpers, EcrdTestCase):

    def get(self, reg, repo, ref, accept_lines):
        return reg.get("/v2/%s/manifests/%s" % (repo, ref),
                       headers=[("Accept", a) for a in accept_lines])

    def assertServed(self, r, manifest, media_type):
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), media_type)
        self.assertEqual(r.body, manifest)
        self.assertEqual(r.header("Docker-Content-Digest"),
                         sha256_digest(manifest))

    def test_stored_type_accepted_gives_the_stored_bytes(self):
        reg = self.reg()
        repo = self.make_repo()
        docker = build_image("neg-docker", n_layers=1)
        oci = build_image("neg-oci", oci=True, n_layers=1)
        self.push(reg, repo, docker, "d")
        self.push(reg, repo, oci, "o")
        for tag, image in (("d", docker), ("o", oci)):
            for lines in ([], ["*/*"], [image.media_type],
                          [", ".join(IMAGE_TYPES)],
                          ["%s; q=0.5, %s; q=0.9" % IMAGE_TYPES],
                          [", ".join(GO_ACCEPT)]):
                for ref in (tag, image.digest):
                    with self.subTest(ref=ref, accept=lines):
                        self.assertServed(self.get(reg, repo, ref, lines),
                                          image.manifest, image.media_type)

    def test_repeated_accept_lines_are_one_list(self):
        """Go clients send one Accept line per type, in any order (the
        docker CLI's order changes from run to run): all lines count
        (RFC 9110 5.3)."""
        reg = self.reg()
        repo = self.make_repo()
        docker = build_image("lines-docker", n_layers=1)
        oci = build_image("lines-oci", oci=True, n_layers=1)
        amd = build_image("lines-amd", arch="amd64", n_layers=1)
        arm = build_image("lines-arm", arch="arm64", n_layers=1)
        index = build_index([amd, arm])
        self.push(reg, repo, docker, "d")
        self.push(reg, repo, oci, "o")
        self.push(reg, repo, index, "multi")
        orders = [list(GO_ACCEPT), list(reversed(GO_ACCEPT)),
                  [MEDIA_DOCKER_LIST, MEDIA_OCI_INDEX, MEDIA_OCI_MANIFEST,
                   MEDIA_DOCKER_MANIFEST]]
        for lines in orders:
            for ref, image in (("d", docker), ("o", oci),
                               ("multi", index), (docker.digest, docker),
                               (oci.digest, oci), (index.digest, index)):
                with self.subTest(ref=ref, accept=lines):
                    self.assertServed(self.get(reg, repo, ref, lines),
                                      image.manifest, image.media_type)

    def test_translation_by_tag_only(self):
        reg = self.reg()
        repo = self.make_repo()
        docker = build_image("translate-docker", n_layers=2)
        oci = build_image("translate-oci", oci=True, n_layers=2)
        self.push(reg, repo, docker, "d")
        self.push(reg, repo, oci, "o")
        for tag, image, want, config_type, layer_type in (
                ("d", docker, MEDIA_OCI_MANIFEST, MEDIA_OCI_CONFIG,
                 MEDIA_OCI_LAYER),
                ("o", oci, MEDIA_DOCKER_MANIFEST, MEDIA_DOCKER_CONFIG,
                 MEDIA_DOCKER_LAYER)):
            with self.subTest(stored=image.media_type):
                r = self.get(reg, repo, tag, [want])
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header("Content-Type"), want)
                self.assertEqual(r.header("Docker-Content-Digest"),
                                 sha256_digest(r.body))
                self.assertNotEqual(r.body, image.manifest)
                got, stored = json.loads(r.body), json.loads(image.manifest)
                self.assertEqual(got["schemaVersion"], 2)
                self.assertEqual(got["mediaType"], want)
                self.assertEqual(
                    (got["config"]["mediaType"], got["config"]["digest"],
                     got["config"]["size"]),
                    (config_type, stored["config"]["digest"],
                     stored["config"]["size"]))
                self.assertEqual(
                    [(l["mediaType"], l["digest"], l["size"])
                     for l in got["layers"]],
                    [(layer_type, l["digest"], l["size"])
                     for l in stored["layers"]])
                h = reg.head("/v2/%s/manifests/%s" % (repo, tag),
                             headers={"Accept": want})
                self.assertEqual(h.status, 200, h)
                self.assertEqual(h.header("Content-Type"), want)
                self.assertEqual(h.header("Docker-Content-Digest"),
                                 r.header("Docker-Content-Digest"))
                # By digest there is nothing to translate: not found.
                r = self.get(reg, repo, image.digest, [want])
                self.assertRegError(r, 404, "MANIFEST_UNKNOWN")
        # Nothing changed in the repository.
        self.assertEqual(set(self.details(repo)), {docker.digest,
                                                   oci.digest})

    def test_index_by_tag_to_an_image_only_client(self):
        reg = self.reg()
        repo = self.make_repo()
        amd = build_image("idx-amd", oci=True, arch="amd64", n_layers=1)
        arm = build_image("idx-arm", oci=True, arch="arm64", n_layers=2)
        index = build_index([arm, amd], oci=True)
        self.push(reg, repo, index, "multi")
        r = self.get(reg, repo, "multi", [MEDIA_OCI_MANIFEST])
        self.assertServed(r, amd.manifest, amd.media_type)
        r = self.get(reg, repo, "multi", [MEDIA_OCI_INDEX])
        self.assertServed(r, index.manifest, index.media_type)
        r = self.get(reg, repo, index.digest, [MEDIA_OCI_MANIFEST])
        self.assertRegError(r, 404, "MANIFEST_UNKNOWN")

    def test_image_to_a_list_only_client(self):
        reg = self.reg()
        repo = self.make_repo()
        image = build_image("list-only", n_layers=1)
        self.push(reg, repo, image, "v1")
        r = self.get(reg, repo, "v1", list(LIST_TYPES))
        self.assertRegError(r, 404, "MANIFEST_UNKNOWN")

    def assertTranslated(self, body, media_type, stored):
        """body is stored (a manifest's bytes) as media_type: the twin's
        types, the same digests and sizes, mediaType after schemaVersion."""
        want = {MEDIA_DOCKER_MANIFEST: (MEDIA_DOCKER_CONFIG,
                                        MEDIA_DOCKER_LAYER),
                MEDIA_OCI_MANIFEST: (MEDIA_OCI_CONFIG, MEDIA_OCI_LAYER)}
        got, old = json.loads(body), json.loads(stored)
        self.assertEqual(list(got)[:2], ["schemaVersion", "mediaType"])
        self.assertEqual(got["mediaType"], media_type)
        config_type, layer_type = want[media_type]
        self.assertEqual(
            (got["config"]["mediaType"], got["config"]["digest"],
             got["config"]["size"]),
            (config_type, old["config"]["digest"], old["config"]["size"]))
        self.assertEqual([(l["mediaType"], l["digest"], l["size"])
                          for l in got["layers"]],
                         [(layer_type, l["digest"], l["size"])
                          for l in old["layers"]])

    def batch_get(self, repo, image_id, accepted):
        out = self.ecr().batch_get_image(repositoryName=repo,
                                         imageIds=[image_id],
                                         acceptedMediaTypes=accepted)
        self.assertEqual(out["failures"], [], out)
        self.assertEqual(len(out["images"]), 1, out)
        return out["images"][0]

    def test_oci_without_media_type_to_a_docker_only_client(self):
        """Issue 11 (11): podman, skopeo and buildah push OCI manifests
        without the optional mediaType member; the type stored at push
        time says what to translate, by tag, for the registry and for
        BatchGetImage alike."""
        reg = self.reg()
        repo = self.make_repo()
        image = without_media_type(build_image("bare-oci", oci=True,
                                               n_layers=2))
        self.push(reg, repo, image, "v1")
        r = self.get(reg, repo, "v1", [MEDIA_DOCKER_MANIFEST])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), MEDIA_DOCKER_MANIFEST)
        self.assertEqual(r.header("Docker-Content-Digest"),
                         sha256_digest(r.body))
        self.assertTranslated(r.body, MEDIA_DOCKER_MANIFEST, image.manifest)
        img = self.batch_get(repo, {"imageTag": "v1"},
                             [MEDIA_DOCKER_MANIFEST])
        self.assertEqual(img["imageManifest"].encode(), r.body)
        self.assertEqual(img["imageManifestMediaType"],
                         MEDIA_DOCKER_MANIFEST)
        self.assertEqual(img["imageId"], {"imageTag": "v1",
                                          "imageDigest":
                                          sha256_digest(r.body)})
        # By digest there is nothing to translate: not found.
        r = self.get(reg, repo, image.digest, [MEDIA_DOCKER_MANIFEST])
        self.assertRegError(r, 404, "MANIFEST_UNKNOWN")

    def test_index_by_tag_to_a_docker_only_client(self):
        """Issue 11 (11): an OCI index asked by tag by a client that takes
        only Docker v2 gets its linux/amd64 child, translated."""
        reg = self.reg()
        repo = self.make_repo()
        amd = without_media_type(build_image("bare-amd", oci=True,
                                             arch="amd64", n_layers=1))
        arm = build_image("bare-arm", oci=True, arch="arm64", n_layers=2)
        for index in (build_index([arm, amd], oci=True),
                      without_media_type(build_index([arm, amd], oci=True))):
            with self.subTest(index=json.loads(index.manifest).keys()):
                tag = "multi-" + index.digest[7:15]
                self.push(reg, repo, index, tag)
                r = self.get(reg, repo, tag, [MEDIA_DOCKER_MANIFEST])
                self.assertEqual(r.status, 200, r)
                self.assertEqual(r.header("Content-Type"),
                                 MEDIA_DOCKER_MANIFEST)
                self.assertEqual(r.header("Docker-Content-Digest"),
                                 sha256_digest(r.body))
                self.assertTranslated(r.body, MEDIA_DOCKER_MANIFEST,
                                      amd.manifest)
                img = self.batch_get(repo, {"imageTag": tag},
                                     [MEDIA_DOCKER_MANIFEST])
                self.assertEqual(img["imageManifest"].encode(), r.body)
                self.assertEqual(img["imageManifestMediaType"],
                                 MEDIA_DOCKER_MANIFEST)
                r = self.get(reg, repo, index.digest,
                             [MEDIA_DOCKER_MANIFEST])
                self.assertRegError(r, 404, "MANIFEST_UNKNOWN")

    def test_docker_list_by_tag_to_an_oci_only_client(self):
        """The other way round: a Docker list's amd64 child as OCI."""
        reg = self.reg()
        repo = self.make_repo()
        amd = build_image("list-to-oci-amd", arch="amd64", n_layers=1)
        arm = build_image("list-to-oci-arm", arch="arm64", n_layers=1)
        self.push(reg, repo, build_index([amd, arm]), "multi")
        r = self.get(reg, repo, "multi", [MEDIA_OCI_MANIFEST])
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), MEDIA_OCI_MANIFEST)
        self.assertTranslated(r.body, MEDIA_OCI_MANIFEST, amd.manifest)
        img = self.batch_get(repo, {"imageTag": "multi"},
                             [MEDIA_OCI_MANIFEST])
        self.assertEqual(img["imageManifest"].encode(), r.body)


# ---------------------------------------------------------------------------
# Deletes (end-9), the same operation as BatchDeleteImage


class DeleteTest(RegistryHelpers, EcrdTestCase):

    def test_delete_by_digest(self):
        reg = self.reg()
        repo = self.make_repo()
        image = build_image("delete-digest", n_layers=1)
        keep = build_image("delete-keep", n_layers=1)
        self.push(reg, repo, image, "v1")
        self.put_manifest(reg, repo, "v1-alias", image.manifest,
                          image.media_type)
        self.push(reg, repo, keep, "keep")
        r = reg.request("DELETE", "/v2/%s/manifests/%s" % (repo,
                                                           image.digest))
        self.assertEqual(r.status, 202, r)
        self.assertApiVersion(r)
        for ref in ("v1", "v1-alias", image.digest):
            r = reg.get("/v2/%s/manifests/%s" % (repo, ref))
            self.assertRegError(r, 404, "MANIFEST_UNKNOWN")
        self.assertEqual(self.tags(reg, repo), ["keep"])
        self.assertEqual(set(self.details(repo)), {keep.digest})
        out = self.ecr().batch_get_image(
            repositoryName=repo, imageIds=[{"imageDigest": image.digest}])
        self.assertEqual(out["images"], [])
        r = reg.request("DELETE", "/v2/%s/manifests/%s" % (repo,
                                                           image.digest))
        self.assertRegError(r, 404, "MANIFEST_UNKNOWN")

    def test_delete_by_tag_untags(self):
        reg = self.reg()
        repo = self.make_repo()
        image = build_image("delete-tag", n_layers=1)
        self.push(reg, repo, image, "a")
        self.put_manifest(reg, repo, "b", image.manifest, image.media_type)
        r = reg.request("DELETE", "/v2/%s/manifests/a" % repo)
        self.assertEqual(r.status, 202, r)
        self.assertApiVersion(r)
        r = reg.get("/v2/%s/manifests/a" % repo)
        self.assertRegError(r, 404, "MANIFEST_UNKNOWN")
        self.assertManifestPulls(reg, repo, "b", image.manifest,
                                 image.media_type)
        self.assertEqual(self.tags(reg, repo), ["b"])
        self.assertEqual(self.detail(repo, image.digest)["imageTags"], ["b"])
        r = reg.request("DELETE", "/v2/%s/manifests/nope" % repo)
        self.assertRegError(r, 404, "MANIFEST_UNKNOWN")

    def test_batch_delete_image_and_delete_are_the_same(self):
        reg = self.reg()
        repo = self.make_repo()
        a = build_image("same-delete-a", n_layers=1)
        b = build_image("same-delete-b", n_layers=1)
        self.push(reg, repo, a, "a")
        self.push(reg, repo, b, "b")
        out = self.ecr().batch_delete_image(repositoryName=repo,
                                            imageIds=[{"imageTag": "a"}])
        self.assertEqual(out["failures"], [])
        r = reg.get("/v2/%s/manifests/%s" % (repo, a.digest))
        self.assertRegError(r, 404, "MANIFEST_UNKNOWN")
        r = reg.request("DELETE", "/v2/%s/manifests/%s" % (repo, b.digest))
        self.assertEqual(r.status, 202, r)
        out = self.ecr().batch_delete_image(
            repositoryName=repo, imageIds=[{"imageDigest": b.digest}])
        self.assertEqual(out["imageIds"], [])
        self.assertEqual([f["failureCode"] for f in out["failures"]],
                         ["ImageNotFound"])
        self.assertEqual(self.tags(reg, repo), [])
        self.assertEqual(self.details(repo), {})

    def test_force_deleted_repository_is_gone_at_once_for_both(self):
        # DeleteRepository with force answers at once and the repository
        # is gone for both protocols; its records go in the background
        # (issue 12), and a repository made again under the name is empty
        # even before they have gone. Its blobs are not available there.
        reg = self.reg()
        repo = self.make_repo()
        images = [build_image("force-%d" % i, n_layers=1) for i in range(3)]
        for i, image in enumerate(images):
            self.push(reg, repo, image, "v%d" % i)
        self.ecr().delete_repository(repositoryName=repo, force=True)
        message = name_unknown_message(repo, DEFAULT_ACCOUNT)
        layers = [i.layers[0]["digest"] for i in images]
        for path in ("/v2/%s/manifests/v0" % repo, "/v2/%s/tags/list" % repo,
                     "/v2/%s/blobs/%s" % (repo, layers[0])):
            with self.subTest(path=path):
                self.assertRegError(reg.get(path), 404, "NAME_UNKNOWN",
                                    message)
        for op in ("list_images", "describe_images"):
            with self.subTest(op=op):
                with self.assertRaises(Exception) as cm:
                    getattr(self.ecr(), op)(repositoryName=repo)
                self.assertClientError(cm, "RepositoryNotFoundException")
        self.make_repo(name=repo)
        self.assertEqual(self.tags(reg, repo), [])
        self.assertEqual(self.details(repo), {})
        r = reg.get("/v2/%s/manifests/%s" % (repo, images[0].digest))
        self.assertRegError(r, 404, "MANIFEST_UNKNOWN")
        out = self.ecr().batch_check_layer_availability(
            repositoryName=repo, layerDigests=layers)
        self.assertEqual(out["layers"], [])
        self.assertEqual(sorted(f["layerDigest"] for f in out["failures"]),
                         sorted(layers))


# ---------------------------------------------------------------------------
# tags/list and _catalog (end-8, 2.7)


class ListTest(RegistryHelpers, EcrdTestCase):

    def follow(self, reg, first, key, n):
        """Every page from first through Link; (names, pages)."""
        names, pages, path = [], 0, first
        while path is not None:
            r = reg.get(path)
            self.assertEqual(r.status, 200, r)
            self.assertApiVersion(r)
            page = r.json()[key]
            self.assertLessEqual(len(page), n)
            names += page
            pages += 1
            self.assertLess(pages, 50, "pagination did not end")
            link = r.header("Link")
            if link is None:
                path = None
            else:
                m = re.fullmatch(r'<([^>]+)>; rel="next"', link)
                self.assertIsNotNone(m, link)
                path = m.group(1)
                self.assertEqual(len(page), n)
                self.assertEqual(path, "%s?n=%d&last=%s" % (
                    first.split("?")[0], n, page[-1]))
        return names, pages

    def test_tags_list(self):
        reg = self.reg()
        repo = self.make_repo()
        a = build_image("tags-a", n_layers=1)
        b = build_image("tags-b", n_layers=1)
        tags = ["v10", "latest", "v2", "A-upper", "v1", "_under", "1.0",
                "v1.1", "zeta"]
        self.push(reg, repo, a, tags[0])
        self.push(reg, repo, b, tags[1])
        for i, tag in enumerate(tags[2:]):
            image = a if i % 2 else b
            r = self.put_manifest(reg, repo, tag, image.manifest,
                                  image.media_type)
            self.assertManifestPut(r, repo, image.digest)
        self.push(reg, repo, build_image("tags-untagged", n_layers=1))
        want = sorted(tags)
        r = reg.get("/v2/%s/tags/list" % repo)
        self.assertEqual(r.status, 200, r)
        self.assertApiVersion(r)
        self.assertIsNone(r.header("Link"))
        self.assertEqual(r.json(), {"name": repo, "tags": want})
        for n in (1, 2, 3, 4, 9, 10):
            with self.subTest(n=n):
                got, _ = self.follow(
                    reg, "/v2/%s/tags/list?n=%d" % (repo, n), "tags", n)
                self.assertEqual(got, want)
        # last is exclusive, and need not be a tag.
        r = reg.get("/v2/%s/tags/list?last=v1" % repo)
        self.assertEqual(r.json()["tags"], [t for t in want if t > "v1"])
        r = reg.get("/v2/%s/tags/list?n=2&last=m" % repo)
        self.assertEqual(r.json()["tags"], [t for t in want if t > "m"][:2])
        r = reg.get("/v2/%s/tags/list?n=0" % repo)
        self.assertEqual(r.json(), {"name": repo, "tags": []})
        self.assertIsNone(r.header("Link"))
        r = reg.get("/v2/%s/tags/list?n=1000" % repo)
        self.assertEqual(r.json()["tags"], want)
        r = reg.get("/v2/%s/tags/list?n=1001" % repo)
        self.assertRegError(r, 400, "UNSUPPORTED", LIST_LIMIT_MESSAGE)

    def test_empty_and_missing_repositories(self):
        reg = self.reg()
        repo = self.make_repo()
        r = reg.get("/v2/%s/tags/list" % repo)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"name": repo, "tags": []})
        name = unique_name("missing")
        r = reg.get("/v2/%s/tags/list" % name)
        self.assertRegError(r, 404, "NAME_UNKNOWN",
                            name_unknown_message(name))

    def test_catalog(self):
        acct = fresh_account()
        client = self.ecr(key=acct)
        names = ["zulu", "alpha", "team-a/web", "team-a/api", "mid",
                 "beta-1", "beta"]
        for name in names:
            self.make_repo(client, name)
        self.make_repo(self.ecr(key=acct, region=OTHER_REGION),
                       "elsewhere")
        reg = self.reg(registry_password(client))
        r = reg.get("/v2/_catalog")
        self.assertEqual(r.status, 200, r)
        self.assertApiVersion(r)
        self.assertIsNone(r.header("Link"))
        self.assertEqual(r.json(), {"repositories": sorted(names)})
        for n in (1, 2, 3, 7):
            with self.subTest(n=n):
                got, _ = self.follow(reg, "/v2/_catalog?n=%d" % n,
                                     "repositories", n)
                self.assertEqual(got, sorted(names))
        r = reg.get("/v2/_catalog?last=beta-1")
        self.assertEqual(r.json()["repositories"],
                         [x for x in sorted(names) if x > "beta-1"])
        r = reg.get("/v2/_catalog?n=1001")
        self.assertRegError(r, 400, "UNSUPPORTED", LIST_LIMIT_MESSAGE)
        there = self.reg(registry_password(
            self.ecr(key=acct, region=OTHER_REGION)))
        r = there.get("/v2/_catalog")
        self.assertEqual(r.json(), {"repositories": ["elsewhere"]})


# ---------------------------------------------------------------------------
# Cross-repository mount (end-11, 2.6)


def set_blob_mounting(client, value):
    client.put_account_setting(name="BLOB_MOUNTING", value=value)


class MountTest(RegistryHelpers, EcrdTestCase):
    """Mounts in the default account, which turns BLOB_MOUNTING on; a
    fresh account shows the default (2.6)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        set_blob_mounting(harness.ecr_client(cls.server.endpoint),
                          "ENABLED")

    def mount(self, reg, repo, digest, source, encode=False):
        if encode:
            q = "?from=%s&mount=%s" % (urllib.parse.quote(source, safe=""),
                                       urllib.parse.quote(digest, safe=""))
        else:
            q = "?mount=%s&from=%s" % (digest, source)
        return reg.request("POST", "/v2/%s/blobs/uploads/%s" % (repo, q))

    def test_blob_mounting_setting_decides(self):
        """Issue 11 (12): with BLOB_MOUNTING DISABLED, a fresh account's
        default, a mount request starts an ordinary upload (202); ENABLED
        mounts (201); DISABLED again uploads again."""
        acct = fresh_account()
        client = self.ecr(key=acct)
        reg = self.reg(registry_password(client))
        self.assertEqual(client.get_account_setting(
            name="BLOB_MOUNTING")["value"], "DISABLED")
        source, target = self.make_repo(client), self.make_repo(client)
        data = b"a blob to mount, or not"
        digest = self.push_blob(reg, source, data)
        for value, want in ((None, 202), ("ENABLED", 201),
                            ("DISABLED", 202)):
            if value is not None:
                set_blob_mounting(client, value)
            # The target itself holding the blob changes nothing.
            for into in (target, source):
                with self.subTest(setting=value, into=into):
                    r = self.mount(reg, into, digest, source)
                    if want == 202:
                        loc = self.assertUploadHeaders(r, into, 202, 0)
                        self.assertTrue(loc.startswith(
                            "/v2/%s/blobs/uploads/" % into))
                    else:
                        self.assertEqual(r.status, 201, r)
                        self.assertEqual(r.header("Location"),
                                         "/v2/%s/blobs/%s" % (into, digest))
        # The fallback upload goes through, and the mounted blob pulls.
        r = reg.request("PATCH", loc, body=data)
        self.assertUploadHeaders(r, source, 202, len(data) - 1)
        self.finish_upload(reg, source, loc, digest)
        self.assertBlobPulls(reg, target, digest, data)

    def test_no_mount_across_encryption(self):
        """2.6: ECR mounts only between repositories encrypted alike."""
        reg = self.reg()
        source = self.make_repo(encryptionConfiguration={
            "encryptionType": "KMS"})
        target = self.make_repo()
        digest = self.push_blob(reg, source, b"encrypted elsewhere")
        r = self.mount(reg, target, digest, source)
        self.assertUploadHeaders(r, target, 202, 0)

    def test_mount_from_a_repository_of_the_registry(self):
        reg = self.reg()
        team = unique_name("mnt")
        source, target = team + "/source", self.make_repo()
        self.make_repo(name=source)
        image = build_image("mount", n_layers=2)
        self.push(reg, source, image, "v1")
        for i, (digest, data) in enumerate(image.blobs.items()):
            with self.subTest(digest=digest):
                r = self.mount(reg, target, digest, source, encode=i % 2)
                self.assertEqual(r.status, 201, r)
                self.assertApiVersion(r)
                self.assertEqual(r.header("Location"),
                                 "/v2/%s/blobs/%s" % (target, digest))
                self.assertEqual(r.header("Docker-Content-Digest"), digest)
                self.assertBlobPulls(reg, target, digest, data)
        # The mounted blobs make the image pushable there.
        r = self.put_manifest(reg, target, "v1", image.manifest,
                              image.media_type)
        self.assertManifestPut(r, target, image.digest)
        # A blob uploaded but not (yet) referenced mounts too (2.6: by
        # existence, as the conformance suites expect).
        loose = self.push_blob(reg, source, b"uploaded, unreferenced")
        r = self.mount(reg, target, loose, source)
        self.assertEqual(r.status, 201, r)

    def test_no_mount_means_an_upload(self):
        reg = self.reg()
        source, target = self.make_repo(), self.make_repo()
        data = b"a blob the target uploads itself"
        digest = sha256_digest(data)
        acct = fresh_account()
        theirs = self.make_repo(self.ecr(key=acct), name=source)
        self.push_blob(self.reg(registry_password(self.ecr(key=acct))),
                       theirs, data)
        for from_repo in (source, unique_name("missing"), ""):
            with self.subTest(source=from_repo):
                r = self.mount(reg, target, digest, from_repo)
                loc = self.assertUploadHeaders(r, target, 202, 0)
                self.assertTrue(loc.startswith("/v2/%s/blobs/uploads/"
                                               % target))
        # The last fallback upload goes through.
        r = reg.request("PATCH", loc, body=data)
        self.assertUploadHeaders(r, target, 202, len(data) - 1)
        self.finish_upload(reg, target, loc, digest)
        self.assertBlobPulls(reg, target, digest, data)

    def test_mount_into_a_missing_repository(self):
        reg = self.reg()
        source = self.make_repo()
        digest = self.push_blob(reg, source, b"mount target missing")
        name = unique_name("missing")
        r = self.mount(reg, name, digest, source)
        self.assertRegError(r, 404, "NAME_UNKNOWN",
                            name_unknown_message(name))


# ---------------------------------------------------------------------------
# Referrers (end-12, 2.8)


class ReferrersTest(RegistryHelpers, EcrdTestCase):
    SBOM = "application/vnd.example.sbom.v1"
    SIG = "application/vnd.example.signature.v1"

    def referrers(self, reg, repo, digest, query=""):
        r = reg.get("/v2/%s/referrers/%s%s" % (repo, digest, query))
        self.assertEqual(r.status, 200, r)
        self.assertApiVersion(r)
        self.assertEqual(r.header("Content-Type"), MEDIA_OCI_INDEX)
        body = r.json()
        self.assertEqual(set(body), {"schemaVersion", "mediaType",
                                     "manifests"}, body)
        self.assertEqual(body["schemaVersion"], 2)
        self.assertEqual(body["mediaType"], MEDIA_OCI_INDEX)
        got = {d["digest"]: d for d in body["manifests"]}
        self.assertEqual(len(got), len(body["manifests"]), body)
        return r, got

    def want(self, image, artifact_type, annotations=None):
        d = {"mediaType": MEDIA_OCI_MANIFEST, "digest": image.digest,
             "size": len(image.manifest), "artifactType": artifact_type}
        if annotations:
            d["annotations"] = annotations
        return d

    def normalise(self, got):
        """Descriptors with an empty annotations map dropped (the spec
        allows either)."""
        out = {}
        for k, d in got.items():
            d = dict(d)
            if d.get("annotations") == {}:
                del d["annotations"]
            out[k] = d
        return out

    def test_referrers_api(self):
        reg = self.reg()
        repo = self.make_repo()
        subject = build_image("ref-subject", oci=True, n_layers=1)
        other = build_image("ref-other", oci=True, n_layers=1)
        r = self.push(reg, repo, subject, "app")
        self.assertIsNone(r.header("OCI-Subject"))
        self.push(reg, repo, other, "other")
        sbom = build_referrer(subject, self.SBOM, b'{"sbom": true}\n',
                              "application/spdx+json",
                              annotations={"org.example.kind": "sbom",
                                           "org.opencontainers.image."
                                           "created": "2024-01-01T00:00:00Z"})
        sig = build_referrer(subject, self.SIG, b"signature bytes",
                             "application/octet-stream")
        unrelated = build_referrer(other, self.SBOM, b'{"sbom": 2}\n',
                                   "application/spdx+json")
        # An artifact without artifactType: the config's type stands in.
        cfg = b'{"kind": "attestation"}'
        cfg_type = "application/vnd.example.config.v1+json"
        plain_obj = {"schemaVersion": 2, "mediaType": MEDIA_OCI_MANIFEST,
                     "config": descriptor(cfg_type, cfg),
                     "layers": [descriptor("application/octet-stream",
                                           b"attestation")],
                     "subject": subject.descriptor()}
        plain = harness.BuiltImage(
            manifest_json(plain_obj), MEDIA_OCI_MANIFEST,
            {sha256_digest(cfg): cfg,
             sha256_digest(b"attestation"): b"attestation"},
            plain_obj["config"], plain_obj["layers"])
        for ref in (sbom, sig, plain):
            for data in ref.blobs.values():
                self.push_blob(reg, repo, data)
            r = self.put_manifest(reg, repo, ref.digest, ref.manifest,
                                  ref.media_type)
            self.assertManifestPut(r, repo, ref.digest, subject.digest)
        for data in unrelated.blobs.values():
            self.push_blob(reg, repo, data)
        r = self.put_manifest(reg, repo, unrelated.digest,
                              unrelated.manifest, unrelated.media_type)
        self.assertManifestPut(r, repo, unrelated.digest, other.digest)

        r, got = self.referrers(reg, repo, subject.digest)
        self.assertIsNone(r.header("OCI-Filters-Applied"))
        self.assertEqual(self.normalise(got), {
            sbom.digest: self.want(sbom, self.SBOM, {
                "org.example.kind": "sbom",
                "org.opencontainers.image.created": "2024-01-01T00:00:00Z"}),
            sig.digest: self.want(sig, self.SIG),
            plain.digest: self.want(plain, cfg_type)})

        r, got = self.referrers(reg, repo, subject.digest,
                                "?artifactType=" + urllib.parse.quote(
                                    self.SIG, safe=""))
        self.assertEqual(r.header("OCI-Filters-Applied"), "artifactType")
        self.assertEqual(self.normalise(got),
                         {sig.digest: self.want(sig, self.SIG)})
        r, got = self.referrers(reg, repo, subject.digest,
                                "?artifactType=application/vnd.none")
        self.assertEqual(r.header("OCI-Filters-Applied"), "artifactType")
        self.assertEqual(got, {})

        # The same data as ListImageReferrers.
        out = self.ecr().list_image_referrers(
            repositoryName=repo, subjectId={"imageDigest": subject.digest})
        self.assertEqual(sorted(x["digest"] for x in out["referrers"]),
                         sorted([sbom.digest, sig.digest, plain.digest]))

        # Deleting a referrer removes it from the list.
        r = reg.request("DELETE", "/v2/%s/manifests/%s" % (repo, sig.digest))
        self.assertEqual(r.status, 202, r)
        _, got = self.referrers(reg, repo, subject.digest)
        self.assertEqual(set(got), {sbom.digest, plain.digest})

    def test_unknown_subject_is_an_empty_index(self):
        reg = self.reg()
        repo = self.make_repo()
        _, got = self.referrers(reg, repo, fake_digest("no-subject"))
        self.assertEqual(got, {})
        r = reg.get("/v2/%s/referrers/sha256:nothex" % repo)
        self.assertRegError(r, 400, "DIGEST_INVALID")

    def test_a_referrer_before_its_subject(self):
        """The spec: accept a subject that does not exist (yet) (2.8)."""
        reg = self.reg()
        repo = self.make_repo()
        subject = build_image("late-subject", oci=True, n_layers=1)
        sig = build_referrer(subject, self.SIG, b"early signature",
                             "application/octet-stream")
        for data in sig.blobs.values():
            self.push_blob(reg, repo, data)
        r = self.put_manifest(reg, repo, sig.digest, sig.manifest,
                              sig.media_type)
        self.assertManifestPut(r, repo, sig.digest, subject.digest)
        _, got = self.referrers(reg, repo, subject.digest)
        self.assertEqual(self.normalise(got),
                         {sig.digest: self.want(sig, self.SIG)})
        self.push(reg, repo, subject, "app")
        _, got = self.referrers(reg, repo, subject.digest)
        self.assertEqual(set(got), {sig.digest})


# ---------------------------------------------------------------------------
# The ECR API and the registry over one store (issue 4, "one set of rules")


class CrossCheckTest(RegistryHelpers, EcrdTestCase):

    def test_a_registry_push_is_an_ecr_image(self):
        reg = self.reg()
        repo = self.make_repo()
        for oci, tag in ((False, "docker"), (True, "oci")):
            image = build_image("cross-%s" % tag, oci=oci, n_layers=3)
            self.push(reg, repo, image, tag)
            d = self.detail(repo, image.digest)
            self.assertDescribed(
                d, repo, image.digest,
                sum(l["size"] for l in image.layers) + image.config["size"],
                image.media_type,
                MEDIA_OCI_CONFIG if oci else MEDIA_DOCKER_CONFIG, [tag])
            self.assertNotIn("lastRecordedPullTime", d)
            out = self.ecr().batch_get_image(
                repositoryName=repo, imageIds=[{"imageTag": tag}])
            self.assertEqual(out["failures"], [])
            self.assertEqual(out["images"][0]["imageManifest"].encode(),
                             image.manifest)
            self.assertEqual(out["images"][0]["imageManifestMediaType"],
                             image.media_type)
            layers = [l["digest"] for l in image.layers]
            out = self.ecr().batch_check_layer_availability(
                repositoryName=repo, layerDigests=layers)
            self.assertEqual(out["failures"], [])
            self.assertEqual(
                sorted((l["layerDigest"], l["layerAvailability"],
                        l["layerSize"]) for l in out["layers"]),
                sorted((l["digest"], "AVAILABLE", l["size"])
                       for l in image.layers))
            url = self.ecr().get_download_url_for_layer(
                repositoryName=repo, layerDigest=layers[0])["downloadUrl"]
            got = harness.fetch_url(url)
            self.assertEqual(got.status, 200, got)
            self.assertEqual(got.body, image.blobs[layers[0]])

    def test_an_ecr_push_pulls_through_the_registry(self):
        reg = self.reg()
        repo = self.make_repo()
        for oci, tag in ((False, "docker"), (True, "oci")):
            image = build_image("ecr-push-%s" % tag, oci=oci, n_layers=3,
                                big_layer=MIN_LAYER_PART + 1000)
            push_image(self.ecr(), repo, image, tag)
            self.assertManifestPulls(reg, repo, tag, image.manifest,
                                     image.media_type,
                                     accept=image.media_type)
            self.assertManifestPulls(reg, repo, image.digest, image.manifest,
                                     image.media_type)
            for digest, data in image.blobs.items():
                self.assertBlobPulls(reg, repo, digest, data)
        # A layer-API blob, not referenced yet, is there for the registry.
        data = b"uploaded through the layer API"
        digest = upload_layer(self.ecr(), repo, data)
        self.assertBlobPulls(reg, repo, digest, data)

    def test_an_ecr_index_pulls_through_the_registry(self):
        reg = self.reg()
        repo = self.make_repo()
        amd = build_image("ecr-index-amd", arch="amd64", n_layers=1)
        arm = build_image("ecr-index-arm", arch="arm64", n_layers=1)
        index = build_index([amd, arm])
        push_image(self.ecr(), repo, index, "multi")
        self.assertManifestPulls(reg, repo, "multi", index.manifest,
                                 index.media_type,
                                 accept=", ".join(LIST_TYPES + IMAGE_TYPES))
        r = reg.get("/v2/%s/manifests/multi" % repo,
                    headers={"Accept": MEDIA_DOCKER_MANIFEST})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, amd.manifest)

    def test_one_immutability_rule(self):
        reg = self.reg()
        repo = self.make_repo(imageTagMutability="IMMUTABLE")
        a = build_image("imm-ecr", n_layers=1)
        b = build_image("imm-reg", n_layers=1)
        push_image(self.ecr(), repo, a, "from-ecr")
        self.push(reg, repo, b, "from-registry")
        r = self.put_manifest(reg, repo, "from-ecr", b.manifest,
                              b.media_type)
        self.assertRegError(r, 400, "TAG_INVALID",
                            immutable_message("from-ecr", repo))
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.ecr().put_image(repositoryName=repo,
                                 imageManifest=a.text,
                                 imageTag="from-registry")
        self.assertClientError(cm, "ImageTagAlreadyExistsException")

    def pulled(self, repo, digest):
        def recorded():
            d = self.detail(repo, digest)
            return d if "lastRecordedPullTime" in d else None
        return poll(recorded, PULL_RECORD_TIMEOUT_S,
                    "lastRecordedPullTime of %s" % digest)

    def test_a_registry_pull_records_the_pull_time(self):
        reg = self.reg()
        repo = self.make_repo()
        image = build_image("pull-time", n_layers=1)
        self.push(reg, repo, image, "v1")
        self.assertNotIn("lastRecordedPullTime",
                         self.detail(repo, image.digest))
        t0 = time.time()
        r = reg.get("/v2/%s/manifests/v1" % repo)
        self.assertEqual(r.status, 200, r)
        d = self.pulled(repo, image.digest)
        self.assertGreaterEqual(harness.epoch(d["lastRecordedPullTime"]),
                                t0 - 5)
        self.assertLessEqual(harness.epoch(d["lastRecordedPullTime"]),
                             time.time() + 5)

    def test_an_index_pull_records_only_the_index(self):
        reg = self.reg()
        repo = self.make_repo()
        amd = build_image("pull-idx-amd", arch="amd64", n_layers=1)
        arm = build_image("pull-idx-arm", arch="arm64", n_layers=1)
        index = build_index([amd, arm])
        self.push(reg, repo, index, "multi")
        r = reg.get("/v2/%s/manifests/multi" % repo,
                    headers={"Accept": MEDIA_DOCKER_LIST})
        self.assertEqual(r.status, 200, r)
        self.pulled(repo, index.digest)
        for child in (amd, arm):
            self.assertNotIn("lastRecordedPullTime",
                             self.detail(repo, child.digest))


# ---------------------------------------------------------------------------
# Real clients: umoci builds, skopeo pushes, pulls, inspects, deletes


class Layout:
    """An OCI image layout built with umoci (docs/registry-behaviour.md 1)."""

    def __init__(self, test, path):
        self.test = test
        self.path = path
        self.umoci("init", "--layout", path)

    def umoci(self, *args):
        p = run_tool((UMOCI,) + args)
        self.test.assertEqual(p.returncode, 0, describe(p))
        return p

    def add_image(self, tag, layers, arch="amd64"):
        """An image of len(layers) layers, each {relative path: bytes}."""
        ref = "%s:%s" % (self.path, tag)
        self.umoci("new", "--image", ref)
        for i, files in enumerate(layers):
            bundle = os.path.join(os.path.dirname(self.path),
                                  "bundle-%s-%d" % (tag, i))
            self.umoci("unpack", "--rootless", "--image", ref, bundle)
            for rel, data in files.items():
                path = os.path.join(bundle, "rootfs", rel)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as f:
                    f.write(data)
            self.umoci("repack", "--image", ref, bundle)
            shutil.rmtree(bundle)
        self.umoci("config", "--image", ref, "--os", "linux",
                   "--architecture", arch, "--config.cmd", "/bin/true")
        return self.ref(tag)

    def index(self):
        with open(os.path.join(self.path, "index.json")) as f:
            return json.load(f)

    def ref(self, tag):
        """index.json's descriptor for tag."""
        for m in self.index()["manifests"]:
            if m.get("annotations", {}).get(
                    "org.opencontainers.image.ref.name") == tag:
                return m
        raise AssertionError("no %s in %s" % (tag, self.path))

    def blob(self, digest):
        algo, hexd = digest.split(":")
        with open(os.path.join(self.path, "blobs", algo, hexd), "rb") as f:
            return f.read()

    def write_blob(self, data):
        digest = sha256_digest(data)
        with open(os.path.join(self.path, "blobs", "sha256",
                               digest.split(":")[1]), "wb") as f:
            f.write(data)
        return digest

    def add_index(self, tag, tags_archs):
        """A 2-platform OCI index over images already in the layout,
        written by hand (umoci does not make indexes)."""
        manifests = []
        for t, arch in tags_archs:
            d = dict(self.ref(t))
            d.pop("annotations", None)
            d["platform"] = {"architecture": arch, "os": "linux"}
            manifests.append(d)
        raw = json.dumps({"schemaVersion": 2, "mediaType": MEDIA_OCI_INDEX,
                          "manifests": manifests}).encode()
        digest = self.write_blob(raw)
        idx = self.index()
        idx["manifests"].append({
            "mediaType": MEDIA_OCI_INDEX, "digest": digest,
            "size": len(raw),
            "annotations": {"org.opencontainers.image.ref.name": tag}})
        with open(os.path.join(self.path, "index.json"), "w") as f:
            json.dump(idx, f)
        return raw

    def files(self, tag):
        """Unpack tag: {relative path: bytes} of its regular files."""
        bundle = os.path.join(os.path.dirname(self.path),
                              "check-%s" % uuid.uuid4().hex[:8])
        self.umoci("unpack", "--rootless", "--image",
                   "%s:%s" % (self.path, tag), bundle)
        out = {}
        root = os.path.join(bundle, "rootfs")
        for d, _, names in os.walk(root):
            for n in names:
                p = os.path.join(d, n)
                if os.path.isfile(p) and not os.path.islink(p):
                    with open(p, "rb") as f:
                        out[os.path.relpath(p, root)] = f.read()
        shutil.rmtree(bundle)
        return out

    @classmethod
    def existing(cls, test, path):
        self = cls.__new__(cls)
        self.test, self.path = test, path
        return self


LAYER_FILES = [
    {"e2e/one.txt": b"first layer\n", "e2e/bin/a": b"\x00\x01binary" * 50},
    {"e2e/two.txt": b"second layer\n" * 3, "etc/e2e.conf": b"key=value\n"},
    {"e2e/three.txt": b"third layer\n", "e2e/one.txt": b"overwritten\n"},
]


def merged(layers):
    out = {}
    for files in layers:
        out.update(files)
    return out


@unittest.skipUnless(SKOPEO and UMOCI, "skopeo and umoci are needed")
class SkopeoTest(RegistryHelpers, EcrdTestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="e2e-skopeo-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def path(self, name):
        return os.path.join(self.tmp, name)

    def skopeo(self, *args, ok=True):
        p = run_tool((SKOPEO, "--insecure-policy") + args)
        if ok:
            self.assertEqual(p.returncode, 0, describe(p))
        return p

    def dest(self, repo, tag_or_digest, password=None):
        sep = "@" if ":" in tag_or_digest else ":"
        return ["--dest-tls-verify=false", "--dest-creds",
                "AWS:" + (password or self.password),
                "docker://%s/%s%s%s" % (self.server.hostport, repo, sep,
                                        tag_or_digest)]

    def src(self, repo, tag_or_digest):
        sep = "@" if ":" in tag_or_digest else ":"
        return ["--src-tls-verify=false", "--src-creds",
                "AWS:" + self.password,
                "docker://%s/%s%s%s" % (self.server.hostport, repo, sep,
                                        tag_or_digest)]

    def remote(self, repo, ref, password=None):
        sep = "@" if ":" in ref else ":"
        return ["--tls-verify=false", "--creds",
                "AWS:" + (password or self.password),
                "docker://%s/%s%s%s" % (self.server.hostport, repo, sep,
                                        ref)]

    def copy_in(self, layout, tag, repo, dest_tag, *opts):
        digestfile = self.path("digest-%s" % uuid.uuid4().hex[:8])
        src_ref = "oci:%s:%s" % (layout.path, tag)
        d = self.dest(repo, dest_tag)
        self.skopeo("copy", "--digestfile", digestfile, *opts, *d[:3],
                    src_ref, d[3])
        with open(digestfile) as f:
            return f.read().strip()

    def copy_out(self, repo, ref, name, *opts):
        out = Layout.existing(self, self.path(name))
        s = self.src(repo, ref)
        self.skopeo("copy", *opts, *s[:3], s[3], "oci:%s:out" % out.path)
        return out

    def build(self, name="L"):
        layout = Layout(self, self.path(name))
        layout.add_image("v1", LAYER_FILES)
        return layout

    def test_oci_image_push_pull_inspect(self):
        layout = self.build()
        desc = layout.ref("v1")
        manifest = layout.blob(desc["digest"])
        obj = json.loads(manifest)
        self.assertEqual(len(obj["layers"]), 3)
        repo = self.make_repo()
        digest = self.copy_in(layout, "v1", repo, "v1")
        self.assertEqual(digest, desc["digest"])
        reg = self.reg()
        # Stored as pushed: umoci's manifest has no mediaType field.
        self.assertManifestPulls(reg, repo, "v1", manifest,
                                 MEDIA_OCI_MANIFEST)
        for d in [obj["config"]] + obj["layers"]:
            self.assertBlobPulls(reg, repo, d["digest"],
                                 layout.blob(d["digest"]))
        self.assertDescribed(
            self.detail(repo, digest), repo, digest,
            sum(l["size"] for l in obj["layers"]) + obj["config"]["size"],
            MEDIA_OCI_MANIFEST, MEDIA_OCI_CONFIG, ["v1"])
        p = self.skopeo("inspect", "--raw", *self.remote(repo, "v1"))
        self.assertEqual(p.stdout.encode(), manifest)
        p = self.skopeo("inspect", *self.remote(repo, "v1"))
        info = json.loads(p.stdout)
        self.assertEqual(info["Digest"], digest)
        self.assertEqual(info["Architecture"], "amd64")
        self.assertEqual(info["Os"], "linux")
        self.assertEqual(info["Layers"], [l["digest"]
                                          for l in obj["layers"]])
        p = self.skopeo("list-tags", "--tls-verify=false", "--creds",
                        "AWS:" + self.password, "docker://%s/%s"
                        % (self.server.hostport, repo))
        self.assertEqual(json.loads(p.stdout)["Tags"], ["v1"])
        # Pull back by tag and by digest: same manifest, same files.
        want_files = merged(LAYER_FILES)
        for ref in ("v1", digest):
            with self.subTest(pull=ref):
                out = self.copy_out(repo, ref, "out-" + ref[-8:])
                self.assertEqual(out.ref("out")["digest"], digest)
                self.assertEqual(out.blob(digest), manifest)
                files = out.files("out")
                for rel, data in want_files.items():
                    self.assertEqual(files.get(rel), data, rel)

    def test_oci_push_pulled_by_a_docker_only_client(self):
        """Issue 11 (11): skopeo pushes umoci's OCI manifest without a
        mediaType member; a client that takes only Docker v2 gets it
        translated, by tag."""
        layout = self.build()
        manifest = layout.blob(layout.ref("v1")["digest"])
        self.assertNotIn("mediaType", json.loads(manifest))
        repo = self.make_repo()
        self.copy_in(layout, "v1", repo, "v1")
        r = self.reg().get("/v2/%s/manifests/v1" % repo,
                           headers={"Accept": MEDIA_DOCKER_MANIFEST})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), MEDIA_DOCKER_MANIFEST)
        got, stored = json.loads(r.body), json.loads(manifest)
        self.assertEqual(got["mediaType"], MEDIA_DOCKER_MANIFEST)
        self.assertEqual(got["config"]["mediaType"], MEDIA_DOCKER_CONFIG)
        self.assertEqual([l["digest"] for l in got["layers"]],
                         [l["digest"] for l in stored["layers"]])

    def test_docker_v2s2_push_pull(self):
        layout = self.build()
        repo = self.make_repo()
        digest = self.copy_in(layout, "v1", repo, "v1-docker", "--format",
                              "v2s2")
        reg = self.reg()
        r = reg.get("/v2/%s/manifests/%s" % (repo, digest),
                    headers={"Accept": MEDIA_DOCKER_MANIFEST})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), MEDIA_DOCKER_MANIFEST)
        manifest = r.body
        obj = json.loads(manifest)
        self.assertEqual(obj["mediaType"], MEDIA_DOCKER_MANIFEST)
        self.assertEqual(obj["config"]["mediaType"], MEDIA_DOCKER_CONFIG)
        oci = json.loads(layout.blob(layout.ref("v1")["digest"]))
        self.assertEqual([l["digest"] for l in obj["layers"]],
                         [l["digest"] for l in oci["layers"]])
        self.assertDescribed(
            self.detail(repo, digest), repo, digest,
            sum(l["size"] for l in obj["layers"]) + obj["config"]["size"],
            MEDIA_DOCKER_MANIFEST, MEDIA_DOCKER_CONFIG, ["v1-docker"])
        # skopeo asks with one Accept line per type: it must still get
        # the stored Docker manifest, by tag as by digest.
        for ref in ("v1-docker", digest):
            with self.subTest(inspect=ref):
                p = self.skopeo("inspect", "--raw", *self.remote(repo, ref))
                self.assertEqual(p.stdout.encode(), manifest)
        want_files = merged(LAYER_FILES)
        for ref in ("v1-docker", digest):
            with self.subTest(pull=ref):
                out = self.copy_out(repo, ref, "out-" + ref[-8:])
                got = json.loads(out.blob(out.ref("out")["digest"]))
                # Converted to OCI on the way into the layout: the same
                # layers (the config is rewritten in OCI's form).
                self.assertEqual([l["digest"] for l in got["layers"]],
                                 [l["digest"] for l in obj["layers"]])
                config = json.loads(out.blob(got["config"]["digest"]))
                self.assertEqual((config["os"], config["architecture"]),
                                 ("linux", "amd64"))
                files = out.files("out")
                for rel, data in want_files.items():
                    self.assertEqual(files.get(rel), data, rel)

    def build_multi(self):
        layout = Layout(self, self.path("M"))
        layout.add_image("amd", LAYER_FILES, arch="amd64")
        layout.add_image("arm", [{"arch.txt": b"arm64\n"},
                                 {"e2e/arm.bin": seeded_bytes("arm", 999)}],
                         arch="arm64")
        raw = layout.add_index("multi", [("amd", "amd64"), ("arm", "arm64")])
        return layout, raw

    def test_oci_index_and_docker_manifest_list(self):
        layout, raw = self.build_multi()
        repo = self.make_repo()
        reg = self.reg()
        amd, arm = layout.ref("amd"), layout.ref("arm")
        # The OCI index, kept as is.
        digest = self.copy_in(layout, "multi", repo, "multi", "--all")
        self.assertEqual(digest, sha256_digest(raw))
        self.assertManifestPulls(reg, repo, "multi", raw, MEDIA_OCI_INDEX,
                                 accept=", ".join(LIST_TYPES))
        for child in (amd, arm):
            self.assertManifestPulls(reg, repo, child["digest"],
                                     layout.blob(child["digest"]),
                                     MEDIA_OCI_MANIFEST)
        details = self.details(repo)
        self.assertEqual(set(details), {digest, amd["digest"],
                                        arm["digest"]})
        self.assertEqual(details[digest]["imageManifestMediaType"],
                         MEDIA_OCI_INDEX)
        self.assertEqual(details[digest]["imageTags"], ["multi"])
        # Converted: a Docker manifest list of Docker v2 images.
        list_digest = self.copy_in(layout, "multi", repo, "multi-docker",
                                   "--all", "--format", "v2s2")
        r = reg.get("/v2/%s/manifests/multi-docker" % repo,
                    headers={"Accept": MEDIA_DOCKER_LIST})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), MEDIA_DOCKER_LIST)
        self.assertEqual(r.header("Docker-Content-Digest"), list_digest)
        lst = json.loads(r.body)
        self.assertEqual([(m["mediaType"], m["platform"]["architecture"])
                          for m in lst["manifests"]],
                         [(MEDIA_DOCKER_MANIFEST, "amd64"),
                          (MEDIA_DOCKER_MANIFEST, "arm64")])
        self.assertEqual(self.detail(repo, list_digest)
                         ["imageManifestMediaType"], MEDIA_DOCKER_LIST)
        # skopeo inspect --raw sees each list as stored.
        for ref, want in (("multi", raw), ("multi-docker", r.body)):
            with self.subTest(inspect=ref):
                p = self.skopeo("inspect", "--raw", *self.remote(repo, ref))
                self.assertEqual(p.stdout.encode(), want)
        # Pull the index back whole, by tag and by digest.
        for ref in ("multi", digest):
            with self.subTest(pull=ref):
                out = self.copy_out(repo, ref, "out-" + ref[-8:], "--all")
                self.assertEqual(out.ref("out")["digest"], digest)
                self.assertEqual(out.blob(digest), raw)
                for child in (amd, arm):
                    self.assertEqual(out.blob(child["digest"]),
                                     layout.blob(child["digest"]))

    def test_copy_between_repositories(self):
        """A registry-to-registry copy: containers/image mounts the blobs
        it knows are in the source repository."""
        layout = self.build()
        set_blob_mounting(self.ecr(), "ENABLED")
        self.addCleanup(set_blob_mounting, self.ecr(), "DISABLED")
        source, target = self.make_repo(), self.make_repo()
        digest = self.copy_in(layout, "v1", source, "v1")
        s, d = self.src(source, "v1"), self.dest(target, "v1")
        self.skopeo("copy", *s[:3], *d[:3], s[3], d[3])
        reg = self.reg()
        self.assertManifestPulls(reg, target, "v1",
                                 layout.blob(digest), MEDIA_OCI_MANIFEST)
        log = self.server.stderr()
        if " upload-start " in log:             # our server, logging
            self.assertIn("POST /v2/%s/blobs/uploads/ upload-start "
                          "201 " % target, log, "no blob was mounted")
        obj = json.loads(layout.blob(digest))
        for l in obj["layers"]:
            self.assertBlobPulls(reg, target, l["digest"],
                                 layout.blob(l["digest"]))

    def test_delete(self):
        layout = self.build()
        repo = self.make_repo()
        oci_digest = self.copy_in(layout, "v1", repo, "v1")
        docker_digest = self.copy_in(layout, "v1", repo, "v1-docker",
                                     "--format", "v2s2")
        self.skopeo("delete", *self.remote(repo, oci_digest))
        r = self.reg().get("/v2/%s/manifests/v1" % repo)
        self.assertRegError(r, 404, "MANIFEST_UNKNOWN")
        self.assertEqual(set(self.details(repo)), {docker_digest})
        # By tag: skopeo resolves the tag to the stored digest first.
        self.skopeo("delete", *self.remote(repo, "v1-docker"))
        self.assertEqual(self.details(repo), {})
        self.assertEqual(self.tags(self.reg(), repo), [])

    def test_refusals(self):
        layout = self.build()
        repo = self.make_repo()
        src = "oci:%s:v1" % layout.path
        # Wrong password.
        d = self.dest(repo, "v1", password="not-a-token")
        p = self.skopeo("copy", *d[:3], src, d[3], ok=False)
        self.assertNotEqual(p.returncode, 0, describe(p))
        self.assertIn("unauthorized", p.stderr)
        # Expired token.
        expired, _ = mint_registry_password(self.server, -60)
        d = self.dest(repo, "v1", password=expired)
        p = self.skopeo("copy", *d[:3], src, d[3], ok=False)
        self.assertNotEqual(p.returncode, 0, describe(p))
        self.assertIn("403", p.stderr)
        # No such repository: not created by the push.
        missing = unique_name("missing")
        d = self.dest(missing, "v1")
        p = self.skopeo("copy", *d[:3], src, d[3], ok=False)
        self.assertNotEqual(p.returncode, 0, describe(p))
        self.assertIn(name_unknown_message(missing), p.stderr)
        self.assertEqual(self.details(repo), {})
        # An immutable tag cannot move.
        imm = self.make_repo(imageTagMutability="IMMUTABLE")
        self.copy_in(layout, "v1", imm, "v1")
        d = self.dest(imm, "v1")
        p = self.skopeo("copy", "--format", "v2s2", *d[:3], src, d[3],
                        ok=False)
        self.assertNotEqual(p.returncode, 0, describe(p))
        self.assertIn(immutable_message("v1", imm), p.stderr)


# ---------------------------------------------------------------------------
# The docker CLI without an engine: login, manifest inspect/create/push


@unittest.skipUnless(DOCKER, "the docker CLI is needed")
class DockerCliTest(RegistryHelpers, EcrdTestCase):

    def setUp(self):
        self.config = tempfile.mkdtemp(prefix="e2e-docker-")
        self.addCleanup(shutil.rmtree, self.config, True)

    def docker(self, *args, input=None, config=None):
        env = dict(os.environ)
        env["DOCKER_CONFIG"] = config or self.config
        env.pop("DOCKER_HOST", None)
        return run_tool((DOCKER,) + args, env=env, input=input)

    def login(self, password, config=None):
        return self.docker("login", "-u", "AWS", "--password-stdin",
                           self.server.hostport, input=password,
                           config=config)

    def stored_auth(self, config=None):
        path = os.path.join(config or self.config, "config.json")
        if not os.path.exists(path):
            return None
        with open(path) as f:
            auths = json.load(f).get("auths", {})
        return auths.get(self.server.hostport, {}).get("auth")

    def test_login(self):
        p = self.login(self.password)
        self.assertEqual(p.returncode, 0, describe(p))
        self.assertIn("Login Succeeded", p.stdout)
        self.assertEqual(self.stored_auth(), base64.b64encode(
            ("AWS:" + self.password).encode()).decode())

    def test_login_with_a_bad_password_fails(self):
        for what, password in (
                ("garbage", "garbage"),
                ("tampered", flip(self.password, len(self.password) // 2))):
            with self.subTest(password=what):
                config = tempfile.mkdtemp(prefix="e2e-docker-bad-")
                self.addCleanup(shutil.rmtree, config, True)
                p = self.login(password, config)
                self.assertNotEqual(p.returncode, 0, describe(p))
                self.assertIn("401 Unauthorized", p.stderr)
                self.assertIsNone(self.stored_auth(config))

    def test_login_with_an_expired_token_fails(self):
        expired, _ = mint_registry_password(self.server, -60)
        p = self.login(expired)
        self.assertNotEqual(p.returncode, 0, describe(p))
        self.assertIn("403", p.stderr)
        self.assertIsNone(self.stored_auth())

    def test_get_login_password_into_docker_login(self):
        cli = harness.find_cli(2) and 2 or (harness.find_cli(1) and 1)
        if not cli:
            self.skipTest("no aws CLI")
        res = self.cli(cli, "ecr", "get-login-password")
        self.assertEqual(res.rc, 0, res)
        p = self.login(res.stdout.strip())
        self.assertEqual(p.returncode, 0, describe(p))
        self.assertIn("Login Succeeded", p.stdout)

    def test_manifest_inspect_create_push(self):
        """docker manifest push mounts the children's blobs into the
        target repository (docs/registry-behaviour.md 1), with BLOB_MOUNTING
        on (2.6)."""
        set_blob_mounting(self.ecr(), "ENABLED")
        self.addCleanup(set_blob_mounting, self.ecr(), "DISABLED")
        reg = self.reg()
        source, target = self.make_repo(), self.make_repo()
        amd = build_image("docker-cli-amd", arch="amd64", n_layers=2)
        arm = build_image("docker-cli-arm", arch="arm64", n_layers=1)
        self.push(reg, source, amd, "amd")
        self.push(reg, source, arm, "arm")
        p = self.login(self.password)
        self.assertEqual(p.returncode, 0, describe(p))
        host = self.server.hostport
        for ref in ("%s/%s:amd" % (host, source),
                    "%s/%s@%s" % (host, source, amd.digest)):
            with self.subTest(inspect=ref):
                p = self.docker("manifest", "inspect", "--insecure", ref)
                self.assertEqual(p.returncode, 0, describe(p))
                self.assertEqual(json.loads(p.stdout),
                                 json.loads(amd.manifest))
        lst = "%s/%s:list" % (host, target)
        p = self.docker("manifest", "create", "--insecure", lst,
                        "%s/%s@%s" % (host, source, amd.digest),
                        "%s/%s@%s" % (host, source, arm.digest))
        self.assertEqual(p.returncode, 0, describe(p))
        p = self.docker("manifest", "push", "--insecure", lst)
        self.assertEqual(p.returncode, 0, describe(p))
        r = reg.get("/v2/%s/manifests/list" % target,
                    headers={"Accept": MEDIA_DOCKER_LIST})
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), MEDIA_DOCKER_LIST)
        got = json.loads(r.body)
        self.assertEqual(sorted((m["digest"], m["platform"]["architecture"])
                                for m in got["manifests"]),
                         sorted([(amd.digest, "amd64"),
                                 (arm.digest, "arm64")]))
        for child in (amd, arm):
            self.assertManifestPulls(reg, target, child.digest,
                                     child.manifest, child.media_type)
            for digest, data in child.blobs.items():
                self.assertBlobPulls(reg, target, digest, data)


if __name__ == "__main__":
    unittest.main()
