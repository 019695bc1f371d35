/*
 * The write queue: write calls wait for the next group commit, which runs
 * them as one batch and then answers each.
 */
#include "server/server.h"

#include <stdlib.h>

#include <event2/event.h>

#include "api/api.h"
#include "common/xalloc.h"

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

void
writes_flush(struct server *srv)
{
	struct pending_write *batch = srv->pending;
	struct call **calls;
	size_t i, n = srv->n_pending;

	if (n == 0)
		return;
	/* Answering resumes pipelines, which may queue the next batch. */
	srv->pending = NULL;
	srv->n_pending = 0;
	srv->pending_size = 0;
	calls = xreallocarray(NULL, n, sizeof *calls);
	for (i = 0; i < n; i++)
		calls[i] = batch[i].call;
	call_batch_run(srv->api, calls, n);
	free(calls);
	/* A deleted repository's records go in slices after the answer. */
	if (core_reap_take_due(srv->api))
		gc_sched_reap(srv->gc_sched);
	/* Pushes a replication configuration covers: copies after. */
	if (core_repl_take_due(srv->api))
		repl_sched_kick(srv->repl_sched);
	/* Scans the batch queued run off the request path. */
	scan_sched_kick(srv->scan_sched);
	for (i = 0; i < n; i++)
		batch[i].respond(batch[i].req, batch[i].call);
	free(batch);
}
