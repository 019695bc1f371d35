/*
 * Blob uploads: POST /v2/<name>/blobs/uploads/ (also ?mount=), GET, PATCH,
 * PUT ?digest= and DELETE .../uploads/<id>, over the same upload records
 * and files as the layer API's (docs/registry-behaviour.md 2-4).
 */
#include "registry/registry_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/parse.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "core/image.h"
#include "core/manifest.h"

#define CHUNK_MIN "5242880"
#define PART_MIN 5242880

static int upload_start(struct call *);
static int upload_status(struct call *);
static int upload_patch(struct call *);
static int upload_finish(struct call *);
static int upload_cancel(struct call *);
static void finish_open(struct call *);
static void start_files_open(struct call *);
static int reg_upload(struct call *, const struct store_repo *,
    struct store_upload *);
static int parse_range(const char *, uint64_t *, uint64_t *);
static int check_size(struct call *, const char *, uint64_t, uint64_t);

const struct op reg_op_upload_start = {
    .name = "upload-start",
    .flags = OP_TXN_WRITE,
    .exec = upload_start,
    .files_open = start_files_open,
};

const struct op reg_op_upload_status = {
    .name = "upload-status",
    .flags = OP_TXN_READ,
    .exec = upload_status,
};

const struct op reg_op_upload_patch = {
    .name = "upload-patch",
    .flags = OP_TXN_WRITE,
    .exec = upload_patch,
};

const struct op reg_op_upload_finish = {
    .name = "upload-finish",
    .flags = OP_TXN_WRITE,
    .exec = upload_finish,
    .files_open = finish_open,
};

const struct op reg_op_upload_cancel = {
    .name = "upload-cancel",
    .flags = OP_TXN_WRITE,
    .exec = upload_cancel,
};

static void
upload_headers(struct call *call, const struct store_repo *repo,
    const struct store_upload *up)
{
	reg_header(call, "Location",
	    call_printf(call, "/v2/%s/blobs/uploads/%s", repo->name, up->id));
	reg_header(call, "Docker-Upload-UUID", up->id);
	reg_header(call, "Range",
	    call_printf(call, "0-%" PRIu64,
	        up->received == 0 ? 0 : up->received - 1));
}

/*
 * BLOB_MOUNTING is opt-in per registry (docs/registry-behaviour.md 2.6):
 * while it is DISABLED, the default, a mount request starts an ordinary
 * upload.
 */
static int
mounting_enabled(struct call *call, bool *out)
{
	char value[16];
	int rc;

	rc = core_setting_get(call->txn, call->registry_id, call->id.region,
	    CORE_SETTING_BLOB_MOUNTING, value, sizeof value);
	if (rc != 0) {
		(void)core_fail_store(call, rc);
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
mount_source(struct call *call, const struct store_repo *repo,
    struct store_repo *from)
{
	const char *name = reg_state(call)->req->from;

	if (name == NULL ||
	    store_repo_get(call->txn, call->registry_id, call->id.region, name,
	        from) != 0 ||
	    strcmp(from->encryption_type, repo->encryption_type) != 0 ||
	    strcmp(from->kms_key, repo->kms_key) != 0)
		return -1;
	if (core_call_authorize(call, "ecr:GetDownloadUrlForLayer",
	        from->name) == 0)
		return 0;
	ecr_error_clear(&call->err);
	return -1;
}

/*
 * Mount by existence within the registry when BLOB_MOUNTING is ENABLED
 * (2.6: ECR's referenced-only rule fails the conformance suites, so it is
 * not kept). 1 when mounted, 0 to fall back to an upload, -1 on error.
 */
static int
try_mount(struct call *call, const struct store_repo *repo)
{
	const struct api_reg_request *req = reg_state(call)->req;
	struct store_repo from;
	struct store_layer layer;
	bool enabled;
	int rc;

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
		return core_fail_store(call, rc);
	reg_header(call, "Location",
	    call_printf(call, "/v2/%s/blobs/%s", repo->name, req->mount));
	reg_header(call, "Docker-Content-Digest", req->mount);
	reg_state(call)->ans.status = 201;
	return 1;
}

static int
upload_start(struct call *call)
{
	struct store_repo repo;
	struct store_upload up;
	int rc;

	if (core_repo_get_or_create_on_push(call, reg_state(call)->req->repo,
	        &repo) != 0)
		return -1;
	if ((rc = try_mount(call, &repo)) != 0)
		return rc < 0 ? -1 : 0;
	if (core_upload_create(call, &repo, &up) != 0)
		return -1;
	upload_headers(call, &repo, &up);
	reg_header(call, "OCI-Chunk-Min-Length", CHUNK_MIN);
	reg_state(call)->ans.status = 202;
	return 0;
}

/*
 * The empty upload file made in the worker pool before the run (issue 12),
 * unless a mount may make it needless.
 */
static void
start_files_open(struct call *call)
{
	if (reg_state(call)->req->mount == NULL)
		core_upload_files_open(call);
}

/*
 * The upload the path names, which must belong to repo (404
 * BLOB_UPLOAD_UNKNOWN otherwise). Uses call->txn.
 */
static int
reg_upload(struct call *call, const struct store_repo *repo,
    struct store_upload *up)
{
	int rc;

	rc = store_upload_get(call->txn, reg_state(call)->req->upload_id, up);
	if (rc == STORE_NOTFOUND || rc == STORE_TOOBIG ||
	    (rc == 0 && up->repo_id != repo->id))
		return reg_fail(call, REG_BLOB_UPLOAD_UNKNOWN,
		    "blob upload "
		    "unknown to registry");
	if (rc != 0)
		return core_fail_store(call, rc);
	return 0;
}

static int
upload_status(struct call *call)
{
	struct store_repo repo;
	struct store_upload up;

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
check_chunk(struct call *call, const struct store_upload *up)
{
	const char *cr = reg_state(call)->req->content_range;
	uint64_t start, end;

	if (cr == NULL)
		return 0;
	if (parse_range(cr, &start, &end) != 0 || start != up->received ||
	    end - start + 1 != reg_state(call)->added)
		return reg_fail(call, REG_BLOB_UPLOAD_RANGE,
		    "the chunk's "
		    "Content-Range does not match the upload or the body");
	return 0;
}

/*
 * Count what was streamed: the bytes are in the file (synced now, before
 * the record commits); the record must still stand where the stream began.
 */
static int
record_stream(struct call *call, const struct store_repo *repo,
    struct store_upload *up)
{
	struct api_reg *r = reg_state(call);
	int rc;

	if (reg_upload(call, repo, up) != 0 || check_chunk(call, up) != 0)
		return -1;
	if (core_upload_leased_by_other(call->ctx, up->id, r))
		return reg_fail(call, REG_BLOB_UPLOAD_RANGE,
		    "another "
		    "chunk of this upload is still being received");
	if (!r->is_streaming || r->added == 0)
		return 0;
	rc = store_upload_writer_close(r->writer, true);
	r->writer = NULL;
	/* Counted in this batch: later calls in it may go on. */
	reg_unlease(r);
	if (rc != 0)
		return core_fail_store(call, rc);
	if (up->received != r->up.received)
		return reg_fail(call, REG_BLOB_UPLOAD_RANGE,
		    "the upload "
		    "moved on while this chunk was sent");
	core_upload_count_part(call, up, r->added,
	    r->has_hash ? &r->hash : NULL);
	if ((rc = store_upload_update(call->txn, up)) != 0)
		return core_fail_store(call, rc);
	return 0;
}

static int
upload_patch(struct call *call)
{
	struct store_repo repo;
	struct store_upload up;

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
check_digest(struct call *call, const struct store_upload *up, char *digest)
{
	const char *want = reg_state(call)->req->digest;

	if (want == NULL || !manifest_digest_is_valid(want))
		return reg_fail(call, REG_DIGEST_INVALID,
		    "a valid digest "
		    "parameter is required");
	/* The pool hashed exactly these bytes before the run. */
	if (!core_finish_digest(call, up, digest) &&
	    core_upload_digest(call, up, str_has_prefix(want, "sha512:"),
	        digest) != 0)
		return -1;
	if (strcmp(want, digest) != 0)
		return reg_fail(call, REG_DIGEST_INVALID,
		    "provided digest "
		    "did not match uploaded content");
	if (up->min_part != 0 && up->min_part < PART_MIN)
		return reg_fail(call, REG_BLOB_UPLOAD_INVALID,
		    "All layer "
		    "parts except the last part should be at least 5MB");
	return 0;
}

static int
upload_finish(struct call *call)
{
	struct store_repo repo;
	struct store_upload up;
	struct store_layer layer;
	char digest[CORE_DIGEST_SIZE];
	int rc;

	if (reg_repo(call, &repo) != 0 ||
	    record_stream(call, &repo, &up) != 0 ||
	    check_size(call, up.id, up.received, 0) != 0 ||
	    check_digest(call, &up, digest) != 0)
		return -1;
	memset(&layer, 0, sizeof layer);
	layer.repo_id = repo.id;
	str_copy(layer.digest, sizeof layer.digest, digest);
	layer.size = up.received;
	layer.created_at_ms = call->now_ms;
	rc = core_finish_place(call, &up, digest);
	if (rc == 0 &&
	    (rc = store_layer_add(call->txn, &layer)) == STORE_EXISTS)
		rc = 0;
	if (rc != 0 || (rc = store_upload_delete(call->txn, up.id)) != 0)
		return core_fail_store(call, rc);
	core_upload_hash_drop(call->ctx, up.id);
	reg_header(call, "Location",
	    call_printf(call, "/v2/%s/blobs/%s", repo.name, digest));
	reg_header(call, "Docker-Content-Digest", digest);
	reg_state(call)->ans.status = 201;
	return 0;
}

static int
upload_cancel(struct call *call)
{
	struct store_repo repo;
	struct store_upload up;
	int rc;

	if (reg_repo(call, &repo) != 0 || reg_upload(call, &repo, &up) != 0)
		return -1;
	/*
	 * A chunk streaming into it or its finish's file work in the pool
	 * holds its lease: its file must not go under them. The spec has no
	 * code for it: BLOB_UPLOAD_INVALID, as for a chunk sent meanwhile
	 * [unconfirmed: ECR's answer].
	 */
	if (core_upload_leased_by_other(call->ctx, up.id, reg_state(call)))
		return reg_fail(call, REG_BLOB_UPLOAD_INVALID,
		    "the upload is still being written or finished");
	if ((rc = store_upload_delete(call->txn, up.id)) != 0)
		return core_fail_store(call, rc);
	/* The file goes after the commit, in the pool. */
	core_upload_remove_after(call, up.id);
	core_upload_hash_drop(call->ctx, up.id);
	reg_state(call)->ans.status = 204;
	return 0;
}

/*
 * Streaming a PATCH or PUT body into the upload file before the call runs:
 * the server counts pieces with api_reg_stream_add on the loop and has the
 * worker pool write them (api_reg_stream_write) and sync the file.
 */
/* "a-b" of a Content-Range; the spec's form has no "bytes " prefix. */
static int
parse_range(const char *text, uint64_t *start, uint64_t *end)
{
	char *p;

	if (str_has_prefix(text, "bytes "))
		text += 6;
	if (*text < '0' || *text > '9')
		return -1;
	*start = strtoull(text, &p, 10);
	if (*p != '-' || p[1] < '0' || p[1] > '9')
		return -1;
	*end = strtoull(p + 1, &p, 10);
	return *p == '\0' && *end >= *start ? 0 : -1;
}

/*
 * The layer size limit for a registry client: 413, since the spec has no
 * code for it, SIZE_INVALID being the nearest [unconfirmed: ECR's answer].
 */
static int
check_size(struct call *call, const char *id, uint64_t received, uint64_t more)
{
	if (core_upload_check_size(call, id, received, more) == 0)
		return 0;
	reg_state(call)->err_reg = REG_SIZE_INVALID;
	return -1;
}

/* What the headers say the body holds: the larger of the two. */
static uint64_t
declared_len(const struct api_reg_request *req, uint64_t start, uint64_t end)
{
	uint64_t len =
	    req->content_length > 0 ? (uint64_t)req->content_length : 0;

	if (req->content_range != NULL && end - start + 1 > len)
		len = end - start + 1;
	return len;
}

int
api_reg_stream_open(struct call *call)
{
	struct api_reg *r = reg_state(call);
	struct store_txn *txn;
	struct store_repo repo;
	uint64_t start = 0, end = 0;
	int rc;

	if ((rc = store_txn_begin(call->ctx->store, NULL, false, &txn)) != 0)
		return core_fail_store(call, rc);
	call->txn = txn;
	rc = reg_repo(call, &repo);
	if (rc == 0)
		rc = reg_upload(call, &repo, &r->up);
	store_txn_abort(txn);
	call->txn = NULL;
	if (rc != 0)
		return -1;
	/* A chunk must start where the upload stands: 416 otherwise. */
	if (r->req->content_range != NULL &&
	    (parse_range(r->req->content_range, &start, &end) != 0 ||
	        start != r->up.received))
		return reg_fail(call, REG_BLOB_UPLOAD_RANGE,
		    "chunk does "
		    "not start at byte %llu",
		    (unsigned long long)r->up.received);
	/* Refused from the headers, before a byte is written. */
	if (check_size(call, r->up.id, r->up.received,
	        declared_len(r->req, start, end)) != 0)
		return -1;
	if (!core_upload_lease(call->ctx, r->up.id, r))
		return reg_fail(call, REG_BLOB_UPLOAD_RANGE,
		    "another "
		    "chunk of this upload is still being received");
	r->leased = call->ctx;
	r->has_hash = core_upload_hash_get(call->ctx, &r->up, &r->hash);
	if ((rc = store_upload_writer_open(call->ctx->store, r->up.id,
	         r->up.received, &r->writer)) != 0)
		return core_fail_store(call, rc);
	r->is_streaming = true;
	return 0;
}

int
api_reg_stream_add(struct call *call, size_t len)
{
	struct api_reg *r = reg_state(call);

	if (check_size(call, r->up.id, r->up.received + r->added, len) != 0)
		return -1;
	r->added += len;
	return 0;
}

int
api_reg_stream_write(struct call *call, const void *data, size_t len)
{
	struct api_reg *r = reg_state(call);
	int rc;

	if ((rc = store_upload_writer_add(r->writer, data, len)) != 0)
		return rc;
	if (r->has_hash)
		sha256_update(&r->hash, data, len);
	return 0;
}

int
api_reg_stream_sync(struct call *call)
{
	struct api_reg *r = reg_state(call);
	int rc;

	rc = store_upload_writer_close(r->writer, true);
	r->writer = NULL;
	return rc;
}

int
api_reg_stream_fail(struct call *call, int rc)
{
	return core_fail_store(call, rc);
}

/* The upload's record as it stands, or false (the run says why). */
static bool
finish_upload_get(struct call *call, struct store_upload *up)
{
	struct store_txn *txn;
	int rc;

	if (store_txn_begin(call->ctx->store, NULL, false, &txn) != 0)
		return false;
	rc = store_upload_get(txn, reg_state(call)->req->upload_id, up);
	store_txn_abort(txn);
	return rc == STORE_OK;
}

/*
 * A blob upload's finish (PUT ?digest=), on the loop once any body has
 * streamed: its hash, sync and link run in the worker pool before the
 * group commit (core_finish_open, issue 12), holding the upload (its
 * lease, so that no stream changes the file). Without it, or if the
 * upload moved on, the run does it all itself.
 */
static void
finish_open(struct call *call)
{
	struct api_reg *r = reg_state(call);
	const char *want = r->req->digest;
	struct store_upload up;
	uint64_t len;

	if (want == NULL || !manifest_digest_is_valid(want))
		return;
	if (r->is_streaming) {
		/* The stream holds the upload; its hash covers its bytes. */
		if (r->writer != NULL || r->leased == NULL)
			return;
		len = r->up.received + r->added;
	} else {
		if (!finish_upload_get(call, &up) ||
		    !core_upload_lease(call->ctx, up.id, r))
			return;
		r->up = up;
		r->leased = call->ctx;
		r->has_hash = core_upload_hash_get(call->ctx, &up, &r->hash);
		len = up.received;
	}
	(void)core_finish_open(call, r->up.id, len, want,
	    r->has_hash ? &r->hash : NULL, NULL);
}
