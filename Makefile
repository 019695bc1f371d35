# Convenience entry points over CMake (README quick start).
#   make run    install build deps, build (Release), start ecrd on
#               127.0.0.1:5080 with its persistent store in ./ecrd-data
#   make check  install test deps, build with ASan+UBSan, run every unit and
#               end-to-end test, then a valgrind-checked server session
#   make bench  Release build, then the benchmark (bench/run.sh)

JOBS ?= 2
ARGS ?=

.PHONY: all run check bench clean

all:
	cmake/deps.sh build
	cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release >/dev/null
	cmake --build build-release -j$(JOBS)

run: all
	./build-release/server/ecrd $(ARGS)

check:
	cmake/deps.sh test
	cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DECRD_SANITIZE=ON >/dev/null
	cmake --build build-asan -j$(JOBS)
	cd build-asan && ctest --output-on-failure -j$(JOBS)
	cmake -S . -B build-vg -DCMAKE_BUILD_TYPE=Debug >/dev/null
	cmake --build build-vg -j$(JOBS) --target ecrd
	ECRD_BIN=build-vg/server/ecrd python3 test/e2e/valgrind_session.py

bench: all
	ECRD_BIN=build-release/server/ecrd bench/run.sh

clean:
	rm -rf build-release build-asan build-vg
