#!/bin/sh
# One command for the benchmark: make bench (or ECRD_BIN=... bench/run.sh).
# Prints figures; never fails on speed. BENCH_DURATION (default 5s) sets each
# wrk run's length, BENCH_NO_MOTO=1 skips the moto_server comparison.
set -eu
cd "$(dirname "$0")/.."
exec python3 bench/bench.py
