/* Declarations shared inside server/: the running server and its routes. */
#ifndef ECRD_SERVER_SERVER_H
#define ECRD_SERVER_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "api/error.h"
#include "registry/error.h"

struct call;
struct core_ctx;
struct creds;
struct event;
struct event_base;
struct http_request;
struct http_server;
struct store;
struct throttle;
struct faults;
struct fault_hit;
struct api_reg_request;
struct sigv4_header;
struct sigv4_request;

/* A write call waiting for the next group commit. */
/* Answers a call once it has run; frees the call. */
typedef void (*writes_responder)(struct http_request *, struct call *);

struct pending_write {
	struct http_request *req;
	struct call *call;
	writes_responder respond;
};

/*
 * metrics_serve.c: what the metrics count of a request, noted as it runs
 * and counted by answer_send (sm NULL: metrics off).
 */
struct srv_metrics;
struct metrics_note {
	struct srv_metrics *sm;
	const char *error; /* the error answered (static), or NULL */
	char registry_id[13];
	char region[33];
	char repository[257]; /* "" when none */
	uint64_t bytes_in;    /* blob bytes the request pushed */
	bool is_registry;
};

/*
 * Per request: its id and operation (for the log), and the protocol's
 * state while the request is read (registry.c's, or an UploadLayerPart
 * body), owned: route_state's free calls proto_free on it.
 */
struct route_state {
	char request_id[40];
	char op[64];
	void *proto;
	void (*proto_free)(void *);
	struct metrics_note mx;  /* metrics_serve.c */
	struct fault_hit *fault; /* faults.c: the rule it hit; owned */
};
/* request.c: hang owned state off st, freeing what hung there before. */
void route_state_set_proto(struct route_state *, void *owned,
    void (*proto_free)(void *));

struct server {
	struct event_base *base;
	struct http_server *http;
	struct store *store;
	struct core_ctx *api;
	struct creds *creds;
	const char *creds_path;
	struct event *batch_ev;
	struct event *housekeeping_ev;
	struct pending_write *pending;
	size_t n_pending;
	size_t pending_size;
	bool is_committing;         /* a group commit under way (writes.c) */
	int commit_fd;              /* the writer thread's eventfd; -1 none */
	struct event *commit_ev;    /* reads commit_fd */
	const char *hold_file_work; /* --test-hold-file-work; NULL none */
	struct timespec started;
	bool is_draining;
	bool has_admin;              /* admin endpoints served */
	const char *default_account; /* admin token */
	const char *default_region;
	struct lc_sched *lc_sched;     /* lifecycle.c */
	struct gc_sched *gc_sched;     /* gc.c */
	struct repl_sched *repl_sched; /* replication.c */
	struct scan_sched *scan_sched; /* scan.c */
	struct pool *pool;             /* pool.h: slow file work */
	struct upstream_net *upstream; /* upstream.c: libcurl */
	struct events *events;         /* events.h: NULL when off */
	struct srv_metrics *metrics;   /* metrics_serve.c; NULL: off */
	struct throttle *throttle;     /* --throttle; NULL: off */
	struct faults *faults;         /* faults.c: POST /_ecrd/faults */
};

/*
 * answer.c: the one answer type and the one writer to the wire. Strings
 * are borrowed until answer_send returns; fd (>= 0) streams
 * [off, off + file_len) of a file instead of body, and answer_send takes it.
 * owned_body, when not NULL, is body's own allocation, which answer_send
 * takes too: a large body then goes out from where it is, not copied.
 * is_stream sends the head alone, for http_stream_write to follow.
 */
#define ANSWER_HEADERS_MAX 24
#define ANSWER_JSON_11 "application/x-amz-json-1.1"
struct answer {
	int status;
	const char *content_type; /* NULL: none */
	const char *headers[ANSWER_HEADERS_MAX][2];
	size_t n_headers;
	const char *body;
	size_t len;
	char *owned_body; /* NULL, or body's allocation */
	int fd;
	int64_t off;
	int64_t file_len;
	bool is_stream; /* file_len bytes come later */
};
void answer_init(struct answer *, int status, const char *content_type);
void answer_header(struct answer *, const char *name, const char *value);
/* Log the answer, add the request id and write it; req is gone after. */
void answer_send(struct http_request *, const struct answer *);
/* Answer owned_body (rendered by the JSON writer) with status. */
struct json_object;
void answer_json(struct http_request *, int status,
    struct json_object *owned_body);
/* An ECR answer api_call_render made: error_type NULL on success. */
void answer_ecr_rendered(struct http_request *, struct answer *,
    const char *error_type, const char *body, size_t len);
/*
 * An AWS-shaped JSON error answer for code, with status (the table's,
 * ecr_error_status, unless the endpoint answers otherwise); base, when
 * not NULL, holds headers already set.
 */
void answer_aws_error(struct http_request *, struct answer *base, int status,
    enum ecr_errcode, const char *message);
/* ECR's generic 500 ServerException; the caller logs the cause. */
void answer_server_error(struct http_request *);
/*
 * A registry JSON error answer ({"errors":[...]}) with code's status;
 * message NULL: the code's own. base as for answer_aws_error.
 */
void answer_reg_error(struct http_request *, struct answer *base,
    enum reg_errcode, const char *message);
/* The same with another status than the code's (an injected fault). */
void answer_reg_error_as(struct http_request *, struct answer *base, int status,
    enum reg_errcode, const char *message);
/* Milliseconds since a CLOCK_MONOTONIC time. */
double elapsed_ms(const struct timespec *since);

/* routes.c: the application callbacks handed to the HTTP layer. */
void routes_on_head(struct http_request *, void *srv);
void routes_on_request(struct http_request *, void *srv);
/* The request as SigV4 sees it; free the header array returned. */
struct sigv4_header *sigv4_request_of(const struct http_request *,
    struct sigv4_request *);
/*
 * writes.c: queue a write call for the next group commit; respond_fn
 * answers it.
 */
void writes_queue(struct server *, struct http_request *, struct call *,
    writes_responder respond_fn);
/* request.c: query parameters. */
/* The percent-decoded value of name in a raw query into dst, or NULL. */
const char *request_query(const char *query, const char *name, char *dst,
    size_t size);
/*
 * The admin endpoints' query parameters (README, "Emulator endpoints"):
 * 1 with the decoded value, 0 when absent, or -1 after answering 400
 * InvalidParameterException with a message (too long for dst, an encoded
 * NUL, not a whole number in [min, max], not a 12-digit account ID, not a
 * region name).
 */
#define REQUEST_SECONDS_MAX (10LL * 365 * 86400) /* ten years */
#define REQUEST_ACCOUNT_SIZE 13
#define REQUEST_REGION_SIZE 26
int request_param(struct http_request *, const char *name, char *dst,
    size_t size);
int request_param_num(struct http_request *, const char *name, int64_t min,
    int64_t max, int64_t *out);
/* As request_param_num, but absent is refused too ("NAME is required"). */
int request_param_num_required(struct http_request *, const char *name,
    int64_t min, int64_t max, int64_t *out);
int request_param_account(struct http_request *, const char *name,
    char dst[REQUEST_ACCOUNT_SIZE]);
int request_param_region(struct http_request *, const char *name,
    char dst[REQUEST_REGION_SIZE]);
/*
 * The registry an admin request names with ?account=ID&region=R, each
 * defaulting to the given one when absent: 0, or -1 once refused.
 */
int request_param_registry(struct http_request *, const char *def_account,
    const char *def_region, char acct[REQUEST_ACCOUNT_SIZE],
    char rgn[REQUEST_REGION_SIZE]);

/* registry.c: the OCI distribution API under /v2/. */
bool registry_is_path(const char *path);
void registry_on_head(struct server *, struct http_request *);
void registry_on_request(struct server *, struct http_request *);

/*
 * upstream.c: the upstream client's transfers in the loop (a curl multi
 * handle), and the worker pool and group commit lent to what pulls store
 * (core_net); made once the API context is, freed before it and before
 * the pool (transfers under way end, failing their calls).
 */
struct upstream_net;
struct upstream_net *upstream_net_new(struct server *);
void upstream_net_free(struct upstream_net *);
/*
 * Run a transfer of the server's own (an event sink's) on the same multi:
 * done(arg, CURLcode) is called once when it ends, after its removal. 0, or
 * -1 if libcurl refused it (done is not called). Cancel removes it unended.
 */
int upstream_net_start(struct upstream_net *, void *easy,
    void (*done)(void *arg, int result), void *arg);
void upstream_net_cancel(struct upstream_net *, void *easy);

/*
 * writes.c: run the queued write calls as one group commit and answer
 * them; writes_queue_files first runs a call's file work (call_has_files)
 * in the worker pool, then queues it.
 */
void writes_queue_files(struct server *, struct http_request *, struct call *,
    writes_responder);
void writes_flush(struct server *);
/*
 * The same, even while another commit is under way (the loop then waits
 * for it): for admin requests whose work must come after the writes
 * queued before them (reset, GC, lifecycle runs).
 */
void writes_flush_now(struct server *);
/*
 * Start the store's writer thread, which commits every top-level write txn
 * (store_writer_start), and watch for its ends: 0, or -1 and *cause (the
 * caller frees it). writes_stop waits for the commit under way, answers
 * its writes and stops the thread; before the HTTP server is freed.
 */
int writes_start(struct server *, char **cause);
void writes_stop(struct server *);

/* blobs.c: blob downloads with byte ranges. */
struct store;
int blobs_parse_range(const char *header, uint64_t size, uint64_t *off,
    uint64_t *len);
/* base (NULL: none) holds headers already set, e.g. the registry's. */
void blobs_serve(struct http_request *, struct store *, const char *digest,
    bool is_registry, struct answer *base);

/*
 * lifecycle.c: lifecycle runs every interval_sec (0: never) and on demand
 * (POST /_ecrd/lifecycle/run), stepped at the lowest priority; the clock
 * endpoint (POST /_ecrd/clock). account and region are the defaults.
 */
struct lc_sched;
struct lc_sched *lc_sched_new(struct server *, unsigned interval_sec,
    const char *account, const char *region);
/* Each second, from housekeeping. */
void lc_sched_tick(struct lc_sched *);
void lc_sched_on_run(struct server *, struct http_request *);
void lc_sched_on_clock(struct server *, struct http_request *);
/* Drop runs under way without answering (the server is stopping). */
void lc_sched_free(struct lc_sched *);

/*
 * gc.c: garbage collection runs, one at a time, in slices on the loop with
 * their file work in srv->pool; hourly (gc_sched_due, from housekeeping:
 * a run unless one is under way) and on demand (POST /_ecrd/gc). Also
 * the reaping of deleted repositories' records, in slices: gc_sched_new
 * starts one, and gc_sched_reap (after writes that deleted a repository)
 * another unless one is under way; NULL is ignored.
 */
struct gc_sched;
struct gc_sched *gc_sched_new(struct server *);
void gc_sched_due(struct gc_sched *);
void gc_sched_reap(struct gc_sched *);
void gc_sched_on_run(struct server *, struct http_request *);
/* Drop runs without answering; after pool_free (no work in flight). */
void gc_sched_free(struct gc_sched *);

/*
 * notify.c: systemd's readiness protocol (sd_notify(3)) without libsystemd:
 * send state ("READY=1", "STOPPING=1"...) as one datagram to the socket
 * $NOTIFY_SOCKET names. Does nothing outside a Type=notify service; a
 * failure is logged once per call and otherwise ignored, as a service
 * manager that cannot be told is no reason to stop serving.
 */
void notify_send(const char *state);

/*
 * logturn.c: the loop's info and debug lines (an access line per request)
 * are written once per loop turn from logturn_start until logturn_stop,
 * which writes what is left (common/log.c's log_batch).
 */
void logturn_start(struct event_base *);
void logturn_stop(void);

/*
 * healthcheck.c: ecrd --health-check, for container HEALTHCHECKs: GET
 * /health from the ecrd at listen (a wildcard address means loopback),
 * within a few seconds. The process's exit status: 0 if it answered 200,
 * else 1 (with the reason on stderr).
 */
struct endpoint;
int healthcheck_run(const struct endpoint *listen);

/*
 * replication.c: replication runs, one at a time, in slices on the loop:
 * at start, on repl_sched_kick (after writes that added jobs; NULL is
 * ignored) and on a timer while jobs are held back.
 */
struct repl_sched;
struct repl_sched *repl_sched_new(struct server *);
void repl_sched_kick(struct repl_sched *);
void repl_sched_free(struct repl_sched *);

/*
 * scan.c: image scans in the background (issue 15), one run at a time in
 * slices on the loop, their reading and matching in srv->pool: a run of
 * the durable queue at start and after writes that queued a scan
 * (scan_sched_kick); on SIGHUP (scan_sched_reload) the --vuln-db feed
 * (feed_dir, NULL: none) is indexed again in the pool and CONTINUOUS_SCAN
 * inventories matched with it. The scan test hooks: POST
 * /_ecrd/scan-findings and moto's POST
 * /moto-api/static/ecr/scan-finding-results. NULL is ignored.
 */
struct scan_sched;
struct scan_sched *scan_sched_new(struct server *, const char *feed_dir);
void scan_sched_kick(struct scan_sched *);
void scan_sched_reload(struct scan_sched *);
void scan_sched_on_findings(struct server *, struct http_request *);
void scan_sched_on_moto(struct server *, struct http_request *);
/* Drop runs; after pool_free (no work in flight). */
void scan_sched_free(struct scan_sched *);

/*
 * metrics_serve.c: GET /metrics (docs/observability.md, "Metrics"). new
 * declares the families (max_series: the repository label's cap); with
 * --no-metrics none is made, srv->metrics stays NULL and every hook below
 * does nothing.
 */
struct srv_metrics *srv_metrics_new(struct server *, size_t max_series);
void srv_metrics_free(struct srv_metrics *);
/* routes.c, on every request's head: start its note (in app_data). */
void metrics_note_begin(struct http_request *, const struct server *);
/*
 * The call a request ran: repo, the registry's path name (NULL: the
 * call's repositoryName); error, the registry's code of its error (NULL:
 * the call's ECR error name, if any).
 */
void metrics_note_call(struct metrics_note *, const struct call *,
    const char *repo, const char *error);
/* Blob bytes the request pushed (its body, as it streams in). */
void metrics_note_pushed(struct http_request *, size_t len);
/* The registry's error code answered, unless the call's came first. */
void metrics_note_error(struct http_request *, const char *code);
/* answer_send: count the answer. */
void metrics_on_answer(struct http_request *, const struct answer *);
/* GET or HEAD /metrics. */
void metrics_serve(struct server *, struct http_request *);
/*
 * A background run ended (job: "reap", "replication", ...; is_ok) having
 * done n of item (NULL: nothing to count but the run). The GC's and
 * lifecycle's with their two counts; an upstream exchange ended.
 */
void metrics_job(struct srv_metrics *, const char *job, bool is_ok,
    const char *item, size_t n);
void metrics_gc(struct srv_metrics *, int rc, size_t n_blobs, size_t n_uploads);
void metrics_lifecycle(struct srv_metrics *, bool is_ok, size_t n_expired,
    size_t n_archived);
void metrics_upstream(struct srv_metrics *, bool is_ok);
/* Upload sessions ended outside a request (GC): n fewer in progress. */
void metrics_uploads_gone(struct srv_metrics *, size_t n);

/*
 * throttle.c: --throttle (docs/observability.md, "Throttling and faults").
 * from_flags makes the buckets with --throttle-rate's OPERATION=N
 * overrides: NULL and *cause (the caller frees) for a bad one. api and
 * reg run from the head, before any other work: true once they have
 * refused the call (answered); false with srv->throttle NULL.
 */
struct throttle *throttle_from_flags(const char *const *rates, size_t n,
    char **cause);
bool throttle_api(struct server *, struct http_request *);
bool throttle_reg(struct server *, struct http_request *,
    const struct api_reg_request *);

/*
 * faults.c: fault injection (docs/observability.md, "Throttling and
 * faults"): the rules, GET, POST and DELETE /_ecrd/faults (on_admin). From
 * the head, on_head finds the rule the request hits (op: the ECR operation
 * or the registry route's name); true when the rule answers an error, so
 * the protocol skips its setup (the body is read and dropped). First in
 * on_request, on_request waits out the rule's latency (a timer) and
 * answers its error, or lets the request go on: true while it holds the
 * request. fault_hit_free: route_state's free; NULL is fine.
 */
struct faults *faults_new(void);
void faults_free(struct faults *);
void faults_on_admin(struct server *, struct http_request *);
bool faults_on_head(struct server *, struct http_request *, const char *op,
    bool is_registry);
/* The same for an API call: op from X-Amz-Target. */
bool faults_on_api_head(struct server *, struct http_request *);
bool faults_on_request(struct server *, struct http_request *);
/* The server stops: answer what rules' latencies hold, at once. */
void faults_drain(struct faults *);
void fault_hit_free(struct fault_hit *);

#endif
