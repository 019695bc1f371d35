# The Debian -dev packages ecrd builds against, as imported targets.
find_package(PkgConfig REQUIRED)
pkg_check_modules(LIBEVENT REQUIRED IMPORTED_TARGET libevent_core libevent_pthreads)
pkg_check_modules(JSONC REQUIRED IMPORTED_TARGET json-c)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(LMDB REQUIRED IMPORTED_TARGET lmdb)
# PCRE2's 8-bit library (libpcre2-dev) for the model's regexes: api/ only.
pkg_check_modules(PCRE2 REQUIRED IMPORTED_TARGET libpcre2-8)
# libcurl (libcurl4-openssl-dev): the upstream client of pull-through
# cache rules (core/upstream.c), driven by the server's loop.
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
# libcrypto (libssl-dev, which libcurl4-openssl-dev brings) for SHA-256 at
# CPU speed: auth/sha256.h says why.
pkg_check_modules(LIBCRYPTO REQUIRED IMPORTED_TARGET libcrypto)
# zlib (zlib1g-dev) and libzstd (libzstd-dev): image layers' gzip and
# zstd compression, which basic scanning reads (core/scan_tar.c).
pkg_check_modules(ZLIB REQUIRED IMPORTED_TARGET zlib)
pkg_check_modules(ZSTD REQUIRED IMPORTED_TARGET libzstd)
if(ECRD_BUILD_TESTS)
	pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()

# libhttp-parser-dev ships no .pc file.
find_path(HTTP_PARSER_INCLUDE_DIR http_parser.h REQUIRED)
find_library(HTTP_PARSER_LIBRARY http_parser REQUIRED)
add_library(http_parser::http_parser UNKNOWN IMPORTED)
set_target_properties(http_parser::http_parser PROPERTIES
    IMPORTED_LOCATION ${HTTP_PARSER_LIBRARY}
    INTERFACE_INCLUDE_DIRECTORIES ${HTTP_PARSER_INCLUDE_DIR})
