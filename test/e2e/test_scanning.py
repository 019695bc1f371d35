"""Image scanning (issue 15, docs/ecr-behaviour.md 3.7).

Images are built here: gzip tar layers written with tarfile (a Debian one
with /etc/os-release and /var/lib/dpkg/status, an Alpine one with
/lib/apk/db/installed, one with neither), pushed with the layer API and
PutImage. Scans run in the background, so each test polls (or waits with
the CLIs' image-scan-complete waiter) against a deadline. The registry
scanning configuration is per registry, so tests that set it use an
account of their own. A feed of OSV records written by the test drives
the findings of the class that starts its own server with --vuln-db.
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import signal
import tarfile
import tempfile
import time
import unittest

import botocore.exceptions

from harness import (DEFAULT_ACCOUNT, REGION, EcrdTestCase, fresh_account,
                     poll, repo_arn, unique_name)

SCAN_DEADLINE_S = 60.0
COMPLETE = "The scan was completed successfully."
UNSUPPORTED = ("UnsupportedImageError: The operating system and/or package "
               "manager are not supported.")
QUOTA = "The scan quota per image has been exceeded. Wait and try again."
DAY_S = 86400

DEBIAN_OS = (b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'
             b'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian\n')
DPKG_STATUS = (b"Package: libssl3\nStatus: install ok installed\n"
               b"Source: openssl\nVersion: 3.0.11-1~deb12u1\n\n"
               b"Package: zlib1g\nStatus: install ok installed\n"
               b"Source: zlib\nVersion: 1:1.2.13.dfsg-1\n\n"
               b"Package: bash\nStatus: install ok installed\n"
               b"Version: 5.2.15-2+b2\n\n")
ALPINE_OS = (b'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n'
             b'PRETTY_NAME="Alpine Linux v3.19"\n')
APK_DB = (b"P:musl\nV:1.2.4-r2\no:musl\n\n"
          b"P:libcrypto3\nV:3.1.4-r1\no:openssl\n\n")


def layer(files):
    """A gzip tar layer of {path: bytes}, made the same way every time."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for path, data in sorted(files.items()):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mtime = 0
            t.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as g:
        g.write(raw.getvalue())
    return out.getvalue()


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def upload(ecr, repo, blob):
    have = ecr.batch_check_layer_availability(
        repositoryName=repo, layerDigests=[digest_of(blob)])["layers"]
    if have and have[0].get("layerAvailability") == "AVAILABLE":
        return digest_of(blob)
    up = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
    ecr.upload_layer_part(repositoryName=repo, uploadId=up,
                          partFirstByte=0, partLastByte=len(blob) - 1,
                          layerPartBlob=blob)
    ecr.complete_layer_upload(repositoryName=repo, uploadId=up,
                              layerDigests=[digest_of(blob)])
    return digest_of(blob)


def push(ecr, repo, layers, tag, config_type=None, salt=""):
    """Push an image of the given layers; returns its digest."""
    config = json.dumps({
        "architecture": "amd64", "os": "linux", "salt": salt,
        "rootfs": {"type": "layers",
                   "diff_ids": [digest_of(x) for x in layers]}}).encode()
    descs = []
    for blob in layers:
        descs.append({
            "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
            "size": len(blob), "digest": upload(ecr, repo, blob)})
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": config_type or
                   "application/vnd.docker.container.image.v1+json",
                   "size": len(config), "digest": upload(ecr, repo, config)},
        "layers": descs})
    push.last_size = len(manifest.encode())
    return ecr.put_image(repositoryName=repo, imageManifest=manifest,
                         imageTag=tag)["image"]["imageId"]["imageDigest"]


def debian(extra=None):
    files = {"etc/os-release": DEBIAN_OS, "var/lib/dpkg/status": DPKG_STATUS}
    files.update(extra or {})
    return [layer(files)]


def alpine():
    return [layer({"etc/os-release": ALPINE_OS}),
            layer({"lib/apk/db/installed": APK_DB})]


class ScanHelpers:
    def make_repo(self, ecr=None, scan_on_push=False):
        name = unique_name("scan")
        (ecr or self.ecr()).create_repository(
            repositoryName=name,
            imageScanningConfiguration={"scanOnPush": scan_on_push})
        return name

    def findings(self, repo, tag, ecr=None, **kw):
        return (ecr or self.ecr()).describe_image_scan_findings(
            repositoryName=repo, imageId={"imageTag": tag}, **kw)

    def wait_scan(self, repo, tag, ecr=None, want="COMPLETE"):
        """Poll until the scan leaves IN_PROGRESS; its status must be want."""
        got = {}

        def done():
            got["r"] = self.findings(repo, tag, ecr)
            return got["r"]["imageScanStatus"]["status"] != "IN_PROGRESS"
        poll(done, SCAN_DEADLINE_S, "the scan of %s:%s" % (repo, tag))
        self.assertEqual(got["r"]["imageScanStatus"]["status"], want)
        return got["r"]

    def set_findings(self, repo, tag, findings, status=None, path=None,
                     query=""):
        body = {"repositoryName": repo, "imageId": {"imageTag": tag},
                "imageScanFindings": {"findings": findings}}
        if status is not None:
            body["imageScanStatus"] = {"status": status}
        return self.http("POST", (path or "/_ecrd/scan-findings") + query,
                         json.dumps(body).encode())


def finding(n, severity):
    return {"name": "CVE-2024-%04d" % n, "severity": severity,
            "description": "finding %d" % n,
            "uri": "https://security-tracker.debian.org/tracker/"
                   "CVE-2024-%04d" % n,
            "attributes": [{"key": "package_name", "value": "pkg%d" % n},
                           {"key": "package_version", "value": "1.%d" % n},
                           {"key": "CVSS3_SCORE", "value": "7.5"}]}


class ScanningConfigurationTest(ScanHelpers, EcrdTestCase):
    """The registry's configuration and what it means per repository."""

    def test_default_is_basic_without_rules(self):
        acct = fresh_account()
        r = self.ecr(key=acct).get_registry_scanning_configuration()
        self.assertEqual(r["registryId"], acct)
        self.assertEqual(r["scanningConfiguration"],
                         {"scanType": "BASIC", "rules": []})

    def test_put_get_and_batch_get(self):
        acct = fresh_account()
        ecr = self.ecr(key=acct)
        rules = [{"scanFrequency": "SCAN_ON_PUSH",
                  "repositoryFilters": [{"filter": "team-*",
                                         "filterType": "WILDCARD"}]}]
        r = ecr.put_registry_scanning_configuration(scanType="BASIC",
                                                    rules=rules)
        self.assertEqual(r["registryScanningConfiguration"],
                         {"scanType": "BASIC", "rules": rules})
        self.assertEqual(
            ecr.get_registry_scanning_configuration()[
                "scanningConfiguration"],
            {"scanType": "BASIC", "rules": rules})
        ecr.create_repository(repositoryName="team-a")
        ecr.create_repository(repositoryName="other")
        r = ecr.batch_get_repository_scanning_configuration(
            repositoryNames=["team-a", "other", "missing"])
        by_name = {c["repositoryName"]: c
                   for c in r["scanningConfigurations"]}
        self.assertEqual(by_name["team-a"], {
            "repositoryArn": repo_arn("team-a", acct),
            "repositoryName": "team-a", "scanOnPush": True,
            "scanFrequency": "SCAN_ON_PUSH",
            "appliedScanFilters": rules[0]["repositoryFilters"]})
        self.assertEqual(by_name["other"]["scanFrequency"], "MANUAL")
        self.assertEqual(by_name["other"]["appliedScanFilters"], [])
        self.assertFalse(by_name["other"]["scanOnPush"])
        self.assertEqual(r["failures"], [{
            "repositoryName": "missing",
            "failureCode": "REPOSITORY_NOT_FOUND",
            "failureReason": "REPOSITORY_NOT_FOUND"}])

    def test_basic_refuses_continuous_scan(self):
        ecr = self.ecr(key=fresh_account())
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            ecr.put_registry_scanning_configuration(
                scanType="BASIC",
                rules=[{"scanFrequency": "CONTINUOUS_SCAN",
                        "repositoryFilters": [{"filter": "*",
                                               "filterType": "WILDCARD"}]}])
        self.assertClientError(cm, "ValidationException")
        self.assertIn("CONTINUOUS_SCAN",
                      cm.exception.response["Error"]["Message"])

    def test_model_limits(self):
        ecr = self.ecr(key=fresh_account())
        rule = {"scanFrequency": "SCAN_ON_PUSH",
                "repositoryFilters": [{"filter": "*",
                                       "filterType": "WILDCARD"}]}
        with self.assertRaises(botocore.exceptions.ClientError):
            ecr.put_registry_scanning_configuration(
                scanType="BASIC", rules=[rule, rule, rule])
        with self.assertRaises(botocore.exceptions.ParamValidationError):
            ecr.batch_get_repository_scanning_configuration(
                repositoryNames=[])

    def test_cli_v1_and_v2(self):
        for major in (1, 2):
            with self.subTest(cli=major):
                acct = fresh_account()
                rules = json.dumps([{
                    "scanFrequency": "SCAN_ON_PUSH",
                    "repositoryFilters": [{"filter": "cli-*",
                                           "filterType": "WILDCARD"}]}])
                r = self.cli(major, "ecr",
                             "put-registry-scanning-configuration",
                             "--scan-type", "BASIC", "--rules", rules,
                             key=acct)
                self.assertEqual(r.rc, 0, r)
                r = self.cli(major, "ecr",
                             "get-registry-scanning-configuration", key=acct)
                self.assertEqual(r.rc, 0, r)
                self.assertEqual(r.json()["scanningConfiguration"][
                    "rules"][0]["repositoryFilters"][0]["filter"], "cli-*")
                self.ecr(key=acct).create_repository(repositoryName="cli-x")
                r = self.cli(major, "ecr",
                             "batch-get-repository-scanning-configuration",
                             "--repository-names", "cli-x", key=acct)
                self.assertEqual(r.rc, 0, r)
                self.assertEqual(r.json()["scanningConfigurations"][0][
                    "scanFrequency"], "SCAN_ON_PUSH")


class ScanTest(ScanHelpers, EcrdTestCase):
    """Scans without a feed: the inventory is taken, nothing is found."""

    def test_scan_on_push_completes_and_the_waiters_succeed(self):
        repo = self.make_repo(scan_on_push=True)
        push(self.ecr(), repo, debian(), "v1")
        for major in (1, 2):
            with self.subTest(cli=major):
                r = self.cli(major, "ecr", "wait", "image-scan-complete",
                             "--repository-name", repo,
                             "--image-id", "imageTag=v1")
                self.assertEqual(r.rc, 0, r)
        r = self.wait_scan(repo, "v1")
        self.assertEqual(r["imageScanStatus"]["description"], COMPLETE)
        f = r["imageScanFindings"]
        self.assertEqual(f["findings"], [])
        self.assertEqual(f["findingSeverityCounts"], {})
        self.assertIn("imageScanCompletedAt", f)
        # No feed: no source to date.
        self.assertNotIn("vulnerabilitySourceUpdatedAt", f)
        d = self.ecr().describe_images(repositoryName=repo)["imageDetails"][0]
        self.assertEqual(d["imageScanStatus"],
                         {"status": "COMPLETE", "description": COMPLETE})
        self.assertEqual(d["imageScanFindingsSummary"][
            "findingSeverityCounts"], {})

    def test_registry_rule_scans_on_push(self):
        acct = fresh_account()
        ecr = self.ecr(key=acct)
        ecr.put_registry_scanning_configuration(
            scanType="BASIC",
            rules=[{"scanFrequency": "SCAN_ON_PUSH",
                    "repositoryFilters": [{"filter": "auto*",
                                           "filterType": "WILDCARD"}]}])
        ecr.create_repository(repositoryName="auto-scan")
        ecr.create_repository(repositoryName="manual")
        push(ecr, "auto-scan", alpine(), "a")
        push(ecr, "manual", alpine(), "a")
        self.wait_scan("auto-scan", "a", ecr)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.findings("manual", "a", ecr)
        self.assertClientError(cm, "ScanNotFoundException")

    def test_start_image_scan_and_the_daily_quota(self):
        repo = self.make_repo()
        digest = push(self.ecr(), repo, alpine(), "q")
        r = self.ecr().start_image_scan(repositoryName=repo,
                                        imageId={"imageTag": "q"})
        self.assertEqual(r["imageScanStatus"], {"status": "IN_PROGRESS"})
        self.assertEqual(r["imageId"], {"imageDigest": digest,
                                        "imageTag": "q"})
        self.assertEqual(r["registryId"], DEFAULT_ACCOUNT)
        self.wait_scan(repo, "q")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.ecr().start_image_scan(repositoryName=repo,
                                        imageId={"imageDigest": digest})
        self.assertClientError(cm, "LimitExceededException", QUOTA)
        r = self.http("POST", "/_ecrd/clock?advance_seconds=%d" % (DAY_S + 1))
        self.assertEqual(r.status, 200, r)
        r = self.ecr().start_image_scan(repositoryName=repo,
                                        imageId={"imageTag": "q"})
        self.assertEqual(r["imageScanStatus"]["status"], "IN_PROGRESS")
        self.wait_scan(repo, "q")

    def test_scan_on_push_counts_toward_the_quota(self):
        repo = self.make_repo(scan_on_push=True)
        push(self.ecr(), repo, debian(), "p")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.ecr().start_image_scan(repositoryName=repo,
                                        imageId={"imageTag": "p"})
        self.assertClientError(cm, "LimitExceededException", QUOTA)

    def test_never_scanned_is_scan_not_found(self):
        repo = self.make_repo()
        digest = push(self.ecr(), repo, alpine(), "n")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.findings(repo, "n")
        self.assertClientError(
            cm, "ScanNotFoundException",
            "Image scan does not exist for the image with "
            "'{imageDigest:'null', imageTag:'n'}' in the repository with "
            "name '%s' in the registry with id '%s'" % (repo,
                                                       DEFAULT_ACCOUNT))
        d = self.ecr().describe_images(repositoryName=repo)["imageDetails"][0]
        self.assertEqual(d["imageDigest"], digest)
        self.assertNotIn("imageScanStatus", d)

    def test_image_without_os_packages_is_unsupported(self):
        repo = self.make_repo()
        push(self.ecr(), repo, [layer({"app/main": b"#!/bin/sh\n"})], "u")
        self.ecr().start_image_scan(repositoryName=repo,
                                    imageId={"imageTag": "u"})
        r = self.wait_scan(repo, "u", want="UNSUPPORTED_IMAGE")
        self.assertEqual(r["imageScanStatus"]["description"], UNSUPPORTED)

    def test_lists_and_artifacts_are_unsupported_image_types(self):
        repo = self.make_repo()
        ecr = self.ecr()
        digest = push(ecr, repo, alpine(), "child")
        index = json.dumps({
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.index.v1+json",
            "manifests": [{
                "mediaType": "application/vnd.docker.distribution."
                             "manifest.v2+json",
                "digest": digest, "size": push.last_size,
                "platform": {"architecture": "amd64", "os": "linux"}}]})
        ecr.put_image(repositoryName=repo, imageManifest=index,
                      imageTag="list")
        push(ecr, repo, [layer({"x": b"y"})], "artifact",
             config_type="application/vnd.example.thing.v1+json")
        for tag in ("list", "artifact"):
            with self.subTest(tag=tag):
                with self.assertRaises(
                        botocore.exceptions.ClientError) as cm:
                    ecr.start_image_scan(repositoryName=repo,
                                         imageId={"imageTag": tag})
                self.assertClientError(cm, "UnsupportedImageTypeException")

    def test_archived_image_cannot_be_scanned(self):
        repo = self.make_repo()
        ecr = self.ecr()
        push(ecr, repo, alpine(), "old")
        ecr.update_image_storage_class(repositoryName=repo,
                                       imageId={"imageTag": "old"},
                                       targetStorageClass="ARCHIVE")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            ecr.start_image_scan(repositoryName=repo,
                                 imageId={"imageTag": "old"})
        self.assertClientError(cm, "ImageArchivedException")

    def test_missing_image_and_repository(self):
        repo = self.make_repo()
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.ecr().start_image_scan(repositoryName=repo,
                                        imageId={"imageTag": "none"})
        self.assertClientError(cm, "ImageNotFoundException")
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.findings(unique_name("gone"), "x")
        self.assertClientError(cm, "RepositoryNotFoundException")

    def test_deleting_the_image_deletes_its_scan(self):
        repo = self.make_repo(scan_on_push=True)
        ecr = self.ecr()
        push(ecr, repo, alpine(), "d", salt="del")
        self.wait_scan(repo, "d")
        ecr.batch_delete_image(repositoryName=repo,
                               imageIds=[{"imageTag": "d"}])
        push(ecr, repo, alpine(), "d", salt="del")
        # The same digest again: a fresh image, scanned afresh on push.
        self.wait_scan(repo, "d")


class FindingsHookTest(ScanHelpers, EcrdTestCase):
    """Findings set through the test hooks, and their pages."""

    def test_admin_hook_and_pagination(self):
        repo = self.make_repo()
        push(self.ecr(), repo, alpine(), "h")
        sev = ["CRITICAL", "HIGH", "HIGH", "MEDIUM", "LOW"]
        fs = [finding(i, s) for i, s in enumerate(sev)]
        r = self.set_findings(repo, "h", fs)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.json(), {"imagesSet": 1})
        names, token = [], None
        for _ in range(10):
            kw = {"maxResults": 2}
            if token:
                kw["nextToken"] = token
            page = self.findings(repo, "h", **kw)
            self.assertLessEqual(len(page["imageScanFindings"]["findings"]),
                                 2)
            names += [f["name"] for f in
                      page["imageScanFindings"]["findings"]]
            token = page.get("nextToken")
            if not token:
                break
        self.assertEqual(names, [f["name"] for f in fs])
        self.assertEqual(page["imageScanFindings"]["findingSeverityCounts"],
                         {"CRITICAL": 1, "HIGH": 2, "MEDIUM": 1, "LOW": 1})
        first = self.findings(repo, "h")["imageScanFindings"]["findings"][0]
        self.assertEqual(first, {
            "name": "CVE-2024-0000", "description": "finding 0",
            "uri": fs[0]["uri"], "severity": "CRITICAL",
            "attributes": [{"key": "package_version", "value": "1.0"},
                           {"key": "package_name", "value": "pkg0"},
                           {"key": "CVSS3_SCORE", "value": "7.5"}]})
        pages = self.ecr().get_paginator("describe_image_scan_findings")
        got = [f["name"] for p in pages.paginate(
            repositoryName=repo, imageId={"imageTag": "h"},
            PaginationConfig={"PageSize": 3})
            for f in p["imageScanFindings"]["findings"]]
        self.assertEqual(got, names)
        d = self.ecr().describe_images(repositoryName=repo)["imageDetails"][0]
        self.assertEqual(d["imageScanFindingsSummary"][
            "findingSeverityCounts"], {"CRITICAL": 1, "HIGH": 2,
                                       "MEDIUM": 1, "LOW": 1})

    def test_a_token_of_another_image_is_refused(self):
        repo = self.make_repo()
        push(self.ecr(), repo, alpine(), "a", salt="a")
        push(self.ecr(), repo, alpine(), "b", salt="b")
        for tag in ("a", "b"):
            self.set_findings(repo, tag, [finding(i, "LOW")
                                          for i in range(3)])
        token = self.findings(repo, "a", maxResults=1)["nextToken"]
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            self.findings(repo, "b", maxResults=1, nextToken=token)
        self.assertClientError(cm, "InvalidParameterException")

    def test_hook_status_and_errors(self):
        repo = self.make_repo()
        push(self.ecr(), repo, alpine(), "s")
        r = self.set_findings(repo, "s", [], status="FAILED")
        self.assertEqual(r.status, 200, r)
        self.assertEqual(self.findings(repo, "s")["imageScanStatus"][
            "status"], "FAILED")
        r = self.set_findings(repo, "nope", [])
        self.assertAwsError(r, 400, "ImageNotFoundException")
        r = self.set_findings(unique_name("none"), "s", [])
        self.assertAwsError(r, 400, "RepositoryNotFoundException")
        r = self.set_findings(repo, "s", [{"severity": "LOW"}])
        self.assertAwsError(r, 400, "InvalidParameterException")
        r = self.http("POST", "/_ecrd/scan-findings", b"{not json")
        self.assertEqual(r.status, 400, r)
        self.assertHealthy()

    def test_moto_scan_finding_results(self):
        repo = self.make_repo()
        push(self.ecr(), repo, alpine(), "m")
        body = {"results": [{
            "repositoryName": repo, "imageId": {"imageTag": "m"},
            "imageScanStatus": {"status": "COMPLETE",
                                "description": COMPLETE},
            "imageScanFindings": {"findings": [finding(7, "MEDIUM")],
                                  "findingSeverityCounts": {"MEDIUM": 1}}}],
            "region": REGION}
        r = self.http("POST", "/moto-api/static/ecr/scan-finding-results",
                      json.dumps(body).encode())
        self.assertEqual(r.status, 201, r)
        got = self.findings(repo, "m")
        self.assertEqual(got["imageScanStatus"]["description"], COMPLETE)
        self.assertEqual(got["imageScanFindings"]["findingSeverityCounts"],
                         {"MEDIUM": 1})
        self.assertEqual(got["imageScanFindings"]["findings"][0]["name"],
                         "CVE-2024-0007")

    def test_enhanced_findings_shape(self):
        acct = fresh_account()
        ecr = self.ecr(key=acct)
        ecr.create_repository(repositoryName="enh")
        digest = push(ecr, "enh", alpine(), "e")
        r = self.set_findings("enh", "e", [finding(3, "HIGH")],
                              query="?account=" + acct)
        self.assertEqual(r.status, 200, r)
        ecr.put_registry_scanning_configuration(
            scanType="ENHANCED",
            rules=[{"scanFrequency": "CONTINUOUS_SCAN",
                    "repositoryFilters": [{"filter": "*",
                                           "filterType": "WILDCARD"}]}])
        got = ecr.describe_image_scan_findings(
            repositoryName="enh", imageId={"imageTag": "e"})
        f = got["imageScanFindings"]
        self.assertNotIn("findings", f)
        e = f["enhancedFindings"][0]
        self.assertEqual(e["awsAccountId"], acct)
        self.assertEqual(e["title"], "CVE-2024-0003 - pkg3")
        self.assertEqual(e["type"], "PACKAGE_VULNERABILITY")
        self.assertEqual(e["severity"], "HIGH")
        self.assertEqual(e["score"], 7.5)
        self.assertTrue(e["findingArn"].startswith(
            "arn:aws:inspector2:%s:%s:finding/" % (REGION, acct)))
        pkg = e["packageVulnerabilityDetails"]["vulnerablePackages"][0]
        self.assertEqual(pkg["name"], "pkg3")
        self.assertEqual(pkg["fixedInVersion"], "NotAvailable")
        res = e["resources"][0]
        self.assertEqual(res["type"], "AWS_ECR_CONTAINER_IMAGE")
        self.assertEqual(res["details"]["awsEcrContainerImage"]["imageHash"],
                         digest)
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            ecr.start_image_scan(repositoryName="enh",
                                 imageId={"imageTag": "e"})
        self.assertClientError(cm, "ValidationException")


CRITICAL_VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # 9.8
MEDIUM_VECTOR = "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:L"   # 5.0


def osv(ident, eco, name, events=None, versions=None, alias=None,
        vector=None, modified="2024-05-01T00:00:00Z"):
    rec = {"schema_version": "1.6.0", "id": ident, "modified": modified,
           "details": "%s in %s" % (ident, name),
           "affected": [{"package": {"ecosystem": eco, "name": name}}]}
    if alias:
        rec["aliases"] = [alias]
    if vector:
        rec["severity"] = [{"type": "CVSS_V3", "score": vector}]
    if events:
        rec["affected"][0]["ranges"] = [{"type": "ECOSYSTEM",
                                         "events": events}]
    if versions:
        rec["affected"][0]["versions"] = versions
    return rec


FEED = [
    # Fixed after the installed openssl: a finding, CRITICAL by its vector.
    osv("DEBIAN-CVE-2024-1111", "Debian:12", "openssl",
        [{"introduced": "0"}, {"fixed": "3.0.13-1~deb12u1"}],
        alias="CVE-2024-1111", vector=CRITICAL_VECTOR),
    # Fixed before the installed zlib (epoch 1): none.
    osv("DEBIAN-CVE-2024-2222", "Debian:12", "zlib",
        [{"introduced": "0"}, {"fixed": "1:1.2.13.dfsg-0"}],
        alias="CVE-2024-2222", vector=CRITICAL_VECTOR),
    # The exact version listed, no alias, no score: the OSV id, UNDEFINED.
    osv("DEBIAN-TEMP-0001", "Debian:12", "bash", versions=["5.2.15-2+b2"],
        modified="2024-06-01T00:00:00Z"),
    # Another release's record: none.
    osv("DEBIAN-CVE-2024-3333", "Debian:11", "openssl",
        [{"introduced": "0"}], alias="CVE-2024-3333"),
    # Alpine, by the origin package (libcrypto3's is openssl).
    osv("ALPINE-CVE-2024-4444", "Alpine:v3.19", "openssl",
        [{"introduced": "0"}, {"fixed": "3.1.5-r0"}],
        alias="CVE-2024-4444", vector=MEDIUM_VECTOR),
]
FEED_UPDATED = 1717200000.0  # 2024-06-01T00:00:00Z
# More findings for one package than a result's write txn takes (256).
MANY = 600
FEED += [osv("DEBIAN-CVE-2023-%05d" % i, "Debian:12", "many",
             [{"introduced": "0"}], alias="CVE-2023-%05d" % i,
             vector=MEDIUM_VECTOR) for i in range(MANY)]


class FeedTest(ScanHelpers, EcrdTestCase):
    """Real findings: layers read, matched against an OSV feed."""

    @classmethod
    def setUpClass(cls):
        cls.feed_dir = tempfile.mkdtemp(prefix="e2e-osv-")
        for rec in FEED:
            cls.write_record(rec)
        cls.server_args = ("--vuln-db", cls.feed_dir)
        try:
            super().setUpClass()
        except BaseException:
            shutil.rmtree(cls.feed_dir, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            shutil.rmtree(cls.feed_dir, ignore_errors=True)

    @classmethod
    def write_record(cls, rec):
        path = os.path.join(cls.feed_dir, rec["id"] + ".json")
        with open(path + ".tmp", "w") as f:
            json.dump(rec, f)
        os.rename(path + ".tmp", path)

    def test_debian_findings(self):
        repo = self.make_repo(scan_on_push=True)
        push(self.ecr(), repo, debian(), "deb")
        r = self.wait_scan(repo, "deb")
        f = r["imageScanFindings"]
        by_name = {x["name"]: x for x in f["findings"]}
        self.assertEqual(sorted(by_name),
                         ["CVE-2024-1111", "DEBIAN-TEMP-0001"])
        crit = by_name["CVE-2024-1111"]
        self.assertEqual(crit["severity"], "CRITICAL")
        attrs = {a["key"]: a["value"] for a in crit["attributes"]}
        self.assertEqual(attrs["package_version"], "3.0.11-1~deb12u1")
        self.assertIn(attrs["package_name"], ("openssl", "libssl3"))
        self.assertEqual(attrs["CVSS3_SCORE"], "9.8")
        self.assertEqual(attrs["CVSS3_VECTOR"], CRITICAL_VECTOR)
        self.assertEqual(by_name["DEBIAN-TEMP-0001"]["severity"],
                         "UNDEFINED")
        self.assertEqual(f["findingSeverityCounts"],
                         {"CRITICAL": 1, "UNDEFINED": 1})
        # Most severe first.
        self.assertEqual(f["findings"][0]["name"], "CVE-2024-1111")
        self.assertEqual(f["vulnerabilitySourceUpdatedAt"].timestamp(),
                         FEED_UPDATED)

    def test_many_findings_are_written_and_paged(self):
        repo = self.make_repo(scan_on_push=True)
        status = (b"Package: libmany1\nStatus: install ok installed\n"
                  b"Source: many\nVersion: 1.0-1\n\n")
        push(self.ecr(), repo, [layer({"etc/os-release": DEBIAN_OS,
                                       "var/lib/dpkg/status": status})],
             "many")
        r = self.wait_scan(repo, "many")
        self.assertEqual(r["imageScanFindings"]["findingSeverityCounts"],
                         {"MEDIUM": MANY})
        pages = self.ecr().get_paginator("describe_image_scan_findings")
        names = [f["name"] for p in pages.paginate(
            repositoryName=repo, imageId={"imageTag": "many"},
            PaginationConfig={"PageSize": 1000})
            for f in p["imageScanFindings"]["findings"]]
        self.assertEqual(len(names), MANY)
        self.assertEqual(len(set(names)), MANY)

    def test_alpine_findings_and_waiter(self):
        repo = self.make_repo()
        push(self.ecr(), repo, alpine(), "alp")
        self.ecr().start_image_scan(repositoryName=repo,
                                    imageId={"imageTag": "alp"})
        waiter = self.ecr().get_waiter("image_scan_complete")
        waiter.wait(repositoryName=repo, imageId={"imageTag": "alp"},
                    WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        f = self.findings(repo, "alp")["imageScanFindings"]
        self.assertEqual([x["name"] for x in f["findings"]],
                         ["CVE-2024-4444"])
        self.assertEqual(f["findings"][0]["severity"], "MEDIUM")
        self.assertEqual(f["findingSeverityCounts"], {"MEDIUM": 1})

    def test_continuous_scan_rematches_after_sighup(self):
        acct = fresh_account()
        ecr = self.ecr(key=acct)
        ecr.put_registry_scanning_configuration(
            scanType="ENHANCED",
            rules=[{"scanFrequency": "CONTINUOUS_SCAN",
                    "repositoryFilters": [{"filter": "live-*",
                                           "filterType": "WILDCARD"}]}])
        ecr.create_repository(repositoryName="live-app")
        push(ecr, "live-app", debian(), "c")
        r = self.wait_scan("live-app", "c", ecr)
        before = {e["title"] for e in
                  r["imageScanFindings"]["enhancedFindings"]}
        self.assertIn("CVE-2024-1111 - " + next(iter(
            e["packageVulnerabilityDetails"]["vulnerablePackages"][0][
                "name"] for e in r["imageScanFindings"]["enhancedFindings"]
            if e["packageVulnerabilityDetails"]["vulnerabilityId"] ==
            "CVE-2024-1111")), before)
        self.write_record(osv(
            "DEBIAN-CVE-2024-5555", "Debian:12", "zlib",
            [{"introduced": "0"}, {"fixed": "1:1.3-1"}],
            alias="CVE-2024-5555", vector=MEDIUM_VECTOR,
            modified="2024-07-01T00:00:00Z"))

        def has_new():
            got = ecr.describe_image_scan_findings(
                repositoryName="live-app", imageId={"imageTag": "c"})
            return any(e["packageVulnerabilityDetails"][
                "vulnerabilityId"] == "CVE-2024-5555"
                for e in got["imageScanFindings"].get(
                    "enhancedFindings", []))
        try:
            os.kill(self.server.pid, signal.SIGHUP)
            poll(has_new, SCAN_DEADLINE_S, "the re-match after SIGHUP")
        finally:
            # The feed as the other tests expect it, indexed again.
            os.remove(os.path.join(self.feed_dir,
                                   "DEBIAN-CVE-2024-5555.json"))
            os.kill(self.server.pid, signal.SIGHUP)
        poll(lambda: not has_new(), SCAN_DEADLINE_S,
             "the re-match after the record went")


if __name__ == "__main__":
    unittest.main()
