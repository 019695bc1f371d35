/* Standard base64 over libcrypto: fast encoding, strict decoding; see base64.h.
 */
#include "auth/base64.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#define BULK_MAX (1 << 30) /* EVP_DecodeBlock takes an int */

size_t
base64_encode(const unsigned char *in, size_t len, char *out)
{
	/* EVP_EncodeBlock takes an int; callers encode tokens, far below. */
	if (len > BASE64_ENCODE_MAX)
		abort();
	return (size_t)EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

static bool
is_alphabet(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/*
 * Decode len (a multiple of 4) characters that hold no padding. libcrypto
 * trims blanks at either end and takes '=' anywhere; base64 has neither.
 */
static int
decode_quanta(const char *in, size_t len, unsigned char *out)
{
	size_t n;

	if (len == 0)
		return 0;
	if (!is_alphabet(in[0]) || !is_alphabet(in[len - 1]) ||
	    memchr(in, '=', len) != NULL)
		return -1;
	for (; len > 0; in += n, out += n / 4 * 3, len -= n) {
		n = len < BULK_MAX ? len : BULK_MAX;
		if (EVP_DecodeBlock(out, (const unsigned char *)in, (int)n) !=
		    (int)(n / 4 * 3))
			return -1;
	}
	return 0;
}

void
base64_dec_init(struct base64_dec *d)
{
	memset(d, 0, sizeof *d);
}

size_t
base64_dec_add(struct base64_dec *d, const char *in, size_t len,
    unsigned char *out)
{
	size_t m, keep, bulk, written = 0;

	if (d->is_bad || len == 0)
		return 0;
	/* Complete the held quantum; decode it only if more text follows. */
	if (d->n_held > 0) {
		m = 4 - d->n_held < len ? 4 - d->n_held : len;
		memcpy(d->held + d->n_held, in, m);
		d->n_held += m;
		in += m;
		len -= m;
		if (d->n_held < 4 || len == 0)
			return 0;
		if (decode_quanta(d->held, 4, out) != 0) {
			d->is_bad = true;
			return 0;
		}
		d->n_held = 0;
		written = 3;
	}
	/* Hold back the last (possibly partial) quantum. */
	keep = len % 4 != 0 ? len % 4 : 4;
	bulk = len - keep;
	if (decode_quanta(in, bulk, out + written) != 0) {
		d->is_bad = true;
		return 0;
	}
	memcpy(d->held, in + bulk, keep);
	d->n_held = keep;
	return written + bulk / 4 * 3;
}

int
base64_dec_end(struct base64_dec *d, unsigned char out[3], size_t *out_len)
{
	char q[4];
	size_t pad;

	*out_len = 0;
	if (d->n_held != 0 && d->n_held != 4)
		d->is_bad = true;
	if (d->is_bad)
		return -1;
	if (d->n_held == 0)
		return 0;
	pad = d->held[3] == '=' ? (d->held[2] == '=' ? 2 : 1) : 0;
	/* The padded quantum decodes as if its '=' were 'A' (zero bits). */
	memcpy(q, d->held, 4);
	memset(q + 4 - pad, 'A', pad);
	if (decode_quanta(q, 4, out) != 0) {
		d->is_bad = true;
		return -1;
	}
	*out_len = 3 - pad;
	return 0;
}

int
base64_decode(const char *in, size_t len, unsigned char *out, size_t *out_len)
{
	struct base64_dec d;
	size_t n, tail;

	if (len > INT_MAX)
		return -1;
	base64_dec_init(&d);
	n = base64_dec_add(&d, in, len, out);
	if (base64_dec_end(&d, out + n, &tail) != 0)
		return -1;
	*out_len = n + tail;
	return 0;
}
