/* PutImageTagMutability: change how future pushes may move tags. */
#include "api/api_int.h"

#include <json-c/json.h>

#include "store/store.h"

static int put_image_tag_mutability(struct call *);

const struct op api_op_put_image_tag_mutability = {
    .name = "PutImageTagMutability",
    .input = &model_PutImageTagMutabilityRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_REPO,
    .exec = put_image_tag_mutability,
};

static int
put_image_tag_mutability(struct call *call)
{
	const char *name = api_in_str(call, "repositoryName");
	struct json_object *filters;
	struct store_repo repo;
	int rc;

	filters = api_in_array(call, "imageTagMutabilityExclusionFilters");
	if (core_repo_get(call, name, &repo) != 0 ||
	    core_mutability_check(call, api_in_str(call, "imageTagMutability"),
	        filters, &repo) != 0)
		return -1;
	if ((rc = store_repo_update(call->txn, &repo)) != 0)
		return core_fail_store(call, rc);
	jadd_str(call->out, "registryId", repo.registry_id);
	jadd_str(call->out, "repositoryName", repo.name);
	jadd_str(call->out, "imageTagMutability", repo.tag_mutability);
	if (filters != NULL && json_object_array_length(filters) != 0)
		jadd_obj(call->out, "imageTagMutabilityExclusionFilters",
		    json_object_get(filters));
	return 0;
}
