/*
 * Garbage collection runs, hourly and on demand (POST /_ecrd/gc): one run
 * at a time, stepped on a zero timer below the connections' priority, its
 * file work (unlinks, the orphan sweep) in the worker pool, so that
 * requests are answered all through a large collection (issue 12). Also
 * the reaper of deleted repositories' records (core/reap.c), in slices on
 * a queue of its own: at start (a store closed midway) and after a batch
 * of writes that deleted a repository.
 */
#include "server/server.h"

#include <stdlib.h>

#include <json-c/json.h>

#include "api/api.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "server/http.h"
#include "server/jobs.h"
#include "store/store.h"

#define GC_GRACE_SEC 86400 /* unreferenced layers, idle uploads */

struct gc_sched {
	struct server *srv;
	struct job_queue *runs;  /* of struct core_gc */
	struct job_queue *reaps; /* of struct core_reap */
};

static enum job_next
gc_step(void *run)
{
	switch (core_gc_step(run)) {
	case CORE_GC_WORK:
		return JOB_WORK;
	case CORE_GC_AGAIN:
		return JOB_AGAIN;
	case CORE_GC_WAIT:
		return JOB_WAIT;
	default:
		return JOB_DONE;
	}
}

static void
gc_work(void *run)
{
	core_gc_work(run);
}

/* Answer or log a run. */
static void
gc_finish(void *ctx, void *run, struct http_request *req)
{
	struct json_object *o;
	size_t n_blobs = 0, n_uploads = 0;
	int rc;

	rc = core_gc_result(run, &n_blobs, &n_uploads);
	metrics_gc(((struct gc_sched *)ctx)->srv->metrics, rc, n_blobs,
	    n_uploads);
	if (rc != 0 && req == NULL)
		log_warn("garbage collection: %s", store_strerror(rc));
	else if (rc != 0) {
		log_error("gc failed: %s", store_strerror(rc));
		answer_server_error(req);
	} else if (req == NULL) {
		if (n_blobs + n_uploads != 0)
			log_info("garbage collection: %zu blobs, %zu uploads "
			         "removed",
			    n_blobs, n_uploads);
	} else {
		o = jnew_obj();
		jadd_i64(o, "blobsRemoved", (int64_t)n_blobs);
		jadd_i64(o, "uploadsRemoved", (int64_t)n_uploads);
		answer_json(req, 200, o);
	}
}

static void
gc_free(void *run)
{
	core_gc_free(run);
}

static const struct job_ops gc_ops = {
    .step = gc_step,
    .work = gc_work,
    .finish = gc_finish,
    .free = gc_free,
};

static enum job_next
reap_step(void *run)
{
	switch (core_reap_step(run)) {
	case CORE_REAP_AGAIN:
		return JOB_AGAIN;
	case CORE_REAP_WAIT:
		return JOB_WAIT;
	default:
		return JOB_DONE;
	}
}

/* A reap slice's commit has ended on the writer thread: step on. */
static void
reap_wake(void *arg)
{
	struct gc_sched *gs = arg;

	job_queue_resume(gs->reaps);
}

/* Reaps are the server's own: log them. */
static void
reap_finish(void *ctx, void *run, struct http_request *req)
{
	size_t n = 0;
	int rc;

	(void)req;
	rc = core_reap_result(run, &n);
	metrics_job(((struct gc_sched *)ctx)->srv->metrics, "reap", rc == 0,
	    "records_removed", rc == 0 ? n : 0);
	if (rc != 0)
		log_warn("removing deleted repositories: %s",
		    store_strerror(rc));
	else if (n != 0)
		log_info("deleted repositories: %zu records removed", n);
}

static void
reap_free(void *run)
{
	core_reap_free(run);
}

/* No file work: blobs the records held go to the GC. */
static const struct job_ops reap_ops = {
    .step = reap_step,
    .finish = reap_finish,
    .free = reap_free,
};

/*
 * After pool_new: the runs' file work goes to srv->pool. A reap starts at
 * once, for repositories a previous server deleted but did not finish.
 */
struct gc_sched *
gc_sched_new(struct server *srv)
{
	struct gc_sched *gs;

	gs = xcalloc(1, sizeof *gs);
	gs->srv = srv;
	gs->runs = job_queue_new(srv->base, srv->pool, &gc_ops, gs);
	gs->reaps = job_queue_new(srv->base, NULL, &reap_ops, gs);
	gc_sched_reap(gs);
	return gs;
}

/*
 * A run under way goes on until no tombstone is left, so it takes a new
 * one too: none is queued beside it.
 */
void
gc_sched_reap(struct gc_sched *gs)
{
	struct core_reap *r;

	if (gs == NULL || !job_queue_is_empty(gs->reaps))
		return;
	r = core_reap_new(gs->srv->api);
	core_reap_set_wake(r, reap_wake, gs);
	job_queue_push(gs->reaps, r, NULL);
}

/*
 * Drop every run; their requests go with the HTTP server. The pool is
 * freed first, so no file work is still running on a run.
 */
void
gc_sched_free(struct gc_sched *gs)
{
	if (gs == NULL)
		return;
	job_queue_free(gs->runs);
	job_queue_free(gs->reaps);
	free(gs);
}

/* A slice's commit has ended on the writer thread: step on. */
static void
gc_wake(void *arg)
{
	struct gc_sched *gs = arg;

	job_queue_resume(gs->runs);
}

static void
enqueue(struct gc_sched *gs, int64_t grace_ms, struct http_request *req)
{
	struct core_gc *gc;

	/* The grace counts back from now, on both clocks (core/gc.c). */
	gc = core_gc_new(gs->srv->api, core_now_ms(gs->srv->api), grace_ms);
	core_gc_set_wake(gc, gc_wake, gs);
	job_queue_push(gs->runs, gc, req);
}

/* From housekeeping, hourly: collect, unless a run is under way. */
void
gc_sched_due(struct gc_sched *gs)
{
	if (job_queue_is_empty(gs->runs))
		enqueue(gs, GC_GRACE_SEC * 1000LL, NULL);
}

/*
 * POST /_ecrd/gc[?grace_seconds=N]: collect now, with the given grace
 * (default a day), so tests need not wait for the hourly run; answers
 * {"blobsRemoved":n,"uploadsRemoved":m} when this run is done. A run
 * under way finishes first: this request's run starts after it.
 */
void
gc_sched_on_run(struct server *srv, struct http_request *req)
{
	int64_t grace = GC_GRACE_SEC;

	if (request_param_num(req, "grace_seconds", 0, REQUEST_SECONDS_MAX,
	        &grace) < 0)
		return;
	/* Writes acknowledged before this request count. */
	writes_flush_now(srv);
	enqueue(srv->gc_sched, grace * 1000, req);
}
