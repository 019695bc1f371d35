#!/usr/bin/env python3
"""Policies for bench/run.sh's policy scenarios (issue 5).

    policies.py credentials --out F --key K --secret S --statements 1|20
        a credentials file for ecrd --credentials: the bench principal
        (arn:aws:iam::111111111111:user/bench) with one identity policy,
        of one statement (Allow ecr:* on *) or of 20: 19 that do not apply
        to the bench requests (other resources, regions and accounts,
        Deny of other actions, conditions on aws:PrincipalArn,
        aws:SourceIp, aws:CurrentTime, aws:EpochTime, aws:username,
        aws:TagKeys, aws:ResourceTag, aws:SecureTransport) and, last, the
        one Allow that does (ecr:* on * when aws:PrincipalAccount is
        111111111111)
    policies.py repo-policy --endpoint URL --repo R --key K --secret S
        SetRepositoryPolicy on R: 20 statements for other principals, Deny
        statements whose conditions are false for the bench requests...
        none of which applies to the bench principal; read back with
        GetRepositoryPolicy

Every statement has to be looked at for every request (an explicit Deny
anywhere would win), so these cost what a 20-statement policy costs.
"""

import argparse
import json
import sys

ACCOUNT = "111111111111"
ARN = "arn:aws:iam::%s:user/bench" % ACCOUNT
REPO_ARN = "arn:aws:ecr:us-east-1:%s:repository/" % ACCOUNT
PULL = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
        "ecr:BatchCheckLayerAvailability"]
PUSH = ["ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
        "ecr:CompleteLayerUpload", "ecr:PutImage"]
LOOPBACK = ["127.0.0.0/8", "::1/128"]


def identity_statements():
    """19 statements that do not apply, then the Allow that does."""
    s = [
        {"Sid": "OtherTeamRepos", "Effect": "Allow", "Action": "ecr:*",
         "Resource": REPO_ARN + "other-team/*"},
        {"Sid": "OtherRegion", "Effect": "Allow", "Action": PULL + PUSH,
         "Resource": "arn:aws:ecr:eu-west-1:%s:repository/*" % ACCOUNT},
        {"Sid": "NoDeletes", "Effect": "Deny",
         "Action": ["ecr:DeleteRepository", "ecr:BatchDeleteImage",
                    "ecr:DeleteLifecyclePolicy"], "Resource": "*"},
        {"Sid": "OnlyFromLoopback", "Effect": "Deny", "Action": "ecr:*",
         "Resource": "*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": LOOPBACK}}},
        {"Sid": "NoIntruders", "Effect": "Deny", "Action": "ecr:*",
         "Resource": "*", "Condition": {"StringLike": {
             "aws:PrincipalArn": ["arn:aws:iam::*:user/intruder-*",
                                  "arn:aws:iam::*:role/untrusted-*"]}}},
        {"Sid": "OfficeNetwork", "Effect": "Allow", "Action": "ecr:*",
         "Resource": "*",
         "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8",
                                                      "192.168.0.0/16"]}}},
        {"Sid": "PaymentsPush", "Effect": "Allow", "Action": PUSH,
         "Resource": REPO_ARN + "prod-*",
         "Condition": {"StringEquals": {
             "aws:ResourceTag/team": "payments"}}},
        {"Sid": "TlsOnlyProdPolicyEdits", "Effect": "Deny",
         "Action": ["ecr:SetRepositoryPolicy", "ecr:PutRegistryPolicy"],
         "Resource": REPO_ARN + "prod-*",
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "NotEcr", "Effect": "Allow", "NotAction": "ecr:*",
         "Resource": "*"},
        {"Sid": "Expired", "Effect": "Deny", "Action": "ecr:*",
         "Resource": "*", "Condition": {"DateLessThan": {
             "aws:CurrentTime": "2001-01-01T00:00:00Z"}}},
        {"Sid": "OtherAccountsPrincipals", "Effect": "Allow",
         "Action": "ecr:*", "Resource": "*", "Condition": {"StringNotLike": {
             "aws:PrincipalArn": "arn:aws:iam::%s:*" % ACCOUNT}}},
        {"Sid": "LockedRepos", "Effect": "Deny",
         "Action": ["ecr:SetRepositoryPolicy", "ecr:DeleteRepositoryPolicy",
                    "ecr:PutLifecyclePolicy"],
         "Resource": REPO_ARN + "locked-*"},
        {"Sid": "AccountB", "Effect": "Allow", "Action": "ecr:*",
         "Resource": "arn:aws:ecr:us-east-1:222222222222:repository/*"},
        {"Sid": "BeforeEpoch", "Effect": "Deny", "Action": "ecr:*",
         "Resource": "*", "Condition": {"NumericLessThan": {
             "aws:EpochTime": "1000"}}},
        {"Sid": "CostCenterTags", "Effect": "Allow",
         "Action": ["ecr:TagResource", "ecr:CreateRepository"],
         "Resource": "*", "Condition": {"ForAnyValue:StringEquals": {
             "aws:TagKeys": ["cost-center", "owner"]}}},
        {"Sid": "NotMallory", "Effect": "Deny", "Action": "ecr:*",
         "Resource": "*", "Condition": {"StringEquals": {
             "aws:username": ["mallory", "eve"]}}},
        {"Sid": "EnvTagged", "Effect": "Allow", "Action": "ecr:Describe*",
         "Resource": REPO_ARN + "svc-??",
         "Condition": {"Null": {"aws:ResourceTag/env": "false"}}},
        {"Sid": "AccountC", "Effect": "Deny", "Action": "ecr:*",
         "Resource": "arn:aws:ecr:*:333333333333:repository/*"},
        {"Sid": "RolesOnly", "Effect": "Allow", "Action": "ecr:*",
         "Resource": "*", "Condition": {"ArnLike": {
             "aws:PrincipalArn": "arn:aws:iam::%s:role/*" % ACCOUNT}}},
        {"Sid": "Bench", "Effect": "Allow", "Action": "ecr:*",
         "Resource": "*", "Condition": {"StringEquals": {
             "aws:PrincipalAccount": ACCOUNT}}},
    ]
    assert len(s) == 20
    return s


def repository_statements():
    """20 statements none of which applies to the bench principal."""
    s = []
    for i, acct in enumerate(("222222222222", "333333333333",
                              "444444444444", "555555555555")):
        s.append({"Sid": "Pull%d" % i, "Effect": "Allow",
                  "Principal": {"AWS": "arn:aws:iam::%s:root" % acct},
                  "Action": PULL})
        s.append({"Sid": "Push%d" % i, "Effect": "Allow",
                  "Principal": {"AWS": "arn:aws:iam::%s:role/ci" % acct},
                  "Action": PUSH + PULL})
    s += [
        {"Sid": "Lambda", "Effect": "Allow",
         "Principal": {"Service": "lambda.amazonaws.com"},
         "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]},
        {"Sid": "NoDelete", "Effect": "Deny", "Principal": "*",
         "Action": ["ecr:DeleteRepository", "ecr:BatchDeleteImage"]},
        {"Sid": "Loopback", "Effect": "Deny", "Principal": "*",
         "Action": "ecr:*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": LOOPBACK}}},
        {"Sid": "NoIntruder", "Effect": "Deny", "Principal": "*",
         "Action": "ecr:*", "Condition": {"StringLike": {
             "aws:PrincipalArn": "arn:aws:iam::*:user/intruder-*"}}},
        {"Sid": "OrgOnly", "Effect": "Deny", "Principal": "*",
         "Action": PUSH, "Condition": {"StringNotEquals": {
             "aws:PrincipalAccount": ["111111111111", "222222222222"]}}},
        {"Sid": "Old", "Effect": "Deny", "Principal": "*", "Action": "ecr:*",
         "Condition": {"DateLessThan": {
             "aws:CurrentTime": "2001-01-01T00:00:00Z"}}},
        {"Sid": "Office", "Effect": "Allow", "Principal": "*",
         "Action": PULL, "Condition": {"IpAddress": {
             "aws:SourceIp": "10.0.0.0/8"}}},
        {"Sid": "Auditor", "Effect": "Allow",
         "Principal": {"AWS": ["arn:aws:iam::666666666666:user/auditor",
                               "arn:aws:iam::666666666666:role/audit"]},
         "Action": ["ecr:DescribeImages", "ecr:ListImages",
                    "ecr:GetRepositoryPolicy"]},
        {"Sid": "Mallory", "Effect": "Deny",
         "Principal": {"AWS": "arn:aws:iam::777777777777:root"},
         "Action": "ecr:*"},
        {"Sid": "TagsNeeded", "Effect": "Deny", "Principal": "*",
         "Action": "ecr:PutImage", "Condition": {"Null": {
             "aws:ResourceTag/team": "true"}}},
        {"Sid": "NotProd", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::888888888888:root"},
         "NotAction": ["ecr:PutImage", "ecr:BatchDeleteImage"]},
        {"Sid": "Sessions", "Effect": "Allow", "Principal": "*",
         "Action": PULL, "Condition": {"ArnLike": {
             "aws:PrincipalArn":
                 "arn:aws:sts::999999999999:assumed-role/reader/*"}}},
    ]
    assert len(s) == 20, len(s)
    return s


def policy(statements):
    return {"Version": "2012-10-17", "Statement": statements}


def cmd_credentials(a):
    stmts = ([{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]
             if a.statements == 1 else identity_statements())
    doc = {"principals": [{"accessKeyId": a.key, "secretAccessKey": a.secret,
                           "arn": ARN, "policies": [policy(stmts)]}]}
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)


def cmd_repo_policy(a):
    import boto3
    import botocore.config
    ecr = boto3.session.Session().client(
        "ecr", endpoint_url=a.endpoint, region_name=a.region,
        aws_access_key_id=a.key, aws_secret_access_key=a.secret,
        config=botocore.config.Config(retries={"max_attempts": 1}))
    text = json.dumps(policy(repository_statements()))
    ecr.set_repository_policy(repositoryName=a.repo, policyText=text)
    got = json.loads(ecr.get_repository_policy(
        repositoryName=a.repo)["policyText"])
    if len(got["Statement"]) != 20:
        sys.exit("policies.py: %d statements read back"
                 % len(got["Statement"]))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("credentials")
    s.add_argument("--out", required=True)
    s.add_argument("--statements", type=int, choices=(1, 20), required=True)
    s2 = sub.add_parser("repo-policy")
    s2.add_argument("--endpoint", required=True)
    s2.add_argument("--repo", required=True)
    s2.add_argument("--region", default="us-east-1")
    for x in (s, s2):
        x.add_argument("--key", default="AKIABENCH00000000001")
        x.add_argument("--secret", default="bench-secret")
    a = p.parse_args()
    {"credentials": cmd_credentials, "repo-policy": cmd_repo_policy}[a.cmd](a)


if __name__ == "__main__":
    main()
