/*
 * Lifecycle policies as the API runs them (docs/ecr-behaviour.md 3.6, 3.14): a
 * repository's images loaded for the engine in policy/lifecycle.h, the
 * preview of what it would do, and its actions applied through the paths
 * BatchDeleteImage and UpdateImageStorageClass take. Shared by the policy
 * and preview operations and by lifecycle runs (lifecycle_run.c).
 */
#ifndef ECRD_CORE_LIFECYCLE_H
#define ECRD_CORE_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core_int.h"
#include "policy/lifecycle.h"

struct store_repo;

/* Strings that live as long as their image set, in blocks. */
struct core_lifecycle_arena {
	char **blocks;
	size_t n_blocks;
	size_t used; /* bytes used of the last block */
	size_t cap;  /* its size */
};

/*
 * A repository's images as lifecycle_eval takes them (v), in digest
 * order, with each one's store status. The strings are owned by arena.
 */
struct core_lifecycle_images {
	uint64_t repo_id;
	struct lifecycle_image *v;
	uint8_t *status; /* store_image_status */
	size_t n;
	size_t size;
	struct core_lifecycle_arena arena;
};

void core_lifecycle_images_init(struct core_lifecycle_images *,
    uint64_t repo_id);
void core_lifecycle_images_release(struct core_lifecycle_images *);
/*
 * Load up to max more images of the repository, after the last one loaded,
 * reading through call->txn (so a long load can span several txns). An
 * image with a parent (a child of a manifest list or index) is marked
 * referenced, so the engine counts it but never acts on it (3.6 step 5).
 * Sets *is_done once no image is left. 0, or -1 with call->err set.
 */
int core_lifecycle_images_load(struct call *, struct core_lifecycle_images *,
    size_t max, bool *is_done);

/*
 * Parse and validate policy text as PutLifecyclePolicy and
 * StartLifecyclePolicyPreview do: 0 with *out (lifecycle_free it), or -1
 * with InvalidParameterException in ECR's words (3.6).
 */
int core_lifecycle_parse(struct call *, const char *text, size_t len,
    struct lifecycle_policy **out);
/* LifecyclePolicyNotFoundException for repo (2.4). */
int core_fail_no_lifecycle_policy(struct call *, const struct store_repo *repo);

/*
 * Write the preview document of the actions lifecycle_eval chose over
 * images, read back by GetLifecyclePolicyPreview: {"status":"COMPLETE",
 * "text" (verbatim), "expiring": n, "transitioning": n, "results":
 * [[digest, pushedAt ms, code, tag...], ...]} in action order (oldest
 * first), code being appliedRulePriority * 4, plus 2 for a transition,
 * plus 1 for an image in the archive class. Results that would take the
 * text past max bytes are left out (the counts still cover them).
 */
#define CORE_LIFECYCLE_TRANSITION 2
#define CORE_LIFECYCLE_ARCHIVED 1
void core_lifecycle_preview_write(struct jw *w, const char *text,
    const struct core_lifecycle_images *images,
    const struct lifecycle_action *acts, size_t n_acts, size_t max);

/* What applying actions did. */
struct core_lifecycle_counts {
	size_t n_expired;
	size_t n_transitioned;
	size_t n_skipped; /* changed or gone since they were loaded */
};

/*
 * Apply one action to its image in call->txn: expire deletes it through
 * core_image_delete, as BatchDeleteImage does (blobs are left for the GC);
 * transition archives it (3.14). An image that is gone, changed since it
 * was loaded, or now held by a manifest list is skipped. 0, or -1 with
 * call->err set.
 */
int core_lifecycle_apply(struct call *, const struct core_lifecycle_images *,
    const struct lifecycle_action *, struct core_lifecycle_counts *);

#endif
