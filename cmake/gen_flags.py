#!/usr/bin/env python3
"""Generate everything that lists ecrd's flags from server/flags.txt.

Outputs (committed, like api/model_gen.c, so a build needs no python):
  server/flags_gen.c    --help text, getopt_long's table and short options
  packaging/ecrd.1      the man page: packaging/ecrd.1.in with OPTIONS filled
  packaging/ecrd.bash   bash completion
  README.md             the table between the flags markers

Usage: gen_flags.py [--check] [SOURCE_DIR]. --check writes nothing and exits
1 naming every stale output (ctest flags_generated runs it).
"""
import re
import sys
import textwrap
from pathlib import Path

HELP_COL = 26
WIDTH = 80
README_BEGIN = ("<!-- flags: generated from server/flags.txt by "
                "cmake/gen_flags.py (make flags); do not edit -->")
README_END = "<!-- /flags -->"


class Flag:
    def __init__(self, spec, val, lineno):
        self.spec = spec          # "--listen HOST:PORT", "-h, --help"
        self.val = val
        self.lineno = lineno
        self.help = []
        self.doc = []
        self.complete = None
        self.defaults = []        # (file, macro): the text must say it
        self.shorts = re.findall(r"(?:^|, )-([a-zA-Z])(?=,|$| )", spec)
        m = re.search(r"--([a-z0-9-]+)(?: (\S+))?$", spec)
        if m is None:
            raise SystemExit(f"flags.txt:{lineno}: no --long name in "
                             f"'{spec}'")
        self.long = m.group(1)
        self.arg = m.group(2)


def parse(path):
    flags = []
    for lineno, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip() == "" or line.startswith("#"):
            continue
        if not line[0].isspace():
            spec, sep, val = line.partition("\t")
            if not sep or len(val) != 1:
                raise SystemExit(f"{path}:{lineno}: want 'SPEC<tab>CHAR'")
            flags.append(Flag(spec, val, lineno))
            continue
        if not flags:
            raise SystemExit(f"{path}:{lineno}: text before any flag")
        key, _, text = line.strip().partition(" ")
        f = flags[-1]
        if key == "help":
            f.help.append(text)
        elif key == "doc":
            f.doc.append(text)
        elif key == "complete":
            f.complete = text.split()
        elif key == "default":
            f.defaults.append(tuple(text.split()))
        else:
            raise SystemExit(f"{path}:{lineno}: unknown key '{key}'")
    seen_long, seen_val = set(), set()
    for f in flags:
        if not f.help or not f.doc:
            raise SystemExit(f"{path}:{f.lineno}: {f.spec} needs help and "
                             "doc lines")
        if f.long in seen_long or f.val in seen_val:
            raise SystemExit(f"{path}:{f.lineno}: {f.spec}: name or "
                             "character used twice")
        seen_long.add(f.long)
        seen_val.add(f.val)
    return flags


def c_string(s):
    return ('"' + s.replace("\\", "\\\\").replace('"', '\\"')
            .replace("\n", "\\n") + '"')


def usage_text(flags):
    lines = ["usage: ecrd [options]"]
    for f in flags:
        head = "  " + f.spec
        body = textwrap.wrap(" ".join(f.help), WIDTH - 1 - HELP_COL,
                             break_on_hyphens=False)
        if len(head) + 2 > HELP_COL:
            lines.append(head)
        else:
            lines.append(head.ljust(HELP_COL) + body.pop(0))
        lines += [" " * HELP_COL + b for b in body]
    return "\n".join(lines) + "\n"


def gen_c(flags):
    out = ["/*",
           " * ecrd's flags: generated from server/flags.txt by "
           "cmake/gen_flags.py",
           " * (make flags). Do not edit.",
           " */",
           '#include "server/flags.h"',
           "",
           "#include <stddef.h>",
           "",
           "const char flags_usage[] ="]
    for line in usage_text(flags).splitlines(keepends=True):
        out.append("    " + c_string(line))
    out[-1] += ";"
    shorts = "".join(s for f in flags for s in f.shorts)
    out += ["", f"const char flags_shortopts[] = {c_string(shorts)};", "",
            "const struct option flags_longopts[] = {"]
    for f in flags:
        has = "required_argument" if f.arg else "no_argument"
        out.append(f"    {{\"{f.long}\", {has}, NULL, '{f.val}'}},")
    out += ["    {NULL, 0, NULL, 0},", "};", ""]
    return "\n".join(out)


def roff_text(md):
    """Markdown inline text to roff: `code` bold, *x* italic."""
    def esc(s):
        return s.replace("\\", "\\e").replace("-", "\\-")

    parts = re.split(r"(`[^`]*`|\*[^*\s][^*]*\*)", md)
    out = []
    for p in parts:
        if p.startswith("`") and p.endswith("`") and len(p) >= 2:
            out.append("\\fB" + esc(p[1:-1]) + "\\fR")
        elif p.startswith("*") and p.endswith("*") and len(p) >= 2:
            out.append("\\fI" + esc(p[1:-1]) + "\\fR")
        else:
            out.append(p.replace("\\", "\\e"))
    text = "".join(out)
    lines = textwrap.wrap(text, 72, break_on_hyphens=False,
                          break_long_words=False)
    return "\n".join("\\&" + l if l[:1] in ".'" else l for l in lines)


def roff_spec(f):
    names = re.sub(r"-", r"\\-", f.spec.rsplit(" ", 1)[0] if f.arg
                   else f.spec)
    if f.arg:
        return f".TP\n.BI \"{names} \" {f.arg}"
    return f".TP\n.B {names}"


def gen_man(flags, template, version):
    opts = "\n".join(roff_spec(f) + "\n" + roff_text(" ".join(f.doc))
                     for f in flags)
    return template.replace("@VERSION@", version).replace("@OPTIONS@\n",
                                                          opts + "\n")


def gen_bash(flags):
    words = " ".join("--" + f.long for f in flags)
    cases = []
    for f in flags:
        if not f.arg:
            continue
        what = f.complete or []
        if what == ["file"]:
            action = "COMPREPLY=($(compgen -f -- \"$cur\"))"
        elif what == ["dir"]:
            action = "COMPREPLY=($(compgen -d -- \"$cur\"))"
        elif what:
            action = f"COMPREPLY=($(compgen -W \"{' '.join(what)}\" " \
                     "-- \"$cur\"))"
        else:
            action = "COMPREPLY=()"
        cases.append(f"\t--{f.long})\n\t\t{action}\n\t\treturn\n\t\t;;")
    return ("# bash completion for ecrd: generated from server/flags.txt "
            "by\n# cmake/gen_flags.py (make flags). Do not edit.\n"
            "_ecrd()\n{\n\tlocal cur=${COMP_WORDS[COMP_CWORD]}\n"
            "\tlocal prev=${COMP_WORDS[COMP_CWORD-1]}\n\n"
            "\tcase $prev in\n" + "\n".join(cases) + "\n\tesac\n"
            f"\tCOMPREPLY=($(compgen -W \"{words}\" -- \"$cur\"))\n"
            "}\ncomplete -o filenames -F _ecrd ecrd\n")


def gen_readme(flags, readme):
    start = readme.find(README_BEGIN)
    end = readme.find(README_END)
    if start < 0 or end < start:
        raise SystemExit("README.md: flags markers missing")
    rows = ["| flag | meaning |", "|---|---|"]
    for f in flags:
        rows.append(f"| `{f.spec}` | {' '.join(f.doc)} |")
    return (readme[:start] + README_BEGIN + "\n" + "\n".join(rows) + "\n" +
            readme[end:])


def check_cases(flags, main_c):
    """Every flag has its `case` in parse_options, and every case a flag."""
    body = main_c[main_c.find("\nparse_options("):]
    body = body[:body.find("\n}\n")]
    cases = set(re.findall(r"case '(.)':", body))
    vals = {f.val for f in flags}
    errors = [f"server/main.c: parse_options has no case '{v}' for --{f.long}"
              for f in flags for v in [f.val] if v not in cases]
    errors += [f"server/main.c: case '{c}' is no flag of server/flags.txt"
               for c in sorted(cases - vals)]
    return errors


def check_defaults(flags, root):
    """A flag's help and doc name the default its `default` macro holds."""
    errors = []
    for f in flags:
        for path, macro in f.defaults:
            m = re.search(r"^#define %s\s+(\"[^\"]*\"|\w+)" % macro,
                          (root / path).read_text(), re.M)
            if m is None:
                errors.append(f"{path}: no #define {macro} (--{f.long})")
                continue
            value = m.group(1).strip('"')
            for what, text in (("help", f.help), ("doc", f.doc)):
                if value not in " ".join(text):
                    errors.append(f"server/flags.txt: --{f.long}'s {what} "
                                  f"does not say its default {value} "
                                  f"({macro}, {path})")
    return errors


def main(argv):
    check = "--check" in argv
    rest = [a for a in argv if a != "--check"]
    root = Path(rest[0] if rest else Path(__file__).resolve().parent.parent)
    flags = parse(root / "server/flags.txt")
    version = re.search(r"project\(ecrd VERSION ([0-9.]+)",
                        (root / "CMakeLists.txt").read_text()).group(1)
    outputs = {
        "server/flags_gen.c": gen_c(flags),
        "packaging/ecrd.1": gen_man(
            flags, (root / "packaging/ecrd.1.in").read_text(), version),
        "packaging/ecrd.bash": gen_bash(flags),
        "README.md": gen_readme(flags, (root / "README.md").read_text()),
    }
    stale = []
    errors = check_cases(flags, (root / "server/main.c").read_text())
    errors += check_defaults(flags, root)
    for e in errors:
        print("gen_flags: " + e, file=sys.stderr)
    for name, text in outputs.items():
        path = root / name
        if path.exists() and path.read_text() == text:
            continue
        if check:
            stale.append(name)
        else:
            path.write_text(text)
            print(f"gen_flags: wrote {name}")
    if stale:
        print("gen_flags: stale (edit server/flags.txt, then run "
              "`make flags`): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
