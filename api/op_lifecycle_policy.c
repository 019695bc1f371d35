/*
 * PutLifecyclePolicy, GetLifecyclePolicy and DeleteLifecyclePolicy: a
 * repository's lifecycle policy, validated and kept in the canonical form
 * ECR answers with, and when it last ran (docs/ecr-behaviour.md 3.6).
 */
#include "api/api_int.h"

#include <string.h>

#include "core/lifecycle.h"
#include "store/store.h"

static int put_lifecycle_policy(struct call *);
static int get_lifecycle_policy(struct call *);
static int delete_lifecycle_policy(struct call *);

const struct op api_op_put_lifecycle_policy = {
    .name = "PutLifecyclePolicy",
    .input = &model_PutLifecyclePolicyRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_REPO,
    .exec = put_lifecycle_policy,
};

const struct op api_op_get_lifecycle_policy = {
    .name = "GetLifecyclePolicy",
    .input = &model_GetLifecyclePolicyRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_REPO,
    .exec = get_lifecycle_policy,
};

const struct op api_op_delete_lifecycle_policy = {
    .name = "DeleteLifecyclePolicy",
    .input = &model_DeleteLifecyclePolicyRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_REPO,
    .exec = delete_lifecycle_policy,
};

static void
out_policy(struct call *call, const struct store_repo *repo, const char *text)
{
	jadd_str(call->out, "registryId", repo->registry_id);
	jadd_str(call->out, "repositoryName", repo->name);
	jadd_str(call->out, "lifecyclePolicyText", text);
}

/*
 * The stored text is the canonical one Put answers with (3.6); a new
 * policy has not run yet, so lastEvaluatedAt starts again at 0
 * [unconfirmed].
 */
static int
put_lifecycle_policy(struct call *call)
{
	struct lifecycle_policy *policy = NULL;
	struct store_repo repo;
	struct store_doc doc;
	int rc;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) !=
	        0 ||
	    core_lifecycle_parse(call, api_in_str(call, "lifecyclePolicyText"),
	        api_in_len(call, "lifecyclePolicyText"), &policy) != 0)
		return -1;
	memset(&doc, 0, sizeof doc);
	doc.text = policy->normalised;
	doc.len = strlen(policy->normalised);
	doc.at_ms = call->now_ms;
	rc = store_repo_doc_put(call->txn, repo.id, STORE_DOC_LIFECYCLE_POLICY,
	    &doc);
	if (rc == 0)
		out_policy(call, &repo, policy->normalised);
	lifecycle_free(policy);
	return rc == 0 ? 0 : core_fail_store(call, rc);
}

/* The repository and its policy document, or the error ECR answers. */
static int
find_policy(struct call *call, struct store_repo *repo, struct store_doc *doc)
{
	int rc;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), repo) != 0)
		return -1;
	memset(doc, 0, sizeof *doc);
	rc = store_repo_doc_get(call->txn, repo->id, STORE_DOC_LIFECYCLE_POLICY,
	    doc);
	if (rc == STORE_NOTFOUND)
		return core_fail_no_lifecycle_policy(call, repo);
	if (rc != 0)
		return core_fail_store(call, rc);
	return 0;
}

/* lastEvaluatedAt is 0.0 until the policy has run (3.6, [wire]). */
static int
get_lifecycle_policy(struct call *call)
{
	struct store_repo repo;
	struct store_doc doc;

	if (find_policy(call, &repo, &doc) != 0)
		return -1;
	out_policy(call, &repo, doc.text);
	jadd_epoch(call->out, "lastEvaluatedAt", doc.aux_ms);
	store_doc_release(&doc);
	return 0;
}

/* Answers with the policy it deleted. The last preview stays. */
static int
delete_lifecycle_policy(struct call *call)
{
	struct store_repo repo;
	struct store_doc doc;
	int rc;

	if (find_policy(call, &repo, &doc) != 0)
		return -1;
	rc = store_repo_doc_delete(call->txn, repo.id,
	    STORE_DOC_LIFECYCLE_POLICY);
	if (rc == 0) {
		out_policy(call, &repo, doc.text);
		jadd_epoch(call->out, "lastEvaluatedAt", doc.aux_ms);
	}
	store_doc_release(&doc);
	return rc == 0 ? 0 : core_fail_store(call, rc);
}
