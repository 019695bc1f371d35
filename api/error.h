/* The ECR error vocabulary: every __type ecrd can answer (STYLE.md 4). */
#ifndef ECRD_API_ERROR_H
#define ECRD_API_ERROR_H

#include <stdarg.h>
#include <stddef.h>

struct json_object;

enum ecr_errcode {
	ERR_NONE = 0,
	ERR_ACCESS_DENIED,
	ERR_BLOCKED_BY_ORGANIZATION_POLICY,
	ERR_EMPTY_UPLOAD,
	ERR_EXCLUSION_ALREADY_EXISTS,
	ERR_EXCLUSION_NOT_FOUND,
	ERR_EXPIRED_TOKEN,
	ERR_IMAGE_ALREADY_EXISTS,
	ERR_IMAGE_ARCHIVED,
	ERR_IMAGE_DIGEST_DOES_NOT_MATCH,
	ERR_IMAGE_NOT_FOUND,
	ERR_IMAGE_STORAGE_CLASS_UPDATE_NOT_SUPPORTED,
	ERR_IMAGE_TAG_ALREADY_EXISTS,
	ERR_INCOMPLETE_SIGNATURE,
	ERR_INVALID_LAYER,
	ERR_INVALID_LAYER_PART,
	ERR_INVALID_PARAMETER,
	ERR_INVALID_SIGNATURE,
	ERR_INVALID_TAG_PARAMETER,
	ERR_KMS,
	ERR_LAYER_ALREADY_EXISTS,
	ERR_LAYER_INACCESSIBLE,
	ERR_LAYER_PART_TOO_SMALL,
	ERR_LAYERS_NOT_FOUND,
	ERR_LIFECYCLE_POLICY_NOT_FOUND,
	ERR_LIFECYCLE_POLICY_PREVIEW_IN_PROGRESS,
	ERR_LIFECYCLE_POLICY_PREVIEW_NOT_FOUND,
	ERR_LIMIT_EXCEEDED,
	ERR_MISSING_AUTHENTICATION_TOKEN,
	ERR_NOT_IMPLEMENTED,
	ERR_PULL_THROUGH_CACHE_RULE_ALREADY_EXISTS,
	ERR_PULL_THROUGH_CACHE_RULE_NOT_FOUND,
	ERR_REFERENCED_IMAGES_NOT_FOUND,
	ERR_REGISTRY_POLICY_NOT_FOUND,
	ERR_REPOSITORY_ALREADY_EXISTS,
	ERR_REPOSITORY_NOT_EMPTY,
	ERR_REPOSITORY_NOT_FOUND,
	ERR_REPOSITORY_POLICY_NOT_FOUND,
	ERR_REQUEST_ENTITY_TOO_LARGE,
	ERR_SCAN_NOT_FOUND,
	ERR_SECRET_NOT_FOUND,
	ERR_SERIALIZATION,
	ERR_SERVER,
	ERR_SIGNING_CONFIGURATION_NOT_FOUND,
	ERR_TEMPLATE_ALREADY_EXISTS,
	ERR_TEMPLATE_NOT_FOUND,
	ERR_THROTTLING,
	ERR_TOO_MANY_TAGS,
	ERR_UNABLE_TO_ACCESS_SECRET,
	ERR_UNABLE_TO_DECRYPT_SECRET_VALUE,
	ERR_UNABLE_TO_GET_UPSTREAM_IMAGE,
	ERR_UNABLE_TO_GET_UPSTREAM_LAYER,
	ERR_UNABLE_TO_LIST_UPSTREAM_IMAGE_REFERRERS,
	ERR_UNKNOWN_OPERATION,
	ERR_UNRECOGNIZED_CLIENT,
	ERR_UNSUPPORTED_IMAGE_TYPE,
	ERR_UNSUPPORTED_UPSTREAM_REGISTRY,
	ERR_UPLOAD_NOT_FOUND,
	ERR_VALIDATION,
	ERR__COUNT
};

#define ECR_ERROR_MESSAGE_SIZE	1024

struct ecr_error {
	enum ecr_errcode	 code;		/* ERR_NONE when no error */
	char			 message[ECR_ERROR_MESSAGE_SIZE];	/* ECR's wording, truncated */
	struct json_object	*extra;		/* owned; members besides __type and message */
};

/* The wire name ("RepositoryNotFoundException") and HTTP status of a code. */
const char	*ecr_error_type(enum ecr_errcode);
int		 ecr_error_status(enum ecr_errcode);
/* Look a wire name up; ERR_NONE if it is not ours. */
enum ecr_errcode ecr_error_lookup(const char *);

/* Set code and message (vsnprintf, truncated); always returns -1. */
int	ecr_error_set(struct ecr_error *, enum ecr_errcode, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	ecr_error_setv(struct ecr_error *, enum ecr_errcode, const char *, va_list)
	    __attribute__((format(printf, 3, 0)));
/* Free extra and reset to ERR_NONE. */
void	ecr_error_clear(struct ecr_error *);
/*
 * The JSON body of an ECR error: {"__type": type, "message": message,
 * ...extra} (no message member when message is NULL; extra's members are
 * borrowed). The caller frees the result; *len is its length.
 */
char	*ecr_error_body(const char *type, const char *message,
	    struct json_object *extra, size_t *len);

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
	REG_UNAUTHORIZED,
	REG_UNKNOWN,
	REG_UNSUPPORTED,
	REG__COUNT
};

/* The wire code ("NAME_UNKNOWN"), HTTP status and the spec's message. */
const char	*reg_error_code(enum reg_errcode);
int		 reg_error_status(enum reg_errcode);
const char	*reg_error_message(enum reg_errcode);
/*
 * The JSON body of a registry error: {"errors":[{"code", "message"}]}, the
 * table's message when message is NULL. The caller frees the result.
 */
char		*reg_error_body(enum reg_errcode, const char *message,
		    size_t *len);

#endif
