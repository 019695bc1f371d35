/*
 * Registry token passwords: version, body length, length-prefixed claims
 * and a crypto_auth MAC, in standard base64. The MAC is checked before any
 * claim is read.
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA512_CTX copies by value */
#include "auth/regtoken.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "auth/base64.h"
#include "common/xalloc.h"

_Static_assert(REGTOKEN_KEY_SIZE == crypto_auth_KEYBYTES,
    "REGTOKEN_KEY_SIZE must match crypto_auth");

#define VERSION 1
/*
 * version(1) | body length (2, big-endian) | its complement (2) | body |
 * MAC. The length is stored twice so truncation (both copies agree, the
 * size does not) can be told from tampering (the copies disagree).
 */
#define HEAD_SIZE 5
#define MAC_SIZE crypto_auth_BYTES
#define BODY_MAX                                                               \
	(1 + sizeof(((struct regtoken_claims *)0)->account) + 1 +              \
	    sizeof(((struct regtoken_claims *)0)->region) + 2 +                \
	    sizeof(((struct regtoken_claims *)0)->principal) + 8 + 8)
#define BIN_MAX (REGTOKEN_PASSWORD_MAX / 4 * 3)

struct reader {
	const unsigned char *p;
	size_t left;
};

static size_t
put_str(unsigned char *p, const char *s, size_t size, int width)
{
	size_t len = strnlen(s, size - 1);

	if (width == 2)
		*p++ = (unsigned char)(len >> 8);
	*p++ = (unsigned char)len;
	memcpy(p, s, len);
	return (size_t)width + len;
}

static size_t
put_i64(unsigned char *p, int64_t v)
{
	uint64_t u = (uint64_t)v;
	int i;

	for (i = 7; i >= 0; i--) {
		p[i] = (unsigned char)u;
		u >>= 8;
	}
	return 8;
}

/*
 * The MAC is crypto_auth's, HMAC-SHA-512 cut to 256 bits, which
 * regtoken_verify checks with libsodium. It is issued on every
 * GetAuthorizationToken, so it is made with OpenSSL's SHA-512, which is
 * faster than libsodium's portable one, from a state keyed once.
 */
#define SHA512_BLOCK 128
_Static_assert(REGTOKEN_KEY_SIZE <= SHA512_BLOCK, "a key must fit a block");

struct regtoken_signer {
	SHA512_CTX inner; /* after the key ^ ipad block */
	SHA512_CTX outer; /* after the key ^ opad block */
};

static void
signer_key(struct regtoken_signer *s, const unsigned char *key)
{
	unsigned char block[SHA512_BLOCK];
	size_t i;

	for (i = 0; i < sizeof block; i++)
		block[i] = (i < REGTOKEN_KEY_SIZE ? key[i] : 0) ^ 0x36;
	SHA512_Init(&s->inner);
	SHA512_Update(&s->inner, block, sizeof block);
	for (i = 0; i < sizeof block; i++)
		block[i] = (i < REGTOKEN_KEY_SIZE ? key[i] : 0) ^ 0x5c;
	SHA512_Init(&s->outer);
	SHA512_Update(&s->outer, block, sizeof block);
	OPENSSL_cleanse(block, sizeof block);
}

static void
signer_mac(const struct regtoken_signer *keyed, const unsigned char *msg,
    size_t len, unsigned char out[MAC_SIZE])
{
	struct regtoken_signer s = *keyed;
	unsigned char h[SHA512_DIGEST_LENGTH];

	SHA512_Update(&s.inner, msg, len);
	SHA512_Final(h, &s.inner);
	SHA512_Update(&s.outer, h, sizeof h);
	SHA512_Final(h, &s.outer);
	memcpy(out, h, MAC_SIZE);
	OPENSSL_cleanse(h, sizeof h);
	OPENSSL_cleanse(&s, sizeof s);
}

struct regtoken_signer *
regtoken_signer_new(const unsigned char key[REGTOKEN_KEY_SIZE])
{
	struct regtoken_signer *s = xmalloc(sizeof *s);

	signer_key(s, key);
	return s;
}

void
regtoken_signer_free(struct regtoken_signer *s)
{
	if (s == NULL)
		return;
	sodium_memzero(s, sizeof *s);
	free(s);
}

static char *
issue(const struct regtoken_signer *keyed, const struct regtoken_claims *c)
{
	unsigned char bin[HEAD_SIZE + BODY_MAX + MAC_SIZE];
	size_t n = HEAD_SIZE, body_len;
	char *out;

	bin[0] = VERSION;
	n += put_str(bin + n, c->account, sizeof c->account, 1);
	n += put_str(bin + n, c->region, sizeof c->region, 1);
	n += put_str(bin + n, c->principal, sizeof c->principal, 2);
	n += put_i64(bin + n, c->issued_at);
	n += put_i64(bin + n, c->expires_at);
	body_len = n - HEAD_SIZE;
	bin[1] = (unsigned char)(body_len >> 8);
	bin[2] = (unsigned char)body_len;
	bin[3] = (unsigned char)~bin[1];
	bin[4] = (unsigned char)~bin[2];
	signer_mac(keyed, bin, n, bin + n);
	n += MAC_SIZE;
	out = xmalloc(BASE64_ENCODED_SIZE(n));
	base64_encode(bin, n, out);
	return out;
}

char *
regtoken_issue(const unsigned char key[REGTOKEN_KEY_SIZE],
    const struct regtoken_claims *c)
{
	struct regtoken_signer s;
	char *out;

	signer_key(&s, key);
	out = issue(&s, c);
	OPENSSL_cleanse(&s, sizeof s);
	return out;
}

char *
regtoken_issue_signed(const struct regtoken_signer *s,
    const struct regtoken_claims *c)
{
	return issue(s, c);
}

static bool
get_str(struct reader *r, int width, char *dst, size_t size)
{
	size_t len;

	if (r->left < (size_t)width)
		return false;
	len = r->p[0];
	if (width == 2)
		len = len << 8 | r->p[1];
	r->p += width;
	r->left -= (size_t)width;
	if (len >= size || len > r->left || memchr(r->p, '\0', len) != NULL)
		return false;
	memcpy(dst, r->p, len);
	dst[len] = '\0';
	r->p += len;
	r->left -= len;
	return true;
}

static bool
get_i64(struct reader *r, int64_t *v)
{
	uint64_t u = 0;
	int i;

	if (r->left < 8)
		return false;
	for (i = 0; i < 8; i++)
		u = u << 8 | r->p[i];
	r->p += 8;
	r->left -= 8;
	*v = (int64_t)u;
	return true;
}

int
regtoken_verify(const unsigned char key[REGTOKEN_KEY_SIZE],
    const char *password, int64_t now, struct regtoken_claims *out)
{
	unsigned char bin[BIN_MAX];
	struct regtoken_claims c;
	struct reader r;
	const char *end;
	size_t len, bin_len, body_len;
	bool lengths_agree;

	len = strnlen(password, REGTOKEN_PASSWORD_MAX + 1);
	if (len == 0 || len > REGTOKEN_PASSWORD_MAX)
		return REGTOKEN_MALFORMED;
	if (sodium_base642bin(bin, sizeof bin, password, len, NULL, &bin_len,
	        &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != password + len || bin_len < HEAD_SIZE + MAC_SIZE)
		return REGTOKEN_MALFORMED;
	body_len = (size_t)bin[1] << 8 | bin[2];
	lengths_agree = (bin[1] ^ bin[3]) == 0xff && (bin[2] ^ bin[4]) == 0xff;
	if (lengths_agree && bin_len != HEAD_SIZE + body_len + MAC_SIZE)
		return REGTOKEN_MALFORMED;
	if (crypto_auth_verify(bin + bin_len - MAC_SIZE, bin,
	        bin_len - MAC_SIZE, key) != 0)
		return REGTOKEN_BAD_MAC;

	/* Genuine from here on; a bad layout means another format version. */
	if (bin[0] != VERSION || !lengths_agree)
		return REGTOKEN_MALFORMED;
	r.p = bin + HEAD_SIZE;
	r.left = body_len;
	if (!get_str(&r, 1, c.account, sizeof c.account) ||
	    !get_str(&r, 1, c.region, sizeof c.region) ||
	    !get_str(&r, 2, c.principal, sizeof c.principal) ||
	    !get_i64(&r, &c.issued_at) || !get_i64(&r, &c.expires_at) ||
	    r.left != 0)
		return REGTOKEN_MALFORMED;
	*out = c;
	return now >= c.expires_at ? REGTOKEN_EXPIRED : 0;
}
