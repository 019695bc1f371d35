/*
 * StartLifecyclePolicyPreview and GetLifecyclePolicyPreview: what a policy
 * would expire or archive now, computed at once by the engine runs use
 * and kept as the repository's last preview (docs/ecr-behaviour.md 3.6).
 */
#include "api/api_int.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/image.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "core/lifecycle.h"
#include "store/store.h"

#define PAGE_DEFAULT 100 /* and the model's maximum (2.2) */

static int start_lifecycle_policy_preview(struct call *);
static int get_lifecycle_policy_preview(struct call *);

const struct op api_op_start_lifecycle_policy_preview = {
    .name = "StartLifecyclePolicyPreview",
    .input = &model_StartLifecyclePolicyPreviewRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_REPO,
    .exec = start_lifecycle_policy_preview,
};

const struct op api_op_get_lifecycle_policy_preview = {
    .name = "GetLifecyclePolicyPreview",
    .input = &model_GetLifecyclePolicyPreviewRequest,
    .flags = OP_TXN_READ | OP_RESOURCE_REPO,
    .exec = get_lifecycle_policy_preview,
};

/* The preview document of policy over the repository's images now. */
static int
preview_doc(struct call *call, const struct store_repo *repo,
    const struct lifecycle_policy *policy, const char *text, struct jw *w)
{
	struct core_lifecycle_images set;
	struct lifecycle_action *acts = NULL;
	size_t n_acts = 0;
	bool is_done;

	core_lifecycle_images_init(&set, repo->id);
	if (core_lifecycle_images_load(call, &set, SIZE_MAX, &is_done) != 0) {
		core_lifecycle_images_release(&set);
		return -1;
	}
	lifecycle_eval(policy, set.v, set.n, call->now_ms, &acts, &n_acts);
	jw_init(w);
	core_lifecycle_preview_write(w, text, &set, acts, n_acts,
	    STORE_DOC_MAX);
	free(acts);
	core_lifecycle_images_release(&set);
	return 0;
}

/*
 * The submitted text, or the stored policy, is checked as Put checks it
 * and echoed verbatim (3.6). The answer says IN_PROGRESS as ECR's does,
 * though the preview is complete already, so the waiter's first poll
 * succeeds.
 */
static int
start_lifecycle_policy_preview(struct call *call)
{
	const char *text = api_in_str(call, "lifecyclePolicyText");
	size_t len = api_in_len(call, "lifecyclePolicyText");
	struct lifecycle_policy *policy = NULL;
	struct store_repo repo;
	struct store_doc stored, doc;
	struct jw w;
	int rc;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) != 0)
		return -1;
	memset(&stored, 0, sizeof stored);
	if (text == NULL) {
		rc = store_repo_doc_get(call->txn, repo.id,
		    STORE_DOC_LIFECYCLE_POLICY, &stored);
		if (rc == STORE_NOTFOUND)
			return core_fail_no_lifecycle_policy(call, &repo);
		if (rc != 0)
			return core_fail_store(call, rc);
		text = call_take(call, stored.text);
		len = stored.len;
	}
	if (core_lifecycle_parse(call, text, len, &policy) != 0)
		return -1;
	rc = preview_doc(call, &repo, policy, text, &w);
	lifecycle_free(policy);
	if (rc != 0)
		return -1;
	/* The preview is read back as JSON: whole, or not at all. */
	if (buf_failed(&w.b))
		return core_fail_render(call);
	memset(&doc, 0, sizeof doc);
	doc.text = w.b.data;
	doc.len = w.b.len;
	doc.at_ms = call->now_ms;
	rc = store_repo_doc_put(call->txn, repo.id, STORE_DOC_LIFECYCLE_PREVIEW,
	    &doc);
	buf_release(&w.b);
	if (rc != 0)
		return core_fail_store(call, rc);
	jadd_str(call->out, "registryId", repo.registry_id);
	jadd_str(call->out, "repositoryName", repo.name);
	jadd_str(call->out, "lifecyclePolicyText", text);
	jadd_str(call->out, "status", "IN_PROGRESS");
	return 0;
}

/* One stored result, checked: [digest, pushed ms, code, tag...]. */
struct result {
	struct json_object *a;
	const char *digest;
	int64_t pushed_at_ms;
	int64_t code;  /* see lifecycle.h */
	size_t n_tags; /* from a[3] on */
};

static const char *
str_at(struct json_object *a, size_t i)
{
	struct json_object *v = json_object_array_get_idx(a, i);

	return json_object_is_type(v, json_type_string)
	           ? json_object_get_string(v)
	           : NULL;
}

static int64_t
int_at(struct json_object *a, size_t i)
{
	struct json_object *v = json_object_array_get_idx(a, i);

	return json_object_is_type(v, json_type_int) ? json_object_get_int64(v)
	                                             : -1;
}

static bool
result_get(struct json_object *a, struct result *r)
{
	size_t i, n;

	if (!json_object_is_type(a, json_type_array) ||
	    (n = json_object_array_length(a)) < 3)
		return false;
	r->a = a;
	r->digest = str_at(a, 0);
	r->pushed_at_ms = int_at(a, 1);
	r->code = int_at(a, 2);
	r->n_tags = n - 3;
	for (i = 3; i < n; i++) {
		if (str_at(a, i) == NULL)
			return false;
	}
	return r->digest != NULL && r->pushed_at_ms >= 0 && r->code >= 4;
}

static bool
has_tag(const struct result *r, const char *tag)
{
	size_t i;

	for (i = 0; i < r->n_tags; i++) {
		if (strcmp(str_at(r->a, 3 + i), tag) == 0)
			return true;
	}
	return false;
}

/* imageIds keep the results one of them names [unconfirmed]. */
static bool
is_wanted(const struct result *r, struct json_object *ids,
    const char *tag_status)
{
	const char *digest, *tag;
	size_t i, n;

	if (tag_status != NULL &&
	    ((strcmp(tag_status, "TAGGED") == 0 && r->n_tags == 0) ||
	        (strcmp(tag_status, "UNTAGGED") == 0 && r->n_tags != 0)))
		return false;
	if (ids == NULL)
		return true;
	n = json_object_array_length(ids);
	for (i = 0; i < n; i++) {
		digest = api_id_member(json_object_array_get_idx(ids, i),
		    "imageDigest");
		tag = api_id_member(json_object_array_get_idx(ids, i),
		    "imageTag");
		if ((digest != NULL || tag != NULL) &&
		    (digest == NULL || strcmp(digest, r->digest) == 0) &&
		    (tag == NULL || has_tag(r, tag)))
			return true;
	}
	return false;
}

static void
result_write(struct jw *w, const struct result *r)
{
	bool is_transition = r->code & CORE_LIFECYCLE_TRANSITION;
	size_t i;

	jw_obj_open(w, NULL);
	if (r->n_tags != 0) {
		jw_arr_open(w, "imageTags");
		for (i = 0; i < r->n_tags; i++)
			jw_str(w, NULL, str_at(r->a, 3 + i));
		jw_arr_close(w);
	}
	jw_str(w, "imageDigest", r->digest);
	jw_epoch(w, "imagePushedAt", r->pushed_at_ms);
	jw_obj_open(w, "action");
	jw_str(w, "type",
	    lifecycle_action_name(is_transition ? LIFECYCLE_TRANSITION
	                                        : LIFECYCLE_EXPIRE));
	if (is_transition)
		jw_str(w, "targetStorageClass",
		    lifecycle_storage_class_name(LIFECYCLE_ARCHIVE));
	jw_obj_close(w);
	jw_i64(w, "appliedRulePriority", r->code / 4);
	jw_str(w, "storageClass",
	    lifecycle_storage_class_name(r->code & CORE_LIFECYCLE_ARCHIVED
	                                     ? LIFECYCLE_ARCHIVE
	                                     : LIFECYCLE_STANDARD));
	jw_obj_close(w);
}

struct page {
	struct json_object *ids;
	const char *tag_status;
	const char *after; /* the token's last digest */
	size_t n, max;
	const char *last; /* borrowed from the document */
	const char *kind; /* of the page token */
	bool has_more;
};

/* Page the wanted results. */
static int
page_results(struct json_object *results, struct page *pg, struct jw *list)
{
	struct result r;
	size_t i, n = json_object_array_length(results);

	for (i = 0; i < n && !pg->has_more; i++) {
		if (!result_get(json_object_array_get_idx(results, i), &r))
			return -1;
		if (!is_wanted(&r, pg->ids, pg->tag_status))
			continue;
		if (pg->after != NULL) {
			if (strcmp(pg->after, r.digest) == 0)
				pg->after = NULL;
			continue;
		}
		if (pg->n == pg->max) {
			pg->has_more = true;
			continue;
		}
		result_write(list, &r);
		pg->last = r.digest;
		pg->n++;
	}
	return 0;
}

/* The counts cover the whole preview, not the page (3.6). */
static void
summary_write(struct call *call, int64_t n_expiring, int64_t n_transitioning)
{
	struct json_object *summary = jnew_obj(), *counts, *c;

	jadd_i64(summary, "expiringImageTotalCount", n_expiring);
	if (n_transitioning != 0) {
		counts = jnew_arr();
		c = jnew_obj();
		jadd_str(c, "targetStorageClass",
		    lifecycle_storage_class_name(LIFECYCLE_ARCHIVE));
		jadd_i64(c, "imageTotalCount", n_transitioning);
		jpush(counts, c);
		jadd_obj(summary, "transitioningImageTotalCounts", counts);
	}
	jadd_obj(call->out, "summary", summary);
}

static int
page_setup(struct call *call, const struct store_repo *repo,
    const struct store_doc *doc, struct page *pg)
{
	const char *token = api_in_str(call, "nextToken");
	const char *image_status, *kind;
	char *after;

	memset(pg, 0, sizeof *pg);
	pg->ids = api_in_array(call, "imageIds");
	if (pg->ids != NULL &&
	    (token != NULL || api_in_i64(call, "maxResults", 0) != 0))
		/* [unconfirmed] wording (2.2). */
		return core_fail_param(call, "imageIds",
		    "Cannot specify "
		    "imageIds together with nextToken or maxResults");
	pg->max = (size_t)api_in_i64(call, "maxResults", PAGE_DEFAULT);
	api_filter_strs(api_in_obj(call, "filter"), &pg->tag_status,
	    &image_status);
	/* A new preview makes the old one's tokens invalid. */
	kind = call_printf(call, "lifecycle-preview/%" PRIu64 "/%" PRId64,
	    repo->id, doc->at_ms);
	pg->kind = kind;
	if (token == NULL)
		return 0;
	after = call_take(call, xmalloc(STORE_DIGEST_MAX + 1));
	if (core_token_parse(call, kind, token, after, STORE_DIGEST_MAX + 1) !=
	    0)
		return -1;
	pg->after = after;
	return 0;
}

/* A stored preview document (core_lifecycle_preview_write's). */
struct preview {
	struct json_object *root;
	const char *status;
	const char *text;
	int64_t n_expiring, n_transitioning;
	struct json_object *results;
};

/* 0, or -1 with a ServerException for a damaged document. */
static int
preview_parse(struct call *call, const struct store_doc *doc,
    struct preview *pv)
{
	struct json_object *v;

	memset(pv, 0, sizeof *pv);
	pv->root = json_tokener_parse(doc->text);
	if ((v = jget(pv->root, "status", json_type_string)) != NULL)
		pv->status = json_object_get_string(v);
	if ((v = jget(pv->root, "text", json_type_string)) != NULL)
		pv->text = json_object_get_string(v);
	if ((v = jget(pv->root, "expiring", json_type_int)) != NULL)
		pv->n_expiring = json_object_get_int64(v);
	if ((v = jget(pv->root, "transitioning", json_type_int)) != NULL)
		pv->n_transitioning = json_object_get_int64(v);
	pv->results = jget(pv->root, "results", json_type_array);
	if (pv->status != NULL && pv->text != NULL && pv->results != NULL)
		return 0;
	json_object_put(pv->root);
	log_error("request %s: damaged lifecycle preview", call->request_id);
	return core_fail_store(call, STORE_CORRUPT);
}

static int
answer(struct call *call, const struct store_repo *repo,
    const struct store_doc *doc)
{
	struct preview pv;
	struct page pg;
	struct jw list;
	int rc;

	if (page_setup(call, repo, doc, &pg) != 0 ||
	    preview_parse(call, doc, &pv) != 0)
		return -1;
	jadd_str(call->out, "registryId", repo->registry_id);
	jadd_str(call->out, "repositoryName", repo->name);
	jadd_str(call->out, "lifecyclePolicyText", pv.text);
	jadd_str(call->out, "status", pv.status);
	jw_init(&list);
	jw_arr_open(&list, NULL);
	rc = page_results(pv.results, &pg, &list);
	jw_arr_close(&list);
	jadd_jw(call->out, "previewResults", &list);
	if (pg.has_more)
		jadd_str(call->out, "nextToken",
		    core_token_make(call, pg.kind, pg.last));
	summary_write(call, pv.n_expiring, pv.n_transitioning);
	json_object_put(pv.root);
	if (rc != 0)
		return core_fail_store(call, STORE_CORRUPT);
	return 0;
}

static int
get_lifecycle_policy_preview(struct call *call)
{
	struct store_repo repo;
	struct store_doc doc;
	int rc;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) != 0)
		return -1;
	memset(&doc, 0, sizeof doc);
	rc = store_repo_doc_get(call->txn, repo.id, STORE_DOC_LIFECYCLE_PREVIEW,
	    &doc);
	if (rc == STORE_NOTFOUND)
		/* [unconfirmed] wording, patterned on 2.4's. */
		return core_fail(call, ERR_LIFECYCLE_POLICY_PREVIEW_NOT_FOUND,
		    "Lifecycle policy preview does not exist for the "
		    "repository with name '%s' in the registry with id '%s'",
		    repo.name, repo.registry_id);
	if (rc != 0)
		return core_fail_store(call, rc);
	rc = answer(call, &repo, &doc);
	store_doc_release(&doc);
	return rc;
}
