/*
 * Repository logic shared by several operations: ARNs and URIs, the
 * Repository JSON object, lookups by name or ARN, tag-mutability settings
 * and resource tags.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/str.h"
#include "store/store.h"

static const char *
partition(const char *region)
{
	if (str_has_prefix(region, "cn-"))
		return "aws-cn";
	if (str_has_prefix(region, "us-gov-"))
		return "aws-us-gov";
	return "aws";
}

void
api_repo_arn(struct api_call *call, const char *registry_id, const char *name,
    char *dst, size_t size)
{
	snprintf(dst, size, "arn:%s:ecr:%s:%s:repository/%s",
	    partition(call->id.region), call->id.region, registry_id, name);
}

/*
 * ECR's host for a registry, or this server's address when the operator
 * asked URIs to point here (--public-endpoint).
 */
void
api_registry_host(struct api_call *call, const char *registry_id, char *dst,
    size_t size)
{
	const char	*region = call->id.region;

	if (call->ctx->cfg.public_endpoint != NULL)
		snprintf(dst, size, "%s", call->ctx->cfg.public_endpoint);
	else
		snprintf(dst, size, "%s.dkr.ecr.%s.amazonaws.com%s",
		    registry_id, region, str_has_prefix(region, "cn-") ?
		    ".cn" : "");
}

static struct json_object *
filters_json(const struct store_repo *repo)
{
	struct json_object	*arr, *f;
	size_t			 i;

	arr = jnew_arr();
	for (i = 0; i < repo->n_exclusion_filters; i++) {
		f = jnew_obj();
		jadd_str(f, "filterType",
		    repo->exclusion_filters[i].filter_type);
		jadd_str(f, "filter", repo->exclusion_filters[i].filter);
		jpush(arr, f);
	}
	return arr;
}

struct json_object *
api_repo_json(struct api_call *call, const struct store_repo *repo)
{
	struct json_object	*o, *scan, *enc;
	char			 text[API_ARN_MAX];
	char			 host[300];

	o = jnew_obj();
	api_repo_arn(call, repo->registry_id, repo->name, text, sizeof text);
	jadd_str(o, "repositoryArn", text);
	jadd_str(o, "registryId", repo->registry_id);
	jadd_str(o, "repositoryName", repo->name);
	api_registry_host(call, repo->registry_id, host, sizeof host);
	snprintf(text, sizeof text, "%s/%s", host, repo->name);
	jadd_str(o, "repositoryUri", text);
	jadd_epoch(o, "createdAt", repo->created_at_ms);
	jadd_str(o, "imageTagMutability", repo->tag_mutability);
	if (repo->n_exclusion_filters != 0)
		jadd_obj(o, "imageTagMutabilityExclusionFilters",
		    filters_json(repo));
	scan = jnew_obj();
	jadd_bool(scan, "scanOnPush", repo->scan_on_push);
	jadd_obj(o, "imageScanningConfiguration", scan);
	enc = jnew_obj();
	jadd_str(enc, "encryptionType", repo->encryption_type);
	if (repo->kms_key[0] != '\0')
		jadd_str(enc, "kmsKey", repo->kms_key);
	jadd_obj(o, "encryptionConfiguration", enc);
	return o;
}

int
api_repo_get(struct api_call *call, const char *name, struct store_repo *out)
{
	int	rc;

	rc = store_repo_get(call->txn, call->registry_id, call->id.region, name,
	    out);
	if (rc == STORE_NOTFOUND)
		return api_fail_no_repo(call, name);
	if (rc != 0)
		return api_fail_store(call, rc);
	return 0;
}

/*
 * Only repository ARNs of the caller's registry name a taggable resource
 * (ecr-behaviour.md 3.1, Tagging).
 */
int
api_repo_from_arn(struct api_call *call, const char *arn,
    struct store_repo *out)
{
	char		 want[API_ARN_MAX];
	const char	*name;

	snprintf(want, sizeof want, "arn:%s:ecr:%s:", partition(
	    call->id.region), call->id.region);
	if (!str_has_prefix(arn, want))
		return api_fail_param(call, "resourceArn", "Invalid ARN");
	arn += strlen(want);
	if (strlen(arn) < 13 || arn[12] != ':' ||
	    !str_has_prefix(arn + 13, "repository/"))
		return api_fail_param(call, "resourceArn", "Invalid ARN");
	name = arn + 13 + strlen("repository/");
	if (strncmp(arn, call->registry_id, 12) != 0)
		return api_fail(call, ERR_ACCESS_DENIED, "User: %s is not "
		    "authorized to perform: ecr:%s on resource: %s because no "
		    "resource-based policy allows the ecr:%s action",
		    call->id.principal_arn, call->op->name, arn,
		    call->op->name);
	if (*name == '\0' || strlen(name) > STORE_REPO_NAME_MAX)
		return api_fail_param(call, "resourceArn", "Invalid ARN");
	return api_repo_get(call, name, out);
}

static bool
is_with_exclusion(const char *mutability)
{
	return strcmp(mutability, "MUTABLE_WITH_EXCLUSION") == 0 ||
	    strcmp(mutability, "IMMUTABLE_WITH_EXCLUSION") == 0;
}

/*
 * Exclusion filters go with the *_WITH_EXCLUSION modes only, and those
 * modes need them (ecr-behaviour.md 3.1). The wording is ours
 * [unconfirmed]. The model has checked each filter's shape already.
 */
int
api_mutability_check(struct api_call *call, const char *mutability,
    struct json_object *filters, struct store_repo *repo)
{
	struct store_exclusion_filter	*f;
	struct json_object		*item, *v;
	size_t				 i, n;

	n = filters == NULL ? 0 : json_object_array_length(filters);
	if (is_with_exclusion(mutability) && n == 0)
		return api_fail_param(call, "imageTagMutabilityExclusionFilters",
		    "Exclusion filters are required when imageTagMutability "
		    "is MUTABLE_WITH_EXCLUSION or IMMUTABLE_WITH_EXCLUSION");
	if (!is_with_exclusion(mutability) && n != 0)
		return api_fail_param(call, "imageTagMutabilityExclusionFilters",
		    "Exclusion filters can only be used when "
		    "imageTagMutability is MUTABLE_WITH_EXCLUSION or "
		    "IMMUTABLE_WITH_EXCLUSION");
	if (n > STORE_EXCLUSION_FILTERS_MAX)
		return api_fail_param(call, "imageTagMutabilityExclusionFilters",
		    "Member must have length less than or equal to 5");
	str_copy(repo->tag_mutability, sizeof repo->tag_mutability,
	    mutability);
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
	size_t	i;

	for (i = 0; i < repo->n_tags; i++) {
		if (strcmp(repo->tags[i].key, key) == 0)
			return &repo->tags[i];
	}
	return NULL;
}

/*
 * Merge a validated TagList into the repository: existing keys take the
 * new value; nothing changes if the result would pass 50 tags or a key is
 * reserved (ecr-behaviour.md 3.1).
 */
int
api_repo_tags_merge(struct api_call *call, struct store_repo *repo,
    struct json_object *tags)
{
	struct store_repo	 next;
	struct store_tag	*t;
	struct json_object	*item, *k, *v;
	size_t			 i, n;

	n = tags == NULL ? 0 : json_object_array_length(tags);
	next = *repo;
	for (i = 0; i < n; i++) {
		item = json_object_array_get_idx(tags, i);
		json_object_object_get_ex(item, "Key", &k);
		json_object_object_get_ex(item, "Value", &v);
		/* An AWS-wide rule; ECR's wording is [unconfirmed]. */
		if (str_has_prefix(json_object_get_string(k), "aws:"))
			return api_fail(call, ERR_INVALID_TAG_PARAMETER,
			    "Tag keys beginning with 'aws:' are reserved for "
			    "AWS use: '%s'", json_object_get_string(k));
		if ((t = tag_find(&next, json_object_get_string(k))) == NULL) {
			if (next.n_tags == STORE_REPO_TAGS_MAX)
				return api_fail(call, ERR_TOO_MANY_TAGS,
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
api_repo_tags_remove(struct store_repo *repo, struct json_object *keys)
{
	struct store_tag	*t;
	size_t			 i, n;

	n = json_object_array_length(keys);
	for (i = 0; i < n; i++) {
		t = tag_find(repo, json_object_get_string(
		    json_object_array_get_idx(keys, i)));
		if (t == NULL)
			continue;
		memmove(t, t + 1, (size_t)(&repo->tags[repo->n_tags] - (t + 1)) *
		    sizeof *t);
		repo->n_tags--;
	}
}
