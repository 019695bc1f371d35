/*
 * Repository creation templates as their operations check them
 * (docs/ecr-behaviour.md 3.10): each setting as the direct operations
 * check it, the policies in the form those keep. Applying a template is
 * core/template.c's (create on push).
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/validate.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "core/lifecycle.h"
#include "policy/policy.h"
#include "store/store.h"

/* Replace member key of t by a string (NULL or "" removes it). */
static void
set_str(struct json_object *t, const char *key, const char *value)
{
	json_object_object_del(t, key);
	if (value != NULL && *value != '\0')
		jadd_str(t, key, value);
}

/*
 * The policies are kept as the direct operations keep them: the
 * repository policy in Jackson's layout, the lifecycle policy in its
 * canonical form (3.5, 3.6). An empty text (the model allows "") means
 * none.
 */
static int
check_policies(struct call *call, struct json_object *t)
{
	const char *text;
	struct policy *policy = NULL;
	struct lifecycle_policy *lc = NULL;
	char *formatted;

	text = jget_str(t, "repositoryPolicy");
	if (text != NULL && *text != '\0') {
		if (api_policy_check(call, API_POLICY_REPOSITORY, text,
		        strlen(text), &policy, &formatted) != 0)
			return -1;
		policy_free(policy);
		set_str(t, "repositoryPolicy", formatted);
	} else
		set_str(t, "repositoryPolicy", NULL);
	text = jget_str(t, "lifecyclePolicy");
	if (text != NULL && *text != '\0') {
		if (core_lifecycle_parse(call, text, strlen(text), &lc) != 0)
			return -1;
		set_str(t, "lifecyclePolicy", lc->normalised);
		lifecycle_free(lc);
	} else
		set_str(t, "lifecyclePolicy", NULL);
	return 0;
}

int
api_template_check(struct call *call, struct json_object *t)
{
	struct json_object *applied;
	struct store_repo *scratch;
	const char *role = jget_str(t, "customRoleArn");
	int rc = -1;

	applied = jget(t, "appliedFor", json_type_array);
	/* [unconfirmed] wording, Coral's for a list below its minimum. */
	if (applied == NULL || json_object_array_length(applied) == 0)
		return core_fail(call, ERR_VALIDATION,
		    "1 validation error "
		    "detected: Value '[]' at 'appliedFor' failed to satisfy "
		    "constraint: Member must have length greater than or "
		    "equal to 1");
	scratch = xcalloc(1, sizeof *scratch);
	if (core_template_settings(call, t, scratch) != 0 ||
	    check_policies(call, t) != 0)
		goto out;
	/*
	 * ECR needs a role to tag or encrypt with KMS what it creates [doc];
	 * refusing the template now, rather than failing each creation
	 * later, is our choice, and the wording ours [unconfirmed].
	 */
	if ((scratch->n_tags != 0 ||
	        strcmp(scratch->encryption_type, "AES256") != 0) &&
	    (role == NULL || *role == '\0')) {
		core_fail(call, ERR_VALIDATION,
		    "A customRoleArn is required "
		    "when the template has resourceTags or KMS encryption");
		goto out;
	}
	rc = 0;
out:
	free(scratch);
	return rc;
}

bool
api_is_repo_name(const struct core_ctx *ctx, const char *name)
{
	struct json_object *in = jnew_obj();
	struct ecr_error err;
	int rc;

	memset(&err, 0, sizeof err);
	jadd_str(in, "repositoryName", name);
	rc = validate_request(ctx->validator, model_op_find("CreateRepository"),
	    in, &err);
	json_object_put(in);
	ecr_error_clear(&err);
	return rc == 0;
}

/* One page of api_record_page: records after the token, to max. */
struct record_page {
	struct call *call;
	struct json_object *list;
	api_record_add_fn add;
	size_t n, max;
	bool has_more;
	char last[STORE_TEMPLATE_PREFIX_MAX + 1];
};

static int
record_page_add(const char *prefix, const struct store_doc *doc, void *arg)
{
	struct record_page *pg = arg;
	struct json_object *record = NULL;

	if (pg->n == pg->max) {
		pg->has_more = true;
		return 1;
	}
	if (jparse_strict(doc->text, doc->len, &record, NULL) == JPARSE_BAD ||
	    !json_object_is_type(record, json_type_object)) {
		json_object_put(record);
		return STORE_CORRUPT;
	}
	pg->add(pg->call, pg->list, record, doc->at_ms, doc->aux_ms);
	json_object_put(record);
	str_copy(pg->last, sizeof pg->last, prefix);
	pg->n++;
	return 0;
}

int
api_record_page(struct call *call, enum store_template_kind kind,
    const char *token_kind, struct json_object *list, api_record_add_fn add)
{
	const char *token = api_in_str(call, "nextToken");
	struct record_page pg;
	char after[STORE_TEMPLATE_PREFIX_MAX + 1];
	int rc;

	memset(&pg, 0, sizeof pg);
	pg.call = call;
	pg.list = list;
	pg.add = add;
	pg.max = (size_t)api_in_i64(call, "maxResults", RECORD_PAGE_DEFAULT);
	if (token != NULL &&
	    core_token_parse(call, token_kind, token, after, sizeof after) != 0)
		return -1;
	rc = store_template_foreach(call->txn, call->registry_id,
	    call->id.region, kind, token != NULL ? after : NULL,
	    record_page_add, &pg);
	if (rc < 0)
		return core_fail_store(call, rc);
	if (pg.has_more)
		jadd_str(call->out, "nextToken",
		    core_token_make(call, token_kind, pg.last));
	return 0;
}
