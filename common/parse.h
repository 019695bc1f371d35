/* Strict parsing: numbers (OpenBSD strtonum style) and HOST[:PORT]. */
#ifndef ECRD_COMMON_PARSE_H
#define ECRD_COMMON_PARSE_H

#include <stdbool.h>
#include <stdint.h>

#define ENDPOINT_HOST_MAX 253 /* a DNS name's longest text form */

/*
 * Parse a whole decimal string into [min, max]. Returns 0, or -1 with
 * *errstr set to a static "invalid", "too small" or "too large".
 */
int parse_u64(const char *, uint64_t min, uint64_t max, uint64_t *out,
    const char **errstr);
/* The same for an optionally negative ("-5") decimal in [min, max]. */
int parse_i64(const char *, int64_t min, int64_t max, int64_t *out,
    const char **errstr);

/*
 * "HOST[:PORT]": HOST a DNS name or dotted IPv4 address, or an IPv6
 * address in brackets; PORT 0 to 65535. host is stored without brackets.
 */
struct endpoint {
	char host[ENDPOINT_HOST_MAX + 1];
	bool is_ipv6;
	int port; /* -1: none given */
};

/*
 * Parse text into ep. Returns 0, or -1 with *cause (to free) saying what
 * is wrong, without repeating text.
 */
int parse_endpoint(const char *text, struct endpoint *ep, char **cause);

#endif
