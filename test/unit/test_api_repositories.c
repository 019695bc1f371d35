/*
 * Unit tests for the repository operations of api/ against a temporary
 * store: CreateRepository, DescribeRepositories, DeleteRepository (with
 * and without force), PutImageTagMutability, PutImageScanningConfiguration
 * and the resource tags, with ECR's exact errors (test_repositories.py
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

#include "api/api.h"
#include "common/xalloc.h"
#include "store/store.h"
#include "test/unit/api_fixture.h"

#define ARN "arn:aws:ecr:us-east-1:123456789012:repository/"
#define NOT_FOUND(name)                                                        \
	"The repository with name '" name "' does not "                        \
	"exist in the registry with id '123456789012'"
#define INVALID_ARN                                                            \
	"Invalid parameter at 'resourceArn' failed to "                        \
	"satisfy constraint: 'Invalid ARN'"
#define IPE "InvalidParameterException"

static void
test_create_repository_answers_the_defaults(void **state)
{
	struct afx *f = *state;
	struct json_object *out, *again;

	out = afx_ok(f, "CreateRepository", "{'repositoryName': 'team/app'}");
	assert_string_equal(afx_str(out, "/repository/repositoryArn"),
	    ARN "team/app");
	assert_string_equal(afx_str(out, "/repository/registryId"),
	    AFX_ACCOUNT);
	assert_string_equal(afx_str(out, "/repository/repositoryUri"),
	    "123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app");
	assert_string_equal(afx_str(out, "/repository/imageTagMutability"),
	    "MUTABLE");
	afx_equal(json_object_object_get(json_object_object_get(out,
	                                     "repository"),
	              "imageScanningConfiguration"),
	    "{'scanOnPush': false}");
	afx_equal(json_object_object_get(json_object_object_get(out,
	                                     "repository"),
	              "encryptionConfiguration"),
	    "{'encryptionType': 'AES256'}");
	again = afx_ok(f, "DescribeRepositories",
	    "{'repositoryNames': ['team/app']}");
	assert_true(json_object_equal(json_object_object_get(out, "repository"),
	    json_object_array_get_idx(json_object_object_get(again,
	                                  "repositories"),
	        0)));
	json_object_put(again);
	json_object_put(out);
}

static void
test_create_repository_twice_is_refused_and_keeps_the_first(void **state)
{
	struct afx *f = *state;
	struct json_object *out;

	afx_repo(f, "twice");
	afx_fail(f, "CreateRepository",
	    "{'repositoryName': 'twice', "
	    "'imageTagMutability': 'IMMUTABLE'}",
	    400, "RepositoryAlreadyExistsException",
	    "The repository with name "
	    "'twice' already exists in the registry with id '123456789012'");
	out =
	    afx_ok(f, "DescribeRepositories", "{'repositoryNames': ['twice']}");
	assert_string_equal(afx_str(out, "/repositories/0/imageTagMutability"),
	    "MUTABLE");
	json_object_put(out);
}

struct bad_create {
	const char *body;
	const char *type;
	const char *message;
};

static const struct bad_create bad_creates[] = {
    {"{'repositoryName': 'Upper'}", IPE,
        "Invalid parameter at "
        "'repositoryName' failed to satisfy constraint: 'must satisfy "
        "regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*"
        "[a-z0-9]+(?:[._-][a-z0-9]+)*''"},
    {"{'repositoryName': 'rr', 'encryptionConfiguration': "
     "{'encryptionType': 'AES256', 'kmsKey': 'alias/x'}}",
        IPE,
        "Invalid parameter at 'encryptionConfiguration.kmsKey' failed to "
        "satisfy constraint: 'kmsKey can only be specified when "
        "encryptionType is KMS or KMS_DSSE'"},
    {"{'repositoryName': 'rr', 'imageTagMutability': 'IMMUTABLE', "
     "'imageTagMutabilityExclusionFilters': [{'filterType': "
     "'WILDCARD', 'filter': 'dev-*'}]}",
        IPE,
        "Invalid parameter at "
        "'imageTagMutabilityExclusionFilters' failed to satisfy "
        "constraint: 'Exclusion filters can only be used when "
        "imageTagMutability is MUTABLE_WITH_EXCLUSION or "
        "IMMUTABLE_WITH_EXCLUSION'"},
    {"{'repositoryName': 'rr', 'imageTagMutability': "
     "'MUTABLE_WITH_EXCLUSION'}",
        IPE,
        "Invalid parameter at "
        "'imageTagMutabilityExclusionFilters' failed to satisfy "
        "constraint: 'Exclusion filters are required when "
        "imageTagMutability is MUTABLE_WITH_EXCLUSION or "
        "IMMUTABLE_WITH_EXCLUSION'"},
    {"{'repositoryName': 'rr', 'tags': [{'Key': 'aws:owner', "
     "'Value': 'x'}]}",
        "InvalidTagParameterException",
        "Tag keys "
        "beginning with 'aws:' are reserved for AWS use: 'aws:owner'"},
};

static void
test_create_repository_refusals_create_nothing(void **state)
{
	struct afx *f = *state;
	size_t i;

	for (i = 0; i < sizeof bad_creates / sizeof bad_creates[0]; i++) {
		afx_fail(f, "CreateRepository", bad_creates[i].body, 400,
		    bad_creates[i].type, bad_creates[i].message);
	}
	afx_fail(f, "DescribeRepositories", "{'repositoryNames': ['rr']}", 400,
	    "RepositoryNotFoundException", NOT_FOUND("rr"));
}

static void
test_describe_repositories_one_missing_name_fails_the_call(void **state)
{
	struct afx *f = *state;

	afx_repo(f, "aa");
	afx_repo(f, "cc");
	afx_fail(f, "DescribeRepositories",
	    "{'repositoryNames': ['aa', 'bb', 'cc']}", 400,
	    "RepositoryNotFoundException", NOT_FOUND("bb"));
	afx_fail(f, "DescribeRepositories",
	    "{'repositoryNames': ['aa'], 'maxResults': 5}", 400, IPE,
	    "Invalid parameter at 'repositoryNames' failed to satisfy "
	    "constraint: 'Cannot specify repositoryNames together with "
	    "nextToken or maxResults'");
}

/* Walk the pages of maxResults; the names seen, in order, joined by ','. */
static char *
walk_pages(struct afx *f, int64_t max, size_t *n_pages)
{
	struct json_object *in, *out, *repos;
	char *token = NULL, *seen = xstrdup(""), *next;
	size_t i;

	for (*n_pages = 0; *n_pages < 20; (*n_pages)++) {
		in = json_object_new_object();
		json_object_object_add(in, "maxResults",
		    json_object_new_int64(max));
		if (token != NULL)
			json_object_object_add(in, "nextToken",
			    json_object_new_string(token));
		out = afx_ok_in(f, "DescribeRepositories", in);
		repos = json_object_object_get(out, "repositories");
		assert_true(json_object_array_length(repos) <= (size_t)max);
		for (i = 0; i < json_object_array_length(repos); i++) {
			next = xasprintf("%s%s,", seen,
			    afx_str(json_object_array_get_idx(repos, i),
			        "/repositoryName"));
			free(seen);
			seen = next;
		}
		free(token);
		token = afx_has(out, "/nextToken")
		            ? xstrdup(afx_str(out, "/nextToken"))
		            : NULL;
		json_object_put(out);
		if (token == NULL)
			break;
	}
	(*n_pages)++;
	assert_null(token);
	return seen;
}

static void
test_describe_repositories_pages_in_name_order(void **state)
{
	static const char *const names[] = {"p4", "p1", "p3", "p0", "p2"};
	struct afx *f = *state;
	char *seen;
	size_t i, n_pages;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		afx_repo(f, names[i]);
	seen = walk_pages(f, 2, &n_pages);
	assert_string_equal(seen, "p0,p1,p2,p3,p4,");
	assert_int_equal(n_pages, 3);
	free(seen);
	seen = walk_pages(f, 5, &n_pages);
	assert_string_equal(seen, "p0,p1,p2,p3,p4,");
	assert_int_equal(n_pages, 1);
	free(seen);
}

static void
test_describe_repositories_token_outlives_the_last_seen(void **state)
{
	struct afx *f = *state;
	struct json_object *out, *in;

	afx_repo(f, "r1");
	afx_repo(f, "r2");
	afx_repo(f, "r3");
	out = afx_ok(f, "DescribeRepositories", "{'maxResults': 2}");
	assert_string_equal(afx_str(out, "/repositories/1/repositoryName"),
	    "r2");
	in = json_object_new_object();
	json_object_object_add(in, "nextToken",
	    json_object_get(json_object_object_get(out, "nextToken")));
	json_object_put(out);
	afx_do(f, "DeleteRepository", "{'repositoryName': 'r2'}");
	out = afx_ok_in(f, "DescribeRepositories", in);
	assert_int_equal(afx_len(out, "/repositories"), 1);
	assert_string_equal(afx_str(out, "/repositories/0/repositoryName"),
	    "r3");
	assert_false(afx_has(out, "/nextToken"));
	json_object_put(out);
	afx_fail(f, "DescribeRepositories", "{'maxResults': 0}", 400, IPE,
	    "Invalid parameter at 'maxResults' failed to satisfy constraint: "
	    "'Member must have value greater than or equal to 1'");
}

static void
test_describe_repositories_refuses_a_forged_token(void **state)
{
	struct afx *f = *state;

	afx_fail(f, "DescribeRepositories", "{'nextToken': 'bm90IGEgdG9rZW4='}",
	    400, IPE,
	    "Invalid parameter at 'nextToken' failed to satisfy "
	    "constraint: 'Invalid NextToken'");
}

static void
test_describe_repositories_token_of_another_region(void **state)
{
	struct afx *f = *state;
	struct json_object *out, *in;

	afx_repo(f, "r1");
	afx_repo(f, "r2");
	out = afx_ok(f, "DescribeRepositories", "{'maxResults': 1}");
	in = json_object_new_object();
	json_object_object_add(in, "nextToken",
	    json_object_get(json_object_object_get(out, "nextToken")));
	json_object_put(out);
	f->access_key = AFX_ACCOUNT;
	f->region = "eu-west-1";
	afx_fail_in(f, "DescribeRepositories", in, 400, IPE,
	    "Invalid "
	    "parameter at 'nextToken' failed to satisfy constraint: 'Invalid "
	    "NextToken'");
}

static void
test_describe_repositories_of_an_empty_registry(void **state)
{
	struct afx *f = *state;
	struct json_object *out;

	out = afx_ok(f, "DescribeRepositories", "{}");
	afx_equal(out, "{'repositories': []}");
	json_object_put(out);
}

static void
test_delete_repository_answers_what_it_deleted(void **state)
{
	struct afx *f = *state;
	struct json_object *created, *deleted;

	created = afx_ok(f, "CreateRepository",
	    "{'repositoryName': 'gone', "
	    "'imageTagMutability': 'IMMUTABLE', 'imageScanningConfiguration': "
	    "{'scanOnPush': true}}");
	deleted = afx_ok(f, "DeleteRepository", "{'repositoryName': 'gone'}");
	assert_true(json_object_equal(created, deleted));
	afx_fail(f, "DescribeRepositories", "{'repositoryNames': ['gone']}",
	    400, "RepositoryNotFoundException", NOT_FOUND("gone"));
	afx_fail(f, "DeleteRepository", "{'repositoryName': 'gone'}", 400,
	    "RepositoryNotFoundException", NOT_FOUND("gone"));
	afx_fail(f, "DeleteRepository",
	    "{'repositoryName': 'gone', "
	    "'force': true}",
	    400, "RepositoryNotFoundException", NOT_FOUND("gone"));
	json_object_put(deleted);
	json_object_put(created);
}

static void
test_delete_repository_with_images_needs_force(void **state)
{
	struct afx *f = *state;
	struct json_object *image, *out;
	char *manifest, digest[72];

	afx_repo(f, "full");
	manifest = afx_image(f, "full", "full", digest);
	image = afx_put(f, "full", manifest, "v1");
	afx_fail(f, "DeleteRepository", "{'repositoryName': 'full'}", 400,
	    "RepositoryNotEmptyException",
	    "The repository with name 'full' "
	    "in registry with id '123456789012' cannot be deleted because it "
	    "still contains images");
	out = afx_ok(f, "ListImages", "{'repositoryName': 'full'}");
	assert_int_equal(afx_len(out, "/imageIds"), 1);
	assert_string_equal(afx_str(out, "/imageIds/0/imageDigest"), digest);
	json_object_put(out);
	out = afx_ok(f, "DeleteRepository",
	    "{'repositoryName': 'full', "
	    "'force': true}");
	assert_string_equal(afx_str(out, "/repository/repositoryName"), "full");
	json_object_put(out);
	/* The name is free again, and empty. */
	afx_repo(f, "full");
	out = afx_ok(f, "ListImages", "{'repositoryName': 'full'}");
	afx_equal(out, "{'imageIds': []}");
	json_object_put(out);
	json_object_put(image);
	free(manifest);
}

/* Push n images tagged t0.. to repository name; their layer digests. */
static void
fill(struct afx *f, const char *name, size_t n)
{
	struct json_object *image;
	char *manifest, digest[72], seed[32], tag[32];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(seed, sizeof seed, "%s-%zu", name, i);
		snprintf(tag, sizeof tag, "t%zu", i);
		manifest = afx_image(f, name, seed, digest);
		image = afx_put(f, name, manifest, tag);
		json_object_put(image);
		free(manifest);
	}
}

/* Every call on a deleted repository's name is RepositoryNotFound. */
static void
assert_gone(struct afx *f, const char *name)
{
	static const char *const ops[] = {
	    "DescribeRepositories", "ListImages", "DescribeImages"};
	struct json_object *in, *names;
	const char *type;
	size_t i;
	int status;

	for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		in = json_object_new_object();
		if (i == 0) {
			names = json_object_new_array();
			json_object_array_add(names,
			    json_object_new_string(name));
			json_object_object_add(in, "repositoryNames", names);
		} else
			json_object_object_add(in, "repositoryName",
			    json_object_new_string(name));
		json_object_put(afx_run(f, ops[i], in, &status, &type));
		assert_int_equal(status, 400);
		assert_string_equal(type, "RepositoryNotFoundException");
	}
}

/*
 * A forced delete answers with the repository, which is gone at once with
 * its name free, while its records go after the answer in slices (issue
 * 12): a repository made again under the name is empty meanwhile, and the
 * slices leave no record behind.
 */
static void
test_force_delete_is_immediate_and_reaped_after(void **state)
{
	struct afx *f = *state;
	struct json_object *out;
	size_t n = 0, before;

	afx_repo(f, "big");
	fill(f, "big", 8);
	before = afx_child_records(f);
	out = afx_ok(f, "DeleteRepository",
	    "{'repositoryName': 'big', "
	    "'force': true}");
	assert_string_equal(afx_str(out, "/repository/repositoryName"), "big");
	json_object_put(out);
	assert_gone(f, "big");
	/* Nothing is reaped yet: the records wait for the background. */
	assert_int_equal(afx_child_records(f), before);
	afx_repo(f, "big");
	out = afx_ok(f, "ListImages", "{'repositoryName': 'big'}");
	afx_equal(out, "{'imageIds': []}");
	json_object_put(out);
	out = afx_ok(f, "DescribeImages", "{'repositoryName': 'big'}");
	afx_equal(out, "{'imageDetails': []}");
	json_object_put(out);
	assert_int_equal(core_reap_run(f->ctx, &n), 0);
	/* Each image: record, manifest, tag, config and layer; the count. */
	assert_int_equal(n, 8 * 5 + 1 + 1);
	assert_int_equal(afx_child_records(f), 0);
	/* The new repository is untouched and usable. */
	fill(f, "big", 1);
	out = afx_ok(f, "ListImages", "{'repositoryName': 'big'}");
	assert_int_equal(afx_len(out, "/imageIds"), 1);
	json_object_put(out);
}

/*
 * A server stopped midway resumes at start: the tombstone and what is
 * left survive a restart, and the reap then finishes; a GC reaps first,
 * so that the blobs only the deleted images used are collected.
 */
static void
test_force_delete_resumes_after_a_restart_and_gc_reaps_first(void **state)
{
	struct afx *f = *state;
	struct store_txn *txn;
	size_t n = 0, n_blobs = 0, n_uploads = 0, before;
	bool is_done = true;

	afx_repo(f, "half");
	fill(f, "half", 6);
	afx_do(f, "DeleteRepository",
	    "{'repositoryName': 'half', "
	    "'force': true}");
	before = afx_child_records(f);
	assert_int_equal(store_txn_begin(core_ctx_store(f->ctx), NULL, true,
	                     &txn),
	    0);
	assert_int_equal(store_repo_reap(txn, 10, &n, &is_done), 0);
	assert_int_equal(store_txn_commit(txn), 0);
	assert_false(is_done);
	afx_restart(f);
	assert_gone(f, "half");
	assert_int_equal(afx_child_records(f), before - 10);
	assert_int_equal(core_gc_run(f->ctx, f->now_ms + 1000, 0, &n_blobs,
	                     &n_uploads),
	    0);
	assert_int_equal(afx_child_records(f), 0);
	/* A config and a layer per image. */
	assert_int_equal(n_blobs, 6 * 2);
	n = 99;
	assert_int_equal(core_reap_run(f->ctx, &n), 0);
	assert_int_equal(n, 0);
}

/*
 * Slices are counted and timed (core/slice.c), so a run takes many of
 * varying size: a GC over more records than its largest slice still
 * reaps and collects them all.
 */
static void
test_gc_over_many_slices_leaves_nothing(void **state)
{
	struct afx *f = *state;
	size_t n_blobs = 0, n_uploads = 0;

	afx_repo(f, "many");
	fill(f, "many", 150);
	afx_do(f, "DeleteRepository",
	    "{'repositoryName': 'many', "
	    "'force': true}");
	assert_true(afx_child_records(f) > 256);
	assert_int_equal(core_gc_run(f->ctx, f->now_ms + 1000, 0, &n_blobs,
	                     &n_uploads),
	    0);
	assert_int_equal(afx_child_records(f), 0);
	assert_int_equal(n_blobs, 150 * 2);
}

static void
test_put_image_tag_mutability_echoes_and_persists(void **state)
{
	struct afx *f = *state;
	struct json_object *out;

	afx_repo(f, "mut");
	out = afx_ok(f, "PutImageTagMutability",
	    "{'repositoryName': 'mut', "
	    "'imageTagMutability': 'IMMUTABLE_WITH_EXCLUSION', "
	    "'imageTagMutabilityExclusionFilters': [{'filterType': "
	    "'WILDCARD', 'filter': 'release-*'}]}");
	afx_equal(out,
	    "{'registryId': '123456789012', 'repositoryName': "
	    "'mut', 'imageTagMutability': 'IMMUTABLE_WITH_EXCLUSION', "
	    "'imageTagMutabilityExclusionFilters': [{'filterType': "
	    "'WILDCARD', 'filter': 'release-*'}]}");
	json_object_put(out);
	out = afx_ok(f, "DescribeRepositories", "{'repositoryNames': ['mut']}");
	assert_string_equal(afx_str(out,
	                        "/repositories/0/"
	                        "imageTagMutabilityExclusionFilters/0/filter"),
	    "release-*");
	json_object_put(out);
	/* Back to MUTABLE: the filters go with the mode. */
	afx_do(f, "PutImageTagMutability",
	    "{'repositoryName': 'mut', "
	    "'imageTagMutability': 'MUTABLE'}");
	out = afx_ok(f, "DescribeRepositories", "{'repositoryNames': ['mut']}");
	assert_string_equal(afx_str(out, "/repositories/0/imageTagMutability"),
	    "MUTABLE");
	assert_false(afx_has(out,
	    "/repositories/0/imageTagMutabilityExclusionFilters"));
	json_object_put(out);
	afx_fail(f, "PutImageTagMutability",
	    "{'repositoryName': 'nope', "
	    "'imageTagMutability': 'IMMUTABLE'}",
	    400, "RepositoryNotFoundException", NOT_FOUND("nope"));
}

static void
test_put_image_scanning_configuration_echoes_and_persists(void **state)
{
	struct afx *f = *state;
	struct json_object *out;

	afx_repo(f, "scan");
	out = afx_ok(f, "PutImageScanningConfiguration",
	    "{'repositoryName': "
	    "'scan', 'imageScanningConfiguration': {'scanOnPush': true}}");
	afx_equal(out,
	    "{'registryId': '123456789012', 'repositoryName': "
	    "'scan', 'imageScanningConfiguration': {'scanOnPush': true}}");
	json_object_put(out);
	out =
	    afx_ok(f, "DescribeRepositories", "{'repositoryNames': ['scan']}");
	afx_equal(json_object_object_get(
	              json_object_array_get_idx(json_object_object_get(out,
	                                            "repositories"),
	                  0),
	              "imageScanningConfiguration"),
	    "{'scanOnPush': true}");
	json_object_put(out);
	afx_fail(f, "PutImageScanningConfiguration",
	    "{'repositoryName': "
	    "'nope', 'imageScanningConfiguration': {'scanOnPush': true}}",
	    400, "RepositoryNotFoundException", NOT_FOUND("nope"));
}

static void
test_tags_overwrite_untag_and_list(void **state)
{
	struct afx *f = *state;
	struct json_object *out;

	afx_do(f, "CreateRepository",
	    "{'repositoryName': 'tt', 'tags': "
	    "[{'Key': 'a', 'Value': '1'}, {'Key': 'b', 'Value': '2'}]}");
	out = afx_ok(f, "TagResource",
	    "{'resourceArn': '" ARN "tt', 'tags': "
	    "[{'Key': 'a', 'Value': '9'}, {'Key': 'c', 'Value': '3'}]}");
	afx_equal(out, "{}");
	json_object_put(out);
	out = afx_ok(f, "UntagResource",
	    "{'resourceArn': '" ARN "tt', "
	    "'tagKeys': ['b', 'never-there']}");
	afx_equal(out, "{}");
	json_object_put(out);
	out = afx_ok(f, "ListTagsForResource", "{'resourceArn': '" ARN "tt'}");
	afx_equal(out, "{'tags': [{'Key': 'a', 'Value': '9'}, "
	               "{'Key': 'c', 'Value': '3'}]}");
	json_object_put(out);
}

/* TagResource's body for repository tt: n tags named prefix00... */
static struct json_object *
tag_in(const char *prefix, int n)
{
	struct json_object *in, *tags, *tag;
	char *key;
	int i;

	in = afx_in("{'resourceArn': '" ARN "tt'}");
	tags = json_object_new_array();
	for (i = 0; i < n; i++) {
		key = xasprintf("%s%02d", prefix, i);
		tag = json_object_new_object();
		json_object_object_add(tag, "Key", json_object_new_string(key));
		json_object_object_add(tag, "Value",
		    json_object_new_string("v"));
		json_object_array_add(tags, tag);
		free(key);
	}
	json_object_object_add(in, "tags", tags);
	return in;
}

static void
test_tags_past_fifty_apply_nothing(void **state)
{
	struct afx *f = *state;
	struct json_object *out;

	afx_repo(f, "tt");
	afx_fail_in(f, "TagResource", tag_in("k", 51), 400,
	    "TooManyTagsException",
	    "The list of tags on the repository is "
	    "over the limit. The maximum number of tags that can be applied "
	    "to a repository is 50.");
	out = afx_ok(f, "ListTagsForResource", "{'resourceArn': '" ARN "tt'}");
	afx_equal(out, "{'tags': []}");
	json_object_put(out);
	/* Fifty fit; overwriting one at the limit is fine; one more is not. */
	json_object_put(afx_ok_in(f, "TagResource", tag_in("k", 50)));
	json_object_put(afx_ok_in(f, "TagResource", tag_in("k", 1)));
	afx_fail_in(f, "TagResource", tag_in("x", 1), 400,
	    "TooManyTagsException",
	    "The repository can have at most 50 "
	    "tags");
	out = afx_ok(f, "ListTagsForResource", "{'resourceArn': '" ARN "tt'}");
	assert_int_equal(afx_len(out, "/tags"), 50);
	json_object_put(out);
}

static const char *const bad_arns[] = {
    "not-an-arn",
    "arn:aws:s3:::bucket",
    "arn:aws:ecr:us-east-1:123456789012:image/tt",
    "arn:aws:ecr:us-east-1:123456789012:repository/",
    "arn:aws:ecr:us-east-1:123456789012:repositorytt",
};

static void
test_tags_refuse_bad_arns_and_missing_repositories(void **state)
{
	static const char *const ops[] = {
	    "ListTagsForResource", "TagResource", "UntagResource"};
	struct afx *f = *state;
	struct json_object *in;
	size_t i, j;

	afx_repo(f, "tt");
	for (i = 0; i < sizeof ops / sizeof ops[0]; i++) {
		for (j = 0; j <= sizeof bad_arns / sizeof bad_arns[0]; j++) {
			in = afx_in(i == 1   ? "{'tags': [{'Key': 'k', "
			                       "'Value': 'v'}]}"
			            : i == 2 ? "{'tagKeys': ['k']}"
			                     : "{}");
			json_object_object_add(in, "resourceArn",
			    json_object_new_string(j < sizeof bad_arns /
			                                       sizeof bad_arns
			                                           [0]
			                               ? bad_arns[j]
			                               : ARN "nope"));
			if (j < sizeof bad_arns / sizeof bad_arns[0])
				afx_fail_in(f, ops[i], in, 400, IPE,
				    INVALID_ARN);
			else
				afx_fail_in(f, ops[i], in, 400,
				    "RepositoryNotFoundException",
				    NOT_FOUND("nope"));
		}
	}
}

static void
test_accounts_and_regions_are_separate_registries(void **state)
{
	struct afx *f = *state;
	struct json_object *out;

	afx_repo(f, "same");
	f->access_key = "210987654321";
	f->region = "eu-west-1";
	out = afx_ok(f, "CreateRepository", "{'repositoryName': 'same'}");
	assert_string_equal(afx_str(out, "/repository/repositoryArn"),
	    "arn:aws:ecr:eu-west-1:210987654321:repository/same");
	json_object_put(out);
	f->region = "us-east-1";
	afx_fail(f, "DescribeRepositories", "{'repositoryNames': ['same']}",
	    400, "RepositoryNotFoundException",
	    "The repository with name "
	    "'same' does not exist in the registry with id '210987654321'");
	/* registryId selects another account's registry (issue 11). */
	out = afx_ok(f, "DescribeRepositories",
	    "{'registryId': "
	    "'123456789012', 'repositoryNames': ['same']}");
	assert_string_equal(afx_str(out, "/repositories/0/registryId"),
	    AFX_ACCOUNT);
	json_object_put(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, afx_setup, afx_teardown)
	    T(test_create_repository_answers_the_defaults),
	    T(test_create_repository_twice_is_refused_and_keeps_the_first),
	    T(test_create_repository_refusals_create_nothing),
	    T(test_describe_repositories_one_missing_name_fails_the_call),
	    T(test_describe_repositories_pages_in_name_order),
	    T(test_describe_repositories_token_outlives_the_last_seen),
	    T(test_describe_repositories_refuses_a_forged_token),
	    T(test_describe_repositories_token_of_another_region),
	    T(test_describe_repositories_of_an_empty_registry),
	    T(test_delete_repository_answers_what_it_deleted),
	    T(test_delete_repository_with_images_needs_force),
	    T(test_force_delete_is_immediate_and_reaped_after),
	    T(test_force_delete_resumes_after_a_restart_and_gc_reaps_first),
	    T(test_gc_over_many_slices_leaves_nothing),
	    T(test_put_image_tag_mutability_echoes_and_persists),
	    T(test_put_image_scanning_configuration_echoes_and_persists),
	    T(test_tags_overwrite_untag_and_list),
	    T(test_tags_past_fifty_apply_nothing),
	    T(test_tags_refuse_bad_arns_and_missing_repositories),
	    T(test_accounts_and_regions_are_separate_registries),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
