/*
 * GetAuthorizationToken on ecrd: one POST, signed with auth/'s SigV4 as the
 * SDKs sign it, sent with libcurl; the answer's token decoded into the
 * registry user name and password.
 */
#include "credhelper/credhelper.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <sodium.h>

#include "auth/base64.h"
#include "auth/sigv4.h"
#include "common/buf.h"
#include "common/json.h"
#include "common/str.h"
#include "common/xalloc.h"

#define TARGET "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"
#define CONTENT_TYPE "application/x-amz-json-1.1"
#define BODY "{}"
#define TIMEOUT_SEC 30L
#define N_HEADERS 6

/* The request as signed and sent; strings owned unless noted. */
struct call {
	char *url;
	char *host; /* the Host header: host[:port] as the URL gives it */
	char *path;
	char amz_date[17];
	struct sigv4_header h[N_HEADERS];
	size_t n_h;
};

static void
call_release(struct call *c)
{
	free(c->url);
	free(c->host);
	free(c->path);
}

/* Host, port and path of the endpoint URL, as curl reads it. */
static int
split_url(const char *endpoint, struct call *c, char **cause)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL, *path = NULL, *url = NULL;
	int rc = -1;

	if (u == NULL)
		abort();
	if (curl_url_set(u, CURLUPART_URL, endpoint, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &url, 0) != CURLUE_OK) {
		*cause = xasprintf("endpoint '%s' is not a URL", endpoint);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
		c->host = xasprintf("%s:%s", host, port);
	else
		c->host = xstrdup(host);
	c->path = xstrdup(path);
	c->url = xstrdup(url);
	rc = 0;
out:
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(url);
	curl_url_cleanup(u);
	return rc;
}

static void
add_header(struct call *c, const char *name, const char *value)
{
	c->h[c->n_h].name = name;
	c->h[c->n_h++].value = value;
}

/* The Authorization header value for c, or NULL with *cause. */
static char *
sign(struct call *c, const struct ch_target *t, const struct ch_creds *cr,
    char **cause)
{
	struct sigv4_request req;
	char *auth = NULL;

	memset(&req, 0, sizeof req);
	req.method = "POST";
	req.path = c->path;
	req.query = "";
	req.headers = c->h;
	req.n_headers = c->n_h;
	req.body = (const unsigned char *)BODY;
	req.body_len = strlen(BODY);
	/* Every header of c is signed, as botocore signs them. */
	if (sigv4_sign(&req, cr->access_key, cr->secret_key, t->region, "ecr",
	        &auth) != 0) {
		*cause = xstrdup("cannot sign the request (a key, region or "
		                 "header too long)");
		return NULL;
	}
	return auth;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;

	if (buf_add(b, p, size * n) != 0)
		return 0; /* past the cap: curl fails the transfer */
	return size * n;
}

/* POST c with its headers; the status and body into *status and *body. */
static int
post(const struct call *c, const char *authz, long *status, struct buf *body,
    char **cause)
{
	struct curl_slist *hl = NULL;
	char errbuf[CURL_ERROR_SIZE] = "";
	CURLcode cc;
	CURL *h;
	size_t i;
	char *line;

	if ((h = curl_easy_init()) == NULL)
		abort();
	for (i = 0; i < c->n_h; i++) {
		line = xasprintf("%s: %s", c->h[i].name, c->h[i].value);
		hl = curl_slist_append(hl, line);
		str_wipe_free(line);
	}
	if (authz != NULL) {
		line = xasprintf("Authorization: %s", authz);
		hl = curl_slist_append(hl, line);
		free(line);
	}
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, BODY);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, TIMEOUT_SEC);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, body);
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	if (cc == CURLE_OK)
		return 0;
	*cause =
	    xasprintf("%s", *errbuf != '\0' ? errbuf : curl_easy_strerror(cc));
	return -1;
}

/* ECR's error answer as "Type: message", or the status alone. */
static char *
error_text(long status, struct json_object *o)
{
	const char *type = jget_str(o, "__type"), *msg = jget_str(o, "message");

	if (type == NULL)
		return xasprintf("HTTP status %ld", status);
	if (strchr(type, '#') != NULL)
		type = strchr(type, '#') + 1;
	return xasprintf("%s: %s", type, msg != NULL ? msg : "");
}

/* authorizationData[0]'s token ("AWS:password", base64) and expiry. */
static int
decode(struct json_object *o, struct ch_token *out, char **cause)
{
	struct json_object *arr, *d, *exp;
	const char *tok;
	unsigned char *raw;
	size_t len;
	char *colon;

	arr = jget(o, "authorizationData", json_type_array);
	d = arr != NULL ? json_object_array_get_idx(arr, 0) : NULL;
	exp = jget(d, "expiresAt", json_type_double);
	if (exp == NULL)
		exp = jget(d, "expiresAt", json_type_int);
	if ((tok = jget_str(d, "authorizationToken")) == NULL || exp == NULL) {
		*cause = xstrdup("the answer holds no authorizationData");
		return -1;
	}
	len = strlen(tok);
	raw = xmalloc(BASE64_DECODED_MAX(len) + 1);
	if (base64_decode(tok, len, raw, &len) != 0)
		goto bad;
	raw[len] = '\0';
	/* No NUL inside, and a user name before the first ':'. */
	if (strlen((char *)raw) != len ||
	    (colon = strchr((char *)raw, ':')) == NULL)
		goto bad;
	*colon = '\0';
	out->username = xstrdup((char *)raw);
	out->password = xstrdup(colon + 1);
	out->expires_at = (int64_t)json_object_get_double(exp);
	*colon = ':';
	str_wipe_free((char *)raw);
	return 0;
bad:
	sodium_memzero(raw, BASE64_DECODED_MAX(strlen(tok)) + 1);
	free(raw);
	*cause = xstrdup("authorizationToken is not base64 USER:PASSWORD");
	return -1;
}

static int
answer(long status, const struct buf *body, struct ch_token *out, char **cause)
{
	struct json_object *o = NULL;
	int rc = -1;

	if (body->len == 0 ||
	    jparse_strict(body->data, body->len, &o, NULL) != JPARSE_OK) {
		*cause =
		    xasprintf("HTTP status %ld and no JSON answer", status);
		goto out;
	}
	if (status != 200) {
		*cause = error_text(status, o);
		goto out;
	}
	rc = decode(o, out, cause);
out:
	json_object_put(o);
	return rc;
}

int
ch_fetch(const struct ch_target *t, const struct ch_creds *cr,
    struct ch_token *out, char **cause)
{
	struct call c;
	struct buf body;
	char *authz = NULL, *why = NULL;
	long status = 0;
	int rc = -1;

	memset(&c, 0, sizeof c);
	buf_init(&body, CH_FILE_MAX);
	if (split_url(t->endpoint, &c, &why) != 0)
		goto out;
	sigv4_format_date((int64_t)time(NULL), c.amz_date);
	add_header(&c, "Content-Type", CONTENT_TYPE);
	add_header(&c, "Host", c.host);
	add_header(&c, "X-Amz-Date", c.amz_date);
	if (cr->session_token != NULL)
		add_header(&c, "X-Amz-Security-Token", cr->session_token);
	add_header(&c, "X-Amz-Target", TARGET);
	if (cr->access_key != NULL && (authz = sign(&c, t, cr, &why)) == NULL)
		goto out;
	if (post(&c, authz, &status, &body, &why) != 0)
		goto out;
	rc = answer(status, &body, out, &why);
out:
	if (rc != 0) {
		*cause = xasprintf("GetAuthorizationToken at %s: %s",
		    t->endpoint, why);
		free(why);
	}
	free(authz);
	buf_release(&body);
	call_release(&c);
	return rc;
}

void
ch_token_release(struct ch_token *t)
{
	free(t->username);
	str_wipe_free(t->password);
	memset(t, 0, sizeof *t);
}
