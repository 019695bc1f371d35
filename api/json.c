/* JSON builders over json-c; see json.h and STYLE.md 6. */
#include "api/json.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/buf.h"

static struct json_object *
must(struct json_object *o)
{
	if (o == NULL) {
		fputs("ecrd: json-c out of memory\n", stderr);
		abort();
	}
	return o;
}

struct json_object *
jnew_obj(void)
{
	return must(json_object_new_object());
}

struct json_object *
jnew_arr(void)
{
	return must(json_object_new_array());
}

void
jadd_obj(struct json_object *o, const char *key, struct json_object *owned_v)
{
	if (owned_v == NULL)
		return;
	/*
	 * Keys are string literals added once per object (json.h), so json-c
	 * need neither copy them nor look for an old value: this halves the
	 * cost of building a large answer.
	 */
	if (json_object_object_add_ex(o, key, owned_v,
	    JSON_C_OBJECT_ADD_KEY_IS_NEW | JSON_C_OBJECT_ADD_CONSTANT_KEY) != 0)
		must(NULL);
}

void
jadd_str(struct json_object *o, const char *key, const char *v)
{
	if (v != NULL)
		jadd_obj(o, key, must(json_object_new_string(v)));
}

void
jadd_i64(struct json_object *o, const char *key, int64_t v)
{
	jadd_obj(o, key, must(json_object_new_int64(v)));
}

void
jadd_bool(struct json_object *o, const char *key, bool v)
{
	jadd_obj(o, key, must(json_object_new_boolean(v)));
}

void
jadd_epoch(struct json_object *o, const char *key, int64_t ms)
{
	char	text[32];

	/* Seconds with three decimals; never an exponent (ecr-behaviour 1.3). */
	snprintf(text, sizeof text, "%" PRId64 ".%03d", ms / 1000,
	    (int)(ms % 1000));
	jadd_obj(o, key, must(json_object_new_double_s((double)ms / 1000.0,
	    text)));
}

void
jpush(struct json_object *arr, struct json_object *owned_v)
{
	if (owned_v == NULL)
		return;
	if (json_object_array_add(arr, owned_v) != 0)
		must(NULL);
}

void
jpush_str(struct json_object *arr, const char *v)
{
	if (v != NULL)
		jpush(arr, must(json_object_new_string(v)));
}

static void
emit_string(struct buf *b, const char *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	const char		*run = s, *end = s + len;
	char			 esc[6] = { '\\', 'u', '0', '0', 0, 0 };
	unsigned char		 c;

	buf_add(b, "\"", 1);
	/* Copy runs that need no escape whole; '/' stays as it is. */
	for (; s < end; s++) {
		c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		buf_add(b, run, (size_t)(s - run));
		run = s + 1;
		if (c == '"' || c == '\\') {
			esc[1] = (char)c;
			buf_add(b, esc, 2);
			esc[1] = 'u';
		} else {
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 0xf];
			buf_add(b, esc, 6);
		}
	}
	buf_add(b, run, (size_t)(end - run));
	buf_add(b, "\"", 1);
}

static void
emit(struct buf *b, struct json_object *o)
{
	char	num[32];
	size_t	i, n;
	int	len;

	switch (json_object_get_type(o)) {
	case json_type_null:
		buf_add(b, "null", 4);
		break;
	case json_type_boolean:
		buf_addstr(b, json_object_get_boolean(o) ? "true" : "false");
		break;
	case json_type_int:
		len = snprintf(num, sizeof num, "%" PRId64,
		    json_object_get_int64(o));
		buf_add(b, num, (size_t)len);
		break;
	case json_type_double:
		/* json-c keeps the text given to json_object_new_double_s. */
		buf_addstr(b, json_object_to_json_string_ext(o,
		    JSON_C_TO_STRING_PLAIN));
		break;
	case json_type_string:
		emit_string(b, json_object_get_string(o),
		    (size_t)json_object_get_string_len(o));
		break;
	case json_type_object:
		buf_add(b, "{", 1);
		i = 0;
		json_object_object_foreach(o, key, val) {
			if (i++ != 0)
				buf_add(b, ",", 1);
			emit_string(b, key, strlen(key));
			buf_add(b, ":", 1);
			emit(b, val);
		}
		buf_add(b, "}", 1);
		break;
	case json_type_array:
		buf_add(b, "[", 1);
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			if (i != 0)
				buf_add(b, ",", 1);
			emit(b, json_object_array_get_idx(o, i));
		}
		buf_add(b, "]", 1);
		break;
	}
}

/*
 * Our own writer over json-c's tree: compact, '/' unescaped, and several
 * times cheaper than json-c's printbuf for the large list answers.
 */
char *
jrender(struct json_object *o, size_t *len)
{
	struct buf	b;

	buf_init(&b, JSON_RENDER_MAX);
	emit(&b, o);
	if (b.data == NULL) {
		fputs("ecrd: JSON answer over the render limit\n", stderr);
		abort();
	}
	return buf_take(&b, len);
}

/* Length of the UTF-8 sequence at s (strict: no overlongs, surrogates or
 * code points past U+10FFFF), or 0 if it is not valid. */
static size_t
utf8_len(const unsigned char *s, const unsigned char *end)
{
	size_t		n, i;
	uint32_t	cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if ((size_t)(end - s) < n)
		return 0;
	cp = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

static bool
is_nul_escape(const unsigned char *p, const unsigned char *end)
{
	return end - p >= 6 && p[1] == 'u' && p[2] == '0' && p[3] == '0' &&
	    p[4] == '0' && p[5] == '0';
}

int
jcheck_strict(const char *text, size_t len)
{
	const unsigned char	*p = (const unsigned char *)text;
	const unsigned char	*end = p + len;
	static const char *const words[] = { "true", "false", "null" };
	bool			 has_nul = false;
	size_t			 n, i;

	while (p < end) {
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p += n) {
				if (*p < 0x20)
					return JCHECK_BAD;
				if (*p == '\\') {
					has_nul |= is_nul_escape(p, end);
					n = p + 1 < end ? 2 : 1;
				} else if ((n = utf8_len(p, end)) == 0)
					return JCHECK_BAD;
			}
			if (p == end)
				return JCHECK_BAD;
			p++;
		} else if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
			/* Only the three JSON words: no NaN, Infinity or 'x'. */
			for (i = 0; i < 3; i++) {
				n = strlen(words[i]);
				if ((size_t)(end - p) >= n &&
				    memcmp(p, words[i], n) == 0)
					break;
			}
			if (i == 3)
				return JCHECK_BAD;
			p += n;
		} else if (strchr("{}[]:,-+.0123456789 \t\r\n", *p) != NULL &&
		    *p != '\0')
			p++;
		else
			return JCHECK_BAD;
	}
	return has_nul ? JCHECK_NUL : JCHECK_OK;
}
