/*
 * EventBridge's JSON for ECR's events (docs/observability.md, "Events"):
 * the envelope, built once here, and one function per detail-type with
 * ECR's detail keys, in the order ECR's examples show them.
 */
#include "server/events.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "api/api.h"
#include "common/json.h"
#include "common/str.h"
#include "common/uuid.h"
#include "common/xalloc.h"

static const char *
image_action(enum core_event_action a)
{
	switch (a) {
	case CORE_EVENT_PUSH:
		return "PUSH";
	case CORE_EVENT_DELETE:
		return "DELETE";
	case CORE_EVENT_STORAGE_CLASS:
		return "UPDATE_STORAGE_CLASS";
	}
	return "PUSH";
}

/*
 * ECR Image Action and ECR Referrer Action (integrations 1.3, 1.8): the
 * same keys; a storage-class change adds its class and the media types,
 * a restore its last-activated-at, a referrer's push its media types.
 * FAILURE is never shown by ECR [unconfirmed]: see docs.
 */
static struct json_object *
image_detail(const struct core_event *ev)
{
	struct json_object *d = jnew_obj();
	char t[STR_UTC_TIME_SIZE];
	bool is_storage = ev->action == CORE_EVENT_STORAGE_CLASS;
	bool has_types = is_storage || ev->kind == CORE_EVENT_REFERRER;

	jadd_str(d, "action-type", image_action(ev->action));
	if (is_storage)
		jadd_str(d, "target-storage-class",
		    ev->is_archive ? "ARCHIVE" : "STANDARD");
	jadd_str(d, "result", ev->is_failure ? "FAILURE" : "SUCCESS");
	jadd_str(d, "repository-name", ev->repo_name);
	jadd_str(d, "image-digest", ev->digest);
	if (!is_storage)
		jadd_str(d, "image-tag", ev->tag);
	if (has_types) {
		jadd_str(d, "manifest-media-type", ev->manifest_media_type);
		jadd_str(d, "artifact-media-type", ev->artifact_media_type);
	}
	if (is_storage && ev->activated_at_ms > 0) {
		str_utc_time(t, ev->activated_at_ms, true);
		jadd_str(d, "last-activated-at", t);
	}
	return d;
}

static const char *const severity_names[CORE_SEV__COUNT] = {
    [CORE_SEV_CRITICAL] = "CRITICAL",
    [CORE_SEV_HIGH] = "HIGH",
    [CORE_SEV_MEDIUM] = "MEDIUM",
    [CORE_SEV_LOW] = "LOW",
    [CORE_SEV_INFORMATIONAL] = "INFORMATIONAL",
    [CORE_SEV_UNDEFINED] = "UNDEFINED",
};

static struct json_object *
tags_array(const struct core_event *ev)
{
	struct json_object *a = jnew_arr();
	size_t i;

	for (i = 0; i < ev->n_tags; i++)
		jpush_str(a, ev->tags[i]);
	return a;
}

/*
 * ECR Image Scan (integrations 1.4): a severity without findings is left
 * out, not sent as 0; image-tags is a list (maybe empty). FAILED is the
 * failure's status [unconfirmed].
 */
static struct json_object *
scan_detail(const struct core_event *ev)
{
	struct json_object *d = jnew_obj(), *counts = jnew_obj();
	size_t i;

	jadd_str(d, "scan-status", ev->is_failure ? "FAILED" : "COMPLETE");
	jadd_str(d, "repository-name", ev->repo_name);
	for (i = 0; i < CORE_SEV__COUNT; i++) {
		if (ev->severity_counts[i] != 0)
			jadd_i64(counts, severity_names[i],
			    (int64_t)ev->severity_counts[i]);
	}
	jadd_obj(d, "finding-severity-counts", counts);
	jadd_str(d, "image-digest", ev->digest);
	jadd_obj(d, "image-tags", tags_array(ev));
	return d;
}

/*
 * Enhanced scanning's completion comes from Inspector, not ECR
 * (integrations 1.5): repository-name holds the repository's ARN and the
 * counts are CRITICAL, HIGH, MEDIUM and TOTAL, each present.
 */
static struct json_object *
inspector_detail(const struct core_event *ev)
{
	struct json_object *d = jnew_obj(), *counts = jnew_obj();
	uint64_t total = 0;
	size_t i;

	for (i = 0; i < CORE_SEV__COUNT; i++)
		total += ev->severity_counts[i];
	jadd_str(d, "scan-status", "INITIAL_SCAN_COMPLETE");
	jadd_str(d, "repository-name", ev->repo_arn);
	jadd_i64(counts, "CRITICAL",
	    (int64_t)ev->severity_counts[CORE_SEV_CRITICAL]);
	jadd_i64(counts, "HIGH", (int64_t)ev->severity_counts[CORE_SEV_HIGH]);
	jadd_i64(counts, "MEDIUM",
	    (int64_t)ev->severity_counts[CORE_SEV_MEDIUM]);
	jadd_i64(counts, "TOTAL", (int64_t)total);
	jadd_obj(d, "finding-severity-counts", counts);
	jadd_str(d, "image-digest", ev->digest);
	jadd_obj(d, "image-tags", tags_array(ev));
	return d;
}

/*
 * ECR Pull Through Cache Action (integrations 1.6): rule-version is "1"
 * as in ECR's example (rules have no versions here); FAILED and the
 * failure keys on a failed sync [unconfirmed values].
 */
static struct json_object *
ptc_detail(const struct core_event *ev)
{
	struct json_object *d = jnew_obj();

	jadd_str(d, "rule-version", "1");
	jadd_str(d, "sync-status", ev->is_failure ? "FAILED" : "SUCCESS");
	jadd_str(d, "ecr-repository-prefix", ev->ptc_prefix);
	jadd_str(d, "repository-name", ev->repo_name);
	jadd_str(d, "upstream-registry-url", ev->upstream_url);
	jadd_str(d, "image-tag", ev->tag);
	jadd_str(d, "image-digest", ev->digest);
	jadd_str(d, "failure-code", ev->failure_code);
	jadd_str(d, "failure-reason", ev->failure_reason);
	return d;
}

/* ECR Replication Action (integrations 1.7), in the destination. */
static struct json_object *
replication_detail(const struct core_event *ev)
{
	struct json_object *d = jnew_obj();

	jadd_str(d, "result", ev->is_failure ? "FAILED" : "SUCCESS");
	jadd_str(d, "repository-name", ev->repo_name);
	jadd_str(d, "image-digest", ev->digest);
	jadd_str(d, "source-account", ev->source_account);
	jadd_str(d, "action-type", "REPLICATE");
	jadd_str(d, "source-region", ev->source_region);
	jadd_str(d, "image-tag", ev->tag);
	return d;
}

static const char *const scan_changes[] = {
    [CORE_SCAN_FREQUENCY_CHANGE] = "SCAN_FREQUENCY_CHANGE",
    /* ECR's prose names these actions, not their values [unconfirmed]. */
    [CORE_SCAN_REPO_CREATE] = "REPOSITORY_CREATE",
    [CORE_SCAN_IMAGE_PUSH] = "IMAGE_PUSH",
    [CORE_SCAN_IMAGE_DELETE] = "IMAGE_DELETE",
};

/*
 * ECR Scan Resource Change (integrations 1.5): the repositories whose
 * enhanced-scanning coverage changed. An image's push or delete says
 * resource-type IMAGE and its image-digest [unconfirmed: ECR shows only a
 * frequency change, REPOSITORY].
 */
static struct json_object *
scan_resource_detail(const struct core_event *ev)
{
	struct json_object *d = jnew_obj(), *repos = jnew_arr(), *r;
	size_t i;

	jadd_str(d, "action-type", scan_changes[ev->scan_change]);
	for (i = 0; i < ev->n_scan_repos; i++) {
		r = jnew_obj();
		jadd_str(r, "repository-name", ev->scan_repos[i].name);
		jadd_str(r, "repository-arn", ev->scan_repos[i].arn);
		jadd_str(r, "scan-frequency", ev->scan_repos[i].freq);
		jadd_str(r, "previous-scan-frequency",
		    ev->scan_repos[i].prev_freq);
		jpush(repos, r);
	}
	jadd_obj(d, "repositories", repos);
	jadd_str(d, "resource-type",
	    ev->digest != NULL ? "IMAGE" : "REPOSITORY");
	jadd_str(d, "image-digest", ev->digest);
	jadd_str(d, "scan-type", "ENHANCED");
	return d;
}

/* A detail-type: its name, its source, whether resources names the repo. */
struct detail_type {
	const char *name;
	const char *source;
	bool has_resource;
	struct json_object *(*detail)(const struct core_event *);
};

static const struct detail_type detail_types[] = {
    [CORE_EVENT_IMAGE] = {"ECR Image Action", "aws.ecr", false, image_detail},
    [CORE_EVENT_REFERRER] = {"ECR Referrer Action", "aws.ecr", false,
        image_detail},
    [CORE_EVENT_SCAN] = {"ECR Image Scan", "aws.ecr", true, scan_detail},
    [CORE_EVENT_INSPECTOR] = {"Inspector2 Scan", "aws.inspector2", true,
        inspector_detail},
    [CORE_EVENT_PULLTHROUGH] = {"ECR Pull Through Cache Action", "aws.ecr",
        true, ptc_detail},
    [CORE_EVENT_REPLICATION] = {"ECR Replication Action", "aws.ecr", true,
        replication_detail},
    [CORE_EVENT_SCAN_RESOURCE] = {"ECR Scan Resource Change", "aws.ecr", false,
        scan_resource_detail},
};

/*
 * EventBridge's envelope (integrations 1.2): resources is empty for image
 * and referrer actions, the repository's ARN for the others; an
 * Inspector2 Scan names the image (the ARN, "/", its digest)
 * [unconfirmed].
 */
struct json_object *
event_envelope(const struct core_event *ev)
{
	const struct detail_type *dt = &detail_types[ev->kind];
	struct json_object *e = jnew_obj(), *res = jnew_arr();
	char id[UUID_SIZE], t[STR_UTC_TIME_SIZE];
	char *image_arn;

	uuid_v4(id);
	str_utc_time(t, ev->at_ms, false);
	jadd_str(e, "version", "0");
	jadd_str(e, "id", id);
	jadd_str(e, "detail-type", dt->name);
	jadd_str(e, "source", dt->source);
	jadd_str(e, "account", ev->account);
	jadd_str(e, "time", t);
	jadd_str(e, "region", ev->region);
	if (ev->kind == CORE_EVENT_INSPECTOR && ev->digest != NULL) {
		image_arn = xasprintf("%s/%s", ev->repo_arn, ev->digest);
		jpush_str(res, image_arn);
		free(image_arn);
	} else if (dt->has_resource)
		jpush_str(res, ev->repo_arn);
	jadd_obj(e, "resources", res);
	jadd_obj(e, "detail", dt->detail(ev));
	return e;
}
