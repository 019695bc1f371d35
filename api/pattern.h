/*
 * The model's regexes, compiled once with PCRE2 and matched as Java's
 * String.matches does: the whole value or nothing.
 */
#ifndef ECRD_API_PATTERN_H
#define ECRD_API_PATTERN_H

#include <stdbool.h>
#include <stddef.h>

struct pattern;
struct matcher;

/*
 * Compile a pattern as the model writes it (Java syntax), JIT-compiled
 * where the platform allows. The pattern or NULL with *cause (the caller
 * frees it). A compiled pattern is read-only: threads may share it.
 */
struct pattern *pattern_new(const char *java, char **cause);
/* Free a pattern; NULL does nothing. */
void pattern_free(struct pattern *);

/*
 * The scratch memory of matching, reused by every match: one per thread.
 * Never NULL.
 */
struct matcher *matcher_new(void);
/* Free a matcher; NULL does nothing. */
void matcher_free(struct matcher *);

/*
 * Whether p matches all of s (len bytes, NULs included). A match that runs
 * past the matcher's step limit (patterns such as (?:a?a+)* backtrack
 * exponentially on some mismatches) counts as a mismatch.
 */
bool pattern_matches(const struct pattern *p, struct matcher *, const char *s,
    size_t len);

#endif
