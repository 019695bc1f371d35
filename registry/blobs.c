/*
 * Blobs: GET/HEAD and DELETE /v2/<name>/blobs/<digest>, the same layer
 * records and files as the layer API's; the server streams the bytes
 * (docs/registry-behaviour.md 2-4).
 */
#include "registry/registry_int.h"

#include "common/xalloc.h"
#include "core/image.h"
#include "core/manifest.h"

static int blob_get(struct call *);
static int blob_delete(struct call *);

const struct op reg_op_blob_get = {
    .name = "blob-get",
    .flags = OP_TXN_READ,
    .exec = blob_get,
};

const struct op reg_op_blob_delete = {
    .name = "blob-delete",
    .flags = OP_TXN_READ,
    .exec = blob_delete,
};

static int
blob_get(struct call *call)
{
	const char *digest = reg_state(call)->req->reference;
	struct store_repo repo;
	struct store_layer layer;
	int rc, pending;

	if (reg_repo(call, &repo) != 0)
		return -1;
	if (!manifest_digest_is_valid(digest))
		return reg_fail(call, REG_DIGEST_INVALID,
		    "invalid digest "
		    "'%s'",
		    digest);
	rc = store_layer_get(call->txn, repo.id, digest, &layer);
	/* A repository that pulls through the cache fetches it (3.9). */
	if (rc == STORE_NOTFOUND &&
	    (pending = core_ptc_pull_blob(call, &repo, digest,
	         reg_state(call)->req->is_head)) != 0)
		return pending;
	/* A HEAD the upstream answered: its length, nothing stored. */
	if (rc == STORE_NOTFOUND && call->ptc_state == CORE_PTC_HEADED) {
		reg_header(call, "Docker-Content-Digest",
		    call_take(call, xstrdup(digest)));
		reg_state(call)->ans.status = 200;
		reg_state(call)->ans.content_type = "application/octet-stream";
		reg_state(call)->ans.content_length = call->ptc_head_len;
		return 0;
	}
	if (rc == STORE_NOTFOUND)
		return reg_fail(call, REG_BLOB_UNKNOWN,
		    "blob unknown to "
		    "registry");
	if (rc != 0)
		return core_fail_store(call, rc);
	reg_state(call)->ans.status = 200;
	reg_state(call)->ans.blob_digest = call_take(call, xstrdup(digest));
	reg_state(call)->ans.content_length = (int64_t)layer.size;
	return 0;
}

/* ECR has no per-repository blob delete [unconfirmed]; the spec: 405. */
static int
blob_delete(struct call *call)
{
	struct store_repo repo;

	if (reg_repo(call, &repo) != 0)
		return -1;
	return reg_fail(call, REG_METHOD_UNSUPPORTED,
	    "blob delete is not "
	    "supported; delete the images that use the blob");
}
