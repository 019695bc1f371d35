/*
 * Unit tests for api/part_stream.c, the scanner that streams
 * UploadLayerPart's layerPartBlob past the JSON parser: fed in any
 * pieces, the JSON it keeps must parse to the body with layerPartBlob ""
 * (everything else as it was), the part must decode to the blob's bytes,
 * and repeated members must be noticed however they are spelt. Parts here
 * are kept in memory (strict mode, unsigned), so no store is needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "api/api_int.h"
#include "core/image.h"
#include "auth/sigv4.h"

struct pcase {
	const char *body;
	const char *kept; /* what the kept JSON parses to */
	int64_t blob_len; /* -1: not base64 */
	bool has_blob;
	const char *twice; /* the repeated member, or NULL */
};

static const struct pcase cases[] = {
    {"{\"uploadId\": \"u-1\", \"layerPartBlob\": \"Zm9vYmFy\"}",
        "{\"uploadId\": \"u-1\", \"layerPartBlob\": \"\"}", 6, true, NULL},
    {"{\"layerPartBlob\":\"Zm8=\",\"partFirstByte\":0}",
        "{\"layerPartBlob\":\"\",\"partFirstByte\":0}", 2, true, NULL},
    /* JSON's escaped slash; ECR's base64 uses '/'. */
    {"{\"layerPartBlob\": \"\\/\\/\\/\\/\"}", "{\"layerPartBlob\": \"\"}", 3,
        true, NULL},
    /* Nested and array members of the same name are not the blob. */
    {"{\"x\": {\"layerPartBlob\": \"QUFB\"}, \"y\": [\"layerPartBlob\","
     " \"QUFB\"], \"layerPartBlob\": \"QkJC\"}",
        "{\"x\": {\"layerPartBlob\": \"QUFB\"}, \"y\": [\"layerPartBlob\","
        " \"QUFB\"], \"layerPartBlob\": \"\"}",
        3, true, NULL},
    /* A value that looks like the key is not one. */
    {"{\"a\": \"layerPartBlob\", \"b\": \"QUFB\"}",
        "{\"a\": \"layerPartBlob\", \"b\": \"QUFB\"}", 0, false, NULL},
    /* Strings with escaped quotes and backslashes before the blob. */
    {"{\"a\": \"x\\\"y\\\\\", \"layerPartBlob\": \"QUFB\"}",
        "{\"a\": \"x\\\"y\\\\\", \"layerPartBlob\": \"\"}", 3, true, NULL},
    /* Escaped member names are the names they spell. */
    {"{\"layerPart\\u0042lob\": \"QUFB\"}", "{\"layerPartBlob\": \"\"}", 3,
        true, NULL},
    {"{\"layerPartBlob\": \"QUFB\", \"layerPart\\u0042lob\": \"QkJC\"}", NULL,
        3, true, "layerPartBlob"},
    {"{\"uploadId\": \"a\", \"upload\\u0049d\": \"b\", "
     "\"layerPartBlob\": \"\"}",
        NULL, 0, true, "uploadId"},
    {"{\"layerPartBlob\": 5, \"layerPartBlob\": \"QUFB\"}", NULL, 3, true,
        "layerPartBlob"},
    /* A blob that is not a string stays in the JSON. */
    {"{\"layerPartBlob\": [\"QUFB\"]}", "{\"layerPartBlob\": [\"QUFB\"]}", 0,
        false, NULL},
    /* Not base64. */
    {"{\"layerPartBlob\": \"QUF\"}", "{\"layerPartBlob\": \"\"}", -1, true,
        NULL},
    {"{\"layerPartBlob\": \"QU=B\"}", "{\"layerPartBlob\": \"\"}", -1, true,
        NULL},
    {"{\"layerPartBlob\": \"\\u0051UFB\"}", "{\"layerPartBlob\": \"\"}", -1,
        true, NULL},
    {"{\"layerPartBlob\": \"\"}", "{\"layerPartBlob\": \"\"}", 0, true, NULL},
    /* Not an object: nothing streams. */
    {"[\"layerPartBlob\", \"QUFB\"]", "[\"layerPartBlob\", \"QUFB\"]", 0, false,
        NULL},
};

static struct core_ctx strict_ctx = {.cfg = {.is_strict = true}};
static struct sigv4_request unsigned_req = {
    .method = "POST", .path = "/", .query = ""};

static struct json_object *
parse(const char *text, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;

	o = json_tokener_parse_ex(tok, text, (int)len);
	assert_int_equal(json_tokener_get_error(tok), json_tokener_success);
	json_tokener_free(tok);
	return o;
}

/* Feed body in pieces: one cut at cut, then step bytes at a time. */
static void
check(const struct pcase *c, size_t cut, size_t step)
{
	struct api_part *ps = api_part_new(&strict_ctx, &unsigned_req);
	struct json_object *got, *want;
	const char *kept;
	size_t len = strlen(c->body), i, n;

	assert_int_equal(api_part_add(ps, c->body, cut), 0);
	for (i = cut; i < len; i += n) {
		n = len - i < step ? len - i : step;
		assert_int_equal(api_part_add(ps, c->body + i, n), 0);
	}
	if (c->twice != NULL)
		assert_string_equal(api_part_duplicate(ps), c->twice);
	else
		assert_null(api_part_duplicate(ps));
	assert_int_equal(api_part_has_blob(ps), c->has_blob);
	if (c->has_blob)
		assert_int_equal(api_part_blob_len(ps), c->blob_len);
	if (c->kept != NULL) {
		kept = api_part_json(ps, &n);
		got = parse(kept, n);
		want = parse(c->kept, strlen(c->kept));
		if (!json_object_equal(got, want))
			fail_msg("%s: kept %.*s", c->body, (int)n, kept);
		json_object_put(got);
		json_object_put(want);
	}
	api_part_free(ps);
}

static void
test_part_stream_splits_anywhere(void **state)
{
	size_t i, cut, step;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (cut = 0; cut <= strlen(cases[i].body); cut++)
			check(&cases[i], cut, SIZE_MAX);
		for (step = 1; step <= 7; step++)
			check(&cases[i], 0, step);
	}
}

/* Past API_BODY_MAX the body is refused (the server answers 413). */
static void
test_part_stream_refuses_bodies_past_the_limit(void **state)
{
	struct api_part *ps = api_part_new(&strict_ctx, &unsigned_req);
	char *big = calloc(1, 1 << 20);
	size_t sent = 0;

	(void)state;
	memset(big, ' ', 1 << 20);
	while (sent + (1 << 20) <= API_BODY_MAX) {
		assert_int_equal(api_part_add(ps, big, 1 << 20), 0);
		sent += 1 << 20;
	}
	assert_int_equal(api_part_add(ps, big, API_BODY_MAX - sent), 0);
	assert_int_equal(api_part_add(ps, " ", 1), -1);
	api_part_free(ps);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_part_stream_splits_anywhere),
	    cmocka_unit_test(test_part_stream_refuses_bodies_past_the_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
