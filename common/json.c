/*
 * JSON over json-c for every layer: builders, the streaming writer and the
 * renderer, which share one string escaper, and the strict parser; see
 * json.h and STYLE.md 6.
 */
#include "common/json.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/buf.h"
#include "common/str.h"
#include "common/xalloc.h"

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
	        JSON_C_OBJECT_ADD_KEY_IS_NEW |
	            JSON_C_OBJECT_ADD_CONSTANT_KEY) != 0)
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

/*
 * Seconds with three decimals, never an exponent (docs/ecr-behaviour.md
 * 1.3), into dst (at least 32 bytes); returns the length. Times before
 * 1970 do not occur (every time is a creation, push or pull time).
 */
static size_t
epoch_text(int64_t ms, char *dst)
{
	size_t len;
	int frac;

	if (ms < 0)
		ms = 0;
	len = str_i64(ms / 1000, dst);
	frac = (int)(ms % 1000);
	dst[len++] = '.';
	dst[len++] = (char)('0' + frac / 100);
	dst[len++] = (char)('0' + frac / 10 % 10);
	dst[len++] = (char)('0' + frac % 10);
	dst[len] = '\0';
	return len;
}

void
jadd_epoch(struct json_object *o, const char *key, int64_t ms)
{
	char text[32];

	epoch_text(ms, text);
	jadd_obj(o, key,
	    must(json_object_new_double_s((double)ms / 1000.0, text)));
}

void
jadd_tenths(struct json_object *o, const char *key, double v)
{
	char text[32];

	snprintf(text, sizeof text, "%.1f", v);
	jadd_obj(o, key, must(json_object_new_double_s(v, text)));
}

struct json_object *
jget(struct json_object *o, const char *key, enum json_type type)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, type))
		return NULL;
	return v;
}

const char *
jget_str(struct json_object *o, const char *key)
{
	struct json_object *v = jget(o, key, json_type_string);

	return v == NULL ? NULL : json_object_get_string(v);
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

static size_t utf8_len(const unsigned char *, const unsigned char *);
static bool has_special(uint64_t);

/*
 * Bytes JSON strings must escape ('"', '\\' and the control characters),
 * and those past ASCII, which must be checked as UTF-8.
 */
static bool
needs_escape(unsigned char c)
{
	return c < 0x20 || c == '"' || c == '\\' || c >= 0x80;
}

/*
 * How many bytes at s need no escape, eight at a time: names, ARNs and
 * digests are all of it, and a list page writes thousands of them.
 */
static size_t
plain_len(const char *s, size_t len)
{
	uint64_t x;
	size_t i = 0;

	while (len - i >= sizeof x) {
		memcpy(&x, s + i, sizeof x);
		if (has_special(x))
			break;
		i += sizeof x;
	}
	while (i < len && !needs_escape((unsigned char)s[i]))
		i++;
	return i;
}

/*
 * The escape of c, a control character, '"' or '\\', into esc; returns its
 * length. Jackson (policies) has short forms for five control characters
 * and writes hex in upper case; answers use \u00xx for them all.
 */
static size_t
escape(unsigned char c, int flags, char esc[6])
{
	const char *hex =
	    (flags & JESC_JACKSON) ? "0123456789ABCDEF" : "0123456789abcdef";
	/* Pairs of a control character and its letter. */
	const char *jackson = strchr("\bb\tt\nn\ff\rr", c);

	esc[0] = '\\';
	if (c == '"' || c == '\\') {
		esc[1] = (char)c;
		return 2;
	}
	if ((flags & JESC_JACKSON) && c != '\0' && jackson != NULL) {
		esc[1] = jackson[1];
		return 2;
	}
	memcpy(esc + 1, "u00", 3);
	esc[4] = hex[c >> 4];
	esc[5] = hex[c & 0xf];
	return 6;
}

/*
 * Every answer must be valid UTF-8 JSON, and strings may echo raw request
 * bytes (headers, paths): each byte that does not begin a valid UTF-8
 * sequence becomes U+FFFD, as WHATWG's decoder does (issue 11, item 3).
 */
static void
emit_escaped(struct buf *b, const char *s, const char *end, int flags)
{
	const char *run = s;
	char esc[6];
	unsigned char c;
	size_t n;

	/* Copy runs that need no escape whole; '/' stays as it is. */
	for (; s < end; s++) {
		s += plain_len(s, (size_t)(end - s));
		if (s == end)
			break;
		c = (unsigned char)*s;
		if (c >= 0x80 && (n = utf8_len((const unsigned char *)s,
		                      (const unsigned char *)end)) != 0) {
			s += n - 1;
			continue;
		}
		buf_add(b, run, (size_t)(s - run));
		run = s + 1;
		if (c >= 0x80)
			buf_add(b, "\xef\xbf\xbd", 3);
		else
			buf_add(b, esc, escape(c, flags, esc));
	}
	buf_add(b, run, (size_t)(end - run));
}

/*
 * Most strings (names, ARNs, digests) need no escape: they go in with one
 * copy, quotes included, which is most of the cost of a large page.
 */
void
jwrite_string(struct buf *b, const char *s, size_t len, int flags)
{
	const char *end = s + len;
	char *dst;

	if (plain_len(s, len) == len) {
		if ((dst = buf_reserve(b, len + 2)) == NULL)
			return;
		dst[0] = '"';
		memcpy(dst + 1, s, len);
		dst[len + 1] = '"';
		buf_commit(b, len + 2);
		return;
	}
	buf_add(b, "\"", 1);
	emit_escaped(b, s, end, flags);
	buf_add(b, "\"", 1);
}

/*
 * The userdata of a string object that stands for ready-made JSON (jadd_jw):
 * the writer's text itself, taken over rather than copied into json-c, and
 * the mark of a writer that failed. No other userdata is ever set.
 */
struct jraw {
	char *text;
	size_t len;
};

static char failed_mark;

static void
jraw_free(struct json_object *o, void *userdata)
{
	struct jraw *r = userdata;

	(void)o;
	free(r->text);
	free(r);
}

void
jadd_jw(struct json_object *o, const char *key, struct jw *w)
{
	struct json_object *v = must(json_object_new_string(""));
	struct jraw *r;

	/*
	 * A failed writer (or one that wrote nothing, our bug) renders as
	 * nothing at all: jrender fails, and the answer is a 500.
	 */
	if (buf_failed(&w->b) || w->b.data == NULL) {
		json_object_set_userdata(v, &failed_mark, NULL);
		buf_release(&w->b);
	} else {
		r = xmalloc(sizeof *r);
		r->text = buf_take(&w->b, &r->len);
		json_object_set_userdata(v, r, jraw_free);
	}
	jadd_obj(o, key, v);
}

static void
emit(struct buf *b, struct json_object *o, int flags)
{
	struct jraw *raw;
	const char *text;
	char num[32];
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_null:
		buf_add(b, "null", 4);
		break;
	case json_type_boolean:
		buf_addstr(b, json_object_get_boolean(o) ? "true" : "false");
		break;
	case json_type_int:
		buf_add(b, num, str_i64(json_object_get_int64(o), num));
		break;
	case json_type_double:
		/*
		 * json_object_new_double_s keeps its text as the userdata
		 * (json-c documents it): written as is, without json-c's
		 * serializer and the print buffer it allocates.
		 */
		if ((text = json_object_get_userdata(o)) == NULL)
			text = json_object_to_json_string_ext(o,
			    JSON_C_TO_STRING_PLAIN);
		buf_addstr(b, text);
		break;
	case json_type_string:
		raw = json_object_get_userdata(o);
		if (raw == (void *)&failed_mark) {
			buf_fail(b);
			break;
		}
		if (raw != NULL) {
			buf_add(b, raw->text, raw->len);
			break;
		}
		jwrite_string(b, json_object_get_string(o),
		    (size_t)json_object_get_string_len(o), flags);
		break;
	case json_type_object:
		buf_add(b, "{", 1);
		i = 0;
		json_object_object_foreach(o, key, val)
		{
			if (i++ != 0)
				buf_add(b, ",", 1);
			jwrite_string(b, key, strlen(key), flags);
			buf_add(b, ":", 1);
			emit(b, val, flags);
		}
		buf_add(b, "}", 1);
		break;
	case json_type_array:
		buf_add(b, "[", 1);
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			if (i != 0)
				buf_add(b, ",", 1);
			emit(b, json_object_array_get_idx(o, i), flags);
		}
		buf_add(b, "]", 1);
		break;
	}
}

void
jw_init_max(struct jw *w, size_t max)
{
	buf_init(&w->b, max);
	w->depth = 0;
	w->has_item[0] = false;
}

void
jw_init(struct jw *w)
{
	jw_init_max(w, JSON_RENDER_MAX);
}

/*
 * Reserve room for the separator and key before a value, at the current
 * depth, and value_max bytes of the value; write the first two and return
 * where the value goes (NULL once the buffer has failed). jw_end counts
 * what was written. Keys are string literals that need no escape
 * (json.h), so they go in with one copy.
 */
static char *
jw_begin(struct jw *w, const char *key, size_t value_max)
{
	size_t klen = key != NULL ? strlen(key) : 0;
	size_t need = klen + 4 + value_max;
	char *dst;

	/* Room already there (a page reserved it): no call to make. */
	if (!w->b.is_failed && w->b.data != NULL &&
	    w->b.size - w->b.len > need && need <= w->b.max - w->b.len)
		dst = w->b.data + w->b.len;
	else if ((dst = buf_reserve(&w->b, need)) == NULL)
		return NULL;
	if (w->has_item[w->depth])
		*dst++ = ',';
	w->has_item[w->depth] = true;
	if (key != NULL) {
		*dst++ = '"';
		memcpy(dst, key, klen);
		dst += klen;
		*dst++ = '"';
		*dst++ = ':';
	}
	return dst;
}

/* buf_commit's work, for a pointer jw_begin returned. */
static void
jw_end(struct jw *w, char *end)
{
	w->b.len = (size_t)(end - w->b.data);
	*end = '\0';
}

/* A value of at most len bytes, which need no escape. */
static void
jw_raw(struct jw *w, const char *key, const char *v, size_t len)
{
	char *dst;

	if ((dst = jw_begin(w, key, len)) == NULL)
		return;
	memcpy(dst, v, len);
	jw_end(w, dst + len);
}

static void
jw_open(struct jw *w, const char *key, char bracket)
{
	jw_raw(w, key, &bracket, 1);
	if (w->depth + 1 >= JW_DEPTH) {
		fputs("ecrd: JSON writer nested too deep\n", stderr);
		abort();
	}
	w->has_item[++w->depth] = false;
}

void
jw_obj_open(struct jw *w, const char *key)
{
	jw_open(w, key, '{');
}

void
jw_arr_open(struct jw *w, const char *key)
{
	jw_open(w, key, '[');
}

static void
jw_close(struct jw *w, char bracket)
{
	char *dst;

	if (!w->b.is_failed && w->b.data != NULL && w->b.size - w->b.len > 1 &&
	    w->b.len < w->b.max) {
		dst = w->b.data + w->b.len;
		*dst++ = bracket;
		jw_end(w, dst);
	} else
		buf_add(&w->b, &bracket, 1);
	w->depth--;
}

void
jw_obj_close(struct jw *w)
{
	jw_close(w, '}');
}

void
jw_arr_close(struct jw *w)
{
	jw_close(w, ']');
}

void
jw_reserve(struct jw *w, size_t len)
{
	(void)buf_reserve(&w->b, len > w->b.max ? w->b.max : len);
}

void
jw_str(struct jw *w, const char *key, const char *v)
{
	size_t len;
	char *dst;

	if (v == NULL)
		return;
	len = strlen(v);
	if (plain_len(v, len) != len) {
		jw_strv(w, key, &v, 1);
		return;
	}
	if ((dst = jw_begin(w, key, len + 2)) == NULL)
		return;
	*dst++ = '"';
	memcpy(dst, v, len);
	dst += len;
	*dst++ = '"';
	jw_end(w, dst);
}

/* Parts joined by jw_strv at one reservation, when none needs escaping. */
#define JW_PARTS_MAX 16

void
jw_strv(struct jw *w, const char *key, const char *const *parts, size_t n)
{
	size_t len[JW_PARTS_MAX], total = 0, i;
	char *dst;

	for (i = 0; i < n && n <= JW_PARTS_MAX; i++) {
		len[i] = strlen(parts[i]);
		if (plain_len(parts[i], len[i]) != len[i])
			break;
		total += len[i];
	}
	if (i < n) {
		if ((dst = jw_begin(w, key, 1)) == NULL)
			return;
		*dst++ = '"';
		jw_end(w, dst);
		for (i = 0; i < n; i++)
			emit_escaped(&w->b, parts[i],
			    parts[i] + strlen(parts[i]), 0);
		buf_add(&w->b, "\"", 1);
		return;
	}
	if ((dst = jw_begin(w, key, total + 2)) == NULL)
		return;
	*dst++ = '"';
	for (i = 0; i < n; i++) {
		memcpy(dst, parts[i], len[i]);
		dst += len[i];
	}
	*dst++ = '"';
	jw_end(w, dst);
}

void
jw_i64(struct jw *w, const char *key, int64_t v)
{
	char *dst;

	if ((dst = jw_begin(w, key, 24)) != NULL)
		jw_end(w, dst + str_i64(v, dst));
}

void
jw_bool(struct jw *w, const char *key, bool v)
{
	jw_raw(w, key, v ? "true" : "false", v ? 4 : 5);
}

void
jw_epoch(struct jw *w, const char *key, int64_t ms)
{
	char *dst;

	if ((dst = jw_begin(w, key, 32)) != NULL)
		jw_end(w, dst + epoch_text(ms, dst));
}

void
jw_json(struct jw *w, const char *key, struct json_object *v)
{
	char *dst;

	if ((dst = jw_begin(w, key, 0)) == NULL)
		return;
	jw_end(w, dst);
	emit(&w->b, v, 0);
}

/*
 * Our own writer over json-c's tree: compact, '/' unescaped, and several
 * times cheaper than json-c's printbuf for the large list answers.
 */
char *
jrender_ext(struct json_object *o, int flags, size_t *len)
{
	struct buf b;

	buf_init(&b, JSON_RENDER_MAX);
	emit(&b, o, flags);
	return buf_take(&b, len);
}

char *
jrender(struct json_object *o, size_t *len)
{
	return jrender_ext(o, 0, len);
}

/* Length of the UTF-8 sequence at s (strict: no overlongs, surrogates or
 * code points past U+10FFFF), or 0 if it is not valid. */
static size_t
utf8_len(const unsigned char *s, const unsigned char *end)
{
	size_t n, i;
	uint32_t cp;

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

/* Bytes 0x80 and up, or below 0x20, or '"' or '\\', among eight. */
static bool
has_special(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');

	return ((x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) |
	            ((b - ones) & ~b)) &
	           high) != 0;
}

/*
 * Skip a run of plain printable ASCII inside a string, eight bytes at a
 * time, stopping before the last byte (the caller looks at it).
 */
static const unsigned char *
skip_plain(const unsigned char *p, const unsigned char *end)
{
	uint64_t x;

	while (end - p > 8) {
		memcpy(&x, p, sizeof x);
		if (has_special(x))
			break;
		p += 8;
	}
	while (end - p > 1 && *p >= 0x20 && *p < 0x80 && *p != '"' &&
	       *p != '\\')
		p++;
	return p;
}

/* Deeper than json-c's depth (32), which then refuses the text itself. */
#define SCAN_DEPTH_MAX 64

/*
 * An RFC 8259 syntax check: the grammar, strict UTF-8, and whether a
 * string holds an escaped U+0000. p is where it stopped.
 */
struct scan {
	const unsigned char *p;
	const unsigned char *end;
	bool has_nul;
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
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* The escape at s->p (a backslash): its length, or 0 if it is not one. */
static size_t
escape_len(struct scan *s)
{
	const unsigned char *p = s->p;
	int i;

	if (s->end - p < 2)
		return 0;
	if (p[1] != 'u')
		return strchr("\"\\/bfnrt", p[1]) != NULL && p[1] != '\0' ? 2
		                                                          : 0;
	for (i = 2; i < 6; i++) {
		if (s->end - p <= i || !is_hex(p[i]))
			return 0;
	}
	s->has_nul |= memcmp(p + 2, "0000", 4) == 0;
	return 6;
}

static bool
scan_string(struct scan *s)
{
	size_t n;

	if (s->p >= s->end || *s->p != '"')
		return false;
	for (s->p++; s->p < s->end; s->p += n) {
		/* Plain ASCII runs (base64 blobs) go fast. */
		s->p = skip_plain(s->p, s->end);
		if (*s->p == '"') {
			s->p++;
			return true;
		}
		if (*s->p < 0x20)
			return false;
		if (*s->p == '\\')
			n = escape_len(s);
		else
			n = utf8_len(s->p, s->end);
		if (n == 0)
			return false;
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

static int
parse_fail(char **cause, char *owned_msg)
{
	if (cause != NULL)
		*cause = owned_msg;
	else
		free(owned_msg);
	return JPARSE_BAD;
}

/* Valid text that is one empty object: "{}", a call without input. */
static bool
is_empty_object(const char *text, size_t len)
{
	struct scan s = {(const unsigned char *)text,
	    (const unsigned char *)text + len, false};

	scan_ws(&s);
	if (s.p == s.end || *s.p++ != '{')
		return false;
	scan_ws(&s);
	return s.p < s.end && *s.p == '}';
}

int
jparse_strict(const char *text, size_t len, struct json_object **out,
    char **cause)
{
	struct scan s;
	struct json_tokener *tok;
	struct json_object *o;
	enum json_tokener_error err;

	s.p = (const unsigned char *)text;
	s.end = s.p + len;
	s.has_nul = false;
	/* json-c takes an int length; every caller caps far below it. */
	if (len > INT_MAX || !scan_value(&s, 0) || (scan_ws(&s), s.p != s.end))
		return parse_fail(cause,
		    xasprintf("not valid JSON at offset "
		              "%zu",
		        (size_t)(s.p - (const unsigned char *)text)));
	/*
	 * No tokener for it: making one, and json-c's locale switches, cost
	 * more than the rest of a small call.
	 */
	if (is_empty_object(text, len)) {
		*out = jnew_obj();
		return JPARSE_OK;
	}
	if ((tok = json_tokener_new()) == NULL)
		abort();
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, text, (int)len);
	/* A bare number or word at the end needs an explicit end of input. */
	if (o == NULL && json_tokener_get_error(tok) == json_tokener_continue)
		o = json_tokener_parse_ex(tok, "", 1);
	err = json_tokener_get_error(tok);
	json_tokener_free(tok);
	if (err != json_tokener_success) {
		json_object_put(o);
		return parse_fail(cause, xasprintf("not valid JSON: %s",
		                             json_tokener_error_desc(err)));
	}
	*out = o;
	return s.has_nul ? JPARSE_NUL : JPARSE_OK;
}
