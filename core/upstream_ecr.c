/*
 * The ecr upstream's login (docs/ecr-behaviour.md 3.9): as ECR's pull
 * through cache does, ecrd asks the upstream registry's ECR API for
 * GetAuthorizationToken, signed with SigV4, and pulls with Basic
 * AWS:<password>. The credentials are --upstream-credentials's.
 */
#include "core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "auth/base64.h"
#include "auth/creds.h"
#include "auth/sigv4.h"
#include "common/json.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xalloc.h"

#define TARGET "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken"
/* ECR's passwords last 12 hours; one is reused for an hour at most. */
#define KEEP_MS (3600LL * 1000)
#define LOGINS_MAX 64

/* A password got, for a host and role ("" none). */
struct up_ecr_login {
	char *host;
	char *role_arn;
	char *password;
	int64_t until_ms;
	struct up_ecr_login *next;
};

struct ecr_req {
	struct core_ctx *ctx;
	char *host;
	char *role_arn;
	char *api; /* the ECR API's base URL */
	void (*done)(void *, const char *, const char *);
	void *arg;
};

/*
 * ACCOUNT.dkr.ecr.REGION.amazonaws.com[.cn]: the account, the region and
 * the ECR API's base URL (--upstream-url's for host, else the real one's).
 */
static int
ecr_parts(const struct core_ctx *ctx, const char *host, char account[13],
    char region[33], char **api)
{
	const char *r, *end;

	if (strlen(host) < 12 + strlen(".dkr.ecr.") ||
	    !str_has_prefix(host + 12, ".dkr.ecr."))
		return -1;
	r = host + 12 + strlen(".dkr.ecr.");
	if ((end = strchr(r, '.')) == NULL || (size_t)(end - r) >= 33)
		return -1;
	memcpy(account, host, 12);
	account[12] = '\0';
	memcpy(region, r, (size_t)(end - r));
	region[end - r] = '\0';
	/* One --upstream-url serves both the registry and its API. */
	if ((*api = up_mapped_url(ctx, host)) == NULL)
		*api = xasprintf("https://api.ecr.%s%s", region,
		    end + strlen(".amazonaws.com"));
	return 0;
}

static struct up_ecr_login **
login_find(struct core_ctx *ctx, const char *host, const char *role)
{
	struct up_ecr_login **p;

	for (p = &ctx->ecr_logins; *p != NULL; p = &(*p)->next) {
		if (strcmp((*p)->host, host) == 0 &&
		    strcmp((*p)->role_arn, role) == 0)
			return p;
	}
	return p;
}

static void
login_free(struct up_ecr_login *l)
{
	free(l->host);
	free(l->role_arn);
	str_wipe_free(l->password);
	free(l);
}

void
core_ctx_set_upstream_creds(struct core_ctx *ctx, const struct creds *creds)
{
	ctx->cfg.upstream_creds = creds;
	up_ecr_forget(ctx);
}

void
up_ecr_forget(struct core_ctx *ctx)
{
	struct up_ecr_login *l;

	while ((l = ctx->ecr_logins) != NULL) {
		ctx->ecr_logins = l->next;
		login_free(l);
	}
}

static void
login_keep(struct core_ctx *ctx, const char *host, const char *role,
    const char *password)
{
	struct up_ecr_login **p = login_find(ctx, host, role), *l;
	size_t n = 0;

	if (*p != NULL) {
		l = *p;
		*p = l->next;
		login_free(l);
	}
	for (p = &ctx->ecr_logins; *p != NULL; p = &(*p)->next)
		n++;
	if (n >= LOGINS_MAX)
		up_ecr_forget(ctx);
	l = xcalloc(1, sizeof *l);
	l->host = xstrdup(host);
	l->role_arn = xstrdup(role);
	l->password = xstrdup(password);
	l->until_ms = core_real_ms() + KEEP_MS;
	l->next = ctx->ecr_logins;
	ctx->ecr_logins = l;
}

/*
 * The principal to sign as: customRoleArn's when the rule names one, else
 * the first of the host's account; NULL when there is none.
 */
static const struct cred *
cred_for(const struct core_ctx *ctx, const char *account, const char *role)
{
	const struct creds *cs = ctx->cfg.upstream_creds;
	size_t i;

	for (i = 0; cs != NULL && i < cs->n; i++) {
		if (role[0] != '\0' ? strcmp(cs->v[i].arn, role) == 0
		                    : strcmp(cs->v[i].account, account) == 0)
			return &cs->v[i];
	}
	return NULL;
}

/* {"registryIds": [account]}: the token for the upstream's registry. */
static char *
request_body(const char *account)
{
	struct json_object *o = jnew_obj(), *ids = jnew_arr();
	char *text;

	jpush(ids, json_object_new_string(account));
	jadd_obj(o, "registryIds", ids);
	text = xstrdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return text;
}

/* The Host header's value: the base URL's authority. */
static char *
authority_of(const char *base)
{
	const char *p = strstr(base, "://"), *end;

	p = p != NULL ? p + 3 : base;
	end = strchr(p, '/');
	return xasprintf("%.*s", (int)(end != NULL ? end - p : (long)strlen(p)),
	    p);
}

/*
 * The signed request's header lines, NULL-terminated (caller frees each
 * with str_wipe_free). Without a principal for the account the request is
 * signed with the account ID as its key and no secret: a permissive ecrd
 * takes such a key as that account (as LocalStack does); AWS refuses it.
 */
static int
signed_headers(const struct ecr_req *r, const char *account, const char *region,
    const char *body, char *lines[7])
{
	const struct cred *c = cred_for(r->ctx, account, r->role_arn);
	struct sigv4_header h[5];
	struct sigv4_request sr;
	char date[17], *auth = NULL, *host = authority_of(r->api);
	size_t n = 4, i;
	int rc;

	sigv4_format_date(core_real_ms() / 1000, date);
	h[0] = (struct sigv4_header){"Host", host};
	h[1] = (struct sigv4_header){"X-Amz-Date", date};
	h[2] = (struct sigv4_header){"X-Amz-Target", TARGET};
	h[3] =
	    (struct sigv4_header){"Content-Type", "application/x-amz-json-1.1"};
	if (c != NULL && c->session_token != NULL)
		h[n++] = (struct sigv4_header){
		    "X-Amz-Security-Token", c->session_token};
	memset(&sr, 0, sizeof sr);
	sr.method = "POST";
	sr.path = "/";
	sr.query = "";
	sr.headers = h;
	sr.n_headers = n;
	sr.body = (const unsigned char *)body;
	sr.body_len = strlen(body);
	rc = sigv4_sign(&sr, c != NULL ? c->access_key_id : account,
	    c != NULL ? c->secret_access_key : "", region, "ecr", &auth);
	if (rc == 0) {
		for (i = 0; i < n; i++)
			lines[i] = xasprintf("%s: %s", h[i].name, h[i].value);
		lines[n++] = xasprintf("Authorization: %s", auth);
		lines[n] = NULL;
	}
	free(host);
	free(auth);
	return rc;
}

static void
req_end(struct ecr_req *r, const char *password, const char *failure)
{
	r->done(r->arg, password, failure);
	free(r->host);
	free(r->role_arn);
	free(r->api);
	free(r);
}

/* The answer's JSON object, or NULL (put it). */
static struct json_object *
answer_of(const struct buf *body)
{
	struct json_object *o = NULL;

	if (body->data == NULL ||
	    jparse_strict(body->data, body->len, &o, NULL) == JPARSE_BAD ||
	    !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* The password in an answer's first authorizationToken, or NULL. */
static char *
password_of(const struct buf *body)
{
	struct json_object *o, *data;
	const char *b64;
	unsigned char *plain;
	char *pw = NULL;
	size_t len, size;

	if ((o = answer_of(body)) == NULL)
		return NULL;
	data = jget(o, "authorizationData", json_type_array);
	b64 = data == NULL || json_object_array_length(data) == 0
	          ? NULL
	          : jget_str(json_object_array_get_idx(data, 0),
	                "authorizationToken");
	if (b64 != NULL) {
		size = BASE64_DECODED_MAX(strlen(b64));
		plain = xmalloc(size);
		if (base64_decode(b64, strlen(b64), plain, &len) == 0 &&
		    len > 4 && memcmp(plain, "AWS:", 4) == 0)
			pw = xasprintf("%.*s", (int)(len - 4), plain + 4);
		sodium_memzero(plain, size);
		free(plain);
	}
	json_object_put(o);
	return pw;
}

static void
token_answered(struct up_xfer *x)
{
	struct ecr_req *r = x->arg;
	struct json_object *o = NULL;
	const char *type = NULL, *message = NULL;
	char failure[512], *pw;

	if (x->result != 0) {
		snprintf(failure, sizeof failure,
		    "Unable to connect to the upstream registry's ECR API "
		    "at %s: %s",
		    r->api, x->error);
		req_end(r, NULL, failure);
	} else if (x->status == 200 && (pw = password_of(&x->body)) != NULL) {
		login_keep(r->ctx, r->host, r->role_arn, pw);
		req_end(r, pw, NULL);
		str_wipe_free(pw);
	} else {
		/* AWS's error words, when it sent them. */
		if ((o = answer_of(&x->body)) != NULL) {
			type = jget_str(o, "__type");
			message = jget_str(o, "message");
		}
		snprintf(failure, sizeof failure,
		    "The upstream registry's ECR API answered "
		    "GetAuthorizationToken with HTTP %ld: %s: %s",
		    x->status, type != NULL ? type : "no error type",
		    message != NULL ? message : "no message");
		json_object_put(o);
		req_end(r, NULL, failure);
	}
	up_xfer_free(x);
}

void
up_ecr_login(struct core_ctx *ctx, const char *host, const char *role_arn,
    bool is_fresh, void (*done)(void *, const char *, const char *), void *arg)
{
	struct up_ecr_login **p;
	struct ecr_req *r;
	char account[13], region[33], *body, *lines[7] = {NULL}, *url;
	size_t i;

	if (role_arn == NULL)
		role_arn = "";
	p = login_find(ctx, host, role_arn);
	if (*p != NULL && !is_fresh && (*p)->until_ms > core_real_ms()) {
		done(arg, (*p)->password, NULL);
		return;
	}
	r = xcalloc(1, sizeof *r);
	r->ctx = ctx;
	r->host = xstrdup(host);
	r->role_arn = xstrdup(role_arn);
	r->done = done;
	r->arg = arg;
	if (ecr_parts(ctx, host, account, region, &r->api) != 0) {
		req_end(r, NULL,
		    "The upstream registry URL is not an ECR "
		    "registry's");
		return;
	}
	body = request_body(account);
	if (signed_headers(r, account, region, body, lines) != 0) {
		free(body);
		req_end(r, NULL,
		    "The credentials for the upstream registry "
		    "cannot sign a request");
		return;
	}
	url = xasprintf("%s/", r->api);
	up_post(ctx, url, (const char *const *)lines, body, token_answered, r);
	for (i = 0; lines[i] != NULL; i++)
		str_wipe_free(lines[i]);
	free(url);
	free(body);
}
