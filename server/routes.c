/*
 * What each request is: the AWS JSON 1.1 API on POST /, the emulator's
 * admin endpoints (moto's reset, health), or nothing we serve. Writes are
 * queued and group-committed by writes_flush.
 */
#include "server/server.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <json-c/json.h>

#include "api/api.h"
#include "registry/registry.h"
#include "auth/sigv4.h"
#include "common/json.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/str.h"
#include "common/uuid.h"
#include "common/xalloc.h"
#include "server/audit.h"
#include "server/http.h"

#define ADMIN_BODY_MAX (64 * 1024)
#define BLOBS_PREFIX "/_ecrd/blobs/"

static void
route_state_free(void *arg)
{
	struct route_state *st = arg;

	route_state_set_proto(st, NULL, NULL);
	fault_hit_free(st->fault);
	free(st);
}

static void
part_free_hook(void *part)
{
	api_part_free(part);
}

/* The UploadLayerPart body streaming in, or NULL. */
static struct api_part *
part_of(const struct route_state *st)
{
	return st->proto_free == part_free_hook ? st->proto : NULL;
}

struct sigv4_header *
sigv4_request_of(const struct http_request *req, struct sigv4_request *sr)
{
	struct sigv4_header *hs;
	size_t i;

	hs = xreallocarray(NULL, req->n_headers + 1, sizeof *hs);
	for (i = 0; i < req->n_headers; i++) {
		hs[i].name = req->headers[i].name;
		hs[i].value = req->headers[i].value;
	}
	memset(sr, 0, sizeof *sr);
	sr->method = req->method;
	sr->path = req->path;
	sr->query = req->query;
	sr->headers = hs;
	sr->n_headers = req->n_headers;
	sr->body = (const unsigned char *)req->body.data;
	sr->body_len = req->body.len;
	return hs;
}

/* UploadLayerPart bodies stream through api_part_add (issue 3). */
static bool
is_layer_part(const struct http_request *req)
{
	const char *target = http_request_header(req, "X-Amz-Target");

	return target != NULL &&
	       strcmp(target, API_TARGET_PREFIX "UploadLayerPart") == 0 &&
	       req->content_length <= (int64_t)API_BODY_MAX;
}

static int
on_part_body(struct http_request *req, const char *data, size_t len)
{
	struct route_state *st = req->app_data;

	metrics_note_pushed(req, len);
	if (api_part_add(part_of(st), data, len) == 0)
		return 0;
	answer_aws_error(req, NULL, 413, ERR_REQUEST_ENTITY_TOO_LARGE,
	    "Request body is larger than this endpoint accepts");
	return -1;
}

void
routes_on_head(struct http_request *req, void *arg)
{
	struct server *srv = arg;
	struct route_state *st;
	struct sigv4_header *hs;
	struct sigv4_request sr;

	st = xcalloc(1, sizeof *st);
	/* A random UUID, as x-amzn-RequestId carries. */
	uuid_v4(st->request_id);
	str_copy(st->op, sizeof st->op, "-");
	req->app_data = st;
	req->app_free = route_state_free;
	metrics_note_begin(req, srv);
	if (strcmp(req->method, "POST") == 0 && strcmp(req->path, "/") == 0) {
		req->body_max = API_BODY_MAX;
		if (throttle_api(srv, req) || faults_on_api_head(srv, req))
			return;
		if (is_layer_part(req)) {
			hs = sigv4_request_of(req, &sr);
			route_state_set_proto(st, api_part_new(srv->api, &sr),
			    part_free_hook);
			free(hs);
			req->on_body = on_part_body;
		}
	} else
		req->body_max = ADMIN_BODY_MAX;
	if (registry_is_path(req->path))
		registry_on_head(arg, req);
}

static void
respond_call(struct http_request *req, struct call *call)
{
	struct route_state *st = req->app_data;
	struct answer a;
	const char *error_type;
	char *body;
	size_t len;
	int status;

	/* Names in the op table are short: it fits. */
	(void)str_copy(st->op, sizeof st->op, call_op_name(call));
	metrics_note_call(&st->mx, call, NULL, NULL);
	api_call_render(call, &status, &error_type, &body, &len);
	audit_ecr(req, call);
	answer_init(&a, status, ANSWER_JSON_11);
	/* answer_send takes the body: a page goes out without a copy. */
	a.owned_body = body;
	answer_ecr_rendered(req, &a, error_type, body, len);
	call_free(call);
}

/* A call that waited on an upstream is answered once it is done. */
static void
respond_later(struct call *call, void *req)
{
	respond_call(req, call);
}

static void
handle_aws(struct server *srv, struct http_request *req)
{
	struct route_state *st = req->app_data;
	struct sigv4_header *hs;
	struct sigv4_request sr;
	struct call *call;
	struct api_part *part;
	const char *target = http_request_header(req, "X-Amz-Target");
	enum core_stage stage;

	hs = sigv4_request_of(req, &sr);
	call = call_new(srv->api, st->request_id, core_now_ms(srv->api));
	call_set_source_ip(call, req->peer_ip);
	if ((part = part_of(st)) != NULL) {
		/* The call takes it. */
		st->proto = NULL;
		st->proto_free = NULL;
		stage = api_call_prepare_part(call, target, part, &sr);
	} else
		stage = api_call_prepare(call, target, req->body.data,
		    req->body.len, &sr);
	switch (stage) {
	case CORE_STAGE_WRITE:
		writes_queue_files(srv, req, call, respond_call);
		break;
	case CORE_STAGE_READ:
		call_run(call);
		if (call_is_pending(call)) {
			call_on_finish(call, respond_later, req);
			break;
		}
		/* FALLTHROUGH */
	case CORE_STAGE_DONE:
		respond_call(req, call);
		break;
	}
	free(hs);
}

static void
handle_reset(struct server *srv, struct http_request *req)
{
	struct json_object *o;
	char *cause = NULL;

	/* Writes queued before the reset land first, then are wiped. */
	writes_flush_now(srv);
	if (core_reset(srv->api, &cause) != 0) {
		log_error("reset failed: %s", cause);
		free(cause);
		answer_server_error(req);
		return;
	}
	o = jnew_obj();
	jadd_str(o, "status", "ok");
	answer_json(req, 200, o);
}

/*
 * POST /_ecrd/token?expires_in_seconds=N[&account=ID&region=R]: a
 * registry password like GetAuthorizationToken's, with the expiry asked
 * (negative: already expired), so tests can prove expired tokens fail.
 */
static void
handle_token(struct server *srv, struct http_request *req)
{
	struct json_object *o;
	char acct[REQUEST_ACCOUNT_SIZE], *pw, *root;
	char rgn[REQUEST_REGION_SIZE];
	int64_t n, now, expires;

	if (request_param_num_required(req, "expires_in_seconds",
	        -REQUEST_SECONDS_MAX, REQUEST_SECONDS_MAX, &n) < 0)
		return;
	if (request_param_registry(req, srv->default_account,
	        srv->default_region, acct, rgn) < 0)
		return;
	now = core_now_ms(srv->api);
	expires = now + n * 1000;
	/* The account's root: the token's own account, not another one. */
	root = xasprintf("arn:aws:iam::%s:root", acct);
	pw = api_reg_mint_token(srv->api, acct, rgn, root, now, expires);
	free(root);
	o = jnew_obj();
	jadd_str(o, "password", pw);
	jadd_i64(o, "expiresAt", expires / 1000);
	answer_json(req, 200, o);
	free(pw);
}

static void
handle_health(struct server *srv, struct http_request *req)
{
	struct json_object *o = jnew_obj();

	jadd_str(o, "service", "ecrd");
	jadd_str(o, "status", srv->is_draining ? "stopping" : "running");
	jadd_str(o, "version", ECRD_VERSION);
	/* Seconds with three decimals, the form jadd_epoch writes. */
	jadd_epoch(o, "uptimeSeconds", (int64_t)elapsed_ms(&srv->started));
	answer_json(req, 200, o);
}

/*
 * A signing profile's certificate (docs/ecr-behaviour.md 3.12), so that a
 * verifier can trust ecrd's signatures: ?profile=ARN. 404 until the
 * profile has signed something (or was given with --signing-key).
 */
static void
handle_signing_cert(struct server *srv, struct http_request *req)
{
	struct json_object *o;
	char profile[256];
	char *pem;

	if (str_query_value(req->query, "profile", profile, sizeof profile) !=
	    0) {
		answer_aws_error(req, NULL, 400, ERR_INVALID_PARAMETER,
		    "profile (a signing profile ARN) is required");
		return;
	}
	if ((pem = core_signer_cert(srv->api, profile)) == NULL) {
		answer_aws_error(req, NULL, 404, ERR_INVALID_PARAMETER,
		    "The signing profile has no certificate yet: it has "
		    "signed nothing");
		return;
	}
	o = jnew_obj();
	jadd_str(o, "signingProfileArn", profile);
	jadd_str(o, "certificate", pem);
	answer_json(req, 200, o);
	free(pem);
}

/* A GetDownloadUrlForLayer URL: no Authorization, just its MAC'd query. */
static void
handle_blob(struct server *srv, struct http_request *req)
{
	const char *digest = req->path + strlen(BLOBS_PREFIX);
	int rc;

	rc = core_blob_url_check(srv->api, digest, req->query,
	    core_now_ms(srv->api));
	if (rc == CORE_URL_EXPIRED)
		answer_aws_error(req, NULL, 403, ERR_ACCESS_DENIED,
		    "Request has expired");
	else if (rc != 0)
		answer_aws_error(req, NULL, 403, ERR_ACCESS_DENIED,
		    "The request signature does not match");
	else
		blobs_serve(req, srv->store, digest, false, NULL);
}

/*
 * The emulator's admin endpoints and the methods each takes. They
 * act for any account with no credentials, so strict mode serves them only
 * when asked (--admin-endpoints, issue 11); otherwise they are unknown
 * paths, as is a method an endpoint lacks.
 */
#define ADMIN_GET 0x1
#define ADMIN_DELETE 0x2
#define ADMIN_POST 0x4
static const struct admin_route {
	const char *path;
	void (*handle)(struct server *, struct http_request *);
	unsigned methods; /* ADMIN_* */
} admin_routes[] = {
    {"/_ecrd/clock", lc_sched_on_clock, ADMIN_POST},
    {"/_ecrd/faults", faults_on_admin, ADMIN_GET | ADMIN_POST | ADMIN_DELETE},
    {"/_ecrd/gc", gc_sched_on_run, ADMIN_POST},
    {"/_ecrd/lifecycle/run", lc_sched_on_run, ADMIN_POST},
    {"/_ecrd/scan-findings", scan_sched_on_findings, ADMIN_POST},
    {"/_ecrd/signing/certificate", handle_signing_cert, ADMIN_POST},
    {"/_ecrd/token", handle_token, ADMIN_POST},
    {"/moto-api/reset", handle_reset, ADMIN_POST},
    {"/moto-api/static/ecr/scan-finding-results", scan_sched_on_moto,
        ADMIN_POST},
};

static unsigned
admin_method(const char *method)
{
	if (strcmp(method, "GET") == 0)
		return ADMIN_GET;
	if (strcmp(method, "DELETE") == 0)
		return ADMIN_DELETE;
	return strcmp(method, "POST") == 0 ? ADMIN_POST : 0;
}

static bool
route_admin(struct server *srv, struct http_request *req)
{
	const struct admin_route *r;
	unsigned method = admin_method(req->method);
	size_t i;

	if (!srv->has_admin || method == 0)
		return false;
	for (i = 0; i < sizeof admin_routes / sizeof admin_routes[0]; i++) {
		r = &admin_routes[i];
		if (strcmp(req->path, r->path) == 0 &&
		    (r->methods & method) != 0) {
			r->handle(srv, req);
			return true;
		}
	}
	return false;
}

void
routes_on_request(struct http_request *req, void *arg)
{
	struct server *srv = arg;
	bool is_get =
	    strcmp(req->method, "GET") == 0 || strcmp(req->method, "HEAD") == 0;

	if (faults_on_request(srv, req))
		return; /* an injected fault's: later, or its error */
	if (registry_is_path(req->path))
		registry_on_request(srv, req); /* its own 413 */
	else if (req->is_body_too_large)
		answer_aws_error(req, NULL, 413, ERR_REQUEST_ENTITY_TOO_LARGE,
		    "Request body is larger than this endpoint accepts");
	else if (strcmp(req->path, "/") == 0 &&
	         strcmp(req->method, "POST") == 0)
		handle_aws(srv, req);
	else if (route_admin(srv, req))
		return;
	else if (strcmp(req->path, "/metrics") == 0 && is_get)
		metrics_serve(srv, req);
	else if (strncmp(req->path, BLOBS_PREFIX, strlen(BLOBS_PREFIX)) == 0 &&
	         is_get)
		handle_blob(srv, req);
	else if ((strcmp(req->path, "/_ecrd/health") == 0 ||
	             strcmp(req->path, "/health") == 0) &&
	         is_get)
		handle_health(srv, req);
	else
		answer_aws_error(req, NULL, 404, ERR_UNKNOWN_OPERATION,
		    "No such endpoint on this server");
}
