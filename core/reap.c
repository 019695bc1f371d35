/*
 * The rest of deleted repositories (issue 12). DeleteRepository only buries
 * a repository (store_repo_bury: gone and its name free at once, in the
 * request's txn); its images, tags, layers and the rest go here, in
 * bounded slices (STYLE.md 7.7), each one short write txn of its own, so
 * that a force-delete of a huge repository never holds the loop. A store
 * closed midway keeps its tombstones: the server starts a run at start.
 */
#include "core/core_int.h"

#include <stdlib.h>
#include <time.h>

#include "common/xalloc.h"
#include "store/store.h"

struct core_reap {
	struct store *store;
	struct core_slice slice;
	size_t n_records;
	int rc;
	bool is_retry;      /* the last commit found the disk full */
	size_t n;           /* the slice under way: records removed */
	bool is_done;       /* ... and none is left after them */
	bool is_committing; /* its commit under way on the writer thread */
	bool is_waiting;    /* ... and the step said CORE_REAP_WAIT */
	bool has_commit;    /* it has ended: commit_rc */
	int commit_rc;
	void (*wake)(void *);
	void *wake_arg;
};

static void
reap_committed(void *arg, int rc)
{
	struct core_reap *r = arg;

	r->is_committing = false;
	r->has_commit = true;
	r->commit_rc = rc;
	if (r->is_waiting) {
		r->is_waiting = false;
		r->wake(r->wake_arg);
	}
}

/*
 * A slice's commit has ended. A full disk must not stop the deletes that
 * make room: a commit it refuses is tried once more with the store's
 * reserve freed (issue 11), as the GC does.
 */
static enum core_reap_next
reap_after(struct core_reap *r, int rc)
{
	r->has_commit = false;
	if (rc == STORE_NOSPACE && !r->is_retry) {
		r->is_retry = true;
		/* Already gone (STORE_NOTFOUND) is as good. */
		(void)store_reserve_release(r->store);
		return CORE_REAP_AGAIN;
	}
	r->is_retry = false;
	if ((r->rc = rc) != 0)
		return CORE_REAP_DONE;
	r->n_records += r->n;
	return r->is_done ? CORE_REAP_DONE : CORE_REAP_AGAIN;
}

struct core_reap *
core_reap_new(struct core_ctx *ctx)
{
	struct core_reap *r;

	r = xcalloc(1, sizeof *r);
	r->store = ctx->store;
	core_slice_init(&r->slice, CORE_REAP_SLICE);
	return r;
}

void
core_reap_set_wake(struct core_reap *r, void (*wake)(void *), void *arg)
{
	r->wake = wake;
	r->wake_arg = arg;
}

/*
 * One slice in a write txn of its own, on the loop; its commit on the
 * store's writer thread (CORE_REAP_WAIT until it has ended).
 */
enum core_reap_next
core_reap_step(struct core_reap *r)
{
	struct store_txn *txn;
	int rc;

	if (r->has_commit)
		return reap_after(r, r->commit_rc);
	if (r->is_committing)
		return CORE_REAP_WAIT;
	if ((rc = store_txn_begin(r->store, NULL, true, &txn)) != 0) {
		r->rc = rc;
		return CORE_REAP_DONE;
	}
	r->n = 0;
	rc = store_repo_reap(txn, core_slice_begin(&r->slice), &r->n,
	    &r->is_done);
	/* The slice's time on the loop: the commit is the writer's. */
	core_slice_end(&r->slice);
	if (rc != 0) {
		store_txn_abort(txn);
		r->rc = rc;
		return CORE_REAP_DONE;
	}
	r->is_committing = true;
	store_txn_commit_async(txn, reap_committed, r);
	/* Without a writer thread it has ended already. */
	if (r->has_commit)
		return reap_after(r, r->commit_rc);
	r->is_waiting = r->wake != NULL;
	return CORE_REAP_WAIT;
}

bool
core_reap_is_committing(const struct core_reap *r)
{
	return r->is_committing;
}

int
core_reap_result(const struct core_reap *r, size_t *n_records)
{
	*n_records = r->n_records;
	return r->rc;
}

void
core_reap_free(struct core_reap *r)
{
	free(r);
}

bool
core_reap_take_due(struct core_ctx *ctx)
{
	bool is_due = ctx->is_reap_due;

	ctx->is_reap_due = false;
	return is_due;
}

int
core_reap_run(struct core_ctx *ctx, size_t *n_records)
{
	struct timespec ms = {0, 1000 * 1000};
	struct core_reap *r;
	enum core_reap_next next;
	int i, rc;

	r = core_reap_new(ctx);
	while ((next = core_reap_step(r)) != CORE_REAP_DONE) {
		/* No loop to wake: wait here, a minute at most. */
		for (i = 0; r->is_committing && i < 60000; i++) {
			store_writer_run_done(r->store);
			if (r->is_committing)
				nanosleep(&ms, NULL);
		}
	}
	rc = core_reap_result(r, n_records);
	core_reap_free(r);
	return rc;
}
