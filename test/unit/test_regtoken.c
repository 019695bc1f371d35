/*
 * Unit tests for auth/regtoken: tokens round-trip, and any tampering,
 * truncation, wrong key or passing of expires_at is refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "auth/regtoken.h"
#include "common/xalloc.h"

#define ISSUED 1735689600LL /* 2025-01-01T00:00:00Z */
#define EXPIRES (ISSUED + 12 * 3600)

static const unsigned char key[REGTOKEN_KEY_SIZE] =
    "0123456789abcdef0123456789abcde";
static const unsigned char other_key[REGTOKEN_KEY_SIZE] =
    "0123456789abcdef0123456789abcdX";

static int
setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

static void
claims_init(struct regtoken_claims *c, const char *account, const char *region,
    const char *principal)
{
	memset(c, 0, sizeof *c);
	assert_true(strlen(account) < sizeof c->account);
	assert_true(strlen(region) < sizeof c->region);
	assert_true(strlen(principal) < sizeof c->principal);
	memcpy(c->account, account, strlen(account));
	memcpy(c->region, region, strlen(region));
	memcpy(c->principal, principal, strlen(principal));
	c->issued_at = ISSUED;
	c->expires_at = EXPIRES;
}

static char *
issue_default(void)
{
	struct regtoken_claims c;

	claims_init(&c, "111111111111", "us-east-1",
	    "arn:aws:iam::111111111111:user/ci");
	return regtoken_issue(key, &c);
}

static void
assert_claims_equal(const struct regtoken_claims *a,
    const struct regtoken_claims *b)
{
	assert_string_equal(a->account, b->account);
	assert_string_equal(a->region, b->region);
	assert_string_equal(a->principal, b->principal);
	assert_int_equal(a->issued_at, b->issued_at);
	assert_int_equal(a->expires_at, b->expires_at);
}

static void
test_regtoken_round_trips_claims(void **state)
{
	static const struct {
		const char *account, *region, *principal;
		int64_t issued_at, expires_at;
	} cases[] = {
	    {"111111111111", "us-east-1", "arn:aws:iam::111111111111:user/ci",
	        ISSUED, EXPIRES},
	    {"000000000000", "eu-west-1",
	        "arn:aws:sts::000000000000:assumed-role/deploy/session-1", 0,
	        1},
	    {"", "", "", -5, INT64_MAX},
	    {"123456789012", "ap-southeast-2",
	        "arn:aws-us-gov:iam::123456789012:root", INT64_MIN, INT64_MAX},
	};
	struct regtoken_claims in, out;
	char *tok;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		claims_init(&in, cases[i].account, cases[i].region,
		    cases[i].principal);
		in.issued_at = cases[i].issued_at;
		in.expires_at = cases[i].expires_at;
		tok = regtoken_issue(key, &in);
		memset(&out, 0x5a, sizeof out);
		assert_int_equal(regtoken_verify(key, tok,
		                     cases[i].expires_at - 1, &out),
		    0);
		assert_claims_equal(&in, &out);
		free(tok);
	}
}

static void
test_regtoken_round_trips_longest_principal(void **state)
{
	struct regtoken_claims in, out;
	char *tok;

	(void)state;
	claims_init(&in, "111111111111", "us-east-1", "");
	memset(in.principal, 'p', sizeof in.principal - 1);
	memset(in.region, 'r', sizeof in.region - 1);
	tok = regtoken_issue(key, &in);
	assert_true(strlen(tok) <= REGTOKEN_PASSWORD_MAX);
	assert_int_equal(regtoken_verify(key, tok, ISSUED, &out), 0);
	assert_claims_equal(&in, &out);
	free(tok);
}

static void
test_regtoken_is_padded_standard_base64_without_colon(void **state)
{
	unsigned char bin[REGTOKEN_PASSWORD_MAX];
	size_t bin_len, i, len;
	char *tok;

	(void)state;
	tok = issue_default();
	len = strlen(tok);
	assert_null(strchr(tok, ':'));
	assert_int_equal(len % 4, 0);
	for (i = 0; i < len; i++)
		assert_non_null(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		                       "abcdefghijklmnopqrstuvwxyz0123456789+/"
		                       "=",
		    tok[i]));
	assert_int_equal(sodium_base642bin(bin, sizeof bin, tok, len, NULL,
	                     &bin_len, NULL, sodium_base64_VARIANT_ORIGINAL),
	    0);
	free(tok);
}

static void
test_regtoken_rejects_tampered_bytes(void **state)
{
	unsigned char bin[REGTOKEN_PASSWORD_MAX];
	struct regtoken_claims out, before;
	size_t bin_len, size, pos;
	char *tok, *bad;
	int bit;

	(void)state;
	tok = issue_default();
	assert_int_equal(sodium_base642bin(bin, sizeof bin, tok, strlen(tok),
	                     NULL, &bin_len, NULL,
	                     sodium_base64_VARIANT_ORIGINAL),
	    0);
	size =
	    sodium_base64_ENCODED_LEN(bin_len, sodium_base64_VARIANT_ORIGINAL);
	bad = xmalloc(size);
	/* Every bit of every byte: header, claims, timestamps and MAC. */
	for (pos = 0; pos < bin_len; pos++) {
		for (bit = 0; bit < 8; bit++) {
			bin[pos] ^= (unsigned char)(1 << bit);
			sodium_bin2base64(bad, size, bin, bin_len,
			    sodium_base64_VARIANT_ORIGINAL);
			memset(&out, 0x5a, sizeof out);
			before = out;
			if (regtoken_verify(key, bad, ISSUED, &out) !=
			    REGTOKEN_BAD_MAC)
				fail_msg("byte %zu bit %d not caught", pos,
				    bit);
			assert_memory_equal(&out, &before, sizeof out);
			bin[pos] ^= (unsigned char)(1 << bit);
		}
	}
	free(bad);
	free(tok);
}

static void
test_regtoken_rejects_wrong_key(void **state)
{
	struct regtoken_claims out;
	char *tok;

	(void)state;
	tok = issue_default();
	assert_int_equal(regtoken_verify(other_key, tok, ISSUED, &out),
	    REGTOKEN_BAD_MAC);
	free(tok);
}

static void
test_regtoken_expires_at_expires_at(void **state)
{
	static const struct {
		int64_t now;
		int rc;
	} cases[] = {
	    {ISSUED, 0},
	    {EXPIRES - 1, 0},
	    {EXPIRES, REGTOKEN_EXPIRED},
	    {EXPIRES + 1, REGTOKEN_EXPIRED},
	    {INT64_MAX, REGTOKEN_EXPIRED},
	};
	struct regtoken_claims out;
	char *tok;
	size_t i;

	(void)state;
	tok = issue_default();
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&out, 0, sizeof out);
		assert_int_equal(regtoken_verify(key, tok, cases[i].now, &out),
		    cases[i].rc);
		/* Filled even when expired, to say whose token it was. */
		assert_string_equal(out.principal,
		    "arn:aws:iam::111111111111:user/ci");
		assert_int_equal(out.expires_at, EXPIRES);
	}
	free(tok);
}

static void
test_regtoken_rejects_truncated_and_extended(void **state)
{
	unsigned char bin[REGTOKEN_PASSWORD_MAX];
	struct regtoken_claims out;
	size_t bin_len, cut, size;
	char *tok, *bad;

	(void)state;
	tok = issue_default();
	assert_int_equal(sodium_base642bin(bin, sizeof bin, tok, strlen(tok),
	                     NULL, &bin_len, NULL,
	                     sodium_base64_VARIANT_ORIGINAL),
	    0);
	size = sodium_base64_ENCODED_LEN(bin_len + 1,
	    sodium_base64_VARIANT_ORIGINAL);
	bad = xmalloc(size);
	/* Every shorter decoded length, re-encoded as valid base64. */
	for (cut = 0; cut < bin_len; cut++) {
		sodium_bin2base64(bad, size, bin, cut,
		    sodium_base64_VARIANT_ORIGINAL);
		if (regtoken_verify(key, bad, ISSUED, &out) !=
		    REGTOKEN_MALFORMED)
			fail_msg("cut to %zu bytes not malformed", cut);
	}
	/* Cut text, which is no longer padded base64. */
	for (cut = 1; cut < strlen(tok); cut++) {
		if (cut % 4 == 0)
			continue;
		memcpy(bad, tok, cut);
		bad[cut] = '\0';
		assert_int_equal(regtoken_verify(key, bad, ISSUED, &out),
		    REGTOKEN_MALFORMED);
	}
	/* One byte more. */
	bin[bin_len] = 0;
	sodium_bin2base64(bad, size, bin, bin_len + 1,
	    sodium_base64_VARIANT_ORIGINAL);
	assert_int_equal(regtoken_verify(key, bad, ISSUED, &out),
	    REGTOKEN_MALFORMED);
	free(bad);
	free(tok);
}

static void
test_regtoken_rejects_garbage(void **state)
{
	static const struct {
		const char *password;
		int rc;
	} cases[] = {
	    {"", REGTOKEN_MALFORMED},
	    {"not base64!", REGTOKEN_MALFORMED},
	    {"AAAA", REGTOKEN_MALFORMED},
	    {"YWJj", REGTOKEN_MALFORMED}, /* "abc" */
	    {"YWJj\n", REGTOKEN_MALFORMED},
	    {" YWJj", REGTOKEN_MALFORMED},
	    {"YWJjZA", REGTOKEN_MALFORMED},       /* unpadded */
	    {"YWJjZA==YWJj", REGTOKEN_MALFORMED}, /* after padding */
	    {"-_-_", REGTOKEN_MALFORMED},         /* base64url */
	    {"AWS:password", REGTOKEN_MALFORMED},
	    /*
	     * Long enough to hold a MAC, with length words that disagree:
	     * indistinguishable from a tampered token.
	     */
	    {"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	     "AAAAAAAAAAAA",
	        REGTOKEN_BAD_MAC},
	    /* Length words that agree (0, 0xffff), size that does not. */
	    {"AQAA//8AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	     "AAAAAAAAAAAA",
	        REGTOKEN_MALFORMED},
	};
	struct regtoken_claims out;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (regtoken_verify(key, cases[i].password, ISSUED, &out) !=
		    cases[i].rc)
			fail_msg("case %zu: want %d", i, cases[i].rc);
	}
}

static void
test_regtoken_rejects_oversized_and_junk_suffix(void **state)
{
	struct regtoken_claims out;
	char *tok, *big, *junk;
	size_t len;

	(void)state;
	big = xmalloc(REGTOKEN_PASSWORD_MAX + 5);
	memset(big, 'A', REGTOKEN_PASSWORD_MAX + 4);
	big[REGTOKEN_PASSWORD_MAX + 4] = '\0';
	assert_int_equal(regtoken_verify(key, big, ISSUED, &out),
	    REGTOKEN_MALFORMED);
	free(big);

	tok = issue_default();
	len = strlen(tok);
	junk = xasprintf("%s%s", tok, "AAAA");
	assert_int_equal(regtoken_verify(key, junk, ISSUED, &out),
	    REGTOKEN_MALFORMED);
	free(junk);
	junk = xasprintf("%s ", tok);
	assert_int_equal(regtoken_verify(key, junk, ISSUED, &out),
	    REGTOKEN_MALFORMED);
	free(junk);
	assert_true(len > 0);
	free(tok);
}

static void
test_regtoken_differs_per_claim(void **state)
{
	struct regtoken_claims a, b;
	char *ta, *tb;

	(void)state;
	claims_init(&a, "111111111111", "us-east-1",
	    "arn:aws:iam::111111111111:user/ci");
	b = a;
	b.region[8] = '2';
	ta = regtoken_issue(key, &a);
	tb = regtoken_issue(key, &b);
	assert_string_not_equal(ta, tb);
	free(ta);
	free(tb);
}

/* A signer keyed once issues what regtoken_issue does (issue 12). */
static void
test_regtoken_signer_issues_the_same_password(void **state)
{
	struct regtoken_signer *s = regtoken_signer_new(key);
	struct regtoken_claims c, out;
	char *want, *got;
	int i;

	(void)state;
	claims_init(&c, "111111111111", "us-east-1",
	    "arn:aws:iam::111111111111:user/ci");
	for (i = 0; i < 3; i++) {
		c.issued_at = ISSUED + i;
		want = regtoken_issue(key, &c);
		got = regtoken_issue_signed(s, &c);
		assert_string_equal(got, want);
		assert_int_equal(regtoken_verify(key, got, ISSUED, &out), 0);
		assert_claims_equal(&out, &c);
		free(want);
		free(got);
	}
	regtoken_signer_free(s);
	regtoken_signer_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_regtoken_round_trips_claims),
	    cmocka_unit_test(test_regtoken_round_trips_longest_principal),
	    cmocka_unit_test(
	        test_regtoken_is_padded_standard_base64_without_colon),
	    cmocka_unit_test(test_regtoken_rejects_tampered_bytes),
	    cmocka_unit_test(test_regtoken_rejects_wrong_key),
	    cmocka_unit_test(test_regtoken_expires_at_expires_at),
	    cmocka_unit_test(test_regtoken_rejects_truncated_and_extended),
	    cmocka_unit_test(test_regtoken_rejects_garbage),
	    cmocka_unit_test(test_regtoken_rejects_oversized_and_junk_suffix),
	    cmocka_unit_test(test_regtoken_differs_per_claim),
	    cmocka_unit_test(test_regtoken_signer_issues_the_same_password),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
