/*
 * Registry calls: authentication by the GetAuthorizationToken password,
 * preparation, blob-body streaming and the rendering of answers and errors
 * in the distribution spec's form (docs/registry-behaviour.md 2, 3).
 */
#include "registry/registry_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/image.h"
#include "core/manifest.h"
#include "auth/regtoken.h"
#include "common/str.h"
#include "common/xalloc.h"

void
reg_unlease(struct api_reg *r)
{
	if (r->leased == NULL)
		return;
	core_upload_unlease(r->leased, r->up.id, r);
	r->leased = NULL;
}

static void
reg_free(void *arg)
{
	struct api_reg *r = arg;

	if (r == NULL)
		return;
	(void)store_upload_writer_close(r->writer, false);
	reg_unlease(r);
	sodium_memzero(&r->hash, sizeof r->hash);
	free(r);
}

int
reg_fail(struct call *call, enum reg_errcode code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ecr_error_setv(&call->err, ERR_VALIDATION, fmt, ap);
	va_end(ap);
	reg_state(call)->err_reg = code;
	return -1;
}

void
reg_header(struct call *call, const char *name, const char *value)
{
	struct api_reg_answer *a = &reg_state(call)->ans;

	if (a->n_headers == sizeof a->headers / sizeof a->headers[0])
		return;
	a->headers[a->n_headers][0] = name;
	a->headers[a->n_headers][1] = call_take(call, xstrdup(value));
	a->n_headers++;
}

void
reg_body(struct call *call, const char *content_type, const char *body,
    size_t len)
{
	reg_state(call)->ans.content_type = content_type;
	reg_state(call)->ans.body = body;
	reg_state(call)->ans.body_len = len;
}

bool
reg_is_digest(const char *reference)
{
	return strchr(reference, ':') != NULL;
}

/* The repository the request names: 404 NAME_UNKNOWN if missing (2.2). */
int
reg_repo(struct call *call, struct store_repo *repo)
{
	const char *name = reg_state(call)->req->repo;
	int rc;

	rc = store_repo_get(call->txn, call->registry_id, call->id.region, name,
	    repo);
	if (rc == STORE_NOTFOUND || rc == STORE_TOOBIG)
		return reg_fail(call, REG_NAME_UNKNOWN,
		    "The repository "
		    "with name '%s' does not exist in the registry with id "
		    "'%s'",
		    name, call->registry_id);
	if (rc != 0)
		return core_fail_store(call, rc);
	return 0;
}

/*
 * A Host of the --public-endpoint template's shape names the registry and
 * region, as ECR's host names do (docs/hosts.md); the token still names
 * the principal, whose access to another account's registry strict mode
 * decides. ECR ties a token to its region too [unconfirmed]: ecrd lets
 * the host choose, so one login serves every region's host.
 */
static void
host_selects(const struct core_ctx *ctx, const char *host, char account[13],
    char region[CORE_SCOPE_REGION_SIZE])
{
	char h_account[13], h_region[CORE_HOST_REGION_SIZE];

	if (!core_host_match(ctx->cfg.public_endpoint, host, h_account,
	        h_region))
		return;
	if (h_account[0] != '\0')
		str_copy(account, 13, h_account);
	if (h_region[0] != '\0')
		str_copy(region, CORE_SCOPE_REGION_SIZE, h_region);
}

/*
 * Basic auth with user AWS and a token this server issued: a missing or
 * bad one is 401, an expired one 403 DENIED with ECR's words (2.1). The
 * token names the account (the registry) and region.
 */
static int
authenticate(struct call *call, const struct api_reg_request *req)
{
	struct regtoken_claims claims;
	int rc;

	if (req->password == NULL || req->user == NULL ||
	    strcmp(req->user, "AWS") != 0)
		return reg_fail(call, REG_UNAUTHORIZED,
		    "authentication "
		    "required");
	memset(&claims, 0, sizeof claims);
	rc = regtoken_verify(call->ctx->key, req->password, call->now_ms / 1000,
	    &claims);
	if (rc == REGTOKEN_EXPIRED)
		return reg_fail(call, REG_DENIED,
		    "Your authorization "
		    "token has expired. Reauthenticate and try again.");
	if (rc != 0)
		return reg_fail(call, REG_UNAUTHORIZED,
		    "authentication "
		    "required");
	str_copy(call->id.account, sizeof call->id.account, claims.account);
	str_copy(call->id.region, sizeof call->id.region, claims.region);
	str_copy(call->id.principal_arn, sizeof call->id.principal_arn,
	    claims.principal);
	str_copy(call->registry_id, sizeof call->registry_id, claims.account);
	host_selects(call->ctx, req->host, call->registry_id, call->id.region);
	return 0;
}

/*
 * The ECR action each registry call needs in strict mode (registry-
 * behaviour 2.1; the last three are [unconfirmed] there). NULL: none
 * beyond a valid token.
 */
const char *
api_reg_action(const struct api_reg_request *req)
{
	switch (req->op) {
	case API_REG_CATALOG:
		return "ecr:DescribeRepositories";
	case API_REG_TAGS:
		return "ecr:ListImages";
	case API_REG_MANIFEST_GET:
	case API_REG_REFERRERS:
		return "ecr:BatchGetImage";
	case API_REG_MANIFEST_PUT:
		return "ecr:PutImage";
	case API_REG_MANIFEST_DELETE:
	case API_REG_BLOB_DELETE:
		return "ecr:BatchDeleteImage";
	case API_REG_BLOB_GET:
		return req->is_head ? "ecr:BatchCheckLayerAvailability"
		                    : "ecr:GetDownloadUrlForLayer";
	case API_REG_UPLOAD_START:
		return "ecr:InitiateLayerUpload";
	case API_REG_UPLOAD_STATUS:
	case API_REG_UPLOAD_PATCH:
	case API_REG_UPLOAD_CANCEL:
		return "ecr:UploadLayerPart";
	case API_REG_UPLOAD_FINISH:
		return "ecr:CompleteLayerUpload";
	default:
		return NULL;
	}
}

enum core_stage
api_reg_prepare(struct call *call, const struct api_reg_request *req)
{
	struct api_reg *r;
	const char *action;

	r = xcalloc(1, sizeof *r);
	r->req = req;
	r->ans.content_length = -1;
	call_set_proto(call, r, reg_free);
	call->op = api_reg_ops[req->op];
	if (authenticate(call, req) != 0)
		return CORE_STAGE_DONE;
	if ((action = api_reg_action(req)) != NULL &&
	    core_call_authorize(call, action, req->repo) != 0)
		return CORE_STAGE_DONE;
	call->out = jnew_obj();
	if (call->op->flags & OP_TXN_WRITE)
		return CORE_STAGE_WRITE;
	return CORE_STAGE_READ;
}

char *
api_reg_mint_token(struct core_ctx *ctx, const char *account,
    const char *region, const char *principal, int64_t now_ms,
    int64_t expires_at_ms)
{
	struct regtoken_claims claims;

	memset(&claims, 0, sizeof claims);
	str_copy(claims.account, sizeof claims.account, account);
	str_copy(claims.region, sizeof claims.region, region);
	str_copy(claims.principal, sizeof claims.principal, principal);
	claims.issued_at = now_ms / 1000;
	claims.expires_at = expires_at_ms / 1000;
	return regtoken_issue(ctx->key, &claims);
}

/* ECR errors from the shared image code, in the registry's terms (2.4). */
static const struct {
	enum ecr_errcode code;
	enum reg_errcode reg;
} err_map[] = {
    {ERR_REPOSITORY_NOT_FOUND, REG_NAME_UNKNOWN},
    {ERR_IMAGE_NOT_FOUND, REG_MANIFEST_UNKNOWN},
    {ERR_LAYERS_NOT_FOUND, REG_MANIFEST_BLOB_UNKNOWN},
    {ERR_REFERENCED_IMAGES_NOT_FOUND, REG_MANIFEST_BLOB_UNKNOWN},
    {ERR_INVALID_PARAMETER, REG_MANIFEST_INVALID},
    {ERR_IMAGE_TAG_ALREADY_EXISTS, REG_TAG_INVALID},
    {ERR_IMAGE_DIGEST_DOES_NOT_MATCH, REG_DIGEST_INVALID},
    {ERR_LIMIT_EXCEEDED, REG_DENIED},
    {ERR_ACCESS_DENIED, REG_DENIED},
    {ERR_UPLOAD_NOT_FOUND, REG_BLOB_UPLOAD_UNKNOWN},
    {ERR_LAYER_PART_TOO_SMALL, REG_BLOB_UPLOAD_INVALID},
    {ERR_SERVER, REG_UNKNOWN},
};

/* The registry code of the call's error; the rest are refused (400). */
static enum reg_errcode
reg_code_of(const struct call *call)
{
	size_t i;

	if (reg_state(call)->err_reg != REG_NONE)
		return reg_state(call)->err_reg;
	for (i = 0; i < sizeof err_map / sizeof err_map[0]; i++) {
		if (err_map[i].code == call->err.code)
			return err_map[i].reg;
	}
	return REG_UNSUPPORTED;
}

static void
render_error(struct call *call, struct api_reg_answer *a)
{
	enum reg_errcode code = reg_code_of(call);
	size_t len;

	a->status = reg_error_status(code);
	if (a->status == 401)
		reg_header(call, "WWW-Authenticate",
		    call_printf(call,
		        "Basic realm=\"https://%s.dkr.ecr.%s.amazonaws.com/\","
		        "service=\"ecr.amazonaws.com\"",
		        call->id.account[0] != '\0'
		            ? call->id.account
		            : call->ctx->cfg.default_account,
		        call->id.region[0] != '\0'
		            ? call->id.region
		            : call->ctx->cfg.default_region));
	a->body =
	    call_take(call, reg_error_body(code, call->err.message, &len));
	a->body_len = len;
	a->content_type = "application/json; charset=utf-8";
	a->blob_digest = NULL;
	a->content_length = -1;
}

const char *
api_reg_error_name(const struct call *call)
{
	if (call->err.code == ERR_NONE)
		return NULL;
	return reg_error_code(reg_code_of(call));
}

const char *
api_reg_own_error(const struct call *call)
{
	if (call->err.code == ERR_NONE || reg_state(call)->err_reg == REG_NONE)
		return NULL;
	return reg_error_code(reg_state(call)->err_reg);
}

void
api_reg_render(struct call *call, struct api_reg_answer *a)
{
	if (call->err.code != ERR_NONE)
		render_error(call, &reg_state(call)->ans);
	*a = reg_state(call)->ans;
}

int
api_reg_scope(const struct core_ctx *ctx, const struct api_reg_request *req,
    char account[13], char region[CORE_SCOPE_REGION_SIZE])
{
	struct regtoken_claims claims;
	int rc;

	if (req->password == NULL)
		return -1;
	memset(&claims, 0, sizeof claims);
	/* The time does not matter: an expired token still names its owner. */
	rc = regtoken_verify(core_ctx_key(ctx), req->password, INT64_MAX,
	    &claims);
	if (rc != 0 && rc != REGTOKEN_EXPIRED)
		return -1;
	str_copy(account, 13, claims.account);
	str_copy(region, CORE_SCOPE_REGION_SIZE, claims.region);
	host_selects(ctx, req->host, account, region);
	return 0;
}

const char *
api_reg_op_name(enum api_reg_op op)
{
	return api_reg_ops[op]->name;
}

int
api_reg_op_find(const char *name)
{
	int op;

	for (op = 0; op < API_REG__COUNT; op++) {
		if (strcmp(api_reg_ops[op]->name, name) == 0)
			return op;
	}
	return -1;
}
