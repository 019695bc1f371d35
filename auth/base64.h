/*
 * Base64 decoding at memory speed for layer parts (UploadLayerPart sends
 * up to 20 MiB in JSON): libcrypto's decoder runs ~1.9 GB/s here against
 * libsodium's ~270 MB/s. libsodium stays for everything small.
 */
#ifndef ECRD_AUTH_BASE64_H
#define ECRD_AUTH_BASE64_H

#include <stddef.h>

/* Bytes that decoding len characters may need (a bound, not exact). */
#define BASE64_DECODED_MAX(len)	((len) / 4 * 3 + 3)

/*
 * Decode len characters of standard base64 with padding into out (at
 * least BASE64_DECODED_MAX(len) bytes): 0 and *out_len, or -1 if the text
 * is not that (length not a multiple of 4, a character outside the
 * alphabet, padding anywhere but the end).
 */
int	base64_decode(const char *in, size_t len, unsigned char *out,
	    size_t *out_len);

#endif
