/*
 * The upstream client's transfers in the event loop (issue 13): one curl
 * multi handle driven by curl_multi_socket_action from libevent events
 * on its sockets and one timer, so no upstream request ever blocks the
 * loop; core/upstream.c makes the requests, this only runs them.
 */
#include "server/server.h"

#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "api/api.h"
#include "common/xalloc.h"
#include "server/pool.h"

struct upstream_net {
	struct server *srv;
	struct event_base *base;
	struct core_ctx *api;
	CURLM *multi;
	struct event *timer;
	struct net_own *own; /* the server's own transfers (event sinks) */
};

/* A transfer the server started itself, finished by its own callback. */
struct net_own {
	CURL *easy;
	void (*done)(void *arg, int result);
	void *arg;
	struct net_own *next;
};

/* Unlink easy's record if it is one of the server's own: its callback. */
static struct net_own *
own_take(struct upstream_net *un, CURL *easy)
{
	struct net_own **pp, *o;

	for (pp = &un->own; (o = *pp) != NULL; pp = &o->next) {
		if (o->easy == easy) {
			*pp = o->next;
			return o;
		}
	}
	return NULL;
}

/* Hand each finished transfer back to core, which may start others. */
static void
check_done(struct upstream_net *un)
{
	CURLMsg *msg;
	CURL *easy;
	struct net_own *o;
	int left, result;

	while ((msg = curl_multi_info_read(un->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		easy = msg->easy_handle;
		result = (int)msg->data.result;
		curl_multi_remove_handle(un->multi, easy);
		if ((o = own_take(un, easy)) != NULL) {
			o->done(o->arg, result);
			free(o);
		} else {
			metrics_upstream(un->srv->metrics, result == 0);
			core_upstream_done(easy, result);
		}
	}
}

static void
socket_ready(evutil_socket_t fd, short what, void *arg)
{
	struct upstream_net *un = arg;
	int running, action = 0;

	if (what & EV_READ)
		action |= CURL_CSELECT_IN;
	if (what & EV_WRITE)
		action |= CURL_CSELECT_OUT;
	curl_multi_socket_action(un->multi, fd, action, &running);
	check_done(un);
}

static void
timer_fired(evutil_socket_t fd, short what, void *arg)
{
	struct upstream_net *un = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(un->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(un);
}

/* CURLMOPT_SOCKETFUNCTION: watch s as libcurl asks, one event each. */
static int
on_socket(CURL *easy, curl_socket_t s, int what, void *arg, void *sockp)
{
	struct upstream_net *un = arg;
	struct event *ev = sockp;
	short kind = EV_PERSIST;

	(void)easy;
	if (ev != NULL) {
		event_free(ev);
		curl_multi_assign(un->multi, s, NULL);
	}
	if (what == CURL_POLL_REMOVE)
		return 0;
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	if ((ev = event_new(un->base, s, kind, socket_ready, un)) == NULL)
		abort();
	event_add(ev, NULL);
	curl_multi_assign(un->multi, s, ev);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: -1 stops the timer; 0 fires on the next turn. */
static int
on_timer(CURLM *multi, long ms, void *arg)
{
	struct upstream_net *un = arg;
	struct timeval tv;

	(void)multi;
	if (ms < 0) {
		evtimer_del(un->timer);
		return 0;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	evtimer_add(un->timer, &tv);
	return 0;
}

static int
net_add(void *arg, void *easy)
{
	struct upstream_net *un = arg;

	return curl_multi_add_handle(un->multi, easy) == CURLM_OK ? 0 : -1;
}

static void
net_remove(void *arg, void *easy)
{
	struct upstream_net *un = arg;

	curl_multi_remove_handle(un->multi, easy);
}

/* Pulled-through blobs' file work: the server's worker pool. */
static int
net_submit(void *arg, void (*work)(void *), void (*done)(void *, bool),
    void *job)
{
	struct upstream_net *un = arg;

	if (un->srv->pool == NULL)
		return -1;
	return pool_submit(un->srv->pool, work, done, job);
}

/* Core's own write calls have no request to answer. */
static void
written(struct http_request *req, struct call *call)
{
	(void)req;
	core_write_done(call);
}

/* Pulled-through records: in the group commit, with the pushes. */
static void
net_queue_write(void *arg, struct call *call)
{
	struct upstream_net *un = arg;

	writes_queue(un->srv, NULL, call, written);
}

struct upstream_net *
upstream_net_new(struct server *srv)
{
	struct upstream_net *un;
	struct core_net net;
	struct event_base *base = srv->base;

	un = xcalloc(1, sizeof *un);
	un->srv = srv;
	un->base = base;
	un->api = srv->api;
	if ((un->multi = curl_multi_init()) == NULL ||
	    (un->timer = evtimer_new(base, timer_fired, un)) == NULL)
		abort();
	curl_multi_setopt(un->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(un->multi, CURLMOPT_SOCKETDATA, un);
	curl_multi_setopt(un->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(un->multi, CURLMOPT_TIMERDATA, un);
	memset(&net, 0, sizeof net);
	net.add = net_add;
	net.remove = net_remove;
	net.submit = net_submit;
	net.queue_write = net_queue_write;
	net.arg = un;
	core_ctx_set_net(un->api, &net);
	return un;
}

int
upstream_net_start(struct upstream_net *un, void *easy,
    void (*done)(void *arg, int result), void *arg)
{
	struct net_own *o;

	if (curl_multi_add_handle(un->multi, easy) != CURLM_OK)
		return -1;
	o = xcalloc(1, sizeof *o);
	o->easy = easy;
	o->done = done;
	o->arg = arg;
	o->next = un->own;
	un->own = o;
	return 0;
}

void
upstream_net_cancel(struct upstream_net *un, void *easy)
{
	free(own_take(un, easy));
	curl_multi_remove_handle(un->multi, easy);
}

/* End the transfers under way (their calls fail), then the handle. */
void
upstream_net_free(struct upstream_net *un)
{
	struct core_net net;
	struct net_own *o;

	if (un == NULL)
		return;
	core_upstream_abort(un->api);
	/* Sinks cancel theirs first; whatever is left ends unheard. */
	while ((o = un->own) != NULL) {
		un->own = o->next;
		curl_multi_remove_handle(un->multi, o->easy);
		free(o);
	}
	/* Core runs what comes after by itself (pool_free's dones). */
	memset(&net, 0, sizeof net);
	core_ctx_set_net(un->api, &net);
	/* The sockets' events go with their last transfer's removal. */
	curl_multi_cleanup(un->multi);
	event_free(un->timer);
	free(un);
}
