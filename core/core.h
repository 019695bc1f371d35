/*
 * The domain both protocols share, as the server sees it: a context made
 * once at startup (api_ctx_new, api/api.h), one call per request,
 * prepared by its protocol (api/ for ECR JSON, registry/ for the OCI
 * distribution API), run (reads alone, writes in a group-committed batch)
 * and rendered by it; and the background work (GC, lifecycle runs, pulls).
 */
#ifndef ECRD_CORE_CORE_H
#define ECRD_CORE_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/event.h"
#include "core/error.h"
#include "core/quota.h"

struct core_ctx;
struct call;
struct creds;
struct api_secrets;
struct sigv4_request;
struct store;

#define CORE_ACCOUNT_DEFAULT "123456789012"
#define CORE_REGION_DEFAULT "us-east-1"
/* ECR's quotas (docs/ecr-behaviour.md 4), the defaults of core_config's. */
#define CORE_REPOSITORIES_MAX 100000                 /* per region */
#define CORE_LAYER_SIZE_MAX (52000ULL * 1024 * 1024) /* 52,000 MiB */
/* Pull-through cache tags are checked upstream this often (3.9: 24 h). */
#define CORE_PTC_REFRESH_SEC 86400
/* ACTIVATING to ACTIVE (docs/ecr-behaviour.md 3.14); ECR: up to ~20 min. */
#define CORE_ARCHIVE_RESTORE_SEC 5

struct core_config {
	const char *default_account;
	const char *default_region; /* requests without SigV4 */
	/*
	 * "HOST:PORT" for URIs, or NULL; may hold {account} and {region}
	 * (core_host_template_check), which registry hosts fill in and
	 * registry requests' Host headers are matched against.
	 */
	const char *public_endpoint;
	bool is_tls; /* HTTPS: URIs say https, aws:SecureTransport true */
	bool is_strict;
	bool relax_references;             /* PutImage: see image.h */
	const struct creds *creds;         /* strict mode; borrowed */
	const struct api_secrets *secrets; /* api/'s; borrowed */
	uint64_t quotas[CORE_QUOTA_N];     /* quota.h: --quota's */
	uint64_t clock_offset_sec;         /* core_now_ms's start */
	uint64_t ptc_refresh_sec;          /* recheck cached tags */
	uint64_t repl_delay_sec;           /* replication jobs wait */
	/* --upstream-credentials: an ecr upstream's (upstream_ecr.c). */
	const struct creds *upstream_creds;
	uint64_t archive_restore_sec; /* ACTIVATING's length */
	const char *signing_dir;      /* signing keys (sign_run.c) */
	/* --upstream-url: "HOST=URL" each; borrowed. */
	const char *const *upstream_urls;
	size_t n_upstream_urls;
};

/*
 * The upstream client's transfers (core/upstream.c) are libcurl easy
 * handles (void * here: CURL *) that the server runs in its event loop
 * with a multi handle: add takes one (0, or -1 if it cannot), remove
 * takes one back unfinished (the server is stopping). When the multi
 * handle says one is done, the server removes it and passes it with its
 * CURLcode to core_upstream_done, which may start others. Before the
 * context goes, core_upstream_abort ends those still running.
 */
struct core_net {
	int (*add)(void *arg, void *easy);
	void (*remove)(void *arg, void *easy);
	/*
	 * What pulls through the cache store (core/pull_through*.c): submit
	 * runs work(job) in the worker pool, then done(job, is_cancelled) on
	 * the loop (0, or -1 when the pool takes no more: the caller runs
	 * them itself); queue_write runs a write call of core's own (an op
	 * with OP_TXN_WRITE) in the next group commit, then hands it to
	 * core_write_done once durable. NULL: core runs them itself.
	 */
	int (*submit)(void *arg, void (*work)(void *),
	    void (*done)(void *, bool is_cancelled), void *job);
	void (*queue_write)(void *arg, struct call *);
	void *arg;
};
void core_ctx_set_net(struct core_ctx *, const struct core_net *);
void core_upstream_done(void *easy, int result);
void core_upstream_abort(struct core_ctx *);
/* A call queue_write ran (its commit is durable, or failed): core's. */
void core_write_done(struct call *);

/*
 * Borrowed credentials for strict mode (the caller keeps them alive until
 * the next call or api_ctx_free); their identity policies are parsed here,
 * so check them first with core_creds_check.
 */
void core_ctx_set_creds(struct core_ctx *, const struct creds *);
/*
 * Parse every principal's "policies" as IAM identity policies (issue #5).
 * 0, or -1 with *cause naming the first bad one, e.g.
 * "principals[1].policies[0]: Statement[0].Resource: missing" (caller
 * frees). A server refuses such a credentials file at start and on SIGHUP.
 */
int core_creds_check(const struct creds *, char **cause);

/*
 * Borrowed credentials that ecrd signs an ecr upstream's
 * GetAuthorizationToken with (--upstream-credentials; NULL: none), as
 * core_ctx_set_creds; the registry passwords got with the old ones go.
 */
void core_ctx_set_upstream_creds(struct core_ctx *, const struct creds *);

/*
 * Strict mode's authorization, for the registry API as for the JSON API
 * (issue #5): may principal_arn (of account, as a registry token or SigV4
 * names it) perform action ("ecr:BatchGetImage") on repository repo_name
 * of registry registry_id in region? repo_name NULL asks about resource
 * "*". source_ip (text, NULL or "" when unknown) feeds aws:SourceIp and
 * now_ms aws:CurrentTime. Decided as IAM does from the principal's
 * identity policies (its credentials entries), the repository policy and,
 * under REGISTRY_POLICY_SCOPE V2, the registry policy: an explicit deny
 * wins; in the caller's own account an allow from either side suffices;
 * across accounts both must allow. Opens its own read txn.
 * Returns 0 (allowed; always in permissive mode), CORE_AUTHZ_DENIED with
 * message set to AWS's words for an AccessDeniedException ("User: ARN is
 * not authorized to perform: ecr:X on resource: ARN because no
 * identity-based policy allows the ecr:X action", or "... with an explicit
 * deny in an identity-based policy", ...), or CORE_AUTHZ_ERROR (a store
 * failure, logged; answer 500) with a generic message. message_size must
 * be at least 1; the text is cut to fit.
 */
#define CORE_AUTHZ_DENIED (-1)
#define CORE_AUTHZ_ERROR (-2)
int core_authorize(struct core_ctx *, const char *principal_arn,
    const char *account, const char *region, const char *source_ip,
    const char *action, const char *registry_id, const char *repo_name,
    int64_t now_ms, char *message, size_t message_size);
/* Twelve digits: an account ID (registryId). */
bool core_is_account_id(const char *);
/* A region name as the model's Region shape allows it ("us-east-1"). */
bool core_is_region(const char *);
/*
 * Whose call sr is, as core_identify finds it but without checking the
 * signature (--throttle counts a call before any other work): 0 with the
 * account and region, or -1 when it names none that identify would take.
 */
#define CORE_SCOPE_REGION_SIZE 33 /* sigv4_auth's */
int core_scope(const struct core_ctx *, const struct sigv4_request *,
    char account[13], char region[CORE_SCOPE_REGION_SIZE]);
/* The key that signs registry tokens and page tokens; borrowed. */
const unsigned char *core_ctx_key(const struct core_ctx *);

enum core_stage {
	CORE_STAGE_DONE,  /* answered already (an error, or no txn) */
	CORE_STAGE_READ,  /* run with call_run */
	CORE_STAGE_WRITE, /* queue for call_batch_run */
};

struct call *call_new(struct core_ctx *, const char *request_id,
    int64_t now_ms);
/* The client's IP address as text, for aws:SourceIp (before prepare). */
void call_set_source_ip(struct call *, const char *ip);
void call_run(struct call *);
/*
 * A call whose operation waits on upstream work (ValidatePullThroughCache
 * Rule) is pending once call_run returns; no transaction is held while it
 * waits. call_on_finish says how to answer it: fn runs once (at once if
 * the work has ended already), from the loop, and owns the call then.
 */
bool call_is_pending(const struct call *);
/*
 * A blob GET may stream the blob to its client while it is pulled
 * through the cache (core/pull_through_blob.c): the server lends the call
 * a tee before running it. begin (once the length is known) starts the
 * answer; write queues bytes and returns how many wait to go out (past
 * CORE_TEE_MAX the transfer pauses until call_tee_drained). call_teed
 * says begin ran: the call's answer then only says whether the stream
 * ends whole (status 200) or cut short.
 */
#define CORE_TEE_MAX (4 * 1024 * 1024)
struct core_tee {
	void (*begin)(void *arg, int64_t len);
	size_t (*write)(void *arg, const void *, size_t);
	void *arg;
};
void call_set_tee(struct call *, const struct core_tee *);
bool call_teed(const struct call *);
void call_tee_drained(struct call *);
void call_on_finish(struct call *, void (*fn)(struct call *, void *),
    void *arg);
/*
 * Run write calls as children of one write transaction and commit it once,
 * durably, before any of them is answered (group commit). The calls run
 * now; the commit runs on the store's writer thread (store_writer_start),
 * and done(arg) runs once it has ended, from store_writer_run_done (at once
 * without a writer): then each call has its output or its error. One batch
 * at a time: the next starts after done. calls is copied.
 */
void call_batch_run(struct core_ctx *, struct call **, size_t,
    void (*done)(void *), void *arg);
/*
 * A write call's file work (issue 12): a write op (its files_open) may
 * give a call work (call_set_files) that runs on a worker of the pool
 * before the call joins a group commit, so that its exec finds the files
 * durable and only records them. The work touches only the call's own
 * state and the store's files. call_run_files runs it, on any thread.
 */
void call_set_files(struct call *, void (*work)(struct call *));
/*
 * Whether the call has file work, asking its op (its files_open) first;
 * a call that failed already has none.
 */
bool call_has_files(struct call *);
void call_run_files(struct call *);
/*
 * File work left once a write call's commit is over (a finished upload's
 * old name), or NULL: owned by the caller, who runs it with core_after_run
 * on any thread (a worker of the pool) and frees it; the call may be
 * answered and freed meanwhile.
 */
struct core_after;
struct core_after *call_take_after(struct call *);
void core_after_run(struct core_after *);
void core_after_free(struct core_after *);
/* Fail a call as an I/O failure (a 500): its work never ran. */
void call_fail_io(struct call *);
/*
 * What a call is about, for metrics: its registry (the input's, or the
 * caller's account), region and repositoryName (NULL: none or not a JSON
 * call), borrowed until call_free; and the error it ended in (ERR_NONE).
 */
void call_scope(const struct call *, const char **registry_id,
    const char **region, const char **repository);
enum ecr_errcode call_error_code(const struct call *);
/* For the request log: the operation name, or "-". */
const char *call_op_name(const struct call *);
void call_free(struct call *);

/*
 * Write the pull times BatchGetImage noted (core_pulls_pending) in a txn of
 * their own; the server calls this on a timer. 0 or a STORE_* code.
 */
bool core_pulls_pending(const struct core_ctx *);
int core_pulls_flush(struct core_ctx *);
/*
 * restore.c: end the archive restores that are due (images ACTIVATING to
 * ACTIVE), a bounded number in a write txn of their own: 0 or a store code.
 */
int core_restores_run(struct core_ctx *);

/*
 * sign_run.c: managed signing off the request (docs/ecr-behaviour.md
 * 3.12). Take (on the loop) the next due signing, or NULL if none is due
 * or a run is out; work (on a worker) signs it, making keys and blob
 * files; done (on the loop) hands it back, and the next group commit
 * (or core_signs_flush) records the signatures and statuses. A run taken
 * but never done is freed with core_sign_run_free (the server stopping).
 */
struct core_sign_run;
struct core_sign_run *core_sign_take(struct core_ctx *);
void core_sign_work(struct core_sign_run *);
void core_sign_done(struct core_sign_run *);
void core_sign_run_free(struct core_sign_run *);
bool core_signs_pending(const struct core_ctx *);
int core_signs_flush(struct core_ctx *);
/*
 * A profile's key and certificate (PEM) from --signing-key: 0, or -1 with
 * *cause (owned). Cert: the profile's certificate as PEM (owned), or NULL
 * while it has none (no signature made yet).
 */
int core_signer_add(struct core_ctx *, const char *profile, const char *key_pem,
    const char *cert_pem, char **cause);
char *core_signer_cert(struct core_ctx *, const char *profile);

/*
 * The server's clock (clock.c), the one every request reads: milliseconds
 * since the epoch, the real clock plus an offset in seconds that starts at
 * core_config's clock_offset_sec (--clock-offset) and only moves ahead
 * (POST /_ecrd/clock). SigV4's skew check and the GC's file ages read the
 * real clock instead.
 */
#define CORE_CLOCK_OFFSET_MAX_SEC ((int64_t)UINT32_MAX)
int64_t core_now_ms(const struct core_ctx *);
int64_t core_clock_offset_sec(const struct core_ctx *);
/* The most core_clock_advance accepts now. */
int64_t core_clock_advance_max(const struct core_ctx *);
/*
 * Move the clock sec seconds ahead: 0, or -1 (nothing moves) when sec is
 * negative or the offset would pass CORE_CLOCK_OFFSET_MAX_SEC.
 */
int core_clock_advance(struct core_ctx *, int64_t sec);

/* The address the server listens on, for download URLs. */
void core_ctx_set_endpoint(struct core_ctx *, const char *host_port);
/*
 * lifecycle_run.c: after each commit of a lifecycle run that expired
 * images, fn gets ECR's PolicyExecutionEvent details for them
 * (docs/ecr-integrations.md 3.5: repositoryName, lifecycleEventPolicy,
 * lifecycleEventImageActions), at most CORE_LC_AUDIT_IMAGES images each,
 * with the repository's account and region and the run's time; fn takes
 * details. None are built without fn (NULL, the default).
 */
#define CORE_LC_AUDIT_IMAGES 10 /* ECR splits its records at ten images */
struct json_object;
typedef void (*core_lifecycle_audit_fn)(void *arg, const char *account,
    const char *region, int64_t now_ms, struct json_object *details);
void core_ctx_set_lifecycle_audit(struct core_ctx *, core_lifecycle_audit_fn,
    void *arg);

/*
 * host.c: --public-endpoint templates (docs/hosts.md). is_template: tmpl
 * holds a '{'. check: {account} and {region} only, each at most once, in
 * the host and ending a label; 0, or -1 with *cause (the caller frees).
 * expand: tmpl with the placeholders filled in (the caller frees).
 * match: whether host (a Host header, its port ignored) has tmpl's shape;
 * then account and region hold what stood in for the placeholders ("" for
 * one tmpl lacks).
 */
#define CORE_HOST_REGION_SIZE 26
bool core_host_is_template(const char *tmpl);
int core_host_template_check(const char *tmpl, char **cause);
char *core_host_expand(const char *tmpl, const char *account,
    const char *region);
bool core_host_match(const char *tmpl, const char *host, char account[13],
    char region[CORE_HOST_REGION_SIZE]);
/*
 * Check a blob download URL's query (core_blob_url) for digest at now_ms:
 * 0, CORE_URL_INVALID (forged, altered or malformed) or CORE_URL_EXPIRED.
 */
#define CORE_URL_INVALID (-1)
#define CORE_URL_EXPIRED (-2)
int core_blob_url_check(const struct core_ctx *, const char *digest,
    const char *query, int64_t now_ms);
/* The store, for the server's blob streaming (STYLE.md 1). */
struct store *core_ctx_store(const struct core_ctx *);

/*
 * Garbage collection: blobs no layer record uses any more and uploads idle
 * for longer than grace_ms (as of now_ms), with their files, and orphan
 * files older than the grace. In bounded slices (STYLE.md 7.7):
 * core_gc_step, on the loop's thread, does at most one short write txn and
 * says what comes next: CORE_GC_WORK, file work for core_gc_work, which
 * touches only the store's files (through functions that may run on any
 * thread) and the run itself, so it may run on a worker, after which
 * core_gc_step comes again; CORE_GC_AGAIN, another step (yield to requests
 * first); CORE_GC_WAIT, the slice's commit is under way on the store's
 * writer thread (issue 12): step again once wake(arg) (core_gc_set_wake)
 * has been called, from store_writer_run_done; CORE_GC_DONE, finished.
 * core_gc_result: 0 or the STORE_* code that stopped the run, and the
 * blobs and uploads removed. core_gc_free may come at any point but while
 * core_gc_work runs or a commit is under way (stop the writer first); a
 * run dropped between steps leaves only unreferenced files, for the next
 * run's sweep.
 */
enum core_gc_next {
	CORE_GC_DONE,
	CORE_GC_AGAIN,
	CORE_GC_WORK,
	CORE_GC_WAIT,
};
struct core_gc;
struct core_gc *core_gc_new(struct core_ctx *, int64_t now_ms,
    int64_t grace_ms);
enum core_gc_next core_gc_step(struct core_gc *);
void core_gc_work(struct core_gc *);
void core_gc_set_wake(struct core_gc *, void (*wake)(void *), void *arg);
int core_gc_result(const struct core_gc *, size_t *n_blobs, size_t *n_uploads);
void core_gc_free(struct core_gc *);
/* A whole run in the caller's thread (tools and tests). */
int core_gc_run(struct core_ctx *, int64_t now_ms, int64_t grace_ms,
    size_t *n_blobs, size_t *n_uploads);

/*
 * The rest of deleted repositories (issue 12): DeleteRepository buries a
 * repository at once and leaves its records to a run here, in bounded
 * slices. core_reap_step does one short write txn on the loop's thread and
 * says what comes next: CORE_REAP_AGAIN, another step; CORE_REAP_WAIT, its
 * commit is under way on the store's writer thread (issue 12): step again
 * once wake(arg) (core_reap_set_wake) has been called, from
 * store_writer_run_done; CORE_REAP_DONE, finished. core_reap_result: 0 or
 * the STORE_* code that stopped the run, and the records removed; free a
 * run only once its commit has ended. core_reap_take_due says
 * whether a delete has buried a repository since it was last asked (the
 * server then queues a run, unless one is under way: a run goes on until
 * no tombstone is left). core_gc_step reaps too, before it collects.
 */
enum core_reap_next {
	CORE_REAP_DONE,
	CORE_REAP_AGAIN,
	CORE_REAP_WAIT,
};
struct core_reap;
struct core_reap *core_reap_new(struct core_ctx *);
void core_reap_set_wake(struct core_reap *, void (*wake)(void *), void *arg);
enum core_reap_next core_reap_step(struct core_reap *);
int core_reap_result(const struct core_reap *, size_t *n_records);
void core_reap_free(struct core_reap *);
bool core_reap_take_due(struct core_ctx *);
/* A whole run in the caller's thread (tools and tests). */
int core_reap_run(struct core_ctx *, size_t *n_records);

/*
 * Replication (docs/ecr-behaviour.md 3.8, issue 14): pushes add durable
 * jobs, which a run copies to their destinations in bounded slices:
 * core_repl_step does one short write txn on the loop's thread and says
 * what comes next: CORE_REPL_AGAIN, another slice (yield to requests
 * first); CORE_REPL_WAIT, the next job is held back (--replication-delay)
 * until *wake_at_ms on core_now_ms's clock; CORE_REPL_DONE, none is left
 * (or the run failed: core_repl_result gives 0 or the STORE_* code, and
 * the jobs done). core_repl_take_due says whether a push has added jobs
 * since it was last asked.
 */
enum core_repl_next {
	CORE_REPL_DONE,
	CORE_REPL_AGAIN,
	CORE_REPL_WAIT,
};
struct core_repl;
struct core_repl *core_repl_new(struct core_ctx *);
enum core_repl_next core_repl_step(struct core_repl *, int64_t *wake_at_ms);
int core_repl_result(const struct core_repl *, size_t *n_done);
void core_repl_free(struct core_repl *);
bool core_repl_take_due(struct core_ctx *);
/* Every due job in the caller's thread (tools and tests). */
int core_repl_run(struct core_ctx *, size_t *n_done);

/*
 * Lifecycle runs (docs/ecr-behaviour.md 3.6): apply lifecycle policies now, in
 * bounded steps (a slice of one repository's images or actions, each in a
 * txn of its own) so the server keeps answering between them. A run covers
 * repository name of (registry_id, region); with name NULL, every
 * repository there with a policy; with registry_id NULL, every repository
 * in the store with one. Rules read the clock as now_ms.
 */
struct core_lifecycle_run;
struct core_lifecycle_run *core_lifecycle_run_new(struct core_ctx *,
    const char *request_id, const char *registry_id, const char *region,
    const char *name, int64_t now_ms);
/* Do one step; false once the run has ended (done, or failed). */
bool core_lifecycle_run_step(struct core_lifecycle_run *);
/* What the run has done so far: repositories run, images acted on. */
void core_lifecycle_run_counts(const struct core_lifecycle_run *,
    size_t *n_repos, size_t *n_expired, size_t *n_transitioned);
/*
 * An ended run's call, its answer filled in for api_call_render: out
 * {"expired":N,"transitioned":M}, or an error (RepositoryNotFound or
 * LifecyclePolicyNotFound for a named repository, ServerException).
 * Borrowed until core_lifecycle_run_free.
 */
struct call *core_lifecycle_run_result(struct core_lifecycle_run *);
void core_lifecycle_run_free(struct core_lifecycle_run *);

/*
 * Image scans (issue 15, core/scanning.h). The feed: the OSV files of
 * --vuln-db DIR, indexed by core_feed_open (blocking: at start, or on a
 * worker on SIGHUP; 0 with *out, or -1 with *cause, the caller frees).
 * core_ctx_set_feed, on the loop, makes owned (NULL: none) the feed of
 * scans from now; the one before is freed once no run uses it.
 * core_feed_free frees a feed never set.
 */
struct core_feed;
int core_feed_open(const char *dir, struct core_feed **out, char **cause);
void core_ctx_set_feed(struct core_ctx *, struct core_feed *owned);
void core_feed_free(struct core_feed *);
/*
 * Runs, stepped as the GC's are: core_scan_step, on the loop, commits the
 * last result in a short write txn of its own and reads the next image,
 * then says CORE_SCAN_WORK (core_scan_work: read its layers and match
 * the feed, on a worker; touches only the run, the feed and blob files),
 * CORE_SCAN_AGAIN or CORE_SCAN_DONE. A queue run (is_rematch false)
 * drains the durable queue; a re-match run walks the stored inventories
 * of CONTINUOUS_SCAN repositories and matches them with the current feed
 * (after SIGHUP). core_scan_take_due says whether a scan was queued since
 * it was last asked (the server then starts a queue run unless one is
 * under way). core_scan_run_result: images done, and 0 or the STORE_*
 * code that ended the run.
 */
enum core_scan_next {
	CORE_SCAN_DONE,
	CORE_SCAN_AGAIN,
	CORE_SCAN_WORK,
};
struct core_scan_run;
bool core_scan_take_due(struct core_ctx *);
struct core_scan_run *core_scan_run_new(struct core_ctx *, bool is_rematch);
enum core_scan_next core_scan_step(struct core_scan_run *);
void core_scan_work(struct core_scan_run *);
void core_scan_run_result(const struct core_scan_run *, size_t *n_done,
    int *rc);
void core_scan_run_free(struct core_scan_run *);

/* Wipe every account's and region's records (moto's reset). */
int core_reset(struct core_ctx *, char **cause);

#endif
