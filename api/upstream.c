/*
 * The upstream registries pull-through cache rules may name, and their URLs
 * (docs/ecr-behaviour.md 3.9): for the rule operations now, and for the
 * upstream client when it comes.
 */
#include "api/api_int.h"

#include <ctype.h>
#include <string.h>

#include "common/str.h"

/* ECR's upstreams and their URLs (3.9). */
static const struct api_upstream upstreams[] = {
    {"ecr-public", "public.ecr.aws", API_UPSTREAM_EXACT, false},
    {"quay", "quay.io", API_UPSTREAM_EXACT, false},
    {"k8s", "registry.k8s.io", API_UPSTREAM_EXACT, false},
    {"docker-hub", "registry-1.docker.io", API_UPSTREAM_EXACT, true},
    {"github-container-registry", "ghcr.io", API_UPSTREAM_EXACT, true},
    {"gitlab-container-registry", "registry.gitlab.com", API_UPSTREAM_EXACT,
        true},
    /* [unconfirmed] host: Chainguard's registry. */
    {"chainguard", "cgr.dev", API_UPSTREAM_EXACT, true},
    {"azure-container-registry", ".azurecr.io", API_UPSTREAM_AZURE, true},
    {"ecr", ".amazonaws.com", API_UPSTREAM_ECR, false},
};

static bool
is_label(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!islower((unsigned char)s[i]) &&
		    !isdigit((unsigned char)s[i]) && s[i] != '-')
			return false;
	}
	return len != 0;
}

/* <12 digits>.dkr.ecr.<region>.amazonaws.com, or .com.cn. */
static bool
is_ecr_host(const char *url)
{
	const char *region, *end;
	size_t i;

	for (i = 0; i < 12; i++) {
		if (!isdigit((unsigned char)url[i]))
			return false;
	}
	if (!str_has_prefix(url + 12, ".dkr.ecr."))
		return false;
	region = url + 12 + strlen(".dkr.ecr.");
	if ((end = strchr(region, '.')) == NULL ||
	    !is_label(region, (size_t)(end - region)))
		return false;
	return strcmp(end, ".amazonaws.com") == 0 ||
	       strcmp(end, ".amazonaws.com.cn") == 0;
}

const struct api_upstream *
api_upstream_of(const char *url)
{
	const struct api_upstream *u;
	size_t i, len = strlen(url), hlen;

	for (i = 0; i < sizeof upstreams / sizeof upstreams[0]; i++) {
		u = &upstreams[i];
		hlen = strlen(u->host);
		if (u->kind == API_UPSTREAM_EXACT && strcmp(url, u->host) == 0)
			return u;
		if (u->kind == API_UPSTREAM_AZURE && len > hlen &&
		    strcmp(url + len - hlen, u->host) == 0 &&
		    is_label(url, len - hlen))
			return u;
		if (u->kind == API_UPSTREAM_ECR && is_ecr_host(url))
			return u;
	}
	return NULL;
}

const struct api_upstream *
api_upstream_named(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof upstreams / sizeof upstreams[0]; i++) {
		if (strcmp(upstreams[i].name, name) == 0)
			return &upstreams[i];
	}
	return NULL;
}
