/*
 * Unit tests for the layer upload operations of api/ against a temporary
 * store: InitiateLayerUpload, UploadLayerPart (parts as JSON, not
 * streamed), CompleteLayerUpload, BatchCheckLayerAvailability and
 * GetDownloadUrlForLayer, with ECR's exact errors (test_images.py's
 * LayerUploadTest checks the same on the wire).
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
#include <sodium.h>

#include "common/xalloc.h"
#include "test/unit/api_fixture.h"

#define PART_MIN (5 * 1024 * 1024)
#define NEVER                                                                  \
	"sha256:"                                                              \
	"0000000000000000000000000000000000000000000000000000000000000000"

static struct json_object *
repo_in(const char *repo)
{
	struct json_object *in = json_object_new_object();

	json_object_object_add(in, "repositoryName",
	    json_object_new_string(repo));
	return in;
}

/* InitiateLayerUpload in repo: the upload id (caller frees). */
static char *
initiate(struct afx *f, const char *repo)
{
	struct json_object *out;
	char *id;

	out = afx_ok_in(f, "InitiateLayerUpload", repo_in(repo));
	id = xstrdup(afx_str(out, "/uploadId"));
	json_object_put(out);
	return id;
}

/* UploadLayerPart's body: data as bytes first to last (-1: its end). */
static struct json_object *
part_in(const char *repo, const char *id, int64_t first, int64_t last,
    const void *data, size_t len)
{
	struct json_object *in = repo_in(repo);
	size_t size =
	    sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = xmalloc(size);

	sodium_bin2base64(b64, size, data, len, sodium_base64_VARIANT_ORIGINAL);
	json_object_object_add(in, "uploadId", json_object_new_string(id));
	json_object_object_add(in, "partFirstByte",
	    json_object_new_int64(first));
	json_object_object_add(in, "partLastByte",
	    json_object_new_int64(last == -1 ? first + (int64_t)len - 1
	                                     : last));
	json_object_object_add(in, "layerPartBlob",
	    json_object_new_string(b64));
	free(b64);
	return in;
}

static struct json_object *
complete_in(const char *repo, const char *id, const char *digest)
{
	struct json_object *in = repo_in(repo), *digests;

	json_object_object_add(in, "uploadId", json_object_new_string(id));
	digests = json_object_new_array();
	json_object_array_add(digests, json_object_new_string(digest));
	json_object_object_add(in, "layerDigests", digests);
	return in;
}

/* BatchCheckLayerAvailability of one digest in repo. */
static struct json_object *
check_one(struct afx *f, const char *repo, const char *digest)
{
	struct json_object *in = repo_in(repo), *digests;

	digests = json_object_new_array();
	json_object_array_add(digests, json_object_new_string(digest));
	json_object_object_add(in, "layerDigests", digests);
	return afx_ok_in(f, "BatchCheckLayerAvailability", in);
}

static void
test_initiate_layer_upload_answers_an_id_and_the_part_size(void **state)
{
	struct afx *f = *state;
	struct json_object *out;
	char *other;

	afx_repo(f, "up");
	out = afx_ok(f, "InitiateLayerUpload", "{'repositoryName': 'up'}");
	assert_int_equal(json_object_object_length(out), 2);
	assert_int_equal(afx_i64(out, "/partSize"), 10485760);
	assert_int_equal(strlen(afx_str(out, "/uploadId")), 36);
	other = initiate(f, "up");
	assert_string_not_equal(other, afx_str(out, "/uploadId"));
	free(other);
	json_object_put(out);
	afx_fail(f, "InitiateLayerUpload", "{'repositoryName': 'nope'}", 400,
	    "RepositoryNotFoundException",
	    "The repository with name 'nope' "
	    "does not exist in the registry with id '123456789012'");
}

static void
test_one_part_upload_makes_a_layer_available(void **state)
{
	static const char data[] = "hello, layer";
	struct afx *f = *state;
	struct json_object *out;
	char *id, digest[72];

	afx_repo(f, "up");
	afx_digest(data, sizeof data - 1, digest);
	id = initiate(f, "up");
	out = afx_ok_in(f, "UploadLayerPart",
	    part_in("up", id, 0, -1, data, sizeof data - 1));
	assert_int_equal(json_object_object_length(out), 4);
	assert_string_equal(afx_str(out, "/registryId"), AFX_ACCOUNT);
	assert_string_equal(afx_str(out, "/repositoryName"), "up");
	assert_string_equal(afx_str(out, "/uploadId"), id);
	assert_int_equal(afx_i64(out, "/lastByteReceived"), sizeof data - 2);
	json_object_put(out);
	out =
	    afx_ok_in(f, "CompleteLayerUpload", complete_in("up", id, digest));
	assert_int_equal(json_object_object_length(out), 4);
	assert_string_equal(afx_str(out, "/uploadId"), id);
	assert_string_equal(afx_str(out, "/layerDigest"), digest);
	json_object_put(out);
	/* Completed but not referenced: available all the same. */
	out = check_one(f, "up", digest);
	assert_int_equal(afx_len(out, "/failures"), 0);
	assert_string_equal(afx_str(out, "/layers/0/layerDigest"), digest);
	assert_string_equal(afx_str(out, "/layers/0/layerAvailability"),
	    "AVAILABLE");
	assert_int_equal(afx_i64(out, "/layers/0/layerSize"), sizeof data - 1);
	json_object_put(out);
	free(id);
}

struct check_case {
	const char *digest;
	const char *code;
	const char *reason;
};

static const struct check_case check_cases[] = {
    {NEVER, "MissingLayerDigest", "Could not find layer digest"},
    {"sha256:abc", "InvalidLayerDigest", "Invalid layer digest"},
};

static void
test_batch_check_layer_availability_failures(void **state)
{
	struct afx *f = *state;
	struct json_object *out;
	char digest[72];
	size_t i;

	afx_repo(f, "aa");
	afx_repo(f, "bb");
	afx_layer(f, "aa", "only in a", 9, digest);
	for (i = 0; i < sizeof check_cases / sizeof check_cases[0]; i++) {
		out = check_one(f, "aa", check_cases[i].digest);
		assert_int_equal(afx_len(out, "/layers"), 0);
		assert_int_equal(afx_len(out, "/failures"), 1);
		assert_string_equal(afx_str(out, "/failures/0/layerDigest"),
		    check_cases[i].digest);
		assert_string_equal(afx_str(out, "/failures/0/failureCode"),
		    check_cases[i].code);
		assert_string_equal(afx_str(out, "/failures/0/failureReason"),
		    check_cases[i].reason);
		json_object_put(out);
	}
	/* Layers belong to their repository. */
	out = check_one(f, "bb", digest);
	assert_int_equal(afx_len(out, "/layers"), 0);
	assert_string_equal(afx_str(out, "/failures/0/failureCode"),
	    "MissingLayerDigest");
	json_object_put(out);
}

struct part_case {
	int64_t first;
	int64_t last; /* -1: as long as the data */
	size_t len;
	const char *why;
};

static const struct part_case bad_parts[] = {
    {1, -1, 100, "parts must be contiguous"},
    {0, 99, 50, "the byte range does not match the part's length"},
    {0, 48, 50, "the byte range does not match the part's length"},
};

static void
test_upload_layer_part_refuses_a_misplaced_part(void **state)
{
	struct afx *f = *state;
	struct json_object *in, *out;
	const char *type;
	char *id, *msg, data[100];
	size_t i;
	int status;

	afx_repo(f, "up");
	memset(data, 'x', sizeof data);
	id = initiate(f, "up");
	for (i = 0; i < sizeof bad_parts / sizeof bad_parts[0]; i++) {
		in = part_in("up", id, bad_parts[i].first, bad_parts[i].last,
		    data, bad_parts[i].len);
		msg = xasprintf("The layer part for upload '%s' is invalid: "
		                "%s; the last valid byte received is -1",
		    id, bad_parts[i].why);
		afx_fail_in(f, "UploadLayerPart", in, 400,
		    "InvalidLayerPartException", msg);
		free(msg);
	}
	/* The error names where the upload stands. */
	out = afx_run(f, "UploadLayerPart", part_in("up", id, 5, -1, data, 1),
	    &status, &type);
	assert_int_equal(status, 400);
	assert_string_equal(type, "InvalidLayerPartException");
	assert_string_equal(afx_str(out, "/registryId"), AFX_ACCOUNT);
	assert_string_equal(afx_str(out, "/repositoryName"), "up");
	assert_string_equal(afx_str(out, "/uploadId"), id);
	assert_int_equal(afx_i64(out, "/lastValidByteReceived"), -1);
	json_object_put(out);
	/* Nothing was taken: the right part is still the first. */
	json_object_put(afx_ok_in(f, "UploadLayerPart",
	    part_in("up", id, 0, -1, data, sizeof data)));
	free(id);
}

static void
test_multi_part_upload_needs_5mb_parts_but_the_last(void **state)
{
	struct afx *f = *state;
	struct json_object *out;
	unsigned char *data;
	size_t len = PART_MIN + 777, i;
	char *id, digest[72];

	afx_repo(f, "up");
	data = xmalloc(len);
	for (i = 0; i < len; i++)
		data[i] = (unsigned char)(i * 7 + i / 251);
	afx_digest(data, len, digest);
	id = initiate(f, "up");
	json_object_put(afx_ok_in(f, "UploadLayerPart",
	    part_in("up", id, 0, -1, data, PART_MIN)));
	out = afx_ok_in(f, "UploadLayerPart",
	    part_in("up", id, PART_MIN, -1, data + PART_MIN, len - PART_MIN));
	assert_int_equal(afx_i64(out, "/lastByteReceived"), len - 1);
	json_object_put(out);
	out =
	    afx_ok_in(f, "CompleteLayerUpload", complete_in("up", id, digest));
	assert_string_equal(afx_str(out, "/layerDigest"), digest);
	json_object_put(out);
	free(id);
	/* A small part that is not the last fails at completion. */
	id = initiate(f, "up");
	json_object_put(afx_ok_in(f, "UploadLayerPart",
	    part_in("up", id, 0, -1, data, 1000)));
	json_object_put(afx_ok_in(f, "UploadLayerPart",
	    part_in("up", id, 1000, -1, data + 1000, 1000)));
	afx_digest(data, 2000, digest);
	afx_fail_in(f, "CompleteLayerUpload", complete_in("up", id, digest),
	    400, "LayerPartTooSmallException",
	    "All layer parts except the "
	    "last part should be at least 5MB");
	free(id);
	free(data);
}

static void
test_complete_layer_upload_refusals(void **state)
{
	static const char data[] = "the bytes actually sent";
	struct afx *f = *state;
	struct json_object *out;
	char *id, *msg, digest[72], other[72];

	afx_repo(f, "up");
	afx_digest(data, sizeof data - 1, digest);
	afx_digest("other bytes", 11, other);
	id = initiate(f, "up");
	msg = xasprintf("The upload with id '%s' in the repository with name "
	                "'up' in registry with id '123456789012' cannot be "
	                "completed "
	                "because it does not have any parts",
	    id);
	afx_fail_in(f, "CompleteLayerUpload", complete_in("up", id, digest),
	    400, "EmptyUploadException", msg);
	free(msg);
	json_object_put(afx_ok_in(f, "UploadLayerPart",
	    part_in("up", id, 0, -1, data, sizeof data - 1)));
	msg = xasprintf("The layer digest '%s' does not match the digest '%s' "
	                "of the uploaded layer",
	    other, digest);
	afx_fail_in(f, "CompleteLayerUpload", complete_in("up", id, other), 400,
	    "InvalidLayerException", msg);
	free(msg);
	out = check_one(f, "up", digest);
	assert_int_equal(afx_len(out, "/layers"), 0);
	json_object_put(out);
	free(id);
}

static void
test_complete_layer_upload_of_a_layer_already_there(void **state)
{
	struct afx *f = *state;
	char *id, *msg, digest[72];

	afx_repo(f, "up");
	afx_repo(f, "other");
	afx_layer(f, "up", "uploaded twice", 14, digest);
	id = initiate(f, "up");
	json_object_put(afx_ok_in(f, "UploadLayerPart",
	    part_in("up", id, 0, -1, "uploaded twice", 14)));
	msg = xasprintf("The layer with digest '%s' already exists in the "
	                "repository with name 'up' in registry with id "
	                "'123456789012'",
	    digest);
	afx_fail_in(f, "CompleteLayerUpload", complete_in("up", id, digest),
	    400, "LayerAlreadyExistsException", msg);
	free(msg);
	free(id);
	/* Another repository takes it as a new layer. */
	afx_layer(f, "other", "uploaded twice", 14, digest);
}

static void
test_upload_ids_belong_to_their_repository_and_end(void **state)
{
	static const char *unknown = "2b0a5b0e-55c4-4a55-9b4e-1c4b2fd6a1e3";
	struct afx *f = *state;
	char *id, *foreign, *msg, digest[72];

	afx_repo(f, "up");
	afx_repo(f, "other");
	afx_digest("abc", 3, digest);
	msg = xasprintf("The upload with id '%s' does not exist in the "
	                "repository with name 'up' in the registry with id "
	                "'123456789012'",
	    unknown);
	afx_fail_in(f, "UploadLayerPart",
	    part_in("up", unknown, 0, -1, "abc", 3), 400,
	    "UploadNotFoundException", msg);
	afx_fail_in(f, "CompleteLayerUpload",
	    complete_in("up", unknown, digest), 400, "UploadNotFoundException",
	    msg);
	free(msg);
	foreign = initiate(f, "other");
	msg = xasprintf("The upload with id '%s' does not exist in the "
	                "repository with name 'up' in the registry with id "
	                "'123456789012'",
	    foreign);
	afx_fail_in(f, "UploadLayerPart",
	    part_in("up", foreign, 0, -1, "abc", 3), 400,
	    "UploadNotFoundException", msg);
	free(msg);
	free(foreign);
	/* An upload id ends with its completion. */
	id = initiate(f, "up");
	json_object_put(afx_ok_in(f, "UploadLayerPart",
	    part_in("up", id, 0, -1, "abc", 3)));
	json_object_put(afx_ok_in(f, "CompleteLayerUpload",
	    complete_in("up", id, digest)));
	msg = xasprintf("The upload with id '%s' does not exist in the "
	                "repository with name 'up' in the registry with id "
	                "'123456789012'",
	    id);
	afx_fail_in(f, "UploadLayerPart", part_in("up", id, 3, -1, "def", 3),
	    400, "UploadNotFoundException", msg);
	afx_fail_in(f, "CompleteLayerUpload", complete_in("up", id, digest),
	    400, "UploadNotFoundException", msg);
	free(msg);
	free(id);
}

static void
test_uploads_do_not_outlive_their_repository(void **state)
{
	struct afx *f = *state;
	char *id, *msg, digest[72];

	afx_repo(f, "up");
	id = initiate(f, "up");
	json_object_put(afx_ok_in(f, "UploadLayerPart",
	    part_in("up", id, 0, -1, "abc", 3)));
	afx_do(f, "DeleteRepository", "{'repositoryName': 'up'}");
	afx_repo(f, "up");
	afx_digest("abc", 3, digest);
	msg = xasprintf("The upload with id '%s' does not exist in the "
	                "repository with name 'up' in the registry with id "
	                "'123456789012'",
	    id);
	afx_fail_in(f, "UploadLayerPart", part_in("up", id, 3, -1, "def", 3),
	    400, "UploadNotFoundException", msg);
	afx_fail_in(f, "CompleteLayerUpload", complete_in("up", id, digest),
	    400, "UploadNotFoundException", msg);
	free(msg);
	free(id);
}

static void
test_download_url_needs_a_referenced_layer(void **state)
{
	struct afx *f = *state;
	struct json_object *in;
	char *msg, digest[72];

	afx_repo(f, "up");
	in = afx_in("{'repositoryName': 'up', 'layerDigest': '" NEVER "'}");
	afx_fail_in(f, "GetDownloadUrlForLayer", in, 400,
	    "LayersNotFoundException",
	    "The layer with digest " NEVER " does "
	    "not exist within the repository with name 'up' in the registry "
	    "with id '123456789012'");
	afx_layer(f, "up", "uploaded, never used", 20, digest);
	in = repo_in("up");
	json_object_object_add(in, "layerDigest",
	    json_object_new_string(digest));
	msg =
	    xasprintf("The layer with digest %s in the repository with "
	              "name 'up' in the registry with id '123456789012' is not "
	              "referenced by any image",
	        digest);
	afx_fail_in(f, "GetDownloadUrlForLayer", in, 400,
	    "LayerInaccessibleException", msg);
	free(msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, afx_setup, afx_teardown)
	    T(test_initiate_layer_upload_answers_an_id_and_the_part_size),
	    T(test_one_part_upload_makes_a_layer_available),
	    T(test_batch_check_layer_availability_failures),
	    T(test_upload_layer_part_refuses_a_misplaced_part),
	    T(test_multi_part_upload_needs_5mb_parts_but_the_last),
	    T(test_complete_layer_upload_refusals),
	    T(test_complete_layer_upload_of_a_layer_already_there),
	    T(test_upload_ids_belong_to_their_repository_and_end),
	    T(test_uploads_do_not_outlive_their_repository),
	    T(test_download_url_needs_a_referenced_layer),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
