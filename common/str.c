/* Small string helpers; see str.h. */
#include "common/str.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

/*
 * Two digits a step: a list page writes a timestamp or two per element,
 * and every answer's head its length.
 */
size_t
str_i64(int64_t v, char *dst)
{
	static const char pairs[] =
	    "00010203040506070809101112131415161718192021222324252627282930"
	    "31323334353637383940414243444546474849505152535455565758596061"
	    "6263646566676869707172737475767778798081828384858687888990919293"
	    "949596979899";
	char tmp[24];
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	size_t n = sizeof tmp, len = 0;

	while (u >= 100) {
		n -= 2;
		memcpy(tmp + n, pairs + u % 100 * 2, 2);
		u /= 100;
	}
	if (u >= 10) {
		n -= 2;
		memcpy(tmp + n, pairs + u * 2, 2);
	} else
		tmp[--n] = (char)('0' + u);
	if (v < 0)
		dst[len++] = '-';
	memcpy(dst + len, tmp + n, sizeof tmp - n);
	return len + sizeof tmp - n;
}

bool
str_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool
str_ieq_n(const char *s, size_t len, const char *lit)
{
	return strlen(lit) == len && strncasecmp(s, lit, len) == 0;
}

static int
fold(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool
wild_char_matches(char p, char s, unsigned flags)
{
	return ((flags & STR_WILD_ONE) && p == '?') || p == s ||
	       ((flags & STR_WILD_ICASE) &&
	           fold((unsigned char)p) == fold((unsigned char)s));
}

bool
str_wildcard_match_n(const char *p, size_t p_len, const char *s, size_t s_len,
    unsigned flags)
{
	size_t pi = 0, si = 0, star = 0, resume = 0;
	bool has_star = false;

	/* Greedy match with one backtrack point: linear in practice. */
	while (si < s_len) {
		if (pi < p_len && p[pi] == '*') {
			has_star = true;
			star = pi++;
			resume = si;
		} else if (pi < p_len &&
		           wild_char_matches(p[pi], s[si], flags)) {
			pi++;
			si++;
		} else if (has_star) {
			pi = star + 1;
			si = ++resume;
		} else
			return false;
	}
	while (pi < p_len && p[pi] == '*')
		pi++;
	return pi == p_len;
}

bool
str_wildcard_match(const char *p, const char *s)
{
	return str_wildcard_match_n(p, strlen(p), s, strlen(s), STR_WILD_ONE);
}

int
str_copy(char *dst, size_t dst_size, const char *src)
{
	size_t len = strlen(src);

	if (len >= dst_size) {
		if (dst_size != 0)
			dst[0] = '\0';
		return -1;
	}
	memcpy(dst, src, len + 1);
	return 0;
}

int
str_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode len bytes at src into dst (size bytes with the NUL). */
static int
pct_decode(const char *src, size_t len, char *dst, size_t size)
{
	size_t i, n = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (n + 1 >= size) {
			dst[0] = '\0';
			return -1;
		}
		if (src[i] == '%' && i + 2 < len &&
		    (hi = str_hex_value((unsigned char)src[i + 1])) >= 0 &&
		    (lo = str_hex_value((unsigned char)src[i + 2])) >= 0) {
			/* A NUL would cut the C string short: refuse it. */
			if (hi == 0 && lo == 0) {
				dst[0] = '\0';
				return -1;
			}
			dst[n++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			dst[n++] = src[i];
	}
	dst[n] = '\0';
	return 0;
}

int
str_query_value(const char *query, const char *name, char *dst, size_t dst_size)
{
	size_t nlen = strlen(name), plen;
	const char *p = query, *end;

	if (dst_size == 0)
		return -1;
	dst[0] = '\0';
	while (p != NULL && *p != '\0') {
		end = strchr(p, '&');
		plen = end != NULL ? (size_t)(end - p) : strlen(p);
		if (plen > nlen && strncmp(p, name, nlen) == 0 &&
		    p[nlen] == '=')
			return pct_decode(p + nlen + 1, plen - nlen - 1, dst,
			           dst_size) == 0
			           ? 0
			           : -2;
		p = end != NULL ? end + 1 : NULL;
	}
	return -1;
}

void
str_wipe_free(char *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, strlen(s));
	free(s);
}

uint32_t
str_hash_add(uint32_t h, const char *s)
{
	do
		h = (h ^ (unsigned char)*s) * 16777619u;
	while (*s++ != '\0');
	return h;
}

void
str_utc_time(char dst[STR_UTC_TIME_SIZE], int64_t ms, bool is_fraction)
{
	time_t sec = (time_t)(ms / 1000);
	struct tm tm;
	char frac[8] = "";
	int n, ms_part = (int)(ms % 1000);

	if (ms < 0) {
		sec = 0;
		ms_part = 0;
	}
	gmtime_r(&sec, &tm);
	/* As ECR writes a restore's last-activated-at (integrations 1.3). */
	if (is_fraction && ms_part != 0) {
		n = snprintf(frac, sizeof frac, ".%03d", ms_part);
		while (n > 1 && frac[n - 1] == '0')
			frac[--n] = '\0';
	}
	n = (int)strftime(dst, STR_UTC_TIME_SIZE, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(dst + n, STR_UTC_TIME_SIZE - (size_t)n, "%sZ", frac);
}
