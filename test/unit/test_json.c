/* Unit tests for api/json.c: the streaming writer, raw values, rendering. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "api/json.h"
#include "common/xalloc.h"

/* Render o, compare with want, free both. */
static void
assert_renders(struct json_object *o, const char *want)
{
	char	*text;
	size_t	 len;

	text = jrender(o, &len);
	assert_string_equal(text, want);
	assert_int_equal(len, strlen(want));
	free(text);
	json_object_put(o);
}

static void
test_jw_writes_nested_values_with_separators(void **state)
{
	struct json_object	*o = jnew_obj();
	struct jw		 w;

	(void)state;
	jw_init(&w);
	jw_arr_open(&w, NULL);
	jw_obj_open(&w, NULL);
	jw_str(&w, "a", "x");
	jw_i64(&w, "n", -42);
	jw_bool(&w, "b", false);
	jw_arr_open(&w, "empty");
	jw_arr_close(&w);
	jw_obj_close(&w);
	jw_obj_open(&w, NULL);
	jw_str(&w, "skipped", NULL);
	jw_i64(&w, "max", INT64_MAX);
	jw_i64(&w, "min", INT64_MIN);
	jw_obj_close(&w);
	jw_arr_close(&w);
	jadd_str(o, "first", "1");
	jadd_jw(o, "list", &w);
	assert_null(w.b.data);
	assert_renders(o, "{\"first\":\"1\",\"list\":[{\"a\":\"x\",\"n\":-42,"
	    "\"b\":false,\"empty\":[]},{\"max\":9223372036854775807,"
	    "\"min\":-9223372036854775808}]}");
}

static void
test_jw_escapes_strings_as_json_requires(void **state)
{
	struct json_object	*o = jnew_obj();
	struct jw		 w;
	const char *const	 parts[] = { "a/\"b", "\\", "\n\x01", "" };

	(void)state;
	jw_init(&w);
	jw_obj_open(&w, NULL);
	jw_str(&w, "s", "q\"uote\\back/slash\ttab\x1f");
	jw_strv(&w, "v", parts, 4);
	jw_str(&w, "plain", "arn:aws:ecr:us-east-1:123456789012:repository/a");
	jw_str(&w, "utf8", "caf\xc3\xa9");
	jw_obj_close(&w);
	jadd_jw(o, "o", &w);
	assert_renders(o, "{\"o\":{\"s\":\"q\\\"uote\\\\back/slash\\u0009tab"
	    "\\u001f\",\"v\":\"a/\\\"b\\\\\\u000a\\u0001\","
	    "\"plain\":\"arn:aws:ecr:us-east-1:123456789012:repository/a\","
	    "\"utf8\":\"caf\xc3\xa9\"}}");
}

static void
test_epoch_has_three_decimals_and_no_exponent(void **state)
{
	static const struct {
		int64_t		 ms;
		const char	*want;
	} cases[] = {
		{ 0, "{\"t\":0.000}" },
		{ 5, "{\"t\":0.005}" },
		{ 1700000000123, "{\"t\":1700000000.123}" },
		{ 1700000000050, "{\"t\":1700000000.050}" },
		{ 99999999999999, "{\"t\":99999999999.999}" },
	};
	struct json_object	*o;
	struct jw		 w;
	char			 want[64];
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		o = jnew_obj();
		jadd_epoch(o, "t", cases[i].ms);
		assert_renders(o, cases[i].want);
		/* The writer and the tree agree. */
		o = jnew_obj();
		jw_init(&w);
		jw_obj_open(&w, NULL);
		jw_epoch(&w, "t", cases[i].ms);
		jw_obj_close(&w);
		jadd_jw(o, "x", &w);
		snprintf(want, sizeof want, "{\"x\":%s}", cases[i].want);
		assert_renders(o, want);
	}
}

static void
test_ordinary_strings_still_escape_in_trees(void **state)
{
	struct json_object	*o = jnew_obj();

	(void)state;
	/* A string that looks like JSON stays a string unless it is raw. */
	jadd_str(o, "s", "{\"a\":1}");
	assert_renders(o, "{\"s\":\"{\\\"a\\\":1}\"}");
}

/* The eight-at-a-time skip must miss nothing at any offset. */
static void
test_jcheck_finds_specials_at_every_offset(void **state)
{
	static const struct {
		char	 c;
		int	 want;
	} specials[] = {
		{ '\x01', JCHECK_BAD }, { '\x1f', JCHECK_BAD },
		{ '"', JCHECK_BAD }, { '\xff', JCHECK_BAD },
		{ ' ', JCHECK_OK }, { '~', JCHECK_OK },
	};
	char	text[64];
	size_t	i, at;

	(void)state;
	for (i = 0; i < sizeof specials / sizeof specials[0]; i++) {
		for (at = 0; at < 40; at++) {
			memset(text, 'A', sizeof text);
			text[0] = '"';
			text[41] = '"';
			text[42] = '\0';
			text[1 + at] = specials[i].c;
			assert_int_equal(jcheck_strict(text, 42), specials[i].want);
		}
	}
	assert_int_equal(jcheck_strict("\"ab\\u0000cd\"", 12), JCHECK_NUL);
	assert_int_equal(jcheck_strict("\"caf\xc3\xa9 ok\"", 10), JCHECK_OK);
	assert_int_equal(jcheck_strict("\"unterminated", 13), JCHECK_BAD);
}

/*
 * Echoed input (a header, a path) may be any bytes; the answer must stay
 * valid UTF-8, so each byte of a bad sequence becomes U+FFFD (issue 11,
 * item 3). Valid sequences, up to four bytes, pass unchanged.
 */
static void
test_invalid_utf8_becomes_replacement_characters(void **state)
{
	static const struct {
		const char	*in;
		const char	*want;
	} cases[] = {
		{ "\xff\xfe", "\xef\xbf\xbd\xef\xbf\xbd" },
		{ "a\xc3", "a\xef\xbf\xbd" },		/* cut short */
		{ "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },	/* overlong */
		{ "\xed\xa0\x80x", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx" },
		{ "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
		    "\xef\xbf\xbd" },			/* past U+10FFFF */
		{ "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3",
		    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3" },
		{ "\"\xff\n", "\\\"\xef\xbf\xbd\\u000a" },
	};
	struct json_object	*o;
	struct jw		 w;
	char			*want;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		/* The tree writer, both in keys and in values... */
		o = jnew_obj();
		jadd_str(o, "m", cases[i].in);
		want = xasprintf("{\"m\":\"%s\"}", cases[i].want);
		assert_renders(o, want);
		free(want);
		o = jnew_obj();
		jadd_str(o, cases[i].in, "v");
		want = xasprintf("{\"%s\":\"v\"}", cases[i].want);
		assert_renders(o, want);
		free(want);
		/* ...and the streaming writer. */
		o = jnew_obj();
		jw_init(&w);
		jw_str(&w, NULL, cases[i].in);
		jadd_jw(o, "m", &w);
		want = xasprintf("{\"m\":\"%s\"}", cases[i].want);
		assert_renders(o, want);
		free(want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jw_writes_nested_values_with_separators),
		cmocka_unit_test(test_jw_escapes_strings_as_json_requires),
		cmocka_unit_test(test_epoch_has_three_decimals_and_no_exponent),
		cmocka_unit_test(test_ordinary_strings_still_escape_in_trees),
		cmocka_unit_test(test_jcheck_finds_specials_at_every_offset),
		cmocka_unit_test(test_invalid_utf8_becomes_replacement_characters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
