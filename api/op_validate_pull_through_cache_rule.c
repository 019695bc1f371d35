/*
 * ValidatePullThroughCacheRule: does the rule's upstream answer, with the
 * rule's credentials (docs/ecr-behaviour.md 3.9)? Really asked: a /v2/
 * ping, and a token where the upstream wants one. The call is answered
 * once the ping ends; the loop serves others meanwhile.
 */
#include "api/api_int.h"

#include <string.h>

#include <json-c/json.h>

#include "store/store.h"

static int validate_rule(struct call *);

const struct op api_op_validate_pull_through_cache_rule = {
    .name = "ValidatePullThroughCacheRule",
    .input = &model_ValidatePullThroughCacheRuleRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_ANY,
    .exec = validate_rule,
};

/* The answer but isValid and failure: the rule as stored. */
static void
write_rule(struct call *call, struct json_object *rule)
{
	static const char *const names[] = {
	    "ecrRepositoryPrefix",
	    "upstreamRegistryUrl",
	    "credentialArn",
	    "customRoleArn",
	    "upstreamRepositoryPrefix",
	};
	struct json_object *v;
	size_t i;

	jadd_str(call->out, "registryId", call->registry_id);
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (json_object_object_get_ex(rule, names[i], &v))
			jadd_obj(call->out, names[i], json_object_get(v));
	}
}

static void
validated(void *arg, const char *failure)
{
	struct call *call = arg;

	json_object_object_add(call->out, "isValid",
	    json_object_new_boolean(failure == NULL));
	if (failure != NULL)
		jadd_str(call->out, "failure", failure);
	call_finish(call);
}

static int
validate_rule(struct call *call)
{
	const char *prefix = api_in_str(call, "ecrRepositoryPrefix");
	const char *cred, *user = NULL, *token = NULL;
	struct up_cred uc = {NULL, NULL, NULL, NULL};
	struct json_object *rule = NULL;
	int64_t created, updated;
	int rc;

	rc = core_record_load(call, STORE_TEMPLATE_PTC_RULE, prefix, &rule,
	    &created, &updated);
	if (rc == 1)
		return core_fail(call, ERR_PULL_THROUGH_CACHE_RULE_NOT_FOUND,
		    "The pull through cache rule with prefix '%s' does not "
		    "exist in the registry with id '%s'",
		    prefix, call->registry_id);
	if (rc != 0)
		return rc;
	write_rule(call, rule);
	/* A secret gone from --secrets since: invalid, not an error. */
	cred = jget_str(rule, "credentialArn");
	if (cred != NULL &&
	    core_secret_get(call->ctx, cred, &user, &token) != 0) {
		validated(call,
		    "The secret of the rule's credentialArn is "
		    "not in the secrets file, or holds no username and "
		    "accessToken");
		json_object_put(rule);
		return CALL_PENDING;
	}
	uc.user = user;
	uc.password = token;
	/* An ecr upstream: GetAuthorizationToken first (3.9). */
	if (core_ptc_rule_is_ecr(rule)) {
		uc.ecr_host = jget_str(rule, "upstreamRegistryUrl");
		uc.role_arn = jget_str(rule, "customRoleArn");
	}
	/* The ping copies what it keeps; rule and secrets may go. */
	up_ping_start(call->ctx, jget_str(rule, "upstreamRegistryUrl"), &uc,
	    validated, call);
	json_object_put(rule);
	return CALL_PENDING;
}
