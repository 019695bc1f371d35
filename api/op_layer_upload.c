/*
 * InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload: a blob sent
 * in contiguous base64 parts, decoded and hashed as each body streams in
 * (part_stream.c), and moved into the content-addressed store when its
 * digest checks (docs/ecr-behaviour.md 3.3).
 * The bytes go to the upload file (fsynced) before the record that counts
 * them commits (STYLE.md 7.4).
 */
#include "api/api_int.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "common/str.h"
#include "auth/sha256.h"
#include "core/image.h"
#include "store/store.h"

#define PART_SIZE 10485760 /* advisory, as ECR (3.3) */
#define PART_MIN 5242880   /* all parts but the last */

static int initiate_layer_upload(struct call *);
static int upload_layer_part(struct call *);
static int complete_layer_upload(struct call *);
static void complete_files_open(struct call *);
static const char *wanted_digest(struct call *);

const struct op api_op_initiate_layer_upload = {
    .name = "InitiateLayerUpload",
    .input = &model_InitiateLayerUploadRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_REPO,
    .exec = initiate_layer_upload,
    .files_open = core_upload_files_open,
};

const struct op api_op_upload_layer_part = {
    .name = "UploadLayerPart",
    .input = &model_UploadLayerPartRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_REPO,
    .exec = upload_layer_part,
    .files_open = api_part_files_open,
};

const struct op api_op_complete_layer_upload = {
    .name = "CompleteLayerUpload",
    .input = &model_CompleteLayerUploadRequest,
    .flags = OP_TXN_WRITE | OP_RESOURCE_REPO,
    .exec = complete_layer_upload,
    .files_open = complete_files_open,
};

static void
out_ids(struct call *call, const struct store_repo *repo, const char *upload_id)
{
	jadd_str(call->out, "registryId", repo->registry_id);
	jadd_str(call->out, "repositoryName", repo->name);
	jadd_str(call->out, "uploadId", upload_id);
}

static int
initiate_layer_upload(struct call *call)
{
	struct store_repo repo;
	struct store_upload up;

	if (core_repo_get_or_create_on_push(call,
	        api_in_str(call, "repositoryName"), &repo) != 0 ||
	    core_upload_create(call, &repo, &up) != 0)
		return -1;
	jadd_str(call->out, "uploadId", up.id);
	jadd_i64(call->out, "partSize", PART_SIZE);
	return 0;
}

/* The upload, which must belong to the repository (3.3). */
static int
get_upload(struct call *call, const struct store_repo *repo,
    struct store_upload *up)
{
	const char *id = api_in_str(call, "uploadId");
	int rc;

	rc = store_upload_get(call->txn, id, up);
	if (rc == STORE_NOTFOUND || (rc == 0 && up->repo_id != repo->id) ||
	    rc == STORE_TOOBIG)
		/* [unconfirmed] wording. */
		return core_fail(call, ERR_UPLOAD_NOT_FOUND,
		    "The upload with "
		    "id '%s' does not exist in the repository with name '%s' "
		    "in the registry with id '%s'",
		    id, repo->name, repo->registry_id);
	if (rc != 0)
		return core_fail_store(call, rc);
	return 0;
}

static int
fail_part(struct call *call, const struct store_repo *repo,
    const struct store_upload *up, const char *why)
{
	struct json_object *extra = jnew_obj();

	jadd_str(extra, "registryId", repo->registry_id);
	jadd_str(extra, "repositoryName", repo->name);
	jadd_str(extra, "uploadId", up->id);
	jadd_i64(extra, "lastValidByteReceived", (int64_t)up->received - 1);
	core_fail(call, ERR_INVALID_LAYER_PART,
	    "The layer part for upload "
	    "'%s' is invalid: %s; the last valid byte received is %" PRId64,
	    up->id, why, (int64_t)up->received - 1);
	call->err.extra = extra;
	return -1;
}

/*
 * The part, as it streamed or else from the JSON: it must start where the
 * upload stands, be base64, and be as long as its byte range says.
 */
static int
take_part(struct call *call, const struct store_repo *repo,
    const struct store_upload *up)
{
	int64_t first = api_in_i64(call, "partFirstByte", -1);
	int64_t last = api_in_i64(call, "partLastByte", -1);
	int64_t len;

	if (first != (int64_t)up->received)
		return fail_part(call, repo, up, "parts must be contiguous");
	/* A range past the layer size limit is refused before the bytes. */
	if (last >= first && core_upload_check_size(call, up->id, up->received,
	                         (uint64_t)(last - first) + 1) != 0)
		return -1;
	if (!api_part_has_blob(api_call_part(call)))
		api_call_set_part(call, api_part_from_json(call));
	if (api_part_check(call, api_call_part(call)) != 0)
		return -1;
	len = api_part_blob_len(api_call_part(call));
	if (len <= 0 || last < first || last - first != len - 1)
		return fail_part(call, repo, up,
		    "the byte range does not "
		    "match the part's length");
	if (up->n_parts >= core_quota(call->ctx, CORE_QUOTA_LAYER_PARTS))
		return core_fail(call, ERR_LIMIT_EXCEEDED,
		    "The upload with id "
		    "'%s' has reached the limit of %" PRIu64 " layer parts",
		    up->id, core_quota(call->ctx, CORE_QUOTA_LAYER_PARTS));
	return 0;
}

static int
upload_layer_part(struct call *call)
{
	const struct sha256_state *st;
	struct store_repo repo;
	struct store_upload up;
	int rc;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) !=
	        0 ||
	    get_upload(call, &repo, &up) != 0 ||
	    take_part(call, &repo, &up) != 0)
		return -1;
	rc = api_part_write(call, api_call_part(call), &up, &st);
	if (rc == API_PART_BUSY)
		/* [unconfirmed] ECR's answer to parts sent at once. */
		return fail_part(call, &repo, &up,
		    "another part of this "
		    "upload is still being received");
	if (rc != 0)
		return -1;
	core_upload_count_part(call, &up,
	    (uint64_t)api_part_blob_len(api_call_part(call)), st);
	if ((rc = store_upload_update(call->txn, &up)) != 0)
		return core_fail_store(call, rc);
	out_ids(call, &repo, up.id);
	jadd_i64(call->out, "lastByteReceived", (int64_t)up.received - 1);
	return 0;
}

static int
check_complete(struct call *call, const struct store_repo *repo,
    const struct store_upload *up, char *digest)
{
	const char *want;

	if (up->n_parts == 0)
		return core_fail(call, ERR_EMPTY_UPLOAD,
		    "The upload with id "
		    "'%s' in the repository with name '%s' in registry with "
		    "id '%s' cannot be completed because it does not have any "
		    "parts",
		    up->id, repo->name, repo->registry_id);
	if (up->min_part != 0 && up->min_part < PART_MIN)
		return core_fail(call, ERR_LAYER_PART_TOO_SMALL,
		    "All layer "
		    "parts except the last part should be at least 5MB");
	/* Parts are checked as they come; the limit may have been lowered. */
	if (core_upload_check_size(call, up->id, up->received, 0) != 0)
		return -1;
	/* The pool hashed exactly these bytes before the run. */
	if (!core_finish_digest(call, up, digest) &&
	    core_upload_digest(call, up, false, digest) != 0)
		return -1;
	/* Only the first of layerDigests means anything (3.3). */
	want = wanted_digest(call);
	if (strcmp(want, digest) != 0)
		/* [unconfirmed] wording. */
		return core_fail(call, ERR_INVALID_LAYER,
		    "The layer digest "
		    "'%s' does not match the digest '%s' of the uploaded "
		    "layer",
		    want, digest);
	return 0;
}

static int
complete_layer_upload(struct call *call)
{
	struct store_repo repo;
	struct store_upload up;
	struct store_layer layer;
	char digest[CORE_DIGEST_SIZE];
	int rc;

	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) !=
	        0 ||
	    get_upload(call, &repo, &up) != 0)
		return -1;
	/*
	 * Its file must not move while a part is still being written; the
	 * lease this call's own file work took is no obstacle.
	 */
	if (core_upload_leased_by_other(call->ctx, up.id, call))
		return fail_part(call, &repo, &up,
		    "a part of this upload is "
		    "still being received");
	if (check_complete(call, &repo, &up, digest) != 0)
		return -1;
	rc = store_layer_get(call->txn, repo.id, digest, &layer);
	if (rc == 0)
		/* [unconfirmed] wording. */
		return core_fail(call, ERR_LAYER_ALREADY_EXISTS,
		    "The layer "
		    "with digest '%s' already exists in the repository with "
		    "name '%s' in registry with id '%s'",
		    digest, repo.name, repo.registry_id);
	if (rc != STORE_NOTFOUND)
		return core_fail_store(call, rc);
	memset(&layer, 0, sizeof layer);
	layer.repo_id = repo.id;
	str_copy(layer.digest, sizeof layer.digest, digest);
	layer.size = up.received;
	layer.created_at_ms = call->now_ms;
	if ((rc = core_finish_place(call, &up, digest)) != 0 ||
	    (rc = store_layer_add(call->txn, &layer)) != 0 ||
	    (rc = store_upload_delete(call->txn, up.id)) != 0)
		return core_fail_store(call, rc);
	core_upload_hash_drop(call->ctx, up.id);
	out_ids(call, &repo, up.id);
	jadd_str(call->out, "layerDigest", digest);
	return 0;
}

/* The first of layerDigests, or "" (3.3). */
static const char *
wanted_digest(struct call *call)
{
	struct json_object *given;

	given =
	    json_object_array_get_idx(api_in_array(call, "layerDigests"), 0);
	return given != NULL ? json_object_get_string(given) : "";
}

/*
 * Before the group commit, in the worker pool (issue 12): hash the upload
 * where no running hash covers it, sync it and link it as the blob, all
 * under the upload's lease, so that the run only checks and records. An
 * upload that cannot complete is left to the run, which says why; only
 * sha256 is ECR's (3.3).
 */
static void
complete_files_open(struct call *call)
{
	struct sha256_state st;
	struct store_repo repo;
	struct store_upload up;
	const char *want = wanted_digest(call);
	bool has_hash;

	if (!str_has_prefix(want, "sha256:") ||
	    store_txn_begin(call->ctx->store, NULL, false, &call->txn) != 0)
		return;
	if (core_repo_get(call, api_in_str(call, "repositoryName"), &repo) !=
	        0 ||
	    get_upload(call, &repo, &up) != 0 || up.n_parts == 0) {
		/* The run finds the same and says so. */
		ecr_error_clear(&call->err);
		goto out;
	}
	has_hash = core_upload_hash_get(call->ctx, &up, &st);
	(void)core_finish_open(call, up.id, up.received, want,
	    has_hash ? &st : NULL, call);
	sodium_memzero(&st, sizeof st);
out:
	store_txn_abort(call->txn);
	call->txn = NULL;
}
