/*
 * The registry API (OCI Distribution / Docker Registry HTTP API V2) on the
 * ECR server's port: reading /v2/ requests, Basic auth, streaming blob bodies
 * into uploads with bounded memory, and answers with the headers clients
 * need (docs/registry-behaviour.md 2-4). The protocol lives in registry/
 * (registry.h); this file is its HTTP side and the pool work of uploads.
 */
#include "server/server.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "registry/registry.h"
#include "common/buf.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "server/audit.h"
#include "server/http.h"
#include "server/pool.h"
#include "store/store.h"

#define MANIFEST_BODY_MAX (4 * 1024 * 1024) /* the model's limit */
#define QUERY_VALUE_MAX 1024
/*
 * A streamed body goes to the worker pool in chunks of SINK_CHUNK bytes;
 * with SINK_CHUNKS_MAX of them queued the connection stops reading until
 * the worker catches up, so a stream holds a few MiB at most.
 */
#define SINK_CHUNK (512 * 1024)
#define SINK_CHUNKS_MAX 4

/* Page-aligned data, which the upload writer sends with O_DIRECT uncopied. */
#define SINK_CHUNK_ALIGN 4096
struct sink_chunk {
	unsigned char data[SINK_CHUNK];
	struct sink_chunk *next;
	size_t len;
};

struct chunk_list {
	struct sink_chunk *head, *tail;
	size_t n;
};

/*
 * A streamed PATCH or PUT body's file work, off the loop (issue 12): the
 * loop copies the pieces into chunks and a worker writes and hashes them
 * (api_reg_stream_write), then syncs the file once the body is in. One job
 * per stream is out at a time, so that its chunks go in order. While a job
 * is out the worker uses the call, so the state outlives its request until
 * the job is done (is_orphan).
 */
struct reg_sink {
	struct sink_chunk *fill; /* being filled on the loop */
	struct chunk_list ready; /* full, waiting for a job */
	struct chunk_list work;  /* the job's, while is_busy */
	struct chunk_list spare;
	bool is_busy;
	bool work_sync; /* the job syncs after work */
	int work_rc;    /* the job's STORE_* code */
	bool is_ended;  /* the whole body is in */
	bool is_synced;
	int rc; /* the first failure */
};

struct reg_state {
	struct api_reg_request rq;
	struct call *call;
	char *owned[16]; /* strings rq points into */
	size_t n_owned;
	struct store *store; /* blob downloads */
	bool is_streaming;
	bool is_answered; /* the stream's call answered */
	int route_rc;     /* 0 or API_REG_ROUTE_* */
	struct server *srv;
	struct http_request *req; /* NULL once it is freed */
	struct reg_sink sink;
	bool is_orphan;        /* free once the job is done */
	struct call *tee_call; /* a blob GET's, while it runs */
};

/* The request's state: registry_on_head made it for every /v2 path. */
static struct reg_state *
reg_of(struct http_request *req)
{
	struct route_state *st = req->app_data;

	return st->proto;
}

bool
registry_is_path(const char *path)
{
	return strcmp(path, "/v2") == 0 || str_has_prefix(path, "/v2/");
}

static void
chunks_free(struct chunk_list *l)
{
	struct sink_chunk *c;

	while ((c = l->head) != NULL) {
		l->head = c->next;
		free(c);
	}
	memset(l, 0, sizeof *l);
}

/* The request's end; while a job uses the call, the job's end frees it. */
static void
reg_state_free(void *arg)
{
	struct reg_state *rs = arg;
	size_t i;

	if (rs == NULL)
		return;
	rs->req = NULL;
	if (rs->sink.is_busy) {
		rs->is_orphan = true;
		return;
	}
	free(rs->sink.fill);
	chunks_free(&rs->sink.ready);
	chunks_free(&rs->sink.work);
	chunks_free(&rs->sink.spare);
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
	char value[QUERY_VALUE_MAX];

	if (request_query(q, name, value, sizeof value) == NULL)
		return NULL;
	return keep(rs, xstrdup(value));
}

/* "Authorization: Basic base64(user:password)". */
static void
basic_auth(struct reg_state *rs, struct http_request *req)
{
	const char *h = http_request_header(req, "Authorization");
	unsigned char *bin;
	size_t hlen, len;
	char *colon;

	if (h == NULL || !str_ieq_n(h, 6, "Basic ") ||
	    (hlen = strlen(h + 6)) > 16384)
		return;
	bin = xmalloc(hlen + 1);
	if (sodium_base642bin(bin, hlen, h + 6, hlen, NULL, &len, NULL,
	        sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    memchr(bin, '\0', len) != NULL) {
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

/* The registry's router; the name it found is kept for the call. */
static int
route(struct reg_state *rs, struct http_request *req)
{
	const char *name;
	size_t len;
	char *copy;
	int rc;

	rc = api_reg_route(req->method, req->path, &rs->rq, &name, &len);
	if (rc == 0 && name != NULL) {
		copy = xmalloc(len + 1);
		memcpy(copy, name, len);
		copy[len] = '\0';
		rs->rq.repo = keep(rs, copy);
	}
	return rc;
}

/* Every Accept line as one list: Go clients send one line per type. */
static const char *
accept_list(struct reg_state *rs, struct http_request *req)
{
	struct buf b;
	size_t i;

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
	const char *n, *errstr;
	uint64_t v;

	rs->rq.is_head = req->is_head;
	rs->rq.accept = accept_list(rs, req);
	rs->rq.host = http_request_header(req, "Host");
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

static void respond_reg(struct http_request *, struct call *);

/* A blob pulled through the cache goes to its client as it comes. */
static void
tee_drained(void *call)
{
	call_tee_drained(call);
}

static void
tee_begin(void *arg, int64_t len)
{
	struct http_request *req = arg;
	struct reg_state *rs = reg_of(req);
	struct route_state *st = req->app_data;
	struct answer a;

	/* Answered now, as it comes: the call is counted now too. */
	snprintf(st->op, sizeof st->op, "%s", call_op_name(rs->tee_call));
	metrics_note_call(&st->mx, rs->tee_call, rs->rq.repo, NULL);
	answer_init(&a, 200, "application/octet-stream");
	answer_header(&a, "Docker-Distribution-Api-Version", "registry/2.0");
	answer_header(&a, "Docker-Content-Digest", rs->rq.reference);
	a.is_stream = true;
	a.file_len = len;
	req->on_drain = tee_drained;
	req->drain_arg = rs->tee_call;
	answer_send(req, &a);
}

static size_t
tee_write(void *req, const void *data, size_t len)
{
	return http_stream_write(req, data, len);
}

/* A pull through the cache is answered once the upstream has been. */
static void
respond_reg_later(struct call *call, void *req)
{
	respond_reg(req, call);
}

/* Answer call; the caller frees it. */
static void
answer_reg(struct http_request *req, struct call *call)
{
	struct route_state *st = req->app_data;
	struct reg_state *rs = reg_of(req);
	struct api_reg_answer ra;
	struct answer a;
	size_t i;

	snprintf(st->op, sizeof st->op, "%s", call_op_name(call));
	metrics_note_call(&st->mx, call, rs->rq.repo, api_reg_error_name(call));
	api_reg_render(call, &ra);
	audit_registry(req, &rs->rq, call, &ra);
	if (call_teed(call)) {
		/*
		 * Streamed as it came, whole once the digest matched; a
		 * blob not recorded closes the connection (cut short
		 * unless the check had passed).
		 */
		if (ra.status != 200)
			log_warn("%s %s: pulled through the cache, not "
			         "recorded",
			    req->method, req->path);
		http_stream_finish(req, ra.status == 200);
		return;
	}
	answer_init(&a, ra.status,
	    ra.content_type != NULL ? ra.content_type : "application/json");
	answer_header(&a, "Docker-Distribution-Api-Version", "registry/2.0");
	for (i = 0; i < ra.n_headers; i++)
		answer_header(&a, ra.headers[i][0], ra.headers[i][1]);
	a.body = ra.body;
	a.len = ra.body_len;
	/* A HEAD answered from the upstream's headers: a length, no file. */
	if (ra.blob_digest == NULL && ra.content_length >= 0) {
		a.is_stream = true;
		a.file_len = ra.content_length;
		answer_send(req, &a);
		http_stream_finish(req, true);
		return;
	}
	if (ra.blob_digest != NULL)
		blobs_serve(req, rs->store, ra.blob_digest, true, &a);
	else
		answer_send(req, &a);
}

static void
respond_reg(struct http_request *req, struct call *call)
{
	answer_reg(req, call);
	call_free(call);
}
static void
chunk_push(struct chunk_list *l, struct sink_chunk *c)
{
	c->next = NULL;
	if (l->tail != NULL)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
	l->n++;
}

/* Move all of from to the end of to. */
static void
chunks_move(struct chunk_list *to, struct chunk_list *from)
{
	struct sink_chunk *c;

	while ((c = from->head) != NULL) {
		from->head = c->next;
		chunk_push(to, c);
	}
	memset(from, 0, sizeof *from);
}

/* On a worker: write and hash the job's chunks, then sync if asked. */
static void
sink_work(void *arg)
{
	struct reg_state *rs = arg;
	struct reg_sink *k = &rs->sink;
	struct sink_chunk *c;

	for (c = k->work.head; c != NULL && k->work_rc == 0; c = c->next)
		k->work_rc = api_reg_stream_write(rs->call, c->data, c->len);
	if (k->work_rc == 0 && k->work_sync)
		k->work_rc = api_reg_stream_sync(rs->call);
}

static void sink_kick(struct reg_state *);

static void
sink_done(void *arg, bool is_cancelled)
{
	struct reg_state *rs = arg;
	struct reg_sink *k = &rs->sink;
	struct sink_chunk *c;

	k->is_busy = false;
	if (is_cancelled)
		k->work_rc = STORE_IO; /* the server is stopping */
	if (k->rc == 0)
		k->rc = k->work_rc;
	if (k->work_sync && k->work_rc == 0)
		k->is_synced = true;
	/* Keep enough chunks for the next round; free the rest. */
	while ((c = k->work.head) != NULL && k->spare.n < SINK_CHUNKS_MAX) {
		k->work.head = c->next;
		c->len = 0;
		chunk_push(&k->spare, c);
	}
	chunks_free(&k->work);
	if (rs->is_orphan) {
		reg_state_free(rs);
		return;
	}
	sink_kick(rs);
}

/* Hand the ready chunks (and, once the body is in, the sync) to a job. */
static void
sink_submit(struct reg_state *rs)
{
	struct reg_sink *k = &rs->sink;

	if (k->is_ended && k->fill != NULL) {
		chunk_push(&k->ready, k->fill);
		k->fill = NULL;
	}
	chunks_move(&k->work, &k->ready);
	k->work_sync = k->is_ended;
	k->work_rc = 0;
	k->is_busy = true;
	/* A full pool queue: do the work here rather than stall the stream. */
	if (pool_submit(rs->srv->pool, sink_work, sink_done, rs) != 0) {
		sink_work(rs);
		sink_done(rs, false);
	}
}

static void stream_finished(struct reg_state *);

/*
 * Hold the body once SINK_CHUNKS_MAX chunks wait for the pool, and resume
 * only when at most one does: resuming at once would let a single small
 * piece in per job, and the connection's input would shred into pieces
 * of a few bytes, each costing a pass of the loop.
 */
static void
sink_hold(struct reg_state *rs)
{
	struct reg_sink *k = &rs->sink;
	size_t n = k->ready.n + k->work.n;
	bool is_held;

	if (k->is_ended || rs->req == NULL)
		return;
	is_held = rs->req->is_body_held;
	if (k->rc != 0 || n <= 1)
		is_held = false;
	else if (n >= SINK_CHUNKS_MAX)
		is_held = true;
	http_request_hold_body(rs->req, is_held);
}

static void stream_answer_failure(struct reg_state *, struct http_request *);

/*
 * Start the next job if one is due, hold or resume the body, and once the
 * body is in and synced (or failed) go on with the call.
 */
static void
sink_kick(struct reg_state *rs)
{
	struct reg_sink *k = &rs->sink;

	if (k->is_busy) {
		sink_hold(rs);
		return;
	}
	if (k->rc != 0) {
		/* on_stream_body or stream_finished answers the failure. */
		chunks_free(&k->ready);
		if (k->is_ended)
			stream_finished(rs);
		else
			sink_hold(rs);
		return;
	}
	if (k->ready.head != NULL || (k->is_ended && !k->is_synced)) {
		/* The job may end at once and free rs: hold first. */
		sink_hold(rs);
		sink_submit(rs);
		return;
	}
	if (k->is_ended)
		stream_finished(rs);
	else
		sink_hold(rs);
}

/*
 * Queue a write call for the group commit, its file work (a blob upload's
 * finish: registry/uploads.c) in the pool first. The request is complete:
 * it lives until answered.
 */
static void
queue_write(struct server *srv, struct http_request *req, struct call *call)
{
	writes_queue_files(srv, req, call, respond_reg);
}

/*
 * The body is in and durable, or failed: queue the call for the group
 * commit that counts the bytes, or answer the failure.
 */
static void
stream_finished(struct reg_state *rs)
{
	struct call *call = rs->call;

	if (rs->sink.rc != 0) {
		stream_answer_failure(rs, rs->req);
		return;
	}
	rs->call = NULL;
	queue_write(rs->srv, rs->req, call);
}

/* Copy a piece into the chunks; hold the body when enough are queued. */
/* A chunk to fill: a spare one, else a new one. */
static void
sink_fill(struct reg_sink *k)
{
	if (k->fill != NULL)
		return;
	if ((k->fill = k->spare.head) != NULL) {
		k->spare.head = k->fill->next;
		k->spare.n--;
		if (k->spare.head == NULL)
			k->spare.tail = NULL;
		return;
	}
	k->fill = xmalloc_aligned(SINK_CHUNK_ALIGN, sizeof *k->fill);
	k->fill->len = 0;
}

static void
sink_add(struct reg_state *rs, const char *data, size_t len)
{
	struct reg_sink *k = &rs->sink;
	size_t n;

	while (len > 0) {
		sink_fill(k);
		n = SINK_CHUNK - k->fill->len < len ? SINK_CHUNK - k->fill->len
		                                    : len;
		/* Read in place (sink_room): already where it goes. */
		if (data != (const char *)k->fill->data + k->fill->len)
			memcpy(k->fill->data + k->fill->len, data, n);
		k->fill->len += n;
		data += n;
		len -= n;
		if (k->fill->len == SINK_CHUNK) {
			chunk_push(&k->ready, k->fill);
			k->fill = NULL;
		}
	}
	sink_kick(rs);
}

/*
 * Answer the stream's failure. The call (and the upload's lease) goes at
 * once unless a job still uses it; then it goes with the state. Answering
 * a complete request may free rs.
 */
static void
stream_answer_failure(struct reg_state *rs, struct http_request *req)
{
	struct call *call = rs->call;
	bool is_kept = rs->sink.is_busy;

	if (rs->sink.rc != 0)
		(void)api_reg_stream_fail(call, rs->sink.rc);
	rs->is_answered = true;
	if (!is_kept)
		rs->call = NULL;
	answer_reg(req, call);
	if (!is_kept)
		call_free(call);
}

/*
 * Body pieces of a streamed upload are counted here and written to the
 * upload file by the worker pool (sink_add).
 */
/*
 * http.c's body_room: the rest of the chunk being filled, so the body is
 * read from the socket straight into it.
 */
static char *
sink_room(struct http_request *req, size_t *room)
{
	struct reg_sink *k = &reg_of(req)->sink;

	if (k->rc != 0)
		return NULL;
	sink_fill(k);
	*room = SINK_CHUNK - k->fill->len;
	return (char *)k->fill->data + k->fill->len;
}

static int
on_stream_body(struct http_request *req, const char *data, size_t len)
{
	struct reg_state *rs = reg_of(req);

	metrics_note_pushed(req, len);
	if (rs->sink.rc == 0 && api_reg_stream_add(rs->call, len) == 0) {
		sink_add(rs, data, len);
		return 0;
	}
	stream_answer_failure(rs, req);
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
	struct route_state *st = req->app_data;
	struct reg_state *rs;
	enum core_stage stage;

	rs = xcalloc(1, sizeof *rs);
	rs->store = srv->store;
	rs->srv = srv;
	rs->req = req;
	route_state_set_proto(st, rs, reg_state_free);
	read_request(rs, req);
	if ((rs->route_rc = route(rs, req)) != 0)
		return; /* on_request answers 404/405 */
	if (throttle_reg(srv, req, &rs->rq) ||
	    faults_on_head(srv, req, api_reg_op_name(rs->rq.op), true))
		return;
	if (rs->rq.op == API_REG_MANIFEST_PUT)
		req->body_max = MANIFEST_BODY_MAX;
	if (rs->rq.op == API_REG_UPLOAD_START && has_body(req))
		req->on_body = on_discard_body;
	if ((rs->rq.op != API_REG_UPLOAD_PATCH &&
	        rs->rq.op != API_REG_UPLOAD_FINISH) ||
	    !has_body(req))
		return;
	/* Stream: authenticate and open the upload before the body comes. */
	rs->call = call_new(srv->api, st->request_id, core_now_ms(srv->api));
	call_set_source_ip(rs->call, req->peer_ip);
	stage = api_reg_prepare(rs->call, &rs->rq);
	if (stage == CORE_STAGE_DONE || api_reg_stream_open(rs->call) != 0) {
		respond_reg(req, rs->call);
		rs->call = NULL;
		return;
	}
	rs->is_streaming = true;
	req->on_body = on_stream_body;
	req->body_room = sink_room;
}

void
registry_on_request(struct server *srv, struct http_request *req)
{
	struct route_state *st = req->app_data;
	struct reg_state *rs = reg_of(req);
	struct call *call;
	struct core_tee tee;
	enum core_stage stage;

	if (req->is_body_too_large) {
		answer_reg_error(req, NULL, REG_SIZE_INVALID,
		    "manifest too "
		    "large");
		return;
	}
	if (rs == NULL || rs->is_answered)
		return;
	if (rs->route_rc == API_REG_ROUTE_METHOD) {
		answer_reg_error(req, NULL, REG_METHOD_UNSUPPORTED,
		    "the endpoint "
		    "does not support this method");
		return;
	}
	if (rs->route_rc != 0) {
		answer_reg_error(req, NULL, REG_NAME_UNKNOWN,
		    "no such "
		    "registry endpoint");
		return;
	}
	if (rs->is_streaming) {
		/* Recorded once the pool has written and synced the body. */
		rs->sink.is_ended = true;
		sink_kick(rs);
		return;
	}
	rs->rq.body = req->body.data;
	rs->rq.body_len = req->body.len;
	call = call_new(srv->api, st->request_id, core_now_ms(srv->api));
	call_set_source_ip(call, req->peer_ip);
	stage = api_reg_prepare(call, &rs->rq);
	if (stage == CORE_STAGE_WRITE) {
		queue_write(srv, req, call);
		return;
	}
	if (stage == CORE_STAGE_READ && rs->rq.op == API_REG_BLOB_GET &&
	    !rs->rq.is_head) {
		tee.begin = tee_begin;
		tee.write = tee_write;
		tee.arg = req;
		rs->tee_call = call;
		call_set_tee(call, &tee);
	}
	if (stage == CORE_STAGE_READ)
		call_run(call);
	if (call_is_pending(call))
		call_on_finish(call, respond_reg_later, req);
	else
		respond_reg(req, call);
}
