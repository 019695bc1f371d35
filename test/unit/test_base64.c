/* Unit tests for auth/base64.c: strict standard base64 decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "auth/base64.h"

static void
test_base64_decode_table(void **state)
{
	static const struct {
		const char *in;
		int rc;
		const char *want;
	} cases[] = {
	    {"", 0, ""}, {"Zg==", 0, "f"}, {"Zm8=", 0, "fo"},
	    {"Zm9v", 0, "foo"}, {"Zm9vYmFy", 0, "foobar"},
	    {"Zm9", -1, NULL},      /* not a multiple of 4 */
	    {"Zm9v!A==", -1, NULL}, /* outside the alphabet */
	    {"Zg==Zg==", -1, NULL}, /* padding in the middle */
	    {" Zg=", -1, NULL},     /* a leading blank */
	    {"Zm-_", -1, NULL},     /* the URL alphabet */
	};
	unsigned char out[32];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(base64_decode(cases[i].in, strlen(cases[i].in),
		                     out, &n),
		    cases[i].rc);
		if (cases[i].want == NULL)
			continue;
		assert_int_equal(n, strlen(cases[i].want));
		assert_memory_equal(out, cases[i].want, n);
	}
}

/* Text fed in two pieces, split at every place, decodes as it does whole. */
static void
test_base64_stream_splits(void **state)
{
	static const char *const texts[] = {
	    "",
	    "Zg==",
	    "Zm8=",
	    "Zm9v",
	    "Zm9vYmFy",
	    "Zm9vYmE=",
	    "Zm9vYg==",
	    "Zm9",
	    "Zg==Zg==",
	    "Zm9v YmFy",
	    "Zm9vYmFy ",
	    "Zm9vYmF=eQ==",
	    "Zm9vYm==",
	    "=m9v",
	    "Zm9vYmFyYmF6cXV4",
	};
	struct base64_dec d;
	unsigned char whole[32], out[64];
	size_t i, cut, n, tail, whole_len;
	int whole_rc, rc;

	(void)state;
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		const char *t = texts[i];
		size_t len = strlen(t);

		whole_rc = base64_decode(t, len, whole, &whole_len);
		for (cut = 0; cut <= len; cut++) {
			base64_dec_init(&d);
			n = base64_dec_add(&d, t, cut, out);
			n += base64_dec_add(&d, t + cut, len - cut, out + n);
			rc = base64_dec_end(&d, out + n, &tail);
			assert_int_equal(rc, whole_rc);
			if (rc != 0)
				continue;
			assert_int_equal(n + tail, whole_len);
			assert_memory_equal(out, whole, whole_len);
		}
	}
}

/* One character at a time, as a slow client might send it. */
static void
test_base64_stream_bytewise(void **state)
{
	const char *t = "SGVsbG8sIHdvcmxkIQ==";
	struct base64_dec d;
	unsigned char out[32];
	size_t i, n = 0, tail;

	(void)state;
	base64_dec_init(&d);
	for (i = 0; t[i] != '\0'; i++) {
		assert_true(n + BASE64_DEC_ADD_MAX(1) <= sizeof out);
		n += base64_dec_add(&d, t + i, 1, out + n);
	}
	assert_int_equal(base64_dec_end(&d, out + n, &tail), 0);
	assert_int_equal(n + tail, 13);
	assert_memory_equal(out, "Hello, world!", 13);
}

/* Tokens change encoder (issue 12): the text must stay libsodium's. */
static void
test_base64_encode_matches_libsodium(void **state)
{
	unsigned char in[300];
	char want[BASE64_ENCODED_SIZE(sizeof in)];
	char got[BASE64_ENCODED_SIZE(sizeof in) + 1];
	size_t i, len, n;

	(void)state;
	for (i = 0; i < sizeof in; i++)
		in[i] = (unsigned char)(i * 167 + 13);
	for (len = 0; len <= sizeof in; len++) {
		sodium_bin2base64(want, sizeof want, in, len,
		    sodium_base64_VARIANT_ORIGINAL);
		memset(got, 'x', sizeof got);
		n = base64_encode(in, len, got);
		assert_int_equal(n, strlen(want));
		assert_string_equal(got, want);
		assert_int_equal(got[BASE64_ENCODED_SIZE(len) - 1], '\0');
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_base64_decode_table),
	    cmocka_unit_test(test_base64_stream_splits),
	    cmocka_unit_test(test_base64_stream_bytewise),
	    cmocka_unit_test(test_base64_encode_matches_libsodium),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
