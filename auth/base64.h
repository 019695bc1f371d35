/*
 * Base64 decoding at memory speed for layer parts (UploadLayerPart sends
 * up to 20 MiB in JSON): libcrypto's decoder runs ~1.9 GB/s here against
 * libsodium's ~270 MB/s. libsodium stays for everything small.
 */
#ifndef ECRD_AUTH_BASE64_H
#define ECRD_AUTH_BASE64_H

#include <stdbool.h>
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

/*
 * The same decoding for text that arrives in pieces (a streamed body):
 * whole quanta are decoded as they complete, the last one held back until
 * base64_dec_end, so that padding is accepted only at the very end.
 */
struct base64_dec {
	char	held[4];
	size_t	n_held;
	bool	is_bad;		/* not base64; nothing more is decoded */
};

/* Room base64_dec_add may fill for len more characters. */
#define BASE64_DEC_ADD_MAX(len)	(((len) + 3) / 4 * 3 + 3)

void	base64_dec_init(struct base64_dec *);
/* Decode len more characters into out: the bytes written (0 once bad). */
size_t	base64_dec_add(struct base64_dec *, const char *in, size_t len,
	    unsigned char *out);
/*
 * The end of the text: 0 with its last bytes (up to 3) in out and
 * *out_len, or -1 (and is_bad) if the whole text was not base64.
 */
int	base64_dec_end(struct base64_dec *, unsigned char out[3],
	    size_t *out_len);

#endif
