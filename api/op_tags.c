/* TagResource, UntagResource, ListTagsForResource: repository tags. */
#include "api/api_int.h"

#include <json-c/json.h>

#include "store/store.h"

static int tag_resource(struct call *);
static int untag_resource(struct call *);
static int list_tags_for_resource(struct call *);

const struct op api_op_tag_resource = {
    .name = "TagResource",
    .input = &model_TagResourceRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_ARN,
    .exec = tag_resource,
};

const struct op api_op_untag_resource = {
    .name = "UntagResource",
    .input = &model_UntagResourceRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_ARN,
    .exec = untag_resource,
};

const struct op api_op_list_tags_for_resource = {
    .name = "ListTagsForResource",
    .input = &model_ListTagsForResourceRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_ARN,
    .exec = list_tags_for_resource,
};

static int
tag_resource(struct call *call)
{
	struct store_repo repo;
	int rc;

	if (core_repo_from_arn(call, api_in_str(call, "resourceArn"), &repo) !=
	        0 ||
	    core_repo_tags_merge(call, &repo, api_in_array(call, "tags")) != 0)
		return -1;
	if ((rc = store_repo_update(call->txn, &repo)) != 0)
		return core_fail_store(call, rc);
	return 0;
}

static int
untag_resource(struct call *call)
{
	struct store_repo repo;
	int rc;

	if (core_repo_from_arn(call, api_in_str(call, "resourceArn"), &repo) !=
	    0)
		return -1;
	core_repo_tags_remove(&repo, api_in_array(call, "tagKeys"));
	if ((rc = store_repo_update(call->txn, &repo)) != 0)
		return core_fail_store(call, rc);
	return 0;
}

static int
list_tags_for_resource(struct call *call)
{
	struct store_repo repo;
	struct json_object *list, *t;
	size_t i;

	if (core_repo_from_arn(call, api_in_str(call, "resourceArn"), &repo) !=
	    0)
		return -1;
	list = jnew_arr();
	for (i = 0; i < repo.n_tags; i++) {
		t = jnew_obj();
		jadd_str(t, "Key", repo.tags[i].key);
		jadd_str(t, "Value", repo.tags[i].value);
		jpush(list, t);
	}
	jadd_obj(call->out, "tags", list);
	return 0;
}
