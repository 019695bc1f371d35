/*
 * Background runs (lifecycle, garbage collection): a FIFO queue of runs,
 * each with the HTTP request waiting for its answer or none (the
 * scheduler's own). The first run is stepped on a zero timer below the
 * connections' priority, for a short budget per loop turn, so requests
 * are answered all through a long run; its slow file work, if any, goes
 * to the worker pool (pool.h). Each kind of run says only what a step is
 * and how its end is answered or logged.
 */
#ifndef ECRD_SERVER_JOBS_H
#define ECRD_SERVER_JOBS_H

#include <stdbool.h>

struct event_base;
struct http_request;
struct job_queue;
struct pool;

enum job_next {
	JOB_AGAIN, /* step again */
	JOB_WORK,  /* run ops->work in the pool, then step */
	JOB_WAIT,  /* step again once the run calls job_queue_resume */
	JOB_DONE,  /* finish */
};

struct job_ops {
	enum job_next (*step)(void *run);
	/* Off the loop, on a worker; NULL if step never asks for it. */
	void (*work)(void *run);
	/*
	 * The run is done and off the queue: answer req, or log when req
	 * is NULL. ctx is job_queue_new's. The run is freed after.
	 */
	void (*finish)(void *ctx, void *run, struct http_request *);
	void (*free)(void *run);
};

/* pool may be NULL when no run of this kind has file work. */
struct job_queue *job_queue_new(struct event_base *, struct pool *,
    const struct job_ops *, void *ctx);
/* Queue a run (the queue owns it from now); req may be NULL. */
void job_queue_push(struct job_queue *, void *run, struct http_request *);
bool job_queue_is_empty(const struct job_queue *);
/* After JOB_WAIT: the first run may step again (on the loop's thread). */
void job_queue_resume(struct job_queue *);
/*
 * Drop every run without answering; their requests go with the HTTP
 * server. After pool_free, so no file work is still running on a run.
 * NULL is ignored.
 */
void job_queue_free(struct job_queue *);

#endif
