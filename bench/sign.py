#!/usr/bin/env python3
"""Pre-signed request pools for wrk, and repository set-up, via botocore.

wrk's Lua cannot compute SigV4, so every request a scenario replays is
signed here beforehand, exactly as botocore would send it, and written as
complete raw HTTP/1.1 requests:

    <byte length>\\n<raw request bytes>   (repeated)

bench/replay.lua hands them out round-robin, each wrk thread taking its own
share, so requests that must be unique (CreateRepository names) stay unique.

    sign.py pool --endpoint http://127.0.0.1:5080 --op GetAuthorizationToken \\
        --count 1 --out pool.bin
    sign.py pool --endpoint ... --op CreateRepository --count 200000 \\
        --name-prefix bench-c-RUN --out create.bin
    sign.py pool --endpoint ... --op PutImage --count 100000 --repo R \\
        --refs refs.json --name-prefix p-RUN --out put.bin
    sign.py pool --endpoint ... --op BatchGetImage --repo R --tag latest ...
    sign.py pool --endpoint ... --op DescribeImages --repo R ...
    sign.py pool --endpoint ... --op ListImages --repo R ...
    sign.py populate --endpoint ... --count 100 --name-prefix bench-d
    sign.py pool --endpoint ... --op DeleteRepository --repo R --force ...
    sign.py probe --endpoint ... --pool pool.bin   (status and body size)
        [--response-out F]   (and the whole answer, head and body, in F)

PutImage requests each carry a unique OCI image manifest (a unique
annotation) and a unique tag, naming the config and layers in --refs (as
written by bench/images.py setup) or, without it, made-up digests that only
a server started with --relax-references accepts.
"""

import argparse
import hashlib
import json
import multiprocessing
import os
import sys
import urllib.parse

import botocore.auth
import botocore.awsrequest
import botocore.credentials

TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921."
JSON_11 = "application/x-amz-json-1.1"


OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def synthetic_refs():
    """Descriptors of blobs no repository holds (--relax-references)."""
    def desc(media_type, seed, size):
        return {"mediaType": media_type, "size": size,
                "digest": "sha256:" + hashlib.sha256(seed).hexdigest()}
    return {"config": desc(OCI_CONFIG, b"bench-config", 1469),
            "layers": [desc(OCI_LAYER, b"bench-layer-1", 3208942),
                       desc(OCI_LAYER, b"bench-layer-2", 1024)]}


def manifest_for(refs, name):
    """A unique OCI image manifest: refs' blobs, annotated with name."""
    return json.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                       "config": refs["config"], "layers": refs["layers"],
                       "annotations": {"org.ecrd.bench.name": name}},
                      separators=(",", ":"))


def body_for(op, index, name_prefix, extra=None):
    extra = extra or {}
    if op == "CreateRepository":
        return json.dumps({"repositoryName": "%s-%07d"
                           % (name_prefix, index)}).encode()
    if op == "PutImage":
        name = "%s-%07d" % (name_prefix, index)
        return json.dumps({"repositoryName": extra["repo"],
                           "imageManifest": manifest_for(extra["refs"],
                                                         name),
                           "imageTag": name}).encode()
    if op == "BatchGetImage":
        return json.dumps({"repositoryName": extra["repo"],
                           "imageIds": [{"imageTag": extra["tag"]}]}
                          ).encode()
    if op == "DescribeImages":
        return json.dumps({"repositoryName": extra["repo"],
                           "maxResults": extra["max_results"]}).encode()
    if op == "ListImages":
        return json.dumps({"repositoryName": extra["repo"]}).encode()
    if op == "DeleteRepository":
        return json.dumps({"repositoryName": extra["repo"],
                           "force": extra["force"]}).encode()
    return b"{}"


def add_signing_args(parser):
    """The bench principal's --key, --secret and --region."""
    parser.add_argument("--key", default="AKIABENCH00000000001")
    parser.add_argument("--secret", default="bench-secret")
    parser.add_argument("--region", default="us-east-1")


def raw_request(endpoint, op, body, key, secret, region, token):
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=endpoint + "/", data=body,
        headers={"Content-Type": JSON_11,
                 "X-Amz-Target": TARGET_PREFIX + op})
    botocore.auth.SigV4Auth(
        botocore.credentials.Credentials(key, secret, token), "ecr",
        region).add_auth(req)
    prepared = req.prepare()
    host = urllib.parse.urlsplit(endpoint).netloc
    lines = ["POST / HTTP/1.1", "Host: " + host]
    lines += ["%s: %s" % (k, v) for k, v in prepared.headers.items()]
    if "Content-Length" not in prepared.headers:
        lines.append("Content-Length: %d" % len(body))
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("latin-1") + body


def sign_chunk(args):
    endpoint, op, start, stop, prefix, key, secret, region, token, extra = args
    out = []
    for i in range(start, stop):
        req = raw_request(endpoint, op, body_for(op, i, prefix, extra), key,
                          secret, region, token)
        out.append(b"%d\n" % len(req) + req)
    return b"".join(out)


def cmd_pool(a):
    step = 5000
    extra = {"repo": a.repo, "tag": a.tag, "max_results": a.max_results,
             "force": a.force}
    if (a.op in ("PutImage", "BatchGetImage", "DescribeImages", "ListImages",
                 "DeleteRepository") and not a.repo):
        sys.exit("pool: --op %s needs --repo" % a.op)
    if a.op == "PutImage":
        if a.refs:
            with open(a.refs) as f:
                extra["refs"] = json.load(f)
        else:
            extra["refs"] = synthetic_refs()
    jobs = [(a.endpoint, a.op, i, min(i + step, a.count), a.name_prefix,
             a.key, a.secret, a.region, a.token, extra)
            for i in range(0, a.count, step)]
    tmp = a.out + ".tmp"
    with open(tmp, "wb") as f:
        if len(jobs) > 1:
            with multiprocessing.Pool(min(os.cpu_count() or 1, 4)) as pool:
                for chunk in pool.imap(sign_chunk, jobs):
                    f.write(chunk)
        else:
            for job in jobs:
                f.write(sign_chunk(job))
    os.replace(tmp, a.out)


def cmd_populate(a):
    import boto3
    import botocore.config
    client = boto3.session.Session().client(
        "ecr", endpoint_url=a.endpoint, region_name=a.region,
        aws_access_key_id=a.key, aws_secret_access_key=a.secret,
        aws_session_token=a.token,
        config=botocore.config.Config(retries={"max_attempts": 1}))
    for i in range(a.count):
        client.create_repository(
            repositoryName="%s-%04d" % (a.name_prefix, i),
            tags=[{"Key": "bench", "Value": "describe"}])
    n = len(client.describe_repositories(
        maxResults=min(a.count, 1000))["repositories"])
    if n < a.count:
        sys.exit("populate: only %d of %d repositories listed" % (n, a.count))


def read_response(f):
    """One HTTP/1.1 answer from a binary file object: (status, head bytes,
    body), the body as long as its Content-Length says."""
    lines = [f.readline()]
    if not lines[0]:
        raise ConnectionError("connection closed before an answer")
    length = 0
    while True:
        line = f.readline()
        lines.append(line)
        if line in (b"\r\n", b""):
            break
        k, _, v = line.decode("latin-1").partition(":")
        if k.strip().lower() == "content-length":
            length = int(v)
    return int(lines[0].split()[1]), b"".join(lines), f.read(length)


def cmd_probe(a):
    """Send the first request of a pool once; print its status and size
    (and keep the whole answer in --response-out)."""
    import socket
    with open(a.pool, "rb") as f:
        req = f.read(int(f.readline()))
    host = urllib.parse.urlsplit(a.endpoint)
    with socket.create_connection((host.hostname, host.port),
                                  timeout=a.timeout) as s:
        if host.scheme == "https":
            # SSL_CERT_FILE names the CA (bench/run.sh, "tls").
            import ssl
            s = ssl.create_default_context().wrap_socket(
                s, server_hostname=host.hostname)
        s.sendall(req)
        status, head, body = read_response(s.makefile("rb"))
    if a.response_out:
        with open(a.response_out, "wb") as out:
            out.write(head + body)
    print("status=%d bytes=%d" % (status, len(body)))
    if status != 200:
        sys.stderr.write("probe: %s\n" % body[:500].decode("utf-8",
                                                           "replace"))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("pool", "populate"):
        s = sub.add_parser(name)
        s.add_argument("--endpoint", required=True)
        s.add_argument("--count", type=int, required=True)
        s.add_argument("--name-prefix", default="bench")
        add_signing_args(s)
        s.add_argument("--token", default=None)
        if name == "pool":
            s.add_argument("--op", required=True)
            s.add_argument("--out", required=True)
            s.add_argument("--repo", help="repository of the image ops")
            s.add_argument("--refs", help="PutImage: blob descriptors "
                           "(JSON); default made-up ones")
            s.add_argument("--tag", default="latest",
                           help="BatchGetImage: the tag asked for")
            s.add_argument("--max-results", type=int, default=100,
                           help="DescribeImages: page size")
            s.add_argument("--force", action="store_true",
                           help="DeleteRepository: with its images")
    s = sub.add_parser("probe")
    s.add_argument("--endpoint", required=True)
    s.add_argument("--pool", required=True)
    s.add_argument("--response-out",
                   help="file for the whole answer (head and body)")
    s.add_argument("--timeout", type=float, default=10.0)
    a = p.parse_args()
    {"pool": cmd_pool, "populate": cmd_populate, "probe": cmd_probe}[a.cmd](a)


if __name__ == "__main__":
    main()
