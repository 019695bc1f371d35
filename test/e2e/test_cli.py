"""The command line as a newcomer meets it: short flags, bad ports, bad
--public-endpoint values and data directories ecrd cannot use, each
refused at start with a message that says what ecrd was doing and a
non-zero exit; accepted --public-endpoint forms as repositoryUri and
proxyEndpoint show them (port 0: the bound port).
"""

import os
import subprocess
import unittest

import harness
from harness import OwnServersTestCase, ecrd_bin, needs_binary, unique_name

RUN_TIMEOUT_S = 30.0


def run_ecrd(*args):
    """ecrd with args, expected to exit on its own: (rc, stdout, stderr)."""
    p = subprocess.run([ecrd_bin()] + list(args), stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=RUN_TIMEOUT_S)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


class ShortFlagsTest(unittest.TestCase):

    def setUp(self):
        needs_binary()

    def test_h_is_help(self):
        long_form = run_ecrd("--help")
        short_form = run_ecrd("-h")
        self.assertEqual(short_form[0], 0, short_form)
        self.assertIn("usage: ecrd", short_form[1])
        self.assertEqual(short_form, long_form)

    def test_v_is_version(self):
        rc, out, err = run_ecrd("-v")
        self.assertEqual(rc, 0, err)
        self.assertRegex(out, r"^ecrd \d+\.\d+\.\d+\n$")
        self.assertEqual((rc, out, err), run_ecrd("--version"))


class RefusedAtStartTest(OwnServersTestCase):
    """Each of these stops ecrd before it listens, with a message."""

    tmp_prefix = "e2e-cli-"

    def refused(self, *args, status=None):
        needs_binary()
        if "--data-dir" not in args:
            args = ("--ephemeral",) + args
        rc, out, err = run_ecrd(*args)
        self.assertNotEqual(rc, 0, err)
        if status is not None:
            self.assertEqual(rc, status, err)
        self.assertNotIn("listening on", err)
        self.assertNotIn("AddressSanitizer", err)
        return err

    def test_listen_port_out_of_range(self):
        err = self.refused("--listen", "127.0.0.1:70000", status=2)
        self.assertIn("--listen", err)
        self.assertIn("port 70000 is out of range (0-65535)", err)

    def test_listen_malformed(self):
        for bad in ("127.0.0.1", "127.0.0.1:", "127.0.0.1:http",
                    ":5080", "[::1:5080", "127.0.0.1:-1"):
            with self.subTest(listen=bad):
                err = self.refused("--listen", bad, status=2)
                self.assertIn("--listen '%s'" % bad, err)

    def test_public_endpoint_malformed(self):
        cases = {
            "http://x": "no scheme",
            "https://x:443": "no scheme",
            "not a host": "not a host name",
            "x:70000": "port 70000 is out of range (0-65535)",
            "x:": "port '' is not a number",
            "x:abc": "port 'abc' is not a number",
            ":5080": "no host",
            "x/path": "not a host name",
            "a..b": "not a host name",
            "-a.b": "not a host name",
            "[::1": "missing ']'",
            "[zz]:1": "not an IPv6 address",
            "[::1]x": "port",
            "": "no host",
        }
        for bad, why in cases.items():
            with self.subTest(endpoint=bad):
                err = self.refused("--public-endpoint", bad, status=2)
                self.assertIn("--public-endpoint '%s'" % bad, err)
                self.assertIn(why, err)

    def test_data_dir_cannot_be_created(self):
        # Tests run as root: a path under a regular file fails for anyone.
        err = self.refused("--data-dir", "/etc/hostname/ecrd-data")
        self.assertIn("cannot create data directory /etc/hostname/ecrd-data:"
                      " Not a directory", err)

    def test_data_dir_is_a_file(self):
        path = os.path.join(self.tmp, "file")
        with open(path, "w") as f:
            f.write("not a directory\n")
        err = self.refused("--data-dir", path)
        self.assertIn("cannot open store in %s: " % path, err)

    def test_store_cannot_be_opened(self):
        # meta.lmdb a directory: the store cannot be opened.
        os.mkdir(os.path.join(self.tmp, "meta.lmdb"))
        err = self.refused("--data-dir", self.tmp)
        self.assertIn("cannot open store in %s: " % self.tmp, err)


class PublicEndpointTest(OwnServersTestCase):
    """What repositoryUri and proxyEndpoint say for each accepted form."""

    tmp_prefix = "e2e-cli-"

    def names(self, *args):
        s = self.start(*args)
        name = unique_name("pub")
        repo = self.ecr(server=s).create_repository(
            repositoryName=name)["repository"]
        auth = self.ecr(server=s).get_authorization_token()
        proxy = auth["authorizationData"][0]["proxyEndpoint"]
        host = repo["repositoryUri"][:-len("/" + name)]
        self.assertEqual(repo["repositoryUri"], host + "/" + name)
        self.assertEqual(proxy, "http://" + host)
        s.stop()
        return host, s.port

    def test_host_and_port_as_given(self):
        self.assertEqual(self.names("--public-endpoint",
                                    "registry.example:5000")[0],
                         "registry.example:5000")

    def test_host_alone_has_no_port(self):
        # A proxy in front on port 80: URIs carry no port.
        self.assertEqual(self.names("--public-endpoint", "ecr.test")[0],
                         "ecr.test")

    def test_port_zero_is_the_bound_port(self):
        host, port = self.names("--public-endpoint", "localhost:0")
        self.assertEqual(host, "localhost:%d" % port)

    def test_ipv6_and_ipv4_literals(self):
        host, port = self.names("--public-endpoint", "[::1]:0")
        self.assertEqual(host, "[::1]:%d" % port)
        self.assertEqual(self.names("--public-endpoint", "10.0.0.7:80")[0],
                         "10.0.0.7:80")

    def test_download_url_names_the_bound_port(self):
        s = self.start("--public-endpoint", "127.0.0.1:0")
        name = unique_name("pub")
        client = self.ecr(server=s)
        client.create_repository(repositoryName=name)
        image = harness.build_image("public-endpoint")
        harness.push_image(client, name, image, tag="v1")
        digest = image.layers[0]["digest"]
        url = client.get_download_url_for_layer(
            repositoryName=name, layerDigest=digest)["downloadUrl"]
        self.assertTrue(url.startswith("http://127.0.0.1:%d/" % s.port),
                        url)
        self.assertEqual(harness.fetch_url(url).body, image.blobs[digest])


class LeftoversTest(OwnServersTestCase):
    """An --ephemeral server killed with SIGKILL cannot remove its store;
    the harness must (ecrd makes it under the TMPDIR the harness gives)."""

    tmp_prefix = "e2e-cli-"

    def store_dir(self, pid):
        fd_dir = "/proc/%d/fd" % pid
        for fd in os.listdir(fd_dir):
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.endswith("/meta.lmdb"):
                return os.path.dirname(target)
        self.fail("ecrd %d holds no meta.lmdb open" % pid)

    def test_killed_ephemeral_server_leaves_nothing(self):
        s = self.start()
        store = self.store_dir(s.pid)
        self.assertTrue(os.path.isdir(store))
        s.kill()
        s.cleanup()
        self.assertFalse(os.path.exists(store), store)


if __name__ == "__main__":
    unittest.main()
