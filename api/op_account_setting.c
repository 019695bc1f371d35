/*
 * GetAccountSetting, PutAccountSetting: the account's settings in a
 * region, kept as one JSON object in the registry's settings document;
 * REGISTRY_POLICY_SCOPE steers registry policies (docs/ecr-behaviour.md 3.11).
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "store/store.h"

static int get_account_setting(struct call *);
static int put_account_setting(struct call *);

const struct op api_op_get_account_setting = {
    .name = "GetAccountSetting",
    .input = &model_GetAccountSettingRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_ANY,
    .exec = get_account_setting,
};

const struct op api_op_put_account_setting = {
    .name = "PutAccountSetting",
    .input = &model_PutAccountSettingRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_ANY,
    .exec = put_account_setting,
};

/* The wording is Coral's for an enum [unconfirmed] (1.5, 3.11). */
static int
check_setting(struct call *call, const char *name, const char *value,
    const struct setting_def **out)
{
	size_t i;

	if ((*out = core_setting_find(name)) == NULL)
		return core_fail(call, ERR_VALIDATION,
		    "1 validation error "
		    "detected: Value '%s' at 'name' failed to satisfy "
		    "constraint: Member must satisfy enum value set: "
		    "[BASIC_SCAN_TYPE_VERSION, BLOB_MOUNTING, "
		    "REGISTRY_POLICY_SCOPE]",
		    name);
	for (i = 0; value != NULL && i < CORE_SETTING_VALUES_MAX; i++) {
		if (strcmp((*out)->values[i], value) == 0)
			return 0;
	}
	if (value == NULL)
		return 0;
	return core_fail(call, ERR_VALIDATION,
	    "1 validation error detected: "
	    "Value '%s' at 'value' failed to satisfy constraint: Member must "
	    "satisfy enum value set: %s",
	    value, (*out)->values_text);
}

static int
get_account_setting(struct call *call)
{
	const struct setting_def *def;
	const char *name = api_in_str(call, "name");
	char value[32];
	int rc;

	if (check_setting(call, name, NULL, &def) != 0)
		return -1;
	rc = core_setting_get(call->txn, call->registry_id, call->id.region,
	    name, value, sizeof value);
	if (rc != 0)
		return core_fail_store(call, rc);
	jadd_str(call->out, "name", def->name);
	jadd_str(call->out, "value", value);
	return 0;
}

static int
put_account_setting(struct call *call)
{
	const struct setting_def *def;
	const char *value = api_in_str(call, "value");
	struct json_object *old = NULL, *next;
	struct store_doc doc;
	size_t i;
	int rc;

	if (check_setting(call, api_in_str(call, "name"), value, &def) != 0)
		return -1;
	if ((rc = core_settings_read(call->txn, call->registry_id,
	         call->id.region, &old)) != 0)
		return core_fail_store(call, rc);
	next = jnew_obj();
	for (i = 0; i < core_n_setting_defs; i++)
		jadd_str(next, core_setting_defs[i].name,
		    &core_setting_defs[i] == def
		        ? value
		        : core_setting_stored(old, &core_setting_defs[i]));
	memset(&doc, 0, sizeof doc);
	doc.text = jrender(next, &doc.len);
	doc.at_ms = call->now_ms;
	json_object_put(next);
	json_object_put(old);
	if (doc.text == NULL)
		return core_fail_render(call);
	rc = store_registry_doc_put(call->txn, call->registry_id,
	    call->id.region, STORE_DOC_REGISTRY_SETTINGS, &doc);
	store_doc_release(&doc);
	if (rc != 0)
		return core_fail_store(call, rc);
	jadd_str(call->out, "name", def->name);
	jadd_str(call->out, "value", value);
	return 0;
}
