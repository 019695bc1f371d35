/*
 * Image scans in the background (issue 15): runs of core's scan queue,
 * one at a time on the jobs queue, their layer reading and matching in
 * the worker pool; the feed (--vuln-db) indexed again on SIGHUP in the
 * pool, after which CONTINUOUS_SCAN inventories are matched again; and
 * the scan test hooks (POST /_ecrd/scan-findings, moto's POST
 * /moto-api/static/ecr/scan-finding-results).
 */
#include "server/server.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/api.h"
#include "common/json.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "server/http.h"
#include "server/jobs.h"
#include "server/pool.h"
#include "store/store.h"

struct scan_sched {
	struct server *srv;
	struct job_queue *runs;  /* of struct core_scan_run */
	const char *feed_dir;    /* --vuln-db, or NULL */
	bool has_queue_run;      /* a run of the queue is queued */
	bool is_indexing;        /* the feed is being indexed */
	bool is_again;           /* a SIGHUP came meanwhile: index again */
	struct core_feed *fresh; /* the index's result */
	char *cause;             /* or why it failed */
};

static enum job_next
scan_step(void *run)
{
	switch (core_scan_step(run)) {
	case CORE_SCAN_WORK:
		return JOB_WORK;
	case CORE_SCAN_AGAIN:
		return JOB_AGAIN;
	default:
		return JOB_DONE;
	}
}

static void
scan_work(void *run)
{
	core_scan_work(run);
}

/* Runs are the server's own: log them. */
static void
scan_finish(void *ctx, void *run, struct http_request *req)
{
	struct scan_sched *ss = ctx;
	size_t n = 0;
	int rc;

	(void)req;
	core_scan_run_result(run, &n, &rc);
	metrics_job(ss->srv->metrics, "scan", rc == 0, "images_done", n);
	if (rc != 0)
		log_warn("image scans: %s", store_strerror(rc));
	else if (n != 0)
		log_info("image scans: %zu images done", n);
	/* The queue run is the first one queued; a re-match has none. */
	if (ss->has_queue_run && job_queue_is_empty(ss->runs))
		ss->has_queue_run = false;
}

static void
scan_free(void *run)
{
	core_scan_run_free(run);
}

static const struct job_ops scan_ops = {
    .step = scan_step,
    .work = scan_work,
    .finish = scan_finish,
    .free = scan_free,
};

/* A run of the queue, unless one is queued already. */
static void
push_queue_run(struct scan_sched *ss)
{
	if (ss->has_queue_run)
		return;
	ss->has_queue_run = true;
	job_queue_push(ss->runs, core_scan_run_new(ss->srv->api, false), NULL);
}

/*
 * After pool_new. A run starts at once: scans queued by a server that
 * stopped before it ran them.
 */
struct scan_sched *
scan_sched_new(struct server *srv, const char *feed_dir)
{
	struct scan_sched *ss;

	ss = xcalloc(1, sizeof *ss);
	ss->srv = srv;
	ss->feed_dir = feed_dir;
	ss->runs = job_queue_new(srv->base, srv->pool, &scan_ops, ss);
	push_queue_run(ss);
	return ss;
}

void
scan_sched_free(struct scan_sched *ss)
{
	if (ss == NULL)
		return;
	job_queue_free(ss->runs);
	core_feed_free(ss->fresh);
	free(ss->cause);
	free(ss);
}

void
scan_sched_kick(struct scan_sched *ss)
{
	if (ss != NULL && core_scan_take_due(ss->srv->api))
		push_queue_run(ss);
}

static void
index_work(void *arg)
{
	struct scan_sched *ss = arg;

	if (core_feed_open(ss->feed_dir, &ss->fresh, &ss->cause) != 0)
		ss->fresh = NULL;
}

/* The new index replaces the old; CONTINUOUS_SCAN inventories follow. */
static void
index_done(void *arg, bool is_cancelled)
{
	struct scan_sched *ss = arg;

	ss->is_indexing = false;
	if (ss->is_again && !is_cancelled) {
		/* The files may have changed after this index read them. */
		ss->is_again = false;
		core_feed_free(ss->fresh);
		ss->fresh = NULL;
		free(ss->cause);
		ss->cause = NULL;
		scan_sched_reload(ss);
		return;
	}
	if (ss->fresh == NULL) {
		log_error("SIGHUP: keeping the old vulnerability feed: %s",
		    ss->cause != NULL ? ss->cause : "cancelled");
		free(ss->cause);
		ss->cause = NULL;
		return;
	}
	if (is_cancelled)
		return;
	core_ctx_set_feed(ss->srv->api, ss->fresh);
	ss->fresh = NULL;
	log_info("SIGHUP: vulnerability feed reindexed from %s", ss->feed_dir);
	job_queue_push(ss->runs, core_scan_run_new(ss->srv->api, true), NULL);
}

void
scan_sched_reload(struct scan_sched *ss)
{
	if (ss == NULL || ss->feed_dir == NULL)
		return;
	if (ss->is_indexing) {
		ss->is_again = true;
		return;
	}
	if (pool_submit(ss->srv->pool, index_work, index_done, ss) != 0) {
		log_error("SIGHUP: the worker pool is full; the vulnerability "
		          "feed was not reindexed");
		return;
	}
	ss->is_indexing = true;
}

/* Answer the call a hook ran, as the JSON API would. */
static void
answer_call(struct http_request *req, struct call *call)
{
	struct answer a;
	const char *error_type;
	char *body;
	size_t len;
	int status;

	api_call_render(call, &status, &error_type, &body, &len);
	answer_init(&a, status, ANSWER_JSON_11);
	a.owned_body = body;
	answer_ecr_rendered(req, &a, error_type, body, len);
	call_free(call);
}

/* The body as a JSON object, or NULL after answering 400. */
static struct json_object *
body_object(struct http_request *req)
{
	struct json_object *o = NULL;
	char *cause = NULL;

	if (jparse_strict(req->body.data, req->body.len, &o, &cause) != 0) {
		answer_aws_error(req, NULL, 400, ERR_SERIALIZATION,
		    cause != NULL ? cause : "Invalid JSON");
		free(cause);
		return NULL;
	}
	return o;
}

/*
 * POST /_ecrd/scan-findings[?account=ID&region=R]: one result, shaped as
 * DescribeImageScanFindings answers (api_scan_result_post).
 */
void
scan_sched_on_findings(struct server *srv, struct http_request *req)
{
	struct route_state *st = req->app_data;
	struct json_object *body;
	char acct[REQUEST_ACCOUNT_SIZE], rgn[REQUEST_REGION_SIZE];

	if (request_param_registry(req, srv->default_account,
	        srv->default_region, acct, rgn) < 0)
		return;
	if ((body = body_object(req)) == NULL)
		return;
	/* Writes acknowledged before, and scans they queued, land first. */
	writes_flush(srv);
	answer_call(req,
	    api_scan_result_post(srv->api, st->request_id, acct, rgn, body));
	json_object_put(body);
}

/*
 * moto's POST /moto-api/static/ecr/scan-finding-results: {"results":
 * [...], "region"?, "account_id"?}; each result as above, in order, until
 * one fails; 201 when all are set.
 */
void
scan_sched_on_moto(struct server *srv, struct http_request *req)
{
	struct route_state *st = req->app_data;
	struct json_object *body, *results;
	struct answer a;
	const char *acct, *rgn, *error_type;
	struct call *call;
	char *text;
	size_t i, n, len;
	int status;

	if ((body = body_object(req)) == NULL)
		return;
	acct = jget_str(body, "account_id");
	rgn = jget_str(body, "region");
	if (acct == NULL || !core_is_account_id(acct))
		acct = srv->default_account;
	if (rgn == NULL || !core_is_region(rgn))
		rgn = srv->default_region;
	results = jget(body, "results", json_type_array);
	n = results != NULL ? json_object_array_length(results) : 0;
	writes_flush(srv);
	for (i = 0; i < n; i++) {
		call = api_scan_result_post(srv->api, st->request_id, acct, rgn,
		    json_object_array_get_idx(results, i));
		api_call_render(call, &status, &error_type, &text, &len);
		free(text);
		if (status != 200) {
			/* The failing result's error; those before it stay. */
			answer_call(req, call);
			json_object_put(body);
			return;
		}
		call_free(call);
	}
	json_object_put(body);
	/* moto's answer: 201 and no body. */
	answer_init(&a, 201, NULL);
	answer_send(req, &a);
}
