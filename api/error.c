/* api/error.c: the only place an ECR error name is spelled. */
#include "api/error.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/json.h"

struct ecr_errdef {
	const char	*type;
	int		 status;
};

/*
 * Modelled errors are all 400 and ServerException the only 500
 * (docs/ecr-behaviour.md 1.4); the rest are the AWS front end's protocol errors
 * (1.5, 1.6). NotImplementedException answers 501, which no SDK retries.
 */
static const struct ecr_errdef errdefs[ERR__COUNT] = {
	[ERR_ACCESS_DENIED] = { "AccessDeniedException", 400 },
	[ERR_BLOCKED_BY_ORGANIZATION_POLICY] = { "BlockedByOrganizationPolicyException", 400 },
	[ERR_EMPTY_UPLOAD] = { "EmptyUploadException", 400 },
	[ERR_EXCLUSION_ALREADY_EXISTS] = { "ExclusionAlreadyExistsException", 400 },
	[ERR_EXCLUSION_NOT_FOUND] = { "ExclusionNotFoundException", 400 },
	[ERR_EXPIRED_TOKEN] = { "ExpiredTokenException", 400 },
	[ERR_IMAGE_ALREADY_EXISTS] = { "ImageAlreadyExistsException", 400 },
	[ERR_IMAGE_ARCHIVED] = { "ImageArchivedException", 400 },
	[ERR_IMAGE_DIGEST_DOES_NOT_MATCH] = { "ImageDigestDoesNotMatchException", 400 },
	[ERR_IMAGE_NOT_FOUND] = { "ImageNotFoundException", 400 },
	[ERR_IMAGE_STORAGE_CLASS_UPDATE_NOT_SUPPORTED] = { "ImageStorageClassUpdateNotSupportedException", 400 },
	[ERR_IMAGE_TAG_ALREADY_EXISTS] = { "ImageTagAlreadyExistsException", 400 },
	[ERR_INCOMPLETE_SIGNATURE] = { "IncompleteSignatureException", 400 },
	[ERR_INVALID_LAYER] = { "InvalidLayerException", 400 },
	[ERR_INVALID_LAYER_PART] = { "InvalidLayerPartException", 400 },
	[ERR_INVALID_PARAMETER] = { "InvalidParameterException", 400 },
	[ERR_INVALID_SIGNATURE] = { "InvalidSignatureException", 400 },
	[ERR_INVALID_TAG_PARAMETER] = { "InvalidTagParameterException", 400 },
	[ERR_KMS] = { "KmsException", 400 },
	[ERR_LAYER_ALREADY_EXISTS] = { "LayerAlreadyExistsException", 400 },
	[ERR_LAYER_INACCESSIBLE] = { "LayerInaccessibleException", 400 },
	[ERR_LAYER_PART_TOO_SMALL] = { "LayerPartTooSmallException", 400 },
	[ERR_LAYERS_NOT_FOUND] = { "LayersNotFoundException", 400 },
	[ERR_LIFECYCLE_POLICY_NOT_FOUND] = { "LifecyclePolicyNotFoundException", 400 },
	[ERR_LIFECYCLE_POLICY_PREVIEW_IN_PROGRESS] = { "LifecyclePolicyPreviewInProgressException", 400 },
	[ERR_LIFECYCLE_POLICY_PREVIEW_NOT_FOUND] = { "LifecyclePolicyPreviewNotFoundException", 400 },
	[ERR_LIMIT_EXCEEDED] = { "LimitExceededException", 400 },
	[ERR_MISSING_AUTHENTICATION_TOKEN] = { "MissingAuthenticationTokenException", 400 },
	[ERR_NOT_IMPLEMENTED] = { "NotImplementedException", 501 },
	[ERR_PULL_THROUGH_CACHE_RULE_ALREADY_EXISTS] = { "PullThroughCacheRuleAlreadyExistsException", 400 },
	[ERR_PULL_THROUGH_CACHE_RULE_NOT_FOUND] = { "PullThroughCacheRuleNotFoundException", 400 },
	[ERR_REFERENCED_IMAGES_NOT_FOUND] = { "ReferencedImagesNotFoundException", 400 },
	[ERR_REGISTRY_POLICY_NOT_FOUND] = { "RegistryPolicyNotFoundException", 400 },
	[ERR_REPOSITORY_ALREADY_EXISTS] = { "RepositoryAlreadyExistsException", 400 },
	[ERR_REPOSITORY_NOT_EMPTY] = { "RepositoryNotEmptyException", 400 },
	[ERR_REPOSITORY_NOT_FOUND] = { "RepositoryNotFoundException", 400 },
	[ERR_REPOSITORY_POLICY_NOT_FOUND] = { "RepositoryPolicyNotFoundException", 400 },
	[ERR_REQUEST_ENTITY_TOO_LARGE] = { "RequestEntityTooLargeException", 413 },
	[ERR_SCAN_NOT_FOUND] = { "ScanNotFoundException", 400 },
	[ERR_SECRET_NOT_FOUND] = { "SecretNotFoundException", 400 },
	[ERR_SERIALIZATION] = { "SerializationException", 400 },
	[ERR_SERVER] = { "ServerException", 500 },
	[ERR_SIGNING_CONFIGURATION_NOT_FOUND] = { "SigningConfigurationNotFoundException", 400 },
	[ERR_TEMPLATE_ALREADY_EXISTS] = { "TemplateAlreadyExistsException", 400 },
	[ERR_TEMPLATE_NOT_FOUND] = { "TemplateNotFoundException", 400 },
	[ERR_THROTTLING] = { "ThrottlingException", 400 },
	[ERR_TOO_MANY_TAGS] = { "TooManyTagsException", 400 },
	[ERR_UNABLE_TO_ACCESS_SECRET] = { "UnableToAccessSecretException", 400 },
	[ERR_UNABLE_TO_DECRYPT_SECRET_VALUE] = { "UnableToDecryptSecretValueException", 400 },
	[ERR_UNABLE_TO_GET_UPSTREAM_IMAGE] = { "UnableToGetUpstreamImageException", 400 },
	[ERR_UNABLE_TO_GET_UPSTREAM_LAYER] = { "UnableToGetUpstreamLayerException", 400 },
	[ERR_UNABLE_TO_LIST_UPSTREAM_IMAGE_REFERRERS] = { "UnableToListUpstreamImageReferrersException", 400 },
	[ERR_UNKNOWN_OPERATION] = { "UnknownOperationException", 400 },
	[ERR_UNRECOGNIZED_CLIENT] = { "UnrecognizedClientException", 400 },
	[ERR_UNSUPPORTED_IMAGE_TYPE] = { "UnsupportedImageTypeException", 400 },
	[ERR_UNSUPPORTED_UPSTREAM_REGISTRY] = { "UnsupportedUpstreamRegistryException", 400 },
	[ERR_UPLOAD_NOT_FOUND] = { "UploadNotFoundException", 400 },
	[ERR_VALIDATION] = { "ValidationException", 400 },
};

const char *
ecr_error_type(enum ecr_errcode code)
{
	if (code <= ERR_NONE || code >= ERR__COUNT)
		return errdefs[ERR_SERVER].type;
	return errdefs[code].type;
}

int
ecr_error_status(enum ecr_errcode code)
{
	if (code <= ERR_NONE || code >= ERR__COUNT)
		return 500;
	return errdefs[code].status;
}

enum ecr_errcode
ecr_error_lookup(const char *type)
{
	int	i;

	for (i = ERR_NONE + 1; i < ERR__COUNT; i++) {
		if (strcmp(errdefs[i].type, type) == 0)
			return (enum ecr_errcode)i;
	}
	return ERR_NONE;
}

int
ecr_error_setv(struct ecr_error *err, enum ecr_errcode code, const char *fmt,
    va_list ap)
{
	err->code = code;
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	return -1;
}

int
ecr_error_set(struct ecr_error *err, enum ecr_errcode code, const char *fmt,
    ...)
{
	va_list	ap;

	va_start(ap, fmt);
	ecr_error_setv(err, code, fmt, ap);
	va_end(ap);
	return -1;
}

struct reg_errdef {
	const char	*code;
	int		 status;
	const char	*message;
};

/*
 * The distribution spec's codes with its words (docs/registry-behaviour.md
 * 3, end-1 to end-10). Where ecrd departs from the spec's status, or a code
 * goes out with two, the entry says why.
 */
static const struct reg_errdef regdefs[REG__COUNT] = {
	[REG_BLOB_UNKNOWN] = { "BLOB_UNKNOWN", 404,
	    "blob unknown to registry" },
	[REG_BLOB_UPLOAD_INVALID] = { "BLOB_UPLOAD_INVALID", 400,
	    "blob upload invalid" },
	/* A chunk out of order or racing another: the spec's 416 (end-5). */
	[REG_BLOB_UPLOAD_RANGE] = { "BLOB_UPLOAD_INVALID", 416,
	    "blob upload invalid" },
	[REG_BLOB_UPLOAD_UNKNOWN] = { "BLOB_UPLOAD_UNKNOWN", 404,
	    "blob upload unknown to registry" },
	[REG_DENIED] = { "DENIED", 403,
	    "requested access to the resource is denied" },
	[REG_DIGEST_INVALID] = { "DIGEST_INVALID", 400,
	    "provided digest did not match uploaded content" },
	[REG_MANIFEST_BLOB_UNKNOWN] = { "MANIFEST_BLOB_UNKNOWN", 400,
	    "manifest references a manifest or blob unknown to registry" },
	[REG_MANIFEST_INVALID] = { "MANIFEST_INVALID", 400,
	    "manifest invalid" },
	[REG_MANIFEST_UNKNOWN] = { "MANIFEST_UNKNOWN", 404,
	    "manifest unknown to registry" },
	/*
	 * A method the endpoint (or ecrd) does not do at all: the spec's 405
	 * (end-9, end-10). A refused parameter of a supported call stays
	 * REG_UNSUPPORTED, 400, as ECR answers it (registry-behaviour 4).
	 */
	[REG_METHOD_UNSUPPORTED] = { "UNSUPPORTED", 405,
	    "the operation is unsupported" },
	[REG_NAME_UNKNOWN] = { "NAME_UNKNOWN", 404,
	    "repository name not known to registry" },
	/*
	 * A blob GET's Range past the end: the spec gives 416 and no code;
	 * distribution's RANGE_INVALID is the one that says so.
	 */
	[REG_RANGE_INVALID] = { "RANGE_INVALID", 416,
	    "invalid content range" },
	/*
	 * Over ecrd's size limit, the spec's 413 for a manifest; for a layer
	 * ECR's answer is [unconfirmed] and SIZE_INVALID is the nearest code.
	 */
	[REG_SIZE_INVALID] = { "SIZE_INVALID", 413,
	    "provided length did not match content length" },
	[REG_TAG_INVALID] = { "TAG_INVALID", 400,
	    "manifest tag did not match URI" },
	[REG_UNAUTHORIZED] = { "UNAUTHORIZED", 401,
	    "authentication required" },
	/* The spec has no code for a server fault; distribution's UNKNOWN. */
	[REG_UNKNOWN] = { "UNKNOWN", 500, "unknown error" },
	[REG_UNSUPPORTED] = { "UNSUPPORTED", 400,
	    "the operation is unsupported" },
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

/*
 * Error bodies go through the one JSON writer, which keeps echoed bytes
 * valid UTF-8. A few short strings, far below the render limit: they
 * always render.
 */
char *
ecr_error_body(const char *type, const char *message,
    struct json_object *extra, size_t *len)
{
	struct json_object	*o = jnew_obj();
	char			*body;

	jadd_str(o, "__type", type);
	if (message != NULL)
		jadd_str(o, "message", message);
	if (extra != NULL) {
		json_object_object_foreach(extra, k, v)
			jadd_obj(o, k, json_object_get(v));
	}
	body = jrender(o, len);
	json_object_put(o);
	return body;
}

char *
reg_error_body(enum reg_errcode code, const char *message, size_t *len)
{
	struct json_object	*o = jnew_obj(), *errors = jnew_arr();
	struct json_object	*e = jnew_obj();
	char			*body;

	jadd_str(e, "code", reg_error_code(code));
	jadd_str(e, "message", message != NULL ? message :
	    reg_error_message(code));
	jpush(errors, e);
	jadd_obj(o, "errors", errors);
	body = jrender(o, len);
	json_object_put(o);
	return body;
}

void
ecr_error_clear(struct ecr_error *err)
{
	if (err->extra != NULL)
		json_object_put(err->extra);
	err->extra = NULL;
	err->code = ERR_NONE;
	err->message[0] = '\0';
}
