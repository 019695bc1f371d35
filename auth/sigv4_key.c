/*
 * SigV4 signing keys: derived by the HMAC chain, and kept by a cache so
 * that a request costs one HMAC instead of five; see sigv4.h.
 */
#include "auth/sigv4.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth/sha256.h"
#include "auth/sigv4_int.h"
#include "common/str.h"
#include "common/xalloc.h"

/* Scopes kept; a day's keys for a few principals and regions. */
#define CACHE_SIZE 8

struct cache_entry {
	char *secret; /* owned; NULL: unused */
	size_t secret_len;
	char date[9];
	char region[33];
	char service[33];
	struct hmac_sha256 key; /* keyed, nothing hashed */
};

struct sigv4_cache {
	struct cache_entry e[CACHE_SIZE];
	size_t next; /* replaced next */
	uint64_t n_derived;
};

static void
hmac(const unsigned char *key, size_t key_len, const void *msg, size_t msg_len,
    unsigned char out[SIGV4_HMAC_SIZE])
{
	struct hmac_sha256 st;

	hmac_sha256_init(&st, key, key_len);
	hmac_sha256_update(&st, msg, msg_len);
	hmac_sha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

/*
 * The HMAC chain "AWS4"+secret -> date -> region -> service ->
 * aws4_request gives the signing key; *st is an HMAC keyed with it.
 */
static void
derive_key(const char *secret, const struct sigv4_auth *auth,
    struct hmac_sha256 *st)
{
	unsigned char k1[SIGV4_HMAC_SIZE], k2[SIGV4_HMAC_SIZE];
	size_t secret_len = strlen(secret);
	unsigned char *seed;

	seed = xmalloc(4 + secret_len);
	memcpy(seed, "AWS4", 4);
	memcpy(seed + 4, secret, secret_len);
	hmac(seed, 4 + secret_len, auth->date, strlen(auth->date), k1);
	sodium_memzero(seed, 4 + secret_len);
	free(seed);
	hmac(k1, sizeof k1, auth->region, strlen(auth->region), k2);
	hmac(k2, sizeof k2, auth->service, strlen(auth->service), k1);
	hmac(k1, sizeof k1, SIGV4_TERMINATOR, strlen(SIGV4_TERMINATOR), k2);
	hmac_sha256_init(st, k2, sizeof k2);
	sodium_memzero(k1, sizeof k1);
	sodium_memzero(k2, sizeof k2);
}

struct sigv4_cache *
sigv4_cache_new(void)
{
	return xcalloc(1, sizeof(struct sigv4_cache));
}

static void
cache_entry_clear(struct cache_entry *e)
{
	if (e->secret != NULL) {
		sodium_memzero(e->secret, e->secret_len);
		free(e->secret);
	}
	sodium_memzero(e, sizeof *e);
}

void
sigv4_cache_free(struct sigv4_cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < CACHE_SIZE; i++)
		cache_entry_clear(&c->e[i]);
	free(c);
}

uint64_t
sigv4_cache_derived(const struct sigv4_cache *c)
{
	return c->n_derived;
}

static bool
cache_entry_is(const struct cache_entry *e, const char *secret,
    size_t secret_len, const struct sigv4_auth *auth)
{
	return e->secret != NULL && e->secret_len == secret_len &&
	       sodium_memcmp(e->secret, secret, secret_len) == 0 &&
	       strcmp(e->date, auth->date) == 0 &&
	       strcmp(e->region, auth->region) == 0 &&
	       strcmp(e->service, auth->service) == 0;
}

void
sigv4_signing_key(struct sigv4_cache *c, const char *secret,
    const struct sigv4_auth *auth, struct hmac_sha256 *st)
{
	struct cache_entry *e;
	size_t i, secret_len = strlen(secret);

	if (c == NULL) {
		derive_key(secret, auth, st);
		return;
	}
	for (i = 0; i < CACHE_SIZE; i++) {
		if (cache_entry_is(&c->e[i], secret, secret_len, auth)) {
			*st = c->e[i].key;
			return;
		}
	}
	e = &c->e[c->next];
	c->next = (c->next + 1) % CACHE_SIZE;
	cache_entry_clear(e);
	derive_key(secret, auth, &e->key);
	e->secret = xstrdup(secret);
	e->secret_len = secret_len;
	/* sigv4_parse bounded each field by its array. */
	(void)str_copy(e->date, sizeof e->date, auth->date);
	(void)str_copy(e->region, sizeof e->region, auth->region);
	(void)str_copy(e->service, sizeof e->service, auth->service);
	c->n_derived++;
	*st = e->key;
}
