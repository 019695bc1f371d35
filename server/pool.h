/*
 * The worker pool for slow file work (STYLE.md 7.7): jobs run on a few
 * threads at a lower priority than the event loop, and each job's
 * completion runs back on the loop. Workers touch no libevent object: they
 * wake the loop through an eventfd it watches.
 */
#ifndef ECRD_SERVER_POOL_H
#define ECRD_SERVER_POOL_H

#include <stdbool.h>
#include <stddef.h>

struct event_base;
struct pool;

/*
 * work runs on a worker thread and must touch nothing the loop uses
 * without a lock; done then runs on the loop with is_cancelled false. A
 * job still queued when the pool is freed is not run: done runs with
 * is_cancelled true, from pool_free, so that its owner can let go of arg.
 */
typedef void (*pool_work_fn)(void *arg);
typedef void (*pool_done_fn)(void *arg, bool is_cancelled);

/*
 * A pool of n_threads workers, at most queue_max jobs waiting. NULL (and
 * *cause set, the caller frees it) if the threads or the eventfd cannot be
 * made.
 */
struct pool *pool_new(struct event_base *, unsigned n_threads, size_t queue_max,
    char **cause);
/*
 * Queue a job: 0, or -1 when queue_max jobs are waiting already or the
 * pool is stopping (the caller keeps arg and tries again later).
 */
int pool_submit(struct pool *, pool_work_fn, pool_done_fn, void *arg);
/* Jobs queued, running or with their done not yet run. */
size_t pool_busy(const struct pool *);
/*
 * Stop: cancel the jobs not started, wait for the running ones, run every
 * done left, join the threads and free the pool. NULL is ignored.
 */
void pool_free(struct pool *);

#endif
