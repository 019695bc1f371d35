/*
 * ECR's count quotas (docs/ecr-behaviour.md 4), one table of named values
 * that `--quota NAME=VALUE` lowers or raises, so that each quota's
 * LimitExceededException can be tried without making 100,000 of anything.
 * core_config.quotas holds the values; core_quota reads one.
 */
#ifndef ECRD_CORE_QUOTA_H
#define ECRD_CORE_QUOTA_H

#include <stdint.h>

struct core_ctx;

enum core_quota {
	CORE_QUOTA_REPOSITORIES, /* per registry and region */
	CORE_QUOTA_IMAGES,       /* per repository */
	CORE_QUOTA_TAGS,         /* per image */
	CORE_QUOTA_LAYER_PARTS,  /* per layer upload (UploadLayerPart) */
	CORE_QUOTA_LAYER_SIZE,   /* bytes per layer */
	CORE_QUOTA_PTC_RULES,    /* pull-through cache rules per registry */
	CORE_QUOTA_EXCLUSIONS,   /* pull-time update exclusions per registry */
	CORE_QUOTA_SCANS,        /* basic scans per registry per day */
	CORE_QUOTA_N
};

struct core_quota_def {
	const char *name; /* --quota's */
	uint64_t value;   /* ECR's default */
	uint64_t max;     /* what ecrd can hold (min is 1) */
	const char *what;
};
extern const struct core_quota_def core_quota_defs[CORE_QUOTA_N];

/* Fill v with the defaults. */
void core_quota_defaults(uint64_t v[CORE_QUOTA_N]);
/*
 * Set one value from "NAME=VALUE": 0, or -1 with *cause (the caller frees)
 * naming an unknown quota or a value out of range.
 */
int core_quota_parse(uint64_t v[CORE_QUOTA_N], const char *arg, char **cause);
/* The value of q in the context's configuration. */
uint64_t core_quota(const struct core_ctx *, enum core_quota q);

#endif
