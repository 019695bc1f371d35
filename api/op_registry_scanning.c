/*
 * PutRegistryScanningConfiguration, GetRegistryScanningConfiguration and
 * BatchGetRepositoryScanningConfiguration: the registry's scan type and
 * rules, and what they mean for named repositories (docs/ecr-behaviour.md
 * 3.7).
 */
#include "api/api_int.h"

#include <string.h>

#include <json-c/json.h>

#include "core/scanning.h"
#include "store/store.h"

static int put_registry_scanning_configuration(struct call *);
static int get_registry_scanning_configuration(struct call *);
static int batch_get_repository_scanning_configuration(struct call *);

const struct op api_op_put_registry_scanning_configuration = {
    .name = "PutRegistryScanningConfiguration",
    .input = &model_PutRegistryScanningConfigurationRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_ANY,
    .exec = put_registry_scanning_configuration,
};

const struct op api_op_get_registry_scanning_configuration = {
    .name = "GetRegistryScanningConfiguration",
    .input = &model_GetRegistryScanningConfigurationRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_ANY,
    .exec = get_registry_scanning_configuration,
};

const struct op api_op_batch_get_repository_scanning_configuration = {
    .name = "BatchGetRepositoryScanningConfiguration",
    .input = &model_BatchGetRepositoryScanningConfigurationRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_REPOS,
    .exec = batch_get_repository_scanning_configuration,
};

/* A rule as ECR answers it: only the members the model gives a rule. */
static struct json_object *
rule_copy(struct json_object *in)
{
	struct json_object *rule, *filters, *out_filters, *f, *o;
	size_t i, n;

	rule = jnew_obj();
	jadd_str(rule, "scanFrequency", jget_str(in, "scanFrequency"));
	filters = jget(in, "repositoryFilters", json_type_array);
	out_filters = jnew_arr();
	n = filters != NULL ? json_object_array_length(filters) : 0;
	for (i = 0; i < n; i++) {
		f = json_object_array_get_idx(filters, i);
		o = jnew_obj();
		jadd_str(o, "filter", jget_str(f, "filter"));
		jadd_str(o, "filterType", jget_str(f, "filterType"));
		jpush(out_filters, o);
	}
	jadd_obj(rule, "repositoryFilters", out_filters);
	return rule;
}

static int
put_registry_scanning_configuration(struct call *call)
{
	const char *type = api_in_str(call, "scanType");
	struct json_object *rules = api_in_array(call, "rules"), *config, *arr;
	struct json_object *old_config;
	struct store_doc doc;
	char msg[ECR_ERROR_MESSAGE_SIZE];
	const char *text;
	size_t i, n;
	int rc;

	if (type == NULL)
		type = "BASIC";
	if (core_scan_config_check(type, rules, msg, sizeof msg) != 0)
		return core_fail(call, ERR_VALIDATION, "%s", msg);
	if ((rc = core_scan_config_read(call->txn, call->registry_id,
	         call->id.region, &old_config)) != 0)
		return core_fail_store(call, rc);
	config = jnew_obj();
	jadd_str(config, "scanType", type);
	arr = jnew_arr();
	n = rules != NULL ? json_object_array_length(rules) : 0;
	for (i = 0; i < n; i++)
		jpush(arr, rule_copy(json_object_array_get_idx(rules, i)));
	jadd_obj(config, "rules", arr);
	text = json_object_to_json_string_ext(config,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	memset(&doc, 0, sizeof doc);
	doc.text = (char *)call_printf(call, "%s", text);
	doc.len = strlen(doc.text);
	doc.at_ms = call->now_ms;
	if ((rc = store_registry_doc_put(call->txn, call->registry_id,
	         call->id.region, STORE_DOC_REGISTRY_SCANNING, &doc)) != 0 ||
	    (rc = core_scan_change_events(call, old_config, config)) != 0) {
		json_object_put(old_config);
		json_object_put(config);
		return core_fail_store(call, rc);
	}
	json_object_put(old_config);
	jadd_obj(call->out, "registryScanningConfiguration", config);
	return 0;
}

static int
get_registry_scanning_configuration(struct call *call)
{
	struct json_object *config;
	int rc;

	if ((rc = core_scan_config_read(call->txn, call->registry_id,
	         call->id.region, &config)) != 0)
		return core_fail_store(call, rc);
	jadd_str(call->out, "registryId", call->registry_id);
	jadd_obj(call->out, "scanningConfiguration", config);
	return 0;
}

/* A RepositoryScanningConfiguration of repo under config. */
static struct json_object *
repo_config(struct call *call, struct json_object *config,
    const struct store_repo *repo)
{
	struct json_object *o, *applied;
	char arn[CORE_ARN_MAX];
	const char *freq;

	applied = jnew_arr();
	freq = core_scan_frequency(config, repo->name, applied);
	core_repo_arn(call, repo->registry_id, repo->name, arn, sizeof arn);
	o = jnew_obj();
	jadd_str(o, "repositoryArn", arn);
	jadd_str(o, "repositoryName", repo->name);
	jadd_bool(o, "scanOnPush", core_scan_on_push_wanted(config, repo));
	jadd_str(o, "scanFrequency", freq);
	jadd_obj(o, "appliedScanFilters", applied);
	return o;
}

/* A name that is not a repository: a failure, not an error (3.7). */
static struct json_object *
failure(const char *name)
{
	struct json_object *o = jnew_obj();

	jadd_str(o, "repositoryName", name);
	jadd_str(o, "failureCode", "REPOSITORY_NOT_FOUND");
	/* moto's words; ECR's are [unconfirmed]. */
	jadd_str(o, "failureReason", "REPOSITORY_NOT_FOUND");
	return o;
}

static int
batch_get_repository_scanning_configuration(struct call *call)
{
	struct json_object *names = api_in_array(call, "repositoryNames");
	struct json_object *config, *found, *failures;
	struct store_repo repo;
	const char *name;
	size_t i, n;
	int rc;

	if ((rc = core_scan_config_read(call->txn, call->registry_id,
	         call->id.region, &config)) != 0)
		return core_fail_store(call, rc);
	found = jnew_arr();
	failures = jnew_arr();
	n = json_object_array_length(names);
	for (i = 0; i < n && rc == 0; i++) {
		name =
		    json_object_get_string(json_object_array_get_idx(names, i));
		rc = store_repo_get(call->txn, call->registry_id,
		    call->id.region, name, &repo);
		if (rc == 0)
			jpush(found, repo_config(call, config, &repo));
		else if (rc == STORE_NOTFOUND || rc == STORE_TOOBIG) {
			jpush(failures, failure(name));
			rc = 0;
		}
	}
	json_object_put(config);
	if (rc != 0) {
		json_object_put(found);
		json_object_put(failures);
		return core_fail_store(call, rc);
	}
	jadd_obj(call->out, "scanningConfigurations", found);
	jadd_obj(call->out, "failures", failures);
	return 0;
}
