/*
 * The quota table (core/quota.h): ECR's figures from docs/ecr-behaviour.md
 * 4, the current quotas page's (older copies say 10,000 repositories and
 * 10,000 images). Each check keeps its own ECR message at its site.
 */
#include "core/core_int.h"

#include <stdio.h>
#include <string.h>

#include "common/parse.h"
#include "common/xalloc.h"
#include "core/quota.h"
#include "store/store.h"

const struct core_quota_def core_quota_defs[CORE_QUOTA_N] = {
    [CORE_QUOTA_REPOSITORIES] = {"repositories-per-region",
        CORE_REPOSITORIES_MAX, UINT32_MAX,
        "repositories per registry and region (CreateRepository)"},
    [CORE_QUOTA_IMAGES] = {"images-per-repository", 100000, UINT32_MAX,
        "images per repository (PutImage, manifest PUT)"},
    /* Not adjustable on ECR; the store's record holds at most this many. */
    [CORE_QUOTA_TAGS] = {"tags-per-image", STORE_IMAGE_TAGS_MAX,
        STORE_IMAGE_TAGS_MAX, "tags per image (PutImage, manifest PUT)"},
    [CORE_QUOTA_LAYER_PARTS] = {"layer-parts", 4200, UINT32_MAX,
        "parts per layer upload (UploadLayerPart)"},
    [CORE_QUOTA_LAYER_SIZE] = {"layer-size", CORE_LAYER_SIZE_MAX, INT64_MAX,
        "bytes per layer (UploadLayerPart, blob uploads)"},
    [CORE_QUOTA_PTC_RULES] = {"pull-through-rules", 50, UINT32_MAX,
        "pull-through cache rules per registry"},
    [CORE_QUOTA_EXCLUSIONS] = {"pull-time-update-exclusions", 100, UINT32_MAX,
        "pull-time update exclusions per registry"},
    [CORE_QUOTA_SCANS] = {"scans-per-day", 100000, UINT32_MAX,
        "basic scans per registry and day (StartImageScan, scan on push)"},
};

void
core_quota_defaults(uint64_t v[CORE_QUOTA_N])
{
	size_t i;

	for (i = 0; i < CORE_QUOTA_N; i++)
		v[i] = core_quota_defs[i].value;
}

int
core_quota_parse(uint64_t v[CORE_QUOTA_N], const char *arg, char **cause)
{
	const char *eq = strchr(arg, '='), *errstr;
	size_t i, len;

	len = eq != NULL ? (size_t)(eq - arg) : strlen(arg);
	for (i = 0; i < CORE_QUOTA_N; i++) {
		if (strlen(core_quota_defs[i].name) == len &&
		    strncmp(core_quota_defs[i].name, arg, len) == 0)
			break;
	}
	if (i == CORE_QUOTA_N) {
		*cause = xasprintf("unknown quota '%.*s' (ecrd --help and the "
		                   "README list them)",
		    (int)len, arg);
		return -1;
	}
	if (eq == NULL ||
	    parse_u64(eq + 1, 1, core_quota_defs[i].max, &v[i], &errstr) != 0) {
		*cause = xasprintf("quota %s: want NAME=VALUE with VALUE a "
		                   "whole number from 1 to %llu",
		    core_quota_defs[i].name,
		    (unsigned long long)core_quota_defs[i].max);
		return -1;
	}
	return 0;
}

uint64_t
core_quota(const struct core_ctx *ctx, enum core_quota q)
{
	return ctx->cfg.quotas[q];
}
