/*
 * SHA-256 with a state that is plain data, copied by value (core/upload.c
 * keeps each upload's running hash in memory), from OpenSSL's libcrypto:
 * it uses the CPU's SHA extensions (~1.8 GB/s here against libsodium's
 * ~360 MB/s), which registry pushes at 1 GB/s need, and which SigV4's
 * per-request HMAC uses too. libsodium stays for the other MACs, base64
 * and everything else. A state is never written to the store,
 * whose format must not depend on a library's struct layout (issue 12).
 */
#ifndef ECRD_AUTH_SHA256_H
#define ECRD_AUTH_SHA256_H

#include <stddef.h>

#define SHA256_DIGEST_LEN 32
/* Bytes of a state; a state is plain data (memcpy-able). */
#define SHA256_STATE_LEN 128

struct sha256_state {
	_Alignas(16) unsigned char opaque[SHA256_STATE_LEN];
};

void sha256_init(struct sha256_state *);
void sha256_update(struct sha256_state *, const void *, size_t);
/* Write the digest; the state must be initialised again before reuse. */
void sha256_final(struct sha256_state *, unsigned char out[SHA256_DIGEST_LEN]);
/* One shot: "sha256:" and 64 lowercase hex digits (72 bytes with NUL). */
void sha256_digest_text(const void *, size_t, char out[72]);

/*
 * HMAC-SHA-256 (RFC 2104). A keyed state is plain data: copied by value,
 * it MACs many messages under one key without hashing the key again.
 * Wipe a state that holds a secret key (sodium_memzero) when done.
 */
struct hmac_sha256 {
	struct sha256_state inner; /* after the key ^ ipad block */
	struct sha256_state outer; /* after the key ^ opad block */
};

void hmac_sha256_init(struct hmac_sha256 *, const void *key, size_t key_len);
void hmac_sha256_update(struct hmac_sha256 *, const void *, size_t);
/* Write the MAC; the state must be keyed again before reuse. */
void hmac_sha256_final(struct hmac_sha256 *,
    unsigned char out[SHA256_DIGEST_LEN]);

#endif
