/*
 * The HTTP event sinks (issue 17): --events-webhook URL, one POST of the
 * EventBridge envelope per event, and --eventbridge-endpoint URL,
 * EventBridge's PutEvents with up to ten events per request, SigV4-signed.
 * Each sink queues what it is given (bounded: the oldest goes first) and
 * sends it in order, one request at a time, on the server's curl multi,
 * retrying connection errors, 5xx and 429 with backoff; nothing waits on
 * it. docs/observability.md "Event sinks".
 */
#ifndef ECRD_SERVER_EVENT_HTTP_H
#define ECRD_SERVER_EVENT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct creds;
struct event_base;
struct json_object;
struct upstream_net;

/* Events a sink holds unsent before dropping the oldest (default). */
#define EVENT_HTTP_QUEUE_MAX 10000
/* The most --events-queue-max may ask (a few GiB of envelopes at most). */
#define EVENT_HTTP_QUEUE_LIMIT 10000000
/* Tries of one event (or PutEvents entry) before it is dropped. */
#define EVENT_HTTP_ATTEMPTS 6
/* How long shutdown waits for the sinks to empty their queues. */
#define EVENT_HTTP_DRAIN_MS 3000

enum event_http_kind {
	EVENT_HTTP_WEBHOOK,
	EVENT_HTTP_EVENTBRIDGE,
};

struct event_http_config {
	enum event_http_kind kind;
	const char *url; /* http:// or https:// */
	size_t queue_max;
	unsigned attempts;
};

/* 0 if url can be a sink's (http:// or https://), else -1 and *cause. */
int event_http_check_url(const char *url, char **cause);
/* A sink; url is copied. */
struct event_http *event_http_new(struct event_base *, struct upstream_net *,
    const struct event_http_config *);
/*
 * EventBridge's signing keys (--eventbridge-credentials; borrowed until
 * the next call or the sink's end): the principal of the event's account,
 * else the first. Without any, the account ID signs with an empty secret,
 * which LocalStack accepts and AWS refuses.
 */
void event_http_set_creds(struct event_http *, const struct creds *);
/* Queue envelope (borrowed; copied) for sending; never blocks. */
void event_http_send(struct event_http *, struct json_object *envelope);
/* Nothing queued, in flight or waiting for a retry. */
bool event_http_is_idle(const struct event_http *);
/*
 * Shutdown, before the curl multi goes: end the request in flight and send
 * nothing more (events still given are kept, to be counted as lost).
 */
void event_http_stop(struct event_http *);
/* Stop, then free; what is unsent is logged as lost. */
void event_http_free(struct event_http *);

#endif
