# Unit tests for store/ (included by test/unit/CMakeLists.txt), sharing
# one fixture.
add_library(store_fixture STATIC store_fixture.c)
target_link_libraries(store_fixture PUBLIC store common PkgConfig::CMOCKA)
ecrd_unit_test(store store_fixture)
ecrd_unit_test(store_image store_fixture)
ecrd_unit_test(store_repl store_fixture)
ecrd_unit_test(store_scan store_fixture)
