#!/bin/sh
# Check (default) or apply (--apply) .clang-format on the C sources: every
# .c and .h git tracks (every one under the source folders outside a git
# checkout), but generated files (*_gen.[ch]: api/model_gen.* written by
# cmake/gen_model.py, server/flags_gen.c by cmake/gen_flags.py). The check names each file that differs and fails.
# STYLE.md 2: the formatter settles layout, not reviewers. Debian's
# clang-format (14 on bookworm) is the reference: other versions lay out
# some lines differently.
set -eu
cd "$(dirname "$0")/.."
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files '*.c' '*.h')
else
	files=$(find api auth bench common core policy registry server store \
	    test -name '*.[ch]' | sort)
fi
files=$(printf '%s\n' $files | grep -v '_gen\.[ch]$')
if [ "${1:-}" = "--apply" ]; then
	# shellcheck disable=SC2086
	clang-format -i $files
	exit 0
fi
bad=0
for f in $files; do
	if ! clang-format "$f" | cmp -s "$f" -; then
		echo "format: $f differs from .clang-format (make format)" >&2
		bad=1
	fi
done
exit $bad
