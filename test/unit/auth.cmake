# auth/ unit tests (STYLE.md 9), included by test/unit/CMakeLists.txt.
ecrd_unit_test(sigv4 auth)
ecrd_unit_test(regtoken auth)
ecrd_unit_test(creds auth)
ecrd_unit_test(sha256 auth)
ecrd_unit_test(base64 auth)
ecrd_unit_test(notary auth)
