/*
 * Strict mode's decision for an ECR operation (STYLE.md 3, step 4): the
 * request a call makes, read from its validated input and its op's flags,
 * handed to the domain's authorization (core/authz.c).
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/xalloc.h"
#include "policy/policy.h"
#include "store/store.h"

#define ACTION_MAX 128

/* aws:RequestTag/KEY and aws:TagKeys from the input (owned arrays). */
struct authz_tags {
	struct policy_kv *kv;
	const char **keys;
	size_t n_kv;
	size_t n_keys;
};

static void
tags_from_input(struct call *call, struct authz_tags *t)
{
	struct json_object *tags = api_in_array(call, "tags");
	struct json_object *keys = api_in_array(call, "tagKeys");
	struct json_object *item, *k, *v;
	size_t i, n, m;

	n = tags == NULL ? 0 : json_object_array_length(tags);
	m = keys == NULL ? 0 : json_object_array_length(keys);
	t->kv = xcalloc(n + 1, sizeof *t->kv);
	t->keys = xcalloc(n + m + 1, sizeof *t->keys);
	t->n_kv = t->n_keys = 0;
	for (i = 0; i < n; i++) {
		item = json_object_array_get_idx(tags, i);
		if (!json_object_object_get_ex(item, "Key", &k) ||
		    !json_object_is_type(k, json_type_string))
			continue;
		t->keys[t->n_keys++] = json_object_get_string(k);
		if (!json_object_object_get_ex(item, "Value", &v) ||
		    !json_object_is_type(v, json_type_string))
			continue;
		t->kv[t->n_kv].key = json_object_get_string(k);
		t->kv[t->n_kv++].value = json_object_get_string(v);
	}
	for (i = 0; i < m; i++) {
		item = json_object_array_get_idx(keys, i);
		if (json_object_is_type(item, json_type_string))
			t->keys[t->n_keys++] = json_object_get_string(item);
	}
}

/*
 * The request a call makes: ecr:<Operation> on the repository ARN, the
 * resourceArn member or "*", as the op's flags say (STYLE.md 3). each, when
 * not NULL, is the one of repositoryNames asked about (OP_RESOURCE_REPOS).
 */
static void
req_from_call(struct call *call, const char *each, struct authz_req *r,
    struct authz_tags *t, char *arn, size_t arn_size, char *action,
    size_t action_size)
{
	const char *name;
	char account[13];

	memset(r, 0, sizeof *r);
	snprintf(action, action_size, "ecr:%s", call->op->name);
	r->principal_arn = call->id.principal_arn;
	r->account = call->id.account;
	r->region = call->id.region;
	r->source_ip = call->source_ip[0] != '\0' ? call->source_ip : NULL;
	r->action = action;
	r->registry_id = call->registry_id;
	r->resource = "*";
	r->now_ms = call->now_ms;
	name = each;
	if (call->op->flags & OP_RESOURCE_REPO)
		name = api_in_str(call, "repositoryName");
	if (name != NULL) {
		core_repo_arn(call, call->registry_id, name, arn, arn_size);
		r->resource = arn;
		r->repo_name = name;
	}
	if (call->op->flags & OP_RESOURCE_ARN &&
	    (name = api_in_str(call, "resourceArn")) != NULL) {
		/* A malformed ARN is the handler's InvalidParameter. */
		r->resource = name;
		if (core_arn_repo(name, call->id.region, account,
		        &r->repo_name) &&
		    strcmp(account, call->registry_id) != 0)
			r->repo_name = NULL;
	}
	tags_from_input(call, t);
	r->request_tags = t->kv;
	r->n_request_tags = t->n_kv;
	r->tag_keys = t->n_keys != 0 ? t->keys : NULL;
	r->n_tag_keys = t->n_keys;
}

/*
 * Decide the call's request (on each, for OP_RESOURCE_REPOS) in txn, or in
 * a read txn of its own.
 */
static int
authz_call_eval(struct call *call, struct store_txn *txn, const char *each,
    const struct policy *override, bool *allowed, char *msg, size_t size)
{
	struct store_txn *own = NULL;
	struct authz_req r;
	struct authz_tags t;
	char arn[CORE_ARN_MAX], action[ACTION_MAX];
	int rc = 0;

	req_from_call(call, each, &r, &t, arn, sizeof arn, action,
	    sizeof action);
	if (txn == NULL &&
	    (rc = store_txn_begin(call->ctx->store, NULL, false, &own)) == 0)
		txn = own;
	if (rc == 0)
		rc = core_authz_eval(call->ctx, txn, &r, override, allowed, msg,
		    size);
	store_txn_abort(own);
	free(t.kv);
	free(t.keys);
	return rc;
}

/*
 * IAM lists repository* as the resource of the operations that take
 * repositoryNames (Service Authorization Reference), so each named
 * repository's ARN is decided, all in one read txn; without names the
 * resource is "*". The first denied name, in input order, fails the whole
 * call, as a missing name does (docs/ecr-behaviour.md 3.1) [unconfirmed: the
 * notes do not say how ECR reports a partial denial].
 */
static int
authz_each_name(struct call *call, struct json_object *names, bool *allowed,
    char *msg, size_t size)
{
	struct store_txn *txn = NULL;
	size_t i, n = json_object_array_length(names);
	int rc;

	if ((rc = store_txn_begin(call->ctx->store, NULL, false, &txn)) != 0)
		return rc;
	*allowed = true;
	for (i = 0; i < n && *allowed && rc == 0; i++)
		rc = authz_call_eval(call, txn,
		    json_object_get_string(json_object_array_get_idx(names, i)),
		    NULL, allowed, msg, size);
	store_txn_abort(txn);
	return rc;
}

int
api_authz_call(struct call *call)
{
	struct json_object *names = NULL;
	char msg[ECR_ERROR_MESSAGE_SIZE];
	bool allowed = false;
	int rc;

	if (!call->ctx->cfg.is_strict)
		return 0;
	if (call->op->flags & OP_RESOURCE_REPOS)
		names = api_in_array(call, "repositoryNames");
	if (names != NULL && json_object_array_length(names) != 0)
		rc = authz_each_name(call, names, &allowed, msg, sizeof msg);
	else
		rc = authz_call_eval(call, NULL, NULL, NULL, &allowed, msg,
		    sizeof msg);
	if (rc != 0)
		return core_fail_store(call, rc);
	if (!allowed)
		return core_fail(call, ERR_ACCESS_DENIED, "%s", msg);
	return 0;
}

/*
 * ECR refuses a policy that would stop the caller from setting another,
 * unless forced (model docs); the wording is ours [unconfirmed]
 * (docs/ecr-behaviour.md 3.5).
 */
int
api_authz_lockout_check(struct call *call, const struct policy *policy)
{
	char msg[ECR_ERROR_MESSAGE_SIZE];
	bool allowed = false;
	int rc;

	if (!call->ctx->cfg.is_strict)
		return 0;
	if ((rc = authz_call_eval(call, call->txn, NULL, policy, &allowed, msg,
	         sizeof msg)) != 0)
		return core_fail_store(call, rc);
	if (!allowed)
		return core_fail_param(call, "PolicyText",
		    "The repository "
		    "policy would prevent you from setting another policy in "
		    "the future; use force to set it anyway");
	return 0;
}
