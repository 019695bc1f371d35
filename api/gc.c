/*
 * Garbage collection of blobs no layer uses and of abandoned uploads:
 * records go in short write txns, files after each commit, so no txn is
 * open during file I/O (STYLE.md 7.3) and a live upload (younger than the
 * grace) is never touched.
 */
#include "api/api_int.h"

#include <string.h>

#include "store/store.h"

#define GC_BATCH	1000	/* records per write txn */

int
api_gc_run(struct api_ctx *ctx, int64_t now_ms, int64_t grace_ms,
    size_t *n_blobs, size_t *n_uploads)
{
	struct store_gc_list	 list;
	struct store_txn	*txn;
	int64_t			 before = now_ms - grace_ms;
	int			 rc;
	bool			 more = true;

	*n_blobs = *n_uploads = 0;
	while (more) {
		if ((rc = store_txn_begin(ctx->store, NULL, true, &txn)) != 0)
			return rc;
		memset(&list, 0, sizeof list);
		if ((rc = store_gc_collect(txn, before, before, GC_BATCH,
		    &list)) != 0) {
			store_txn_abort(txn);
			return rc;
		}
		/* File times are real ones, whatever the emulator's clock. */
		if ((rc = store_txn_commit(txn)) == 0)
			rc = store_gc_files(ctx->store, &list,
			    before - ctx->clock_offset_ms);
		*n_blobs += list.n_blobs;
		*n_uploads += list.n_uploads;
		more = list.n_blobs == GC_BATCH || list.n_uploads == GC_BATCH ||
		    list.n_layers == GC_BATCH;
		store_gc_list_release(&list);
		if (rc != 0)
			return rc;
	}
	return 0;
}
