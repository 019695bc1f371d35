/* SHA-256 over OpenSSL's libcrypto, with a storable state; see sha256.h. */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_CTX copies by value */
#include "auth/sha256.h"

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

_Static_assert(sizeof(SHA256_CTX) <= SHA256_STATE_LEN,
    "SHA256_CTX must fit a state");

#define BLOCK_LEN 64 /* SHA-256's */

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

static void
pad_key(struct sha256_state *s, const unsigned char k0[BLOCK_LEN],
    unsigned char pad)
{
	unsigned char block[BLOCK_LEN];
	size_t i;

	for (i = 0; i < BLOCK_LEN; i++)
		block[i] = k0[i] ^ pad;
	sha256_init(s);
	sha256_update(s, block, sizeof block);
	OPENSSL_cleanse(block, sizeof block);
}

void
hmac_sha256_init(struct hmac_sha256 *h, const void *key, size_t key_len)
{
	unsigned char k0[BLOCK_LEN];
	struct sha256_state s;

	memset(k0, 0, sizeof k0);
	if (key_len > BLOCK_LEN) {
		sha256_init(&s);
		sha256_update(&s, key, key_len);
		sha256_final(&s, k0);
	} else if (key_len > 0)
		memcpy(k0, key, key_len);
	pad_key(&h->inner, k0, 0x36);
	pad_key(&h->outer, k0, 0x5c);
	OPENSSL_cleanse(k0, sizeof k0);
}

void
hmac_sha256_update(struct hmac_sha256 *h, const void *data, size_t len)
{
	sha256_update(&h->inner, data, len);
}

void
hmac_sha256_final(struct hmac_sha256 *h, unsigned char out[SHA256_DIGEST_LEN])
{
	unsigned char inner[SHA256_DIGEST_LEN];

	sha256_final(&h->inner, inner);
	sha256_update(&h->outer, inner, sizeof inner);
	sha256_final(&h->outer, out);
	OPENSSL_cleanse(inner, sizeof inner);
}
