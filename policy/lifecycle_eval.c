/*
 * Evaluate a lifecycle policy over a repository's images: which images each
 * rule expires or archives, following ECR's algorithm and its worked
 * examples (docs/ecr-behaviour.md 3.6).
 */
#include "policy/lifecycle.h"

#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/xalloc.h"

/* An image's place in age order. */
struct aged {
	int64_t at; /* lifecycle_image_pushed_at */
	const char *digest;
	size_t index;
};

/* Oldest first: push time, then digest, then index (a total order). */
static int
cmp_aged(const void *a, const void *b)
{
	const struct aged *x = a, *y = b;
	int c;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	if ((c = strcmp(x->digest, y->digest)) != 0)
		return c;
	return (x->index > y->index) - (x->index < y->index);
}

enum lifecycle_storage_class
lifecycle_image_class(const struct lifecycle_image *image)
{
	return image->is_archived ? LIFECYCLE_ARCHIVE : LIFECYCLE_STANDARD;
}

int64_t
lifecycle_image_pushed_at(const struct lifecycle_image *image)
{
	if (image->last_activated_at_ms > image->pushed_at_ms)
		return image->last_activated_at_ms;
	return image->pushed_at_ms;
}

static bool
has_tag_with_prefix(const struct lifecycle_image *image, const char *prefix)
{
	size_t i, len = strlen(prefix);

	for (i = 0; i < image->n_tags; i++) {
		if (strncmp(image->tags[i], prefix, len) == 0)
			return true;
	}
	return false;
}

static bool
has_tag_matching(const struct lifecycle_image *image, const char *pattern)
{
	size_t i;

	for (i = 0; i < image->n_tags; i++) {
		/* ECR's tag patterns know '*' alone: '?' is literal. */
		if (str_wildcard_match_n(pattern, strlen(pattern),
		        image->tags[i], strlen(image->tags[i]), 0))
			return true;
	}
	return false;
}

bool
lifecycle_rule_matches(const struct lifecycle_rule *rule,
    const struct lifecycle_image *image)
{
	size_t i;

	switch (rule->tag_status) {
	case LIFECYCLE_ANY:
		return true;
	case LIFECYCLE_UNTAGGED:
		return image->n_tags == 0;
	case LIFECYCLE_TAGGED:
		break;
	}
	if (rule->is_unmatchable || image->n_tags == 0)
		return false;
	/* Every entry of the list must be matched by some tag (3.6). */
	for (i = 0; i < rule->n_tag_prefixes; i++) {
		if (!has_tag_with_prefix(image, rule->tag_prefixes[i]))
			return false;
	}
	for (i = 0; i < rule->n_tag_patterns; i++) {
		if (!has_tag_matching(image, rule->tag_patterns[i]))
			return false;
	}
	return true;
}

/* Whether at is more than days before now, without overflow. */
static bool
is_older(int64_t at, int64_t now, int days)
{
	uint64_t limit =
	    (uint64_t)(days < 0 ? 0 : days) * (uint64_t)LIFECYCLE_DAY_MS;

	if (at >= now)
		return false;
	return (uint64_t)now - (uint64_t)at > limit;
}

/* Last pull; never pulled, the push; restored and not pulled since, that. */
static int64_t
pulled_at(const struct lifecycle_image *image)
{
	int64_t at = image->last_pulled_at_ms;

	if (at == 0)
		at = image->pushed_at_ms;
	if (image->last_activated_at_ms > at)
		at = image->last_activated_at_ms;
	return at;
}

/* rank: the image's place (1 = newest) among all the rule matched. */
static bool
is_selected(const struct lifecycle_rule *r, const struct lifecycle_image *im,
    size_t rank, int64_t now)
{
	switch (r->count_type) {
	case LIFECYCLE_IMAGE_COUNT_MORE_THAN:
		return r->count_number < 0 || rank > (size_t)r->count_number;
	case LIFECYCLE_SINCE_IMAGE_PUSHED:
		return is_older(lifecycle_image_pushed_at(im), now,
		    r->count_number);
	case LIFECYCLE_SINCE_IMAGE_PULLED:
		return is_older(pulled_at(im), now, r->count_number);
	case LIFECYCLE_SINCE_IMAGE_TRANSITIONED:
		return im->is_archived &&
		       is_older(im->archived_at_ms, now, r->count_number);
	}
	return false;
}

/*
 * One pass per rule over the images newest first: count what the rule
 * matches, and let it act on what no earlier rule matched. acting[i] is
 * the acting rule's index + 1, or 0.
 */
static size_t
apply_rules(const struct lifecycle_policy *policy,
    const struct lifecycle_image *images, const struct aged *order,
    size_t n_images, int64_t now, bool *is_claimed, size_t *acting)
{
	const struct lifecycle_rule *r;
	const struct lifecycle_image *im;
	size_t i, j, k, rank, n = 0;

	for (j = 0; j < policy->n_rules; j++) {
		r = &policy->rules[j];
		rank = 0;
		for (k = n_images; k-- > 0;) {
			i = order[k].index;
			im = &images[i];
			if (lifecycle_image_class(im) != r->storage_class ||
			    !lifecycle_rule_matches(r, im))
				continue;
			rank++;
			if (is_claimed[i])
				continue;
			is_claimed[i] = true;
			if (!im->is_referenced &&
			    is_selected(r, im, rank, now)) {
				acting[i] = j + 1;
				n++;
			}
		}
	}
	return n;
}

int
lifecycle_eval(const struct lifecycle_policy *policy,
    const struct lifecycle_image *images, size_t n_images, int64_t now_ms,
    struct lifecycle_action **out, size_t *n_out)
{
	struct lifecycle_action *acts = NULL;
	const struct lifecycle_rule *r;
	struct aged *order;
	bool *is_claimed;
	size_t *acting, i, k, n;

	order = xcalloc(n_images, sizeof *order);
	for (i = 0; i < n_images; i++) {
		order[i].at = lifecycle_image_pushed_at(&images[i]);
		order[i].digest =
		    images[i].digest != NULL ? images[i].digest : "";
		order[i].index = i;
	}
	qsort(order, n_images, sizeof *order, cmp_aged);
	is_claimed = xcalloc(n_images, sizeof *is_claimed);
	acting = xcalloc(n_images, sizeof *acting);

	n = apply_rules(policy, images, order, n_images, now_ms, is_claimed,
	    acting);
	if (n > 0)
		acts = xcalloc(n, sizeof *acts);
	n = 0;
	for (k = 0; k < n_images; k++) {
		i = order[k].index;
		if (acting[i] == 0)
			continue;
		r = &policy->rules[acting[i] - 1];
		acts[n].image = i;
		acts[n].rule = acting[i] - 1;
		acts[n].rule_priority = r->rule_priority;
		acts[n++].type = r->action;
	}
	free(acting);
	free(is_claimed);
	free(order);
	*out = acts;
	*n_out = n;
	return LIFECYCLE_OK;
}
