#!/usr/bin/env bash
# bench/run.sh: throughput, latency, start-up time and memory of ecrd, with
# moto_server beside it for comparison. Builds nothing: it runs $ECRD_BIN
# (default build/server/ecrd) and, for "ceiling", $ECRD_CEILING_BIN (default
# bench/ecrd-ceiling of the same build tree, bench/ceiling.c). A Release
# build gives the honest numbers:
#
#   cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-release -j
#   ECRD_BIN=build-release/server/ecrd bench/run.sh
#
# Needs wrk and strace (Debian packages), curl, python3 with botocore/boto3, and
# moto_server for the comparison (BENCH_MOTO=0 skips it). Every request wrk
# sends is signed by botocore beforehand (bench/sign.py), and ecrd runs in
# strict mode (--credentials) so that it verifies each signature;
# BENCH_STRICT=0 runs it permissive instead. The bench principal's identity
# policy allows ecr:* (strict mode evaluates it per request). Each ecrd
# stores durably in its own fresh --data-dir (never --ephemeral), so write
# figures include fsync.
# The figures are measured and printed beside their targets, never asserted.
#
# Scenario sets (BENCH_SCENARIOS: a space- or comma-separated list, default
# "all" = "repos images layer registry policy stall scaling ceiling
# replication tls pullthrough scan"):
#   repos   DescribeRepositories, GetAuthorizationToken, CreateRepository,
#           start-up time and RSS (issue 1)
#   images  issue 3, on two servers:
#           ecrd-img (ECR's reference checks): PutImage of unique OCI
#             manifests naming a config and two small real layers uploaded
#             once through the layer API (the realistic path);
#             BatchGetImage by tag (one image)
#           ecrd-rlx (--relax-references): repositories of 100, 1,000 and
#             BENCH_BIG_REPO images, filled by replaying signed PutImage
#             requests once each; DescribeImages first page (maxResults 100)
#   moto_server takes the same requests where it has the API (no layer API).
#   layer   issue 3, on ecrd-lay: a BENCH_LAYER_MIB (1024) MiB layer through
#           InitiateLayerUpload / UploadLayerPart (10 MiB parts, base64
#           JSON, each signed) / CompleteLayerUpload, then downloaded with
#           curl from its GetDownloadUrlForLayer URL; peak RSS during each
#   registry  issue 4, the registry API (/v2/) on ecrd-reg (Basic auth with
#           the bench principal's GetAuthorizationToken password; strict
#           unless BENCH_STRICT=0) and on Debian's docker-registry
#           (CNCF distribution 2.8, "distrib": no auth, filesystem storage
#           in the work directory; skipped, saying so, when not installed):
#           a BENCH_BLOB_MIB (1024) MiB blob pushed 3 times (each a new
#           blob: POST, one PATCH streaming it, PUT ?digest=) and pulled
#           3 times with curl, GB/s and the server's peak RSS during each;
#           BENCH_PULL_CLIENTS (16) curl processes at once pulling an image
#           of one BENCH_IMAGE_MIB (100) MiB layer (manifest, then layer),
#           total GB/s; manifest GET by tag with wrk
#   policy  issue 5, strict vs permissive and the cost of policy
#           evaluation, each on a server of its own holding 100
#           repositories and an empty one: ecrd-prm (permissive),
#           ecrd-s1 (strict, identity policy: one Allow ecr:* statement),
#           ecrd-s20 (strict, a 20-statement identity policy of which only
#           the last applies, and a 20-statement repository policy on the
#           empty repository: bench/policies.py); DescribeRepositories and
#           ListImages of the empty repository at -c$BENCH_CONNECTIONS, and
#           ListImages on one connection (latency without queueing)
#   stall   issue 12, on ecrd-stall (--relax-references; --admin-endpoints
#           where ecrd has it): bench/stall.py probes with a signed
#           DescribeRepositories every 5 ms from a process of its own;
#           p50/p99/max latency (from each probe's scheduled send) and the
#           count over 100 ms, with nothing else running (baseline), during
#           a GC (POST /_ecrd/gc?grace_seconds=0) of BENCH_GC_BLOBS tiny
#           blobs pushed through /v2/ and named by no image, during a
#           force-delete of a repository of BENCH_BIG_REPO images (and a
#           POST /_ecrd/gc after it, which answers once its records are
#           reaped), and
#           during 16 pushes at once of new BENCH_PUSH_MIB MiB blobs; then
#           bench/loopsync.py: strace on every thread of ecrd while 2,000
#           PutImage and 4 pushes run, counting the fsync, fdatasync,
#           sync_file_range, rename*, link* and unlink* calls of the loop's
#           thread (target: none) and of the others
#   scaling issue 12, on ecrd-scale: aggregate throughput of 1, then 8,
#           new BENCH_PUSH_MIB MiB blobs pushed at once, the ratio, and
#           the server's CPU seconds (utime+stime) per GiB pushed
#   pullthrough issue 13, on ecrd-ptc with a pull-through cache rule for
#           quay.io, which --upstream-url points at Debian's docker-registry
#           (distrib-ptc, skipped when not installed): a new BENCH_PTC_MIB
#           (256) MiB blob per run (3 runs) pulled with curl directly from
#           the upstream, then through ecrd for the first time (after its
#           manifest), then again (cached); the medians of the first pull's
#           time to first byte and rate, its ratio to the direct pull,
#           ecrd's peak RSS during the first pulls, and the cached pull
#           beside an ordinary pull of a blob pushed to ecrd
#   ceiling issue 12: DescribeRepositories (100 repositories) and
#           GetAuthorizationToken on ecrd-ceil and on ecrd-ceiling, a
#           do-nothing libevent server answering the bytes ecrd answered,
#           with the same signed requests at -c16 and -c64; ecrd's req/s
#           as a percentage of the ceiling's
#   replication  issue 14: PutImage (as in "images") on ecrd-rep0 (no
#           replication) and on ecrd-rep3 (3 destinations: other regions
#           of the account), the ratio; then on ecrd-repl, bench/stall.py's
#           prober during BENCH_REPL_PUSHES (1000) PutImage, one after the
#           other, and until the last one is replicated to its 3
#           destinations (bench/replication.py), with that time
#   tls     issue 18: ecrd-http and ecrd-tls, alike (strict unless
#           BENCH_STRICT=0) but that ecrd-tls serves HTTPS (--tls-cert, a
#           P-256 certificate from a CA made in the work directory; wrk,
#           curl and python trust it through SSL_CERT_FILE,
#           CURL_CA_BUNDLE and AWS_CA_BUNDLE): DescribeRepositories (100
#           repositories) with wrk, and a BENCH_TLS_BLOB_MIB (256) MiB blob
#           pushed once and pulled 3 times with curl; HTTPS as a ratio of
#           plain HTTP
#   scan    issue 15: bench/ecrd-scan-bench ($ECRD_SCAN_BENCH_BIN, built
#           beside ecrd; bench/scan_bench.c): the package inventory of a
#           BENCH_SCAN_MIB (200) MiB image of 5 gzip layers, its time and
#           peak RSS; vulndb_open of BENCH_OSV_RECORDS (100,000) OSV
#           records, its time and RSS; a match of the inventory
#   observe issue 17: the cost of metrics, the events file and the audit
#           log, on three servers alike but for them: ecrd-obs-off
#           (--no-metrics: the baseline), ecrd-obs-metrics (the default)
#           and ecrd-obs-all (metrics, --events-file and --audit-log; a
#           build without those flags prints "skipped: flag not built");
#           DescribeRepositories (100 repositories) and PutImage (as in
#           "images", unique manifests signed per server and round) with
#           wrk for BENCH_OBSERVE_DURATION (3s) per run, in
#           BENCH_OBSERVE_ROUNDS (5) rounds that alternate the servers'
#           order (off, metrics, all; then all, metrics, off), so the
#           shared machine's noise falls on each side; each round's req/s
#           as a ratio of that round's all-off figure, and their median
#
# Knobs: BENCH_SCENARIOS, BENCH_DURATION (10s), BENCH_THREADS (2),
# BENCH_CONNECTIONS (32), BENCH_CREATE_POOL (400000 unique names),
# BENCH_PUT_POOL (250000 unique images), BENCH_BIG_REPO (100000 images),
# BENCH_LAYER_MIB (1024), BENCH_BLOB_MIB (1024), BENCH_IMAGE_MIB (100),
# BENCH_PULL_CLIENTS (16), BENCH_GC_BLOBS (100000), BENCH_PUSH_MIB (256),
# BENCH_REPL_PUSHES (1000), BENCH_TLS_BLOB_MIB (256), BENCH_PTC_MIB (256),
# BENCH_OBSERVE_ROUNDS (5), BENCH_OBSERVE_DURATION (3s),
# BENCH_OBSERVE_PUT_POOL (20000 unique images per server and round),
# BENCH_MOTO (1), BENCH_STRICT (1), BENCH_PERF (a
# directory: perf record -g of each ecrd scenario, with a perf report of
# each beside it; figures taken under perf are lower).
set -euo pipefail

export PYTHONDONTWRITEBYTECODE=1	# images.py imports sign.py
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
ECRD_BIN=${ECRD_BIN:-$ROOT/build/server/ecrd}
DURATION=${BENCH_DURATION:-10s}
THREADS=${BENCH_THREADS:-2}
CONNS=${BENCH_CONNECTIONS:-32}
CREATE_POOL=${BENCH_CREATE_POOL:-400000}
PUT_POOL=${BENCH_PUT_POOL:-250000}
BIG_REPO=${BENCH_BIG_REPO:-100000}
LAYER_MIB=${BENCH_LAYER_MIB:-1024}
BLOB_MIB=${BENCH_BLOB_MIB:-1024}
IMAGE_MIB=${BENCH_IMAGE_MIB:-100}
PULL_CLIENTS=${BENCH_PULL_CLIENTS:-16}
GC_BLOBS=${BENCH_GC_BLOBS:-100000}
PUSH_MIB=${BENCH_PUSH_MIB:-256}
REPL_PUSHES=${BENCH_REPL_PUSHES:-1000}
REPL_DESTS=3		# issue 14's figures: destinations per push
TLS_BLOB_MIB=${BENCH_TLS_BLOB_MIB:-256}
PTC_MIB=${BENCH_PTC_MIB:-256}
OBS_ROUNDS=${BENCH_OBSERVE_ROUNDS:-5}
OBS_DURATION=${BENCH_OBSERVE_DURATION:-3s}
OBS_PUT_POOL=${BENCH_OBSERVE_PUT_POOL:-20000}
STALL_PUSHES=16		# issue 12's figures: pushes at once in "stall",
SCALE_PUSHES=8		# and in "scaling" beside one
LOOPSYNC_IMAGES=2000	# PutImage and pushes at once under strace, in
LOOPSYNC_PUSHES=4	# "stall": the loop's own sync and rename calls
CEILING_CONNS="16 64"
CEILING_BIN=${ECRD_CEILING_BIN:-$(dirname "$ECRD_BIN")/../bench/ecrd-ceiling}
SCAN_BENCH_BIN=${ECRD_SCAN_BENCH_BIN:-$(dirname "$ECRD_BIN")/../bench/ecrd-scan-bench}
SCENARIOS=${BENCH_SCENARIOS:-all}
SCENARIOS=${SCENARIOS//,/ }
case " $SCENARIOS " in
*" all "*)
	SCENARIOS="repos images layer registry policy stall scaling ceiling"
	SCENARIOS+=" replication tls pullthrough scan observe" ;;
esac
MOTO=${BENCH_MOTO:-1}
STRICT=${BENCH_STRICT:-1}
PERF_DIR=${BENCH_PERF:-}
KEY=AKIABENCH00000000001
SECRET=bench-secret-0123456789
REGION=us-east-1
STOP_WAIT_TENTHS=100	# 10 s for a server to exit after SIGTERM
ONCE_LIMIT=120		# seconds for one filling replay

die() { echo "bench: $*" >&2; exit 1; }

[ -x "$ECRD_BIN" ] || die "no ecrd at $ECRD_BIN (set ECRD_BIN; see the top of $0)"
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
command -v curl >/dev/null || die "curl is not installed"
command -v strace >/dev/null || die "strace is not installed (apt-get install strace)"
python3 -c 'import botocore, boto3' 2>/dev/null ||
    die "python3 cannot import botocore and boto3"
for sc in $SCENARIOS; do
	case $sc in
	repos | images | layer | registry | policy | stall | scaling | \
	    ceiling | replication | tls | pullthrough | scan | observe) ;;
	*) die "unknown scenario set '$sc'" ;;
	esac
done
if [[ " $SCENARIOS " == *" tls "* ]] && ! command -v openssl >/dev/null; then
	die "openssl is not installed (the tls scenario makes its certificate)"
fi
if [[ " $SCENARIOS " == *" ceiling "* ]] && [ ! -x "$CEILING_BIN" ]; then
	die "no ecrd-ceiling at $CEILING_BIN (built beside ecrd: set ECRD_CEILING_BIN)"
fi
if [[ " $SCENARIOS " == *" scan "* ]] && [ ! -x "$SCAN_BENCH_BIN" ]; then
	die "no ecrd-scan-bench at $SCAN_BENCH_BIN (built beside ecrd: set ECRD_SCAN_BENCH_BIN)"
fi
if [ -n "$PERF_DIR" ]; then
	command -v perf >/dev/null || die "BENCH_PERF is set but perf is missing"
	mkdir -p "$PERF_DIR"
	PERF_DIR=$(cd "$PERF_DIR" && pwd)
fi
case " $SCENARIOS " in
*" repos "* | *" images "*) ;;
*) MOTO=0 ;;	# moto has no registry API and no policies
esac
if [ "$MOTO" = 1 ] && ! command -v moto_server >/dev/null; then
	die "moto_server not found (pip install 'moto[server]', or BENCH_MOTO=0)"
fi

WORK=$(mktemp -d /tmp/bench-work.XXXXXX)
RESULTS=$WORK/results.txt
: >"$RESULTS"
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

wants() { case " $SCENARIOS " in *" $1 "*) return 0 ;; esac; return 1; }

# start_ecrd NAME ARGS...: start ecrd as NAME in a fresh --data-dir
# $WORK/NAME-data; PID, PORT and EP name it. stop_ecrd NAME PID: stop it
# and remove its store.
start_ecrd() {
	local name=$1
	shift
	start "$name" /health "$ECRD_BIN" --listen "127.0.0.1:{port}" \
	    --data-dir "$WORK/$name-data" --log-level error "$@"
	EP=http://127.0.0.1:$PORT
}
stop_ecrd() {
	stop_pid "$2"
	rm -rf "$WORK/$1-data"
}

# start NAME PATH [--env NAME=VALUE | --tls]... [--] CMD...: start a
# server, time it, remember its PID ("{port}" in CMD and the values: its
# port); --tls: it answers HTTPS.
start() {
	local name=$1 path=$2 opts=()
	shift 2
	while [ "${1:-}" = --env ] || [ "${1:-}" = --tls ]; do
		if [ "$1" = --tls ]; then
			opts+=(--tls)
			shift
			continue
		fi
		opts+=(--env "$2")
		shift 2
	done
	[ "${1:-}" != -- ] || shift
	python3 "$BENCH/start.py" --out "$WORK/$name.json" \
	    --log "$WORK/$name.log" --path "$path" "${opts[@]}" -- "$@" ||
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

image_pool() {	# image_pool ENDPOINT OP COUNT OUT ARGS... (--repo etc.)
	local ep=$1 op=$2 n=$3 out=$4
	shift 4
	python3 "$BENCH/sign.py" pool --endpoint "$ep" --op "$op" --count "$n" \
	    --out "$out" --key "$KEY" --secret "$SECRET" --region "$REGION" "$@"
}

images() {	# images CMD ENDPOINT ARGS...: bench/images.py, signed
	local cmd=$1 ep=$2
	shift 2
	python3 "$BENCH/images.py" "$cmd" --endpoint "$ep" --key "$KEY" \
	    --secret "$SECRET" --region "$REGION" "$@"
}

# probe SERVER SCENARIO ENDPOINT POOL [FILE]: one request, its status and
# size (FILE: keep the whole answer there)
probe() {
	printf 'probe server=%s scenario=%s %s\n' "$1" "$2" \
	    "$(python3 "$BENCH/sign.py" probe --endpoint "$3" --pool "$4" \
	    ${5:+--response-out "$5"})" >>"$RESULTS"
}

populate() {	# populate ENDPOINT: the 100 repositories Describe lists
	python3 "$BENCH/sign.py" populate --endpoint "$1" --count 100 \
	    --name-prefix bench-d --key "$KEY" --secret "$SECRET" \
	    --region "$REGION"
}

count() {	# count SERVER ENDPOINT REPO EXPECTED
	printf 'count server=%s repo=%s expect=%s %s\n' "$1" "$3" "$4" \
	    "$(images count "$2" --repo "$3")" >>"$RESULTS"
}

# perf_start NAME PID ... perf_stop NAME: with BENCH_PERF, profile a scenario.
PERF_PID=
perf_start() {
	[ -n "$PERF_DIR" ] || return 0
	perf record -g -q -o "$PERF_DIR/$1.data" -p "$2" >/dev/null 2>&1 &
	PERF_PID=$!
	PIDS+=("$PERF_PID")
	sleep 0.5
}
perf_stop() {
	[ -n "$PERF_PID" ] || return 0
	kill -INT "$PERF_PID" 2>/dev/null || true
	wait "$PERF_PID" 2>/dev/null || true
	PERF_PID=
	perf report -i "$PERF_DIR/$1.data" --no-children --stdio 2>/dev/null |
	    head -80 >"$PERF_DIR/$1.txt" || true
	echo "bench: profile: $PERF_DIR/$1.txt" >&2
}

# run_wrk SERVER SCENARIO ENDPOINT POOL [CONNS THREADS TIMEOUT [PID]]
# (PID: the server to profile under BENCH_PERF)
run_wrk() {
	local out=$WORK/wrk-$1-$2.txt line c=${5:-$CONNS} t=${6:-$THREADS}
	local to=${7:-2s} pid=${8:-}
	echo "bench: $1 $2: wrk -t$t -c$c -d$DURATION" >&2
	[ -z "$pid" ] || perf_start "$1-$2" "$pid"
	timeout 120 wrk -t"$t" -c"$c" -d"$DURATION" --timeout "$to" --latency \
	    -s "$BENCH/replay.lua" "$3" -- "$4" "$t" >"$out" 2>&1 ||
	    { cat "$out" >&2; die "wrk failed for $1 $2"; }
	[ -z "$pid" ] || perf_stop "$1-$2"
	line=$(grep '^BENCH ' "$out" | tail -1)
	[ -n "$line" ] || { cat "$out" >&2; die "no summary from wrk for $1 $2"; }
	printf 'wrk server=%s scenario=%s %s\n' "$1" "$2" "${line#BENCH }" >>"$RESULTS"
}

# run_once SERVER SCENARIO ENDPOINT POOL [CONNS THREADS]: send each request
# of POOL exactly once (filling a repository), within ONCE_LIMIT seconds;
# wrk is interrupted as soon as every thread has had all its answers.
run_once() {
	local dir=$WORK/once-$1-$2 out=$WORK/once-$1-$2.txt line pid n
	local c=${5:-$CONNS} t=${6:-$THREADS}
	mkdir -p "$dir"
	echo "bench: $1 $2: each request once (wrk -t$t -c$c)" >&2
	BENCH_ONCE_DIR=$dir wrk -t"$t" -c"$c" -d"${ONCE_LIMIT}s" --timeout 60s \
	    -s "$BENCH/replay.lua" "$3" -- "$4" "$t" >"$out" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	while is_alive "$pid"; do
		n=$(find "$dir" -name 'done.*' | wc -l)
		[ "$n" -lt "$t" ] || break
		sleep 0.05
	done
	kill -INT "$pid" 2>/dev/null || true
	wait "$pid" || { cat "$out" >&2; die "wrk failed for $1 $2"; }
	line=$(grep '^BENCH ' "$out" | tail -1)
	[ -n "$line" ] || { cat "$out" >&2; die "no summary from wrk for $1 $2"; }
	printf 'once server=%s scenario=%s %s\n' "$1" "$2" "${line#BENCH }" >>"$RESULTS"
	if grep -q '^FIRST_BAD ' "$out"; then
		echo "bench: $1 $2: $(grep '^FIRST_BAD ' "$out" | head -1)" >&2
	fi
}

label() {	# label N: 100 -> 100, 1000 -> 1k, 100000 -> 100k
	if [ $(($1 % 1000)) = 0 ]; then echo "$(($1 / 1000))k"; else echo "$1"; fi
}

# fill SERVER REPO N: a new repository of N images on the --relax-references
# server SERVER at EP, each signed PutImage sent once; then counted
fill() {
	images setup "$EP" --repo "$2" --no-blobs --refs-out "$WORK/unused.json"
	echo "bench: $1: signing $3 PutImage requests for $2" >&2
	image_pool "$EP" PutImage "$3" "$WORK/$1-fill.bin" --repo "$2" \
	    --name-prefix "f-$$"
	run_once "$1" "PutImage-fill@$(label "$3")" "$EP" "$WORK/$1-fill.bin"
	rm -f "$WORK/$1-fill.bin"
	count "$1" "$EP" "$2" "$3"
}

STRICT_ARGS=()
if [ "$STRICT" = 1 ]; then
	cat >"$WORK/credentials.json" <<EOF
{"principals": [{"accessKeyId": "$KEY", "secretAccessKey": "$SECRET",
  "arn": "arn:aws:iam::111111111111:user/bench",
  "policies": [{"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}]}]}
EOF
	STRICT_ARGS=(--credentials "$WORK/credentials.json")
fi

# --- ecrd: repositories ----------------------------------------------------
if wants repos; then
	echo "bench: starting $ECRD_BIN" >&2
	start_ecrd ecrd "${STRICT_ARGS[@]}"
	ECRD_PID=$PID

	echo "bench: ecrd: 100 repositories, signed pools" >&2
	populate "$EP"
	pool "$EP" DescribeRepositories 64 "$WORK/ecrd-describe.bin"
	pool "$EP" GetAuthorizationToken 64 "$WORK/ecrd-token.bin"
	probe ecrd DescribeRepositories "$EP" "$WORK/ecrd-describe.bin"
	probe ecrd GetAuthorizationToken "$EP" "$WORK/ecrd-token.bin"
	run_wrk ecrd DescribeRepositories "$EP" "$WORK/ecrd-describe.bin" \
	    "" "" "" "$ECRD_PID"
	run_wrk ecrd GetAuthorizationToken "$EP" "$WORK/ecrd-token.bin" \
	    "" "" "" "$ECRD_PID"
	rss ecrd "$ECRD_PID" before_creates

	echo "bench: ecrd: signing $CREATE_POOL unique CreateRepository requests" >&2
	pool "$EP" CreateRepository "$CREATE_POOL" "$WORK/ecrd-create.bin" \
	    "bench-c-$$"
	run_wrk ecrd CreateRepository "$EP" "$WORK/ecrd-create.bin" \
	    "" "" "" "$ECRD_PID"
	rss ecrd "$ECRD_PID" after_creates
	stop_ecrd ecrd "$ECRD_PID"
	rm -f "$WORK/ecrd-create.bin"
fi

# --- ecrd: images and layers, with ECR's reference checks -------------------
if wants images; then
	start_ecrd ecrd-img "${STRICT_ARGS[@]}"
	IMG_PID=$PID
	echo "bench: ecrd-img: a config and two real layers through the layer API" >&2
	images setup "$EP" --repo bench-put --repo bench-get \
	    --refs-out "$WORK/refs.json"
	images put "$EP" --repo bench-get --refs "$WORK/refs.json" --tag latest
	echo "bench: ecrd-img: signing $PUT_POOL unique PutImage requests" >&2
	image_pool "$EP" PutImage 1 "$WORK/img-put-probe.bin" --repo bench-put \
	    --refs "$WORK/refs.json" --name-prefix "probe-$$"
	image_pool "$EP" PutImage "$PUT_POOL" "$WORK/img-put.bin" \
	    --repo bench-put --refs "$WORK/refs.json" --name-prefix "p-$$"
	image_pool "$EP" BatchGetImage 64 "$WORK/img-get.bin" --repo bench-get \
	    --tag latest
	probe ecrd-img PutImage "$EP" "$WORK/img-put-probe.bin"
	probe ecrd-img BatchGetImage "$EP" "$WORK/img-get.bin"
	run_wrk ecrd-img PutImage "$EP" "$WORK/img-put.bin" "" "" "" "$IMG_PID"
	rm -f "$WORK/img-put.bin"
	rss ecrd-img "$IMG_PID" after_puts
	run_wrk ecrd-img BatchGetImage "$EP" "$WORK/img-get.bin" \
	    "" "" "" "$IMG_PID"
	rss ecrd-img "$IMG_PID" after_gets

	stop_ecrd ecrd-img "$IMG_PID"
fi

# --- ecrd: one big layer, on a server of its own (so that its RSS is the
# layer's, not the LMDB pages of the images above) --------------------------
if wants layer; then
	start_ecrd ecrd-lay "${STRICT_ARGS[@]}"
	LAY_PID=$PID
	echo "bench: ecrd-lay: a $LAYER_MIB MiB layer up and down" >&2
	perf_start ecrd-lay-layer "$LAY_PID"
	images biglayer "$EP" --repo bench-layer \
	    --pid "$LAY_PID" --server ecrd-lay --results "$RESULTS" \
	    --tmp "$WORK" --size $((LAYER_MIB << 20))
	perf_stop ecrd-lay-layer
	stop_ecrd ecrd-lay "$LAY_PID"
fi
if wants images; then

	# --- ecrd: DescribeImages on big repositories (--relax-references) --
	start_ecrd ecrd-rlx --relax-references "${STRICT_ARGS[@]}"
	RLX_PID=$PID
	for spec in "bench-d100:100" "bench-d1k:1000" "bench-dbig:$BIG_REPO"; do
		repo=${spec%%:*} n=${spec#*:}
		fill ecrd-rlx "$repo" "$n"
		image_pool "$EP" DescribeImages 64 "$WORK/rlx-$repo.bin" \
		    --repo "$repo" --max-results 100
		probe ecrd-rlx "DescribeImages@$(label "$n")" "$EP" \
		    "$WORK/rlx-$repo.bin"
	done
	for spec in "bench-d100:100" "bench-d1k:1000" "bench-dbig:$BIG_REPO"; do
		repo=${spec%%:*} n=${spec#*:}
		run_wrk ecrd-rlx "DescribeImages@$(label "$n")" "$EP" \
		    "$WORK/rlx-$repo.bin" "" "" "" "$RLX_PID"
	done
	rss ecrd-rlx "$RLX_PID" after_describes
	stop_ecrd ecrd-rlx "$RLX_PID"
fi

# --- the registry API: ecrd and the reference registry ----------------------
reg() {	# reg CMD ENDPOINT ARGS...: bench/registry.py
	local cmd=$1 ep=$2
	shift 2
	python3 "$BENCH/registry.py" "$cmd" --endpoint "$ep" "$@"
}
login() {	# login ENDPOINT AUTH-FILE REPO...: registry Basic auth
	local ep=$1 auth=$2 repos=() r
	shift 2
	for r in "$@"; do repos+=(--repo "$r"); done
	reg login "$ep" "${repos[@]}" --auth-out "$auth" --key "$KEY" \
	    --secret "$SECRET" --region "$REGION"
}

# registry_workloads SERVER PID ENDPOINT [--auth FILE]: the three workloads
registry_workloads() {
	local name=$1 pid=$2 ep=$3
	shift 3
	echo "bench: $name: a $BLOB_MIB MiB blob pushed and pulled 3 times" >&2
	perf_start "$name-blob" "$pid"
	reg bigblob "$ep" --repo bench-reg "$@" --pid "$pid" --server "$name" \
	    --results "$RESULTS" --tmp "$WORK" --size $((BLOB_MIB << 20))
	perf_stop "$name-blob"
	echo "bench: $name: $PULL_CLIENTS clients pulling a $IMAGE_MIB MiB image" >&2
	reg image "$ep" --repo bench-img --tag latest "$@" --tmp "$WORK" \
	    --size $((IMAGE_MIB << 20))
	perf_start "$name-pull" "$pid"
	reg pull "$ep" --repo bench-img --tag latest "$@" --pid "$pid" \
	    --server "$name" --results "$RESULTS" --clients "$PULL_CLIENTS"
	perf_stop "$name-pull"
	reg pool "$ep" --repo bench-img --tag latest "$@" \
	    --out "$WORK/$name-manifest.bin"
	probe "$name" manifest-GET "$ep" "$WORK/$name-manifest.bin"
	run_wrk "$name" manifest-GET "$ep" "$WORK/$name-manifest.bin" \
	    "" "" "" "$pid"
}

# distrib_config FILE ROOT: the reference registry's configuration
distrib_config() {
	cat >"$1" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: $2
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
EOF
}

if wants registry; then
	start_ecrd ecrd-reg "${STRICT_ARGS[@]}"
	REG_PID=$PID
	login "$EP" "$WORK/reg-auth.txt" bench-reg bench-img
	registry_workloads ecrd-reg "$REG_PID" "$EP" --auth "$WORK/reg-auth.txt"
	stop_ecrd ecrd-reg "$REG_PID"

	if command -v docker-registry >/dev/null; then
		DIST_VERSION=$(docker-registry --version | awk '{print $NF}')
		distrib_config "$WORK/distrib.yml" "$WORK/reg-distrib"
		# The address is the environment's (start.py picks the port).
		start distrib /v2/ --env "REGISTRY_HTTP_ADDR=127.0.0.1:{port}" \
		    -- docker-registry serve "$WORK/distrib.yml"
		DIST_PID=$PID
		registry_workloads distrib "$DIST_PID" "http://127.0.0.1:$PORT"
		stop_pid "$DIST_PID"
		rm -rf "$WORK/reg-distrib"
	else
		echo "bench: distrib: skipped: docker-registry not installed" \
		    "(apt-get install docker-registry)" >&2
		echo "skip server=distrib" >>"$RESULTS"
	fi
	rm -f "$WORK"/big-*.bin* "$WORK"/layer-*.bin*
fi

# --- policy evaluation and strict vs permissive ----------------------------
if wants policy; then
	python3 "$BENCH/policies.py" credentials --statements 1 \
	    --key "$KEY" --secret "$SECRET" --out "$WORK/policy-1.json"
	python3 "$BENCH/policies.py" credentials --statements 20 \
	    --key "$KEY" --secret "$SECRET" --out "$WORK/policy-20.json"
	for cfg in prm s1 s20; do
		name=ecrd-$cfg
		args=()
		case $cfg in
		s1) args=(--credentials "$WORK/policy-1.json") ;;
		s20) args=(--credentials "$WORK/policy-20.json") ;;
		esac
		start_ecrd "$name" "${args[@]}"
		POL_PID=$PID
		echo "bench: $name: 100 repositories and an empty one" >&2
		populate "$EP"
		images setup "$EP" --repo bench-list --no-blobs \
		    --refs-out "$WORK/unused.json"
		if [ "$cfg" = s20 ]; then
			python3 "$BENCH/policies.py" repo-policy --endpoint "$EP" \
			    --repo bench-list --key "$KEY" --secret "$SECRET" \
			    --region "$REGION"
		fi
		pool "$EP" DescribeRepositories 64 "$WORK/$name-describe.bin"
		image_pool "$EP" ListImages 64 "$WORK/$name-list.bin" \
		    --repo bench-list
		probe "$name" DescribeRepositories "$EP" \
		    "$WORK/$name-describe.bin"
		probe "$name" ListImages "$EP" "$WORK/$name-list.bin"
		run_wrk "$name" DescribeRepositories "$EP" \
		    "$WORK/$name-describe.bin" "" "" "" "$POL_PID"
		run_wrk "$name" ListImages "$EP" "$WORK/$name-list.bin" \
		    "" "" "" "$POL_PID"
		run_wrk "$name" ListImages@c1 "$EP" "$WORK/$name-list.bin" \
		    1 1 "" "$POL_PID"
		stop_ecrd "$name" "$POL_PID"
	done
fi

# --- issue 12: does slow work stall the loop? ------------------------------
# A DescribeRepositories prober (bench/stall.py, its own process, every
# 5 ms) beside: nothing (baseline), a GC of GC_BLOBS unreferenced blobs, a
# force-delete of a BIG_REPO-image repository, STALL_PUSHES pushes at once.
# Admin endpoints may be off unless asked for (issue 11): ask when ecrd can.
ADMIN_ARGS=()
if "$ECRD_BIN" --help 2>&1 | grep -q -- --admin-endpoints; then
	ADMIN_ARGS=(--admin-endpoints)
fi
stall() {	# stall NAME ARGS...: one phase of bench/stall.py on ecrd-stall
	local name=$1
	shift
	echo "bench: ecrd-stall: prober during $name" >&2
	python3 "$BENCH/stall.py" phase --name "$name" --endpoint "$EP" \
	    --pid "$STALL_PID" --results "$RESULTS" --tmp "$WORK" \
	    --key "$KEY" --secret "$SECRET" --region "$REGION" "$@"
}
# push_cmd SERVER PID ENDPOINT AUTH-FILE N: PUSH_CMD, N new blobs pushed at
# once (bench/registry.py pushes)
push_cmd() {
	PUSH_CMD=(python3 "$BENCH/registry.py" pushes --endpoint "$3"
	    --repo bench-push --auth "$4" --clients "$5"
	    --size $((PUSH_MIB << 20)) --tmp "$WORK" --pid "$2" --server "$1"
	    --results "$RESULTS")
}

if wants stall; then
	start_ecrd ecrd-stall --relax-references "${ADMIN_ARGS[@]}" \
	    "${STRICT_ARGS[@]}"
	STALL_PID=$PID
	populate "$EP"
	login "$EP" "$WORK/stall-auth.txt" bench-gc bench-push
	stall baseline --idle 3

	echo "bench: ecrd-stall: pushing $GC_BLOBS unreferenced blobs" >&2
	reg blobs "$EP" --repo bench-gc --count "$GC_BLOBS" \
	    --auth "$WORK/stall-auth.txt"
	stall "gc@$(label "$GC_BLOBS")" --post "/_ecrd/gc?grace_seconds=0"

	fill ecrd-stall bench-big "$BIG_REPO"
	image_pool "$EP" DeleteRepository 1 "$WORK/stall-delete.bin" \
	    --repo bench-big --force
	# The delete answers at once; its records are reaped after. A GC
	# reaps first and answers once it is done (the fill's images share a
	# few blobs: little else to collect), so the window covers the reap.
	stall "force-delete@$(label "$BIG_REPO")" \
	    --request "$WORK/stall-delete.bin" --post /_ecrd/gc

	push_cmd ecrd-stall "$STALL_PID" "$EP" "$WORK/stall-auth.txt" \
	    "$STALL_PUSHES"
	stall "push${STALL_PUSHES}x${PUSH_MIB}MiB" -- "${PUSH_CMD[@]}"

	# Does the loop's thread itself sync or rename? strace counts its
	# calls (and the other threads') during PutImage and pushes; the
	# target is none. Their own figures go elsewhere: they run under
	# strace.
	echo "bench: ecrd-stall: strace of the loop during PutImage" \
	    "and $LOOPSYNC_PUSHES pushes" >&2
	python3 "$BENCH/loopsync.py" start --pid "$STALL_PID" \
	    --trace "$WORK/loopsync.trace"
	SAVED_RESULTS=$RESULTS
	RESULTS=$WORK/loopsync-rows.txt
	fill ecrd-stall bench-sync "$LOOPSYNC_IMAGES"
	push_cmd ecrd-stall "$STALL_PID" "$EP" "$WORK/stall-auth.txt" \
	    "$LOOPSYNC_PUSHES"
	"${PUSH_CMD[@]}"
	RESULTS=$SAVED_RESULTS
	python3 "$BENCH/loopsync.py" stop --pid "$STALL_PID" \
	    --trace "$WORK/loopsync.trace" --results "$RESULTS" \
	    --name "putimage${LOOPSYNC_IMAGES}+push${LOOPSYNC_PUSHES}"
	stop_ecrd ecrd-stall "$STALL_PID"
fi

# --- issue 12: do concurrent pushes scale, and at what CPU cost? ------------
if wants scaling; then
	start_ecrd ecrd-scale "${STRICT_ARGS[@]}"
	SCALE_PID=$PID
	login "$EP" "$WORK/scale-auth.txt" bench-push
	for n in 1 "$SCALE_PUSHES"; do
		echo "bench: ecrd-scale: $n x $PUSH_MIB MiB pushes at once" >&2
		push_cmd ecrd-scale "$SCALE_PID" "$EP" "$WORK/scale-auth.txt" \
		    "$n"
		"${PUSH_CMD[@]}"
	done
	stop_ecrd ecrd-scale "$SCALE_PID"
fi
rm -f "$WORK"/push-*.bin*

# --- issue 13: the first pull through the cache, beside a direct one -------
if wants pullthrough; then
	if command -v docker-registry >/dev/null; then
		distrib_config "$WORK/distrib-ptc.yml" "$WORK/ptc-distrib"
		start distrib-ptc /v2/ --env "REGISTRY_HTTP_ADDR=127.0.0.1:{port}" \
		    -- docker-registry serve "$WORK/distrib-ptc.yml"
		PTC_DIST_PID=$PID
		PTC_UP=http://127.0.0.1:$PORT
		start_ecrd ecrd-ptc "${STRICT_ARGS[@]}" \
		    --upstream-url "quay.io=$PTC_UP"
		PTC_PID=$PID
		reg login "$EP" --repo bench-own --rule quay=quay.io \
		    --auth-out "$WORK/ptc-auth.txt" --key "$KEY" \
		    --secret "$SECRET" --region "$REGION"
		echo "bench: ecrd-ptc: first pulls of $PTC_MIB MiB through" \
		    "the cache" >&2
		perf_start ecrd-ptc-first "$PTC_PID"
		reg ptc "$EP" --upstream "$PTC_UP" --prefix quay \
		    --repo bench-ptc --own-repo bench-own \
		    --auth "$WORK/ptc-auth.txt" --pid "$PTC_PID" \
		    --server ecrd-ptc --results "$RESULTS" --tmp "$WORK" \
		    --size $((PTC_MIB << 20))
		perf_stop ecrd-ptc-first
		stop_ecrd ecrd-ptc "$PTC_PID"
		stop_pid "$PTC_DIST_PID"
		rm -rf "$WORK/ptc-distrib" "$WORK"/ptc-*.bin*
	else
		echo "bench: pullthrough: skipped: docker-registry not" \
		    "installed (apt-get install docker-registry)" >&2
		echo "skip server=distrib-ptc" >>"$RESULTS"
	fi
fi

# --- issue 12: ecrd beside a do-nothing libevent server ----------------------
# ecrd-ceiling answers every request with the bytes ecrd answered (head and
# body, captured once), on ecrd's stack (libevent bufferevents and
# http_parser); both take the same signed requests at each CEILING_CONNS.
if wants ceiling; then
	start_ecrd ecrd-ceil "${STRICT_ARGS[@]}"
	CEIL_ECRD_PID=$PID
	populate "$EP"
	CEIL_PIDS=()
	declare -A CEIL_EP
	for op in DescribeRepositories GetAuthorizationToken; do
		pool "$EP" "$op" 64 "$WORK/ceil-$op.bin"
		probe ecrd-ceil "$op" "$EP" "$WORK/ceil-$op.bin" \
		    "$WORK/ceil-$op.http"
		start "ceiling-$op" / "$CEILING_BIN" "{port}" "$WORK/ceil-$op.http"
		CEIL_PIDS+=("$PID")
		CEIL_EP[$op]=http://127.0.0.1:$PORT
	done
	for c in $CEILING_CONNS; do
		for op in DescribeRepositories GetAuthorizationToken; do
			run_wrk ecrd-ceil "$op@c$c" "$EP" "$WORK/ceil-$op.bin" \
			    "$c" "" "" "$CEIL_ECRD_PID"
			run_wrk ceiling "$op@c$c" "${CEIL_EP[$op]}" \
			    "$WORK/ceil-$op.bin" "$c"
		done
	done
	for pid in "${CEIL_PIDS[@]}"; do
		stop_pid "$pid"
	done
	stop_ecrd ecrd-ceil "$CEIL_ECRD_PID"
fi

# --- issue 14: what replication costs a push, and how fast it drains -------
repl() {	# repl CMD ENDPOINT ARGS...: bench/replication.py, signed
	local cmd=$1 ep=$2
	shift 2
	python3 "$BENCH/replication.py" "$cmd" --endpoint "$ep" --key "$KEY" \
	    --secret "$SECRET" --region "$REGION" "$@"
}
if wants replication; then
	for n in 0 "$REPL_DESTS"; do
		start_ecrd "ecrd-rep$n" "${STRICT_ARGS[@]}"
		REP_PID=$PID
		images setup "$EP" --repo bench-put --refs-out "$WORK/rep-refs.json"
		[ "$n" = 0 ] || repl configure "$EP" --destinations "$n"
		echo "bench: ecrd-rep$n: signing $PUT_POOL unique PutImage requests" >&2
		image_pool "$EP" PutImage "$PUT_POOL" "$WORK/rep-put.bin" \
		    --repo bench-put --refs "$WORK/rep-refs.json" \
		    --name-prefix "r$n-$$"
		run_wrk "ecrd-rep$n" "PutImage@${n}dest" "$EP" "$WORK/rep-put.bin" \
		    "" "" "" "$REP_PID"
		rm -f "$WORK/rep-put.bin"
		stop_ecrd "ecrd-rep$n" "$REP_PID"
	done
	start_ecrd ecrd-repl "${STRICT_ARGS[@]}"
	STALL_PID=$PID
	populate "$EP"
	images setup "$EP" --repo bench-put --refs-out "$WORK/rep-refs.json"
	# The same pushes without replication first: the baseline.
	for n in 0 "$REPL_DESTS"; do
		[ "$n" = 0 ] || repl configure "$EP" --destinations "$n"
		stall "replicate$(label "$REPL_PUSHES")x$n" -- \
		    python3 "$BENCH/replication.py" drain --endpoint "$EP" \
		    --key "$KEY" --secret "$SECRET" --region "$REGION" \
		    --repo bench-put --refs "$WORK/rep-refs.json" \
		    --count "$REPL_PUSHES" --server ecrd-repl --results "$RESULTS"
	done
	stop_ecrd ecrd-repl "$STALL_PID"
fi

# --- HTTPS beside plain HTTP (issue 18) -------------------------------------
# make_tls_cert DIR: a CA (ca.pem) and a certificate for 127.0.0.1 it signs
# (server.pem, server.key).
make_tls_cert() {
	(cd "$1" &&
	    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		-nodes -keyout ca.key -out ca.pem -days 2 \
		-subj "/CN=ecrd bench CA" &&
	    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout server.key -out server.csr -subj /CN=127.0.0.1 &&
	    printf 'subjectAltName=IP:127.0.0.1\n' >server.ext &&
	    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key \
		-CAcreateserial -out server.pem -days 2 -extfile server.ext) \
	    >/dev/null 2>&1 || die "openssl could not make the certificates"
}

if wants tls; then
	TLS_DIR=$WORK/tls
	mkdir -p "$TLS_DIR"
	make_tls_cert "$TLS_DIR"
	export SSL_CERT_FILE=$TLS_DIR/ca.pem CURL_CA_BUNDLE=$TLS_DIR/ca.pem \
	    AWS_CA_BUNDLE=$TLS_DIR/ca.pem
	for mode in http tls; do
		name=ecrd-$mode
		if [ "$mode" = tls ]; then
			start "$name" /health --tls "$ECRD_BIN" \
			    --listen "127.0.0.1:{port}" \
			    --data-dir "$WORK/$name-data" --log-level error \
			    --tls-cert "$TLS_DIR/server.pem" \
			    --tls-key "$TLS_DIR/server.key" "${STRICT_ARGS[@]}"
			EP=https://127.0.0.1:$PORT
		else
			start_ecrd "$name" "${STRICT_ARGS[@]}"
		fi
		TLS_PID=$PID
		echo "bench: $name: DescribeRepositories, a $TLS_BLOB_MIB MiB blob" >&2
		populate "$EP"
		pool "$EP" DescribeRepositories 64 "$WORK/$name-describe.bin"
		probe "$name" DescribeRepositories "$EP" "$WORK/$name-describe.bin"
		run_wrk "$name" DescribeRepositories "$EP" \
		    "$WORK/$name-describe.bin" "" "" "" "$TLS_PID"
		login "$EP" "$WORK/$name-auth.txt" bench-tls
		reg bigblob "$EP" --repo bench-tls --auth "$WORK/$name-auth.txt" \
		    --pid "$TLS_PID" --server "$name" --results "$RESULTS" \
		    --tmp "$WORK" --size $((TLS_BLOB_MIB << 20)) --pushes 1 \
		    --pulls 3
		stop_ecrd "$name" "$TLS_PID"
	done
	unset SSL_CERT_FILE CURL_CA_BUNDLE AWS_CA_BUNDLE
	rm -f "$WORK"/big-*.bin*
fi

# --- metrics, events file and audit log: their cost (issue 17) -------------
# obs_args CONFIG: the flags of ecrd-obs-CONFIG, or nothing (and 1) when
# this build lacks one of them.
obs_args() {
	case $1 in
	off) OBS_ARGS=(--no-metrics) ;;
	metrics) OBS_ARGS=() ;;
	all) OBS_ARGS=(--events-file "$WORK/obs-events.jsonl"
	    --audit-log "$WORK/obs-audit.jsonl") ;;
	esac
	local f help
	help=$("$ECRD_BIN" --help 2>&1)
	for f in "${OBS_ARGS[@]}"; do
		case $f in
		--*) [[ "$help" == *"$f"* ]] || return 1 ;;
		esac
	done
}
if wants observe; then
	OBS_CONFIGS=()
	declare -A OBS_EP OBS_PIDS
	for cfg in off metrics all; do
		if ! obs_args "$cfg"; then
			echo "bench: ecrd-obs-$cfg: skipped: flag not built" >&2
			printf 'skip server=ecrd-obs-%s reason=flag_not_built\n' \
			    "$cfg" >>"$RESULTS"
			continue
		fi
		start_ecrd "ecrd-obs-$cfg" "${STRICT_ARGS[@]}" "${OBS_ARGS[@]}"
		OBS_PIDS[$cfg]=$PID
		OBS_EP[$cfg]=$EP
		OBS_CONFIGS+=("$cfg")
		populate "$EP"
		images setup "$EP" --repo bench-put --refs-out "$WORK/obs-$cfg-refs.json"
		pool "$EP" DescribeRepositories 64 "$WORK/obs-$cfg-describe.bin"
		probe "ecrd-obs-$cfg" DescribeRepositories "$EP" \
		    "$WORK/obs-$cfg-describe.bin"
		echo "bench: ecrd-obs-$cfg: signing $OBS_ROUNDS x $OBS_PUT_POOL" \
		    "unique PutImage requests" >&2
		for ((r = 0; r < OBS_ROUNDS; r++)); do
			image_pool "$EP" PutImage "$OBS_PUT_POOL" \
			    "$WORK/obs-$cfg-put-$r.bin" --repo bench-put \
			    --refs "$WORK/obs-$cfg-refs.json" --name-prefix "o$r-$$"
		done
	done
	for ((r = 0; r < OBS_ROUNDS; r++)); do
		order=("${OBS_CONFIGS[@]}")
		if ((r % 2)); then
			order=()
			for ((i = ${#OBS_CONFIGS[@]} - 1; i >= 0; i--)); do
				order+=("${OBS_CONFIGS[$i]}")
			done
		fi
		for cfg in "${order[@]}"; do
			DURATION=$OBS_DURATION run_wrk "ecrd-obs-$cfg" \
			    "DescribeRepositories@r$r" "${OBS_EP[$cfg]}" \
			    "$WORK/obs-$cfg-describe.bin" "" "" "" \
			    "${OBS_PIDS[$cfg]}"
		done
		for cfg in "${order[@]}"; do
			DURATION=$OBS_DURATION run_wrk "ecrd-obs-$cfg" \
			    "PutImage@r$r" "${OBS_EP[$cfg]}" \
			    "$WORK/obs-$cfg-put-$r.bin" "" "" "" "${OBS_PIDS[$cfg]}"
			rm -f "$WORK/obs-$cfg-put-$r.bin"
		done
	done
	for cfg in "${OBS_CONFIGS[@]}"; do
		stop_ecrd "ecrd-obs-$cfg" "${OBS_PIDS[$cfg]}"
	done
	rm -f "$WORK"/obs-*.jsonl
fi

# --- moto_server, for comparison -------------------------------------------
if [ "$MOTO" = 1 ]; then
	echo "bench: starting moto_server" >&2
	start moto /moto-api/ moto_server -H 127.0.0.1 -p "{port}"
	MOTO_PID=$PID
	MEP=http://127.0.0.1:$PORT
	if wants repos; then
		populate "$MEP"
		pool "$MEP" DescribeRepositories 64 "$WORK/moto-describe.bin"
		pool "$MEP" GetAuthorizationToken 64 "$WORK/moto-token.bin"
		probe moto DescribeRepositories "$MEP" "$WORK/moto-describe.bin"
		probe moto GetAuthorizationToken "$MEP" "$WORK/moto-token.bin"
		run_wrk moto DescribeRepositories "$MEP" "$WORK/moto-describe.bin"
		run_wrk moto GetAuthorizationToken "$MEP" "$WORK/moto-token.bin"
	fi
	if wants images; then
		# moto has no layer API and checks no references: made-up blobs.
		images setup "$MEP" --repo bench-get --no-blobs \
		    --refs-out "$WORK/moto-refs.json"
		images put "$MEP" --repo bench-get --refs "$WORK/moto-refs.json" \
		    --tag latest
		image_pool "$MEP" BatchGetImage 64 "$WORK/moto-get.bin" \
		    --repo bench-get --tag latest
		probe moto BatchGetImage "$MEP" "$WORK/moto-get.bin"
		run_wrk moto BatchGetImage "$MEP" "$WORK/moto-get.bin"
		for spec in bench-d100:100 bench-d1k:1000; do
			repo=${spec%%:*} n=${spec#*:}
			images setup "$MEP" --repo "$repo" --no-blobs \
			    --refs-out "$WORK/unused.json"
			image_pool "$MEP" PutImage "$n" "$WORK/moto-fill.bin" \
			    --repo "$repo" --name-prefix "f-$$"
			run_once moto "PutImage-fill@$(label "$n")" "$MEP" \
			    "$WORK/moto-fill.bin" 4 1
			count moto "$MEP" "$repo" "$n"
			image_pool "$MEP" DescribeImages 16 "$WORK/moto-$repo.bin" \
			    --repo "$repo" --max-results 100
			probe moto "DescribeImages@$(label "$n")" "$MEP" \
			    "$WORK/moto-$repo.bin"
			# moto takes tenths of a second per page: few connections,
			# a long timeout.
			run_wrk moto "DescribeImages@$(label "$n")" "$MEP" \
			    "$WORK/moto-$repo.bin" 4 1 30s
		done
	fi
	rss moto "$MOTO_PID" after_reads
	stop_pid "$MOTO_PID"
fi

if [ "$STRICT" = 1 ]; then
	MODE="strict mode: every request SigV4-signed by botocore and verified"
else
	MODE="permissive mode"
fi
echo "ecrd: $ECRD_BIN ($("$ECRD_BIN" --version)); $MODE;" \
    "each server in a fresh durable --data-dir"
echo "wrk -t$THREADS -c$CONNS -d$DURATION --latency; $(nproc) CPUs;" \
    "load generator and servers share them"
if wants images; then
	echo "PutImage: unique OCI manifests (an annotation) and tags naming a" \
	    "config and 2 real tar+gzip layers uploaded once; reference checks" \
	    "on (ecrd-img)"
	echo "DescribeImages: first page (maxResults 100); repositories filled" \
	    "under --relax-references (made-up layers) (ecrd-rlx)"
fi
if wants layer; then
	echo "layer: $LAYER_MIB MiB in 10 MiB UploadLayerPart parts (base64" \
	    "JSON, each signed by botocore: strict); download: curl GET of the" \
	    "GetDownloadUrlForLayer URL, median of 3; MB = 10^6 B, GB = 10^9 B"
fi
if wants registry; then
	DIST_DESC="distrib: skipped (docker-registry not installed)"
	[ -z "${DIST_VERSION:-}" ] || DIST_DESC="distrib: Debian docker-registry\
 $DIST_VERSION (CNCF distribution), no auth, filesystem storage"
	echo "registry: ecrd-reg: $([ "$STRICT" = 1 ] && echo strict ||
	    echo permissive), Basic auth (AWS + the bench principal's" \
	    "GetAuthorizationToken password; its identity policy allows ecr:*);" \
	    "$DIST_DESC;" \
	    "blob: POST, one PATCH of $BLOB_MIB MiB (sendfile), PUT ?digest=," \
	    "timed from POST to PUT's answer, median of 3 new blobs; pull: curl" \
	    "to /dev/null, median of 3; image: manifest + one $IMAGE_MIB MiB" \
	    "layer, $PULL_CLIENTS curl processes at once, median of 3 rounds"
fi
if wants policy; then
	echo "policy: ecrd-prm permissive (signatures parsed, not checked);" \
	    "ecrd-s1 strict, 1-statement identity policy; ecrd-s20 strict," \
	    "20-statement identity policy (the Allow last) and a 20-statement" \
	    "repository policy on the listed repository (bench/policies.py)"
fi
if wants stall; then
	echo "stall: ecrd-stall (--relax-references): bench/stall.py, its own" \
	    "process, sends a signed DescribeRepositories (100 repositories)" \
	    "every 5 ms on one keep-alive connection, latency counted from each" \
	    "probe's scheduled send; a phase's window is its action, then until" \
	    "the server's CPU stays under 10 % of a core for 0.5 s; GC: POST" \
	    "/_ecrd/gc?grace_seconds=0 of $GC_BLOBS tiny blobs pushed through" \
	    "/v2/ and named by no image; force-delete: DeleteRepository" \
	    "force=true of a repository of $BIG_REPO images, then POST" \
	    "/_ecrd/gc, which answers once its records are reaped; pushes:" \
	    "$STALL_PUSHES new $PUSH_MIB MiB blobs at once"
fi
if wants scaling; then
	echo "scaling: ecrd-scale: 1, then $SCALE_PUSHES new $PUSH_MIB MiB blobs" \
	    "pushed at once (a thread and connection each: POST, one PATCH by" \
	    "sendfile, PUT ?digest=); aggregate GB/s = all bytes over the time" \
	    "from their release to the last PUT's answer; server CPU =" \
	    "utime+stime of all its threads (/proc/PID/stat) over that time"
fi
if wants pullthrough; then
	echo "pullthrough: ecrd-ptc ($([ "$STRICT" = 1 ] && echo strict ||
	    echo permissive)) with a rule for quay.io sent by --upstream-url" \
	    "to Debian's docker-registry on loopback; per run a new $PTC_MIB" \
	    "MiB blob: curl GET from the upstream (direct), then through ecrd" \
	    "after its manifest (first pull: fetched, stored and streamed as it" \
	    "comes), then again (cached); ordinary: a blob pushed to ecrd;" \
	    "medians of 3; the upstream and ecrd share the machine's CPUs"
fi
if wants ceiling; then
	echo "ceiling: ecrd-ceiling ($CEILING_BIN): one libevent loop," \
	    "bufferevents and http_parser, as ecrd, answering every request" \
	    "with the bytes ecrd answered it (captured once); the same signed" \
	    "pools, wrk -t$THREADS -c{${CEILING_CONNS// /,}} -d$DURATION"
fi
if wants replication; then
	echo "replication: PutImage as in images (a config and 2 real layers," \
	    "unique manifests) on ecrd-rep0 (no replication) and ecrd-rep3" \
	    "(one rule, $REPL_DESTS destinations in other regions of the" \
	    "account); ecrd-repl: $REPL_PUSHES PutImage one after the other" \
	    "without replication (baseline), then with $REPL_DESTS destinations" \
	    "and DescribeImageReplicationStatus of the last until it is" \
	    "replicated everywhere (jobs run in push order), with stall.py's" \
	    "prober all through each"
fi
if wants tls; then
	echo "tls: ecrd-http and ecrd-tls alike but --tls-cert (P-256, TLS 1.3" \
	    "as wrk and curl negotiate it); DescribeRepositories: wrk" \
	    "-t$THREADS -c$CONNS over keep-alive connections (one handshake" \
	    "each); blob: $TLS_BLOB_MIB MiB pushed once, pulled 3 times with" \
	    "curl to /dev/null (plain HTTP: sendfile; HTTPS: mapped 1 MiB" \
	    "windows, encrypted in the loop), median"
fi
if wants observe; then
	echo "observe: ecrd-obs-off (--no-metrics), ecrd-obs-metrics, ecrd-obs-all" \
	    "(metrics, --events-file, --audit-log), alike otherwise; $OBS_ROUNDS" \
	    "rounds of wrk -t$THREADS -c$CONNS -d$OBS_DURATION on each," \
	    "alternating the order; DescribeRepositories (100 repositories)," \
	    "PutImage of unique manifests (a config and 2 real layers)"
fi
# Sets with server figures fill RESULTS; scan alone prints its own.
if [ -s "$RESULTS" ]; then
	python3 "$BENCH/report.py" "$RESULTS" "$CONNS"
fi
if wants scan; then
	# Its own figures, printed as it measures them (no server involved).
	echo "scan: $SCAN_BENCH_BIN; each measured step in a child process" \
	    "(wall and CPU seconds, the child's peak RSS)"
	"$SCAN_BENCH_BIN" "$WORK/scan"
fi
