/*
 * CreateRepositoryCreationTemplate, DescribeRepositoryCreationTemplates,
 * UpdateRepositoryCreationTemplate, DeleteRepositoryCreationTemplate: the
 * settings ECR gives the repositories it creates itself
 * (docs/ecr-behaviour.md 3.10).
 */
#include "api/api_int.h"

#include <string.h>

#include <json-c/json.h>

#include "common/str.h"
#include "store/store.h"

#define TOKEN_KIND "templates"

static int create_template(struct call *);
static int describe_templates(struct call *);
static int update_template(struct call *);
static int delete_template(struct call *);

const struct op api_op_create_repository_creation_template = {
    .name = "CreateRepositoryCreationTemplate",
    .input = &model_CreateRepositoryCreationTemplateRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_ANY,
    .exec = create_template,
};

const struct op api_op_describe_repository_creation_templates = {
    .name = "DescribeRepositoryCreationTemplates",
    .input = &model_DescribeRepositoryCreationTemplatesRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_ANY,
    .exec = describe_templates,
};

const struct op api_op_update_repository_creation_template = {
    .name = "UpdateRepositoryCreationTemplate",
    .input = &model_UpdateRepositoryCreationTemplateRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_ANY,
    .exec = update_template,
};

const struct op api_op_delete_repository_creation_template = {
    .name = "DeleteRepositoryCreationTemplate",
    .input = &model_DeleteRepositoryCreationTemplateRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_ANY,
    .exec = delete_template,
};

/* The members a request sets, as the template keeps them. */
static const char *const members[] = {
    "description",
    "encryptionConfiguration",
    "resourceTags",
    "imageTagMutability",
    "imageTagMutabilityExclusionFilters",
    "repositoryPolicy",
    "lifecyclePolicy",
    "appliedFor",
    "customRoleArn",
};

static struct json_object *
with_times(struct json_object *t, int64_t created_at_ms, int64_t updated_at_ms)
{
	struct json_object *o = NULL;

	json_object_deep_copy(t, &o, NULL);
	jadd_epoch(o, "createdAt", created_at_ms);
	jadd_epoch(o, "updatedAt", updated_at_ms);
	return o;
}

static int
answer(struct call *call, struct json_object *t, int64_t created_at_ms,
    int64_t updated_at_ms)
{
	jadd_str(call->out, "registryId", call->registry_id);
	jadd_obj(call->out, "repositoryCreationTemplate",
	    with_times(t, created_at_ms, updated_at_ms));
	return 0;
}

/*
 * A new template starts with ECR's defaults, MUTABLE and AES256, which
 * it answers with [unconfirmed]; an update replaces only the members the
 * request names, and a new imageTagMutability drops the old filters.
 */
static void
merge_input(struct call *call, struct json_object *t)
{
	struct json_object *v;
	size_t i;

	if (api_in_str(call, "imageTagMutability") != NULL)
		json_object_object_del(t, "imageTagMutabilityExclusionFilters");
	for (i = 0; i < sizeof members / sizeof members[0]; i++) {
		if (!json_object_object_get_ex(call->in, members[i], &v) ||
		    json_object_is_type(v, json_type_null))
			continue;
		json_object_object_del(t, members[i]);
		jadd_obj(t, members[i], json_object_get(v));
	}
}

static struct json_object *
template_new(struct call *call)
{
	struct json_object *t = jnew_obj(), *enc = jnew_obj();

	jadd_str(t, "prefix", api_in_str(call, "prefix"));
	jadd_str(enc, "encryptionType", "AES256");
	jadd_obj(t, "encryptionConfiguration", enc);
	jadd_obj(t, "resourceTags", jnew_arr());
	jadd_str(t, "imageTagMutability", "MUTABLE");
	return t;
}

/* [unconfirmed] wording: ECR's is not on record. */
static int
fail_not_found(struct call *call, const char *prefix)
{
	return core_fail(call, ERR_TEMPLATE_NOT_FOUND,
	    "The repository "
	    "creation template with prefix '%s' does not exist in the "
	    "registry with id '%s'",
	    prefix, call->registry_id);
}

static int
create_template(struct call *call)
{
	const char *prefix = api_in_str(call, "prefix");
	struct json_object *t = template_new(call);
	int rc = -1;

	merge_input(call, t);
	if (api_template_check(call, t) != 0)
		goto out;
	rc = core_record_save(call, STORE_TEMPLATE_CREATION, prefix, t,
	    call->now_ms, true);
	if (rc == 1)
		rc = core_fail(call, ERR_TEMPLATE_ALREADY_EXISTS,
		    "The "
		    "repository creation template with prefix '%s' already "
		    "exists in the registry with id '%s'",
		    prefix, call->registry_id);
	if (rc == 0)
		answer(call, t, call->now_ms, call->now_ms);
out:
	json_object_put(t);
	return rc;
}

/* The template the request names, or TemplateNotFoundException. */
static int
load(struct call *call, struct json_object **t, int64_t *created,
    int64_t *updated)
{
	const char *prefix = api_in_str(call, "prefix");
	int rc;

	rc = core_record_load(call, STORE_TEMPLATE_CREATION, prefix, t, created,
	    updated);
	if (rc == 1)
		return fail_not_found(call, prefix);
	return rc;
}

/* Existing repositories keep what they were made with (3.10). */
static int
update_template(struct call *call)
{
	struct json_object *t = NULL;
	int64_t created, updated;
	int rc = -1;

	if (load(call, &t, &created, &updated) != 0)
		return -1;
	merge_input(call, t);
	if (api_template_check(call, t) != 0)
		goto out;
	rc = core_record_save(call, STORE_TEMPLATE_CREATION,
	    api_in_str(call, "prefix"), t, created, false);
	if (rc == 0)
		answer(call, t, created, call->now_ms);
out:
	json_object_put(t);
	return rc;
}

static int
delete_template(struct call *call)
{
	struct json_object *t = NULL;
	int64_t created, updated;
	int rc;

	if (load(call, &t, &created, &updated) != 0)
		return -1;
	answer(call, t, created, updated);
	json_object_put(t);
	rc = store_template_delete(call->txn, call->registry_id,
	    call->id.region, STORE_TEMPLATE_CREATION,
	    core_prefix_key(call, api_in_str(call, "prefix")));
	return rc == 0 ? 0 : core_fail_store(call, rc);
}

/* A template as Describe lists it, with its times. */
static void
list_add(struct call *call, struct json_object *list, struct json_object *t,
    int64_t created_ms, int64_t updated_ms)
{
	(void)call;
	jpush(list, with_times(t, created_ms, updated_ms));
}

/*
 * Named prefixes that have no template are left out: the model lists no
 * TemplateNotFoundException here, and Terraform's data source reads an
 * empty list as "not found". They come in one page: the model forbids
 * nothing, so maxResults and nextToken are ignored [unconfirmed].
 */
static int
describe_named(struct call *call, struct json_object *prefixes,
    struct json_object *list)
{
	struct json_object *t;
	size_t i, n;
	int64_t created, updated;
	int rc;

	n = json_object_array_length(prefixes);
	for (i = 0; i < n; i++) {
		rc = core_record_load(call, STORE_TEMPLATE_CREATION,
		    json_object_get_string(json_object_array_get_idx(prefixes,
		        i)),
		    &t, &created, &updated);
		if (rc < 0)
			return -1;
		if (rc == 1)
			continue;
		jpush(list, with_times(t, created, updated));
		json_object_put(t);
	}
	return 0;
}

static int
describe_templates(struct call *call)
{
	struct json_object *prefixes = api_in_array(call, "prefixes");
	struct json_object *list = jnew_arr();
	int rc;

	jadd_str(call->out, "registryId", call->registry_id);
	if (prefixes != NULL && json_object_array_length(prefixes) != 0)
		rc = describe_named(call, prefixes, list);
	else
		rc = api_record_page(call, STORE_TEMPLATE_CREATION, TOKEN_KIND,
		    list, list_add);
	jadd_obj(call->out, "repositoryCreationTemplates", list);
	return rc;
}
