# Unit tests for basic scanning's library (core/scan.h, issue 15): the
# version orderings and CVSS scores, the layer reader and inventory, and
# the OSV index and matching.
ecrd_unit_test(scan_version core_scan)
add_library(scan_fixture STATIC scan_fixture.c)
target_link_libraries(scan_fixture PUBLIC core_scan common PkgConfig::ZLIB
    PkgConfig::ZSTD PkgConfig::CMOCKA)
ecrd_unit_test(scan_layers scan_fixture)
ecrd_unit_test(scan_osv core_scan)
