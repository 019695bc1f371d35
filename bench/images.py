#!/usr/bin/env python3
"""Image and layer set-up and the 1 GiB layer scenario for bench/run.sh.

    images.py setup --endpoint URL --repo R [--repo R2 ...] --refs-out F
        create the repositories and push a real config and two small real
        gzipped tar layers into each through the layer API; write their
        descriptors (for sign.py pool --op PutImage --refs F); with
        --no-blobs only create them and write made-up descriptors
    images.py put --endpoint URL --repo R --refs F --tag latest
        PutImage one image naming those blobs
    images.py count --endpoint URL --repo R
        print "images=N" (ListImages, every page)
    images.py biglayer --endpoint URL --repo R --pid PID --results F
        upload a --size (1 GiB) layer in --part (10 MiB) parts through
        InitiateLayerUpload / UploadLayerPart / CompleteLayerUpload, then
        download it from its GetDownloadUrlForLayer URL with curl; append
        MB/s and the server's peak RSS (VmHWM, reset through
        /proc/PID/clear_refs before each phase) to F, with the largest
        RssAnon sampled every 5 ms

The big layer is never whole in memory: one 10 MiB pseudo-random block
(seeded) is made once, and part i is that block with its first 12 bytes
replaced by i, so every part differs; base64 is spliced (12 bytes = 16
characters), and the blob's sha256 and each request's payload hash are
computed incrementally. Each UploadLayerPart is signed by botocore (strict
mode) with that payload hash, as the SDKs send it: JSON with the part in
base64. The next part is prepared in a thread while the server takes the
current one; the client's own CPU time is reported beside the figure.
"""

import argparse
import base64
import concurrent.futures
import gzip
import hashlib
import io
import json
import os
import resource
import socket
import statistics
import struct
import subprocess
import sys
import tarfile
import time
import urllib.parse

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials

from memory import Sampler, reset_hwm, status_file
from sign import (JSON_11, OCI_CONFIG, OCI_LAYER, OCI_MANIFEST,
                  TARGET_PREFIX, add_signing_args, manifest_for,
                  read_response, synthetic_refs)


def client(a):
    return boto3.session.Session().client(
        "ecr", endpoint_url=a.endpoint, region_name=a.region,
        aws_access_key_id=a.key, aws_secret_access_key=a.secret,
        config=botocore.config.Config(retries={"max_attempts": 1},
                                      read_timeout=300))


def tar_gz(files):
    """A gzipped tar of {path: bytes}, reproducible; (gz, tar) bytes."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        for path, data in sorted(files.items()):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mtime = 1700000000
            info.mode = 0o644
            t.addfile(info, io.BytesIO(data))
    tar = raw.getvalue()
    return gzip.compress(tar, mtime=0), tar


def small_image():
    """Two small real layers and a config naming their diff_ids."""
    gz1, tar1 = tar_gz({"etc/bench-release": b"NAME=ecrd-bench\n",
                        "usr/share/bench/a.txt": os.urandom(2048).hex()
                        .encode()})
    gz2, tar2 = tar_gz({"app/run.sh": b"#!/bin/sh\necho bench\n"})
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Cmd": ["/app/run.sh"]},
        "rootfs": {"type": "layers", "diff_ids": [
            "sha256:" + hashlib.sha256(t).hexdigest() for t in (tar1, tar2)]},
        "history": [{"created_by": "bench layer 1"},
                    {"created_by": "bench layer 2"}]},
        separators=(",", ":")).encode()
    return config, [gz1, gz2]


def push_blob(ecr, repo, data):
    """One blob through the layer API; an existing one is fine."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    have = ecr.batch_check_layer_availability(
        repositoryName=repo, layerDigests=[digest])["layers"]
    if have and have[0].get("layerAvailability") == "AVAILABLE":
        return digest
    up = ecr.initiate_layer_upload(repositoryName=repo)["uploadId"]
    ecr.upload_layer_part(repositoryName=repo, uploadId=up,
                          partFirstByte=0, partLastByte=len(data) - 1,
                          layerPartBlob=data)
    try:
        ecr.complete_layer_upload(repositoryName=repo, uploadId=up,
                                  layerDigests=[digest])
    except ecr.exceptions.LayerAlreadyExistsException:
        pass
    return digest


def cmd_setup(a):
    ecr = client(a)
    config, layers = small_image()
    refs = synthetic_refs()
    for repo in a.repo:
        try:
            ecr.create_repository(repositoryName=repo)
        except ecr.exceptions.RepositoryAlreadyExistsException:
            pass
        if a.no_blobs:
            continue
        cd = push_blob(ecr, repo, config)
        lds = [push_blob(ecr, repo, gz) for gz in layers]
        refs = {"config": {"mediaType": OCI_CONFIG, "size": len(config),
                           "digest": cd},
                "layers": [{"mediaType": OCI_LAYER, "size": len(gz),
                            "digest": d} for gz, d in zip(layers, lds)]}
    with open(a.refs_out, "w") as f:
        json.dump(refs, f)


def cmd_put(a):
    ecr = client(a)
    with open(a.refs) as f:
        refs = json.load(f)
    ecr.put_image(repositoryName=a.repo, imageTag=a.tag,
                  imageManifest=manifest_for(refs, a.repo + ":" + a.tag))
    got = ecr.batch_get_image(repositoryName=a.repo,
                              imageIds=[{"imageTag": a.tag}])
    if len(got["images"]) != 1 or got["images"][0].get(
            "imageManifestMediaType") != OCI_MANIFEST:
        sys.exit("put: %s:%s not read back: %r" % (a.repo, a.tag, got))


def cmd_count(a):
    ecr = client(a)
    n, token = 0, None
    while True:
        kw = {"repositoryName": a.repo, "maxResults": 1000}
        if token:
            kw["nextToken"] = token
        page = ecr.list_images(**kw)
        n += len(page["imageIds"])
        token = page.get("nextToken")
        if not token:
            break
    print("images=%d" % n)


# --- the 1 GiB layer --------------------------------------------------------

class PrehashedSigV4(botocore.auth.SigV4Auth):
    """SigV4 over a payload hash computed elsewhere (incrementally)."""

    def __init__(self, creds, region, payload_hash):
        super().__init__(creds, "ecr", region)
        self._payload_hash = payload_hash

    def payload(self, request):
        return self._payload_hash


class Conn:
    """One keep-alive HTTP/1.1 connection for raw requests."""

    def __init__(self, endpoint):
        u = urllib.parse.urlsplit(endpoint)
        self.host = u.netloc
        self.sock = socket.create_connection((u.hostname, u.port),
                                             timeout=300)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.rf = self.sock.makefile("rb")

    def send(self, head, pieces):
        self.sock.sendall(head)
        for p in pieces:
            self.sock.sendall(p)
        status, _, body = read_response(self.rf)
        return status, body

    def close(self):
        self.rf.close()
        self.sock.close()


def signed_head(a, conn, op, payload_hash, length):
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=a.endpoint + "/", data=b"",
        headers={"Content-Type": JSON_11, "X-Amz-Target": TARGET_PREFIX + op})
    PrehashedSigV4(botocore.credentials.Credentials(a.key, a.secret),
                   a.region, payload_hash).add_auth(req)
    lines = ["POST / HTTP/1.1", "Host: " + conn.host]
    lines += ["%s: %s" % (k, v) for k, v in req.headers.items()
              if k.lower() != "content-length"]
    lines.append("Content-Length: %d" % length)
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def cmd_biglayer(a):
    ecr = client(a)
    try:
        ecr.create_repository(repositoryName=a.repo)
    except ecr.exceptions.RepositoryAlreadyExistsException:
        pass
    stamp = 12                       # bytes of part index; 16 base64 chars
    block = hashlib.shake_128(b"ecrd-bench-%d" % a.seed).digest(a.part)
    b64_full = base64.b64encode(memoryview(block)[stamp:])
    last_len = a.size % a.part or a.part
    b64_last = (b64_full if last_len == a.part else
                base64.b64encode(memoryview(block)[stamp:last_len]))
    n_parts = (a.size + a.part - 1) // a.part
    blob_hash = hashlib.sha256()

    def prepare(i, upload_id):
        """Part i's JSON body pieces and payload hash; updates blob_hash."""
        plen = a.part if i < n_parts - 1 else last_len
        first = i * a.part
        head = struct.pack(">QI", i, 0xECD0BE7C)
        blob_hash.update(head)
        blob_hash.update(memoryview(block)[stamp:plen])
        prefix = json.dumps({"repositoryName": a.repo, "uploadId": upload_id,
                             "partFirstByte": first,
                             "partLastByte": first + plen - 1},
                            separators=(",", ":"))[:-1]
        pieces = [(prefix + ',"layerPartBlob":"').encode(),
                  base64.b64encode(head),
                  memoryview(b64_full if plen == a.part else b64_last),
                  b'"}']
        h = hashlib.sha256()
        for p in pieces:
            h.update(p)
        return pieces, h.hexdigest(), sum(len(p) for p in pieces)

    # Upload.
    hwm_reset = reset_hwm(a.pid)
    before = status_file(a.pid)
    sampler = Sampler(a.pid)
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    conn = Conn(a.endpoint)
    t0 = time.monotonic()
    upload_id = ecr.initiate_layer_upload(repositoryName=a.repo)["uploadId"]
    with concurrent.futures.ThreadPoolExecutor(1) as ex:
        nxt = ex.submit(prepare, 0, upload_id)
        for i in range(n_parts):
            pieces, ph, length = nxt.result()
            if i + 1 < n_parts:
                nxt = ex.submit(prepare, i + 1, upload_id)
            status, body = conn.send(
                signed_head(a, conn, "UploadLayerPart", ph, length), pieces)
            if status != 200:
                sys.exit("biglayer: part %d: HTTP %d %s" % (i, status,
                                                            body[:300]))
    digest = "sha256:" + blob_hash.hexdigest()
    done = ecr.complete_layer_upload(repositoryName=a.repo,
                                     uploadId=upload_id,
                                     layerDigests=[digest])
    up_secs = time.monotonic() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    after_up = status_file(a.pid)
    up_anon, _ = sampler.finish()
    conn.close()
    if done["layerDigest"] != digest:
        sys.exit("biglayer: server digest %s, ours %s"
                 % (done["layerDigest"], digest))
    client_cpu = ((cpu1.ru_utime + cpu1.ru_stime) -
                  (cpu0.ru_utime + cpu0.ru_stime))
    with open(a.results, "a") as f:
        f.write("layer phase=upload server=%s bytes=%d secs=%.3f "
                "parts=%d part=%d hwm_kib=%d hwm_reset=%d rss_before_kib=%d "
                "anon_kib=%d file_kib=%d anon_peak_kib=%d client_cpu=%.2f\n"
                % (a.server, a.size, up_secs, n_parts, a.part,
                   after_up["VmHWM"], int(hwm_reset), before["VmRSS"],
                   after_up["RssAnon"], after_up["RssFile"], up_anon,
                   client_cpu))
    if a.downloads == 0:
        return

    # ECR serves only layers an image names: push one that names it.
    config, _ = small_image()
    refs = {"config": {"mediaType": OCI_CONFIG, "size": len(config),
                       "digest": push_blob(ecr, a.repo, config)},
            "layers": [{"mediaType": OCI_LAYER, "size": a.size,
                        "digest": digest}]}
    ecr.put_image(repositoryName=a.repo, imageTag="big",
                  imageManifest=manifest_for(refs, "big"))

    # Download, a few times; the median counts.
    url = ecr.get_download_url_for_layer(repositoryName=a.repo,
                                         layerDigest=digest)["downloadUrl"]
    reset_hwm(a.pid)
    sampler = Sampler(a.pid)
    rates = []
    for _ in range(a.downloads):
        hdr = os.path.join(a.tmp, "headers.txt")
        out = subprocess.run(
            ["curl", "-sS", "--max-time", "120", "-o", "/dev/null",
             "-D", hdr, "-w", "%{http_code} %{size_download} %{time_total}",
             url], capture_output=True, text=True, timeout=150)
        if out.returncode != 0:
            sys.exit("biglayer: curl: %s" % out.stderr.strip())
        code, size, secs = out.stdout.split()
        with open(hdr, "rb") as f:
            headers = f.read().decode("latin-1").lower()
        if (code != "200" or int(size) != a.size or
                "docker-content-digest: " + digest not in headers):
            sys.exit("biglayer: download: HTTP %s, %s bytes, headers %s"
                     % (code, size, headers))
        rates.append(int(size) / float(secs))
    after_down = status_file(a.pid)
    down_anon, _ = sampler.finish()

    with open(a.results, "a") as f:
        f.write("layer phase=download server=%s bytes=%d rate=%.0f "
                "runs=%s hwm_kib=%d hwm_reset=%d anon_kib=%d file_kib=%d "
                "anon_peak_kib=%d\n"
                % (a.server, a.size, statistics.median(rates),
                   ",".join("%.0f" % r for r in rates), after_down["VmHWM"],
                   int(hwm_reset), after_down["RssAnon"],
                   after_down["RssFile"], down_anon))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("setup", "put", "count", "biglayer"):
        s = sub.add_parser(name)
        s.add_argument("--endpoint", required=True)
        add_signing_args(s)
        if name == "setup":
            s.add_argument("--repo", action="append", required=True)
            s.add_argument("--refs-out", required=True)
            s.add_argument("--no-blobs", action="store_true",
                           help="only create the repositories; write "
                           "made-up descriptors (--relax-references, moto)")
        else:
            s.add_argument("--repo", required=True)
        if name == "put":
            s.add_argument("--refs", required=True)
            s.add_argument("--tag", default="latest")
        if name == "biglayer":
            s.add_argument("--pid", type=int, required=True)
            s.add_argument("--results", required=True)
            s.add_argument("--server", default="ecrd")
            s.add_argument("--tmp", required=True)
            s.add_argument("--size", type=int, default=1 << 30)
            s.add_argument("--part", type=int, default=10 << 20)
            s.add_argument("--downloads", type=int, default=3,
                           help="0: upload only")
            s.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    {"setup": cmd_setup, "put": cmd_put, "count": cmd_count,
     "biglayer": cmd_biglayer}[a.cmd](a)


if __name__ == "__main__":
    main()
