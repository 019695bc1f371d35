/*
 * Records named by a repository prefix (creation templates, pull-through
 * cache rules) and create on push (docs/ecr-behaviour.md 3.9, 3.10): the
 * repository a push to a missing name makes from the template with the
 * longest prefix of that name, for both protocols' push paths.
 */
#include "core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/str.h"
#include "common/xalloc.h"
#include "core/scanning.h"
#include "store/store.h"

const char *
core_prefix_key(struct call *call, const char *prefix)
{
	size_t len = strlen(prefix);

	/* "a/" and "a" are one prefix: a '/' is implied at the end (3.9). */
	if (len > 1 && prefix[len - 1] == '/')
		return call_printf(call, "%.*s", (int)(len - 1), prefix);
	return prefix;
}

int
core_record_load(struct call *call, enum store_template_kind kind,
    const char *prefix, struct json_object **out, int64_t *created_at_ms,
    int64_t *updated_at_ms)
{
	struct store_doc doc;
	struct json_object *o = NULL;
	int rc;

	memset(&doc, 0, sizeof doc);
	rc = store_template_get(call->txn, call->registry_id, call->id.region,
	    kind, core_prefix_key(call, prefix), &doc);
	if (rc == STORE_NOTFOUND)
		return 1;
	if (rc != 0)
		return core_fail_store(call, rc);
	if (jparse_strict(doc.text, doc.len, &o, NULL) == JPARSE_BAD ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		store_doc_release(&doc);
		return core_fail_store(call, STORE_CORRUPT);
	}
	*out = o;
	*created_at_ms = doc.at_ms;
	*updated_at_ms = doc.aux_ms;
	store_doc_release(&doc);
	return 0;
}

int
core_record_save(struct call *call, enum store_template_kind kind,
    const char *prefix, struct json_object *record, int64_t created_at_ms,
    bool is_new)
{
	struct store_doc doc;
	const char *key = core_prefix_key(call, prefix);
	size_t len;
	int rc;

	memset(&doc, 0, sizeof doc);
	if ((doc.text = jrender(record, &len)) == NULL)
		return core_fail_render(call);
	doc.len = len;
	doc.at_ms = created_at_ms;
	doc.aux_ms = call->now_ms;
	if (is_new)
		rc = store_template_create(call->txn, call->registry_id,
		    call->id.region, kind, key, &doc);
	else
		rc = store_template_update(call->txn, call->registry_id,
		    call->id.region, kind, key, &doc);
	free(doc.text);
	if (rc == STORE_EXISTS || rc == STORE_NOTFOUND)
		return 1;
	if (rc != 0)
		return core_fail_store(call, rc);
	return 0;
}

int
core_template_settings(struct call *call, struct json_object *t,
    struct store_repo *repo)
{
	const char *mutability = jget_str(t, "imageTagMutability");

	return core_mutability_check(call,
	           mutability != NULL ? mutability : "MUTABLE",
	           jget(t, "imageTagMutabilityExclusionFilters",
	               json_type_array),
	           repo) != 0 ||
	               core_encryption_set(call,
	                   jget(t, "encryptionConfiguration", json_type_object),
	                   repo) != 0 ||
	               core_repo_tags_merge(call, repo,
	                   jget(t, "resourceTags", json_type_array)) != 0
	           ? -1
	           : 0;
}

static bool
is_applied_for(struct json_object *t, const char *use)
{
	struct json_object *applied, *v;
	size_t i, n;

	applied = jget(t, "appliedFor", json_type_array);
	n = applied == NULL ? 0 : json_object_array_length(applied);
	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(applied, i);
		if (json_object_is_type(v, json_type_string) &&
		    strcmp(json_object_get_string(v), use) == 0)
			return true;
	}
	return false;
}

/*
 * The template for use whose prefix is the longest that name starts with,
 * a '/' implied after it, else ROOT's (3.10): 0 with *out (NULL when none
 * matches; put it), or -1 with the call's error.
 */
static int
template_find(struct call *call, const char *name, const char *use,
    struct json_object **out)
{
	struct json_object *t;
	char prefix[STORE_REPO_NAME_MAX + 1];
	char *slash;
	int64_t created, updated;
	int rc;

	*out = NULL;
	str_copy(prefix, sizeof prefix, name);
	for (;;) {
		if ((slash = strrchr(prefix, '/')) != NULL)
			*slash = '\0';
		rc = core_record_load(call, STORE_TEMPLATE_CREATION,
		    slash != NULL ? prefix : CORE_PREFIX_ROOT, &t, &created,
		    &updated);
		if (rc < 0)
			return -1;
		if (rc == 0 && is_applied_for(t, use)) {
			*out = t;
			return 0;
		}
		if (rc == 0)
			json_object_put(t);
		if (slash == NULL)
			return 0;
	}
}

/* Store the template's policies with the repository just made. */
static int
put_policies(struct call *call, struct json_object *t, uint64_t repo_id)
{
	static const struct {
		const char *member;
		enum store_doc_kind kind;
	} docs[] = {
	    {"repositoryPolicy", STORE_DOC_REPO_POLICY},
	    {"lifecyclePolicy", STORE_DOC_LIFECYCLE_POLICY},
	};
	struct store_doc doc;
	const char *text;
	size_t i;
	int rc;

	for (i = 0; i < sizeof docs / sizeof docs[0]; i++) {
		if ((text = jget_str(t, docs[i].member)) == NULL)
			continue;
		memset(&doc, 0, sizeof doc);
		doc.text = (char *)text;
		doc.len = strlen(text);
		doc.at_ms = call->now_ms;
		rc = store_repo_doc_put(call->txn, repo_id, docs[i].kind, &doc);
		if (rc != 0)
			return core_fail_store(call, rc);
	}
	return 0;
}

/*
 * A name CreateRepository would take (the registry's are not checked);
 * the model is api/'s, which lends its check through the context.
 */
static bool
is_repo_name(struct call *call, const char *name)
{
	return call->ctx->is_repo_name != NULL &&
	       call->ctx->is_repo_name(call->ctx, name);
}

/* Strict mode: making the repository needs ecr:CreateRepository (5). */
static int
may_create(struct call *call, const char *name)
{
	/* Replication asks the destination's registry policy instead. */
	if (call->is_replica)
		return 0;
	return core_call_authorize(call, "ecr:CreateRepository", name);
}

static int
create_from(struct call *call, struct json_object *t, const char *name,
    struct store_repo *out)
{
	struct store_repo *repo = xcalloc(1, sizeof *repo);
	int rc = -1;

	str_copy(repo->registry_id, sizeof repo->registry_id,
	    call->registry_id);
	str_copy(repo->region, sizeof repo->region, call->id.region);
	str_copy(repo->name, sizeof repo->name, name);
	repo->created_at_ms = call->now_ms;
	if (may_create(call, name) != 0 ||
	    core_template_settings(call, t, repo) != 0)
		goto out;
	if ((rc = store_repo_create(call->txn, repo)) != 0) {
		rc = core_fail_store(call, rc);
		goto out;
	}
	if ((rc = core_repo_quota_check(call)) != 0 ||
	    (rc = put_policies(call, t, repo->id)) != 0)
		goto out;
	core_scan_repo_event(call, CORE_SCAN_REPO_CREATE, repo, NULL);
	memcpy(out, repo, sizeof *out);
out:
	free(repo);
	return rc;
}

/*
 * Repository name into *out: 0; 1 if it is missing and a name
 * CreateRepository would take; or -1 with the call's error
 * (RepositoryNotFoundException for a name it would not take).
 */
static int
repo_get_or_absent(struct call *call, const char *name, struct store_repo *out)
{
	int rc;

	rc = store_repo_get(call->txn, call->registry_id, call->id.region, name,
	    out);
	if (rc == 0)
		return 0;
	if (rc != STORE_NOTFOUND && rc != STORE_TOOBIG)
		return core_fail_store(call, rc);
	if (rc == STORE_TOOBIG || !is_repo_name(call, name))
		return core_fail_no_repo(call, name);
	return 1;
}

int
core_repo_get_or_create_on_push(struct call *call, const char *name,
    struct store_repo *out)
{
	struct json_object *t = NULL;
	int rc;

	if ((rc = repo_get_or_absent(call, name, out)) != 1)
		return rc;
	if (template_find(call, name, "CREATE_ON_PUSH", &t) != 0)
		return -1;
	if (t == NULL)
		return core_fail_no_repo(call, name);
	rc = create_from(call, t, name, out);
	json_object_put(t);
	return rc;
}

/* Strict mode: importing from the upstream needs its action too (3.9). */
static int
may_import(struct call *call, const char *name)
{
	return core_call_authorize(call, "ecr:BatchImportUpstreamImage", name);
}

int
core_repo_get_or_create_for_pull(struct call *call, const char *name,
    struct store_repo *out)
{
	struct json_object *t = NULL;
	int rc;

	if ((rc = repo_get_or_absent(call, name, out)) != 1)
		return rc == 0 ? may_import(call, name) : rc;
	if (may_import(call, name) != 0 ||
	    template_find(call, name, "PULL_THROUGH_CACHE", &t) != 0)
		return -1;
	/* No template: ECR's defaults, as CreateRepository's. */
	if (t == NULL)
		t = json_object_new_object();
	rc = create_from(call, t, name, out);
	json_object_put(t);
	return rc;
}

int
core_repo_create_for_replica(struct call *call, const char *name,
    struct store_repo *out)
{
	struct json_object *t = NULL;
	int rc;

	if (template_find(call, name, "REPLICATION", &t) != 0)
		return -1;
	if (t == NULL)
		t = json_object_new_object();
	rc = create_from(call, t, name, out);
	json_object_put(t);
	return rc;
}
