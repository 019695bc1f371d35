/*
 * Garbage collection of blobs no layer uses and of abandoned uploads:
 * records go in short write txns, files after each commit, so no txn is
 * open during file I/O (STYLE.md 7.3) and a live upload (younger than the
 * grace) is never touched.
 */
#include "api/api_int.h"

#include <string.h>

#include "common/log.h"
#include "store/store.h"

#define GC_BATCH	1000	/* records per write txn */

/* One GC txn: its records into list. 0 or a STORE_* code. */
static int
gc_collect(struct api_ctx *ctx, int64_t before, struct store_gc_list *list)
{
	struct store_txn	*txn;
	int			 rc;

	memset(list, 0, sizeof *list);
	if ((rc = store_txn_begin(ctx->store, NULL, true, &txn)) != 0)
		return rc;
	if ((rc = store_gc_collect(txn, before, before, GC_BATCH,
	    list)) != 0) {
		store_txn_abort(txn);
		return rc;
	}
	/* On failure the caller still has the list (store_gc_files_unused). */
	return store_txn_commit(txn);
}

/*
 * A full disk must not stop the GC, which is what makes room: a commit it
 * refuses is tried again with the store's reserve freed and the files of
 * the blobs no layer used already removed (issue 11); the reserve is made
 * again afterwards if the GC left room to spare.
 */
int
api_gc_run(struct api_ctx *ctx, int64_t now_ms, int64_t grace_ms,
    size_t *n_blobs, size_t *n_uploads)
{
	struct store_gc_list	 list;
	int64_t			 before = now_ms - grace_ms;
	int			 rc;
	bool			 more = true, is_released = false;

	*n_blobs = *n_uploads = 0;
	while (more) {
		rc = gc_collect(ctx, before, &list);
		if (rc == STORE_NOSPACE) {
			log_warn("garbage collection: %s; freeing the reserve "
			    "and unused blobs first", store_io_cause(ctx->store));
			if (!is_released)
				is_released = store_reserve_release(ctx->store)
				    == 0;
			(void)store_gc_files_unused(ctx->store, &list);
			store_gc_list_release(&list);
			rc = gc_collect(ctx, before, &list);
		}
		if (rc != 0) {
			store_gc_list_release(&list);
			return rc;
		}
		/* File times are real ones, whatever the emulator's clock. */
		rc = store_gc_files(ctx->store, &list,
		    api_real_ms() - grace_ms);
		*n_blobs += list.n_blobs;
		*n_uploads += list.n_uploads;
		more = list.n_blobs == GC_BATCH || list.n_uploads == GC_BATCH ||
		    list.n_layers == GC_BATCH;
		store_gc_list_release(&list);
		if (rc != 0)
			return rc;
	}
	(void)store_reserve_restore(ctx->store);
	return 0;
}
