/*
 * The registry's scanning configuration (docs/ecr-behaviour.md 3.7): the
 * scan type and up to two rules of a frequency and wildcard repository
 * filters, kept as the JSON ECR answers with (registry document 19), and
 * what it means for one repository.
 */
#include "core/scanning.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "store/store.h"

#define DEFAULT_CONFIG "{\"scanType\":\"BASIC\",\"rules\":[]}"

int
core_scan_config_read(struct store_txn *txn, const char *registry_id,
    const char *region, struct json_object **out)
{
	int rc = core_registry_doc_json(txn, registry_id, region,
	    STORE_DOC_REGISTRY_SCANNING, json_type_object, out);

	if (rc == STORE_NOTFOUND) {
		*out = json_tokener_parse(DEFAULT_CONFIG);
		return 0;
	}
	return rc;
}

int
core_scan_config_check(const char *scan_type, struct json_object *rules,
    char *msg, size_t size)
{
	bool is_enhanced = strcmp(scan_type, "ENHANCED") == 0;
	const char *freq;
	size_t i, n;

	n = rules != NULL ? json_object_array_length(rules) : 0;
	for (i = 0; i < n; i++) {
		freq = jget_str(json_object_array_get_idx(rules, i),
		    "scanFrequency");
		if (freq == NULL)
			continue;
		/*
		 * The model's documentation: BASIC scans on push or by hand,
		 * ENHANCED on push or continuously. ECR's wording for a
		 * mismatch is [unconfirmed]; this is Coral's style.
		 */
		if (is_enhanced ? strcmp(freq, "MANUAL") != 0
		                : strcmp(freq, "CONTINUOUS_SCAN") != 0)
			continue;
		snprintf(msg, size,
		    "1 validation error detected: Value '%s' at "
		    "'scanningConfiguration.rules.%zu.member.scanFrequency' "
		    "failed to satisfy constraint: Member must satisfy enum "
		    "value set: [%s] for scanType %s",
		    freq, i + 1,
		    is_enhanced ? "SCAN_ON_PUSH, CONTINUOUS_SCAN"
		                : "SCAN_ON_PUSH, MANUAL",
		    scan_type);
		return -1;
	}
	return 0;
}

/* Whole-name match of a WILDCARD filter: '*' is any run, even empty. */
static bool
wildcard_match(const char *pat, const char *s)
{
	const char *star = NULL, *resume = NULL;

	while (*s != '\0') {
		if (*pat == '*') {
			star = pat++;
			resume = s;
		} else if (*pat == *s) {
			pat++;
			s++;
		} else if (star != NULL) {
			pat = star + 1;
			s = ++resume;
		} else
			return false;
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

/* Append rule's filters that match name to applied; whether any did. */
static bool
rule_matches(struct json_object *rule, const char *name,
    struct json_object *applied)
{
	struct json_object *filters, *f;
	const char *pat;
	bool is_match = false;
	size_t i, n;

	filters = jget(rule, "repositoryFilters", json_type_array);
	n = filters != NULL ? json_object_array_length(filters) : 0;
	for (i = 0; i < n; i++) {
		f = json_object_array_get_idx(filters, i);
		if ((pat = jget_str(f, "filter")) == NULL ||
		    !wildcard_match(pat, name))
			continue;
		is_match = true;
		if (applied != NULL)
			json_object_array_add(applied, json_object_get(f));
	}
	return is_match;
}

const char *
core_scan_frequency(struct json_object *config, const char *name,
    struct json_object *applied)
{
	struct json_object *rules, *rule;
	const char *freq;
	size_t i, n;

	rules = jget(config, "rules", json_type_array);
	n = rules != NULL ? json_object_array_length(rules) : 0;
	for (i = 0; i < n; i++) {
		rule = json_object_array_get_idx(rules, i);
		if ((freq = jget_str(rule, "scanFrequency")) != NULL &&
		    rule_matches(rule, name, applied))
			return freq;
	}
	return "MANUAL";
}

bool
core_scan_is_enhanced(struct json_object *config)
{
	const char *type = jget_str(config, "scanType");

	return type != NULL && strcmp(type, "ENHANCED") == 0;
}

bool
core_scan_on_push_wanted(struct json_object *config,
    const struct store_repo *repo)
{
	struct json_object *rules;
	const char *freq;

	rules = jget(config, "rules", json_type_array);
	/*
	 * Registry rules override the repository's scanOnPush once there
	 * are any (the API reference of PutRegistryScanningConfiguration).
	 */
	if (rules == NULL || json_object_array_length(rules) == 0)
		return repo->scan_on_push;
	freq = core_scan_frequency(config, repo->name, NULL);
	return strcmp(freq, "SCAN_ON_PUSH") == 0 ||
	       strcmp(freq, "CONTINUOUS_SCAN") == 0;
}
