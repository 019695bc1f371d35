/* Small string helpers; see str.h. */
#include "common/str.h"

#include <string.h>
#include <strings.h>

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

bool
str_wildcard_match(const char *p, const char *s)
{
	const char	*star = NULL, *resume = NULL;

	/* Greedy match with one backtrack point: linear in practice. */
	while (*s != '\0') {
		if (*p == '*') {
			star = p++;
			resume = s;
		} else if (*p == '?' || *p == *s) {
			p++;
			s++;
		} else if (star != NULL) {
			p = star + 1;
			s = ++resume;
		} else
			return false;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

int
str_copy(char *dst, size_t dst_size, const char *src)
{
	size_t	len = strlen(src);

	if (len >= dst_size) {
		if (dst_size != 0)
			dst[0] = '\0';
		return -1;
	}
	memcpy(dst, src, len + 1);
	return 0;
}
