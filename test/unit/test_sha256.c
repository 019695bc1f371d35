/* Unit tests for auth/sha256.c: FIPS 180-2 vectors and a resumed state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/sha256.h"

static void
test_sha256_matches_fips_vectors(void **state)
{
	static const struct {
		const char *in;
		const char *want;
	} cases[] = {
	    {"", "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934c"
	         "a495991b7852b855"},
	    {"abc", "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a"
	            "9cb410ff61f20015ad"},
	    {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	        "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6"
	        "ecedd419db06c1"},
	};
	char out[72];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		sha256_digest_text(cases[i].in, strlen(cases[i].in), out);
		assert_string_equal(out, cases[i].want);
	}
}

/* A state copied out mid-way (as an upload record stores it) resumes. */
static void
test_sha256_state_survives_a_copy(void **state)
{
	struct sha256_state a, stored, resumed;
	unsigned char h1[SHA256_DIGEST_LEN], h2[SHA256_DIGEST_LEN];
	unsigned char data[100000];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(i * 7);
	sha256_init(&a);
	sha256_update(&a, data, 33333);
	memcpy(&stored, &a, sizeof a);
	sha256_update(&a, data + 33333, sizeof data - 33333);
	sha256_final(&a, h1);
	memcpy(&resumed, &stored, sizeof stored);
	sha256_update(&resumed, data + 33333, sizeof data - 33333);
	sha256_final(&resumed, h2);
	assert_memory_equal(h1, h2, sizeof h1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256_matches_fips_vectors),
	    cmocka_unit_test(test_sha256_state_survives_a_copy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
