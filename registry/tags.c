/*
 * Listings and the version check: GET /v2/ (ping), /v2/_catalog,
 * /v2/<name>/tags/list and /v2/<name>/referrers/<digest>
 * (docs/registry-behaviour.md 2.7, 2.8).
 */
#include "registry/registry_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/parse.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "core/image.h"
#include "core/manifest.h"

#define LIST_MAX 1000 /* tags/list and _catalog page cap (2.7) */

static int ping(struct call *);
static int catalog(struct call *);
static int tags_list(struct call *);
static int referrers(struct call *);

const struct op reg_op_ping = {
    .name = "ping",
    .flags = OP_TXN_NONE,
    .exec = ping,
};

const struct op reg_op_catalog = {
    .name = "catalog",
    .flags = OP_TXN_READ,
    .exec = catalog,
};

const struct op reg_op_tags_list = {
    .name = "tags-list",
    .flags = OP_TXN_READ,
    .exec = tags_list,
};

const struct op reg_op_referrers = {
    .name = "referrers",
    .flags = OP_TXN_READ,
    .exec = referrers,
};

static int
ping(struct call *call)
{
	reg_body(call, "application/json", "{}", 2);
	reg_state(call)->ans.status = 200;
	return 0;
}

static int
page_size(struct call *call, size_t *n)
{
	int64_t v = reg_state(call)->req->n;

	if (v > LIST_MAX)
		return reg_fail(call, REG_UNSUPPORTED,
		    "Invalid parameter "
		    "at 'maxResults' failed to satisfy constraint: 'Member "
		    "must have value less than or equal to 1000'");
	*n = v < 0 ? LIST_MAX : (size_t)v;
	return 0;
}

struct listing {
	struct jw w;
	size_t n, max;
	bool has_more;
	char *last;
};

static int
list_add(struct listing *l, const char *name)
{
	if (l->n == l->max) {
		l->has_more = true;
		return 1;
	}
	jw_str(&l->w, NULL, name);
	free(l->last);
	l->last = xstrdup(name);
	l->n++;
	return 0;
}

static int
tag_cb(const char *tag, const char *digest, void *arg)
{
	(void)digest;
	return list_add(arg, tag);
}

static int
repo_cb(const struct store_repo *repo, void *arg)
{
	return list_add(arg, repo->name);
}

/* Lexical order, `last` exclusive, a Link to the next page (2.7). */
static int
list_finish(struct call *call, struct listing *l, const char *path, int rc)
{
	struct json_object *o = jnew_obj();
	char *text;
	size_t len;

	jw_arr_close(&l->w);
	if (reg_state(call)->req->repo != NULL &&
	    reg_state(call)->req->op == API_REG_TAGS)
		jadd_str(o, "name", reg_state(call)->req->repo);
	jadd_jw(o,
	    reg_state(call)->req->op == API_REG_TAGS ? "tags" : "repositories",
	    &l->w);
	text = call_take(call, jrender(o, &len));
	json_object_put(o);
	if (rc < 0 || text == NULL) {
		free(l->last);
		return rc < 0 ? core_fail_store(call, rc)
		              : core_fail_render(call);
	}
	if (l->has_more)
		reg_header(call, "Link",
		    call_printf(call,
		        "<%s?n=%zu&last=%s>; "
		        "rel=\"next\"",
		        path, l->max, l->last));
	free(l->last);
	reg_body(call, "application/json; charset=utf-8", text, len);
	reg_state(call)->ans.status = 200;
	return 0;
}

static int
tags_list(struct call *call)
{
	struct store_repo repo;
	struct listing l;
	int rc = 0;

	if (reg_repo(call, &repo) != 0)
		return -1;
	memset(&l, 0, sizeof l);
	if (page_size(call, &l.max) != 0)
		return -1;
	jw_init(&l.w);
	jw_arr_open(&l.w, NULL);
	if (l.max > 0)
		rc = store_tag_foreach(call->txn, repo.id,
		    reg_state(call)->req->last, tag_cb, &l);
	return list_finish(call, &l,
	    call_printf(call, "/v2/%s/tags/list", repo.name), rc);
}

static int
catalog(struct call *call)
{
	struct listing l;
	int rc = 0;

	memset(&l, 0, sizeof l);
	if (page_size(call, &l.max) != 0)
		return -1;
	jw_init(&l.w);
	jw_arr_open(&l.w, NULL);
	if (l.max > 0)
		rc = store_repo_foreach(call->txn, call->registry_id,
		    call->id.region, reg_state(call)->req->last, repo_cb, &l);
	return list_finish(call, &l, "/v2/_catalog", rc);
}

/*
 * GET /v2/<name>/referrers/<digest> (OCI 1.1, docs/registry-behaviour.md 2.8):
 * always 200 with an image index of the referrers' descriptors, filtered
 * by ?artifactType= (then OCI-Filters-Applied says so).
 */
struct referrers {
	struct call *call;
	struct jw w;
	const char *artifact_type;
};

static int
referrer_cb(const struct store_image *img, void *arg)
{
	struct referrers *r = arg;

	if (img->status != STORE_IMAGE_ACTIVE ||
	    (r->artifact_type != NULL &&
	        strcmp(r->artifact_type, img->artifact_media_type) != 0))
		return 0;
	jw_obj_open(&r->w, NULL);
	jw_str(&r->w, "mediaType", img->manifest_media_type);
	jw_str(&r->w, "digest", img->digest);
	jw_i64(&r->w, "size", (int64_t)img->manifest_len);
	if (img->artifact_media_type[0] != '\0')
		jw_str(&r->w, "artifactType", img->artifact_media_type);
	core_image_annotations_write(r->call, &r->w, img);
	jw_obj_close(&r->w);
	return 0;
}

static int
referrers(struct call *call)
{
	const char *digest = reg_state(call)->req->reference;
	struct store_repo repo;
	struct referrers r;
	struct json_object *o;
	char *text;
	size_t len;
	int rc;

	if (reg_repo(call, &repo) != 0)
		return -1;
	if (!manifest_digest_is_valid(digest))
		return reg_fail(call, REG_DIGEST_INVALID,
		    "invalid digest "
		    "'%s'",
		    digest);
	memset(&r, 0, sizeof r);
	r.call = call;
	r.artifact_type = reg_state(call)->req->artifact_type;
	jw_init(&r.w);
	jw_arr_open(&r.w, NULL);
	rc =
	    store_referrer_foreach(call->txn, repo.id, digest, referrer_cb, &r);
	jw_arr_close(&r.w);
	o = jnew_obj();
	jadd_i64(o, "schemaVersion", 2);
	jadd_str(o, "mediaType", MEDIA_OCI_INDEX);
	jadd_jw(o, "manifests", &r.w);
	text = call_take(call, jrender(o, &len));
	json_object_put(o);
	if (rc < 0)
		return core_fail_store(call, rc);
	if (text == NULL)
		return core_fail_render(call);
	if (r.artifact_type != NULL)
		reg_header(call, "OCI-Filters-Applied", "artifactType");
	reg_body(call, MEDIA_OCI_INDEX, text, len);
	reg_state(call)->ans.status = 200;
	return 0;
}
