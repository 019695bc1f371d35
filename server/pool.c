/*
 * The worker pool (pool.h). A mutex guards the queue of jobs to run and the
 * list of jobs run; a worker that finishes one writes to an eventfd, whose
 * read event on the loop runs the completions. The workers run at a lower
 * priority than the loop, since they share the cores with clients and the
 * loop must answer first.
 */
/* SCHED_BATCH and syscall(SYS_gettid) are Linux interfaces. */
#define _GNU_SOURCE

#include "server/pool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <event2/event.h>

#include "common/xalloc.h"

#define WORKER_NICE 10 /* below the loop's 0 */

struct pool_job {
	pool_work_fn work;
	pool_done_fn done;
	void *arg;
	struct pool_job *next;
};

/* A list of jobs, first in first out. */
struct pool_list {
	struct pool_job *head, *tail;
	size_t n;
};

struct pool {
	pthread_mutex_t mtx;
	pthread_cond_t cond;       /* a job queued, or stopping */
	struct pool_list queued;   /* under mtx */
	struct pool_list finished; /* under mtx */
	bool is_stopping;          /* under mtx */
	size_t queue_max;
	size_t n_busy; /* the loop's: submitted, done not run */
	int efd;
	struct event *ev;
	pthread_t *threads;
	unsigned n_threads;
};

static void
list_push(struct pool_list *l, struct pool_job *job)
{
	job->next = NULL;
	if (l->tail != NULL)
		l->tail->next = job;
	else
		l->head = job;
	l->tail = job;
	l->n++;
}

static struct pool_job *
list_pop(struct pool_list *l)
{
	struct pool_job *job;

	if ((job = l->head) == NULL)
		return NULL;
	if ((l->head = job->next) == NULL)
		l->tail = NULL;
	l->n--;
	return job;
}

/* Take the whole list, leaving it empty. */
static struct pool_list
list_take(struct pool_list *l)
{
	struct pool_list taken = *l;

	memset(l, 0, sizeof *l);
	return taken;
}

/*
 * Batch scheduling and a higher nice value for this thread only (Linux
 * applies both per thread). Failing either is harmless: the work is the
 * same, only less polite.
 */
static void
lower_priority(void)
{
	struct sched_param sp;

	memset(&sp, 0, sizeof sp);
	(void)pthread_setschedparam(pthread_self(), SCHED_BATCH, &sp);
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), WORKER_NICE);
}

static void *
worker_main(void *arg)
{
	struct pool *p = arg;
	struct pool_job *job;
	uint64_t one = 1;

	lower_priority();
	pthread_mutex_lock(&p->mtx);
	for (;;) {
		while (!p->is_stopping && p->queued.head == NULL)
			pthread_cond_wait(&p->cond, &p->mtx);
		if (p->is_stopping)
			break;
		job = list_pop(&p->queued);
		pthread_mutex_unlock(&p->mtx);
		job->work(job->arg);
		pthread_mutex_lock(&p->mtx);
		list_push(&p->finished, job);
		pthread_mutex_unlock(&p->mtx);
		/*
		 * Wake the loop outside the lock: a low-priority worker
		 * preempted while holding it would stall the loop (issue 12).
		 * A full counter (never, in practice) wakes the loop anyway.
		 */
		while (write(p->efd, &one, sizeof one) == -1 && errno == EINTR)
			continue;
		pthread_mutex_lock(&p->mtx);
	}
	pthread_mutex_unlock(&p->mtx);
	return NULL;
}

/* Run the completions of a list taken from the pool. */
static void
run_done(struct pool *p, struct pool_list *l, bool is_cancelled)
{
	struct pool_job *job;

	while ((job = list_pop(l)) != NULL) {
		p->n_busy--;
		job->done(job->arg, is_cancelled);
		free(job);
	}
}

static void
finished_cb(evutil_socket_t fd, short what, void *arg)
{
	struct pool *p = arg;
	struct pool_list l;
	uint64_t n;

	(void)what;
	/* Resets the counter; the lists say what finished. */
	if (read(fd, &n, sizeof n) == -1)
		n = 0;
	/*
	 * The loop never waits for a worker: one that holds the lock (it may
	 * be preempted there, at its lower priority) is left to finish, and
	 * this runs again on the loop's next turn.
	 */
	if (pthread_mutex_trylock(&p->mtx) != 0) {
		event_active(p->ev, EV_READ, 0);
		return;
	}
	l = list_take(&p->finished);
	pthread_mutex_unlock(&p->mtx);
	run_done(p, &l, false);
}

/* Start n threads with every signal blocked: the loop handles them. */
static int
start_threads(struct pool *p, unsigned n, char **cause)
{
	sigset_t all, old;
	int e = 0;

	p->threads = xcalloc(n, sizeof *p->threads);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (; p->n_threads < n; p->n_threads++) {
		if ((e = pthread_create(&p->threads[p->n_threads], NULL,
		         worker_main, p)) != 0)
			break;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0)
		*cause =
		    xasprintf("cannot start a worker thread: %s", strerror(e));
	return e != 0 ? -1 : 0;
}

struct pool *
pool_new(struct event_base *base, unsigned n_threads, size_t queue_max,
    char **cause)
{
	struct pool *p;

	p = xcalloc(1, sizeof *p);
	pthread_mutex_init(&p->mtx, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->queue_max = queue_max;
	if ((p->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1) {
		*cause = xasprintf("eventfd: %s", strerror(errno));
		goto fail;
	}
	p->ev = event_new(base, p->efd, EV_READ | EV_PERSIST, finished_cb, p);
	if (p->ev == NULL || event_add(p->ev, NULL) != 0) {
		*cause = xasprintf("cannot watch the worker pool's eventfd");
		goto fail;
	}
	if (start_threads(p, n_threads, cause) != 0)
		goto fail;
	return p;
fail:
	pool_free(p);
	return NULL;
}

int
pool_submit(struct pool *p, pool_work_fn work, pool_done_fn done, void *arg)
{
	struct pool_job *job;
	int rc = -1;

	job = xmalloc(sizeof *job);
	job->work = work;
	job->done = done;
	job->arg = arg;
	pthread_mutex_lock(&p->mtx);
	if (!p->is_stopping && p->queued.n < p->queue_max) {
		list_push(&p->queued, job);
		pthread_cond_signal(&p->cond);
		p->n_busy++;
		rc = 0;
	}
	pthread_mutex_unlock(&p->mtx);
	if (rc != 0)
		free(job);
	return rc;
}

size_t
pool_busy(const struct pool *p)
{
	return p->n_busy;
}

void
pool_free(struct pool *p)
{
	struct pool_list cancelled, finished;
	unsigned i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mtx);
	p->is_stopping = true;
	cancelled = list_take(&p->queued);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->mtx);
	for (i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	/* No worker is left: the lists are ours. */
	finished = list_take(&p->finished);
	run_done(p, &finished, false);
	run_done(p, &cancelled, true);
	if (p->ev != NULL)
		event_free(p->ev);
	if (p->efd != -1)
		close(p->efd);
	pthread_cond_destroy(&p->cond);
	pthread_mutex_destroy(&p->mtx);
	free(p->threads);
	free(p);
}
