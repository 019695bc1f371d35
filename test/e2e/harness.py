"""Shared machinery for the ecrd end-to-end tests (STYLE.md 9).

Starts ecrd on a free port (--listen 127.0.0.1:0 --port-file F), hands out
boto3 clients, aws CLI v1/v2 runners and a raw HTTP helper, and stops the
server by PID with SIGTERM, failing if it exited non-zero or printed a
sanitizer report. ECRD_TEST_ENDPOINT=http://HOST:PORT points the tests at a
server someone else started; tests that need a server with special flags
then start their own if the binary exists, and skip otherwise.

Everything is hermetic: a private AWS_CONFIG_FILE and
AWS_SHARED_CREDENTIALS_FILE, AWS_MAX_ATTEMPTS=1, no instance metadata, a
fixed region. Nothing sleeps: every wait polls against a deadline.
"""

import atexit
import base64
import datetime
import http.client
import itertools
import json
import os
import random
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
import uuid
from unittest import mock

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.config
import botocore.credentials
import botocore.exceptions
import botocore.session

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
DEFAULT_ACCOUNT = "123456789012"
REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
TARGET_PREFIX = "AmazonEC2ContainerRegistry_V20150921."
JSON_11 = "application/x-amz-json-1.1"
# A key that is not 12 digits: the server maps it to the default account.
DEFAULT_KEY = "AKIDEXAMPLEE2E00000"
DEFAULT_SECRET = "e2e-secret-not-checked-in-permissive-mode"
REPO_NAME_REGEX = ("(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*"
                   "[a-z0-9]+(?:[._-][a-z0-9]+)*")
REPO_NAME_MESSAGE = ("Invalid parameter at 'repositoryName' failed to "
                     "satisfy constraint: 'must satisfy regular expression '"
                     + REPO_NAME_REGEX + "''")

START_TIMEOUT_S = 30.0   # generous: ASan builds start slower
STOP_TIMEOUT_S = 15.0    # the server drains for at most 10 s
HTTP_TIMEOUT_S = 30.0
CLI_TIMEOUT_S = 120.0
SANITIZER_MARKERS = ("AddressSanitizer", "runtime error:", "LeakSanitizer")


# --------------------------------------------------------------------------
# Hermetic AWS environment for boto3 in this process and for CLI children.

_AWS_HOME = tempfile.mkdtemp(prefix="e2e-aws-")
atexit.register(shutil.rmtree, _AWS_HOME, True)
_AWS_CONFIG = os.path.join(_AWS_HOME, "config")
_AWS_CREDS = os.path.join(_AWS_HOME, "credentials")
with open(_AWS_CONFIG, "w") as _f:
    _f.write("[default]\nregion = %s\noutput = json\n" % REGION)
with open(_AWS_CREDS, "w") as _f:
    _f.write("[default]\naws_access_key_id = %s\n"
             "aws_secret_access_key = %s\n" % (DEFAULT_KEY, DEFAULT_SECRET))
for _k in list(os.environ):
    if _k.startswith("AWS_"):
        del os.environ[_k]
os.environ.update({
    "AWS_CONFIG_FILE": _AWS_CONFIG,
    "AWS_SHARED_CREDENTIALS_FILE": _AWS_CREDS,
    "AWS_MAX_ATTEMPTS": "1",
    "AWS_RETRY_MODE": "standard",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_PAGER": "",
})


# --------------------------------------------------------------------------
# Names and accounts.

_counter = itertools.count(1)
_run_tag = uuid.uuid4().hex[:6]


def unique_name(prefix="repo"):
    """A repository name no other test (or earlier run) uses."""
    return "e2e-%s-%s-%d" % (prefix, _run_tag, next(_counter))


def fresh_account():
    """A random 12-digit account: a private, empty registry."""
    while True:
        acct = "%012d" % random.SystemRandom().randrange(10 ** 11, 10 ** 12)
        if acct != DEFAULT_ACCOUNT:
            return acct


def repo_arn(name, account=DEFAULT_ACCOUNT, region=REGION):
    return "arn:aws:ecr:%s:%s:repository/%s" % (region, account, name)


def repo_uri(name, account=DEFAULT_ACCOUNT, region=REGION):
    return "%s.dkr.ecr.%s.amazonaws.com/%s" % (account, region, name)


def not_found_message(name, account=DEFAULT_ACCOUNT):
    return ("The repository with name '%s' does not exist in the registry "
            "with id '%s'" % (name, account))


def already_exists_message(name, account=DEFAULT_ACCOUNT):
    return ("The repository with name '%s' already exists in the registry "
            "with id '%s'" % (name, account))


def epoch(value):
    """createdAt/expiresAt as epoch seconds, whatever form a client gave."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    text = str(value)
    try:
        return float(text)
    except ValueError:
        return datetime.datetime.fromisoformat(
            text.replace("Z", "+00:00")).timestamp()


def decode_token(token):
    """authorizationToken -> (user, password); strict standard base64."""
    raw = base64.b64decode(token, validate=True).decode("utf-8")
    user, sep, password = raw.partition(":")
    return user, password if sep else None


# --------------------------------------------------------------------------
# The server process.

def ecrd_bin():
    return os.environ.get("ECRD_BIN") or os.path.join(
        REPO_ROOT, "build", "server", "ecrd")


def have_binary():
    path = ecrd_bin()
    return os.path.isfile(path) and os.access(path, os.X_OK)


def external_endpoint():
    return os.environ.get("ECRD_TEST_ENDPOINT") or None


def poll(predicate, timeout, what, proc=None):
    """Wait for predicate() to be true, at most timeout seconds.

    With proc, the wait happens in proc.wait, so an exiting server ends it
    at once; otherwise the wait blocks on nothing for a few milliseconds.
    """
    deadline = time.monotonic() + timeout
    step = 0.002
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.0f s waiting for %s"
                                 % (timeout, what))
        step = min(step * 2, 0.05)
        if proc is not None:
            try:
                proc.wait(timeout=step)
            except subprocess.TimeoutExpired:
                pass
        else:
            threading.Event().wait(step)


class Server:
    """One ecrd process, or a server somebody else runs (external=True)."""

    def __init__(self, *extra, data_dir=None, external=None, env=None,
                 preexec_fn=None):
        self.extra = [str(a) for a in extra]
        self.data_dir = data_dir
        self.external = external
        self.env = env
        self.preexec_fn = preexec_fn    # e.g. lower a resource limit
        self.proc = None
        self.host = self.port = None
        self.returncode = None
        self.workdir = None
        self.port_file = None
        self.stderr_path = None

    # -- lifecycle --------------------------------------------------------

    def argv(self, port_file):
        argv = [ecrd_bin(), "--listen", "127.0.0.1:0",
                "--port-file", port_file]
        if self.data_dir is None:
            argv.append("--ephemeral")
        else:
            argv += ["--data-dir", self.data_dir]
        return argv + self.extra

    def start(self):
        """Spawn and wait until the port file names the address."""
        if self.external:
            self.host, self.port = split_hostport(
                self.external.split("://", 1)[-1].rstrip("/"))
            return self
        self.spawn()
        return self.wait_ready()

    def spawn(self):
        """Start the process without waiting for it to listen."""
        if not have_binary():
            raise AssertionError("no ecrd binary at %s (build it, or set "
                                 "ECRD_BIN or ECRD_TEST_ENDPOINT)"
                                 % ecrd_bin())
        self.workdir = tempfile.mkdtemp(prefix="e2e-ecrd-")
        self.port_file = os.path.join(self.workdir, "port")
        self.stderr_path = os.path.join(self.workdir, "stderr")
        env = dict(os.environ)
        env.update(self.env or {})
        # --ephemeral makes its store under TMPDIR: in workdir, cleanup
        # removes it even when ecrd was killed and could not.
        env["TMPDIR"] = self.workdir
        with open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(
                self.argv(self.port_file), stdin=subprocess.DEVNULL,
                stdout=err, stderr=err, env=env, preexec_fn=self.preexec_fn)
        return self

    def wait_ready(self):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(
                    "ecrd exited with %s before listening:\n%s"
                    % (self.proc.returncode, self.stderr()))
            try:
                with open(self.port_file) as f:
                    text = f.read()
            except FileNotFoundError:
                return None
            return text if text.endswith("\n") else None

        try:
            text = poll(ready, START_TIMEOUT_S, "ecrd's port file",
                        self.proc)
        except BaseException:
            self.kill()
            raise
        self.host, self.port = split_hostport(text.strip())
        return self

    def stop(self, sig=signal.SIGTERM):
        """Stop by PID; raise AssertionError on a bad exit or a report."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            self.returncode = self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("ecrd (pid %d) did not exit within %.0f s "
                                 "of signal %d:\n%s" % (
                                     self.proc.pid, STOP_TIMEOUT_S, sig,
                                     self.stderr()))
        self.check_exit()

    def wait_exit(self, timeout=START_TIMEOUT_S):
        """For a server expected to fail on its own: its exit status."""
        poll(lambda: self.proc.poll() is not None, timeout,
             "ecrd to exit", self.proc)
        self.returncode = self.proc.returncode
        return self.returncode

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def check_exit(self):
        text = self.stderr()
        reports = [m for m in SANITIZER_MARKERS if m in text]
        if reports:
            raise AssertionError("ecrd printed a sanitizer report (%s):\n%s"
                                 % (", ".join(reports), text[-20000:]))
        if self.returncode != 0:
            raise AssertionError("ecrd exited with status %s:\n%s"
                                 % (self.returncode, text[-20000:]))

    def cleanup(self):
        self.kill()
        if self.workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    # -- facts ------------------------------------------------------------

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    @property
    def endpoint(self):
        return "http://%s:%d" % (self.host, self.port)

    @property
    def hostport(self):
        return "%s:%d" % (self.host, self.port)

    def stderr(self):
        if not self.stderr_path:
            return ""
        with open(self.stderr_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def is_running(self):
        return self.proc is not None and self.proc.poll() is None


def split_hostport(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


# --------------------------------------------------------------------------
# Raw HTTP.

class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers          # list of (name, value)
        self.body = body

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<%d %s %r>" % (self.status, self.reason, self.body[:300])


def http_request(host, port, method, path, body=b"", headers=None,
                 timeout=HTTP_TIMEOUT_S):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, resp.reason, resp.getheaders(), data)
    finally:
        conn.close()


def read_response(f):
    """Read one HTTP/1.1 response from a buffered socket file."""
    line = f.readline()
    if not line:
        raise EOFError("connection closed before a response")
    version, status, reason = (line.decode("latin-1").rstrip("\r\n")
                               .split(" ", 2) + [""])[:3]
    headers = []
    while True:
        h = f.readline()
        if h in (b"\r\n", b"\n", b""):
            break
        k, _, v = h.decode("latin-1").partition(":")
        headers.append((k.strip(), v.strip()))
    resp = Response(int(status), reason, headers, b"")
    length = resp.header("Content-Length")
    if int(status) >= 200 and length is not None:
        resp.body = f.read(int(length))
    return resp


def sign_headers(endpoint, op, body, key, secret, region=REGION,
                 token=None, at=None, service="ecr"):
    """SigV4 headers botocore would send for op; at fakes the clock."""
    req = botocore.awsrequest.AWSRequest(
        method="POST", url=endpoint + "/", data=body,
        headers={"Content-Type": JSON_11,
                 "X-Amz-Target": TARGET_PREFIX + op})
    signer = botocore.auth.SigV4Auth(
        botocore.credentials.Credentials(key, secret, token), service,
        region)
    if at is None:
        signer.add_auth(req)
    else:
        naive = at.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        with mock.patch("botocore.auth.get_current_datetime",
                        return_value=naive):
            signer.add_auth(req)
    return dict(req.headers.items())


# --------------------------------------------------------------------------
# boto3.

_session = botocore.session.Session()
_boto_config = botocore.config.Config(
    retries={"max_attempts": 1, "mode": "standard"},
    connect_timeout=HTTP_TIMEOUT_S, read_timeout=HTTP_TIMEOUT_S)


def ecr_client(endpoint, key=DEFAULT_KEY, secret=DEFAULT_SECRET,
               region=REGION, token=None):
    return boto3.session.Session(botocore_session=_session).client(
        "ecr", endpoint_url=endpoint, region_name=region,
        aws_access_key_id=key, aws_secret_access_key=secret,
        aws_session_token=token, config=_boto_config)


# --------------------------------------------------------------------------
# The aws CLI.

_cli_cache = {}


def _cli_candidates():
    seen = []
    for d in os.environ.get("PATH", "").split(os.pathsep):
        p = os.path.join(d, "aws")
        if os.path.isfile(p) and os.access(p, os.X_OK):
            seen.append(p)
    for p in ("/usr/bin/aws", "/usr/local/bin/aws"):
        if os.path.isfile(p) and os.access(p, os.X_OK):
            seen.append(p)
    out = []
    for p in seen:
        if os.path.realpath(p) not in [os.path.realpath(q) for q in out]:
            out.append(p)
    return out


def find_cli(major):
    """Path of an aws CLI of this major version, or None.

    ECRD_AWS_CLI_V1 / ECRD_AWS_CLI_V2 name one explicitly.
    """
    if major in _cli_cache:
        return _cli_cache[major]
    explicit = os.environ.get("ECRD_AWS_CLI_V%d" % major)
    found = None
    for path in ([explicit] if explicit else _cli_candidates()):
        try:
            out = subprocess.run([path, "--version"], capture_output=True,
                                 text=True, timeout=CLI_TIMEOUT_S)
        except (OSError, subprocess.TimeoutExpired):
            continue
        m = re.search(r"aws-cli/(\d+)\.", out.stdout + out.stderr)
        if m and int(m.group(1)) == major:
            found = path
            break
    _cli_cache[major] = found
    return found


class CliResult:
    ERROR_RE = re.compile(r"An error occurred \((\w+)\) when calling the "
                          r"(\w+) operation(?: \([^)]*\))?: (.*)", re.S)

    def __init__(self, argv, proc):
        self.argv = argv
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        m = self.ERROR_RE.search(self.stderr)
        self.error_code = m.group(1) if m else None
        self.error_op = m.group(2) if m else None
        self.error_message = m.group(3).strip() if m else None

    def json(self):
        return json.loads(self.stdout)

    def __repr__(self):
        return "aws %s -> rc %s\nstdout: %s\nstderr: %s" % (
            " ".join(self.argv[1:]), self.rc, self.stdout[-2000:],
            self.stderr[-2000:])


def run_cli(path, endpoint, *args, key=DEFAULT_KEY, secret=DEFAULT_SECRET,
            region=REGION, token=None, with_endpoint=True):
    env = dict(os.environ)
    env.update({"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_DEFAULT_REGION": region})
    if token:
        env["AWS_SESSION_TOKEN"] = token
    argv = [path] + list(args) + ["--output", "json"]
    if with_endpoint:
        argv += ["--endpoint-url", endpoint]
    proc = subprocess.run(argv, capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=CLI_TIMEOUT_S)
    return CliResult(argv, proc)


# --------------------------------------------------------------------------
# Test cases.

def needs_binary():
    """For tests that start ecrd processes of their own."""
    if not have_binary():
        if external_endpoint():
            raise unittest.SkipTest("needs its own ecrd processes; no "
                                    "binary at %s" % ecrd_bin())
        raise AssertionError("no ecrd binary at %s" % ecrd_bin())


def start_server(*extra, data_dir=None):
    """A server for a test class: the external one when it will do."""
    ext = external_endpoint()
    if ext and not extra and data_dir is None:
        return Server(external=ext).start()
    if ext and not have_binary():
        raise unittest.SkipTest("needs its own ecrd with %s, and there is "
                                "no binary at %s" % (extra, ecrd_bin()))
    return Server(*extra, data_dir=data_dir).start()


class EcrdTestCase(unittest.TestCase):
    """Runs one ecrd for the whole class (unique names keep tests apart).

    principals: strict mode with these credentials entries (written to a
    credentials file of the class's own); durable: a --data-dir of the
    class's own (cls.data_dir) rather than --ephemeral.
    """

    server_args = ()
    principals = None
    durable = False
    maxDiff = None

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._clients = {}
        cls.class_dir = tempfile.mkdtemp(prefix="e2e-class-")
        args, cls.data_dir = tuple(cls.server_args), None
        try:
            if cls.principals is not None:
                path = os.path.join(cls.class_dir, "credentials.json")
                with open(path, "w") as f:
                    json.dump({"principals": cls.principals}, f)
                args += ("--credentials", path)
            if cls.durable:
                cls.data_dir = os.path.join(cls.class_dir, "data")
            cls.server = start_server(*args, data_dir=cls.data_dir)
        except BaseException:
            # tearDownClass does not run when setUpClass fails or skips.
            shutil.rmtree(cls.class_dir, ignore_errors=True)
            raise
        # A subclass's setUpClass that fails after this one started the
        # server skips tearDownClass, but class cleanups still run: the
        # server never outlives its class.
        cls.addClassCleanup(cls._stop_class_server)

    @classmethod
    def _stop_class_server(cls):
        server, cls.server = getattr(cls, "server", None), None
        try:
            if server is not None:
                try:
                    server.stop()
                finally:
                    server.cleanup()
        finally:
            shutil.rmtree(cls.class_dir, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        try:
            cls._stop_class_server()
        finally:
            super().tearDownClass()

    # -- clients ----------------------------------------------------------

    def ecr(self, key=DEFAULT_KEY, region=REGION, secret=DEFAULT_SECRET,
            token=None, server=None):
        server = server or self.server
        k = (server.endpoint, key, region, secret, token)
        if k not in self._clients:
            self._clients[k] = ecr_client(server.endpoint, key, secret,
                                          region, token)
        return self._clients[k]

    def http(self, method, path, body=b"", headers=None, server=None):
        server = server or self.server
        return http_request(server.host, server.port, method, path, body,
                            headers)

    def api(self, op, payload=None, body=None, headers=None, server=None,
            target=None, key=None, region=REGION):
        """POST / with X-Amz-Target; payload is JSON-encoded unless body.

        Unsigned (the default account and region) unless key is given.
        """
        server = server or self.server
        if body is None:
            body = b"{}" if payload is None else json.dumps(
                payload).encode()
        if key is not None:
            h = sign_headers(server.endpoint, op, body, key, DEFAULT_SECRET,
                             region)
        else:
            h = {"Content-Type": JSON_11}
        h["X-Amz-Target"] = target or TARGET_PREFIX + op
        h.update(headers or {})
        return self.http("POST", "/", body, h, server)

    def cli(self, major, *args, **kw):
        path = find_cli(major)
        if path is None:
            self.skipTest("aws CLI v%d is not installed" % major)
        kw.setdefault("server", None)
        server = kw.pop("server") or self.server
        return run_cli(path, server.endpoint, *args, **kw)

    # -- assertions -------------------------------------------------------

    def assertHealthy(self, server=None):
        r = self.http("GET", "/health", server=server)
        self.assertEqual(r.status, 200, r)
        body = r.json()
        self.assertEqual(body["service"], "ecrd")
        self.assertEqual(body["status"], "running")
        self.assertIn("version", body)

    def assertAwsError(self, resp, status, error_type, message=None,
                       message_contains=(), request_id=True):
        self.assertEqual(resp.status, status, resp)
        if request_id:
            self.assertTrue(resp.header("x-amzn-RequestId"),
                            "no x-amzn-RequestId: %r" % (resp.headers,))
        self.assertEqual(resp.header("x-amzn-ErrorType"), error_type, resp)
        body = resp.json()
        self.assertEqual(body.get("__type"), error_type, resp)
        if message is not None:
            self.assertEqual(body.get("message"), message)
        if isinstance(message_contains, str):
            message_contains = (message_contains,)
        for part in message_contains:
            self.assertIn(part, body.get("message", ""))
        return body

    def assertOk(self, resp):
        self.assertEqual(resp.status, 200, resp)
        self.assertTrue(resp.header("x-amzn-RequestId"))
        self.assertIsNone(resp.header("x-amzn-ErrorType"))
        return resp.json()

    def assertClientError(self, cm_or_exc, code, message=None,
                          message_contains=(), status=400):
        exc = getattr(cm_or_exc, "exception", cm_or_exc)
        self.assertIsInstance(exc, botocore.exceptions.ClientError)
        err = exc.response["Error"]
        meta = exc.response["ResponseMetadata"]
        self.assertEqual(err["Code"], code, exc.response)
        self.assertEqual(meta["HTTPStatusCode"], status, exc.response)
        self.assertTrue(meta.get("RequestId"), exc.response)
        if message is not None:
            self.assertEqual(err["Message"], message)
        if isinstance(message_contains, str):
            message_contains = (message_contains,)
        for part in message_contains:
            self.assertIn(part, err["Message"])
        return err

    def assertCliOk(self, res):
        self.assertEqual(res.rc, 0, res)
        return res.json() if res.stdout.strip() else None

    def assertCliError(self, res, code, message=None, message_contains=()):
        self.assertNotEqual(res.rc, 0, res)
        self.assertEqual(res.error_code, code, res)
        if message is not None:
            self.assertEqual(res.error_message, message, res)
        if isinstance(message_contains, str):
            message_contains = (message_contains,)
        for part in message_contains:
            self.assertIn(part, res.error_message, res)


class OwnServersTestCase(EcrdTestCase):
    """No shared server: each test starts its own (start), each with a
    data directory under self.tmp if it likes; all are stopped after."""

    tmp_prefix = "e2e-own-"

    @classmethod
    def setUpClass(cls):
        needs_binary()
        cls._clients = {}
        cls.server = None

    @classmethod
    def tearDownClass(cls):
        pass

    def setUp(self):
        self.servers = []
        self.tmp = tempfile.mkdtemp(prefix=self.tmp_prefix)
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def tearDown(self):
        # Anything a test left running is stopped and checked here.
        for s in self.servers:
            try:
                if s.is_running():
                    s.stop()
            finally:
                s.cleanup()

    def start(self, *extra, data_dir=None, preexec_fn=None):
        s = Server(*extra, data_dir=data_dir, preexec_fn=preexec_fn)
        self.servers.append(s)
        return s.start()

# --------------------------------------------------------------------------
# Images and layers (issue 3): real blobs, manifests, the layer upload API
# and presigned-style download URLs. Everything here is deterministic: the
# same seed always gives the same bytes, so digests are stable across runs.

MEDIA_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
MEDIA_DOCKER_LIST = ("application/vnd.docker.distribution.manifest.list."
                     "v2+json")
MEDIA_DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json"
MEDIA_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
MEDIA_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
MEDIA_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MEDIA_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MEDIA_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MEDIA_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
MEDIA_OCI_EMPTY = "application/vnd.oci.empty.v1+json"
LAYER_PART_SIZE = 10485760          # InitiateLayerUpload's partSize
MIN_LAYER_PART = 5 * 1024 * 1024    # every part but the last (5 MiB)
FIXED_TIME = "2024-01-01T00:00:00Z"

import gzip                 # noqa: E402  (kept with the helpers below)
import hashlib              # noqa: E402
import io                   # noqa: E402
import tarfile              # noqa: E402
import urllib.parse         # noqa: E402


def sha256_digest(data):
    """"sha256:<hex>" of bytes: an image or blob digest."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def seeded_bytes(seed, n):
    """n random-looking bytes that depend only on seed."""
    return random.Random(seed).randbytes(n)


def tar_layer(files):
    """A real, deterministic tar.gz layer of {path: bytes}.

    Returns (gzipped bytes, diff_id): the diff_id is the digest of the
    uncompressed tar, as an image config's rootfs lists it.
    """
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.USTAR_FORMAT) \
            as tar:
        for path in sorted(files):
            data = files[path]
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mtime = 0
            info.mode = 0o644
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, compresslevel=6, mtime=0), \
        sha256_digest(tar_bytes)


def manifest_json(obj):
    """Manifest bytes as docker writes them: indented, trailing newline.

    The newline stays on purpose: an image digest covers the exact bytes.
    """
    return (json.dumps(obj, indent=3) + "\n").encode("utf-8")


def descriptor(media_type, data, **extra):
    d = {"mediaType": media_type, "size": len(data),
         "digest": sha256_digest(data)}
    d.update(extra)
    return d


class BuiltImage:
    """A manifest and the blobs it names, ready to push and to compare."""

    def __init__(self, manifest, media_type, blobs=None, config=None,
                 layers=(), children=(), platform=None, size=None):
        self.manifest = manifest            # bytes, exactly as pushed
        self.media_type = media_type
        self.digest = sha256_digest(manifest)
        self.blobs = dict(blobs or {})      # digest -> bytes
        self.config = config                # descriptor or None
        self.layers = list(layers)          # descriptors
        self.children = list(children)      # BuiltImage
        self.platform = platform            # (os, arch) or None
        if size is None:
            if children:
                size = max(c.size for c in children)
            else:
                size = sum(l["size"] for l in self.layers) + (
                    config["size"] if config else 0)
        self.size = size                    # ECR's imageSizeInBytes

    @property
    def text(self):
        return self.manifest.decode("utf-8")

    def descriptor(self, **extra):
        return descriptor(self.media_type, self.manifest, **extra)


def build_image(seed, oci=False, arch="amd64", n_layers=3, big_layer=0,
                annotations=None, extra_files=None):
    """A real image: n_layers tar.gz layers, a config, a manifest.

    big_layer > 0 adds a last layer holding that many seeded random bytes
    (incompressible, so the blob is bigger than big_layer).
    """
    layer_type = MEDIA_OCI_LAYER if oci else MEDIA_DOCKER_LAYER
    blobs, layers, diff_ids, history = {}, [], [], []
    for i in range(n_layers):
        files = {"e2e/%s/layer-%d.txt" % (seed, i):
                 ("layer %d of image %s\n" % (i, seed)).encode() * (i + 1),
                 "e2e/%s/bin-%d" % (seed, i):
                 seeded_bytes("%s/%d" % (seed, i), 512 + 97 * i)}
        if i == 0 and extra_files:
            files.update(extra_files)
        gz, diff_id = tar_layer(files)
        blobs[sha256_digest(gz)] = gz
        layers.append(descriptor(layer_type, gz))
        diff_ids.append(diff_id)
        history.append({"created": FIXED_TIME,
                        "created_by": "e2e %s layer %d" % (seed, i)})
    if big_layer:
        gz, diff_id = tar_layer({"e2e/%s/big.bin" % seed:
                                 seeded_bytes("%s/big" % seed, big_layer)})
        blobs[sha256_digest(gz)] = gz
        layers.append(descriptor(layer_type, gz))
        diff_ids.append(diff_id)
        history.append({"created": FIXED_TIME,
                        "created_by": "e2e %s big layer" % seed})
    config_obj = {"architecture": arch, "os": "linux", "created": FIXED_TIME,
                  "config": {"Env": ["PATH=/usr/bin:/bin"],
                             "Cmd": ["/bin/sh"],
                             "Labels": {"e2e.seed": str(seed)}},
                  "rootfs": {"type": "layers", "diff_ids": diff_ids},
                  "history": history}
    if arch == "arm64":
        config_obj["variant"] = "v8"
    config_bytes = json.dumps(config_obj, sort_keys=True,
                              separators=(",", ":")).encode()
    blobs[sha256_digest(config_bytes)] = config_bytes
    config = descriptor(MEDIA_OCI_CONFIG if oci else MEDIA_DOCKER_CONFIG,
                        config_bytes)
    media_type = MEDIA_OCI_MANIFEST if oci else MEDIA_DOCKER_MANIFEST
    obj = {"schemaVersion": 2, "mediaType": media_type, "config": config,
           "layers": layers}
    if annotations:
        obj["annotations"] = annotations
    return BuiltImage(manifest_json(obj), media_type, blobs, config, layers,
                      platform=("linux", arch))


def build_index(children, oci=False, annotations=None):
    """A Docker manifest list (or OCI index) of already built images."""
    media_type = MEDIA_OCI_INDEX if oci else MEDIA_DOCKER_LIST
    manifests = []
    for c in children:
        os_name, arch = c.platform
        platform = {"architecture": arch, "os": os_name}
        if arch == "arm64":
            platform["variant"] = "v8"
        manifests.append(c.descriptor(platform=platform))
    obj = {"schemaVersion": 2, "mediaType": media_type,
           "manifests": manifests}
    if annotations:
        obj["annotations"] = annotations
    return BuiltImage(manifest_json(obj), media_type, children=children)


def build_referrer(subject, artifact_type, payload, payload_type,
                   annotations=None):
    """An OCI 1.1 artifact whose subject is another image (a referrer)."""
    empty = b"{}"
    config = descriptor(MEDIA_OCI_EMPTY, empty)
    layers = [descriptor(payload_type, payload)]
    obj = {"schemaVersion": 2, "mediaType": MEDIA_OCI_MANIFEST,
           "artifactType": artifact_type, "config": config,
           "layers": layers, "subject": subject.descriptor()}
    if annotations:
        obj["annotations"] = annotations
    return BuiltImage(manifest_json(obj), MEDIA_OCI_MANIFEST,
                      {sha256_digest(empty): empty,
                       sha256_digest(payload): payload},
                      config, layers)


def upload_layer(client, repo, data, part_sizes=None, registry_id=None):
    """One blob through InitiateLayerUpload / UploadLayerPart* /
    CompleteLayerUpload. part_sizes splits it (the rest is a last part).
    Returns CompleteLayerUpload's layerDigest.
    """
    reg = {"registryId": registry_id} if registry_id else {}
    upload_id = client.initiate_layer_upload(
        repositoryName=repo, **reg)["uploadId"]
    sizes = list(part_sizes or [])
    if sum(sizes) < len(data):
        sizes.append(len(data) - sum(sizes))
    pos = 0
    for n in sizes:
        client.upload_layer_part(
            repositoryName=repo, uploadId=upload_id, partFirstByte=pos,
            partLastByte=pos + n - 1, layerPartBlob=data[pos:pos + n],
            **reg)
        pos += n
    return client.complete_layer_upload(
        repositoryName=repo, uploadId=upload_id,
        layerDigests=[sha256_digest(data)], **reg)["layerDigest"]


def push_blobs(client, repo, blobs, part_sizes=None):
    """Upload blobs ({digest: bytes}); one already in repo is fine."""
    for data in blobs.values():
        try:
            upload_layer(client, repo, data,
                         part_sizes if len(data) > MIN_LAYER_PART else None)
        except botocore.exceptions.ClientError as e:
            if e.response["Error"]["Code"] != "LayerAlreadyExistsException":
                raise


def push_image(client, repo, image, tag=None, blobs=True, media_type=None,
               digest=None, children=True):
    """PutImage for a BuiltImage (its blobs and children first).

    Children of an index are pushed by digest, without tags. Returns the
    PutImage response's image.
    """
    if children:
        for child in image.children:
            try:
                push_image(client, repo, child, blobs=blobs)
            except botocore.exceptions.ClientError as e:
                if e.response["Error"]["Code"] != \
                        "ImageAlreadyExistsException":
                    raise
    if blobs:
        push_blobs(client, repo, image.blobs, [MIN_LAYER_PART])
    kw = {"repositoryName": repo, "imageManifest": image.text}
    if tag is not None:
        kw["imageTag"] = tag
    if media_type is not None:
        kw["imageManifestMediaType"] = media_type
    if digest is not None:
        kw["imageDigest"] = digest
    return client.put_image(**kw)["image"]


def fetch_url(url, headers=None, method="GET", timeout=HTTP_TIMEOUT_S):
    """An absolute http URL fetched bare: only Host, plus headers.

    No Authorization, no redirects followed: what curl or the ECR proxy do
    with a presigned download URL.
    """
    u = urllib.parse.urlsplit(url)
    if u.scheme != "http":
        raise AssertionError("not an http URL: %r" % url)
    path = (u.path or "/") + ("?" + u.query if u.query else "")
    conn = http.client.HTTPConnection(u.hostname, u.port or 80,
                                      timeout=timeout)
    try:
        conn.request(method, path, headers=headers or {})
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, resp.reason, resp.getheaders(), data)
    finally:
        conn.close()


# --------------------------------------------------------------------------
# The registry API (issue 4): Basic credentials, passwords from
# GetAuthorizationToken or minted with any expiry, and raw requests whose
# every header (repeated ones too) and body shape the caller chooses.

REGISTRY_API_VERSION = "registry/2.0"


def basic_auth(user, password):
    """An Authorization value: "Basic base64(user:password)"."""
    raw = ("%s:%s" % (user, password)).encode("utf-8")
    return "Basic " + base64.b64encode(raw).decode("ascii")


def registry_password(client):
    """The registry password GetAuthorizationToken gives this client."""
    data = client.get_authorization_token()["authorizationData"][0]
    user, password = decode_token(data["authorizationToken"])
    if user != "AWS" or not password:
        raise AssertionError("unexpected token user %r" % user)
    return password


def mint_registry_password(server, expires_in_seconds, account=None,
                           region=None):
    """POST /_ecrd/token: (password, expiresAt) for any expiry, negative
    for one already expired; account and region name the registry."""
    query = {"expires_in_seconds": str(int(expires_in_seconds))}
    if account is not None:
        query["account"] = account
    if region is not None:
        query["region"] = region
    r = http_request(server.host, server.port, "POST", "/_ecrd/token?"
                     + urllib.parse.urlencode(query))
    if r.status != 200:
        raise AssertionError("POST /_ecrd/token failed: %r" % r)
    body = r.json()
    return body["password"], body["expiresAt"]


def registry_request(host, port, method, path, body=b"", headers=(),
                     chunks=None, timeout=HTTP_TIMEOUT_S):
    """One request on a fresh connection; headers is a list of (name,
    value) pairs (a name may repeat, as Go clients repeat Accept) or a
    dict. With chunks (an iterable of bytes), the body goes out with
    Transfer-Encoding: chunked, one chunk per item; otherwise body with a
    Content-Length (none for an empty GET, HEAD or DELETE). A server that
    answers before the whole body is sent is fine: its answer is read.
    """
    if isinstance(headers, dict):
        headers = list(headers.items())
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        names = {k.lower() for k, _ in headers}
        for k, v in headers:
            conn.putheader(k, v)
        if chunks is not None:
            conn.putheader("Transfer-Encoding", "chunked")
        elif "content-length" not in names and (
                body or method not in ("GET", "HEAD", "DELETE")):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders()
        try:
            if chunks is not None:
                for c in chunks:
                    if c:
                        conn.send(b"%x\r\n" % len(c) + c + b"\r\n")
                conn.send(b"0\r\n\r\n")
            elif body:
                conn.send(body)
        except (BrokenPipeError, ConnectionResetError):
            pass            # answered early; the answer is still there
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, resp.reason, resp.getheaders(), data)
    finally:
        conn.close()
