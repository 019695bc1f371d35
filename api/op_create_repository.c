/* CreateRepository: make a repository with its settings and tags. */
#include "api/api_int.h"

#include <string.h>

#include <json-c/json.h>

#include "common/str.h"
#include "core/scanning.h"
#include "store/store.h"

static int create_repository(struct call *);

const struct op api_op_create_repository = {
    .name = "CreateRepository",
    .input = &model_CreateRepositoryRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_REPO,
    .exec = create_repository,
};

static int
create_repository(struct call *call)
{
	const char *name = api_in_str(call, "repositoryName");
	const char *mutability = api_in_str(call, "imageTagMutability");
	struct json_object *scan =
	    api_in_obj(call, "imageScanningConfiguration");
	struct json_object *v;
	struct store_repo repo;
	int rc;

	memset(&repo, 0, sizeof repo);
	str_copy(repo.registry_id, sizeof repo.registry_id, call->registry_id);
	str_copy(repo.region, sizeof repo.region, call->id.region);
	str_copy(repo.name, sizeof repo.name, name);
	repo.created_at_ms = call->now_ms;
	if (scan != NULL && json_object_object_get_ex(scan, "scanOnPush", &v))
		repo.scan_on_push = json_object_get_boolean(v);
	if (core_mutability_check(call,
	        mutability != NULL ? mutability : "MUTABLE",
	        api_in_array(call, "imageTagMutabilityExclusionFilters"),
	        &repo) != 0 ||
	    core_encryption_set(call,
	        api_in_obj(call, "encryptionConfiguration"), &repo) != 0 ||
	    core_repo_tags_merge(call, &repo, api_in_array(call, "tags")) != 0)
		return -1;
	rc = store_repo_create(call->txn, &repo);
	if (rc == STORE_EXISTS)
		return core_fail(call, ERR_REPOSITORY_ALREADY_EXISTS,
		    "The "
		    "repository with name '%s' already exists in the registry "
		    "with id '%s'",
		    name, call->registry_id);
	if (rc != 0)
		return core_fail_store(call, rc);
	if (core_repo_quota_check(call) != 0)
		return -1;
	core_scan_repo_event(call, CORE_SCAN_REPO_CREATE, &repo, NULL);
	api_out_repo(call, &repo);
	return 0;
}
