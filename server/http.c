/*
 * HTTP/1.1 connections on libevent bufferevents, parsed incrementally by
 * http_parser. One request per connection is in flight at a time, so
 * pipelined requests are answered in order; a busy connection stops reading
 * once its input buffer is full, which bounds memory whatever the client does.
 * Time is bounded too: a header block has a deadline, an idle connection a
 * timeout, and at the file-descriptor limit accepting pauses instead of
 * spinning.
 *
 * Closing with unread input makes the kernel answer the client's next
 * segment with RST, which destroys our answer in its receive buffer: the
 * client sees "connection reset by peer" instead of the 401 or 413. So a
 * connection that ends with a body unread (an early answer, a parse error)
 * closes as nginx's lingering close does: send FIN after the answer, then
 * read and discard for a bounded time and byte count before closing.
 *
 * Over HTTPS (tls.c) the same connections run on OpenSSL bufferevents;
 * the few places that touch the socket itself say what they do then.
 */
#include "server/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <http_parser.h>
#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "common/json.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "server/http_int.h"

/* Input kept while a request waits for its answer; output before we pause. */
#define CONN_READ_ROUNDS 4      /* large reads per readiness event */
#define CONN_EVBUFFER_READ 4096 /* libevent 2.1's EVBUFFER_MAX_READ */
#define CONN_INPUT_MAX (256 * 1024)
#define CONN_WRITE_MAX (1024 * 1024) /* written a turn, at most */
#define CONN_OUTPUT_MAX (4 * 1024 * 1024)
/* A lingering close reads and discards at most this long and this much. */
#define CONN_LINGER_SEC 5
#define CONN_LINGER_BYTES_MAX (64 * 1024 * 1024)
/* After accept() fails (EMFILE), try again this soon at the latest. */
#define ACCEPT_PAUSE_SEC 1
/* Smaller bodies are copied into the output: cheaper than a reference. */
#define BODY_REFERENCE_MIN 4096
/* An answer's status line and fixed headers (write_head). */
#define HEAD_SIZE 256
#define HEAD_PIECES 7 /* and the pieces of a head (head_pieces) */
/*
 * A file answer over TLS goes out a window at a time, with at most
 * FILE_QUEUE_MAX bytes of it queued (conn_file_pump).
 */
#define FILE_WINDOW (1024 * 1024)
#define FILE_QUEUE_MAX (4 * 1024 * 1024)
/* Bytes an HTTPS connection encrypts and sends per writable event. */
#define TLS_WRITE_MAX (1024 * 1024)

struct http_conn {
	struct http_server *srv;
	struct bufferevent *bev;
	http_parser parser;
	struct http_request *req;
	/*
	 * The request's target and header block as they arrive: NUL-ended
	 * pieces in htext, which the connection keeps from request to
	 * request, and each header's name and value offsets in it.
	 */
	struct buf htext;
	size_t hoff[HTTP_HEADERS_MAX][2];
	size_t n_hoff;
	size_t url_len;
	enum { HEAD_URL, HEAD_FIELD, HEAD_VALUE } hstate;
	size_t header_bytes;
	bool is_in_parse;
	bool is_closing;  /* free once output is flushed */
	bool must_linger; /* input left unread */
	bool is_lingering;
	bool is_peer_done; /* EOF read: answer, close */
	bool is_awaiting;  /* answer later: no idle timeout */
	bool keep_alive;
	struct event *timer; /* header deadline, linger */
	size_t linger_bytes;
	char peer_ip[HTTP_PEER_IP_SIZE];
	SSL *ssl; /* HTTPS: the bufferevent's; NULL for plain HTTP */
	/* A file answer still to queue over TLS: fd, from, how much. */
	int file_fd;
	int64_t file_off;
	int64_t file_left;
	TAILQ_ENTRY(http_conn) entry;
};

TAILQ_HEAD(http_conns, http_conn);

struct http_server {
	struct event_base *base;
	struct evconnlistener *listener;
	struct http_app app;
	struct http_conns conns;
	char address[128];
	bool is_draining;
	struct timeval header_timeout;
	struct http_tls *tls;    /* NULL: plain HTTP */
	struct event *accept_ev; /* resumes a paused accept */
	bool is_accept_paused;
	time_t accept_logged_at;       /* monotonic seconds */
	unsigned long n_accept_errors; /* since that line */
	time_t date_at;                /* the second date is of */
	char date[64];                 /* Date: header value */
};

static bool conn_process(struct http_conn *);
static bool conn_tls_take_pending(struct http_conn *);
static void conn_finish(struct http_conn *);
static void conn_free(struct http_conn *);
static void accept_resume(struct http_server *);

static const struct {
	int status;
	const char *text;
} status_texts[] = {
    {100, "Continue"},
    {200, "OK"},
    {201, "Created"},
    {202, "Accepted"},
    {204, "No Content"},
    {206, "Partial Content"},
    {301, "Moved Permanently"},
    {307, "Temporary Redirect"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {408, "Request Timeout"},
    {411, "Length Required"},
    {413, "Payload Too Large"},
    {414, "URI Too Long"},
    {416, "Range Not Satisfiable"},
    {417, "Expectation Failed"},
    {429, "Too Many Requests"},
    {431, "Request Header Fields Too Large"},
    {500, "Internal Server Error"},
    {501, "Not Implemented"},
    {503, "Service Unavailable"},
};

const char *
http_status_text(int status)
{
	size_t i;

	for (i = 0; i < sizeof status_texts / sizeof status_texts[0]; i++) {
		if (status_texts[i].status == status)
			return status_texts[i].text;
	}
	return "Unknown";
}

const char *
http_request_header(const struct http_request *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->n_headers; i++) {
		if (str_ieq_n(req->headers[i].name,
		        strlen(req->headers[i].name), name))
			return req->headers[i].value;
	}
	return NULL;
}

static struct http_request *
request_new(struct http_conn *c)
{
	struct http_request *req;

	req = xcalloc(1, sizeof *req);
	req->conn = c;
	memcpy(req->peer_ip, c->peer_ip, sizeof req->peer_ip);
	req->content_length = -1;
	buf_init(&req->body, 0);
	buf_init(&req->resp_headers, HTTP_HEADER_BYTES_MAX);
	clock_gettime(CLOCK_MONOTONIC, &req->started);
	return req;
}

static void
request_free(struct http_request *req)
{
	if (req == NULL)
		return;
	if (req->app_free != NULL)
		req->app_free(req->app_data);
	free(req->head);
	buf_release(&req->body);
	buf_release(&req->resp_headers);
	free(req);
}

/* Answer a request the parser could not make sense of, then hang up. */
static void
conn_fail(struct http_conn *c, int status)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	const char *text = http_status_text(status);
	struct json_object *o = jnew_obj();
	char *body;
	size_t len;

	jadd_str(o, "message", text);
	/* One short string, far below the render limit: it renders. */
	body = jrender(o, &len);
	json_object_put(o);
	evbuffer_add_printf(out,
	    "HTTP/1.1 %d %s\r\nContent-Type: "
	    "application/json\r\nContent-Length: %zu\r\nConnection: close"
	    "\r\n\r\n",
	    status, text, len);
	evbuffer_add(out, body, len);
	free(body);
	if (c->req != NULL && !c->req->is_complete) {
		request_free(c->req);
		c->req = NULL;
	}
	c->is_closing = true;
	c->must_linger = true;
}

static int
on_message_begin(http_parser *p)
{
	struct http_conn *c = p->data;

	c->req = request_new(c);
	/* The first request's deadline runs from accept. */
	if (!evtimer_pending(c->timer, NULL))
		evtimer_add(c->timer, &c->srv->header_timeout);
	c->header_bytes = 0;
	buf_reset(&c->htext);
	c->n_hoff = 0;
	c->url_len = 0;
	c->hstate = HEAD_URL;
	return 0;
}

static int
head_piece(struct http_conn *c, const char *at, size_t len, int status)
{
	if (buf_add(&c->htext, at, len) != 0) {
		conn_fail(c, status);
		return -1;
	}
	return 0;
}

static int
on_url(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;

	c->url_len += len;
	if (c->url_len > HTTP_URL_MAX) {
		conn_fail(c, 414);
		return -1;
	}
	return head_piece(c, at, len, 414);
}

static int
header_piece(struct http_conn *c, const char *at, size_t len)
{
	c->header_bytes += len;
	if (c->header_bytes > HTTP_HEADER_BYTES_MAX) {
		conn_fail(c, 431);
		return -1;
	}
	return head_piece(c, at, len, 431);
}

static int
on_header_field(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;

	if (c->hstate != HEAD_FIELD) {
		/* The target or the last value ends; a name begins. */
		if (c->n_hoff == HTTP_HEADERS_MAX) {
			conn_fail(c, 431);
			return -1;
		}
		if (head_piece(c, "", 1, 431) != 0)
			return -1;
		c->hoff[c->n_hoff++][0] = c->htext.len;
		c->hstate = HEAD_FIELD;
	}
	return header_piece(c, at, len);
}

static int
on_header_value(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;

	if (c->hstate != HEAD_VALUE) {
		if (head_piece(c, "", 1, 431) != 0)
			return -1;
		c->hoff[c->n_hoff - 1][1] = c->htext.len;
		c->hstate = HEAD_VALUE;
	}
	return header_piece(c, at, len);
}

/*
 * The head is in: one allocation holds the header array, the text of the
 * target and headers, then the target's path and query.
 */
static int
request_set_head(struct http_conn *c)
{
	struct http_request *req = c->req;
	size_t n = c->n_hoff, array = n * sizeof *req->headers, i;
	const char *q;
	char *text;

	if (head_piece(c, "", 1, 431) != 0)
		return -1;
	req->head = xmalloc(array + c->htext.len + c->url_len + 3);
	text = (char *)req->head + array;
	memcpy(text, c->htext.data, c->htext.len);
	req->headers = n != 0 ? req->head : NULL;
	req->n_headers = n;
	for (i = 0; i < n; i++) {
		req->headers[i].name = text + c->hoff[i][0];
		req->headers[i].value = text + c->hoff[i][1];
	}
	req->url = text;
	req->path = text + c->htext.len;
	q = strchr(req->url, '?');
	if (c->url_len == 0)
		memcpy(req->path, "/", 2);
	else if (q == NULL)
		memcpy(req->path, req->url, c->url_len + 1);
	else {
		memcpy(req->path, req->url, (size_t)(q - req->url));
		req->path[q - req->url] = '\0';
	}
	req->query = req->path + strlen(req->path) + 1;
	memcpy(req->query, q != NULL ? q + 1 : "", q != NULL ? strlen(q) : 1);
	return 0;
}

/*
 * Early answers (from on_head or an oversized body) end the connection, with
 * the rest of the body unread: a lingering close.
 */
static bool
request_answered_early(struct http_conn *c)
{
	if (c->req != NULL && !c->req->is_responded)
		return false;
	c->is_closing = true;
	c->must_linger = true;
	return true;
}

/*
 * The body passes body_max: the application answers at once (it must) and
 * the connection ends, so the rest of the body is never read.
 */
static int
body_too_large(struct http_conn *c)
{
	struct http_request *req = c->req;

	req->is_body_too_large = true;
	req->is_complete = true;
	c->keep_alive = false;
	c->srv->app.on_request(req, c->srv->app.arg);
	request_answered_early(c);
	return -1;
}

static int
on_headers_complete(http_parser *p)
{
	struct http_conn *c = p->data;
	struct http_request *req = c->req;
	const char *expect;

	evtimer_del(c->timer);
	if (request_set_head(c) != 0)
		return -1;
	str_copy(req->method, sizeof req->method,
	    http_method_str((enum http_method)p->method));
	req->is_head = p->method == HTTP_HEAD;
	if (p->flags & F_CHUNKED)
		req->is_chunked = true;
	else if (p->content_length != ULLONG_MAX)
		req->content_length = (int64_t)p->content_length;
	expect = http_request_header(req, "Expect");
	req->expects_continue =
	    expect != NULL && str_ieq_n(expect, strlen(expect), "100-continue");

	c->srv->app.on_head(req, c->srv->app.arg);
	if (request_answered_early(c))
		return -1;
	if (req->on_body == NULL) {
		buf_init(&req->body, req->body_max);
		if (req->content_length > (int64_t)req->body_max)
			return body_too_large(c);
		/* One allocation for a known length, not a doubling chain. */
		if (req->content_length > 0)
			(void)buf_reserve(&req->body,
			    (size_t)req->content_length);
	}
	if (req->expects_continue && p->http_major == 1 && p->http_minor >= 1)
		bufferevent_write(c->bev, "HTTP/1.1 100 Continue\r\n\r\n", 25);
	return 0;
}

static int
on_body(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = p->data;
	struct http_request *req = c->req;

	if (req->on_body != NULL) {
		if (req->on_body(req, at, len) == 0)
			return 0;
		request_answered_early(c);
		return -1;
	}
	if (buf_add(&req->body, at, len) == 0)
		return 0;
	return body_too_large(c);
}

/* Suspend (is_awaiting) or restore the idle timeout of reads. */
static void
conn_await(struct http_conn *c, bool is_awaiting)
{
	struct timeval idle = {HTTP_IDLE_TIMEOUT_SEC, 0};

	c->is_awaiting = is_awaiting;
	bufferevent_set_timeouts(c->bev, is_awaiting ? NULL : &idle, &idle);
}

static int
on_message_complete(http_parser *p)
{
	struct http_conn *c = p->data;
	struct http_request *req = c->req;

	c->keep_alive = http_should_keep_alive(p) && !c->srv->is_draining;
	/* The body is all in: a hold set on its last piece ends here. */
	if (req->is_body_held) {
		req->is_body_held = false;
		bufferevent_enable(c->bev, EV_READ);
	}
	req->is_complete = true;
	/* Stop after this message; conn_process resumes after the answer. */
	http_parser_pause(p, 1);
	c->srv->app.on_request(req, c->srv->app.arg);
	/*
	 * Not answered yet (a GC or lifecycle run, a group commit): the peer
	 * is waiting, not idle, however long the answer takes.
	 */
	if (c->req == req)
		conn_await(c, true);
	return 0;
}

static const http_parser_settings parser_settings = {
    .on_message_begin = on_message_begin,
    .on_url = on_url,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
};

/*
 * Parse as much buffered input as we may; see the file comment. False
 * when the connection is gone (closed and freed).
 */
static bool
conn_process(struct http_conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer_iovec v;
	size_t n;
	enum http_errno err;

	for (;;) {
		/*
		 * A complete request holds the line until it is answered, a
		 * file answer until it is all queued.
		 */
		if (c->is_closing || c->file_fd != -1 ||
		    (c->req != NULL &&
		        (c->req->is_complete || c->req->is_body_held)))
			break;
		if (evbuffer_get_length(out) > CONN_OUTPUT_MAX ||
		    (evbuffer_get_length(in) == 0 && !conn_tls_take_pending(c)))
			break;
		if (evbuffer_peek(in, -1, NULL, &v, 1) < 1)
			break;
		c->is_in_parse = true;
		n = http_parser_execute(&c->parser, &parser_settings,
		    v.iov_base, v.iov_len);
		c->is_in_parse = false;
		evbuffer_drain(in, n);
		err = HTTP_PARSER_ERRNO(&c->parser);
		if (err == HPE_PAUSED) {
			http_parser_pause(&c->parser, 0);
			continue;
		}
		if (err != HPE_OK) {
			if (!c->is_closing)
				conn_fail(c, 400);
			break;
		}
	}
	/* After the peer's EOF, what is in is all there is: then close. */
	if (c->is_peer_done && (c->req == NULL || !c->req->is_complete) &&
	    evbuffer_get_length(in) == 0)
		c->is_closing = true;
	if (c->is_closing && evbuffer_get_length(out) == 0) {
		conn_finish(c);
		return false;
	}
	return true;
}

/*
 * Over TLS: read decrypted bytes straight into the input, up to room. The
 * bufferevent reads one record per readiness event, and when the input
 * reaches its bound mid-record it leaves the rest inside OpenSSL, where
 * only a readable socket would bring it back (conn_tls_take_pending). Only
 * once the handshake is done; a failure or a record not yet whole stops
 * here, and the bufferevent's next read meets the same state and reports
 * it (renegotiation, which could make a read write, is off: tls.c).
 */
static ssize_t
conn_tls_read(struct http_conn *c, size_t room, bool *is_drained)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec v;
	size_t got = 0;
	int n = 0;

	*is_drained = true;
	if (!SSL_is_init_finished(c->ssl) ||
	    evbuffer_reserve_space(in, (ev_ssize_t)room, &v, 1) != 1)
		return 0;
	if (v.iov_len > room)
		v.iov_len = room;
	/* Each SSL_read gives at most one record (16 KiB): read on. */
	while (got < v.iov_len) {
		n = SSL_read(c->ssl, (char *)v.iov_base + got,
		    (int)(v.iov_len - got < INT_MAX ? v.iov_len - got
		                                    : INT_MAX));
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	v.iov_len = got;
	evbuffer_commit_space(in, &v, 1);
	if (n <= 0)
		ERR_clear_error();
	*is_drained = got < room;
	return (ssize_t)got;
}

/* The input is empty: take what OpenSSL has decrypted but kept. */
static bool
conn_tls_take_pending(struct http_conn *c)
{
	bool is_drained;

	return c->ssl != NULL && SSL_pending(c->ssl) > 0 &&
	       conn_tls_read(c, CONN_INPUT_MAX, &is_drained) > 0;
}

/*
 * libevent 2.1 reads at most 4 KiB per readiness event (EVBUFFER_MAX_READ
 * in evbuffer_read, whatever bufferevent_set_max_single_read says): a
 * 1 GiB blob body took 262,144 trips round the loop, each an epoll_wait,
 * an ioctl and a readv. So while a request may take more input, top the
 * input up straight from the socket in large reads, to CONN_INPUT_MAX.
 * End of file and errors are left for the bufferevent's next read, which
 * reports them as it always does.
 *
 * A read that comes short has emptied the socket: one more would only
 * fail with EAGAIN, a wasted system call per small request, so topping
 * up starts only when libevent's own read was full and goes on only while
 * reads fill what they ask for.
 */
static ssize_t
conn_read_more(struct http_conn *c, bool *is_drained)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer_iovec v;
	size_t have, want;
	ssize_t n;

	if (c->is_closing ||
	    (c->req != NULL && (c->req->is_complete || c->req->is_body_held)))
		return 0;
	if ((have = evbuffer_get_length(in)) >= CONN_INPUT_MAX)
		return 0;
	if (c->ssl != NULL)
		return conn_tls_read(c, CONN_INPUT_MAX - have, is_drained);
	/* A socket bufferevent keeps its input's end frozen but in its reads.
	 */
	evbuffer_unfreeze(in, 0);
	if (evbuffer_reserve_space(in, CONN_INPUT_MAX - have, &v, 1) != 1) {
		evbuffer_freeze(in, 0);
		return 0;
	}
	want = v.iov_len;
	n = read(bufferevent_getfd(c->bev), v.iov_base, v.iov_len);
	v.iov_len = n > 0 ? (size_t)n : 0;
	evbuffer_commit_space(in, &v, 1);
	evbuffer_freeze(in, 0);
	*is_drained = n < (ssize_t)want;
	return n;
}

/*
 * Whether the next input is body bytes of a known length that the
 * application takes in place (body_room), with nothing buffered before
 * them.
 */
static bool
conn_is_body_direct(struct http_conn *c)
{
	struct http_request *req = c->req;

	/* Over TLS the socket holds records, not the body's bytes. */
	return !c->is_closing && c->ssl == NULL && req != NULL &&
	       req->body_room != NULL && req->head != NULL &&
	       !req->is_complete && !req->is_body_held && !req->is_chunked &&
	       c->parser.content_length != 0 &&
	       c->parser.content_length != ULLONG_MAX &&
	       evbuffer_get_length(bufferevent_get_input(c->bev)) == 0;
}

/*
 * Read body bytes straight into the application's room, never past the
 * body (what follows is the next request's, for the input), and parse
 * them there: on_body gets them where they already are. As in
 * conn_read_more, end of file and errors are left to the bufferevent.
 */
static ssize_t
conn_read_body(struct http_conn *c, bool *is_drained)
{
	struct http_request *req = c->req;
	enum http_errno err;
	size_t room;
	ssize_t n;
	char *dst;

	if ((dst = req->body_room(req, &room)) == NULL || room == 0)
		return 0;
	if (room > c->parser.content_length)
		room = (size_t)c->parser.content_length;
	n = read(bufferevent_getfd(c->bev), dst, room);
	*is_drained = n < (ssize_t)room;
	if (n <= 0)
		return n;
	c->is_in_parse = true;
	(void)http_parser_execute(&c->parser, &parser_settings, dst, (size_t)n);
	c->is_in_parse = false;
	err = HTTP_PARSER_ERRNO(&c->parser);
	if (err == HPE_PAUSED)
		http_parser_pause(&c->parser, 0);
	else if (err != HPE_OK && !c->is_closing)
		conn_fail(c, 400);
	return n;
}

/* Parse, and read on in large pieces while there is more (bounded). */
static void
conn_read_cb(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;
	/*
	 * Over TLS the bufferevent reads a record at a time, so its read
	 * says nothing about what is left: try.
	 */
	bool is_drained =
	    c->ssl == NULL && evbuffer_get_length(bufferevent_get_input(bev)) <
	                          CONN_EVBUFFER_READ;
	ssize_t n;
	int round;

	if (!conn_process(c))
		return;
	for (round = 0; round < CONN_READ_ROUNDS && !is_drained; round++) {
		n = conn_is_body_direct(c) ? conn_read_body(c, &is_drained)
		                           : conn_read_more(c, &is_drained);
		if (n <= 0 || !conn_process(c))
			return;
	}
}

/*
 * Queue the next windows of a file answer over TLS, where sendfile cannot
 * serve: evbuffer_add_file would map (or read) the whole file at once, so
 * a 1 GiB blob would take 1 GiB. Each window is mapped when queued and
 * unmapped once sent. A window that cannot be queued ends the answer
 * short, and the connection with it: the head promised the length.
 */
static void
conn_file_pump(struct http_conn *c)
{
	struct evbuffer *out = bufferevent_get_output(c->bev);
	struct evbuffer_file_segment *seg;
	int64_t n;
	int rc;

	while (c->file_left > 0 && evbuffer_get_length(out) < FILE_QUEUE_MAX) {
		n = c->file_left < FILE_WINDOW ? c->file_left : FILE_WINDOW;
		seg = evbuffer_file_segment_new(c->file_fd, c->file_off, n,
		    EVBUF_FS_DISABLE_LOCKING);
		rc = seg == NULL ? -1
		                 : evbuffer_add_file_segment(out, seg, 0, n);
		/* The output holds its own reference. */
		if (seg != NULL)
			evbuffer_file_segment_free(seg);
		if (rc != 0) {
			log_error("cannot queue a file answer's bytes");
			c->is_closing = true;
			c->must_linger = false;
			break;
		}
		c->file_off += n;
		c->file_left -= n;
	}
	if (c->file_left == 0 || c->is_closing) {
		close(c->file_fd);
		c->file_fd = -1;
		c->file_left = 0;
	}
}

static void
conn_write_cb(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;

	(void)bev;
	/* A file answer over TLS goes before anything else. */
	if (c->file_fd != -1) {
		conn_file_pump(c);
		if (c->file_fd != -1 ||
		    evbuffer_get_length(bufferevent_get_output(c->bev)) != 0)
			return;
	}
	if (c->is_closing) {
		conn_finish(c);
		return;
	}
	/* A streamed answer may take more. */
	if (c->req != NULL && c->req->on_drain != NULL) {
		c->req->on_drain(c->req->drain_arg);
		return;
	}
	/* Output drained: a paused pipeline may go on. */
	if (c->req == NULL)
		conn_process(c);
}

/* Why a TLS connection failed ("http request": a plain-HTTP client). */
static void
tls_log_error(struct http_conn *c)
{
	unsigned long e = bufferevent_get_openssl_error(c->bev);
	const char *why = e != 0 ? ERR_reason_error_string(e) : NULL;

	log_debug("TLS connection from %s ends: %s", c->peer_ip,
	    why != NULL ? why : "the socket failed or closed");
	ERR_clear_error();
}

static void
conn_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct http_conn *c = arg;

	(void)bev;
	/* A TLS handshake done: the request follows. */
	if (what == BEV_EVENT_CONNECTED)
		return;
	if ((what & BEV_EVENT_ERROR) && c->ssl != NULL)
		tls_log_error(c);
	/*
	 * A client that half-closes after its request (shutdown(SHUT_WR))
	 * still waits for the answer: answer what came, then close.
	 */
	if ((what & BEV_EVENT_EOF) && !c->is_lingering) {
		c->is_peer_done = true;
		conn_process(c);
		return;
	}
	conn_free(c);
}

/* Discard what the peer still sends; see the file comment. */
static void
linger_read_cb(struct bufferevent *bev, void *arg)
{
	struct http_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	c->linger_bytes += evbuffer_get_length(in);
	evbuffer_drain(in, evbuffer_get_length(in));
	if (c->linger_bytes > CONN_LINGER_BYTES_MAX)
		conn_free(c);
}

static void
conn_linger(struct http_conn *c)
{
	struct timeval tv = {CONN_LINGER_SEC, 0};

	if (shutdown(bufferevent_getfd(c->bev), SHUT_WR) != 0) {
		conn_free(c);
		return;
	}
	c->is_lingering = true;
	bufferevent_setcb(c->bev, linger_read_cb, NULL, conn_event_cb, c);
	bufferevent_disable(c->bev, EV_WRITE);
	bufferevent_enable(c->bev, EV_READ);
	evtimer_add(c->timer, &tv);
	linger_read_cb(c->bev, c);
}

/* The last answer is flushed: close, lingering if input is left unread. */
static void
conn_finish(struct http_conn *c)
{
	if (c->must_linger && !c->is_peer_done)
		conn_linger(c);
	else
		conn_free(c);
}

/* A header block past its deadline (408), or a lingering close's end. */
static void
conn_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct http_conn *c = arg;

	(void)fd;
	(void)what;
	/* Not a byte of a request yet: nothing to answer. */
	if (c->is_lingering || c->is_closing || c->req == NULL) {
		conn_free(c);
		return;
	}
	conn_fail(c, 408);
}

static void
conn_free(struct http_conn *c)
{
	struct http_server *srv = c->srv;

	if (c->is_in_parse) {
		/* Freed by conn_process once the parser returns. */
		c->is_closing = true;
		c->must_linger = false;
		return;
	}
	if (c->req != NULL) {
		/* An answer still owed is dropped by http_respond. */
		if (c->req->is_complete && !c->req->is_responded) {
			c->req->conn = NULL;
			/* A stream waiting for room waits no more. */
			if (c->req->on_drain != NULL)
				c->req->on_drain(c->req->drain_arg);
		} else
			request_free(c->req);
	}
	TAILQ_REMOVE(&srv->conns, c, entry);
	if (c->file_fd != -1)
		close(c->file_fd);
	bufferevent_free(c->bev);
	event_free(c->timer);
	buf_release(&c->htext);
	free(c);
	/* A descriptor is free again: accept may go on. */
	accept_resume(srv);
}

/* The peer's address as text (aws:SourceIp); IPv4-mapped as IPv4. */
static void
peer_text(const struct sockaddr *sa, char *dst, size_t size)
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;

	dst[0] = '\0';
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &s4->sin_addr, dst, (socklen_t)size);
	else if (sa->sa_family == AF_INET6 &&
	         IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr))
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], dst,
		    (socklen_t)size);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &s6->sin6_addr, dst, (socklen_t)size);
}

/* Serve bev as a new connection from peer_ip; takes ownership of bev. */
static void
conn_new(struct http_server *srv, struct bufferevent *bev, const char *peer_ip,
    SSL *ssl)
{
	struct http_conn *c;
	struct timeval idle = {HTTP_IDLE_TIMEOUT_SEC, 0};

	c = xcalloc(1, sizeof *c);
	c->srv = srv;
	c->bev = bev;
	c->ssl = ssl;
	c->file_fd = -1;
	str_copy(c->peer_ip, sizeof c->peer_ip, peer_ip);
	if ((c->timer = evtimer_new(srv->base, conn_timer_cb, c)) == NULL) {
		bufferevent_free(bev);
		free(c);
		return;
	}
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	/* The limits are checked as pieces come; this bounds their NULs. */
	buf_init(&c->htext,
	    HTTP_URL_MAX + HTTP_HEADER_BYTES_MAX + 2 * HTTP_HEADERS_MAX + 2);
	TAILQ_INSERT_TAIL(&srv->conns, c, entry);
	bufferevent_setcb(c->bev, conn_read_cb, conn_write_cb, conn_event_cb,
	    c);
	bufferevent_setwatermark(c->bev, EV_READ, 0, CONN_INPUT_MAX);
	/*
	 * libevent writes at most 16 KiB a turn by default: a blob answer
	 * (a file, or one streamed as it is pulled through the cache) took a
	 * trip round the loop per 16 KiB.
	 */
	bufferevent_set_max_single_write(c->bev, CONN_WRITE_MAX);
	bufferevent_set_timeouts(c->bev, &idle, &idle);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	evtimer_add(c->timer, &srv->header_timeout);
}

static void
accept_resume(struct http_server *srv)
{
	if (!srv->is_accept_paused || srv->listener == NULL)
		return;
	srv->is_accept_paused = false;
	evtimer_del(srv->accept_ev);
	evconnlistener_enable(srv->listener);
}

static void
accept_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	accept_resume(arg);
}

/*
 * accept() failed in a way an immediate retry will not cure (EMFILE, ENFILE,
 * ENOBUFS): the listening socket stays readable, so going on would spin and
 * log without end. Pause accepting until a connection closes or
 * ACCEPT_PAUSE_SEC passes (as nginx does), and say so at most once a second.
 */
static void
accept_error_cb(struct evconnlistener *l, void *arg)
{
	struct http_server *srv = arg;
	struct timeval tv = {ACCEPT_PAUSE_SEC, 0};
	struct timespec now;
	int err = EVUTIL_SOCKET_ERROR();

	evconnlistener_disable(l);
	srv->is_accept_paused = true;
	evtimer_add(srv->accept_ev, &tv);
	srv->n_accept_errors++;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (srv->accept_logged_at != 0 && now.tv_sec <= srv->accept_logged_at)
		return;
	log_warn("cannot accept connections: %s; pausing accept until a "
	         "connection closes (failures since the last such line: %lu)",
	    strerror(err), srv->n_accept_errors);
	srv->n_accept_errors = 0;
	srv->accept_logged_at = now.tv_sec;
}

/*
 * An OpenSSL bufferevent writes (and reads) at most 16 KiB per readiness
 * event unless told otherwise: a 1 GiB blob would take 65,536 trips round
 * the loop. Let each take as much as the output's bound allows.
 */
static void
tls_tune(struct bufferevent *bev)
{
	/* Most clients close without TLS's close_notify. */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	bufferevent_set_max_single_write(bev, TLS_WRITE_MAX);
	bufferevent_set_max_single_read(bev, CONN_INPUT_MAX);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct http_server *srv = arg;
	struct bufferevent *bev;
	char peer_ip[HTTP_PEER_IP_SIZE];
	SSL *ssl = NULL;
	int one = 1;

	(void)l;
	(void)socklen;
	/* Without this, answers over 16 KiB stall ~40 ms on delayed ACKs. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (srv->tls != NULL) {
		if ((ssl = http_tls_ssl_new(srv->tls)) == NULL) {
			evutil_closesocket(fd);
			return;
		}
		/* Frees ssl (and closes fd) if it fails, and when freed. */
		bev = bufferevent_openssl_socket_new(srv->base, fd, ssl,
		    BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
		if (bev != NULL)
			tls_tune(bev);
	} else
		bev = bufferevent_socket_new(srv->base, fd,
		    BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {
		if (srv->tls == NULL)
			evutil_closesocket(fd);
		return;
	}
	peer_text(sa, peer_ip, sizeof peer_ip);
	conn_new(srv, bev, peer_ip, ssl);
}

void
http_server_adopt(struct http_server *srv, struct bufferevent *bev,
    const char *peer_ip)
{
	conn_new(srv, bev, peer_ip != NULL ? peer_ip : "", NULL);
}

/* The Date header's value, formatted once a second rather than per answer. */
static const char *
server_date(struct http_server *srv)
{
	time_t now = time(NULL);
	struct tm tm;

	if (now != srv->date_at || srv->date[0] == '\0') {
		gmtime_r(&now, &tm);
		strftime(srv->date, sizeof srv->date,
		    "%a, %d %b %Y %H:%M:%S GMT", &tm);
		srv->date_at = now;
	}
	return srv->date;
}

void
http_response_header(struct http_request *req, const char *name,
    const char *value)
{
	struct buf *b = &req->resp_headers;

	/* Sticky: one failed piece fails the answer (http_respond). */
	buf_addstr(b, name);
	buf_add(b, ": ", 2);
	buf_addstr(b, value);
	buf_add(b, "\r\n", 2);
}

/* Whether the connection ends after the answer to req. */
static bool
is_last_answer(const struct http_conn *c, const struct http_request *req)
{
	return !req->is_complete || !c->keep_alive || c->srv->is_draining ||
	       (c->is_peer_done &&
	           evbuffer_get_length(bufferevent_get_input(c->bev)) == 0);
}

static void
iov_set(struct iovec *v, const void *base, size_t len)
{
	v->iov_base = (void *)(uintptr_t)base;
	v->iov_len = len;
}

static char *
put_str(char *p, const char *s)
{
	size_t len = strlen(s);

	memcpy(p, s, len);
	return p + len;
}

/*
 * An answer's head as pieces, in order, for the output or for sendmsg:
 * fixed holds the status line and fixed headers; the others point at the
 * content type, the answer's own headers and constants. Returns how many.
 */
static int
head_pieces(struct http_request *req, char fixed[HEAD_SIZE], int status,
    const char *content_type, int64_t len, struct iovec iov[HEAD_PIECES])
{
	struct http_conn *c = req->conn;
	char *p = fixed;
	int n = 0;

	/* The status text and date are short: the lines always fit. */
	p = put_str(p, "HTTP/1.1 ");
	p += str_i64(status, p);
	*p++ = ' ';
	p = put_str(p, http_status_text(status));
	p = put_str(p, "\r\nDate: ");
	p = put_str(p, server_date(c->srv));
	p = put_str(p, "\r\nServer: ecrd\r\nContent-Length: ");
	p += str_i64(len, p);
	p = put_str(p, "\r\n");
	iov_set(&iov[n++], fixed, (size_t)(p - fixed));
	if (content_type != NULL) {
		iov_set(&iov[n++], "Content-Type: ", 14);
		iov_set(&iov[n++], content_type, strlen(content_type));
		iov_set(&iov[n++], "\r\n", 2);
	}
	if (req->resp_headers.len != 0)
		iov_set(&iov[n++], req->resp_headers.data,
		    req->resp_headers.len);
	if (is_last_answer(c, req))
		iov_set(&iov[n++], "Connection: close\r\n", 19);
	iov_set(&iov[n++], "\r\n", 2);
	return n;
}

static void
write_head(struct http_request *req, struct evbuffer *out, int status,
    const char *content_type, int64_t len)
{
	struct iovec iov[HEAD_PIECES];
	char fixed[HEAD_SIZE];
	int i, n;

	n = head_pieces(req, fixed, status, content_type, len, iov);
	for (i = 0; i < n; i++)
		evbuffer_add(out, iov[i].iov_base, iov[i].iov_len);
}

/*
 * Send an answer at once, when nothing is queued before it on a plain
 * socket: the bufferevent would first add a write event (epoll_ctl), wait
 * a trip round the loop for it, write, then delete the event (epoll_ctl
 * again), three system calls and a turn per answer where one sendmsg
 * does. Returns the bytes sent; the caller queues the rest. A failure
 * sends nothing here and is left to the bufferevent's own write, which
 * reports it as it always does.
 */
static size_t
conn_send_now(struct http_conn *c, struct iovec *iov, int n)
{
	evutil_socket_t fd = bufferevent_getfd(c->bev);
	struct msghdr msg;
	ssize_t sent;

	if (c->ssl != NULL || fd < 0 ||
	    evbuffer_get_length(bufferevent_get_output(c->bev)) != 0)
		return 0;
	memset(&msg, 0, sizeof msg);
	msg.msg_iov = iov;
	msg.msg_iovlen = (size_t)n;
	sent = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	return sent > 0 ? (size_t)sent : 0;
}

/* The answer is queued: forget the request and move the connection on. */
static void
request_done(struct http_request *req)
{
	struct http_conn *c = req->conn;

	if (is_last_answer(c, req))
		c->is_closing = true;
	if (c->is_awaiting)
		conn_await(c, false);
	c->req = NULL;
	request_free(req);
	if (!c->is_in_parse)
		conn_process(c);
}

void
http_request_hold_body(struct http_request *req, bool is_held)
{
	bool was_held = req->is_body_held;

	req->is_body_held = is_held;
	if (req->conn == NULL || was_held == is_held || req->conn->is_lingering)
		return;
	/*
	 * Not reading at all while held: reading on up to the input's bound
	 * would take it a few bytes at a time as the parser frees room.
	 */
	if (is_held) {
		bufferevent_disable(req->conn->bev, EV_READ);
		return;
	}
	bufferevent_enable(req->conn->bev, EV_READ);
	/* Deferred: the caller may be inside this connection's callbacks. */
	bufferevent_trigger(req->conn->bev, EV_READ,
	    BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

static void
body_free(const void *data, size_t len, void *owned)
{
	(void)data;
	(void)len;
	free(owned);
}

/*
 * Queue the answer; owned, when not NULL, is body's allocation, which the
 * output takes over: a large body is then sent from where it is, not
 * copied first (a list page is tens of KiB).
 */
static void
respond(struct http_request *req, int status, const char *content_type,
    const void *body, size_t len, void *owned)
{
	struct iovec iov[HEAD_PIECES + 1];
	char fixed[HEAD_SIZE];
	struct evbuffer *out;
	size_t sent, skip;
	int i, n;

	/* Headers fail sticky: past their cap, a bare 500 rather than a cut. */
	if (buf_failed(&req->resp_headers)) {
		log_error("%s %s: answer headers over %d bytes", req->method,
		    req->path, HTTP_HEADER_BYTES_MAX);
		buf_reset(&req->resp_headers);
		status = 500;
		content_type = NULL;
		len = 0;
	}
	req->is_responded = true;
	if (req->conn == NULL) {
		free(owned);
		request_free(req);
		return;
	}
	out = bufferevent_get_output(req->conn->bev);
	n = head_pieces(req, fixed, status, content_type, (int64_t)len, iov);
	if (req->is_head)
		len = 0;
	iov_set(&iov[n], body, len);
	sent = conn_send_now(req->conn, iov, n + 1);
	/* What was not sent is queued: the head's rest, then the body's. */
	for (i = 0; i < n; i++) {
		skip = sent < iov[i].iov_len ? sent : iov[i].iov_len;
		sent -= skip;
		if (skip < iov[i].iov_len)
			evbuffer_add(out, (const char *)iov[i].iov_base + skip,
			    iov[i].iov_len - skip);
	}
	if (len > sent) {
		body = (const char *)body + sent;
		len -= sent;
		if (owned != NULL && len >= BODY_REFERENCE_MIN &&
		    evbuffer_add_reference(out, body, len, body_free, owned) ==
		        0)
			owned = NULL; /* the output frees it once sent */
		else
			evbuffer_add(out, body, len);
	}
	free(owned);
	if (req->is_complete)
		request_done(req);
}

void
http_respond(struct http_request *req, int status, const char *content_type,
    const void *body, size_t len)
{
	respond(req, status, content_type, body, len, NULL);
}

void
http_respond_take(struct http_request *req, int status,
    const char *content_type, char *owned_body, size_t len)
{
	respond(req, status, content_type, owned_body, len, owned_body);
}

void
http_respond_file(struct http_request *req, int status,
    const char *content_type, int fd, int64_t offset, int64_t len)
{
	struct evbuffer *out;

	if (buf_failed(&req->resp_headers)) {
		close(fd);
		http_respond(req, 500, NULL, NULL, 0);
		return;
	}
	req->is_responded = true;
	if (req->conn == NULL) {
		close(fd);
		request_free(req);
		return;
	}
	out = bufferevent_get_output(req->conn->bev);
	write_head(req, out, status, content_type, len);
	if (req->is_head || len == 0)
		close(fd);
	else if (req->conn->ssl != NULL) {
		req->conn->file_fd = fd;
		req->conn->file_off = offset;
		req->conn->file_left = len;
		conn_file_pump(req->conn);
	} else if (evbuffer_add_file(out, fd, offset, len) != 0)
		close(fd);
	if (req->is_complete)
		request_done(req);
}

void
http_stream_begin(struct http_request *req, int status,
    const char *content_type, int64_t len)
{
	req->is_streaming = true;
	if (req->conn == NULL)
		return;
	write_head(req, bufferevent_get_output(req->conn->bev), status,
	    content_type, len);
}

size_t
http_stream_write(struct http_request *req, const void *data, size_t len)
{
	struct evbuffer *out;

	if (req->conn == NULL)
		return 0;
	out = bufferevent_get_output(req->conn->bev);
	if (!req->is_head)
		evbuffer_add(out, data, len);
	return evbuffer_get_length(out);
}

void
http_stream_finish(struct http_request *req, bool ok)
{
	req->is_responded = true;
	req->on_drain = NULL;
	if (req->conn == NULL) {
		request_free(req);
		return;
	}
	if (!ok)
		req->conn->is_closing = true;
	if (req->is_complete)
		request_done(req);
}

static int
listen_address(struct http_server *srv, evutil_socket_t fd)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof ss;
	char host[INET6_ADDRSTRLEN];
	int port;

	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) != 0)
		return -1;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		evutil_inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof host);
		port = ntohs(s6->sin6_port);
		snprintf(srv->address, sizeof srv->address, "[%s]:%d", host,
		    port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		evutil_inet_ntop(AF_INET, &s4->sin_addr, host, sizeof host);
		port = ntohs(s4->sin_port);
		snprintf(srv->address, sizeof srv->address, "%s:%d", host,
		    port);
	}
	return 0;
}

/*
 * "HOST:PORT", "[V6]:PORT" or "localhost:PORT" with a numeric host; port 0
 * asks the kernel for a free one (libevent's parser refuses port 0). main
 * checks the form first, with messages.
 */
static int
parse_listen(const char *listen, struct sockaddr_storage *ss, int *sslen)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct endpoint ep;
	char *cause = NULL;

	memset(ss, 0, sizeof *ss);
	if (parse_endpoint(listen, &ep, &cause) != 0 || ep.port == -1) {
		free(cause);
		return -1;
	}
	if (!ep.is_ipv6 && strcmp(ep.host, "localhost") == 0)
		str_copy(ep.host, sizeof ep.host, "127.0.0.1");
	if (!ep.is_ipv6 &&
	    evutil_inet_pton(AF_INET, ep.host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)ep.port);
		*sslen = sizeof *s4;
		return 0;
	}
	if (ep.is_ipv6 &&
	    evutil_inet_pton(AF_INET6, ep.host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)ep.port);
		*sslen = sizeof *s6;
		return 0;
	}
	return -1;
}

int
http_server_new(struct event_base *base, const char *listen,
    const struct http_app *app, struct http_server **out, char **cause)
{
	struct http_server *srv;
	struct sockaddr_storage ss;
	int sslen = sizeof ss;

	if (parse_listen(listen, &ss, &sslen) != 0) {
		*cause = xasprintf("invalid listen address '%s' (want "
		                   "IPV4:PORT, [IPV6]:PORT or localhost:PORT)",
		    listen);
		return -1;
	}
	srv = xcalloc(1, sizeof *srv);
	srv->base = base;
	srv->app = *app;
	srv->header_timeout.tv_sec = HTTP_HEADER_TIMEOUT_SEC;
	TAILQ_INIT(&srv->conns);
	srv->listener = evconnlistener_new_bind(base, accept_cb, srv,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    1024, (struct sockaddr *)&ss, sslen);
	if (srv->listener == NULL) {
		*cause = xasprintf("cannot listen on %s: %s", listen,
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
		free(srv);
		return -1;
	}
	evconnlistener_set_error_cb(srv->listener, accept_error_cb);
	srv->accept_ev = evtimer_new(base, accept_timer_cb, srv);
	if (srv->accept_ev == NULL ||
	    listen_address(srv, evconnlistener_get_fd(srv->listener)) != 0) {
		*cause = xasprintf("cannot read the bound address");
		http_server_free(srv);
		return -1;
	}
	*out = srv;
	return 0;
}

void
http_server_set_tls(struct http_server *srv, struct http_tls *tls)
{
	srv->tls = tls;
}

void
http_server_set_header_timeout(struct http_server *srv, unsigned sec)
{
	srv->header_timeout.tv_sec = sec;
	srv->header_timeout.tv_usec = 0;
}

const char *
http_server_address(const struct http_server *srv)
{
	return srv->address;
}

void
http_server_drain(struct http_server *srv)
{
	struct http_conn *c, *next;

	srv->is_draining = true;
	evtimer_del(srv->accept_ev);
	if (srv->listener != NULL) {
		evconnlistener_free(srv->listener);
		srv->listener = NULL;
	}
	/* Idle connections go now; busy ones close after their answer. */
	for (c = TAILQ_FIRST(&srv->conns); c != NULL; c = next) {
		next = TAILQ_NEXT(c, entry);
		if (c->req == NULL && !c->is_closing)
			conn_free(c);
	}
}

bool
http_server_is_idle(const struct http_server *srv)
{
	return TAILQ_EMPTY(&srv->conns);
}

void
http_server_free(struct http_server *srv)
{
	if (srv == NULL)
		return;
	while (!TAILQ_EMPTY(&srv->conns))
		conn_free(TAILQ_FIRST(&srv->conns));
	if (srv->listener != NULL)
		evconnlistener_free(srv->listener);
	if (srv->accept_ev != NULL)
		event_free(srv->accept_ev);
	free(srv);
}
