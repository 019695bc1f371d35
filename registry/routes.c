/*
 * The registry's routes: a /v2 method and path to its route of the
 * distribution API (registry.h's enum api_reg_op), and each route to its
 * operation, named as the route reads in the spec; the handlers live in
 * one file per resource family.
 */
#include "registry/registry_int.h"

#include <stdbool.h>
#include <string.h>

const struct op *const api_reg_ops[API_REG__COUNT] = {
    [API_REG_PING] = &reg_op_ping,
    [API_REG_CATALOG] = &reg_op_catalog,
    [API_REG_TAGS] = &reg_op_tags_list,
    [API_REG_MANIFEST_GET] = &reg_op_manifest_get,
    [API_REG_MANIFEST_PUT] = &reg_op_manifest_put,
    [API_REG_MANIFEST_DELETE] = &reg_op_manifest_delete,
    [API_REG_BLOB_GET] = &reg_op_blob_get,
    [API_REG_BLOB_DELETE] = &reg_op_blob_delete,
    [API_REG_UPLOAD_START] = &reg_op_upload_start,
    [API_REG_UPLOAD_STATUS] = &reg_op_upload_status,
    [API_REG_UPLOAD_PATCH] = &reg_op_upload_patch,
    [API_REG_UPLOAD_FINISH] = &reg_op_upload_finish,
    [API_REG_UPLOAD_CANCEL] = &reg_op_upload_cancel,
    [API_REG_REFERRERS] = &reg_op_referrers,
};

/*
 * Routing reads the path from the right, since names hold '/' (and even
 * segments like "blobs"): the last segments say the endpoint, and the name
 * is what comes before them (docs/registry-behaviour.md 3.1).
 */
struct route_ctx {
	const char *path;
	const char *method;
	bool is_get; /* GET or HEAD */
	struct api_reg_request *rq;
	const char **name;
	size_t *name_len;
};

/* The name: path[4 .. end) when it is not empty. */
static bool
set_name(struct route_ctx *r, const char *end)
{
	if (end <= r->path + 4)
		return false;
	*r->name = r->path + 4;
	*r->name_len = (size_t)(end - (r->path + 4));
	return true;
}

/* The start of the segment that ends just before `end` ('/' at end). */
static const char *
segment_before(const char *path, const char *end)
{
	const char *p = end;

	while (p > path && p[-1] != '/')
		p--;
	return p;
}

static bool
seg_is(const char *seg, const char *end, const char *word)
{
	return (size_t)(end - seg) == strlen(word) &&
	       strncmp(seg, word, strlen(word)) == 0;
}

static bool
is_method(const struct route_ctx *r, const char *m)
{
	return strcmp(r->method, m) == 0;
}

static int
pick(struct route_ctx *r, bool ok, enum api_reg_op op)
{
	if (!ok)
		return API_REG_ROUTE_METHOD;
	r->rq->op = op;
	return 0;
}

static int
route_uploads(struct route_ctx *r, const char *id)
{
	if (*id == '\0')
		return pick(r, is_method(r, "POST"), API_REG_UPLOAD_START);
	r->rq->upload_id = id;
	if (is_method(r, "GET"))
		return pick(r, true, API_REG_UPLOAD_STATUS);
	if (is_method(r, "PATCH"))
		return pick(r, true, API_REG_UPLOAD_PATCH);
	if (is_method(r, "PUT"))
		return pick(r, true, API_REG_UPLOAD_FINISH);
	return pick(r, is_method(r, "DELETE"), API_REG_UPLOAD_CANCEL);
}

/* <name>/manifests/<ref>, <name>/blobs/<digest>, <name>/referrers/<d>. */
static int
route_reference(struct route_ctx *r, const char *kind, const char *kind_end,
    const char *ref)
{
	r->rq->reference = ref;
	if (seg_is(kind, kind_end, "manifests")) {
		if (r->is_get)
			return pick(r, true, API_REG_MANIFEST_GET);
		if (is_method(r, "PUT"))
			return pick(r, true, API_REG_MANIFEST_PUT);
		return pick(r, is_method(r, "DELETE"), API_REG_MANIFEST_DELETE);
	}
	if (seg_is(kind, kind_end, "blobs")) {
		if (r->is_get)
			return pick(r, true, API_REG_BLOB_GET);
		return pick(r, is_method(r, "DELETE"), API_REG_BLOB_DELETE);
	}
	if (seg_is(kind, kind_end, "referrers"))
		return pick(r, r->is_get, API_REG_REFERRERS);
	return API_REG_ROUTE_NONE;
}

static int
route_named(struct route_ctx *r)
{
	const char *path = r->path, *end = path + strlen(path);
	const char *last, *prev, *pprev;

	last = segment_before(path, end); /* the last segment */
	if (last <= path + 4)
		return API_REG_ROUTE_NONE;
	prev = segment_before(path, last - 1); /* the one before it */
	pprev = prev > path + 4 ? segment_before(path, prev - 1) : prev;
	if (seg_is(prev, last - 1, "tags") && seg_is(last, end, "list") &&
	    set_name(r, prev - 1))
		return pick(r, r->is_get, API_REG_TAGS);
	if (seg_is(prev, last - 1, "uploads") &&
	    seg_is(pprev, prev - 1, "blobs") && set_name(r, pprev - 1))
		return route_uploads(r, last);
	if (seg_is(prev, last - 1, "blobs") && seg_is(last, end, "uploads") &&
	    set_name(r, prev - 1))
		return route_uploads(r, "");
	if (*last == '\0' || !set_name(r, prev - 1))
		return API_REG_ROUTE_NONE;
	return route_reference(r, prev, last - 1, last);
}

int
api_reg_route(const char *method, const char *path, struct api_reg_request *rq,
    const char **name, size_t *name_len)
{
	struct route_ctx r = {
	    .path = path,
	    .method = method,
	    .is_get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0,
	    .rq = rq,
	    .name = name,
	    .name_len = name_len,
	};

	*name = NULL;
	*name_len = 0;
	if (strcmp(path, "/v2") == 0 || strcmp(path, "/v2/") == 0)
		return pick(&r, r.is_get, API_REG_PING);
	if (strcmp(path, "/v2/_catalog") == 0)
		return pick(&r, r.is_get, API_REG_CATALOG);
	return route_named(&r);
}
