/*
 * The registry's operations over the ECR store and rules: manifests go
 * through api_image_put / api_image_negotiate / api_image_delete exactly
 * as PutImage, BatchGetImage and BatchDeleteImage do; blobs are the same
 * layer records and files as the layer API's (docs/registry-behaviour.md 2-4).
 */
#include "registry/registry_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/image.h"
#include "core/manifest.h"
#include "common/parse.h"
#include "common/str.h"
#include "common/xalloc.h"

#define LIST_MAX	1000	/* tags/list and _catalog page cap (2.7) */
#define CHUNK_MIN	"5242880"
#define PART_MIN	5242880

static int
ping(struct api_call *call)
{
	reg_body(call, "application/json", "{}", 2);
	reg_state(call)->ans.status = 200;
	return 0;
}

static void
rtrim(char *s)
{
	size_t	n = strlen(s);

	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/* Accept: a comma-separated list with parameters; a wildcard takes any. */
static void
parse_accept(struct api_call *call, struct api_accept *a)
{
	const char	*h = reg_state(call)->req->accept;
	char		*copy, *item, *save = NULL, *semi;

	a->types = NULL;
	a->n = 0;
	if (h == NULL)
		return;
	copy = call_take(call, xstrdup(h));
	for (item = strtok_r(copy, ",", &save); item != NULL;
	    item = strtok_r(NULL, ",", &save)) {
		while (*item == ' ' || *item == '\t')
			item++;
		if ((semi = strchr(item, ';')) != NULL)
			*semi = '\0';
		rtrim(item);
		if (strcmp(item, "*/*") == 0) {
			free(a->types);
			a->types = NULL;
			a->n = 0;
			return;
		}
		a->types = xreallocarray(a->types, a->n + 1, sizeof *a->types);
		a->types[a->n++] = item;
	}
}

/* Tags as ECR allows them: [a-zA-Z0-9-_.]+, at most 300 (2.4). */
static bool
is_tag(const char *s)
{
	size_t	n = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
		    "VWXYZ0123456789-_.");

	return n > 0 && s[n] == '\0' && n <= STORE_IMAGE_TAG_MAX;
}

static int
check_reference(struct api_call *call, const char *ref)
{
	if (reg_is_digest(ref) && !manifest_digest_is_valid(ref))
		return reg_fail(call, REG_DIGEST_INVALID, "invalid digest "
		    "'%s'", ref);
	if (!reg_is_digest(ref) && !is_tag(ref))
		return reg_fail(call, REG_TAG_INVALID, "invalid tag '%s'",
		    ref);
	return 0;
}

static int
manifest_get(struct api_call *call)
{
	const struct api_reg_request	*req = reg_state(call)->req;
	const char			*ref = req->reference, *type;
	struct store_repo		 repo;
	struct store_image		 img;
	struct api_accept		 accept;
	char				 digest[API_DIGEST_SIZE], *bytes;
	size_t				 len;
	bool				 by_tag = !reg_is_digest(ref);
	int				 rc;

	if (reg_repo(call, &repo) != 0 || check_reference(call, ref) != 0)
		return -1;
	memset(&img, 0, sizeof img);
	rc = api_image_find(call, repo.id, by_tag ? NULL : ref,
	    by_tag ? ref : NULL, &img);
	if (rc == 0 && img.status != STORE_IMAGE_ACTIVE)
		rc = STORE_NOTFOUND;	/* archived: not pullable (3.14) */
	if (rc != 0) {
		store_image_release(&img);
		if (rc != STORE_NOTFOUND)
			return api_fail_store(call, rc);
		return reg_fail(call, REG_MANIFEST_UNKNOWN, "Requested "
		    "image not found");
	}
	parse_accept(call, &accept);
	bytes = api_image_negotiate(call, &accept, &img, by_tag, digest,
	    &type, &len);
	free(accept.types);
	store_image_release(&img);
	if (bytes == NULL)
		return reg_fail(call, REG_MANIFEST_UNKNOWN, "Requested "
		    "image not found in an accepted media type");
	call_take(call, bytes);
	/* A pull is a GET, not a HEAD; only the manifest fetched (2.5). */
	if (!req->is_head)
		api_pull_note(call, repo.id, digest);
	reg_header(call, "Docker-Content-Digest", digest);
	reg_body(call, type, bytes, len);
	reg_state(call)->ans.status = 200;
	return 0;
}

/* The Content-Type names the manifest's type unless it is generic. */
static const char *
given_type(struct api_call *call)
{
	const char	*ct = reg_state(call)->req->content_type;
	char		*copy, *semi;

	if (ct == NULL || str_has_prefix(ct, "application/json") ||
	    str_has_prefix(ct, "application/octet-stream"))
		return NULL;
	copy = call_take(call, xstrdup(ct));
	if ((semi = strchr(copy, ';')) != NULL)
		*semi = '\0';
	rtrim(copy);
	return copy;
}

static int
manifest_put(struct api_call *call)
{
	const struct api_reg_request	*req = reg_state(call)->req;
	struct store_repo		 repo;
	struct api_image_put		 in;
	struct api_image_result		 res;
	bool				 by_digest = reg_is_digest(req->reference);

	if (reg_repo(call, &repo) != 0 ||
	    check_reference(call, req->reference) != 0)
		return -1;
	memset(&in, 0, sizeof in);
	in.manifest = req->body;
	in.len = req->body_len;
	in.media_type = given_type(call);
	in.tag = by_digest ? NULL : req->reference;
	in.digest = by_digest ? req->reference : NULL;
	if (api_image_put(call, &repo, &in, &res) != 0) {
		/* An identical push is a success for a registry client. */
		if (call->err.code != ERR_IMAGE_ALREADY_EXISTS)
			return -1;
		ecr_error_clear(&call->err);
	}
	reg_header(call, "Location", call_printf(call, "/v2/%s/manifests/%s",
	    repo.name, res.digest));
	reg_header(call, "Docker-Content-Digest", res.digest);
	if (res.subject[0] != '\0')
		reg_header(call, "OCI-Subject", res.subject);
	reg_state(call)->ans.status = 201;
	return 0;
}

static int
manifest_delete(struct api_call *call)
{
	const char		*ref = reg_state(call)->req->reference;
	struct store_repo	 repo;
	struct store_image	 img;
	bool			 by_tag = !reg_is_digest(ref);
	int			 rc;

	if (reg_repo(call, &repo) != 0 || check_reference(call, ref) != 0)
		return -1;
	memset(&img, 0, sizeof img);
	rc = api_image_find(call, repo.id, by_tag ? NULL : ref,
	    by_tag ? ref : NULL, &img);
	if (rc == STORE_NOTFOUND)
		return reg_fail(call, REG_MANIFEST_UNKNOWN, "Requested "
		    "image not found");
	if (rc != 0)
		return api_fail_store(call, rc);
	rc = api_image_delete(call, &img, by_tag ? ref : NULL);
	store_image_release(&img);
	if (rc == API_IMAGE_BUSY)
		return reg_fail(call, REG_UNSUPPORTED, "The image is "
		    "referenced by a manifest list in the repository");
	if (rc != 0)
		return -1;
	reg_state(call)->ans.status = 202;
	return 0;
}

static int
blob_get(struct api_call *call)
{
	const char		*digest = reg_state(call)->req->reference;
	struct store_repo	 repo;
	struct store_layer	 layer;
	int			 rc;

	if (reg_repo(call, &repo) != 0)
		return -1;
	if (!manifest_digest_is_valid(digest))
		return reg_fail(call, REG_DIGEST_INVALID, "invalid digest "
		    "'%s'", digest);
	rc = store_layer_get(call->txn, repo.id, digest, &layer);
	if (rc == STORE_NOTFOUND)
		return reg_fail(call, REG_BLOB_UNKNOWN, "blob unknown to "
		    "registry");
	if (rc != 0)
		return api_fail_store(call, rc);
	reg_state(call)->ans.status = 200;
	reg_state(call)->ans.blob_digest = call_take(call, xstrdup(digest));
	reg_state(call)->ans.content_length = (int64_t)layer.size;
	return 0;
}

/* ECR has no per-repository blob delete [unconfirmed]; the spec: 405. */
static int
blob_delete(struct api_call *call)
{
	struct store_repo	repo;

	if (reg_repo(call, &repo) != 0)
		return -1;
	return reg_fail(call, REG_METHOD_UNSUPPORTED, "blob delete is not "
	    "supported; delete the images that use the blob");
}

static void
upload_headers(struct api_call *call, const struct store_repo *repo,
    const struct store_upload *up)
{
	reg_header(call, "Location", call_printf(call,
	    "/v2/%s/blobs/uploads/%s", repo->name, up->id));
	reg_header(call, "Docker-Upload-UUID", up->id);
	reg_header(call, "Range", call_printf(call, "0-%" PRIu64,
	    up->received == 0 ? 0 : up->received - 1));
}

/*
 * BLOB_MOUNTING is opt-in per registry (docs/registry-behaviour.md 2.6):
 * while it is DISABLED, the default, a mount request starts an ordinary
 * upload.
 */
static int
mounting_enabled(struct api_call *call, bool *out)
{
	char	value[16];
	int	rc;

	rc = api_setting_get(call->txn, call->registry_id, call->id.region,
	    API_SETTING_BLOB_MOUNTING, value, sizeof value);
	if (rc != 0) {
		(void)api_fail_store(call, rc);
		return -1;
	}
	*out = strcmp(value, "ENABLED") == 0;
	return 0;
}

/*
 * The source of a mount: a repository of the same registry (the token's
 * account and region) with the same encryption, which the caller may read
 * with ecr:GetDownloadUrlForLayer (2.6). 0, or -1 (with no error kept:
 * a denial only means an upload instead).
 */
static int
mount_source(struct api_call *call, const struct store_repo *repo,
    struct store_repo *from)
{
	const char	*name = reg_state(call)->req->from;

	if (name == NULL || store_repo_get(call->txn, call->registry_id,
	    call->id.region, name, from) != 0 ||
	    strcmp(from->encryption_type, repo->encryption_type) != 0 ||
	    strcmp(from->kms_key, repo->kms_key) != 0)
		return -1;
	if (reg_authorize(call, "ecr:GetDownloadUrlForLayer", from->name) ==
	    0)
		return 0;
	ecr_error_clear(&call->err);
	reg_state(call)->err_reg = REG_NONE;
	return -1;
}

/*
 * Mount by existence within the registry when BLOB_MOUNTING is ENABLED
 * (2.6: ECR's referenced-only rule fails the conformance suites, so it is
 * not kept). 1 when mounted, 0 to fall back to an upload, -1 on error.
 */
static int
try_mount(struct api_call *call, const struct store_repo *repo)
{
	const struct api_reg_request	*req = reg_state(call)->req;
	struct store_repo		 from;
	struct store_layer		 layer;
	bool				 enabled;
	int				 rc;

	if (req->mount == NULL || !manifest_digest_is_valid(req->mount))
		return 0;
	if (mounting_enabled(call, &enabled) != 0)
		return -1;
	if (!enabled)
		return 0;
	rc = store_layer_get(call->txn, repo->id, req->mount, &layer);
	if (rc != 0 && mount_source(call, repo, &from) == 0)
		rc = store_layer_get(call->txn, from.id, req->mount, &layer);
	if (rc != 0)
		return 0;
	layer.repo_id = repo->id;
	layer.created_at_ms = call->now_ms;
	rc = store_layer_add(call->txn, &layer);
	if (rc != 0 && rc != STORE_EXISTS)
		return api_fail_store(call, rc);
	reg_header(call, "Location", call_printf(call, "/v2/%s/blobs/%s",
	    repo->name, req->mount));
	reg_header(call, "Docker-Content-Digest", req->mount);
	reg_state(call)->ans.status = 201;
	return 1;
}

static int
upload_start(struct api_call *call)
{
	struct store_repo	repo;
	struct store_upload	up;
	int			rc;

	if (reg_repo(call, &repo) != 0)
		return -1;
	if ((rc = try_mount(call, &repo)) != 0)
		return rc < 0 ? -1 : 0;
	if (api_upload_create(call, &repo, &up) != 0)
		return -1;
	upload_headers(call, &repo, &up);
	reg_header(call, "OCI-Chunk-Min-Length", CHUNK_MIN);
	reg_state(call)->ans.status = 202;
	return 0;
}

/* The upload the path names, in this repository (registry_int.h). */
int
reg_upload(struct api_call *call, const struct store_repo *repo,
    struct store_upload *up)
{
	int	rc;

	rc = store_upload_get(call->txn, reg_state(call)->req->upload_id, up);
	if (rc == STORE_NOTFOUND || rc == STORE_TOOBIG ||
	    (rc == 0 && up->repo_id != repo->id))
		return reg_fail(call, REG_BLOB_UPLOAD_UNKNOWN, "blob upload "
		    "unknown to registry");
	if (rc != 0)
		return api_fail_store(call, rc);
	return 0;
}

static int
upload_status(struct api_call *call)
{
	struct store_repo	repo;
	struct store_upload	up;

	if (reg_repo(call, &repo) != 0 || reg_upload(call, &repo, &up) != 0)
		return -1;
	upload_headers(call, &repo, &up);
	reg_state(call)->ans.status = 204;
	return 0;
}

/*
 * A chunk's Content-Range must start where the upload stands and be as
 * long as its body: 416 otherwise, with nothing counted (spec end-5).
 */
static int
check_chunk(struct api_call *call, const struct store_upload *up)
{
	const char	*cr = reg_state(call)->req->content_range;
	uint64_t	 start, end;

	if (cr == NULL)
		return 0;
	if (reg_parse_range(cr, &start, &end) != 0 || start != up->received ||
	    end - start + 1 != reg_state(call)->added)
		return reg_fail(call, REG_BLOB_UPLOAD_RANGE, "the chunk's "
		    "Content-Range does not match the upload or the body");
	return 0;
}

/*
 * Count what was streamed: the bytes are in the file (synced now, before
 * the record commits); the record must still stand where the stream began.
 */
static int
record_stream(struct api_call *call, const struct store_repo *repo,
    struct store_upload *up)
{
	struct api_reg	*r = reg_state(call);
	int		 rc;

	if (reg_upload(call, repo, up) != 0 || check_chunk(call, up) != 0)
		return -1;
	if (api_upload_leased_by_other(call->ctx, up->id, r))
		return reg_fail(call, REG_BLOB_UPLOAD_RANGE, "another "
		    "chunk of this upload is still being received");
	if (!r->is_streaming || r->added == 0)
		return 0;
	rc = store_upload_writer_close(r->writer, true);
	r->writer = NULL;
	/* Counted in this batch: later calls in it may go on. */
	reg_unlease(r);
	if (rc != 0)
		return api_fail_store(call, rc);
	if (up->received != r->up.received)
		return reg_fail(call, REG_BLOB_UPLOAD_RANGE, "the upload "
		    "moved on while this chunk was sent");
	api_upload_count_part(call, up, r->added,
	    r->has_hash ? &r->hash : NULL);
	if ((rc = store_upload_update(call->txn, up)) != 0)
		return api_fail_store(call, rc);
	return 0;
}

static int
upload_patch(struct api_call *call)
{
	struct store_repo	repo;
	struct store_upload	up;

	if (reg_repo(call, &repo) != 0 || record_stream(call, &repo, &up) != 0)
		return -1;
	upload_headers(call, &repo, &up);
	reg_state(call)->ans.status = 202;
	return 0;
}

/*
 * The blob's digest must be the one asked for: sha256, or sha512 (OCI
 * allows it; ECR itself uses sha256).
 */
static int
check_digest(struct api_call *call, const struct store_upload *up,
    char *digest)
{
	const char	*want = reg_state(call)->req->digest;

	if (want == NULL || !manifest_digest_is_valid(want))
		return reg_fail(call, REG_DIGEST_INVALID, "a valid digest "
		    "parameter is required");
	if (api_upload_digest(call, up, str_has_prefix(want, "sha512:"),
	    digest) != 0)
		return -1;
	if (strcmp(want, digest) != 0)
		return reg_fail(call, REG_DIGEST_INVALID, "provided digest "
		    "did not match uploaded content");
	if (up->min_part != 0 && up->min_part < PART_MIN)
		return reg_fail(call, REG_BLOB_UPLOAD_INVALID, "All layer "
		    "parts except the last part should be at least 5MB");
	return 0;
}

static int
upload_finish(struct api_call *call)
{
	struct store_repo	repo;
	struct store_upload	up;
	struct store_layer	layer;
	char			digest[API_DIGEST_SIZE];
	int			rc;

	if (reg_repo(call, &repo) != 0 || record_stream(call, &repo, &up) != 0 ||
	    reg_check_size(call, up.id, up.received, 0) != 0 ||
	    check_digest(call, &up, digest) != 0)
		return -1;
	memset(&layer, 0, sizeof layer);
	layer.repo_id = repo.id;
	str_copy(layer.digest, sizeof layer.digest, digest);
	layer.size = up.received;
	layer.created_at_ms = call->now_ms;
	rc = store_upload_file_finish(call->ctx->store, up.id, up.received,
	    digest);
	if (rc == 0 && (rc = store_layer_add(call->txn, &layer)) == STORE_EXISTS)
		rc = 0;
	if (rc != 0 || (rc = store_upload_delete(call->txn, up.id)) != 0)
		return api_fail_store(call, rc);
	api_upload_hash_drop(call->ctx, up.id);
	reg_header(call, "Location", call_printf(call, "/v2/%s/blobs/%s",
	    repo.name, digest));
	reg_header(call, "Docker-Content-Digest", digest);
	reg_state(call)->ans.status = 201;
	return 0;
}

static int
upload_cancel(struct api_call *call)
{
	struct store_repo	repo;
	struct store_upload	up;
	int			rc;

	if (reg_repo(call, &repo) != 0 || reg_upload(call, &repo, &up) != 0)
		return -1;
	if ((rc = store_upload_delete(call->txn, up.id)) != 0 ||
	    (rc = store_upload_file_remove(call->ctx->store, up.id)) != 0)
		return api_fail_store(call, rc);
	api_upload_hash_drop(call->ctx, up.id);
	reg_state(call)->ans.status = 204;
	return 0;
}

/* ?n= with ECR's bound (2.7); -1 when absent. */
static int
page_size(struct api_call *call, size_t *n)
{
	int64_t	 v = reg_state(call)->req->n;

	if (v > LIST_MAX)
		return reg_fail(call, REG_UNSUPPORTED, "Invalid parameter "
		    "at 'maxResults' failed to satisfy constraint: 'Member "
		    "must have value less than or equal to 1000'");
	*n = v < 0 ? LIST_MAX : (size_t)v;
	return 0;
}

struct listing {
	struct jw	 w;
	size_t		 n, max;
	bool		 has_more;
	char		*last;
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
list_finish(struct api_call *call, struct listing *l, const char *path,
    int rc)
{
	struct json_object	*o = jnew_obj();
	char			*text;
	size_t			 len;

	jw_arr_close(&l->w);
	if (reg_state(call)->req->repo != NULL && reg_state(call)->req->op == API_REG_TAGS)
		jadd_str(o, "name", reg_state(call)->req->repo);
	jadd_jw(o, reg_state(call)->req->op == API_REG_TAGS ? "tags" :
	    "repositories", &l->w);
	text = call_take(call, jrender(o, &len));
	json_object_put(o);
	if (rc < 0 || text == NULL) {
		free(l->last);
		return rc < 0 ? api_fail_store(call, rc) :
		    api_fail_render(call);
	}
	if (l->has_more)
		reg_header(call, "Link", call_printf(call, "<%s?n=%zu&last=%s>; "
		    "rel=\"next\"", path, l->max, l->last));
	free(l->last);
	reg_body(call, "application/json; charset=utf-8", text, len);
	reg_state(call)->ans.status = 200;
	return 0;
}

static int
tags_list(struct api_call *call)
{
	struct store_repo	repo;
	struct listing		l;
	int			rc = 0;

	if (reg_repo(call, &repo) != 0)
		return -1;
	memset(&l, 0, sizeof l);
	if (page_size(call, &l.max) != 0)
		return -1;
	jw_init(&l.w);
	jw_arr_open(&l.w, NULL);
	if (l.max > 0)
		rc = store_tag_foreach(call->txn, repo.id, reg_state(call)->req->last,
		    tag_cb, &l);
	return list_finish(call, &l, call_printf(call, "/v2/%s/tags/list",
	    repo.name), rc);
}

static int
catalog(struct api_call *call)
{
	struct listing	l;
	int		rc = 0;

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

static const struct api_op api_reg_op_ping = { "Registry.Ping", NULL,
    OP_TXN_NONE, ping };
static const struct api_op api_reg_op_catalog = { "Registry.Catalog", NULL,
    OP_TXN_READ, catalog };
static const struct api_op api_reg_op_tags = { "Registry.TagsList", NULL,
    OP_TXN_READ, tags_list };
static const struct api_op api_reg_op_manifest_get = { "Registry.ManifestGet",
    NULL, OP_TXN_READ, manifest_get };
static const struct api_op api_reg_op_manifest_put = { "Registry.ManifestPut",
    NULL, OP_TXN_WRITE, manifest_put };
static const struct api_op api_reg_op_manifest_delete = {
    "Registry.ManifestDelete", NULL, OP_TXN_WRITE | OP_FREES_SPACE,
    manifest_delete };
static const struct api_op api_reg_op_blob_get = { "Registry.BlobGet", NULL,
    OP_TXN_READ, blob_get };
static const struct api_op api_reg_op_blob_delete = { "Registry.BlobDelete", NULL,
    OP_TXN_READ, blob_delete };
static const struct api_op api_reg_op_upload_start = { "Registry.UploadStart",
    NULL, OP_TXN_WRITE, upload_start };
static const struct api_op api_reg_op_upload_status = { "Registry.UploadStatus",
    NULL, OP_TXN_READ, upload_status };
static const struct api_op api_reg_op_upload_patch = { "Registry.UploadPatch",
    NULL, OP_TXN_WRITE, upload_patch };
static const struct api_op api_reg_op_upload_finish = { "Registry.UploadFinish",
    NULL, OP_TXN_WRITE, upload_finish };
static const struct api_op api_reg_op_upload_cancel = { "Registry.UploadCancel",
    NULL, OP_TXN_WRITE, upload_cancel };
static int	referrers(struct api_call *);
static const struct api_op api_reg_op_referrers = { "Registry.Referrers",
    NULL, OP_TXN_READ, referrers };

const struct api_op *const api_reg_ops[API_REG__COUNT] = {
	[API_REG_PING] = &api_reg_op_ping,
	[API_REG_CATALOG] = &api_reg_op_catalog,
	[API_REG_TAGS] = &api_reg_op_tags,
	[API_REG_MANIFEST_GET] = &api_reg_op_manifest_get,
	[API_REG_MANIFEST_PUT] = &api_reg_op_manifest_put,
	[API_REG_MANIFEST_DELETE] = &api_reg_op_manifest_delete,
	[API_REG_BLOB_GET] = &api_reg_op_blob_get,
	[API_REG_BLOB_DELETE] = &api_reg_op_blob_delete,
	[API_REG_UPLOAD_START] = &api_reg_op_upload_start,
	[API_REG_UPLOAD_STATUS] = &api_reg_op_upload_status,
	[API_REG_UPLOAD_PATCH] = &api_reg_op_upload_patch,
	[API_REG_UPLOAD_FINISH] = &api_reg_op_upload_finish,
	[API_REG_UPLOAD_CANCEL] = &api_reg_op_upload_cancel,
	[API_REG_REFERRERS] = &api_reg_op_referrers,
};

/*
 * GET /v2/<name>/referrers/<digest> (OCI 1.1, docs/registry-behaviour.md 2.8):
 * always 200 with an image index of the referrers' descriptors, filtered
 * by ?artifactType= (then OCI-Filters-Applied says so).
 */
struct referrers {
	struct api_call	*call;
	struct jw	 w;
	const char	*artifact_type;
};

static int
referrer_cb(const struct store_image *img, void *arg)
{
	struct referrers	*r = arg;

	if (img->status != STORE_IMAGE_ACTIVE || (r->artifact_type != NULL &&
	    strcmp(r->artifact_type, img->artifact_media_type) != 0))
		return 0;
	jw_obj_open(&r->w, NULL);
	jw_str(&r->w, "mediaType", img->manifest_media_type);
	jw_str(&r->w, "digest", img->digest);
	jw_i64(&r->w, "size", (int64_t)img->manifest_len);
	if (img->artifact_media_type[0] != '\0')
		jw_str(&r->w, "artifactType", img->artifact_media_type);
	api_image_annotations_write(r->call, &r->w, img);
	jw_obj_close(&r->w);
	return 0;
}

static int
referrers(struct api_call *call)
{
	const char		*digest = reg_state(call)->req->reference;
	struct store_repo	 repo;
	struct referrers	 r;
	struct json_object	*o;
	char			*text;
	size_t			 len;
	int			 rc;

	if (reg_repo(call, &repo) != 0)
		return -1;
	if (!manifest_digest_is_valid(digest))
		return reg_fail(call, REG_DIGEST_INVALID, "invalid digest "
		    "'%s'", digest);
	memset(&r, 0, sizeof r);
	r.call = call;
	r.artifact_type = reg_state(call)->req->artifact_type;
	jw_init(&r.w);
	jw_arr_open(&r.w, NULL);
	rc = store_referrer_foreach(call->txn, repo.id, digest, referrer_cb,
	    &r);
	jw_arr_close(&r.w);
	o = jnew_obj();
	jadd_i64(o, "schemaVersion", 2);
	jadd_str(o, "mediaType", MEDIA_OCI_INDEX);
	jadd_jw(o, "manifests", &r.w);
	text = call_take(call, jrender(o, &len));
	json_object_put(o);
	if (rc < 0)
		return api_fail_store(call, rc);
	if (text == NULL)
		return api_fail_render(call);
	if (r.artifact_type != NULL)
		reg_header(call, "OCI-Filters-Applied", "artifactType");
	reg_body(call, MEDIA_OCI_INDEX, text, len);
	reg_state(call)->ans.status = 200;
	return 0;
}
