/*
 * Lifecycle policies on a schedule and on demand (docs/ecr-behaviour.md 3.6):
 * runs queue here and advance one bounded step per event-loop turn, at the
 * lowest priority, so requests keep being answered during a run. Also the
 * emulator's clock: POST /_ecrd/clock moves the time requests see, so
 * age-based rules can be tested without waiting days.
 */
#include "server/server.h"

#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "api/api.h"
#include "common/json.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "server/http.h"
#include "server/jobs.h"

#define QUERY_VALUE_MAX 512
#define JSON_TYPE "application/json"

struct lc_sched {
	struct server *srv;
	struct job_queue *runs; /* of struct core_lifecycle_run */
	unsigned interval_sec;  /* 0: no schedule */
	unsigned ticks;
	bool is_scheduled; /* a scheduled run queued */
	char account[13];
	char region[33];
};

static enum job_next
lc_step(void *run)
{
	return core_lifecycle_run_step(run) ? JOB_AGAIN : JOB_DONE;
}

/* Answer or log a run. */
static void
lc_finish(void *ctx, void *run, struct http_request *req)
{
	struct lc_sched *lc = ctx;
	struct answer a;
	const char *error_type;
	char *body;
	size_t len, n_repos, n_expired, n_transitioned;
	int status;

	core_lifecycle_run_counts(run, &n_repos, &n_expired, &n_transitioned);
	api_call_render(core_lifecycle_run_result(run), &status, &error_type,
	    &body, &len);
	metrics_lifecycle(lc->srv->metrics, status == 200, n_expired,
	    n_transitioned);
	if (req == NULL) {
		lc->is_scheduled = false;
		if (status != 200)
			log_warn("lifecycle run failed: %s", body);
		else if (n_expired + n_transitioned != 0)
			log_info("lifecycle: %zu repositories, %zu images "
			         "expired, %zu archived",
			    n_repos, n_expired, n_transitioned);
	} else {
		answer_init(&a, status,
		    error_type != NULL ? ANSWER_JSON_11 : JSON_TYPE);
		answer_ecr_rendered(req, &a, error_type, body, len);
	}
	free(body);
}

static void
lc_free(void *run)
{
	core_lifecycle_run_free(run);
}

/* No file work: a run is store transactions only. */
static const struct job_ops lc_ops = {
    .step = lc_step,
    .finish = lc_finish,
    .free = lc_free,
};

struct lc_sched *
lc_sched_new(struct server *srv, unsigned interval_sec, const char *account,
    const char *region)
{
	struct lc_sched *lc;

	lc = xcalloc(1, sizeof *lc);
	lc->srv = srv;
	lc->interval_sec = interval_sec;
	str_copy(lc->account, sizeof lc->account, account);
	str_copy(lc->region, sizeof lc->region, region);
	lc->runs = job_queue_new(srv->base, NULL, &lc_ops, lc);
	return lc;
}

/* Drop every run; their requests go with the HTTP server. */
void
lc_sched_free(struct lc_sched *lc)
{
	if (lc == NULL)
		return;
	job_queue_free(lc->runs);
	free(lc);
}

/* Each second (housekeeping): every interval, run every policy. */
void
lc_sched_tick(struct lc_sched *lc)
{
	if (lc->interval_sec == 0 || ++lc->ticks < lc->interval_sec)
		return;
	lc->ticks = 0;
	if (lc->is_scheduled)
		return;
	lc->is_scheduled = true;
	job_queue_push(lc->runs,
	    core_lifecycle_run_new(lc->srv->api, "lifecycle", NULL, NULL, NULL,
	        core_now_ms(lc->srv->api)),
	    NULL);
}

/*
 * POST /_ecrd/lifecycle/run[?repositoryName=N&registryId=ID&region=R]:
 * run now and answer {"expired":n,"transitioned":m} when done. A name runs
 * that repository (of the default account and region unless given); a
 * registry or region alone runs that partition; nothing runs them all.
 */
void
lc_sched_on_run(struct server *srv, struct http_request *req)
{
	struct lc_sched *lc = srv->lc_sched;
	struct route_state *st = req->app_data;
	char nbuf[QUERY_VALUE_MAX];
	char rbuf[REQUEST_ACCOUNT_SIZE];
	char gbuf[REQUEST_REGION_SIZE];
	const char *name, *registry, *region;
	int has_name, has_registry, has_region;

	if ((has_name = request_param(req, "repositoryName", nbuf,
	         sizeof nbuf)) < 0 ||
	    (has_registry = request_param_account(req, "registryId", rbuf)) <
	        0 ||
	    (has_region = request_param_region(req, "region", gbuf)) < 0)
		return;
	name = has_name ? nbuf : NULL;
	registry = has_registry ? rbuf : NULL;
	region = has_region ? gbuf : NULL;
	if (name != NULL || registry != NULL || region != NULL) {
		registry = registry != NULL ? registry : lc->account;
		region = region != NULL ? region : lc->region;
	}
	snprintf(st->op, sizeof st->op, "LifecycleRun");
	/* Writes acknowledged before this request count. */
	writes_flush_now(srv);
	job_queue_push(lc->runs,
	    core_lifecycle_run_new(srv->api, st->request_id, registry, region,
	        name, core_now_ms(srv->api)),
	    req);
}

/*
 * POST /_ecrd/clock?advance_seconds=N: move the clock every request reads
 * (core_now_ms) N seconds ahead; answers the offset and the time now. The
 * offset stays within what --clock-offset accepts.
 */
void
lc_sched_on_clock(struct server *srv, struct http_request *req)
{
	struct json_object *o;
	int64_t n, max;

	max = core_clock_advance_max(srv->api);
	if (max > REQUEST_SECONDS_MAX)
		max = REQUEST_SECONDS_MAX;
	if (request_param_num_required(req, "advance_seconds", 0, max, &n) < 0)
		return;
	(void)core_clock_advance(srv->api, n); /* n is at most max */
	o = jnew_obj();
	jadd_i64(o, "offsetSeconds", core_clock_offset_sec(srv->api));
	jadd_epoch(o, "now", core_now_ms(srv->api));
	answer_json(req, 200, o);
}
