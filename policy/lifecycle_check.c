/*
 * The semantic rules of a lifecycle policy, which ECR checks after its JSON
 * schema (docs/ecr-behaviour.md 3.6, 3.14). ECR's wording for all of them is
 * [unconfirmed]: the details are plain English after ECR's prefix.
 */
#include "policy/lifecycle.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

#define M_NEEDS_LIST "tagStatus tagged requires tagPrefixList or tagPatternList"
#define M_BOTH_LISTS "tagPrefixList and tagPatternList cannot both be specified"
#define M_NOT_TAGGED                                                           \
	"tagPrefixList and tagPatternList are allowed only with tagStatus "    \
	"tagged"
#define M_EMPTY_PATTERNS "tagPatternList must not be empty"
#define M_EMPTY_PREFIXES "tagPrefixList must not be empty"
#define M_TRANSITION "a transition rule can select only storageClass standard"
#define M_PULLED                                                               \
	"countType sinceImagePulled is allowed only with action type "         \
	"transition"
#define M_TRANSITIONED                                                         \
	"countType sinceImageTransitioned requires storageClass archive"
#define M_ARCHIVE_DAYS                                                         \
	"countType sinceImageTransitioned requires a countNumber of at least " \
	"90"
#define M_ARCHIVE                                                              \
	"storageClass archive is allowed only with countType "                 \
	"sinceImageTransitioned"
#define M_PRIORITY "rulePriority must be unique across rules"
#define M_ANY_LAST                                                             \
	"a rule with tagStatus any must have the highest rulePriority"

static int
fail_rule(const struct lifecycle_rule *r, const char *what, char **cause)
{
	*cause = xasprintf("rulePriority %d: %s", r->rule_priority, what);
	return -1;
}

static size_t
count_stars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == '*';
	return n;
}

static int
check_lists(const struct lifecycle_rule *r, char **cause)
{
	bool has_patterns = r->tag_patterns != NULL;
	bool has_prefixes = r->tag_prefixes != NULL;
	size_t i;

	if (r->tag_status == LIFECYCLE_TAGGED) {
		if (!has_patterns && !has_prefixes)
			return fail_rule(r, M_NEEDS_LIST, cause);
		if (has_patterns && has_prefixes)
			return fail_rule(r, M_BOTH_LISTS, cause);
	} else if (has_patterns || has_prefixes)
		return fail_rule(r, M_NOT_TAGGED, cause);
	/* Whether ECR refuses an empty list is [unconfirmed]. */
	if (has_patterns && r->n_tag_patterns == 0)
		return fail_rule(r, M_EMPTY_PATTERNS, cause);
	if (has_prefixes && r->n_tag_prefixes == 0)
		return fail_rule(r, M_EMPTY_PREFIXES, cause);
	for (i = 0; i < r->n_tag_patterns; i++) {
		if (count_stars(r->tag_patterns[i]) <= LIFECYCLE_WILDCARDS_MAX)
			continue;
		*cause = xasprintf("rulePriority %d: tagPatternList entry %s "
		                   "has more than %d wildcards (*)",
		    r->rule_priority, r->tag_patterns[i],
		    LIFECYCLE_WILDCARDS_MAX);
		return -1;
	}
	return 0;
}

/* Count types, storage classes and actions that go together. */
static int
check_selection(const struct lifecycle_rule *r, char **cause)
{
	if (r->action == LIFECYCLE_TRANSITION &&
	    r->storage_class == LIFECYCLE_ARCHIVE)
		return fail_rule(r, M_TRANSITION, cause);
	if (r->count_type == LIFECYCLE_SINCE_IMAGE_PULLED &&
	    r->action != LIFECYCLE_TRANSITION)
		return fail_rule(r, M_PULLED, cause);
	if (r->count_type == LIFECYCLE_SINCE_IMAGE_TRANSITIONED) {
		/* Archived images stay at least 90 days (3.14). */
		if (r->storage_class != LIFECYCLE_ARCHIVE)
			return fail_rule(r, M_TRANSITIONED, cause);
		if (r->count_number < LIFECYCLE_ARCHIVE_MIN_DAYS)
			return fail_rule(r, M_ARCHIVE_DAYS, cause);
	} else if (r->storage_class == LIFECYCLE_ARCHIVE)
		/* The AWS doc allows only standard for other count types. */
		return fail_rule(r, M_ARCHIVE, cause);
	return 0;
}

struct prefix_use {
	enum lifecycle_storage_class storage_class;
	const char *prefix;
	int rule_priority;
};

static int
cmp_prefix_use(const void *a, const void *b)
{
	const struct prefix_use *x = a, *y = b;
	int c;

	if (x->storage_class != y->storage_class)
		return x->storage_class < y->storage_class ? -1 : 1;
	if ((c = strcmp(x->prefix, y->prefix)) != 0)
		return c;
	return (x->rule_priority > y->rule_priority) -
	       (x->rule_priority < y->rule_priority);
}

/*
 * A prefix may appear in one rule of a storage class only. Sorting keeps
 * this O(n log n) in the number of prefixes, which the text length bounds.
 */
static int
check_prefixes(const struct lifecycle_policy *p, char **cause)
{
	struct prefix_use *u;
	size_t i, j, n = 0;
	int rc = 0;

	for (i = 0; i < p->n_rules; i++)
		n += p->rules[i].n_tag_prefixes;
	u = xcalloc(n, sizeof *u);
	n = 0;
	for (i = 0; i < p->n_rules; i++) {
		for (j = 0; j < p->rules[i].n_tag_prefixes; j++) {
			u[n].storage_class = p->rules[i].storage_class;
			u[n].prefix = p->rules[i].tag_prefixes[j];
			u[n++].rule_priority = p->rules[i].rule_priority;
		}
	}
	qsort(u, n, sizeof *u, cmp_prefix_use);
	for (i = 1; i < n; i++) {
		if (u[i].storage_class != u[i - 1].storage_class ||
		    strcmp(u[i].prefix, u[i - 1].prefix) != 0 ||
		    u[i].rule_priority == u[i - 1].rule_priority)
			continue;
		*cause = xasprintf("rulePriority %d and %d both use tag "
		                   "prefix %s",
		    u[i - 1].rule_priority, u[i].rule_priority, u[i].prefix);
		rc = -1;
		break;
	}
	free(u);
	return rc;
}

/*
 * The untagged, any and prefix rules hold per storage class, since a rule
 * sees only its class's images; whether ECR lets a standard "any" rule
 * precede an archive rule is [unconfirmed].
 */
static int
check_across(const struct lifecycle_policy *p, char **cause)
{
	const struct lifecycle_rule *r, *untagged[2] = {NULL, NULL};
	const struct lifecycle_rule *last[2] = {NULL, NULL};
	size_t i;

	for (i = 1; i < p->n_rules; i++) {
		if (p->rules[i].rule_priority == p->rules[i - 1].rule_priority)
			return fail_rule(&p->rules[i], M_PRIORITY, cause);
	}
	for (i = 0; i < p->n_rules; i++) {
		r = &p->rules[i];
		last[r->storage_class] = r;
		if (r->tag_status != LIFECYCLE_UNTAGGED)
			continue;
		if (untagged[r->storage_class] != NULL) {
			*cause = xasprintf("rulePriority %d and %d both select "
			                   "untagged images",
			    untagged[r->storage_class]->rule_priority,
			    r->rule_priority);
			return -1;
		}
		untagged[r->storage_class] = r;
	}
	for (i = 0; i < p->n_rules; i++) {
		r = &p->rules[i];
		if (r->tag_status == LIFECYCLE_ANY &&
		    r != last[r->storage_class])
			return fail_rule(r, M_ANY_LAST, cause);
	}
	return check_prefixes(p, cause);
}

int
lifecycle_policy_check(const struct lifecycle_policy *p, char **cause)
{
	size_t i;

	for (i = 0; i < p->n_rules; i++) {
		if (check_lists(&p->rules[i], cause) != 0 ||
		    check_selection(&p->rules[i], cause) != 0)
			return LIFECYCLE_INVALID;
	}
	if (check_across(p, cause) != 0)
		return LIFECYCLE_INVALID;
	return LIFECYCLE_OK;
}
