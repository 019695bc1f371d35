# Unit tests for api/: the validator against the generated model, the
# drift test that regenerates the model and compares it with the committed
# files, the streaming of layer parts, the manifest reader and
# translator, the answer renderer, the server's one clock and uploads'
# running hashes; then the operations themselves.
ecrd_unit_test(validate api_model)
add_test(NAME model_drift
    COMMAND python3 ${CMAKE_SOURCE_DIR}/cmake/gen_model.py --check)
set_tests_properties(model_drift PROPERTIES LABELS unit)
ecrd_test_tmpdir(model_drift)
ecrd_unit_test(part_stream api)
ecrd_unit_test(manifest api)
ecrd_unit_test(render api)
ecrd_unit_test(clock api)
ecrd_unit_test(throttle core)
ecrd_unit_test(host api)
ecrd_unit_test(upload_hash api)
ecrd_unit_test(quota api)
ecrd_unit_test(audit api)
ecrd_unit_test(error api registry)
# The operations themselves, run through the dispatcher over a temporary
# store (api_fixture.c), one executable per area.
add_library(api_fixture STATIC api_fixture.c)
target_link_libraries(api_fixture PUBLIC store_fixture api common
    PkgConfig::CMOCKA)
ecrd_unit_test(api_repositories api_fixture)
ecrd_unit_test(api_images api_fixture)
ecrd_unit_test(api_layer_upload api_fixture)
ecrd_unit_test(api_policies api_fixture)
ecrd_unit_test(api_account_settings api_fixture)
ecrd_unit_test(api_lifecycle_policy api_fixture)
ecrd_unit_test(api_templates api_fixture)
ecrd_unit_test(api_replication api_fixture)
ecrd_unit_test(upstream_auth api)
ecrd_unit_test(api_scanning api_fixture)
