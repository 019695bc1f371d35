/*
 * Unit tests for replication in api/ and core/ against a temporary store
 * (issue 14, docs/ecr-behaviour.md 3.8): PutReplicationConfiguration's
 * checks and canonical answer, DescribeRegistry, and jobs drained by
 * core_repl_run into another region and another account, with the
 * statuses DescribeImageReplicationStatus answers. test_replication.py
 * checks the same on the wire.
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

#include "core/core_int.h"
#include "test/unit/api_fixture.h"

#define IPE "InvalidParameterException"
#define PUT "PutReplicationConfiguration"
#define OTHER "222222222222"
#define IP(detail)                                                             \
	"Invalid parameter at 'replicationConfiguration' failed to satisfy "   \
	"constraint: '" detail "'"
#define DEST(reg, region) "{'region':'" region "','registryId':'" reg "'}"
#define RULES(...) "{'replicationConfiguration':{'rules':[" __VA_ARGS__ "]}}"

#define BODY_MAX 16384

/* A body of n rules each with the destinations text (' for "). */
static struct json_object *
rules_of(size_t n, const char *dests)
{
	char text[BODY_MAX];
	size_t i, len;

	len = (size_t)snprintf(text, sizeof text,
	    "{'replicationConfiguration':{'rules':[");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(text + len, sizeof text - len,
		    "%s{'destinations':[%s]}", i ? "," : "", dests);
	snprintf(text + len, sizeof text - len, "]}}");
	assert_true(len < sizeof text - 4);
	return afx_in(text);
}

/* n destinations in eu-west-1, of accounts 4000000000KK on from k. */
static void
dests_of(size_t k, size_t n, char *dst, size_t size)
{
	size_t i, len = 0;

	dst[0] = '\0';
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(dst + len, size - len,
		    "%s{'region':'eu-west-1','registryId':'4000000000%02zu'}",
		    i ? "," : "", k + i);
	assert_true(len < size);
}

static void
test_put_refuses_as_ecr(void **state)
{
	static const struct {
		const char *body;
		const char *message;
	} cases[] = {
	    {RULES("{'destinations':[" DEST(AFX_ACCOUNT, AFX_REGION) "]}"),
	        IP("Replication destination cannot be the same as the source "
	           "registry")},
	    {RULES("{'destinations':[" DEST(OTHER, "xx-fake-1") "]}"),
	        IP("Replication destination region 'xx-fake-1' is not a valid "
	           "region")},
	    {RULES("{'destinations':[" DEST(OTHER, "us-gov-west-1") "]}"),
	        IP("Replication destination region 'us-gov-west-1' is not in "
	           "the partition of the source registry")},
	    {RULES("{'destinations':[" DEST(OTHER,
	         "eu-west-1") "],"
	                      "'repositoryFilters':[]}"),
	        "Invalid parameter at 'replicationConfiguration.rules.1.member."
	        "repositoryFilters' failed to satisfy constraint: 'Member must "
	        "have length greater than or equal to 1'"},
	};
	struct afx *f = *state;
	struct json_object *out;
	char dests[BODY_MAX / 2];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		afx_fail(f, PUT, cases[i].body, 400, IPE, cases[i].message);
	/* 25 unique destinations pass, repeats counted once; 26 do not. */
	dests_of(0, 25, dests, sizeof dests);
	json_object_put(afx_ok_in(f, PUT, rules_of(2, dests)));
	dests_of(0, 26, dests, sizeof dests);
	afx_fail_in(f, PUT, rules_of(1, dests), 400, IPE,
	    IP("The number of unique replication destinations must be less "
	       "than or equal to 25"));
	/* The model's: at most 10 rules. */
	afx_fail_in(f, PUT, rules_of(11, DEST(OTHER, "eu-west-1")), 400, IPE,
	    "Invalid parameter at 'replicationConfiguration.rules' failed to "
	    "satisfy constraint: 'Member must have length less than or equal "
	    "to 10'");
	/* Nothing refused was stored: the 25 are. */
	out = afx_ok(f, "DescribeRegistry", "{}");
	assert_int_equal(afx_len(out, "/replicationConfiguration/rules/0/"
	                              "destinations"),
	    25);
	json_object_put(out);
}

static void
test_put_answers_the_canonical_form_and_describe_registry_shows_it(void **state)
{
	struct afx *f = *state;
	struct json_object *out;
	const char *want = RULES("{'destinations':[" DEST(OTHER,
	    "eu-west-1") "],"
	                 "'repositoryFilters':[{'filter':'prod','filterType':"
	                 "'PREFIX_MATCH'}]},{'destinations':[" DEST(AFX_ACCOUNT,
	                     "ap-south-1") "]}");

	out = afx_ok(f, "DescribeRegistry", "{}");
	afx_equal(out, "{'registryId':'" AFX_ACCOUNT "',"
	               "'replicationConfiguration':{'rules':[]}}");
	json_object_put(out);
	/* Members in any order come back in the model's. */
	out = afx_ok(f, PUT,
	    RULES("{'repositoryFilters':[{'filterType':'PREFIX_MATCH',"
	          "'filter':'prod'}],'destinations':[{'registryId':'" OTHER "',"
	          "'region':'eu-west-1'}]},{'destinations':[" DEST(AFX_ACCOUNT,
	              "ap-south-1") "]}"));
	afx_equal(out, want);
	json_object_put(out);
	afx_restart(f);
	out = afx_ok(f, "DescribeRegistry", "{}");
	assert_string_equal(afx_str(out, "/registryId"), AFX_ACCOUNT);
	json_object_object_del(out, "registryId");
	afx_equal(out, want);
	json_object_put(out);
	out = afx_ok(f, PUT, RULES(""));
	afx_equal(out, RULES(""));
	json_object_put(out);
}

/*
 * A push to us-east-1 is copied with its own commit to eu-west-1 of the
 * account, and not to another account whose registry policy does not
 * let it; a job held back by the delay waits for a run once it is due.
 */
static void
test_jobs_copy_pushes_to_their_destinations(void **state)
{
	struct afx *f = *state;
	struct json_object *out;
	char digest[72], other[72], *manifest, *second;
	size_t n = 0;

	afx_do(f, PUT,
	    RULES("{'destinations':[" DEST(AFX_ACCOUNT,
	        "eu-west-1") "," DEST(OTHER,
	        "eu-west-1") "],'repositoryFilters':[{'filter':'app',"
	                     "'filterType':'PREFIX_MATCH'}]}"));
	afx_repo(f, "app");
	manifest = afx_image(f, "app", "repl", digest);
	json_object_put(afx_put(f, "app", manifest, "v1"));
	assert_int_equal(core_repl_run(f->ctx, &n), 0);
	assert_int_equal(n, 0);
	out = afx_ok(f, "DescribeImageReplicationStatus",
	    "{'repositoryName':'app','imageId':{'imageTag':'v1'}}");
	afx_equal(json_object_object_get(out, "replicationStatuses"),
	    "[{'region':'eu-west-1','registryId':'" AFX_ACCOUNT "',"
	    "'status':'COMPLETE'},{'region':'eu-west-1','registryId':'" OTHER
	    "','status':'FAILED','failureCode':'ACCESS_DENIED'}]");
	json_object_put(out);
	/* The copy: same bytes and digest, same tag. */
	f->access_key = AFX_ACCOUNT;
	f->region = "eu-west-1";
	out = afx_ok(f, "BatchGetImage",
	    "{'repositoryName':'app','imageIds':[{'imageTag':'v1'}]}");
	assert_string_equal(afx_str(out, "/images/0/imageManifest"), manifest);
	assert_string_equal(afx_str(out, "/images/0/imageId/imageDigest"),
	    digest);
	json_object_put(out);
	/* The other account has nothing. */
	f->access_key = OTHER;
	afx_fail(f, "DescribeImages", "{'repositoryName':'app'}", 400,
	    "RepositoryNotFoundException",
	    "The repository with name 'app' does not exist in the registry "
	    "with id '" OTHER "'");
	/* Held back: IN_PROGRESS until a run finds it due. */
	f->access_key = NULL;
	f->region = NULL;
	f->ctx->cfg.repl_delay_sec = 60;
	f->now_ms = core_now_ms(f->ctx); /* the clock a run reads */
	second = afx_image(f, "app", "repl-held", other);
	json_object_put(afx_put(f, "app", second, "v2"));
	out = afx_ok(f, "DescribeImageReplicationStatus",
	    "{'repositoryName':'app','imageId':{'imageTag':'v2'}}");
	assert_int_equal(afx_len(out, "/replicationStatuses"), 2);
	assert_string_equal(afx_str(out, "/replicationStatuses/0/status"),
	    "IN_PROGRESS");
	json_object_put(out);
	assert_int_equal(core_repl_run(f->ctx, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(core_clock_advance(f->ctx, 61), 0);
	assert_int_equal(core_repl_run(f->ctx, &n), 0);
	assert_int_equal(n, 2);
	out = afx_ok(f, "DescribeImageReplicationStatus",
	    "{'repositoryName':'app','imageId':{'imageTag':'v2'}}");
	assert_string_equal(afx_str(out, "/replicationStatuses/0/status"),
	    "COMPLETE");
	json_object_put(out);
	free(second);
	free(manifest);
}

/*
 * A group commit copies all its pushes' jobs, however few a slice of a
 * run would take (a slow machine's), so none is left for a run: each
 * would cost a commit of its own (issue 14's speed). A configuration
 * changed between two pushes counts for the second.
 */
static void
test_group_commit_copies_all_its_jobs(void **state)
{
	static const char *const regions[] = {"ap-east-1", "ap-northeast-1",
	    "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
	    "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
	    "ap-southeast-4", "ca-central-1", "eu-central-1", "eu-central-2",
	    "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-2",
	    "eu-west-3", "sa-east-1"};
	struct afx *f = *state;
	struct json_object *out;
	char dests[BODY_MAX], digest[72], ptr[64], *manifest;
	size_t i, len = 0, n = 0;

	for (i = 0; i < sizeof regions / sizeof regions[0]; i++)
		len += (size_t)snprintf(dests + len, sizeof dests - len,
		    "%s{'region':'%s','registryId':'" AFX_ACCOUNT "'}",
		    i ? "," : "", regions[i]);
	assert_true(len < sizeof dests);
	json_object_put(afx_ok_in(f, PUT, rules_of(1, dests)));
	f->ctx->repl_slice.n = 8;
	afx_repo(f, "many");
	manifest = afx_image(f, "many", "repl-many", digest);
	json_object_put(afx_put(f, "many", manifest, "v1"));
	free(manifest);
	out = afx_ok(f, "DescribeImageReplicationStatus",
	    "{'repositoryName':'many','imageId':{'imageTag':'v1'}}");
	assert_int_equal(afx_len(out, "/replicationStatuses"), 20);
	for (i = 0; i < 20; i++) {
		snprintf(ptr, sizeof ptr, "/replicationStatuses/%zu/status", i);
		assert_string_equal(afx_str(out, ptr), "COMPLETE");
	}
	json_object_put(out);
	assert_int_equal(core_repl_run(f->ctx, &n), 0);
	assert_int_equal(n, 0);
	afx_do(f, PUT,
	    RULES("{'destinations':[" DEST(AFX_ACCOUNT, "us-west-2") "]}"));
	manifest = afx_image(f, "many", "repl-changed", digest);
	json_object_put(afx_put(f, "many", manifest, "v2"));
	free(manifest);
	out = afx_ok(f, "DescribeImageReplicationStatus",
	    "{'repositoryName':'many','imageId':{'imageTag':'v2'}}");
	afx_equal(json_object_object_get(out, "replicationStatuses"),
	    "[{'region':'us-west-2','registryId':'" AFX_ACCOUNT "',"
	    "'status':'COMPLETE'}]");
	json_object_put(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, afx_setup, afx_teardown)
	    T(test_put_refuses_as_ecr),
	    T(test_put_answers_the_canonical_form_and_describe_registry_shows_it),
	    T(test_jobs_copy_pushes_to_their_destinations),
	    T(test_group_commit_copies_all_its_jobs),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
