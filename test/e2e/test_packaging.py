"""Packaging end to end (issue 18): `make install` and the tree it stages,
the man page, --help and the README agreeing on every flag, the systemd
unit (systemd-analyze verify, its hardening) and ecrd's sd_notify
readiness over a NOTIFY_SOCKET the test listens on, as systemd would.
"""

import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import unittest

import harness
from harness import REPO_ROOT, OwnServersTestCase

SYSTEMD_ANALYZE = shutil.which("systemd-analyze")
NOTIFY_TIMEOUT_S = harness.START_TIMEOUT_S


def build_dir():
    """The CMake build that made ECRD_BIN (BUILD/server/ecrd)."""
    return os.path.dirname(os.path.dirname(os.path.abspath(
        harness.ecrd_bin())))


def cache_value(name):
    with open(os.path.join(build_dir(), "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split("=", 1)[1].strip()
    raise AssertionError("%s not in CMakeCache.txt" % name)


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True,
                          timeout=harness.CLI_TIMEOUT_S, **kw)


def flags_in(text, pattern):
    return sorted(set(re.findall(pattern, text, re.M)))


class InstallTest(OwnServersTestCase):
    tmp_prefix = "e2e-install-"

    def setUp(self):
        super().setUp()
        self.prefix = cache_value("CMAKE_INSTALL_PREFIX")
        self.dest = os.path.join(self.tmp, "dest")
        env = dict(os.environ, DESTDIR=self.dest)
        p = run(["cmake", "--install", build_dir()], env=env)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.root = self.dest + self.prefix

    def staged(self, *parts):
        return os.path.join(self.root, *parts)

    def test_the_tree(self):
        want = {
            "bin/ecrd": 0o755,
            "bin/docker-credential-ecrd": 0o755,
            "share/man/man1/ecrd.1": 0o644,
            "share/man/man1/docker-credential-ecrd.1": 0o644,
            "lib/systemd/system/ecrd.service": 0o644,
            "lib/sysusers.d/ecrd.conf": 0o644,
            "share/bash-completion/completions/ecrd": 0o644,
        }
        for rel, mode in want.items():
            with self.subTest(path=rel):
                st = os.stat(self.staged(rel))
                self.assertTrue(stat.S_ISREG(st.st_mode))
                self.assertEqual(stat.S_IMODE(st.st_mode), mode)
        got = {os.path.relpath(os.path.join(d, f), self.root)
               for d, _, files in os.walk(self.dest) for f in files}
        self.assertEqual(got, set(want))
        p = run([self.staged("bin/ecrd"), "--version"])
        self.assertRegex(p.stdout, r"^ecrd \d+\.\d+\.\d+\n$")
        with open(self.staged("lib/sysusers.d/ecrd.conf")) as f:
            self.assertIn('\nu ecrd - "ecrd container registry" '
                          '/var/lib/ecrd\n', f.read())

    def test_make_passes_prefix_and_destdir(self):
        p = run(["make", "-n", "-C", REPO_ROOT, "install",
                 "PREFIX=/opt/ecrd", "DESTDIR=/staging"])
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("-DCMAKE_INSTALL_PREFIX=/opt/ecrd", p.stdout)
        self.assertIn("DESTDIR=/staging cmake --install build-release",
                      p.stdout)

    def test_man_pages_render_without_warnings(self):
        for page in ("ecrd.1", "docker-credential-ecrd.1"):
            with self.subTest(page=page):
                p = run(["groff", "-man", "-Tutf8", "-ww", "-z",
                         self.staged("share/man/man1", page)])
                self.assertEqual((p.returncode, p.stderr), (0, ""))

    def test_help_man_page_and_readme_name_the_same_flags(self):
        p = run([harness.ecrd_bin(), "--help"])
        self.assertEqual(p.returncode, 0)
        helped = flags_in(p.stdout, r"^  (?:-\w, )?(--[a-z-]+)")
        with open(self.staged("share/man/man1/ecrd.1")) as f:
            man = f.read().replace("\\-", "-")
        sections = re.split(r"^\.SH ", man, flags=re.M)
        (options,) = [s for s in sections if s.startswith("OPTIONS")]
        manned = flags_in(options, r"^\.BI? \"?(?:-\w, )?(--[a-z-]+)")
        with open(os.path.join(REPO_ROOT, "README.md")) as f:
            readme = f.read()
        table = readme[readme.index("<!-- flags:"):
                       readme.index("<!-- /flags -->")]
        documented = flags_in(table, r"^\| `(?:-\w, )?(--[a-z-]+)")
        self.assertGreater(len(helped), 20)
        self.assertEqual(manned, helped)
        self.assertEqual(documented, helped)
        for section in ("SYNOPSIS", "OPTIONS", "ADMIN ENDPOINTS",
                        "CREDENTIALS FILE", "FILES", "ENVIRONMENT",
                        "SIGNALS", "EXIT STATUS", "EXAMPLES"):
            self.assertTrue(any(s.startswith(section) for s in sections),
                            section)

    def test_bash_completion(self):
        script = self.staged("share/bash-completion/completions/ecrd")

        def complete(*words):
            line = " ".join(("ecrd",) + words)
            p = run(["bash", "-c",
                     'source "$1"; COMP_WORDS=(%s); COMP_CWORD=%d; _ecrd; '
                     'printf "%%s\\n" "${COMPREPLY[@]}"'
                     % (line, len(words)), "bash", script])
            self.assertEqual(p.returncode, 0, p.stderr)
            return p.stdout.split()

        self.assertEqual(complete("--log-level", "d"), ["debug"])
        self.assertIn("--listen", complete("--li"))
        self.assertEqual(complete("--ephemeral", "--data"), ["--data-dir"])

    # -- the systemd unit -------------------------------------------------

    def unit(self):
        with open(self.staged("lib/systemd/system/ecrd.service")) as f:
            return f.read()

    def settings(self, text):
        out = {}
        for line in text.splitlines():
            if line and line[0] not in "#[" and "=" in line:
                k, v = line.split("=", 1)
                out.setdefault(k, []).append(v)
        return out

    def test_unit_runs_ecrd_as_a_hardened_notify_service(self):
        s = self.settings(self.unit())
        self.assertEqual(s["Type"], ["notify"])
        self.assertTrue(s["ExecStart"][0].startswith(
            self.prefix + "/bin/ecrd --listen 127.0.0.1:5080 "
            "--data-dir /var/lib/ecrd"), s["ExecStart"])
        self.assertEqual(s["ExecReload"], ["/bin/kill -HUP $MAINPID"])
        self.assertEqual((s["User"], s["DynamicUser"], s["StateDirectory"]),
                         (["ecrd"], ["yes"], ["ecrd"]))
        for key, value in (("ProtectSystem", "strict"),
                           ("NoNewPrivileges", "yes"),
                           ("PrivateTmp", "yes"), ("ProtectHome", "yes"),
                           ("RestrictAddressFamilies",
                            "AF_INET AF_INET6 AF_UNIX"),
                           ("CapabilityBoundingSet", "")):
            self.assertEqual(s[key], [value], key)

    @unittest.skipUnless(SYSTEMD_ANALYZE, "systemd-analyze is not installed "
                         "(Debian package systemd): the unit is unverified")
    def test_systemd_analyze_verify(self):
        staged_bin = self.staged("bin/ecrd")
        good = self.unit().replace(self.prefix + "/bin/ecrd", staged_bin)
        bad = good.replace("ProtectSystem=strict", "ProtectSystem=sideways")
        for text, ok in ((good, True), (bad, False)):
            path = os.path.join(self.tmp, "ecrd.service")
            with open(path, "w") as f:
                f.write(text)
            # The unit names the installed path: here the staged binary.
            p = run([SYSTEMD_ANALYZE, "verify", "--man=no", path])
            out = p.stdout + p.stderr
            if ok:
                self.assertEqual((p.returncode, out), (0, ""))
            else:
                self.assertIn("Failed to parse protect system value, "
                              "ignoring: sideways", out)


class NotifyTest(OwnServersTestCase):
    """sd_notify(3) readiness as a Type=notify unit sees it."""

    tmp_prefix = "e2e-notify-"

    def listen(self, abstract=False):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(sock.close)
        if abstract:
            name = "@ecrd-e2e-%d-%s" % (os.getpid(), harness.unique_name())
            sock.bind("\0" + name[1:])
        else:
            name = os.path.join(self.tmp, "notify")
            sock.bind(name)
        sock.settimeout(NOTIFY_TIMEOUT_S)
        return sock, name

    def start(self, notify_socket):
        s = harness.Server(env={"NOTIFY_SOCKET": notify_socket})
        self.servers.append(s)
        return s.start()

    def test_ready_reloading_stopping(self):
        for abstract in (False, True):
            with self.subTest(abstract=abstract):
                sock, name = self.listen(abstract)
                server = self.start(name)
                msg = sock.recv(4096).decode()
                # READY only once the port file (and so the port) exists.
                self.assertEqual(msg, "READY=1\nSTATUS=listening on %s"
                                 % server.hostport)
                self.assertHealthy(server)
                os.kill(server.pid, signal.SIGHUP)
                self.assertRegex(sock.recv(4096).decode(),
                                 r"^RELOADING=1\nMONOTONIC_USEC=\d+$")
                self.assertEqual(sock.recv(4096), b"READY=1")
                self.assertHealthy(server)
                server.stop()
                self.assertEqual(sock.recv(4096), b"STOPPING=1")

    def test_an_unusable_notify_socket_does_not_stop_ecrd(self):
        for value in ("relative/path", os.path.join(self.tmp, "nobody")):
            with self.subTest(value=value):
                server = self.start(value)
                self.assertHealthy(server)
                server.stop()
                self.assertIn("NOTIFY_SOCKET", server.stderr())


class HealthCheckTest(OwnServersTestCase):
    """ecrd --health-check, the container image's HEALTHCHECK."""

    tmp_prefix = "e2e-health-"

    def check(self, listen):
        return run([harness.ecrd_bin(), "--health-check", "--listen",
                    listen])

    def test_a_serving_ecrd_is_healthy(self):
        server = harness.Server("--listen", "0.0.0.0:0")
        self.servers.append(server)
        server.start()
        for listen in ("127.0.0.1:%d" % server.port,
                       "0.0.0.0:%d" % server.port):
            with self.subTest(listen=listen):
                p = self.check(listen)
                self.assertEqual((p.returncode, p.stdout, p.stderr),
                                 (0, "", ""))

    def test_nothing_listening_is_unhealthy(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        p = self.check("127.0.0.1:%d" % port)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr, "ecrd: health check of 127.0.0.1:%d: "
                         "Connection refused\n" % port)

    def test_an_answer_other_than_200_is_unhealthy(self):
        with socket.socket() as lsock:
            lsock.bind(("127.0.0.1", 0))
            lsock.listen(1)
            port = lsock.getsockname()[1]
            proc = subprocess.Popen(
                [harness.ecrd_bin(), "--health-check", "--listen",
                 "127.0.0.1:%d" % port], stderr=subprocess.PIPE, text=True)
            conn, _ = lsock.accept()
            with conn:
                conn.settimeout(NOTIFY_TIMEOUT_S)
                request = conn.recv(4096)
                conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\n\r\n")
            _, err = proc.communicate(timeout=NOTIFY_TIMEOUT_S)
        self.assertTrue(request.startswith(b"GET /health HTTP/1.0\r\n"))
        self.assertEqual(proc.returncode, 1)
        self.assertEqual(err, "ecrd: health check of 127.0.0.1:%d: "
                         "HTTP/1.1 503 Service Unavailable\n" % port)


if __name__ == "__main__":
    unittest.main()
