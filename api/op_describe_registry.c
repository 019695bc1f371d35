/* DescribeRegistry: the caller's registry id and replication settings. */
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
	struct json_object *repl;

	jadd_str(call->out, "registryId", call->registry_id);
	/* Replication rules arrive with PutReplicationConfiguration (#3+). */
	repl = jnew_obj();
	jadd_obj(repl, "rules", jnew_arr());
	jadd_obj(call->out, "replicationConfiguration", repl);
	return 0;
}
