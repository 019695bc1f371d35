/*
 * Authenticating to an upstream registry as it asks (shared
 * docs/ecr-integrations.md 7.1): read its WWW-Authenticate challenge, then
 * Basic with the rule's secret, or the Bearer token flow (realm, service,
 * scope); and the /v2/ ping that ValidatePullThroughCacheRule makes.
 */
#include "core/core_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "common/json.h"
#include "common/str.h"
#include "common/xalloc.h"

#define TOKEN_URL_MAX (64 * 1024)

void
up_challenge_free(struct up_challenge *c)
{
	free(c->realm);
	free(c->service);
	free(c->scope);
	memset(c, 0, sizeof *c);
}

/* A token or a quoted string at *p into a new string; NULL if neither. */
static char *
read_value(const char **p)
{
	const char *s = *p, *start;
	struct buf b;
	char *out;

	if (*s != '"') {
		start = s;
		while (*s != '\0' && *s != ',' && *s != ' ' && *s != '\t')
			s++;
		*p = s;
		return s == start ? NULL
		                  : xasprintf("%.*s", (int)(s - start), start);
	}
	buf_init(&b, 8192);
	for (s++; *s != '\0' && *s != '"'; s++) {
		if (*s == '\\' && s[1] != '\0')
			s++;
		(void)buf_add(&b, s, 1);
	}
	if (*s != '"' || buf_failed(&b)) {
		buf_release(&b);
		return NULL;
	}
	*p = s + 1;
	(void)buf_add(&b, "", 0);
	out = buf_take(&b, NULL);
	return out != NULL ? out : xstrdup("");
}

static void
set_param(struct up_challenge *c, const char *key, size_t klen, char *v)
{
	char **slot = NULL;

	if (klen == 5 && strncasecmp(key, "realm", 5) == 0)
		slot = &c->realm;
	else if (klen == 7 && strncasecmp(key, "service", 7) == 0)
		slot = &c->service;
	else if (klen == 5 && strncasecmp(key, "scope", 5) == 0)
		slot = &c->scope;
	if (slot == NULL) {
		free(v);
		return;
	}
	free(*slot);
	*slot = v;
}

/*
 * Parse one WWW-Authenticate value: a scheme and comma-separated
 * key=value pairs (values quoted or not). Several challenges may share
 * the header ("Basic realm=x, Bearer realm=y"); Bearer is kept when
 * offered, else the first. 0, or -1 when there is no Basic or Bearer.
 */
int
up_challenge_parse(const char *h, struct up_challenge *out)
{
	struct up_challenge c, best;
	const char *p = h, *key;
	size_t klen;
	char *v;

	memset(&best, 0, sizeof best);
	memset(&c, 0, sizeof c);
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		key = p;
		while (*p != '\0' && *p != '=' && *p != ' ' && *p != ',')
			p++;
		if ((klen = (size_t)(p - key)) == 0)
			break;
		if (*p != '=') {
			/* A scheme: a new challenge starts. */
			if (best.scheme == UP_AUTH_NONE ||
			    (best.scheme == UP_AUTH_BASIC &&
			        c.scheme == UP_AUTH_BEARER)) {
				up_challenge_free(&best);
				best = c;
			} else
				up_challenge_free(&c);
			memset(&c, 0, sizeof c);
			if (klen == 5 && strncasecmp(key, "Basic", 5) == 0)
				c.scheme = UP_AUTH_BASIC;
			else if (klen == 6 &&
			         strncasecmp(key, "Bearer", 6) == 0)
				c.scheme = UP_AUTH_BEARER;
			else
				c.scheme = UP_AUTH_OTHER;
			continue;
		}
		p++;
		if ((v = read_value(&p)) == NULL)
			break;
		set_param(&c, key, klen, v);
	}
	if (best.scheme == UP_AUTH_NONE || best.scheme == UP_AUTH_OTHER ||
	    (best.scheme == UP_AUTH_BASIC && c.scheme == UP_AUTH_BEARER)) {
		up_challenge_free(&best);
		best = c;
	} else
		up_challenge_free(&c);
	if (best.scheme != UP_AUTH_BASIC &&
	    (best.scheme != UP_AUTH_BEARER || best.realm == NULL)) {
		up_challenge_free(&best);
		return -1;
	}
	*out = best;
	return 0;
}

/* realm?service=S&scope=P, escaped; the caller frees it. */
char *
up_token_url(const struct up_challenge *c, const char *scope)
{
	struct buf b;
	char *e, *out;
	char sep = strchr(c->realm, '?') != NULL ? '&' : '?';

	buf_init(&b, TOKEN_URL_MAX);
	(void)buf_addstr(&b, c->realm);
	if (c->service != NULL) {
		e = curl_easy_escape(NULL, c->service, 0);
		(void)buf_addf(&b, "%cservice=%s", sep, e);
		curl_free(e);
		sep = '&';
	}
	if (scope != NULL) {
		e = curl_easy_escape(NULL, scope, 0);
		(void)buf_addf(&b, "%cscope=%s", sep, e);
		curl_free(e);
	}
	out = buf_take(&b, NULL);
	return out;
}

/* The token of a token service's JSON answer, or NULL; caller frees. */
char *
up_token_of(const struct buf *body)
{
	struct json_object *o = NULL, *v;
	char *token = NULL;

	if (body->data == NULL ||
	    jparse_strict(body->data, body->len, &o, NULL) == JPARSE_BAD ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	if ((json_object_object_get_ex(o, "token", &v) ||
	        json_object_object_get_ex(o, "access_token", &v)) &&
	    json_object_is_type(v, json_type_string) &&
	    json_object_get_string_len(v) > 0)
		token = xstrdup(json_object_get_string(v));
	json_object_put(o);
	return token;
}

/* The ping: GET /v2/, then as the upstream's challenge asks. */
struct up_ping {
	struct core_ctx *ctx;
	char *base;
	char *user; /* NULL: anonymous */
	char *password;
	bool is_ecr; /* logged in as an ecr upstream asks */
	void (*done)(void *, const char *failure);
	void *arg;
};

static void ping_sent(struct up_xfer *);
static void ping_authed(struct up_xfer *);
static void token_got(struct up_xfer *);

/* Answer the ping's caller and free it; fmt NULL: valid. */
static void __attribute__((format(printf, 2, 3)))
ping_end(struct up_ping *p, const char *fmt, ...)
{
	va_list ap;
	char failure[512];

	if (fmt != NULL) {
		va_start(ap, fmt);
		(void)vsnprintf(failure, sizeof failure, fmt, ap);
		va_end(ap);
	}
	p->done(p->arg, fmt != NULL ? failure : NULL);
	free(p->base);
	str_wipe_free(p->user);
	str_wipe_free(p->password);
	free(p);
}

/* A transfer that did not end in an answer: the words for it. */
static bool
ping_unreachable(struct up_ping *p, struct up_xfer *x)
{
	if (x->result == CURLE_OK)
		return false;
	ping_end(p, "Unable to connect to the upstream registry at %s: %s",
	    p->base, x->error);
	return true;
}

/* An ecr upstream's ping: GET /v2/ with a fresh login's password. */
static void
ping_ecr_logged_in(void *arg, const char *password, const char *failure)
{
	struct up_ping *p = arg;
	char *url;

	if (password == NULL) {
		ping_end(p, "%s", failure);
		return;
	}
	url = xasprintf("%s/v2/", p->base);
	up_get(p->ctx, url, NULL, "AWS", password, NULL, ping_authed, p);
	free(url);
}

void
up_ping_start(struct core_ctx *ctx, const char *host,
    const struct up_cred *cred, void (*done)(void *, const char *failure),
    void *arg)
{
	struct up_ping *p;
	char *url;

	p = xcalloc(1, sizeof *p);
	p->ctx = ctx;
	p->base = up_base_url(ctx, host);
	p->user = cred->user != NULL ? xstrdup(cred->user) : NULL;
	p->password = cred->password != NULL ? xstrdup(cred->password) : NULL;
	p->done = done;
	p->arg = arg;
	if (cred->ecr_host != NULL) {
		p->is_ecr = true;
		up_ecr_login(ctx, cred->ecr_host, cred->role_arn, true,
		    ping_ecr_logged_in, p);
		return;
	}
	url = xasprintf("%s/v2/", p->base);
	up_get(ctx, url, NULL, NULL, NULL, NULL, ping_sent, p);
	free(url);
}

static void
ping_challenged(struct up_ping *p, const char *www_auth)
{
	struct up_challenge c;
	char *url;

	if (www_auth == NULL || up_challenge_parse(www_auth, &c) != 0) {
		ping_end(p,
		    "The upstream registry at %s asks for an "
		    "authentication scheme ecrd does not support",
		    p->base);
		return;
	}
	if (c.scheme == UP_AUTH_BASIC) {
		up_challenge_free(&c);
		if (p->user == NULL) {
			ping_end(p,
			    "The upstream registry at %s requires "
			    "credentials and the rule has no credentialArn",
			    p->base);
			return;
		}
		url = xasprintf("%s/v2/", p->base);
		up_get(p->ctx, url, NULL, p->user, p->password, NULL,
		    ping_authed, p);
		free(url);
		return;
	}
	/* A ping asks for no scope (7.1: scope may be omitted). */
	url = up_token_url(&c, NULL);
	up_challenge_free(&c);
	up_get(p->ctx, url, NULL, p->user, p->password, NULL, token_got, p);
	free(url);
}

static void
ping_sent(struct up_xfer *x)
{
	struct up_ping *p = x->arg;

	if (ping_unreachable(p, x))
		;
	else if (x->status == 200)
		ping_end(p, NULL);
	else if (x->status == 401)
		ping_challenged(p, x->www_auth);
	else
		ping_end(p,
		    "The upstream registry at %s answered HTTP %ld to "
		    "GET /v2/",
		    p->base, x->status);
	up_xfer_free(x);
}

static void
token_got(struct up_xfer *x)
{
	struct up_ping *p = x->arg;
	char *token, *header, *url;
	const char *hs[2] = {NULL, NULL};

	if (ping_unreachable(p, x)) {
		up_xfer_free(x);
		return;
	}
	if (x->status == 401 || x->status == 403)
		ping_end(p,
		    "The upstream registry's token service rejected "
		    "the %s",
		    p->user != NULL ? "credentials of the rule's "
		                      "secret"
		                    : "anonymous request");
	else if (x->status != 200 || (token = up_token_of(&x->body)) == NULL)
		ping_end(p,
		    "The upstream registry's token service answered "
		    "HTTP %ld without a token",
		    x->status);
	else {
		hs[0] = header = xasprintf("Authorization: Bearer %s", token);
		str_wipe_free(token);
		url = xasprintf("%s/v2/", p->base);
		up_xfer_free(x);
		up_get(p->ctx, url, hs, NULL, NULL, NULL, ping_authed, p);
		str_wipe_free(header);
		free(url);
		return;
	}
	up_xfer_free(x);
}

static void
ping_authed(struct up_xfer *x)
{
	struct up_ping *p = x->arg;

	if (ping_unreachable(p, x))
		;
	else if (x->status == 200)
		ping_end(p, NULL);
	else if (x->status == 401 || x->status == 403)
		ping_end(p,
		    "The upstream registry at %s rejected the "
		    "credentials of the rule's %s",
		    p->base,
		    p->is_ecr ? "role (the password GetAuthorizationToken "
		                "gave)"
		              : "secret");
	else
		ping_end(p,
		    "The upstream registry at %s answered HTTP %ld to "
		    "GET /v2/",
		    p->base, x->status);
	up_xfer_free(x);
}
