/*
 * Unit tests for the image operations of api/ against a temporary store:
 * PutImage's identity rules (the digest is the SHA-256 of the exact bytes,
 * re-pointing a tag leaves the old image untagged, immutability),
 * BatchGetImage by tag and digest with acceptedMediaTypes, BatchDeleteImage,
 * and ListImages and DescribeImages with their pages (test_images.py
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

#define DOCKER_V2 "application/vnd.docker.distribution.manifest.v2+json"
#define OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define IPE "InvalidParameterException"
#define NOT_FOUND_REASON "Requested image not found"
/* A well-formed digest of nothing uploaded. */
#define NEVER                                                                  \
	"sha256:"                                                              \
	"0000000000000000000000000000000000000000000000000000000000000000"

/* Up to four images made in a repository "img", known by letter. */
struct images {
	char *manifest[4];
	char digest[4][72];
	size_t n;
};

static void
make_images(struct afx *f, struct images *im, size_t n)
{
	char seed[32];
	size_t i;

	afx_repo(f, "img");
	for (i = 0; i < n; i++) {
		snprintf(seed, sizeof seed, "seed-%zu", i);
		im->manifest[i] = afx_image(f, "img", seed, im->digest[i]);
	}
	im->n = n;
}

static void
free_images(struct images *im)
{
	size_t i;

	for (i = 0; i < im->n; i++)
		free(im->manifest[i]);
}

static void
put(struct afx *f, const char *manifest, const char *tag)
{
	json_object_put(afx_put(f, "img", manifest, tag));
}

/* The letter of a digest among im's, or '?'. */
static char
letter(const struct images *im, const char *digest)
{
	size_t i;

	for (i = 0; i < im->n; i++) {
		if (strcmp(im->digest[i], digest) == 0)
			return (char)('A' + i);
	}
	return '?';
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * imageIds as sorted "A:tag" or "A:-" entries joined by ' '. Owned by the
 * caller.
 */
static char *
ids_text(const struct images *im, struct json_object *ids)
{
	struct json_object *id, *v;
	char **items, *text, *next;
	size_t i, n = json_object_array_length(ids);

	items = xcalloc(n + 1, sizeof *items);
	for (i = 0; i < n; i++) {
		id = json_object_array_get_idx(ids, i);
		items[i] =
		    xasprintf("%c:%s", letter(im, afx_str(id, "/imageDigest")),
		        json_object_object_get_ex(id, "imageTag", &v)
		            ? json_object_get_string(v)
		            : "-");
	}
	qsort(items, n, sizeof *items, cmp_str);
	text = xstrdup("");
	for (i = 0; i < n; i++) {
		next = xasprintf("%s%s%s", text, i == 0 ? "" : " ", items[i]);
		free(text);
		free(items[i]);
		text = next;
	}
	free(items);
	return text;
}

/* ListImages of "img" with filter (text, ' for ") as ids_text. */
static void
assert_listed(struct afx *f, const struct images *im, const char *body,
    const char *want)
{
	struct json_object *out;
	char *got;

	out = afx_ok(f, "ListImages", body);
	got = ids_text(im, json_object_object_get(out, "imageIds"));
	assert_string_equal(got, want);
	free(got);
	json_object_put(out);
}

/* {"imageDigest": digest, "imageTag": tag}, either left out if NULL. */
static struct json_object *
image_id(const char *digest, const char *tag)
{
	struct json_object *id = json_object_new_object();

	if (digest != NULL)
		json_object_object_add(id, "imageDigest",
		    json_object_new_string(digest));
	if (tag != NULL)
		json_object_object_add(id, "imageTag",
		    json_object_new_string(tag));
	return id;
}

/* A body naming repository "img" and the given imageIds (owned). */
static struct json_object *
ids_in(struct json_object *owned_ids)
{
	struct json_object *in = afx_in("{'repositoryName': 'img'}");

	json_object_object_add(in, "imageIds", owned_ids);
	return in;
}

static struct json_object *
one_id(const char *digest, const char *tag)
{
	struct json_object *ids = json_object_new_array();

	json_object_array_add(ids, image_id(digest, tag));
	return ids;
}

static struct json_object *
put_in(const char *manifest, const char *tag, const char *digest)
{
	struct json_object *in = afx_in("{'repositoryName': 'img'}");

	json_object_object_add(in, "imageManifest",
	    json_object_new_string(manifest));
	if (tag != NULL)
		json_object_object_add(in, "imageTag",
		    json_object_new_string(tag));
	if (digest != NULL)
		json_object_object_add(in, "imageDigest",
		    json_object_new_string(digest));
	return in;
}

static void
test_put_image_digest_is_the_sha256_of_the_exact_bytes(void **state)
{
	struct afx *f = *state;
	struct json_object *image;
	struct images im;
	char *trimmed, *msg, digest[72];

	make_images(f, &im, 1);
	image = afx_put(f, "img", im.manifest[0], "v0");
	assert_string_equal(afx_str(image, "/imageId/imageDigest"),
	    im.digest[0]);
	assert_string_equal(afx_str(image, "/imageId/imageTag"), "v0");
	assert_string_equal(afx_str(image, "/imageManifest"), im.manifest[0]);
	assert_string_equal(afx_str(image, "/imageManifestMediaType"),
	    DOCKER_V2);
	assert_string_equal(afx_str(image, "/registryId"), AFX_ACCOUNT);
	assert_string_equal(afx_str(image, "/repositoryName"), "img");
	json_object_put(image);
	/* The same manifest less its newline is another image. */
	trimmed = xstrdup(im.manifest[0]);
	trimmed[strlen(trimmed) - 1] = '\0';
	afx_digest(trimmed, strlen(trimmed), digest);
	image = afx_put(f, "img", trimmed, "v1");
	assert_string_equal(afx_str(image, "/imageId/imageDigest"), digest);
	assert_string_equal(afx_str(image, "/imageManifest"), trimmed);
	json_object_put(image);
	assert_string_not_equal(digest, im.digest[0]);
	/*
	 * By digest alone, an image already there is "nothing changed"
	 * (docs/ecr-behaviour.md 3.2, [unconfirmed] there).
	 */
	msg = xasprintf("Image with digest '%s' and tag 'null' already exists "
	                "in the repository with name 'img' in registry with id "
	                "'123456789012'",
	    im.digest[0]);
	afx_fail_in(f, "PutImage", put_in(im.manifest[0], NULL, im.digest[0]),
	    400, "ImageAlreadyExistsException", msg);
	free(msg);
	assert_listed(f, &im,
	    "{'repositoryName': 'img', 'filter': "
	    "{'tagStatus': 'TAGGED'}}",
	    "?:v1 A:v0");
	free(trimmed);
	free_images(&im);
}

static void
test_put_image_refusals_put_nothing(void **state)
{
	struct afx *f = *state;
	struct json_object *in;
	struct images im;
	char *msg, *bad_digest;

	make_images(f, &im, 1);
	bad_digest = xstrdup(im.digest[0]);
	bad_digest[strlen(bad_digest) - 1] ^= 1;
	msg = xasprintf("The specified image digest '%s' does not match the "
	                "digest '%s' that Amazon ECR calculated for the image",
	    bad_digest, im.digest[0]);
	afx_fail_in(f, "PutImage", put_in(im.manifest[0], "t", bad_digest), 400,
	    "ImageDigestDoesNotMatchException", msg);
	free(msg);
	afx_fail_in(f, "PutImage", put_in("{\"schemaVersion\": 2,}", "t", NULL),
	    400, IPE,
	    "Invalid parameter at 'ImageManifest' failed to "
	    "satisfy constraint: 'Invalid JSON syntax'");
	afx_fail_in(f, "PutImage", put_in(im.manifest[0], "a+b", NULL), 400,
	    IPE,
	    "Invalid parameter at 'imageTag' failed to satisfy "
	    "constraint: 'must satisfy regular expression "
	    "'[a-zA-Z0-9-_.]+''");
	in = put_in(im.manifest[0], "t", NULL);
	json_object_object_add(in, "imageManifestMediaType",
	    json_object_new_string(OCI_MANIFEST));
	afx_fail_in(f, "PutImage", in, 400, IPE,
	    "Invalid parameter at "
	    "'ImageManifestMediaType' failed to satisfy constraint: 'Media "
	    "type in the manifest does not match the imageManifestMediaType "
	    "provided'");
	assert_listed(f, &im, "{'repositoryName': 'img'}", "");
	free(bad_digest);
	free_images(&im);
}

static void
test_put_image_needs_its_layers_in_the_repository(void **state)
{
	struct afx *f = *state;
	struct images im;
	struct json_object *in, *m;
	char *msg;

	make_images(f, &im, 1);
	afx_repo(f, "other");
	in = put_in(im.manifest[0], "t", NULL);
	json_object_object_add(in, "repositoryName",
	    json_object_new_string("other"));
	m = afx_in(im.manifest[0]);
	msg = xasprintf("Layers with digests '[%s, %s]' required for pushing "
	                "image into repository with name 'other' in the "
	                "registry with id "
	                "'123456789012' do not exist",
	    afx_str(m, "/config/digest"), afx_str(m, "/layers/0/digest"));
	afx_fail_in(f, "PutImage", in, 400, "LayersNotFoundException", msg);
	json_object_put(m);
	free(msg);
	in = put_in(im.manifest[0], "t", NULL);
	json_object_object_add(in, "repositoryName",
	    json_object_new_string("nope"));
	afx_fail_in(f, "PutImage", in, 400, "RepositoryNotFoundException",
	    "The repository with name 'nope' does not exist in the registry "
	    "with id '123456789012'");
	free_images(&im);
}

static void
test_put_image_identical_push_is_refused(void **state)
{
	struct afx *f = *state;
	struct images im;
	char *msg;

	make_images(f, &im, 1);
	put(f, im.manifest[0], "same");
	msg = xasprintf("Image with digest '%s' and tag 'same' already exists "
	                "in the repository with name 'img' in registry with id "
	                "'123456789012'",
	    im.digest[0]);
	afx_fail_in(f, "PutImage", put_in(im.manifest[0], "same", NULL), 400,
	    "ImageAlreadyExistsException", msg);
	free(msg);
	/* Another tag on the same image is fine. */
	put(f, im.manifest[0], "other");
	assert_listed(f, &im, "{'repositoryName': 'img'}", "A:other A:same");
	free_images(&im);
}

static void
test_put_image_moving_a_tag_leaves_the_old_image_untagged(void **state)
{
	struct afx *f = *state;
	struct json_object *out;
	struct images im;

	make_images(f, &im, 3);
	put(f, im.manifest[0], "latest");
	put(f, im.manifest[1], "stable");
	put(f, im.manifest[1], "latest2");
	put(f, im.manifest[2], "latest");
	put(f, im.manifest[2], "stable");
	assert_listed(f, &im, "{'repositoryName': 'img'}",
	    "A:- B:latest2 C:latest C:stable");
	assert_listed(f, &im,
	    "{'repositoryName': 'img', 'filter': "
	    "{'tagStatus': 'UNTAGGED'}}",
	    "A:-");
	/* The untagged image is whole and can be had by digest. */
	out = afx_ok_in(f, "BatchGetImage", ids_in(one_id(im.digest[0], NULL)));
	assert_string_equal(afx_str(out, "/images/0/imageManifest"),
	    im.manifest[0]);
	assert_false(afx_has(out, "/images/0/imageId/imageTag"));
	json_object_put(out);
	free_images(&im);
}

static void
test_put_image_immutable_tags_do_not_move(void **state)
{
	struct afx *f = *state;
	struct images im;

	make_images(f, &im, 2);
	afx_do(f, "PutImageTagMutability",
	    "{'repositoryName': 'img', "
	    "'imageTagMutability': 'IMMUTABLE_WITH_EXCLUSION', "
	    "'imageTagMutabilityExclusionFilters': [{'filterType': "
	    "'WILDCARD', 'filter': 'dev-*'}]}");
	put(f, im.manifest[0], "v1");
	put(f, im.manifest[0], "dev-1");
	afx_fail_in(f, "PutImage", put_in(im.manifest[1], "v1", NULL), 400,
	    "ImageTagAlreadyExistsException",
	    "The image tag 'v1' already "
	    "exists in the 'img' repository and cannot be overwritten "
	    "because the repository is immutable.");
	/* A tag matching an exclusion filter stays mutable. */
	put(f, im.manifest[1], "dev-1");
	/* New tags are fine on any image. */
	put(f, im.manifest[1], "v2");
	assert_listed(f, &im, "{'repositoryName': 'img'}", "A:v1 B:dev-1 B:v2");
	free_images(&im);
}

static void
test_batch_get_image_failures_echo_the_request(void **state)
{
	struct afx *f = *state;
	struct json_object *ids, *out;
	struct images im;

	make_images(f, &im, 2);
	put(f, im.manifest[0], "a");
	put(f, im.manifest[1], "b");
	ids = json_object_new_array();
	json_object_array_add(ids, image_id(NULL, "a"));
	json_object_array_add(ids, image_id(NULL, "nope"));
	json_object_array_add(ids, image_id(NEVER, NULL));
	json_object_array_add(ids, image_id(im.digest[0], "a"));
	json_object_array_add(ids, image_id(im.digest[1], "a"));
	json_object_array_add(ids, image_id(NULL, NULL));
	out = afx_ok_in(f, "BatchGetImage", ids_in(ids));
	assert_int_equal(afx_len(out, "/images"), 2);
	assert_string_equal(afx_str(out, "/images/0/imageId/imageDigest"),
	    im.digest[0]);
	assert_string_equal(afx_str(out, "/images/1/imageId/imageTag"), "a");
	afx_equal(json_object_array_get_idx(json_object_object_get(out,
	                                        "failures"),
	              0),
	    "{'imageId': {'imageTag': 'nope'}, "
	    "'failureCode': 'ImageNotFound', 'failureReason': "
	    "'" NOT_FOUND_REASON "'}");
	afx_equal(json_object_array_get_idx(json_object_object_get(out,
	                                        "failures"),
	              1),
	    "{'imageId': {'imageDigest': '" NEVER "'}, "
	    "'failureCode': 'ImageNotFound', 'failureReason': "
	    "'" NOT_FOUND_REASON "'}");
	assert_string_equal(afx_str(out, "/failures/2/failureCode"),
	    "ImageTagDoesNotMatchDigest");
	assert_string_equal(afx_str(out, "/failures/2/failureReason"),
	    "Invalid request parameters: image tag does not match the image "
	    "digest");
	afx_equal(json_object_array_get_idx(json_object_object_get(out,
	                                        "failures"),
	              3),
	    "{'imageId': {}, 'failureCode': "
	    "'MissingDigestAndTag', 'failureReason': 'Invalid request "
	    "parameters: both tag and digest cannot be null'}");
	assert_int_equal(afx_len(out, "/failures"), 4);
	json_object_put(out);
	afx_fail(f, "BatchGetImage",
	    "{'repositoryName': 'nope', 'imageIds': "
	    "[{'imageTag': 'x'}]}",
	    400, "RepositoryNotFoundException",
	    "The repository with name 'nope' does not exist in the registry "
	    "with id '123456789012'");
	free_images(&im);
}

struct accept_case {
	const char *types[2];
	int by_tag;
	const char *served; /* media type, or NULL: a failure */
};

static const struct accept_case accept_cases[] = {
    {{DOCKER_V2, NULL}, 1, DOCKER_V2},
    {{DOCKER_V2, OCI_MANIFEST}, 0, DOCKER_V2},
    /* Docker v2 is translated to OCI when asked by tag only. */
    {{OCI_MANIFEST, NULL}, 1, OCI_MANIFEST},
    {{OCI_MANIFEST, NULL}, 0, NULL},
    {{DOCKER_LIST, OCI_INDEX}, 1, NULL},
};

static void
test_batch_get_image_serves_an_accepted_media_type(void **state)
{
	struct afx *f = *state;
	struct json_object *in, *types, *out;
	struct images im;
	const struct accept_case *c;
	size_t i, j;

	make_images(f, &im, 1);
	put(f, im.manifest[0], "t");
	for (i = 0; i < sizeof accept_cases / sizeof accept_cases[0]; i++) {
		c = &accept_cases[i];
		in = ids_in(c->by_tag ? one_id(NULL, "t")
		                      : one_id(im.digest[0], NULL));
		types = json_object_new_array();
		for (j = 0; j < 2 && c->types[j] != NULL; j++)
			json_object_array_add(types,
			    json_object_new_string(c->types[j]));
		json_object_object_add(in, "acceptedMediaTypes", types);
		out = afx_ok_in(f, "BatchGetImage", in);
		if (c->served == NULL) {
			assert_int_equal(afx_len(out, "/images"), 0);
			assert_string_equal(afx_str(out,
			                        "/failures/0/failureCode"),
			    "ImageNotFound");
		} else {
			assert_int_equal(afx_len(out, "/failures"), 0);
			assert_string_equal(
			    afx_str(out, "/images/0/imageManifestMediaType"),
			    c->served);
			if (strcmp(c->served, DOCKER_V2) == 0)
				assert_string_equal(
				    afx_str(out, "/images/0/imageManifest"),
				    im.manifest[0]);
			else
				assert_string_not_equal(
				    afx_str(out, "/images/0/imageManifest"),
				    im.manifest[0]);
		}
		json_object_put(out);
	}
	/* Nothing changed in the repository. */
	assert_listed(f, &im, "{'repositoryName': 'img'}", "A:t");
	free_images(&im);
}

static void
test_batch_delete_image_by_tag_removes_tag_then_image(void **state)
{
	struct afx *f = *state;
	struct json_object *out;
	struct images im;
	char *msg;

	make_images(f, &im, 1);
	put(f, im.manifest[0], "a");
	put(f, im.manifest[0], "b");
	out = afx_ok_in(f, "BatchDeleteImage", ids_in(one_id(NULL, "a")));
	assert_string_equal(afx_str(out, "/imageIds/0/imageDigest"),
	    im.digest[0]);
	assert_string_equal(afx_str(out, "/imageIds/0/imageTag"), "a");
	assert_int_equal(afx_len(out, "/failures"), 0);
	json_object_put(out);
	assert_listed(f, &im, "{'repositoryName': 'img'}", "A:b");
	json_object_put(afx_ok_in(f, "BatchDeleteImage",
	    ids_in(one_id(NULL, "b"))));
	assert_listed(f, &im, "{'repositoryName': 'img'}", "");
	msg = xasprintf("The image with imageId {imageDigest:'%s', "
	                "imageTag:'null'} does not exist within the repository "
	                "with name "
	                "'img' in the registry with id '123456789012'",
	    im.digest[0]);
	afx_fail_in(f, "DescribeImages", ids_in(one_id(im.digest[0], NULL)),
	    400, "ImageNotFoundException", msg);
	free(msg);
	free_images(&im);
}

static void
test_batch_delete_image_by_digest_takes_every_tag(void **state)
{
	struct afx *f = *state;
	struct images im;

	make_images(f, &im, 2);
	put(f, im.manifest[0], "a");
	put(f, im.manifest[0], "b");
	put(f, im.manifest[1], "c");
	json_object_put(afx_ok_in(f, "BatchDeleteImage",
	    ids_in(one_id(im.digest[0], NULL))));
	assert_listed(f, &im, "{'repositoryName': 'img'}", "B:c");
	free_images(&im);
}

static void
test_batch_delete_image_failures_delete_nothing(void **state)
{
	struct afx *f = *state;
	struct json_object *ids, *out;
	struct images im;

	make_images(f, &im, 2);
	put(f, im.manifest[0], "a");
	put(f, im.manifest[1], "b");
	ids = json_object_new_array();
	json_object_array_add(ids, image_id(NULL, "nope"));
	json_object_array_add(ids, image_id(NEVER, NULL));
	json_object_array_add(ids, image_id(NULL, NULL));
	json_object_array_add(ids, image_id(im.digest[1], "a"));
	out = afx_ok_in(f, "BatchDeleteImage", ids_in(ids));
	assert_int_equal(afx_len(out, "/imageIds"), 0);
	assert_int_equal(afx_len(out, "/failures"), 4);
	afx_equal(json_object_array_get_idx(json_object_object_get(out,
	                                        "failures"),
	              0),
	    "{'imageId': {'imageTag': 'nope'}, "
	    "'failureCode': 'ImageNotFound', 'failureReason': "
	    "'" NOT_FOUND_REASON "'}");
	assert_string_equal(afx_str(out, "/failures/1/failureCode"),
	    "ImageNotFound");
	assert_string_equal(afx_str(out, "/failures/2/failureCode"),
	    "MissingDigestAndTag");
	assert_string_equal(afx_str(out, "/failures/3/failureCode"),
	    "ImageTagDoesNotMatchDigest");
	json_object_put(out);
	assert_listed(f, &im, "{'repositoryName': 'img'}", "A:a B:b");
	free_images(&im);
}

/*
 * Walk op's pages of "img" with maxResults max: every entry of member
 * (imageIds, or imageDetails by their first tag) as ids_text gives them.
 */
static char *
walk(struct afx *f, const struct images *im, const char *op, const char *member,
    const char *tag_status, int64_t max, size_t *n_pages)
{
	struct json_object *in, *out, *list, *ids, *d, *tags;
	char *token = NULL, *all;
	const char *tag;
	size_t i;

	ids = json_object_new_array();
	for (*n_pages = 1; *n_pages < 20; (*n_pages)++) {
		in = afx_in("{'repositoryName': 'img'}");
		json_object_object_add(in, "maxResults",
		    json_object_new_int64(max));
		if (tag_status != NULL)
			json_object_object_add(in, "filter",
			    afx_in(tag_status));
		if (token != NULL)
			json_object_object_add(in, "nextToken",
			    json_object_new_string(token));
		out = afx_ok_in(f, op, in);
		list = json_object_object_get(out, member);
		assert_true(json_object_array_length(list) <= (size_t)max);
		for (i = 0; i < json_object_array_length(list); i++) {
			d = json_object_array_get_idx(list, i);
			tags = json_object_object_get(d, "imageTags");
			tag = afx_has(d, "/imageTag") ? afx_str(d, "/imageTag")
			      : tags != NULL
			          ? json_object_get_string(
			                json_object_array_get_idx(tags, 0))
			          : NULL;
			json_object_array_add(ids,
			    image_id(afx_str(d, "/imageDigest"), tag));
		}
		free(token);
		token = afx_has(out, "/nextToken")
		            ? xstrdup(afx_str(out, "/nextToken"))
		            : NULL;
		json_object_put(out);
		if (token == NULL)
			break;
	}
	assert_null(token);
	all = ids_text(im, ids);
	json_object_put(ids);
	return all;
}

static void
test_list_and_describe_images_page_with_next_token(void **state)
{
	struct afx *f = *state;
	struct images im;
	char *got;
	size_t n_pages;

	make_images(f, &im, 4);
	put(f, im.manifest[0], "t0");
	put(f, im.manifest[1], "t1");
	put(f, im.manifest[1], "u1");
	put(f, im.manifest[2], "t2");
	json_object_put(afx_ok_in(f, "PutImage",
	    put_in(im.manifest[3], NULL, im.digest[3])));
	/* One entry per tag and per untagged image. */
	got = walk(f, &im, "ListImages", "imageIds", NULL, 2, &n_pages);
	assert_string_equal(got, "A:t0 B:t1 B:u1 C:t2 D:-");
	assert_int_equal(n_pages, 3);
	free(got);
	assert_listed(f, &im, "{'repositoryName': 'img', 'maxResults': 1000}",
	    "A:t0 B:t1 B:u1 C:t2 D:-");
	/* One detail per image. */
	got = walk(f, &im, "DescribeImages", "imageDetails", NULL, 3, &n_pages);
	assert_string_equal(got, "A:t0 B:t1 C:t2 D:-");
	assert_int_equal(n_pages, 2);
	free(got);
	/* Filters hold across pages. */
	got = walk(f, &im, "ListImages", "imageIds",
	    "{'tagStatus': "
	    "'TAGGED'}",
	    1, &n_pages);
	assert_string_equal(got, "A:t0 B:t1 B:u1 C:t2");
	assert_int_equal(n_pages, 4);
	free(got);
	got = walk(f, &im, "ListImages", "imageIds",
	    "{'tagStatus': "
	    "'UNTAGGED'}",
	    1, &n_pages);
	assert_string_equal(got, "D:-");
	free(got);
	got = walk(f, &im, "DescribeImages", "imageDetails",
	    "{'tagStatus': "
	    "'TAGGED'}",
	    1, &n_pages);
	assert_string_equal(got, "A:t0 B:t1 C:t2");
	assert_int_equal(n_pages, 3);
	free(got);
	got = walk(f, &im, "DescribeImages", "imageDetails",
	    "{'tagStatus': "
	    "'UNTAGGED'}",
	    1, &n_pages);
	assert_string_equal(got, "D:-");
	free(got);
	afx_fail(f, "ListImages",
	    "{'repositoryName': 'img', 'nextToken': "
	    "'garbage'}",
	    400, IPE,
	    "Invalid parameter at 'nextToken' failed "
	    "to satisfy constraint: 'Invalid NextToken'");
	afx_fail(f, "ListImages",
	    "{'repositoryName': 'img', 'maxResults': "
	    "1001}",
	    400, IPE,
	    "Invalid parameter at 'maxResults' failed to "
	    "satisfy constraint: 'Member must have value less than or equal "
	    "to 1000'");
	free_images(&im);
}

static void
test_describe_images_by_ids_lists_every_tag(void **state)
{
	struct afx *f = *state;
	struct json_object *ids, *out;
	struct images im;

	make_images(f, &im, 2);
	put(f, im.manifest[0], "t0");
	put(f, im.manifest[0], "x0");
	json_object_put(afx_ok_in(f, "PutImage",
	    put_in(im.manifest[1], NULL, im.digest[1])));
	ids = json_object_new_array();
	json_object_array_add(ids, image_id(NULL, "x0"));
	json_object_array_add(ids, image_id(im.digest[1], NULL));
	out = afx_ok_in(f, "DescribeImages", ids_in(ids));
	assert_int_equal(afx_len(out, "/imageDetails"), 2);
	assert_false(afx_has(out, "/nextToken"));
	assert_string_equal(afx_str(out, "/imageDetails/0/imageDigest"),
	    im.digest[0]);
	assert_int_equal(afx_len(out, "/imageDetails/0/imageTags"), 2);
	assert_string_equal(afx_str(out,
	                        "/imageDetails/0/imageManifestMediaType"),
	    DOCKER_V2);
	assert_false(afx_has(out, "/imageDetails/1/imageTags"));
	json_object_put(out);
	afx_fail_in(f, "DescribeImages", ids_in(one_id(NULL, "nope")), 400,
	    "ImageNotFoundException",
	    "The image with imageId "
	    "{imageDigest:'null', imageTag:'nope'} does not exist within the "
	    "repository with name 'img' in the registry with id "
	    "'123456789012'");
	out = ids_in(one_id(NULL, "t0"));
	json_object_object_add(out, "maxResults", json_object_new_int(5));
	afx_fail_in(f, "DescribeImages", out, 400, IPE,
	    "Invalid parameter "
	    "at 'imageIds' failed to satisfy constraint: 'Cannot specify "
	    "imageIds together with nextToken, maxResults or filter'");
	free_images(&im);
}

/* A Docker manifest list of im's first two images (caller frees). */
static char *
index_of(const struct images *im, char digest[72])
{
	static const char *const arch[] = {"amd64", "arm64"};
	struct json_object *m, *list, *d, *platform;
	char *text;
	size_t i;

	m = afx_in("{'schemaVersion': 2, 'mediaType': '" DOCKER_LIST "'}");
	list = json_object_new_array();
	for (i = 0; i < 2; i++) {
		d = json_object_new_object();
		json_object_object_add(d, "mediaType",
		    json_object_new_string(DOCKER_V2));
		json_object_object_add(d, "size",
		    json_object_new_int64((int64_t)strlen(im->manifest[i])));
		json_object_object_add(d, "digest",
		    json_object_new_string(im->digest[i]));
		platform = json_object_new_object();
		json_object_object_add(platform, "architecture",
		    json_object_new_string(arch[i]));
		json_object_object_add(platform, "os",
		    json_object_new_string("linux"));
		json_object_object_add(d, "platform", platform);
		json_object_array_add(list, d);
	}
	json_object_object_add(m, "manifests", list);
	text = xstrdup(json_object_to_json_string_ext(m,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(m);
	afx_digest(text, strlen(text), digest);
	return text;
}

static void
test_manifest_list_children_are_images_it_holds_on_to(void **state)
{
	struct afx *f = *state;
	struct json_object *ids, *in, *out;
	struct images im;
	char *list, *msg, digest[72];

	make_images(f, &im, 2);
	list = index_of(&im, digest);
	/* The children must be images of the repository first. */
	put(f, im.manifest[0], "amd-only");
	msg = xasprintf("Manifests with digests '[%s]' referenced by the "
	                "image index do not exist in the repository with name "
	                "'img' in "
	                "the registry with id '123456789012'",
	    im.digest[1]);
	afx_fail_in(f, "PutImage", put_in(list, "multi", NULL), 400,
	    "ReferencedImagesNotFoundException", msg);
	free(msg);
	json_object_put(afx_ok_in(f, "PutImage",
	    put_in(im.manifest[1], NULL, im.digest[1])));
	put(f, list, "multi");
	/* By tag with image types only: a platform image instead. */
	in = ids_in(one_id(NULL, "multi"));
	json_object_object_add(in, "acceptedMediaTypes",
	    afx_in("['" DOCKER_V2 "']"));
	out = afx_ok_in(f, "BatchGetImage", in);
	assert_int_equal(afx_len(out, "/failures"), 0);
	assert_string_equal(afx_str(out, "/images/0/imageManifestMediaType"),
	    DOCKER_V2);
	assert_int_not_equal(letter(&im,
	                         afx_str(out, "/images/0/imageId/imageDigest")),
	    '?');
	json_object_put(out);
	/* Its children cannot go while it is there. */
	ids = json_object_new_array();
	json_object_array_add(ids, image_id(im.digest[1], NULL));
	json_object_array_add(ids, image_id(NULL, "amd-only"));
	out = afx_ok_in(f, "BatchDeleteImage", ids_in(ids));
	assert_int_equal(afx_len(out, "/imageIds"), 0);
	assert_int_equal(afx_len(out, "/failures"), 2);
	assert_string_equal(afx_str(out, "/failures/0/imageId/imageDigest"),
	    im.digest[1]);
	assert_string_equal(afx_str(out, "/failures/1/imageId/imageTag"),
	    "amd-only");
	afx_equal(json_object_object_get(
	              json_object_array_get_idx(json_object_object_get(out,
	                                            "failures"),
	                  1),
	              "failureReason"),
	    "'Requested image is referenced by a manifest list in the "
	    "repository'");
	assert_string_equal(afx_str(out, "/failures/0/failureCode"),
	    "ImageReferencedByManifestList");
	assert_string_equal(afx_str(out, "/failures/1/failureCode"),
	    "ImageReferencedByManifestList");
	json_object_put(out);
	assert_listed(f, &im, "{'repositoryName': 'img'}",
	    "?:multi A:amd-only B:-");
	/* Deleting the list leaves its children, which can then go. */
	json_object_put(afx_ok_in(f, "BatchDeleteImage",
	    ids_in(one_id(NULL, "multi"))));
	assert_listed(f, &im, "{'repositoryName': 'img'}", "A:amd-only B:-");
	out = afx_ok_in(f, "BatchDeleteImage",
	    ids_in(one_id(im.digest[1], NULL)));
	assert_int_equal(afx_len(out, "/failures"), 0);
	json_object_put(out);
	assert_listed(f, &im, "{'repositoryName': 'img'}", "A:amd-only");
	/* A list and its children go with a forced delete, all at once. */
	json_object_put(afx_ok_in(f, "PutImage",
	    put_in(im.manifest[1], NULL, im.digest[1])));
	put(f, list, "multi");
	afx_do(f, "DeleteRepository",
	    "{'repositoryName': 'img', 'force': "
	    "true}");
	afx_repo(f, "img");
	assert_listed(f, &im, "{'repositoryName': 'img'}", "");
	free(list);
	free_images(&im);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, afx_setup, afx_teardown)
	    T(test_put_image_digest_is_the_sha256_of_the_exact_bytes),
	    T(test_put_image_refusals_put_nothing),
	    T(test_put_image_needs_its_layers_in_the_repository),
	    T(test_put_image_identical_push_is_refused),
	    T(test_put_image_moving_a_tag_leaves_the_old_image_untagged),
	    T(test_put_image_immutable_tags_do_not_move),
	    T(test_batch_get_image_failures_echo_the_request),
	    T(test_batch_get_image_serves_an_accepted_media_type),
	    T(test_batch_delete_image_by_tag_removes_tag_then_image),
	    T(test_batch_delete_image_by_digest_takes_every_tag),
	    T(test_batch_delete_image_failures_delete_nothing),
	    T(test_list_and_describe_images_page_with_next_token),
	    T(test_describe_images_by_ids_lists_every_tag),
	    T(test_manifest_list_children_are_images_it_holds_on_to),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
