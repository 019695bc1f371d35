/*
 * The dispatcher: the shared work every operation needs, done once and in
 * one order (STYLE.md 3): identify, look up, parse, validate, then run the
 * handler inside the transaction its flags ask for and render the result.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "api/image.h"
#include "api/validate.h"
#include "auth/sigv4.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "store/store.h"


int
api_ctx_new(struct store *store, const struct api_config *cfg,
    struct api_ctx **out, char **cause)
{
	struct api_ctx		*ctx;
	struct store_txn	*txn = NULL;
	unsigned char		 candidate[sizeof ctx->key];
	int			 rc;

	if (api_ops_check(cause) != 0)
		return -1;
	ctx = xcalloc(1, sizeof *ctx);
	ctx->store = store;
	ctx->cfg = *cfg;
	ctx->clock_offset_sec = cfg->clock_offset_sec >
	    (uint64_t)API_CLOCK_OFFSET_MAX_SEC ? API_CLOCK_OFFSET_MAX_SEC :
	    (int64_t)cfg->clock_offset_sec;
	if (validator_new(&ctx->validator, cause) != 0) {
		free(ctx);
		return -1;
	}
	if (authz_ids_new(cfg->creds, &ctx->ids, cause) != 0) {
		api_ctx_free(ctx);
		return -1;
	}
	/* The key is made once and kept in the store (issue #2). */
	randombytes_buf(candidate, sizeof candidate);
	if ((rc = store_txn_begin(store, NULL, true, &txn)) == 0 &&
	    (rc = store_key_get_or_create(txn, candidate, sizeof candidate,
	    ctx->key)) == 0)
		rc = store_txn_commit(txn);
	else
		store_txn_abort(txn);
	sodium_memzero(candidate, sizeof candidate);
	if (rc != 0) {
		*cause = xasprintf("cannot read the server key: %s",
		    store_strerror(rc));
		api_ctx_free(ctx);
		return -1;
	}
	*out = ctx;
	return 0;
}

void
api_ctx_set_endpoint(struct api_ctx *ctx, const char *host_port)
{
	str_copy(ctx->self_endpoint, sizeof ctx->self_endpoint, host_port);
}

struct store *
api_ctx_store(const struct api_ctx *ctx)
{
	return ctx->store;
}

void
api_ctx_free(struct api_ctx *ctx)
{
	if (ctx == NULL)
		return;
	validator_free(ctx->validator);
	api_pulls_release(ctx);
	api_policy_cache_free(ctx->pcache);
	authz_ids_free(ctx->ids);
	api_upload_tables_free(ctx);
	sodium_memzero(ctx->key, sizeof ctx->key);
	free(ctx);
}

const unsigned char *
api_ctx_key(const struct api_ctx *ctx)
{
	return ctx->key;
}

int
api_reset(struct api_ctx *ctx, char **cause)
{
	struct store_txn	*txn = NULL;
	int			 rc;

	if ((rc = store_txn_begin(ctx->store, NULL, true, &txn)) == 0 &&
	    (rc = store_reset(txn)) == 0)
		rc = store_txn_commit(txn);
	else
		store_txn_abort(txn);
	if (rc != 0) {
		*cause = xasprintf("%s", store_strerror(rc));
		return -1;
	}
	return 0;
}

struct api_call *
api_call_new(struct api_ctx *ctx, const char *request_id, int64_t now_ms)
{
	struct api_call	*call;

	call = xcalloc(1, sizeof *call);
	call->ctx = ctx;
	call->now_ms = now_ms;
	str_copy(call->request_id, sizeof call->request_id, request_id);
	return call;
}

void
api_call_free(struct api_call *call)
{
	size_t	i;

	if (call == NULL)
		return;
	store_txn_abort(call->txn);
	if (call->in != NULL)
		json_object_put(call->in);
	if (call->out != NULL)
		json_object_put(call->out);
	ecr_error_clear(&call->err);
	api_reg_free(call->reg);
	api_part_free(call->part);
	for (i = 0; i < call->n_arena; i++)
		free(call->arena[i]);
	free(call->arena);
	free(call);
}

const char *
api_call_op_name(const struct api_call *call)
{
	return call->op != NULL ? call->op->name : "-";
}

static int
lookup_op(struct api_call *call, const char *target)
{
	const char	*name;

	if (target == NULL || !str_has_prefix(target, API_TARGET_PREFIX) ||
	    (call->op = api_op_find(target +
	    strlen(API_TARGET_PREFIX))) == NULL) {
		/*
		 * Coral's answer, with no message (docs/ecr-behaviour.md
		 * 1.5).
		 */
		return api_fail(call, ERR_UNKNOWN_OPERATION, "%s", "");
	}
	name = call->op->name;
	if ((call->model = model_op_find(name)) == NULL)
		return api_fail(call, ERR_SERVER, "no model for %s", name);
	return 0;
}

/*
 * One tokener, strict, UTF-8 checked, default depth; the top level must be
 * an object and nothing may follow it (STYLE.md 6.4). An empty body is {}.
 */
/* Every body we cannot read as one JSON object gets Coral's one answer. */
static int
fail_serialization(struct api_call *call)
{
	return api_fail(call, ERR_SERIALIZATION, "%s",
	    "Start of structure or map found where not expected.");
}

static bool
has_nul_string(struct json_object *o)
{
	size_t	i, n;

	switch (json_object_get_type(o)) {
	case json_type_string:
		return strlen(json_object_get_string(o)) !=
		    (size_t)json_object_get_string_len(o);
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			if (has_nul_string(json_object_array_get_idx(o, i)))
				return true;
		}
		return false;
	case json_type_object:
		json_object_object_foreach(o, key, val) {
			if (strlen(key) == 0 || has_nul_string(val))
				return true;
		}
		return false;
	default:
		return false;
	}
}

/*
 * A U+0000 inside a string cannot pass through C strings: truncating it
 * could name another resource, so the member is refused.
 */
static int
refuse_nul(struct api_call *call)
{
	json_object_object_foreach(call->in, key, val) {
		if (has_nul_string(val))
			return api_fail(call, ERR_INVALID_PARAMETER, "Invalid "
			    "parameter at '%s' failed to satisfy constraint: "
			    "'Member must not contain NUL characters'", key);
	}
	return api_fail(call, ERR_INVALID_PARAMETER, "%s", "Invalid "
	    "parameter at 'request' failed to satisfy constraint: 'Member "
	    "names must not contain NUL characters'");
}

static int
parse_body(struct api_call *call, const char *body, size_t len)
{
	struct json_object	*in;
	int			 rc;

	if (len == 0) {
		call->in = jnew_obj();
		return 0;
	}
	if ((rc = jparse_strict(body, len, &in, NULL)) == JPARSE_BAD)
		return fail_serialization(call);
	if (!json_object_is_type(in, json_type_object)) {
		json_object_put(in);
		return fail_serialization(call);
	}
	call->in = in;
	if (rc == JPARSE_NUL)
		return refuse_nul(call);
	return 0;
}

/*
 * registryId, or the account a resourceArn names, selects the registry the
 * call acts on. Permissive mode has no authorization, so that is all it
 * does there, as in moto and LocalStack (issue 11); strict mode then
 * decides cross-account access by the policies (issue #5).
 */
static int
select_registry(struct api_call *call)
{
	const char	*rid = api_in_str(call, "registryId");
	const char	*arn = api_in_str(call, "resourceArn"), *name;

	memcpy(call->registry_id, call->id.account, sizeof call->registry_id);
	if (rid != NULL)
		str_copy(call->registry_id, sizeof call->registry_id, rid);
	else if ((call->op->flags & OP_RESOURCE_ARN) && arn != NULL)
		(void)api_arn_repo(arn, call->id.region, call->registry_id,
		    &name);
	return 0;
}

/* A streamed blob is checked by its decoded length (part_stream.c). */
static int
validate_call(struct api_call *call)
{
	struct json_object	*streamed = NULL;
	const char		*twice = api_part_duplicate(call->part);
	int64_t			 len = 0;

	/* [unconfirmed] ECR's answer; json-c alone would take the last. */
	if (twice != NULL)
		return api_fail(call, ERR_SERIALIZATION, "Duplicate member "
		    "'%s'", twice);
	if (api_part_has_blob(call->part) &&
	    json_object_object_get_ex(call->in, "layerPartBlob", &streamed))
		len = api_part_blob_len(call->part);
	/* Only its placeholder, "", stands for what streamed. */
	if (streamed != NULL &&
	    (!json_object_is_type(streamed, json_type_string) ||
	    json_object_get_string_len(streamed) != 0)) {
		api_part_free(call->part);
		call->part = NULL;
		streamed = NULL;
	}
	return validate_request_streamed(call->ctx->validator, call->model,
	    call->in, streamed, len, &call->err);
}

enum api_stage
api_call_prepare_part(struct api_call *call, const char *target,
    struct api_part *part, const struct sigv4_request *sr)
{
	struct sigv4_request	 s = *sr;
	char			 hex[65];
	const char		*body;
	size_t			 len;

	call->part = part;
	api_part_payload_hash(part, hex);
	s.payload_hash = hex;
	body = api_part_json(part, &len);
	return api_call_prepare(call, target, body, len, &s);
}

enum api_stage
api_call_prepare(struct api_call *call, const char *target, const char *body,
    size_t len, const struct sigv4_request *sr)
{
	if (api_identify(call, sr) != 0 ||
	    lookup_op(call, target) != 0 ||
	    parse_body(call, body, len) != 0 ||
	    validate_call(call) != 0 ||
	    select_registry(call) != 0 ||
	    api_authz_call(call) != 0)
		return API_STAGE_DONE;
	if (call->op->exec == NULL) {
		api_fail(call, ERR_NOT_IMPLEMENTED, "Operation '%s' is not "
		    "implemented by ecrd yet", call->op->name);
		return API_STAGE_DONE;
	}
	call->out = jnew_obj();
	if (call->op->flags & OP_TXN_WRITE)
		return API_STAGE_WRITE;
	return API_STAGE_READ;
}

void
api_call_run(struct api_call *call)
{
	int	rc;

	if (call->op->flags & OP_TXN_READ) {
		rc = store_txn_begin(call->ctx->store, NULL, false, &call->txn);
		if (rc != 0) {
			api_fail_store(call, rc);
			return;
		}
	}
	call->op->exec(call);
	store_txn_abort(call->txn);
	call->txn = NULL;
}

/* Run one call inside a child of parent; its writes vanish if it fails. */
static void
batch_run_one(struct store_txn *parent, struct api_call *call)
{
	int	rc;

	if ((rc = store_txn_begin(call->ctx->store, parent, true,
	    &call->txn)) != 0) {
		api_fail_store(call, rc);
		return;
	}
	if (call->op->exec(call) != 0) {
		store_txn_abort(call->txn);
		call->txn = NULL;
		return;
	}
	rc = store_txn_commit(call->txn);
	call->txn = NULL;
	if (rc != 0)
		api_fail_store(call, rc);
}

/*
 * Run the calls as children of one write txn (group commit). 0, or the
 * code of a begin or commit that failed, which undoes every call; the
 * calls that failed on their own keep their error, the others have none.
 */
static int
batch_commit(struct api_ctx *ctx, struct api_call **calls, size_t n)
{
	struct store_txn	*parent = NULL;
	size_t			 i;
	int			 rc;

	if ((rc = store_txn_begin(ctx->store, NULL, true, &parent)) != 0)
		return rc;
	for (i = 0; i < n; i++)
		batch_run_one(parent, calls[i]);
	/* Pull times ride along; they never fail the batch. */
	(void)api_pulls_apply(ctx, parent);
	/* Durable before any answer leaves (LMDB syncs on commit). */
	return store_txn_commit(parent);
}

/*
 * A batch the full disk refused: its deletes, which undid nothing, are
 * run again by themselves with the store's reserve freed, so that space
 * can always be reclaimed (issue 11). Moves them to the front of calls;
 * returns how many.
 */
static size_t
batch_take_deletes(struct api_ctx *ctx, struct api_call **calls, size_t n)
{
	struct api_call	*c;
	size_t		 i, n_deletes = 0;
	int		 rc;

	for (i = 0; i < n; i++) {
		c = calls[i];
		if (!(c->op->flags & OP_FREES_SPACE) || c->err.code != ERR_NONE)
			continue;
		json_object_put(c->out);
		c->out = jnew_obj();
		calls[i] = calls[n_deletes];
		calls[n_deletes++] = c;
	}
	/*
	 * Already gone (an earlier delete or GC freed it and the disk has not
	 * had room to remake it) is no reason to give up: deletes alone need
	 * fewer pages than the batch that failed.
	 */
	if (n_deletes != 0 && (rc = store_reserve_release(ctx->store)) != 0 &&
	    rc != STORE_NOTFOUND)
		return 0;
	return n_deletes;
}

static void
batch_run_locked(struct api_ctx *ctx, struct api_call **calls, size_t n)
{
	size_t	i, n_deletes = 0;
	int	rc;

	if ((rc = batch_commit(ctx, calls, n)) == 0)
		return;
	if (rc == STORE_NOSPACE &&
	    (n_deletes = batch_take_deletes(ctx, calls, n)) != 0) {
		log_warn("store: no space left on device; the reserve is "
		    "freed for %zu delete(s): %s", n_deletes,
		    store_io_cause(ctx->store));
		if (batch_commit(ctx, calls, n_deletes) == 0) {
			/* Again if the deletes left room to spare. */
			(void)store_reserve_restore(ctx->store);
			calls += n_deletes;
			n -= n_deletes;
		}
	}
	for (i = 0; i < n; i++) {
		/* Calls that failed on their own wrote nothing: keep their error. */
		if (calls[i]->err.code == ERR_NONE)
			api_fail_store(calls[i], rc);
	}
}

/*
 * The GC removes blob files from a worker thread, each only if no record
 * names it; a blob upload finished in this batch has its file in place but
 * no record until the batch commits, so the store's files lock is held
 * from before the first op until after the last commit.
 */
void
api_batch_run(struct api_ctx *ctx, struct api_call **calls, size_t n)
{
	store_files_lock(ctx->store);
	batch_run_locked(ctx, calls, n);
	store_files_unlock(ctx->store);
}

static char *
render_error(struct api_call *call, size_t *len)
{
	return ecr_error_body(ecr_error_type(call->err.code),
	    call->err.message[0] != '\0' ? call->err.message : NULL,
	    call->err.extra, len);
}

void
api_call_render(struct api_call *call, int *status, const char **error_type,
    char **body, size_t *len)
{
	*body = NULL;
	if (call->err.code == ERR_NONE)
		*body = jrender(call->out, len);
	else
		*body = render_error(call, len);
	/* Writers fail sticky: a 500, never a truncated answer. */
	if (*body == NULL) {
		api_fail_render(call);
		*body = render_error(call, len);
	}
	if (call->err.code == ERR_NONE) {
		*status = 200;
		*error_type = NULL;
		return;
	}
	*status = ecr_error_status(call->err.code);
	*error_type = ecr_error_type(call->err.code);
}
