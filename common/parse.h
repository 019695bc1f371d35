/* Strict number parsing (OpenBSD strtonum style). */
#ifndef ECRD_COMMON_PARSE_H
#define ECRD_COMMON_PARSE_H

#include <stdint.h>

/*
 * Parse a whole decimal string into [min, max]. Returns 0, or -1 with
 * *errstr set to a static "invalid", "too small" or "too large".
 */
int	parse_u64(const char *, uint64_t min, uint64_t max, uint64_t *out,
	    const char **errstr);

#endif
