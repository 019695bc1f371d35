#!/usr/bin/env python3
"""Check the arrows of STYLE.md 1: every rooted #include "X/..." in a
folder's sources, and every library its CMakeLists.txt links, must point
down (server -> api, registry -> core -> policy, auth, store -> common;
server -> auth, store for SigV4 and blob streaming). api/ and registry/
never include each other; core/ includes neither. Prints each violation
and exits 1 if there is one.

    test/layering.py [SOURCE_DIR]
"""
import os
import re
import sys

# What each folder may include or link besides itself.
ALLOWED = {
    "common": set(),
    "policy": {"common"},
    "auth": {"common"},
    "store": {"common"},
    "core": {"policy", "auth", "store", "common"},
    "api": {"core", "policy", "auth", "store", "common"},
    "registry": {"core", "policy", "auth", "store", "common"},
    "server": {"api", "registry", "auth", "store", "common"},
    # docker-credential-ecrd: a client of ecrd, signing with auth/.
    "credhelper": {"auth", "common"},
}
# Our libraries and the folder each belongs to.
LIBS = {
    "common": "common", "policy": "policy", "auth": "auth",
    "store": "store", "core": "core", "core_scan": "core", "api_model": "api", "api": "api",
    "registry": "registry", "server_http": "server",
    "server_pool": "server", "server_jobs": "server",
    "server_metrics": "server",
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"', re.M)
LINK = re.compile(r"target_link_libraries\(([^)]*)\)", re.S)


def check_sources(root, folder, allowed):
    bad = []
    path = os.path.join(root, folder)
    for name in sorted(os.listdir(path)):
        if not name.endswith((".c", ".h")):
            continue
        with open(os.path.join(path, name), encoding="utf-8") as f:
            text = f.read()
        for m in INCLUDE.finditer(text):
            to = m.group(1)
            if to != folder and to not in allowed:
                line = text.count("\n", 0, m.start()) + 1
                bad.append("%s/%s:%d: includes %s/ (%s may use: %s)" % (
                    folder, name, line, to, folder,
                    ", ".join(sorted(allowed)) or "nothing"))
    return bad


def check_links(root, folder, allowed):
    bad = []
    path = os.path.join(root, folder, "CMakeLists.txt")
    with open(path, encoding="utf-8") as f:
        text = re.sub(r"#.*", "", f.read())
    for m in LINK.finditer(text):
        words = m.group(1).split()
        for lib in words[1:]:
            to = LIBS.get(lib)
            if to is not None and to != folder and to not in allowed:
                bad.append("%s/CMakeLists.txt: %s links %s (%s/)" % (
                    folder, words[0], lib, to))
    return bad


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..")
    bad = []
    for folder, allowed in ALLOWED.items():
        bad += check_sources(root, folder, allowed)
        bad += check_links(root, folder, allowed)
    for b in bad:
        print(b)
    if bad:
        print("layering: %d include(s) or link(s) against the arrows "
              "of STYLE.md 1" % len(bad))
        return 1
    print("layering: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
