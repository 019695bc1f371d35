/* SHA-256 over OpenSSL's libcrypto, with a storable state; see sha256.h. */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_CTX copies by value */
#include "auth/sha256.h"

#include <string.h>

#include <openssl/sha.h>

_Static_assert(sizeof(SHA256_CTX) <= SHA256_STATE_LEN,
    "SHA256_CTX must fit a state");

void
sha256_init(struct sha256_state *s)
{
	memset(s, 0, sizeof *s);
	SHA256_Init((SHA256_CTX *)(void *)s->opaque);
}

void
sha256_update(struct sha256_state *s, const void *data, size_t len)
{
	SHA256_Update((SHA256_CTX *)(void *)s->opaque, data, len);
}

void
sha256_final(struct sha256_state *s, unsigned char out[SHA256_DIGEST_LEN])
{
	SHA256_Final(out, (SHA256_CTX *)(void *)s->opaque);
}

void
sha256_digest_text(const void *data, size_t len, char out[72])
{
	static const char hex[] = "0123456789abcdef";
	struct sha256_state s;
	unsigned char h[SHA256_DIGEST_LEN];
	size_t i;

	sha256_init(&s);
	sha256_update(&s, data, len);
	sha256_final(&s, h);
	memcpy(out, "sha256:", 7);
	for (i = 0; i < SHA256_DIGEST_LEN; i++) {
		out[7 + 2 * i] = hex[h[i] >> 4];
		out[8 + 2 * i] = hex[h[i] & 0xf];
	}
	out[71] = '\0';
}
