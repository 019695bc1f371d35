/*
 * Unit tests for server/http.c: a real listener on 127.0.0.1:0 fed raw
 * bytes by a client socket, with split, pipelined, chunked, oversized and
 * malformed input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "common/buf.h"
#include "common/xalloc.h"
#include "server/http.h"

#define BODY_MAX 1024

struct fixture {
	struct event_base *base;
	struct http_server *srv;
	int fd;
	struct buf got;    /* bytes the client received */
	bool is_closed;    /* server hung up */
	bool is_streaming; /* take bodies via on_body */
	bool is_deferring; /* answer later, by hand */
	bool is_holding;   /* hold the body per piece */
	struct http_request *held;
	struct http_request *deferred;
	size_t streamed;
	size_t n_requests;
};

static int
stream_body(struct http_request *req, const char *at, size_t len)
{
	struct fixture *f = req->app_data;

	(void)at;
	f->streamed += len;
	if (f->is_holding) {
		f->held = req;
		http_request_hold_body(req, true);
	}
	return 0;
}

static void
app_head(struct http_request *req, void *arg)
{
	struct fixture *f = arg;

	req->app_data = f;
	if (strcmp(req->path, "/reject") == 0) {
		http_respond(req, 401, "text/plain", "no", 2);
		return;
	}
	if (f->is_streaming)
		req->on_body = stream_body;
	else
		req->body_max = BODY_MAX;
}

static void
app_request(struct http_request *req, void *arg)
{
	struct fixture *f = arg;
	char text[256];
	int n;

	f->n_requests++;
	if (req->is_body_too_large) {
		http_respond(req, 413, "text/plain", "big", 3);
		return;
	}
	if (f->is_deferring) {
		f->deferred = req;
		return;
	}
	n = snprintf(text, sizeof text, "%s %s q=%s len=%zu streamed=%zu",
	    req->method, req->path, req->query, req->body.len, f->streamed);
	http_response_header(req, "X-Test", "1");
	http_respond(req, 200, "text/plain", text, (size_t)n);
}

static int
setup(void **state)
{
	struct fixture *f = xcalloc(1, sizeof *f);
	struct http_app app = {app_head, app_request, f};
	struct sockaddr_in sin;
	char *cause = NULL;
	const char *addr;

	f->base = event_base_new();
	assert_int_equal(http_server_new(f->base, "127.0.0.1:0", &app, &f->srv,
	                     &cause),
	    0);
	addr = http_server_address(f->srv);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(strchr(addr, ':') + 1));
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	f->fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(f->fd, (struct sockaddr *)&sin, sizeof sin),
	    0);
	fcntl(f->fd, F_SETFL, O_NONBLOCK);
	buf_init(&f->got, 64 * 1024 * 1024);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	if (f->fd != -1)
		close(f->fd);
	if (f->deferred != NULL)
		http_respond(f->deferred, 200, NULL, "", 0);
	http_server_free(f->srv);
	event_base_free(f->base);
	buf_release(&f->got);
	free(f);
	return 0;
}

/* Run the loop and collect output until `want` appears or 2 s pass. */
static void
pump(struct fixture *f, const char *want)
{
	struct timespec start, now;
	char chunk[65536];
	ssize_t n;

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		while ((n = read(f->fd, chunk, sizeof chunk)) > 0)
			buf_add(&f->got, chunk, (size_t)n);
		if (n == 0)
			f->is_closed = true;
		if (want != NULL && f->got.data != NULL &&
		    strstr(f->got.data, want) != NULL)
			return;
		if (f->is_closed)
			return;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= 2)
			return;
		poll(NULL, 0, 1);
	}
}

/* One turn of the loop: no waiting. */
static void
pump_once(struct fixture *f)
{
	char chunk[65536];
	ssize_t n;

	event_base_loop(f->base, EVLOOP_NONBLOCK);
	while ((n = read(f->fd, chunk, sizeof chunk)) > 0)
		buf_add(&f->got, chunk, (size_t)n);
	if (n == 0)
		f->is_closed = true;
}

static void
send_str(struct fixture *f, const char *s)
{
	size_t len = strlen(s), off = 0;
	ssize_t n;

	while (off < len) {
		n = write(f->fd, s + off, len - off);
		if (n > 0)
			off += (size_t)n;
		else
			pump_once(f);
	}
}

/* Run the loop until the server has no connection left, at most 2 s. */
static void
pump_until_idle(struct fixture *f)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!http_server_is_idle(f->srv)) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= 2)
			return;
		poll(NULL, 0, 1);
	}
}

/*
 * Send n bytes of body, taking the server's answers meanwhile; every write
 * must succeed or wait (a reset would fail it). At most 2 s.
 */
static void
send_body(struct fixture *f, size_t n)
{
	static const char zeros[16384];
	struct timespec start, now;
	ssize_t k;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (n > 0) {
		k = send(f->fd, zeros, n < sizeof zeros ? n : sizeof zeros,
		    MSG_NOSIGNAL);
		if (k > 0) {
			n -= (size_t)k;
			continue;
		}
		assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
		pump_once(f);
		clock_gettime(CLOCK_MONOTONIC, &now);
		assert_true(now.tv_sec - start.tv_sec < 2);
		poll(NULL, 0, 1);
	}
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	while (hay != NULL && (hay = strstr(hay, needle)) != NULL) {
		n++;
		hay += strlen(needle);
	}
	return n;
}

static void
test_http_answers_a_simple_request_and_keeps_alive(void **state)
{
	struct fixture *f = *state;

	send_str(f, "GET /a/b?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
	pump(f, "streamed=0");
	assert_non_null(strstr(f->got.data, "HTTP/1.1 200 OK\r\n"));
	assert_non_null(strstr(f->got.data, "X-Test: 1\r\n"));
	assert_non_null(strstr(f->got.data, "GET /a/b q=x=1 len=0"));
	assert_null(strstr(f->got.data, "Connection: close"));
	assert_false(f->is_closed);
}

static void
test_http_parses_input_split_byte_by_byte(void **state)
{
	struct fixture *f = *state;
	const char *req = "POST /p HTTP/1.1\r\nHost: h\r\n"
	                  "Content-Length: 5\r\n\r\nhello";
	char one[2] = {0, 0};

	for (; *req != '\0'; req++) {
		one[0] = *req;
		send_str(f, one);
		pump_once(f);
	}
	pump(f, "len=5");
	assert_non_null(strstr(f->got.data, "POST /p q= len=5"));
}

static void
test_http_answers_pipelined_requests_in_order(void **state)
{
	struct fixture *f = *state;
	const char *a, *b, *c;

	send_str(f,
	    "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
	    "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
	    "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n");
	pump(f, "GET /3");
	a = strstr(f->got.data, "GET /1");
	b = strstr(f->got.data, "POST /2 q= len=3");
	c = strstr(f->got.data, "GET /3");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_true(a < b && b < c);
	assert_int_equal(f->n_requests, 3);
}

static void
test_http_holds_the_pipeline_until_a_deferred_answer(void **state)
{
	struct fixture *f = *state;

	f->is_deferring = true;
	send_str(f, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
	            "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
	pump(f, "never");
	assert_int_equal(f->n_requests, 1);
	assert_null(f->got.data);
	f->is_deferring = false;
	http_respond(f->deferred, 200, "text/plain", "first", 5);
	f->deferred = NULL;
	pump(f, "GET /2");
	assert_int_equal(f->n_requests, 2);
	assert_true(strstr(f->got.data, "first") <
	            strstr(f->got.data, "GET /2"));
}

/*
 * An answer larger than the socket takes at once goes out partly at once
 * (sendmsg) and the rest through the output: it arrives whole, and the
 * next pipelined answer after it.
 */
static void
test_http_large_answer_arrives_whole_then_the_next(void **state)
{
	struct fixture *f = *state;
	size_t size = 8 * 1024 * 1024, i;
	char *body = xmalloc(size);
	const char *at;
	int turns;

	for (i = 0; i < size; i++)
		body[i] = (char)('a' + i % 26);
	f->is_deferring = true;
	send_str(f, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
	            "GET /2 HTTP/1.1\r\nHost: h\r\n\r\n");
	for (turns = 0; f->deferred == NULL && turns < 2000; turns++) {
		event_base_loop(f->base, EVLOOP_NONBLOCK);
		poll(NULL, 0, 1);
	}
	assert_non_null(f->deferred);
	f->is_deferring = false;
	/* The client reads nothing yet: the socket cannot take it all. */
	http_respond_take(f->deferred, 200, "text/plain", body, size);
	f->deferred = NULL;
	pump(f, "GET /2");
	assert_non_null(f->got.data);
	at = strstr(f->got.data, "\r\n\r\n");
	assert_non_null(at);
	at += 4;
	assert_true(f->got.len >= (size_t)(at - f->got.data) + size);
	for (i = 0; i < size; i++) {
		if (at[i] != (char)('a' + i % 26))
			fail_msg("byte %zu of the answer is wrong", i);
	}
	assert_non_null(strstr(at + size, "GET /2"));
	assert_int_equal(f->n_requests, 2);
}

static void
test_http_survives_peer_leaving_before_a_deferred_answer(void **state)
{
	struct fixture *f = *state;

	f->is_deferring = true;
	send_str(f, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n");
	pump(f, "never");
	assert_non_null(f->deferred);
	close(f->fd);
	f->fd = -1;
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	/*
	 * A close looks like a half-close (EOF) until a write fails, so the
	 * connection waits for the answer, then goes.
	 */
	http_respond(f->deferred, 200, "text/plain", "late", 4);
	f->deferred = NULL;
	pump_until_idle(f);
	assert_true(http_server_is_idle(f->srv));
}

static void
test_http_answers_a_half_closed_request(void **state)
{
	struct fixture *f = *state;
	int i;

	f->is_deferring = true;
	send_str(f, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n");
	shutdown(f->fd, SHUT_WR);
	for (i = 0; i < 20 && f->deferred == NULL; i++) {
		pump_once(f);
		poll(NULL, 0, 1);
	}
	assert_non_null(f->deferred);
	for (i = 0; i < 5; i++)
		pump_once(f); /* the EOF arrives */
	http_respond(f->deferred, 200, "text/plain", "late", 4);
	f->deferred = NULL;
	pump(f, NULL);
	assert_non_null(f->got.data);
	assert_non_null(strstr(f->got.data, "HTTP/1.1 200 "));
	assert_non_null(strstr(f->got.data, "Connection: close"));
	assert_non_null(strstr(f->got.data, "late"));
	assert_true(f->is_closed);
	pump_until_idle(f);
	assert_true(http_server_is_idle(f->srv));
}

static void
test_http_lingers_after_an_early_answer(void **state)
{
	struct fixture *f = *state;

	send_str(f, "POST /reject HTTP/1.1\r\nHost: h\r\n"
	            "Content-Length: 8388608\r\n\r\n");
	pump(f, "no");
	assert_non_null(strstr(f->got.data, "HTTP/1.1 401 "));
	/* The rest of the body is taken and dropped, not refused. */
	send_body(f, 4 * 1024 * 1024);
	shutdown(f->fd, SHUT_WR);
	pump(f, NULL);
	assert_true(f->is_closed);
	assert_int_equal(count(f->got.data, "HTTP/1.1"), 1);
	pump_until_idle(f);
	assert_true(http_server_is_idle(f->srv));
}

static void
test_http_header_deadline_answers_408(void **state)
{
	struct fixture *f = *state;

	http_server_set_header_timeout(f->srv, 1);
	send_str(f, "GET /slow HTTP/1.1\r\nHost: h\r\n");
	pump(f, "408");
	assert_non_null(f->got.data);
	assert_non_null(strstr(f->got.data, "HTTP/1.1 408 "));
}

static void
test_http_reassembles_a_chunked_body(void **state)
{
	struct fixture *f = *state;

	send_str(f, "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
	            "chunked\r\n\r\n3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\n");
	pump(f, "len=7");
	assert_non_null(strstr(f->got.data, "POST /c q= len=7"));
}

static void
test_http_sends_100_continue_when_expected(void **state)
{
	struct fixture *f = *state;

	send_str(f, "POST /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
	            "Content-Length: 2\r\n\r\n");
	pump(f, "100 Continue");
	assert_non_null(strstr(f->got.data, "HTTP/1.1 100 Continue\r\n\r\n"));
	send_str(f, "ok");
	pump(f, "len=2");
}

static void
test_http_rejects_a_declared_oversized_body_early(void **state)
{
	struct fixture *f = *state;

	send_str(f, "POST /big HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\n"
	            "Content-Length: 5000\r\n\r\n");
	pump(f, "big");
	assert_non_null(strstr(f->got.data, "HTTP/1.1 413 "));
	assert_null(strstr(f->got.data, "100 Continue"));
	assert_non_null(strstr(f->got.data, "Connection: close"));
	pump(f, NULL);
	assert_true(f->is_closed);
}

static void
test_http_rejects_an_oversized_chunked_body(void **state)
{
	struct fixture *f = *state;
	char line[700];

	memset(line, 'x', sizeof line);
	line[sizeof line - 1] = '\0';
	send_str(f, "POST /big HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: "
	            "chunked\r\n\r\n2bb\r\n");
	send_str(f, line);
	send_str(f, "\r\n2bb\r\n");
	send_str(f, line);
	send_str(f, "\r\n0\r\n\r\n");
	pump(f, "big");
	assert_non_null(strstr(f->got.data, "HTTP/1.1 413 "));
	pump(f, NULL);
	assert_true(f->is_closed);
}

static void
test_http_streams_a_large_body_without_keeping_it(void **state)
{
	struct fixture *f = *state;
	char *chunk;
	size_t i, size = 1024 * 1024;

	f->is_streaming = true;
	chunk = xmalloc(size + 1);
	memset(chunk, 'z', size);
	chunk[size] = '\0';
	send_str(f, "PUT /blob HTTP/1.1\r\nHost: h\r\n"
	            "Content-Length: 16777216\r\n\r\n");
	for (i = 0; i < 16; i++)
		send_str(f, chunk);
	free(chunk);
	pump(f, "streamed=16777216");
	assert_non_null(strstr(f->got.data, "PUT /blob q= len=0 "
	                                    "streamed=16777216"));
}

static void
test_http_held_body_waits_then_the_connection_goes_on(void **state)
{
	struct fixture *f = *state;
	int i;

	f->is_streaming = f->is_holding = true;
	send_str(f, "PUT /a HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n"
	            "\r\nab");
	for (i = 0; i < 20 && f->streamed < 2; i++) {
		pump_once(f);
		poll(NULL, 0, 1);
	}
	assert_int_equal(f->streamed, 2);
	/* Held: the rest is not taken, nothing is answered. */
	send_str(f, "cd");
	for (i = 0; i < 20; i++) {
		pump_once(f);
		poll(NULL, 0, 1);
	}
	assert_int_equal(f->streamed, 2);
	assert_int_equal(f->n_requests, 0);
	/* Resumed: the last piece is held again, the message completes. */
	http_request_hold_body(f->held, false);
	pump(f, "streamed=4");
	assert_non_null(strstr(f->got.data, "PUT /a q= len=0 streamed=4"));
	/* A hold set on the last piece does not stop the next request. */
	send_str(f, "GET /b HTTP/1.1\r\nHost: h\r\n\r\n");
	pump(f, "GET /b");
	assert_non_null(strstr(f->got.data, "GET /b q= len=0"));
}

static void
test_http_answers_400_to_garbage_and_closes(void **state)
{
	struct fixture *f = *state;

	send_str(f, "\x01\x02 nonsense\r\n\r\n");
	pump(f, "400");
	assert_non_null(strstr(f->got.data, "HTTP/1.1 400 Bad Request"));
	pump(f, NULL);
	assert_true(f->is_closed);
}

static void
test_http_answers_431_to_too_many_headers(void **state)
{
	struct fixture *f = *state;
	int i;
	char h[64];

	send_str(f, "GET / HTTP/1.1\r\n");
	for (i = 0; i < HTTP_HEADERS_MAX + 5; i++) {
		snprintf(h, sizeof h, "X-H%d: v\r\n", i);
		send_str(f, h);
	}
	send_str(f, "\r\n");
	pump(f, "431");
	assert_non_null(strstr(f->got.data, "HTTP/1.1 431 "));
}

static void
test_http_answers_414_to_a_huge_url(void **state)
{
	struct fixture *f = *state;
	char *url = xmalloc(HTTP_URL_MAX + 100);

	memset(url, 'a', HTTP_URL_MAX + 99);
	url[HTTP_URL_MAX + 99] = '\0';
	url[0] = '/';
	send_str(f, "GET ");
	send_str(f, url);
	send_str(f, " HTTP/1.1\r\n\r\n");
	free(url);
	pump(f, "414");
	assert_non_null(strstr(f->got.data, "HTTP/1.1 414 "));
}

static void
test_http_closes_after_connection_close(void **state)
{
	struct fixture *f = *state;

	send_str(f, "GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
	pump(f, NULL);
	assert_non_null(strstr(f->got.data, "Connection: close"));
	assert_true(f->is_closed);
}

static void
test_http_closes_an_http10_connection(void **state)
{
	struct fixture *f = *state;

	send_str(f, "GET /x HTTP/1.0\r\n\r\n");
	pump(f, NULL);
	assert_non_null(strstr(f->got.data, "GET /x"));
	assert_true(f->is_closed);
}

static void
test_http_early_answer_from_on_head_closes(void **state)
{
	struct fixture *f = *state;

	send_str(f, "POST /reject HTTP/1.1\r\nHost: h\r\nContent-Length: 3"
	            "\r\n\r\nabcGET /1 HTTP/1.1\r\n\r\n");
	pump(f, NULL);
	assert_non_null(strstr(f->got.data, "HTTP/1.1 401 "));
	assert_int_equal(count(f->got.data, "HTTP/1.1"), 1);
	assert_true(f->is_closed);
}

static void
test_http_head_has_length_but_no_body(void **state)
{
	struct fixture *f = *state;

	send_str(f, "HEAD /h HTTP/1.1\r\nHost: h\r\n\r\nGET /after HTTP/1.1"
	            "\r\n\r\n");
	pump(f, "GET /after");
	assert_null(strstr(f->got.data, "HEAD /h q="));
	assert_int_equal(count(f->got.data, "HTTP/1.1 200"), 2);
}

static void
test_http_drain_closes_idle_connections(void **state)
{
	struct fixture *f = *state;

	send_str(f, "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n");
	pump(f, "GET /1");
	http_server_drain(f->srv);
	pump(f, NULL);
	assert_true(f->is_closed);
	assert_true(http_server_is_idle(f->srv));
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_http_answers_a_simple_request_and_keeps_alive),
	    T(test_http_parses_input_split_byte_by_byte),
	    T(test_http_answers_pipelined_requests_in_order),
	    T(test_http_holds_the_pipeline_until_a_deferred_answer),
	    T(test_http_large_answer_arrives_whole_then_the_next),
	    T(test_http_survives_peer_leaving_before_a_deferred_answer),
	    T(test_http_answers_a_half_closed_request),
	    T(test_http_lingers_after_an_early_answer),
	    T(test_http_header_deadline_answers_408),
	    T(test_http_reassembles_a_chunked_body),
	    T(test_http_sends_100_continue_when_expected),
	    T(test_http_rejects_a_declared_oversized_body_early),
	    T(test_http_rejects_an_oversized_chunked_body),
	    T(test_http_streams_a_large_body_without_keeping_it),
	    T(test_http_held_body_waits_then_the_connection_goes_on),
	    T(test_http_answers_400_to_garbage_and_closes),
	    T(test_http_answers_431_to_too_many_headers),
	    T(test_http_answers_414_to_a_huge_url),
	    T(test_http_closes_after_connection_close),
	    T(test_http_closes_an_http10_connection),
	    T(test_http_early_answer_from_on_head_closes),
	    T(test_http_head_has_length_but_no_body),
	    T(test_http_drain_closes_idle_connections),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
