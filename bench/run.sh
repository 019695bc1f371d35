#!/usr/bin/env bash
# bench/run.sh: throughput, latency, start-up time and memory of ecrd, with
# moto_server beside it for comparison. Builds nothing: it runs $ECRD_BIN
# (default build/server/ecrd). A Release build gives the honest numbers:
#
#   cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-release -j
#   ECRD_BIN=build-release/server/ecrd bench/run.sh
#
# Needs wrk (Debian package), python3 with botocore/boto3, and moto_server
# for the comparison (BENCH_MOTO=0 skips it). Every request wrk sends is
# signed by botocore beforehand (bench/sign.py), and ecrd runs in strict
# mode (--credentials) so that it verifies each signature; BENCH_STRICT=0
# runs it permissive instead. ecrd stores durably in a fresh --data-dir
# (never --ephemeral), so CreateRepository numbers include fsync.
#
# Knobs: BENCH_DURATION (10s), BENCH_THREADS (2), BENCH_CONNECTIONS (32),
# BENCH_CREATE_POOL (400000 unique names), BENCH_MOTO (1), BENCH_STRICT (1).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
ECRD_BIN=${ECRD_BIN:-$ROOT/build/server/ecrd}
DURATION=${BENCH_DURATION:-10s}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
CREATE_POOL=${BENCH_CREATE_POOL:-400000}
MOTO=${BENCH_MOTO:-1}
STRICT=${BENCH_STRICT:-1}
KEY=AKIABENCH00000000001
SECRET=bench-secret-0123456789
REGION=us-east-1
STOP_WAIT_TENTHS=100	# 10 s for a server to exit after SIGTERM

die() { echo "bench: $*" >&2; exit 1; }

[ -x "$ECRD_BIN" ] || die "no ecrd at $ECRD_BIN (set ECRD_BIN; see the top of $0)"
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
python3 -c 'import botocore, boto3' 2>/dev/null ||
    die "python3 cannot import botocore and boto3"
if [ "$MOTO" = 1 ] && ! command -v moto_server >/dev/null; then
	die "moto_server not found (pip install 'moto[server]', or BENCH_MOTO=0)"
fi

WORK=$(mktemp -d /tmp/bench-work.XXXXXX)
RESULTS=$WORK/results.txt
PIDS=()

is_alive() {
	[ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}

stop_pid() {
	local pid=$1 i
	is_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < STOP_WAIT_TENTHS; i++)); do
		is_alive "$pid" || return 0
		sleep 0.1
	done
	echo "bench: pid $pid ignored SIGTERM; killing it" >&2
	kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
	local pid
	for pid in "${PIDS[@]}"; do
		stop_pid "$pid"
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start NAME PATH CMD...: start a server, time it, remember its PID.
start() {
	local name=$1 path=$2
	shift 2
	python3 "$BENCH/start.py" --out "$WORK/$name.json" \
	    --log "$WORK/$name.log" --path "$path" -- "$@" ||
	    { cat "$WORK/$name.log" >&2 || true; die "$name did not start"; }
	PID=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pid"])' "$WORK/$name.json")
	PORT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$WORK/$name.json")
	PIDS+=("$PID")
	printf 'start server=%s ms=%s\n' "$name" "$(python3 -c 'import json,sys; print("%.2f" % json.load(open(sys.argv[1]))["start_ms"])' "$WORK/$name.json")" >>"$RESULTS"
}

rss() {
	local name=$1 pid=$2 phase=$3 hwm anon file
	hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
	anon=$(awk '/^RssAnon:/ {print $2}' "/proc/$pid/status")
	file=$(awk '/^RssFile:/ {print $2}' "/proc/$pid/status")
	printf 'rss server=%s phase=%s kib=%s anon_kib=%s file_kib=%s\n' \
	    "$name" "$phase" "$hwm" "$anon" "$file" >>"$RESULTS"
}

pool() {	# pool ENDPOINT OP COUNT OUT [PREFIX]
	python3 "$BENCH/sign.py" pool --endpoint "$1" --op "$2" --count "$3" \
	    --out "$4" --name-prefix "${5:-bench}" --key "$KEY" \
	    --secret "$SECRET" --region "$REGION"
}

probe() {	# probe SERVER SCENARIO ENDPOINT POOL
	printf 'probe server=%s scenario=%s %s\n' "$1" "$2" \
	    "$(python3 "$BENCH/sign.py" probe --endpoint "$3" --pool "$4")" >>"$RESULTS"
}

run_wrk() {	# run_wrk SERVER SCENARIO ENDPOINT POOL
	local out=$WORK/wrk-$1-$2.txt line
	echo "bench: $1 $2: wrk -t$THREADS -c$CONNS -d$DURATION" >&2
	timeout 120 wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency \
	    -s "$BENCH/replay.lua" "$3" -- "$4" "$THREADS" >"$out" 2>&1 ||
	    { cat "$out" >&2; die "wrk failed for $1 $2"; }
	line=$(grep '^BENCH ' "$out" | tail -1)
	[ -n "$line" ] || { cat "$out" >&2; die "no summary from wrk for $1 $2"; }
	printf 'wrk server=%s scenario=%s %s\n' "$1" "$2" "${line#BENCH }" >>"$RESULTS"
}

# --- ecrd ------------------------------------------------------------------
ECRD_ARGS=(--listen "127.0.0.1:{port}" --data-dir "$WORK/ecrd-data"
    --log-level error)
if [ "$STRICT" = 1 ]; then
	cat >"$WORK/credentials.json" <<EOF
{"principals": [{"accessKeyId": "$KEY", "secretAccessKey": "$SECRET",
  "arn": "arn:aws:iam::111111111111:user/bench", "policies": []}]}
EOF
	ECRD_ARGS+=(--credentials "$WORK/credentials.json")
fi
echo "bench: starting $ECRD_BIN" >&2
start ecrd /health "$ECRD_BIN" "${ECRD_ARGS[@]}"
ECRD_PID=$PID
EP=http://127.0.0.1:$PORT

echo "bench: ecrd: 100 repositories, signed pools" >&2
python3 "$BENCH/sign.py" populate --endpoint "$EP" --count 100 \
    --name-prefix bench-d --key "$KEY" --secret "$SECRET" --region "$REGION"
pool "$EP" DescribeRepositories 64 "$WORK/ecrd-describe.bin"
pool "$EP" GetAuthorizationToken 64 "$WORK/ecrd-token.bin"
probe ecrd DescribeRepositories "$EP" "$WORK/ecrd-describe.bin"
probe ecrd GetAuthorizationToken "$EP" "$WORK/ecrd-token.bin"
run_wrk ecrd DescribeRepositories "$EP" "$WORK/ecrd-describe.bin"
run_wrk ecrd GetAuthorizationToken "$EP" "$WORK/ecrd-token.bin"
rss ecrd "$ECRD_PID" before_creates

echo "bench: ecrd: signing $CREATE_POOL unique CreateRepository requests" >&2
pool "$EP" CreateRepository "$CREATE_POOL" "$WORK/ecrd-create.bin" \
    "bench-c-$$"
run_wrk ecrd CreateRepository "$EP" "$WORK/ecrd-create.bin"
rss ecrd "$ECRD_PID" after_creates
stop_pid "$ECRD_PID"

# --- moto_server, for comparison -------------------------------------------
if [ "$MOTO" = 1 ]; then
	echo "bench: starting moto_server" >&2
	start moto /moto-api/ moto_server -H 127.0.0.1 -p "{port}"
	MOTO_PID=$PID
	MEP=http://127.0.0.1:$PORT
	python3 "$BENCH/sign.py" populate --endpoint "$MEP" --count 100 \
	    --name-prefix bench-d --key "$KEY" --secret "$SECRET" \
	    --region "$REGION"
	pool "$MEP" DescribeRepositories 64 "$WORK/moto-describe.bin"
	pool "$MEP" GetAuthorizationToken 64 "$WORK/moto-token.bin"
	probe moto DescribeRepositories "$MEP" "$WORK/moto-describe.bin"
	probe moto GetAuthorizationToken "$MEP" "$WORK/moto-token.bin"
	run_wrk moto DescribeRepositories "$MEP" "$WORK/moto-describe.bin"
	run_wrk moto GetAuthorizationToken "$MEP" "$WORK/moto-token.bin"
	rss moto "$MOTO_PID" after_reads
	stop_pid "$MOTO_PID"
fi

echo "ecrd: $ECRD_BIN ($("$ECRD_BIN" --version)), $( [ "$STRICT" = 1 ] && echo strict || echo permissive) mode, durable --data-dir"
echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency; $(nproc) CPUs; load generator and servers share them"
python3 "$BENCH/report.py" "$RESULTS"
