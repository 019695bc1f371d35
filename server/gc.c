/*
 * Garbage collection runs, hourly and on demand (POST /_ecrd/gc): one run
 * at a time, stepped on a zero timer below the connections' priority, its
 * file work (unlinks, the orphan sweep) in the worker pool, so that
 * requests are answered all through a large collection (issue 12).
 */
#include "server/server.h"

#include <stdlib.h>
#include <time.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "api/api.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "server/http.h"
#include "server/pool.h"
#include "store/store.h"

#define STEP_BUDGET_NS	(2 * 1000 * 1000)	/* per loop turn */
#define GC_GRACE_SEC	86400	/* unreferenced layers, idle uploads */
#define RETRY_MS	10	/* the pool's queue was full */

struct gc_job {
	struct api_gc		*run;		/* its cutoffs: when asked */
	struct http_request	*req;		/* NULL: the scheduler's */
	struct gc_job		*next;
};

struct gc_sched {
	struct server		*srv;
	struct event		*ev;		/* steps the first job */
	struct gc_job		*head, *tail;
	bool			 is_working;	/* its file work in the pool */
	bool			 has_work;	/* file work not yet submitted */
};

static void	step_cb(evutil_socket_t, short, void *);

/* A zero timer, not event_active: it waits for the next poll for I/O. */
static void
schedule_step(struct gc_sched *gs, long delay_ms)
{
	struct timeval	tv = { 0, delay_ms * 1000 };

	evtimer_add(gs->ev, &tv);
}

struct gc_sched *
gc_sched_new(struct server *srv)
{
	struct gc_sched	*gs;

	gs = xcalloc(1, sizeof *gs);
	gs->srv = srv;
	gs->ev = evtimer_new(srv->base, step_cb, gs);
	/* Below connections (1), with group commits (main.c). */
	event_priority_set(gs->ev, 2);
	return gs;
}

/*
 * Drop every run; their requests go with the HTTP server. The pool is
 * freed first, so no file work is still running on a run.
 */
void
gc_sched_free(struct gc_sched *gs)
{
	struct gc_job	*job;

	if (gs == NULL)
		return;
	while ((job = gs->head) != NULL) {
		gs->head = job->next;
		api_gc_free(job->run);
		free(job);
	}
	event_free(gs->ev);
	free(gs);
}

static void
enqueue(struct gc_sched *gs, int64_t grace_ms, struct http_request *req)
{
	struct gc_job	*job;

	job = xcalloc(1, sizeof *job);
	/* The grace counts back from now, on both clocks (api/gc.c). */
	job->run = api_gc_new(gs->srv->api, api_now_ms(gs->srv->api),
	    grace_ms);
	job->req = req;
	if (gs->tail != NULL)
		gs->tail->next = job;
	else
		gs->head = job;
	gs->tail = job;
	schedule_step(gs, 0);
}

/* Answer or log the first job's run, and drop it. */
static void
finish(struct gc_sched *gs)
{
	struct gc_job		*job = gs->head;
	struct json_object	*o;
	size_t			 n_blobs, n_uploads;
	int			 rc;

	rc = api_gc_result(job->run, &n_blobs, &n_uploads);
	api_gc_free(job->run);
	if ((gs->head = job->next) == NULL)
		gs->tail = NULL;
	if (rc != 0 && job->req == NULL)
		log_warn("garbage collection: %s", store_strerror(rc));
	else if (rc != 0) {
		log_error("gc failed: %s", store_strerror(rc));
		routes_error(job->req, 500, "ServerException",
		    "An internal error occurred.");
	} else if (job->req == NULL) {
		if (n_blobs + n_uploads != 0)
			log_info("garbage collection: %zu blobs, %zu uploads "
			    "removed", n_blobs, n_uploads);
	} else {
		o = jnew_obj();
		jadd_i64(o, "blobsRemoved", (int64_t)n_blobs);
		jadd_i64(o, "uploadsRemoved", (int64_t)n_uploads);
		routes_respond_json(job->req, 200, o);
	}
	free(job);
}

static void
work_cb(void *arg)
{
	struct gc_sched	*gs = arg;

	api_gc_work(gs->head->run);
}

static void
work_done_cb(void *arg, bool is_cancelled)
{
	struct gc_sched	*gs = arg;

	gs->is_working = false;
	if (!is_cancelled)
		schedule_step(gs, 0);
}

/* Hand the run's file work to the pool; false if its queue is full. */
static bool
submit_work(struct gc_sched *gs)
{
	if (pool_submit(gs->srv->pool, work_cb, work_done_cb, gs) != 0) {
		gs->has_work = true;
		schedule_step(gs, RETRY_MS);
		return false;
	}
	gs->has_work = false;
	gs->is_working = true;
	return true;
}

static long long
elapsed_ns(const struct timespec *since)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - since->tv_sec) * 1000000000LL +
	    (now.tv_nsec - since->tv_nsec);
}

/* Steps of the first run for a short budget, or until it has file work. */
static void
step_cb(evutil_socket_t fd, short what, void *arg)
{
	struct gc_sched		*gs = arg;
	struct timespec		 start;
	enum api_gc_next	 next = API_GC_AGAIN;

	(void)fd;
	(void)what;
	if (gs->head == NULL || gs->is_working)
		return;
	if (gs->has_work) {
		(void)submit_work(gs);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (next == API_GC_AGAIN && elapsed_ns(&start) < STEP_BUDGET_NS)
		next = api_gc_step(gs->head->run);
	if (next == API_GC_WORK) {
		(void)submit_work(gs);
		return;
	}
	if (next == API_GC_DONE)
		finish(gs);
	if (gs->head != NULL)
		schedule_step(gs, 0);
}

/* From housekeeping, hourly: collect, unless a run is under way. */
void
gc_sched_due(struct gc_sched *gs)
{
	if (gs->head == NULL)
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
	int64_t	grace = GC_GRACE_SEC;

	if (routes_param_num(req, "grace_seconds", 0, ROUTES_SECONDS_MAX,
	    &grace) < 0)
		return;
	/* Writes acknowledged before this request count. */
	routes_flush_writes(srv);
	enqueue(srv->gc_sched, grace * 1000, req);
}
