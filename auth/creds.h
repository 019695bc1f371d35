/*
 * Strict-mode credentials: the principals a server accepts, parsed from
 * the JSON text of a credentials file (the caller reads the file).
 */
#ifndef ECRD_AUTH_CREDS_H
#define ECRD_AUTH_CREDS_H

#include <stddef.h>

struct json_object;

/* Largest credentials text creds_parse accepts. */
#define CREDS_TEXT_MAX (16 * 1024 * 1024)
#define CREDS_ACCESS_KEY_MAX 128 /* as sigv4_auth.access_key */
#define CREDS_SECRET_MAX 1024
#define CREDS_SESSION_TOKEN_MAX 8192
#define CREDS_ARN_MAX 2048 /* as regtoken_claims.principal */

struct cred {
	char *access_key_id;
	char *secret_access_key;
	char *session_token; /* NULL if none */
	char *arn;
	char account[13];             /* the ARN's 12 digits */
	struct json_object *policies; /* owned array of policies */
};

struct creds {
	struct cred *v;
	size_t n;
};

/*
 * Parse
 *   {"principals": [{"accessKeyId": "AKID", "secretAccessKey": "...",
 *     "sessionToken": "..." (optional), "arn": "arn:aws:iam::1111...:user/ci",
 *     "policies": [{...}, ...] (optional)}, ...]}
 * from len bytes of text (strict JSON, valid UTF-8, nothing but whitespace
 * after the object). A null member counts as absent; unknown members are
 * refused so a misspelt one is not silently ignored. accessKeyId is 1 to
 * 128 of [A-Za-z0-9_-] and unique; arn is an IAM user (with optional
 * path), role (with optional path) or root, or an STS assumed-role ARN, in
 * partition aws, aws-cn or aws-us-gov. Returns 0 with *out set (free it
 * with creds_free), or -1 with *cause naming the problem, e.g.
 * "principals[2].arn: not an IAM user, role or assumed-role ARN" (caller
 * frees; *out untouched).
 */
int creds_parse(const char *text, size_t len, struct creds **out, char **cause);

/* The principal with this access key id, or NULL; lives as long as c. */
const struct cred *creds_find(const struct creds *c, const char *access_key_id);

/* Free c and all it owns, wiping secrets; NULL does nothing. */
void creds_free(struct creds *c);

#endif
