/*
 * The server's metrics (docs/observability.md, "Metrics"): the families
 * it declares, the hooks that count requests and background runs where
 * they happen, and GET /metrics, which refreshes the few gauges it can
 * read in O(1) each (no store scan) and renders the text.
 */
#include "server/server.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "api/api.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "server/http.h"
#include "server/metrics.h"
#include "store/store.h"

#define METRICS_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define STAT_MAX 4096

enum fam {
	F_CALLS,
	F_ERRORS,
	F_PULLS,
	F_PUSHES,
	F_REPOS,
	F_IMAGES,
	F_DURATION,
	F_PUSHED,
	F_PULLED,
	F_UPLOADS,
	F_STORE_USED,
	F_STORE_SIZE,
	F_BLOBS,
	F_BLOB_BYTES,
	F_JOB_RUNS,
	F_JOB_ITEMS,
	F_UPSTREAM,
	F_CPU,
	F_RSS,
	F_FDS,
	F_START,
	F_INFO,
	F__COUNT
};

/* Request latency buckets, seconds: a loopback call to a big pull. */
static const double latency_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01,
    0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

#define L(...)                                                                 \
	{__VA_ARGS__}, sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *)
static const struct metrics_def defs[F__COUNT] = {
    [F_CALLS] = {"ecrd_api_calls_total",
        "API calls by ECR action name, registry calls under the action ECR "
        "logs them as (AWS/Usage CallCount).",
        METRICS_COUNTER,
        L("operation", "registry_id", "region", "status_class"), -1, NULL, 0},
    [F_ERRORS] = {"ecrd_api_errors_total",
        "Failed API and registry calls by error type.", METRICS_COUNTER,
        L("operation", "error"), -1, NULL, 0},
    [F_PULLS] = {"ecrd_repository_pull_count_total",
        "Image pulls per repository: BatchGetImage and manifest GETs "
        "(AWS/ECR RepositoryPullCount).",
        METRICS_COUNTER, L("registry_id", "region", "repository"), 2, NULL, 0},
    [F_PUSHES] = {"ecrd_repository_push_count_total",
        "Image pushes per repository: PutImage and manifest PUTs (an "
        "extension: ECR has no push metric).",
        METRICS_COUNTER, L("registry_id", "region", "repository"), 2, NULL, 0},
    [F_REPOS] = {"ecrd_repositories",
        "Repositories per registry and region (AWS/Usage ResourceCount "
        "RepositoryCount).",
        METRICS_GAUGE, L("registry_id", "region"), -1, NULL, 0},
    [F_IMAGES] = {"ecrd_repository_images",
        "Images per repository (AWS/Usage ResourceCount "
        "ImagesPerRepositoryCount).",
        METRICS_GAUGE, L("registry_id", "region", "repository"), 2, NULL, 0},
    [F_DURATION] = {"ecrd_request_duration_seconds",
        "Time from a request's arrival to its answer's head, by protocol "
        "and the protocol's own operation name.",
        METRICS_HISTOGRAM, L("protocol", "operation"), -1, latency_bounds,
        sizeof latency_bounds / sizeof latency_bounds[0]},
    [F_PUSHED] = {"ecrd_blob_bytes_pushed_total",
        "Layer bytes received: registry upload bodies, UploadLayerPart "
        "request bodies (base64 JSON).",
        METRICS_COUNTER, L("protocol"), -1, NULL, 0},
    [F_PULLED] = {"ecrd_blob_bytes_pulled_total",
        "Layer bytes sent: registry blob GETs, GetDownloadUrlForLayer URLs.",
        METRICS_COUNTER, L("protocol"), -1, NULL, 0},
    [F_UPLOADS] = {"ecrd_uploads_in_progress",
        "Layer uploads started and not yet completed, cancelled or "
        "collected, since the server started.",
        METRICS_GAUGE, {NULL}, 0, -1, NULL, 0},
    [F_STORE_USED] = {"ecrd_store_used_bytes",
        "Bytes of the metadata store (LMDB map) in use.", METRICS_GAUGE, {NULL},
        0, -1, NULL, 0},
    [F_STORE_SIZE] = {"ecrd_store_map_size_bytes",
        "Size of the metadata store's map (--map-size).", METRICS_GAUGE, {NULL},
        0, -1, NULL, 0},
    [F_BLOBS] = {"ecrd_blobs",
        "Blobs in the store (layers and configs, each digest once).",
        METRICS_GAUGE, {NULL}, 0, -1, NULL, 0},
    [F_BLOB_BYTES] = {"ecrd_blob_bytes",
        "Total size of the blobs in the store, each digest once.",
        METRICS_GAUGE, {NULL}, 0, -1, NULL, 0},
    [F_JOB_RUNS] = {"ecrd_background_runs_total",
        "Background runs ended (gc, reap, lifecycle, replication, scan, "
        "signing) by result.",
        METRICS_COUNTER, L("job", "result"), -1, NULL, 0},
    [F_JOB_ITEMS] = {"ecrd_background_items_total",
        "What background runs did: blobs and uploads collected, images "
        "expired, archived, replicated, scanned.",
        METRICS_COUNTER, L("job", "item"), -1, NULL, 0},
    [F_UPSTREAM] = {"ecrd_pull_through_upstream_requests_total",
        "HTTP exchanges with pull-through upstream registries, by result.",
        METRICS_COUNTER, L("result"), -1, NULL, 0},
    [F_CPU] = {"process_cpu_seconds_total",
        "User and system CPU time spent, seconds.", METRICS_COUNTER, {NULL}, 0,
        -1, NULL, 0},
    [F_RSS] = {"process_resident_memory_bytes", "Resident memory, bytes.",
        METRICS_GAUGE, {NULL}, 0, -1, NULL, 0},
    [F_FDS] = {"process_open_fds", "Open file descriptors.", METRICS_GAUGE,
        {NULL}, 0, -1, NULL, 0},
    [F_START] = {"process_start_time_seconds",
        "Start time of the process since the epoch, seconds.", METRICS_GAUGE,
        {NULL}, 0, -1, NULL, 0},
    [F_INFO] = {"ecrd_build_info", "The running ecrd's version.", METRICS_GAUGE,
        L("version"), -1, NULL, 0},
};
#undef L

struct srv_metrics {
	struct metrics *m;
	struct server *srv;
	double start_time; /* epoch seconds */
	double uploads;    /* in progress */
};

static const char *const no_labels[1] = {""};

struct srv_metrics *
srv_metrics_new(struct server *srv, size_t max_series)
{
	struct srv_metrics *sm = xcalloc(1, sizeof *sm);
	const char *info[1] = {ECRD_VERSION};
	const char *reg[2] = {srv->default_account, srv->default_region};
	struct timespec now;
	size_t i;

	sm->m = metrics_new(max_series);
	sm->srv = srv;
	for (i = 0; i < F__COUNT; i++)
		(void)metrics_declare(sm->m, &defs[i]);
	clock_gettime(CLOCK_REALTIME, &now);
	sm->start_time = (double)now.tv_sec + (double)now.tv_nsec / 1e9 -
	                 elapsed_ms(&srv->started) / 1e3;
	metrics_set(sm->m, F_INFO, info, 1);
	/* The default registry is listed from the start, others once used. */
	metrics_add(sm->m, F_REPOS, reg, 0);
	return sm;
}

void
srv_metrics_free(struct srv_metrics *sm)
{
	if (sm == NULL)
		return;
	metrics_free(sm->m);
	free(sm);
}

void
metrics_note_begin(struct http_request *req, const struct server *srv)
{
	struct route_state *st = req->app_data;
	struct metrics_note *n = &st->mx;

	n->sm = srv->metrics;
	n->is_registry = registry_is_path(req->path);
	str_copy(n->registry_id, sizeof n->registry_id, srv->default_account);
	str_copy(n->region, sizeof n->region, srv->default_region);
}

void
metrics_note_call(struct metrics_note *n, const struct call *call,
    const char *repo, const char *error)
{
	const char *registry_id, *region, *name;

	if (n->sm == NULL)
		return;
	call_scope(call, &registry_id, &region, &name);
	if (repo == NULL)
		repo = name;
	if (registry_id[0] != '\0')
		str_copy(n->registry_id, sizeof n->registry_id, registry_id);
	if (region[0] != '\0')
		str_copy(n->region, sizeof n->region, region);
	/* Names are at most 256 bytes once validated; a longer one is cut. */
	str_copy(n->repository, sizeof n->repository, repo != NULL ? repo : "");
	if (error == NULL && call_error_code(call) != ERR_NONE)
		error = ecr_error_type(call_error_code(call));
	if (n->error == NULL)
		n->error = error;
}

void
metrics_note_pushed(struct http_request *req, size_t len)
{
	struct route_state *st = req->app_data;

	st->mx.bytes_in += len;
}

void
metrics_note_error(struct http_request *req, const char *code)
{
	struct route_state *st = req->app_data;

	if (st->mx.error == NULL)
		st->mx.error = code;
}

/*
 * Registry routes counted as the ECR action CloudTrail logs them as
 * (ecr-integrations.md 3.3; that AWS/Usage follows it is unconfirmed, our
 * choice). head: the name for HEAD when it differs. Routes ECR has no
 * action for keep their own name, prefixed "registry:".
 */
static const struct reg_action {
	const char *route;
	const char *action;
	const char *head;
} reg_actions[] = {
    {"blob-delete", "registry:blob-delete", NULL},
    {"blob-get", "GetDownloadUrlForLayer", "BatchCheckLayerAvailability"},
    {"catalog", "DescribeRepositories", NULL},
    {"manifest-delete", "BatchDeleteImage", NULL},
    {"manifest-get", "BatchGetImage", NULL},
    {"manifest-put", "PutImage", NULL},
    {"ping", "registry:ping", NULL},
    {"referrers", "registry:referrers", NULL},
    {"tags-list", "ListImages", NULL},
    {"upload-cancel", "registry:upload-cancel", NULL},
    {"upload-finish", "CompleteLayerUpload", NULL},
    {"upload-patch", "UploadLayerPart", NULL},
    {"upload-start", "InitiateLayerUpload", NULL},
    {"upload-status", "registry:upload-status", NULL},
};

static const char *
action_of(const char *route, bool is_head)
{
	size_t i;

	for (i = 0; i < sizeof reg_actions / sizeof reg_actions[0]; i++) {
		if (strcmp(reg_actions[i].route, route) != 0)
			continue;
		if (is_head && reg_actions[i].head != NULL)
			return reg_actions[i].head;
		return reg_actions[i].action;
	}
	return "registry:-";
}

/*
 * An API call's action; one refused before its operation was looked up
 * (a bad signature) is named by its X-Amz-Target, when that names one.
 */
static const char *
api_action(const struct http_request *req, const char *op)
{
	const char *name;

	if (strcmp(op, "-") != 0)
		return op;
	name =
	    api_op_of_target(http_request_header(req, "X-Amz-Target"), false);
	return name != NULL ? name : op;
}

static const char *
header_of(const struct answer *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n_headers; i++)
		if (strcasecmp(a->headers[i][0], name) == 0)
			return a->headers[i][1];
	return NULL;
}

/* The calls' own counters: calls, errors, pulls, pushes, uploads. */
static void
count_call(struct srv_metrics *sm, const struct metrics_note *n,
    const char *action, const struct answer *a, bool is_get)
{
	char class[8], fallback[16];
	const char *error = n->error;
	const char *call[4] = {action, n->registry_id, n->region, class};
	const char *repo[3] = {n->registry_id, n->region, n->repository};
	const char *err[2] = {action, NULL};
	bool is_ok = a->status < 400;

	snprintf(class, sizeof class, "%dxx", a->status / 100 % 10);
	metrics_add(sm->m, F_CALLS, call, 1);
	if (!is_ok) {
		if (error == NULL)
			error = header_of(a, "x-amzn-ErrorType");
		if (error == NULL) {
			snprintf(fallback, sizeof fallback, "HTTP%d",
			    a->status);
			error = fallback;
		}
		err[1] = error;
		metrics_add(sm->m, F_ERRORS, err, 1);
		return;
	}
	metrics_add(sm->m, F_REPOS, call + 1, 0);
	if (n->repository[0] == '\0')
		return;
	/* Listed from now on; its count is read at each scrape. */
	metrics_add(sm->m, F_IMAGES, repo, 0);
	if (strcmp(action, "BatchGetImage") == 0 && is_get)
		metrics_add(sm->m, F_PULLS, repo, 1);
	else if (strcmp(action, "PutImage") == 0)
		metrics_add(sm->m, F_PUSHES, repo, 1);
	else if (strcmp(action, "InitiateLayerUpload") == 0 &&
	         a->status != 201) /* 201: a mount, no session */
		sm->uploads++;
	else if (strcmp(action, "CompleteLayerUpload") == 0 ||
	         strcmp(action, "registry:upload-cancel") == 0)
		metrics_uploads_gone(sm, 1);
}

void
metrics_on_answer(struct http_request *req, const struct answer *a)
{
	struct route_state *st = req->app_data;
	const struct metrics_note *n;
	const char *proto, *action, *op[2], *p[1];
	bool is_api, is_get;

	if (st == NULL || (n = &st->mx)->sm == NULL)
		return;
	is_get = !req->is_head;
	is_api = !n->is_registry && strcmp(req->path, "/") == 0 &&
	         strcmp(req->method, "POST") == 0;
	proto = n->is_registry ? "registry" : is_api ? "ecr" : "other";
	op[0] = proto;
	op[1] = n->is_registry || is_api ? st->op : "-";
	metrics_observe(n->sm->m, F_DURATION, op,
	    elapsed_ms(&req->started) / 1e3);
	if (n->is_registry)
		action = strcmp(st->op, "-") != 0
		             ? action_of(st->op, req->is_head)
		             : NULL;
	else
		action = is_api ? api_action(req, st->op) : NULL;
	if (action != NULL)
		count_call(n->sm, n, action, a, is_get);
	p[0] = n->is_registry ? "registry" : "ecr";
	if (n->bytes_in != 0)
		metrics_add(n->sm->m, F_PUSHED, p, (double)n->bytes_in);
	if (is_get && (a->status == 200 || a->status == 206) &&
	    (a->fd != -1 || (a->is_stream && n->is_registry)))
		metrics_add(n->sm->m, F_PULLED, p, (double)a->file_len);
}

void
metrics_job(struct srv_metrics *sm, const char *job, bool is_ok,
    const char *item, size_t n)
{
	const char *run[2] = {job, is_ok ? "ok" : "error"};
	const char *what[2] = {job, item};

	if (sm == NULL)
		return;
	metrics_add(sm->m, F_JOB_RUNS, run, 1);
	/* Listed from the first run on, at 0 until there is something. */
	if (item != NULL)
		metrics_add(sm->m, F_JOB_ITEMS, what, (double)n);
}

void
metrics_gc(struct srv_metrics *sm, int rc, size_t n_blobs, size_t n_uploads)
{
	const char *what[2] = {"gc", "uploads_removed"};

	if (sm == NULL)
		return;
	if (rc != 0)
		n_blobs = n_uploads = 0;
	metrics_job(sm, "gc", rc == 0, "blobs_removed", n_blobs);
	metrics_add(sm->m, F_JOB_ITEMS, what, (double)n_uploads);
	metrics_uploads_gone(sm, n_uploads);
}

void
metrics_lifecycle(struct srv_metrics *sm, bool is_ok, size_t n_expired,
    size_t n_archived)
{
	const char *what[2] = {"lifecycle", "images_archived"};

	if (sm == NULL)
		return;
	metrics_job(sm, "lifecycle", is_ok, "images_expired", n_expired);
	metrics_add(sm->m, F_JOB_ITEMS, what, (double)n_archived);
}

void
metrics_upstream(struct srv_metrics *sm, bool is_ok)
{
	const char *result[1] = {is_ok ? "ok" : "error"};

	if (sm != NULL)
		metrics_add(sm->m, F_UPSTREAM, result, 1);
}

void
metrics_uploads_gone(struct srv_metrics *sm, size_t n)
{
	if (sm == NULL)
		return;
	sm->uploads -= (double)n;
	/* Uploads begun before a restart end uncounted. */
	if (sm->uploads < 0)
		sm->uploads = 0;
}

/* Each gauge's O(1) counter, in the scrape's read txn. */
static bool
refresh_repos(const char *const *v, double *value, void *txn)
{
	uint64_t n;

	if (store_repo_count(txn, v[0], v[1], &n) != STORE_OK)
		return false;
	*value = (double)n;
	return true;
}

static bool
refresh_images(const char *const *v, double *value, void *txn)
{
	struct store_repo repo;
	uint64_t n;

	/* Past the cap: left out, as its count would need a scan. */
	if (strcmp(v[2], METRICS_OTHER) == 0 ||
	    store_repo_get(txn, v[0], v[1], v[2], &repo) != STORE_OK ||
	    store_image_count(txn, repo.id, &n) != STORE_OK)
		return false;
	*value = (double)n;
	return true;
}

/* utime + stime (fields 14, 15) and rss (24) of /proc/self/stat. */
static void
refresh_process(struct srv_metrics *sm)
{
	char text[STAT_MAX], *p;
	unsigned long long ut, st, rss;
	struct dirent *e;
	size_t n = 0;
	FILE *fp;
	DIR *d;

	if ((fp = fopen("/proc/self/stat", "r")) != NULL) {
		p = fgets(text, sizeof text, fp);
		fclose(fp);
		/* After the command's closing parenthesis: field 3 on. */
		if (p != NULL && (p = strrchr(text, ')')) != NULL &&
		    sscanf(p + 2,
		        "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
		        "%*d %*d %*d %*d %*d %*d %*u %*u %llu",
		        &ut, &st, &rss) == 3) {
			metrics_set(sm->m, F_CPU, no_labels,
			    (double)(ut + st) / (double)sysconf(_SC_CLK_TCK));
			metrics_set(sm->m, F_RSS, no_labels,
			    (double)rss * (double)sysconf(_SC_PAGESIZE));
		}
	}
	if ((d = opendir("/proc/self/fd")) != NULL) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				n++;
		closedir(d);
		/* Less the directory's own descriptor. */
		metrics_set(sm->m, F_FDS, no_labels, (double)(n - 1));
	}
	metrics_set(sm->m, F_START, no_labels, sm->start_time);
}

static void
refresh(struct srv_metrics *sm)
{
	struct store *store = sm->srv->store;
	struct store_txn *txn;
	uint64_t used, size, blobs, bytes;

	metrics_set(sm->m, F_UPLOADS, no_labels, sm->uploads);
	if (store_map_used(store, &used, &size) == STORE_OK) {
		metrics_set(sm->m, F_STORE_USED, no_labels, (double)used);
		metrics_set(sm->m, F_STORE_SIZE, no_labels, (double)size);
	}
	if (store_txn_begin(store, NULL, false, &txn) == STORE_OK) {
		metrics_each(sm->m, F_REPOS, refresh_repos, txn);
		metrics_each(sm->m, F_IMAGES, refresh_images, txn);
		if (store_blob_totals(txn, &blobs, &bytes) == STORE_OK) {
			metrics_set(sm->m, F_BLOBS, no_labels, (double)blobs);
			metrics_set(sm->m, F_BLOB_BYTES, no_labels,
			    (double)bytes);
		}
		store_txn_abort(txn);
	}
	refresh_process(sm);
}

void
metrics_serve(struct server *srv, struct http_request *req)
{
	struct answer a;
	char *text;
	size_t len;

	if (srv->metrics == NULL) {
		answer_aws_error(req, NULL, 404, ERR_UNKNOWN_OPERATION,
		    "Metrics are off (--no-metrics)");
		return;
	}
	refresh(srv->metrics);
	if ((text = metrics_render(srv->metrics->m, &len)) == NULL) {
		log_error("metrics: the text is over its limit");
		answer_server_error(req);
		return;
	}
	answer_init(&a, 200, METRICS_TYPE);
	a.owned_body = text;
	a.body = text;
	a.len = len;
	answer_send(req, &a);
}
