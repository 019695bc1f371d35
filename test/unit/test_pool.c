/*
 * Unit tests for server/pool.c: jobs run on worker threads, completions on
 * the loop's thread, the queue is bounded, and freeing the pool cancels
 * what has not started and waits for what has.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/event.h>

#include "server/pool.h"

#define N_JOBS 200
#define LOOP_TURNS_MAX 100000 /* bounds every wait on the loop */

/* A gate a job waits on until the test opens it. */
struct gate {
	pthread_mutex_t mtx;
	pthread_cond_t cond;
	bool is_open;
	bool has_entered; /* a job is waiting at it */
};

struct job {
	struct gate *gate; /* NULL: do not wait */
	pthread_t loop_thread;
	bool is_run;
	bool was_off_loop;
	bool is_done;
	bool is_cancelled;
	bool was_done_on_loop;
	size_t *n_done;
	size_t order; /* *n_done when done ran */
};

static void
gate_init(struct gate *g)
{
	pthread_mutex_init(&g->mtx, NULL);
	pthread_cond_init(&g->cond, NULL);
	g->is_open = g->has_entered = false;
}

static void
gate_open(struct gate *g)
{
	pthread_mutex_lock(&g->mtx);
	g->is_open = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->mtx);
}

/* Wait until a job has reached the gate. */
static void
gate_wait_entered(struct gate *g)
{
	pthread_mutex_lock(&g->mtx);
	while (!g->has_entered)
		pthread_cond_wait(&g->cond, &g->mtx);
	pthread_mutex_unlock(&g->mtx);
}

static void
gate_release(struct gate *g)
{
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->mtx);
}

static void
work(void *arg)
{
	struct job *j = arg;

	j->is_run = true;
	j->was_off_loop = !pthread_equal(pthread_self(), j->loop_thread);
	if (j->gate == NULL)
		return;
	pthread_mutex_lock(&j->gate->mtx);
	j->gate->has_entered = true;
	pthread_cond_broadcast(&j->gate->cond);
	while (!j->gate->is_open)
		pthread_cond_wait(&j->gate->cond, &j->gate->mtx);
	pthread_mutex_unlock(&j->gate->mtx);
}

static void
done(void *arg, bool is_cancelled)
{
	struct job *j = arg;

	j->is_done = true;
	j->is_cancelled = is_cancelled;
	j->was_done_on_loop = pthread_equal(pthread_self(), j->loop_thread);
	j->order = (*j->n_done)++;
}

static void
job_init(struct job *j, struct gate *g, size_t *n_done)
{
	memset(j, 0, sizeof *j);
	j->gate = g;
	j->loop_thread = pthread_self();
	j->n_done = n_done;
}

/* Turn the loop until n completions ran (bounded). */
static void
loop_until(struct event_base *base, const size_t *n_done, size_t n)
{
	int turns;

	for (turns = 0; *n_done < n && turns < LOOP_TURNS_MAX; turns++)
		event_base_loop(base, EVLOOP_ONCE);
	assert_int_equal(*n_done, n);
}

static void
test_pool_runs_jobs_off_loop_and_completes_on_loop(void **state)
{
	struct event_base *base;
	struct pool *p;
	struct job *jobs;
	char *cause = NULL;
	size_t i, n_done = 0;

	(void)state;
	base = event_base_new();
	p = pool_new(base, 2, N_JOBS, &cause);
	assert_non_null(p);
	jobs = calloc(N_JOBS, sizeof *jobs);
	for (i = 0; i < N_JOBS; i++) {
		job_init(&jobs[i], NULL, &n_done);
		assert_int_equal(pool_submit(p, work, done, &jobs[i]), 0);
	}
	loop_until(base, &n_done, N_JOBS);
	assert_int_equal(pool_busy(p), 0);
	for (i = 0; i < N_JOBS; i++) {
		assert_true(jobs[i].is_run);
		assert_true(jobs[i].was_off_loop);
		assert_true(jobs[i].is_done);
		assert_false(jobs[i].is_cancelled);
		assert_true(jobs[i].was_done_on_loop);
	}
	pool_free(p);
	free(jobs);
	event_base_free(base);
}

static void
test_pool_one_worker_completes_in_order(void **state)
{
	struct event_base *base;
	struct pool *p;
	struct job jobs[16];
	char *cause = NULL;
	size_t i, n_done = 0;

	(void)state;
	base = event_base_new();
	p = pool_new(base, 1, 16, &cause);
	assert_non_null(p);
	for (i = 0; i < 16; i++) {
		job_init(&jobs[i], NULL, &n_done);
		assert_int_equal(pool_submit(p, work, done, &jobs[i]), 0);
	}
	loop_until(base, &n_done, 16);
	for (i = 0; i < 16; i++)
		assert_int_equal(jobs[i].order, i);
	pool_free(p);
	event_base_free(base);
}

static void
test_pool_refuses_past_queue_max(void **state)
{
	struct event_base *base;
	struct pool *p;
	struct gate g;
	struct job busy, queued[2], refused;
	char *cause = NULL;
	size_t n_done = 0;

	(void)state;
	base = event_base_new();
	gate_init(&g);
	p = pool_new(base, 1, 2, &cause);
	assert_non_null(p);
	job_init(&busy, &g, &n_done);
	assert_int_equal(pool_submit(p, work, done, &busy), 0);
	gate_wait_entered(&g);
	job_init(&queued[0], NULL, &n_done);
	job_init(&queued[1], NULL, &n_done);
	job_init(&refused, NULL, &n_done);
	assert_int_equal(pool_submit(p, work, done, &queued[0]), 0);
	assert_int_equal(pool_submit(p, work, done, &queued[1]), 0);
	assert_int_equal(pool_submit(p, work, done, &refused), -1);
	assert_int_equal(pool_busy(p), 3);
	gate_open(&g);
	loop_until(base, &n_done, 3);
	assert_false(refused.is_run);
	assert_false(refused.is_done);
	/* Room again once the queue has drained. */
	assert_int_equal(pool_submit(p, work, done, &refused), 0);
	loop_until(base, &n_done, 4);
	pool_free(p);
	gate_release(&g);
	event_base_free(base);
}

static void
test_pool_free_runs_or_cancels_every_job(void **state)
{
	struct event_base *base;
	struct pool *p;
	struct gate g;
	struct job running, queued[3];
	char *cause = NULL;
	size_t i, n_done = 0;

	(void)state;
	base = event_base_new();
	gate_init(&g);
	p = pool_new(base, 1, 8, &cause);
	assert_non_null(p);
	job_init(&running, &g, &n_done);
	assert_int_equal(pool_submit(p, work, done, &running), 0);
	gate_wait_entered(&g);
	for (i = 0; i < 3; i++) {
		job_init(&queued[i], NULL, &n_done);
		assert_int_equal(pool_submit(p, work, done, &queued[i]), 0);
	}
	/*
	 * The gate opens before pool_free begins, so the worker may start a
	 * queued job first; whatever had not started is cancelled, and every
	 * job's done runs once, on this thread.
	 */
	gate_open(&g);
	pool_free(p);
	assert_int_equal(n_done, 4);
	assert_true(running.is_run);
	assert_false(running.is_cancelled);
	for (i = 0; i < 3; i++) {
		assert_true(queued[i].is_done);
		assert_true(queued[i].is_run != queued[i].is_cancelled);
		assert_true(queued[i].was_done_on_loop);
	}
	gate_release(&g);
	event_base_free(base);
}

static void
test_pool_free_idle_and_null(void **state)
{
	struct event_base *base;
	struct pool *p;
	char *cause = NULL;

	(void)state;
	base = event_base_new();
	p = pool_new(base, 2, 4, &cause);
	assert_non_null(p);
	pool_free(p);
	pool_free(NULL);
	event_base_free(base);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        test_pool_runs_jobs_off_loop_and_completes_on_loop),
	    cmocka_unit_test(test_pool_one_worker_completes_in_order),
	    cmocka_unit_test(test_pool_refuses_past_queue_max),
	    cmocka_unit_test(test_pool_free_runs_or_cancels_every_job),
	    cmocka_unit_test(test_pool_free_idle_and_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
