"""The container image end to end (issue 18).

packaging/build-image.sh builds the image with buildah from scratch (its
storage in a directory of the test's own); the test pushes it into a
running ecrd with skopeo and inspects it there: docker's manifest format,
the config (non-root user, volume, port, entrypoint with the listen
address, health check) and the root file system. Containers cannot run
here (the sandbox refuses crun's rlimits), so the image's own loader and
libraries run its ecrd instead: serving, and answering its health check.
"""

import json
import os
import shutil
import stat
import subprocess
import tarfile
import tempfile
import unittest

import harness
from harness import REPO_ROOT, EcrdTestCase, unique_name
from test_packaging import build_dir
from test_registry import SKOPEO, RegistryHelpers, describe, run_tool

BUILDAH = shutil.which("buildah")
SCRIPT = os.path.join(REPO_ROOT, "packaging", "build-image.sh")
UID = 65532
MEDIA_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
ENTRYPOINT = ["/usr/bin/ecrd", "--listen", "0.0.0.0:5080", "--data-dir",
              "/var/lib/ecrd"]
HEALTHCHECK = ["CMD", "/usr/bin/ecrd", "--health-check", "--listen",
               "127.0.0.1:5080"]
LOADER = "/lib64/ld-linux-x86-64.so.2"


class ImageServer(harness.Server):
    """ecrd run from the image's root file system with its libraries only."""

    def __init__(self, rootfs, *extra):
        super().__init__(*extra)
        self.rootfs = rootfs

    def argv(self, port_file):
        argv = super().argv(port_file)
        return image_command(self.rootfs) + argv[1:]


def image_command(rootfs):
    libdirs = sorted({os.path.dirname(os.path.join(d, f))
                      for d, _, files in os.walk(rootfs) for f in files
                      if ".so" in f})
    return [rootfs + LOADER, "--inhibit-cache", "--library-path",
            ":".join(libdirs), rootfs + "/usr/bin/ecrd"]


@unittest.skipUnless(SKOPEO, "skopeo is needed")
class ImageTest(RegistryHelpers, EcrdTestCase):

    @classmethod
    def setUpClass(cls):
        if not BUILDAH:
            raise AssertionError("buildah is needed (cmake/deps.sh test)")
        super().setUpClass()
        cls.work = tempfile.mkdtemp(prefix="e2e-image-")
        # buildah's run root must be short (a socket path lives in it).
        cls.run_root = tempfile.mkdtemp(prefix="ecrd-buildah-", dir="/tmp")
        try:
            cls.build()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def build(cls):
        cls.archive = os.path.join(cls.work, "ecrd.tar")
        cls.name = "localhost/ecrd:e2e-" + unique_name("img")[-8:]
        env = dict(os.environ, STORAGE_DRIVER="vfs",
                   BUILDAH_ISOLATION="chroot",
                   ECRD_IMAGE_ARCHIVE=cls.archive,
                   BUILDAH_FLAGS="--root %s --runroot %s" % (
                       os.path.join(cls.work, "storage"), cls.run_root))
        p = run_tool(("sh", SCRIPT, build_dir(), cls.name), env=env)
        if p.returncode != 0:
            raise AssertionError(describe(p))
        cls.build_output = p.stdout
        with tarfile.open(cls.archive) as t:
            (entry,) = json.load(t.extractfile("manifest.json"))
            cls.layer = os.path.join(cls.work, "layer.tar")
            with open(cls.layer, "wb") as f:
                shutil.copyfileobj(t.extractfile(entry["Layers"][0]), f)
        cls.rootfs = os.path.join(cls.work, "rootfs")
        os.mkdir(cls.rootfs)
        # As an unprivileged extraction: modes kept, owners ours.
        subprocess.run(["tar", "-xf", cls.layer, "-C", cls.rootfs,
                        "--no-same-owner"], check=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.run_root, ignore_errors=True)
        shutil.rmtree(cls.work, ignore_errors=True)
        if getattr(cls, "server", None) is not None:
            super().tearDownClass()

    def skopeo(self, *args):
        p = run_tool((SKOPEO,) + args)
        self.assertEqual(p.returncode, 0, describe(p))
        return p.stdout

    def pushed(self):
        repo = self.make_repo()
        ref = "docker://%s/%s:v1" % (self.server.hostport, repo)
        self.skopeo("copy", "--dest-tls-verify=false", "--dest-creds",
                    "AWS:" + self.password, "docker-archive:" + self.archive,
                    ref)
        return repo, ref

    def test_build_prints_the_image_name(self):
        self.assertEqual(self.build_output, self.name + "\n")

    def test_pushed_into_ecrd_and_inspected(self):
        repo, ref = self.pushed()
        creds = ("--tls-verify=false", "--creds", "AWS:" + self.password)
        manifest = json.loads(self.skopeo("inspect", "--raw", *creds, ref))
        self.assertEqual(manifest["mediaType"], MEDIA_DOCKER_MANIFEST)
        self.assertEqual(len(manifest["layers"]), 1)
        config = json.loads(self.skopeo("inspect", "--config", "--raw",
                                        *creds, ref))
        c = config["config"]
        self.assertEqual((config["os"], config["architecture"]),
                         ("linux", "amd64"))
        self.assertEqual(c["User"], "%d:%d" % (UID, UID))
        self.assertEqual(c["Entrypoint"], ENTRYPOINT)
        self.assertFalse(c.get("Cmd"))
        self.assertEqual(c["Volumes"], {"/var/lib/ecrd": {}})
        self.assertEqual(c["ExposedPorts"], {"5080/tcp": {}})
        self.assertEqual(c["Healthcheck"]["Test"], HEALTHCHECK)
        self.assertEqual(c["WorkingDir"], "/var/lib/ecrd")
        self.assertIn("TMPDIR=/tmp", c["Env"])
        (detail,) = self.ecr().describe_images(
            repositoryName=repo)["imageDetails"]
        self.assertEqual(detail["imageTags"], ["v1"])
        self.assertEqual(detail["imageManifestMediaType"],
                         MEDIA_DOCKER_MANIFEST)
        self.assertEqual(detail["imageSizeInBytes"],
                         manifest["config"]["size"] +
                         manifest["layers"][0]["size"])

    def test_root_file_system(self):
        with tarfile.open(self.layer) as t:
            members = {m.name.rstrip("/").lstrip("./"): m
                       for m in t.getmembers()}
        want = {"usr/bin/ecrd": (0, 0o755), "tmp": (0, 0o1777),
                "var/lib": (0, 0o755), "var/lib/ecrd": (UID, 0o700),
                "etc/passwd": (0, 0o644), "etc/group": (0, 0o644),
                LOADER.lstrip("/"): (0, 0o755)}
        for name, (uid, mode) in want.items():
            with self.subTest(name=name):
                m = members[name]
                self.assertEqual((m.uid, stat.S_IMODE(m.mode)), (uid, mode))
        with open(os.path.join(self.rootfs, "etc/passwd")) as f:
            self.assertIn("ecrd:x:%d:%d:" % (UID, UID), f.read())
        self.assertTrue(os.path.exists(os.path.join(
            self.rootfs, "etc/ssl/certs/ca-certificates.crt")))
        # Every library ecrd needs resolves inside the image.
        p = run_tool(image_command(self.rootfs)[:4] + ["--list",
                     self.rootfs + "/usr/bin/ecrd"])
        self.assertEqual(p.returncode, 0, describe(p))
        for line in p.stdout.splitlines():
            if "=>" in line:
                self.assertIn(self.rootfs, line)
        p = run_tool(image_command(self.rootfs) + ["--version"])
        self.assertRegex(p.stdout, r"^ecrd \d+\.\d+\.\d+\n$")

    def test_its_ecrd_serves_and_answers_its_health_check(self):
        server = ImageServer(self.rootfs)
        try:
            server.start()
            self.assertHealthy(server)
            p = run_tool(image_command(self.rootfs) + [
                "--health-check", "--listen", server.hostport])
            self.assertEqual(p.returncode, 0, describe(p))
            server.stop()
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
