"""GET /metrics (issue 17; docs/observability.md, "Metrics"): the text is
valid Prometheus exposition 0.0.4 (checked by a strict parser here and by
Debian's real prometheus, which scrapes ecrd and is queried through its
HTTP API); each family moves as it should after real calls (boto3, the
aws CLI, skopeo pushes and pulls of umoci-built images, the raw registry
API); errors are counted by type; the repository label's cap folds later
repositories into "_other"; strict mode serves it; --no-metrics turns it
off.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

import botocore.exceptions

import harness
from harness import (DEFAULT_ACCOUNT, REGION, EcrdTestCase,
                     OwnServersTestCase, poll, unique_name)
from test_pull_through import REGISTRY, UpstreamRegistry
from test_registry import (LAYER_FILES, SKOPEO, UMOCI, Layout, Registry,
                           RegistryHelpers, describe, run_tool)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
PROMETHEUS = shutil.which("prometheus")
PROM_START_S = 60
PROM_QUERY_S = 60
FAMILIES = {
    "ecrd_api_calls_total": "counter",
    "ecrd_api_errors_total": "counter",
    "ecrd_repository_pull_count_total": "counter",
    "ecrd_repository_push_count_total": "counter",
    "ecrd_repositories": "gauge",
    "ecrd_repository_images": "gauge",
    "ecrd_request_duration_seconds": "histogram",
    "ecrd_blob_bytes_pushed_total": "counter",
    "ecrd_blob_bytes_pulled_total": "counter",
    "ecrd_uploads_in_progress": "gauge",
    "ecrd_store_used_bytes": "gauge",
    "ecrd_store_map_size_bytes": "gauge",
    "ecrd_blobs": "gauge",
    "ecrd_blob_bytes": "gauge",
    "ecrd_background_runs_total": "counter",
    "ecrd_background_items_total": "counter",
    "ecrd_pull_through_upstream_requests_total": "counter",
    "process_cpu_seconds_total": "counter",
    "process_resident_memory_bytes": "gauge",
    "process_open_fds": "gauge",
    "process_start_time_seconds": "gauge",
    "ecrd_build_info": "gauge",
}

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)')


def unescape(v):
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1),
                                                      m.group(1)), v)


def parse(text, test):
    """The exposition text, checked strictly: {name: {labels: value}}
    (labels a frozenset of pairs) and {family: type}."""
    test.assertTrue(text.endswith("\n"), "the last line must end in \\n")
    samples, types, helps, seen, current = {}, {}, set(), set(), None
    for line in text.split("\n")[:-1]:
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            test.assertNotIn(name, helps, "two HELP lines for " + name)
            helps.add(name)
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            test.assertNotIn(name, types, "two TYPE lines for " + name)
            test.assertNotIn(name, seen, "TYPE after samples: " + name)
            types[name] = kind
            current = name
            continue
        m = SAMPLE.match(line)
        test.assertIsNotNone(m, "not a sample line: %r" % line)
        name, labels = m.group(1), {}
        if m.group(3):
            pos, body = 0, m.group(3)
            while pos < len(body):
                lm = LABEL.match(body, pos)
                test.assertIsNotNone(lm, "bad labels: %r" % line)
                labels[lm.group(1)] = unescape(lm.group(2))
                pos = lm.end()
        family = name
        for suffix in ("_bucket", "_sum", "_count"):
            if (name.endswith(suffix) and
                    types.get(name[:-len(suffix)]) == "histogram"):
                family = name[:-len(suffix)]
        test.assertEqual(family, current,
                         "%s outside its family's group" % name)
        seen.add(family)
        key = frozenset(labels.items())
        test.assertNotIn(key, samples.setdefault(name, {}),
                         "a series twice: %r" % line)
        samples[name][key] = float(m.group(4))
    return samples, types


def value(samples, name, **labels):
    """The sample of name whose labels include these, or 0."""
    want = set(labels.items())
    hits = [v for k, v in samples.get(name, {}).items() if want <= set(k)]
    assert len(hits) <= 1, (name, labels, hits)
    return hits[0] if hits else 0.0


def series(samples, name, **labels):
    want = set(labels.items())
    return {k: v for k, v in samples.get(name, {}).items() if want <= set(k)}


class MetricsMixin:

    def scrape(self, server=None):
        r = self.http("GET", "/metrics", server=server)
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.header("Content-Type"), CONTENT_TYPE)
        return parse(r.body.decode("utf-8"), self)[0]

    def calls(self, s, op, status_class="2xx", region=REGION):
        return value(s, "ecrd_api_calls_total", operation=op,
                     registry_id=DEFAULT_ACCOUNT, region=region,
                     status_class=status_class)


class MetricsTest(MetricsMixin, RegistryHelpers, EcrdTestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="e2e-metrics-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def test_every_family_is_declared_in_valid_text(self):
        r = self.http("GET", "/metrics")
        self.assertEqual(r.status, 200, r)
        samples, types = parse(r.body.decode("utf-8"), self)
        self.assertEqual(types, FAMILIES)
        self.assertEqual(value(samples, "ecrd_build_info"), 1)
        head = self.http("HEAD", "/metrics")
        self.assertEqual(head.status, 200, head)
        self.assertEqual(head.header("Content-Type"), CONTENT_TYPE)
        self.assertEqual(head.body, b"")

    def test_api_calls_and_errors_by_type(self):
        before = self.scrape()
        repo = unique_name("mx")
        self.ecr().create_repository(repositoryName=repo)
        with self.assertRaises(botocore.exceptions.ClientError):
            self.ecr().describe_repositories(repositoryNames=[repo + "-no"])
        with self.assertRaises(botocore.exceptions.ClientError):
            self.ecr().create_repository(repositoryName=repo)
        self.ecr(region="eu-west-1").describe_repositories()
        after = self.scrape()
        for op, cls, region, n in (
                ("CreateRepository", "2xx", REGION, 1),
                ("CreateRepository", "4xx", REGION, 1),
                ("DescribeRepositories", "4xx", REGION, 1),
                ("DescribeRepositories", "2xx", "eu-west-1", 1)):
            self.assertEqual(self.calls(after, op, cls, region) -
                             self.calls(before, op, cls, region), n,
                             (op, cls, region))
        for op, error in (
                ("DescribeRepositories", "RepositoryNotFoundException"),
                ("CreateRepository", "RepositoryAlreadyExistsException")):
            self.assertEqual(
                value(after, "ecrd_api_errors_total", operation=op,
                      error=error) -
                value(before, "ecrd_api_errors_total", operation=op,
                      error=error), 1, error)
        # The latency histogram counted each call.
        d = series(after, "ecrd_request_duration_seconds_count",
                   protocol="ecr", operation="CreateRepository")
        self.assertGreaterEqual(sum(d.values()), 2)
        inf = series(after, "ecrd_request_duration_seconds_bucket",
                     protocol="ecr", operation="CreateRepository", le="+Inf")
        self.assertEqual(sum(inf.values()), sum(d.values()))

    def test_aws_cli_calls_are_counted(self):
        for major in (1, 2):
            with self.subTest(cli=major):
                before = self.scrape()
                res = self.cli(major, "ecr", "describe-registry")
                self.assertCliOk(res)
                res = self.cli(major, "ecr", "list-images",
                               "--repository-name", unique_name("none"))
                self.assertEqual(res.error_code,
                                 "RepositoryNotFoundException", res)
                after = self.scrape()
                self.assertEqual(
                    self.calls(after, "DescribeRegistry") -
                    self.calls(before, "DescribeRegistry"), 1)
                self.assertEqual(
                    value(after, "ecrd_api_errors_total",
                          operation="ListImages",
                          error="RepositoryNotFoundException") -
                    value(before, "ecrd_api_errors_total",
                          operation="ListImages",
                          error="RepositoryNotFoundException"), 1)

    def test_bad_signature_counts_under_its_action(self):
        """Refused before the operation is looked up (a credential scope
        naming no region, refused in permissive mode too): counted under
        the action its X-Amz-Target names."""
        before = self.scrape()
        r = self.api("DescribeRepositories", {}, key=harness.DEFAULT_KEY,
                     region="eu\"x\\\\y")
        self.assertAwsError(r, 400, "InvalidSignatureException")
        after = self.scrape()
        error = dict(operation="DescribeRepositories",
                     error="InvalidSignatureException")
        self.assertEqual(value(after, "ecrd_api_errors_total", **error) -
                         value(before, "ecrd_api_errors_total", **error), 1)

    def test_registry_errors_by_registry_code(self):
        before = self.scrape()
        r = self.reg().get("/v2/%s/manifests/latest" % unique_name("none"))
        self.assertEqual(r.status, 404, r)
        r = Registry(self.server, "not-a-token").get("/v2/")
        self.assertEqual(r.status, 401, r)
        after = self.scrape()
        for op, error in (("BatchGetImage", "NAME_UNKNOWN"),
                          ("registry:ping", "UNAUTHORIZED")):
            self.assertEqual(
                value(after, "ecrd_api_errors_total", operation=op,
                      error=error) -
                value(before, "ecrd_api_errors_total", operation=op,
                      error=error), 1, (op, error))

    def test_layer_api_moves_uploads_and_bytes(self):
        repo = self.make_repo()
        ecr = self.ecr()
        before = self.scrape()
        up = ecr.initiate_layer_upload(repositoryName=repo)
        mid = self.scrape()
        self.assertEqual(value(mid, "ecrd_uploads_in_progress") -
                         value(before, "ecrd_uploads_in_progress"), 1)
        data = os.urandom(4096)
        ecr.upload_layer_part(repositoryName=repo, uploadId=up["uploadId"],
                              partFirstByte=0, partLastByte=len(data) - 1,
                              layerPartBlob=data)
        ecr.complete_layer_upload(
            repositoryName=repo, uploadId=up["uploadId"],
            layerDigests=[harness.sha256_digest(data)])
        after = self.scrape()
        self.assertEqual(value(after, "ecrd_uploads_in_progress"),
                         value(before, "ecrd_uploads_in_progress"))
        # The part's body is base64 JSON: at least the layer's bytes.
        self.assertGreaterEqual(
            value(after, "ecrd_blob_bytes_pushed_total", protocol="ecr") -
            value(before, "ecrd_blob_bytes_pushed_total", protocol="ecr"),
            len(data))
        for op in ("InitiateLayerUpload", "UploadLayerPart",
                   "CompleteLayerUpload"):
            self.assertEqual(self.calls(after, op) - self.calls(before, op),
                             1, op)

    @unittest.skipUnless(SKOPEO and UMOCI, "skopeo and umoci are needed")
    def test_skopeo_push_and_pull_move_their_families(self):
        layout = Layout(self, os.path.join(self.tmp, "layout"))
        layout.add_image("v1", LAYER_FILES[:2])
        repo = self.make_repo()
        ref = "docker://%s/%s:v1" % (self.server.hostport, repo)
        creds = "AWS:" + self.password
        key = dict(registry_id=DEFAULT_ACCOUNT, region=REGION,
                   repository=repo)
        before = self.scrape()
        p = run_tool((SKOPEO, "--insecure-policy", "copy",
                      "--dest-tls-verify=false", "--dest-creds", creds,
                      "oci:%s:v1" % layout.path, ref))
        self.assertEqual(p.returncode, 0, describe(p))
        pushed = self.scrape()
        self.assertEqual(value(pushed, "ecrd_repository_push_count_total",
                               **key), 1)
        self.assertEqual(value(pushed, "ecrd_repository_images", **key), 1)
        self.assertEqual(self.calls(pushed, "PutImage") -
                         self.calls(before, "PutImage"), 1)
        # A layer and a config at least, each started and completed.
        for op in ("InitiateLayerUpload", "CompleteLayerUpload"):
            self.assertGreaterEqual(self.calls(pushed, op) -
                                    self.calls(before, op), 3, op)
        size = sum(len(layout.blob(d["digest"])) for d in json.loads(
            layout.blob(layout.ref("v1")["digest"]))["layers"])
        self.assertGreaterEqual(
            value(pushed, "ecrd_blob_bytes_pushed_total",
                  protocol="registry") -
            value(before, "ecrd_blob_bytes_pushed_total",
                  protocol="registry"), size)
        self.assertEqual(value(pushed, "ecrd_uploads_in_progress"),
                         value(before, "ecrd_uploads_in_progress"))
        p = run_tool((SKOPEO, "--insecure-policy", "copy",
                      "--src-tls-verify=false", "--src-creds", creds, ref,
                      "dir:" + os.path.join(self.tmp, "pulled")))
        self.assertEqual(p.returncode, 0, describe(p))
        pulled = self.scrape()
        self.assertEqual(value(pulled, "ecrd_repository_pull_count_total",
                               **key), 1)
        self.assertGreaterEqual(
            self.calls(pulled, "GetDownloadUrlForLayer") -
            self.calls(pushed, "GetDownloadUrlForLayer"), 3)
        self.assertGreaterEqual(
            value(pulled, "ecrd_blob_bytes_pulled_total",
                  protocol="registry") -
            value(pushed, "ecrd_blob_bytes_pulled_total",
                  protocol="registry"), size)
        # BatchGetImage through the API is a pull too.
        self.ecr().batch_get_image(repositoryName=repo,
                                   imageIds=[{"imageTag": "v1"}])
        again = self.scrape()
        self.assertEqual(value(again, "ecrd_repository_pull_count_total",
                               **key), 2)
        # Deleting the image moves the gauge; the repository's goes.
        self.ecr().batch_delete_image(repositoryName=repo,
                                      imageIds=[{"imageTag": "v1"}])
        self.assertEqual(value(self.scrape(), "ecrd_repository_images",
                               **key), 0)
        self.ecr().delete_repository(repositoryName=repo)
        self.assertEqual(series(self.scrape(), "ecrd_repository_images",
                                repository=repo), {})

    def test_repository_gauge_follows_creates_and_deletes(self):
        def count():
            pages = self.ecr().get_paginator("describe_repositories")
            return sum(len(p["repositories"]) for p in pages.paginate())

        names = [unique_name("gauge") for _ in range(3)]
        for name in names:
            self.ecr().create_repository(repositoryName=name)
        s = self.scrape()
        self.assertEqual(value(s, "ecrd_repositories",
                               registry_id=DEFAULT_ACCOUNT, region=REGION),
                         count())
        self.ecr().delete_repository(repositoryName=names[0])
        s = self.scrape()
        self.assertEqual(value(s, "ecrd_repositories",
                               registry_id=DEFAULT_ACCOUNT, region=REGION),
                         count())

    def test_gc_run_is_counted(self):
        before = self.scrape()
        r = self.http("POST", "/_ecrd/gc?grace_seconds=0")
        self.assertEqual(r.status, 200, r)
        after = self.scrape()
        self.assertEqual(
            value(after, "ecrd_background_runs_total", job="gc",
                  result="ok") -
            value(before, "ecrd_background_runs_total", job="gc",
                  result="ok"), 1)
        self.assertIn(frozenset({("job", "gc"),
                                 ("item", "blobs_removed")}),
                      after["ecrd_background_items_total"])

    def test_process_and_store_metrics(self):
        s = self.scrape()
        self.assertGreater(value(s, "process_resident_memory_bytes"), 0)
        self.assertGreater(value(s, "process_open_fds"), 2)
        self.assertGreaterEqual(value(s, "process_cpu_seconds_total"), 0)
        start = value(s, "process_start_time_seconds")
        self.assertLessEqual(start, time.time())
        with open("/proc/%d/stat" % self.server.pid) as f:
            ticks = int(f.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/stat") as f:
            btime = int([line.split()[1] for line in f
                         if line.startswith("btime ")][0])
        # The kernel's start time, in whole ticks: within two seconds.
        self.assertAlmostEqual(
            start, btime + ticks / os.sysconf("SC_CLK_TCK"), delta=2)
        self.assertGreater(value(s, "ecrd_store_used_bytes"), 0)
        self.assertGreaterEqual(value(s, "ecrd_store_map_size_bytes"),
                                value(s, "ecrd_store_used_bytes"))


class CapTest(MetricsMixin, EcrdTestCase):
    """--metrics-max-series 3: the fourth repository on counts as _other;
    one already listed keeps its own series."""

    server_args = ("--metrics-max-series", "3", "--relax-references")

    def put(self, repo, tag):
        manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": harness.MEDIA_DOCKER_MANIFEST,
            "config": {"mediaType": harness.MEDIA_DOCKER_CONFIG, "size": 2,
                       "digest": harness.sha256_digest(tag.encode())},
            "layers": []})
        self.ecr().put_image(repositoryName=repo, imageManifest=manifest,
                             imageTag=tag)

    def test_repositories_past_the_cap_fold_into_other(self):
        names = ["cap-%d-%s" % (i, unique_name("r")) for i in range(5)]
        for i, name in enumerate(names):
            self.ecr().create_repository(repositoryName=name)
            self.put(name, "t%d" % i)
        self.put(names[0], "again")
        s = self.scrape()
        pushes = series(s, "ecrd_repository_push_count_total")
        self.assertEqual(len(pushes), 3 + 1, pushes)
        base = dict(registry_id=DEFAULT_ACCOUNT, region=REGION)
        self.assertEqual(value(s, "ecrd_repository_push_count_total",
                               repository=names[0], **base), 2)
        self.assertEqual(value(s, "ecrd_repository_push_count_total",
                               repository="_other", **base), 2)
        # The gauge leaves out what it cannot count without a scan.
        images = series(s, "ecrd_repository_images")
        self.assertNotIn("_other", {dict(k)["repository"] for k in images})


class StrictTest(MetricsMixin, EcrdTestCase):
    """Strict mode serves /metrics without credentials (read-only; it
    names repositories: docs/observability.md)."""

    principals = [{"accessKeyId": harness.DEFAULT_KEY,
                   "secretAccessKey": harness.DEFAULT_SECRET,
                   "arn": "arn:aws:iam::%s:user/mx" % DEFAULT_ACCOUNT,
                   "policies": [{"Version": "2012-10-17", "Statement": [
                       {"Effect": "Allow", "Action": "ecr:*",
                        "Resource": "*"}]}]}]

    def test_served_in_strict_mode(self):
        self.ecr().describe_repositories()
        s = self.scrape()
        self.assertEqual(self.calls(s, "DescribeRepositories"), 1)
        r = self.http("POST", "/metrics")
        self.assertEqual(r.status, 404, r)


class NoMetricsTest(EcrdTestCase):

    server_args = ("--no-metrics",)

    def test_no_metrics_turns_the_endpoint_off(self):
        self.ecr().describe_repositories()
        r = self.http("GET", "/metrics")
        self.assertAwsError(r, 404, "UnknownOperationException")
        self.assertIn(b"--no-metrics", r.body)


@unittest.skipUnless(SKOPEO and UMOCI and os.path.exists(REGISTRY),
                     "skopeo, umoci and docker-registry are needed")
class PullThroughTest(MetricsMixin, RegistryHelpers, EcrdTestCase):
    """A pull through the cache (quay.io sent to Debian's docker-registry):
    its upstream exchanges, the pull and the blob bytes streamed to the
    client as they come are counted."""

    @classmethod
    def setUpClass(cls):
        cls.upstream = UpstreamRegistry()
        cls.addClassCleanup(cls.upstream.close)
        cls.server_args = ("--upstream-url", "quay.io=" + cls.upstream.url)
        super().setUpClass()

    def test_pull_through_is_counted(self):
        tmp = tempfile.mkdtemp(prefix="e2e-metrics-ptc-")
        self.addCleanup(shutil.rmtree, tmp, True)
        layout = Layout(self, os.path.join(tmp, "layout"))
        layout.add_image("v1", LAYER_FILES[:1])
        name = unique_name("up")
        p = run_tool((SKOPEO, "--insecure-policy", "copy",
                      "--dest-tls-verify=false", "oci:%s:v1" % layout.path,
                      "docker://%s/%s:v1" % (
                          self.upstream.url[len("http://"):], name)))
        self.assertEqual(p.returncode, 0, describe(p))
        prefix = unique_name("quay")
        self.ecr().create_pull_through_cache_rule(
            ecrRepositoryPrefix=prefix, upstreamRegistryUrl="quay.io")
        before = self.scrape()
        p = run_tool((SKOPEO, "--insecure-policy", "copy",
                      "--src-tls-verify=false", "--src-creds",
                      "AWS:" + self.password,
                      "docker://%s/%s/%s:v1" % (self.server.hostport, prefix,
                                                name),
                      "dir:" + os.path.join(tmp, "out")))
        self.assertEqual(p.returncode, 0, describe(p))
        after = self.scrape()
        self.assertGreater(
            value(after, "ecrd_pull_through_upstream_requests_total",
                  result="ok") -
            value(before, "ecrd_pull_through_upstream_requests_total",
                  result="ok"), 0)
        self.assertEqual(value(after, "ecrd_repository_pull_count_total",
                               registry_id=DEFAULT_ACCOUNT, region=REGION,
                               repository="%s/%s" % (prefix, name)), 1)
        size = sum(len(layout.blob(d["digest"])) for d in json.loads(
            layout.blob(layout.ref("v1")["digest"]))["layers"])
        self.assertGreaterEqual(
            value(after, "ecrd_blob_bytes_pulled_total",
                  protocol="registry") -
            value(before, "ecrd_blob_bytes_pulled_total",
                  protocol="registry"), size)
        self.assertGreaterEqual(
            self.calls(after, "GetDownloadUrlForLayer") -
            self.calls(before, "GetDownloadUrlForLayer"), 2)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@unittest.skipUnless(PROMETHEUS, "prometheus is needed (cmake/deps.sh test)")
class PrometheusTest(MetricsMixin, EcrdTestCase):
    """Debian's prometheus scrapes ecrd every second; a counter is queried
    back through its HTTP API."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.prom_dir = tempfile.mkdtemp(prefix="e2e-prom-")
        cls.addClassCleanup(shutil.rmtree, cls.prom_dir, True)
        config = os.path.join(cls.prom_dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n"
                    "scrape_configs:\n  - job_name: ecrd\n"
                    "    static_configs:\n"
                    "      - targets: ['%s']\n" % cls.server.hostport)
        cls.prom_port = free_port()
        cls.prom_log = open(os.path.join(cls.prom_dir, "log"), "wb")
        cls.addClassCleanup(cls.prom_log.close)
        cls.prom = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + config,
             "--storage.tsdb.path=" + os.path.join(cls.prom_dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % cls.prom_port],
            stdout=cls.prom_log, stderr=subprocess.STDOUT)
        cls.addClassCleanup(cls.stop_prometheus)

    @classmethod
    def stop_prometheus(cls):
        if cls.prom.poll() is None:
            os.kill(cls.prom.pid, signal.SIGTERM)
            try:
                cls.prom.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(cls.prom.pid, signal.SIGKILL)
                cls.prom.wait()

    def query(self, expr):
        url = "http://127.0.0.1:%d/api/v1/query?%s" % (
            self.prom_port, urllib.parse.urlencode({"query": expr}))
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                body = json.load(r)
        except OSError:
            return None
        self.assertEqual(body["status"], "success", body)
        return body["data"]["result"]

    def prom_log_text(self):
        with open(os.path.join(self.prom_dir, "log"), "rb") as f:
            return f.read().decode("utf-8", "replace")[-4000:]

    def test_prometheus_scrapes_and_queries_a_counter(self):
        repo = unique_name("prom")
        self.ecr().create_repository(repositoryName=repo)
        for _ in range(3):
            self.ecr().describe_repositories(repositoryNames=[repo])
        expr = ('ecrd_api_calls_total{operation="DescribeRepositories",'
                'registry_id="%s",region="%s",status_class="2xx"}'
                % (DEFAULT_ACCOUNT, REGION))
        got = {}

        def scraped():
            self.assertIsNone(self.prom.poll(), self.prom_log_text())
            result = self.query(expr)
            if result:
                got["v"] = float(result[0]["value"][1])
            return got.get("v") == 3

        try:
            poll(scraped, PROM_START_S + PROM_QUERY_S,
                 "prometheus to scrape 3 DescribeRepositories calls")
        except AssertionError as e:
            raise AssertionError("%s; got %r; prometheus's log:\n%s"
                                 % (e, got, self.prom_log_text()))
        # The target is up: Prometheus parsed every family.
        up = self.query('up{job="ecrd"}')
        self.assertEqual(up[0]["value"][1], "1", up)
        errs = self.query("scrape_samples_scraped")
        self.assertGreater(float(errs[0]["value"][1]), 20)


class BlobBytesTest(MetricsMixin, OwnServersTestCase):
    """ecrd_blobs and ecrd_blob_bytes: each digest once, up by a push, down
    by the GC's removal of an unreferenced blob, the same after a restart."""

    tmp_prefix = "e2e-metrics-blobs-"

    def upload(self, ecr, repo, data):
        up = ecr.initiate_layer_upload(repositoryName=repo)
        ecr.upload_layer_part(repositoryName=repo, uploadId=up["uploadId"],
                              partFirstByte=0, partLastByte=len(data) - 1,
                              layerPartBlob=data)
        digest = harness.sha256_digest(data)
        ecr.complete_layer_upload(repositoryName=repo,
                                  uploadId=up["uploadId"],
                                  layerDigests=[digest])
        return digest

    def totals(self, server):
        s = self.scrape(server)
        return value(s, "ecrd_blobs"), value(s, "ecrd_blob_bytes")

    def test_push_gc_and_restart(self):
        data = os.path.join(self.tmp, "data")
        server = self.start(data_dir=data)
        ecr = self.ecr(server=server)
        self.assertEqual(self.totals(server), (0, 0))
        ecr.create_repository(repositoryName="ra")
        ecr.create_repository(repositoryName="rb")
        layer, config, loose = os.urandom(5000), b"{}", os.urandom(777)
        digests = [self.upload(ecr, "ra", d) for d in (layer, config, loose)]
        self.assertEqual(self.totals(server), (3, 5000 + 2 + 777))
        # The same layer in a second repository is the same blob.
        self.upload(ecr, "rb", layer)
        self.assertEqual(self.totals(server), (3, 5000 + 2 + 777))
        manifest = json.dumps({
            "schemaVersion": 2,
            "mediaType": harness.MEDIA_DOCKER_MANIFEST,
            "config": {"mediaType": harness.MEDIA_DOCKER_CONFIG,
                       "size": len(config), "digest": digests[1]},
            "layers": [{"mediaType": harness.MEDIA_DOCKER_LAYER,
                        "size": len(layer), "digest": digests[0]}]})
        ecr.put_image(repositoryName="ra", imageManifest=manifest,
                      imageTag="v1")
        server.stop()

        server = self.start(data_dir=data)
        self.assertEqual(self.totals(server), (3, 5000 + 2 + 777))
        r = self.http("POST", "/_ecrd/gc?grace_seconds=0", server=server)
        self.assertEqual(r.status, 200, r)
        # "loose" no image refers to goes; the layer is used in "ra" still.
        self.assertEqual(self.totals(server), (2, 5000 + 2))


if __name__ == "__main__":
    unittest.main()
