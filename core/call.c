/*
 * What every handler uses from its call: one-line failures in ECR's
 * words, and strings that live as long as the call.
 */
#include "core/core_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "store/store.h"

int
core_fail(struct call *call, enum ecr_errcode code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	ecr_error_setv(&call->err, code, fmt, ap);
	va_end(ap);
	return -1;
}

int
core_fail_param(struct call *call, const char *member, const char *detail)
{
	return core_fail(call, ERR_INVALID_PARAMETER,
	    "Invalid parameter at "
	    "'%s' failed to satisfy constraint: '%s'",
	    member, detail);
}

int
core_fail_no_repo(struct call *call, const char *name)
{
	return core_fail(call, ERR_REPOSITORY_NOT_FOUND,
	    "The repository with "
	    "name '%s' does not exist in the registry with id '%s'",
	    name, call->registry_id);
}

/* A 500 never details the cause to the client (STYLE.md 4). */
static int
fail_server(struct call *call)
{
	return core_fail(call, ERR_SERVER,
	    "An internal error occurred. "
	    "Retry the request (request id %s).",
	    call->request_id);
}

int
core_fail_store(struct call *call, int rc)
{
	const char *cause = store_io_cause(call->ctx->store);

	if ((rc == STORE_IO || rc == STORE_NOSPACE) && cause[0] != '\0')
		log_error("request %s: store: %s (%s)", call->request_id,
		    store_strerror(rc), cause);
	else
		log_error("request %s: store: %s", call->request_id,
		    store_strerror(rc));
	return fail_server(call);
}

int
core_fail_render(struct call *call)
{
	log_error("request %s: the answer is over the render limit (%d "
	          "bytes)",
	    call->request_id, JSON_RENDER_MAX);
	ecr_error_clear(&call->err);
	return fail_server(call);
}

char *
call_take(struct call *call, char *owned_s)
{
	call->arena =
	    xreallocarray(call->arena, call->n_arena + 1, sizeof *call->arena);
	call->arena[call->n_arena++] = owned_s;
	return owned_s;
}

char *
call_printf(struct call *call, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return call_take(call, s);
}
