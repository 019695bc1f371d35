/*
 * The dispatcher: the shared work every operation needs, done once and in
 * one order (STYLE.md 3): identify, look up, parse, validate, then run the
 * handler inside the transaction its flags ask for and render the result.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "api/validate.h"
#include "auth/sigv4.h"
#include "common/log.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "store/store.h"

int
api_ctx_new(struct store *store, const struct core_config *cfg,
    struct core_ctx **out, char **cause)
{
	struct core_ctx *ctx;

	if (api_ops_check(cause) != 0 ||
	    core_ctx_new(store, cfg, &ctx, cause) != 0)
		return -1;
	if (validator_new(&ctx->validator, cause) != 0) {
		core_ctx_free(ctx);
		return -1;
	}
	ctx->is_repo_name = api_is_repo_name;
	ctx->secret_get = core_secret_get;
	*out = ctx;
	return 0;
}

void
api_ctx_free(struct core_ctx *ctx)
{
	if (ctx == NULL)
		return;
	validator_free(ctx->validator);
	core_ctx_free(ctx);
}

static int
lookup_op(struct call *call, const char *target)
{
	const char *name;

	if (target == NULL || !str_has_prefix(target, API_TARGET_PREFIX) ||
	    (call->op = api_op_find(target + strlen(API_TARGET_PREFIX))) ==
	        NULL) {
		/*
		 * Coral's answer, with no message (docs/ecr-behaviour.md
		 * 1.5).
		 */
		return core_fail(call, ERR_UNKNOWN_OPERATION, "%s", "");
	}
	name = call->op->name;
	/* api_ops_check matched the table to the model at startup. */
	if (model_op_find(name) == NULL)
		return core_fail(call, ERR_SERVER, "no model for %s", name);
	return 0;
}

/*
 * One tokener, strict, UTF-8 checked, default depth; the top level must be
 * an object and nothing may follow it (STYLE.md 6.4). An empty body is {}.
 */
/* Every body we cannot read as one JSON object gets Coral's one answer. */
static int
fail_serialization(struct call *call)
{
	return core_fail(call, ERR_SERIALIZATION, "%s",
	    "Start of structure or map found where not expected.");
}

static bool
has_nul_string(struct json_object *o)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_string:
		return strlen(json_object_get_string(o)) !=
		       (size_t)json_object_get_string_len(o);
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			if (has_nul_string(json_object_array_get_idx(o, i)))
				return true;
		}
		return false;
	case json_type_object:
		json_object_object_foreach(o, key, val)
		{
			if (strlen(key) == 0 || has_nul_string(val))
				return true;
		}
		return false;
	default:
		return false;
	}
}

/*
 * A U+0000 inside a string cannot pass through C strings: truncating it
 * could name another resource, so the member is refused.
 */
static int
refuse_nul(struct call *call)
{
	json_object_object_foreach(call->in, key, val)
	{
		if (has_nul_string(val))
			return core_fail(call, ERR_INVALID_PARAMETER,
			    "Invalid "
			    "parameter at '%s' failed to satisfy constraint: "
			    "'Member must not contain NUL characters'",
			    key);
	}
	return core_fail(call, ERR_INVALID_PARAMETER, "%s",
	    "Invalid "
	    "parameter at 'request' failed to satisfy constraint: 'Member "
	    "names must not contain NUL characters'");
}

static int
parse_body(struct call *call, const char *body, size_t len)
{
	struct json_object *in;
	int rc;

	if (len == 0) {
		call->in = jnew_obj();
		return 0;
	}
	if ((rc = jparse_strict(body, len, &in, NULL)) == JPARSE_BAD)
		return fail_serialization(call);
	if (!json_object_is_type(in, json_type_object)) {
		json_object_put(in);
		return fail_serialization(call);
	}
	call->in = in;
	if (rc == JPARSE_NUL)
		return refuse_nul(call);
	return 0;
}

/*
 * registryId, or the account a resourceArn names, selects the registry the
 * call acts on. Permissive mode has no authorization, so that is all it
 * does there, as in moto and LocalStack (issue 11); strict mode then
 * decides cross-account access by the policies (issue #5).
 */
static int
select_registry(struct call *call)
{
	const char *rid = api_in_str(call, "registryId");
	const char *arn = api_in_str(call, "resourceArn"), *name;

	memcpy(call->registry_id, call->id.account, sizeof call->registry_id);
	if (rid != NULL)
		str_copy(call->registry_id, sizeof call->registry_id, rid);
	else if ((call->op->flags & OP_RESOURCE_ARN) && arn != NULL)
		(void)core_arn_repo(arn, call->id.region, call->registry_id,
		    &name);
	return 0;
}

/* A streamed blob is checked by its decoded length (part_stream.c). */
static int
validate_call(struct call *call)
{
	struct json_object *streamed = NULL;
	struct api_part *part = api_call_part(call);
	const char *twice = api_part_duplicate(part);
	int64_t len = 0;

	/* [unconfirmed] ECR's answer; json-c alone would take the last. */
	if (twice != NULL)
		return core_fail(call, ERR_SERIALIZATION,
		    "Duplicate member "
		    "'%s'",
		    twice);
	if (api_part_has_blob(part) &&
	    json_object_object_get_ex(call->in, "layerPartBlob", &streamed))
		len = api_part_blob_len(part);
	/* Only its placeholder, "", stands for what streamed. */
	if (streamed != NULL &&
	    (!json_object_is_type(streamed, json_type_string) ||
	        json_object_get_string_len(streamed) != 0)) {
		api_call_set_part(call, NULL);
		streamed = NULL;
	}
	return validate_request_streamed(call->ctx->validator,
	    model_op_find(call->op->name), call->in, streamed, len, &call->err);
}

enum core_stage
api_call_prepare_part(struct call *call, const char *target,
    struct api_part *part, const struct sigv4_request *sr)
{
	struct sigv4_request s = *sr;
	char hex[65];
	const char *body;
	size_t len;

	api_call_set_part(call, part);
	api_part_payload_hash(part, hex);
	s.payload_hash = hex;
	body = api_part_json(part, &len);
	return api_call_prepare(call, target, body, len, &s);
}

enum core_stage
api_call_prepare(struct call *call, const char *target, const char *body,
    size_t len, const struct sigv4_request *sr)
{
	if (core_identify(call, sr) != 0 || lookup_op(call, target) != 0 ||
	    parse_body(call, body, len) != 0 || validate_call(call) != 0 ||
	    select_registry(call) != 0 || api_authz_call(call) != 0)
		return CORE_STAGE_DONE;
	if (call->op->exec == NULL) {
		core_fail(call, ERR_NOT_IMPLEMENTED,
		    "Operation '%s' is not "
		    "implemented by ecrd yet",
		    call->op->name);
		return CORE_STAGE_DONE;
	}
	call->out = jnew_obj();
	if (call->op->flags & OP_TXN_WRITE)
		return CORE_STAGE_WRITE;
	return CORE_STAGE_READ;
}

static char *
render_error(struct call *call, size_t *len)
{
	return ecr_error_body(ecr_error_type(call->err.code),
	    call->err.message[0] != '\0' ? call->err.message : NULL,
	    call->err.extra, len);
}

void
api_call_render(struct call *call, int *status, const char **error_type,
    char **body, size_t *len)
{
	*body = NULL;
	if (call->err.code == ERR_NONE)
		*body = jrender(call->out, len);
	else
		*body = render_error(call, len);
	/* Writers fail sticky: a 500, never a truncated answer. */
	if (*body == NULL) {
		core_fail_render(call);
		*body = render_error(call, len);
	}
	if (call->err.code == ERR_NONE) {
		*status = 200;
		*error_type = NULL;
		return;
	}
	*status = ecr_error_status(call->err.code);
	*error_type = ecr_error_type(call->err.code);
}
