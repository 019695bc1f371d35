/*
 * SetRepositoryPolicy, GetRepositoryPolicy, DeleteRepositoryPolicy: the
 * resource policy of one repository, kept as ECR re-serialises it
 * (docs/ecr-behaviour.md 3.5).
 */
#include "api/api_int.h"

#include <string.h>

#include "policy/policy.h"
#include "store/store.h"

static int set_repository_policy(struct call *);
static int get_repository_policy(struct call *);
static int delete_repository_policy(struct call *);

const struct op api_op_set_repository_policy = {
    .name = "SetRepositoryPolicy",
    .input = &model_SetRepositoryPolicyRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_REPO,
    .exec = set_repository_policy,
};

const struct op api_op_get_repository_policy = {
    .name = "GetRepositoryPolicy",
    .input = &model_GetRepositoryPolicyRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_REPO,
    .exec = get_repository_policy,
};

const struct op api_op_delete_repository_policy = {
    .name = "DeleteRepositoryPolicy",
    .input = &model_DeleteRepositoryPolicyRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_REPO,
    .exec = delete_repository_policy,
};

/* The answer of all three: registryId, repositoryName, policyText. */
static int
answer(struct call *call, const struct store_repo *repo, const char *text)
{
	jadd_str(call->out, "registryId", repo->registry_id);
	jadd_str(call->out, "repositoryName", repo->name);
	jadd_str(call->out, "policyText", text);
	return 0;
}

/* The stored text into doc (release it), or the NotFound answer (2.4). */
static int
get_policy(struct call *call, const struct store_repo *repo,
    struct store_doc *doc)
{
	int rc;

	memset(doc, 0, sizeof *doc);
	rc =
	    store_repo_doc_get(call->txn, repo->id, STORE_DOC_REPO_POLICY, doc);
	if (rc == STORE_NOTFOUND)
		return core_fail(call, ERR_REPOSITORY_POLICY_NOT_FOUND,
		    "Repository policy does not exist for the repository with "
		    "name '%s' in the registry with id '%s'",
		    repo->name, repo->registry_id);
	if (rc != 0)
		return core_fail_store(call, rc);
	return 0;
}

static int
set_repository_policy(struct call *call)
{
	struct store_repo repo;
	struct store_doc doc;
	struct policy *policy = NULL;
	char *text;
	int rc;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) !=
	        0 ||
	    api_policy_text_check(call, API_POLICY_REPOSITORY, &policy,
	        &text) != 0)
		return -1;
	if (!api_in_bool(call, "force", false) &&
	    api_authz_lockout_check(call, policy) != 0) {
		policy_free(policy);
		return -1;
	}
	policy_free(policy);
	memset(&doc, 0, sizeof doc);
	doc.text = text;
	doc.len = strlen(text);
	doc.at_ms = call->now_ms;
	if ((rc = store_repo_doc_put(call->txn, repo.id, STORE_DOC_REPO_POLICY,
	         &doc)) != 0)
		return core_fail_store(call, rc);
	return answer(call, &repo, text);
}

static int
get_repository_policy(struct call *call)
{
	struct store_repo repo;
	struct store_doc doc;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) !=
	        0 ||
	    get_policy(call, &repo, &doc) != 0)
		return -1;
	answer(call, &repo, doc.text);
	store_doc_release(&doc);
	return 0;
}

/* Delete answers the text it removed (docs/ecr-behaviour.md 3.5). */
static int
delete_repository_policy(struct call *call)
{
	struct store_repo repo;
	struct store_doc doc;
	int rc;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) !=
	        0 ||
	    get_policy(call, &repo, &doc) != 0)
		return -1;
	answer(call, &repo, doc.text);
	store_doc_release(&doc);
	rc = store_repo_doc_delete(call->txn, repo.id, STORE_DOC_REPO_POLICY);
	if (rc != 0)
		return core_fail_store(call, rc);
	return 0;
}
