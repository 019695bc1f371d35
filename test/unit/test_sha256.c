/*
 * Unit tests for auth/sha256.c: FIPS 180-2 vectors, a resumed state, and
 * HMAC-SHA-256 by RFC 4231.
 */
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

static void
hex(const unsigned char *p, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * len] = '\0';
}

/*
 * RFC 4231's cases 1, 2 and 6 (a key longer than a block), and a key of
 * exactly one block (its MAC from Python's hmac module).
 */
static void
test_hmac_sha256_matches_rfc4231(void **state)
{
	unsigned char k1[20], k6[131], k64[64];
	const struct {
		const unsigned char *key;
		size_t key_len;
		const char *in;
		const char *want;
	} cases[] = {
	    {k1, sizeof k1, "Hi There",
	        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32"
	        "cff7"},
	    {(const unsigned char *)"Jefe", 4, "what do ya want for nothing?",
	        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec"
	        "3843"},
	    {k6, sizeof k6,
	        "Test Using Larger Than Block-Size Key - Hash Key First",
	        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee3"
	        "7f54"},
	    {k64, sizeof k64, "",
	        "83026a325aaee70e36cfe607536aa1054104ad1077c36134810d4ccded1ccd"
	        "3b"},
	};
	struct hmac_sha256 h;
	unsigned char mac[SHA256_DIGEST_LEN];
	char out[2 * SHA256_DIGEST_LEN + 1];
	size_t i;

	(void)state;
	memset(k1, 0x0b, sizeof k1);
	memset(k6, 0xaa, sizeof k6);
	memset(k64, 'k', sizeof k64);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		hmac_sha256_init(&h, cases[i].key, cases[i].key_len);
		hmac_sha256_update(&h, cases[i].in, strlen(cases[i].in));
		hmac_sha256_final(&h, mac);
		hex(mac, sizeof mac, out);
		assert_string_equal(out, cases[i].want);
	}
}

/* A keyed state, copied, MACs message after message under its key. */
static void
test_hmac_sha256_keyed_state_is_reused(void **state)
{
	struct hmac_sha256 keyed, h;
	unsigned char a[SHA256_DIGEST_LEN], b[SHA256_DIGEST_LEN];
	char out[2 * SHA256_DIGEST_LEN + 1];

	(void)state;
	hmac_sha256_init(&keyed, "Jefe", 4);
	h = keyed;
	hmac_sha256_update(&h, "what do ya want ", 16);
	hmac_sha256_update(&h, "for nothing?", 12);
	hmac_sha256_final(&h, a);
	h = keyed;
	hmac_sha256_update(&h, "what do ya want for nothing?", 28);
	hmac_sha256_final(&h, b);
	assert_memory_equal(a, b, sizeof a);
	hex(a, sizeof a, out);
	assert_string_equal(out, "5bdcc146bf60754e6a042426089575c75a003f089d2"
	                         "739839dec58b964ec3843");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256_matches_fips_vectors),
	    cmocka_unit_test(test_sha256_state_survives_a_copy),
	    cmocka_unit_test(test_hmac_sha256_matches_rfc4231),
	    cmocka_unit_test(test_hmac_sha256_keyed_state_is_reused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
