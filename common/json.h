/*
 * JSON for every layer (STYLE.md 6): the one strict parser in front of
 * json-c, builders that abort if json-c cannot allocate and add nothing for
 * a NULL value, a streaming writer, and the one renderer. Writers fail
 * sticky (common/buf.h): an answer over its cap renders as nothing, never
 * as truncated text.
 */
#ifndef ECRD_COMMON_JSON_H
#define ECRD_COMMON_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "common/buf.h"

struct json_object *jnew_obj(void);
struct json_object *jnew_arr(void);
/*
 * Add to an object; a NULL value adds nothing (obj takes owned_v). The key
 * must outlive the object (a string literal) and be new to it.
 */
void jadd_str(struct json_object *, const char *key, const char *);
void jadd_i64(struct json_object *, const char *key, int64_t);
void jadd_bool(struct json_object *, const char *key, bool);
/* Epoch seconds with a millisecond fraction, from milliseconds. */
void jadd_epoch(struct json_object *, const char *key, int64_t ms);
/* A number with one decimal, as written ("9.8"): a CVSS score. */
void jadd_tenths(struct json_object *, const char *key, double v);
void jadd_obj(struct json_object *, const char *key,
    struct json_object *owned_v);
/*
 * Read an object: the member key of o when it has that type, else NULL
 * (o NULL, no such member, another type); borrowed from o.
 */
struct json_object *jget(struct json_object *o, const char *key,
    enum json_type type);
/* The string member key of o, or NULL; borrowed from o. */
const char *jget_str(struct json_object *o, const char *key);
/* Append to an array. */
void jpush(struct json_object *arr, struct json_object *owned_v);
void jpush_str(struct json_object *arr, const char *);
/*
 * A streaming writer for large answers (list pages): JSON text goes straight
 * into a capped buffer, with no tree. Keys are NULL inside arrays. The
 * result is attached to a tree with jadd_jw, so one function can write an
 * element for both one-object answers and pages (api_repo_write). Past
 * its cap the writer fails sticky: buf_failed(&w->b), which jadd_jw and
 * jrender pass on.
 */
#define JW_DEPTH 16
struct jw {
	struct buf b;
	int depth;
	bool has_item[JW_DEPTH];
};
/* Start writing (a buffer capped at JSON_RENDER_MAX, or at max). */
void jw_init(struct jw *);
void jw_init_max(struct jw *, size_t max);
/*
 * Room for len more bytes at once (capped at the writer's cap): a hint for
 * a large answer, which is then not copied as it grows.
 */
void jw_reserve(struct jw *, size_t len);
void jw_obj_open(struct jw *, const char *key);
void jw_obj_close(struct jw *);
void jw_arr_open(struct jw *, const char *key);
void jw_arr_close(struct jw *);
/*
 * Keys are string literals that need no JSON escape. A NULL string writes
 * nothing, as jadd_str adds nothing; jw_strv writes the n parts joined as
 * one string.
 */
void jw_str(struct jw *, const char *key, const char *);
void jw_strv(struct jw *, const char *key, const char *const *parts, size_t n);
void jw_i64(struct jw *, const char *key, int64_t);
void jw_bool(struct jw *, const char *key, bool);
void jw_epoch(struct jw *, const char *key, int64_t ms);
/* A tree's text under key, rendered in place (NULL writes null). */
void jw_json(struct jw *, const char *key, struct json_object *);
/*
 * Add the one complete value w wrote under key; jrender copies its text
 * verbatim. The object takes the text and w is left empty. If w failed
 * (over its cap), what is added makes jrender fail.
 */
void jadd_jw(struct json_object *, const char *key, struct jw *w);
/* The largest answer we render; past it is our bug (answers are bounded). */
#define JSON_RENDER_MAX (256 * 1024 * 1024)

/*
 * Serialize compactly without escaping '/'; the caller frees the text.
 * NULL if the text would pass JSON_RENDER_MAX or o holds a failed jw: the
 * caller answers a ServerException, never part of the text.
 */
char *jrender(struct json_object *, size_t *len);
/* The same, with jwrite_string's flags for every string. */
char *jrender_ext(struct json_object *, int flags, size_t *len);

/*
 * Append s as a JSON string, quotes included. Each byte that does not
 * begin a valid UTF-8 sequence becomes U+FFFD. JESC_JACKSON escapes as
 * Jackson does (\b \t \n \f \r, upper-case hex); without it every control
 * character is \u00xx in lower case. Failure is the buffer's (sticky).
 */
#define JESC_JACKSON 0x1
void jwrite_string(struct buf *, const char *s, size_t len, int flags);

/*
 * Parse len bytes as strict RFC 8259 JSON: json-c's strict mode lets
 * through single quotes, NaN and Infinity, "1.", raw control characters
 * and overlong or surrogate UTF-8, so a scanner refuses those first. Any
 * value may be the top level; only whitespace may follow it.
 *
 * JPARSE_OK, or JPARSE_NUL (valid, but a string or key holds U+0000, which
 * no C string can carry), with *out set (put it when done); or JPARSE_BAD
 * with *out untouched and, if cause is not NULL, *cause set to "not valid
 * JSON at offset N" or "not valid JSON: <json-c's reason>" (caller frees).
 */
#define JPARSE_OK 0
#define JPARSE_BAD (-1)
#define JPARSE_NUL 1
int jparse_strict(const char *, size_t, struct json_object **out, char **cause);

#endif
