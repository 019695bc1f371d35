/*
 * Unit tests for core/manifest.c: every entry point reads exactly the
 * length it is given (issue 11, item 10), so the buffers here are copied
 * to the heap without a terminator and ASan catches a read past them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "core/manifest.h"
#include "common/xalloc.h"

#define D1                                                                     \
	"sha256:"                                                              \
	"1111111111111111111111111111111111111111111111111111111111111111"
#define D2                                                                     \
	"sha256:"                                                              \
	"2222222222222222222222222222222222222222222222222222222222222222"
#define D3                                                                     \
	"sha256:"                                                              \
	"3333333333333333333333333333333333333333333333333333333333333333"

#define DOCKER_MANIFEST                                                        \
	"{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_DOCKER_V2 "\","          \
	"\"config\":{\"mediaType\":"                                           \
	"\"application/vnd.docker.container.image.v1+json\","                  \
	"\"size\":10,\"digest\":\"" D1 "\"},"                                  \
	"\"layers\":[{\"mediaType\":\"" MEDIA_DOCKER_LAYER "\","               \
	"\"size\":20,\"digest\":\"" D2 "\"}]}"

#define INDEX                                                                  \
	"{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_OCI_INDEX "\","          \
	"\"manifests\":["                                                      \
	"{\"mediaType\":\"" MEDIA_OCI_MANIFEST "\",\"size\":7,"                \
	"\"digest\":\"" D1 "\",\"platform\":{\"os\":\"linux\","                \
	"\"architecture\":\"arm64\"}},"                                        \
	"{\"mediaType\":\"" MEDIA_OCI_MANIFEST "\",\"size\":7,"                \
	"\"digest\":\"" D2 "\",\"platform\":{\"os\":\"linux\","                \
	"\"architecture\":\"amd64\"}}]}"

/* s on the heap, exactly strlen(s) bytes: no terminator to lean on. */
static char *
exact(const char *s, size_t *len)
{
	char *p;

	*len = strlen(s);
	p = xmalloc(*len);
	memcpy(p, s, *len);
	return p;
}

static bool
accept_any(const char *media_type, void *arg)
{
	(void)media_type;
	(void)arg;
	return true;
}

static void
test_manifest_parse_reads_only_len_bytes(void **state)
{
	struct manifest m;
	size_t len;
	char *b = exact(DOCKER_MANIFEST, &len);

	(void)state;
	assert_int_equal(manifest_parse(b, len, NULL, &m), 0);
	assert_int_equal(m.size, 30);
	manifest_release(&m);
	/* A prefix that is not a whole object is refused. */
	assert_int_equal(manifest_parse(b, len - 1, NULL, &m),
	    MANIFEST_INVALID);
	free(b);
}

static void
test_manifest_translate_reads_only_len_bytes(void **state)
{
	size_t len, out_len;
	char *b = exact(DOCKER_MANIFEST, &len), *out;

	(void)state;
	out = manifest_translate(b, len, MEDIA_DOCKER_V2, MEDIA_OCI_MANIFEST,
	    &out_len);
	assert_non_null(out);
	assert_int_equal(out_len, strlen(out));
	assert_non_null(strstr(out, MEDIA_OCI_MANIFEST));
	free(out);
	/* The bytes past len are not the manifest's. */
	assert_null(manifest_translate(b, len - 1, MEDIA_DOCKER_V2,
	    MEDIA_OCI_MANIFEST, &out_len));
	assert_null(manifest_translate(b, 0, MEDIA_DOCKER_V2,
	    MEDIA_OCI_MANIFEST, &out_len));
	free(b);
}

static void
test_manifest_pick_child_reads_only_len_bytes(void **state)
{
	char digest[140];
	size_t len;
	char *b = exact(INDEX, &len);

	(void)state;
	assert_int_equal(manifest_pick_child(b, len, accept_any, NULL, digest,
	                     sizeof digest),
	    0);
	assert_string_equal(digest, D2);
	assert_int_equal(manifest_pick_child(b, len - 1, accept_any, NULL,
	                     digest, sizeof digest),
	    -1);
	free(b);
}

static void
test_manifest_json_wants_one_object(void **state)
{
	static const char *const bad[] = {
	    "",
	    "[]",
	    "1",
	    "\"s\"",
	    "{\"a\":1}{}",
	    "{\"a\":1",
	    "{'a':1}",
	    "{\"a\":\"\xff\"}",
	};
	struct json_object *o;
	size_t i, len;
	char *b;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		b = exact(bad[i], &len);
		assert_null(manifest_json(b, len));
		free(b);
	}
	/* Whitespace after the object is JSON too. */
	b = exact("{\"a\":1}\n", &len);
	assert_non_null(o = manifest_json(b, len));
	json_object_put(o);
	free(b);
}

/* Issue 11 item 9: 2^62 + 2^62 made imageSizeInBytes negative. */
static void
test_manifest_parse_refuses_sizes_past_int64(void **state)
{
	static const struct {
		const char *config_size;
		const char *layer_size;
		int want;
	} cases[] = {
	    {"10", "20", 0},
	    {"4611686018427387904", "4611686018427387903", 0},
	    {"4611686018427387904", "4611686018427387904", MANIFEST_BAD_SIZE},
	    {"0", "9223372036854775807", 0},
	    {"1", "9223372036854775807", MANIFEST_BAD_SIZE},
	    {"0", "9223372036854775808", MANIFEST_BAD_SIZE},
	    {"0", "18446744073709551615", MANIFEST_BAD_SIZE},
	    {"0", "-1", MANIFEST_BAD_SIZE},
	    {"0", "1.5", MANIFEST_INVALID},
	    {"0", "\"20\"", MANIFEST_INVALID},
	};
	struct manifest m;
	size_t i, len;
	char *text, *b;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		text =
		    xasprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\","
		              "\"config\":{\"mediaType\":\"a/b\",\"size\":%s,"
		              "\"digest\":\"%s\"},\"layers\":[{\"mediaType\":"
		              "\"a/c\","
		              "\"size\":%s,\"digest\":\"%s\"}]}",
		        MEDIA_OCI_MANIFEST, cases[i].config_size, D1,
		        cases[i].layer_size, D2);
		b = exact(text, &len);
		assert_int_equal(manifest_parse(b, len, NULL, &m),
		    cases[i].want);
		if (cases[i].want == 0) {
			assert_true(m.size >= 0);
			manifest_release(&m);
		}
		free(b);
		free(text);
	}
}

/*
 * Issue 11 item 11: OCI manifests as podman, skopeo and buildah push them
 * have no mediaType member; the type stored at push time says what they
 * are, and the Docker twin gets the member.
 */
static void
test_manifest_translate_uses_the_stored_type(void **state)
{
	static const char oci[] =
	    "{\"schemaVersion\":2,\"config\":{"
	    "\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
	    "\"size\":10,\"digest\":\"" D1 "\"},\"layers\":[{"
	    "\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
	    "\"size\":20,\"digest\":\"" D2 "\"}],\"annotations\":{"
	    "\"k\":\"v\"}}";
	static const char want[] =
	    "{\"schemaVersion\":2,\"mediaType\":\"" MEDIA_DOCKER_V2
	    "\",\"config\":{\"mediaType\":"
	    "\"application/vnd.docker.container.image.v1+json\",\"size\":10,"
	    "\"digest\":\"" D1
	    "\"},\"layers\":[{\"mediaType\":\"" MEDIA_DOCKER_LAYER
	    "\",\"size\":20,\"digest\":\"" D2 "\"}],"
	    "\"annotations\":{\"k\":\"v\"}}";
	size_t len, out_len;
	char *b = exact(oci, &len), *out;

	(void)state;
	assert_string_equal(manifest_twin(MEDIA_OCI_MANIFEST), MEDIA_DOCKER_V2);
	assert_string_equal(manifest_twin(MEDIA_DOCKER_V2), MEDIA_OCI_MANIFEST);
	assert_null(manifest_twin(MEDIA_OCI_INDEX));
	out = manifest_translate(b, len, MEDIA_OCI_MANIFEST, MEDIA_DOCKER_V2,
	    &out_len);
	assert_non_null(out);
	assert_string_equal(out, want);
	assert_int_equal(out_len, strlen(want));
	free(out);
	/* Without a stored type (or with a wrong one) nothing says what. */
	assert_null(manifest_translate(b, len, NULL, MEDIA_DOCKER_V2,
	    &out_len));
	assert_null(manifest_translate(b, len, MEDIA_DOCKER_V2, MEDIA_DOCKER_V2,
	    &out_len));
	assert_null(manifest_translate(b, len, MEDIA_OCI_MANIFEST,
	    MEDIA_OCI_INDEX, &out_len));
	free(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_manifest_parse_reads_only_len_bytes),
	    cmocka_unit_test(test_manifest_translate_reads_only_len_bytes),
	    cmocka_unit_test(test_manifest_pick_child_reads_only_len_bytes),
	    cmocka_unit_test(test_manifest_json_wants_one_object),
	    cmocka_unit_test(test_manifest_parse_refuses_sizes_past_int64),
	    cmocka_unit_test(test_manifest_translate_uses_the_stored_type),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
