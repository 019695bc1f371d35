/*
 * docker-credential-ecrd: declarations shared by its files. The helper
 * answers docker's credential-helper protocol with a registry password it
 * gets from ecrd's GetAuthorizationToken, and caches it until shortly
 * before it expires.
 */
#ifndef ECRD_CREDHELPER_CREDHELPER_H
#define ECRD_CREDHELPER_CREDHELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Refetch this long before a cached token expires (ECR's last 12 h). */
#define CH_REFRESH_MARGIN_SEC (15 * 60)
/* Largest standard input, credentials file and answer we read. */
#define CH_INPUT_MAX (64 * 1024)
#define CH_FILE_MAX (1024 * 1024)
#define CH_REGION_MAX 32

/* AWS credentials (aws.c); all owned; access_key NULL: unsigned calls. */
struct ch_creds {
	char *access_key;
	char *secret_key;
	char *session_token;
};

/*
 * Read AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, else
 * the profile AWS_PROFILE (default "default") of the shared credentials file
 * (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials). No credentials
 * anywhere is no error (creds stays empty: ecrd's permissive mode takes
 * unsigned calls). -1 with *cause (caller frees) if the file exists but
 * cannot be read, or a key lacks its secret.
 */
int ch_creds_load(struct ch_creds *, char **cause);
void ch_creds_release(struct ch_creds *);

/* Where a server URL's token comes from (aws.c); strings owned. */
struct ch_target {
	char *server;   /* as docker passed it, trimmed */
	char *endpoint; /* the ECR API's base URL */
	char region[CH_REGION_MAX + 1];
};

/*
 * The endpoint: ECRD_ENDPOINT, AWS_ENDPOINT_URL_ECR, AWS_ENDPOINT_URL, else
 * the server URL itself (http:// when it names no scheme). The region: the
 * host's when it reads ACCOUNT.dkr.ecr.REGION.*, else AWS_REGION,
 * AWS_DEFAULT_REGION, else us-east-1. -1 with *cause for an empty server.
 */
int ch_target_resolve(const char *server, struct ch_target *, char **cause);
void ch_target_release(struct ch_target *);

/* A registry password and when it expires (epoch seconds). */
struct ch_token {
	char *username; /* "AWS" */
	char *password;
	int64_t expires_at;
};

void ch_token_release(struct ch_token *);

/*
 * Call GetAuthorizationToken at t->endpoint, signed with creds (SigV4,
 * service ecr, t->region) unless creds has no key, and decode its token.
 * -1 with *cause naming the endpoint and what went wrong (ecrd's error
 * type and message, or curl's) on failure.
 */
int ch_fetch(const struct ch_target *t, const struct ch_creds *creds,
    struct ch_token *out, char **cause);

/*
 * The token cache (cache.c): one file per (endpoint, server, region, key),
 * mode 0600, in $XDG_CACHE_HOME/ecrd (default ~/.cache/ecrd, made 0700).
 * ch_cache_get: 0 and *out when a cached token is good past now plus the
 * margin, else -1 (none, expired, or a file that is not ours alone).
 * ch_cache_put: 0, or -1 with *cause. ch_cache_erase removes every token
 * cached for server; ch_cache_list prints {"server": "AWS", ...}.
 */
int ch_cache_get(const struct ch_target *, const struct ch_creds *, int64_t now,
    struct ch_token *out);
int ch_cache_put(const struct ch_target *, const struct ch_creds *,
    const struct ch_token *, char **cause);
int ch_cache_erase(const char *server, char **cause);
int ch_cache_list(char **out_json, char **cause);

/* Read the whole of fd, up to max bytes (util in cache.c): NUL-ended. */
int ch_read_fd(int fd, size_t max, char **out, size_t *len);

#endif
