/*
 * The write queue: write calls wait for the next group commit, which runs
 * them as one batch and then answers each.
 */
#include "server/server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "api/api.h"
#include "common/xalloc.h"
#include "server/pool.h"
#include "store/store.h"

void
writes_queue(struct server *srv, struct http_request *req, struct call *call,
    writes_responder respond_fn)
{
	if (srv->n_pending == srv->pending_size) {
		srv->pending_size =
		    srv->pending_size == 0 ? 64 : srv->pending_size * 2;
		srv->pending = xreallocarray(srv->pending, srv->pending_size,
		    sizeof *srv->pending);
	}
	srv->pending[srv->n_pending].req = req;
	srv->pending[srv->n_pending].call = call;
	srv->pending[srv->n_pending].respond = respond_fn;
	if (srv->n_pending++ == 0)
		event_active(srv->batch_ev, 0, 0);
}

/* A write call whose file work the pool does before it is queued. */
struct files_job {
	struct server *srv;
	struct http_request *req;
	struct call *call;
	writes_responder respond;
};

/*
 * --test-hold-file-work PATH (tests only): the work waits, at most a
 * minute, while PATH exists, and says so with PATH.held, so that a test
 * can act while an upload's file work is in flight.
 */
static void
hold(const char *path)
{
	struct timespec tick = {0, 10 * 1000 * 1000};
	char *held;
	int fd, i;

	held = xasprintf("%s.held", path);
	if ((fd = open(held, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) != -1)
		close(fd);
	for (i = 0; i < 6000 && access(path, F_OK) == 0; i++)
		nanosleep(&tick, NULL);
	(void)unlink(held);
	free(held);
}

static void
files_work(void *arg)
{
	struct files_job *fj = arg;

	if (fj->srv->hold_file_work != NULL)
		hold(fj->srv->hold_file_work);
	call_run_files(fj->call);
}

/*
 * The work's results are the call's own: its exec checks them, and does
 * what is missing itself. Cancelled: the server stops and commits nothing
 * more, so the call is answered as it stands (a 500).
 */
static void
files_done(void *arg, bool is_cancelled)
{
	struct files_job *fj = arg;

	if (is_cancelled) {
		call_fail_io(fj->call);
		fj->respond(fj->req, fj->call);
	} else
		writes_queue(fj->srv, fj->req, fj->call, fj->respond);
	free(fj);
}

void
writes_queue_files(struct server *srv, struct http_request *req,
    struct call *call, writes_responder respond_fn)
{
	struct files_job *fj;

	if (!call_has_files(call)) {
		writes_queue(srv, req, call, respond_fn);
		return;
	}
	fj = xmalloc(sizeof *fj);
	fj->srv = srv;
	fj->req = req;
	fj->call = call;
	fj->respond = respond_fn;
	/* A full queue: the exec does the work itself, on the loop. */
	if (pool_submit(srv->pool, files_work, files_done, fj) != 0) {
		writes_queue(srv, req, call, respond_fn);
		free(fj);
	}
}

static void
after_work(void *arg)
{
	core_after_run(arg);
}

static void
after_done(void *arg, bool is_cancelled)
{
	(void)is_cancelled;
	core_after_free(arg);
}

/* A call's file work left after its commit, to the pool. */
static void
submit_after(struct server *srv, struct call *call)
{
	struct core_after *a;

	if ((a = call_take_after(call)) == NULL)
		return;
	if (pool_submit(srv->pool, after_work, after_done, a) != 0) {
		core_after_run(a);
		core_after_free(a);
	}
}

/* A group commit under way: the writes it answers once it has ended. */
struct write_batch {
	struct server *srv;
	struct pending_write *writes;
	size_t n;
};

static void
batch_done(void *arg)
{
	struct write_batch *wb = arg;
	struct server *srv = wb->srv;
	size_t i;

	srv->is_committing = false;
	/* A deleted repository's records go in slices after the answer. */
	if (core_reap_take_due(srv->api))
		gc_sched_reap(srv->gc_sched);
	/* Pushes a replication configuration covers: copies after. */
	if (core_repl_take_due(srv->api))
		repl_sched_kick(srv->repl_sched);
	/* Scans the batch queued run off the request path. */
	scan_sched_kick(srv->scan_sched);
	for (i = 0; i < wb->n; i++) {
		submit_after(srv, wb->writes[i].call);
		wb->writes[i].respond(wb->writes[i].req, wb->writes[i].call);
	}
	free(wb->writes);
	free(wb);
	/* The writes that came meanwhile are the next batch. */
	if (srv->n_pending != 0)
		event_active(srv->batch_ev, 0, 0);
}

/* Start the next group commit: see writes_flush and writes_flush_now. */
static void
flush(struct server *srv)
{
	struct write_batch *wb;
	struct call **calls;
	size_t i, n = srv->n_pending;

	wb = xcalloc(1, sizeof *wb);
	wb->srv = srv;
	wb->writes = srv->pending;
	wb->n = n;
	/* Answering resumes pipelines, which may queue the next batch. */
	srv->pending = NULL;
	srv->n_pending = 0;
	srv->pending_size = 0;
	calls = xreallocarray(NULL, n, sizeof *calls);
	for (i = 0; i < n; i++)
		calls[i] = wb->writes[i].call;
	srv->is_committing = true;
	call_batch_run(srv->api, calls, n, batch_done, wb);
	free(calls);
}

/*
 * Start the next group commit, unless one is under way: its commit ends on
 * the store's writer thread (issue 12), and the writes queued meanwhile
 * wait for it, so that answers leave in commit order. Another commit under
 * way (a GC slice's) defers it too: its end, in committed_cb, starts this
 * batch, so that the loop never waits for it.
 */
void
writes_flush(struct server *srv)
{
	if (srv->n_pending == 0 || srv->is_committing ||
	    store_writer_is_busy(srv->store))
		return;
	flush(srv);
}

void
writes_flush_now(struct server *srv)
{
	if (srv->n_pending == 0 || srv->is_committing)
		return;
	flush(srv);
}

static void
committed_cb(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	uint64_t n;

	(void)what;
	/* Resets the counter; the writer's list says what ended. */
	if (read(fd, &n, sizeof n) == -1)
		n = 0;
	store_writer_run_done(srv->store);
	if (srv->n_pending != 0 && !srv->is_committing)
		event_active(srv->batch_ev, 0, 0);
}

/* From the writer thread: no libevent call, only the eventfd. */
static void
wake(void *arg)
{
	struct server *srv = arg;
	uint64_t one = 1;

	while (write(srv->commit_fd, &one, sizeof one) == -1 && errno == EINTR)
		continue;
}

int
writes_start(struct server *srv, char **cause)
{
	if ((srv->commit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1) {
		*cause = xasprintf("eventfd: %s", strerror(errno));
		return -1;
	}
	srv->commit_ev = event_new(srv->base, srv->commit_fd,
	    EV_READ | EV_PERSIST, committed_cb, srv);
	if (srv->commit_ev == NULL || event_add(srv->commit_ev, NULL) != 0) {
		*cause = xasprintf("cannot watch the writer's eventfd");
		return -1;
	}
	if (store_writer_start(srv->store, wake, srv) != 0) {
		*cause = xasprintf("%s", store_io_cause(srv->store));
		return -1;
	}
	return 0;
}

void
writes_stop(struct server *srv)
{
	/* The commit under way ends, and its writes are answered. */
	if (srv->store != NULL)
		store_writer_stop(srv->store);
	if (srv->commit_ev != NULL)
		event_free(srv->commit_ev);
	srv->commit_ev = NULL;
	if (srv->commit_fd != -1)
		close(srv->commit_fd);
	srv->commit_fd = -1;
}
