/* Declarations shared by sigv4.c and sigv4_key.c. */
#ifndef ECRD_AUTH_SIGV4_INT_H
#define ECRD_AUTH_SIGV4_INT_H

#include "auth/sha256.h"
#include "auth/sigv4.h"

#define SIGV4_TERMINATOR "aws4_request"
#define SIGV4_HMAC_SIZE SHA256_DIGEST_LEN

/*
 * *st: an HMAC keyed with the signing key of secret and auth's scope, from
 * the cache if it holds it (there once derived); cache may be NULL.
 */
void sigv4_signing_key(struct sigv4_cache *cache, const char *secret,
    const struct sigv4_auth *auth, struct hmac_sha256 *st);

#endif
