/*
 * The one HTTP/1.1 layer every ecrd API uses: libevent bufferevents and
 * listeners with http_parser, so request bodies can stream with bounded
 * memory, plus keep-alive, pipelining and Expect: 100-continue.
 */
#ifndef ECRD_SERVER_HTTP_H
#define ECRD_SERVER_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "common/buf.h"

struct bufferevent;
struct event_base;
struct http_server;
struct http_conn;

#define HTTP_URL_MAX 8192
#define HTTP_HEADERS_MAX 100
#define HTTP_HEADER_BYTES_MAX (64 * 1024)
#define HTTP_IDLE_TIMEOUT_SEC 60
/* The whole header block must arrive within this, however it trickles. */
#define HTTP_HEADER_TIMEOUT_SEC 30
#define HTTP_PEER_IP_SIZE 64

struct http_header {
	char *name;
	char *value;
};

struct http_request {
	struct http_conn *conn;          /* NULL once the peer is gone */
	char peer_ip[HTTP_PEER_IP_SIZE]; /* "" if unknown */
	char method[16];
	void *head;  /* owned: holds headers, url, path and query */
	char *url;   /* raw request-target */
	char *path;  /* raw path part of url */
	char *query; /* raw query without '?', or "" */
	struct http_header *headers; /* in head */
	size_t n_headers;
	int64_t content_length; /* -1 when absent */
	bool is_chunked;
	bool is_head;
	bool expects_continue;

	/*
	 * Set by the application's on_head: either body_max (the body is
	 * collected in body, up to that many bytes) or on_body (each piece is
	 * handed over as it arrives and nothing is kept).
	 */
	size_t body_max;
	int (*on_body)(struct http_request *, const char *, size_t);
	/*
	 * Optional, beside on_body: room for the next body bytes in the
	 * application's own buffer, and its size (NULL: none now). A body of
	 * known length may then be read from the socket straight into it,
	 * and on_body is handed that very memory: one copy fewer.
	 */
	char *(*body_room)(struct http_request *, size_t *room);
	struct buf body;
	bool is_body_too_large;
	bool is_body_held; /* http_request_hold_body */

	void *app_data; /* owned by the application */
	void (*app_free)(void *);
	struct timespec started;

	/*
	 * A streamed answer (http_stream_*): on_drain runs when its output
	 * has all been written, or the peer has gone.
	 */
	void (*on_drain)(void *);
	void *drain_arg;

	/* Response state, private to http.c. */
	struct buf resp_headers;
	bool is_streaming;
	bool is_responded;
	bool is_complete; /* whole request received */
};

struct http_app {
	/*
	 * Headers are in. Choose how the body is taken (body_max or on_body),
	 * or answer at once (then the connection closes after the answer,
	 * with the lingering close http.c describes).
	 */
	void (*on_head)(struct http_request *, void *arg);
	/* The whole request is in; answer now or later with http_respond*. */
	void (*on_request)(struct http_request *, void *arg);
	void *arg;
};

/*
 * tls.c: HTTPS (docs/tls.md). new loads a PEM certificate chain and its
 * key: 0 and *out, or -1 with *cause (the caller frees). reload rereads
 * the same files: connections accepted afterwards use them, those open
 * keep the old; on failure (-1, *cause) the old stay in use.
 */
struct http_tls;
int http_tls_new(const char *cert_path, const char *key_path,
    struct http_tls **out, char **cause);
int http_tls_reload(struct http_tls *, char **cause);
void http_tls_free(struct http_tls *);

/* Listen on "HOST:PORT" ("[::1]:0" too); 0, or -1 with *cause set. */
int http_server_new(struct event_base *, const char *listen,
    const struct http_app *, struct http_server **out, char **cause);
/*
 * Seconds a request's header block may take, from accept (the first
 * request) or from its first byte (later ones); default
 * HTTP_HEADER_TIMEOUT_SEC. Past it the server answers 408 and closes.
 */
void http_server_set_header_timeout(struct http_server *, unsigned sec);
/*
 * Serve HTTPS with tls (NULL: plain HTTP) on connections accepted from
 * now on; tls is borrowed until the server is freed.
 */
void http_server_set_tls(struct http_server *, struct http_tls *);
/* The bound address as "HOST:PORT"; borrowed until the server is freed. */
const char *http_server_address(const struct http_server *);
/*
 * Serve bev, already connected, as if accepted from peer_ip (NULL: unknown);
 * the server owns bev from now on. The fuzzer feeds the parser this way
 * through a bufferevent_pair, without sockets.
 */
void http_server_adopt(struct http_server *, struct bufferevent *,
    const char *peer_ip);
/* Stop accepting; finish requests in flight; close idle connections. */
void http_server_drain(struct http_server *);
/* True when no connection is left. */
bool http_server_is_idle(const struct http_server *);
void http_server_free(struct http_server *);

/* The first header of that name (case-insensitive), or NULL. */
const char *http_request_header(const struct http_request *, const char *);

/*
 * Stop (true) or resume (false) handing req's body to on_body: while held,
 * its connection's input fills to its bound and the connection then stops
 * reading, so an on_body that queues work slower than the peer sends keeps
 * memory bounded (back-pressure). Resuming parses on from the loop.
 */
void http_request_hold_body(struct http_request *, bool is_held);

/* Add a response header; call before http_respond*. */
void http_response_header(struct http_request *, const char *name,
    const char *value);
/*
 * Answer with a whole body (copied). Frees the request once written, so the
 * caller must not touch it afterwards. Safe after the peer has gone.
 */
void http_respond(struct http_request *, int status, const char *content_type,
    const void *body, size_t len);
/*
 * The same, taking owned_body (the caller never touches it again): a
 * large body is sent from where it is instead of copied.
 */
void http_respond_take(struct http_request *, int status,
    const char *content_type, char *owned_body, size_t len);
/* Answer with len bytes of fd from offset; takes ownership of fd. */
void http_respond_file(struct http_request *, int status,
    const char *content_type, int fd, int64_t offset, int64_t len);

/*
 * An answer whose body comes later, piece by piece (a blob pulled through
 * the cache as it arrives): begin writes the head with Content-Length
 * len; write queues bytes and returns how many wait to go out (0 once the
 * peer is gone: they are dropped); finish ends it, cut short and the
 * connection closed unless ok (the client sees fewer bytes than
 * promised).
 */
void http_stream_begin(struct http_request *, int status,
    const char *content_type, int64_t len);
size_t http_stream_write(struct http_request *, const void *, size_t);
void http_stream_finish(struct http_request *, bool ok);
const char *http_status_text(int);

#endif
