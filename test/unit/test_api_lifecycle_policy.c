/*
 * Unit tests for the lifecycle policy operations of api/ against a
 * temporary store: Put/Get/DeleteLifecyclePolicy answering ECR's canonical
 * text, ECR's validation wording, and Start/GetLifecyclePolicyPreview
 * computing which images a policy would expire, oldest first, on the
 * clock calls are given (docs/ecr-behaviour.md 3.6; test_lifecycle.py
 * checks the same on the wire). Policy texts here use ' for ".
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
#define PREFIX                                                                 \
	"Invalid parameter at 'LifecyclePolicyText' failed "                   \
	"to satisfy constraint: 'Lifecycle policy validation failure: "
#define NO_POLICY                                                              \
	"Lifecycle policy does not exist for the repository "                  \
	"with name 'lcy' in the registry with id '123456789012'"
#define DAY_MS (INT64_C(86400) * 1000)

/* {"repositoryName": "lcy", "lifecyclePolicyText": text, ' for "}. */
static struct json_object *
lc_in(const char *text)
{
	struct json_object *in = afx_in("{'repositoryName': 'lcy'}");
	char *s = xstrdup(text), *p;

	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			*p = '"';
	}
	json_object_object_add(in, "lifecyclePolicyText",
	    json_object_new_string(s));
	free(s);
	return in;
}

/* Texts under 100 characters fail the model first: pad with spaces. */
static struct json_object *
lc_padded_in(const char *text)
{
	char *padded;
	struct json_object *in;

	padded = xasprintf("%-100s", text);
	in = lc_in(padded);
	free(padded);
	return in;
}

#define SUBMITTED                                                              \
	"{ 'rules': [ { 'action': {'type': 'expire'}, "                        \
	"'selection': {'countNumber': 5, 'countType': "                        \
	"'imageCountMoreThan', 'tagStatus': 'any'}, "                          \
	"'rulePriority': 20 }, "                                               \
	"{ 'selection': {'tagPrefixList': ['prod', 'rel/x'], "                 \
	"'countNumber': 14, 'countUnit': 'days', 'countType': "                \
	"'sinceImagePushed', 'tagStatus': 'tagged'}, 'description': "          \
	"'old prod', 'rulePriority': 3, 'action': {'type': 'expire'} } ] }"
#define CANONICAL                                                              \
	"{\"rules\":[{\"rulePriority\":3,\"description\":"                     \
	"\"old prod\",\"selection\":{\"tagStatus\":\"tagged\","                \
	"\"tagPrefixList\":[\"prod\",\"rel/x\"],\"countType\":"                \
	"\"sinceImagePushed\",\"countUnit\":\"days\",\"countNumber\":14},"     \
	"\"action\":{\"type\":\"expire\"}},{\"rulePriority\":20,"              \
	"\"selection\":{\"tagStatus\":\"any\",\"countType\":"                  \
	"\"imageCountMoreThan\",\"countNumber\":5},\"action\":{\"type\":"      \
	"\"expire\"}}]}"

static void
test_lifecycle_policy_answers_the_canonical_text(void **state)
{
	struct afx *f = *state;
	struct json_object *out;

	afx_repo(f, "lcy");
	out = afx_ok_in(f, "PutLifecyclePolicy", lc_in(SUBMITTED));
	assert_int_equal(json_object_object_length(out), 3);
	assert_string_equal(afx_str(out, "/registryId"), AFX_ACCOUNT);
	assert_string_equal(afx_str(out, "/repositoryName"), "lcy");
	assert_string_equal(afx_str(out, "/lifecyclePolicyText"), CANONICAL);
	json_object_put(out);
	/* 0 until the policy has run (3.6). */
	out = afx_ok(f, "GetLifecyclePolicy", "{'repositoryName': 'lcy'}");
	assert_string_equal(afx_str(out, "/lifecyclePolicyText"), CANONICAL);
	assert_true(afx_num(out, "/lastEvaluatedAt") == 0.0);
	json_object_put(out);
	out = afx_ok(f, "DeleteLifecyclePolicy", "{'repositoryName': 'lcy'}");
	assert_string_equal(afx_str(out, "/lifecyclePolicyText"), CANONICAL);
	assert_true(afx_num(out, "/lastEvaluatedAt") == 0.0);
	json_object_put(out);
	afx_fail(f, "GetLifecyclePolicy", "{'repositoryName': 'lcy'}", 400,
	    "LifecyclePolicyNotFoundException", NO_POLICY);
	afx_fail(f, "DeleteLifecyclePolicy", "{'repositoryName': 'lcy'}", 400,
	    "LifecyclePolicyNotFoundException", NO_POLICY);
}

static void
test_lifecycle_policy_of_a_missing_repository(void **state)
{
	static const char *const ops[] = {"GetLifecyclePolicy",
	    "DeleteLifecyclePolicy", "StartLifecyclePolicyPreview",
	    "GetLifecyclePolicyPreview"};
	struct afx *f = *state;
	size_t i;

	for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
		afx_fail(f, ops[i], "{'repositoryName': 'ghost'}", 400,
		    "RepositoryNotFoundException",
		    "The repository with name "
		    "'ghost' does not exist in the registry with id "
		    "'123456789012'");
}

struct bad_policy {
	const char *text;
	const char *message;
};

#define R1                                                                     \
	"{'rulePriority': 1, 'selection': {'tagStatus': 'any', "               \
	"'countType': 'imageCountMoreThan', 'countNumber': 1}, "               \
	"'action': {'type': 'expire'}}"

static const struct bad_policy bad_policies[] = {
    {"lifecycle policy, not JSON", PREFIX "Could not map policyString "
                                          "into LifecyclePolicy.'"},
    {"{'rulez': [" R1 "]}", PREFIX "object has missing required "
                                   "properties ([\"rules\"])'"},
    {"{'rules': [" R1 "], 'x': 1}",
        PREFIX "object instance has "
               "properties which are not allowed by the schema: ([\"x\"])'"},
    {"{'rules': null}",
        PREFIX "instance type (null) does not match any "
               "allowed primitive type (allowed: [\"array\"])'"},
    {"{'rules': [{'rulePriority': 1}]}",
        PREFIX "object has missing "
               "required properties ([\"action\",\"selection\"])'"},
    {"{'rules': [{'rulePriority': 1, 'selection': {'tagStatus': 'any', "
     "'countType': 'imageCountMoreThan', 'countNumber': 1}, "
     "'action': {'type': 'delete'}}]}",
        PREFIX "instance value "
               "(delete) not found in enum :(possible values: "
               "[\"expire\",\"transition\"])'"},
    {"{'rules': [{'rulePriority': 0, 'selection': {'tagStatus': 'any', "
     "'countType': 'imageCountMoreThan', 'countNumber': 1}, "
     "'action': {'type': 'expire'}}]}",
        PREFIX "numeric instance is "
               "lower than the required minimum (minimum: 1, found: 0)"},
};

static void
test_lifecycle_policy_schema_errors_in_ecrs_words(void **state)
{
	static const char *const ops[] = {
	    "PutLifecyclePolicy", "StartLifecyclePolicyPreview"};
	struct afx *f = *state;
	size_t i, j;

	afx_repo(f, "lcy");
	for (i = 0; i < sizeof bad_policies / sizeof bad_policies[0]; i++) {
		for (j = 0; j < sizeof ops / sizeof ops[0]; j++)
			afx_fail_in(f, ops[j],
			    lc_padded_in(bad_policies[i].text), 400, IPE,
			    bad_policies[i].message);
	}
	afx_fail_in(f, "PutLifecyclePolicy", lc_in("{}"), 400, IPE,
	    "Invalid parameter at 'lifecyclePolicyText' failed to satisfy "
	    "constraint: 'Member must have length greater than or equal to "
	    "100'");
	/* Nothing was stored. */
	afx_fail(f, "GetLifecyclePolicy", "{'repositoryName': 'lcy'}", 400,
	    "LifecyclePolicyNotFoundException", NO_POLICY);
}

static void
test_lifecycle_policy_semantic_errors(void **state)
{
	static const char *const texts[] = {
	    /* Priorities must be unique. */
	    "{'rules': [{'rulePriority': 2, 'selection': {'tagStatus': "
	    "'untagged', 'countType': 'imageCountMoreThan', "
	    "'countNumber': 1}, 'action': {'type': 'expire'}}, "
	    "{'rulePriority': 2, 'selection': {'tagStatus': 'any', "
	    "'countType': 'imageCountMoreThan', 'countNumber': 3}, "
	    "'action': {'type': 'expire'}}]}",
	    /* tagged needs a prefix or pattern list. */
	    "{'rules': [{'rulePriority': 1, 'selection': {'tagStatus': "
	    "'tagged', 'countType': 'imageCountMoreThan', "
	    "'countNumber': 1}, 'action': {'type': 'expire'}}]}",
	};
	struct afx *f = *state;
	struct json_object *out;
	const char *type;
	size_t i;
	int status;

	afx_repo(f, "lcy");
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		/* ECR's exact words are [unconfirmed]; its prefix is not. */
		out = afx_run(f, "PutLifecyclePolicy", lc_in(texts[i]), &status,
		    &type);
		assert_int_equal(status, 400);
		assert_string_equal(type, IPE);
		assert_memory_equal(afx_str(out, "/message"), PREFIX,
		    strlen(PREFIX));
		json_object_put(out);
	}
}

/* Push an image tagged tag (NULL: untagged) a second later; its digest. */
static void
push(struct afx *f, const char *seed, const char *tag, char digest[72])
{
	struct json_object *in;
	char *manifest;

	manifest = afx_image(f, "lcy", seed, digest);
	in = afx_in("{'repositoryName': 'lcy'}");
	json_object_object_add(in, "imageManifest",
	    json_object_new_string(manifest));
	if (tag != NULL)
		json_object_object_add(in, "imageTag",
		    json_object_new_string(tag));
	json_object_put(afx_ok_in(f, "PutImage", in));
	free(manifest);
	f->now_ms += 1000;
}

static void
test_lifecycle_preview_needs_a_policy_or_a_text(void **state)
{
	struct afx *f = *state;

	afx_repo(f, "lcy");
	afx_fail(f, "StartLifecyclePolicyPreview",
	    "{'repositoryName': "
	    "'lcy'}",
	    400, "LifecyclePolicyNotFoundException", NO_POLICY);
	afx_fail(f, "GetLifecyclePolicyPreview", "{'repositoryName': 'lcy'}",
	    400, "LifecyclePolicyPreviewNotFoundException",
	    "Lifecycle policy "
	    "preview does not exist for the repository with name 'lcy' in "
	    "the registry with id '123456789012'");
}

#define PREVIEW_TEXT                                                           \
	"{\n  'rules': [\n    {'rulePriority': 2, "                            \
	"'selection': {'tagStatus': 'tagged', 'tagPrefixList': ['v'], "        \
	"'countType': 'imageCountMoreThan', 'countNumber': 1}, "               \
	"'action': {'type': 'expire'}},\n    {'rulePriority': 1, "             \
	"'selection': {'tagStatus': 'untagged', 'countType': "                 \
	"'imageCountMoreThan', 'countNumber': 1}, 'action': {'type': "         \
	"'expire'}}\n  ]\n}"

static void
test_lifecycle_preview_expires_the_oldest_beyond_the_count(void **state)
{
	struct afx *f = *state;
	struct json_object *in, *out, *r;
	char old[2][72], kept[72], v[3][72], seed[8];
	char *text;
	size_t i;

	afx_repo(f, "lcy");
	push(f, "old-0", NULL, old[0]);
	push(f, "old-1", NULL, old[1]);
	push(f, "new", NULL, kept);
	for (i = 0; i < 3; i++) {
		snprintf(seed, sizeof seed, "v%zu", i);
		push(f, seed, seed, v[i]);
	}
	in = lc_in(PREVIEW_TEXT);
	text = xstrdup(afx_str(in, "/lifecyclePolicyText"));
	out = afx_ok_in(f, "StartLifecyclePolicyPreview", in);
	/* The text is echoed verbatim. */
	assert_string_equal(afx_str(out, "/lifecyclePolicyText"), text);
	assert_string_equal(afx_str(out, "/status"), "IN_PROGRESS");
	json_object_put(out);
	out = afx_ok(f, "GetLifecyclePolicyPreview",
	    "{'repositoryName': "
	    "'lcy'}");
	assert_string_equal(afx_str(out, "/status"), "COMPLETE");
	assert_string_equal(afx_str(out, "/lifecyclePolicyText"), text);
	afx_equal(json_object_object_get(out, "summary"),
	    "{'expiringImageTotalCount': 4}");
	assert_int_equal(afx_len(out, "/previewResults"), 4);
	/* Oldest first: rule 1's untagged, then rule 2's tagged. */
	assert_string_equal(afx_str(out, "/previewResults/0/imageDigest"),
	    old[0]);
	assert_string_equal(afx_str(out, "/previewResults/1/imageDigest"),
	    old[1]);
	assert_string_equal(afx_str(out, "/previewResults/2/imageDigest"),
	    v[0]);
	assert_string_equal(afx_str(out, "/previewResults/3/imageDigest"),
	    v[1]);
	r = json_object_array_get_idx(json_object_object_get(out,
	                                  "previewResults"),
	    2);
	assert_int_equal(afx_i64(r, "/appliedRulePriority"), 2);
	afx_equal(json_object_object_get(r, "action"), "{'type': 'EXPIRE'}");
	assert_string_equal(afx_str(r, "/imageTags/0"), "v0");
	assert_string_equal(afx_str(r, "/storageClass"), "STANDARD");
	assert_int_equal(afx_i64(out, "/previewResults/0/appliedRulePriority"),
	    1);
	json_object_put(out);
	/* Nothing happened to the images. */
	out = afx_ok(f, "ListImages", "{'repositoryName': 'lcy'}");
	assert_int_equal(afx_len(out, "/imageIds"), 6);
	json_object_put(out);
	free(text);
}

static void
test_lifecycle_preview_ages_follow_the_clock(void **state)
{
	struct afx *f = *state;
	struct json_object *out;
	char a[72], b[72];

	afx_repo(f, "lcy");
	push(f, "a", "a", a);
	f->now_ms += 3 * DAY_MS;
	push(f, "b", "b", b);
	json_object_put(afx_ok_in(f, "PutLifecyclePolicy",
	    lc_in("{'rules': [{'rulePriority': 1, 'selection': {'tagStatus': "
	          "'any', 'countType': 'sinceImagePushed', 'countUnit': "
	          "'days', "
	          "'countNumber': 2}, 'action': {'type': 'expire'}}]}")));
	/* No text: the stored policy. */
	afx_do(f, "StartLifecyclePolicyPreview", "{'repositoryName': 'lcy'}");
	out = afx_ok(f, "GetLifecyclePolicyPreview",
	    "{'repositoryName': "
	    "'lcy'}");
	assert_int_equal(afx_len(out, "/previewResults"), 1);
	assert_string_equal(afx_str(out, "/previewResults/0/imageDigest"), a);
	json_object_put(out);
	/* Two days on, both are old enough. */
	f->now_ms += 2 * DAY_MS;
	afx_do(f, "StartLifecyclePolicyPreview", "{'repositoryName': 'lcy'}");
	out = afx_ok(f, "GetLifecyclePolicyPreview",
	    "{'repositoryName': "
	    "'lcy'}");
	assert_int_equal(afx_len(out, "/previewResults"), 2);
	assert_string_equal(afx_str(out, "/previewResults/1/imageDigest"), b);
	json_object_put(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, afx_setup, afx_teardown)
	    T(test_lifecycle_policy_answers_the_canonical_text),
	    T(test_lifecycle_policy_of_a_missing_repository),
	    T(test_lifecycle_policy_schema_errors_in_ecrs_words),
	    T(test_lifecycle_policy_semantic_errors),
	    T(test_lifecycle_preview_needs_a_policy_or_a_text),
	    T(test_lifecycle_preview_expires_the_oldest_beyond_the_count),
	    T(test_lifecycle_preview_ages_follow_the_clock),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
