"""The HTTP event sinks (issue 17, docs/observability.md "Event sinks").

--events-webhook: a receiver in this process (http.server on loopback)
gets each event of a push and a delete, exactly the envelope the events
file has, in order; a receiver that fails the first tries (a 500, then a
closed connection) sees the retries and then the event; a receiver that
holds every request shows the queue bound (the oldest queued events are
dropped, the newest kept); SIGTERM drains what it can, within a bound.

--eventbridge-endpoint: a stand-in for EventBridge checks each request's
SigV4 signature by signing it again with botocore (service events, the
event's region) and the PutEvents body (Source, DetailType, Detail as a
JSON string, Resources, Time, EventBusName); entries it fails once are
sent again, and only those.
"""

import datetime
import http.server
import json
import os
import signal
import threading
import unittest
from unittest import mock

import botocore.auth
import botocore.awsrequest
import botocore.credentials

from harness import (DEFAULT_ACCOUNT, OTHER_REGION, REGION, EcrdTestCase,
                     build_image, ecr_client, poll, push_image,
                     start_server, unique_name)

WAIT_S = 60.0
EB_KEY = "AKIDEVENTSE2E0000001"
EB_SECRET = "events-e2e-secret"
EB_ARN = "arn:aws:iam::%s:user/events" % DEFAULT_ACCOUNT


class Receiver(http.server.ThreadingHTTPServer):
    """Records each POST; mode decides the answer.

    ok: 200. flaky: per event id, the first try gets a 500, the second a
    closed connection, the third a 200. hold: every request waits for
    release (bounded), then 200. eventbridge: see EventBridgeHandler.
    """

    daemon_threads = True

    def __init__(self, mode="ok", handler=None):
        self.mode = mode
        self.lock = threading.Lock()
        self.requests = []   # (path, headers, body bytes), as received
        self.accepted = []   # envelopes answered 200, in order
        self.tries = {}      # event id -> tries
        self.release = threading.Event()
        super().__init__(("127.0.0.1", 0), handler or WebhookHandler)
        self.thread = threading.Thread(target=self.serve_forever,
                                       daemon=True)
        self.thread.start()

    @property
    def url(self):
        return "http://127.0.0.1:%d/hook/path" % self.server_address[1]

    def close(self):
        self.release.set()
        self.shutdown()
        self.server_close()

    def accepted_copy(self):
        with self.lock:
            return list(self.accepted)


class WebhookHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status):
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        srv = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        envelope = json.loads(body)
        with srv.lock:
            srv.requests.append((self.path, dict(self.headers), body))
            tries = srv.tries.get(envelope["id"], 0) + 1
            srv.tries[envelope["id"]] = tries
        if srv.mode == "hold":
            srv.release.wait(WAIT_S)
        if srv.mode == "flaky" and tries == 1:
            self.answer(500)
            return
        if srv.mode == "flaky" and tries == 2:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        with srv.lock:
            srv.accepted.append(envelope)
        self.answer(200)


def events_of(path, repo):
    """The events file's envelopes about repo, in order."""
    with open(path) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    return [e for e in lines if e["detail"].get("repository-name") == repo]


def about(envelopes, repo):
    return [e for e in envelopes
            if e["detail"].get("repository-name") == repo]


class SinkCase(EcrdTestCase):
    """Starts the receivers before the class's server, which names them."""

    receivers = ()

    @classmethod
    def sink_args(cls):
        return ()

    @classmethod
    def setUpClass(cls):
        cls.started = []
        try:
            for name, mode, handler in cls.receivers:
                r = Receiver(mode, handler)
                cls.started.append(r)
                setattr(cls, name, r)
            cls.events_dir = os.path.join(
                os.environ.get("TMPDIR", "/tmp"), unique_name("events"))
            os.mkdir(cls.events_dir)
            cls.events_file = os.path.join(cls.events_dir, "events.jsonl")
            cls.server_args = ("--events-file", cls.events_file) + tuple(
                cls.sink_args())
            super().setUpClass()
        except BaseException:
            cls.close_receivers()
            raise

    @classmethod
    def close_receivers(cls):
        for r in cls.started:
            r.close()
        if os.path.isdir(getattr(cls, "events_dir", "")):
            for name in os.listdir(cls.events_dir):
                os.unlink(os.path.join(cls.events_dir, name))
            os.rmdir(cls.events_dir)

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.close_receivers()

    def push(self, repo, seed, tag, client=None):
        client = client or self.ecr()
        return push_image(client, repo, build_image(seed), tag=tag)

    def push_and_delete(self, client=None):
        """A repository with a push and a delete: its 2 file events."""
        client = client or self.ecr()
        repo = unique_name("sink")
        client.create_repository(repositoryName=repo)
        img = self.push(repo, repo, "v1", client)
        client.batch_delete_image(repositoryName=repo,
                                  imageIds=[{"imageTag": "v1"}])
        events = poll(lambda: (lambda e: e if len(e) >= 2 else None)(
            events_of(self.events_file, repo)), WAIT_S, "2 events in file")
        self.assertEqual([e["detail"]["action-type"] for e in events],
                         ["PUSH", "DELETE"])
        self.assertEqual(events[0]["detail"]["image-digest"],
                         img["imageId"]["imageDigest"])
        return repo, events


class WebhookTest(SinkCase):
    receivers = (("hook", "ok", None), ("hook2", "ok", None))

    @classmethod
    def sink_args(cls):
        return ("--events-webhook", cls.hook.url,
                "--events-webhook", cls.hook2.url)

    def test_each_event_arrives_with_the_exact_envelope(self):
        repo, events = self.push_and_delete()
        for r in (self.hook, self.hook2):
            got = poll(lambda: (lambda e: e if len(e) >= 2 else None)(
                about(r.accepted_copy(), repo)), WAIT_S, "2 webhook events")
            self.assertEqual(got, events)
        e = events[0]
        self.assertEqual(e["version"], "0")
        self.assertEqual(e["source"], "aws.ecr")
        self.assertEqual(e["detail-type"], "ECR Image Action")
        self.assertEqual(e["account"], DEFAULT_ACCOUNT)
        self.assertEqual(e["region"], REGION)
        self.assertEqual(e["resources"], [])
        self.assertEqual(e["detail"]["result"], "SUCCESS")
        self.assertEqual(e["detail"]["image-tag"], "v1")
        with self.hook.lock:
            sent = [(p, h, json.loads(b)) for p, h, b in self.hook.requests]
        for path, headers, envelope in sent:
            self.assertEqual(path, "/hook/path")
            self.assertEqual(headers["Content-Type"], "application/json")
        # One event per request, each exactly once here (no failures).
        ids = [env["id"] for _, _, env in sent
               if env["detail"].get("repository-name") == repo]
        self.assertEqual(ids, [e["id"] for e in events])

    def test_events_arrive_in_commit_order(self):
        client = self.ecr()
        repo = unique_name("order")
        client.create_repository(repositoryName=repo)
        for i in range(5):
            self.push(repo, "%s-%d" % (repo, i), "t%d" % i, client)
        events = poll(lambda: (lambda e: e if len(e) >= 5 else None)(
            events_of(self.events_file, repo)), WAIT_S, "5 file events")
        got = poll(lambda: (lambda e: e if len(e) >= 5 else None)(
            about(self.hook.accepted_copy(), repo)), WAIT_S, "5 webhooks")
        self.assertEqual([e["detail"]["image-tag"] for e in got],
                         ["t%d" % i for i in range(5)])
        self.assertEqual(got, events)


class RetryTest(SinkCase):
    receivers = (("hook", "flaky", None),)

    @classmethod
    def sink_args(cls):
        return ("--events-webhook", cls.hook.url)

    def test_failed_tries_are_retried_in_order(self):
        repo, events = self.push_and_delete()
        got = poll(lambda: (lambda e: e if len(e) >= 2 else None)(
            about(self.hook.accepted_copy(), repo)), WAIT_S,
            "2 events after retries")
        self.assertEqual(got, events)
        with self.hook.lock:
            for e in events:
                # A 500, a closed connection, then the 200.
                self.assertEqual(self.hook.tries[e["id"]], 3)
            order = [json.loads(b)["id"] for _, _, b in self.hook.requests
                     if json.loads(b)["detail"].get("repository-name")
                     == repo]
        # The second event waits for the first: never overtakes it.
        first, second = events[0]["id"], events[1]["id"]
        self.assertEqual(order, [first] * 3 + [second] * 3)


class QueueBoundTest(SinkCase):
    """A receiver that answers nothing until released, a queue of 3."""

    receivers = (("hook", "hold", None),)

    @classmethod
    def sink_args(cls):
        return ("--events-webhook", cls.hook.url, "--events-queue-max", "3")

    def test_the_oldest_queued_events_are_dropped(self):
        client = self.ecr()
        repo = unique_name("bound")
        client.create_repository(repositoryName=repo)
        for i in range(8):
            self.push(repo, "%s-%d" % (repo, i), "t%d" % i, client)
        events = poll(lambda: (lambda e: e if len(e) >= 8 else None)(
            events_of(self.events_file, repo)), WAIT_S, "8 file events")
        # The first is in flight (held); of the 7 behind it, the queue
        # kept the newest 3 and dropped 4, saying so.
        poll(lambda: "the oldest dropped" in self.server.stderr(), WAIT_S,
             "the drop logged")
        self.hook.release.set()
        want = [events[0]] + events[5:]
        got = poll(lambda: (lambda e: e if len(e) >= 4 else None)(
            about(self.hook.accepted_copy(), repo)), WAIT_S, "4 webhooks")
        # A held try may time out and be retried: the same event again.
        distinct = []
        for e in got:
            if not distinct or distinct[-1]["id"] != e["id"]:
                distinct.append(e)
        self.assertEqual(distinct, want)
        self.assertFalse(any(e["id"] == x["id"] for e in got
                             for x in events[1:5]))


class DrainTest(unittest.TestCase):
    """SIGTERM: queued events still go out, within a bounded wait."""

    def start(self, mode):
        hook = Receiver(mode)
        self.addCleanup(hook.close)
        server = start_server("--events-webhook", hook.url)
        self.addCleanup(server.cleanup)
        return hook, server

    def test_sigterm_sends_what_is_queued(self):
        hook, server = self.start("flaky")
        client = server_client(server)
        repo = unique_name("drain")
        client.create_repository(repositoryName=repo)
        push_image(client, repo, build_image(repo), tag="v1")
        # The first try fails (500): the event waits for its retry.
        server.stop()
        got = about(hook.accepted_copy(), repo)
        self.assertEqual([e["detail"]["action-type"] for e in got], ["PUSH"])

    def test_sigterm_gives_up_on_a_silent_receiver(self):
        hook, server = self.start("hold")
        client = server_client(server)
        repo = unique_name("drain")
        client.create_repository(repositoryName=repo)
        for i in range(3):
            push_image(client, repo, build_image("%s-%d" % (repo, i)),
                       tag="t%d" % i)
        server.stop()   # within harness.STOP_TIMEOUT_S, exit status 0
        self.assertIn("not delivered at exit", server.stderr())
        self.assertEqual(hook.accepted_copy(), [])


def server_client(server):
    return ecr_client(server.endpoint)


class EventBridgeHandler(http.server.BaseHTTPRequestHandler):
    """PutEvents: checks the signature and the body; while the server's
    partial is set, fails each entry in an even position of a request the
    first time it comes (a partial failure)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        srv = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        problem = check_signature(self.headers, self.path, body)
        if problem is None:
            srv.regions.append(region_of(self.headers))
        req = json.loads(body)
        results, failed = [], 0
        with srv.lock:
            srv.requests.append((self.path, self.headers, body, problem))
            for i, entry in enumerate(req.get("Entries", [])):
                key = (entry["DetailType"], entry["Detail"])
                tries = srv.tries.get(key, 0) + 1
                srv.tries[key] = tries
                if (problem is None and srv.partial and tries == 1 and
                        i % 2 == 0):
                    failed += 1
                    results.append({"ErrorCode": "InternalFailure",
                                    "ErrorMessage": "try again"})
                elif problem is None:
                    results.append({"EventId": os.urandom(8).hex()})
                    srv.accepted.append(entry)
        if problem is not None:
            self.reply(400, {"__type": "InvalidSignatureException",
                             "message": problem})
            return
        self.reply(200, {"FailedEntryCount": failed, "Entries": results})


def region_of(h):
    return h.get("Authorization", "").split("Credential=", 1)[-1].split(
        "/")[2]


def check_signature(h, path, body):
    """None if botocore, signing the same request with the same key,
    writes the same Authorization; else what differs."""
    auth = h.get("Authorization", "")
    if h.get("X-Amz-Target") != "AWSEvents.PutEvents":
        return "X-Amz-Target %r" % h.get("X-Amz-Target")
    if h.get("Content-Type") != "application/x-amz-json-1.1":
        return "Content-Type %r" % h.get("Content-Type")
    try:
        cred = auth.split("Credential=", 1)[1].split(",", 1)[0]
        signed = auth.split("SignedHeaders=", 1)[1].split(",", 1)[0]
        _, day, region, service, _ = cred.split("/")
    except (IndexError, ValueError):
        return "Authorization %r" % auth
    if service != "events":
        return "service %r" % service
    names = signed.split(";")
    headers = {n: h[n] for n in names
               if n not in ("host", "x-amz-date", "x-amz-security-token")}
    req = botocore.awsrequest.AWSRequest(
        method="POST", url="http://%s%s" % (h["Host"], path),
        data=body, headers=headers)
    at = datetime.datetime.strptime(h["X-Amz-Date"], "%Y%m%dT%H%M%SZ")
    signer = botocore.auth.SigV4Auth(
        botocore.credentials.Credentials(EB_KEY, EB_SECRET), "events",
        region)
    with mock.patch("botocore.auth.get_current_datetime", return_value=at):
        signer.add_auth(req)
    if req.headers["Authorization"] != auth:
        return "signature: got %r, botocore %r" % (
            auth, req.headers["Authorization"])
    return None


def epoch(text):
    return int(datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
               .replace(tzinfo=datetime.timezone.utc).timestamp())


class EventBridgeTest(SinkCase):
    receivers = (("eb", "eventbridge", EventBridgeHandler),)

    @classmethod
    def sink_args(cls):
        cls.eb.regions = []
        cls.eb.partial = False
        path = os.path.join(cls.events_dir, "eb-credentials.json")
        with open(path, "w") as f:
            json.dump({"principals": [{"accessKeyId": EB_KEY,
                                       "secretAccessKey": EB_SECRET,
                                       "arn": EB_ARN}]}, f)
        return ("--eventbridge-endpoint",
                "http://127.0.0.1:%d/" % cls.eb.server_address[1],
                "--eventbridge-credentials", path)

    def entries_for(self, repo, n):
        def have():
            with self.eb.lock:
                got = [e for e in self.eb.accepted
                       if json.loads(e["Detail"]).get("repository-name")
                       == repo]
            return got if len(got) >= n else None
        return poll(have, WAIT_S, "%d PutEvents entries" % n)

    def assertEntriesMatch(self, entries, events):
        want = [{"Source": "aws.ecr", "DetailType": e["detail-type"],
                 "Detail": e["detail"], "Resources": e["resources"],
                 "Time": epoch(e["time"]), "EventBusName": "default"}
                for e in events]
        got = [dict(e, Detail=json.loads(e["Detail"])) for e in entries]
        self.assertEqual(got, want)
        for e in entries:
            self.assertIsInstance(e["Detail"], str)

    def test_putevents_is_signed_and_carries_each_event(self):
        repo, events = self.push_and_delete()
        entries = self.entries_for(repo, 2)
        self.assertEntriesMatch(entries, events)
        with self.eb.lock:
            problems = [p for _, _, _, p in self.eb.requests if p]
            paths = {p for p, _, _, _ in self.eb.requests}
            _, headers, body, _ = self.eb.requests[-1]
        self.assertEqual(problems, [])
        self.assertEqual(paths, {"/"})
        # The check can fail: another body, or another key, does not pass.
        self.assertIsNone(check_signature(headers, "/", body))
        self.assertIn("signature", check_signature(headers, "/",
                                                   body + b" "))
        with mock.patch(__name__ + ".EB_SECRET", "another-secret"):
            self.assertIn("signature", check_signature(headers, "/", body))
        self.assertIn(REGION, self.eb.regions)

    def test_the_events_region_signs(self):
        client = self.ecr(region=OTHER_REGION)
        repo, events = self.push_and_delete(client)
        self.assertEqual({e["region"] for e in events}, {OTHER_REGION})
        self.assertEntriesMatch(self.entries_for(repo, 2), events)
        self.assertIn(OTHER_REGION, self.eb.regions)

    def test_failed_entries_are_sent_again_and_only_those(self):
        client = self.ecr()
        repo = unique_name("partial")
        client.create_repository(repositoryName=repo)
        self.eb.partial = True
        try:
            for i in range(4):
                self.push(repo, "%s-%d" % (repo, i), "t%d" % i, client)
            entries = self.entries_for(repo, 4)
        finally:
            self.eb.partial = False
        events = poll(lambda: (lambda e: e if len(e) >= 4 else None)(
            events_of(self.events_file, repo)), WAIT_S, "4 file events")
        # A retried entry may come after a newer one: PutEvents' order.
        self.assertEqual(
            sorted(json.loads(e["Detail"])["image-tag"] for e in entries),
            ["t0", "t1", "t2", "t3"])
        with self.eb.lock:
            tries = {json.loads(k[1])["image-tag"]: n
                     for k, n in self.eb.tries.items()
                     if json.loads(k[1]).get("repository-name") == repo}
            sent = [json.loads(e["Detail"]).get("image-tag")
                    for _, _, b, _ in self.eb.requests
                    for e in json.loads(b)["Entries"]
                    if json.loads(e["Detail"]).get("repository-name")
                    == repo]
        # Every entry was tried at most twice, each failed one exactly
        # twice, and at least one failed (position 0 of some request).
        self.assertTrue(all(n in (1, 2) for n in tries.values()), tries)
        self.assertIn(2, tries.values())
        with self.eb.lock:
            self.assertEqual([p for _, _, _, p in self.eb.requests if p],
                             [])
        self.assertEqual(len(sent), sum(tries.values()))
        self.assertEqual(len(events), 4)


if __name__ == "__main__":
    unittest.main()
