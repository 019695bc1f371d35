/*
 * The only way ecrd builds JSON (STYLE.md 6): helpers that abort if json-c
 * cannot allocate and add nothing for a NULL value.
 */
#ifndef ECRD_API_JSON_H
#define ECRD_API_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
