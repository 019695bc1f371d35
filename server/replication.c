/*
 * Replication runs (core/replication.c, issue 14): one at a time on the
 * background queue, in slices between requests, started at start (jobs a
 * previous server left), after a batch of writes that added jobs, and by
 * a timer while jobs are held back by --replication-delay.
 */
#include "server/server.h"

#include <stdlib.h>

#include <event2/event.h>

#include "api/api.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "server/jobs.h"
#include "store/store.h"

/* A held job is looked at again at least this often (the clock moves). */
#define REPL_WAIT_MAX_MS 1000

struct repl_sched {
	struct server *srv;
	struct job_queue *runs; /* of struct repl_run */
	struct event *timer;    /* held jobs */
};

struct repl_run {
	struct core_repl *repl;
	enum core_repl_next next;
	int64_t wake_at_ms;
};

static enum job_next
repl_step(void *arg)
{
	struct repl_run *run = arg;

	run->next = core_repl_step(run->repl, &run->wake_at_ms);
	return run->next == CORE_REPL_AGAIN ? JOB_AGAIN : JOB_DONE;
}

/* Log the run; come back when a held job is due. */
static void
repl_finish(void *ctx, void *arg, struct http_request *req)
{
	struct repl_sched *rs = ctx;
	struct repl_run *run = arg;
	struct timeval tv;
	int64_t ms;
	size_t n = 0;
	int rc;

	(void)req;
	rc = core_repl_result(run->repl, &n);
	metrics_job(rs->srv->metrics, "replication", rc == 0, "images_done",
	    rc == 0 ? n : 0);
	if (rc != 0)
		log_warn("replication: %s", store_strerror(rc));
	else if (n != 0)
		log_debug("replication: %zu images copied or failed", n);
	if (rc != 0 || run->next != CORE_REPL_WAIT)
		return;
	ms = run->wake_at_ms - core_now_ms(rs->srv->api);
	if (ms < 0)
		ms = 0;
	if (ms > REPL_WAIT_MAX_MS)
		ms = REPL_WAIT_MAX_MS;
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(rs->timer, &tv);
}

static void
repl_free(void *arg)
{
	struct repl_run *run = arg;

	core_repl_free(run->repl);
	free(run);
}

static const struct job_ops repl_ops = {
    .step = repl_step,
    .finish = repl_finish,
    .free = repl_free,
};

/*
 * A run, unless one is under way or waits on its timer: jobs are due in
 * the order they were added, so a new one is never due before those.
 */
void
repl_sched_kick(struct repl_sched *rs)
{
	struct repl_run *run;

	if (rs == NULL || !job_queue_is_empty(rs->runs) ||
	    evtimer_pending(rs->timer, NULL))
		return;
	run = xcalloc(1, sizeof *run);
	run->repl = core_repl_new(rs->srv->api);
	job_queue_push(rs->runs, run, NULL);
}

static void
timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	repl_sched_kick(arg);
}

struct repl_sched *
repl_sched_new(struct server *srv)
{
	struct repl_sched *rs;

	rs = xcalloc(1, sizeof *rs);
	rs->srv = srv;
	rs->runs = job_queue_new(srv->base, NULL, &repl_ops, rs);
	rs->timer = evtimer_new(srv->base, timer_cb, rs);
	event_priority_set(rs->timer, 2);
	repl_sched_kick(rs);
	return rs;
}

void
repl_sched_free(struct repl_sched *rs)
{
	if (rs == NULL)
		return;
	job_queue_free(rs->runs);
	event_free(rs->timer);
	free(rs);
}
