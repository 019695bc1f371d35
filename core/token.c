/*
 * Page tokens: opaque to clients, bound to the caller's partition and the
 * listing kind, and MAC'd with the server key so garbage or a token from
 * elsewhere is refused (docs/ecr-behaviour.md 2.2).
 */
#include "core/core_int.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/buf.h"
#include "common/xalloc.h"

#define TOKEN_LAST_MAX 1024
#define TOKEN_TEXT_MAX 4096

/* The MAC covers kind, registry and region, which the token does not carry. */
static void
token_mac(struct call *call, const char *kind, const char *last,
    unsigned char mac[crypto_auth_BYTES])
{
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, call->ctx->key, sizeof call->ctx->key);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)kind,
	    strlen(kind) + 1);
	crypto_auth_hmacsha256_update(&st,
	    (const unsigned char *)call->registry_id,
	    strlen(call->registry_id) + 1);
	crypto_auth_hmacsha256_update(&st,
	    (const unsigned char *)call->id.region,
	    strlen(call->id.region) + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)last,
	    strlen(last));
	crypto_auth_hmacsha256_final(&st, mac);
}

char *
core_token_make(struct call *call, const char *kind, const char *last)
{
	unsigned char raw[crypto_auth_BYTES + TOKEN_LAST_MAX];
	size_t len = strlen(last);
	char *text;
	size_t text_size;

	if (len > TOKEN_LAST_MAX)
		len = TOKEN_LAST_MAX;
	token_mac(call, kind, last, raw);
	memcpy(raw + crypto_auth_BYTES, last, len);
	text_size = sodium_base64_ENCODED_LEN(crypto_auth_BYTES + len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	text = xmalloc(text_size);
	sodium_bin2base64(text, text_size, raw, crypto_auth_BYTES + len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return call_take(call, text);
}

int
core_token_parse(struct call *call, const char *kind, const char *token,
    char *last, size_t last_size)
{
	unsigned char raw[crypto_auth_BYTES + TOKEN_LAST_MAX];
	unsigned char mac[crypto_auth_BYTES];
	size_t len;

	/*
	 * The wording ECR would use is [unconfirmed]
	 * (docs/ecr-behaviour.md 2.2).
	 */
	if (strlen(token) > TOKEN_TEXT_MAX ||
	    sodium_base642bin(raw, sizeof raw, token, strlen(token), NULL, &len,
	        NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len < crypto_auth_BYTES || len - crypto_auth_BYTES >= last_size)
		return core_fail_param(call, "nextToken", "Invalid NextToken");
	memcpy(last, raw + crypto_auth_BYTES, len - crypto_auth_BYTES);
	last[len - crypto_auth_BYTES] = '\0';
	if (strlen(last) != len - crypto_auth_BYTES)
		return core_fail_param(call, "nextToken", "Invalid NextToken");
	token_mac(call, kind, last, mac);
	if (sodium_memcmp(mac, raw, sizeof mac) != 0)
		return core_fail_param(call, "nextToken", "Invalid NextToken");
	return 0;
}
