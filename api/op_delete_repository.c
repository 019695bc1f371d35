/*
 * DeleteRepository: remove a repository; with force, its images too. The
 * repository goes at once (store_repo_bury), as in ECR, and its records
 * in slices after the answer (core/reap.c), however many images it had.
 */
#include "api/api_int.h"

#include "store/store.h"

static int delete_repository(struct call *);

const struct op api_op_delete_repository = {
    .name = "DeleteRepository",
    .input = &model_DeleteRepositoryRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_REPO | OP_FREES_SPACE,
    .exec = delete_repository,
};

static int
delete_repository(struct call *call)
{
	const char *name = api_in_str(call, "repositoryName");
	struct store_repo repo;
	bool has_images;
	int rc;

	if (core_repo_get(call, name, &repo) != 0)
		return -1;
	if ((rc = store_repo_has_images(call->txn, repo.id, &has_images)) != 0)
		return core_fail_store(call, rc);
	if (has_images && !api_in_bool(call, "force", false))
		return core_fail(call, ERR_REPOSITORY_NOT_EMPTY,
		    "The repository "
		    "with name '%s' in registry with id '%s' cannot be deleted "
		    "because it still contains images",
		    name, call->registry_id);
	rc = store_repo_bury(call->txn, repo.registry_id, repo.region, name);
	if (rc != 0)
		return core_fail_store(call, rc);
	call->ctx->is_reap_due = true;
	api_out_repo(call, &repo);
	return 0;
}
