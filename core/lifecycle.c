/*
 * Lifecycle logic shared by the policy and preview operations and by runs:
 * load a repository's images for the pure engine (policy/lifecycle.h),
 * describe what it chose, or apply it through the image paths every other
 * operation uses (docs/ecr-behaviour.md 3.6, 3.14).
 */
#include "core/lifecycle.h"

#include <stdlib.h>
#include <string.h>

#include "core/image.h"
#include "common/xalloc.h"
#include "store/store.h"

#define ARENA_BLOCK (64 * 1024)

static void *
arena_alloc(struct core_lifecycle_arena *a, size_t size)
{
	char *p;
	size_t cap;

	size = (size + 7) & ~(size_t)7;
	if (a->n_blocks == 0 || a->cap - a->used < size) {
		cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;
		a->blocks = xreallocarray(a->blocks, a->n_blocks + 1,
		    sizeof *a->blocks);
		a->blocks[a->n_blocks++] = xmalloc(cap);
		a->used = 0;
		a->cap = cap;
	}
	p = a->blocks[a->n_blocks - 1] + a->used;
	a->used += size;
	return p;
}

static char *
arena_strdup(struct core_lifecycle_arena *a, const char *s)
{
	size_t len = strlen(s);
	char *p = arena_alloc(a, len + 1);

	memcpy(p, s, len + 1);
	return p;
}

void
core_lifecycle_images_init(struct core_lifecycle_images *set, uint64_t repo_id)
{
	memset(set, 0, sizeof *set);
	set->repo_id = repo_id;
}

void
core_lifecycle_images_release(struct core_lifecycle_images *set)
{
	size_t i;

	for (i = 0; i < set->arena.n_blocks; i++)
		free(set->arena.blocks[i]);
	free(set->arena.blocks);
	free(set->v);
	free(set->status);
	core_lifecycle_images_init(set, set->repo_id);
}

struct load {
	struct call *call;
	struct core_lifecycle_images *set;
	size_t n, max;
	bool is_stopped;
	int rc; /* a store error */
};

static void
grow(struct core_lifecycle_images *set)
{
	if (set->n < set->size)
		return;
	set->size = set->size == 0 ? 256 : set->size * 2;
	set->v = xreallocarray(set->v, set->size, sizeof *set->v);
	set->status =
	    xreallocarray(set->status, set->size, sizeof *set->status);
}

static int
load_one(const struct store_image *img, void *arg)
{
	struct load *ld = arg;
	struct core_lifecycle_images *set = ld->set;
	struct lifecycle_image *im;
	char **tags;
	bool has_parent;
	size_t i;

	if (ld->n == ld->max) {
		ld->is_stopped = true;
		return 1;
	}
	if ((ld->rc = store_image_has_parent(ld->call->txn, set->repo_id,
	         img->digest, &has_parent)) != 0)
		return ld->rc;
	grow(set);
	im = &set->v[set->n];
	memset(im, 0, sizeof *im);
	im->digest = arena_strdup(&set->arena, img->digest);
	tags = arena_alloc(&set->arena, img->n_tags * sizeof *tags);
	for (i = 0; i < img->n_tags; i++)
		tags[i] = arena_strdup(&set->arena, img->tags[i]);
	im->tags = (const char *const *)tags;
	im->n_tags = img->n_tags;
	im->pushed_at_ms = img->pushed_at_ms;
	im->last_pulled_at_ms = img->last_pulled_at_ms;
	im->last_activated_at_ms = img->activated_at_ms;
	im->archived_at_ms = img->archived_at_ms;
	im->is_archived = img->status == STORE_IMAGE_ARCHIVED;
	/* A restore in progress is left alone [unconfirmed] (3.14). */
	im->is_referenced = has_parent || img->status == STORE_IMAGE_ACTIVATING;
	set->status[set->n++] = img->status;
	ld->n++;
	return 0;
}

int
core_lifecycle_images_load(struct call *call, struct core_lifecycle_images *set,
    size_t max, bool *is_done)
{
	struct load ld;
	int rc;

	memset(&ld, 0, sizeof ld);
	ld.call = call;
	ld.set = set;
	ld.max = max;
	rc = store_image_foreach(call->txn, set->repo_id,
	    set->n == 0 ? NULL : set->v[set->n - 1].digest, load_one, &ld);
	if (rc < 0)
		return core_fail_store(call, rc);
	*is_done = !ld.is_stopped;
	return 0;
}

int
core_lifecycle_parse(struct call *call, const char *text, size_t len,
    struct lifecycle_policy **out)
{
	char *cause = NULL, *message;

	if (lifecycle_parse(text, len, out, &cause) == LIFECYCLE_OK)
		return 0;
	message = lifecycle_error_message(cause);
	free(cause);
	core_fail(call, ERR_INVALID_PARAMETER, "%s", message);
	free(message);
	return -1;
}

int
core_fail_no_lifecycle_policy(struct call *call, const struct store_repo *repo)
{
	return core_fail(call, ERR_LIFECYCLE_POLICY_NOT_FOUND,
	    "Lifecycle "
	    "policy does not exist for the repository with name '%s' in the "
	    "registry with id '%s'",
	    repo->name, repo->registry_id);
}

/* One result; false, with nothing written, if it would pass max bytes. */
static bool
result_write(struct jw *w, const struct lifecycle_image *im,
    const struct lifecycle_action *act, size_t max)
{
	size_t len = w->b.len, i;
	bool had_item = w->has_item[w->depth];

	jw_arr_open(w, NULL);
	jw_str(w, NULL, im->digest);
	jw_i64(w, NULL, im->pushed_at_ms);
	jw_i64(w, NULL,
	    (int64_t)act->rule_priority * 4 +
	        (act->type == LIFECYCLE_TRANSITION ? CORE_LIFECYCLE_TRANSITION
	                                           : 0) +
	        (im->is_archived ? CORE_LIFECYCLE_ARCHIVED : 0));
	for (i = 0; i < im->n_tags; i++)
		jw_str(w, NULL, im->tags[i]);
	jw_arr_close(w);
	if (w->b.len + 2 <= max)
		return true;
	w->b.len = len;
	w->b.data[len] = '\0';
	w->has_item[w->depth] = had_item;
	return false;
}

void
core_lifecycle_preview_write(struct jw *w, const char *text,
    const struct core_lifecycle_images *images,
    const struct lifecycle_action *acts, size_t n_acts, size_t max)
{
	size_t i, n_expiring = 0;

	for (i = 0; i < n_acts; i++)
		n_expiring += acts[i].type == LIFECYCLE_EXPIRE;
	jw_obj_open(w, NULL);
	jw_str(w, "status", "COMPLETE");
	jw_str(w, "text", text);
	jw_i64(w, "expiring", (int64_t)n_expiring);
	jw_i64(w, "transitioning", (int64_t)(n_acts - n_expiring));
	jw_arr_open(w, "results");
	/* ECR's limit, if any, is [unconfirmed]; ours is the store's. */
	for (i = 0; i < n_acts; i++) {
		if (!result_write(w, &images->v[acts[i].image], &acts[i], max))
			break;
	}
	jw_arr_close(w);
	jw_obj_close(w);
}

/* Whether img is still the image the engine judged (tags, class, pulls). */
static bool
is_unchanged(const struct store_image *img, const struct lifecycle_image *im,
    uint8_t status)
{
	size_t i;

	if (img->status != status || img->n_tags != im->n_tags ||
	    img->last_pulled_at_ms != im->last_pulled_at_ms ||
	    img->activated_at_ms != im->last_activated_at_ms ||
	    img->archived_at_ms != im->archived_at_ms)
		return false;
	for (i = 0; i < img->n_tags; i++) {
		if (strcmp(img->tags[i], im->tags[i]) != 0)
			return false;
	}
	return true;
}

static int
transition(struct call *call, struct store_image *img)
{
	bool has_parent;
	int rc;

	/* As UpdateImageStorageClass: a list's child is not archived alone. */
	if ((rc = store_image_has_parent(call->txn, img->repo_id, img->digest,
	         &has_parent)) != 0)
		return core_fail_store(call, rc);
	if (has_parent)
		return CORE_IMAGE_BUSY;
	img->status = STORE_IMAGE_ARCHIVED;
	img->archived_at_ms = call->now_ms;
	if ((rc = store_image_update(call->txn, img)) != 0)
		return core_fail_store(call, rc);
	return 0;
}

struct referrer_list {
	char **digests;
	size_t n;
};

static int
collect_referrer(const struct store_image *img, void *arg)
{
	struct referrer_list *l = arg;

	l->digests = xreallocarray(l->digests, l->n + 1, sizeof *l->digests);
	l->digests[l->n++] = xstrdup(img->digest);
	return 0;
}

/*
 * Reference artifacts (signatures, SBOMs) of an expired image go with it,
 * and theirs with them (docs/ecr-behaviour.md 3.6 step 5: "within 24 h"; ecrd
 * at once). 0, or -1 with call->err set.
 */
static int
expire_referrers(struct call *call, uint64_t repo_id, const char *subject)
{
	struct referrer_list l = {NULL, 0};
	struct store_image img;
	size_t i;
	int rc;

	if ((rc = store_referrer_foreach(call->txn, repo_id, subject,
	         collect_referrer, &l)) != 0)
		rc = core_fail_store(call, rc);
	for (i = 0; i < l.n; i++) {
		memset(&img, 0, sizeof img);
		if (rc == 0 && store_image_get(call->txn, repo_id, l.digests[i],
		                   &img) == 0) {
			if ((rc = core_image_delete(call, &img, NULL)) ==
			    CORE_IMAGE_BUSY)
				rc = 0;
			if (rc == 0)
				rc = expire_referrers(call, repo_id,
				    l.digests[i]);
		}
		store_image_release(&img);
		free(l.digests[i]);
	}
	free(l.digests);
	return rc;
}

int
core_lifecycle_apply(struct call *call, const struct core_lifecycle_images *set,
    const struct lifecycle_action *act, struct core_lifecycle_counts *counts)
{
	const struct lifecycle_image *im = &set->v[act->image];
	struct store_image img;
	int rc;

	memset(&img, 0, sizeof img);
	rc = store_image_get(call->txn, set->repo_id, im->digest, &img);
	if (rc == STORE_NOTFOUND) {
		counts->n_skipped++;
		return 0;
	}
	if (rc != 0)
		return core_fail_store(call, rc);
	if (!is_unchanged(&img, im, set->status[act->image]))
		rc = CORE_IMAGE_BUSY;
	else if (act->type == LIFECYCLE_EXPIRE) {
		rc = core_image_delete(call, &img, NULL);
		if (rc == 0)
			rc = expire_referrers(call, set->repo_id, img.digest);
	} else
		rc = transition(call, &img);
	store_image_release(&img);
	if (rc == CORE_IMAGE_BUSY)
		counts->n_skipped++;
	else if (rc == 0 && act->type == LIFECYCLE_EXPIRE)
		counts->n_expired++;
	else if (rc == 0)
		counts->n_transitioned++;
	return rc == CORE_IMAGE_BUSY ? 0 : rc;
}
