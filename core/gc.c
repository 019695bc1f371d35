/*
 * Garbage collection of blobs no layer uses and of abandoned uploads, in
 * bounded slices (STYLE.md 7.7): each step on the loop is one short write
 * txn that removes records, and the files of what it removed go in the
 * work that follows, which the server runs off the loop once that txn has
 * committed (data before metadata: a crash in between leaves an
 * unreferenced file for the next GC, never a record without its file). A
 * live upload (younger than the grace) is never touched. Deleted
 * repositories' records are reaped first (reap.c), so that the blobs only
 * they used are collected by this run.
 */
#include "core/core_int.h"

#include <stdlib.h>
#include <time.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "store/store.h"

#define GC_SLICE 250 /* records of each kind per write txn, at most */

enum gc_state {
	GC_REAP,    /* slices of deleted repositories' records */
	GC_COLLECT, /* slices of records */
	GC_SWEEP,   /* then orphan files, once */
	GC_FINISH,  /* then the reserve made again */
	GC_END,
};

/* The file work the last step left for core_gc_work. */
enum gc_work {
	WORK_NONE,
	WORK_LISTED, /* the files of the slice committed */
	WORK_UNUSED, /* a slice the full disk refused */
	WORK_SWEEP,
};

struct core_gc {
	struct store *store;
	int64_t before_ms;      /* records: the server's clock */
	int64_t file_before_ms; /* files: the real clock */
	enum gc_state state;
	enum gc_work work;
	struct store_gc_list list; /* the slice work is about */
	struct core_reap *reap;    /* GC_REAP's run */
	struct core_slice slice;
	size_t slice_n;     /* the last collect's count */
	int work_rc;        /* core_gc_work's */
	bool is_committing; /* a slice's commit under way */
	bool is_waiting;    /* ... and the step said CORE_GC_WAIT */
	bool has_commit;    /* it has ended: commit_rc */
	int commit_rc;
	void (*wake)(void *); /* core_gc_set_wake */
	void *wake_arg;
	bool is_retry; /* list was refused: retrying */
	size_t n_blobs, n_uploads;
	int rc; /* what stopped the run */
};

struct core_gc *
core_gc_new(struct core_ctx *ctx, int64_t now_ms, int64_t grace_ms)
{
	struct core_gc *gc;

	gc = xcalloc(1, sizeof *gc);
	gc->store = ctx->store;
	gc->before_ms = now_ms - grace_ms;
	/* File times are real ones, whatever the emulator's clock. */
	gc->file_before_ms = core_real_ms() - grace_ms;
	gc->reap = core_reap_new(ctx);
	core_slice_init(&gc->slice, GC_SLICE);
	return gc;
}

void
core_gc_free(struct core_gc *gc)
{
	if (gc == NULL)
		return;
	/* Freed only once its commit has ended (server/main.c's order). */
	core_reap_free(gc->reap);
	store_gc_list_release(&gc->list);
	free(gc);
}

/*
 * One GC txn: its records into list, and its commit handed to the store's
 * writer thread; gc_committed notes its end. 0, or a STORE_* code of the
 * collect (the txn is gone either way).
 */
static void gc_committed(void *, int);

static int
gc_collect(struct core_gc *gc, struct store_gc_list *list)
{
	struct store_txn *txn;
	int rc;

	if ((rc = store_txn_begin(gc->store, NULL, true, &txn)) != 0)
		return rc;
	gc->slice_n = core_slice_begin(&gc->slice);
	rc = store_gc_collect(txn, gc->before_ms, gc->before_ms, gc->slice_n,
	    list);
	/* The slice's time on the loop: the commit is the writer's. */
	core_slice_end(&gc->slice);
	if (rc != 0) {
		store_txn_abort(txn);
		return rc;
	}
	/* On failure the caller still has the list (store_gc_files_unused). */
	gc->is_committing = true;
	store_txn_commit_async(txn, gc_committed, gc);
	return 0;
}

static void
gc_committed(void *arg, int rc)
{
	struct core_gc *gc = arg;

	gc->is_committing = false;
	gc->has_commit = true;
	gc->commit_rc = rc;
	if (gc->is_waiting) {
		gc->is_waiting = false;
		gc->wake(gc->wake_arg);
	}
}

void
core_gc_set_wake(struct core_gc *gc, void (*wake)(void *), void *arg)
{
	gc->wake = wake;
	gc->wake_arg = arg;
	core_reap_set_wake(gc->reap, wake, arg);
}

/*
 * A full disk must not stop the GC, which is what makes room: a commit it
 * refuses is tried again with the store's reserve freed and the files of
 * the blobs no layer used already removed (issue 11); the reserve is made
 * again at the end if the GC left room to spare.
 */
static enum core_gc_next
collect_after(struct core_gc *gc, int rc)
{
	bool is_more;

	if (rc == STORE_NOSPACE && !gc->is_retry) {
		log_warn("garbage collection: %s; freeing the reserve and "
		         "unused blobs first",
		    store_io_cause(gc->store));
		/* Already gone (STORE_NOTFOUND) is as good. */
		(void)store_reserve_release(gc->store);
		gc->is_retry = true;
		gc->work = WORK_UNUSED;
		return CORE_GC_WORK;
	}
	gc->is_retry = false;
	if (rc != 0) {
		store_gc_list_release(&gc->list);
		gc->rc = rc;
		gc->state = GC_END;
		return CORE_GC_DONE;
	}
	gc->n_blobs += gc->list.n_blobs;
	gc->n_uploads += gc->list.n_uploads;
	is_more = gc->list.n_blobs == gc->slice_n ||
	          gc->list.n_uploads == gc->slice_n ||
	          gc->list.n_layers == gc->slice_n;
	if (!is_more)
		gc->state = GC_SWEEP;
	if (gc->list.n_blobs + gc->list.n_uploads == 0) {
		store_gc_list_release(&gc->list);
		return CORE_GC_AGAIN;
	}
	gc->work = WORK_LISTED;
	return CORE_GC_WORK;
}

/*
 * A slice: its records in a txn on the loop, its commit on the writer
 * thread (CORE_GC_WAIT until it has ended, then collect_after), unless
 * the store has no writer and it committed at once.
 */
static enum core_gc_next
collect_slice(struct core_gc *gc)
{
	int rc;

	if ((rc = gc_collect(gc, &gc->list)) != 0 || !gc->is_committing) {
		gc->has_commit = false;
		return collect_after(gc, rc != 0 ? rc : gc->commit_rc);
	}
	gc->is_waiting = gc->wake != NULL;
	return CORE_GC_WAIT;
}

/* A failed slice is left to the reaper's next run: collecting goes on. */
static enum core_gc_next
reap_slice(struct core_gc *gc)
{
	size_t n;
	int rc;

	switch (core_reap_step(gc->reap)) {
	case CORE_REAP_WAIT:
		return CORE_GC_WAIT;
	case CORE_REAP_AGAIN:
		return CORE_GC_AGAIN;
	case CORE_REAP_DONE:
		break;
	}
	if ((rc = core_reap_result(gc->reap, &n)) != 0)
		log_warn("garbage collection: removing deleted repositories: "
		         "%s",
		    store_strerror(rc));
	gc->state = GC_COLLECT;
	return CORE_GC_AGAIN;
}

enum core_gc_next
core_gc_step(struct core_gc *gc)
{
	enum gc_work done = gc->work;

	/* A slice's commit has ended: its list's files come next. */
	if (gc->has_commit) {
		gc->has_commit = false;
		return collect_after(gc, gc->commit_rc);
	}
	/* Not yet (a spurious step). */
	if (gc->is_committing)
		return CORE_GC_WAIT;
	gc->work = WORK_NONE;
	/* A refused slice's list is collected again, so it goes too. */
	store_gc_list_release(&gc->list);
	if (done != WORK_NONE && done != WORK_UNUSED && gc->work_rc != 0) {
		gc->rc = gc->work_rc;
		gc->state = GC_END;
	}
	switch (gc->state) {
	case GC_REAP:
		return reap_slice(gc);
	case GC_COLLECT:
		return collect_slice(gc);
	case GC_SWEEP:
		gc->state = GC_FINISH;
		gc->work = WORK_SWEEP;
		return CORE_GC_WORK;
	case GC_FINISH:
		gc->state = GC_END;
		(void)store_reserve_restore(gc->store);
		break;
	case GC_END:
		break;
	}
	return CORE_GC_DONE;
}

void
core_gc_work(struct core_gc *gc)
{
	switch (gc->work) {
	case WORK_NONE:
		break;
	case WORK_LISTED:
		gc->work_rc = store_gc_files_listed(gc->store, &gc->list);
		break;
	case WORK_UNUSED:
		(void)store_gc_files_unused(gc->store, &gc->list);
		break;
	case WORK_SWEEP:
		gc->work_rc =
		    store_gc_files_sweep(gc->store, gc->file_before_ms);
		break;
	}
}

int
core_gc_result(const struct core_gc *gc, size_t *n_blobs, size_t *n_uploads)
{
	*n_blobs = gc->n_blobs;
	*n_uploads = gc->n_uploads;
	return gc->rc;
}

/* No loop to wake: wait here, a minute at most, for the slice's commit. */
static void
wait_commit(struct core_gc *gc)
{
	struct timespec ms = {0, 1000 * 1000};
	int i;

	for (i = 0; (gc->is_committing || core_reap_is_committing(gc->reap)) &&
	            i < 60000;
	     i++) {
		store_writer_run_done(gc->store);
		nanosleep(&ms, NULL);
	}
}

int
core_gc_run(struct core_ctx *ctx, int64_t now_ms, int64_t grace_ms,
    size_t *n_blobs, size_t *n_uploads)
{
	struct core_gc *gc;
	enum core_gc_next next;
	int rc;

	gc = core_gc_new(ctx, now_ms, grace_ms);
	while ((next = core_gc_step(gc)) != CORE_GC_DONE) {
		if (next == CORE_GC_WORK)
			core_gc_work(gc);
		else if (next == CORE_GC_WAIT)
			wait_commit(gc);
	}
	rc = core_gc_result(gc, n_blobs, n_uploads);
	core_gc_free(gc);
	return rc;
}
