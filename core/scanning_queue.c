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

#include "common/xalloc.h"
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

/*
 * A finished scan's event (integrations 1.4, 1.5): BASIC's "ECR Image
 * Scan", COMPLETE or FAILED, with the image's tags and the counts of the
 * severities found; ENHANCED's completion is Inspector's "Inspector2
 * Scan" (aws.inspector2), which reports no failure [unconfirmed].
 */
struct core_event *
core_scan_event(struct core_ctx *ctx, struct store_txn *txn,
    const struct store_repo *repo, const struct store_image *img,
    const struct store_scan *scan, int64_t at_ms)
{
	struct json_object *config = NULL;
	struct core_event *ev;
	bool is_enhanced;
	size_t i;

	if (!core_events_wanted(ctx))
		return NULL;
	if (core_scan_config_read(txn, repo->registry_id, repo->region,
	        &config) != 0)
		return NULL;
	is_enhanced = core_scan_is_enhanced(config);
	json_object_put(config);
	if (is_enhanced && scan->status != STORE_SCAN_COMPLETE)
		return NULL;
	ev = core_event_new(ctx,
	    is_enhanced ? CORE_EVENT_INSPECTOR : CORE_EVENT_SCAN,
	    repo->registry_id, repo->region, repo->name, img->digest);
	ev->at_ms = at_ms;
	ev->is_failure = scan->status != STORE_SCAN_COMPLETE;
	for (i = 0; i < STORE_SCAN_SEVERITIES && i < CORE_SEV__COUNT; i++)
		ev->severity_counts[i] = scan->counts[i];
	ev->tags = xreallocarray(NULL, img->n_tags + 1, sizeof *ev->tags);
	for (i = 0; i < img->n_tags; i++)
		ev->tags[i] = xstrdup(img->tags[i]);
	ev->n_tags = img->n_tags;
	return ev;
}

int
core_scan_set_result(struct call *call, const struct store_repo *repo,
    const struct store_image *img, unsigned status,
    struct store_finding *owned_list, size_t n)
{
	struct store_scan scan;
	struct core_event *ev;
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
	/* A result a test sets is a scan's completion too. */
	if (rc == 0 && (ev = core_scan_event(call->ctx, call->txn, repo, img,
	                    &scan, call->now_ms)) != NULL)
		core_events_add(&call->events, ev);
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
