/*
 * Repositories as both protocols see them: ARNs and URIs, and lookups by
 * name or ARN.
 */
#include "core/core_int.h"

#include <stdio.h>
#include <string.h>

#include "common/str.h"
#include "store/store.h"

const char *
api_partition(const char *region)
{
	if (str_has_prefix(region, "cn-"))
		return "aws-cn";
	if (str_has_prefix(region, "us-gov-"))
		return "aws-us-gov";
	return "aws";
}

void
api_repo_arn_parts(struct call *call, const char *registry_id, const char *name,
    const char *parts[API_ARN_PARTS])
{
	parts[0] = "arn:";
	parts[1] = api_partition(call->id.region);
	parts[2] = ":ecr:";
	parts[3] = call->id.region;
	parts[4] = ":";
	parts[5] = registry_id;
	parts[6] = ":repository/";
	parts[7] = name;
}

size_t
api_registry_host_parts(struct call *call, const char *registry_id,
    const char *parts[API_HOST_PARTS])
{
	const char	*region = call->id.region;

	if (call->ctx->cfg.public_endpoint != NULL) {
		parts[0] = call->ctx->cfg.public_endpoint;
		return 1;
	}
	parts[0] = registry_id;
	parts[1] = ".dkr.ecr.";
	parts[2] = region;
	parts[3] = ".amazonaws.com";
	parts[4] = str_has_prefix(region, "cn-") ? ".cn" : "";
	return 5;
}

static void
join(char *dst, size_t size, const char *const *parts, size_t n)
{
	size_t	i, len = 0, plen;

	for (i = 0; i < n && size != 0; i++) {
		plen = strlen(parts[i]);
		if (plen > size - 1 - len)
			plen = size - 1 - len;
		memcpy(dst + len, parts[i], plen);
		len += plen;
	}
	if (size != 0)
		dst[len] = '\0';
}

void
api_repo_arn(struct call *call, const char *registry_id, const char *name,
    char *dst, size_t size)
{
	const char	*parts[API_ARN_PARTS];

	api_repo_arn_parts(call, registry_id, name, parts);
	join(dst, size, parts, API_ARN_PARTS);
}

void
api_registry_host(struct call *call, const char *registry_id, char *dst,
    size_t size)
{
	const char	*parts[API_HOST_PARTS];

	join(dst, size, parts, api_registry_host_parts(call, registry_id, parts));
}

int
api_repo_get(struct call *call, const char *name, struct store_repo *out)
{
	int	rc;

	rc = store_repo_get(call->txn, call->registry_id, call->id.region, name,
	    out);
	if (rc == STORE_NOTFOUND)
		return api_fail_no_repo(call, name);
	if (rc != 0)
		return api_fail_store(call, rc);
	return 0;
}

/*
 * Only repository ARNs of the caller's registry name a taggable resource
 * (docs/ecr-behaviour.md 3.1, Tagging).
 */
int
api_repo_from_arn(struct call *call, const char *arn,
    struct store_repo *out)
{
	char		 want[API_ARN_MAX];
	const char	*name;

	snprintf(want, sizeof want, "arn:%s:ecr:%s:", api_partition(
	    call->id.region), call->id.region);
	if (!str_has_prefix(arn, want))
		return api_fail_param(call, "resourceArn", "Invalid ARN");
	arn += strlen(want);
	if (strlen(arn) < 13 || arn[12] != ':' ||
	    !str_has_prefix(arn + 13, "repository/"))
		return api_fail_param(call, "resourceArn", "Invalid ARN");
	name = arn + 13 + strlen("repository/");
	if (strncmp(arn, call->registry_id, 12) != 0)
		return api_fail(call, ERR_ACCESS_DENIED, "User: %s is not "
		    "authorized to perform: ecr:%s on resource: %s because no "
		    "resource-based policy allows the ecr:%s action",
		    call->id.principal_arn, call->op->name, arn,
		    call->op->name);
	if (*name == '\0' || strlen(name) > STORE_REPO_NAME_MAX)
		return api_fail_param(call, "resourceArn", "Invalid ARN");
	return api_repo_get(call, name, out);
}

