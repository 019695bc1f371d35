/*
 * --throttle (docs/observability.md, "Throttling and faults"): each API
 * and registry call takes a token from its account's, region's and
 * operation's bucket (core/throttle.c) before any other work, or is
 * refused as ECR refuses it: 400 ThrottlingException "Rate exceeded" on
 * the API, 429 TOOMANYREQUESTS with Retry-After on the registry. The
 * refusal goes out as soon as the head is in, so a refused body is never
 * read (the connection then closes, as after any early answer).
 */
#include "server/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "registry/registry.h"
#include "auth/sigv4.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "server/http.h"

/* ECR's words on both protocols (docs/ecr-behaviour.md 1.4, 5). */
#define RATE_EXCEEDED "Rate exceeded"

/* OPERATION=N: an ECR operation and a whole number of calls a second. */
static int
add_rate(struct throttle *t, const char *arg, char **cause)
{
	const char *eq = strchr(arg, '='), *name, *errstr;
	char op[THROTTLE_OP_MAX];
	uint64_t n;

	if (eq == NULL || (size_t)(eq - arg) >= sizeof op) {
		*cause = xasprintf("--throttle-rate takes OPERATION=N, not "
		                   "'%s'",
		    arg);
		return -1;
	}
	memcpy(op, arg, (size_t)(eq - arg));
	op[eq - arg] = '\0';
	if ((name = api_op_of_target(op, true)) == NULL) {
		*cause = xasprintf("--throttle-rate: '%s' is not an ECR "
		                   "operation",
		    op);
		return -1;
	}
	if (parse_u64(eq + 1, 0, THROTTLE_RATE_MAX, &n, &errstr) != 0) {
		*cause = xasprintf("--throttle-rate %s: '%s' is %s (from 0 to "
		                   "%d calls a second)",
		    op, eq + 1, errstr, THROTTLE_RATE_MAX);
		return -1;
	}
	throttle_set_rate(t, name, (uint32_t)n);
	return 0;
}

struct throttle *
throttle_from_flags(const char *const *rates, size_t n, char **cause)
{
	struct throttle *t = throttle_new();
	size_t i;

	for (i = 0; i < n; i++) {
		if (add_rate(t, rates[i], cause) != 0) {
			throttle_free(t);
			return NULL;
		}
	}
	return t;
}

static int64_t
monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Take op's token: 0, or -1 with the wait in *retry_ms. */
static int
take(struct server *srv, struct http_request *req, const char *account,
    const char *region, const char *op, int64_t *retry_ms)
{
	struct route_state *st = req->app_data;

	if (throttle_take(srv->throttle, account, region, op, monotonic_ms(),
	        retry_ms) == 0)
		return 0;
	/* The access log names what was refused. */
	(void)str_copy(st->op, sizeof st->op, op);
	return -1;
}

bool
throttle_api(struct server *srv, struct http_request *req)
{
	char account[13], region[CORE_SCOPE_REGION_SIZE];
	struct sigv4_header *hs;
	struct sigv4_request sr;
	const char *op;
	int64_t retry_ms;
	int rc;

	if (srv->throttle == NULL)
		return false;
	/* An unknown target or caller is refused later, unthrottled. */
	op = api_op_of_target(http_request_header(req, "X-Amz-Target"), false);
	if (op == NULL)
		return false;
	hs = sigv4_request_of(req, &sr);
	rc = core_scope(srv->api, &sr, account, region);
	free(hs);
	if (rc != 0 || take(srv, req, account, region, op, &retry_ms) == 0)
		return false;
	answer_aws_error(req, NULL, ecr_error_status(ERR_THROTTLING),
	    ERR_THROTTLING, RATE_EXCEEDED);
	return true;
}

bool
throttle_reg(struct server *srv, struct http_request *req,
    const struct api_reg_request *rq)
{
	char account[13], region[CORE_SCOPE_REGION_SIZE], after[24];
	const char *action;
	struct answer a;
	int64_t retry_ms;

	if (srv->throttle == NULL || (action = api_reg_action(rq)) == NULL ||
	    !str_has_prefix(action, "ecr:") ||
	    api_reg_scope(srv->api, rq, account, region) != 0 ||
	    take(srv, req, account, region, action + 4, &retry_ms) == 0)
		return false;
	/* Whole seconds, rounded up: a client waiting that long gets in. */
	snprintf(after, sizeof after, "%lld",
	    (long long)((retry_ms + 999) / 1000));
	answer_init(&a, 0, NULL);
	answer_header(&a, "Docker-Distribution-Api-Version", "registry/2.0");
	answer_header(&a, "Retry-After", after);
	answer_reg_error(req, &a, REG_TOO_MANY_REQUESTS, RATE_EXCEEDED);
	return true;
}
