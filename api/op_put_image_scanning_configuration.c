/* PutImageScanningConfiguration: set a repository's scanOnPush. */
#include "api/api_int.h"

#include <json-c/json.h>

#include "store/store.h"

static int put_image_scanning_configuration(struct call *);

const struct op api_op_put_image_scanning_configuration = {
    .name = "PutImageScanningConfiguration",
    .input = &model_PutImageScanningConfigurationRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_REPO,
    .exec = put_image_scanning_configuration,
};

static int
put_image_scanning_configuration(struct call *call)
{
	const char *name = api_in_str(call, "repositoryName");
	struct json_object *scan, *v;
	struct store_repo repo;
	int rc;

	if (core_repo_get(call, name, &repo) != 0)
		return -1;
	scan = api_in_obj(call, "imageScanningConfiguration");
	repo.scan_on_push = json_object_object_get_ex(scan, "scanOnPush", &v) &&
	                    json_object_get_boolean(v);
	if ((rc = store_repo_update(call->txn, &repo)) != 0)
		return core_fail_store(call, rc);
	jadd_str(call->out, "registryId", repo.registry_id);
	jadd_str(call->out, "repositoryName", repo.name);
	scan = jnew_obj();
	jadd_bool(scan, "scanOnPush", repo.scan_on_push);
	jadd_obj(call->out, "imageScanningConfiguration", scan);
	return 0;
}
