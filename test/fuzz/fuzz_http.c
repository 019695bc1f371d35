/*
 * libFuzzer harness for server/http.c's request parsing: the input is what
 * a client sends on one connection, fed through a bufferevent_pair (no
 * sockets) with http_server_adopt, then the client half-closes. The
 * application answers as ecrd's does: at once from the headers for
 * /reject, streaming the body for /stream, collecting it up to a small cap
 * otherwise, so early answers, 413s, pipelining and 100-continue all run.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "common/xalloc.h"
#include "server/http.h"

#define BODY_MAX 256
#define LOOP_TURNS 64

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct event_base *base;
static struct http_server *srv;

static int
stream_body(struct http_request *req, const char *at, size_t len)
{
	(void)at;
	/* Refuse mid-body once, as a failed blob write does. */
	if (len > 0 && at[0] == '!') {
		http_respond(req, 500, "text/plain", "no", 2);
		return -1;
	}
	return 0;
}

static void
app_head(struct http_request *req, void *arg)
{
	(void)arg;
	if (strcmp(req->path, "/reject") == 0) {
		http_response_header(req, "WWW-Authenticate", "Basic");
		http_respond(req, 401, "text/plain", "no", 2);
		return;
	}
	if (strncmp(req->path, "/stream", 7) == 0)
		req->on_body = stream_body;
	else
		req->body_max = BODY_MAX;
}

static void
app_request(struct http_request *req, void *arg)
{
	const char *host;

	(void)arg;
	if (req->is_body_too_large) {
		http_respond(req, 413, "text/plain", "big", 3);
		return;
	}
	host = http_request_header(req, "Host");
	http_response_header(req, "X-Query", req->query);
	http_respond(req, 200, "text/plain", host != NULL ? host : "",
	    host != NULL ? strlen(host) : 0);
}

static void
init(void)
{
	static const struct http_app app = {app_head, app_request, NULL};
	char *cause = NULL;

	base = event_base_new();
	/* The listener only exists; connections come through adopt. */
	if (base == NULL ||
	    http_server_new(base, "127.0.0.1:0", &app, &srv, &cause) != 0)
		abort();
}

static void
turn(void)
{
	int i;

	for (i = 0; i < LOOP_TURNS; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bufferevent *pair[2];
	struct evbuffer *in;

	if (base == NULL)
		init();
	if (bufferevent_pair_new(base, BEV_OPT_DEFER_CALLBACKS, pair) != 0)
		abort();
	http_server_adopt(srv, pair[0], "192.0.2.1");
	bufferevent_enable(pair[1], EV_READ | EV_WRITE);
	bufferevent_write(pair[1], data, size);
	turn();
	/* The client is done sending: EOF reaches the server. */
	bufferevent_flush(pair[1], EV_WRITE, BEV_FINISHED);
	turn();
	in = bufferevent_get_input(pair[1]);
	evbuffer_drain(in, evbuffer_get_length(in));
	bufferevent_free(pair[1]);
	turn();
	if (!http_server_is_idle(srv))
		abort();
	return 0;
}
