# policy/ unit tests (STYLE.md 9), included by test/unit/CMakeLists.txt.
ecrd_unit_test(policy policy)
ecrd_unit_test(lifecycle policy)
