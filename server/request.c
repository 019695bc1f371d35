/*
 * What a request carries besides its body: its per-request state, and the
 * admin endpoints' query parameters, refused in ECR's words.
 */
#include "server/server.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "api/api.h"
#include "common/parse.h"
#include "common/str.h"
#include "server/http.h"

#define PARAM_NUM_MAX 32 /* longer is no number we take */

void
route_state_set_proto(struct route_state *st, void *owned,
    void (*proto_free)(void *))
{
	if (st->proto_free != NULL)
		st->proto_free(st->proto);
	st->proto = owned;
	st->proto_free = proto_free;
}

const char *
request_query(const char *query, const char *name, char *dst, size_t size)
{
	return str_query_value(query, name, dst, size) == 0 ? dst : NULL;
}

/* Answer 400 InvalidParameterException with the message; returns -1. */
static int __attribute__((format(printf, 2, 3)))
param_refuse(struct http_request *req, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	answer_aws_error(req, NULL, 400, ERR_INVALID_PARAMETER, msg);
	return -1;
}

int
request_param(struct http_request *req, const char *name, char *dst,
    size_t size)
{
	int rc;

	if ((rc = str_query_value(req->query, name, dst, size)) != -2)
		return rc == 0 ? 1 : 0;
	return param_refuse(req,
	    "%s must be at most %zu bytes and hold no "
	    "NUL",
	    name, size - 1);
}

int
request_param_num(struct http_request *req, const char *name, int64_t min,
    int64_t max, int64_t *out)
{
	const char *errstr;
	char text[PARAM_NUM_MAX];
	int rc;

	/* Too long or holding a NUL is no number either. */
	if ((rc = str_query_value(req->query, name, text, sizeof text)) == -1)
		return 0;
	if (rc == 0 && parse_i64(text, min, max, out, &errstr) == 0)
		return 1;
	return param_refuse(req,
	    "%s must be a whole number from %" PRId64 " to %" PRId64, name, min,
	    max);
}

int
request_param_num_required(struct http_request *req, const char *name,
    int64_t min, int64_t max, int64_t *out)
{
	int rc;

	if ((rc = request_param_num(req, name, min, max, out)) != 0)
		return rc;
	return param_refuse(req, "%s is required", name);
}

/* A present value must satisfy is_valid; must says what it must be. */
static int
param_checked(struct http_request *req, const char *name, char *dst,
    size_t size, bool (*is_valid)(const char *), const char *must)
{
	int rc;

	if ((rc = str_query_value(req->query, name, dst, size)) == -1)
		return 0;
	if (rc == 0 && is_valid(dst))
		return 1;
	return param_refuse(req, "%s must %s", name, must);
}

int
request_param_account(struct http_request *req, const char *name,
    char dst[REQUEST_ACCOUNT_SIZE])
{
	return param_checked(req, name, dst, REQUEST_ACCOUNT_SIZE,
	    core_is_account_id, "be a 12-digit account ID");
}

int
request_param_region(struct http_request *req, const char *name,
    char dst[REQUEST_REGION_SIZE])
{
	return param_checked(req, name, dst, REQUEST_REGION_SIZE,
	    core_is_region, "be a region name such as us-east-1");
}

int
request_param_registry(struct http_request *req, const char *def_account,
    const char *def_region, char acct[REQUEST_ACCOUNT_SIZE],
    char rgn[REQUEST_REGION_SIZE])
{
	int rc;

	if ((rc = request_param_account(req, "account", acct)) < 0)
		return -1;
	if (rc == 0)
		str_copy(acct, REQUEST_ACCOUNT_SIZE, def_account);
	if ((rc = request_param_region(req, "region", rgn)) < 0)
		return -1;
	if (rc == 0)
		str_copy(rgn, REQUEST_REGION_SIZE, def_region);
	return 0;
}
