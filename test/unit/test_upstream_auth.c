/*
 * Unit tests for core/upstream_auth.c: upstream registries' WWW-Authenticate
 * challenges, the token URL made from them, and token answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "core/core_int.h"

static void
test_challenges(void **state)
{
	static const struct {
		const char *header;
		int rc;
		enum up_auth scheme;
		const char *realm, *service, *scope;
	} cases[] = {
	    {"Bearer realm=\"https://auth.docker.io/token\","
	     "service=\"registry.docker.io\","
	     "scope=\"repository:library/alpine:pull\"",
	        0, UP_AUTH_BEARER, "https://auth.docker.io/token",
	        "registry.docker.io", "repository:library/alpine:pull"},
	    {"Basic realm=\"e2e\"", 0, UP_AUTH_BASIC, "e2e", NULL, NULL},
	    /* Unquoted values; the scheme in any case. */
	    {"bearer realm=https://ghcr.io/token,service=ghcr.io", 0,
	        UP_AUTH_BEARER, "https://ghcr.io/token", "ghcr.io", NULL},
	    /* Two challenges in one header: Bearer wins. */
	    {"Basic realm=\"quay\", Bearer realm=\"https://quay.io/v2/"
	     "auth\",service=\"quay.io\"",
	        0, UP_AUTH_BEARER, "https://quay.io/v2/auth", "quay.io", NULL},
	    {"Bearer realm=\"a \\\"quoted\\\" realm\"", 0, UP_AUTH_BEARER,
	        "a \"quoted\" realm", NULL, NULL},
	    {"Bearer service=\"no realm\"", -1, UP_AUTH_NONE, NULL, NULL, NULL},
	    {"Negotiate abc", -1, UP_AUTH_NONE, NULL, NULL, NULL},
	    {"Bearer realm=\"unterminated", -1, UP_AUTH_NONE, NULL, NULL, NULL},
	    {"", -1, UP_AUTH_NONE, NULL, NULL, NULL},
	};
	struct up_challenge c;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&c, 0, sizeof c);
		assert_int_equal(up_challenge_parse(cases[i].header, &c),
		    cases[i].rc);
		if (cases[i].rc != 0)
			continue;
		assert_int_equal(c.scheme, cases[i].scheme);
		assert_string_equal(c.realm, cases[i].realm);
		if (cases[i].service == NULL)
			assert_null(c.service);
		else
			assert_string_equal(c.service, cases[i].service);
		if (cases[i].scope == NULL)
			assert_null(c.scope);
		else
			assert_string_equal(c.scope, cases[i].scope);
		up_challenge_free(&c);
	}
}

static void
test_token_url(void **state)
{
	struct up_challenge c;
	char *url;

	(void)state;
	memset(&c, 0, sizeof c);
	c.realm = "https://auth.example/token";
	c.service = "my registry";
	url = up_token_url(&c, "repository:a/b:pull");
	assert_string_equal(url, "https://auth.example/token?service=my%20"
	                         "registry&scope=repository%3Aa%2Fb%3Apull");
	free(url);
	c.realm = "https://auth.example/token?x=1";
	c.service = NULL;
	url = up_token_url(&c, NULL);
	assert_string_equal(url, "https://auth.example/token?x=1");
	free(url);
}

static char *
token_of(const char *text)
{
	struct buf b;
	char *t;

	buf_init(&b, 4096);
	(void)buf_addstr(&b, text);
	t = up_token_of(&b);
	buf_release(&b);
	return t;
}

static void
test_token_answers(void **state)
{
	char *t;

	(void)state;
	t = token_of("{\"token\":\"abc\",\"expires_in\":300}");
	assert_string_equal(t, "abc");
	free(t);
	t = token_of("{\"access_token\":\"xyz\"}");
	assert_string_equal(t, "xyz");
	free(t);
	assert_null(token_of("{\"token\":\"\"}"));
	assert_null(token_of("{\"token\":3}"));
	assert_null(token_of("[\"token\"]"));
	assert_null(token_of("not json"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_challenges),
	    cmocka_unit_test(test_token_url),
	    cmocka_unit_test(test_token_answers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
