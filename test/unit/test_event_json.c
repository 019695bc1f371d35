/*
 * Unit tests for server/event_json.c: EventBridge's envelope (its keys in
 * order, version "0", a fresh UUID id, RFC 3339 seconds, resources by
 * detail-type) and each detail-type's keys as ECR sends them
 * (docs/observability.md, "Events"; ecr-integrations.md 1.2-1.8).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "api/api.h"
#include "common/json.h"
#include "common/str.h"
#include "server/events.h"

#define DIGEST                                                                 \
	"sha256:3f1c0b9e5d2a7c4b8e6f0a1d2c3b4a59687766554433221"               \
	"10ffeeddccbbaa998"
#define ARN "arn:aws:ecr:us-east-1:111122223333:repository/team/app"
/* 2026-01-15T10:00:00Z and 120 ms. */
#define AT_MS 1768471200120LL

static void
base_event(struct core_event *ev, enum core_event_kind kind)
{
	memset(ev, 0, sizeof *ev);
	ev->kind = kind;
	ev->at_ms = AT_MS;
	ev->account = "111122223333";
	ev->region = "us-east-1";
	ev->repo_name = "team/app";
	ev->repo_arn = ARN;
	ev->digest = DIGEST;
}

/* The envelope rendered, and its detail compared with want's text. */
static struct json_object *
render(const struct core_event *ev, const char *want_detail)
{
	struct json_object *e = event_envelope(ev), *want, *d;
	char *cause = NULL;

	assert_int_equal(jparse_strict(want_detail, strlen(want_detail), &want,
	                     &cause),
	    0);
	d = jget(e, "detail", json_type_object);
	assert_non_null(d);
	if (!json_object_equal(d, want))
		fail_msg("detail %s, want %s",
		    json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN),
		    want_detail);
	json_object_put(want);
	return e;
}

static void
envelope_has_eventbridges_keys_in_order(void **state)
{
	static const char *const keys[] = {"version", "id", "detail-type",
	    "source", "account", "time", "region", "resources", "detail"};
	struct core_event ev;
	struct json_object *e, *e2;
	size_t i = 0;
	const char *id;

	(void)state;
	base_event(&ev, CORE_EVENT_IMAGE);
	ev.tag = "v1.2.0";
	e = event_envelope(&ev);
	json_object_object_foreach(e, k, v)
	{
		(void)v;
		assert_true(i < sizeof keys / sizeof keys[0]);
		assert_string_equal(k, keys[i++]);
	}
	assert_int_equal(i, sizeof keys / sizeof keys[0]);
	assert_string_equal(jget_str(e, "version"), "0");
	assert_string_equal(jget_str(e, "detail-type"), "ECR Image Action");
	assert_string_equal(jget_str(e, "source"), "aws.ecr");
	assert_string_equal(jget_str(e, "account"), "111122223333");
	assert_string_equal(jget_str(e, "region"), "us-east-1");
	assert_string_equal(jget_str(e, "time"), "2026-01-15T10:00:00Z");
	id = jget_str(e, "id");
	assert_int_equal(strlen(id), 36);
	assert_int_equal(id[14], '4');
	assert_int_equal(json_object_array_length(jget(e, "resources",
	                     json_type_array)),
	    0);
	/* Each event its own id. */
	e2 = event_envelope(&ev);
	assert_string_not_equal(jget_str(e2, "id"), id);
	json_object_put(e2);
	json_object_put(e);
}

static void
image_push_and_delete(void **state)
{
	struct core_event ev;

	(void)state;
	base_event(&ev, CORE_EVENT_IMAGE);
	ev.tag = "v1";
	/* Media types are recorded, but ECR's PUSH shows none. */
	ev.manifest_media_type = "application/vnd.oci.image.manifest.v1+json";
	json_object_put(render(&ev,
	    "{\"action-type\":\"PUSH\",\"result\":\"SUCCESS\","
	    "\"repository-name\":\"team/app\",\"image-digest\":\"" DIGEST
	    "\",\"image-tag\":\"v1\"}"));
	ev.action = CORE_EVENT_DELETE;
	ev.tag = NULL;
	json_object_put(render(&ev,
	    "{\"action-type\":\"DELETE\",\"result\":\"SUCCESS\","
	    "\"repository-name\":\"team/app\",\"image-digest\":\"" DIGEST
	    "\"}"));
}

static void
storage_class_archive_and_restore(void **state)
{
	struct core_event ev;
	struct json_object *e;

	(void)state;
	base_event(&ev, CORE_EVENT_IMAGE);
	ev.action = CORE_EVENT_STORAGE_CLASS;
	ev.is_archive = true;
	ev.tag = "ignored";
	ev.manifest_media_type = "application/vnd.oci.image.manifest.v1+json";
	ev.artifact_media_type = "application/vnd.oci.image.config.v1+json";
	json_object_put(render(&ev,
	    "{\"action-type\":\"UPDATE_STORAGE_CLASS\","
	    "\"target-storage-class\":\"ARCHIVE\",\"result\":\"SUCCESS\","
	    "\"repository-name\":\"team/app\",\"image-digest\":\"" DIGEST "\","
	    "\"manifest-media-type\":"
	    "\"application/vnd.oci.image.manifest.v1+json\","
	    "\"artifact-media-type\":"
	    "\"application/vnd.oci.image.config.v1+json\"}"));
	/* A restore: STANDARD, with the fraction's trailing zeros cut. */
	ev.kind = CORE_EVENT_REFERRER;
	ev.is_archive = false;
	ev.activated_at_ms = 1760123582740LL;
	ev.artifact_media_type = "application/vnd.cncf.notary.signature";
	e = render(&ev,
	    "{\"action-type\":\"UPDATE_STORAGE_CLASS\","
	    "\"target-storage-class\":\"STANDARD\",\"result\":\"SUCCESS\","
	    "\"repository-name\":\"team/app\",\"image-digest\":\"" DIGEST "\","
	    "\"manifest-media-type\":"
	    "\"application/vnd.oci.image.manifest.v1+json\","
	    "\"artifact-media-type\":\"application/vnd.cncf.notary.signature\","
	    "\"last-activated-at\":\"2025-10-10T19:13:02.74Z\"}");
	assert_string_equal(jget_str(e, "detail-type"), "ECR Referrer Action");
	assert_int_equal(json_object_array_length(jget(e, "resources",
	                     json_type_array)),
	    0);
	json_object_put(e);
}

static void
referrer_push_has_its_media_types(void **state)
{
	struct core_event ev;

	(void)state;
	base_event(&ev, CORE_EVENT_REFERRER);
	ev.manifest_media_type = "application/vnd.oci.image.manifest.v1+json";
	ev.artifact_media_type = "application/spdx+json";
	json_object_put(render(&ev,
	    "{\"action-type\":\"PUSH\",\"result\":\"SUCCESS\","
	    "\"repository-name\":\"team/app\",\"image-digest\":\"" DIGEST "\","
	    "\"manifest-media-type\":"
	    "\"application/vnd.oci.image.manifest.v1+json\","
	    "\"artifact-media-type\":\"application/spdx+json\"}"));
}

static void
scan_leaves_out_zero_counts(void **state)
{
	char *tags[] = {"v1.2.0"};
	struct core_event ev;
	struct json_object *e, *res;

	(void)state;
	base_event(&ev, CORE_EVENT_SCAN);
	ev.severity_counts[CORE_SEV_CRITICAL] = 1;
	ev.severity_counts[CORE_SEV_MEDIUM] = 4;
	ev.tags = tags;
	ev.n_tags = 1;
	e = render(&ev,
	    "{\"scan-status\":\"COMPLETE\",\"repository-name\":\"team/app\","
	    "\"finding-severity-counts\":{\"CRITICAL\":1,\"MEDIUM\":4},"
	    "\"image-digest\":\"" DIGEST "\",\"image-tags\":[\"v1.2.0\"]}");
	res = jget(e, "resources", json_type_array);
	assert_int_equal(json_object_array_length(res), 1);
	assert_string_equal(
	    json_object_get_string(json_object_array_get_idx(res, 0)), ARN);
	json_object_put(e);
	ev.is_failure = true;
	ev.n_tags = 0;
	memset(ev.severity_counts, 0, sizeof ev.severity_counts);
	json_object_put(render(&ev,
	    "{\"scan-status\":\"FAILED\",\"repository-name\":\"team/app\","
	    "\"finding-severity-counts\":{},"
	    "\"image-digest\":\"" DIGEST "\",\"image-tags\":[]}"));
}

static void
inspector_scan_names_the_arn_and_totals(void **state)
{
	struct core_event ev;
	struct json_object *e, *res;

	(void)state;
	base_event(&ev, CORE_EVENT_INSPECTOR);
	ev.severity_counts[CORE_SEV_HIGH] = 2;
	ev.severity_counts[CORE_SEV_LOW] = 3;
	e = render(&ev,
	    "{\"scan-status\":\"INITIAL_SCAN_COMPLETE\","
	    "\"repository-name\":\"" ARN "\","
	    "\"finding-severity-counts\":{\"CRITICAL\":0,\"HIGH\":2,"
	    "\"MEDIUM\":0,\"TOTAL\":5},"
	    "\"image-digest\":\"" DIGEST "\",\"image-tags\":[]}");
	assert_string_equal(jget_str(e, "source"), "aws.inspector2");
	assert_string_equal(jget_str(e, "detail-type"), "Inspector2 Scan");
	res = jget(e, "resources", json_type_array);
	assert_string_equal(
	    json_object_get_string(json_object_array_get_idx(res, 0)),
	    ARN "/" DIGEST);
	json_object_put(e);
}

static void
pull_through_success_and_failure(void **state)
{
	struct core_event ev;
	struct json_object *e;

	(void)state;
	base_event(&ev, CORE_EVENT_PULLTHROUGH);
	ev.repo_name = "docker-hub/library/alpine";
	ev.ptc_prefix = "docker-hub";
	ev.upstream_url = "registry-1.docker.io";
	ev.tag = "3.19";
	e = render(&ev,
	    "{\"rule-version\":\"1\",\"sync-status\":\"SUCCESS\","
	    "\"ecr-repository-prefix\":\"docker-hub\","
	    "\"repository-name\":\"docker-hub/library/alpine\","
	    "\"upstream-registry-url\":\"registry-1.docker.io\","
	    "\"image-tag\":\"3.19\",\"image-digest\":\"" DIGEST "\"}");
	assert_string_equal(jget_str(e, "detail-type"),
	    "ECR Pull Through Cache Action");
	json_object_put(e);
	ev.is_failure = true;
	ev.digest = NULL;
	ev.failure_code = "IMAGE_NOT_FOUND";
	ev.failure_reason = "gone";
	json_object_put(render(&ev,
	    "{\"rule-version\":\"1\",\"sync-status\":\"FAILED\","
	    "\"ecr-repository-prefix\":\"docker-hub\","
	    "\"repository-name\":\"docker-hub/library/alpine\","
	    "\"upstream-registry-url\":\"registry-1.docker.io\","
	    "\"image-tag\":\"3.19\",\"failure-code\":\"IMAGE_NOT_FOUND\","
	    "\"failure-reason\":\"gone\"}"));
}

static void
replication_in_the_destination(void **state)
{
	struct core_event ev;
	struct json_object *e;

	(void)state;
	base_event(&ev, CORE_EVENT_REPLICATION);
	ev.account = "444455556666";
	ev.region = "eu-west-1";
	ev.repo_arn = "arn:aws:ecr:eu-west-1:444455556666:repository/team/app";
	ev.source_account = "111122223333";
	ev.source_region = "us-east-1";
	ev.tag = "v1.2.0";
	e = render(&ev,
	    "{\"result\":\"SUCCESS\",\"repository-name\":\"team/app\","
	    "\"image-digest\":\"" DIGEST "\","
	    "\"source-account\":\"111122223333\","
	    "\"action-type\":\"REPLICATE\",\"source-region\":\"us-east-1\","
	    "\"image-tag\":\"v1.2.0\"}");
	assert_string_equal(jget_str(e, "account"), "444455556666");
	assert_string_equal(jget_str(e, "region"), "eu-west-1");
	json_object_put(e);
	ev.is_failure = true;
	e = event_envelope(&ev);
	assert_string_equal(jget_str(jget(e, "detail", json_type_object),
	                        "result"),
	    "FAILED");
	json_object_put(e);
}

static void
scan_resource_change_lists_the_repositories(void **state)
{
	struct core_scan_repo repos[2] = {
	    {"team/app", ARN, "CONTINUOUS_SCAN", "SCAN_ON_PUSH"},
	    {"web", "arn:aws:ecr:us-east-1:111122223333:repository/web",
	        "SCAN_ON_PUSH", "MANUAL"},
	};
	struct core_event ev;
	struct json_object *e, *res;

	(void)state;
	base_event(&ev, CORE_EVENT_SCAN_RESOURCE);
	ev.repo_name = NULL;
	ev.repo_arn = NULL;
	ev.digest = NULL;
	ev.scan_change = CORE_SCAN_FREQUENCY_CHANGE;
	ev.scan_repos = repos;
	ev.n_scan_repos = 2;
	e = render(&ev,
	    "{\"action-type\":\"SCAN_FREQUENCY_CHANGE\",\"repositories\":["
	    "{\"repository-name\":\"team/app\",\"repository-arn\":\"" ARN
	    "\",\"scan-frequency\":\"CONTINUOUS_SCAN\","
	    "\"previous-scan-frequency\":\"SCAN_ON_PUSH\"},"
	    "{\"repository-name\":\"web\",\"repository-arn\":"
	    "\"arn:aws:ecr:us-east-1:111122223333:repository/web\","
	    "\"scan-frequency\":\"SCAN_ON_PUSH\","
	    "\"previous-scan-frequency\":\"MANUAL\"}],"
	    "\"resource-type\":\"REPOSITORY\",\"scan-type\":\"ENHANCED\"}");
	assert_string_equal(jget_str(e, "detail-type"),
	    "ECR Scan Resource Change");
	assert_string_equal(jget_str(e, "source"), "aws.ecr");
	res = jget(e, "resources", json_type_array);
	assert_non_null(res);
	assert_int_equal(json_object_array_length(res), 0);
	json_object_put(e);

	/* A created repository: no previous frequency. */
	repos[0].prev_freq = NULL;
	ev.scan_change = CORE_SCAN_REPO_CREATE;
	ev.n_scan_repos = 1;
	e = render(&ev,
	    "{\"action-type\":\"REPOSITORY_CREATE\",\"repositories\":["
	    "{\"repository-name\":\"team/app\",\"repository-arn\":\"" ARN
	    "\",\"scan-frequency\":\"CONTINUOUS_SCAN\"}],"
	    "\"resource-type\":\"REPOSITORY\",\"scan-type\":\"ENHANCED\"}");
	json_object_put(e);

	/* An image pushed or deleted names its digest. */
	ev.scan_change = CORE_SCAN_IMAGE_DELETE;
	ev.digest = DIGEST;
	e = render(&ev,
	    "{\"action-type\":\"IMAGE_DELETE\",\"repositories\":["
	    "{\"repository-name\":\"team/app\",\"repository-arn\":\"" ARN
	    "\",\"scan-frequency\":\"CONTINUOUS_SCAN\"}],"
	    "\"resource-type\":\"IMAGE\",\"image-digest\":\"" DIGEST "\","
	    "\"scan-type\":\"ENHANCED\"}");
	json_object_put(e);
}

static void
time_is_rfc3339_utc(void **state)
{
	char t[STR_UTC_TIME_SIZE];

	(void)state;
	str_utc_time(t, 0, false);
	assert_string_equal(t, "1970-01-01T00:00:00Z");
	str_utc_time(t, AT_MS, false);
	assert_string_equal(t, "2026-01-15T10:00:00Z");
	str_utc_time(t, AT_MS, true);
	assert_string_equal(t, "2026-01-15T10:00:00.12Z");
	str_utc_time(t, AT_MS - 120, true);
	assert_string_equal(t, "2026-01-15T10:00:00Z");
	str_utc_time(t, AT_MS - 119, true);
	assert_string_equal(t, "2026-01-15T10:00:00.001Z");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(envelope_has_eventbridges_keys_in_order),
	    cmocka_unit_test(image_push_and_delete),
	    cmocka_unit_test(storage_class_archive_and_restore),
	    cmocka_unit_test(referrer_push_has_its_media_types),
	    cmocka_unit_test(scan_leaves_out_zero_counts),
	    cmocka_unit_test(inspector_scan_names_the_arn_and_totals),
	    cmocka_unit_test(pull_through_success_and_failure),
	    cmocka_unit_test(replication_in_the_destination),
	    cmocka_unit_test(scan_resource_change_lists_the_repositories),
	    cmocka_unit_test(time_is_rfc3339_utc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
