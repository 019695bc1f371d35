/* Small string predicates shared by every module. */
#ifndef ECRD_COMMON_STR_H
#define ECRD_COMMON_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool str_has_prefix(const char *, const char *);
/* Case-insensitive comparison of a counted string with a C string. */
bool str_ieq_n(const char *, size_t, const char *);
/*
 * Whole-string wildcard match of counted strings: '*' matches any run
 * (also empty); with STR_WILD_ONE '?' matches one character (IAM), else it
 * is literal (ECR's tag patterns); everything else literally, ASCII case
 * folded with STR_WILD_ICASE.
 */
#define STR_WILD_ONE 0x01
#define STR_WILD_ICASE 0x02
bool str_wildcard_match_n(const char *pattern, size_t pattern_len,
    const char *s, size_t s_len, unsigned flags);
/* The same for C strings, with '?' a wildcard, case-sensitively. */
bool str_wildcard_match(const char *pattern, const char *s);
/* The value of a hex digit, or -1. */
int str_hex_value(int c);
/*
 * The value of name in a raw query string ("a=1&b=%2F"), percent-decoded
 * into dst: 0, -1 if absent, or -2 if longer than dst_size - 1 or holding
 * an encoded NUL ("%00") (dst emptied either way).
 */
int str_query_value(const char *query, const char *name, char *dst,
    size_t dst_size);
/* Decimal text of v into dst (at least 21 bytes, no NUL); its length. */
size_t str_i64(int64_t v, char *dst);
/* Copy with truncation check: 0, or -1 if src did not fit (dst emptied). */
int str_copy(char *dst, size_t dst_size, const char *src);

/*
 * FNV-1a over strings, each with its terminator (so "ab","c" and "a","bc"
 * differ): start from STR_HASH_INIT, add each string in turn. For in-memory
 * hash tables only, never for anything an attacker's collisions matter to.
 */
#define STR_HASH_INIT 2166136261u
uint32_t str_hash_add(uint32_t h, const char *s);

/*
 * RFC 3339 UTC of ms since the epoch: "2026-01-15T10:00:00Z"; with
 * is_fraction the milliseconds follow as a fraction without its trailing
 * zeros ("...:02.74Z"; none when whole). A negative ms is the epoch.
 */
#define STR_UTC_TIME_SIZE 32
void str_utc_time(char dst[STR_UTC_TIME_SIZE], int64_t ms, bool is_fraction);

/* Overwrite s with zeros (a secret), then free it; NULL is fine. */
void str_wipe_free(char *s);

#endif
