/*
 * PutRegistryPolicy, GetRegistryPolicy, DeleteRegistryPolicy: the
 * resource policy of the caller's registry in its region, checked against
 * the REGISTRY_POLICY_SCOPE setting (docs/ecr-behaviour.md 3.5, 3.11).
 */
#include "api/api_int.h"

#include <string.h>

#include "policy/policy.h"
#include "store/store.h"

static int put_registry_policy(struct call *);
static int get_registry_policy(struct call *);
static int delete_registry_policy(struct call *);

const struct op api_op_put_registry_policy = {
    .name = "PutRegistryPolicy",
    .input = &model_PutRegistryPolicyRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_ANY,
    .exec = put_registry_policy,
};

const struct op api_op_get_registry_policy = {
    .name = "GetRegistryPolicy",
    .input = &model_GetRegistryPolicyRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_ANY,
    .exec = get_registry_policy,
};

const struct op api_op_delete_registry_policy = {
    .name = "DeleteRegistryPolicy",
    .input = &model_DeleteRegistryPolicyRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_ANY,
    .exec = delete_registry_policy,
};

static int
answer(struct call *call, const char *text)
{
	jadd_str(call->out, "registryId", call->registry_id);
	jadd_str(call->out, "policyText", text);
	return 0;
}

/* The stored text into doc (release it), or the NotFound answer (2.4). */
static int
get_policy(struct call *call, struct store_doc *doc)
{
	int rc;

	memset(doc, 0, sizeof *doc);
	rc = store_registry_doc_get(call->txn, call->registry_id,
	    call->id.region, STORE_DOC_REGISTRY_POLICY, doc);
	if (rc == STORE_NOTFOUND)
		return core_fail(call, ERR_REGISTRY_POLICY_NOT_FOUND,
		    "Registry "
		    "policy does not exist in the registry with id '%s'",
		    call->registry_id);
	if (rc != 0)
		return core_fail_store(call, rc);
	return 0;
}

static int
put_registry_policy(struct call *call)
{
	struct store_doc doc;
	struct policy *policy = NULL;
	char *text, scope[16];
	int rc;

	rc = core_setting_get(call->txn, call->registry_id, call->id.region,
	    CORE_SETTING_POLICY_SCOPE, scope, sizeof scope);
	if (rc != 0)
		return core_fail_store(call, rc);
	if (api_policy_text_check(call,
	        strcmp(scope, "V1") == 0 ? API_POLICY_REGISTRY_V1
	                                 : API_POLICY_REGISTRY,
	        &policy, &text) != 0)
		return -1;
	policy_free(policy);
	memset(&doc, 0, sizeof doc);
	doc.text = text;
	doc.len = strlen(text);
	doc.at_ms = call->now_ms;
	if ((rc = store_registry_doc_put(call->txn, call->registry_id,
	         call->id.region, STORE_DOC_REGISTRY_POLICY, &doc)) != 0)
		return core_fail_store(call, rc);
	return answer(call, text);
}

static int
get_registry_policy(struct call *call)
{
	struct store_doc doc;

	if (get_policy(call, &doc) != 0)
		return -1;
	answer(call, doc.text);
	store_doc_release(&doc);
	return 0;
}

static int
delete_registry_policy(struct call *call)
{
	struct store_doc doc;
	int rc;

	if (get_policy(call, &doc) != 0)
		return -1;
	answer(call, doc.text);
	store_doc_release(&doc);
	rc = store_registry_doc_delete(call->txn, call->registry_id,
	    call->id.region, STORE_DOC_REGISTRY_POLICY);
	if (rc != 0)
		return core_fail_store(call, rc);
	return 0;
}
