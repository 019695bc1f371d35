/*
 * RegisterPullTimeUpdateExclusion, DeregisterPullTimeUpdateExclusion,
 * ListPullTimeUpdateExclusions: the IAM principals whose pulls do not
 * update lastRecordedPullTime (docs/ecr-behaviour.md 3.13; the list and
 * its effect on pulls are core/exclusion.c's).
 */
#include "api/api_int.h"

#include <inttypes.h>
#include <json-c/json.h>

#include "common/parse.h"
#include "store/store.h"

#define TOKEN_KIND "pull-exclusions"
#define PAGE_DEFAULT 100 /* [unconfirmed]: the model gives none */

static int register_exclusion(struct call *);
static int deregister_exclusion(struct call *);
static int list_exclusions(struct call *);

const struct op api_op_register_pull_time_update_exclusion = {
    .name = "RegisterPullTimeUpdateExclusion",
    .input = &model_RegisterPullTimeUpdateExclusionRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_ANY,
    .exec = register_exclusion,
};

const struct op api_op_deregister_pull_time_update_exclusion = {
    .name = "DeregisterPullTimeUpdateExclusion",
    .input = &model_DeregisterPullTimeUpdateExclusionRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_ANY,
    .exec = deregister_exclusion,
};

const struct op api_op_list_pull_time_update_exclusions = {
    .name = "ListPullTimeUpdateExclusions",
    .input = &model_ListPullTimeUpdateExclusionsRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_ANY,
    .exec = list_exclusions,
};

/* The registry's list and arn's index in it (-1: absent), or -1. */
static int
read_list(struct call *call, const char *arn, struct json_object **list,
    int *at)
{
	int rc;

	*at = -1;
	rc = core_exclusions_read(call->txn, call->registry_id, call->id.region,
	    list);
	if (rc != 0)
		return core_fail_store(call, rc);
	*at = core_exclusions_find(*list, arn);
	return 0;
}

static int
save_list(struct call *call, struct json_object *list)
{
	int rc = core_exclusions_write(call, list);

	json_object_put(list);
	return rc != 0 ? core_fail_store(call, rc) : 0;
}

/* The messages' wording is ecrd's [unconfirmed]. */
static int
register_exclusion(struct call *call)
{
	const char *arn = api_in_str(call, "principalArn");
	struct json_object *list, *e;
	int at;

	if (read_list(call, arn, &list, &at) != 0)
		return -1;
	if (at >= 0 || json_object_array_length(list) >=
	                   core_quota(call->ctx, CORE_QUOTA_EXCLUSIONS)) {
		json_object_put(list);
		if (at >= 0)
			return core_fail(call, ERR_EXCLUSION_ALREADY_EXISTS,
			    "The pull time update exclusion for principal "
			    "'%s' already exists in the registry with id '%s'",
			    arn, call->registry_id);
		return core_fail(call, ERR_LIMIT_EXCEEDED,
		    "The maximum number of pull time update exclusions "
		    "(%" PRIu64 ") in the registry with id '%s' has been "
		    "reached",
		    core_quota(call->ctx, CORE_QUOTA_EXCLUSIONS),
		    call->registry_id);
	}
	e = jnew_obj();
	jadd_str(e, "principalArn", arn);
	jadd_i64(e, "createdAt", call->now_ms);
	jpush(list, e);
	if (save_list(call, list) != 0)
		return -1;
	jadd_str(call->out, "principalArn", arn);
	jadd_epoch(call->out, "createdAt", call->now_ms);
	return 0;
}

static int
deregister_exclusion(struct call *call)
{
	const char *arn = api_in_str(call, "principalArn");
	struct json_object *list;
	int at;

	if (read_list(call, arn, &list, &at) != 0)
		return -1;
	if (at < 0) {
		json_object_put(list);
		return core_fail(call, ERR_EXCLUSION_NOT_FOUND,
		    "The pull time update exclusion for principal '%s' does "
		    "not exist in the registry with id '%s'",
		    arn, call->registry_id);
	}
	json_object_array_del_idx(list, (size_t)at, 1);
	if (save_list(call, list) != 0)
		return -1;
	jadd_str(call->out, "principalArn", arn);
	return 0;
}

/* Exclusions are at most 100, so a page token is an offset. */
static int
list_exclusions(struct call *call)
{
	const char *token = api_in_str(call, "nextToken");
	struct json_object *list, *arns;
	size_t i, n, max;
	uint64_t skip = 0;
	const char *errstr;
	char text[32];
	int unused;

	max = (size_t)api_in_i64(call, "maxResults", PAGE_DEFAULT);
	if (token != NULL &&
	    (core_token_parse(call, TOKEN_KIND, token, text, sizeof text) !=
	            0 ||
	        parse_u64(text, 0, UINT32_MAX, &skip, &errstr) != 0))
		return call->err.code != ERR_NONE
		           ? -1
		           : core_fail_param(call, "nextToken",
		                 "Invalid token");
	if (read_list(call, "", &list, &unused) != 0)
		return -1;
	arns = jnew_arr();
	n = json_object_array_length(list);
	for (i = (size_t)skip; i < n && i - (size_t)skip < max; i++)
		jpush_str(arns, jget_str(json_object_array_get_idx(list, i),
		                    "principalArn"));
	jadd_obj(call->out, "pullTimeUpdateExclusions", arns);
	if (i < n)
		jadd_str(call->out, "nextToken",
		    core_token_make(call, TOKEN_KIND,
		        call_printf(call, "%zu", i)));
	json_object_put(list);
	return 0;
}
