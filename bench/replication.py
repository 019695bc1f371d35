#!/usr/bin/env python3
"""Replication figures for bench/run.sh (issue 14).

    replication.py configure --endpoint URL --destinations N [--key ...]
        PutReplicationConfiguration: one rule, N destinations in other
        regions of the caller's own account (no registry policy needed)
    replication.py drain --endpoint URL --repo R --refs F --count N
        --server S --results F [--key ...]
        N PutImage of unique manifests naming refs' blobs, one after the
        other, then DescribeImageReplicationStatus of the last until none
        of its statuses is IN_PROGRESS (jobs run in push order, so every
        earlier one is done too; without a configuration, the pushes
        alone, as a baseline); appends to F: "repl server=S pushes=N
        destinations=D push_s= replicated_s= statuses=" (replicated_s runs
        from the first push to the last image's last status)

Times are wall-clock on the client; a figure, never asserted.
"""

import argparse
import json
import sys
import time

import boto3
import botocore.config

from sign import add_signing_args, manifest_for

REGIONS = ("eu-west-1", "us-west-2", "ap-south-1", "eu-central-1",
           "ap-northeast-1")
POLL_S = 0.02
DRAIN_LIMIT_S = 1800


def client(a):
    return boto3.session.Session().client(
        "ecr", endpoint_url=a.endpoint, region_name=a.region,
        aws_access_key_id=a.key, aws_secret_access_key=a.secret,
        config=botocore.config.Config(retries={"max_attempts": 1},
                                      read_timeout=300))


def cmd_configure(a):
    c = client(a)
    account = c.describe_registry()["registryId"]
    dests = [{"region": r, "registryId": account}
             for r in REGIONS[:a.destinations]]
    c.put_replication_configuration(
        replicationConfiguration={"rules": [{"destinations": dests}]})


def cmd_drain(a):
    c = client(a)
    with open(a.refs) as f:
        refs = json.load(f)
    rules = c.describe_registry()["replicationConfiguration"]["rules"]
    n_dest = len(rules[0]["destinations"]) if rules else 0
    t0 = time.monotonic()
    digest = None
    for i in range(a.count):
        out = c.put_image(repositoryName=a.repo,
                          imageManifest=manifest_for(refs, "drain-%d-%d" % (
                              int(t0 * 1000), i)),
                          imageTag="drain-%d" % i)
        digest = out["image"]["imageId"]["imageDigest"]
    t1 = time.monotonic()
    statuses = []
    while n_dest and time.monotonic() - t0 < DRAIN_LIMIT_S:
        statuses = c.describe_image_replication_status(
            repositoryName=a.repo, imageId={"imageDigest": digest})[
                "replicationStatuses"]
        if len(statuses) == n_dest and all(
                s["status"] != "IN_PROGRESS" for s in statuses):
            break
        time.sleep(POLL_S)
    t2 = time.monotonic()
    states = ",".join(sorted(s["status"] for s in statuses)) or "none"
    with open(a.results, "a") as f:
        f.write("repl server=%s pushes=%d destinations=%d push_s=%.2f "
                "replicated_s=%.2f statuses=%s\n" % (
                    a.server, a.count, n_dest, t1 - t0, t2 - t0, states))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("configure")
    s.add_argument("--destinations", type=int, default=3)
    s = sub.add_parser("drain")
    for opt in ("--repo", "--refs", "--server", "--results"):
        s.add_argument(opt, required=True)
    s.add_argument("--count", type=int, default=1000)
    for s in sub.choices.values():
        s.add_argument("--endpoint", required=True)
        add_signing_args(s)
    a = p.parse_args()
    {"configure": cmd_configure, "drain": cmd_drain}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
