/*
 * AWS Signature Version 4 (Authorization header form) for the ECR JSON API
 * and registry routes: parse the header, then verify the signature; and
 * signing, for requests ecrd sends to an AWS API (an ecr upstream).
 */
#ifndef ECRD_AUTH_SIGV4_H
#define ECRD_AUTH_SIGV4_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Longest Authorization header value sigv4_parse looks at. */
#define SIGV4_AUTH_HEADER_MAX 4096
/* Clock skew allowed either way (docs/ecr-behaviour.md 1.6). */
#define SIGV4_SKEW_SEC 300
/* Cap on the canonical request built by sigv4_verify. */
#define SIGV4_CANONICAL_MAX (256 * 1024)

/* A request header as received; names are compared case-insensitively. */
struct sigv4_header {
	const char *name;
	const char *value;
};

/* What sigv4_verify needs of a request; nothing here is owned. */
struct sigv4_request {
	const char *method; /* "POST" */
	const char *path;   /* raw: "/v2/a%2Fb/" */
	const char *query;  /* raw, no '?', or "" */
	const struct sigv4_header *headers;
	size_t n_headers;
	const unsigned char *body;
	size_t body_len;
	/*
	 * The body's SHA-256 in lowercase hex when it was hashed as it
	 * streamed (body is then unused), or NULL.
	 */
	const char *payload_hash;
};

/* What sigv4_parse found in the Authorization and date headers. */
struct sigv4_auth {
	char access_key[129];
	char date[9]; /* credential scope yyyymmdd */
	char region[33];
	char service[33];
	char amz_date[17];          /* yyyymmddThhmmssZ */
	char signature[65];         /* lowercase hex */
	char signed_headers[1024];  /* as sent: "host;x-amz-date" */
	const char *security_token; /* borrowed from req, or NULL */
};

enum {
	SIGV4_MISSING = -1,       /* no Authorization header */
	SIGV4_INCOMPLETE = -2,    /* a required part is absent */
	SIGV4_MALFORMED = -3,     /* a part is present but unusable */
	SIGV4_EXPIRED = -4,       /* request time before now - skew */
	SIGV4_NOT_YET_VALID = -5, /* request time after now + skew */
	SIGV4_BAD_SCOPE = -6,     /* scope names the wrong thing */
	SIGV4_MISMATCH = -7,      /* signature does not verify */
};

/*
 * Parse the request's "Authorization: AWS4-HMAC-SHA256 Credential=AKID/
 * yyyymmdd/region/service/aws4_request, SignedHeaders=a;b, Signature=hex"
 * header (parts in any order, any spacing) and its X-Amz-Date, or failing
 * that Date, header. Returns 0 and fills *out, or a code with *cause set to
 * AWS's message for it (caller frees; *out is left unchanged):
 *   SIGV4_MISSING	no Authorization header;
 *   SIGV4_INCOMPLETE	Credential, SignedHeaders or Signature absent or
 *			empty, or neither X-Amz-Date nor Date present (one
 *			message lists every missing part);
 *   SIGV4_MALFORMED	over-long header or field, unsupported algorithm,
 *			a part without '=', a credential that is not 5
 *			'/'-separated elements, bad SignedHeaders, a
 *			signature that is not 64 hex digits, an unparsable
 *			date;
 *   SIGV4_BAD_SCOPE	terminator other than aws4_request, a region that
 *			is not [a-z0-9-], or a scope date that is not 8
 *			characters.
 * out->security_token points into req's headers and lives as long as they.
 */
int sigv4_parse(const struct sigv4_request *req, struct sigv4_auth *out,
    char **cause);

/*
 * Check the signature sigv4_parse found in req against secret_key, in
 * AWS's order: the scope's service must be `service` (SIGV4_BAD_SCOPE); the
 * request time within SIGV4_SKEW_SEC of now (SIGV4_EXPIRED,
 * SIGV4_NOT_YET_VALID); the scope date that of the request time
 * (SIGV4_BAD_SCOPE); 'host' among SignedHeaders (SIGV4_MISMATCH); then the
 * signature itself (SIGV4_MISMATCH), compared in constant time. A canonical
 * request larger than SIGV4_CANONICAL_MAX is SIGV4_MALFORMED. Returns 0, or
 * a code with *cause set to AWS's message (caller frees).
 */
int sigv4_verify(const struct sigv4_request *req, const struct sigv4_auth *auth,
    const char *secret_key, const char *service, time_t now, char **cause);
/*
 * Signing keys already derived, so that a request costs one HMAC instead of
 * the five of the derivation chain (the SDKs keep theirs the same way): an
 * entry holds the HMAC state keyed with the signing key of one (secret,
 * scope date, region, service). The verdict is the same with or without
 * it; a changed secret or scope derives a new key. Not thread-safe: one
 * cache per thread that verifies.
 */
struct sigv4_cache;

struct sigv4_cache *sigv4_cache_new(void);
/* Wipe the keys and free the cache; NULL does nothing. */
void sigv4_cache_free(struct sigv4_cache *);
/* How many signing keys the cache has derived (its misses). */
uint64_t sigv4_cache_derived(const struct sigv4_cache *);
/* sigv4_verify, taking the signing key from cache (NULL: derive it). */
int sigv4_verify_cached(const struct sigv4_request *req,
    const struct sigv4_auth *auth, const char *secret_key, const char *service,
    time_t now, struct sigv4_cache *cache, char **cause);

/*
 * The request time sigv4_parse read (auth->amz_date) as seconds since the
 * epoch into *out. 0, or -1 if auth holds no such time.
 */
int sigv4_request_time(const struct sigv4_auth *auth, int64_t *out);

/* t (seconds since the epoch) as an X-Amz-Date: yyyymmddThhmmssZ. */
void sigv4_format_date(int64_t t, char out[17]);
/*
 * Sign req for an AWS service, as botocore does, the other way round from
 * sigv4_verify: every header of req is signed (req must hold Host and
 * X-Amz-Date, and X-Amz-Security-Token for temporary credentials), the
 * body as given, the scope being X-Amz-Date's day, region and service.
 * 0 with *authorization set to the Authorization header's value (caller
 * frees), or SIGV4_MALFORMED (no usable X-Amz-Date, a field too long, no
 * headers or more than 64).
 */
int sigv4_sign(const struct sigv4_request *req, const char *access_key,
    const char *secret, const char *region, const char *service,
    char **authorization);

#endif
