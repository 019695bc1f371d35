/* The registry's error table: the only place a registry code is spelled. */
#ifndef ECRD_REGISTRY_ERROR_H
#define ECRD_REGISTRY_ERROR_H

#include <stddef.h>

/*
 * The registry's error vocabulary (docs/registry-behaviour.md 3): one
 * entry per code and status it goes out with. A code that goes out with two
 * statuses has two entries, each saying why.
 */
enum reg_errcode {
	REG_NONE = 0,
	REG_BLOB_UNKNOWN,
	REG_BLOB_UPLOAD_INVALID,
	REG_BLOB_UPLOAD_RANGE,
	REG_BLOB_UPLOAD_UNKNOWN,
	REG_DENIED,
	REG_DIGEST_INVALID,
	REG_MANIFEST_BLOB_UNKNOWN,
	REG_MANIFEST_INVALID,
	REG_MANIFEST_UNKNOWN,
	REG_METHOD_UNSUPPORTED,
	REG_NAME_UNKNOWN,
	REG_RANGE_INVALID,
	REG_SIZE_INVALID,
	REG_TAG_INVALID,
	REG_TOO_MANY_REQUESTS,
	REG_UNAUTHORIZED,
	REG_UNKNOWN,
	REG_UNSUPPORTED,
	REG__COUNT
};

/* The wire code ("NAME_UNKNOWN"), HTTP status and the spec's message. */
const char *reg_error_code(enum reg_errcode);
int reg_error_status(enum reg_errcode);
const char *reg_error_message(enum reg_errcode);
/* The first entry with that wire code, or REG_NONE. */
enum reg_errcode reg_error_lookup(const char *code);
/*
 * The JSON body of a registry error: {"errors":[{"code", "message"}]}, the
 * table's message when message is NULL. The caller frees the result.
 */
char *reg_error_body(enum reg_errcode, const char *message, size_t *len);

#endif
