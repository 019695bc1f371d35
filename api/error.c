/* api/error.c: the only place an ECR error name is spelled. */
#include "api/error.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/json.h"

struct ecr_errdef {
	const char *type;
	int status;
};

/*
 * Modelled errors are all 400 and ServerException the only 500
 * (docs/ecr-behaviour.md 1.4); the rest are the AWS front end's protocol errors
 * (1.5, 1.6). NotImplementedException answers 501, which no SDK retries.
 */
static const struct ecr_errdef errdefs[ERR__COUNT] = {
    [ERR_ACCESS_DENIED] = {"AccessDeniedException", 400},
    /*
     * Not ECR's: the download URLs' own answers (server/blobs.c), with
     * the registry's statuses [unconfirmed: S3 answers NoSuchKey].
     */
    [ERR_BLOB_NOT_FOUND] = {"BlobNotFoundException", 404},
    [ERR_BLOCKED_BY_ORGANIZATION_POLICY] =
        {"BlockedByOrganizationPolicyException", 400},
    [ERR_EMPTY_UPLOAD] = {"EmptyUploadException", 400},
    [ERR_EXCLUSION_ALREADY_EXISTS] = {"ExclusionAlreadyExistsException", 400},
    [ERR_EXCLUSION_NOT_FOUND] = {"ExclusionNotFoundException", 400},
    [ERR_EXPIRED_TOKEN] = {"ExpiredTokenException", 400},
    [ERR_IMAGE_ALREADY_EXISTS] = {"ImageAlreadyExistsException", 400},
    [ERR_IMAGE_ARCHIVED] = {"ImageArchivedException", 400},
    [ERR_IMAGE_DIGEST_DOES_NOT_MATCH] = {"ImageDigestDoesNotMatchException",
        400},
    [ERR_IMAGE_NOT_FOUND] = {"ImageNotFoundException", 400},
    [ERR_IMAGE_STORAGE_CLASS_UPDATE_NOT_SUPPORTED] =
        {"ImageStorageClassUpdateNotSupportedException", 400},
    [ERR_IMAGE_TAG_ALREADY_EXISTS] = {"ImageTagAlreadyExistsException", 400},
    [ERR_INCOMPLETE_SIGNATURE] = {"IncompleteSignatureException", 400},
    [ERR_INVALID_LAYER] = {"InvalidLayerException", 400},
    [ERR_INVALID_LAYER_PART] = {"InvalidLayerPartException", 400},
    [ERR_INVALID_PARAMETER] = {"InvalidParameterException", 400},
    [ERR_INVALID_RANGE] = {"InvalidRange", 416},
    [ERR_INVALID_SIGNATURE] = {"InvalidSignatureException", 400},
    [ERR_INVALID_TAG_PARAMETER] = {"InvalidTagParameterException", 400},
    [ERR_KMS] = {"KmsException", 400},
    [ERR_LAYER_ALREADY_EXISTS] = {"LayerAlreadyExistsException", 400},
    [ERR_LAYER_INACCESSIBLE] = {"LayerInaccessibleException", 400},
    [ERR_LAYER_PART_TOO_SMALL] = {"LayerPartTooSmallException", 400},
    [ERR_LAYERS_NOT_FOUND] = {"LayersNotFoundException", 400},
    [ERR_LIFECYCLE_POLICY_NOT_FOUND] = {"LifecyclePolicyNotFoundException",
        400},
    [ERR_LIFECYCLE_POLICY_PREVIEW_IN_PROGRESS] =
        {"LifecyclePolicyPreviewInProgressException", 400},
    [ERR_LIFECYCLE_POLICY_PREVIEW_NOT_FOUND] =
        {"LifecyclePolicyPreviewNotFoundException", 400},
    [ERR_LIMIT_EXCEEDED] = {"LimitExceededException", 400},
    [ERR_MISSING_AUTHENTICATION_TOKEN] = {"MissingAuthenticationTokenException",
        400},
    [ERR_NOT_IMPLEMENTED] = {"NotImplementedException", 501},
    [ERR_PULL_THROUGH_CACHE_RULE_ALREADY_EXISTS] =
        {"PullThroughCacheRuleAlreadyExistsException", 400},
    [ERR_PULL_THROUGH_CACHE_RULE_NOT_FOUND] =
        {"PullThroughCacheRuleNotFoundException", 400},
    [ERR_REFERENCED_IMAGES_NOT_FOUND] = {"ReferencedImagesNotFoundException",
        400},
    [ERR_REGISTRY_POLICY_NOT_FOUND] = {"RegistryPolicyNotFoundException", 400},
    [ERR_REPOSITORY_ALREADY_EXISTS] = {"RepositoryAlreadyExistsException", 400},
    [ERR_REPOSITORY_NOT_EMPTY] = {"RepositoryNotEmptyException", 400},
    [ERR_REPOSITORY_NOT_FOUND] = {"RepositoryNotFoundException", 400},
    [ERR_REPOSITORY_POLICY_NOT_FOUND] = {"RepositoryPolicyNotFoundException",
        400},
    [ERR_REQUEST_ENTITY_TOO_LARGE] = {"RequestEntityTooLargeException", 413},
    [ERR_SCAN_NOT_FOUND] = {"ScanNotFoundException", 400},
    [ERR_SECRET_NOT_FOUND] = {"SecretNotFoundException", 400},
    [ERR_SERIALIZATION] = {"SerializationException", 400},
    [ERR_SERVER] = {"ServerException", 500},
    [ERR_SIGNING_CONFIGURATION_NOT_FOUND] =
        {"SigningConfigurationNotFoundException", 400},
    [ERR_TEMPLATE_ALREADY_EXISTS] = {"TemplateAlreadyExistsException", 400},
    [ERR_TEMPLATE_NOT_FOUND] = {"TemplateNotFoundException", 400},
    [ERR_THROTTLING] = {"ThrottlingException", 400},
    [ERR_TOO_MANY_TAGS] = {"TooManyTagsException", 400},
    [ERR_UNABLE_TO_ACCESS_SECRET] = {"UnableToAccessSecretException", 400},
    [ERR_UNABLE_TO_DECRYPT_SECRET_VALUE] =
        {"UnableToDecryptSecretValueException", 400},
    [ERR_UNABLE_TO_GET_UPSTREAM_IMAGE] = {"UnableToGetUpstreamImageException",
        400},
    [ERR_UNABLE_TO_GET_UPSTREAM_LAYER] = {"UnableToGetUpstreamLayerException",
        400},
    [ERR_UNABLE_TO_LIST_UPSTREAM_IMAGE_REFERRERS] =
        {"UnableToListUpstreamImageReferrersException", 400},
    [ERR_UNKNOWN_OPERATION] = {"UnknownOperationException", 400},
    [ERR_UNRECOGNIZED_CLIENT] = {"UnrecognizedClientException", 400},
    [ERR_UNSUPPORTED_IMAGE_TYPE] = {"UnsupportedImageTypeException", 400},
    [ERR_UNSUPPORTED_UPSTREAM_REGISTRY] =
        {"UnsupportedUpstreamRegistryException", 400},
    [ERR_UPLOAD_NOT_FOUND] = {"UploadNotFoundException", 400},
    [ERR_VALIDATION] = {"ValidationException", 400},
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
	int i;

	for (i = ERR_NONE + 1; i < ERR__COUNT; i++) {
		if (strcmp(errdefs[i].type, type) == 0)
			return (enum ecr_errcode)i;
	}
	return ERR_NONE;
}

/*
 * Error bodies go through the one JSON writer, which keeps echoed bytes
 * valid UTF-8. A few short strings, far below the render limit: they
 * always render.
 */
char *
ecr_error_body(const char *type, const char *message, struct json_object *extra,
    size_t *len)
{
	struct json_object *o = jnew_obj();
	char *body;

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
