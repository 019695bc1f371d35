/*
 * Download URLs for blobs, like ECR's presigned S3 URLs: on this server,
 * valid for an hour, needing no Authorization header, and MAC'd with the
 * server key so they cannot be forged or extended (docs/ecr-behaviour.md 3.3).
 */
#include "core/core_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/parse.h"
#include "common/str.h"

#define URL_TTL_SEC 3600 /* X-Amz-Expires=3600, as ECR's (3.3) */

static void
url_mac(const struct core_ctx *ctx, const char *digest, int64_t expires,
    char *hex)
{
	crypto_auth_hmacsha256_state st;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char text[32];

	snprintf(text, sizeof text, "%" PRId64, expires);
	crypto_auth_hmacsha256_init(&st, ctx->key, sizeof ctx->key);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)"blob", 5);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)digest,
	    strlen(digest) + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)text,
	    strlen(text));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(hex, sizeof mac * 2 + 1, mac, sizeof mac);
}

const char *
core_blob_url(struct call *call, const char *digest)
{
	char hex[crypto_auth_hmacsha256_BYTES * 2 + 1];
	int64_t expires = call->now_ms / 1000 + URL_TTL_SEC;
	char host[300];

	/* The registry's host, as the URIs name it, when they name this one. */
	if (call->ctx->cfg.public_endpoint != NULL)
		core_registry_host(call, call->registry_id, host, sizeof host);
	else
		str_copy(host, sizeof host, call->ctx->self_endpoint);
	url_mac(call->ctx, digest, expires, hex);
	return call_printf(call,
	    "%s://%s/_ecrd/blobs/%s?expires=%" PRId64 "&signature=%s",
	    call->ctx->cfg.is_tls ? "https" : "http", host, digest, expires,
	    hex);
}

int
core_blob_url_check(const struct core_ctx *ctx, const char *digest,
    const char *query, int64_t now_ms)
{
	char want[crypto_auth_hmacsha256_BYTES * 2 + 1];
	char got[sizeof want], text[32];
	const char *errstr;
	uint64_t expires;

	if (str_query_value(query, "expires", text, sizeof text) != 0 ||
	    str_query_value(query, "signature", got, sizeof got) != 0)
		return CORE_URL_INVALID;
	if (parse_u64(text, 0, INT64_MAX, &expires, &errstr) != 0 ||
	    strlen(got) != sizeof want - 1)
		return CORE_URL_INVALID;
	url_mac(ctx, digest, (int64_t)expires, want);
	if (sodium_memcmp(want, got, sizeof want - 1) != 0)
		return CORE_URL_INVALID;
	if (now_ms / 1000 > (int64_t)expires)
		return CORE_URL_EXPIRED;
	return 0;
}
