/* Small string predicates shared by every module. */
#ifndef ECRD_COMMON_STR_H
#define ECRD_COMMON_STR_H

#include <stdbool.h>
#include <stddef.h>

bool	str_has_prefix(const char *, const char *);
/* Case-insensitive comparison of a counted string with a C string. */
bool	str_ieq_n(const char *, size_t, const char *);
/*
 * Whole-string wildcard match: '*' matches any run (also empty), '?' one
 * character; everything else literally, case-sensitively.
 */
bool	str_wildcard_match(const char *pattern, const char *s);
/* Copy with truncation check: 0, or -1 if src did not fit (dst emptied). */
int	str_copy(char *dst, size_t dst_size, const char *src);

#endif
