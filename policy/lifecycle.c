/*
 * Parse, validate and normalise lifecycle policy text as ECR does: the JSON
 * schema first, worded as ECR's JSON-schema library words its failures,
 * then the mapping onto ECR's model, then the semantic rules.
 */
#include "policy/lifecycle.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/json.h"
#include "common/xalloc.h"

#define nitems(a) (sizeof(a) / sizeof(a)[0])

#define MSG_NOT_MAPPED "Could not map policyString into LifecyclePolicy."
#define MSG_ONE_OF                                                             \
	"instance failed to match exactly one schema (matched 0 out of 2)"
#define MSG_MISSING "object has missing required properties"
#define MSG_EXTRA                                                              \
	"object instance has properties which are not allowed by the schema:"
#define MSG_MINIMUM "numeric instance is lower than the required minimum"

/*
 * The schema, as far as ECR's messages reveal it (docs/ecr-behaviour.md 3.6).
 * Names are sorted, as the library reports them. countType and
 * targetStorageClass have no schema of their own: a wrong value there fails
 * the oneOf of their object, as a null targetStorageClass does [wire].
 */
static const char *const policy_keys[] = {"rules"};
static const char *const rule_required[] = {
    "action", "rulePriority", "selection"};
static const char *const rule_keys[] = {
    "action", "description", "rulePriority", "selection"};
static const char *const selection_required[] = {
    "countNumber", "countType", "tagStatus"};
static const char *const selection_keys[] = {"countNumber", "countType",
    "countUnit", "storageClass", "tagPatternList", "tagPrefixList",
    "tagStatus"};
static const char *const action_required[] = {"type"};
static const char *const action_keys[] = {"targetStorageClass", "type"};

/*
 * Enum values in the order the AWS documentation lists them; the order in
 * ECR's schema (which its message prints) is [unconfirmed].
 */
static const char *const tag_status_values[] = {"tagged", "untagged", "any"};
static const char *const storage_class_values[] = {"standard", "archive"};
static const char *const count_unit_values[] = {"days"};
static const char *const action_values[] = {"expire", "transition"};
static const char *const count_type_values[] = {"imageCountMoreThan",
    "sinceImagePushed", "sinceImagePulled", "sinceImageTransitioned"};

/* Member key of o, present even if null (*v is then NULL). */
static bool
get(struct json_object *o, const char *key, struct json_object **v)
{
	return json_object_object_get_ex(o, key, v);
}

static size_t
find(const char *const *names, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (strcmp(names[i], s) == 0)
			return i;
	}
	return n;
}

/* The JSON-schema name of v's type; a JSON null is a NULL pointer. */
static const char *
type_name(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		return "boolean";
	case json_type_double:
		return "number";
	case json_type_int:
		return "integer";
	case json_type_object:
		return "object";
	case json_type_array:
		return "array";
	case json_type_string:
		return "string";
	case json_type_null:
		break;
	}
	return "null";
}

/*
 * o as compact JSON text, escaped as Jackson escapes (caller frees); o is
 * released. The text is bounded by the policy's own, far below the render
 * limit, so a failure is our bug.
 */
static char *
take_text(struct json_object *o)
{
	char *s = jrender_ext(o, JESC_JACKSON, NULL);

	json_object_put(o);
	if (s == NULL)
		abort();
	return s;
}

/* names as a compact JSON array, ["a","b"]; the caller frees. */
static char *
names_json(const char *const *names, size_t n)
{
	struct json_object *a = jnew_arr();
	size_t i;

	for (i = 0; i < n; i++)
		jpush_str(a, names[i]);
	return take_text(a);
}

static int
fail_type(struct json_object *v, const char *allowed, char **cause)
{
	*cause = xasprintf("instance type (%s) does not match any allowed "
	                   "primitive type (allowed: [\"%s\"])",
	    type_name(v), allowed);
	return -1;
}

static int
fail_names(const char *what, const char *const *names, size_t n, char **cause)
{
	char *list = names_json(names, n);

	*cause = xasprintf("%s (%s)", what, list);
	free(list);
	return -1;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/*
 * An object with the required members and no others: the library's
 * "type", "required" and "additionalProperties" keywords, in that order.
 */
static int
check_object(struct json_object *o, const char *const *required,
    size_t n_required, const char *const *known, size_t n_known, char **cause)
{
	const char **names;
	struct json_object *v;
	size_t i, n = 0;
	int rc = 0;

	if (!json_object_is_type(o, json_type_object))
		return fail_type(o, "object", cause);
	names = xcalloc((size_t)json_object_object_length(o) + n_required,
	    sizeof *names);
	for (i = 0; i < n_required; i++) {
		if (!get(o, required[i], &v))
			names[n++] = required[i];
	}
	if (n > 0) {
		rc = fail_names(MSG_MISSING, names, n, cause);
		goto out;
	}
	json_object_object_foreach(o, key, val)
	{
		(void)val;
		if (find(known, n_known, key) == n_known)
			names[n++] = key;
	}
	if (n > 0) {
		qsort(names, n, sizeof *names, cmp_str);
		rc = fail_names(MSG_EXTRA, names, n, cause);
	}
out:
	free(names);
	return rc;
}

/*
 * v's string, or NULL if v is not a string or holds a NUL character (so
 * that "days\u0000x" is not taken for "days").
 */
static const char *
str_value(struct json_object *v)
{
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return NULL;
	s = json_object_get_string(v);
	if (strlen(s) != (size_t)json_object_get_string_len(v))
		return NULL;
	return s;
}

/* The string value of member key, or NULL (see str_value). */
static const char *
get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!get(o, key, &v))
		return NULL;
	return str_value(v);
}

static int
check_string(struct json_object *v, char **cause)
{
	if (!json_object_is_type(v, json_type_string))
		return fail_type(v, "string", cause);
	return 0;
}

static int
check_enum(struct json_object *v, const char *const *values, size_t n,
    char **cause)
{
	const char *s;
	char *list;

	if (check_string(v, cause) != 0)
		return -1;
	if ((s = str_value(v)) != NULL && find(values, n, s) < n)
		return 0;
	list = names_json(values, n);
	*cause = xasprintf("instance value (%s) not found in enum :(possible "
	                   "values: %s)",
	    json_object_get_string(v), list);
	free(list);
	return -1;
}

static int
check_int_min(struct json_object *v, int64_t min, char **cause)
{
	int64_t i;

	if (!json_object_is_type(v, json_type_int))
		return fail_type(v, "integer", cause);
	if ((i = json_object_get_int64(v)) >= min)
		return 0;
	*cause = xasprintf(MSG_MINIMUM " (minimum: %lld, found: %lld)",
	    (long long)min, (long long)i);
	return -1;
}

static int
check_string_list(struct json_object *v, char **cause)
{
	size_t i, n;

	if (!json_object_is_type(v, json_type_array))
		return fail_type(v, "array", cause);
	n = json_object_array_length(v);
	for (i = 0; i < n; i++) {
		if (check_string(json_object_array_get_idx(v, i), cause) != 0)
			return -1;
	}
	return 0;
}

/*
 * Keywords at an object's own level come first, then its properties in
 * name order, then its oneOf; the order when several things are wrong is
 * [unconfirmed], but every single fault gets the library's message.
 */
static int
schema_selection(struct json_object *o, char **cause)
{
	struct json_object *v;
	const char *ct;
	bool has_unit, is_count, is_since;

	if (check_object(o, selection_required, nitems(selection_required),
	        selection_keys, nitems(selection_keys), cause) != 0)
		return -1;
	if (get(o, "countNumber", &v) && check_int_min(v, 1, cause) != 0)
		return -1;
	if (get(o, "countUnit", &v) &&
	    check_enum(v, count_unit_values, nitems(count_unit_values),
	        cause) != 0)
		return -1;
	if (get(o, "storageClass", &v) &&
	    check_enum(v, storage_class_values, nitems(storage_class_values),
	        cause) != 0)
		return -1;
	if (get(o, "tagPatternList", &v) && check_string_list(v, cause) != 0)
		return -1;
	if (get(o, "tagPrefixList", &v) && check_string_list(v, cause) != 0)
		return -1;
	if (get(o, "tagStatus", &v) &&
	    check_enum(v, tag_status_values, nitems(tag_status_values),
	        cause) != 0)
		return -1;

	/* oneOf: a count without countUnit, or an age with it. */
	ct = get_str(o, "countType");
	has_unit = get(o, "countUnit", &v);
	is_count = ct != NULL && strcmp(ct, "imageCountMoreThan") == 0;
	is_since = ct != NULL && !is_count &&
	           find(count_type_values, nitems(count_type_values), ct) <
	               nitems(count_type_values);
	if ((is_count && !has_unit) || (is_since && has_unit))
		return 0;
	*cause = xstrdup(MSG_ONE_OF);
	return -1;
}

static int
schema_action(struct json_object *o, char **cause)
{
	struct json_object *v;
	const char *type, *target;
	bool has_target;

	if (check_object(o, action_required, nitems(action_required),
	        action_keys, nitems(action_keys), cause) != 0)
		return -1;
	if (get(o, "type", &v) &&
	    check_enum(v, action_values, nitems(action_values), cause) != 0)
		return -1;

	/* oneOf: expire without a target, or transition to archive. */
	type = get_str(o, "type");
	has_target = get(o, "targetStorageClass", &v);
	target = get_str(o, "targetStorageClass");
	if (strcmp(type, "expire") == 0 && !has_target)
		return 0;
	if (strcmp(type, "transition") == 0 && target != NULL &&
	    strcmp(target, "archive") == 0)
		return 0;
	*cause = xstrdup(MSG_ONE_OF);
	return -1;
}

static int
schema_rule(struct json_object *o, char **cause)
{
	struct json_object *v;

	if (check_object(o, rule_required, nitems(rule_required), rule_keys,
	        nitems(rule_keys), cause) != 0)
		return -1;
	if (get(o, "action", &v) && schema_action(v, cause) != 0)
		return -1;
	if (get(o, "description", &v) && check_string(v, cause) != 0)
		return -1;
	if (get(o, "rulePriority", &v) && check_int_min(v, 1, cause) != 0)
		return -1;
	if (get(o, "selection", &v) && schema_selection(v, cause) != 0)
		return -1;
	return 0;
}

static int
schema_policy(struct json_object *root, char **cause)
{
	struct json_object *rules;
	size_t i, n;

	if (check_object(root, policy_keys, nitems(policy_keys), policy_keys,
	        nitems(policy_keys), cause) != 0)
		return -1;
	get(root, "rules", &rules);
	if (!json_object_is_type(rules, json_type_array))
		return fail_type(rules, "array", cause);
	/*
	 * minItems and maxItems: that ECR's schema states 1-50 this way is
	 * [unconfirmed]; these are the library's messages for them.
	 */
	n = json_object_array_length(rules);
	if (n < LIFECYCLE_RULES_MIN) {
		*cause = xasprintf("array is too short: must have at least %d "
		                   "elements but instance has %zu elements",
		    LIFECYCLE_RULES_MIN, n);
		return -1;
	}
	if (n > LIFECYCLE_RULES_MAX) {
		*cause = xasprintf("array is too long: must have at most %d "
		                   "elements but instance has %zu elements",
		    LIFECYCLE_RULES_MAX, n);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (schema_rule(json_object_array_get_idx(rules, i), cause) !=
		    0)
			return -1;
	}
	return 0;
}

/* Jackson refuses NaN and Infinity, which json-c accepts. */
static bool
has_non_finite(struct json_object *v)
{
	size_t i, n;

	switch (json_object_get_type(v)) {
	case json_type_double:
		return !isfinite(json_object_get_double(v));
	case json_type_array:
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			if (has_non_finite(json_object_array_get_idx(v, i)))
				return true;
		}
		return false;
	case json_type_object: {
		json_object_object_foreach(v, key, val)
		{
			(void)key;
			if (has_non_finite(val))
				return true;
		}
		return false;
	}
	default:
		return false;
	}
}

static int64_t
get_i64(struct json_object *o, const char *key)
{
	struct json_object *v;

	get(o, key, &v);
	return json_object_get_int64(v);
}

static struct json_object *
get_obj(struct json_object *o, const char *key)
{
	struct json_object *v;

	get(o, key, &v);
	return v;
}

/*
 * ECR maps the document onto Java ints after the schema passes, so larger
 * numbers fail the mapping [unconfirmed].
 */
static bool
is_mappable(struct json_object *rule)
{
	return get_i64(rule, "rulePriority") <= INT32_MAX &&
	       get_i64(get_obj(rule, "selection"), "countNumber") <= INT32_MAX;
}

static char **
copy_list(struct json_object *a, size_t *n, bool *is_unmatchable)
{
	struct json_object *s;
	char **v;
	size_t i;

	*n = json_object_array_length(a);
	v = xcalloc(*n, sizeof *v);
	for (i = 0; i < *n; i++) {
		s = json_object_array_get_idx(a, i);
		v[i] = xstrdup(json_object_get_string(s));
		if (strlen(v[i]) != (size_t)json_object_get_string_len(s))
			*is_unmatchable = true;
	}
	return v;
}

/* Fill r from a rule that passed the schema and the mapping. */
static void
convert_rule(struct json_object *o, struct lifecycle_rule *r)
{
	struct json_object *sel = get_obj(o, "selection");
	struct json_object *act = get_obj(o, "action");
	struct json_object *v;

	r->rule_priority = (int)get_i64(o, "rulePriority");
	if (get(o, "description", &v))
		r->description = xstrdup(json_object_get_string(v));
	r->tag_status = (enum lifecycle_tag_status)find(tag_status_values,
	    nitems(tag_status_values), get_str(sel, "tagStatus"));
	if (get(sel, "tagPatternList", &v))
		r->tag_patterns =
		    copy_list(v, &r->n_tag_patterns, &r->is_unmatchable);
	if (get(sel, "tagPrefixList", &v))
		r->tag_prefixes =
		    copy_list(v, &r->n_tag_prefixes, &r->is_unmatchable);
	r->has_storage_class = get(sel, "storageClass", &v);
	r->storage_class = LIFECYCLE_STANDARD;
	if (r->has_storage_class)
		r->storage_class =
		    (enum lifecycle_storage_class)find(storage_class_values,
		        nitems(storage_class_values),
		        json_object_get_string(v));
	r->count_type = (enum lifecycle_count_type)find(count_type_values,
	    nitems(count_type_values), get_str(sel, "countType"));
	r->count_number = (int)get_i64(sel, "countNumber");
	r->action = (enum lifecycle_action_type)find(action_values,
	    nitems(action_values), get_str(act, "type"));
}

static void
copy_member(struct json_object *to, struct json_object *from, const char *key)
{
	struct json_object *v;

	/* A valid policy has no null members, so v is never NULL here. */
	if (get(from, key, &v))
		jadd_obj(to, key, json_object_get(v));
}

/* The rule in canonical key order, sharing o's values. */
static struct json_object *
canon_rule(struct json_object *o)
{
	static const char *const sel_keys[] = {"tagStatus", "tagPatternList",
	    "tagPrefixList", "storageClass", "countType", "countUnit",
	    "countNumber"};
	struct json_object *c = jnew_obj();
	struct json_object *sel = jnew_obj();
	struct json_object *act = jnew_obj();
	size_t i;

	copy_member(c, o, "rulePriority");
	copy_member(c, o, "description");
	for (i = 0; i < nitems(sel_keys); i++)
		copy_member(sel, get_obj(o, "selection"), sel_keys[i]);
	jadd_obj(c, "selection", sel);
	copy_member(act, get_obj(o, "action"), "type");
	copy_member(act, get_obj(o, "action"), "targetStorageClass");
	jadd_obj(c, "action", act);
	return c;
}

struct rule_order {
	int64_t priority;
	size_t index;
};

static int
cmp_rule_order(const void *a, const void *b)
{
	const struct rule_order *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return (x->index > y->index) - (x->index < y->index);
}

static char *
normalise(struct json_object *rules, const struct rule_order *order, size_t n)
{
	struct json_object *root = jnew_obj();
	struct json_object *a = jnew_arr();
	size_t i;

	for (i = 0; i < n; i++)
		jpush(a, canon_rule(json_object_array_get_idx(rules,
		             order[i].index)));
	jadd_obj(root, "rules", a);
	return take_text(root);
}

int
lifecycle_parse(const char *text, size_t len, struct lifecycle_policy **out,
    char **cause)
{
	struct json_object *root = NULL, *rules = NULL;
	struct lifecycle_policy *p = NULL;
	struct rule_order *order = NULL;
	char *err = NULL;
	size_t i, n;

	/*
	 * Anything Jackson cannot read as a JSON object (moto). That a JSON
	 * array or trailing bytes get this message rather than a schema one
	 * is [unconfirmed].
	 */
	if (jparse_strict(text, len, &root, NULL) == JPARSE_BAD ||
	    !json_object_is_type(root, json_type_object) ||
	    has_non_finite(root)) {
		err = xstrdup(MSG_NOT_MAPPED);
		goto out;
	}
	if (schema_policy(root, &err) != 0)
		goto out;
	get(root, "rules", &rules);
	n = json_object_array_length(rules);
	order = xcalloc(n, sizeof *order);
	for (i = 0; i < n; i++) {
		if (!is_mappable(json_object_array_get_idx(rules, i))) {
			err = xstrdup(MSG_NOT_MAPPED);
			goto out;
		}
		order[i].priority = get_i64(json_object_array_get_idx(rules, i),
		    "rulePriority");
		order[i].index = i;
	}
	qsort(order, n, sizeof *order, cmp_rule_order);

	p = xcalloc(1, sizeof *p);
	p->rules = xcalloc(n, sizeof *p->rules);
	p->n_rules = n;
	for (i = 0; i < n; i++)
		convert_rule(json_object_array_get_idx(rules, order[i].index),
		    &p->rules[i]);
	if (lifecycle_policy_check(p, &err) != 0)
		goto out;
	p->normalised = normalise(rules, order, n);
	*out = p;
	p = NULL;
out:
	if (err != NULL)
		*cause = err;
	lifecycle_free(p);
	free(order);
	json_object_put(root);
	return err == NULL ? LIFECYCLE_OK : LIFECYCLE_INVALID;
}

char *
lifecycle_normalise(const struct lifecycle_policy *p)
{
	return xstrdup(p->normalised);
}

void
lifecycle_free(struct lifecycle_policy *p)
{
	struct lifecycle_rule *r;
	size_t i, j;

	if (p == NULL)
		return;
	for (i = 0; i < p->n_rules; i++) {
		r = &p->rules[i];
		free(r->description);
		for (j = 0; j < r->n_tag_patterns; j++)
			free(r->tag_patterns[j]);
		free(r->tag_patterns);
		for (j = 0; j < r->n_tag_prefixes; j++)
			free(r->tag_prefixes[j]);
		free(r->tag_prefixes);
	}
	free(p->rules);
	free(p->normalised);
	free(p);
}

char *
lifecycle_error_message(const char *cause)
{
	bool is_unbalanced;

	/*
	 * The oneOf message comes without the closing quote on the wire
	 * (cloudposse/terraform-aws-ecr#158), and moto words the minimum one
	 * so too; that no other detail does is [unconfirmed].
	 */
	is_unbalanced = strcmp(cause, MSG_ONE_OF) == 0 ||
	                strncmp(cause, MSG_MINIMUM, strlen(MSG_MINIMUM)) == 0;
	return xasprintf("%s%s%s", LIFECYCLE_ERROR_PREFIX, cause,
	    is_unbalanced ? "" : LIFECYCLE_ERROR_SUFFIX);
}

const char *
lifecycle_action_name(enum lifecycle_action_type type)
{
	return type == LIFECYCLE_TRANSITION ? "TRANSITION" : "EXPIRE";
}

const char *
lifecycle_storage_class_name(enum lifecycle_storage_class sc)
{
	return sc == LIFECYCLE_ARCHIVE ? "ARCHIVE" : "STANDARD";
}
