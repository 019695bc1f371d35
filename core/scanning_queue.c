/*
 * Asking for scans (docs/ecr-behaviour.md 3.7): StartImageScan and scan on
 * push mark the image's scan IN_PROGRESS and queue it durably in the
 * request's txn (scan_jobs), counted toward the registry's daily quota;
 * scanning_run.c drains the queue. Also the test hooks' way to set a
 * scan's result.
 */
#include "core/scanning.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "core/manifest.h"
#include "store/store.h"

#define MS_PER_DAY (24LL * 3600 * 1000)
#define CONFIG_OCI "application/vnd.oci.image.config.v1+json"
#define CONFIG_DOCKER "application/vnd.docker.container.image.v1+json"

const char *const core_severity_names[STORE_SCAN_SEVERITIES] = {
    "CRITICAL",
    "HIGH",
    "MEDIUM",
    "LOW",
    "INFORMATIONAL",
    "UNDEFINED",
};

size_t
core_severity_index(const char *severity)
{
	size_t i;

	for (i = 0; severity != NULL && i < STORE_SCAN_SEVERITIES; i++) {
		if (strcmp(severity, core_severity_names[i]) == 0)
			return i;
	}
	return STORE_SCAN_SEVERITIES - 1;
}

bool
core_scan_is_scannable(const struct store_image *img)
{
	const char *mt = img->manifest_media_type;

	if (img->kind != STORE_IMAGE_MANIFEST ||
	    (strcmp(mt, MEDIA_DOCKER_V2) != 0 &&
	        strcmp(mt, MEDIA_OCI_MANIFEST) != 0))
		return false;
	/* An OCI artifact's config (or artifactType) is not an image's. */
	return strcmp(img->artifact_media_type, CONFIG_OCI) == 0 ||
	       strcmp(img->artifact_media_type, CONFIG_DOCKER) == 0;
}

/*
 * Count a scan toward the registry's daily quota: 0, 1 when it is past
 * the quota, or -1 with a store error.
 */
static int
count_scan(struct call *call, const struct store_repo *repo)
{
	uint64_t n;
	int rc;

	rc = store_scan_count_add(call->txn, repo->registry_id, repo->region,
	    (uint64_t)(call->now_ms / MS_PER_DAY), &n);
	if (rc != 0)
		return core_fail_store(call, rc);
	return n > core_quota(call->ctx, CORE_QUOTA_SCANS) ? 1 : 0;
}

/* The scan record IN_PROGRESS and the job, in call->txn. */
static int
enqueue(struct call *call, const struct store_repo *repo,
    const struct store_image *img)
{
	struct store_scan scan;
	int rc;

	memset(&scan, 0, sizeof scan);
	rc = store_scan_get(call->txn, repo->id, img->digest, &scan);
	if (rc != 0 && rc != STORE_NOTFOUND)
		return core_fail_store(call, rc);
	/* The inventory stays for re-matching; the findings go. */
	scan.status = STORE_SCAN_IN_PROGRESS;
	scan.started_at_ms = call->now_ms;
	scan.completed_at_ms = 0;
	scan.n_findings = 0;
	memset(scan.counts, 0, sizeof scan.counts);
	rc = store_scan_put(call->txn, repo->id, img->digest, &scan);
	store_scan_release(&scan);
	if (rc == 0)
		rc = store_scan_findings_set(call->txn, repo->id, img->digest,
		    NULL, 0);
	if (rc == 0)
		rc = store_scan_job_put(call->txn, repo->id, img->digest,
		    call->now_ms);
	if (rc != 0)
		return core_fail_store(call, rc);
	call->ctx->is_scan_due = true;
	return 0;
}

int
core_scan_enqueue(struct call *call, const struct store_repo *repo,
    const struct store_image *img)
{
	int rc;

	if ((rc = count_scan(call, repo)) < 0)
		return -1;
	if (rc > 0)
		/* [unconfirmed] wording: the per-image message's. */
		return core_fail(call, ERR_LIMIT_EXCEEDED,
		    "The scan quota per registry has been exceeded. Wait and "
		    "try again.");
	return enqueue(call, repo, img);
}

int
core_scan_on_push(struct call *call, const struct store_repo *repo,
    const struct store_image *img)
{
	struct json_object *config;
	bool is_wanted;
	int rc;

	if (!core_scan_is_scannable(img))
		return 0;
	if ((rc = core_scan_config_read(call->txn, repo->registry_id,
	         repo->region, &config)) != 0)
		return core_fail_store(call, rc);
	is_wanted = core_scan_on_push_wanted(config, repo);
	json_object_put(config);
	if (!is_wanted || (rc = count_scan(call, repo)) < 0)
		return is_wanted ? -1 : 0;
	/* Past the registry's quota the push goes on, unscanned. */
	return rc > 0 ? 0 : enqueue(call, repo, img);
}

static void
free_list(struct store_finding *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		store_finding_release(&list[i]);
	free(list);
}

int
core_scan_set_result(struct call *call, const struct store_repo *repo,
    const struct store_image *img, unsigned status,
    struct store_finding *owned_list, size_t n)
{
	struct store_scan scan;
	size_t i;
	int rc;

	memset(&scan, 0, sizeof scan);
	rc = store_scan_get(call->txn, repo->id, img->digest, &scan);
	if (rc != 0 && rc != STORE_NOTFOUND) {
		free_list(owned_list, n);
		return core_fail_store(call, rc);
	}
	scan.status = (uint8_t)status;
	if (scan.started_at_ms == 0)
		scan.started_at_ms = call->now_ms;
	scan.completed_at_ms = call->now_ms;
	scan.n_findings = (uint32_t)n;
	memset(scan.counts, 0, sizeof scan.counts);
	for (i = 0; i < n; i++)
		scan.counts[core_severity_index(owned_list[i].severity)]++;
	rc = store_scan_put(call->txn, repo->id, img->digest, &scan);
	store_scan_release(&scan);
	if (rc == 0)
		rc = store_scan_findings_set(call->txn, repo->id, img->digest,
		    owned_list, n);
	/* A scan still queued would overwrite what the test set. */
	if (rc == 0)
		rc = store_scan_job_delete(call->txn, repo->id, img->digest);
	free_list(owned_list, n);
	if (rc != 0 && rc != STORE_NOTFOUND)
		return core_fail_store(call, rc);
	return 0;
}
