/* CreateRepository: make a repository with its settings and tags. */
#include "api/api_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "common/str.h"
#include "store/store.h"

static int	create_repository(struct call *);

const struct op api_op_create_repository = {
	.name = "CreateRepository",
	.input = &model_CreateRepositoryRequest,
	.flags = OP_TXN_WRITE | OP_RESOURCE_REPO,
	.exec = create_repository,
};

/*
 * KMS without a key means the AWS-managed key aws/ecr, shown as a key ARN
 * that stays the same per account and region (docs/ecr-behaviour.md 2.1).
 */
static void
default_kms_key(struct call *call, char *dst, size_t size)
{
	unsigned char	h[16];
	char		seed[64], hex[33];

	snprintf(seed, sizeof seed, "aws/ecr:%s:%s", call->registry_id,
	    call->id.region);
	crypto_generichash(h, sizeof h, (const unsigned char *)seed,
	    strlen(seed), NULL, 0);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	snprintf(dst, size, "arn:aws:kms:%s:%s:key/%.8s-%.4s-%.4s-%.4s-%.12s",
	    call->id.region, call->registry_id, hex, hex + 8, hex + 12,
	    hex + 16, hex + 20);
}

static int
set_encryption(struct call *call, struct store_repo *repo)
{
	struct json_object	*enc = api_in_obj(call, "encryptionConfiguration");
	struct json_object	*v;
	const char		*type = "AES256", *key = NULL;

	if (enc != NULL) {
		if (json_object_object_get_ex(enc, "encryptionType", &v) &&
		    json_object_is_type(v, json_type_string))
			type = json_object_get_string(v);
		if (json_object_object_get_ex(enc, "kmsKey", &v) &&
		    json_object_is_type(v, json_type_string))
			key = json_object_get_string(v);
	}
	/* [unconfirmed] wording; a key makes sense only with KMS. */
	if (key != NULL && strcmp(type, "AES256") == 0)
		return api_fail_param(call, "encryptionConfiguration.kmsKey",
		    "kmsKey can only be specified when encryptionType is KMS "
		    "or KMS_DSSE");
	str_copy(repo->encryption_type, sizeof repo->encryption_type, type);
	if (key != NULL)
		str_copy(repo->kms_key, sizeof repo->kms_key, key);
	else if (strcmp(type, "AES256") != 0)
		default_kms_key(call, repo->kms_key, sizeof repo->kms_key);
	return 0;
}

/*
 * ECR's repositories-per-region quota (docs/ecr-behaviour.md 4), counted with
 * the one just made, so that a name that exists is still
 * RepositoryAlreadyExists at the limit; failing undoes the create.
 * [unconfirmed] wording, as the images quota words it.
 */
static int
check_quota(struct call *call)
{
	uint64_t	n, max = call->ctx->cfg.max_repositories;
	int		rc;

	rc = store_repo_count(call->txn, call->registry_id, call->id.region,
	    &n);
	if (rc != 0)
		return api_fail_store(call, rc);
	if (n <= max)
		return 0;
	return api_fail(call, ERR_LIMIT_EXCEEDED, "The maximum number of "
	    "repositories (%" PRIu64 ") has been reached for the registry with "
	    "id '%s' in the region '%s'", max, call->registry_id,
	    call->id.region);
}

static int
create_repository(struct call *call)
{
	const char		*name = api_in_str(call, "repositoryName");
	const char		*mutability = api_in_str(call,
				    "imageTagMutability");
	struct json_object	*scan = api_in_obj(call,
				    "imageScanningConfiguration");
	struct json_object	*v;
	struct store_repo	 repo;
	int			 rc;

	memset(&repo, 0, sizeof repo);
	str_copy(repo.registry_id, sizeof repo.registry_id, call->registry_id);
	str_copy(repo.region, sizeof repo.region, call->id.region);
	str_copy(repo.name, sizeof repo.name, name);
	repo.created_at_ms = call->now_ms;
	if (scan != NULL && json_object_object_get_ex(scan, "scanOnPush", &v))
		repo.scan_on_push = json_object_get_boolean(v);
	if (api_mutability_check(call, mutability != NULL ? mutability :
	    "MUTABLE", api_in_array(call, "imageTagMutabilityExclusionFilters"),
	    &repo) != 0 ||
	    set_encryption(call, &repo) != 0 ||
	    api_repo_tags_merge(call, &repo, api_in_array(call, "tags")) != 0)
		return -1;
	rc = store_repo_create(call->txn, &repo);
	if (rc == STORE_EXISTS)
		return api_fail(call, ERR_REPOSITORY_ALREADY_EXISTS, "The "
		    "repository with name '%s' already exists in the registry "
		    "with id '%s'", name, call->registry_id);
	if (rc != 0)
		return api_fail_store(call, rc);
	if (check_quota(call) != 0)
		return -1;
	api_out_repo(call, &repo);
	return 0;
}
