/*
 * Declarations shared by core/ and the two protocols over it: operations,
 * the context, call and the domain's helpers.
 */
#ifndef ECRD_CORE_CORE_INT_H
#define ECRD_CORE_CORE_INT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/json.h"
#include "core/core.h"
#include "core/error.h"
#include "core/event.h"
#include "store/store.h"

struct core_event;
struct json_object;
struct model_shape;
struct regtoken_signer;
struct sigv4_cache;
struct store_repo;
struct store_txn;
struct validator;
struct sigv4_request;

/*
 * event.c: events waiting for the commit that makes them true, in the
 * order they were made (core/event.h). Zeroed is empty.
 */
struct core_events {
	struct core_event *head;
	struct core_event **tail;
};

/* Transaction kind and resource kind of an operation (STYLE.md 3). */
#define OP_TXN_NONE 0x00
#define OP_TXN_READ 0x01
#define OP_TXN_WRITE 0x02
#define OP_RESOURCE_REPO 0x10  /* arn:...:repository/<repositoryName> */
#define OP_RESOURCE_ANY 0x20   /* "*" */
#define OP_RESOURCE_ARN 0x40   /* the resourceArn member */
#define OP_RESOURCE_REPOS 0x80 /* each repositoryNames ARN, or "*" */
/* A delete: on a full disk it may use the store's reserve (issue 11). */
#define OP_FREES_SPACE 0x100

/*
 * An operation of either protocol: its name (for logs and, for ECR's,
 * the IAM action), its txn and resource flags and its handler.
 */
struct op {
	const char *name;
	const struct model_shape *input; /* ECR's (api/model.h); or NULL */
	unsigned flags;
	int (*exec)(struct call *); /* NULL: not built */
	/*
	 * A write op's file work, if any: on the loop before the call is
	 * queued, give it work with call_set_files (e.g. core_finish_open),
	 * to run in the worker pool before its group commit. NULL: none.
	 */
	void (*files_open)(struct call *);
};

/*
 * slice.c: the count of records a background run's next slice takes,
 * bounded by time as well: core_slice_begin gives it, core_slice_end (after
 * the slice's commit) sets the next from the time taken.
 */
struct core_slice {
	size_t n;
	size_t max;
	int64_t started_ns;
};
void core_slice_init(struct core_slice *, size_t max);
size_t core_slice_begin(struct core_slice *);
void core_slice_end(struct core_slice *);

struct core_ctx {
	struct store *store;
	struct validator *validator; /* api/'s, made and freed there */
	/*
	 * api/'s: whether CreateRepository's model takes name, for create on
	 * push (core cannot read the model); NULL takes none.
	 */
	bool (*is_repo_name)(const struct core_ctx *, const char *name);
	struct core_config cfg;
	unsigned char key[32];
	char self_endpoint[300];  /* HOST:PORT bound */
	struct core_pulls *pulls; /* pulls.c: pending notes */
	/* sign_run.c: signers by profile (any thread, under the mutex) */
	struct core_signer *signers;
	pthread_mutex_t signers_mtx;
	bool sign_busy;                   /* a run is out */
	struct core_sign_run *signs_done; /* signed, to record */
	int64_t clock_offset_sec;         /* clock.c */
	struct authz_ids *ids;            /* authz_ids.c: strict mode */
	struct core_policy_cache *pcache; /* authz.c: parsed policies */
	struct sigv4_cache *sigv4_keys;   /* identity.c: signing keys */
	struct regtoken_signer *signer;   /* key, keyed once for tokens */
	struct core_lease *leases;        /* upload.c: streams' uploads */
	size_t n_leases;
	size_t leases_size;
	struct core_upload_hash *hashes; /* upload.c: running hashes */
	size_t n_hashes;
	size_t hashes_size;
	uint64_t hash_tick;
	struct core_net net;             /* upstream.c: the loop's */
	struct up_xfer *xfers;           /* upstream.c: running */
	struct core_ptc_seen *seen;      /* pull_through.c: tags */
	struct core_ptc_blob *ptc_blobs; /* pull_through_blob.c */
	struct up_ecr_login *ecr_logins; /* upstream_ecr.c: passwords */
	size_t n_seen;
	/* api/'s --secrets lookup (core_secret_get), for pulls. */
	int (*secret_get)(const struct core_ctx *, const char *arn,
	    const char **user, const char **token);
	bool is_reap_due;            /* reap.c: a repo buried */
	bool is_repl_due;            /* replication.c: a run wanted */
	bool is_repl_pending;        /* replication.c: jobs may wait */
	size_t n_repl_new;           /* replication.c: the batch's jobs */
	struct store_doc *repl_text; /* replication.c: config_cached's */
	struct json_object *repl_config;
	struct core_slice repl_slice; /* replication.c: sized by time */
	struct core_feed *feed;       /* scanning_run.c: --vuln-db's, or NULL */
	bool is_scan_due;             /* scanning_queue.c: a scan queued */
	/* event.c: the server's sink (NULL: record none) */
	void (*event_fn)(void *, const struct core_event *);
	void *event_arg;
	/* event.c: the group commit's own (replication copies in it) */
	struct core_events batch_events;
	/*
	 * ctx.c: a group commit's asynchronous commit is out; event.c: events
	 * of commits made meanwhile (which came after it) wait for its own.
	 */
	bool is_batch_out;
	struct core_events deferred_events;
	core_lifecycle_audit_fn lc_audit; /* lifecycle_run.c; NULL none */
	void *lc_audit_arg;
};

#define CORE_ARN_MAX 2048

struct core_identity {
	char account[13];
	char region[33];
	char access_key[129];
	char principal_arn[CORE_ARN_MAX];
};

struct call {
	struct core_ctx *ctx;
	const struct op *op;
	struct core_identity id;
	char registry_id[13]; /* input's, or caller's */
	struct json_object *in;
	struct json_object *out;
	struct ecr_error err;
	struct store_txn *txn;
	int64_t now_ms;
	char source_ip[64]; /* "" when unknown */
	char request_id[40];
	char **arena; /* call_printf's */
	size_t n_arena;
	/*
	 * The protocol's own state for this request (a registry call's, an
	 * UploadLayerPart body), owned: call_free calls proto_free on it.
	 */
	void *proto;
	void (*proto_free)(void *);
	struct core_repo_prefix *repo_prefix; /* repo.c: owned */
	/* An op that waits on upstream work (call_finish). */
	bool is_pull_through; /* image.c: refs later */
	bool is_replica;      /* replication.c: a copy, not a push */
	bool is_lifecycle;    /* lifecycle_run.c: makes no events */
	struct core_tee tee;  /* fn NULL: none */
	bool is_teed;         /* tee.begin ran */
	uint8_t ptc_state;    /* enum core_ptc_state */
	int64_t ptc_head_len; /* CORE_PTC_HEADED: the blob's length */
	bool is_pending;
	bool is_finished;
	void (*on_finish)(struct call *, void *);
	void *finish_arg;
	void (*files)(struct call *);       /* finish.c: file work; NULL none */
	struct core_finish *finish;         /* finish.c: owned */
	struct core_upload_new *new_upload; /* upload.c: owned */
	struct core_after *after;           /* finish.c: owned */
	struct core_events events;          /* event.c: until the commit */
};

/*
 * An op's exec returns CALL_PENDING when it has started upstream work
 * that answers the call later: it fills call->out or the error, then
 * calls call_finish. Read-only ops only: the read txn is gone by then.
 */
#define CALL_PENDING 1
void call_finish(struct call *);

/* ctx.c: the domain's half of api_ctx_new and api_ctx_free. */
int core_ctx_new(struct store *, const struct core_config *,
    struct core_ctx **out, char **cause);
void core_ctx_free(struct core_ctx *);
/* Hang owned state off the call, freeing what hung there before. */
void call_set_proto(struct call *, void *owned, void (*proto_free)(void *));

/*
 * repo.c: the text of a repository's ARN and URI before its name, for one
 * registry, kept by the call: a page writes a hundred repositories of the
 * same registry, so this is joined once per call, not per repository.
 */
struct core_repo_prefix {
	char registry_id[13];
	char *arn; /* "arn:...:repository/" */
	char *uri; /* the registry's host, then "/" */
};
const struct core_repo_prefix *core_repo_prefix(struct call *,
    const char *registry_id);
/* Free what core_repo_prefix keeps for the call (NULL is ignored). */
void core_repo_prefix_free(struct core_repo_prefix *);

/*
 * upstream.c: one HTTP exchange with an upstream registry (issue 13).
 * up_get: a GET of url with headers (whole lines, NULL-terminated, or
 * NULL) and, when user is not NULL, Basic credentials; done runs once
 * from the loop when it ends (result: a CURLcode; status; the body up to
 * 4 MiB; its Content-Type; the first WWW-Authenticate) and owns x. With
 * sink, a 200's body goes to sink->fn instead, piece by piece (with the
 * easy handle): 0 takes it, UP_SINK_PAUSE pauses the transfer (the same
 * piece comes again once curl_easy_pause resumes it), else it aborts. done may
 * run before up_get returns (no loop), so up_get comes last in its caller.
 * up_post: a POST of body (text) to url with headers, not redirected.
 * up_base_url: host's base URL, --upstream-url's or https://HOST;
 * up_mapped_url: --upstream-url's, or NULL (caller frees both).
 */
struct curl_slist;
#define UP_SINK_PAUSE 1 /* sink: not taken; pause the transfer */
struct up_sink {
	int (*fn)(void *arg, void *easy, const void *, size_t);
	void *arg;
};
struct up_xfer {
	struct core_ctx *ctx;
	void *easy;
	struct curl_slist *headers;
	struct buf body;
	char *www_auth;
	const char *content_type; /* libcurl's, or NULL */
	int64_t content_length;   /* the answer's, or -1 */
	int result;
	long status;
	char error[256]; /* CURL_ERROR_SIZE */
	void (*done)(struct up_xfer *);
	void *arg;
	int (*sink)(void *, void *, const void *, size_t);
	void *sink_arg;
	struct up_xfer *next;
};
void up_get(struct core_ctx *, const char *url, const char *const *headers,
    const char *user, const char *password, const struct up_sink *,
    void (*done)(struct up_xfer *), void *arg);
/* up_get, or a HEAD (is_head): the answer's headers only. */
void up_request(struct core_ctx *, const char *url, const char *const *headers,
    const char *user, const char *password, const struct up_sink *,
    bool is_head, void (*done)(struct up_xfer *), void *arg);
void up_post(struct core_ctx *, const char *url, const char *const *headers,
    const char *body, void (*done)(struct up_xfer *), void *arg);
void up_xfer_free(struct up_xfer *);
char *up_base_url(const struct core_ctx *, const char *host);
char *up_mapped_url(const struct core_ctx *, const char *host);

/*
 * How ecrd authenticates to an upstream: anonymous (all NULL), Basic with
 * a rule's secret (user, password), or ECR's own way for the ecr upstream
 * (ecr_host, its ACCOUNT.dkr.ecr.REGION.amazonaws.com; role_arn, the
 * rule's customRoleArn or NULL): see upstream_ecr.c. All borrowed.
 */
struct up_cred {
	const char *user;
	const char *password;
	const char *ecr_host;
	const char *role_arn;
};

/*
 * upstream_ecr.c: the registry password of an ecr upstream, from
 * GetAuthorizationToken on its ECR API, SigV4-signed with the
 * --upstream-credentials principal for role_arn or the host's account
 * (docs/ecr-behaviour.md 3.9). A password got in the last hour is reused
 * unless is_fresh. done gets the password (borrowed for the call) or
 * NULL and the failure in words; it may run before up_ecr_login returns.
 * up_ecr_forget drops the passwords kept (new credentials, the end).
 */
void up_ecr_login(struct core_ctx *, const char *host, const char *role_arn,
    bool is_fresh,
    void (*done)(void *, const char *password, const char *failure), void *arg);
void up_ecr_forget(struct core_ctx *);

/*
 * upstream_auth.c: an upstream's WWW-Authenticate challenge (0, or -1
 * when it offers neither Basic nor Bearer with a realm), the token URL
 * for it (caller frees), the token of a token service's answer (or NULL;
 * caller frees), and the ping: GET /v2/ of host's registry, authenticated
 * as it asks (user NULL: anonymous); done gets NULL when it answered
 * 200, else the failure in words.
 */
enum up_auth {
	UP_AUTH_NONE,
	UP_AUTH_BASIC,
	UP_AUTH_BEARER,
	UP_AUTH_OTHER,
};
struct up_challenge {
	enum up_auth scheme;
	char *realm;
	char *service;
	char *scope;
};
int up_challenge_parse(const char *header, struct up_challenge *);
void up_challenge_free(struct up_challenge *);
char *up_token_url(const struct up_challenge *, const char *scope);
char *up_token_of(const struct buf *);
void up_ping_start(struct core_ctx *, const char *host, const struct up_cred *,
    void (*done)(void *, const char *failure), void *arg);

/*
 * upstream_fetch.c: GET url (with "Accept: accept" unless NULL),
 * authenticated as the upstream's challenge asks: Basic with the
 * credential's user and password, or a Bearer token for scope, or as an
 * ecr upstream asks (up_ecr_login); a 200's body to sink (or
 * NULL: into x->body). done gets the last answer (x,
 * owned; any status) or, when none came, NULL and the reason.
 */
void up_fetch_start(struct core_ctx *, const char *url, const char *accept,
    const struct up_cred *, const char *scope, const struct up_sink *,
    void (*done)(void *, struct up_xfer *, const char *failure), void *arg);
/* The same as a HEAD: the answer's status and headers (x->content_length). */
void up_head_start(struct core_ctx *, const char *url, const struct up_cred *,
    const char *scope,
    void (*done)(void *, struct up_xfer *, const char *failure), void *arg);

/*
 * pull_through.c: a pull of name (a repository under a pull-through
 * cache rule) that misses, or names a tag not checked upstream for
 * --pull-through-refresh seconds (core_ptc_is_fresh): fetch ref's manifest
 * from the rule's upstream with accept (the client's, or NULL for every
 * manifest type), store it (core_repo_get_or_create_for_pull, then as a
 * push) and run the op again with call->ptc_state saying how it went.
 * CALL_PENDING when started; 0 when no rule matches; -1 with the error.
 */
enum core_ptc_state {
	CORE_PTC_NONE,        /* not asked upstream */
	CORE_PTC_STORED,      /* fetched and stored */
	CORE_PTC_MISSING,     /* the upstream has no such manifest */
	CORE_PTC_UNAVAILABLE, /* no answer, an error, or bad bytes */
	CORE_PTC_HEADED,      /* a blob HEAD answered: ptc_head_len */
};
struct core_ptc_seen;
struct core_ptc_blob;
struct core_ptc_target {
	char *base;       /* the upstream's base URL */
	char *path;       /* the repository there */
	char *scope;      /* repository:PATH:pull */
	const char *user; /* NULL: anonymous; borrowed */
	const char *token;
	char *ecr_host; /* the ecr upstream's, or NULL */
	char *role_arn; /* its customRoleArn, or NULL */
	char *prefix;   /* the rule's ecrRepositoryPrefix, for events */
	char *url;      /* its upstreamRegistryUrl, for events */
};
int core_ptc_target(struct call *, const char *name, struct core_ptc_target *);
void core_ptc_target_free(struct core_ptc_target *);
/* Is rule (a pull-through cache rule's record) for the ecr upstream? */
bool core_ptc_rule_is_ecr(struct json_object *rule);
/* The target's credentials for up_fetch_start (borrowed from t). */
void core_ptc_target_cred(const struct core_ptc_target *t, struct up_cred *);
/*
 * Run the call's op again (a read txn), then call_finish unless it asks
 * the upstream again (CALL_PENDING).
 */
void core_ptc_rerun(struct call *);
/*
 * What a pull stores is written in the group commit (core_net's
 * queue_write; without one, at once in a commit of its own): a write call
 * of core's own, w, made by core_ptc_write_call with call's identity and
 * op (OP_TXN_WRITE), owning owned (freed with proto_free) as its proto.
 * core_ptc_write queues it; call_on_finish's fn runs once the commit is
 * durable (or failed: w's error) and then owns w.
 */
struct call *core_ptc_write_call(struct call *call, const struct op *op,
    void *owned, void (*proto_free)(void *));
void core_ptc_write(struct call *w);
/*
 * pull_through_blob.c: a blob GET in repository repo (name) under a rule
 * that has no layer record for digest: fetch it upstream into an upload
 * file, hashed as it comes, never whole in memory; record the blob and
 * the layer only when the digest matches; then run the op again
 * (ptc_state). Concurrent GETs of one digest wait for one transfer.
 * A HEAD (is_head) only asks the upstream's HEAD and records nothing:
 * ptc_state CORE_PTC_HEADED with ptc_head_len when it has the blob.
 * CALL_PENDING, 0 (no rule), or -1.
 */
int core_ptc_pull_blob(struct call *, const struct store_repo *repo,
    const char *digest, bool is_head);
int core_ptc_pull_manifest(struct call *, const char *name, const char *ref,
    const char *accept);
bool core_ptc_is_fresh(struct call *, const char *name, const char *tag);
void core_ptc_seen_free(struct core_ctx *);

/* clock.c: the real clock, for what must match the world outside. */
int64_t core_real_ms(void);

/* upload.c: free the tables of leases and hashes (api_ctx_free). */
struct core_lease;
struct core_upload_hash;
void core_upload_tables_free(struct core_ctx *);

/* authz_ids.c: identity policies from the credentials file (issue #5). */
struct authz_ids;
struct core_policy_cache;
void core_policy_cache_free(struct core_policy_cache *);
struct creds;
struct policy;
/* Parse every principal's policies: 0 and *out, or -1 with *cause. */
int authz_ids_new(const struct creds *, struct authz_ids **out, char **cause);
void authz_ids_free(struct authz_ids *);
/* The policies of principal_arn, *n of them; borrowed until replaced. */
const struct policy *const *authz_ids_find(const struct authz_ids *,
    const char *principal_arn, size_t *n);

/* authz.c: strict mode's decision on a request. */
/* What is asked; nothing here is owned. */
struct authz_req {
	const char *principal_arn;
	const char *account; /* the caller's */
	const char *region;
	const char *source_ip;   /* NULL when unknown */
	const char *action;      /* "ecr:BatchGetImage" */
	const char *registry_id; /* the resource's account */
	const char *repo_name;   /* NULL: no repository */
	const char *resource;    /* an ARN, or "*" */
	int64_t now_ms;
	const struct policy_kv *request_tags;
	size_t n_request_tags;
	const char *const *tag_keys;
	size_t n_tag_keys;
};
/*
 * Decide r as txn sees the store. override, when not NULL, stands for the
 * repository's stored policy. 0 with *allowed (and msg when denied), or a
 * STORE_* code.
 */
int core_authz_eval(struct core_ctx *, struct store_txn *,
    const struct authz_req *, const struct policy *override, bool *allowed,
    char *msg, size_t size);
/*
 * Replication across accounts (docs/ecr-behaviour.md 3.5, 3.8): does the
 * registry policy of (registry_id, region) allow account src_account
 * action ("ecr:ReplicateImage", "ecr:CreateRepository") on repository
 * repo_name? Read in txn, whatever the mode and the policy scope: it is
 * the destination's configuration, not a caller's authorization. No
 * policy allows nothing. 0 with *allowed, or a STORE_* code.
 */
int core_authz_replicate(struct core_ctx *, struct store_txn *,
    const char *src_account, const char *registry_id, const char *region,
    const char *repo_name, const char *action, int64_t now_ms, bool *allowed);
/*
 * Split arn:PARTITION:ecr:REGION:ACCOUNT:repository/NAME for region: true
 * with account copied and *name pointing into arn.
 */
bool core_arn_repo(const char *arn, const char *region, char account[13],
    const char **name);

/* setting.c: account settings (docs/ecr-behaviour.md 3.11). */
#define CORE_SETTING_VALUES_MAX 2
struct setting_def {
	const char *name;
	const char *dflt;
	const char *values[CORE_SETTING_VALUES_MAX];
	const char *values_text; /* for the message */
};
extern const struct setting_def core_setting_defs[];
extern const size_t core_n_setting_defs;
/* A setting by name, or NULL. */
const struct setting_def *core_setting_find(const char *name);
/*
 * The registry document of kind (store/SCHEMA.md) of (registry_id,
 * region), parsed strictly as JSON of type want: 0 with *out (the caller
 * puts it), STORE_NOTFOUND when none is stored, STORE_CORRUPT when it is
 * not such JSON, or another STORE_* code; *out is NULL but on 0. The one
 * reader of the registry's JSON documents (settings, replication,
 * scanning, signing, exclusions).
 */
int core_registry_doc_json(struct store_txn *, const char *registry_id,
    const char *region, enum store_doc_kind, json_type want,
    struct json_object **out);
/* The stored settings object (put it), or NULL when none is stored. */
int core_settings_read(struct store_txn *, const char *registry_id,
    const char *region, struct json_object **out);
/* def's value in settings (NULL: none stored), or its default. */
const char *core_setting_stored(struct json_object *settings,
    const struct setting_def *def);
/*
 * Copy the value of account setting name in
 * (registry_id, region), or its default, into value: 0, STORE_NOTFOUND for
 * a name ecrd does not know, or another STORE_* code (value then "").
 */
#define CORE_SETTING_POLICY_SCOPE "REGISTRY_POLICY_SCOPE"
#define CORE_SETTING_BLOB_MOUNTING "BLOB_MOUNTING"
int core_setting_get(struct store_txn *, const char *registry_id,
    const char *region, const char *name, char *value, size_t size);

/* pulls.c: lastRecordedPullTime, written with the next commit. */
struct core_pulls;
/* Unless the call's principal is excluded from updating it (3.13). */
void core_pull_note(struct call *, const struct store_repo *,
    const char *digest);

/*
 * exclusion.c: pull-time update exclusions (docs/ecr-behaviour.md 3.13).
 * Read fills *out with the registry's list (owned; empty if none): 0 or
 * a store code. Write replaces the call's registry's list in its txn.
 * Find returns the index of principal_arn's entry, or -1.
 */
int core_exclusions_read(struct store_txn *, const char *registry_id,
    const char *region, struct json_object **out);
int core_exclusions_write(struct call *, struct json_object *list);
int core_exclusions_find(struct json_object *list, const char *principal_arn);
bool core_pull_is_excluded(struct call *, const struct store_repo *);
int core_pulls_apply(struct core_ctx *, struct store_txn *parent);
void core_pulls_release(struct core_ctx *);

#define CORE_REAP_SLICE 256 /* records per write txn, at most */
/* reap.c: whether a slice's commit is under way (gc.c waits for it). */
bool core_reap_is_committing(const struct core_reap *);

/* blob_url.c: the downloadUrl of a blob (valid an hour). */
const char *core_blob_url(struct call *, const char *digest);

/* identity.c */
int core_identify(struct call *, const struct sigv4_request *);

/* call.c: failing in one line, and strings that live as long as the call. */
/*
 * Strict mode: may the call's caller do action on repository repo of the
 * call's registry (core_authorize)? 0, or -1 with AccessDeniedException
 * (or, on a store failure, ServerException) set on the call.
 */
int core_call_authorize(struct call *, const char *action, const char *repo);
int core_fail(struct call *, enum ecr_errcode, const char *, ...)
    __attribute__((format(printf, 3, 4)));
int core_fail_store(struct call *, int rc);
/*
 * The answer could not be rendered (over JSON_RENDER_MAX, our bug): log it
 * and fail with a ServerException in place of any error already set.
 */
int core_fail_render(struct call *);
int core_fail_no_repo(struct call *, const char *name);
int core_fail_param(struct call *, const char *member, const char *detail);
/* Keep owned_s until the call is freed; returns it. */
char *call_take(struct call *, char *owned_s);
char *call_printf(struct call *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

/* repo.c: repositories as both protocols see them. */
/* "aws", "aws-cn" or "aws-us-gov", as the region says. */
const char *core_partition(const char *region);
/* The pieces of a repository ARN and of a registry's host, for jw_strv. */
#define CORE_ARN_PARTS 8
#define CORE_HOST_PARTS 5
void core_repo_arn_parts(struct call *, const char *registry_id,
    const char *name, const char *parts[CORE_ARN_PARTS]);
/*
 * ECR's host for a registry, or this server's address when the operator
 * asked URIs to point here (--public-endpoint); returns how many parts.
 */
size_t core_registry_host_parts(struct call *, const char *registry_id,
    const char *parts[CORE_HOST_PARTS]);
void core_repo_arn(struct call *, const char *registry_id, const char *name,
    char *dst, size_t size);
/* The same for a repository of region, outside a call; the caller frees. */
char *core_repo_arn_in(const char *region, const char *registry_id,
    const char *name);
int core_repo_get(struct call *, const char *name, struct store_repo *out);
int core_repo_from_arn(struct call *, const char *arn, struct store_repo *out);
void core_registry_host(struct call *, const char *registry_id, char *dst,
    size_t size);
/*
 * A repository's settings from their ECR JSON (the input of
 * CreateRepository and its siblings, or a creation template's members,
 * issue 13), checked: 0, or -1 with the call's error.
 */
int core_repo_tags_merge(struct call *, struct store_repo *,
    struct json_object *tags);
void core_repo_tags_remove(struct store_repo *, struct json_object *keys);
int core_mutability_check(struct call *, const char *mutability,
    struct json_object *filters, struct store_repo *repo);
/*
 * Set repo's encryption from an EncryptionConfiguration (enc NULL: AES256),
 * KMS without a key meaning aws/ecr's: 0, or -1 with
 * InvalidParameterException for a key without KMS.
 */
int core_encryption_set(struct call *, struct json_object *enc,
    struct store_repo *repo);
/*
 * After a repository was created in call->txn: LimitExceededException if
 * it took the registry past its quota (the caller's txn is then aborted).
 */
int core_repo_quota_check(struct call *);

/*
 * template.c: records named by a repository prefix (creation templates,
 * pull-through cache rules), kept as the JSON ECR answers with, and
 * create on push (docs/ecr-behaviour.md 3.9, 3.10).
 */
#define CORE_PREFIX_ROOT "ROOT"
/* The stored key of prefix: without its implied trailing '/'. */
const char *core_prefix_key(struct call *, const char *prefix);
/*
 * Load the record of kind named prefix: 0 with *out (put it) and its
 * times, 1 if there is none, or -1 with the call's error.
 */
/*
 * Pull through the cache: repository name, made if missing from the
 * PULL_THROUGH_CACHE template with the longest prefix, else with ECR's
 * defaults (strict mode: ecr:CreateRepository and
 * ecr:BatchImportUpstreamImage). 0, or -1 with the call's error.
 */
int core_repo_get_or_create_for_pull(struct call *, const char *name,
    struct store_repo *out);
int core_record_load(struct call *, enum store_template_kind,
    const char *prefix, struct json_object **out, int64_t *created_at_ms,
    int64_t *updated_at_ms);
/*
 * Store record under prefix, updated now: created (is_new) or replacing
 * one. 0, 1 if one exists already (is_new) or none does, or -1 with the
 * call's error.
 */
int core_record_save(struct call *, enum store_template_kind,
    const char *prefix, struct json_object *record, int64_t created_at_ms,
    bool is_new);
/*
 * Fill repo (name and ids aside) with the settings of creation template
 * t, each checked as CreateRepository checks it: 0, or -1 with the call's
 * error.
 */
int core_template_settings(struct call *, struct json_object *t,
    struct store_repo *repo);
/*
 * Create on push, for every push path (PutImage, InitiateLayerUpload, the
 * registry's manifest PUT and upload POST): repository name into *out; if
 * it is missing and a CREATE_ON_PUSH template matches it (the longest
 * prefix, else ROOT), the repository made from it in call->txn, with its
 * policies. 0, or -1 with RepositoryNotFoundException (no template),
 * AccessDeniedException (strict mode: no ecr:CreateRepository) or what
 * making it failed with.
 */
int core_repo_get_or_create_on_push(struct call *, const char *name,
    struct store_repo *out);

/*
 * Replication's destination: repository name of the call's registry and
 * region made from the REPLICATION template with the longest prefix, else
 * with ECR's defaults (3.10). 0, or -1 with the call's error.
 */
int core_repo_create_for_replica(struct call *, const char *name,
    struct store_repo *out);

/*
 * replication.c (docs/ecr-behaviour.md 3.8). The stored configuration
 * of (registry_id, region): 0 with *out (put it; NULL when none is set),
 * or a STORE_* code. Enqueue, after a push of digest (with tag, or NULL)
 * into repo succeeded in call->txn: a job and an IN_PROGRESS status for
 * each destination of each rule whose filters match, unless the call is a
 * copy or a pull through the cache. 0, or -1 with the call's error.
 */
int core_repl_config_load(struct store_txn *, const char *registry_id,
    const char *region, struct json_object **out);
int core_repl_enqueue(struct call *, const struct store_repo *repo,
    const char *digest, const char *tag);
/*
 * In a group commit's txn, after its calls: a slice of the due jobs, in
 * a child txn that a failure drops, at least as many as the batch's calls
 * added (up to CORE_REPL_BATCH_MAX), so that a push's copies commit with
 * it. Sets is_repl_due when jobs are left for a run (core_repl_take_due).
 */
#define CORE_REPL_SLICE 64      /* jobs a slice takes at most */
#define CORE_REPL_BATCH_MAX 256 /* jobs a group commit's slice takes */
void core_repl_apply(struct core_ctx *, struct store_txn *parent);
/*
 * Whether seen (an object the call owns, keys in the call's arena) had
 * the destination already; it has it after.
 */
bool core_repl_dest_seen(struct call *, struct json_object *seen,
    const char *registry_id, const char *region);
/* A region ECR serves, of any partition ("eu-west-1", "cn-north-1"). */
bool core_repl_region_is_known(const char *region);
/* Free what the context keeps for replication. */
void core_repl_ctx_release(struct core_ctx *);

/*
 * restore.c: start restoring archived img (docs/ecr-behaviour.md 3.14): it
 * is ACTIVATING, written in the call's txn with the record that ends it.
 * 0 or a store code.
 */
int core_restore_begin(struct call *, struct store_image *img);

/*
 * signing.c: managed signing (docs/ecr-behaviour.md 3.12). Read fills *out
 * with the registry's configuration {"rules": [...]} (owned), or answers
 * STORE_NOTFOUND. Profiles: the ARNs of the rules matching repo_name, a
 * JSON array without repeats (owned), or NULL if none. Status set writes
 * one profile's status (code and reason may be NULL). Enqueue queues a
 * signing of a pushed image in the call's txn, IN_PROGRESS for each
 * matching profile; 0 or a store code.
 */
int core_signing_read(struct store_txn *, const char *registry_id,
    const char *region, struct json_object **out);
struct json_object *core_signing_profiles(struct json_object *config,
    const char *repo_name);
int core_signing_status_set(struct store_txn *, uint64_t repo_id,
    const char *digest, const char *profile, const char *status,
    const char *code, const char *reason);
int core_signing_enqueue(struct call *, const struct store_repo *,
    const char *digest);

/*
 * sign_run.c: within a group commit (ctx.c), the signatures' events on l;
 * free the signers and runs.
 */
int core_signs_apply(struct core_ctx *, struct store_txn *parent,
    struct core_events *l);
void core_signers_free(struct core_ctx *);

/*
 * event.c: the events' facts. core_events_wanted: a sink takes them (else
 * make none). core_event_new: an event of registry account in region
 * about repo_name (its ARN made here) and digest (NULL: none), at
 * core_now_ms, owned by the caller. core_call_event: one about repo on
 * the call, at its time, handed over after its commit (NULL when none is
 * wanted); the caller fills in the rest. core_event_set: a field's value,
 * copied (NULL or "": none). core_events_emit: hand l's events to the sink in
 * order, once their commit is durable, and empty l; core_events_clear
 * drops them (the commit failed). core_event_emit_now: one whose truth
 * needs no commit (a failure ECR reports).
 */
bool core_events_wanted(const struct core_ctx *);
struct core_event *core_event_new(struct core_ctx *, enum core_event_kind,
    const char *account, const char *region, const char *repo_name,
    const char *digest);
struct core_event *core_call_event(struct call *, enum core_event_kind,
    const struct store_repo *, const char *digest);
void core_event_set(char **field, const char *value);
/*
 * An image or referrer action (as img has a subject or not) about img of
 * repo, at at_ms, with its media types; owned, or NULL when none is
 * wanted. core_call_storage_class: the archiving of img on the call.
 */
struct core_event *core_image_event(struct core_ctx *, enum core_event_action,
    const struct store_repo *, const struct store_image *, int64_t at_ms);
void core_call_storage_class(struct call *, const struct store_repo *,
    const struct store_image *);
void core_events_add(struct core_events *, struct core_event *owned_ev);
/* Append src's events to dst's, leaving src empty. */
void core_events_move(struct core_events *dst, struct core_events *src);
void core_events_emit(struct core_ctx *, struct core_events *);
void core_events_clear(struct core_events *);
void core_event_emit_now(struct core_ctx *, struct core_event *owned_ev);
/*
 * A call that committed a txn of its own (not in a group commit) is over:
 * its events go out if it succeeded, else they are dropped.
 */
void core_call_events_done(struct call *);
void core_event_free(struct core_event *);

/* token.c: opaque, MAC'd page tokens bound to a partition. */
char *core_token_make(struct call *, const char *kind, const char *last);
int core_token_parse(struct call *, const char *kind, const char *token,
    char *last, size_t last_size);

#endif
