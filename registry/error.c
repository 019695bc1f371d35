/* registry/error.c: the only place a registry error code is spelled. */
#include "registry/error.h"

#include <string.h>

#include <json-c/json.h>

#include "common/json.h"

struct reg_errdef {
	const char *code;
	int status;
	const char *message;
};

/*
 * The distribution spec's codes with its words (docs/registry-behaviour.md
 * 3, end-1 to end-10). Where ecrd departs from the spec's status, or a code
 * goes out with two, the entry says why.
 */
static const struct reg_errdef regdefs[REG__COUNT] = {
    [REG_BLOB_UNKNOWN] = {"BLOB_UNKNOWN", 404, "blob unknown to registry"},
    [REG_BLOB_UPLOAD_INVALID] = {"BLOB_UPLOAD_INVALID", 400,
        "blob upload invalid"},
    /* A chunk out of order or racing another: the spec's 416 (end-5). */
    [REG_BLOB_UPLOAD_RANGE] = {"BLOB_UPLOAD_INVALID", 416,
        "blob upload invalid"},
    [REG_BLOB_UPLOAD_UNKNOWN] = {"BLOB_UPLOAD_UNKNOWN", 404,
        "blob upload unknown to registry"},
    [REG_DENIED] = {"DENIED", 403,
        "requested access to the resource is denied"},
    [REG_DIGEST_INVALID] = {"DIGEST_INVALID", 400,
        "provided digest did not match uploaded content"},
    [REG_MANIFEST_BLOB_UNKNOWN] = {"MANIFEST_BLOB_UNKNOWN", 400,
        "manifest references a manifest or blob unknown to registry"},
    [REG_MANIFEST_INVALID] = {"MANIFEST_INVALID", 400, "manifest invalid"},
    [REG_MANIFEST_UNKNOWN] = {"MANIFEST_UNKNOWN", 404,
        "manifest unknown to registry"},
    /*
     * A method the endpoint (or ecrd) does not do at all: the spec's 405
     * (end-9, end-10). A refused parameter of a supported call stays
     * REG_UNSUPPORTED, 400, as ECR answers it (registry-behaviour 4).
     */
    [REG_METHOD_UNSUPPORTED] = {"UNSUPPORTED", 405,
        "the operation is unsupported"},
    [REG_NAME_UNKNOWN] = {"NAME_UNKNOWN", 404,
        "repository name not known to registry"},
    /*
     * A blob GET's Range past the end: the spec gives 416 and no code;
     * distribution's RANGE_INVALID is the one that says so.
     */
    [REG_RANGE_INVALID] = {"RANGE_INVALID", 416, "invalid content range"},
    /*
     * Over ecrd's size limit, the spec's 413 for a manifest; for a layer
     * ECR's answer is [unconfirmed] and SIZE_INVALID is the nearest code.
     */
    [REG_SIZE_INVALID] = {"SIZE_INVALID", 413,
        "provided length did not match content length"},
    [REG_TAG_INVALID] = {"TAG_INVALID", 400, "manifest tag did not match URI"},
    /* Throttled (--throttle): the spec's 429; ECR says "Rate exceeded". */
    [REG_TOO_MANY_REQUESTS] = {"TOOMANYREQUESTS", 429, "too many requests"},
    [REG_UNAUTHORIZED] = {"UNAUTHORIZED", 401, "authentication required"},
    /* The spec has no code for a server fault; distribution's UNKNOWN. */
    [REG_UNKNOWN] = {"UNKNOWN", 500, "unknown error"},
    [REG_UNSUPPORTED] = {"UNSUPPORTED", 400, "the operation is unsupported"},
};

const char *
reg_error_code(enum reg_errcode code)
{
	if (code <= REG_NONE || code >= REG__COUNT)
		return regdefs[REG_UNKNOWN].code;
	return regdefs[code].code;
}

int
reg_error_status(enum reg_errcode code)
{
	if (code <= REG_NONE || code >= REG__COUNT)
		return regdefs[REG_UNKNOWN].status;
	return regdefs[code].status;
}

const char *
reg_error_message(enum reg_errcode code)
{
	if (code <= REG_NONE || code >= REG__COUNT)
		return regdefs[REG_UNKNOWN].message;
	return regdefs[code].message;
}

enum reg_errcode
reg_error_lookup(const char *code)
{
	int i;

	for (i = REG_NONE + 1; i < REG__COUNT; i++) {
		if (strcmp(regdefs[i].code, code) == 0)
			return (enum reg_errcode)i;
	}
	return REG_NONE;
}

/* Through the one JSON writer, as ECR's error bodies (api/error.c). */
char *
reg_error_body(enum reg_errcode code, const char *message, size_t *len)
{
	struct json_object *o = jnew_obj(), *errors = jnew_arr();
	struct json_object *e = jnew_obj();
	char *body;

	jadd_str(e, "code", reg_error_code(code));
	jadd_str(e, "message",
	    message != NULL ? message : reg_error_message(code));
	jpush(errors, e);
	jadd_obj(o, "errors", errors);
	body = jrender(o, len);
	json_object_put(o);
	return body;
}
