#!/bin/sh
# Run each libFuzzer harness for a bounded time (make fuzz). New corpus
# entries and crash artifacts go to a scratch dir, never to the repository:
# merge a useful entry by hand with its reproducing unit test.
# Usage: test/fuzz/run.sh BUILD_DIR OUT_DIR SECONDS [NAME...]
set -eu

src=$(cd "$(dirname "$0")" && pwd)
build=$1
out=$2
secs=$3
shift 3
[ $# -eq 0 ] && set -- iam lifecycle sigv4 manifest http scan

failed=""
for name in "$@"; do
	bin=$build/test/fuzz/fuzz_$name
	if [ ! -x "$bin" ]; then
		echo "fuzz: $bin is missing (make fuzz builds it)" >&2
		exit 1
	fi
	mkdir -p "$out/$name/corpus"
	# The JSON harnesses take JSON syntax too; libFuzzer reads one dict.
	case $name in
	iam|lifecycle|manifest)
		cat "$src/dict/json.dict" "$src/dict/$name.dict" \
		    >"$out/$name/dict" ;;
	*)
		cp "$src/dict/$name.dict" "$out/$name/dict" ;;
	esac
	echo "fuzz: $name for ${secs}s; log in $out/$name/log" >&2
	if "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -dict="$out/$name/dict" -print_final_stats=1 \
	    -artifact_prefix="$out/$name/" \
	    "$out/$name/corpus" "$src/corpus/$name" >"$out/$name/log" 2>&1
	then
		grep -E '^#[0-9]+.*DONE' "$out/$name/log" | tail -1 |
		    sed "s/^/fuzz: $name: /" >&2
	else
		failed="$failed $name"
		tail -40 "$out/$name/log" >&2
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz: FAILED:$failed (artifacts in $out/NAME/)" >&2
	exit 1
fi
