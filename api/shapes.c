/*
 * ECR's JSON shapes of repositories and images (Repository, ImageDetail,
 * imageId, filters), shared by several operations. The repository
 * settings read from ECR JSON are core/repo.c's: creation templates apply
 * them on both protocols' push paths.
 */
#include "api/api_int.h"

#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "common/str.h"
#include "core/image.h"
#include "core/scanning.h"
#include "store/store.h"

static void
write_filters(struct jw *w, const struct store_repo *repo)
{
	size_t i;

	jw_arr_open(w, "imageTagMutabilityExclusionFilters");
	for (i = 0; i < repo->n_exclusion_filters; i++) {
		jw_obj_open(w, NULL);
		jw_str(w, "filterType", repo->exclusion_filters[i].filter_type);
		jw_str(w, "filter", repo->exclusion_filters[i].filter);
		jw_obj_close(w);
	}
	jw_arr_close(w);
}

void
api_repo_write(struct call *call, struct jw *w, const char *key,
    const struct store_repo *repo)
{
	const struct core_repo_prefix *pfx;
	const char *parts[2];

	pfx = core_repo_prefix(call, repo->registry_id);
	jw_obj_open(w, key);
	parts[0] = pfx->arn;
	parts[1] = repo->name;
	jw_strv(w, "repositoryArn", parts, 2);
	jw_str(w, "registryId", repo->registry_id);
	jw_str(w, "repositoryName", repo->name);
	parts[0] = pfx->uri;
	jw_strv(w, "repositoryUri", parts, 2);
	jw_epoch(w, "createdAt", repo->created_at_ms);
	jw_str(w, "imageTagMutability", repo->tag_mutability);
	if (repo->n_exclusion_filters != 0)
		write_filters(w, repo);
	jw_obj_open(w, "imageScanningConfiguration");
	jw_bool(w, "scanOnPush", repo->scan_on_push);
	jw_obj_close(w);
	jw_obj_open(w, "encryptionConfiguration");
	jw_str(w, "encryptionType", repo->encryption_type);
	if (repo->kms_key[0] != '\0')
		jw_str(w, "kmsKey", repo->kms_key);
	jw_obj_close(w);
	jw_obj_close(w);
}

void
api_out_repo(struct call *call, const struct store_repo *repo)
{
	struct jw w;

	jw_init(&w);
	api_repo_write(call, &w, NULL, repo);
	jadd_jw(call->out, "repository", &w);
}

static const char *const status_names[] = {
    [STORE_IMAGE_ACTIVE] = "ACTIVE",
    [STORE_IMAGE_ARCHIVED] = "ARCHIVED",
    [STORE_IMAGE_ACTIVATING] = "ACTIVATING",
};

const char *
api_image_status_name(unsigned status)
{
	if (status >= sizeof status_names / sizeof status_names[0])
		return "ACTIVE";
	return status_names[status];
}

bool
api_image_status_matches(const char *filter, unsigned status)
{
	if (filter == NULL)
		filter = "ACTIVE"; /* the model's default (3.2) */
	return strcmp(filter, "ANY") == 0 ||
	       strcmp(filter, api_image_status_name(status)) == 0;
}

bool
api_image_tag_status_matches(const char *filter, const struct store_image *img)
{
	if (filter == NULL || strcmp(filter, "ANY") == 0)
		return true;
	if (strcmp(filter, "TAGGED") == 0)
		return img->n_tags != 0;
	return img->n_tags == 0;
}

void
api_image_id_write(struct jw *w, const char *key, const char *digest,
    const char *tag)
{
	jw_obj_open(w, key);
	jw_str(w, "imageDigest", digest);
	jw_str(w, "imageTag", tag);
	jw_obj_close(w);
}

/* imageScanStatus and, once complete, imageScanFindingsSummary. */
static void
scan_write(struct jw *w, const struct store_scan *scan)
{
	const char *name, *description;
	size_t i;

	name = api_scan_status_name(scan, &description);
	jw_obj_open(w, "imageScanStatus");
	jw_str(w, "status", name);
	if (description != NULL)
		jw_str(w, "description", description);
	jw_obj_close(w);
	if (scan->status != STORE_SCAN_COMPLETE)
		return;
	jw_obj_open(w, "imageScanFindingsSummary");
	jw_epoch(w, "imageScanCompletedAt", scan->completed_at_ms);
	if (scan->source_updated_at_ms != 0)
		jw_epoch(w, "vulnerabilitySourceUpdatedAt",
		    scan->source_updated_at_ms);
	jw_obj_open(w, "findingSeverityCounts");
	for (i = 0; i < STORE_SCAN_SEVERITIES; i++) {
		if (scan->counts[i] != 0)
			jw_i64(w, core_severity_names[i], scan->counts[i]);
	}
	jw_obj_close(w);
	jw_obj_close(w);
}

void
api_image_detail_write(struct jw *w, const struct store_repo *repo,
    const struct store_image *img, const struct store_scan *scan)
{
	size_t i;

	jw_obj_open(w, NULL);
	jw_str(w, "registryId", repo->registry_id);
	jw_str(w, "repositoryName", repo->name);
	jw_str(w, "imageDigest", img->digest);
	if (img->n_tags != 0) {
		jw_arr_open(w, "imageTags");
		for (i = 0; i < img->n_tags; i++)
			jw_str(w, NULL, img->tags[i]);
		jw_arr_close(w);
	}
	jw_i64(w, "imageSizeInBytes", (int64_t)img->size);
	jw_epoch(w, "imagePushedAt", img->pushed_at_ms);
	jw_str(w, "imageManifestMediaType", img->manifest_media_type);
	if (img->artifact_media_type[0] != '\0')
		jw_str(w, "artifactMediaType", img->artifact_media_type);
	if (img->last_pulled_at_ms != 0)
		jw_epoch(w, "lastRecordedPullTime", img->last_pulled_at_ms);
	if (img->subject_digest[0] != '\0')
		jw_str(w, "subjectManifestDigest", img->subject_digest);
	jw_str(w, "imageStatus", api_image_status_name(img->status));
	if (img->archived_at_ms != 0)
		jw_epoch(w, "lastArchivedAt", img->archived_at_ms);
	/* While ACTIVATING it is when the restore will end (core/restore.c). */
	if (img->activated_at_ms != 0 && img->status != STORE_IMAGE_ACTIVATING)
		jw_epoch(w, "lastActivatedAt", img->activated_at_ms);
	if (scan != NULL)
		scan_write(w, scan);
	jw_obj_close(w);
}

void
api_filter_strs(struct json_object *filter, const char **tag_status,
    const char **image_status)
{
	struct json_object *v;

	*tag_status = NULL;
	*image_status = NULL;
	if (filter == NULL)
		return;
	if (json_object_object_get_ex(filter, "tagStatus", &v) &&
	    json_object_is_type(v, json_type_string))
		*tag_status = json_object_get_string(v);
	if (json_object_object_get_ex(filter, "imageStatus", &v) &&
	    json_object_is_type(v, json_type_string))
		*image_status = json_object_get_string(v);
}

const char *
api_id_member(struct json_object *id, const char *key)
{
	struct json_object *v;

	if (id == NULL || !json_object_object_get_ex(id, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}
