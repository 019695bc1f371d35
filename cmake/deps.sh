#!/bin/sh
# Install the Debian packages ecrd needs, skipping the work when all are
# present. Usage: cmake/deps.sh [build|test|fuzz|image]: test adds what the tests
# need, fuzz what the libFuzzer build needs (make check runs both). Runs
# apt-get as root (or via sudo when not root). DEPS_LOCK_WAIT: seconds to
# wait for apt's locks (default 600).
set -eu

# build: what `make run` needs; test: what `make check` adds (cmocka for
# the unit tests, the clients the end-to-end tests drive, valgrind, wrk
# and strace for the benchmark, docker-registry and htpasswd as
# pull-through cache upstreams, podman for the credential helper and for
# pulling through ecrd, buildah for the container image, node for the AWS
# SDK for JavaScript, which the test installs from npm; the openssl CLI
# for the TLS tests' certificates, curl as a client; prometheus, which
# test_metrics starts to scrape ecrd);
# fuzz: clang and libFuzzer; image: buildah for `make image`.
build_pkgs="build-essential cmake pkg-config libevent-dev libjson-c-dev
libsodium-dev liblmdb-dev libcurl4-openssl-dev libhttp-parser-dev
libssl-dev libpcre2-dev zlib1g-dev libzstd-dev"
test_pkgs="libcmocka-dev python3 python3-boto3 python3-cryptography awscli
valgrind wrk skopeo umoci clang-format docker-registry apache2-utils podman
buildah nodejs openssl curl strace prometheus"
# clang with its runtimes: libFuzzer and the sanitizers (test/fuzz).
fuzz_pkgs="clang libclang-rt-dev"

pkgs=$build_pkgs
case ${1:-build} in
test)	pkgs="$build_pkgs $test_pkgs" ;;
fuzz)	pkgs="$build_pkgs $fuzz_pkgs" ;;
image)	pkgs="$build_pkgs buildah" ;;
esac

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
# Debian's nodejs leaves npm to its own package; NodeSource's brings it.
if [ "${1:-build}" = test ] && ! command -v npm >/dev/null 2>&1; then
	missing="$missing npm"
fi
[ -z "$missing" ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
lock_wait=${DEPS_LOCK_WAIT:-600}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# apt-get, waiting for apt's locks, which unattended-upgrades or cloud-init
# hold for minutes on a fresh VM. DPkg::Lock::Timeout covers dpkg's lock;
# apt-get update's lists lock ignores it (apt 2.6), so a refusal naming a
# lock is retried every 5 s, for lock_wait seconds in all.
apt_get() {
	waited=0
	while :; do
		if $sudo env DEBIAN_FRONTEND=noninteractive apt-get \
		    -o DPkg::Lock::Timeout="$lock_wait" "$@" 2>"$log"; then
			cat "$log" >&2
			return 0
		fi
		if ! grep -q "Could not get lock\|Unable to lock" "$log" ||
		    [ "$waited" -ge "$lock_wait" ]; then
			cat "$log" >&2
			return 1
		fi
		[ "$waited" -eq 0 ] &&
		    echo "ecrd: apt is locked by another process; waiting" >&2
		sleep 5
		waited=$((waited + 5))
	done
}

echo "ecrd: installing Debian packages:$missing" >&2
apt_get -qq update
# shellcheck disable=SC2086
apt_get install -y -qq --no-install-recommends $missing >/dev/null
