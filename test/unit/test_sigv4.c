/*
 * Unit tests for auth/sigv4: botocore-signed vectors verify, and every
 * change to them, every clock outside the skew and every malformed
 * Authorization header is refused with AWS's words.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <sodium.h>

#include "auth/sigv4.h"
#include "common/xalloc.h"
#include "test/data/sigv4_vectors.h"

#define N_VECTORS (sizeof sigv4_vectors / sizeof sigv4_vectors[0])
#define MSG_MISMATCH                                                           \
	"The request signature we calculated does not match the signature "    \
	"you provided. Check your AWS Secret Access Key and signing method. "  \
	"Consult the service documentation for details."

/* A vector's request with its headers copied so a test can change them. */
struct req_copy {
	struct sigv4_header headers[SIGV4_VECTOR_MAX_HEADERS + 2];
	struct sigv4_request req;
};

static void
load(const struct sigv4_vector *v, struct req_copy *c)
{
	memset(c, 0, sizeof *c);
	memcpy(c->headers, v->headers, v->n_headers * sizeof c->headers[0]);
	c->req.method = v->method;
	c->req.path = v->path;
	c->req.query = v->query;
	c->req.headers = c->headers;
	c->req.n_headers = v->n_headers;
	c->req.body = (const unsigned char *)v->body;
	c->req.body_len = v->body_len;
}

/* Replace the first header called name, or add it; NULL value removes. */
static void
set_header(struct req_copy *c, const char *name, const char *value)
{
	size_t i;

	for (i = 0; i < c->req.n_headers; i++) {
		if (strcasecmp(c->headers[i].name, name) != 0)
			continue;
		if (value != NULL) {
			c->headers[i].value = value;
			return;
		}
		memmove(&c->headers[i], &c->headers[i + 1],
		    (c->req.n_headers - i - 1) * sizeof c->headers[0]);
		c->req.n_headers--;
		return;
	}
	if (value == NULL)
		return;
	c->headers[c->req.n_headers].name = name;
	c->headers[c->req.n_headers++].value = value;
}

static const char *
get_header(const struct req_copy *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->req.n_headers; i++) {
		if (strcasecmp(c->headers[i].name, name) == 0)
			return c->headers[i].value;
	}
	return NULL;
}

/* s with the first `from` replaced by `to`; the caller frees. */
static char *
replace(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);

	assert_non_null(at);
	return xasprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
}

static int
check(const struct sigv4_request *req, const char *secret, long long now,
    char **cause)
{
	struct sigv4_auth a;
	int rc;

	*cause = NULL;
	if ((rc = sigv4_parse(req, &a, cause)) != 0)
		return rc;
	return sigv4_verify(req, &a, secret, "ecr", (time_t)now, cause);
}

static void
expect(const struct sigv4_request *req, const char *secret, long long now,
    int want_rc, const char *want_cause)
{
	char *cause;
	int rc;

	rc = check(req, secret, now, &cause);
	assert_int_equal(rc, want_rc);
	if (want_rc == 0)
		assert_null(cause);
	else if (want_cause != NULL)
		assert_string_equal(cause, want_cause);
	else
		assert_non_null(cause);
	free(cause);
}

static int
setup(void **state)
{
	(void)state;
	return sodium_init() < 0 ? -1 : 0;
}

static void
test_sigv4_verifies_botocore_vectors(void **state)
{
	struct req_copy c;
	struct sigv4_auth a;
	const char *token;
	char *cause = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < N_VECTORS; i++) {
		const struct sigv4_vector *v = &sigv4_vectors[i];

		load(v, &c);
		assert_int_equal(sigv4_parse(&c.req, &a, &cause), 0);
		assert_string_equal(a.access_key, v->access_key);
		assert_string_equal(a.region, v->region);
		assert_string_equal(a.service, v->service);
		assert_string_equal(a.amz_date, v->amz_date);
		assert_memory_equal(a.date, v->amz_date, 8);
		assert_string_equal(a.signature, v->signature);
		token = get_header(&c, "X-Amz-Security-Token");
		assert_ptr_equal(a.security_token, token);
		if (sigv4_verify(&c.req, &a, v->secret, "ecr", (time_t)v->now,
		        &cause) != 0)
			fail_msg("%s: %s", v->name, cause);
	}
}

/* Is name one of the ';'-separated signed header names? */
static bool
is_signed_name(const char *signed_headers, const char *name)
{
	size_t len = strlen(name);
	const char *p = signed_headers;

	for (;;) {
		if (strncasecmp(p, name, len) == 0 &&
		    (p[len] == ';' || p[len] == '\0'))
			return true;
		if ((p = strchr(p, ';')) == NULL)
			return false;
		p++;
	}
}

/* Signing a vector's signed headers gives botocore's Authorization. */
static void
test_sigv4_sign_matches_botocore_vectors(void **state)
{
	struct req_copy c;
	struct sigv4_auth a;
	struct sigv4_header kept[SIGV4_VECTOR_MAX_HEADERS];
	char *cause = NULL, *got = NULL, *want;
	size_t i, k, n;

	(void)state;
	for (i = 0; i < N_VECTORS; i++) {
		const struct sigv4_vector *v = &sigv4_vectors[i];

		load(v, &c);
		assert_int_equal(sigv4_parse(&c.req, &a, &cause), 0);
		for (k = n = 0; k < v->n_headers; k++) {
			if (is_signed_name(a.signed_headers,
			        v->headers[k].name))
				kept[n++] = v->headers[k];
		}
		c.req.headers = kept;
		c.req.n_headers = n;
		assert_int_equal(sigv4_sign(&c.req, v->access_key, v->secret,
		                     v->region, v->service, &got),
		    0);
		want = xasprintf("AWS4-HMAC-SHA256 Credential=%s/%.8s/%s/%s/"
		                 "aws4_request, SignedHeaders=%s, Signature=%s",
		    v->access_key, v->amz_date, v->region, v->service,
		    a.signed_headers, v->signature);
		if (strcmp(got, want) != 0)
			fail_msg("%s: %s, not %s", v->name, got, want);
		free(want);
		free(got);
		got = NULL;
	}
}

/* No X-Amz-Date (or Date), nothing to sign with. */
static void
test_sigv4_sign_needs_a_date(void **state)
{
	struct sigv4_header h[] = {{"Host", "example.com"}};
	struct sigv4_request req = {.method = "POST",
	    .path = "/",
	    .query = "",
	    .headers = h,
	    .n_headers = 1};
	char *got = NULL, date[17];

	(void)state;
	assert_int_equal(sigv4_sign(&req, "AK", "s", "us-east-1", "ecr", &got),
	    SIGV4_MALFORMED);
	assert_null(got);
	sigv4_format_date(1735689600, date);
	assert_string_equal(date, "20250101T000000Z");
}

static int
check_cached(const struct sigv4_request *req, const char *secret, long long now,
    struct sigv4_cache *cache)
{
	struct sigv4_auth a;
	char *cause = NULL;
	int rc;

	if ((rc = sigv4_parse(req, &a, &cause)) == 0)
		rc = sigv4_verify_cached(req, &a, secret, "ecr", (time_t)now,
		    cache, &cause);
	free(cause);
	return rc;
}

/* The signing-key cache changes no verdict, whatever came before. */
static void
test_sigv4_cache_gives_uncached_verdicts(void **state)
{
	struct sigv4_cache *cache = sigv4_cache_new();
	struct req_copy c;
	size_t i, round;
	char *cause;

	(void)state;
	for (round = 0; round < 3; round++) {
		for (i = 0; i < N_VECTORS; i++) {
			const struct sigv4_vector *v = &sigv4_vectors[i];

			load(v, &c);
			assert_int_equal(check(&c.req, v->secret, v->now,
			                     &cause),
			    0);
			assert_int_equal(check_cached(&c.req, v->secret, v->now,
			                     cache),
			    0);
			assert_int_equal(check_cached(&c.req, v->secret, v->now,
			                     cache),
			    0);
			assert_int_equal(check_cached(&c.req, "other-secret",
			                     v->now, cache),
			    SIGV4_MISMATCH);
			assert_int_equal(check_cached(&c.req, "", v->now,
			                     cache),
			    SIGV4_MISMATCH);
			assert_int_equal(check_cached(&c.req, v->secret, v->now,
			                     cache),
			    0);
		}
	}
	sigv4_cache_free(cache);
	sigv4_cache_free(NULL);
}

/* One derivation per (secret, date, region, service); others miss. */
static void
test_sigv4_cache_misses_on_changed_secret_date_or_region(void **state)
{
	const struct sigv4_vector *v = &sigv4_vectors[0];
	struct sigv4_cache *cache = sigv4_cache_new();
	struct req_copy c;
	char *auth;

	(void)state;
	load(v, &c);
	assert_int_equal(sigv4_cache_derived(cache), 0);
	assert_int_equal(check_cached(&c.req, v->secret, v->now, cache), 0);
	assert_int_equal(sigv4_cache_derived(cache), 1);
	assert_int_equal(check_cached(&c.req, v->secret, v->now, cache), 0);
	assert_int_equal(sigv4_cache_derived(cache), 1);
	assert_int_equal(check_cached(&c.req, "other-secret", v->now, cache),
	    SIGV4_MISMATCH);
	assert_int_equal(sigv4_cache_derived(cache), 2);

	/* The next day, signed for the first: a new key, which fails. */
	assert_string_equal(v->amz_date, "20250101T000000Z");
	auth = replace(get_header(&c, "Authorization"), "/20250101/",
	    "/20250102/");
	set_header(&c, "Authorization", auth);
	set_header(&c, "X-Amz-Date", "20250102T000000Z");
	assert_int_equal(check_cached(&c.req, v->secret, v->now + 86400, cache),
	    SIGV4_MISMATCH);
	assert_int_equal(sigv4_cache_derived(cache), 3);
	free(auth);

	load(v, &c);
	auth = replace(get_header(&c, "Authorization"), "/us-east-1/",
	    "/us-west-2/");
	set_header(&c, "Authorization", auth);
	assert_int_equal(check_cached(&c.req, v->secret, v->now, cache),
	    SIGV4_MISMATCH);
	assert_int_equal(sigv4_cache_derived(cache), 4);
	free(auth);

	load(v, &c);
	assert_int_equal(check_cached(&c.req, v->secret, v->now, cache), 0);
	assert_int_equal(sigv4_cache_derived(cache), 4);
	sigv4_cache_free(cache);
}

static void
test_sigv4_rejects_wrong_secret(void **state)
{
	struct req_copy c;
	size_t i;

	(void)state;
	for (i = 0; i < N_VECTORS; i++) {
		load(&sigv4_vectors[i], &c);
		expect(&c.req, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEZ",
		    sigv4_vectors[i].now, SIGV4_MISMATCH, MSG_MISMATCH);
		expect(&c.req, "", sigv4_vectors[i].now, SIGV4_MISMATCH,
		    MSG_MISMATCH);
	}
}

static void
test_sigv4_rejects_changed_body(void **state)
{
	struct req_copy c;
	unsigned char *body;
	size_t i, len;

	(void)state;
	for (i = 0; i < N_VECTORS; i++) {
		const struct sigv4_vector *v = &sigv4_vectors[i];
		const char *sha = NULL;

		load(v, &c);
		sha = get_header(&c, "X-Amz-Content-SHA256");
		if (sha != NULL && strcmp(sha, "UNSIGNED-PAYLOAD") == 0)
			continue;
		/* Flip the last byte, or add one to an empty body. */
		len = v->body_len == 0 ? 1 : v->body_len;
		body = xmalloc(len);
		memcpy(body, v->body, v->body_len);
		body[len - 1] = v->body_len == 0 ? 'x' : body[len - 1] ^ 0x01;
		c.req.body = body;
		c.req.body_len = len;
		expect(&c.req, v->secret, v->now, SIGV4_MISMATCH, MSG_MISMATCH);
		free(body);
	}
}

/* A body hashed as it streamed: its hash stands in for it. */
static void
test_sigv4_takes_streamed_payload_hash(void **state)
{
	struct req_copy c;
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[65];
	size_t i;

	(void)state;
	for (i = 0; i < N_VECTORS; i++) {
		const struct sigv4_vector *v = &sigv4_vectors[i];
		const char *sha;

		load(v, &c);
		sha = get_header(&c, "X-Amz-Content-SHA256");
		if (sha != NULL && strcmp(sha, "UNSIGNED-PAYLOAD") == 0)
			continue;
		crypto_hash_sha256(h, (const unsigned char *)v->body,
		    v->body_len);
		sodium_bin2hex(hex, sizeof hex, h, sizeof h);
		c.req.body = NULL;
		c.req.body_len = 0;
		c.req.payload_hash = hex;
		expect(&c.req, v->secret, v->now, 0, NULL);
		hex[0] = hex[0] == '0' ? '1' : '0';
		expect(&c.req, v->secret, v->now, SIGV4_MISMATCH, MSG_MISMATCH);
	}
}

static void
test_sigv4_unsigned_payload_ignores_body(void **state)
{
	struct req_copy c;
	size_t i, n = 0;

	(void)state;
	for (i = 0; i < N_VECTORS; i++) {
		const char *sha;

		load(&sigv4_vectors[i], &c);
		sha = get_header(&c, "X-Amz-Content-SHA256");
		if (sha == NULL || strcmp(sha, "UNSIGNED-PAYLOAD") != 0)
			continue;
		c.req.body = (const unsigned char *)"anything";
		c.req.body_len = 8;
		expect(&c.req, sigv4_vectors[i].secret, sigv4_vectors[i].now, 0,
		    NULL);
		n++;
	}
	assert_int_equal(n, 1);
}

static void
test_sigv4_rejects_changed_signed_header(void **state)
{
	struct req_copy c;
	size_t i;

	(void)state;
	for (i = 0; i < N_VECTORS; i++) {
		const struct sigv4_vector *v = &sigv4_vectors[i];

		load(v, &c);
		set_header(&c, "Host", "127.0.0.1:48214");
		expect(&c.req, v->secret, v->now, SIGV4_MISMATCH, MSG_MISMATCH);

		/* A signed header that goes missing changes the hash too. */
		load(v, &c);
		set_header(&c, "Host", NULL);
		expect(&c.req, v->secret, v->now, SIGV4_MISMATCH, MSG_MISMATCH);

		if (get_header(&c, "X-Amz-Target") != NULL) {
			load(v, &c);
			set_header(&c, "X-Amz-Target",
			    "AmazonEC2ContainerRegistry_V20150921."
			    "DeleteRepository");
			expect(&c.req, v->secret, v->now, SIGV4_MISMATCH,
			    MSG_MISMATCH);
		}
	}
}

static void
test_sigv4_ignores_unsigned_headers(void **state)
{
	struct req_copy c;
	size_t i;

	(void)state;
	for (i = 0; i < N_VECTORS; i++) {
		const struct sigv4_vector *v = &sigv4_vectors[i];

		load(v, &c);
		set_header(&c, "User-Agent", "curl/8.0");
		set_header(&c, "Content-Length", "999");
		set_header(&c, "X-Unsigned-Extra", "whatever");
		expect(&c.req, v->secret, v->now, 0, NULL);
	}
}

static void
test_sigv4_header_names_are_case_insensitive(void **state)
{
	struct req_copy c;
	size_t i;

	(void)state;
	load(&sigv4_vectors[0], &c);
	for (i = 0; i < c.req.n_headers; i++) {
		if (strcasecmp(c.headers[i].name, "Authorization") == 0)
			c.headers[i].name = "AUTHORIZATION";
		else if (strcasecmp(c.headers[i].name, "Host") == 0)
			c.headers[i].name = "host";
		else if (strcasecmp(c.headers[i].name, "X-Amz-Date") == 0)
			c.headers[i].name = "x-amz-date";
	}
	expect(&c.req, sigv4_vectors[0].secret, sigv4_vectors[0].now, 0, NULL);
}

static void
test_sigv4_rejects_date_outside_skew(void **state)
{
	struct req_copy c;
	size_t i;

	(void)state;
	/* The first vector's exact wording, with now 6 minutes off. */
	load(&sigv4_vectors[0], &c);
	assert_string_equal(sigv4_vectors[0].amz_date, "20250101T000000Z");
	expect(&c.req, sigv4_vectors[0].secret, sigv4_vectors[0].now + 360,
	    SIGV4_EXPIRED,
	    "Signature expired: 20250101T000000Z is now "
	    "earlier than 20250101T000100Z (20250101T000600Z - 5 min.)");
	expect(&c.req, sigv4_vectors[0].secret, sigv4_vectors[0].now - 360,
	    SIGV4_NOT_YET_VALID,
	    "Signature not yet current: 20250101T000000Z "
	    "is still later than 20241231T235900Z (20241231T235400Z + 5 "
	    "min.)");

	for (i = 0; i < N_VECTORS; i++) {
		const struct sigv4_vector *v = &sigv4_vectors[i];

		load(v, &c);
		expect(&c.req, v->secret, v->now + 360, SIGV4_EXPIRED, NULL);
		expect(&c.req, v->secret, v->now - 360, SIGV4_NOT_YET_VALID,
		    NULL);
		expect(&c.req, v->secret, v->now + 301, SIGV4_EXPIRED, NULL);
		expect(&c.req, v->secret, v->now - 301, SIGV4_NOT_YET_VALID,
		    NULL);
		/* The window's edges are inside it. */
		expect(&c.req, v->secret, v->now + 300, 0, NULL);
		expect(&c.req, v->secret, v->now - 300, 0, NULL);
	}
}

static void
test_sigv4_rejects_wrong_service_scope(void **state)
{
	struct sigv4_auth a;
	struct req_copy c;
	char *auth, *cause = NULL;
	size_t i;

	(void)state;
	for (i = 0; i < N_VECTORS; i++) {
		const struct sigv4_vector *v = &sigv4_vectors[i];

		load(v, &c);
		auth =
		    replace(get_header(&c, "Authorization"), "/ecr/", "/s3/");
		set_header(&c, "Authorization", auth);
		expect(&c.req, v->secret, v->now, SIGV4_BAD_SCOPE,
		    "Credential should be scoped to correct service: 'ecr'. ");
		free(auth);

		/* The expected service is the caller's, not the scope's. */
		load(v, &c);
		assert_int_equal(sigv4_parse(&c.req, &a, &cause), 0);
		assert_int_equal(sigv4_verify(&c.req, &a, v->secret, "sts",
		                     (time_t)v->now, &cause),
		    SIGV4_BAD_SCOPE);
		assert_string_equal(cause,
		    "Credential should be scoped to correct service: 'sts'. ");
		free(cause);
		cause = NULL;
	}
}

static void
test_sigv4_rejects_scope_date_other_than_request_date(void **state)
{
	struct req_copy c;
	char *auth;

	(void)state;
	load(&sigv4_vectors[0], &c);
	auth = replace(get_header(&c, "Authorization"), "/20250101/",
	    "/20250102/");
	set_header(&c, "Authorization", auth);
	expect(&c.req, sigv4_vectors[0].secret, sigv4_vectors[0].now,
	    SIGV4_BAD_SCOPE,
	    "Date in Credential scope does not match "
	    "YYYYMMDD from ISO-8601 version of date from HTTP: '20250102' != "
	    "'20250101', from '20250101T000000Z'.");
	free(auth);
}

static void
test_sigv4_requires_host_to_be_signed(void **state)
{
	struct req_copy c;
	char *auth;

	(void)state;
	load(&sigv4_vectors[0], &c);
	auth = replace(get_header(&c, "Authorization"),
	    "content-type;host;x-amz-date", "content-type;x-amz-date");
	set_header(&c, "Authorization", auth);
	expect(&c.req, sigv4_vectors[0].secret, sigv4_vectors[0].now,
	    SIGV4_MISMATCH,
	    "'Host' or ':authority' must be a 'SignedHeader' "
	    "in the AWS Authorization.");
	free(auth);
}

/* Changes to method, path and query: canonical equivalents still verify. */
static void
test_sigv4_request_line_is_canonicalised(void **state)
{
	static const struct {
		const char *vector;
		const char *method;
		const char *path;
		const char *query;
		int rc;
	} cases[] = {
	    {"registry_get_tags_list_query", "GET", "/v2/team-a/web/tags/list",
	        "last=a%20b&n=10", 0},
	    {"registry_get_tags_list_query", "get", "/v2/team-a/web/tags/list",
	        "n=10&last=a%20b", 0},
	    {"registry_get_tags_list_query", "GET",
	        "/v2/team-a/web/./tags//list", "n=10&last=a%20b", 0},
	    {"registry_get_tags_list_query", "GET",
	        "/v2/team-a/web/x/../tags/list", "n=10&last=a%20b", 0},
	    {"registry_get_tags_list_query", "GET", "/v2/team-a/web/tags/list",
	        "n=1%30&last=a%20b", 0},
	    {"registry_get_tags_list_query", "HEAD", "/v2/team-a/web/tags/list",
	        "n=10&last=a%20b", SIGV4_MISMATCH},
	    {"registry_get_tags_list_query", "GET", "/v2/team-a/web/tags/list/",
	        "n=10&last=a%20b", SIGV4_MISMATCH},
	    {"registry_get_tags_list_query", "GET", "/v2/team-a/Web/tags/list",
	        "n=10&last=a%20b", SIGV4_MISMATCH},
	    {"registry_get_tags_list_query", "GET", "/v2/team-a/web/tags/list",
	        "n=10&last=a+b", SIGV4_MISMATCH},
	    {"registry_get_tags_list_query", "GET", "/v2/team-a/web/tags/list",
	        "n=10", SIGV4_MISMATCH},
	    {"registry_get_tags_list_query", "GET", "/v2/team-a/web/tags/list",
	        "", SIGV4_MISMATCH},
	    {"get_percent_path_repeated_query_keys", "GET",
	        "/v2/team%2Da/a%2Fb/we%20b/manifests/v1.0~rc",
	        "flag=&a=0&a=1&b=2", 0},
	    {"get_percent_path_repeated_query_keys", "GET",
	        "/v2/team%2Da/a%2Fb/we%20b/manifests/v1.0~rc",
	        "flag&b=2&a=1&a=0", 0},
	    /* The path is signed encoded once more: %2F is not '/'. */
	    {"get_percent_path_repeated_query_keys", "GET",
	        "/v2/team%2Da/a/b/we%20b/manifests/v1.0~rc", "b=2&a=1&a=0&flag",
	        SIGV4_MISMATCH},
	    {"get_percent_path_repeated_query_keys", "GET",
	        "/v2/team-a/a%2Fb/we%20b/manifests/v1.0~rc", "b=2&a=1&a=0&flag",
	        SIGV4_MISMATCH},
	    {"dot_segments_and_double_slash_path", "GET",
	        "/v2/team-a/api/blobs/sha256:abc", "", 0},
	    {"dot_segments_and_double_slash_path", "GET",
	        "/v2/team-a/api/blobs/sha256%3Aabc", "", SIGV4_MISMATCH},
	    {"create_repository", "POST", "", "", 0},
	    {"create_repository", "POST", "/.", "", 0},
	    {"create_repository", "POST", "/x/..", "", 0},
	    {"create_repository", "POST", "/", "x=1", SIGV4_MISMATCH},
	};
	struct req_copy c;
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		for (k = 0; k < N_VECTORS; k++) {
			if (strcmp(sigv4_vectors[k].name, cases[i].vector) == 0)
				break;
		}
		assert_true(k < N_VECTORS);
		load(&sigv4_vectors[k], &c);
		c.req.method = cases[i].method;
		c.req.path = cases[i].path;
		c.req.query = cases[i].query;
		expect(&c.req, sigv4_vectors[k].secret, sigv4_vectors[k].now,
		    cases[i].rc, cases[i].rc == 0 ? NULL : MSG_MISMATCH);
	}
}

#define ALG "AWS4-HMAC-SHA256 "
#define CRED "Credential=AKIDEXAMPLE/20250101/us-east-1/ecr/aws4_request"
#define SH "SignedHeaders=host;x-amz-date"
#define HEX64                                                                  \
	"0123456789abcdef0123456789abcdef"                                     \
	"0123456789abcdef0123456789abcdef"
#define SIG "Signature=" HEX64
#define FULL ALG CRED ", " SH ", " SIG
#define REQ_CRED "Authorization header requires 'Credential' parameter. "
#define REQ_SIG "Authorization header requires 'Signature' parameter. "
#define REQ_SH "Authorization header requires 'SignedHeaders' parameter. "
#define REQ_DATE                                                               \
	"Authorization header requires existence of either a "                 \
	"'X-Amz-Date' or a 'Date' header. "
#define BAD_CRED(c)                                                            \
	"Credential must have exactly 5 slash-delimited "                      \
	"elements, e.g. keyid/date/region/service/term, got '" c "'"
#define NO_EQUAL(h)                                                            \
	"Invalid key=value pair (missing equal-sign) in "                      \
	"Authorization header (hashed with SHA-256 and encoded "               \
	"with Base64): '" h "'."
#define ISO_DATE(d)                                                            \
	"Date must be in ISO-8601 'basic format'. Got '" d                     \
	"'. See http://en.wikipedia.org/wiki/ISO_8601"

static void
test_sigv4_parse_rejects_malformed_authorization(void **state)
{
	static const struct {
		const char *auth;     /* NULL: no header */
		const char *amz_date; /* NULL: no X-Amz-Date */
		int rc;
		const char *cause;
	} cases[] = {
	    {NULL, "20250101T000000Z", SIGV4_MISSING,
	        "Request is missing Authentication Token"},
	    {"", "20250101T000000Z", SIGV4_INCOMPLETE,
	        REQ_CRED REQ_SIG REQ_SH "Authorization="},
	    {"AWS4-HMAC-SHA256", "20250101T000000Z", SIGV4_INCOMPLETE,
	        REQ_CRED REQ_SIG REQ_SH "Authorization=AWS4-HMAC-SHA256"},
	    {"AWS4-HMAC-SHA256", NULL, SIGV4_INCOMPLETE,
	        REQ_CRED REQ_SIG REQ_SH REQ_DATE
	        "Authorization=AWS4-HMAC-SHA256"},
	    {"garbage", "20250101T000000Z", SIGV4_INCOMPLETE,
	        REQ_CRED REQ_SIG REQ_SH "Authorization=garbage"},
	    {ALG SH ", " SIG, "20250101T000000Z", SIGV4_INCOMPLETE,
	        REQ_CRED "Authorization=" ALG SH ", " SIG},
	    {ALG CRED ", " SH, "20250101T000000Z", SIGV4_INCOMPLETE,
	        REQ_SIG "Authorization=" ALG CRED ", " SH},
	    {ALG CRED ", " SIG, "20250101T000000Z", SIGV4_INCOMPLETE,
	        REQ_SH "Authorization=" ALG CRED ", " SIG},
	    {FULL, NULL, SIGV4_INCOMPLETE, REQ_DATE "Authorization=" FULL},
	    {ALG CRED ", " SH ", Signature=", "20250101T000000Z",
	        SIGV4_INCOMPLETE,
	        REQ_SIG "Authorization=" ALG CRED ", " SH ", Signature="},
	    {"AWS4-HMAC-SHA512 " CRED ", " SH ", " SIG, "20250101T000000Z",
	        SIGV4_MALFORMED,
	        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'."},
	    {"AWS4-ECDSA-P256-SHA256 " CRED, NULL, SIGV4_MALFORMED,
	        "Unsupported AWS 'algorithm': 'AWS4-ECDSA-P256-SHA256'."},
	    {"Basic " CRED ", " SH ", " SIG, "20250101T000000Z",
	        SIGV4_MALFORMED, "Unsupported AWS 'algorithm': 'Basic'."},
	    {"Bearer abc", "20250101T000000Z", SIGV4_MALFORMED,
	        NO_EQUAL("ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=")},
	    {ALG "FooBar, " CRED ", " SH ", " SIG, "20250101T000000Z",
	        SIGV4_MALFORMED,
	        NO_EQUAL("DXSavhN3VzST4N90340SguRpZ3VKHrx8xjI5I6eIrVw=")},
	    {ALG "Credential=AKIDEXAMPLE/20250101/us-east-1/ecr, " SH ", " SIG,
	        "20250101T000000Z", SIGV4_MALFORMED,
	        BAD_CRED("AKIDEXAMPLE/20250101/us-east-1/ecr")},
	    {ALG "Credential=AKIDEXAMPLE, " SH ", " SIG, "20250101T000000Z",
	        SIGV4_MALFORMED, BAD_CRED("AKIDEXAMPLE")},
	    {ALG "Credential=AKIDEXAMPLE//us-east-1/ecr/aws4_request, " SH
	         ", " SIG,
	        "20250101T000000Z", SIGV4_MALFORMED,
	        BAD_CRED("AKIDEXAMPLE//us-east-1/ecr/aws4_request")},
	    {ALG "Credential=AKIDEXAMPLE/20250101/us-east-1/ecr/"
	         "aws4_request/x, " SH ", " SIG,
	        "20250101T000000Z", SIGV4_MALFORMED,
	        BAD_CRED("AKIDEXAMPLE/20250101/us-east-1/ecr/"
	                 "aws4_request/x")},
	    {ALG "Credential=AKIDEXAMPLE/20250101/us-east-1/ecr/"
	         "aws5_request, " SH ", " SIG,
	        "20250101T000000Z", SIGV4_BAD_SCOPE,
	        "Credential should be scoped with a valid "
	        "terminator: 'aws4_request', not 'aws5_request'. "},
	    {ALG "Credential=AKIDEXAMPLE/20250101/US_EAST/ecr/"
	         "aws4_request, " SH ", " SIG,
	        "20250101T000000Z", SIGV4_BAD_SCOPE,
	        "Credential should be scoped to a valid "
	        "region, not 'US_EAST'. "},
	    {ALG "Credential=AKIDEXAMPLE/2025011/us-east-1/ecr/"
	         "aws4_request, " SH ", " SIG,
	        "20250101T000000Z", SIGV4_BAD_SCOPE,
	        "Date in Credential scope does not match "
	        "YYYYMMDD from ISO-8601 version of date from HTTP: "
	        "'2025011' != '20250101', from '20250101T000000Z'."},
	    {ALG CRED ", " SH ", Signature=" HEX64 "0", "20250101T000000Z",
	        SIGV4_MALFORMED,
	        "Authorization header has an invalid "
	        "'Signature' parameter: '" HEX64 "0'."},
	    {ALG CRED ", " SH ", Signature=0123", "20250101T000000Z",
	        SIGV4_MALFORMED,
	        "Authorization header has an invalid "
	        "'Signature' parameter: '0123'."},
	    {ALG CRED ", " SH ", Signature=zz23456789abcdef"
	              "0123456789abcdef0123456789abcdef0123456789abcdef",
	        "20250101T000000Z", SIGV4_MALFORMED,
	        "Authorization header has an invalid "
	        "'Signature' parameter: 'zz23456789abcdef0123456789abcdef"
	        "0123456789abcdef0123456789abcdef'."},
	    {ALG CRED ", SignedHeaders=host;;x-amz-date, " SIG,
	        "20250101T000000Z", SIGV4_MALFORMED,
	        "Authorization header "
	        "has an invalid 'SignedHeaders' parameter: "
	        "'host;;x-amz-date'."},
	    {ALG CRED ", SignedHeaders=host; x-amz-date, " SIG,
	        "20250101T000000Z", SIGV4_MALFORMED,
	        "Authorization header "
	        "has an invalid 'SignedHeaders' parameter: "
	        "'host; x-amz-date'."},
	    {ALG CRED ", SignedHeaders=host;, " SIG, "20250101T000000Z",
	        SIGV4_MALFORMED,
	        "Authorization header "
	        "has an invalid 'SignedHeaders' parameter: 'host;'."},
	    {FULL, "2025-01-01T00:00:00Z", SIGV4_MALFORMED,
	        ISO_DATE("2025-01-01T00:00:00Z")},
	    {FULL, "20250230T000000Z", SIGV4_MALFORMED,
	        ISO_DATE("20250230T000000Z")},
	    {FULL, "20250101T240000Z", SIGV4_MALFORMED,
	        ISO_DATE("20250101T240000Z")},
	    {FULL, "20250101", SIGV4_MALFORMED, ISO_DATE("20250101")},
	    {FULL, "", SIGV4_MALFORMED, ISO_DATE("")},
	    /* Any spacing, any order. */
	    {"  AWS4-HMAC-SHA256   " SIG ",  " SH "," CRED " , ",
	        "20250101T000000Z", 0, NULL},
	    {ALG CRED "," SH "," SIG, "20250101T000000Z", 0, NULL},
	    {ALG CRED " ,\t" SH " , " SIG, "20250101T000000Z", 0, NULL},
	    {ALG " Credential = AKIDEXAMPLE/20250101/us-east-1/ecr/"
	         "aws4_request , " SH ", " SIG,
	        "20250101T000000Z", 0, NULL},
	    {FULL ", Extra=ignored", "20250101T000000Z", 0, NULL},
	};
	struct sigv4_header hs[3];
	struct sigv4_request req;
	struct sigv4_auth a, before;
	char *cause;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&req, 0, sizeof req);
		req.method = "POST";
		req.path = "/";
		req.query = "";
		req.headers = hs;
		hs[0].name = "Host";
		hs[0].value = "127.0.0.1:48213";
		req.n_headers = 1;
		if (cases[i].amz_date != NULL) {
			hs[req.n_headers].name = "X-Amz-Date";
			hs[req.n_headers++].value = cases[i].amz_date;
		}
		if (cases[i].auth != NULL) {
			hs[req.n_headers].name = "Authorization";
			hs[req.n_headers++].value = cases[i].auth;
		}
		memset(&a, 0x5a, sizeof a);
		before = a;
		cause = NULL;
		rc = sigv4_parse(&req, &a, &cause);
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d, want %d (%s)", i, rc,
			    cases[i].rc, cause == NULL ? "" : cause);
		if (rc == 0) {
			assert_null(cause);
			assert_string_equal(a.access_key, "AKIDEXAMPLE");
			assert_string_equal(a.date, "20250101");
			assert_string_equal(a.region, "us-east-1");
			assert_string_equal(a.service, "ecr");
			assert_string_equal(a.signature, HEX64);
			assert_string_equal(a.signed_headers,
			    "host;x-amz-date");
			assert_string_equal(a.amz_date, "20250101T000000Z");
			assert_null(a.security_token);
			continue;
		}
		assert_non_null(cause);
		if (strcmp(cause, cases[i].cause) != 0)
			fail_msg("case %zu: cause\n  %s\nwant\n  %s", i, cause,
			    cases[i].cause);
		assert_memory_equal(&a, &before, sizeof a);
		free(cause);
	}
}

/* Build "prefix" + n copies of c + "suffix"; the caller frees. */
static char *
repeat(const char *prefix, char c, size_t n, const char *suffix)
{
	char *s;
	size_t len = strlen(prefix);

	s = xmalloc(len + n + strlen(suffix) + 1);
	memcpy(s, prefix, len);
	memset(s + len, c, n);
	memcpy(s + len + n, suffix, strlen(suffix) + 1);
	return s;
}

static void
test_sigv4_parse_rejects_over_long_fields(void **state)
{
	static const struct {
		const char *prefix;
		size_t n;
		const char *suffix;
		int rc;
	} cases[] = {
	    /* The whole header. */
	    {FULL ", X=", SIGV4_AUTH_HEADER_MAX, "", SIGV4_MALFORMED},
	    {"", SIGV4_AUTH_HEADER_MAX + 1, "", SIGV4_MALFORMED},
	    /* Each field one past its array. */
	    {ALG "Credential=", 129,
	        "/20250101/us-east-1/ecr/aws4_request, " SH ", " SIG,
	        SIGV4_MALFORMED},
	    {ALG "Credential=AKID/20250101/", 33,
	        "/ecr/aws4_request, " SH ", " SIG, SIGV4_MALFORMED},
	    {ALG "Credential=AKID/20250101/us-east-1/", 33,
	        "/aws4_request, " SH ", " SIG, SIGV4_MALFORMED},
	    {ALG CRED ", " SIG ", SignedHeaders=host;", 1020, "",
	        SIGV4_MALFORMED},
	    /* And at their limits they fit. */
	    {ALG "Credential=", 128,
	        "/20250101/us-east-1/ecr/aws4_request, " SH ", " SIG, 0},
	    {ALG "Credential=AKID/20250101/us-east-1/", 32,
	        "/aws4_request, " SH ", " SIG, 0},
	    {ALG CRED ", " SIG ", SignedHeaders=host;", 1018, "", 0},
	};
	struct sigv4_header hs[3];
	struct sigv4_request req;
	struct sigv4_auth a;
	char *auth, *cause;
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		auth =
		    repeat(cases[i].prefix, 'a', cases[i].n, cases[i].suffix);
		memset(&req, 0, sizeof req);
		hs[0].name = "Host";
		hs[0].value = "h";
		hs[1].name = "X-Amz-Date";
		hs[1].value = "20250101T000000Z";
		hs[2].name = "Authorization";
		hs[2].value = auth;
		req.headers = hs;
		req.n_headers = 3;
		cause = NULL;
		rc = sigv4_parse(&req, &a, &cause);
		if (rc != cases[i].rc)
			fail_msg("case %zu: rc %d, want %d (%s)", i, rc,
			    cases[i].rc, cause == NULL ? "" : cause);
		assert_true((rc == 0) == (cause == NULL));
		free(cause);
		free(auth);
	}
}

static void
test_sigv4_reads_date_header_when_no_x_amz_date(void **state)
{
	static const struct {
		const char *date;
		int rc;
		const char *amz;
	} cases[] = {
	    {"Fri, 04 Jul 2025 18:45:30 GMT", 0, "20250704T184530Z"},
	    {"Fri, 04 Jul 2025 18:45:30 -0000", 0, "20250704T184530Z"},
	    {"4 Jul 2025 18:45:30 +0000", 0, "20250704T184530Z"},
	    {"Thu, 29 Feb 2024 23:59:59 UTC", 0, "20240229T235959Z"},
	    {"Fri, 04 Jul 2025 18:45:30 +0200", SIGV4_MALFORMED, NULL},
	    {"Fri, 04 Jly 2025 18:45:30 GMT", SIGV4_MALFORMED, NULL},
	    {"Fri, 29 Feb 2025 18:45:30 GMT", SIGV4_MALFORMED, NULL},
	    {"Fri, 04 Jul 2025 18:45 GMT", SIGV4_MALFORMED, NULL},
	    {"2025-07-04T18:45:30Z", SIGV4_MALFORMED, NULL},
	    {"", SIGV4_MALFORMED, NULL},
	};
	struct sigv4_header hs[2];
	struct sigv4_request req;
	struct sigv4_auth a;
	char *cause;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&req, 0, sizeof req);
		hs[0].name = "Date";
		hs[0].value = cases[i].date;
		hs[1].name = "Authorization";
		hs[1].value = ALG "Credential=AKID/20250704/us-east-1/ecr/"
		                  "aws4_request, " SH ", " SIG;
		req.headers = hs;
		req.n_headers = 2;
		cause = NULL;
		assert_int_equal(sigv4_parse(&req, &a, &cause), cases[i].rc);
		if (cases[i].rc == 0)
			assert_string_equal(a.amz_date, cases[i].amz);
		free(cause);
	}
}

static void
test_sigv4_accepts_uppercase_hex_signature(void **state)
{
	struct req_copy c;
	char *auth, *upper;
	size_t i;

	(void)state;
	load(&sigv4_vectors[0], &c);
	upper = xstrdup(sigv4_vectors[0].signature);
	for (i = 0; upper[i] != '\0'; i++) {
		if (upper[i] >= 'a' && upper[i] <= 'f')
			upper[i] = (char)(upper[i] - 'a' + 'A');
	}
	auth = replace(get_header(&c, "Authorization"),
	    sigv4_vectors[0].signature, upper);
	set_header(&c, "Authorization", auth);
	expect(&c.req, sigv4_vectors[0].secret, sigv4_vectors[0].now, 0, NULL);
	free(auth);
	free(upper);
}

static void
test_sigv4_refuses_request_too_large_to_canonicalise(void **state)
{
	struct req_copy c;
	char *path, *cause = NULL;

	(void)state;
	/* Each '%' becomes "%25", so this passes SIGV4_CANONICAL_MAX. */
	path = repeat("/", '%', SIGV4_CANONICAL_MAX / 3 + 1, "");
	load(&sigv4_vectors[0], &c);
	c.req.path = path;
	assert_int_equal(check(&c.req, sigv4_vectors[0].secret,
	                     sigv4_vectors[0].now, &cause),
	    SIGV4_MALFORMED);
	assert_string_equal(cause,
	    "Request is too large to verify its signature.");
	free(cause);
	free(path);
}

static void
test_sigv4_request_time_is_the_parsed_date(void **state)
{
	static const struct {
		const char *amz_date;
		int rc;
		int64_t want;
	} cases[] = {
	    {"20150830T123600Z", 0, 1440938160},
	    {"19700101T000000Z", 0, 0},
	    {"20000229T235959Z", 0, 951868799},
	    {"2015083T123600Z", -1, 0},
	    {"", -1, 0},
	};
	struct sigv4_auth auth;
	int64_t t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&auth, 0, sizeof auth);
		snprintf(auth.amz_date, sizeof auth.amz_date, "%s",
		    cases[i].amz_date);
		t = -7;
		assert_int_equal(sigv4_request_time(&auth, &t), cases[i].rc);
		if (cases[i].rc == 0)
			assert_true(t == cases[i].want);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sigv4_verifies_botocore_vectors),
	    cmocka_unit_test(test_sigv4_cache_gives_uncached_verdicts),
	    cmocka_unit_test(
	        test_sigv4_cache_misses_on_changed_secret_date_or_region),
	    cmocka_unit_test(test_sigv4_rejects_wrong_secret),
	    cmocka_unit_test(test_sigv4_rejects_changed_body),
	    cmocka_unit_test(test_sigv4_takes_streamed_payload_hash),
	    cmocka_unit_test(test_sigv4_unsigned_payload_ignores_body),
	    cmocka_unit_test(test_sigv4_rejects_changed_signed_header),
	    cmocka_unit_test(test_sigv4_ignores_unsigned_headers),
	    cmocka_unit_test(test_sigv4_header_names_are_case_insensitive),
	    cmocka_unit_test(test_sigv4_rejects_date_outside_skew),
	    cmocka_unit_test(test_sigv4_rejects_wrong_service_scope),
	    cmocka_unit_test(
	        test_sigv4_rejects_scope_date_other_than_request_date),
	    cmocka_unit_test(test_sigv4_requires_host_to_be_signed),
	    cmocka_unit_test(test_sigv4_request_line_is_canonicalised),
	    cmocka_unit_test(test_sigv4_parse_rejects_malformed_authorization),
	    cmocka_unit_test(test_sigv4_parse_rejects_over_long_fields),
	    cmocka_unit_test(test_sigv4_reads_date_header_when_no_x_amz_date),
	    cmocka_unit_test(test_sigv4_accepts_uppercase_hex_signature),
	    cmocka_unit_test(
	        test_sigv4_refuses_request_too_large_to_canonicalise),
	    cmocka_unit_test(test_sigv4_request_time_is_the_parsed_date),
	    cmocka_unit_test(test_sigv4_sign_matches_botocore_vectors),
	    cmocka_unit_test(test_sigv4_sign_needs_a_date),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
