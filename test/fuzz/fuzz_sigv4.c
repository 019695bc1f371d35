/*
 * libFuzzer harness for auth/sigv4.c with a fixed credential set. The input
 * is a request as text: "METHOD TARGET" on the first line, "Name: value"
 * header lines, an empty line, then the body. A request sigv4_parse accepts
 * is verified with its access key's secret (or a wrong one for an unknown
 * key) at the time its X-Amz-Date names, so the fuzzer reaches the
 * signature check itself, and once more a day later.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/creds.h"
#include "auth/sigv4.h"
#include "common/xalloc.h"

#define HEADERS_MAX 32

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The botocore example key the seeds (test/data/sigv4_vectors.h) use. */
static const char creds_text[] =
    "{\"principals\": ["
    "{\"accessKeyId\": \"AKIAIOSFODNN7EXAMPLE\", "
    "\"secretAccessKey\": \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\", "
    "\"arn\": \"arn:aws:iam::111111111111:user/ci\"}, "
    "{\"accessKeyId\": \"ASIAFUZZ\", \"secretAccessKey\": \"s\", "
    "\"sessionToken\": \"token\", "
    "\"arn\": \"arn:aws:sts::222222222222:assumed-role/r/s1\"}]}";

static struct creds *creds;

/* Cut the line starting at *p at its '\n' (and '\r'); NULL at the end. */
static char *
next_line(char **p, char *end)
{
	char *line = *p, *nl;

	if (line >= end)
		return NULL;
	if ((nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
		nl = end;
	*nl = '\0';
	if (nl > line && nl[-1] == '\r')
		nl[-1] = '\0';
	*p = nl + 1;
	return line;
}

/* The request time sigv4_parse read, or a fixed one if it has no sense. */
static time_t
request_time(const struct sigv4_auth *auth)
{
	int64_t t;

	if (sigv4_request_time(auth, &t) != 0)
		return 1735689600;
	return (time_t)t;
}

static void
check(const struct sigv4_request *req)
{
	struct sigv4_auth auth;
	const struct cred *cred;
	const char *secret = "not-the-secret";
	char *cause = NULL;
	time_t now;

	if (sigv4_parse(req, &auth, &cause) != 0) {
		free(cause);
		return;
	}
	if ((cred = creds_find(creds, auth.access_key)) != NULL)
		secret = cred->secret_access_key;
	now = request_time(&auth);
	(void)sigv4_verify(req, &auth, secret, "ecr", now, &cause);
	free(cause);
	cause = NULL;
	(void)sigv4_verify(req, &auth, secret, "ecr", now + 86400, &cause);
	free(cause);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sigv4_header headers[HEADERS_MAX];
	struct sigv4_request req;
	char *text, *p, *end, *line, *sp, *colon;
	char *cause = NULL;

	if (creds == NULL && creds_parse(creds_text, sizeof creds_text - 1,
	                         &creds, &cause) != 0) {
		fprintf(stderr, "credentials: %s\n", cause);
		abort();
	}
	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	p = text;
	end = text + size;
	memset(&req, 0, sizeof req);
	req.headers = headers;
	if ((line = next_line(&p, end)) == NULL ||
	    (sp = strchr(line, ' ')) == NULL)
		goto out;
	*sp = '\0';
	req.method = line;
	req.path = sp + 1;
	req.query = "";
	if ((sp = strchr(sp + 1, '?')) != NULL) {
		*sp = '\0';
		req.query = sp + 1;
	}
	while ((line = next_line(&p, end)) != NULL && *line != '\0' &&
	       req.n_headers < HEADERS_MAX) {
		if ((colon = strchr(line, ':')) == NULL)
			continue;
		*colon++ = '\0';
		while (*colon == ' ')
			colon++;
		headers[req.n_headers].name = line;
		headers[req.n_headers++].value = colon;
	}
	if (p < end) {
		req.body = (const unsigned char *)p;
		req.body_len = (size_t)(end - p);
	}
	check(&req);
out:
	free(text);
	return 0;
}
