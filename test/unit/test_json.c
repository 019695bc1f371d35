/*
 * Unit tests for common/json.c: the streaming writer, raw values,
 * rendering, sticky failure and the strict parser.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "common/buf.h"
#include "common/json.h"
#include "common/xalloc.h"

/* Render o, compare with want, free both. */
static void
assert_renders(struct json_object *o, const char *want)
{
	char *text;
	size_t len;

	text = jrender(o, &len);
	assert_string_equal(text, want);
	assert_int_equal(len, strlen(want));
	free(text);
	json_object_put(o);
}

static void
test_jw_writes_nested_values_with_separators(void **state)
{
	struct json_object *o = jnew_obj();
	struct jw w;

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
	assert_renders(o,
	    "{\"first\":\"1\",\"list\":[{\"a\":\"x\",\"n\":-42,"
	    "\"b\":false,\"empty\":[]},{\"max\":9223372036854775807,"
	    "\"min\":-9223372036854775808}]}");
}

/* Numbers are written two digits a step (issue 12): as printf writes them. */
static void
test_jw_i64_writes_what_printf_writes(void **state)
{
	struct jw w;
	char want[32];
	int64_t v, p;
	int i;

	(void)state;
	for (i = -1000; i <= 100000; i += (i < 1000 ? 1 : 97)) {
		for (p = 1; p != 0; p = p <= INT64_MAX / 10 ? p * 10 : 0) {
			if (i > INT64_MAX / p || i < INT64_MIN / p)
				continue;
			v = (int64_t)i * p;
			jw_init(&w);
			jw_i64(&w, NULL, v);
			snprintf(want, sizeof want, "%" PRId64, v);
			assert_string_equal(w.b.data, want);
			buf_release(&w.b);
		}
	}
}

static void
test_jw_escapes_strings_as_json_requires(void **state)
{
	struct json_object *o = jnew_obj();
	struct jw w;
	const char *const parts[] = {"a/\"b", "\\", "\n\x01", ""};

	(void)state;
	jw_init(&w);
	jw_obj_open(&w, NULL);
	jw_str(&w, "s", "q\"uote\\back/slash\ttab\x1f");
	jw_strv(&w, "v", parts, 4);
	jw_str(&w, "plain", "arn:aws:ecr:us-east-1:123456789012:repository/a");
	jw_str(&w, "utf8", "caf\xc3\xa9");
	jw_obj_close(&w);
	jadd_jw(o, "o", &w);
	assert_renders(o,
	    "{\"o\":{\"s\":\"q\\\"uote\\\\back/slash\\u0009tab"
	    "\\u001f\",\"v\":\"a/\\\"b\\\\\\u000a\\u0001\","
	    "\"plain\":\"arn:aws:ecr:us-east-1:123456789012:repository/a\","
	    "\"utf8\":\"caf\xc3\xa9\"}}");
}

static void
test_epoch_has_three_decimals_and_no_exponent(void **state)
{
	static const struct {
		int64_t ms;
		const char *want;
	} cases[] = {
	    {0, "{\"t\":0.000}"},
	    {5, "{\"t\":0.005}"},
	    {1700000000123, "{\"t\":1700000000.123}"},
	    {1700000000050, "{\"t\":1700000000.050}"},
	    {99999999999999, "{\"t\":99999999999.999}"},
	};
	struct json_object *o;
	struct jw w;
	char want[64];
	size_t i;

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
	struct json_object *o = jnew_obj();

	(void)state;
	/* A string that looks like JSON stays a string unless it is raw. */
	jadd_str(o, "s", "{\"a\":1}");
	assert_renders(o, "{\"s\":\"{\\\"a\\\":1}\"}");
}

/* Parse text as strict JSON; the result code, the value put. */
static int
parse(const char *text, size_t len)
{
	struct json_object *o = NULL;
	int rc;

	/* A JSON null is a NULL object: *out is set, or left alone. */
	rc = jparse_strict(text, len, &o, NULL);
	if (rc == JPARSE_BAD)
		assert_null(o);
	json_object_put(o);
	return rc;
}

/* The eight-at-a-time skip must miss nothing at any offset. */
static void
test_jparse_finds_specials_at_every_offset(void **state)
{
	static const struct {
		char c;
		int want;
	} specials[] = {
	    {'\x01', JPARSE_BAD},
	    {'\x1f', JPARSE_BAD},
	    {'"', JPARSE_BAD},
	    {'\xff', JPARSE_BAD},
	    {' ', JPARSE_OK},
	    {'~', JPARSE_OK},
	};
	char text[64];
	size_t i, at;

	(void)state;
	for (i = 0; i < sizeof specials / sizeof specials[0]; i++) {
		for (at = 0; at < 40; at++) {
			memset(text, 'A', sizeof text);
			text[0] = '"';
			text[41] = '"';
			text[42] = '\0';
			text[1 + at] = specials[i].c;
			assert_int_equal(parse(text, 42), specials[i].want);
		}
	}
	assert_int_equal(parse("\"ab\\u0000cd\"", 12), JPARSE_NUL);
	assert_int_equal(parse("\"caf\xc3\xa9 ok\"", 10), JPARSE_OK);
	assert_int_equal(parse("\"unterminated", 13), JPARSE_BAD);
}

/*
 * One parser for API bodies, manifests and policies (issue 12): RFC 8259
 * and nothing more, though json-c's strict mode takes the first group.
 */
static void
test_jparse_is_rfc8259_strict(void **state)
{
	static const struct {
		const char *text;
		int want;
	} cases[] = {
	    {"{'a':1}", JPARSE_BAD},
	    {"{\"a\":NaN}", JPARSE_BAD},
	    {"{\"a\":-Infinity}", JPARSE_BAD},
	    {"{\"a\":1.}", JPARSE_BAD},
	    {"{\"a\":\"\t\"}", JPARSE_BAD},
	    {"{\"a\":\"\xc0\xaf\"}", JPARSE_BAD},     /* overlong */
	    {"{\"a\":\"\xed\xa0\x80\"}", JPARSE_BAD}, /* surrogate */
	    {"{\"a\":01}", JPARSE_BAD},
	    {"{\"a\":+1}", JPARSE_BAD},
	    {"{\"a\":\"\\x\"}", JPARSE_BAD},
	    {"{\"a\":\"\\u00zz\"}", JPARSE_BAD},
	    {"{\"a\":[1,]}", JPARSE_BAD},
	    {"{} x", JPARSE_BAD},
	    {"{}{}", JPARSE_BAD},
	    {"", JPARSE_BAD},
	    {" ", JPARSE_BAD},
	    {" {\"a\":[1,-0.5e+3,true,false,null,\"\\/\"]} \n", JPARSE_OK},
	    {"1", JPARSE_OK},
	    {"null", JPARSE_OK},
	    {"[]", JPARSE_OK},
	    {"{\"\\u0000\":1}", JPARSE_NUL},
	};
	char *deep;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (parse(cases[i].text, strlen(cases[i].text)) !=
		    cases[i].want)
			fail_msg("case %zu: %s", i, cases[i].text);
	}
	/* Deeper than json-c's limit: refused, without deep recursion. */
	deep = xmalloc(100001);
	memset(deep, '[', 100000);
	assert_int_equal(parse(deep, 100000), JPARSE_BAD);
	memset(deep + 20, ']', 20);
	assert_int_equal(parse(deep, 40), JPARSE_OK);
	free(deep);
}

/* The causes policies log, unchanged from policy/'s own parser. */
static void
test_jparse_says_where_it_failed(void **state)
{
	static const struct {
		const char *text;
		const char *cause;
	} cases[] = {
	    {"", "not valid JSON at offset 0"},
	    {"{", "not valid JSON at offset 1"},
	    {"{} x", "not valid JSON at offset 3"},
	    {"{\"a\":1.}", "not valid JSON at offset 7"},
	};
	struct json_object *o = NULL;
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		assert_int_equal(jparse_strict(cases[i].text,
		                     strlen(cases[i].text), &o, &cause),
		    JPARSE_BAD);
		assert_null(o);
		assert_string_equal(cause, cases[i].cause);
		free(cause);
	}
}

/*
 * A writer over its cap poisons the answer: jrender gives nothing rather
 * than text with a gap (issue 12, finding 3).
 */
static void
test_failed_writer_makes_render_fail(void **state)
{
	struct json_object *o = jnew_obj();
	struct jw w;
	size_t len = 7;
	int i;

	(void)state;
	jw_init_max(&w, 64);
	jw_arr_open(&w, NULL);
	for (i = 0; i < 100; i++)
		jw_str(&w, NULL, "0123456789");
	jw_arr_close(&w);
	assert_true(buf_failed(&w.b));
	jadd_str(o, "before", "x");
	jadd_jw(o, "list", &w);
	jadd_str(o, "after", "y");
	assert_null(jrender(o, &len));
	json_object_put(o);
	/* The same writer under its cap renders whole. */
	o = jnew_obj();
	jw_init_max(&w, 64);
	jw_arr_open(&w, NULL);
	jw_str(&w, NULL, "0123456789");
	jw_arr_close(&w);
	jadd_jw(o, "list", &w);
	assert_renders(o, "{\"list\":[\"0123456789\"]}");
}

/* Policies are stored as Jackson prints them (docs/ecr-behaviour.md 3.5). */
static void
test_jackson_escapes(void **state)
{
	static const char in[] = "q\"\\/\b\t\n\f\r\x01\x1f\x7f\xc3\xa9\xff";
	struct buf b;

	(void)state;
	buf_init(&b, 1024);
	jwrite_string(&b, in, sizeof in - 1, JESC_JACKSON);
	assert_string_equal(b.data, "\"q\\\"\\\\/\\b\\t\\n\\f\\r\\u0001"
	                            "\\u001F\x7f\xc3\xa9\xef\xbf\xbd\"");
	buf_reset(&b);
	jwrite_string(&b, in, sizeof in - 1, 0);
	assert_string_equal(b.data,
	    "\"q\\\"\\\\/\\u0008\\u0009\\u000a"
	    "\\u000c\\u000d\\u0001\\u001f\x7f\xc3\xa9\xef\xbf\xbd\"");
	buf_release(&b);
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
		const char *in;
		const char *want;
	} cases[] = {
	    {"\xff\xfe", "\xef\xbf\xbd\xef\xbf\xbd"},
	    {"a\xc3", "a\xef\xbf\xbd"},               /* cut short */
	    {"\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong */
	    {"\xed\xa0\x80x", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx"},
	    {"\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
	                         "\xef\xbf\xbd"}, /* past U+10FFFF */
	    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3",
	        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xb3"},
	    {"\"\xff\n", "\\\"\xef\xbf\xbd\\u000a"},
	};
	struct json_object *o;
	struct jw w;
	char *want;
	size_t i;

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
	    cmocka_unit_test(test_jw_i64_writes_what_printf_writes),
	    cmocka_unit_test(test_ordinary_strings_still_escape_in_trees),
	    cmocka_unit_test(test_jparse_finds_specials_at_every_offset),
	    cmocka_unit_test(test_jparse_is_rfc8259_strict),
	    cmocka_unit_test(test_jparse_says_where_it_failed),
	    cmocka_unit_test(test_failed_writer_makes_render_fail),
	    cmocka_unit_test(test_jackson_escapes),
	    cmocka_unit_test(test_invalid_utf8_becomes_replacement_characters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
