/*
 * The upstream client of pull-through cache rules (issue 13): one HTTP
 * exchange with an upstream registry as a libcurl easy handle, which the
 * server runs in its event loop (core_ctx_set_net), so nothing here ever
 * waits; and where an upstream host's requests go (--upstream-url).
 */
#include "core/core_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "common/log.h"
#include "common/str.h"
#include "common/xalloc.h"

/* Tokens, pings, errors and manifests (ECR takes up to 4 MiB). */
#define BODY_MAX (4 * 1024 * 1024 + 4096)
#define CONNECT_TIMEOUT_SEC 10L
#define TIMEOUT_SEC 30L
#define REDIRECTS_MAX 5L
#define SINK_BUFFER (512L * 1024) /* libcurl's most */

void
core_ctx_set_net(struct core_ctx *ctx, const struct core_net *net)
{
	ctx->net = *net;
}

/* --upstream-url's base URL for host, or NULL. The caller frees it. */
char *
up_mapped_url(const struct core_ctx *ctx, const char *host)
{
	const char *m, *eq;
	size_t i, len;

	for (i = 0; i < ctx->cfg.n_upstream_urls; i++) {
		m = ctx->cfg.upstream_urls[i];
		if ((eq = strchr(m, '=')) == NULL ||
		    (size_t)(eq - m) != strlen(host) ||
		    strncmp(m, host, (size_t)(eq - m)) != 0)
			continue;
		len = strlen(eq + 1);
		while (len > 0 && eq[1 + len - 1] == '/')
			len--;
		return xasprintf("%.*s", (int)len, eq + 1);
	}
	return NULL;
}

/* The real registry at https://host unless --upstream-url says. */
char *
up_base_url(const struct core_ctx *ctx, const char *host)
{
	char *url = up_mapped_url(ctx, host);

	return url != NULL ? url : xasprintf("https://%s", host);
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct up_xfer *x = arg;
	long status = 0;

	/* A 200's body goes to the sink, when there is one; 0 aborts. */
	if (x->sink != NULL &&
	    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status) ==
	        CURLE_OK &&
	    status == 200) {
		switch (x->sink(x->sink_arg, x->easy, data, size * n)) {
		case 0:
			return size * n;
		case UP_SINK_PAUSE:
			return CURL_WRITEFUNC_PAUSE;
		default:
			return 0;
		}
	}
	/* Past the cap the buffer fails and stays empty: a bad answer. */
	(void)buf_add(&x->body, data, size * n);
	return size * n;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct up_xfer *x = arg;
	size_t len = size * n, name = strlen("WWW-Authenticate:");

	/* A new status line (a redirect followed): forget the last answer's. */
	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {
		free(x->www_auth);
		x->www_auth = NULL;
	}
	if (len > name && strncasecmp(data, "WWW-Authenticate:", name) == 0 &&
	    x->www_auth == NULL) {
		data += name;
		len -= name;
		while (len > 0 &&
		       (data[len - 1] == '\r' || data[len - 1] == '\n' ||
		           data[len - 1] == ' '))
			len--;
		while (len > 0 && (*data == ' ' || *data == '\t')) {
			data++;
			len--;
		}
		x->www_auth = xasprintf("%.*s", (int)len, data);
	}
	return size * n;
}

static void
xfer_unlink(struct up_xfer *x)
{
	struct up_xfer **p;

	for (p = &x->ctx->xfers; *p != NULL; p = &(*p)->next) {
		if (*p == x) {
			*p = x->next;
			return;
		}
	}
}

void
up_xfer_free(struct up_xfer *x)
{
	if (x == NULL)
		return;
	curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	buf_release(&x->body);
	free(x->www_auth);
	free(x);
}

/* A transfer of url, set up but not started. */
static struct up_xfer *
xfer_new(struct core_ctx *ctx, const char *url, const char *const *headers,
    const struct up_sink *sink, void (*done)(struct up_xfer *), void *arg)
{
	struct up_xfer *x;
	CURL *e;
	size_t i;

	x = xcalloc(1, sizeof *x);
	x->ctx = ctx;
	x->content_length = -1;
	x->done = done;
	x->arg = arg;
	if (sink != NULL) {
		x->sink = sink->fn;
		x->sink_arg = sink->arg;
	}
	buf_init(&x->body, BODY_MAX);
	if ((e = x->easy = curl_easy_init()) == NULL)
		abort();
	for (i = 0; headers != NULL && headers[i] != NULL; i++)
		x->headers = curl_slist_append(x->headers, headers[i]);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->headers);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->error);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	/*
	 * Blobs redirect to CDNs; libcurl sends neither these credentials
	 * nor a custom Authorization header to another host.
	 */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, REDIRECTS_MAX);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_SEC);
	/*
	 * A blob may take long; a stalled one ends (under 1 KiB/s for 30 s).
	 * It comes in larger pieces: fewer callbacks, hash and write calls.
	 */
	if (sink == NULL)
		curl_easy_setopt(e, CURLOPT_TIMEOUT, TIMEOUT_SEC);
	else
		curl_easy_setopt(e, CURLOPT_BUFFERSIZE, SINK_BUFFER);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, TIMEOUT_SEC);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "ecrd/" ECRD_VERSION);
	return x;
}

/* Hand x to the loop; without one (a tool, a test) it fails at once. */
static void
xfer_start(struct up_xfer *x)
{
	struct core_ctx *ctx = x->ctx;

	x->next = ctx->xfers;
	ctx->xfers = x;
	if (ctx->net.add != NULL && ctx->net.add(ctx->net.arg, x->easy) == 0)
		return;
	xfer_unlink(x);
	x->result = CURLE_FAILED_INIT;
	str_copy(x->error, sizeof x->error, "no event loop");
	x->done(x);
}

void
up_get(struct core_ctx *ctx, const char *url, const char *const *headers,
    const char *user, const char *password, const struct up_sink *sink,
    void (*done)(struct up_xfer *), void *arg)
{
	up_request(ctx, url, headers, user, password, sink, false, done, arg);
}

void
up_request(struct core_ctx *ctx, const char *url, const char *const *headers,
    const char *user, const char *password, const struct up_sink *sink,
    bool is_head, void (*done)(struct up_xfer *), void *arg)
{
	struct up_xfer *x = xfer_new(ctx, url, headers, sink, done, arg);

	if (is_head)
		curl_easy_setopt(x->easy, CURLOPT_NOBODY, 1L);
	if (user != NULL) {
		curl_easy_setopt(x->easy, CURLOPT_HTTPAUTH,
		    (long)CURLAUTH_BASIC);
		curl_easy_setopt(x->easy, CURLOPT_USERNAME, user);
		curl_easy_setopt(x->easy, CURLOPT_PASSWORD, password);
	}
	xfer_start(x);
}

void
up_post(struct core_ctx *ctx, const char *url, const char *const *headers,
    const char *body, void (*done)(struct up_xfer *), void *arg)
{
	struct up_xfer *x = xfer_new(ctx, url, headers, NULL, done, arg);

	curl_easy_setopt(x->easy, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	curl_easy_setopt(x->easy, CURLOPT_COPYPOSTFIELDS, body);
	/* A signed request is sent as signed: no redirect. */
	curl_easy_setopt(x->easy, CURLOPT_FOLLOWLOCATION, 0L);
	xfer_start(x);
}

void
core_upstream_done(void *easy, int result)
{
	struct up_xfer *x = NULL;
	curl_off_t cl = -1;

	if (curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&x) !=
	        CURLE_OK ||
	    x == NULL)
		return;
	xfer_unlink(x);
	x->result = result;
	if (result == CURLE_OK) {
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &x->status);
		curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE,
		    &x->content_type);
		if (curl_easy_getinfo(easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
		        &cl) == CURLE_OK)
			x->content_length = (int64_t)cl;
	} else if (x->error[0] == '\0')
		str_copy(x->error, sizeof x->error,
		    curl_easy_strerror((CURLcode)result));
	x->done(x);
}

void
core_upstream_abort(struct core_ctx *ctx)
{
	struct up_xfer *x;

	while ((x = ctx->xfers) != NULL) {
		ctx->xfers = x->next;
		if (ctx->net.remove != NULL)
			ctx->net.remove(ctx->net.arg, x->easy);
		x->result = CURLE_ABORTED_BY_CALLBACK;
		str_copy(x->error, sizeof x->error, "the server is stopping");
		x->done(x);
	}
}
