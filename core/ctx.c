/*
 * The context and the call: made, run (a read alone; writes as children of
 * one group-committed write txn) and freed, for either protocol, which
 * prepares a call before and renders it after.
 */
#include "core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "auth/regtoken.h"
#include "auth/sigv4.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "core/image.h"
#include "store/store.h"

int
core_ctx_new(struct store *store, const struct core_config *cfg,
    struct core_ctx **out, char **cause)
{
	struct core_ctx *ctx;
	struct store_txn *txn = NULL;
	unsigned char candidate[sizeof ctx->key];
	int rc;

	ctx = xcalloc(1, sizeof *ctx);
	ctx->store = store;
	ctx->cfg = *cfg;
	pthread_mutex_init(&ctx->signers_mtx, NULL);
	ctx->clock_offset_sec =
	    cfg->clock_offset_sec > (uint64_t)CORE_CLOCK_OFFSET_MAX_SEC
	        ? CORE_CLOCK_OFFSET_MAX_SEC
	        : (int64_t)cfg->clock_offset_sec;
	ctx->sigv4_keys = sigv4_cache_new();
	/* Jobs a previous server left wait for the first batch or run. */
	ctx->is_repl_pending = true;
	core_slice_init(&ctx->repl_slice, CORE_REPL_SLICE);
	if (authz_ids_new(cfg->creds, &ctx->ids, cause) != 0) {
		core_ctx_free(ctx);
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
		core_ctx_free(ctx);
		return -1;
	}
	ctx->signer = regtoken_signer_new(ctx->key);
	*out = ctx;
	return 0;
}

void
core_ctx_set_endpoint(struct core_ctx *ctx, const char *host_port)
{
	str_copy(ctx->self_endpoint, sizeof ctx->self_endpoint, host_port);
}

struct store *
core_ctx_store(const struct core_ctx *ctx)
{
	return ctx->store;
}

void
core_ctx_free(struct core_ctx *ctx)
{
	if (ctx == NULL)
		return;
	core_pulls_release(ctx);
	core_events_clear(&ctx->batch_events);
	core_events_clear(&ctx->deferred_events);
	core_policy_cache_free(ctx->pcache);
	authz_ids_free(ctx->ids);
	sigv4_cache_free(ctx->sigv4_keys);
	regtoken_signer_free(ctx->signer);
	core_upload_tables_free(ctx);
	core_ptc_seen_free(ctx);
	up_ecr_forget(ctx);
	core_feed_free(ctx->feed);
	core_signers_free(ctx);
	pthread_mutex_destroy(&ctx->signers_mtx);
	sodium_memzero(ctx->key, sizeof ctx->key);
	free(ctx);
}

const unsigned char *
core_ctx_key(const struct core_ctx *ctx)
{
	return ctx->key;
}

int
core_reset(struct core_ctx *ctx, char **cause)
{
	struct store_txn *txn = NULL;
	int rc;

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

struct call *
call_new(struct core_ctx *ctx, const char *request_id, int64_t now_ms)
{
	struct call *call;

	call = xcalloc(1, sizeof *call);
	call->ctx = ctx;
	call->now_ms = now_ms;
	str_copy(call->request_id, sizeof call->request_id, request_id);
	return call;
}

void
call_free(struct call *call)
{
	size_t i;

	if (call == NULL)
		return;
	store_txn_abort(call->txn);
	if (call->in != NULL)
		json_object_put(call->in);
	if (call->out != NULL)
		json_object_put(call->out);
	ecr_error_clear(&call->err);
	if (call->proto_free != NULL)
		call->proto_free(call->proto);
	core_finish_free(call->finish);
	core_upload_new_free(call);
	core_after_free(call->after);
	core_events_clear(&call->events);
	core_repo_prefix_free(call->repo_prefix);
	for (i = 0; i < call->n_arena; i++)
		free(call->arena[i]);
	free(call->arena);
	free(call);
}

void
call_set_proto(struct call *call, void *owned, void (*proto_free)(void *))
{
	if (call->proto_free != NULL)
		call->proto_free(call->proto);
	call->proto = owned;
	call->proto_free = proto_free;
}

const char *
call_op_name(const struct call *call)
{
	return call->op != NULL ? call->op->name : "-";
}

void
call_run(struct call *call)
{
	int rc;

	if (call->op->flags & OP_TXN_READ) {
		rc = store_txn_begin(call->ctx->store, NULL, false, &call->txn);
		if (rc != 0) {
			core_fail_store(call, rc);
			return;
		}
	}
	if (call->op->exec(call) == CALL_PENDING)
		call->is_pending = true;
	/* Never held across a wait on an upstream. */
	store_txn_abort(call->txn);
	call->txn = NULL;
}

bool
call_is_pending(const struct call *call)
{
	return call->is_pending;
}

void
call_on_finish(struct call *call, void (*fn)(struct call *, void *), void *arg)
{
	call->on_finish = fn;
	call->finish_arg = arg;
	if (call->is_finished)
		fn(call, arg);
}

void
call_set_tee(struct call *call, const struct core_tee *tee)
{
	call->tee = *tee;
}

bool
call_teed(const struct call *call)
{
	return call->is_teed;
}

void
call_finish(struct call *call)
{
	call->is_finished = true;
	if (call->on_finish != NULL)
		call->on_finish(call, call->finish_arg);
}

/* Run one call inside a child of parent; its writes vanish if it fails. */
static void
batch_run_one(struct store_txn *parent, struct call *call)
{
	int rc;

	/* A run again (the deletes' retry) makes its events again. */
	core_events_clear(&call->events);
	if ((rc = store_txn_begin(call->ctx->store, parent, true,
	         &call->txn)) != 0) {
		core_fail_store(call, rc);
		return;
	}
	if (call->op->exec(call) != 0) {
		store_txn_abort(call->txn);
		call->txn = NULL;
		core_events_clear(&call->events);
		return;
	}
	rc = store_txn_commit(call->txn);
	call->txn = NULL;
	if (rc != 0) {
		core_fail_store(call, rc);
		core_events_clear(&call->events);
	}
}

/*
 * A group commit under way: its calls (the caller's array, copied, since a
 * full disk reorders it) and which attempt is committing.
 */
struct batch {
	struct core_ctx *ctx;
	struct call **calls;
	struct call **order; /* calls as given: the events' order */
	size_t n;
	size_t n_deletes; /* the retry: calls[0..n_deletes) alone */
	int rc;           /* the batch's own failure, on the retry */
	void (*done)(void *);
	void *arg;
};

static void batch_committed(void *, int);

/*
 * Run n calls as children of one write txn and commit it, off this thread
 * when the store has a writer (store_txn_commit_async): durable before any
 * answer leaves. batch_committed runs with the commit's result.
 */
static void
batch_start(struct batch *b, size_t n)
{
	struct store_txn *parent = NULL;
	size_t i;
	int rc;

	core_events_clear(&b->ctx->batch_events);
	if ((rc = store_txn_begin(b->ctx->store, NULL, true, &parent)) != 0) {
		batch_committed(b, rc);
		return;
	}
	for (i = 0; i < n; i++)
		batch_run_one(parent, b->calls[i]);
	/* Pull times ride along; they never fail the batch. */
	(void)core_pulls_apply(b->ctx, parent);
	/* So do finished signings (one that fails is tried again later). */
	(void)core_signs_apply(b->ctx, parent, &b->ctx->batch_events);
	/* So do replication copies, the batch's own pushes' first. */
	core_repl_apply(b->ctx, parent);
	b->ctx->is_batch_out = true;
	store_txn_commit_async(parent, batch_committed, b);
}

/*
 * A batch the full disk refused: its deletes, which undid nothing, are
 * run again by themselves with the store's reserve freed, so that space
 * can always be reclaimed (issue 11). Moves them to the front of calls;
 * returns how many.
 */
static size_t
batch_take_deletes(struct core_ctx *ctx, struct call **calls, size_t n)
{
	struct call *c;
	size_t i, n_deletes = 0;
	int rc;

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

/* The calls from first on that failed with the batch get its error. */
static void
batch_fail(struct batch *b, size_t first, int rc)
{
	size_t i;

	for (i = first; i < b->n; i++) {
		/* Calls that failed on their own wrote nothing: keep theirs. */
		if (b->calls[i]->err.code == ERR_NONE)
			core_fail_store(b->calls[i], rc);
	}
}

/*
 * The events the commit made true: each call's that it committed, in the
 * order the calls came (a group commit answers in that order too), then
 * the batch's own (replication copies of those pushes, after them).
 */
static void
batch_events(struct batch *b, int rc)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		core_call_events_done(b->order[i]);
	if (rc == 0)
		core_events_emit(b->ctx, &b->ctx->batch_events);
	else
		core_events_clear(&b->ctx->batch_events);
	/* Then those of commits that waited for this one (event.c). */
	core_events_emit(b->ctx, &b->ctx->deferred_events);
}

static void
batch_committed(void *arg, int rc)
{
	struct batch *b = arg;
	struct core_ctx *ctx = b->ctx;

	ctx->is_batch_out = false;
	if (b->n_deletes == 0 && rc == STORE_NOSPACE &&
	    (b->n_deletes = batch_take_deletes(ctx, b->calls, b->n)) != 0) {
		log_warn("store: no space left on device; the reserve is "
		         "freed for %zu delete(s): %s",
		    b->n_deletes, store_io_cause(ctx->store));
		b->rc = rc;
		batch_start(b, b->n_deletes);
		return;
	}
	if (b->n_deletes == 0) {
		if (rc != 0)
			batch_fail(b, 0, rc);
	} else if (rc == 0) {
		/* Again if the deletes left room to spare. */
		(void)store_reserve_restore(ctx->store);
		batch_fail(b, b->n_deletes, b->rc);
	} else
		batch_fail(b, 0, b->rc);
	store_files_unlock(ctx->store);
	batch_events(b, rc);
	b->done(b->arg);
	free(b->calls);
	free(b->order);
	free(b);
}

/*
 * The GC removes blob files from a worker thread, each only if no record
 * names it; a blob upload finished in this batch has its file in place but
 * no record until the batch commits, so the store's files lock is held
 * from before the first op until after the last commit.
 */
void
call_batch_run(struct core_ctx *ctx, struct call **calls, size_t n,
    void (*done)(void *), void *arg)
{
	struct batch *b;

	b = xcalloc(1, sizeof *b);
	b->ctx = ctx;
	b->calls = xreallocarray(NULL, n, sizeof *calls);
	memcpy(b->calls, calls, n * sizeof *calls);
	b->order = xreallocarray(NULL, n, sizeof *calls);
	memcpy(b->order, calls, n * sizeof *calls);
	b->n = n;
	b->done = done;
	b->arg = arg;
	store_files_lock(ctx->store);
	batch_start(b, n);
}
