/*
 * The writer thread (store_writer_start): it begins and commits every
 * top-level write txn, so that a commit's page writes and syncs never run
 * on the thread that uses the txn (issue 12). LMDB ties a write txn to the
 * thread that began it only through its writer mutex, which that thread
 * must also unlock at commit or abort; between the two the txn is lent to
 * the caller, who may use it from its own thread while the writer waits.
 * The commit itself is LMDB's durable one (data pages, fdatasync, then the
 * meta page written O_DSYNC), so the crash properties are LMDB's own.
 */
#include "store/store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

enum writer_state {
	W_BEGIN,  /* the writer is to begin the next txn */
	W_READY,  /* begun (or failed: begin_rc), waiting to be lent */
	W_LENT,   /* the caller has it */
	W_COMMIT, /* handed back: commit it */
	W_ABORT,  /* handed back: abort it */
	W_STOP
};

/* An asynchronous commit that ended, for store_writer_run_done. */
struct writer_done {
	store_commit_fn fn;
	void *arg;
	int rc;
	struct writer_done *next;
};

struct store_writer {
	pthread_t thread;
	pthread_mutex_t mtx;
	pthread_cond_t cond; /* any change of state */
	enum writer_state state;
	MDB_txn *txn; /* W_READY, W_LENT, W_COMMIT, W_ABORT */
	int begin_rc; /* W_READY with txn NULL */
	int commit_rc;
	bool is_committed;  /* commit_rc is new */
	store_commit_fn fn; /* of the commit under way; NULL: sync */
	void *fn_arg;
	struct writer_done *done_head, *done_tail;
	void (*wake)(void *);
	void *wake_arg;
};

static void
post_done(struct store_writer *w, store_commit_fn fn, void *arg, int rc)
{
	struct writer_done *d;

	d = xmalloc(sizeof *d);
	d->fn = fn;
	d->arg = arg;
	d->rc = rc;
	d->next = NULL;
	if (w->done_tail != NULL)
		w->done_tail->next = d;
	else
		w->done_head = d;
	w->done_tail = d;
}

/* Commit or abort the txn handed back; mtx held, dropped meanwhile. */
static bool
end_txn(struct store_writer *w)
{
	MDB_txn *txn = w->txn;
	store_commit_fn fn = w->fn;
	bool is_commit = w->state == W_COMMIT;
	int mrc = 0;

	w->txn = NULL;
	pthread_mutex_unlock(&w->mtx);
	if (is_commit)
		mrc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	pthread_mutex_lock(&w->mtx);
	if (!is_commit)
		return false;
	if (fn != NULL)
		post_done(w, fn, w->fn_arg, mrc);
	else {
		w->commit_rc = mrc;
		w->is_committed = true;
	}
	w->fn = NULL;
	return fn != NULL;
}

static void *
writer_main(void *arg)
{
	struct store *s = arg;
	struct store_writer *w = s->writer;
	MDB_txn *txn;
	bool is_wake;
	int mrc;

	pthread_mutex_lock(&w->mtx);
	for (;;) {
		while (w->state == W_READY || w->state == W_LENT)
			pthread_cond_wait(&w->cond, &w->mtx);
		is_wake = false;
		if (w->state == W_COMMIT || w->state == W_ABORT)
			is_wake = end_txn(w);
		else if (w->state == W_STOP && w->txn != NULL) {
			/* Not lent (store_writer_stop waits for that). */
			mdb_txn_abort(w->txn);
			w->txn = NULL;
		}
		if (w->state == W_STOP)
			break;
		/* Begin the next one now, so that lending it is instant. */
		pthread_mutex_unlock(&w->mtx);
		txn = NULL;
		mrc = mdb_txn_begin(s->env, NULL, 0, &txn);
		pthread_mutex_lock(&w->mtx);
		w->txn = mrc == 0 ? txn : NULL;
		w->begin_rc = mrc;
		w->state = W_READY;
		pthread_cond_broadcast(&w->cond);
		if (is_wake && w->wake != NULL) {
			pthread_mutex_unlock(&w->mtx);
			w->wake(w->wake_arg);
			pthread_mutex_lock(&w->mtx);
		}
	}
	pthread_mutex_unlock(&w->mtx);
	return NULL;
}

int
store_writer_start(struct store *s, void (*wake)(void *), void *wake_arg)
{
	struct store_writer *w;
	int e;

	if (s->writer != NULL)
		return STORE_OK;
	w = xcalloc(1, sizeof *w);
	pthread_mutex_init(&w->mtx, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->state = W_BEGIN;
	w->wake = wake;
	w->wake_arg = wake_arg;
	s->writer = w;
	if ((e = pthread_create(&w->thread, NULL, writer_main, s)) != 0) {
		s->writer = NULL;
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->mtx);
		free(w);
		snprintf(s->io_cause, sizeof(s->io_cause),
		    "cannot start the writer thread: %s", strerror(e));
		return STORE_IO;
	}
	return STORE_OK;
}

/* Run and free a list of ended commits, in commit order. */
static void
run_list(struct store *s, struct writer_done *d)
{
	struct writer_done *next;

	for (; d != NULL; d = next) {
		next = d->next;
		d->fn(d->arg, store_commit_result(s, d->rc));
		free(d);
	}
}

void
store_writer_run_done(struct store *s)
{
	struct store_writer *w = s->writer;
	struct writer_done *d;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mtx);
	d = w->done_head;
	w->done_head = w->done_tail = NULL;
	pthread_mutex_unlock(&w->mtx);
	run_list(s, d);
}

void
store_writer_stop(struct store *s)
{
	struct store_writer *w = s->writer;
	struct writer_done *d;

	if (w == NULL)
		return;
	pthread_mutex_lock(&w->mtx);
	/* A commit under way ends first; a lent txn must have come back. */
	while (w->state != W_READY)
		pthread_cond_wait(&w->cond, &w->mtx);
	w->state = W_STOP;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->mtx);
	pthread_join(w->thread, NULL);
	d = w->done_head;
	s->writer = NULL;
	/* Commits whose completion the caller had not collected yet. */
	run_list(s, d);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->mtx);
	free(w);
}

bool
store_writer_is_busy(struct store *s)
{
	struct store_writer *w = s->writer;
	bool is_busy;

	if (w == NULL)
		return false;
	pthread_mutex_lock(&w->mtx);
	is_busy = w->state == W_COMMIT && w->fn != NULL;
	pthread_mutex_unlock(&w->mtx);
	return is_busy;
}

/* Wait until the writer has a txn to lend (or failed to begin one). */
int
store_writer_lend(struct store *s, MDB_txn **out)
{
	struct store_writer *w = s->writer;
	int mrc;

	pthread_mutex_lock(&w->mtx);
	while (w->state != W_READY)
		pthread_cond_wait(&w->cond, &w->mtx);
	if ((mrc = w->begin_rc) == 0) {
		*out = w->txn;
		w->state = W_LENT;
	} else {
		/* Try again for the next caller. */
		w->state = W_BEGIN;
		pthread_cond_broadcast(&w->cond);
	}
	pthread_mutex_unlock(&w->mtx);
	return mrc;
}

int
store_writer_commit(struct store *s, store_commit_fn fn, void *arg)
{
	struct store_writer *w = s->writer;
	int mrc = 0;

	pthread_mutex_lock(&w->mtx);
	w->state = W_COMMIT;
	w->fn = fn;
	w->fn_arg = arg;
	w->is_committed = false;
	pthread_cond_broadcast(&w->cond);
	if (fn == NULL) {
		while (!w->is_committed)
			pthread_cond_wait(&w->cond, &w->mtx);
		mrc = w->commit_rc;
	}
	pthread_mutex_unlock(&w->mtx);
	return mrc;
}

void
store_writer_abort(struct store *s)
{
	struct store_writer *w = s->writer;

	pthread_mutex_lock(&w->mtx);
	w->state = W_ABORT;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->mtx);
}
