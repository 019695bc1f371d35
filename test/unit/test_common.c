/* Unit tests for common/: buffers, number parsing, wildcards, UUIDs. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/str.h"
#include "common/uuid.h"

static void
test_buf_grows_and_stays_terminated(void **state)
{
	struct buf b;
	int i;

	(void)state;
	buf_init(&b, 1 << 20);
	for (i = 0; i < 1000; i++)
		assert_int_equal(buf_addf(&b, "%d,", i % 10), 0);
	assert_int_equal(b.len, 2000);
	assert_int_equal(b.data[b.len], '\0');
	assert_memory_equal(b.data, "0,1,2,", 6);
	buf_release(&b);
}

static void
test_buf_refuses_past_cap_and_empties(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_addstr(&b, "12345678"), 0);
	assert_int_equal(buf_addstr(&b, "9"), BUF_TOOBIG);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
}

/*
 * After the first failed append every later one fails too, so a writer
 * that checks only at the end can never send what came after a gap
 * (issue 12, finding 3: the next append used to start a fresh buffer).
 */
static void
test_buf_failure_is_sticky(void **state)
{
	struct buf b;
	size_t len = 99;

	(void)state;
	buf_init(&b, 8);
	assert_false(buf_failed(&b));
	assert_int_equal(buf_addstr(&b, "1234"), 0);
	assert_int_equal(buf_addstr(&b, "56789"), BUF_TOOBIG);
	assert_true(buf_failed(&b));
	/* What would fit in an empty buffer is refused all the same. */
	assert_int_equal(buf_addstr(&b, "x"), BUF_TOOBIG);
	assert_int_equal(buf_add(&b, "", 0), BUF_TOOBIG);
	assert_int_equal(buf_addf(&b, "%d", 1), BUF_TOOBIG);
	assert_null(buf_reserve(&b, 1));
	buf_commit(&b, 0);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_true(buf_failed(&b));
	/* The owner's one check: no data, and the buffer starts over. */
	assert_null(buf_take(&b, &len));
	assert_int_equal(len, 0);
	assert_false(buf_failed(&b));
	assert_int_equal(buf_addstr(&b, "ok"), 0);
	buf_fail(&b);
	assert_true(buf_failed(&b));
	assert_null(b.data);
	buf_reset(&b);
	assert_false(buf_failed(&b));
	assert_int_equal(buf_addstr(&b, "again"), 0);
	assert_string_equal(b.data, "again");
	buf_release(&b);
	assert_false(buf_failed(&b));
}

static void
test_buf_take_gives_ownership(void **state)
{
	struct buf b;
	size_t len;
	char *p;

	(void)state;
	buf_init(&b, 100);
	p = buf_take(&b, &len);
	assert_string_equal(p, "");
	assert_int_equal(len, 0);
	free(p);
	buf_addstr(&b, "abc");
	p = buf_take(&b, &len);
	assert_string_equal(p, "abc");
	assert_null(b.data);
	free(p);
}

static void
test_parse_u64_table(void **state)
{
	static const struct {
		const char *in;
		uint64_t min, max;
		int rc;
		uint64_t want;
		const char *err;
	} cases[] = {
	    {"0", 0, 10, 0, 0, NULL},
	    {"10", 0, 10, 0, 10, NULL},
	    {"11", 0, 10, -1, 0, "too large"},
	    {"1", 2, 10, -1, 0, "too small"},
	    {"", 0, 10, -1, 0, "invalid"},
	    {"-1", 0, 10, -1, 0, "invalid"},
	    {" 1", 0, 10, -1, 0, "invalid"},
	    {"1x", 0, 10, -1, 0, "invalid"},
	    {"18446744073709551615", 0, UINT64_MAX, 0, UINT64_MAX, NULL},
	    {"18446744073709551616", 0, UINT64_MAX, -1, 0, "too large"},
	};
	size_t i;
	uint64_t v;
	const char *err;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err = NULL;
		v = 0;
		assert_int_equal(parse_u64(cases[i].in, cases[i].min,
		                     cases[i].max, &v, &err),
		    cases[i].rc);
		if (cases[i].rc == 0)
			assert_true(v == cases[i].want);
		else
			assert_string_equal(err, cases[i].err);
	}
}

/* HOST[:PORT] forms: what is kept, and what each refusal says. */
static void
test_parse_endpoint_table(void **state)
{
	static const struct {
		const char *in;
		const char *host; /* NULL: refused */
		bool is_ipv6;
		int port;
		const char *cause;
	} cases[] = {
	    {"localhost:5080", "localhost", false, 5080, NULL},
	    {"registry.example", "registry.example", false, -1, NULL},
	    {"a-b.c9:0", "a-b.c9", false, 0, NULL},
	    {"10.0.0.7:65535", "10.0.0.7", false, 65535, NULL},
	    {"[::1]:80", "::1", true, 80, NULL},
	    {"[fe80::1]", "fe80::1", true, -1, NULL},
	    {"http://x", NULL, false, 0, "no scheme"},
	    {"x:65536", NULL, false, 0, "port 65536 is out of range"},
	    {"x:99999999999999999999", NULL, false, 0, "out of range"},
	    {"x:", NULL, false, 0, "port '' is not a number"},
	    {"x:+1", NULL, false, 0, "not a number"},
	    {":1", NULL, false, 0, "no host"},
	    {"", NULL, false, 0, "no host"},
	    {"not a host", NULL, false, 0, "not a host name"},
	    {"a..b", NULL, false, 0, "not a host name"},
	    {"a-.b", NULL, false, 0, "not a host name"},
	    {"a.b.", NULL, false, 0, "not a host name"},
	    {"x_y", NULL, false, 0, "not a host name"},
	    {"1.2.3.999", NULL, false, 0, "not an IPv4 address"},
	    {"[::1", NULL, false, 0, "missing ']'"},
	    {"[1.2.3.4]:1", NULL, false, 0, "not an IPv6 address"},
	    {"[::1]x", NULL, false, 0, "want ':'"},
	    {"::1:80", NULL, false, 0, "needs brackets"},
	};
	struct endpoint ep;
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		if (cases[i].host != NULL) {
			assert_int_equal(parse_endpoint(cases[i].in, &ep,
			                     &cause),
			    0);
			assert_string_equal(ep.host, cases[i].host);
			assert_int_equal(ep.is_ipv6, cases[i].is_ipv6);
			assert_int_equal(ep.port, cases[i].port);
			continue;
		}
		assert_int_equal(parse_endpoint(cases[i].in, &ep, &cause), -1);
		assert_non_null(cause);
		if (strstr(cause, cases[i].cause) == NULL)
			fail_msg("'%s': '%s' lacks '%s'", cases[i].in, cause,
			    cases[i].cause);
		free(cause);
	}
}

/* Admin query numbers (issue 11, item 2): no overflow at either end. */
static void
test_parse_i64_table(void **state)
{
	static const struct {
		const char *in;
		int64_t min, max;
		int rc;
		int64_t want;
		const char *err;
	} cases[] = {
	    {"0", -10, 10, 0, 0, NULL},
	    {"-0", -10, 10, 0, 0, NULL},
	    {"-10", -10, 10, 0, -10, NULL},
	    {"10", -10, 10, 0, 10, NULL},
	    {"-11", -10, 10, -1, 0, "too small"},
	    {"11", -10, 10, -1, 0, "too large"},
	    {"-1", 0, 10, -1, 0, "too small"},
	    {"-1", -10, -5, -1, 0, "too large"},
	    {"9223372036854775807", INT64_MIN, INT64_MAX, 0, INT64_MAX, NULL},
	    {"-9223372036854775808", INT64_MIN, INT64_MAX, 0, INT64_MIN, NULL},
	    {"9223372036854775808", INT64_MIN, INT64_MAX, -1, 0, "too large"},
	    {"-9223372036854775809", INT64_MIN, INT64_MAX, -1, 0, "too small"},
	    {"99999999999999999999", -10, 10, -1, 0, "too large"},
	    {"-99999999999999999999", -10, 10, -1, 0, "too small"},
	    {"", -10, 10, -1, 0, "invalid"},
	    {"-", -10, 10, -1, 0, "invalid"},
	    {"--1", -10, 10, -1, 0, "invalid"},
	    {"+1", -10, 10, -1, 0, "invalid"},
	    {"abc", -10, 10, -1, 0, "invalid"},
	    {"1 ", -10, 10, -1, 0, "invalid"},
	};
	size_t i;
	int64_t v;
	const char *err;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		err = NULL;
		v = 0;
		assert_int_equal(parse_i64(cases[i].in, cases[i].min,
		                     cases[i].max, &v, &err),
		    cases[i].rc);
		if (cases[i].rc == 0)
			assert_true(v == cases[i].want);
		else
			assert_string_equal(err, cases[i].err);
	}
}

static void
test_wildcard_matches_whole_string(void **state)
{
	static const struct {
		const char *pat, *s;
		bool want;
	} cases[] = {
	    {"dev-*", "dev-1", true},
	    {"dev-*", "develop", false},
	    {"*-rc", "1.0-rc", true},
	    {"*-rc", "1.0-rc1", false},
	    {"*", "", true},
	    {"a*b*c", "aXbYbZc", true},
	    {"a*b*c", "aXbYbZ", false},
	    {"v?", "v1", true},
	    {"v?", "v12", false},
	    {"exact", "exact", true},
	    {"exact", "Exact", false},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		assert_int_equal(str_wildcard_match(cases[i].pat, cases[i].s),
		    cases[i].want);
}

/* Without STR_WILD_ONE '?' is literal; STR_WILD_ICASE folds ASCII case. */
static void
test_wildcard_flags(void **state)
{
	(void)state;
	assert_false(str_wildcard_match_n("v?", 2, "v1", 2, 0));
	assert_true(str_wildcard_match_n("v?", 2, "v?", 2, 0));
	assert_true(str_wildcard_match_n("a*", 2, "abc", 3, 0));
	assert_false(str_wildcard_match_n("ecr:Get*", 8, "ECR:GETX", 8,
	    STR_WILD_ONE));
	assert_true(str_wildcard_match_n("ecr:Get*", 8, "ECR:GETX", 8,
	    STR_WILD_ONE | STR_WILD_ICASE));
	/* Counted: what lies past the lengths is not looked at. */
	assert_true(str_wildcard_match_n("abX", 2, "abY", 2, 0));
}

static void
test_query_value_decodes_and_bounds(void **state)
{
	static const struct {
		const char *query;
		const char *name;
		int rc;
		const char *want;
	} cases[] = {
	    {"a=1&b=2", "b", 0, "2"},
	    {"digest=sha256%3Aab&x=", "digest", 0, "sha256:ab"},
	    {"from=ns%2Frepo", "from", 0, "ns/repo"},
	    {"ab=1&a=2", "a", 0, "2"},    /* whole names only */
	    {"a=%zz%4", "a", 0, "%zz%4"}, /* bad escapes stay */
	    {"a=", "a", 0, ""},           /* present, empty */
	    {"b=1", "a", -1, ""}, {"", "a", -1, ""},
	    {"a=0123456789ab", "a", -2, ""}, /* over the buffer */
	    {"a=1%002", "a", -2, ""},        /* no NUL inside */
	};
	char out[12];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(str_query_value(cases[i].query, cases[i].name,
		                     out, sizeof out),
		    cases[i].rc);
		assert_string_equal(out, cases[i].want);
	}
}

/*
 * 8-4-4-4-12 lowercase hex, version nibble 4, variant bits 10; and fresh
 * each time. Many draws, so that a bit left random would show.
 */
static void
test_uuid_v4_format_version_and_variant(void **state)
{
	char u[UUID_SIZE], prev[UUID_SIZE] = "";
	size_t i, k;
	int n;

	(void)state;
	for (n = 0; n < 256; n++) {
		memset(u, 'x', sizeof u);
		uuid_v4(u);
		assert_int_equal(strlen(u), 36);
		for (i = 0; i < 36; i++) {
			if (i == 8 || i == 13 || i == 18 || i == 23)
				assert_int_equal(u[i], '-');
			else
				assert_non_null(strchr("0123456789abcdef",
				    u[i]));
		}
		assert_int_equal(u[14], '4');
		k = (size_t)(strchr("0123456789abcdef", u[19]) -
		             "0123456789abcdef");
		assert_int_equal(k >> 2, 2);
		assert_string_not_equal(u, prev);
		memcpy(prev, u, sizeof u);
	}
}

/* The log's stream so far, as text (the caller frees it). */
static char *
log_text(FILE *fp)
{
	long n;
	char *s;

	assert_int_equal(fflush(fp), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	rewind(fp);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	return s;
}

static int n_wakes;

static void
count_wake(void *arg)
{
	(void)arg;
	n_wakes++;
}

static void *
log_from_thread(void *arg)
{
	(void)arg;
	log_info("from another thread");
	return NULL;
}

/*
 * Gathered info lines wait for log_flush, with one wake for the first;
 * an error, and another thread's line, are written at once but after
 * them, so the order holds; stopping writes what is left.
 */
static void
test_log_batch_gathers_info_and_keeps_order(void **state)
{
	FILE *fp = tmpfile();
	pthread_t t;
	char *s;

	(void)state;
	assert_non_null(fp);
	log_init(LOG_LEVEL_INFO, fp);
	n_wakes = 0;
	log_batch(count_wake, NULL);
	log_info("one %d", 1);
	log_info("two");
	log_debug("not at this level");
	s = log_text(fp);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(n_wakes, 1);
	log_flush();
	log_info("three");
	assert_int_equal(n_wakes, 2);
	log_error("four");
	assert_int_equal(pthread_create(&t, NULL, log_from_thread, NULL), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	log_info("five");
	log_batch(NULL, NULL);
	log_info("six");
	s = log_text(fp);
	assert_non_null(strstr(s, " info one 1\n"));
	assert_null(strstr(s, "not at this level"));
	assert_true(strstr(s, "one 1") < strstr(s, "two"));
	assert_true(strstr(s, "two") < strstr(s, "three"));
	assert_true(strstr(s, "three") < strstr(s, " error four\n"));
	assert_true(strstr(s, "four") < strstr(s, "another thread"));
	assert_true(strstr(s, "another thread") < strstr(s, "five"));
	assert_true(strstr(s, "five") < strstr(s, "six"));
	assert_int_equal(n_wakes, 3);
	free(s);
	log_init(LOG_LEVEL_INFO, NULL);
	fclose(fp);
}

/* A line longer than the stack's buffer arrives whole, on one line. */
static void
test_log_long_line_is_whole(void **state)
{
	FILE *fp = tmpfile();
	char *big, *s, *at;

	(void)state;
	assert_non_null(fp);
	big = malloc(5000);
	assert_non_null(big);
	memset(big, 'x', 4999);
	big[4999] = '\0';
	log_init(LOG_LEVEL_INFO, fp);
	log_warn("[%s]", big);
	s = log_text(fp);
	at = strstr(s, " warn [");
	assert_non_null(at);
	assert_int_equal(strlen(at), strlen(" warn []\n") + 4999);
	assert_int_equal(at[strlen(at) - 2], ']');
	free(s);
	free(big);
	log_init(LOG_LEVEL_INFO, NULL);
	fclose(fp);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_buf_grows_and_stays_terminated),
	    cmocka_unit_test(test_buf_refuses_past_cap_and_empties),
	    cmocka_unit_test(test_buf_failure_is_sticky),
	    cmocka_unit_test(test_buf_take_gives_ownership),
	    cmocka_unit_test(test_parse_u64_table),
	    cmocka_unit_test(test_parse_endpoint_table),
	    cmocka_unit_test(test_parse_i64_table),
	    cmocka_unit_test(test_wildcard_matches_whole_string),
	    cmocka_unit_test(test_wildcard_flags),
	    cmocka_unit_test(test_query_value_decodes_and_bounds),
	    cmocka_unit_test(test_uuid_v4_format_version_and_variant),
	    cmocka_unit_test(test_log_batch_gathers_info_and_keeps_order),
	    cmocka_unit_test(test_log_long_line_is_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
