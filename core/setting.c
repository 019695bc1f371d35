/*
 * The account settings of a registry and region, kept as one JSON object
 * in the registry's settings document (docs/ecr-behaviour.md 3.11): read by
 * authorization (REGISTRY_POLICY_SCOPE), the registry's blob mounts and
 * Get/PutAccountSetting.
 */
#include "core/core_int.h"

#include <string.h>

#include <json-c/json.h>

#include "common/str.h"
#include "store/store.h"

/* Names, values and defaults of docs/ecr-behaviour.md 3.11. */
const struct setting_def core_setting_defs[] = {
    {"BASIC_SCAN_TYPE_VERSION", "AWS_NATIVE", {"AWS_NATIVE", "CLAIR"},
        "[AWS_NATIVE, CLAIR]"},
    {CORE_SETTING_BLOB_MOUNTING, "DISABLED", {"DISABLED", "ENABLED"},
        "[DISABLED, ENABLED]"},
    {CORE_SETTING_POLICY_SCOPE, "V2", {"V1", "V2"}, "[V1, V2]"},
};
const size_t core_n_setting_defs =
    sizeof core_setting_defs / sizeof core_setting_defs[0];

const struct setting_def *
core_setting_find(const char *name)
{
	size_t i;

	for (i = 0; i < core_n_setting_defs; i++) {
		if (strcmp(core_setting_defs[i].name, name) == 0)
			return &core_setting_defs[i];
	}
	return NULL;
}

int
core_registry_doc_json(struct store_txn *txn, const char *registry_id,
    const char *region, enum store_doc_kind kind, json_type want,
    struct json_object **out)
{
	struct store_doc doc;
	int rc;

	*out = NULL;
	memset(&doc, 0, sizeof doc);
	rc = store_registry_doc_get(txn, registry_id, region, kind, &doc);
	if (rc == 0 && (jparse_strict(doc.text, doc.len, out, NULL) != 0 ||
	                   !json_object_is_type(*out, want)))
		rc = STORE_CORRUPT;
	store_doc_release(&doc);
	if (rc != 0 && *out != NULL) {
		json_object_put(*out);
		*out = NULL;
	}
	return rc;
}

int
core_settings_read(struct store_txn *txn, const char *registry_id,
    const char *region, struct json_object **out)
{
	int rc = core_registry_doc_json(txn, registry_id, region,
	    STORE_DOC_REGISTRY_SETTINGS, json_type_object, out);

	return rc == STORE_NOTFOUND ? 0 : rc;
}

const char *
core_setting_stored(struct json_object *settings, const struct setting_def *def)
{
	struct json_object *v;

	if (settings != NULL &&
	    json_object_object_get_ex(settings, def->name, &v) &&
	    json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return def->dflt;
}

int
core_setting_get(struct store_txn *txn, const char *registry_id,
    const char *region, const char *name, char *value, size_t size)
{
	const struct setting_def *def = core_setting_find(name);
	struct json_object *settings;
	int rc;

	if (def == NULL || (rc = core_settings_read(txn, registry_id, region,
	                        &settings)) != 0) {
		str_copy(value, size, "");
		return def == NULL ? STORE_NOTFOUND : rc;
	}
	str_copy(value, size, core_setting_stored(settings, def));
	json_object_put(settings);
	return 0;
}
