/*
 * Repositories as both protocols see them: ARNs and URIs, lookups by
 * name or ARN, and their settings as ECR JSON gives them (the input of
 * the repository operations, or a creation template's for create on push).
 */
#include "core/core_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "common/str.h"
#include "common/xalloc.h"
#include "store/store.h"

const char *
core_partition(const char *region)
{
	if (str_has_prefix(region, "cn-"))
		return "aws-cn";
	if (str_has_prefix(region, "us-gov-"))
		return "aws-us-gov";
	return "aws";
}

void
core_repo_arn_parts(struct call *call, const char *registry_id,
    const char *name, const char *parts[CORE_ARN_PARTS])
{
	parts[0] = "arn:";
	parts[1] = core_partition(call->id.region);
	parts[2] = ":ecr:";
	parts[3] = call->id.region;
	parts[4] = ":";
	parts[5] = registry_id;
	parts[6] = ":repository/";
	parts[7] = name;
}

size_t
core_registry_host_parts(struct call *call, const char *registry_id,
    const char *parts[CORE_HOST_PARTS])
{
	const char *region = call->id.region;
	const char *pub = call->ctx->cfg.public_endpoint;

	if (core_host_is_template(pub)) {
		parts[0] =
		    call_take(call, core_host_expand(pub, registry_id, region));
		return 1;
	}
	if (pub != NULL) {
		parts[0] = pub;
		return 1;
	}
	parts[0] = registry_id;
	parts[1] = ".dkr.ecr.";
	parts[2] = region;
	parts[3] = ".amazonaws.com";
	parts[4] = str_has_prefix(region, "cn-") ? ".cn" : "";
	return 5;
}

static void
join(char *dst, size_t size, const char *const *parts, size_t n)
{
	size_t i, len = 0, plen;

	for (i = 0; i < n && size != 0; i++) {
		plen = strlen(parts[i]);
		if (plen > size - 1 - len)
			plen = size - 1 - len;
		memcpy(dst + len, parts[i], plen);
		len += plen;
	}
	if (size != 0)
		dst[len] = '\0';
}

void
core_repo_arn(struct call *call, const char *registry_id, const char *name,
    char *dst, size_t size)
{
	const char *parts[CORE_ARN_PARTS];

	core_repo_arn_parts(call, registry_id, name, parts);
	join(dst, size, parts, CORE_ARN_PARTS);
}

char *
core_repo_arn_in(const char *region, const char *registry_id, const char *name)
{
	return xasprintf("arn:%s:ecr:%s:%s:repository/%s",
	    core_partition(region), region, registry_id, name);
}

void
core_registry_host(struct call *call, const char *registry_id, char *dst,
    size_t size)
{
	const char *parts[CORE_HOST_PARTS];

	join(dst, size, parts,
	    core_registry_host_parts(call, registry_id, parts));
}

void
core_repo_prefix_free(struct core_repo_prefix *p)
{
	if (p == NULL)
		return;
	free(p->arn);
	free(p->uri);
	free(p);
}

static char *
join_parts(const char *const *parts, size_t n)
{
	size_t i, len = 0;
	char *s;

	for (i = 0; i < n; i++)
		len += strlen(parts[i]);
	s = xmalloc(len + 1);
	join(s, len + 1, parts, n);
	return s;
}

const struct core_repo_prefix *
core_repo_prefix(struct call *call, const char *registry_id)
{
	struct core_repo_prefix *p = call->repo_prefix;
	const char *parts[CORE_ARN_PARTS + CORE_HOST_PARTS];
	size_t n;

	if (p != NULL && strcmp(p->registry_id, registry_id) == 0)
		return p;
	core_repo_prefix_free(p);
	p = call->repo_prefix = xcalloc(1, sizeof *p);
	(void)str_copy(p->registry_id, sizeof p->registry_id, registry_id);
	core_repo_arn_parts(call, registry_id, "", parts);
	p->arn = join_parts(parts, CORE_ARN_PARTS);
	n = core_registry_host_parts(call, registry_id, parts);
	parts[n++] = "/";
	p->uri = join_parts(parts, n);
	return p;
}

int
core_repo_get(struct call *call, const char *name, struct store_repo *out)
{
	int rc;

	rc = store_repo_get(call->txn, call->registry_id, call->id.region, name,
	    out);
	if (rc == STORE_NOTFOUND)
		return core_fail_no_repo(call, name);
	if (rc != 0)
		return core_fail_store(call, rc);
	return 0;
}

/*
 * Only repository ARNs of the caller's registry name a taggable resource
 * (docs/ecr-behaviour.md 3.1, Tagging).
 */
int
core_repo_from_arn(struct call *call, const char *arn, struct store_repo *out)
{
	char want[CORE_ARN_MAX];
	const char *name;

	snprintf(want, sizeof want,
	    "arn:%s:ecr:%s:", core_partition(call->id.region), call->id.region);
	if (!str_has_prefix(arn, want))
		return core_fail_param(call, "resourceArn", "Invalid ARN");
	arn += strlen(want);
	if (strlen(arn) < 13 || arn[12] != ':' ||
	    !str_has_prefix(arn + 13, "repository/"))
		return core_fail_param(call, "resourceArn", "Invalid ARN");
	name = arn + 13 + strlen("repository/");
	if (strncmp(arn, call->registry_id, 12) != 0)
		return core_fail(call, ERR_ACCESS_DENIED,
		    "User: %s is not "
		    "authorized to perform: ecr:%s on resource: %s because no "
		    "resource-based policy allows the ecr:%s action",
		    call->id.principal_arn, call->op->name, arn,
		    call->op->name);
	if (*name == '\0' || strlen(name) > STORE_REPO_NAME_MAX)
		return core_fail_param(call, "resourceArn", "Invalid ARN");
	return core_repo_get(call, name, out);
}

static bool
is_with_exclusion(const char *mutability)
{
	return strcmp(mutability, "MUTABLE_WITH_EXCLUSION") == 0 ||
	       strcmp(mutability, "IMMUTABLE_WITH_EXCLUSION") == 0;
}

/*
 * Exclusion filters go with the *_WITH_EXCLUSION modes only, and those
 * modes need them (docs/ecr-behaviour.md 3.1). The wording is ours
 * [unconfirmed]. The model has checked each filter's shape already.
 */
int
core_mutability_check(struct call *call, const char *mutability,
    struct json_object *filters, struct store_repo *repo)
{
	struct store_exclusion_filter *f;
	struct json_object *item, *v;
	size_t i, n;

	n = filters == NULL ? 0 : json_object_array_length(filters);
	if (is_with_exclusion(mutability) && n == 0)
		return core_fail_param(call,
		    "imageTagMutabilityExclusionFilters",
		    "Exclusion filters are required when imageTagMutability "
		    "is MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION");
	if (!is_with_exclusion(mutability) && n != 0)
		return core_fail_param(call,
		    "imageTagMutabilityExclusionFilters",
		    "Exclusion filters can only be used when "
		    "imageTagMutability is MUTABLE_WITH_EXCLUSION or "
		    "IMMUTABLE_WITH_EXCLUSION");
	if (n > STORE_EXCLUSION_FILTERS_MAX)
		return core_fail_param(call,
		    "imageTagMutabilityExclusionFilters",
		    "Member must have length less than or equal to 5");
	str_copy(repo->tag_mutability, sizeof repo->tag_mutability, mutability);
	repo->n_exclusion_filters = n;
	for (i = 0; i < n; i++) {
		item = json_object_array_get_idx(filters, i);
		f = &repo->exclusion_filters[i];
		json_object_object_get_ex(item, "filterType", &v);
		str_copy(f->filter_type, sizeof f->filter_type,
		    json_object_get_string(v));
		json_object_object_get_ex(item, "filter", &v);
		str_copy(f->filter, sizeof f->filter,
		    json_object_get_string(v));
	}
	return 0;
}

static struct store_tag *
tag_find(struct store_repo *repo, const char *key)
{
	size_t i;

	for (i = 0; i < repo->n_tags; i++) {
		if (strcmp(repo->tags[i].key, key) == 0)
			return &repo->tags[i];
	}
	return NULL;
}

/*
 * Merge a validated TagList into the repository: existing keys take the
 * new value; nothing changes if the result would pass 50 tags or a key is
 * reserved (docs/ecr-behaviour.md 3.1).
 */
int
core_repo_tags_merge(struct call *call, struct store_repo *repo,
    struct json_object *tags)
{
	struct store_repo next;
	struct store_tag *t;
	struct json_object *item, *k, *v;
	size_t i, n;

	n = tags == NULL ? 0 : json_object_array_length(tags);
	next = *repo;
	for (i = 0; i < n; i++) {
		item = json_object_array_get_idx(tags, i);
		json_object_object_get_ex(item, "Key", &k);
		json_object_object_get_ex(item, "Value", &v);
		/* An AWS-wide rule; ECR's wording is [unconfirmed]. */
		if (str_has_prefix(json_object_get_string(k), "aws:"))
			return core_fail(call, ERR_INVALID_TAG_PARAMETER,
			    "Tag keys beginning with 'aws:' are reserved for "
			    "AWS use: '%s'",
			    json_object_get_string(k));
		if ((t = tag_find(&next, json_object_get_string(k))) == NULL) {
			if (next.n_tags == STORE_REPO_TAGS_MAX)
				return core_fail(call, ERR_TOO_MANY_TAGS,
				    "The repository can have at most %d tags",
				    STORE_REPO_TAGS_MAX);
			t = &next.tags[next.n_tags++];
			str_copy(t->key, sizeof t->key,
			    json_object_get_string(k));
		}
		str_copy(t->value, sizeof t->value, json_object_get_string(v));
	}
	*repo = next;
	return 0;
}

/* Drop the named keys; absent keys are ignored [unconfirmed]. */
void
core_repo_tags_remove(struct store_repo *repo, struct json_object *keys)
{
	struct store_tag *t;
	size_t i, n;

	n = json_object_array_length(keys);
	for (i = 0; i < n; i++) {
		t = tag_find(repo,
		    json_object_get_string(json_object_array_get_idx(keys, i)));
		if (t == NULL)
			continue;
		memmove(t, t + 1,
		    (size_t)(&repo->tags[repo->n_tags] - (t + 1)) * sizeof *t);
		repo->n_tags--;
	}
}

/*
 * KMS without a key means the AWS-managed key aws/ecr, shown as a key ARN
 * that stays the same per account and region (docs/ecr-behaviour.md 2.1).
 */
static void
default_kms_key(struct call *call, char *dst, size_t size)
{
	unsigned char h[16];
	char seed[64], hex[33];

	snprintf(seed, sizeof seed, "aws/ecr:%s:%s", call->registry_id,
	    call->id.region);
	crypto_generichash(h, sizeof h, (const unsigned char *)seed,
	    strlen(seed), NULL, 0);
	sodium_bin2hex(hex, sizeof hex, h, sizeof h);
	snprintf(dst, size, "arn:aws:kms:%s:%s:key/%.8s-%.4s-%.4s-%.4s-%.12s",
	    call->id.region, call->registry_id, hex, hex + 8, hex + 12,
	    hex + 16, hex + 20);
}

int
core_encryption_set(struct call *call, struct json_object *enc,
    struct store_repo *repo)
{
	struct json_object *v;
	const char *type = "AES256", *key = NULL;

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
		return core_fail_param(call, "encryptionConfiguration.kmsKey",
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
int
core_repo_quota_check(struct call *call)
{
	uint64_t n, max = core_quota(call->ctx, CORE_QUOTA_REPOSITORIES);
	int rc;

	rc =
	    store_repo_count(call->txn, call->registry_id, call->id.region, &n);
	if (rc != 0)
		return core_fail_store(call, rc);
	if (n <= max)
		return 0;
	return core_fail(call, ERR_LIMIT_EXCEEDED,
	    "The maximum number of "
	    "repositories (%" PRIu64 ") has been reached for the registry with "
	    "id '%s' in the region '%s'",
	    max, call->registry_id, call->id.region);
}
