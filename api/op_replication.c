/*
 * PutReplicationConfiguration: the caller's registry's replication rules
 * in its region, checked as ECR checks them, stored and answered in one
 * canonical form, which DescribeRegistry also answers
 * (docs/ecr-behaviour.md 3.8).
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/json.h"
#include "store/store.h"

/* Unique destinations across all rules (docs/ecr-behaviour.md 4). */
#define REPL_DESTINATIONS_MAX 25
#define REPL_MEMBER "replicationConfiguration"

static int put_replication_configuration(struct call *);

const struct op api_op_put_replication_configuration = {
    .name = "PutReplicationConfiguration",
    .input = &model_PutReplicationConfigurationRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_ANY,
    .exec = put_replication_configuration,
};

/*
 * A destination as ECR takes it: not the source registry itself, and a
 * region of the source's partition that ECR serves. The wordings past
 * moto's for the source are ecrd's [unconfirmed].
 */
static int
check_destination(struct call *call, const char *reg, const char *region)
{
	if (strcmp(reg, call->registry_id) == 0 &&
	    strcmp(region, call->id.region) == 0)
		return core_fail_param(call, REPL_MEMBER,
		    "Replication destination cannot be the same as the "
		    "source registry");
	if (!core_repl_region_is_known(region))
		return core_fail_param(call, REPL_MEMBER,
		    call_printf(call,
		        "Replication destination region '%s' is not a valid "
		        "region",
		        region));
	if (strcmp(core_partition(region), core_partition(call->id.region)) !=
	    0)
		return core_fail_param(call, REPL_MEMBER,
		    call_printf(call,
		        "Replication destination region '%s' is not in the "
		        "partition of the source registry",
		        region));
	return 0;
}

/* Copy a rule's destinations, counting the unique ones in seen. */
static int
copy_destinations(struct call *call, struct json_object *in,
    struct json_object *out, struct json_object *seen)
{
	struct json_object *d, *o;
	const char *reg, *region;
	size_t i, n;

	n = json_object_array_length(in);
	for (i = 0; i < n; i++) {
		d = json_object_array_get_idx(in, i);
		reg = jget_str(d, "registryId");
		region = jget_str(d, "region");
		if (check_destination(call, reg, region) != 0)
			return -1;
		if (!core_repl_dest_seen(call, seen, reg, region) &&
		    json_object_object_length(seen) > REPL_DESTINATIONS_MAX)
			return core_fail_param(call, REPL_MEMBER,
			    "The number of unique replication destinations "
			    "must be less than or equal to 25");
		o = jnew_obj();
		jadd_str(o, "region", region);
		jadd_str(o, "registryId", reg);
		jpush(out, o);
	}
	return 0;
}

static void
copy_filters(struct json_object *in, struct json_object *rule)
{
	struct json_object *f, *o, *list;
	size_t i, n;

	if (in == NULL)
		return;
	list = jnew_arr();
	n = json_object_array_length(in);
	for (i = 0; i < n; i++) {
		f = json_object_array_get_idx(in, i);
		o = jnew_obj();
		jadd_str(o, "filter", jget_str(f, "filter"));
		jadd_str(o, "filterType", jget_str(f, "filterType"));
		jpush(list, o);
	}
	jadd_obj(rule, "repositoryFilters", list);
}

/*
 * The configuration in its canonical form (members in the model's order),
 * checked past what the model states: 0 with *out (put it), or -1.
 */
static int
canonical(struct call *call, struct json_object *in, struct json_object **out)
{
	struct json_object *rules, *rule, *o, *dests, *seen, *conf, *copy;
	size_t i, n;
	int rc = 0;

	rules = jget(in, "rules", json_type_array);
	conf = jnew_obj();
	o = jnew_arr();
	jadd_obj(conf, "rules", o);
	seen = jnew_obj();
	n = json_object_array_length(rules);
	for (i = 0; rc == 0 && i < n; i++) {
		rule = json_object_array_get_idx(rules, i);
		copy = jnew_obj();
		jpush(o, copy); /* borrowed from o from here on */
		dests = jnew_arr();
		jadd_obj(copy, "destinations", dests);
		rc = copy_destinations(call,
		    jget(rule, "destinations", json_type_array), dests, seen);
		copy_filters(jget(rule, "repositoryFilters", json_type_array),
		    copy);
	}
	json_object_put(seen);
	if (rc != 0) {
		json_object_put(conf);
		return -1;
	}
	*out = conf;
	return 0;
}

static int
put_replication_configuration(struct call *call)
{
	struct json_object *conf = NULL;
	struct store_doc doc;
	char *text;
	size_t len;
	int rc;

	if (canonical(call, api_in_obj(call, REPL_MEMBER), &conf) != 0)
		return -1;
	if ((text = jrender(conf, &len)) == NULL) {
		json_object_put(conf);
		return core_fail_render(call);
	}
	memset(&doc, 0, sizeof doc);
	doc.text = text;
	doc.len = len;
	doc.at_ms = call->now_ms;
	/* An empty rules list turns replication off: it is kept as such. */
	rc = store_registry_doc_put(call->txn, call->registry_id,
	    call->id.region, STORE_DOC_REPLICATION, &doc);
	free(text);
	if (rc != 0) {
		json_object_put(conf);
		return core_fail_store(call, rc);
	}
	jadd_obj(call->out, REPL_MEMBER, conf);
	return 0;
}
