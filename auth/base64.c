/* Strict standard base64 decoding over libcrypto; see base64.h. */
#include "auth/base64.h"

#include <limits.h>
#include <string.h>

#include <openssl/evp.h>

int
base64_decode(const char *in, size_t len, unsigned char *out,
    size_t *out_len)
{
	size_t	pad = 0;
	int	n;

	if (len % 4 != 0 || len > INT_MAX)
		return -1;
	if (len == 0) {
		*out_len = 0;
		return 0;
	}
	if (in[len - 1] == '=')
		pad++;
	if (len > 1 && in[len - 2] == '=')
		pad++;
	/* '=' only as padding; libcrypto would take it anywhere. */
	if (memchr(in, '=', len - pad) != NULL)
		return -1;
	/* It also skips blanks at either end, which base64 has none of. */
	if (in[0] == ' ' || in[0] == '\t' || in[0] == '\n' || in[0] == '\r')
		return -1;
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len)) <
	    0 || (size_t)n < pad)
		return -1;
	*out_len = (size_t)n - pad;
	return 0;
}
