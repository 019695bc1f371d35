# ECRD_FUZZ=ON builds the libFuzzer harnesses in test/fuzz (clang only):
# every library gets coverage instrumentation with ASan and UBSan, aborting
# on the first report, and the harnesses link libFuzzer's main.
option(ECRD_FUZZ "Build the libFuzzer harnesses (needs clang)" OFF)
if(ECRD_FUZZ)
	if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
		message(FATAL_ERROR "ECRD_FUZZ needs clang: configure with "
		    "-DCMAKE_C_COMPILER=clang (Debian clang, libclang-rt-dev)")
	endif()
	add_compile_options(-fsanitize=fuzzer-no-link,address,undefined
	    -fno-sanitize-recover=all -fno-omit-frame-pointer -O1 -g)
	add_link_options(-fsanitize=address,undefined)
endif()
