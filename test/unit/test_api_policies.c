/*
 * Unit tests for the policy operations of api/ against a temporary store:
 * Set/Get/DeleteRepositoryPolicy and Put/Get/DeleteRegistryPolicy, with the
 * Jackson layout ECR stores and answers, the validation errors and the
 * not-found messages (docs/ecr-behaviour.md 2.4, 3.5; test_policies.py
 * checks the same on the wire).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "common/xalloc.h"
#include "test/unit/api_fixture.h"

#define IPE "InvalidParameterException"
#define BAD_REPO_POLICY                                                        \
	"Invalid parameter at 'PolicyText' failed to "                         \
	"satisfy constraint: 'Invalid repository policy provided'"
#define BAD_REGISTRY_POLICY                                                    \
	"Invalid parameter at 'PolicyText' failed to "                         \
	"satisfy constraint: 'Invalid registry policy provided'"
#define NO_REPO_POLICY                                                         \
	"Repository policy does not exist for the "                            \
	"repository with name 'pol' in the registry with id '123456789012'"
#define NO_REGISTRY_POLICY                                                     \
	"Registry policy does not exist in the registry "                      \
	"with id '123456789012'"

/* docs/ecr-behaviour.md 3.5: this input, stored and answered as EXAMPLE_OUT. */
#define EXAMPLE_IN                                                             \
	"{\"Version\":\"2008-10-17\",\"Statement\":[{\"Sid\":"                 \
	"\"x\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":"           \
	"[\"ecr:BatchGetImage\"]}]}"
#define EXAMPLE_OUT                                                            \
	"{\n  \"Version\" : \"2008-10-17\",\n"                                 \
	"  \"Statement\" : [ {\n    \"Sid\" : \"x\",\n"                        \
	"    \"Effect\" : \"Allow\",\n    \"Principal\" : \"*\",\n"            \
	"    \"Action\" : [ \"ecr:BatchGetImage\" ]\n  } ]\n}"

/* A body for repository "pol" (or none) with policyText text. */
static struct json_object *
policy_in(const char *repo, const char *text)
{
	struct json_object *in = json_object_new_object();

	if (repo != NULL)
		json_object_object_add(in, "repositoryName",
		    json_object_new_string(repo));
	json_object_object_add(in, "policyText", json_object_new_string(text));
	return in;
}

static void
test_repository_policy_set_get_delete_in_the_jackson_layout(void **state)
{
	static const char *const ops[] = {"SetRepositoryPolicy",
	    "GetRepositoryPolicy", "DeleteRepositoryPolicy"};
	struct afx *f = *state;
	struct json_object *out;
	size_t i;

	afx_repo(f, "pol");
	for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		out = i == 0
		          ? afx_ok_in(f, ops[i], policy_in("pol", EXAMPLE_IN))
		          : afx_ok(f, ops[i], "{'repositoryName': 'pol'}");
		assert_int_equal(json_object_object_length(out), 3);
		assert_string_equal(afx_str(out, "/registryId"), AFX_ACCOUNT);
		assert_string_equal(afx_str(out, "/repositoryName"), "pol");
		assert_string_equal(afx_str(out, "/policyText"), EXAMPLE_OUT);
		json_object_put(out);
	}
	afx_fail(f, "GetRepositoryPolicy", "{'repositoryName': 'pol'}", 400,
	    "RepositoryPolicyNotFoundException", NO_REPO_POLICY);
	afx_fail(f, "DeleteRepositoryPolicy", "{'repositoryName': 'pol'}", 400,
	    "RepositoryPolicyNotFoundException", NO_REPO_POLICY);
}

static void
test_repository_policy_any_layout_is_stored_alike(void **state)
{
	struct afx *f = *state;
	struct json_object *parsed, *out;
	const char *pretty;

	afx_repo(f, "pol");
	parsed = afx_in(EXAMPLE_IN);
	pretty =
	    json_object_to_json_string_ext(parsed, JSON_C_TO_STRING_PRETTY);
	out = afx_ok_in(f, "SetRepositoryPolicy", policy_in("pol", pretty));
	assert_string_equal(afx_str(out, "/policyText"), EXAMPLE_OUT);
	json_object_put(out);
	json_object_put(parsed);
}

static const char *const bad_policies[] = {
    "{",
    "",
    "[]",
    "{\"Version\": \"2012-10-17\"}",
    "{\"Version\": \"2012-10-17\", \"Statement\": []}",
    "{\"Version\": \"2020-01-01\", \"Statement\": [{\"Effect\": \"Allow\", "
    "\"Principal\": \"*\", \"Action\": \"ecr:BatchGetImage\"}]}",
    "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Principal\": \"*\", "
    "\"Action\": \"ecr:BatchGetImage\"}]}",
    "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"allow\", "
    "\"Principal\": \"*\", \"Action\": \"ecr:BatchGetImage\"}]}",
    "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
    "\"Action\": \"ecr:BatchGetImage\"}]}",
    "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
    "\"Principal\": {\"AWS\": \"not-an-account\"}, \"Action\": "
    "\"ecr:BatchGetImage\"}]}",
    "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
    "\"Principal\": \"*\", \"Action\": \"ecr:FooBar\"}]}",
    "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
    "\"Principal\": \"*\", \"Action\": \"s3:GetObject\"}]}",
    "{\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", "
    "\"Principal\": \"*\", \"Action\": \"ecr:BatchGetImage\", "
    "\"Colour\": \"blue\"}]}",
};

static void
test_repository_policy_refusals_store_nothing(void **state)
{
	struct afx *f = *state;
	size_t i;

	afx_repo(f, "pol");
	for (i = 0; i < sizeof bad_policies / sizeof bad_policies[0]; i++)
		afx_fail_in(f, "SetRepositoryPolicy",
		    policy_in("pol", bad_policies[i]), 400, IPE,
		    BAD_REPO_POLICY);
	afx_fail(f, "GetRepositoryPolicy", "{'repositoryName': 'pol'}", 400,
	    "RepositoryPolicyNotFoundException", NO_REPO_POLICY);
}

static void
test_repository_policy_of_a_missing_repository(void **state)
{
	static const char *const ops[] = {
	    "GetRepositoryPolicy", "DeleteRepositoryPolicy"};
	struct afx *f = *state;
	size_t i;

	for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
		afx_fail(f, ops[i], "{'repositoryName': 'ghost'}", 400,
		    "RepositoryNotFoundException",
		    "The repository with name "
		    "'ghost' does not exist in the registry with id "
		    "'123456789012'");
	afx_fail_in(f, "SetRepositoryPolicy", policy_in("ghost", EXAMPLE_IN),
	    400, "RepositoryNotFoundException",
	    "The repository with name "
	    "'ghost' does not exist in the registry with id '123456789012'");
}

static void
test_repository_policy_goes_with_its_repository(void **state)
{
	struct afx *f = *state;

	afx_repo(f, "pol");
	json_object_put(afx_ok_in(f, "SetRepositoryPolicy",
	    policy_in("pol", EXAMPLE_IN)));
	afx_do(f, "DeleteRepository", "{'repositoryName': 'pol'}");
	afx_repo(f, "pol");
	afx_fail(f, "GetRepositoryPolicy", "{'repositoryName': 'pol'}", 400,
	    "RepositoryPolicyNotFoundException", NO_REPO_POLICY);
}

#define REGISTRY_IN                                                            \
	"{\"Version\": \"2012-10-17\", \"Statement\": "                        \
	"[{\"Sid\": \"x\", \"Effect\": \"Allow\", \"Principal\": "             \
	"{\"AWS\": \"arn:aws:iam::222222222222:root\"}, \"Action\": "          \
	"[\"ecr:CreateRepository\", \"ecr:ReplicateImage\"], "                 \
	"\"Resource\": "                                                       \
	"\"arn:aws:ecr:us-east-1:123456789012:repository/*\"}]}"
#define REGISTRY_OUT                                                           \
	"{\n  \"Version\" : \"2012-10-17\",\n"                                 \
	"  \"Statement\" : [ {\n    \"Sid\" : \"x\",\n"                        \
	"    \"Effect\" : \"Allow\",\n    \"Principal\" : {\n"                 \
	"      \"AWS\" : \"arn:aws:iam::222222222222:root\"\n    },\n"         \
	"    \"Action\" : [ \"ecr:CreateRepository\", "                        \
	"\"ecr:ReplicateImage\" ],\n    \"Resource\" : "                       \
	"\"arn:aws:ecr:us-east-1:123456789012:repository/*\"\n  } ]\n}"

static void
test_registry_policy_put_get_delete_per_region(void **state)
{
	struct afx *f = *state;
	struct json_object *out;

	afx_fail(f, "GetRegistryPolicy", "{}", 400,
	    "RegistryPolicyNotFoundException", NO_REGISTRY_POLICY);
	afx_fail(f, "DeleteRegistryPolicy", "{}", 400,
	    "RegistryPolicyNotFoundException", NO_REGISTRY_POLICY);
	out = afx_ok_in(f, "PutRegistryPolicy", policy_in(NULL, REGISTRY_IN));
	assert_int_equal(json_object_object_length(out), 2);
	assert_string_equal(afx_str(out, "/registryId"), AFX_ACCOUNT);
	assert_string_equal(afx_str(out, "/policyText"), REGISTRY_OUT);
	json_object_put(out);
	out = afx_ok(f, "GetRegistryPolicy", "{}");
	assert_string_equal(afx_str(out, "/policyText"), REGISTRY_OUT);
	json_object_put(out);
	/* Registries are per region. */
	f->access_key = AFX_ACCOUNT;
	f->region = "eu-west-1";
	afx_fail(f, "GetRegistryPolicy", "{}", 400,
	    "RegistryPolicyNotFoundException", NO_REGISTRY_POLICY);
	f->access_key = NULL;
	f->region = NULL;
	/* Delete answers what it removed. */
	out = afx_ok(f, "DeleteRegistryPolicy", "{}");
	assert_string_equal(afx_str(out, "/registryId"), AFX_ACCOUNT);
	assert_string_equal(afx_str(out, "/policyText"), REGISTRY_OUT);
	json_object_put(out);
	afx_fail(f, "GetRegistryPolicy", "{}", 400,
	    "RegistryPolicyNotFoundException", NO_REGISTRY_POLICY);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, afx_setup, afx_teardown)
	    T(test_repository_policy_set_get_delete_in_the_jackson_layout),
	    T(test_repository_policy_any_layout_is_stored_alike),
	    T(test_repository_policy_refusals_store_nothing),
	    T(test_repository_policy_of_a_missing_repository),
	    T(test_repository_policy_goes_with_its_repository),
	    T(test_registry_policy_put_get_delete_per_region),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
