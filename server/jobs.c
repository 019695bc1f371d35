/*
 * The background run queue (jobs.h): one run at a time, stepped on a zero
 * timer at priority 2, its file work in the worker pool.
 */
#include "server/jobs.h"

#include <stdlib.h>
#include <time.h>

#include <event2/event.h>

#include "common/xalloc.h"
#include "server/pool.h"

#define STEP_BUDGET_NS (2 * 1000 * 1000) /* per loop turn */
#define RETRY_MS 10                      /* the pool's queue was full */

struct job {
	void *run;
	struct http_request *req; /* NULL: the scheduler's */
	struct job *next;
};

struct job_queue {
	const struct job_ops *ops;
	void *ctx;
	struct pool *pool;
	struct event *ev; /* steps the first job */
	struct job *head, *tail;
	bool is_working; /* its file work in the pool */
	bool is_waiting; /* JOB_WAIT: until job_queue_resume */
	bool has_work;   /* file work not yet submitted */
};

static void step_cb(evutil_socket_t, short, void *);

/*
 * The next step goes on a zero timer, not event_active: libevent runs a
 * queue until it is empty, so an event that activates itself would starve
 * the connections; a timer fires only after the next poll for I/O.
 */
static void
schedule_step(struct job_queue *q, long delay_ms)
{
	struct timeval tv = {0, delay_ms * 1000};

	evtimer_add(q->ev, &tv);
}

struct job_queue *
job_queue_new(struct event_base *base, struct pool *pool,
    const struct job_ops *ops, void *ctx)
{
	struct job_queue *q;

	q = xcalloc(1, sizeof *q);
	q->ops = ops;
	q->ctx = ctx;
	q->pool = pool;
	q->ev = evtimer_new(base, step_cb, q);
	/* Below connections (1), with group commits (main.c). */
	event_priority_set(q->ev, 2);
	return q;
}

void
job_queue_free(struct job_queue *q)
{
	struct job *job;

	if (q == NULL)
		return;
	while ((job = q->head) != NULL) {
		q->head = job->next;
		q->ops->free(job->run);
		free(job);
	}
	event_free(q->ev);
	free(q);
}

void
job_queue_push(struct job_queue *q, void *run, struct http_request *req)
{
	struct job *job;

	job = xcalloc(1, sizeof *job);
	job->run = run;
	job->req = req;
	if (q->tail != NULL)
		q->tail->next = job;
	else
		q->head = job;
	q->tail = job;
	schedule_step(q, 0);
}

bool
job_queue_is_empty(const struct job_queue *q)
{
	return q->head == NULL;
}

void
job_queue_resume(struct job_queue *q)
{
	q->is_waiting = false;
	schedule_step(q, 0);
}

/* Take the first job off the queue, then answer or log it. */
static void
finish(struct job_queue *q)
{
	struct job *job = q->head;

	if ((q->head = job->next) == NULL)
		q->tail = NULL;
	q->ops->finish(q->ctx, job->run, job->req);
	q->ops->free(job->run);
	free(job);
}

static void
work_cb(void *arg)
{
	struct job_queue *q = arg;

	q->ops->work(q->head->run);
}

static void
work_done_cb(void *arg, bool is_cancelled)
{
	struct job_queue *q = arg;

	q->is_working = false;
	if (!is_cancelled)
		schedule_step(q, 0);
}

/* Hand the run's file work to the pool, or try again shortly. */
static void
submit_work(struct job_queue *q)
{
	if (pool_submit(q->pool, work_cb, work_done_cb, q) != 0) {
		q->has_work = true;
		schedule_step(q, RETRY_MS);
		return;
	}
	q->has_work = false;
	q->is_working = true;
}

static long long
elapsed_ns(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (long long)(now.tv_sec - since->tv_sec) * 1000000000LL +
	       (now.tv_nsec - since->tv_nsec);
}

/* Steps of the first run for a short budget, or until it has file work. */
static void
step_cb(evutil_socket_t fd, short what, void *arg)
{
	struct job_queue *q = arg;
	struct timespec start;
	enum job_next next = JOB_AGAIN;

	(void)fd;
	(void)what;
	if (q->head == NULL || q->is_working || q->is_waiting)
		return;
	if (q->has_work) {
		submit_work(q);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	while (next == JOB_AGAIN && elapsed_ns(&start) < STEP_BUDGET_NS)
		next = q->ops->step(q->head->run);
	if (next == JOB_WORK) {
		submit_work(q);
		return;
	}
	if (next == JOB_WAIT) {
		q->is_waiting = true;
		return;
	}
	if (next == JOB_DONE)
		finish(q);
	if (q->head != NULL)
		schedule_step(q, 0);
}
