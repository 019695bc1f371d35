/*
 * Scan results in ECR's shapes (docs/ecr-behaviour.md 3.7,
 * ecr-integrations.md 4.7-4.8): a scan's status and summary, a basic
 * finding, the same match as Inspector's enhanced finding, the page
 * cursor of DescribeImageScanFindings, and an ECR-shaped finding (the
 * test hooks' input) as the store keeps it.
 */
#include "api/api_int.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/parse.h"
#include "common/xalloc.h"
#include "core/image.h"
#include "core/scanning.h"
#include "store/store.h"

/* ECR's status names and descriptions, by enum store_scan_status. */
static const struct {
	const char *name;
	const char *description; /* NULL: none */
} statuses[] = {
    [STORE_SCAN_IN_PROGRESS] = {"IN_PROGRESS", NULL},
    [STORE_SCAN_COMPLETE] = {"COMPLETE",
        "The scan was completed successfully."},
    /* [unconfirmed]: ECR's wording of a failed basic scan. */
    [STORE_SCAN_FAILED] = {"FAILED", "The scan failed."},
    [STORE_SCAN_UNSUPPORTED] = {"UNSUPPORTED_IMAGE",
        "UnsupportedImageError: The operating system and/or package "
        "manager are not supported."},
};

const char *
api_scan_status_name(const struct store_scan *scan, const char **description)
{
	unsigned s = scan->status <= STORE_SCAN_UNSUPPORTED ? scan->status
	                                                    : STORE_SCAN_FAILED;

	*description = statuses[s].description;
	return statuses[s].name;
}

struct json_object *
api_scan_status_json(const struct store_scan *scan)
{
	struct json_object *o = jnew_obj();
	const char *description;

	jadd_str(o, "status", api_scan_status_name(scan, &description));
	jadd_str(o, "description", description);
	return o;
}

/* {"CRITICAL": n, ...}: only the severities found (ecr-integrations 1.4). */
struct json_object *
api_scan_counts_json(const struct store_scan *scan)
{
	struct json_object *o = jnew_obj();
	size_t i;

	for (i = 0; i < STORE_SCAN_SEVERITIES; i++) {
		if (scan->counts[i] != 0)
			jadd_i64(o, core_severity_names[i], scan->counts[i]);
	}
	return o;
}

void
api_scan_times_add(struct json_object *o, const struct store_scan *scan)
{
	jadd_epoch(o, "imageScanCompletedAt", scan->completed_at_ms);
	/* Without a feed there is no source to date: left out. */
	if (scan->source_updated_at_ms != 0)
		jadd_epoch(o, "vulnerabilitySourceUpdatedAt",
		    scan->source_updated_at_ms);
}

static void
attribute(struct json_object *list, const char *key, const char *value)
{
	struct json_object *o;

	if (value == NULL || value[0] == '\0')
		return;
	o = jnew_obj();
	jadd_str(o, "key", key);
	jadd_str(o, "value", value);
	jpush(list, o);
}

struct json_object *
api_finding_json(const struct store_finding *f)
{
	struct json_object *o = jnew_obj(), *attrs = jnew_arr();
	char score[16];

	jadd_str(o, "name", f->name);
	if (f->description != NULL && f->description[0] != '\0')
		jadd_str(o, "description", f->description);
	if (f->uri != NULL && f->uri[0] != '\0')
		jadd_str(o, "uri", f->uri);
	jadd_str(o, "severity", f->severity);
	attribute(attrs, "package_version", f->package_version);
	attribute(attrs, "package_name", f->package_name);
	attribute(attrs, "CVSS3_VECTOR", f->cvss3_vector);
	if (f->cvss3_score >= 0) {
		snprintf(score, sizeof score, "%.1f", f->cvss3_score);
		attribute(attrs, "CVSS3_SCORE", score);
	}
	jadd_obj(o, "attributes", attrs);
	return o;
}

/*
 * A Debian-style version split as Inspector splits it: epoch before ':',
 * release after the last '-' (2.9.14+dfsg-1.3~deb12u1).
 */
static void
vulnerable_package(struct json_object *pkg, const char *v)
{
	const char *colon = strchr(v, ':'), *dash = strrchr(v, '-');
	char *copy;

	if (colon != NULL) {
		copy = xstrndup(v, (size_t)(colon - v));
		jadd_str(pkg, "epoch", copy);
		free(copy);
		v = colon + 1;
	}
	if (dash != NULL && dash > v) {
		copy = xstrndup(v, (size_t)(dash - v));
		jadd_str(pkg, "version", copy);
		free(copy);
		jadd_str(pkg, "release", dash + 1);
	} else
		jadd_str(pkg, "version", v);
}

static struct json_object *
package_details(const struct store_finding *f)
{
	struct json_object *d = jnew_obj(), *cvss, *arr, *pkg;

	arr = jnew_arr();
	if (f->cvss3_score >= 0) {
		cvss = jnew_obj();
		jadd_tenths(cvss, "baseScore", f->cvss3_score);
		jadd_str(cvss, "scoringVector", f->cvss3_vector);
		jadd_str(cvss, "source", "OSV");
		jadd_str(cvss, "version", "3.1");
		jpush(arr, cvss);
	}
	jadd_obj(d, "cvss", arr);
	arr = jnew_arr();
	if (f->uri != NULL && f->uri[0] != '\0')
		jpush_str(arr, f->uri);
	jadd_obj(d, "referenceUrls", arr);
	arr = jnew_arr();
	if (f->osv_id != NULL && strcmp(f->osv_id, f->name) != 0)
		jpush_str(arr, f->osv_id);
	jadd_obj(d, "relatedVulnerabilities", arr);
	jadd_str(d, "source", "OSV");
	if (f->uri != NULL && f->uri[0] != '\0')
		jadd_str(d, "sourceUrl", f->uri);
	jadd_str(d, "vendorSeverity", f->severity);
	jadd_str(d, "vulnerabilityId", f->name);
	pkg = jnew_obj();
	jadd_str(pkg, "name", f->package_name);
	vulnerable_package(pkg,
	    f->package_version != NULL ? f->package_version : "");
	jadd_str(pkg, "packageManager", "OS");
	jadd_str(pkg, "fixedInVersion",
	    f->fixed_version != NULL && f->fixed_version[0] != '\0'
	        ? f->fixed_version
	        : "NotAvailable");
	arr = jnew_arr();
	jpush(arr, pkg);
	jadd_obj(d, "vulnerablePackages", arr);
	return d;
}

static struct json_object *
resource(struct call *call, const struct store_repo *repo,
    const struct store_image *img)
{
	struct json_object *r = jnew_obj(), *details, *ecr, *tags, *arr;
	char arn[CORE_ARN_MAX];
	size_t i;

	ecr = jnew_obj();
	jadd_str(ecr, "imageHash", img->digest);
	tags = jnew_arr();
	for (i = 0; i < img->n_tags; i++)
		jpush_str(tags, img->tags[i]);
	jadd_obj(ecr, "imageTags", tags);
	jadd_epoch(ecr, "pushedAt", img->pushed_at_ms);
	jadd_str(ecr, "registry", repo->registry_id);
	jadd_str(ecr, "repositoryName", repo->name);
	details = jnew_obj();
	jadd_obj(details, "awsEcrContainerImage", ecr);
	jadd_obj(r, "details", details);
	core_repo_arn(call, repo->registry_id, repo->name, arn, sizeof arn);
	jadd_str(r, "id", call_printf(call, "%s/%s", arn, img->digest));
	jadd_obj(r, "tags", jnew_obj());
	jadd_str(r, "type", "AWS_ECR_CONTAINER_IMAGE");
	arr = jnew_arr();
	jpush(arr, r);
	return arr;
}

/* Inspector's finding ARN: stable for an image, vulnerability and package. */
static const char *
finding_arn(struct call *call, const struct store_repo *repo,
    const struct store_image *img, const struct store_finding *f)
{
	char digest[CORE_DIGEST_SIZE], *text;

	text = xasprintf("%s\n%s\n%s", img->digest, f->name,
	    f->package_name != NULL ? f->package_name : "");
	core_digest_of(text, strlen(text), false, digest);
	free(text);
	/* "sha256:" and the first 32 hex digits. */
	return call_printf(call, "arn:aws:inspector2:%s:%s:finding/%.32s",
	    repo->region, repo->registry_id, digest + 7);
}

struct json_object *
api_enhanced_finding_json(struct call *call, const struct store_repo *repo,
    const struct store_image *img, const struct store_scan *scan,
    const struct store_finding *f)
{
	struct json_object *o = jnew_obj(), *sd, *cvss;
	bool has_fix = f->fixed_version != NULL && f->fixed_version[0] != '\0';

	jadd_str(o, "awsAccountId", repo->registry_id);
	if (f->description != NULL && f->description[0] != '\0')
		jadd_str(o, "description", f->description);
	jadd_str(o, "findingArn", finding_arn(call, repo, img, f));
	jadd_epoch(o, "firstObservedAt", scan->completed_at_ms);
	jadd_epoch(o, "lastObservedAt", scan->completed_at_ms);
	jadd_epoch(o, "updatedAt", scan->completed_at_ms);
	jadd_obj(o, "packageVulnerabilityDetails", package_details(f));
	sd = jnew_obj();
	jadd_str(sd, "text",
	    has_fix ? call_printf(call, "Upgrade %s to version %s or later.",
	                  f->package_name, f->fixed_version)
	            : "None Provided");
	cvss = jnew_obj();
	jadd_obj(cvss, "recommendation", sd);
	jadd_obj(o, "remediation", cvss);
	jadd_obj(o, "resources", resource(call, repo, img));
	if (f->cvss3_score >= 0) {
		jadd_tenths(o, "score", f->cvss3_score);
		cvss = jnew_obj();
		jadd_obj(cvss, "adjustments", jnew_arr());
		jadd_tenths(cvss, "score", f->cvss3_score);
		jadd_str(cvss, "scoreSource", "OSV");
		jadd_str(cvss, "scoringVector", f->cvss3_vector);
		jadd_str(cvss, "version", "3.1");
		sd = jnew_obj();
		jadd_obj(sd, "cvss", cvss);
		jadd_obj(o, "scoreDetails", sd);
	}
	jadd_str(o, "severity", f->severity);
	jadd_str(o, "status", "ACTIVE");
	jadd_str(o, "title",
	    call_printf(call, "%s - %s", f->name,
	        f->package_name != NULL ? f->package_name : ""));
	jadd_str(o, "type", "PACKAGE_VULNERABILITY");
	jadd_str(o, "fixAvailable", has_fix ? "YES" : "NO");
	return o;
}

void
api_scan_cursor_format(char *dst, size_t size, uint32_t index,
    const char *digest)
{
	snprintf(dst, size, "%" PRIu32 "@%s", index, digest);
}

int
api_scan_cursor_parse(const char *cursor, const char *digest, uint32_t *index)
{
	const char *at = strchr(cursor, '@');
	const char *errstr;
	char num[16];
	uint64_t n;

	if (at == NULL || at == cursor || (size_t)(at - cursor) >= sizeof num ||
	    strcmp(at + 1, digest) != 0)
		return -1;
	memcpy(num, cursor, (size_t)(at - cursor));
	num[at - cursor] = '\0';
	if (parse_u64(num, 0, STORE_SCAN_FINDINGS_MAX, &n, &errstr) != 0)
		return -1;
	*index = (uint32_t)n;
	return 0;
}

/* A CVSS score as text, "9.8" or "7": in tenths, or -1 if not one. */
static double
score_of(const char *s)
{
	const char *dot = strchr(s, '.'), *errstr;
	char whole[4];
	uint64_t w, t = 0;

	if (dot == NULL)
		dot = s + strlen(s);
	else if (strlen(dot + 1) != 1 ||
	         parse_u64(dot + 1, 0, 9, &t, &errstr) != 0)
		return -1;
	if (dot == s || (size_t)(dot - s) >= sizeof whole)
		return -1;
	memcpy(whole, s, (size_t)(dot - s));
	whole[dot - s] = '\0';
	if (parse_u64(whole, 0, 10, &w, &errstr) != 0 || w * 10 + t > 100)
		return -1;
	return (double)(w * 10 + t) / 10;
}

/* A member's string (owned copy), or NULL when absent or not a string. */
static char *
dup_member(struct json_object *o, const char *key)
{
	const char *s = jget_str(o, key);

	return s != NULL ? xstrdup(s) : NULL;
}

int
api_finding_from_json(struct json_object *in, struct store_finding *out,
    const char **why)
{
	struct store_finding f;
	struct json_object *attrs, *a;
	const char *key, *value;
	size_t i, n;

	memset(&f, 0, sizeof f);
	f.cvss3_score = -1;
	if (!json_object_is_type(in, json_type_object) ||
	    jget_str(in, "name") == NULL) {
		*why = "each finding needs a name";
		return -1;
	}
	f.name = dup_member(in, "name");
	f.osv_id = dup_member(in, "name");
	f.description = dup_member(in, "description");
	f.uri = dup_member(in, "uri");
	f.severity =
	    xstrdup(core_severity_names[core_severity_index(jget_str(in,
	        "severity"))]);
	attrs = jget(in, "attributes", json_type_array);
	n = attrs != NULL ? json_object_array_length(attrs) : 0;
	for (i = 0; i < n; i++) {
		a = json_object_array_get_idx(attrs, i);
		key = jget_str(a, "key");
		value = jget_str(a, "value");
		if (key == NULL || value == NULL)
			continue;
		if (strcmp(key, "package_name") == 0 && f.package_name == NULL)
			f.package_name = xstrdup(value);
		else if (strcmp(key, "package_version") == 0 &&
		         f.package_version == NULL)
			f.package_version = xstrdup(value);
		else if (strcmp(key, "CVSS3_VECTOR") == 0 &&
		         f.cvss3_vector == NULL)
			f.cvss3_vector = xstrdup(value);
		else if (strcmp(key, "CVSS3_SCORE") == 0)
			f.cvss3_score = score_of(value);
	}
	*out = f;
	return 0;
}
