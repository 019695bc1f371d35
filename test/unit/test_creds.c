/*
 * Unit tests for auth/creds: a valid file with several principals and
 * accounts, and each rejection with the cause it names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "auth/creds.h"
#include "common/xalloc.h"

static const char valid[] =
    "{\"principals\": [\n"
    "  {\"accessKeyId\": \"AKIAIOSFODNN7EXAMPLE\",\n"
    "   \"secretAccessKey\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\",\n"
    "   \"arn\": \"arn:aws:iam::111111111111:user/ci\",\n"
    "   \"policies\": [{\"Version\": \"2012-10-17\", \"Statement\": []},\n"
    "                {\"Statement\": [{\"Effect\": \"Allow\"}]}]},\n"
    "  {\"accessKeyId\": \"ASIAEXAMPLESESSION\",\n"
    "   \"secretAccessKey\": \"s2\",\n"
    "   \"sessionToken\": \"FwoGZXIvYXdzEJr//////////wEaDG\",\n"
    "   \"arn\": \"arn:aws:sts::222222222222:assumed-role/deploy/gh-123\"},\n"
    "  {\"accessKeyId\": \"123456789012\", \"secretAccessKey\": \"s3\",\n"
    "   \"arn\": \"arn:aws-cn:iam::123456789012:role/service-role/Builder\",\n"
    "   \"sessionToken\": null, \"policies\": null},\n"
    "  {\"accessKeyId\": \"root_key-1\", \"secretAccessKey\": \"s4\",\n"
    "   \"arn\": \"arn:aws-us-gov:iam::333333333333:root\",\n"
    "   \"policies\": []},\n"
    "  {\"accessKeyId\": \"pathuser\", \"secretAccessKey\": \"s5\",\n"
    "   \"arn\": \"arn:aws:iam::111111111111:user/division/team/"
    "a.b+c=d,e@f-g_h\"}\n"
    "]}\n";

static void
test_creds_parses_several_principals_and_accounts(void **state)
{
	static const struct {
		const char *akid, *secret, *token, *arn, *account;
		size_t n_policies;
	} want[] = {
	    {"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
	        NULL, "arn:aws:iam::111111111111:user/ci", "111111111111", 2},
	    {"ASIAEXAMPLESESSION", "s2", "FwoGZXIvYXdzEJr//////////wEaDG",
	        "arn:aws:sts::222222222222:assumed-role/deploy/gh-123",
	        "222222222222", 0},
	    {"123456789012", "s3", NULL,
	        "arn:aws-cn:iam::123456789012:role/service-role/Builder",
	        "123456789012", 0},
	    {"root_key-1", "s4", NULL, "arn:aws-us-gov:iam::333333333333:root",
	        "333333333333", 0},
	    {"pathuser", "s5", NULL,
	        "arn:aws:iam::111111111111:user/"
	        "division/team/a.b+c=d,e@f-g_h",
	        "111111111111", 0},
	};
	struct creds *c = NULL;
	const struct cred *p;
	char *cause = NULL;
	size_t i;

	(void)state;
	assert_int_equal(creds_parse(valid, strlen(valid), &c, &cause), 0);
	assert_null(cause);
	assert_int_equal(c->n, sizeof want / sizeof want[0]);
	for (i = 0; i < c->n; i++) {
		p = creds_find(c, want[i].akid);
		assert_ptr_equal(p, &c->v[i]);
		assert_string_equal(p->access_key_id, want[i].akid);
		assert_string_equal(p->secret_access_key, want[i].secret);
		if (want[i].token == NULL)
			assert_null(p->session_token);
		else
			assert_string_equal(p->session_token, want[i].token);
		assert_string_equal(p->arn, want[i].arn);
		assert_string_equal(p->account, want[i].account);
		assert_true(json_object_is_type(p->policies, json_type_array));
		assert_int_equal(json_object_array_length(p->policies),
		    want[i].n_policies);
	}
	/* Policies outlive the parsed document. */
	assert_string_equal(json_object_get_string(json_object_object_get(
	                        json_object_array_get_idx(c->v[0].policies, 0),
	                        "Version")),
	    "2012-10-17");
	assert_null(creds_find(c, "AKIAIOSFODNN7EXAMPLF"));
	assert_null(creds_find(c, "akiaiosfodnn7example"));
	assert_null(creds_find(c, ""));
	creds_free(c);
	creds_free(NULL);
}

#define P(members) "{\"principals\": [" members "]}"
#define OK0                                                                    \
	"{\"accessKeyId\": \"A0\", "                                           \
	"\"secretAccessKey\": \"s\", "                                         \
	"\"arn\": \"arn:aws:iam::111111111111:user/ci\"}"
#define WITH_ARN(a)                                                            \
	"{\"accessKeyId\": \"A9\", "                                           \
	"\"secretAccessKey\": \"s\", \"arn\": \"" a "\"}"
#define A16 "aaaaaaaaaaaaaaaa"
#define ARN_CAUSE                                                              \
	"principals[1].arn: not an IAM user, role or "                         \
	"assumed-role ARN"

static void
test_creds_rejects_bad_files_with_cause(void **state)
{
	static const struct {
		const char *text;
		const char *cause;
	} cases[] = {
	    {"", "not valid JSON: unexpected end of text"},
	    {"{\"principals\": [", "not valid JSON: unexpected end of text"},
	    {"principals", NULL},
	    {"{principals: []}", NULL},
	    {"{\"principals\": [],}", NULL},
	    {"[]", "top level: not an object"},
	    {"null", "top level: not an object"},
	    {"\"x\"", "top level: not an object"},
	    /* json-c's strict mode itself refuses trailing bytes. */
	    {P(OK0) " {}", "not valid JSON: unexpected character"},
	    {P(OK0) "x", "not valid JSON: unexpected character"},
	    {"{}", "principals: missing"},
	    {"{\"principals\": null}", "principals: missing"},
	    {"{\"principals\": {}}", "principals: not a list"},
	    {"{\"principals\": \"a\"}", "principals: not a list"},
	    {"{\"principals\": []}", "principals: empty list"},
	    {"{\"principals\": [" OK0 "], \"extra\": 1}",
	        "extra: unknown member"},
	    {P(OK0 ", 7"), "principals[1]: not an object"},
	    {P(OK0 ", []"), "principals[1]: not an object"},
	    {P(OK0 ", {\"secretAccessKey\": \"s\", \"arn\": "
	           "\"arn:aws:iam::111111111111:user/ci\"}"),
	        "principals[1].accessKeyId: missing"},
	    {P(OK0 ", {\"accessKeyId\": null, \"secretAccessKey\": \"s\", "
	           "\"arn\": \"arn:aws:iam::111111111111:user/ci\"}"),
	        "principals[1].accessKeyId: missing"},
	    {P("{\"accessKeyId\": 5, \"secretAccessKey\": \"s\", "
	       "\"arn\": \"arn:aws:iam::111111111111:user/ci\"}"),
	        "principals[0].accessKeyId: not a string"},
	    {P("{\"accessKeyId\": \"\", \"secretAccessKey\": \"s\", "
	       "\"arn\": \"arn:aws:iam::111111111111:user/ci\"}"),
	        "principals[0].accessKeyId: empty"},
	    {P("{\"accessKeyId\": \"AK/ID\", \"secretAccessKey\": \"s\", "
	       "\"arn\": \"arn:aws:iam::111111111111:user/ci\"}"),
	        "principals[0].accessKeyId: may hold only A-Z, a-z, 0-9, "
	        "'_' and '-'"},
	    {P("{\"accessKeyId\": \"A\\u0000B\", \"secretAccessKey\": "
	       "\"s\", \"arn\": \"arn:aws:iam::111111111111:user/ci\"}"),
	        "principals[0].accessKeyId: contains a NUL character"},
	    {P(OK0 ", " OK0), "principals[1].accessKeyId: duplicate of "
	                      "principals[0]"},
	    {P("{\"accessKeyId\": \"A\", \"arn\": "
	       "\"arn:aws:iam::111111111111:user/ci\"}"),
	        "principals[0].secretAccessKey: missing"},
	    {P("{\"accessKeyId\": \"A\", \"secretAccessKey\": [], "
	       "\"arn\": \"arn:aws:iam::111111111111:user/ci\"}"),
	        "principals[0].secretAccessKey: not a string"},
	    {P("{\"accessKeyId\": \"A\", \"secretAccessKey\": \"\", "
	       "\"arn\": \"arn:aws:iam::111111111111:user/ci\"}"),
	        "principals[0].secretAccessKey: empty"},
	    {P("{\"accessKeyId\": \"A\", \"secretAccessKey\": \"s\", "
	       "\"sessionToken\": \"\", "
	       "\"arn\": \"arn:aws:iam::111111111111:user/ci\"}"),
	        "principals[0].sessionToken: empty"},
	    {P("{\"accessKeyId\": \"A\", \"secretAccessKey\": \"s\", "
	       "\"sessionToken\": 1, "
	       "\"arn\": \"arn:aws:iam::111111111111:user/ci\"}"),
	        "principals[0].sessionToken: not a string"},
	    {P("{\"accessKeyId\": \"A\", \"secretAccessKey\": \"s\"}"),
	        "principals[0].arn: missing"},
	    {P("{\"accessKeyId\": \"A\", \"secretAccessKey\": \"s\", "
	       "\"arn\": {}}"),
	        "principals[0].arn: not a string"},
	    {P("{\"accessKeyId\": \"A\", \"secretAccessKey\": \"s\", "
	       "\"arn\": \"arn:aws:iam::111111111111:user/ci\", "
	       "\"secretAcessKey\": \"typo\"}"),
	        "principals[0].secretAcessKey: unknown member"},
	    {P(OK0 ", " WITH_ARN("arn:aws:iam::111111111111:group/devs")),
	        ARN_CAUSE},
	    {P(OK0 ", " WITH_ARN("arn:aws:iam::11111111111:user/ci")),
	        ARN_CAUSE},
	    {P(OK0 ", " WITH_ARN("arn:aws:iam::1111111111111:user/ci")),
	        ARN_CAUSE},
	    {P(OK0 ", " WITH_ARN("arn:aws:iam::11111111111a:user/ci")),
	        ARN_CAUSE},
	    {P(OK0 ", " WITH_ARN("arn:aws:iam:us-east-1:111111111111:"
	                         "user/ci")),
	        ARN_CAUSE},
	    {P(OK0 ", " WITH_ARN("arn:aws-eu:iam::111111111111:user/ci")),
	        ARN_CAUSE},
	    {P(OK0 ", " WITH_ARN("arn:aws:ecr::111111111111:user/ci")),
	        ARN_CAUSE},
	    {P(OK0 ", " WITH_ARN("arn:aws:iam::111111111111:user/")),
	        ARN_CAUSE},
	    {P(OK0 ", " WITH_ARN("arn:aws:iam::111111111111:user/a//b")),
	        ARN_CAUSE},
	    {P(OK0 ", " WITH_ARN("arn:aws:iam::111111111111:user/a b")),
	        ARN_CAUSE},
	    {P(OK0 ", " WITH_ARN("arn:aws:iam::111111111111:root/x")),
	        ARN_CAUSE},
	    {P(OK0 ", " WITH_ARN("arn:aws:iam::111111111111:role")), ARN_CAUSE},
	    {P(OK0 ", " WITH_ARN("arn:aws:sts::111111111111:"
	                         "assumed-role/deploy")),
	        ARN_CAUSE},
	    {P(OK0 ", " WITH_ARN("arn:aws:sts::111111111111:"
	                         "assumed-role/deploy/s/x")),
	        ARN_CAUSE},
	    {P(OK0 ", " WITH_ARN("arn:aws:sts::111111111111:"
	                         "assumed-role/deploy/s")),
	        ARN_CAUSE},
	    {P(OK0 ", " WITH_ARN("arn:aws:sts::111111111111:user/ci")),
	        ARN_CAUSE},
	    /* Names are 1 to 64 characters. */
	    {P(OK0
	         ", " WITH_ARN("arn:aws:iam::111111111111:user/" A16 A16 A16 A16
	                       "a")),
	        ARN_CAUSE},
	    {P(OK0 ", " WITH_ARN("AKIA")), ARN_CAUSE},
	    {P(OK0 ", " WITH_ARN("")), "principals[1].arn: empty"},
	    {P("{\"accessKeyId\": \"A\", \"secretAccessKey\": \"s\", "
	       "\"arn\": \"arn:aws:iam::111111111111:user/ci\", "
	       "\"policies\": {}}"),
	        "principals[0].policies: not a list"},
	    {P("{\"accessKeyId\": \"A\", \"secretAccessKey\": \"s\", "
	       "\"arn\": \"arn:aws:iam::111111111111:user/ci\", "
	       "\"policies\": [{}, \"Allow\"]}"),
	        "principals[0].policies[1]: not an object"},
	    {"{\"principals\": [\"\xff\"]}", NULL},
	};
	static struct creds sentinel;
	struct creds *c;
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		c = &sentinel;
		cause = NULL;
		if (creds_parse(cases[i].text, strlen(cases[i].text), &c,
		        &cause) != -1)
			fail_msg("case %zu accepted", i);
		assert_ptr_equal(c, &sentinel);
		assert_non_null(cause);
		if (cases[i].cause == NULL) {
			if (strncmp(cause, "not valid JSON: ", 16) != 0)
				fail_msg("case %zu: cause %s", i, cause);
		} else if (strcmp(cause, cases[i].cause) != 0)
			fail_msg("case %zu: cause\n  %s\nwant\n  %s", i, cause,
			    cases[i].cause);
		free(cause);
	}
}

static void
test_creds_rejects_over_long_members(void **state)
{
	enum { AKID, SECRET, TOKEN, ARN };
	static const struct {
		int member;
		size_t len;
		const char *cause; /* NULL: accepted */
	} cases[] = {
	    {AKID, CREDS_ACCESS_KEY_MAX, NULL},
	    {AKID, CREDS_ACCESS_KEY_MAX + 1,
	        "principals[0].accessKeyId: longer than 128 bytes"},
	    {SECRET, CREDS_SECRET_MAX, NULL},
	    {SECRET, CREDS_SECRET_MAX + 1,
	        "principals[0].secretAccessKey: longer than 1024 bytes"},
	    {TOKEN, CREDS_SESSION_TOKEN_MAX, NULL},
	    {TOKEN, CREDS_SESSION_TOKEN_MAX + 1,
	        "principals[0].sessionToken: longer than 8192 bytes"},
	    {ARN, CREDS_ARN_MAX, NULL},
	    {ARN, CREDS_ARN_MAX + 1,
	        "principals[0].arn: longer than 2048 bytes"},
	};
	static const char arn_prefix[] = "arn:aws:iam::111111111111:user/";
	struct creds *c;
	char *text, *val, *cause;
	size_t i, len;
	int m, rc;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		m = cases[i].member;
		len = cases[i].len;
		val = xmalloc(len + 1);
		memset(val, 'K', len);
		val[len] = '\0';
		if (m == ARN) {
			/* A path of 63-byte segments ending in a short name. */
			memcpy(val, arn_prefix, sizeof arn_prefix - 1);
			for (len = 64 + sizeof arn_prefix - 1;
			     len < cases[i].len; len += 64)
				val[len - 1] = '/';
		}
		text = xasprintf("{\"principals\": [{\"accessKeyId\": \"%s\", "
		                 "\"secretAccessKey\": \"%s\", %s%s%s\"arn\": "
		                 "\"%s\"}]}",
		    m == AKID ? val : "A", m == SECRET ? val : "s",
		    m == TOKEN ? "\"sessionToken\": \"" : "",
		    m == TOKEN ? val : "", m == TOKEN ? "\", " : "",
		    m == ARN ? val : "arn:aws:iam::111111111111:user/ci");
		c = NULL;
		cause = NULL;
		rc = creds_parse(text, strlen(text), &c, &cause);
		if (cases[i].cause == NULL) {
			if (rc != 0)
				fail_msg("case %zu: %s", i, cause);
			assert_int_equal(strlen(m == AKID
			                            ? c->v[0].access_key_id
			                        : m == SECRET
			                            ? c->v[0].secret_access_key
			                        : m == TOKEN
			                            ? c->v[0].session_token
			                            : c->v[0].arn),
			    cases[i].len);
			creds_free(c);
		} else {
			assert_int_equal(rc, -1);
			assert_string_equal(cause, cases[i].cause);
			free(cause);
		}
		free(text);
		free(val);
	}
}

static void
test_creds_accepts_trailing_whitespace(void **state)
{
	static const char text[] = P(OK0) "\n\t \r\n";
	struct creds *c = NULL;
	char *cause = NULL;

	(void)state;
	assert_int_equal(creds_parse(text, strlen(text), &c, &cause), 0);
	assert_int_equal(c->n, 1);
	creds_free(c);
}

static void
test_creds_text_length_bounds_the_parse(void **state)
{
	static const char with_nul[] = P(OK0) "\0{}";
	struct creds *c = NULL;
	char *cause = NULL;
	size_t len;

	(void)state;
	/* Only len bytes are read: the valid prefix of a longer buffer. */
	len = strlen(valid);
	assert_int_equal(creds_parse(valid, len - 3, &c, &cause), -1);
	assert_string_equal(cause, "not valid JSON: unexpected end of text");
	free(cause);
	cause = NULL;
	assert_int_equal(creds_parse(valid, CREDS_TEXT_MAX + 1, &c, &cause),
	    -1);
	assert_string_equal(cause, "larger than 16777216 bytes");
	free(cause);
	cause = NULL;
	/* json-c stops at a NUL byte; what follows it is still refused. */
	assert_int_equal(creds_parse(with_nul, sizeof with_nul - 1, &c, &cause),
	    -1);
	assert_string_equal(cause, "not valid JSON: trailing data after the "
	                           "top-level value");
	free(cause);
	assert_null(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_creds_parses_several_principals_and_accounts),
	    cmocka_unit_test(test_creds_rejects_bad_files_with_cause),
	    cmocka_unit_test(test_creds_rejects_over_long_members),
	    cmocka_unit_test(test_creds_accepts_trailing_whitespace),
	    cmocka_unit_test(test_creds_text_length_bounds_the_parse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
