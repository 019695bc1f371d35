/*
 * Unit tests for server/jobs.c: runs finish one at a time in the order
 * queued, each with its request; a run's file work goes to the pool and
 * its steps resume after it; freeing the queue drops the runs left
 * without finishing them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>
#include <stdlib.h>

#include <cmocka.h>
#include <event2/event.h>

#include "server/jobs.h"
#include "server/pool.h"

#define N_RUNS 5
#define LOOP_TURNS_MAX 100000 /* bounds every wait on the loop */

struct log {
	size_t n_finished;
	size_t n_freed;
	int order[N_RUNS];
	const void *reqs[N_RUNS];
};

struct run {
	int id;
	int n_steps;     /* left before done */
	bool wants_work; /* once, halfway */
	bool did_work;
	struct log *log;
};

static enum job_next
run_step(void *arg)
{
	struct run *r = arg;

	if (r->wants_work && !r->did_work && r->n_steps == 1)
		return JOB_WORK;
	if (r->n_steps-- > 0)
		return JOB_AGAIN;
	return JOB_DONE;
}

static void
run_work(void *arg)
{
	struct run *r = arg;

	r->did_work = true;
}

static void
run_finish(void *ctx, void *arg, struct http_request *req)
{
	struct log *log = ctx;
	struct run *r = arg;

	assert_ptr_equal(r->log, log);
	assert_true(log->n_finished < N_RUNS);
	assert_int_equal(r->n_steps, -1);
	assert_true(!r->wants_work || r->did_work);
	log->order[log->n_finished] = r->id;
	log->reqs[log->n_finished++] = req;
}

static void
run_free(void *arg)
{
	struct run *r = arg;

	r->log->n_freed++;
	free(r);
}

static const struct job_ops ops = {
    .step = run_step,
    .work = run_work,
    .finish = run_finish,
    .free = run_free,
};

static struct run *
run_new(struct log *log, int id, int n_steps, bool wants_work)
{
	struct run *r;

	r = calloc(1, sizeof *r);
	assert_non_null(r);
	r->id = id;
	r->n_steps = n_steps;
	r->wants_work = wants_work;
	r->log = log;
	return r;
}

static struct event_base *
base_new(void)
{
	struct event_base *base;

	base = event_base_new();
	assert_non_null(base);
	assert_int_equal(event_base_priority_init(base, 3), 0);
	return base;
}

static void
test_jobs_finish_in_order_with_their_requests(void **state)
{
	struct event_base *base;
	struct pool *pool;
	struct job_queue *q;
	struct log log = {0};
	char *cause = NULL;
	char reqs[N_RUNS];
	int i, turns;

	(void)state;
	base = base_new();
	pool = pool_new(base, 2, 4, &cause);
	assert_non_null(pool);
	q = job_queue_new(base, pool, &ops, &log);
	assert_true(job_queue_is_empty(q));
	for (i = 0; i < N_RUNS; i++)
		job_queue_push(q, run_new(&log, i, 3 * i, i % 2 == 1),
		    i == 0 ? NULL : (struct http_request *)&reqs[i]);
	assert_false(job_queue_is_empty(q));
	for (turns = 0; !job_queue_is_empty(q) && turns < LOOP_TURNS_MAX;
	     turns++)
		event_base_loop(base, EVLOOP_ONCE);
	assert_true(job_queue_is_empty(q));
	assert_int_equal(log.n_finished, N_RUNS);
	assert_int_equal(log.n_freed, N_RUNS);
	for (i = 0; i < N_RUNS; i++) {
		assert_int_equal(log.order[i], i);
		assert_ptr_equal(log.reqs[i], i == 0 ? NULL : &reqs[i]);
	}
	pool_free(pool);
	job_queue_free(q);
	event_base_free(base);
}

static void
test_jobs_free_drops_runs_unfinished(void **state)
{
	struct event_base *base;
	struct job_queue *q;
	struct log log = {0};
	int i;

	(void)state;
	base = base_new();
	/* No pool: these runs have no file work. */
	q = job_queue_new(base, NULL, &ops, &log);
	for (i = 0; i < N_RUNS; i++)
		job_queue_push(q, run_new(&log, i, 1, false), NULL);
	job_queue_free(q);
	assert_int_equal(log.n_finished, 0);
	assert_int_equal(log.n_freed, N_RUNS);
	job_queue_free(NULL);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_jobs_finish_in_order_with_their_requests),
	    cmocka_unit_test(test_jobs_free_drops_runs_unfinished),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
