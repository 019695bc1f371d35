#!/usr/bin/env python3
"""A scripted session against ecrd running under valgrind: every call of
the foundation issue, good and bad (written to --audit-log), then a clean
SIGTERM; then a second server over HTTPS (a blob up and down, a plain-HTTP
client refused, SIGHUP reloading a good certificate and refusing a broken
one); then a third with --throttle-rate, for throttling and fault rules.
Passes only if valgrind reports no errors and no definite leaks and ecrd
exits 0.

Run with ECRD_BIN pointing at a build WITHOUT sanitizers (make check does).
"""
import base64
import hashlib
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import http.client
import http.server
import threading

import boto3
import botocore.config
import botocore.exceptions

DEADLINE_S = 60


# An ecr upstream: its GetAuthorizationToken is signed, then refused.
ECR_UPSTREAM = "123456789012.dkr.ecr.us-west-2.amazonaws.com"


def start(bin_path, tmp, extra=(), notify_path=None):
    port_file = os.path.join(tmp, "port")
    log = open(os.path.join(tmp, "valgrind.log"), "w+")
    proc = subprocess.Popen(
        ["valgrind", "--error-exitcode=99", "--leak-check=full",
         "--errors-for-leak-kinds=definite", "--track-fds=no", bin_path,
         "--listen", "127.0.0.1:0", "--port-file", port_file, "--ephemeral",
         # Refused at once: ValidatePullThroughCacheRule's upstream work.
         "--upstream-url", "quay.io=http://127.0.0.1:1",
         "--upstream-url", ECR_UPSTREAM + "=http://127.0.0.1:1",
         "--log-level", "warn", *extra], stdout=log,
        stderr=subprocess.STDOUT,
        # TMPDIR: its --ephemeral store too; NOTIFY_SOCKET as systemd sets
        # it for a Type=notify unit (packaging/ecrd.service).
        env=dict(os.environ, TMPDIR=tmp, **(
            {"NOTIFY_SOCKET": notify_path} if notify_path else {})))
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
    expect_error("PullThroughCacheRuleNotFoundException",
                 ecr.validate_pull_through_cache_rule,
                 ecrRepositoryPrefix="vgrule")
    checks.extend(templates_session(ecr, expect_error))
    checks.extend(replication_session(ecr, address, expect_error))
    checks.extend(images_session(ecr, address))
    checks.extend(scanning_session(ecr, address, expect_error))
    checks.extend(issue16_session(ecr, address, expect_error))
    checks.extend(connections_session(address))
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


def http_call(address, method, path, body=b"", headers=None):
    conn = http.client.HTTPConnection(*address.rsplit(":", 1))
    conn.request(method, path, body, headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, dict(resp.getheaders()), data


def raw_connection(address):
    host, port = address.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)), timeout=DEADLINE_S)
    return sock, sock.makefile("rb")


def connections_session(address):
    """An early answer with the body still coming (a lingering close), a
    half-closed write, and a connection still waiting for its first
    request at shutdown."""
    checks = []
    sock, f = raw_connection(address)
    body = b"x" * (1024 * 1024)
    sock.sendall(b"PATCH /v2/vg/one/blobs/uploads/x HTTP/1.1\r\nHost: h\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) + body)
    checks.append(f.readline().startswith(b"HTTP/1.1 401 "))
    f.close()
    sock.close()
    sock, f = raw_connection(address)
    req = b'{"repositoryName": "vg/half"}'
    sock.sendall(b"POST / HTTP/1.1\r\nHost: h\r\nX-Amz-Target: "
                 b"AmazonEC2ContainerRegistry_V20150921.CreateRepository\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(req) + req)
    sock.shutdown(socket.SHUT_WR)
    checks.append(f.readline().startswith(b"HTTP/1.1 200 "))
    f.close()
    sock.close()
    # Left open and silent: SIGTERM frees it, its header deadline pending.
    sock, _ = raw_connection(address)
    _open_sockets.append(sock)
    return checks


_open_sockets = []


def push_layer(ecr, repo, data):
    upload = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
    ecr.upload_layer_part(repositoryName=repo, uploadId=upload,
                          partFirstByte=0, partLastByte=len(data) - 1,
                          layerPartBlob=data)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    ecr.complete_layer_upload(repositoryName=repo, uploadId=upload,
                              layerDigests=[digest])
    return digest


def part_body(repo, upload, data, blob_first):
    """An UploadLayerPart body, its blob first or (the model's order)
    last: the server streams the one into memory, the other to the file."""
    blob = '"layerPartBlob": "%s"' % base64.b64encode(data).decode()
    rest = ('"repositoryName": "%s", "uploadId": "%s", "partFirstByte": 0, '
            '"partLastByte": %d' % (repo, upload, len(data) - 1))
    return ("{%s, %s}" % ((blob, rest) if blob_first else (rest, blob))
            ).encode()


def streamed_parts(ecr, address, repo):
    """A part cut off mid-body, then the blob-first shape, whole."""
    checks = []
    data = b"streamed-part" * 1000
    upload = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
    body = part_body(repo, upload, data, False)
    host, port = address.rsplit(":", 1)
    sock = socket.create_connection((host, int(port)))
    sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: "
                 b"AmazonEC2ContainerRegistry_V20150921.UploadLayerPart\r\n"
                 b"Content-Length: %d\r\n\r\n" % len(body) +
                 body[:len(body) // 2])
    sock.close()
    target = {"X-Amz-Target":
              "AmazonEC2ContainerRegistry_V20150921.UploadLayerPart"}
    end = time.monotonic() + DEADLINE_S
    while True:
        status, _, _ = http_call(address, "POST", "/",
                                 part_body(repo, upload, data, True), target)
        if status == 200 or time.monotonic() > end:
            break
        time.sleep(0.1)
    checks.append(status == 200)
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    checks.append(ecr.complete_layer_upload(
        repositoryName=repo, uploadId=upload,
        layerDigests=[digest])["layerDigest"] == digest)
    return checks


def images_session(ecr, address):
    """Images, layers, the registry, policies and lifecycle, briefly."""
    checks = []
    repo = "vg/img"
    ecr.create_repository(repositoryName=repo)
    layer, config = b"layer-bytes" * 100, b'{"os":"linux"}'
    ld, cd = push_layer(ecr, repo, layer), push_layer(ecr, repo, config)
    checks += streamed_parts(ecr, address, repo)
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType":
                   "application/vnd.docker.container.image.v1+json",
                   "size": len(config), "digest": cd},
        "layers": [{"mediaType":
                    "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": len(layer), "digest": ld}]}) + "\n"
    ecr.put_image(repositoryName=repo, imageManifest=manifest,
                  imageTag="v1")
    got = ecr.batch_get_image(
        repositoryName=repo, imageIds=[{"imageTag": "v1"}],
        acceptedMediaTypes=["application/vnd.oci.image.manifest.v1+json"])
    checks.append(len(got["images"]) == 1)
    checks.append(len(ecr.list_images(repositoryName=repo)["imageIds"]) == 1)
    checks.append(ecr.describe_images(repositoryName=repo)["imageDetails"][0]
                  ["imageSizeInBytes"] == len(layer) + len(config))
    url = ecr.get_download_url_for_layer(repositoryName=repo,
                                         layerDigest=ld)["downloadUrl"]
    path = url.split("/", 3)[3]
    checks.append(http_call(address, "GET", "/" + path,
                            headers={"Range": "bytes=0-9"})[2] == layer[:10])
    token = ecr.get_authorization_token()["authorizationData"][0][
        "authorizationToken"]
    auth = {"Authorization": "Basic " + token}
    status, headers, _ = http_call(address, "POST",
                                   "/v2/%s/blobs/uploads/" % repo,
                                   headers=auth)
    blob = b"registry-blob" * 50
    bd = "sha256:" + hashlib.sha256(blob).hexdigest()
    http_call(address, "PATCH", headers["Location"], blob, auth)
    status, _, _ = http_call(address, "PUT",
                             headers["Location"] + "?digest=" + bd, b"", auth)
    checks.append(status == 201)
    status, _, body = http_call(address, "GET",
                                "/v2/%s/manifests/v1" % repo, headers=auth)
    checks.append(status == 200 and body == manifest.encode())
    checks.append(http_call(address, "GET", "/v2/%s/tags/list" % repo,
                            headers=auth)[0] == 200)
    checks.append(http_call(address, "GET", "/v2/")[0] == 401)
    ecr.set_repository_policy(repositoryName=repo, policyText=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": "*",
            "Action": ["ecr:BatchGetImage"]}]}))
    checks.append("Statement" in ecr.get_repository_policy(
        repositoryName=repo)["policyText"])
    ecr.put_lifecycle_policy(repositoryName=repo, lifecyclePolicyText=(
        '{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any",'
        '"countType":"imageCountMoreThan","countNumber":5},'
        '"action":{"type":"expire"}}]}'))
    ecr.start_lifecycle_policy_preview(repositoryName=repo)
    checks.append(ecr.get_lifecycle_policy_preview(repositoryName=repo)[
        "status"] in ("COMPLETE", "IN_PROGRESS"))
    checks.append(http_call(address, "POST", "/_ecrd/lifecycle/run")[0]
                  == 200)
    deleted = ecr.batch_delete_image(repositoryName=repo,
                                     imageIds=[{"imageTag": "v1"}])
    checks.append(len(deleted["imageIds"]) == 1)
    checks.append(http_call(address, "POST",
                            "/_ecrd/gc?grace_seconds=0")[0] == 200)
    # GET /metrics after all of it: every family rendered (issue 17).
    status, _, text = http_call(address, "GET", "/metrics")
    checks.append(status == 200 and
                  b'ecrd_background_runs_total{job="gc",result="ok"}' in text)
    return checks


def issue16_session(ecr, address, expect_error):
    """Exclusions, an archive restore and a managed signing (issue 16)."""
    profile = "arn:aws:signer:us-east-1:123456789012:/signing-profiles/vg"
    role = "arn:aws:iam::123456789012:role/vg"
    ok = []
    ecr.register_pull_time_update_exclusion(principalArn=role)
    ok.append(ecr.list_pull_time_update_exclusions()[
        "pullTimeUpdateExclusions"] == [role])
    expect_error("ExclusionAlreadyExistsException",
                 ecr.register_pull_time_update_exclusion, principalArn=role)
    ecr.deregister_pull_time_update_exclusion(principalArn=role)
    ecr.put_signing_configuration(signingConfiguration={
        "rules": [{"signingProfileArn": profile}]})
    repo = "vg/signed"
    ecr.create_repository(repositoryName=repo)
    config = b'{"os":"linux","vg":"signed"}'
    cd = push_layer(ecr, repo, config)
    manifest = json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "size": len(config), "digest": cd},
        "layers": []})
    digest = ecr.put_image(repositoryName=repo, imageManifest=manifest,
                           imageTag="v1")["image"]["imageId"]["imageDigest"]
    image_id = {"imageDigest": digest}
    status = None
    for _ in range(DEADLINE_S * 2):
        status = ecr.describe_image_signing_status(
            repositoryName=repo, imageId=image_id)["signingStatuses"]
        if status and status[0]["status"] != "IN_PROGRESS":
            break
        time.sleep(0.5)
    ok.append(status is not None and status[0]["status"] == "COMPLETE")
    ok.append(len(ecr.list_image_referrers(
        repositoryName=repo, subjectId=image_id)["referrers"]) == 1)
    ecr.delete_signing_configuration()
    ecr.update_image_storage_class(repositoryName=repo, imageId=image_id,
                                   targetStorageClass="ARCHIVE")
    ok.append([l["layerAvailability"] for l in
               ecr.batch_check_layer_availability(
                   repositoryName=repo, layerDigests=[cd])["layers"]]
              == ["ARCHIVED"])
    ok.append(ecr.update_image_storage_class(
        repositoryName=repo, imageId=image_id,
        targetStorageClass="STANDARD")["imageStatus"] == "ACTIVATING")
    return ok


def templates_session(ecr, expect_error):
    """Templates, create on push and rules (issue 13) under valgrind."""
    ecr.create_repository_creation_template(
        prefix="vgtpl", appliedFor=["CREATE_ON_PUSH"],
        repositoryPolicy=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": "*",
             "Action": ["ecr:BatchGetImage"]}]}),
        lifecyclePolicy=json.dumps({"rules": [{
            "rulePriority": 1, "selection": {
                "tagStatus": "any", "countType": "imageCountMoreThan",
                "countNumber": 3}, "action": {"type": "expire"}}]}))
    ecr.update_repository_creation_template(prefix="vgtpl",
                                            description="vg")
    ecr.put_image(repositoryName="vgtpl/app", imageTag="v1",
                  imageManifest=json.dumps({
                      "schemaVersion": 2, "mediaType":
                      "application/vnd.oci.image.index.v1+json",
                      "manifests": []}))
    ok = [ecr.get_lifecycle_policy(repositoryName="vgtpl/app")[
        "repositoryName"] == "vgtpl/app"]
    ok.append(len(ecr.describe_repository_creation_templates()[
        "repositoryCreationTemplates"]) == 1)
    ecr.delete_repository_creation_template(prefix="vgtpl")
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="vgquay",
                                       upstreamRegistryUrl="quay.io")
    ok.append(len(ecr.describe_pull_through_cache_rules()[
        "pullThroughCacheRules"]) == 1)
    ok.append(ecr.validate_pull_through_cache_rule(
        ecrRepositoryPrefix="vgquay")["isValid"] is False)
    ecr.delete_pull_through_cache_rule(ecrRepositoryPrefix="vgquay")
    ecr.create_pull_through_cache_rule(ecrRepositoryPrefix="vgecr",
                                       upstreamRegistryUrl=ECR_UPSTREAM)
    ok.append(ecr.validate_pull_through_cache_rule(
        ecrRepositoryPrefix="vgecr")["isValid"] is False)
    expect_error("SecretNotFoundException",
                 ecr.create_pull_through_cache_rule,
                 ecrRepositoryPrefix="vghub",
                 upstreamRegistryUrl="registry-1.docker.io",
                 credentialArn="arn:aws:secretsmanager:us-east-1:"
                 "123456789012:secret:ecr-pullthroughcache/none")
    return ok


def notify_session(proc, sock):
    """sd_notify: READY once up, RELOADING then READY around SIGHUP."""
    checks = []
    try:
        checks.append(sock.recv(4096).startswith(b"READY=1\n"))
        proc.send_signal(signal.SIGHUP)
        checks.append(sock.recv(4096).startswith(b"RELOADING=1\n"))
        checks.append(sock.recv(4096) == b"READY=1")
    except socket.timeout:
        checks.append(False)
    return checks


def replication_session(ecr, address, expect_error):
    """Replication (issue 14): a push copied to another region."""
    other = boto3.client(
        "ecr", endpoint_url="http://" + address, region_name="eu-west-1",
        aws_access_key_id="AKIAVALGRIND", aws_secret_access_key="s",
        config=botocore.config.Config(retries={"max_attempts": 1}))
    account = ecr.describe_registry()["registryId"]
    ecr.put_replication_configuration(replicationConfiguration={"rules": [{
        "destinations": [{"region": "eu-west-1", "registryId": account}],
        "repositoryFilters": [{"filter": "vgrepl",
                               "filterType": "PREFIX_MATCH"}]}]})
    expect_error("InvalidParameterException",
                 ecr.put_replication_configuration,
                 replicationConfiguration={"rules": [{"destinations": [
                     {"region": "us-east-1", "registryId": account}]}]})
    ecr.create_repository(repositoryName="vgrepl/app")
    digest = ecr.put_image(repositoryName="vgrepl/app", imageTag="v1",
                           imageManifest=json.dumps({
                               "schemaVersion": 2, "mediaType":
                               "application/vnd.oci.image.index.v1+json",
                               "manifests": []}))["image"]["imageId"][
                                   "imageDigest"]
    deadline, status = time.monotonic() + 60, None
    while time.monotonic() < deadline:
        got = ecr.describe_image_replication_status(
            repositoryName="vgrepl/app", imageId={"imageDigest": digest})
        status = got["replicationStatuses"][0]["status"]
        if status != "IN_PROGRESS":
            break
        time.sleep(0.1)
    ok = [status == "COMPLETE"]
    ok.append(len(other.describe_images(repositoryName="vgrepl/app")[
        "imageDetails"]) == 1)
    ecr.put_replication_configuration(replicationConfiguration={"rules": []})
    return ok


def openssl(tmp, *args):
    subprocess.run(("openssl",) + args, cwd=tmp, check=True,
                   capture_output=True, timeout=DEADLINE_S)


def make_cert(tmp, name):
    """A CA (ca.pem) once, and NAME.pem / NAME.key it signs for 127.0.0.1."""
    if not os.path.exists(os.path.join(tmp, "ca.pem")):
        openssl(tmp, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
                "-out", "ca.pem", "-days", "2", "-subj", "/CN=vg CA")
    openssl(tmp, "req", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", name + ".key",
            "-out", name + ".csr", "-subj", "/CN=" + name)
    with open(os.path.join(tmp, name + ".ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    openssl(tmp, "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem",
            "-CAkey", "ca.key", "-CAcreateserial", "-out", name + ".pem",
            "-days", "2", "-extfile", name + ".ext")


def served_cn(address, ca):
    host, port = address.rsplit(":", 1)
    ctx = ssl.create_default_context(cafile=ca)
    with ctx.wrap_socket(socket.create_connection(
            (host, int(port)), timeout=DEADLINE_S),
            server_hostname=host) as s:
        return dict(x[0] for x in s.getpeercert()["subject"])["commonName"]


def tls_session(address, tmp, proc):
    """HTTPS: the API, a blob pushed and pulled (the windowed file answer),
    a plain-HTTP client (a failed handshake), SIGHUP reloads."""
    ca = os.path.join(tmp, "ca.pem")
    ecr = boto3.client(
        "ecr", endpoint_url="https://" + address, region_name="us-east-1",
        aws_access_key_id="AKIAVALGRIND", aws_secret_access_key="s",
        verify=ca, config=botocore.config.Config(retries={"max_attempts": 1}))
    checks = []
    ecr.create_repository(repositoryName="vg-tls")
    tok = ecr.get_authorization_token()["authorizationData"][0]
    checks.append(tok["proxyEndpoint"] == "https://vg-tls-host:1")
    data = os.urandom(3 << 20)
    digest = push_layer(ecr, "vg-tls", data)
    host, port = address.rsplit(":", 1)
    auth = "Basic " + tok["authorizationToken"]
    conn = http.client.HTTPSConnection(
        host, int(port), timeout=DEADLINE_S,
        context=ssl.create_default_context(cafile=ca))
    conn.request("GET", "/v2/vg-tls/blobs/" + digest,
                 headers={"Authorization": auth})
    resp = conn.getresponse()
    checks.append(resp.status == 200 and resp.read() == data)
    # Dropped half way: the rest of the file answer is never queued.
    conn.request("GET", "/v2/vg-tls/blobs/" + digest,
                 headers={"Authorization": auth})
    resp = conn.getresponse()
    checks.append(len(resp.read(1 << 20)) == 1 << 20)
    conn.close()
    # No HTTP answer: at most a TLS alert, then the close.
    sock, f = raw_connection(address)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        checks.append(not f.read(16).startswith(b"HTTP/"))
    except ConnectionResetError:
        checks.append(True)
    sock.close()
    checks.append(served_cn(address, ca) == "one")
    make_cert(tmp, "two")
    for ext in ("pem", "key"):
        os.replace(os.path.join(tmp, "two." + ext),
                   os.path.join(tmp, "one." + ext))
    proc.send_signal(signal.SIGHUP)
    end = time.monotonic() + DEADLINE_S
    while served_cn(address, ca) != "two" and time.monotonic() < end:
        time.sleep(0.05)
    checks.append(served_cn(address, ca) == "two")
    with open(os.path.join(tmp, "one.pem"), "w") as out:
        out.write("broken\n")
    proc.send_signal(signal.SIGHUP)
    checks.append(served_cn(address, ca) == "two")
    return checks


def scanning_session(ecr, address, expect_error):
    """Scans (issue 15): configuration, a scan on push of a gzip tar layer
    run in the background, the hooks, a page of findings."""
    import gzip
    import io
    import tarfile
    checks = []
    rules = [{"scanFrequency": "SCAN_ON_PUSH", "repositoryFilters": [
        {"filter": "vg/scan*", "filterType": "WILDCARD"}]}]
    ecr.put_registry_scanning_configuration(scanType="BASIC", rules=rules)
    checks.append(ecr.get_registry_scanning_configuration()[
        "scanningConfiguration"]["rules"] == rules)
    expect_error("ValidationException",
                 ecr.put_registry_scanning_configuration, scanType="BASIC",
                 rules=[dict(rules[0], scanFrequency="CONTINUOUS_SCAN")])
    repo = "vg/scan"
    ecr.create_repository(repositoryName=repo)
    checks.append(len(ecr.batch_get_repository_scanning_configuration(
        repositoryNames=[repo, "vg/none"])["failures"]) == 1)
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as t:
        for path, data in (("etc/os-release", b"ID=alpine\nVERSION_ID=3.19.1\n"),
                           ("lib/apk/db/installed", b"P:musl\nV:1.2.4-r2\n\n")):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
    layer = gzip.compress(raw.getvalue())
    config = b'{"os":"linux","rootfs":{"type":"layers"}}'
    ld, cd = push_layer(ecr, repo, layer), push_layer(ecr, repo, config)
    ecr.put_image(repositoryName=repo, imageTag="s", imageManifest=json.dumps({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType":
                   "application/vnd.docker.container.image.v1+json",
                   "size": len(config), "digest": cd},
        "layers": [{"mediaType":
                    "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": len(layer), "digest": ld}]}))
    end = time.monotonic() + DEADLINE_S
    status = "IN_PROGRESS"
    while status == "IN_PROGRESS" and time.monotonic() < end:
        status = ecr.describe_image_scan_findings(
            repositoryName=repo, imageId={"imageTag": "s"})[
            "imageScanStatus"]["status"]
    checks.append(status == "COMPLETE")
    expect_error("LimitExceededException", ecr.start_image_scan,
                 repositoryName=repo, imageId={"imageTag": "s"})
    finding = {"name": "CVE-1", "severity": "HIGH", "attributes": [
        {"key": "package_name", "value": "musl"}]}
    body = json.dumps({"repositoryName": repo, "imageId": {"imageTag": "s"},
                       "imageScanFindings": {"findings": [finding] * 3}})
    checks.append(http_call(address, "POST", "/_ecrd/scan-findings",
                            body.encode())[0] == 200)
    checks.append(http_call(address, "POST", "/_ecrd/scan-findings",
                            b"{")[0] == 400)
    page = ecr.describe_image_scan_findings(
        repositoryName=repo, imageId={"imageTag": "s"}, maxResults=2)
    checks.append(len(page["imageScanFindings"]["findings"]) == 2)
    page = ecr.describe_image_scan_findings(
        repositoryName=repo, imageId={"imageTag": "s"},
        nextToken=page["nextToken"])
    checks.append(len(page["imageScanFindings"]["findings"]) == 1)
    checks.append("imageScanStatus" in ecr.describe_images(
        repositoryName=repo)["imageDetails"][0])
    ecr.delete_repository(repositoryName=repo, force=True)
    return checks


THROTTLE_ARGS = ("--throttle-rate", "ListImages=0", "--throttle-rate",
                 "DescribeRegistry=1")


def throttle_faults_session(address):
    """--throttle (THROTTLE_ARGS) on the API and the registry, fault rules
    of every kind, and a fault's timer still pending at SIGTERM."""
    target = "AmazonEC2ContainerRegistry_V20150921."
    checks = []

    def api(op, body=b"{}"):
        return http_call(address, "POST", "/", body,
                         {"X-Amz-Target": target + op})

    status, headers, _ = api("ListImages", b'{"repositoryName":"x"}')
    checks.append(status == 400 and headers.get("x-amzn-ErrorType") ==
                  "ThrottlingException")
    pw = json.loads(http_call(address, "POST",
                              "/_ecrd/token?expires_in_seconds=600")[2])[
        "password"]
    auth = {"Authorization": "Basic " + base64.b64encode(
        ("AWS:" + pw).encode()).decode()}
    status, headers, _ = http_call(address, "GET", "/v2/x/tags/list",
                                   headers=auth)
    checks.append(status == 429 and headers.get("Retry-After") == "1")
    rules = {"rules": [
        {"operation": "DescribeRepositories", "error": "ServerException",
         "count": 1},
        {"operation": "CreateRepository", "latencyMs": 20, "count": 1},
        {"operation": "DescribeImages", "latencyMs": 30,
         "error": "AccessDeniedException", "message": "m", "count": 1},
        {"operation": "manifest-get", "error": "UNKNOWN", "status": 503,
         "probability": 1.0},
        {"operation": "DescribeRepositoryCreationTemplates",
         "latencyMs": 600000}]}
    checks.append(http_call(address, "POST", "/_ecrd/faults",
                            json.dumps(rules).encode())[0] == 200)
    checks.append(api("DescribeRepositories")[0] == 500)
    checks.append(api("CreateRepository",
                      b'{"repositoryName":"vg/fault"}')[0] == 200)
    checks.append(api("DescribeImages",
                      b'{"repositoryName":"vg/fault"}')[0] == 400)
    checks.append(http_call(address, "GET", "/v2/vg/fault/manifests/a",
                            headers=auth)[0] == 503)
    listed = json.loads(http_call(address, "GET", "/_ecrd/faults")[2])
    checks.append(len(listed["rules"]) == 5)
    checks.append(http_call(address, "POST", "/_ecrd/faults",
                            b'{"rules":[{"operation":"x"}]}')[0] == 400)
    checks.append(http_call(address, "POST", "/_ecrd/faults", b"{")[0]
                  == 400)
    # Held by its timer when the server stops: freed with the request.
    sock, _ = raw_connection(address)
    sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: " +
                 target.encode() + b"DescribeRepositoryCreationTemplates"
                 b"\r\nContent-Length: 2\r\n\r\n{}")
    sock.close()
    checks.append(http_call(address, "DELETE", "/_ecrd/faults")[0] == 200)
    return checks


def run(bin_path, extra, session_fn):
    """One server under valgrind: (checks, exit status, valgrind's log)."""
    with tempfile.TemporaryDirectory() as tmp:
        if session_fn is tls_session:
            make_cert(tmp, "one")
            extra = extra + (
                "--tls-cert", os.path.join(tmp, "one.pem"),
                "--tls-key", os.path.join(tmp, "one.key"))
        notify = None
        events = os.path.join(tmp, "events.jsonl")
        audit = os.path.join(tmp, "audit.log")
        if session_fn is session:
            # The session's pushes, deletes, archives and replications
            # make events: their building and writing run under valgrind,
            # and so do the audit trail's records (issue 17).
            extra = extra + ("--events-file", events, "--audit-log", audit)
            notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            notify.bind(os.path.join(tmp, "notify"))
            notify.settimeout(DEADLINE_S)
        proc, log, address = start(bin_path, tmp, extra,
                                   notify and os.path.join(tmp, "notify"))
        try:
            if session_fn is tls_session:
                checks = tls_session(address, tmp, proc)
            elif notify:
                checks = session_fn(address) + notify_session(proc, notify)
            else:
                checks = session_fn(address)
        finally:
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(timeout=DEADLINE_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = proc.wait()
            if notify:
                notify.close()
        if session_fn is session:
            checks.append(events_written(events))
            checks.append(audit_records(audit))
        log.seek(0)
        report = log.read()
    return checks, rc, report


class Hook(http.server.BaseHTTPRequestHandler):
    """--events-webhook's receiver: counts the events POSTed."""

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.events.append(json.loads(body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


def events_written(path):
    """The events file holds whole JSON lines, pushes among them."""
    try:
        with open(path) as f:
            evs = [json.loads(line) for line in f]
    except (OSError, ValueError):
        return False
    return any(e.get("detail-type") == "ECR Image Action" and
               e["detail"].get("action-type") == "PUSH" for e in evs)


def audit_records(path):
    """Every line a record, ECR's and the registry's among them."""
    try:
        with open(path) as f:
            names = {json.loads(line)["eventName"] for line in f}
    except (OSError, ValueError, KeyError):
        return False
    return {"CreateRepository", "PutImage", "CompleteLayerUpload"} <= names


def main():
    bin_path = os.environ.get("ECRD_BIN", "build-vg/server/ecrd")
    passed = failed = 0
    # The event sinks' queue and requests run under valgrind too.
    hook = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    hook.daemon_threads = True
    hook.events = []
    threading.Thread(target=hook.serve_forever, daemon=True).start()
    hook_url = "http://127.0.0.1:%d/" % hook.server_address[1]
    for extra, session_fn in (
            (("--events-webhook", hook_url), session),
            (("--public-endpoint", "vg-tls-host:1"), tls_session),
            (THROTTLE_ARGS, throttle_faults_session)):
        checks, rc, report = run(bin_path, extra, session_fn)
        passed += checks.count(True)
        failed += checks.count(False)
        if rc != 0 or "ERROR SUMMARY: 0 errors" not in report:
            print(report)
            print("valgrind session: ecrd exited %d" % rc)
            failed += 1
    # The session pushes images: their events reached the webhook.
    hook.shutdown()
    hook.server_close()
    if any(e.get("detail-type") == "ECR Image Action" for e in hook.events):
        passed += 1
    else:
        print("valgrind session: the webhook received no image event")
        failed += 1
    print("valgrind: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
