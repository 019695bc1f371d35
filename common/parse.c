/*
 * Strict parsing for flags, headers and query strings: decimal numbers and
 * HOST[:PORT] endpoints.
 */
#include "common/parse.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out,
    const char **errstr)
{
	unsigned long long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9') {
		*errstr = "invalid";
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		*errstr = "invalid";
		return -1;
	}
	if (errno == ERANGE || v > max) {
		*errstr = "too large";
		return -1;
	}
	if (v < min) {
		*errstr = "too small";
		return -1;
	}
	*out = v;
	return 0;
}

/*
 * A host name as an image reference may spell it (the distribution
 * reference grammar's domain: dot-separated labels of letters, digits and
 * inner hyphens), so repositoryUri stays a name clients can pull.
 */
static bool
is_host_name(const char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0 || len > ENDPOINT_HOST_MAX)
		return false;
	for (i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
		} else if (isalnum((unsigned char)s[i]) ||
		           (s[i] == '-' && label != 0))
			label++;
		else
			return false;
	}
	return true;
}

static int
endpoint_port(const char *text, struct endpoint *ep, char **cause)
{
	const char *errstr;
	uint64_t port;

	if (parse_u64(text, 0, 65535, &port, &errstr) != 0) {
		*cause =
		    strcmp(errstr, "too large") == 0
		        ? xasprintf("port %s is out of range (0-65535)", text)
		        : xasprintf("port '%s' is not a number", text);
		return -1;
	}
	ep->port = (int)port;
	return 0;
}

int
parse_endpoint(const char *text, struct endpoint *ep, char **cause)
{
	struct in6_addr a6;
	struct in_addr a4;
	const char *host = text, *rest;
	size_t len;

	memset(ep, 0, sizeof *ep);
	ep->port = -1;
	if (strstr(text, "://") != NULL) {
		*cause = xasprintf("want HOST[:PORT] with no scheme (ecrd "
		                   "writes http:// or https:// itself)");
		return -1;
	}
	if (*text == '[') {
		host++;
		if ((rest = strchr(host, ']')) == NULL) {
			*cause =
			    xasprintf("missing ']' after the IPv6 address");
			return -1;
		}
		len = (size_t)(rest++ - host);
		ep->is_ipv6 = true;
	} else {
		rest = host + strcspn(host, ":");
		len = (size_t)(rest - host);
		if (strchr(rest + (*rest != '\0'), ':') != NULL) {
			*cause = xasprintf("an IPv6 address needs brackets "
			                   "([ADDRESS]:PORT)");
			return -1;
		}
	}
	if (*rest != '\0' && *rest != ':') {
		*cause = xasprintf("want ':' and a port after the host");
		return -1;
	}
	if (*rest == ':' && endpoint_port(rest + 1, ep, cause) != 0)
		return -1;
	if (len == 0) {
		*cause = xasprintf("no host");
		return -1;
	}
	if (len >= sizeof ep->host) {
		*cause = xasprintf("not a host name (too long)");
		return -1;
	}
	memcpy(ep->host, host, len);
	ep->host[len] = '\0';
	if (ep->is_ipv6 && inet_pton(AF_INET6, ep->host, &a6) != 1) {
		*cause = xasprintf("'%s' is not an IPv6 address", ep->host);
		return -1;
	}
	if (!ep->is_ipv6 && strspn(ep->host, "0123456789.") == len &&
	    inet_pton(AF_INET, ep->host, &a4) != 1) {
		*cause = xasprintf("'%s' is not an IPv4 address", ep->host);
		return -1;
	}
	if (!ep->is_ipv6 && !is_host_name(ep->host, len)) {
		*cause = xasprintf("'%s' is not a host name", ep->host);
		return -1;
	}
	return 0;
}

int
parse_i64(const char *s, int64_t min, int64_t max, int64_t *out,
    const char **errstr)
{
	uint64_t mag;
	int64_t v;
	bool is_neg = s != NULL && *s == '-';

	/* The magnitude is bounded first, so the sign never overflows. */
	if (parse_u64(is_neg ? s + 1 : s, 0,
	        is_neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX, &mag,
	        errstr) != 0) {
		if (is_neg && strcmp(*errstr, "too large") == 0)
			*errstr = "too small";
		return -1;
	}
	v = is_neg && mag != 0 ? -(int64_t)(mag - 1) - 1 : (int64_t)mag;
	if (v < min) {
		*errstr = "too small";
		return -1;
	}
	if (v > max) {
		*errstr = "too large";
		return -1;
	}
	*out = v;
	return 0;
}
