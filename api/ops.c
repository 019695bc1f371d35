/*
 * The operation table: all 58 operations of the ECR model, sorted by name.
 * Built operations live in op_<name>.c; the rest are listed here with
 * their flags and no handler, so they answer NotImplementedException.
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

#include "api/validate.h"
#include "common/str.h"
#include "common/xalloc.h"

extern const struct op api_op_batch_get_repository_scanning_configuration;
extern const struct op api_op_create_pull_through_cache_rule;
extern const struct op api_op_create_repository;
extern const struct op api_op_create_repository_creation_template;
extern const struct op api_op_delete_lifecycle_policy;
extern const struct op api_op_delete_pull_through_cache_rule;
extern const struct op api_op_delete_registry_policy;
extern const struct op api_op_delete_repository;
extern const struct op api_op_delete_repository_creation_template;
extern const struct op api_op_delete_repository_policy;
extern const struct op api_op_delete_signing_configuration;
extern const struct op api_op_deregister_pull_time_update_exclusion;
extern const struct op api_op_describe_image_scan_findings;
extern const struct op api_op_describe_image_signing_status;
extern const struct op api_op_describe_pull_through_cache_rules;
extern const struct op api_op_describe_registry;
extern const struct op api_op_describe_repositories;
extern const struct op api_op_describe_repository_creation_templates;
extern const struct op api_op_get_account_setting;
extern const struct op api_op_get_authorization_token;
extern const struct op api_op_get_lifecycle_policy;
extern const struct op api_op_get_lifecycle_policy_preview;
extern const struct op api_op_get_registry_policy;
extern const struct op api_op_get_registry_scanning_configuration;
extern const struct op api_op_get_repository_policy;
extern const struct op api_op_get_signing_configuration;
extern const struct op api_op_list_pull_time_update_exclusions;
extern const struct op api_op_list_tags_for_resource;
extern const struct op api_op_put_account_setting;
extern const struct op api_op_put_image_scanning_configuration;
extern const struct op api_op_put_image_tag_mutability;
extern const struct op api_op_put_lifecycle_policy;
extern const struct op api_op_put_registry_policy;
extern const struct op api_op_put_registry_scanning_configuration;
extern const struct op api_op_put_replication_configuration;
extern const struct op api_op_put_signing_configuration;
extern const struct op api_op_register_pull_time_update_exclusion;
extern const struct op api_op_set_repository_policy;
extern const struct op api_op_start_image_scan;
extern const struct op api_op_start_lifecycle_policy_preview;
extern const struct op api_op_put_image;
extern const struct op api_op_batch_get_image;
extern const struct op api_op_batch_delete_image;
extern const struct op api_op_list_images;
extern const struct op api_op_describe_images;
extern const struct op api_op_initiate_layer_upload;
extern const struct op api_op_upload_layer_part;
extern const struct op api_op_complete_layer_upload;
extern const struct op api_op_batch_check_layer_availability;
extern const struct op api_op_get_download_url_for_layer;
extern const struct op api_op_list_image_referrers;
extern const struct op api_op_update_image_storage_class;
extern const struct op api_op_describe_image_replication_status;
extern const struct op api_op_tag_resource;
extern const struct op api_op_untag_resource;
extern const struct op api_op_update_pull_through_cache_rule;
extern const struct op api_op_update_repository_creation_template;
extern const struct op api_op_validate_pull_through_cache_rule;

const struct op *const api_ops[] = {
    &api_op_batch_check_layer_availability,
    &api_op_batch_delete_image,
    &api_op_batch_get_image,
    &api_op_batch_get_repository_scanning_configuration,
    &api_op_complete_layer_upload,
    &api_op_create_pull_through_cache_rule,
    &api_op_create_repository,
    &api_op_create_repository_creation_template,
    &api_op_delete_lifecycle_policy,
    &api_op_delete_pull_through_cache_rule,
    &api_op_delete_registry_policy,
    &api_op_delete_repository,
    &api_op_delete_repository_creation_template,
    &api_op_delete_repository_policy,
    &api_op_delete_signing_configuration,
    &api_op_deregister_pull_time_update_exclusion,
    &api_op_describe_image_replication_status,
    &api_op_describe_image_scan_findings,
    &api_op_describe_image_signing_status,
    &api_op_describe_images,
    &api_op_describe_pull_through_cache_rules,
    &api_op_describe_registry,
    &api_op_describe_repositories,
    &api_op_describe_repository_creation_templates,
    &api_op_get_account_setting,
    &api_op_get_authorization_token,
    &api_op_get_download_url_for_layer,
    &api_op_get_lifecycle_policy,
    &api_op_get_lifecycle_policy_preview,
    &api_op_get_registry_policy,
    &api_op_get_registry_scanning_configuration,
    &api_op_get_repository_policy,
    &api_op_get_signing_configuration,
    &api_op_initiate_layer_upload,
    &api_op_list_image_referrers,
    &api_op_list_images,
    &api_op_list_pull_time_update_exclusions,
    &api_op_list_tags_for_resource,
    &api_op_put_account_setting,
    &api_op_put_image,
    &api_op_put_image_scanning_configuration,
    &api_op_put_image_tag_mutability,
    &api_op_put_lifecycle_policy,
    &api_op_put_registry_policy,
    &api_op_put_registry_scanning_configuration,
    &api_op_put_replication_configuration,
    &api_op_put_signing_configuration,
    &api_op_register_pull_time_update_exclusion,
    &api_op_set_repository_policy,
    &api_op_start_image_scan,
    &api_op_start_lifecycle_policy_preview,
    &api_op_tag_resource,
    &api_op_untag_resource,
    &api_op_update_image_storage_class,
    &api_op_update_pull_through_cache_rule,
    &api_op_update_repository_creation_template,
    &api_op_upload_layer_part,
    &api_op_validate_pull_through_cache_rule,
};

const size_t api_n_ops = sizeof api_ops / sizeof api_ops[0];

static int
op_cmp(const void *key, const void *elem)
{
	const struct op *const *op = elem;

	return strcmp(key, (*op)->name);
}

const struct op *
api_op_find(const char *name)
{
	const struct op *const *op;

	op = bsearch(name, api_ops, api_n_ops, sizeof api_ops[0], op_cmp);
	return op == NULL ? NULL : *op;
}

const char *
api_op_of_target(const char *target, bool is_bare)
{
	const struct op *op;

	if (target == NULL)
		return NULL;
	if (!is_bare) {
		if (!str_has_prefix(target, API_TARGET_PREFIX))
			return NULL;
		target += strlen(API_TARGET_PREFIX);
	}
	op = api_op_find(target);
	return op == NULL ? NULL : op->name;
}

/* Startup refuses a table out of order, duplicated or off the model. */
int
api_ops_check(char **cause)
{
	const struct model_op *model;
	size_t i;

	for (i = 0; i < api_n_ops; i++) {
		if (i > 0 &&
		    strcmp(api_ops[i - 1]->name, api_ops[i]->name) >= 0) {
			*cause = xasprintf("op table out of order at %s",
			    api_ops[i]->name);
			return -1;
		}
		model = model_op_find(api_ops[i]->name);
		if (model == NULL || model->input != api_ops[i]->input) {
			*cause = xasprintf("op %s does not match the model",
			    api_ops[i]->name);
			return -1;
		}
	}
	if (api_n_ops != model_n_ops) {
		*cause = xasprintf("op table has %zu ops, the model %zu",
		    api_n_ops, model_n_ops);
		return -1;
	}
	return 0;
}
