/*
 * Random UUIDs from libsodium's generator, which needs no seeding and
 * cannot fail once sodium_init has run (main calls it).
 */
#include "common/uuid.h"

#include <stddef.h>

#include <sodium.h>

void
uuid_v4(char dst[UUID_SIZE])
{
	static const char	hex[] = "0123456789abcdef";
	unsigned char		u[16];
	size_t			i, j = 0;

	randombytes_buf(u, sizeof u);
	u[6] = (u[6] & 0x0f) | 0x40;	/* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80;	/* variant 10 */
	for (i = 0; i < sizeof u; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			dst[j++] = '-';
		dst[j++] = hex[u[i] >> 4];
		dst[j++] = hex[u[i] & 0x0f];
	}
	dst[j] = '\0';
}
