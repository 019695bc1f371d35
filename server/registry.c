/*
 * The registry API (OCI Distribution / Docker Registry HTTP API V2) on the
 * ECR server's port: routing /v2/ paths, Basic auth, streaming blob bodies
 * into uploads with bounded memory, and answers with the headers clients
 * need (docs/registry-behaviour.md 2-4). The rules live in api/ (registry.h).
 */
#include "server/server.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "registry/registry.h"
#include "common/buf.h"
#include "common/parse.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "server/http.h"

#define MANIFEST_BODY_MAX	(4 * 1024 * 1024)	/* the model's limit */
#define QUERY_VALUE_MAX		1024

struct reg_state {
	struct api_reg_request	 rq;
	struct call		*call;
	char			*owned[16];	/* strings rq points into */
	size_t			 n_owned;
	struct store		*store;		/* blob downloads */
	bool			 is_streaming;
	int			 route_rc;	/* 0, ROUTE_NONE, ROUTE_METHOD */
};

/* The request's state: registry_on_head made it for every /v2 path. */
static struct reg_state *
reg_of(struct http_request *req)
{
	struct route_state	*st = req->app_data;

	return st->proto;
}

bool
registry_is_path(const char *path)
{
	return strcmp(path, "/v2") == 0 || str_has_prefix(path, "/v2/");
}

static void
reg_state_free(void *arg)
{
	struct reg_state	*rs = arg;
	size_t			 i;

	if (rs == NULL)
		return;
	call_free(rs->call);
	for (i = 0; i < rs->n_owned; i++) {
		if (rs->owned[i] != NULL)
			sodium_memzero(rs->owned[i], strlen(rs->owned[i]));
		free(rs->owned[i]);
	}
	free(rs);
}

static const char *
keep(struct reg_state *rs, char *owned)
{
	if (rs->n_owned == sizeof rs->owned / sizeof rs->owned[0]) {
		free(owned);
		return NULL;
	}
	rs->owned[rs->n_owned++] = owned;
	return owned;
}

/* The decoded value of name in the raw query, or NULL. */
static const char *
query(struct reg_state *rs, const char *q, const char *name)
{
	char	value[QUERY_VALUE_MAX];

	if (request_query(q, name, value, sizeof value) == NULL)
		return NULL;
	return keep(rs, xstrdup(value));
}

/* "Authorization: Basic base64(user:password)". */
static void
basic_auth(struct reg_state *rs, struct http_request *req)
{
	const char	*h = http_request_header(req, "Authorization");
	unsigned char	*bin;
	size_t		 hlen, len;
	char		*colon;

	if (h == NULL || !str_ieq_n(h, 6, "Basic ") || (hlen = strlen(h + 6)) >
	    16384)
		return;
	bin = xmalloc(hlen + 1);
	if (sodium_base642bin(bin, hlen, h + 6, hlen, NULL, &len, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || memchr(bin, '\0', len) !=
	    NULL) {
		free(bin);
		return;
	}
	bin[len] = '\0';
	if ((colon = strchr((char *)bin, ':')) == NULL) {
		free(bin);
		return;
	}
	*colon = '\0';
	rs->rq.password = keep(rs, xstrdup(colon + 1));
	rs->rq.user = keep(rs, (char *)bin);
}

/*
 * Routing reads the path from the right, since names hold '/' (and even
 * segments like "blobs"): the last segments say the endpoint, and the name
 * is what comes before them (docs/registry-behaviour.md 3.1). Returns 0, -1 for
 * no such endpoint (404) or -2 for a method the endpoint lacks (405).
 */
#define ROUTE_NONE	(-1)
#define ROUTE_METHOD	(-2)

/* The name: path[4 .. end) when it is not empty. */
static int
set_name(struct reg_state *rs, const char *path, const char *end)
{
	char	*name;
	size_t	 len;

	if (end <= path + 4)
		return ROUTE_NONE;
	len = (size_t)(end - (path + 4));
	name = xmalloc(len + 1);
	memcpy(name, path + 4, len);
	name[len] = '\0';
	rs->rq.repo = keep(rs, name);
	return 0;
}

/* The start of the segment that ends just before `end` ('/' at end). */
static const char *
segment_before(const char *path, const char *end)
{
	const char	*p = end;

	while (p > path && p[-1] != '/')
		p--;
	return p;
}

static bool
seg_is(const char *seg, const char *end, const char *word)
{
	return (size_t)(end - seg) == strlen(word) &&
	    strncmp(seg, word, strlen(word)) == 0;
}

static int
pick(bool ok, enum api_reg_op op, struct reg_state *rs)
{
	if (!ok)
		return ROUTE_METHOD;
	rs->rq.op = op;
	return 0;
}

static int
route_uploads(struct reg_state *rs, const char *m, const char *id)
{
	if (*id == '\0')
		return pick(strcmp(m, "POST") == 0, API_REG_UPLOAD_START, rs);
	rs->rq.upload_id = id;
	if (strcmp(m, "GET") == 0)
		return pick(true, API_REG_UPLOAD_STATUS, rs);
	if (strcmp(m, "PATCH") == 0)
		return pick(true, API_REG_UPLOAD_PATCH, rs);
	if (strcmp(m, "PUT") == 0)
		return pick(true, API_REG_UPLOAD_FINISH, rs);
	return pick(strcmp(m, "DELETE") == 0, API_REG_UPLOAD_CANCEL, rs);
}

static int
route_named(struct reg_state *rs, const char *m, const char *path)
{
	bool		 get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
	const char	*end = path + strlen(path), *last, *prev, *pprev;

	last = segment_before(path, end);	/* the last segment */
	if (last <= path + 4)
		return ROUTE_NONE;
	prev = segment_before(path, last - 1);	/* the one before it */
	pprev = prev > path + 4 ? segment_before(path, prev - 1) : prev;
	if (seg_is(prev, last - 1, "tags") && seg_is(last, end, "list") &&
	    set_name(rs, path, prev - 1) == 0)
		return pick(get, API_REG_TAGS, rs);
	if (seg_is(prev, last - 1, "uploads") && seg_is(pprev, prev - 1,
	    "blobs") && set_name(rs, path, pprev - 1) == 0)
		return route_uploads(rs, m, last);
	if (seg_is(prev, last - 1, "blobs") && seg_is(last, end, "uploads") &&
	    set_name(rs, path, prev - 1) == 0)
		return route_uploads(rs, m, "");
	if (*last == '\0' || set_name(rs, path, prev - 1) != 0)
		return ROUTE_NONE;
	rs->rq.reference = last;
	if (seg_is(prev, last - 1, "manifests"))
		return pick(get || strcmp(m, "PUT") == 0 ||
		    strcmp(m, "DELETE") == 0, get ? API_REG_MANIFEST_GET :
		    strcmp(m, "PUT") == 0 ? API_REG_MANIFEST_PUT :
		    API_REG_MANIFEST_DELETE, rs);
	if (seg_is(prev, last - 1, "blobs"))
		return pick(get || strcmp(m, "DELETE") == 0, get ?
		    API_REG_BLOB_GET : API_REG_BLOB_DELETE, rs);
	if (seg_is(prev, last - 1, "referrers"))
		return pick(get, API_REG_REFERRERS, rs);
	return ROUTE_NONE;
}

static int
route(struct reg_state *rs, struct http_request *req)
{
	const char	*m = req->method;
	bool		 get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;

	if (strcmp(req->path, "/v2") == 0 || strcmp(req->path, "/v2/") == 0)
		return pick(get, API_REG_PING, rs);
	if (strcmp(req->path, "/v2/_catalog") == 0)
		return pick(get, API_REG_CATALOG, rs);
	return route_named(rs, m, req->path);
}

/* Every Accept line as one list: Go clients send one line per type. */
static const char *
accept_list(struct reg_state *rs, struct http_request *req)
{
	struct buf	b;
	size_t		i;

	buf_init(&b, 64 * 1024);
	for (i = 0; i < req->n_headers; i++) {
		if (strcasecmp(req->headers[i].name, "Accept") != 0)
			continue;
		if (b.len != 0)
			buf_addstr(&b, ", ");
		buf_addstr(&b, req->headers[i].value);
	}
	if (b.data == NULL || b.len == 0) {
		buf_release(&b);
		return NULL;
	}
	return keep(rs, buf_take(&b, NULL));
}

static void
read_request(struct reg_state *rs, struct http_request *req)
{
	const char	*n, *errstr;
	uint64_t	 v;

	rs->rq.is_head = req->is_head;
	rs->rq.accept = accept_list(rs, req);
	rs->rq.content_type = http_request_header(req, "Content-Type");
	rs->rq.content_range = http_request_header(req, "Content-Range");
	rs->rq.content_length = req->content_length;
	rs->rq.digest = query(rs, req->query, "digest");
	rs->rq.mount = query(rs, req->query, "mount");
	rs->rq.from = query(rs, req->query, "from");
	rs->rq.last = query(rs, req->query, "last");
	rs->rq.artifact_type = query(rs, req->query, "artifactType");
	rs->rq.n = -1;
	if ((n = query(rs, req->query, "n")) != NULL &&
	    parse_u64(n, 0, 1000000, &v, &errstr) == 0)
		rs->rq.n = (int64_t)v;
	basic_auth(rs, req);
}

static void
respond_reg(struct http_request *req, struct call *call)
{
	struct route_state	*st = req->app_data;
	struct reg_state	*rs = reg_of(req);
	struct api_reg_answer	 ra;
	struct answer		 a;
	size_t			 i;

	snprintf(st->op, sizeof st->op, "%s", call_op_name(call));
	api_reg_render(call, &ra);
	answer_init(&a, ra.status, ra.content_type != NULL ?
	    ra.content_type : "application/json");
	answer_header(&a, "Docker-Distribution-Api-Version", "registry/2.0");
	for (i = 0; i < ra.n_headers; i++)
		answer_header(&a, ra.headers[i][0], ra.headers[i][1]);
	a.body = ra.body;
	a.len = ra.body_len;
	if (ra.blob_digest != NULL)
		blobs_serve(req, rs->store, ra.blob_digest, true, &a);
	else
		answer_send(req, &a);
	call_free(call);
}

/* Body pieces of a streamed upload go straight to the upload file. */
static int
on_stream_body(struct http_request *req, const char *data, size_t len)
{
	struct reg_state	*rs = reg_of(req);

	if (api_reg_stream_add(rs->call, data, len) == 0)
		return 0;
	respond_reg(req, rs->call);
	rs->call = NULL;
	return -1;
}

/* A monolithic POST ?digest= body is dropped: we answer 202 (end-4b). */
static int
on_discard_body(struct http_request *req, const char *data, size_t len)
{
	(void)req;
	(void)data;
	(void)len;
	return 0;
}

static bool
has_body(const struct http_request *req)
{
	return req->is_chunked || req->content_length > 0;
}

void
registry_on_head(struct server *srv, struct http_request *req)
{
	struct route_state	*st = req->app_data;
	struct reg_state	*rs;
	enum api_stage		 stage;

	rs = xcalloc(1, sizeof *rs);
	rs->store = srv->store;
	route_state_set_proto(st, rs, reg_state_free);
	read_request(rs, req);
	if ((rs->route_rc = route(rs, req)) != 0)
		return;		/* on_request answers 404/405 */
	if (rs->rq.op == API_REG_MANIFEST_PUT)
		req->body_max = MANIFEST_BODY_MAX;
	if (rs->rq.op == API_REG_UPLOAD_START && has_body(req))
		req->on_body = on_discard_body;
	if ((rs->rq.op != API_REG_UPLOAD_PATCH &&
	    rs->rq.op != API_REG_UPLOAD_FINISH) || !has_body(req))
		return;
	/* Stream: authenticate and open the upload before the body comes. */
	rs->call = call_new(srv->api, st->request_id,
	    api_now_ms(srv->api));
	call_set_source_ip(rs->call, req->peer_ip);
	stage = api_reg_prepare(rs->call, &rs->rq);
	if (stage == API_STAGE_DONE || api_reg_stream_open(rs->call) != 0) {
		respond_reg(req, rs->call);
		rs->call = NULL;
		return;
	}
	rs->is_streaming = true;
	req->on_body = on_stream_body;
}

void
registry_on_request(struct server *srv, struct http_request *req)
{
	struct route_state	*st = req->app_data;
	struct reg_state	*rs = reg_of(req);
	struct call		*call;
	enum api_stage		 stage;

	if (req->is_body_too_large) {
		answer_reg_error(req, NULL, REG_SIZE_INVALID, "manifest too "
		    "large");
		return;
	}
	if (rs == NULL || (rs->call == NULL && rs->is_streaming))
		return;
	if (rs->route_rc == ROUTE_METHOD) {
		answer_reg_error(req, NULL, REG_METHOD_UNSUPPORTED, "the endpoint "
		    "does not support this method");
		return;
	}
	if (rs->route_rc != 0) {
		answer_reg_error(req, NULL, REG_NAME_UNKNOWN, "no such "
		    "registry endpoint");
		return;
	}
	rs->rq.body = req->body.data;
	rs->rq.body_len = req->body.len;
	if ((call = rs->call) == NULL) {
		call = call_new(srv->api, st->request_id,
		    api_now_ms(srv->api));
		call_set_source_ip(call, req->peer_ip);
		stage = api_reg_prepare(call, &rs->rq);
	} else
		stage = API_STAGE_WRITE;
	rs->call = NULL;
	if (stage == API_STAGE_WRITE) {
		writes_queue(srv, req, call, respond_reg);
		return;
	}
	if (stage == API_STAGE_READ)
		call_run(call);
	respond_reg(req, call);
}
