/*
 * DescribeRegistry: the caller's registry id and its replication
 * configuration in the region (op_replication.c).
 */
#include "api/api_int.h"

static int describe_registry(struct call *);

const struct op api_op_describe_registry = {
    .name = "DescribeRegistry",
    .input = &model_DescribeRegistryRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_ANY,
    .exec = describe_registry,
};

static int
describe_registry(struct call *call)
{
	struct json_object *repl = NULL;
	int rc;

	jadd_str(call->out, "registryId", call->registry_id);
	rc = core_repl_config_load(call->txn, call->registry_id,
	    call->id.region, &repl);
	if (rc != 0)
		return core_fail_store(call, rc);
	/* None set: no rules (docs/ecr-behaviour.md 3.8). */
	if (repl == NULL) {
		repl = jnew_obj();
		jadd_obj(repl, "rules", jnew_arr());
	}
	jadd_obj(call->out, "replicationConfiguration", repl);
	return 0;
}
