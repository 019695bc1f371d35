/*
 * Base64 decoding at memory speed for layer parts (UploadLayerPart sends
 * up to 20 MiB in JSON): libcrypto's decoder runs ~1.9 GB/s here against
 * libsodium's ~270 MB/s. libsodium stays for everything small.
 */
#ifndef ECRD_AUTH_BASE64_H
#define ECRD_AUTH_BASE64_H

#include <stdbool.h>
#include <stddef.h>

/* Room base64_encode needs for len bytes: the text and its NUL. */
#define BASE64_ENCODED_SIZE(len) (((len) + 2) / 3 * 4 + 1)

/*
 * Encode len bytes (at most BASE64_ENCODE_MAX) as standard base64 with
 * padding into out (BASE64_ENCODED_SIZE(len) bytes), NUL-terminated;
 * returns the text's length. The same text as libsodium's
 * sodium_bin2base64 with sodium_base64_VARIANT_ORIGINAL, several times
 * faster: for what is not secret (tokens handed out on every
 * GetAuthorizationToken), as libsodium's is constant-time.
 */
#define BASE64_ENCODE_MAX (1 << 28)
size_t base64_encode(const unsigned char *in, size_t len, char *out);

/* Bytes that decoding len characters may need (a bound, not exact). */
#define BASE64_DECODED_MAX(len) ((len) / 4 * 3 + 3)

/*
 * Decode len characters of standard base64 with padding into out (at
 * least BASE64_DECODED_MAX(len) bytes): 0 and *out_len, or -1 if the text
 * is not that (length not a multiple of 4, a character outside the
 * alphabet, padding anywhere but the end).
 */
int base64_decode(const char *in, size_t len, unsigned char *out,
    size_t *out_len);

/*
 * The same decoding for text that arrives in pieces (a streamed body):
 * whole quanta are decoded as they complete, the last one held back until
 * base64_dec_end, so that padding is accepted only at the very end.
 */
struct base64_dec {
	char held[4];
	size_t n_held;
	bool is_bad; /* not base64; nothing more is decoded */
};

/* Room base64_dec_add may fill for len more characters. */
#define BASE64_DEC_ADD_MAX(len) (((len) + 3) / 4 * 3 + 3)

void base64_dec_init(struct base64_dec *);
/* Decode len more characters into out: the bytes written (0 once bad). */
size_t base64_dec_add(struct base64_dec *, const char *in, size_t len,
    unsigned char *out);
/*
 * The end of the text: 0 with its last bytes (up to 3) in out and
 * *out_len, or -1 (and is_bad) if the whole text was not base64.
 */
int base64_dec_end(struct base64_dec *, unsigned char out[3], size_t *out_len);

#endif
