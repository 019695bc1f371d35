/*
 * Random UUIDs from libsodium's generator, which needs no seeding and
 * cannot fail once sodium_init has run (main calls it).
 */
#include "common/uuid.h"

#include <stddef.h>

#include <sodium.h>

/* Ids drawn per refill of a thread's pool. */
#define UUID_POOL_IDS 64

/*
 * Every request gets an id, and libsodium's generator makes a getrandom()
 * system call per draw: each thread draws for many ids at once. The bytes
 * are as random; an id is only ever handed out once.
 */
static _Thread_local unsigned char pool[UUID_POOL_IDS][16];
static _Thread_local size_t pool_left;

void
uuid_v4(char dst[UUID_SIZE])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char *u;
	size_t i, j = 0;

	if (pool_left == 0) {
		randombytes_buf(pool, sizeof pool);
		pool_left = UUID_POOL_IDS;
	}
	u = pool[--pool_left];
	u[6] = (u[6] & 0x0f) | 0x40; /* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80; /* variant 10 */
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			dst[j++] = '-';
		dst[j++] = hex[u[i] >> 4];
		dst[j++] = hex[u[i] & 0x0f];
	}
	sodium_memzero(u, 16);
	dst[j] = '\0';
}
