/*
 * GetAuthorizationToken: base64 "AWS:<password>" valid 12 hours, where the
 * password is a registry token the server itself can verify
 * (docs/ecr-behaviour.md 3.4).
 */
#include "api/api_int.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "auth/base64.h"
#include "auth/regtoken.h"
#include "common/str.h"
#include "common/xalloc.h"

#define TOKEN_TTL_MS (12LL * 3600 * 1000)
#define HOST_SIZE 300 /* the registry's host name, truncated */

static int get_authorization_token(struct call *);

const struct op api_op_get_authorization_token = {
    .name = "GetAuthorizationToken",
    .input = &model_GetAuthorizationTokenRequest,
    .flags = OP_TXN_NONE | OP_RESOURCE_ANY,
    .exec = get_authorization_token,
};

/*
 * The token names the registry the registry API serves with it: the
 * caller's own, except in permissive mode, where a registryIds entry
 * selects that account's registry as registryId does elsewhere (issue 11).
 */
static char *
basic_credentials(struct call *call, const char *registry_id,
    int64_t expires_at_ms)
{
	struct regtoken_claims claims;
	char *password, *plain, *b64;
	size_t len;

	memset(&claims, 0, sizeof claims);
	str_copy(claims.account, sizeof claims.account,
	    call->ctx->cfg.is_strict ? call->id.account : registry_id);
	str_copy(claims.region, sizeof claims.region, call->id.region);
	str_copy(claims.principal, sizeof claims.principal,
	    call->id.principal_arn);
	claims.issued_at = call->now_ms / 1000;
	claims.expires_at = expires_at_ms / 1000;
	password = regtoken_issue_signed(call->ctx->signer, &claims);
	len = strlen(password);
	plain = xmalloc(4 + len);
	memcpy(plain, "AWS:", 4);
	memcpy(plain + 4, password, len);
	len += 4;
	b64 = xmalloc(BASE64_ENCODED_SIZE(len));
	base64_encode((const unsigned char *)plain, len, b64);
	sodium_memzero(plain, len);
	free(plain);
	free(password);
	return call_take(call, b64);
}

static struct json_object *
authorization_data(struct call *call, const char *registry_id)
{
	struct json_object *o;
	int64_t expires_at_ms = call->now_ms + TOKEN_TTL_MS;
	/* URIs that name this server say how it speaks (docs/tls.md). */
	const char *scheme =
	    call->ctx->cfg.public_endpoint != NULL && !call->ctx->cfg.is_tls
	        ? "http://"
	        : "https://";
	size_t n = strlen(scheme);
	char endpoint[8 + HOST_SIZE];

	o = jnew_obj();
	jadd_str(o, "authorizationToken",
	    basic_credentials(call, registry_id, expires_at_ms));
	jadd_epoch(o, "expiresAt", expires_at_ms);
	memcpy(endpoint, scheme, n);
	core_registry_host(call, registry_id, endpoint + n, HOST_SIZE);
	jadd_str(o, "proxyEndpoint", endpoint);
	return o;
}

static int
get_authorization_token(struct call *call)
{
	struct json_object *ids = api_in_array(call, "registryIds");
	struct json_object *list = jnew_arr();
	size_t i, n;

	jadd_obj(call->out, "authorizationData", list);
	n = ids == NULL ? 0 : json_object_array_length(ids);
	if (n == 0)
		jpush(list, authorization_data(call, call->registry_id));
	/* Deprecated: one element per id; the token serves them all. */
	for (i = 0; i < n; i++)
		jpush(list,
		    authorization_data(call,
		        json_object_get_string(json_object_array_get_idx(ids,
		            i))));
	return 0;
}
