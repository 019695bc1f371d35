"""EventBridge events (issue 17): --events-file's JSON lines, one per
event, in EventBridge's envelope with ECR's detail fields, written after
the commit that made them true and in commit order
(docs/observability.md, "Events")."""

import json
import os
import re
import unittest

from harness import (DEFAULT_ACCOUNT, REGION, EcrdTestCase, build_image,
                     poll, push_image, repo_arn, unique_name)

UUID_RE = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
ENVELOPE_KEYS = ["version", "id", "detail-type", "source", "account",
                 "time", "region", "resources", "detail"]
POLL_S = 30.0


class EventsCase(EcrdTestCase):
    """A server writing its events to a file of the class's own."""

    @classmethod
    def setUpClass(cls):
        cls.events_dir = __import__("tempfile").mkdtemp(prefix="e2e-ev-")
        cls.events_path = os.path.join(cls.events_dir, "events.jsonl")
        cls.server_args = ("--events-file", cls.events_path)
        cls.addClassCleanup(__import__("shutil").rmtree, cls.events_dir,
                            True)
        super().setUpClass()

    def events(self):
        """Every event written so far, each line parsed whole."""
        if not os.path.exists(self.events_path):
            return []
        with open(self.events_path, "rb") as f:
            data = f.read()
        self.assertTrue(data == b"" or data.endswith(b"\n"), data[-200:])
        return [json.loads(line) for line in data.splitlines()]

    def events_for(self, repo, detail_type=None):
        return [e for e in self.events()
                if e["detail"].get("repository-name") in
                (repo, repo_arn(repo))
                and (detail_type is None or e["detail-type"] == detail_type)]

    def wait_events(self, repo, n, detail_type=None):
        """The repository's events once there are n (never more)."""
        got = []

        def enough():
            got[:] = self.events_for(repo, detail_type)
            return len(got) >= n
        poll(enough, POLL_S, "%d events for %s" % (n, repo))
        self.assertEqual(len(got), n, got)
        return got

    def assertEnvelope(self, ev, detail_type, resources,
                       account=DEFAULT_ACCOUNT, region=REGION,
                       source="aws.ecr"):
        self.assertEqual(list(ev.keys()), ENVELOPE_KEYS)
        self.assertEqual(ev["version"], "0")
        self.assertRegex(ev["id"], UUID_RE)
        self.assertEqual(ev["detail-type"], detail_type)
        self.assertEqual(ev["source"], source)
        self.assertEqual(ev["account"], account)
        self.assertRegex(ev["time"], TIME_RE)
        self.assertEqual(ev["region"], region)
        self.assertEqual(ev["resources"], resources)


class TestImageAction(EventsCase):

    def test_put_image_push_event(self):
        repo = unique_name("ev-push")
        c = self.ecr()
        c.create_repository(repositoryName=repo)
        img = build_image(1701)
        out = push_image(c, repo, img, tag="v1")
        [ev] = self.wait_events(repo, 1)
        self.assertEnvelope(ev, "ECR Image Action", [])
        self.assertEqual(ev["detail"], {
            "action-type": "PUSH", "result": "SUCCESS",
            "repository-name": repo,
            "image-digest": out["imageId"]["imageDigest"],
            "image-tag": "v1"})


if __name__ == "__main__":
    unittest.main()
