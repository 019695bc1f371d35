/*
 * PutSigningConfiguration, GetSigningConfiguration,
 * DeleteSigningConfiguration: the registry's managed-signing rules
 * (docs/ecr-behaviour.md 3.12), one registry document; pushes that match
 * a rule are signed (core/signing.c).
 */
#include "api/api_int.h"

#include <string.h>

#include <json-c/json.h>

#include "store/store.h"

static int put_signing_configuration(struct call *);
static int get_signing_configuration(struct call *);
static int delete_signing_configuration(struct call *);

const struct op api_op_put_signing_configuration = {
    .name = "PutSigningConfiguration",
    .input = &model_PutSigningConfigurationRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_ANY,
    .exec = put_signing_configuration,
};

const struct op api_op_get_signing_configuration = {
    .name = "GetSigningConfiguration",
    .input = &model_GetSigningConfigurationRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_ANY,
    .exec = get_signing_configuration,
};

const struct op api_op_delete_signing_configuration = {
    .name = "DeleteSigningConfiguration",
    .input = &model_DeleteSigningConfigurationRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_ANY,
    .exec = delete_signing_configuration,
};

/* The rules as stored and answered: only the model's members. */
static struct json_object *
copy_rules(struct json_object *in)
{
	struct json_object *rules = jnew_arr(), *r, *filters, *f, *fs;
	struct json_object *in_rules = jget(in, "rules", json_type_array);
	size_t i, j, n = json_object_array_length(in_rules), nf;

	for (i = 0; i < n; i++) {
		r = json_object_array_get_idx(in_rules, i);
		f = jnew_obj();
		jadd_str(f, "signingProfileArn",
		    jget_str(r, "signingProfileArn"));
		filters = jget(r, "repositoryFilters", json_type_array);
		nf = filters != NULL ? json_object_array_length(filters) : 0;
		if (filters != NULL) {
			fs = jnew_arr();
			for (j = 0; j < nf; j++) {
				struct json_object
				    *x = jnew_obj(),
				    *y = json_object_array_get_idx(filters, j);

				jadd_str(x, "filter", jget_str(y, "filter"));
				jadd_str(x, "filterType",
				    jget_str(y, "filterType"));
				jpush(fs, x);
			}
			jadd_obj(f, "repositoryFilters", fs);
		}
		jpush(rules, f);
	}
	return rules;
}

static int
put_signing_configuration(struct call *call)
{
	struct json_object *config = jnew_obj();
	struct store_doc doc;
	int rc;

	jadd_obj(config, "rules",
	    copy_rules(api_in_obj(call, "signingConfiguration")));
	memset(&doc, 0, sizeof doc);
	doc.text = jrender(config, &doc.len);
	doc.at_ms = call->now_ms;
	if (doc.text == NULL) {
		json_object_put(config);
		return core_fail_render(call);
	}
	rc = store_registry_doc_put(call->txn, call->registry_id,
	    call->id.region, STORE_DOC_SIGNING, &doc);
	store_doc_release(&doc);
	if (rc != 0) {
		json_object_put(config);
		return core_fail_store(call, rc);
	}
	jadd_obj(call->out, "signingConfiguration", config);
	return 0;
}

/* The registry's configuration into call->out, or the error. */
static int
answer_configuration(struct call *call)
{
	struct json_object *config;
	int rc;

	rc = core_signing_read(call->txn, call->registry_id, call->id.region,
	    &config);
	if (rc == STORE_NOTFOUND)
		/* [unconfirmed] wording. */
		return core_fail(call, ERR_SIGNING_CONFIGURATION_NOT_FOUND,
		    "Signing configuration does not exist for the registry "
		    "with id '%s'",
		    call->registry_id);
	if (rc != 0)
		return core_fail_store(call, rc);
	jadd_str(call->out, "registryId", call->registry_id);
	jadd_obj(call->out, "signingConfiguration", config);
	return 0;
}

static int
get_signing_configuration(struct call *call)
{
	return answer_configuration(call);
}

/* Existing signatures stay (3.12): only the rules go. */
static int
delete_signing_configuration(struct call *call)
{
	int rc;

	if (answer_configuration(call) != 0)
		return -1;
	rc = store_registry_doc_delete(call->txn, call->registry_id,
	    call->id.region, STORE_DOC_SIGNING);
	if (rc != 0)
		return core_fail_store(call, rc);
	return 0;
}
