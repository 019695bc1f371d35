#!/usr/bin/env python3
"""A scripted session against ecrd running under valgrind: every call of
the foundation issue, good and bad, then a clean SIGTERM. Passes only if
valgrind reports no errors and no definite leaks and ecrd exits 0.

Run with ECRD_BIN pointing at a build WITHOUT sanitizers (make check does).
"""
import os
import signal
import subprocess
import sys
import tempfile
import time
import http.client

import boto3
import botocore.config
import botocore.exceptions

DEADLINE_S = 60


def start(bin_path, tmp):
    port_file = os.path.join(tmp, "port")
    log = open(os.path.join(tmp, "valgrind.log"), "w+")
    proc = subprocess.Popen(
        ["valgrind", "--error-exitcode=99", "--leak-check=full",
         "--errors-for-leak-kinds=definite", "--track-fds=no", bin_path,
         "--listen", "127.0.0.1:0", "--port-file", port_file, "--ephemeral",
         "--log-level", "warn"], stdout=log, stderr=subprocess.STDOUT)
    end = time.monotonic() + DEADLINE_S
    while not os.path.exists(port_file):
        if proc.poll() is not None or time.monotonic() > end:
            proc.kill()
            log.seek(0)
            sys.exit("ecrd did not start under valgrind:\n" + log.read())
        time.sleep(0.05)
    with open(port_file) as f:
        return proc, log, f.read().strip()


def session(address):
    ecr = boto3.client(
        "ecr", endpoint_url="http://" + address, region_name="us-east-1",
        aws_access_key_id="AKIAVALGRIND", aws_secret_access_key="s",
        config=botocore.config.Config(retries={"max_attempts": 1}))
    checks = []

    def expect_error(name, fn, **kw):
        try:
            fn(**kw)
        except botocore.exceptions.ClientError as e:
            checks.append(e.response["Error"]["Code"] == name)
            return
        checks.append(False)

    ecr.create_repository(
        repositoryName="vg/one", tags=[{"Key": "k", "Value": "v"}],
        imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
        imageTagMutabilityExclusionFilters=[
            {"filterType": "WILDCARD", "filter": "dev-*"}],
        encryptionConfiguration={"encryptionType": "KMS"})
    for i in range(5):
        ecr.create_repository(repositoryName="vg/r%d" % i)
    pages = ecr.get_paginator("describe_repositories").paginate(
        PaginationConfig={"PageSize": 2})
    names = [r["repositoryName"] for p in pages for r in p["repositories"]]
    checks.append(len(names) == 6)
    arn = ecr.describe_repositories(repositoryNames=["vg/one"])[
        "repositories"][0]["repositoryArn"]
    ecr.tag_resource(resourceArn=arn, tags=[{"Key": "a", "Value": "b"}])
    ecr.untag_resource(resourceArn=arn, tagKeys=["k"])
    checks.append(ecr.list_tags_for_resource(resourceArn=arn)["tags"] ==
                  [{"Key": "a", "Value": "b"}])
    ecr.put_image_tag_mutability(repositoryName="vg/r0",
                                 imageTagMutability="IMMUTABLE")
    ecr.put_image_scanning_configuration(
        repositoryName="vg/r0",
        imageScanningConfiguration={"scanOnPush": True})
    ecr.describe_registry()
    checks.append(len(ecr.get_authorization_token()["authorizationData"])
                  == 1)
    expect_error("RepositoryAlreadyExistsException", ecr.create_repository,
                 repositoryName="vg/one")
    expect_error("RepositoryNotFoundException", ecr.describe_repositories,
                 repositoryNames=["vg/none"])
    expect_error("InvalidParameterException", ecr.create_repository,
                 repositoryName="UPPER")
    expect_error("InvalidParameterException", ecr.describe_repositories,
                 nextToken="garbage")
    expect_error("NotImplementedException", ecr.list_images,
                 repositoryName="vg/one")
    ecr.delete_repository(repositoryName="vg/r1", force=True)
    conn = http.client.HTTPConnection(*address.rsplit(":", 1))
    for body in (b'{"repositoryName": ', b'[1]', b'\xff\xfe',
                 b'{"maxResults": 3.5}'):
        conn.request("POST", "/", body, {
            "X-Amz-Target":
            "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories"})
        resp = conn.getresponse()
        resp.read()
        checks.append(resp.status == 400)
    conn.request("POST", "/moto-api/reset", b"")
    resp = conn.getresponse()
    resp.read()
    checks.append(resp.status == 200)
    conn.close()
    checks.append(ecr.describe_repositories()["repositories"] == [])
    return checks


def main():
    bin_path = os.environ.get("ECRD_BIN", "build-vg/server/ecrd")
    with tempfile.TemporaryDirectory() as tmp:
        proc, log, address = start(bin_path, tmp)
        try:
            checks = session(address)
        finally:
            proc.send_signal(signal.SIGTERM)
            rc = proc.wait(timeout=DEADLINE_S)
        log.seek(0)
        report = log.read()
    failed = checks.count(False)
    if rc != 0 or "ERROR SUMMARY: 0 errors" not in report:
        print(report)
        print("valgrind session: ecrd exited %d" % rc)
        failed += 1
    print("valgrind: %d passed, %d failed" % (checks.count(True), failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
