/*
 * The HTTP event sinks (event_http.h): per sink a bounded queue, one
 * request in flight on the server's curl multi (upstream.c), retries with
 * backoff. A sink sends its oldest events first and no newer one overtakes
 * them while they are retried, so each receiver sees commit order; a crash
 * loses what is queued (docs/observability.md "Event sinks").
 */
#include "server/event_http.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>
#include <json-c/json.h>
#include <sodium.h>

#include "auth/creds.h"
#include "auth/sigv4.h"
#include "common/buf.h"
#include "common/json.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "server/event_queue.h"
#include "server/server.h"

#define BATCH_MAX 10                 /* PutEvents' entries per request */
#define BATCH_BYTES_MAX (256 * 1024) /* PutEvents' request size limit */
#define ANSWER_MAX (64 * 1024)
#define CONNECT_TIMEOUT_MS 5000L
#define TIMEOUT_MS 10000L
#define DROP_LOG_EVERY 1000
#define TARGET "AWSEvents.PutEvents"
#define SIGNED_MAX 5 /* headers signed for PutEvents */

struct event_http {
	enum event_http_kind kind;
	char *url;
	char *host; /* the Host header, as signed */
	char *path; /* the path, as signed */
	struct event_base *base;
	struct upstream_net *net;
	const struct creds *creds;
	struct evq queue;
	unsigned attempts;
	/*
	 * The oldest events, out of the queue: in flight or waiting for a
	 * retry. Webhook: JSON strings, the envelope's text. EventBridge:
	 * {"region", "account", "entry": PutEvents' entry}.
	 */
	struct json_object *batch[BATCH_MAX];
	size_t n_batch;
	unsigned attempt; /* tries of the batch so far */
	CURL *easy;       /* the request in flight, or NULL */
	struct curl_slist *headers;
	char *body;
	struct buf answer;
	struct event *retry_ev;
	bool is_waiting; /* retry_ev is pending */
	bool is_stopped; /* event_http_stop: sends nothing more */
};

static void start(struct event_http *);

int
event_http_check_url(const char *url, char **cause)
{
	CURLU *u;
	char *host = NULL;
	int rc = -1;

	if (strncmp(url, "http://", 7) != 0 &&
	    strncmp(url, "https://", 8) != 0) {
		*cause =
		    xasprintf("'%s' is not an http:// or https:// URL", url);
		return -1;
	}
	if ((u = curl_url()) == NULL)
		abort();
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		rc = 0;
	else
		*cause = xasprintf("'%s' is not a valid URL", url);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/* The Host header curl sends for h->url (port only if given) and path. */
static void
split_url(struct event_http *h)
{
	CURLU *u;
	char *host = NULL, *port = NULL, *path = NULL;

	if ((u = curl_url()) == NULL)
		abort();
	if (curl_url_set(u, CURLUPART_URL, h->url, 0) == CURLUE_OK) {
		curl_url_get(u, CURLUPART_HOST, &host, 0);
		curl_url_get(u, CURLUPART_PORT, &port, 0);
		curl_url_get(u, CURLUPART_PATH, &path, 0);
	}
	h->host = port != NULL ? xasprintf("%s:%s", host, port)
	                       : xstrdup(host != NULL ? host : "");
	h->path = xstrdup(path != NULL ? path : "/");
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
}

static void
retry_cb(evutil_socket_t fd, short what, void *arg)
{
	struct event_http *h = arg;

	(void)fd;
	(void)what;
	h->is_waiting = false;
	start(h);
}

struct event_http *
event_http_new(struct event_base *base, struct upstream_net *net,
    const struct event_http_config *cfg)
{
	struct event_http *h;

	h = xcalloc(1, sizeof *h);
	h->kind = cfg->kind;
	h->url = xstrdup(cfg->url);
	h->base = base;
	h->net = net;
	h->attempts = cfg->attempts > 0 ? cfg->attempts : 1;
	evq_init(&h->queue, cfg->queue_max);
	buf_init(&h->answer, ANSWER_MAX);
	split_url(h);
	if ((h->retry_ev = evtimer_new(base, retry_cb, h)) == NULL)
		abort();
	return h;
}

void
event_http_set_creds(struct event_http *h, const struct creds *creds)
{
	h->creds = creds;
}

/*
 * The envelope's time, RFC 3339 ("2026-01-15T10:00:00Z"), as epoch
 * seconds: without its '-' and ':' it is an X-Amz-Date, which SigV4's
 * own parser reads. -1 for anything else (fractional seconds, an offset):
 * the entry then goes without a Time, and EventBridge stamps its own.
 */
static int
envelope_epoch(const char *text, int64_t *out)
{
	struct sigv4_auth a;
	size_t n = 0;

	if (text == NULL)
		return -1;
	memset(&a, 0, sizeof a);
	for (; *text != '\0'; text++) {
		if (*text == '-' || *text == ':')
			continue;
		if (n == sizeof a.amz_date - 1)
			return -1;
		a.amz_date[n++] = *text;
	}
	return sigv4_request_time(&a, out);
}

/* PutEvents' entry for envelope, with what signing it needs. */
static struct json_object *
eventbridge_item(struct json_object *envelope)
{
	struct json_object *item, *entry, *detail, *res, *arr;
	char *text;
	int64_t t;
	size_t i;

	entry = jnew_obj();
	jadd_str(entry, "Source", jget_str(envelope, "source"));
	jadd_str(entry, "DetailType", jget_str(envelope, "detail-type"));
	detail = jget(envelope, "detail", json_type_object);
	text = detail != NULL ? jrender(detail, NULL) : NULL;
	jadd_str(entry, "Detail", text != NULL ? text : "{}");
	free(text);
	arr = jnew_arr();
	res = jget(envelope, "resources", json_type_array);
	for (i = 0; res != NULL && i < json_object_array_length(res); i++)
		jpush_str(arr,
		    json_object_get_string(json_object_array_get_idx(res, i)));
	jadd_obj(entry, "Resources", arr);
	if (envelope_epoch(jget_str(envelope, "time"), &t) == 0)
		jadd_i64(entry, "Time", t);
	jadd_str(entry, "EventBusName", "default");
	item = jnew_obj();
	jadd_str(item, "region", jget_str(envelope, "region"));
	jadd_str(item, "account", jget_str(envelope, "account"));
	jadd_obj(item, "entry", entry);
	return item;
}

static struct json_object *
webhook_item(struct json_object *envelope)
{
	struct json_object *item;
	size_t len;
	char *text;

	if ((text = jrender(envelope, &len)) == NULL)
		return NULL;
	item = json_object_new_string_len(text, (int)len);
	free(text);
	if (item == NULL)
		abort();
	return item;
}

/* Both EventBridge items are signed for the same region and account. */
static bool
same_scope(struct json_object *a, struct json_object *b)
{
	const char *ra = jget_str(a, "region"), *rb = jget_str(b, "region");
	const char *aa = jget_str(a, "account"), *ab = jget_str(b, "account");

	return ra != NULL && rb != NULL && aa != NULL && ab != NULL &&
	       strcmp(ra, rb) == 0 && strcmp(aa, ab) == 0;
}

/* Take the oldest events out of the queue as the next batch. */
static bool
fill_batch(struct event_http *h)
{
	struct json_object *next;
	size_t bytes = 0;

	h->attempt = 0;
	while (h->n_batch < (h->kind == EVENT_HTTP_WEBHOOK ? 1 : BATCH_MAX) &&
	       (next = evq_peek(&h->queue, 0)) != NULL) {
		if (h->n_batch > 0 && !same_scope(h->batch[0], next))
			break;
		bytes += strlen(json_object_to_json_string(next));
		if (h->n_batch > 0 && bytes > BATCH_BYTES_MAX)
			break;
		h->batch[h->n_batch++] = evq_pop(&h->queue);
	}
	return h->n_batch > 0;
}

static void
batch_clear(struct event_http *h)
{
	size_t i;

	for (i = 0; i < h->n_batch; i++)
		json_object_put(h->batch[i]);
	h->n_batch = 0;
	h->attempt = 0;
}

static void
kick(struct event_http *h)
{
	if (h->easy != NULL || h->is_waiting || h->is_stopped)
		return;
	if (h->n_batch == 0 && !fill_batch(h))
		return;
	start(h);
}

void
event_http_send(struct event_http *h, struct json_object *envelope)
{
	struct json_object *item;

	item = h->kind == EVENT_HTTP_WEBHOOK ? webhook_item(envelope)
	                                     : eventbridge_item(envelope);
	if (item == NULL) {
		log_error("event sink %s: an event over the render limit",
		    h->url);
		return;
	}
	if (evq_push(&h->queue, item) != 0 &&
	    (h->queue.n_dropped == 1 ||
	        h->queue.n_dropped % DROP_LOG_EVERY == 0))
		log_warn("event sink %s: %zu events queued, the oldest "
		         "dropped (%llu so far)",
		    h->url, h->queue.len,
		    (unsigned long long)h->queue.n_dropped);
	kick(h);
}

bool
event_http_is_idle(const struct event_http *h)
{
	return h->easy == NULL && !h->is_waiting && h->n_batch == 0 &&
	       h->queue.len == 0;
}

/* The principal that signs for account: its own, else the first. */
static const struct cred *
signer_for(const struct event_http *h, const char *account)
{
	size_t i;

	if (h->creds == NULL || h->creds->n == 0)
		return NULL;
	for (i = 0; account != NULL && i < h->creds->n; i++)
		if (strcmp(h->creds->v[i].account, account) == 0)
			return &h->creds->v[i];
	return &h->creds->v[0];
}

/* PutEvents' signed headers for h->body, into h->headers. */
static int
sign_putevents(struct event_http *h, const char *region, const char *account)
{
	const struct cred *c = signer_for(h, account);
	struct sigv4_header hd[SIGNED_MAX];
	struct sigv4_request sr;
	char date[17], *auth = NULL, *line;
	size_t n = 0, i;
	int rc;

	sigv4_format_date((int64_t)time(NULL), date);
	hd[n++] = (struct sigv4_header){"Host", h->host};
	hd[n++] = (struct sigv4_header){"X-Amz-Date", date};
	hd[n++] = (struct sigv4_header){"X-Amz-Target", TARGET};
	hd[n++] =
	    (struct sigv4_header){"Content-Type", "application/x-amz-json-1.1"};
	if (c != NULL && c->session_token != NULL)
		hd[n++] = (struct sigv4_header){
		    "X-Amz-Security-Token", c->session_token};
	memset(&sr, 0, sizeof sr);
	sr.method = "POST";
	sr.path = h->path;
	sr.query = "";
	sr.headers = hd;
	sr.n_headers = n;
	sr.body = (const unsigned char *)h->body;
	sr.body_len = strlen(h->body);
	rc = sigv4_sign(&sr, c != NULL ? c->access_key_id : account,
	    c != NULL ? c->secret_access_key : "", region, "events", &auth);
	if (rc != 0)
		return -1;
	for (i = 0; i < n; i++) {
		line = xasprintf("%s: %s", hd[i].name, hd[i].value);
		h->headers = curl_slist_append(h->headers, line);
		free(line);
	}
	line = xasprintf("Authorization: %s", auth);
	h->headers = curl_slist_append(h->headers, line);
	free(line);
	free(auth);
	return 0;
}

/* The batch's PutEvents request: body and signed headers. */
static int
putevents_request(struct event_http *h)
{
	struct json_object *req, *entries;
	const char *region = jget_str(h->batch[0], "region");
	const char *account = jget_str(h->batch[0], "account");
	size_t i;

	entries = jnew_arr();
	for (i = 0; i < h->n_batch; i++)
		jpush(entries, json_object_get(jget(h->batch[i], "entry",
		                   json_type_object)));
	req = jnew_obj();
	jadd_obj(req, "Entries", entries);
	h->body = jrender(req, NULL);
	json_object_put(req);
	if (h->body == NULL || region == NULL || account == NULL)
		return -1;
	return sign_putevents(h, region, account);
}

static int
webhook_request(struct event_http *h)
{
	h->body = xstrdup(json_object_get_string(h->batch[0]));
	h->headers =
	    curl_slist_append(h->headers, "Content-Type: application/json");
	return 0;
}

static size_t
on_answer(char *data, size_t size, size_t n, void *arg)
{
	struct event_http *h = arg;

	/* Past its cap the answer is only unreadable, not an error. */
	(void)buf_add(&h->answer, data, size * n);
	return size * n;
}

static void
request_free(struct event_http *h)
{
	if (h->easy != NULL)
		curl_easy_cleanup(h->easy);
	h->easy = NULL;
	curl_slist_free_all(h->headers);
	h->headers = NULL;
	free(h->body);
	h->body = NULL;
	buf_reset(&h->answer);
}

/* The batch is done with: delivered, or given up on (why, logged). */
static void
settle(struct event_http *h, const char *why)
{
	if (why != NULL)
		log_warn("event sink %s: %zu event%s dropped after %u "
		         "tr%s: %s",
		    h->url, h->n_batch, h->n_batch == 1 ? "" : "s", h->attempt,
		    h->attempt == 1 ? "y" : "ies", why);
	batch_clear(h);
	kick(h);
}

/* Try the batch again after a backoff, or give up on it. */
static void
retry(struct event_http *h, const char *why)
{
	struct timeval tv;
	unsigned ms;

	if (h->attempt >= h->attempts) {
		settle(h, why);
		return;
	}
	ms = evq_backoff_ms(h->attempt, randombytes_random());
	log_debug("event sink %s: retry %u in %u ms: %s", h->url, h->attempt,
	    ms, why);
	tv.tv_sec = ms / 1000;
	tv.tv_usec = (ms % 1000) * 1000;
	h->is_waiting = true;
	evtimer_add(h->retry_ev, &tv);
}

/*
 * PutEvents answered 200: keep only the entries it failed (in order) and
 * retry those. An answer that cannot be read retries the whole batch.
 */
static void
putevents_done(struct event_http *h)
{
	struct json_object *answer = NULL;
	bool failed[BATCH_MAX];
	size_t i, n = 0;
	int n_failed = -1;

	if (!buf_failed(&h->answer) &&
	    jparse_strict(h->answer.data != NULL ? h->answer.data : "",
	        h->answer.len, &answer, NULL) != JPARSE_BAD) {
		n_failed = evq_failed_entries(answer, h->n_batch, failed);
		json_object_put(answer);
	}
	if (n_failed == 0) {
		settle(h, NULL);
		return;
	}
	if (n_failed < 0) {
		retry(h, "PutEvents' answer unreadable");
		return;
	}
	for (i = 0; i < h->n_batch; i++) {
		if (failed[i])
			h->batch[n++] = h->batch[i];
		else
			json_object_put(h->batch[i]);
	}
	h->n_batch = n;
	retry(h, "PutEvents failed entries");
}

static void
on_done(void *arg, int result)
{
	struct event_http *h = arg;
	char why[CURL_ERROR_SIZE + 64];
	long status = 0;

	curl_easy_getinfo(h->easy, CURLINFO_RESPONSE_CODE, &status);
	if (result != CURLE_OK)
		snprintf(why, sizeof why, "%s",
		    curl_easy_strerror((CURLcode)result));
	else
		snprintf(why, sizeof why, "HTTP %ld: %.*s", status,
		    (int)(h->answer.len < 200 ? h->answer.len : 200),
		    h->answer.data != NULL ? h->answer.data : "");
	/* The answer is read before the request's buffers go. */
	curl_easy_cleanup(h->easy);
	h->easy = NULL;
	switch (evq_classify(result == CURLE_OK, status)) {
	case EVQ_DELIVERED:
		if (h->kind == EVENT_HTTP_EVENTBRIDGE)
			putevents_done(h);
		else
			settle(h, NULL);
		break;
	case EVQ_RETRY:
		retry(h, why);
		break;
	case EVQ_DROP:
		settle(h, why);
		break;
	}
}

/* Send the batch (again). */
static void
start(struct event_http *h)
{
	CURL *e;
	int rc;

	request_free(h);
	h->attempt++;
	rc = h->kind == EVENT_HTTP_WEBHOOK ? webhook_request(h)
	                                   : putevents_request(h);
	if (rc != 0) {
		settle(h, "the request could not be built");
		return;
	}
	/* No "Expect: 100-continue" round trip before a small body. */
	h->headers = curl_slist_append(h->headers, "Expect:");
	if ((e = h->easy = curl_easy_init()) == NULL)
		abort();
	curl_easy_setopt(e, CURLOPT_URL, h->url);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->headers);
	curl_easy_setopt(e, CURLOPT_POSTFIELDS, h->body);
	curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(h->body));
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_answer);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, h);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "ecrd/" ECRD_VERSION);
	if (upstream_net_start(h->net, e, on_done, h) != 0) {
		curl_easy_cleanup(e);
		h->easy = NULL;
		retry(h, "libcurl refused the transfer");
	}
}

void
event_http_stop(struct event_http *h)
{
	if (h->easy != NULL)
		upstream_net_cancel(h->net, h->easy);
	request_free(h);
	evtimer_del(h->retry_ev);
	h->is_waiting = false;
	h->is_stopped = true;
}

void
event_http_free(struct event_http *h)
{
	size_t lost;

	if (h == NULL)
		return;
	event_http_stop(h);
	event_free(h->retry_ev);
	lost = h->n_batch + h->queue.len;
	if (lost > 0)
		log_warn("event sink %s: %zu event%s not delivered at exit",
		    h->url, lost, lost == 1 ? "" : "s");
	batch_clear(h);
	evq_release(&h->queue);
	buf_release(&h->answer);
	free(h->url);
	free(h->host);
	free(h->path);
	free(h);
}
