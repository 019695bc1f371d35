/*
 * A GET from an upstream registry, authenticated as it asks (shared
 * docs/ecr-integrations.md 7.1): anonymous first; on a 401, Basic with
 * the rule's secret or a Bearer token for the scope; then once more. An
 * ecr upstream is asked with its login's password at once, and once more
 * with a fresh one if that one is refused.
 */
#include "core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/xalloc.h"

struct up_fetch {
	struct core_ctx *ctx;
	char *url;
	char *accept; /* "Accept: ..." line, or NULL */
	char *user;   /* NULL: anonymous */
	char *password;
	char *scope;
	char *ecr_host; /* the ecr upstream: its login */
	char *role_arn;
	bool is_relogin; /* the ecr login asked afresh */
	bool is_head;    /* HEAD, not GET */
	struct up_sink sink;
	bool has_sink;
	void (*done)(void *, struct up_xfer *, const char *);
	void *arg;
};

static void fetch_sent(struct up_xfer *);
static bool is_unreachable(struct up_fetch *, struct up_xfer *);
static void fetch_retried(struct up_xfer *);
static void fetch_token(struct up_xfer *);
static void ecr_logged_in(void *, const char *, const char *);

static const struct up_sink *
sink_of(const struct up_fetch *f)
{
	return f->has_sink ? &f->sink : NULL;
}

/* The URL itself, as GET or HEAD. */
static void
fetch_get(struct up_fetch *f, const char *const *hs, const char *user,
    const char *password, void (*done)(struct up_xfer *))
{
	up_request(f->ctx, f->url, hs, user, password, sink_of(f), f->is_head,
	    done, f);
}

static void
fetch_free(struct up_fetch *f)
{
	free(f->url);
	free(f->accept);
	str_wipe_free(f->user);
	str_wipe_free(f->password);
	free(f->scope);
	free(f->ecr_host);
	free(f->role_arn);
	free(f);
}

/* Hand x (or a failure) to the caller and end. */
static void
fetch_end(struct up_fetch *f, struct up_xfer *x, const char *failure)
{
	f->done(f->arg, x, failure);
	fetch_free(f);
}

static char *
dup_or_null(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

static void fetch_start(struct up_fetch *, struct core_ctx *, const char *,
    const char *, const struct up_cred *, const char *, const struct up_sink *,
    void (*)(void *, struct up_xfer *, const char *), void *);

void
up_fetch_start(struct core_ctx *ctx, const char *url, const char *accept,
    const struct up_cred *cred, const char *scope, const struct up_sink *sink,
    void (*done)(void *, struct up_xfer *, const char *), void *arg)
{
	struct up_fetch *f = xcalloc(1, sizeof *f);

	fetch_start(f, ctx, url, accept, cred, scope, sink, done, arg);
}

void
up_head_start(struct core_ctx *ctx, const char *url, const struct up_cred *cred,
    const char *scope, void (*done)(void *, struct up_xfer *, const char *),
    void *arg)
{
	struct up_fetch *f = xcalloc(1, sizeof *f);

	f->is_head = true;
	fetch_start(f, ctx, url, NULL, cred, scope, NULL, done, arg);
}

static void
fetch_start(struct up_fetch *f, struct core_ctx *ctx, const char *url,
    const char *accept, const struct up_cred *cred, const char *scope,
    const struct up_sink *sink,
    void (*done)(void *, struct up_xfer *, const char *), void *arg)
{
	const char *hs[2] = {NULL, NULL};

	f->ctx = ctx;
	f->url = xstrdup(url);
	f->accept = accept != NULL ? xasprintf("Accept: %s", accept) : NULL;
	f->user = dup_or_null(cred->user);
	f->password = dup_or_null(cred->password);
	f->scope = dup_or_null(scope);
	f->done = done;
	f->arg = arg;
	if ((f->has_sink = sink != NULL))
		f->sink = *sink;
	if (cred->ecr_host != NULL) {
		f->ecr_host = xstrdup(cred->ecr_host);
		f->role_arn = dup_or_null(cred->role_arn);
		up_ecr_login(ctx, f->ecr_host, f->role_arn, false,
		    ecr_logged_in, f);
		return;
	}
	hs[0] = f->accept;
	fetch_get(f, hs, NULL, NULL, fetch_sent);
}

/* An ecr upstream's answer: a refused password is asked for afresh. */
static void
ecr_sent(struct up_xfer *x)
{
	struct up_fetch *f = x->arg;

	if (is_unreachable(f, x))
		return;
	if (x->status != 401 || f->is_relogin) {
		fetch_end(f, x, NULL);
		return;
	}
	up_xfer_free(x);
	f->is_relogin = true;
	up_ecr_login(f->ctx, f->ecr_host, f->role_arn, true, ecr_logged_in, f);
}

static void
ecr_logged_in(void *arg, const char *password, const char *failure)
{
	struct up_fetch *f = arg;
	const char *hs[2] = {f->accept, NULL};

	if (password == NULL) {
		fetch_end(f, NULL, failure);
		return;
	}
	fetch_get(f, hs, "AWS", password, ecr_sent);
}

/* A transfer that got no answer ends the fetch; x is freed. */
static bool
is_unreachable(struct up_fetch *f, struct up_xfer *x)
{
	if (x->result == 0)
		return false;
	fetch_end(f, NULL, x->error);
	up_xfer_free(x);
	return true;
}

static void
fetch_sent(struct up_xfer *x)
{
	struct up_fetch *f = x->arg;
	struct up_challenge c;
	const char *hs[2] = {f->accept, NULL};
	char *url;

	if (is_unreachable(f, x))
		return;
	if (x->status != 401 || x->www_auth == NULL ||
	    up_challenge_parse(x->www_auth, &c) != 0) {
		fetch_end(f, x, NULL);
		return;
	}
	if (c.scheme == UP_AUTH_BASIC) {
		up_challenge_free(&c);
		if (f->user == NULL) {
			fetch_end(f, x, NULL);
			return;
		}
		up_xfer_free(x);
		fetch_get(f, hs, f->user, f->password, fetch_retried);
		return;
	}
	url = up_token_url(&c, f->scope);
	up_challenge_free(&c);
	up_xfer_free(x);
	up_get(f->ctx, url, NULL, f->user, f->password, NULL, fetch_token, f);
	free(url);
}

static void
fetch_token(struct up_xfer *x)
{
	struct up_fetch *f = x->arg;
	const char *hs[3] = {f->accept, NULL, NULL};
	char *token, *header;

	if (is_unreachable(f, x))
		return;
	if (x->status != 200 || (token = up_token_of(&x->body)) == NULL) {
		fetch_end(f, NULL,
		    x->status == 401 || x->status == 403
		        ? "the upstream's token service rejected the "
		          "credentials"
		        : "the upstream's token service gave no token");
		up_xfer_free(x);
		return;
	}
	up_xfer_free(x);
	header = xasprintf("Authorization: Bearer %s", token);
	str_wipe_free(token);
	/* An Accept line first, when there is one. */
	hs[f->accept != NULL ? 1 : 0] = header;
	fetch_get(f, hs, NULL, NULL, fetch_retried);
	str_wipe_free(header);
}

static void
fetch_retried(struct up_xfer *x)
{
	struct up_fetch *f = x->arg;

	if (is_unreachable(f, x))
		return;
	fetch_end(f, x, NULL);
}
