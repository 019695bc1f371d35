/*
 * GetAccountSetting, PutAccountSetting: the account's settings in a
 * region, kept as one JSON object in the registry's settings document;
 * REGISTRY_POLICY_SCOPE steers registry policies (docs/ecr-behaviour.md 3.11).
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/str.h"
#include "store/store.h"

static int	get_account_setting(struct api_call *);
static int	put_account_setting(struct api_call *);

const struct api_op api_op_get_account_setting = {
	.name = "GetAccountSetting",
	.input = &model_GetAccountSettingRequest,
	.flags = OP_TXN_READ | OP_RESOURCE_ANY,
	.exec = get_account_setting,
};

const struct api_op api_op_put_account_setting = {
	.name = "PutAccountSetting",
	.input = &model_PutAccountSettingRequest,
	.flags = OP_TXN_WRITE | OP_RESOURCE_ANY,
	.exec = put_account_setting,
};

#define SETTING_VALUES_MAX	2

/* Names, values and defaults of docs/ecr-behaviour.md 3.11. */
static const struct setting_def {
	const char	*name;
	const char	*dflt;
	const char	*values[SETTING_VALUES_MAX];
	const char	*values_text;	/* for the message */
} setting_defs[] = {
	{ "BASIC_SCAN_TYPE_VERSION", "AWS_NATIVE", { "AWS_NATIVE", "CLAIR" },
	    "[AWS_NATIVE, CLAIR]" },
	{ API_SETTING_BLOB_MOUNTING, "DISABLED", { "DISABLED", "ENABLED" },
	    "[DISABLED, ENABLED]" },
	{ API_SETTING_POLICY_SCOPE, "V2", { "V1", "V2" }, "[V1, V2]" },
};
#define N_SETTINGS	(sizeof setting_defs / sizeof setting_defs[0])

static const struct setting_def *
setting_find(const char *name)
{
	size_t	i;

	for (i = 0; i < N_SETTINGS; i++) {
		if (strcmp(setting_defs[i].name, name) == 0)
			return &setting_defs[i];
	}
	return NULL;
}

/* The stored settings object (put it), or NULL when none is stored. */
static int
settings_read(struct store_txn *txn, const char *registry_id,
    const char *region, struct json_object **out)
{
	struct store_doc	doc;
	int			rc;

	*out = NULL;
	memset(&doc, 0, sizeof doc);
	rc = store_registry_doc_get(txn, registry_id, region,
	    STORE_DOC_REGISTRY_SETTINGS, &doc);
	if (rc == STORE_NOTFOUND)
		return 0;
	if (rc == 0 && ((*out = json_tokener_parse(doc.text)) == NULL ||
	    !json_object_is_type(*out, json_type_object)))
		rc = STORE_CORRUPT;
	store_doc_release(&doc);
	if (rc != 0 && *out != NULL) {
		json_object_put(*out);
		*out = NULL;
	}
	return rc;
}

static const char *
stored_value(struct json_object *settings, const struct setting_def *def)
{
	struct json_object	*v;

	if (settings != NULL &&
	    json_object_object_get_ex(settings, def->name, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return def->dflt;
}

int
api_setting_get(struct store_txn *txn, const char *registry_id,
    const char *region, const char *name, char *value, size_t size)
{
	const struct setting_def	*def = setting_find(name);
	struct json_object		*settings;
	int				 rc;

	if (def == NULL || (rc = settings_read(txn, registry_id, region,
	    &settings)) != 0) {
		str_copy(value, size, "");
		return def == NULL ? STORE_NOTFOUND : rc;
	}
	str_copy(value, size, stored_value(settings, def));
	json_object_put(settings);
	return 0;
}

/* The wording is Coral's for an enum [unconfirmed] (1.5, 3.11). */
static int
check_setting(struct api_call *call, const char *name, const char *value,
    const struct setting_def **out)
{
	size_t	i;

	if ((*out = setting_find(name)) == NULL)
		return api_fail(call, ERR_VALIDATION, "1 validation error "
		    "detected: Value '%s' at 'name' failed to satisfy "
		    "constraint: Member must satisfy enum value set: "
		    "[BASIC_SCAN_TYPE_VERSION, BLOB_MOUNTING, "
		    "REGISTRY_POLICY_SCOPE]", name);
	for (i = 0; value != NULL && i < SETTING_VALUES_MAX; i++) {
		if (strcmp((*out)->values[i], value) == 0)
			return 0;
	}
	if (value == NULL)
		return 0;
	return api_fail(call, ERR_VALIDATION, "1 validation error detected: "
	    "Value '%s' at 'value' failed to satisfy constraint: Member must "
	    "satisfy enum value set: %s", value, (*out)->values_text);
}

static int
get_account_setting(struct api_call *call)
{
	const struct setting_def	*def;
	const char			*name = api_in_str(call, "name");
	char				 value[32];
	int				 rc;

	if (check_setting(call, name, NULL, &def) != 0)
		return -1;
	rc = api_setting_get(call->txn, call->registry_id, call->id.region,
	    name, value, sizeof value);
	if (rc != 0)
		return api_fail_store(call, rc);
	jadd_str(call->out, "name", def->name);
	jadd_str(call->out, "value", value);
	return 0;
}

static int
put_account_setting(struct api_call *call)
{
	const struct setting_def	*def;
	const char			*value = api_in_str(call, "value");
	struct json_object		*old = NULL, *next;
	struct store_doc		 doc;
	size_t				 i;
	int				 rc;

	if (check_setting(call, api_in_str(call, "name"), value, &def) != 0)
		return -1;
	if ((rc = settings_read(call->txn, call->registry_id,
	    call->id.region, &old)) != 0)
		return api_fail_store(call, rc);
	next = jnew_obj();
	for (i = 0; i < N_SETTINGS; i++)
		jadd_str(next, setting_defs[i].name, &setting_defs[i] == def ?
		    value : stored_value(old, &setting_defs[i]));
	memset(&doc, 0, sizeof doc);
	doc.text = jrender(next, &doc.len);
	doc.at_ms = call->now_ms;
	json_object_put(next);
	json_object_put(old);
	if (doc.text == NULL)
		return api_fail_render(call);
	rc = store_registry_doc_put(call->txn, call->registry_id,
	    call->id.region, STORE_DOC_REGISTRY_SETTINGS, &doc);
	store_doc_release(&doc);
	if (rc != 0)
		return api_fail_store(call, rc);
	jadd_str(call->out, "name", def->name);
	jadd_str(call->out, "value", value);
	return 0;
}
