/*
 * Matching an inventory against the OSV index (docs/scanning.md,
 * "Matching"): each source package and version looked up under the
 * image's ecosystem and its family's bare name, affected when listed in
 * `versions` or inside an ECOSYSTEM range, one finding per vulnerability
 * and source package.
 */
#include "core/scan_int.h"

#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/xalloc.h"

/* Findings as they are found. */
struct finding_list {
	struct scan_finding *v;
	size_t n, size;
};

/* The source package and version a finding is about. */
struct src_pkg {
	const char *name, *version;
};

/*
 * Whether version lies in the range (OSV's evaluation: walk the sorted
 * events; introduced opens, fixed and last_affected close); if so,
 * *fixed is the range's first fix after it, or NULL.
 */
static bool
is_in_range(const struct osv_range *r, enum osv_family f, const char *version,
    const char **fixed)
{
	const struct osv_event *e;
	bool is_vulnerable = false;
	size_t i;

	for (i = 0; i < r->n_events; i++) {
		e = &r->events[i];
		if (e->kind == OSV_INTRODUCED)
			is_vulnerable |=
			    e->version == NULL ||
			    osv_version_cmp(f, version, e->version) >= 0;
		else if (e->kind == OSV_FIXED &&
		         osv_version_cmp(f, version, e->version) >= 0)
			is_vulnerable = false;
		else if (e->kind == OSV_LAST_AFFECTED &&
		         osv_version_cmp(f, version, e->version) > 0)
			is_vulnerable = false;
	}
	if (!is_vulnerable)
		return false;
	*fixed = NULL;
	for (i = 0; i < r->n_events && *fixed == NULL; i++) {
		e = &r->events[i];
		if (e->kind == OSV_FIXED &&
		    osv_version_cmp(f, version, e->version) < 0)
			*fixed = e->version;
	}
	return true;
}

static bool
is_affected(const struct osv_affected *a, const char *version,
    const char **fixed)
{
	size_t i;

	*fixed = NULL;
	for (i = 0; i < a->n_ranges; i++)
		if (is_in_range(&a->ranges[i], a->family, version, fixed))
			return true;
	for (i = 0; i < a->n_versions; i++)
		if (osv_version_cmp(a->family, a->versions[i], version) == 0)
			return true;
	return false;
}

static int
severity_rank(const char *s)
{
	static const char *const order[] = {
	    "UNDEFINED", "INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"};
	int i;

	for (i = 0; i < (int)(sizeof(order) / sizeof(order[0])); i++)
		if (strcmp(s, order[i]) == 0)
			return i;
	return 0;
}

/*
 * The finding's link: the record's advisory, else the distro's tracker
 * page for the CVE, else its first reference, else its OSV.dev page.
 */
static char *
uri_of(const struct osv_record *rec, const char *ecosystem)
{
	if (rec->advisory_uri != NULL)
		return xstrdup(rec->advisory_uri);
	if (str_has_prefix(rec->name, "CVE-")) {
		if (str_has_prefix(ecosystem, "Debian"))
			return xasprintf("https://security-tracker.debian.org/"
			                 "tracker/%s",
			    rec->name);
		if (str_has_prefix(ecosystem, "Ubuntu"))
			return xasprintf("https://ubuntu.com/security/%s",
			    rec->name);
		if (str_has_prefix(ecosystem, "Alpine"))
			return xasprintf("https://security.alpinelinux.org/"
			                 "vuln/%s",
			    rec->name);
	}
	if (rec->first_uri != NULL)
		return xstrdup(rec->first_uri);
	return xasprintf("https://osv.dev/vulnerability/%s", rec->id);
}

/*
 * Severity (docs/scanning.md, "Severity"): the package's CVSS v3 vector,
 * else the record's, scored and banded; else the distro's own rating,
 * the package's before the record's; else UNDEFINED.
 */
static void
set_severity(struct scan_finding *f, const struct osv_affected *a,
    const struct osv_record *rec)
{
	const struct osv_severity *cvss =
	    a->severity.cvss3_vector != NULL ? &a->severity : &rec->severity;

	f->cvss3_score = -1;
	if (cvss->cvss3_vector != NULL) {
		f->cvss3_vector = xstrdup(cvss->cvss3_vector);
		f->cvss3_score = cvss->cvss3_score;
		f->severity = cvss3_severity(cvss->cvss3_score);
	} else if (a->severity.level != NULL)
		f->severity = a->severity.level;
	else if (rec->severity.level != NULL)
		f->severity = rec->severity.level;
	else
		f->severity = "UNDEFINED";
}

static void
add_finding(struct finding_list *l, const struct osv_affected *a,
    const struct osv_record *rec, const struct src_pkg *p, const char *fixed,
    const char *ecosystem)
{
	struct scan_finding *f;

	if (l->n == l->size) {
		l->size = l->size == 0 ? 16 : l->size * 2;
		l->v = xreallocarray(l->v, l->size, sizeof(*l->v));
	}
	f = &l->v[l->n++];
	memset(f, 0, sizeof(*f));
	f->name = xstrdup(rec->name);
	f->osv_id = xstrdup(rec->id);
	f->description =
	    rec->description != NULL ? xstrdup(rec->description) : NULL;
	f->uri = uri_of(rec, ecosystem);
	set_severity(f, a, rec);
	f->package_name = xstrdup(p->name);
	f->package_version = xstrdup(p->version);
	f->fixed_version = fixed != NULL ? xstrdup(fixed) : NULL;
}

/* The index's entries for one source package under one ecosystem key. */
static void
match_key(const struct vulndb *db, const char *key, const struct src_pkg *p,
    const char *ecosystem, struct finding_list *l)
{
	const struct osv_affected *a;
	const char *fixed;
	size_t i;

	for (i = osv_find(db, key, p->name); i < db->n_aff; i++) {
		a = &db->aff[i];
		if (strcmp(a->ecosystem, key) != 0 ||
		    strcmp(a->name, p->name) != 0)
			break;
		if (is_affected(a, p->version, &fixed))
			add_finding(l, a, &db->recs[a->rec], p, fixed,
			    ecosystem);
	}
}

static int
src_cmp(const void *x, const void *y)
{
	const struct src_pkg *a = x, *b = y;
	int rc = strcmp(a->name, b->name);

	return rc != 0 ? rc : strcmp(a->version, b->version);
}

/* The distinct (source, version) pairs of the inventory, sorted. */
static struct src_pkg *
sources_of(const struct scan_inventory *inv, size_t *n)
{
	struct src_pkg *v = xcalloc(inv->n_pkgs + 1, sizeof(*v));
	size_t i, j;

	for (i = j = 0; i < inv->n_pkgs; i++) {
		if (inv->pkgs[i].source == NULL ||
		    inv->pkgs[i].source_version == NULL)
			continue;
		v[j].name = inv->pkgs[i].source;
		v[j++].version = inv->pkgs[i].source_version;
	}
	if (j > 0)
		qsort(v, j, sizeof(*v), src_cmp);
	for (i = *n = 0; i < j; i++)
		if (*n == 0 || src_cmp(&v[*n - 1], &v[i]) != 0)
			v[(*n)++] = v[i];
	return v;
}

/* Duplicates (the same CVE from two records) next to each other. */
static int
dup_cmp(const void *x, const void *y)
{
	const struct scan_finding *a = x, *b = y;
	int rc = strcmp(a->name, b->name);

	if (rc == 0)
		rc = strcmp(a->package_name, b->package_name);
	if (rc == 0)
		rc = strcmp(a->package_version, b->package_version);
	if (rc == 0)
		rc = severity_rank(b->severity) - severity_rank(a->severity);
	if (rc == 0)
		rc = strcmp(a->osv_id, b->osv_id);
	return rc;
}

/* Most severe first, then by name and package. */
static int
order_cmp(const void *x, const void *y)
{
	const struct scan_finding *a = x, *b = y;
	int rc = severity_rank(b->severity) - severity_rank(a->severity);

	if (rc == 0)
		rc = strcmp(a->name, b->name);
	if (rc == 0)
		rc = strcmp(a->package_name, b->package_name);
	if (rc == 0)
		rc = strcmp(a->package_version, b->package_version);
	return rc;
}

static void
finding_release(struct scan_finding *f)
{
	free(f->name);
	free(f->osv_id);
	free(f->description);
	free(f->uri);
	free(f->cvss3_vector);
	free(f->package_name);
	free(f->package_version);
	free(f->fixed_version);
}

/* One finding per (name, package, version): the most severe stays. */
static void
dedup(struct finding_list *l)
{
	size_t i, j;

	qsort(l->v, l->n, sizeof(*l->v), dup_cmp);
	for (i = j = 0; i < l->n; i++) {
		if (j > 0 && strcmp(l->v[j - 1].name, l->v[i].name) == 0 &&
		    strcmp(l->v[j - 1].package_name, l->v[i].package_name) ==
		        0 &&
		    strcmp(l->v[j - 1].package_version,
		        l->v[i].package_version) == 0)
			finding_release(&l->v[i]);
		else
			l->v[j++] = l->v[i];
	}
	l->n = j;
	qsort(l->v, l->n, sizeof(*l->v), order_cmp);
}

size_t
vulndb_match(const struct vulndb *db, const struct scan_inventory *inv,
    struct scan_finding **out)
{
	struct finding_list l = {0};
	struct src_pkg *srcs;
	const char *colon;
	char *family;
	size_t i, n;

	*out = NULL;
	if (db == NULL || inv->ecosystem == NULL ||
	    osv_family_of(inv->ecosystem) == OSV_FAMILY_NONE)
		return 0;
	/* A record under the bare family ("Debian") covers every release. */
	colon = strchr(inv->ecosystem, ':');
	family = colon != NULL ? xstrndup(inv->ecosystem,
	                             (size_t)(colon - inv->ecosystem))
	                       : NULL;
	srcs = sources_of(inv, &n);
	for (i = 0; i < n; i++) {
		match_key(db, inv->ecosystem, &srcs[i], inv->ecosystem, &l);
		if (family != NULL)
			match_key(db, family, &srcs[i], inv->ecosystem, &l);
	}
	free(srcs);
	free(family);
	if (l.n == 0)
		return 0;
	dedup(&l);
	*out = l.v;
	return l.n;
}

void
scan_findings_free(struct scan_finding *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		finding_release(&f[i]);
	free(f);
}
