# ECRD_SANITIZE=ON builds everything with ASan and UBSan, aborting on the
# first report (STYLE.md 9).
option(ECRD_SANITIZE "Build with AddressSanitizer and UBSan" OFF)
if(ECRD_SANITIZE)
	add_compile_options(-fsanitize=address,undefined
	    -fno-sanitize-recover=all -fno-omit-frame-pointer)
	add_link_options(-fsanitize=address,undefined)
endif()
