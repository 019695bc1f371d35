/*
 * Strict JSON for policy text: an RFC 8259 syntax check in front of
 * json-c (whose strict mode still takes 'single quotes', NaN, "1." and raw
 * control characters), and the Jackson pretty printer ECR stores policies
 * with (docs/ecr-behaviour.md 3.5).
 */
#include "policy/policy.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "policy/policy_int.h"

/* Deeper than json-c's default depth (32), which then refuses the text. */
#define SCAN_DEPTH_MAX 64
/* Indentation can multiply the text: bound the output generously. */
#define FORMAT_OUT_MAX ((size_t)POLICY_TEXT_MAX * 64)

struct scan {
	const char *p;
	const char *end;
};

static bool scan_value(struct scan *, int depth);

static void
scan_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' ||
	                            *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool
scan_lit(struct scan *s, const char *lit)
{
	size_t len = strlen(lit);

	if ((size_t)(s->end - s->p) < len || memcmp(s->p, lit, len) != 0)
		return false;
	s->p += len;
	return true;
}

static bool
is_digit(const struct scan *s)
{
	return s->p < s->end && *s->p >= '0' && *s->p <= '9';
}

static bool
scan_digits(struct scan *s)
{
	if (!is_digit(s))
		return false;
	while (is_digit(s))
		s->p++;
	return true;
}

/* -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static bool
scan_number(struct scan *s)
{
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (!scan_digits(s))
		return false;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!scan_digits(s))
			return false;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!scan_digits(s))
			return false;
	}
	return true;
}

static bool
scan_string(struct scan *s)
{
	int i;

	if (s->p >= s->end || *s->p != '"')
		return false;
	for (s->p++; s->p < s->end; s->p++) {
		if (*s->p == '"') {
			s->p++;
			return true;
		}
		if ((unsigned char)*s->p < 0x20)
			return false;
		if (*s->p != '\\')
			continue;
		if (++s->p >= s->end)
			return false;
		if (strchr("\"\\/bfnrt", *s->p) != NULL && *s->p != '\0')
			continue;
		if (*s->p != 'u')
			return false;
		for (i = 0; i < 4; i++) {
			if (++s->p >= s->end ||
			    strchr("0123456789abcdefABCDEF", *s->p) == NULL ||
			    *s->p == '\0')
				return false;
		}
	}
	return false;
}

/* The members of an object or elements of an array, after the opener. */
static bool
scan_container(struct scan *s, char close, int depth)
{
	scan_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return true;
	}
	for (;;) {
		if (close == '}') {
			if (!scan_string(s))
				return false;
			scan_ws(s);
			if (s->p >= s->end || *s->p++ != ':')
				return false;
		}
		if (!scan_value(s, depth + 1))
			return false;
		scan_ws(s);
		if (s->p >= s->end)
			return false;
		if (*s->p == close) {
			s->p++;
			return true;
		}
		if (*s->p++ != ',')
			return false;
		scan_ws(s);
	}
}

static bool
scan_value(struct scan *s, int depth)
{
	if (depth > SCAN_DEPTH_MAX)
		return false;
	scan_ws(s);
	if (s->p >= s->end)
		return false;
	switch (*s->p) {
	case '{':
		s->p++;
		return scan_container(s, '}', depth);
	case '[':
		s->p++;
		return scan_container(s, ']', depth);
	case '"':
		return scan_string(s);
	case 't':
		return scan_lit(s, "true");
	case 'f':
		return scan_lit(s, "false");
	case 'n':
		return scan_lit(s, "null");
	default:
		return scan_number(s);
	}
}

int
iam_json_parse(
    const char *text, size_t len, struct json_object **out, char **cause)
{
	struct json_tokener *tok;
	struct json_object *o;
	struct scan s = {text, text + len};
	enum json_tokener_error err;

	if (!scan_value(&s, 0) || (scan_ws(&s), s.p != s.end))
		return iam_fail(cause, POLICY_SYNTAX,
		    "not valid JSON at offset %zu", (size_t)(s.p - text));
	tok = json_tokener_new();
	json_tokener_set_flags(
	    tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	/* A bare number at the end needs an explicit end of input. */
	if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue)
		o = json_tokener_parse_ex(tok, "", 1);
	err = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (err != json_tokener_success) {
		json_object_put(o);
		return iam_fail(cause, POLICY_SYNTAX, "not valid JSON: %s",
		    json_tokener_error_desc(err));
	}
	*out = o;
	return POLICY_OK;
}

/* The formatter's output: once an append fails, the rest are ignored. */
struct out {
	struct buf b;
	bool failed;
};

static void
out_add(struct out *o, const char *s, size_t len)
{
	/* buf_add releases the buffer when it fails: nothing to free. */
	if (!o->failed && buf_add(&o->b, s, len) != 0)
		o->failed = true;
}

/* Jackson's escapes: '"', '\' and control characters, hex upper-case. */
static void
fmt_string(struct out *o, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *esc;
	char u[6] = {'\\', 'u', '0', '0', 0, 0};
	unsigned char c;
	size_t i, run = 0;

	out_add(o, "\"", 1);
	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		out_add(o, s + run, i - run);
		run = i + 1;
		esc = c == '"'    ? "\\\""
		      : c == '\\' ? "\\\\"
		      : c == '\b' ? "\\b"
		      : c == '\t' ? "\\t"
		      : c == '\n' ? "\\n"
		      : c == '\f' ? "\\f"
		      : c == '\r' ? "\\r"
		                  : NULL;
		if (esc != NULL) {
			out_add(o, esc, 2);
			continue;
		}
		u[4] = hex[c >> 4];
		u[5] = hex[c & 0xf];
		out_add(o, u, sizeof u);
	}
	out_add(o, s + run, len - run);
	out_add(o, "\"", 1);
}

static void
fmt_indent(struct out *o, int level)
{
	int i;

	out_add(o, "\n", 1);
	for (i = 0; i < level; i++)
		out_add(o, "  ", 2);
}

/*
 * Jackson's DefaultPrettyPrinter: objects indent one level per nesting
 * level and break before each member; arrays are inline ("[ a, b ]") and do
 * not add a level, so an object in an array opens as "[ {".
 */
static void
fmt_value(struct out *o, struct json_object *v, int level)
{
	const char *s;
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_object:
		if (json_object_object_length(v) == 0) {
			out_add(o, "{ }", 3);
			return;
		}
		out_add(o, "{", 1);
		i = 0;
		json_object_object_foreach(v, key, val)
		{
			if (i++ != 0)
				out_add(o, ",", 1);
			fmt_indent(o, level + 1);
			fmt_string(o, key, strlen(key));
			out_add(o, " : ", 3);
			fmt_value(o, val, level + 1);
		}
		fmt_indent(o, level);
		out_add(o, "}", 1);
		return;
	case json_type_array:
		if ((n = json_object_array_length(v)) == 0) {
			out_add(o, "[ ]", 3);
			return;
		}
		out_add(o, "[ ", 2);
		for (i = 0; i < n; i++) {
			if (i != 0)
				out_add(o, ", ", 2);
			fmt_value(o, json_object_array_get_idx(v, i), level);
		}
		out_add(o, " ]", 2);
		return;
	case json_type_string:
		fmt_string(o, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
		return;
	case json_type_null:
		out_add(o, "null", 4);
		return;
	default:
		/* Booleans, and numbers as json-c read them. */
		s = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		out_add(o, s, strlen(s));
		return;
	}
}

char *
policy_format_jackson(const char *text, size_t len, char **cause)
{
	struct json_object *v = NULL;
	struct out o;

	if (len > POLICY_TEXT_MAX) {
		iam_fail(cause, POLICY_TOOBIG, "policy is longer than %d bytes",
		    POLICY_TEXT_MAX);
		return NULL;
	}
	if (iam_json_parse(text, len, &v, cause) != 0)
		return NULL;
	buf_init(&o.b, FORMAT_OUT_MAX);
	o.failed = false;
	fmt_value(&o, v, 0);
	json_object_put(v);
	if (o.failed) {
		iam_fail(cause, POLICY_TOOBIG, "formatted policy too large");
		return NULL;
	}
	return buf_take(&o.b, NULL);
}
