#!/bin/sh
# Install the Debian packages ecrd needs, skipping the work when all are
# present. Usage: cmake/deps.sh [build|test|fuzz]: test adds what the tests
# need, fuzz what the libFuzzer build needs (make check runs both). Runs
# apt-get as root (or via sudo when not root).
set -eu

build_pkgs="build-essential cmake pkg-config libevent-dev libjson-c-dev
libsodium-dev liblmdb-dev libcurl4-openssl-dev libcmocka-dev
libhttp-parser-dev libssl-dev"
test_pkgs="python3 python3-boto3 awscli valgrind wrk skopeo umoci"
# clang with its runtimes: libFuzzer and the sanitizers (test/fuzz).
fuzz_pkgs="clang libclang-rt-dev"

pkgs=$build_pkgs
case ${1:-build} in
test)	pkgs="$build_pkgs $test_pkgs" ;;
fuzz)	pkgs="$build_pkgs $fuzz_pkgs" ;;
esac

missing=""
for p in $pkgs; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
echo "ecrd: installing Debian packages:$missing" >&2
$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
# shellcheck disable=SC2086
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    --no-install-recommends $missing >/dev/null
