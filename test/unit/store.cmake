# Unit tests for store/ (included by test/unit/CMakeLists.txt).
ecrd_unit_test(store store)
ecrd_unit_test(store_image store)
