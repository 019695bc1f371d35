/*
 * ecrd-ceiling: a do-nothing HTTP/1.1 server for bench/run.sh's "ceiling"
 * set. It answers every request with the same bytes, read once from a file
 * (a whole response, head and body, captured from ecrd), on the stack ecrd
 * serves with (one libevent loop, bufferevents, http_parser), so that
 * ecrd's req/s can be read as a fraction of what that loop allows.
 *
 *	ecrd-ceiling PORT RESPONSE-FILE		(listens on 127.0.0.1:PORT)
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <http_parser.h>

#include "common/parse.h"
#include "common/xalloc.h"

#define CEILING_ANSWER_MAX (16U << 20)

struct conn {
	struct bufferevent *bev;
	http_parser parser;
};

static char *answer;
static size_t answer_len;

static void __attribute__((noreturn))
fatal(const char *what, const char *detail)
{
	fprintf(stderr, "ecrd-ceiling: %s: %s\n", what, detail);
	exit(1);
}

/* The whole answer, copied once into the output as any server's body is. */
static int
on_message_complete(http_parser *p)
{
	struct conn *c = p->data;

	evbuffer_add(bufferevent_get_output(c->bev), answer, answer_len);
	return 0;
}

static const http_parser_settings parser_settings = {
    .on_message_complete = on_message_complete,
};

static void
conn_free(struct conn *c)
{
	bufferevent_free(c->bev);
	free(c);
}

static void
read_cb(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_iovec v;
	size_t n;

	while (evbuffer_peek(in, -1, NULL, &v, 1) >= 1) {
		n = http_parser_execute(&c->parser, &parser_settings,
		    v.iov_base, v.iov_len);
		evbuffer_drain(in, n);
		if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK || n != v.iov_len) {
			conn_free(c);
			return;
		}
	}
}

static void
event_cb(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		conn_free(arg);
}

static void
accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
    int socklen, void *arg)
{
	struct bufferevent *bev;
	struct conn *c;
	int one = 1;

	(void)l;
	(void)sa;
	(void)socklen;
	if ((bev = bufferevent_socket_new(arg, fd, BEV_OPT_CLOSE_ON_FREE)) ==
	    NULL) {
		evutil_closesocket(fd);
		return;
	}
	/* As ecrd does: answers over 16 KiB would wait on delayed ACKs. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c = xcalloc(1, sizeof *c);
	c->bev = bev;
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
	bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

static void
load_answer(const char *path)
{
	FILE *f;
	struct stat st;

	if ((f = fopen(path, "rb")) == NULL)
		fatal(path, "cannot open");
	if (fstat(fileno(f), &st) != 0 || st.st_size <= 0 ||
	    (uintmax_t)st.st_size > CEILING_ANSWER_MAX)
		fatal(path, "empty, unreadable or over 16 MiB");
	answer_len = (size_t)st.st_size;
	answer = xmalloc(answer_len);
	if (fread(answer, 1, answer_len, f) != answer_len)
		fatal(path, "short read");
	fclose(f);
}

int
main(int argc, char **argv)
{
	struct event_base *base;
	struct evconnlistener *l;
	struct sockaddr_in sin;
	uint64_t port;
	const char *errstr;

	if (argc != 3)
		fatal("usage", "ecrd-ceiling PORT RESPONSE-FILE");
	if (parse_u64(argv[1], 1, 65535, &port, &errstr) != 0)
		fatal("port", errstr);
	load_answer(argv[2]);
	/* wrk closes its connections at the end, answers still in flight. */
	signal(SIGPIPE, SIG_IGN);
	if ((base = event_base_new()) == NULL)
		fatal("libevent", "event_base_new failed");
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = evconnlistener_new_bind(base, accept_cb, base,
	    LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	    1024, (struct sockaddr *)&sin, sizeof sin);
	if (l == NULL)
		fatal("listen",
		    evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
	event_base_dispatch(base);
	evconnlistener_free(l);
	event_base_free(base);
	free(answer);
	return 0;
}
