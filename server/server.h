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

/* A write call waiting for the next group commit. */
/* Answers a call once it has run; frees the call. */
typedef void	(*routes_responder)(struct http_request *, struct call *);

struct pending_write {
	struct http_request	*req;
	struct call		*call;
	routes_responder	 respond;
};

/*
 * Per request: its id and operation (for the log), and the protocol's
 * state while the request is read (registry.c's, or an UploadLayerPart
 * body), owned: route_state's free calls proto_free on it.
 */
struct route_state {
	char			 request_id[40];
	char			 op[64];
	void			*proto;
	void			(*proto_free)(void *);
};
/* Hang owned state off st, freeing what hung there before. */
void	route_state_set_proto(struct route_state *, void *owned,
	    void (*proto_free)(void *));

struct server {
	struct event_base	*base;
	struct http_server	*http;
	struct store		*store;
	struct core_ctx		*api;
	struct creds		*creds;
	const char		*creds_path;
	struct event		*batch_ev;
	struct event		*housekeeping_ev;
	struct pending_write	*pending;
	size_t			 n_pending;
	size_t			 pending_size;
	struct timespec		 started;
	bool			 is_draining;
	bool			 has_admin;	/* admin endpoints served */
	const char		*default_account;	/* admin token */
	const char		*default_region;
	struct lc_sched		*lc_sched;	/* lifecycle.c */
	struct gc_sched		*gc_sched;	/* gc.c */
	struct pool		*pool;		/* pool.h: slow file work */
};

/* routes.c: the application callbacks handed to the HTTP layer. */
void	routes_on_head(struct http_request *, void *srv);
void	routes_on_request(struct http_request *, void *srv);
/* Queue a write call for the next group commit; respond_fn answers it. */
void	routes_queue_write(struct server *, struct http_request *,
	    struct call *, routes_responder respond_fn);
/* The percent-decoded value of name in a raw query into dst, or NULL. */
const char *routes_query(const char *query, const char *name, char *dst,
	    size_t size);
/*
 * The admin endpoints' query parameters (README, "Emulator endpoints"):
 * 1 with the decoded value, 0 when absent, or -1 after answering 400
 * InvalidParameterException with a message (too long for dst, an encoded
 * NUL, not a whole number in [min, max], not a 12-digit account ID, not a
 * region name).
 */
#define ROUTES_SECONDS_MAX	(10LL * 365 * 86400)	/* ten years */
#define ROUTES_ACCOUNT_SIZE	13
#define ROUTES_REGION_SIZE	26
int	routes_param(struct http_request *, const char *name, char *dst,
	    size_t size);
int	routes_param_num(struct http_request *, const char *name, int64_t min,
	    int64_t max, int64_t *out);
/* As routes_param_num, but absent is refused too ("NAME is required"). */
int	routes_param_num_required(struct http_request *, const char *name,
	    int64_t min, int64_t max, int64_t *out);
int	routes_param_account(struct http_request *, const char *name,
	    char dst[ROUTES_ACCOUNT_SIZE]);
int	routes_param_region(struct http_request *, const char *name,
	    char dst[ROUTES_REGION_SIZE]);
/* Answer owned_body (rendered by the JSON writer) with status. */
struct json_object;
void	routes_respond_json(struct http_request *, int status,
	    struct json_object *owned_body);
/* Log the answer about to go and add the request id header. */
void	routes_log(struct http_request *, int status);

/* registry.c: the OCI distribution API under /v2/. */
bool	registry_is_path(const char *path);
void	registry_on_head(struct server *, struct http_request *);
void	registry_on_request(struct server *, struct http_request *);
/*
 * A registry JSON error answer ({"errors":[...]}) with code's status;
 * message NULL: the code's own.
 */
void	registry_error(struct http_request *, enum reg_errcode,
	    const char *message);

/* Run the queued write calls as one group commit and answer them. */
void	routes_flush_writes(struct server *);

/* An AWS-shaped JSON error answer. */
void	routes_error(struct http_request *, int status, const char *type,
	    const char *message);
/* ECR's generic 500 ServerException; the caller logs the cause. */
void	routes_server_error(struct http_request *);

/* blobs.c: blob downloads with byte ranges. */
struct store;
int	blobs_parse_range(const char *header, uint64_t size, uint64_t *off,
	    uint64_t *len);
void	blobs_serve(struct http_request *, struct store *,
	    const char *digest, bool is_registry);

/*
 * lifecycle.c: lifecycle runs every interval_sec (0: never) and on demand
 * (POST /_ecrd/lifecycle/run), stepped at the lowest priority; the clock
 * endpoint (POST /_ecrd/clock). account and region are the defaults.
 */
struct lc_sched;
struct lc_sched *lc_sched_new(struct server *, unsigned interval_sec,
	    const char *account, const char *region);
/* Each second, from housekeeping. */
void	lc_sched_tick(struct lc_sched *);
void	lc_sched_on_run(struct server *, struct http_request *);
void	lc_sched_on_clock(struct server *, struct http_request *);
/* Drop runs under way without answering (the server is stopping). */
void	lc_sched_free(struct lc_sched *);

/*
 * gc.c: garbage collection runs, one at a time, in slices on the loop with
 * their file work in srv->pool; hourly (gc_sched_due, from housekeeping:
 * a run unless one is under way) and on demand (POST /_ecrd/gc).
 */
struct gc_sched;
struct gc_sched *gc_sched_new(struct server *);
void	gc_sched_due(struct gc_sched *);
void	gc_sched_on_run(struct server *, struct http_request *);
/* Drop runs without answering; after pool_free (no work in flight). */
void	gc_sched_free(struct gc_sched *);

#endif
