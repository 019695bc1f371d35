/* The ECR error vocabulary: every __type ecrd can answer (STYLE.md 4). */
#ifndef ECRD_API_ERROR_H
#define ECRD_API_ERROR_H

#include <stddef.h>

#include "core/error.h"

struct json_object;

/* The wire name ("RepositoryNotFoundException") and HTTP status of a code. */
const char *ecr_error_type(enum ecr_errcode);
int ecr_error_status(enum ecr_errcode);
/* Look a wire name up; ERR_NONE if it is not ours. */
enum ecr_errcode ecr_error_lookup(const char *);

/*
 * The JSON body of an ECR error: {"__type": type, "message": message,
 * ...extra} (no message member when message is NULL; extra's members are
 * borrowed). The caller frees the result; *len is its length.
 */
char *ecr_error_body(const char *type, const char *message,
    struct json_object *extra, size_t *len);

#endif
