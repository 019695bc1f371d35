# Unit tests for basic scanning's library (core/scan.h, issue 15): the
# version orderings and CVSS scores, the layer reader and inventory, and
# the OSV index and matching.
ecrd_unit_test(scan_version core_scan)
