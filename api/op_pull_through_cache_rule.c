/*
 * CreatePullThroughCacheRule, DescribePullThroughCacheRules,
 * UpdatePullThroughCacheRule, DeletePullThroughCacheRule: which upstream
 * registry a repository prefix mirrors, and with which credentials
 * (docs/ecr-behaviour.md 3.9). Fetching from upstreams comes later.
 */
#include "api/api_int.h"

#include <inttypes.h>
#include <string.h>

#include <json-c/json.h>

#include "common/str.h"
#include "store/store.h"

#define TOKEN_KIND "ptc-rules"

static int create_rule(struct call *);
static int describe_rules(struct call *);
static int update_rule(struct call *);
static int delete_rule(struct call *);

const struct op api_op_create_pull_through_cache_rule = {
    .name = "CreatePullThroughCacheRule",
    .input = &model_CreatePullThroughCacheRuleRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_ANY,
    .exec = create_rule,
};

const struct op api_op_describe_pull_through_cache_rules = {
    .name = "DescribePullThroughCacheRules",
    .input = &model_DescribePullThroughCacheRulesRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_ANY,
    .exec = describe_rules,
};

const struct op api_op_update_pull_through_cache_rule = {
    .name = "UpdatePullThroughCacheRule",
    .input = &model_UpdatePullThroughCacheRuleRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_ANY,
    .exec = update_rule,
};

const struct op api_op_delete_pull_through_cache_rule = {
    .name = "DeletePullThroughCacheRule",
    .input = &model_DeletePullThroughCacheRuleRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_ANY,
    .exec = delete_rule,
};

/* Copy the listed members of rule into o. */
static void
copy_members(struct json_object *o, struct json_object *rule,
    const char *const *names, size_t n)
{
	struct json_object *v;
	size_t i;

	for (i = 0; i < n; i++) {
		if (json_object_object_get_ex(rule, names[i], &v))
			jadd_obj(o, names[i], json_object_get(v));
	}
}

/* A rule as Create, Describe and Delete answer it (the model's members). */
static const char *const rule_members[] = {
    "ecrRepositoryPrefix",
    "upstreamRegistryUrl",
    "upstreamRegistry",
    "credentialArn",
    "customRoleArn",
    "upstreamRepositoryPrefix",
};
#define N_RULE_MEMBERS (sizeof rule_members / sizeof rule_members[0])

static void
rule_write(struct call *call, struct json_object *o, struct json_object *rule,
    size_t n_members, int64_t created_at_ms)
{
	copy_members(o, rule, rule_members, n_members);
	jadd_str(o, "registryId", call->registry_id);
	jadd_epoch(o, "createdAt", created_at_ms);
}

/* The wording is ours [unconfirmed]. */
static int
fail_not_found(struct call *call, const char *prefix)
{
	return core_fail(call, ERR_PULL_THROUGH_CACHE_RULE_NOT_FOUND,
	    "The pull "
	    "through cache rule with prefix '%s' does not exist in the "
	    "registry with id '%s'",
	    prefix, call->registry_id);
}

/*
 * customRoleArn and upstreamRepositoryPrefix are for the ecr upstream
 * only (3.9); other misuse is ValidationException [unconfirmed].
 */
static int
check_ecr_members(struct call *call, const struct api_upstream *u,
    const char *url)
{
	const char *role = api_in_str(call, "customRoleArn");
	bool is_ecr = u->kind == API_UPSTREAM_ECR;

	if (!is_ecr &&
	    (role != NULL ||
	        api_in_str(call, "upstreamRepositoryPrefix") != NULL))
		return core_fail(call, ERR_VALIDATION,
		    "customRoleArn and "
		    "upstreamRepositoryPrefix can only be used with the ecr "
		    "upstream registry");
	if (is_ecr && url != NULL && strncmp(url, call->registry_id, 12) != 0 &&
	    (role == NULL || *role == '\0'))
		return core_fail(call, ERR_VALIDATION,
		    "A customRoleArn is "
		    "required for an upstream ECR registry in another account");
	return 0;
}

static int
check_create(struct call *call, const struct api_upstream **out)
{
	const char *url = api_in_str(call, "upstreamRegistryUrl");
	const char *named = api_in_str(call, "upstreamRegistry");
	const char *cred = api_in_str(call, "credentialArn");
	const struct api_upstream *u = api_upstream_of(url);

	/* A name that contradicts the URL is as unsupported [unconfirmed]. */
	if (u == NULL || (named != NULL && api_upstream_named(named) != u))
		return core_fail(call, ERR_UNSUPPORTED_UPSTREAM_REGISTRY,
		    "The "
		    "upstream registry URL %s is invalid. Specify a valid "
		    "upstream registry URL and try again",
		    url);
	if (u->needs_secret && cred == NULL)
		return core_fail(call, ERR_VALIDATION,
		    "A credentialArn is "
		    "required for the upstream registry '%s'",
		    u->name);
	if (check_ecr_members(call, u, url) != 0 ||
	    (cred != NULL && api_secret_check(call, cred) != 0))
		return -1;
	*out = u;
	return 0;
}

static int
count_cb(const char *prefix, const struct store_doc *doc, void *arg)
{
	size_t *n = arg;

	(void)prefix;
	(void)doc;
	(*n)++;
	return 0;
}

/* Counted with the rule just made, as the repository quota is. */
static int
check_limit(struct call *call)
{
	uint64_t max = core_quota(call->ctx, CORE_QUOTA_PTC_RULES);
	size_t n = 0;
	int rc;

	rc = store_template_foreach(call->txn, call->registry_id,
	    call->id.region, STORE_TEMPLATE_PTC_RULE, NULL, count_cb, &n);
	if (rc != 0)
		return core_fail_store(call, rc);
	if (n <= max)
		return 0;
	return core_fail(call, ERR_LIMIT_EXCEEDED,
	    "The maximum number of pull "
	    "through cache rules (%" PRIu64 ") has been reached for the "
	    "registry with id '%s'",
	    max, call->registry_id);
}

static int
create_rule(struct call *call)
{
	const char *prefix = api_in_str(call, "ecrRepositoryPrefix");
	const char *up_prefix;
	const struct api_upstream *u = NULL;
	struct json_object *rule;
	int rc;

	if (check_create(call, &u) != 0)
		return -1;
	rule = jnew_obj();
	jadd_str(rule, "ecrRepositoryPrefix", prefix);
	jadd_str(rule, "upstreamRegistryUrl",
	    api_in_str(call, "upstreamRegistryUrl"));
	jadd_str(rule, "upstreamRegistry", u->name);
	jadd_str(rule, "credentialArn", api_in_str(call, "credentialArn"));
	jadd_str(rule, "customRoleArn", api_in_str(call, "customRoleArn"));
	/* The ecr upstream mirrors from its ROOT by default (3.9). */
	up_prefix = api_in_str(call, "upstreamRepositoryPrefix");
	if (u->kind == API_UPSTREAM_ECR)
		jadd_str(rule, "upstreamRepositoryPrefix",
		    up_prefix != NULL ? up_prefix : CORE_PREFIX_ROOT);
	rc = core_record_save(call, STORE_TEMPLATE_PTC_RULE, prefix, rule,
	    call->now_ms, true);
	if (rc == 1)
		rc = core_fail(call, ERR_PULL_THROUGH_CACHE_RULE_ALREADY_EXISTS,
		    "The pull through cache rule with prefix '%s' already "
		    "exists in the registry with id '%s'",
		    prefix, call->registry_id);
	if (rc == 0 && (rc = check_limit(call)) == 0)
		rule_write(call, call->out, rule, N_RULE_MEMBERS, call->now_ms);
	json_object_put(rule);
	return rc;
}

static int
load(struct call *call, const char *prefix, struct json_object **rule,
    int64_t *created, int64_t *updated)
{
	int rc;

	rc = core_record_load(call, STORE_TEMPLATE_PTC_RULE, prefix, rule,
	    created, updated);
	if (rc == 1)
		return fail_not_found(call, prefix);
	return rc;
}

static void
set_member(struct json_object *rule, const char *key, const char *value)
{
	json_object_object_del(rule, key);
	jadd_str(rule, key, value);
}

static int
update_rule(struct call *call)
{
	static const char *const answered[] = {
	    "ecrRepositoryPrefix",
	    "credentialArn",
	    "customRoleArn",
	    "upstreamRepositoryPrefix",
	};
	const char *prefix = api_in_str(call, "ecrRepositoryPrefix");
	const char *cred = api_in_str(call, "credentialArn");
	const char *role = api_in_str(call, "customRoleArn");
	const struct api_upstream *u;
	struct json_object *rule = NULL;
	int64_t created, updated;
	int rc = -1;

	if (load(call, prefix, &rule, &created, &updated) != 0)
		return -1;
	u = api_upstream_named(jget_str(rule, "upstreamRegistry") != NULL
	                           ? jget_str(rule, "upstreamRegistry")
	                           : "");
	if (u == NULL)
		rc = core_fail_store(call, STORE_CORRUPT);
	else if (check_ecr_members(call, u, NULL) == 0 &&
	         (cred == NULL || api_secret_check(call, cred) == 0)) {
		if (cred != NULL)
			set_member(rule, "credentialArn", cred);
		if (role != NULL)
			set_member(rule, "customRoleArn", role);
		rc = core_record_save(call, STORE_TEMPLATE_PTC_RULE, prefix,
		    rule, created, false);
	}
	if (rc == 0) {
		copy_members(call->out, rule, answered,
		    sizeof answered / sizeof answered[0]);
		jadd_str(call->out, "registryId", call->registry_id);
		jadd_epoch(call->out, "updatedAt", call->now_ms);
	}
	json_object_put(rule);
	return rc;
}

/* Delete answers the rule it removed, without upstreamRegistry (model). */
static int
delete_rule(struct call *call)
{
	const char *prefix = api_in_str(call, "ecrRepositoryPrefix");
	struct json_object *rule = NULL;
	int64_t created, updated;
	int rc;

	if (load(call, prefix, &rule, &created, &updated) != 0)
		return -1;
	json_object_object_del(rule, "upstreamRegistry");
	rule_write(call, call->out, rule, N_RULE_MEMBERS, created);
	json_object_put(rule);
	rc =
	    store_template_delete(call->txn, call->registry_id, call->id.region,
	        STORE_TEMPLATE_PTC_RULE, core_prefix_key(call, prefix));
	return rc == 0 ? 0 : core_fail_store(call, rc);
}

static void
list_add(struct call *call, struct json_object *list, struct json_object *rule,
    int64_t created, int64_t updated)
{
	struct json_object *o = jnew_obj();

	rule_write(call, o, rule, N_RULE_MEMBERS, created);
	jadd_epoch(o, "updatedAt", updated);
	jpush(list, o);
}

/*
 * Every named prefix must have a rule (3.9); they come in one page, with
 * maxResults and nextToken ignored [unconfirmed].
 */
static int
describe_named(struct call *call, struct json_object *prefixes,
    struct json_object *list)
{
	struct json_object *rule;
	const char *prefix;
	size_t i, n;
	int64_t created, updated;

	n = json_object_array_length(prefixes);
	for (i = 0; i < n; i++) {
		prefix =
		    json_object_get_string(json_object_array_get_idx(prefixes,
		        i));
		if (load(call, prefix, &rule, &created, &updated) != 0)
			return -1;
		list_add(call, list, rule, created, updated);
		json_object_put(rule);
	}
	return 0;
}

static int
describe_rules(struct call *call)
{
	struct json_object *prefixes =
	    api_in_array(call, "ecrRepositoryPrefixes");
	struct json_object *list = jnew_arr();
	int rc;

	if (prefixes != NULL)
		rc = describe_named(call, prefixes, list);
	else
		rc = api_record_page(call, STORE_TEMPLATE_PTC_RULE, TOKEN_KIND,
		    list, list_add);
	jadd_obj(call->out, "pullThroughCacheRules", list);
	return rc;
}
