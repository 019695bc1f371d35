#!/usr/bin/env bash
# bench/run.sh: throughput, latency, start-up time and memory of ecrd, with
# moto_server beside it for comparison. Builds nothing: it runs $ECRD_BIN
# (default build/server/ecrd). A Release build gives the honest numbers:
#
#   cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release
#   cmake --build build-release -j
#   ECRD_BIN=build-release/server/ecrd bench/run.sh
#
# Needs wrk (Debian package), curl, python3 with botocore/boto3, and
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
# "all" = "repos images layer registry policy"):
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
#
# Knobs: BENCH_SCENARIOS, BENCH_DURATION (10s), BENCH_THREADS (2),
# BENCH_CONNECTIONS (32), BENCH_CREATE_POOL (400000 unique names),
# BENCH_PUT_POOL (250000 unique images), BENCH_BIG_REPO (100000 images),
# BENCH_LAYER_MIB (1024), BENCH_BLOB_MIB (1024), BENCH_IMAGE_MIB (100),
# BENCH_PULL_CLIENTS (16), BENCH_MOTO (1), BENCH_STRICT (1), BENCH_PERF (a
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
SCENARIOS=${BENCH_SCENARIOS:-all}
SCENARIOS=${SCENARIOS//,/ }
case " $SCENARIOS " in
*" all "*) SCENARIOS="repos images layer registry policy" ;;
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
python3 -c 'import botocore, boto3' 2>/dev/null ||
    die "python3 cannot import botocore and boto3"
for sc in $SCENARIOS; do
	case $sc in repos | images | layer | registry | policy) ;;
	*) die "unknown scenario set '$sc'" ;;
	esac
done
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

# start NAME PATH [--env NAME=VALUE]... [--] CMD...: start a server, time
# it, remember its PID ("{port}" in CMD and the values: its port).
start() {
	local name=$1 path=$2 opts=()
	shift 2
	while [ "${1:-}" = --env ]; do
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

probe() {	# probe SERVER SCENARIO ENDPOINT POOL
	printf 'probe server=%s scenario=%s %s\n' "$1" "$2" \
	    "$(python3 "$BENCH/sign.py" probe --endpoint "$3" --pool "$4")" >>"$RESULTS"
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
	start ecrd /health "$ECRD_BIN" --listen "127.0.0.1:{port}" \
	    --data-dir "$WORK/ecrd-data" --log-level error "${STRICT_ARGS[@]}"
	ECRD_PID=$PID
	EP=http://127.0.0.1:$PORT

	echo "bench: ecrd: 100 repositories, signed pools" >&2
	python3 "$BENCH/sign.py" populate --endpoint "$EP" --count 100 \
	    --name-prefix bench-d --key "$KEY" --secret "$SECRET" \
	    --region "$REGION"
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
	stop_pid "$ECRD_PID"
	rm -rf "$WORK/ecrd-data" "$WORK/ecrd-create.bin"
fi

# --- ecrd: images and layers, with ECR's reference checks -------------------
if wants images; then
	start ecrd-img /health "$ECRD_BIN" --listen "127.0.0.1:{port}" \
	    --data-dir "$WORK/img-data" --log-level error "${STRICT_ARGS[@]}"
	IMG_PID=$PID
	EP=http://127.0.0.1:$PORT
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

	stop_pid "$IMG_PID"
	rm -rf "$WORK/img-data"
fi

# --- ecrd: one big layer, on a server of its own (so that its RSS is the
# layer's, not the LMDB pages of the images above) --------------------------
if wants layer; then
	start ecrd-lay /health "$ECRD_BIN" --listen "127.0.0.1:{port}" \
	    --data-dir "$WORK/lay-data" --log-level error "${STRICT_ARGS[@]}"
	LAY_PID=$PID
	echo "bench: ecrd-lay: a $LAYER_MIB MiB layer up and down" >&2
	perf_start ecrd-lay-layer "$LAY_PID"
	images biglayer "http://127.0.0.1:$PORT" --repo bench-layer \
	    --pid "$LAY_PID" --server ecrd-lay --results "$RESULTS" \
	    --tmp "$WORK" --size $((LAYER_MIB << 20))
	perf_stop ecrd-lay-layer
	stop_pid "$LAY_PID"
	rm -rf "$WORK/lay-data"
fi
if wants images; then

	# --- ecrd: DescribeImages on big repositories (--relax-references) --
	start ecrd-rlx /health "$ECRD_BIN" --listen "127.0.0.1:{port}" \
	    --data-dir "$WORK/rlx-data" --log-level error --relax-references \
	    "${STRICT_ARGS[@]}"
	RLX_PID=$PID
	EP=http://127.0.0.1:$PORT
	for spec in "bench-d100:100" "bench-d1k:1000" "bench-dbig:$BIG_REPO"; do
		repo=${spec%%:*} n=${spec#*:}
		images setup "$EP" --repo "$repo" --no-blobs \
		    --refs-out "$WORK/unused.json"
		echo "bench: ecrd-rlx: signing $n PutImage requests for $repo" >&2
		image_pool "$EP" PutImage "$n" "$WORK/rlx-fill.bin" \
		    --repo "$repo" --name-prefix "f-$$"
		run_once ecrd-rlx "PutImage-fill@$(label "$n")" "$EP" \
		    "$WORK/rlx-fill.bin"
		rm -f "$WORK/rlx-fill.bin"
		count ecrd-rlx "$EP" "$repo" "$n"
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
	stop_pid "$RLX_PID"
	rm -rf "$WORK/rlx-data"
fi

# --- the registry API: ecrd and the reference registry ----------------------
reg() {	# reg CMD ENDPOINT ARGS...: bench/registry.py
	local cmd=$1 ep=$2
	shift 2
	python3 "$BENCH/registry.py" "$cmd" --endpoint "$ep" "$@"
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

if wants registry; then
	start ecrd-reg /health "$ECRD_BIN" --listen "127.0.0.1:{port}" \
	    --data-dir "$WORK/reg-ecrd" --log-level error "${STRICT_ARGS[@]}"
	REG_PID=$PID
	EP=http://127.0.0.1:$PORT
	reg login "$EP" --repo bench-reg --repo bench-img \
	    --auth-out "$WORK/reg-auth.txt" --key "$KEY" --secret "$SECRET" \
	    --region "$REGION"
	registry_workloads ecrd-reg "$REG_PID" "$EP" --auth "$WORK/reg-auth.txt"
	stop_pid "$REG_PID"
	rm -rf "$WORK/reg-ecrd"

	if command -v docker-registry >/dev/null; then
		DIST_VERSION=$(docker-registry --version | awk '{print $NF}')
		cat >"$WORK/distrib.yml" <<EOF
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  cache:
    blobdescriptor: inmemory
  filesystem:
    rootdirectory: $WORK/reg-distrib
  delete:
    enabled: true
http:
  addr: 127.0.0.1:0
EOF
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
		start "$name" /health "$ECRD_BIN" --listen "127.0.0.1:{port}" \
		    --data-dir "$WORK/$name-data" --log-level error "${args[@]}"
		POL_PID=$PID
		EP=http://127.0.0.1:$PORT
		echo "bench: $name: 100 repositories and an empty one" >&2
		python3 "$BENCH/sign.py" populate --endpoint "$EP" --count 100 \
		    --name-prefix bench-d --key "$KEY" --secret "$SECRET" \
		    --region "$REGION"
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
		stop_pid "$POL_PID"
		rm -rf "$WORK/$name-data"
	done
fi

# --- moto_server, for comparison -------------------------------------------
if [ "$MOTO" = 1 ]; then
	echo "bench: starting moto_server" >&2
	start moto /moto-api/ moto_server -H 127.0.0.1 -p "{port}"
	MOTO_PID=$PID
	MEP=http://127.0.0.1:$PORT
	if wants repos; then
		python3 "$BENCH/sign.py" populate --endpoint "$MEP" --count 100 \
		    --name-prefix bench-d --key "$KEY" --secret "$SECRET" \
		    --region "$REGION"
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
python3 "$BENCH/report.py" "$RESULTS" "$CONNS"
