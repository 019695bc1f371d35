"""The store across restarts, --ephemeral cleanup, a damaged store, SIGHUP.

Every test here runs its own ecrd processes: they need --data-dir, several
starts on one directory, or signals.
"""

import hashlib
import json
import os
import signal
import unittest

import botocore.exceptions

import harness
from harness import (DEFAULT_KEY, MIN_LAYER_PART, OTHER_REGION, REGION,
                     Server, basic_auth, fresh_account, poll,
                     registry_password, registry_request, seeded_bytes,
                     sha256_digest, unique_name)


# Strict mode enforces identity policies (issue #5).
ADMIN = [{"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}]


def write_json_atomically(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f)
    os.replace(tmp, path)


def file_digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def dirs_held_open(prefix):
    """Directories under prefix that some live process has files open in."""
    held = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        fd_dir = "/proc/%s/fd" % pid
        try:
            fds = os.listdir(fd_dir)
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.startswith(prefix):
                top = prefix + target[len(prefix):].split("/", 1)[0]
                held.setdefault(top, set()).add(int(pid))
    return held


class PersistenceTest(harness.OwnServersTestCase):
    """No shared server: each test starts what it needs."""

    tmp_prefix = "e2e-persist-"

    def client(self, server, key=DEFAULT_KEY, region=REGION):
        return harness.ecr_client(server.endpoint, key, region=region)

    def snapshot(self, server, places):
        """Every repository and its tags, per (key, region)."""
        out = {}
        for key, region in places:
            c = self.client(server, key, region)
            repos = c.describe_repositories()["repositories"]
            out[(key, region)] = [
                (r, c.list_tags_for_resource(
                    resourceArn=r["repositoryArn"])["tags"])
                for r in repos]
        return out

    def test_restart_keeps_repositories_tags_and_settings(self):
        data = os.path.join(self.tmp, "data")
        acct = fresh_account()
        places = [(DEFAULT_KEY, REGION), (acct, REGION), (acct, OTHER_REGION)]
        first = self.start(data_dir=data)
        c = self.client(first, acct)
        c.create_repository(
            repositoryName="full/app", imageTagMutability="IMMUTABLE",
            imageScanningConfiguration={"scanOnPush": True},
            encryptionConfiguration={"encryptionType": "KMS"},
            tags=[{"Key": "team", "Value": "core"},
                  {"Key": "env", "Value": "prod"}])
        c.create_repository(
            repositoryName="filtered",
            imageTagMutability="IMMUTABLE_WITH_EXCLUSION",
            imageTagMutabilityExclusionFilters=[
                {"filterType": "WILDCARD", "filter": "dev-*"}])
        c.tag_resource(resourceArn=harness.repo_arn("filtered", acct),
                       tags=[{"Key": "later", "Value": "1"}])
        c.put_image_scanning_configuration(
            repositoryName="filtered",
            imageScanningConfiguration={"scanOnPush": True})
        c.create_repository(repositoryName="gone")
        c.delete_repository(repositoryName="gone")
        for i in range(7):
            c.create_repository(repositoryName="many-%d" % i)
        self.client(first, acct, OTHER_REGION).create_repository(
            repositoryName="elsewhere", tags=[{"Key": "r", "Value": "eu"}])
        self.client(first).create_repository(repositoryName=unique_name())
        token = c.describe_repositories(maxResults=2)["nextToken"]
        rest_before = c.describe_repositories(maxResults=100,
                                              nextToken=token)
        before = self.snapshot(first, places)
        first.stop()

        second = self.start(data_dir=data)
        after = self.snapshot(second, places)
        self.assertEqual(after, before)
        names = [r["repositoryName"] for r, _ in after[(acct, REGION)]]
        self.assertNotIn("gone", names)
        self.assertIn("full/app", names)
        # A page token issued before the restart still works after it.
        c2 = self.client(second, acct)
        rest_after = c2.describe_repositories(maxResults=100,
                                              nextToken=token)
        self.assertEqual(rest_after["repositories"],
                         rest_before["repositories"])
        # And the store keeps taking writes.
        c2.create_repository(repositoryName="after-restart")
        second.stop()

        third = self.start(data_dir=data)
        names = [r["repositoryName"] for r in self.client(third, acct)
                 .describe_repositories()["repositories"]]
        self.assertIn("after-restart", names)
        third.stop()

    def test_sigint_also_stops_cleanly(self):
        data = os.path.join(self.tmp, "data")
        s = self.start(data_dir=data)
        self.client(s).create_repository(repositoryName="sigint")
        s.stop(signal.SIGINT)
        s2 = self.start(data_dir=data)
        self.assertEqual(len(self.client(s2).describe_repositories(
            repositoryNames=["sigint"])["repositories"]), 1)

    def test_another_directory_sees_nothing(self):
        one = self.start(data_dir=os.path.join(self.tmp, "one"))
        two = self.start(data_dir=os.path.join(self.tmp, "two"))
        acct = fresh_account()
        self.client(one).create_repository(repositoryName="only-in-one")
        self.client(one, acct).create_repository(repositoryName="x1")
        for key in (DEFAULT_KEY, acct):
            self.assertEqual(self.client(two, key).describe_repositories()
                             ["repositories"], [])
        with self.assertRaises(Exception) as cm:
            self.client(two).describe_repositories(
                repositoryNames=["only-in-one"])
        self.assertClientError(cm, "RepositoryNotFoundException")

    def test_ephemeral_leaves_no_files(self):
        s = self.start()
        # The harness gives each server a TMPDIR of its own (its workdir).
        held = dirs_held_open(os.path.join(s.workdir, "ecrd-"))
        ours = sorted(d for d, pids in held.items() if s.pid in pids)
        self.assertEqual(len(ours), 1, "cannot find the ephemeral store of "
                         "pid %d among %r" % (s.pid, held))
        store_dir = ours[0]
        self.assertTrue(os.path.isdir(store_dir))
        c = self.client(s)
        for i in range(5):
            c.create_repository(repositoryName="eph-%d" % i,
                                tags=[{"Key": "k", "Value": "v"}])
        s.stop()
        self.assertFalse(os.path.exists(store_dir),
                         "%s survived the server" % store_dir)
        self.assertEqual([n for n in os.listdir(s.workdir)
                          if n.startswith("ecrd-")], [])

    def test_ephemeral_stores_are_private(self):
        a, b = self.start(), self.start()
        self.client(a).create_repository(repositoryName="private")
        self.assertEqual(self.client(b).describe_repositories()
                         ["repositories"], [])

    def store_file_names(self):
        """The files a store directory holds after one clean run."""
        probe = os.path.join(self.tmp, "probe")
        s = self.start(data_dir=probe)
        self.client(s).create_repository(repositoryName="probe")
        s.stop()
        names = sorted(n for n in os.listdir(probe)
                       if os.path.isfile(os.path.join(probe, n)))
        self.assertTrue(names, "the store wrote no files in %s" % probe)
        return probe, names

    def test_garbage_store_file_is_refused_and_untouched(self):
        probe, names = self.store_file_names()
        # The LMDB data file is the big one; its lock file is not data,
        # nor are ecrd's own lock and its disk-full reserve (issue 11).
        main = max((n for n in names if n not in ("lock", "reserve")),
                   key=lambda n: os.path.getsize(os.path.join(probe, n)))
        data = os.path.join(self.tmp, "damaged")
        os.mkdir(data, 0o700)
        garbage = os.path.join(data, main)
        with open(garbage, "wb") as f:
            f.write(b"this is not an LMDB environment\n" * 4096)
        digest, size = file_digest(garbage), os.path.getsize(garbage)
        mtime = os.stat(garbage).st_mtime_ns

        s = Server(data_dir=data)
        self.servers.append(s)
        s.spawn()
        rc = s.wait_exit()
        err = s.stderr()
        self.assertGreater(rc, 0, "expected a clean non-zero exit, got %d:"
                           "\n%s" % (rc, err))
        for marker in harness.SANITIZER_MARKERS:
            self.assertNotIn(marker, err)
        self.assertTrue(err.strip(), "no message on stderr")
        self.assertTrue(data in err or main in err,
                        "the message does not name the store:\n" + err)
        self.assertFalse(os.path.exists(s.port_file),
                         "it wrote a port file although it failed")
        self.assertEqual(file_digest(garbage), digest)
        self.assertEqual(os.path.getsize(garbage), size)
        self.assertEqual(os.stat(garbage).st_mtime_ns, mtime)

    def test_data_dir_that_is_a_file(self):
        path = os.path.join(self.tmp, "plain-file")
        with open(path, "w") as f:
            f.write("x")
        s = Server(data_dir=path)
        self.servers.append(s)
        s.spawn()
        self.assertGreater(s.wait_exit(), 0)
        err = s.stderr()
        self.assertIn(path, err)
        for marker in harness.SANITIZER_MARKERS:
            self.assertNotIn(marker, err)
        with open(path) as f:
            self.assertEqual(f.read(), "x")

    def test_second_server_on_one_data_dir_exits_naming_the_first(self):
        # Issue 11: two servers on one store would each GC the other's
        # uploads; the second must refuse to start.
        data = os.path.join(self.tmp, "data")
        first = self.start(data_dir=data)
        c = self.client(first)
        name = unique_name("locked")
        c.create_repository(repositoryName=name)
        second = Server(data_dir=data)
        self.servers.append(second)
        second.spawn()
        self.assertEqual(second.wait_exit(), 1)
        err = second.stderr()
        self.assertIn("%s is in use by another ecrd (pid %d)"
                      % (data, first.proc.pid), err)
        for marker in harness.SANITIZER_MARKERS:
            self.assertNotIn(marker, err)
        # The first is untouched and still serves; once it stops, the
        # directory opens again (a lock, not a stale file).
        c.describe_repositories(repositoryNames=[name])
        first.stop()
        third = self.start(data_dir=data)
        self.client(third).describe_repositories(repositoryNames=[name])

    def test_sighup_with_broken_credentials_keeps_serving(self):
        creds = os.path.join(self.tmp, "creds.json")
        good = {"accessKeyId": "AKIAHUPGOOD000000001",
                "secretAccessKey": "hup-secret-1",
                "arn": "arn:aws:iam::111111111111:user/ci", "policies": ADMIN}
        write_json_atomically(creds, {"principals": [good]})
        s = self.start("--credentials", creds, "--log-level", "warn")
        c = harness.ecr_client(s.endpoint, good["accessKeyId"],
                               good["secretAccessKey"])
        self.assertEqual(c.describe_registry()["registryId"],
                         "111111111111")

        for broken in ("{not json", json.dumps({"principals": [
                {"accessKeyId": "x"}]}), ""):
            with self.subTest(broken=broken):
                with open(creds, "w") as f:
                    f.write(broken)
                mark = len(s.stderr())
                os.kill(s.pid, signal.SIGHUP)
                # The server says why it kept the old credentials.
                poll(lambda: creds in s.stderr()[mark:], 10,
                     "a log line about the broken credentials file")
                self.assertTrue(s.is_running())
                self.assertHealthy(server=s)
                self.assertEqual(c.describe_registry()["registryId"],
                                 "111111111111")

        # A good file is picked up by the next SIGHUP.
        new = {"accessKeyId": "AKIAHUPNEW0000000002",
               "secretAccessKey": "hup-secret-2",
               "arn": "arn:aws:iam::222222222222:user/ci", "policies": ADMIN}
        write_json_atomically(creds, {"principals": [new]})
        os.kill(s.pid, signal.SIGHUP)
        c2 = harness.ecr_client(s.endpoint, new["accessKeyId"],
                                new["secretAccessKey"])

        def new_key_works():
            try:
                return c2.describe_registry()["registryId"]
            except Exception:
                return None
        self.assertEqual(poll(new_key_works, 10, "the reloaded key"),
                         "222222222222")
        with self.assertRaises(Exception) as cm:
            c.describe_registry()
        self.assertClientError(cm, "UnrecognizedClientException")
        s.stop()


class UploadResumeTest(harness.OwnServersTestCase):
    """An upload's running hash is kept in memory, never in the store
    (issue 12): after a restart the server has none, takes the next parts
    without it, and hashes the upload file again when it completes."""

    tmp_prefix = "e2e-resume-"

    def test_layer_upload_resumes_after_kill_9(self):
        data_dir = os.path.join(self.tmp, "data")
        repo = unique_name("resume-ecr")
        data = seeded_bytes("resume after kill -9", MIN_LAYER_PART + 4321)
        first = self.start(data_dir=data_dir)
        c = harness.ecr_client(first.endpoint, DEFAULT_KEY)
        c.create_repository(repositoryName=repo)
        upload_id = c.initiate_layer_upload(repositoryName=repo)["uploadId"]
        c.upload_layer_part(
            repositoryName=repo, uploadId=upload_id, partFirstByte=0,
            partLastByte=MIN_LAYER_PART - 1,
            layerPartBlob=data[:MIN_LAYER_PART])
        first.kill()

        second = self.start(data_dir=data_dir)
        c = harness.ecr_client(second.endpoint, DEFAULT_KEY)
        got = c.upload_layer_part(
            repositoryName=repo, uploadId=upload_id,
            partFirstByte=MIN_LAYER_PART, partLastByte=len(data) - 1,
            layerPartBlob=data[MIN_LAYER_PART:])
        self.assertEqual(got["lastByteReceived"], len(data) - 1)
        # A wrong digest is still refused: the file is really hashed.
        with self.assertRaises(botocore.exceptions.ClientError) as cm:
            c.complete_layer_upload(
                repositoryName=repo, uploadId=upload_id,
                layerDigests=[sha256_digest(data[:-1])])
        self.assertClientError(cm, "InvalidLayerException")
        done = c.complete_layer_upload(
            repositoryName=repo, uploadId=upload_id,
            layerDigests=[sha256_digest(data)])
        self.assertEqual(done["layerDigest"], sha256_digest(data))
        r = self.registry_request(
            second, basic_auth("AWS", registry_password(c)), "GET",
            "/v2/%s/blobs/%s" % (repo, sha256_digest(data)))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, data)
        second.stop()

    def registry_request(self, server, auth, method, path, body=b""):
        return registry_request(
            server.host, server.port, method, path, body,
            [("Authorization", auth),
             ("Content-Type", "application/octet-stream")])

    def test_registry_upload_resumes_after_a_clean_stop(self):
        data_dir = os.path.join(self.tmp, "data")
        repo = unique_name("resume-reg")
        data = seeded_bytes("resume after a stop", MIN_LAYER_PART + 999)
        half = MIN_LAYER_PART
        first = self.start(data_dir=data_dir)
        c = harness.ecr_client(first.endpoint, DEFAULT_KEY)
        c.create_repository(repositoryName=repo)
        auth = basic_auth("AWS", registry_password(c))
        r = self.registry_request(first, auth, "POST",
                                  "/v2/%s/blobs/uploads/" % repo)
        self.assertEqual(r.status, 202, r)
        loc = r.header("Location")
        r = self.registry_request(first, auth, "PATCH", loc, data[:half])
        self.assertEqual(r.status, 202, r)
        self.assertEqual(r.header("Range"), "0-%d" % (half - 1))
        first.stop()

        second = self.start(data_dir=data_dir)
        r = self.registry_request(second, auth, "GET", loc)
        self.assertEqual(r.status, 204, r)
        self.assertEqual(r.header("Range"), "0-%d" % (half - 1))
        r = self.registry_request(second, auth, "PATCH", loc, data[half:])
        self.assertEqual(r.status, 202, r)
        r = self.registry_request(second, auth, "PUT", "%s?digest=%s" % (
            loc, sha256_digest(data[1:])))
        self.assertEqual(r.status, 400, r)
        self.assertIn(b"DIGEST_INVALID", r.body)
        r = self.registry_request(second, auth, "PUT", "%s?digest=%s" % (
            loc, sha256_digest(data)))
        self.assertEqual(r.status, 201, r)
        self.assertEqual(r.header("Docker-Content-Digest"),
                         sha256_digest(data))
        r = self.registry_request(second, auth, "GET", "/v2/%s/blobs/%s" % (
            repo, sha256_digest(data)))
        self.assertEqual(r.status, 200, r)
        self.assertEqual(r.body, data)
        second.stop()


if __name__ == "__main__":
    unittest.main()
