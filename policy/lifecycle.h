/*
 * ECR lifecycle policies: parse, validate and normalise the policy text
 * with ECR's wording, and evaluate a policy over a repository's images
 * (docs/ecr-behaviour.md 3.6, 3.14). Pure: no I/O, clock or logging; callers
 * pass `now`.
 */
#ifndef ECRD_POLICY_LIFECYCLE_H
#define ECRD_POLICY_LIFECYCLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Result codes. */
enum {
	LIFECYCLE_OK = 0,
	LIFECYCLE_INVALID = -1, /* the text is not a valid lifecycle policy */
};

/*
 * ECR's InvalidParameterException message is
 *   LIFECYCLE_ERROR_PREFIX <cause> LIFECYCLE_ERROR_SUFFIX
 * except that ECR leaves the closing quote off some details (see
 * lifecycle_error_message, which applies that rule).
 */
#define LIFECYCLE_ERROR_PREFIX                                                 \
	"Invalid parameter at 'LifecyclePolicyText' failed to satisfy "        \
	"constraint: 'Lifecycle policy validation failure: "
#define LIFECYCLE_ERROR_SUFFIX "'"

#define LIFECYCLE_RULES_MIN 1
#define LIFECYCLE_RULES_MAX 50
#define LIFECYCLE_WILDCARDS_MAX 4     /* '*' per tagPatternList entry */
#define LIFECYCLE_ARCHIVE_MIN_DAYS 90 /* sinceImageTransitioned */
#define LIFECYCLE_DAY_MS INT64_C(86400000)

enum lifecycle_tag_status {
	LIFECYCLE_TAGGED,
	LIFECYCLE_UNTAGGED,
	LIFECYCLE_ANY,
};

enum lifecycle_storage_class {
	LIFECYCLE_STANDARD,
	LIFECYCLE_ARCHIVE,
};

enum lifecycle_count_type {
	LIFECYCLE_IMAGE_COUNT_MORE_THAN,
	LIFECYCLE_SINCE_IMAGE_PUSHED,
	LIFECYCLE_SINCE_IMAGE_PULLED,
	LIFECYCLE_SINCE_IMAGE_TRANSITIONED,
};

enum lifecycle_action_type {
	LIFECYCLE_EXPIRE,
	LIFECYCLE_TRANSITION, /* always to LIFECYCLE_ARCHIVE */
};

/* One validated rule. Strings are owned by the policy. */
struct lifecycle_rule {
	int rule_priority; /* >= 1, unique */
	char *description; /* NULL if absent */
	enum lifecycle_tag_status tag_status;
	/*
	 * At most one of the lists is non-NULL, and only when tag_status is
	 * LIFECYCLE_TAGGED; a list given is never empty.
	 */
	char **tag_patterns; /* tagPatternList */
	size_t n_tag_patterns;
	char **tag_prefixes; /* tagPrefixList */
	size_t n_tag_prefixes;
	/*
	 * A list entry held a NUL character, which no tag can contain: the
	 * rule then matches no image (its C string is cut at the NUL).
	 */
	bool is_unmatchable;
	enum lifecycle_storage_class storage_class; /* STANDARD if absent */
	bool has_storage_class;                     /* given in the text */
	enum lifecycle_count_type count_type;
	int count_number; /* >= 1; days or images */
	enum lifecycle_action_type action;
};

/* A validated policy: rules sorted by ascending rule_priority. */
struct lifecycle_policy {
	struct lifecycle_rule *rules;
	size_t n_rules;   /* 1 to LIFECYCLE_RULES_MAX */
	char *normalised; /* see lifecycle_normalise */
};

/*
 * Parse and validate len bytes of lifecycle policy text as PutLifecyclePolicy
 * and StartLifecyclePolicyPreview do (docs/ecr-behaviour.md 3.6): the JSON
 * schema first, in the wording of ECR's JSON-schema library, then the
 * semantic rules. The caller has already checked the text against the
 * model (100 to 30720 characters).
 *
 * Returns LIFECYCLE_OK with *out set (free it with lifecycle_free), or
 * LIFECYCLE_INVALID with *cause set to the detail part of ECR's message
 * (caller frees; *out untouched), e.g.
 *   Could not map policyString into LifecyclePolicy.
 *   object has missing required properties (["rules"])
 *   instance value (hours) not found in enum :(possible values: ["days"])
 * Wrap it with lifecycle_error_message() (or LIFECYCLE_ERROR_PREFIX and
 * LIFECYCLE_ERROR_SUFFIX) for the InvalidParameterException message.
 * Rules come out sorted by priority; a description is cut at a NUL
 * character (the canonical text keeps it whole).
 */
int lifecycle_parse(const char *text, size_t len, struct lifecycle_policy **out,
    char **cause);

/*
 * Check the semantic rules ECR applies once the schema has passed
 * (lifecycle_parse calls this): a tagged rule has exactly one non-empty
 * list and no other rule has one; at most LIFECYCLE_WILDCARDS_MAX '*' per
 * pattern; sinceImagePulled only with transition; sinceImageTransitioned
 * only with storageClass archive and a countNumber of at least
 * LIFECYCLE_ARCHIVE_MIN_DAYS, and storageClass archive only with it (so
 * only with expire); transition only from standard; unique priorities; and
 * per storage class at most one untagged rule, an "any" rule last, and each
 * prefix in one rule only. p->rules must be sorted by priority. Returns
 * LIFECYCLE_OK, or LIFECYCLE_INVALID with *cause set to a detail as from
 * lifecycle_parse (caller frees).
 */
int lifecycle_policy_check(const struct lifecycle_policy *p, char **cause);

/*
 * The compact canonical text ECR stores and returns from Put, Get and
 * DeleteLifecyclePolicy: rules sorted by rulePriority, keys in the order
 * rulePriority, description, selection{tagStatus, tagPatternList,
 * tagPrefixList, storageClass, countType, countUnit, countNumber},
 * action{type, targetStorageClass}, each only if the input had it; no
 * whitespace, '/' not escaped. The caller frees the result.
 */
char *lifecycle_normalise(const struct lifecycle_policy *);

/* Free the policy and all it owns; NULL does nothing. */
void lifecycle_free(struct lifecycle_policy *);

/*
 * The whole InvalidParameterException message for a cause from
 * lifecycle_parse: LIFECYCLE_ERROR_PREFIX, the cause, and the closing
 * quote, which ECR leaves off oneOf and minimum failures. The caller frees
 * the result.
 */
char *lifecycle_error_message(const char *cause);

/* "EXPIRE" or "TRANSITION", as the API spells them (static strings). */
const char *lifecycle_action_name(enum lifecycle_action_type);
/* "STANDARD" or "ARCHIVE", as the API spells them (static strings). */
const char *lifecycle_storage_class_name(enum lifecycle_storage_class);

/*
 * What lifecycle_eval needs of an image. Nothing here is owned; times are
 * milliseconds since the epoch.
 */
struct lifecycle_image {
	const char *digest; /* NULL sorts as "" */
	const char *const *tags;
	size_t n_tags; /* 0: untagged */
	int64_t pushed_at_ms;
	int64_t last_pulled_at_ms;    /* 0: never pulled */
	int64_t last_activated_at_ms; /* 0: never restored */
	int64_t archived_at_ms;       /* if is_archived */
	bool is_archived;             /* archive storage class */
	/* A child of a manifest list or index that stays: never acted on. */
	bool is_referenced;
};

/* What lifecycle_eval decided for one image. */
struct lifecycle_action {
	size_t image; /* index into the images */
	size_t rule;  /* index into policy->rules */
	int rule_priority;
	enum lifecycle_action_type type;
};

/* The storage class image is in. */
enum lifecycle_storage_class
lifecycle_image_class(const struct lifecycle_image *image);

/*
 * The time count and age rules use as the image's push time: the later of
 * pushed_at_ms and last_activated_at_ms (a restored image counts from its
 * restore).
 */
int64_t lifecycle_image_pushed_at(const struct lifecycle_image *image);

/*
 * Whether rule's tag selection matches image, ignoring storage class and
 * age: tagged with prefixes, every prefix starts some tag; tagged with
 * patterns, every pattern matches some whole tag, '*' matching any run of
 * characters (every other character, '?' too, is literal); untagged, the
 * image has no tag; any, always.
 */
bool lifecycle_rule_matches(const struct lifecycle_rule *rule,
    const struct lifecycle_image *image);

/*
 * Evaluate policy over a repository's n_images images at now_ms, as ECR
 * does (docs/ecr-behaviour.md 3.6):
 *  - A rule sees the images of its storage class. It matches them by tag
 *    (lifecycle_rule_matches) and selects, from all it matches:
 *    imageCountMoreThan N, all but the N newest; sinceImagePushed N, those
 *    pushed more than N days ago; sinceImagePulled N, those last pulled
 *    more than N days ago (never pulled: pushed; restored and not pulled
 *    since: restored); sinceImageTransitioned N, those archived more than
 *    N days ago. A day is LIFECYCLE_DAY_MS; exactly N days is not more.
 *  - Rules apply in ascending priority. An image gets rule r's action only
 *    if no rule before r matched it, so matching a rule protects an image
 *    from every later rule; each image gets at most one action.
 *  - Referenced images are matched and counted but never acted on.
 * "Newest" orders by lifecycle_image_pushed_at, then by digest (strcmp:
 * of two images pushed at the same millisecond, the smaller digest counts
 * as older), then by index.
 *
 * Returns LIFECYCLE_OK with *out set to *n_out actions, oldest image first
 * in that same order (caller frees *out; NULL when *n_out is 0). Runs in
 * O(n log n) for the sort plus O(rules * n * tags * list entries).
 */
int lifecycle_eval(const struct lifecycle_policy *policy,
    const struct lifecycle_image *images, size_t n_images, int64_t now_ms,
    struct lifecycle_action **out, size_t *n_out);

#endif
