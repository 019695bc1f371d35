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

#include "common/xalloc.h"
#include "store/store.h"

struct core_reap {
	struct store *store;
	struct core_slice slice;
	size_t n_records;
	int rc;
};

/*
 * One slice in a write txn of its own. A full disk must not stop the
 * deletes that make room: a commit it refuses is tried once more with the
 * store's reserve freed (issue 11), as the GC does.
 */
int
core_reap_slice(struct store *store, struct core_slice *sl, size_t *n_records,
    bool *is_done)
{
	struct store_txn *txn;
	size_t n = 0;
	int i, rc = 0;

	for (i = 0; i < 2; i++) {
		if ((rc = store_txn_begin(store, NULL, true, &txn)) != 0)
			return rc;
		rc = store_repo_reap(txn, core_slice_begin(sl), &n, is_done);
		if (rc != 0) {
			store_txn_abort(txn);
			core_slice_end(sl);
			return rc;
		}
		rc = store_txn_commit(txn);
		core_slice_end(sl);
		if (rc != STORE_NOSPACE || i == 1)
			break;
		/* Already gone (STORE_NOTFOUND) is as good. */
		(void)store_reserve_release(store);
	}
	if (rc == 0)
		*n_records += n;
	return rc;
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

bool
core_reap_step(struct core_reap *r)
{
	bool is_done = false;

	if ((r->rc = core_reap_slice(r->store, &r->slice, &r->n_records,
	         &is_done)) != 0)
		return false;
	return !is_done;
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
	struct core_reap *r;
	int rc;

	r = core_reap_new(ctx);
	while (core_reap_step(r))
		;
	rc = core_reap_result(r, n_records);
	core_reap_free(r);
	return rc;
}
