# Convenience entry points over CMake (README quick start).
#   make run    install build deps, build the server alone (Release, no
#               tests), start ecrd in the foreground on 127.0.0.1:5080
#               with its persistent store in ./ecrd-data
#   make check  install test deps, build with ASan+UBSan, run every unit and
#               end-to-end test, then a valgrind-checked server session
#   make bench  Release build, then the benchmark (bench/run.sh)
#   make fuzz   clang build of the libFuzzer harnesses (build-fuzz/), each
#               run for FUZZ_SECONDS; new inputs go to FUZZ_OUT, not the repo
#   make durability  Release build, then TRIALS kill -9 trials
#               (test/durability/kill9.py)
#   make format lay out the C sources with .clang-format (make check only
#               checks them: cmake/format.sh)
#   make flags  regenerate --help (server/flags_gen.c), the man page, the
#               README's flag table and bash completion from
#               server/flags.txt (cmake/gen_flags.py)
#   make install  the Release build installed under PREFIX (default
#               /usr/local), staged under DESTDIR if set: ecrd,
#               docker-credential-ecrd, man pages, the systemd unit and its
#               sysusers.d entry, bash completion
#   make image  build the container image ecrd:VERSION with buildah, from
#               scratch (packaging/build-image.sh)

JOBS ?= 2
ARGS ?=
FUZZ_SECONDS ?= 60
FUZZ_OUT ?= build-fuzz/fuzz-out
TRIALS ?= 30
PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all run check bench fuzz fuzz-build durability format flags install \
    image clean

all:
	cmake/deps.sh build
	cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release \
	    -DECRD_BUILD_TESTS=OFF >/dev/null
	cmake --build build-release -j$(JOBS)

run: all
	./build-release/server/ecrd $(ARGS)

# The Release build `make run` uses comes first: optimised builds see
# warnings (-Werror) that the Debug builds below do not.
check: all
	cmake/deps.sh test
	cmake/format.sh
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DECRD_SANITIZE=ON \
	    -DECRD_BUILD_TESTS=ON >/dev/null
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ctest --output-on-failure -j$(JOBS)
	cmake -S . -B build-vg -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-vg -j$(JOBS) --target ecrd
	ECRD_BIN=build-vg/server/ecrd python3 test/e2e/valgrind_session.py
	$(MAKE) fuzz-build
	cd build-fuzz && ctest -L fuzz --output-on-failure -j$(JOBS)

# The harnesses only: a clang build with libFuzzer, ASan and UBSan.
fuzz-build:
	cmake/deps.sh fuzz
	cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang \
	    -DCMAKE_BUILD_TYPE=Debug -DECRD_FUZZ=ON >/dev/null
	cmake --build build-fuzz -j$(JOBS) --target fuzzers

fuzz: fuzz-build
	test/fuzz/run.sh build-fuzz $(FUZZ_OUT) $(FUZZ_SECONDS)

format:
	cmake/deps.sh test
	cmake/format.sh --apply

flags:
	python3 cmake/gen_flags.py

# Configured with PREFIX: the unit's ExecStart names the installed binary.
install:
	cmake/deps.sh build
	cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release \
	    -DECRD_BUILD_TESTS=OFF -DCMAKE_INSTALL_PREFIX=$(PREFIX) >/dev/null
	cmake --build build-release -j$(JOBS)
	DESTDIR=$(DESTDIR) cmake --install build-release

image: all
	cmake/deps.sh image
	packaging/build-image.sh build-release

bench: all
	ECRD_BIN=build-release/server/ecrd bench/run.sh

durability: all
	ECRD_BIN=build-release/server/ecrd python3 test/durability/kill9.py \
	    --trials $(TRIALS)

clean:
	rm -rf build-release build-asan build-vg build-fuzz
