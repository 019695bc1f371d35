/*
 * Registry tokens: the password inside a GetAuthorizationToken answer. It
 * carries its own claims and a MAC, so the registry can check it without a
 * lookup (docs/ecr-behaviour.md 3.4).
 */
#ifndef ECRD_AUTH_REGTOKEN_H
#define ECRD_AUTH_REGTOKEN_H

#include <stdint.h>

#define REGTOKEN_KEY_SIZE 32 /* == crypto_auth_KEYBYTES */
/* Longest password regtoken_verify decodes; issued ones are < 3 KiB. */
#define REGTOKEN_PASSWORD_MAX 8192

struct regtoken_claims {
	char account[13]; /* 12 digits */
	char region[33];
	char principal[2049]; /* ARN */
	int64_t issued_at;    /* epoch seconds */
	int64_t expires_at;   /* epoch seconds */
};

enum {
	REGTOKEN_MALFORMED = -1, /* not base64, wrong size, bad layout */
	REGTOKEN_BAD_MAC = -2,   /* wrong key or altered */
	REGTOKEN_EXPIRED = -3,   /* genuine, but now >= expires_at */
};

/*
 * Make the password for claims, MACed with key: standard base64 with
 * padding, so it never contains ':' and survives the CLI's b64decode and
 * split(':'). Strings longer than their arrays allow are cut at the array
 * size. The caller frees the result.
 */
char *regtoken_issue(const unsigned char key[REGTOKEN_KEY_SIZE],
    const struct regtoken_claims *claims);

/*
 * A key's MAC keyed once: issuing with it gives the same password as
 * regtoken_issue with the key, without hashing the key's pads for every
 * token (GetAuthorizationToken). Free with regtoken_signer_free, which
 * wipes it (NULL does nothing).
 */
struct regtoken_signer;
struct regtoken_signer *
regtoken_signer_new(const unsigned char key[REGTOKEN_KEY_SIZE]);
void regtoken_signer_free(struct regtoken_signer *);
char *regtoken_issue_signed(const struct regtoken_signer *,
    const struct regtoken_claims *claims);

/*
 * Check a password from regtoken_issue. Returns 0 and fills *out;
 * REGTOKEN_MALFORMED if it is empty, longer than REGTOKEN_PASSWORD_MAX,
 * not padded standard base64, or truncated or extended; REGTOKEN_BAD_MAC if
 * the key differs or any byte was changed; REGTOKEN_EXPIRED when
 * now >= expires_at, with *out still filled so the caller can say whose
 * token expired. *out is untouched on the other errors.
 */
int regtoken_verify(const unsigned char key[REGTOKEN_KEY_SIZE],
    const char *password, int64_t now, struct regtoken_claims *out);

#endif
