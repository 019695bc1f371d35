/*
 * Unit tests for GetAccountSetting and PutAccountSetting against a
 * temporary store: the defaults, values kept per setting, Coral's
 * validation wording for unknown names and values (docs/ecr-behaviour.md
 * 3.11), and REGISTRY_POLICY_SCOPE deciding which registry policies are
 * accepted (test_policies.py checks the same on the wire).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "test/unit/api_fixture.h"

struct setting {
	const char *name;
	const char *value;
};

static const struct setting defaults[] = {
    {"BASIC_SCAN_TYPE_VERSION", "AWS_NATIVE"},
    {"BLOB_MOUNTING", "DISABLED"},
    {"REGISTRY_POLICY_SCOPE", "V2"},
};

/* GetAccountSetting name must answer value. */
static void
assert_setting(struct afx *f, const char *name, const char *value)
{
	struct json_object *in = json_object_new_object(), *out;

	json_object_object_add(in, "name", json_object_new_string(name));
	out = afx_ok_in(f, "GetAccountSetting", in);
	assert_int_equal(json_object_object_length(out), 2);
	assert_string_equal(afx_str(out, "/name"), name);
	assert_string_equal(afx_str(out, "/value"), value);
	json_object_put(out);
}

static void
test_account_settings_have_defaults(void **state)
{
	struct afx *f = *state;
	size_t i;

	for (i = 0; i < sizeof defaults / sizeof defaults[0]; i++)
		assert_setting(f, defaults[i].name, defaults[i].value);
}

static void
test_put_account_setting_changes_only_that_setting(void **state)
{
	struct afx *f = *state;
	struct json_object *out;

	out = afx_ok(f, "PutAccountSetting",
	    "{'name': 'BLOB_MOUNTING', "
	    "'value': 'ENABLED'}");
	afx_equal(out, "{'name': 'BLOB_MOUNTING', 'value': 'ENABLED'}");
	json_object_put(out);
	assert_setting(f, "BLOB_MOUNTING", "ENABLED");
	assert_setting(f, "REGISTRY_POLICY_SCOPE", "V2");
	assert_setting(f, "BASIC_SCAN_TYPE_VERSION", "AWS_NATIVE");
	/* Settings belong to the account. */
	f->access_key = "210987654321";
	assert_setting(f, "BLOB_MOUNTING", "DISABLED");
}

static void
test_account_setting_refuses_unknown_names_and_values(void **state)
{
	struct afx *f = *state;

	afx_fail(f, "GetAccountSetting", "{'name': 'NO_SUCH_SETTING'}", 400,
	    "ValidationException",
	    "1 validation error detected: Value "
	    "'NO_SUCH_SETTING' at 'name' failed to satisfy constraint: Member "
	    "must satisfy enum value set: [BASIC_SCAN_TYPE_VERSION, "
	    "BLOB_MOUNTING, REGISTRY_POLICY_SCOPE]");
	afx_fail(f, "PutAccountSetting",
	    "{'name': 'REGISTRY_POLICY_SCOPE', "
	    "'value': 'V3'}",
	    400, "ValidationException",
	    "1 validation error "
	    "detected: Value 'V3' at 'value' failed to satisfy constraint: "
	    "Member must satisfy enum value set: [V1, V2]");
	assert_setting(f, "REGISTRY_POLICY_SCOPE", "V2");
}

/* A registry policy allowing 222222222222 actions (JSON, ' for "). */
static struct json_object *
registry_policy_in(const char *actions)
{
	struct json_object *in = json_object_new_object(), *doc;

	doc =
	    afx_in("{'Version': '2012-10-17', 'Statement': [{'Effect': "
	           "'Allow', 'Principal': {'AWS': '222222222222'}, 'Resource': "
	           "'*'}]}");
	json_object_object_add(json_object_array_get_idx(
	                           json_object_object_get(doc, "Statement"), 0),
	    "Action", afx_in(actions));
	json_object_object_add(in, "policyText",
	    json_object_new_string(json_object_to_json_string_ext(doc,
	        JSON_C_TO_STRING_PLAIN)));
	json_object_put(doc);
	return in;
}

static void
test_registry_policy_scope_v1_takes_only_replication_actions(void **state)
{
	struct afx *f = *state;

	json_object_put(afx_ok_in(f, "PutRegistryPolicy",
	    registry_policy_in("['ecr:BatchGetImage']")));
	afx_do(f, "PutAccountSetting",
	    "{'name': 'REGISTRY_POLICY_SCOPE', "
	    "'value': 'V1'}");
	assert_setting(f, "REGISTRY_POLICY_SCOPE", "V1");
	afx_fail_in(f, "PutRegistryPolicy",
	    registry_policy_in("['ecr:BatchGetImage']"), 400,
	    "InvalidParameterException",
	    "Invalid parameter at 'PolicyText' "
	    "failed to satisfy constraint: 'Invalid registry policy "
	    "provided'");
	json_object_put(afx_ok_in(f, "PutRegistryPolicy",
	    registry_policy_in("['ecr:ReplicateImage', "
	                       "'ecr:CreateRepository', "
	                       "'ecr:BatchImportUpstreamImage']")));
	json_object_put(afx_ok_in(f, "PutRegistryPolicy",
	    registry_policy_in("'ecr:*'")));
	afx_do(f, "PutAccountSetting",
	    "{'name': 'REGISTRY_POLICY_SCOPE', "
	    "'value': 'V2'}");
	json_object_put(afx_ok_in(f, "PutRegistryPolicy",
	    registry_policy_in("['ecr:BatchGetImage']")));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, afx_setup, afx_teardown)
	    T(test_account_settings_have_defaults),
	    T(test_put_account_setting_changes_only_that_setting),
	    T(test_account_setting_refuses_unknown_names_and_values),
	    T(test_registry_policy_scope_v1_takes_only_replication_actions),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
