/*
 * The only way ecrd builds JSON (STYLE.md 6): helpers that abort if json-c
 * cannot allocate and add nothing for a NULL value.
 */
#ifndef ECRD_API_JSON_H
#define ECRD_API_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

struct json_object;

struct json_object *jnew_obj(void);
struct json_object *jnew_arr(void);
/*
 * Add to an object; a NULL value adds nothing (obj takes owned_v). The key
 * must outlive the object (a string literal) and be new to it.
 */
void	jadd_str(struct json_object *, const char *key, const char *);
void	jadd_i64(struct json_object *, const char *key, int64_t);
void	jadd_bool(struct json_object *, const char *key, bool);
/* Epoch seconds with a millisecond fraction, from milliseconds. */
void	jadd_epoch(struct json_object *, const char *key, int64_t ms);
void	jadd_obj(struct json_object *, const char *key,
	    struct json_object *owned_v);
/* Append to an array. */
void	jpush(struct json_object *arr, struct json_object *owned_v);
void	jpush_str(struct json_object *arr, const char *);
/*
 * A streaming writer for large answers (list pages): JSON text goes straight
 * into a capped buffer, with no tree. Keys are NULL inside arrays. The
 * result is attached to a tree with jadd_raw, so one function can write an
 * element for both one-object answers and pages (api_repo_write).
 */
#define JW_DEPTH	16
struct jw {
	struct buf	 b;
	int		 depth;
	bool		 has_item[JW_DEPTH];
};
/* Start writing (a buffer capped at JSON_RENDER_MAX). */
void	jw_init(struct jw *);
void	jw_obj_open(struct jw *, const char *key);
void	jw_obj_close(struct jw *);
void	jw_arr_open(struct jw *, const char *key);
void	jw_arr_close(struct jw *);
/*
 * Keys are string literals that need no JSON escape. A NULL string writes
 * nothing, as jadd_str adds nothing; jw_strv writes the n parts joined as
 * one string.
 */
void	jw_str(struct jw *, const char *key, const char *);
void	jw_strv(struct jw *, const char *key, const char *const *parts,
	    size_t n);
void	jw_i64(struct jw *, const char *key, int64_t);
void	jw_bool(struct jw *, const char *key, bool);
void	jw_epoch(struct jw *, const char *key, int64_t ms);
/*
 * Add the one complete value w wrote under key; jrender copies its text
 * verbatim. The object takes the text and w is left empty.
 */
void	jadd_jw(struct json_object *, const char *key, struct jw *w);
/* The largest answer we render; past it is our bug (answers are bounded). */
#define JSON_RENDER_MAX	(256 * 1024 * 1024)

/* Serialize compactly without escaping '/'; the caller frees the text. */
char	*jrender(struct json_object *, size_t *len);

/*
 * What json-c's strict mode lets through and JSON does not: overlong or
 * surrogate UTF-8, single quotes, NaN/Infinity, raw control characters in
 * strings. JCHECK_NUL: valid, but a string holds U+0000, which no ECR member
 * can carry through C strings.
 */
#define JCHECK_OK	0
#define JCHECK_BAD	(-1)
#define JCHECK_NUL	(-2)
int	jcheck_strict(const char *, size_t);

#endif
