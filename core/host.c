/*
 * Registry host names that carry the account and region, as ECR's do
 * (ACCOUNT.dkr.ecr.REGION.amazonaws.com): a --public-endpoint template such
 * as "{account}.dkr.ecr.{region}.localhost:5080" is filled in for URIs and
 * matched against registry requests' Host headers (docs/hosts.md).
 */
#include "core/core_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/str.h"
#include "common/xalloc.h"

#define PH_ACCOUNT "{account}"
#define PH_REGION "{region}"
/* The longest region core_is_region takes. */
#define REGION_LEN_MAX 25

enum placeholder { PH_NONE, PH_IS_ACCOUNT, PH_IS_REGION };

/* The placeholder at s, its length in *len. */
static enum placeholder
placeholder_at(const char *s, size_t *len)
{
	if (str_has_prefix(s, PH_ACCOUNT)) {
		*len = strlen(PH_ACCOUNT);
		return PH_IS_ACCOUNT;
	}
	if (str_has_prefix(s, PH_REGION)) {
		*len = strlen(PH_REGION);
		return PH_IS_REGION;
	}
	return PH_NONE;
}

bool
core_host_is_template(const char *tmpl)
{
	return tmpl != NULL && strchr(tmpl, '{') != NULL;
}

/*
 * A placeholder stands once, in the host, and ends a label: what follows
 * it is '.', the port or the end, so matching knows where its value ends.
 */
int
core_host_template_check(const char *tmpl, char **cause)
{
	const char *colon = strchr(tmpl, ':');
	bool seen[3] = {false, false, false};
	enum placeholder ph;
	size_t i, len;
	char next;

	if (strstr(tmpl, "://") != NULL) {
		*cause = xasprintf("want HOST[:PORT] with no scheme");
		return -1;
	}
	for (i = 0; tmpl[i] != '\0'; i++) {
		if (tmpl[i] != '{' && tmpl[i] != '}')
			continue;
		if (tmpl[i] == '}' ||
		    (ph = placeholder_at(tmpl + i, &len)) == PH_NONE) {
			*cause = xasprintf("only {account} and {region} may "
			                   "stand in the host");
			return -1;
		}
		next = tmpl[i + len];
		if (seen[ph] || (colon != NULL && tmpl + i > colon) ||
		    (next != '.' && next != ':' && next != '\0')) {
			*cause = xasprintf("%.*s may stand once, in the host, "
			                   "before '.', ':' or the end",
			    (int)len, tmpl + i);
			return -1;
		}
		seen[ph] = true;
		i += len - 1;
	}
	return 0;
}

char *
core_host_expand(const char *tmpl, const char *account, const char *region)
{
	struct buf b;
	enum placeholder ph;
	size_t i, len;

	/* Each placeholder stands once: this always fits. */
	buf_init(&b, strlen(tmpl) + strlen(account) + strlen(region));
	for (i = 0; tmpl[i] != '\0'; i++) {
		if ((ph = placeholder_at(tmpl + i, &len)) != PH_NONE) {
			buf_addstr(&b, ph == PH_IS_ACCOUNT ? account : region);
			i += len - 1;
		} else
			buf_add(&b, tmpl + i, 1);
	}
	return buf_take(&b, NULL);
}

/*
 * How many bytes of s a placeholder takes: 12 digits for the account, a
 * region's characters (lower-case letters, digits, '-') for the region,
 * which the template's next literal, never one of those, ends.
 */
static size_t
match_value(enum placeholder ph, const char *s, size_t len)
{
	size_t n = 0;

	if (ph == PH_IS_ACCOUNT) {
		while (n < len && n < 12 && isdigit((unsigned char)s[n]))
			n++;
		return n == 12 ? n : 0;
	}
	while (n < len && n < REGION_LEN_MAX &&
	       (islower((unsigned char)s[n]) || isdigit((unsigned char)s[n]) ||
	           s[n] == '-'))
		n++;
	return n >= 2 ? n : 0;
}

bool
core_host_match(const char *tmpl, const char *host, char account[13],
    char region[CORE_HOST_REGION_SIZE])
{
	enum placeholder ph;
	size_t i = 0, at = 0, len, n, host_len, tmpl_len;
	char *dst;

	account[0] = region[0] = '\0';
	if (!core_host_is_template(tmpl) || host == NULL)
		return false;
	/* Host names alone: a proxy in front may change the port. */
	tmpl_len = strcspn(tmpl, ":");
	host_len = strcspn(host, ":");
	while (i < tmpl_len) {
		if ((ph = placeholder_at(tmpl + i, &len)) == PH_NONE) {
			if (at == host_len ||
			    tolower((unsigned char)tmpl[i]) !=
			        tolower((unsigned char)host[at]))
				return false;
			i++;
			at++;
			continue;
		}
		if ((n = match_value(ph, host + at, host_len - at)) == 0)
			return false;
		dst = ph == PH_IS_ACCOUNT ? account : region;
		memcpy(dst, host + at, n);
		dst[n] = '\0';
		at += n;
		i += len;
	}
	return at == host_len;
}
