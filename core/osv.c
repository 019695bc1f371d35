/*
 * The index of an OSV directory (docs/scanning.md, "Vulnerability
 * feed"): each *.json file one record, read once; the affected packages
 * of Debian, Ubuntu and Alpine kept, sorted by ecosystem and package so a
 * scan looks each of its packages up by bisection.
 */
#include "core/scan_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/json.h"
#include "common/str.h"
#include "common/xalloc.h"

/* Subdirectories walked below the feed's directory. */
#define OSV_DEPTH_MAX 2
/* A record file larger than this is skipped (OSV's largest are < 1 MiB). */
#define OSV_FILE_MAX (16 * 1024 * 1024)
/* Events of one range kept (they are sorted by insertion). */
#define OSV_EVENTS_MAX 256
/* A finding's description is cut here (at a UTF-8 boundary). */
#define OSV_DESCRIPTION_MAX 4096

enum osv_family
osv_family_of(const char *ecosystem)
{
	if (strcmp(ecosystem, "Debian") == 0 ||
	    str_has_prefix(ecosystem, "Debian:") ||
	    strcmp(ecosystem, "Ubuntu") == 0 ||
	    str_has_prefix(ecosystem, "Ubuntu:"))
		return OSV_FAMILY_DPKG;
	if (strcmp(ecosystem, "Alpine") == 0 ||
	    str_has_prefix(ecosystem, "Alpine:"))
		return OSV_FAMILY_APK;
	return OSV_FAMILY_NONE;
}

int
osv_version_cmp(enum osv_family f, const char *a, const char *b)
{
	return f == OSV_FAMILY_APK ? apk_version_cmp(a, b)
	                           : dpkg_version_cmp(a, b);
}

/*
 * The key a record's ecosystem is indexed under, or NULL to leave the
 * package out: Ubuntu's ":LTS" suffix goes (os-release does not say
 * LTS), and Ubuntu Pro's packages stay out, since their fixes reach only
 * Pro-attached machines [unconfirmed: docs/scanning.md].
 */
static char *
ecosystem_key(const char *ecosystem)
{
	size_t len = strlen(ecosystem);

	if (osv_family_of(ecosystem) == OSV_FAMILY_NONE ||
	    str_has_prefix(ecosystem, "Ubuntu:Pro:"))
		return NULL;
	if (str_has_prefix(ecosystem, "Ubuntu:") && len > 4 &&
	    strcmp(ecosystem + len - 4, ":LTS") == 0)
		len -= 4;
	return xstrndup(ecosystem, len);
}

static const char *
intern(struct vulndb *db, char *owned_s)
{
	size_t i;

	for (i = 0; i < db->n_ecosystems; i++)
		if (strcmp(db->ecosystems[i], owned_s) == 0) {
			free(owned_s);
			return db->ecosystems[i];
		}
	db->ecosystems = xreallocarray(db->ecosystems, db->n_ecosystems + 1,
	    sizeof(*db->ecosystems));
	db->ecosystems[db->n_ecosystems++] = owned_s;
	return owned_s;
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int64_t m, int64_t d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool
digits(const char *s, size_t n, int64_t *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/*
 * An RFC 3339 time ("2026-01-10T08:00:00Z", fraction and offset
 * allowed) in ms since the epoch; -1 if malformed.
 */
static int64_t
parse_time_ms(const char *s)
{
	int64_t y, mo, d, h, mi, sec, oh = 0, om = 0, ms = 0, scale = 100;
	const char *p = s + 19;

	if (strlen(s) < 20 || !digits(s, 4, &y) || s[4] != '-' ||
	    !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d) ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
	    !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
	    s[16] != ':' || !digits(s + 17, 2, &sec) || mo < 1 || mo > 12 ||
	    d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
			ms += (*p - '0') * scale;
	}
	if (*p == '+' || *p == '-') {
		if (strlen(p) != 6 || !digits(p + 1, 2, &oh) || p[3] != ':' ||
		    !digits(p + 4, 2, &om))
			return -1;
		/* Local time ahead of UTC: subtract the offset. */
		if (*p == '+') {
			oh = -oh;
			om = -om;
		}
	} else if ((*p != 'Z' && *p != 'z') || p[1] != '\0')
		return -1;
	return ((days_from_civil(y, mo, d) * 24 + h + oh) * 60 + mi + om) *
	           60000 +
	       sec * 1000 + ms;
}

/* A distro's own rating, in ECR's levels; NULL when it says none. */
static const char *
level_of(const char *rating)
{
	static const struct {
		const char *rating, *level;
	} levels[] = {
	    {"critical", "CRITICAL"},
	    {"high", "HIGH"},
	    {"important", "HIGH"},
	    {"medium", "MEDIUM"},
	    {"moderate", "MEDIUM"},
	    {"low", "LOW"},
	    {"negligible", "INFORMATIONAL"},
	    {"unimportant", "INFORMATIONAL"},
	};
	size_t i;

	if (rating == NULL)
		return NULL;
	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (str_ieq_n(rating, strlen(rating), levels[i].rating))
			return levels[i].level;
	return NULL;
}

/*
 * A severity[] array: the first CVSS v3 vector that scores, and a
 * distro rating (type "Ubuntu"); CVSS v2 and v4 are not scored here.
 */
static void
read_severity_array(struct json_object *arr, struct osv_severity *sev)
{
	struct json_object *e;
	const char *type, *score;
	double v;
	size_t i;

	for (i = 0; arr != NULL && i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		type = jget_str(e, "type");
		score = jget_str(e, "score");
		if (type == NULL || score == NULL)
			continue;
		if (strcmp(type, "CVSS_V3") == 0 && sev->cvss3_vector == NULL &&
		    (v = cvss3_base_score(score)) >= 0) {
			sev->cvss3_vector = xstrdup(score);
			sev->cvss3_score = v;
		} else if (strcmp(type, "Ubuntu") == 0 && sev->level == NULL)
			sev->level = level_of(score);
	}
}

/* Free-form objects' ratings: {"severity": ...} or Debian's "urgency". */
static void
read_specific(struct json_object *o, struct osv_severity *sev)
{
	if (sev->level == NULL)
		sev->level = level_of(jget_str(o, "severity"));
	if (sev->level == NULL)
		sev->level = level_of(jget_str(o, "urgency"));
}

static void
severity_release(struct osv_severity *sev)
{
	free(sev->cvss3_vector);
}

/* The record's CVE: an alias, an upstream id, or the id's own tail. */
static char *
cve_name(struct json_object *rec, const char *id)
{
	static const char *const lists[] = {"aliases", "upstream"};
	struct json_object *arr, *e;
	const char *cve;
	size_t i, j;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		arr = jget(rec, lists[i], json_type_array);
		for (j = 0; arr != NULL && j < json_object_array_length(arr);
		     j++) {
			e = json_object_array_get_idx(arr, j);
			if (json_object_is_type(e, json_type_string) &&
			    str_has_prefix(json_object_get_string(e), "CVE-"))
				return xstrdup(json_object_get_string(e));
		}
	}
	/* DEBIAN-CVE-…, UBUNTU-CVE-…, ALPINE-CVE-… name it in the id. */
	if ((cve = strstr(id, "CVE-")) != NULL)
		return xstrdup(cve);
	return xstrdup(id);
}

/* Summary, else details, cut at a character boundary. */
static char *
description_of(struct json_object *rec)
{
	const char *s = jget_str(rec, "summary");
	size_t len;

	if (s == NULL || *s == '\0')
		s = jget_str(rec, "details");
	if (s == NULL)
		return NULL;
	len = strlen(s);
	if (len > OSV_DESCRIPTION_MAX) {
		len = OSV_DESCRIPTION_MAX;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	return xstrndup(s, len);
}

static void
read_references(struct json_object *rec, struct osv_record *r)
{
	struct json_object *arr = jget(rec, "references", json_type_array);
	struct json_object *e;
	const char *type, *url;
	size_t i;

	for (i = 0; arr != NULL && i < json_object_array_length(arr); i++) {
		e = json_object_array_get_idx(arr, i);
		if ((url = jget_str(e, "url")) == NULL)
			continue;
		type = jget_str(e, "type");
		if (r->first_uri == NULL)
			r->first_uri = xstrdup(url);
		if (r->advisory_uri == NULL && type != NULL &&
		    strcmp(type, "ADVISORY") == 0)
			r->advisory_uri = xstrdup(url);
	}
}

/* Whether e sorts before x: introduced "0" before every version. */
static bool
is_event_before(enum osv_family f, const struct osv_event *e,
    const struct osv_event *x)
{
	if (e->version == NULL)
		return x->version != NULL;
	return x->version != NULL &&
	       osv_version_cmp(f, e->version, x->version) < 0;
}

/* Insert e into the sorted events (few per range: insertion is enough). */
static void
event_insert(struct osv_range *r, enum osv_family f, struct osv_event e)
{
	size_t i = r->n_events;

	while (i > 0 && is_event_before(f, &e, &r->events[i - 1])) {
		r->events[i] = r->events[i - 1];
		i--;
	}
	r->events[i] = e;
	r->n_events++;
}

static bool
read_event(struct json_object *o, struct osv_event *e)
{
	static const struct {
		const char *key;
		enum osv_event_kind kind;
	} keys[] = {
	    {"introduced", OSV_INTRODUCED},
	    {"fixed", OSV_FIXED},
	    {"last_affected", OSV_LAST_AFFECTED},
	};
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if ((v = jget_str(o, keys[i].key)) == NULL || *v == '\0')
			continue;
		e->kind = keys[i].kind;
		e->version =
		    keys[i].kind == OSV_INTRODUCED && strcmp(v, "0") == 0
		        ? NULL
		        : xstrdup(v);
		return true;
	}
	return false; /* "limit", for GIT ranges, or nothing we know */
}

/* An ECOSYSTEM range's events; false if it has none we use. */
static bool
read_range(struct json_object *o, enum osv_family f, struct osv_range *r)
{
	struct json_object *events = jget(o, "events", json_type_array);
	const char *type = jget_str(o, "type");
	struct osv_event e;
	size_t i, n;

	memset(r, 0, sizeof(*r));
	if (type == NULL || strcmp(type, "ECOSYSTEM") != 0 || events == NULL)
		return false;
	n = json_object_array_length(events);
	if (n == 0 || n > OSV_EVENTS_MAX)
		return false;
	r->events = xcalloc(n, sizeof(*r->events));
	for (i = 0; i < n; i++)
		if (read_event(json_object_array_get_idx(events, i), &e))
			event_insert(r, f, e);
	return r->n_events > 0;
}

static void
range_release(struct osv_range *r)
{
	size_t i;

	for (i = 0; i < r->n_events; i++)
		free(r->events[i].version);
	free(r->events);
}

static void
affected_release(struct osv_affected *a)
{
	size_t i;

	free(a->name);
	for (i = 0; i < a->n_ranges; i++)
		range_release(&a->ranges[i]);
	free(a->ranges);
	for (i = 0; i < a->n_versions; i++)
		free(a->versions[i]);
	free(a->versions);
	severity_release(&a->severity);
}

static void
read_ranges_and_versions(struct json_object *o, struct osv_affected *a)
{
	struct json_object *ranges = jget(o, "ranges", json_type_array);
	struct json_object *versions = jget(o, "versions", json_type_array);
	struct json_object *e;
	size_t i, n;

	n = ranges != NULL ? json_object_array_length(ranges) : 0;
	a->ranges = n > 0 ? xcalloc(n, sizeof(*a->ranges)) : NULL;
	for (i = 0; i < n; i++)
		if (read_range(json_object_array_get_idx(ranges, i), a->family,
		        &a->ranges[a->n_ranges]))
			a->n_ranges++;
		else
			range_release(&a->ranges[a->n_ranges]);
	n = versions != NULL ? json_object_array_length(versions) : 0;
	a->versions = n > 0 ? xcalloc(n, sizeof(*a->versions)) : NULL;
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(versions, i);
		if (json_object_is_type(e, json_type_string))
			a->versions[a->n_versions++] =
			    xstrdup(json_object_get_string(e));
	}
}

static void
add_affected(struct vulndb *db, struct json_object *o, size_t rec)
{
	struct json_object *pkg = jget(o, "package", json_type_object);
	const char *eco = jget_str(pkg, "ecosystem");
	const char *name = jget_str(pkg, "name");
	struct osv_affected a = {.rec = rec};
	char *key;

	if (eco == NULL || name == NULL || *name == '\0' ||
	    (key = ecosystem_key(eco)) == NULL)
		return;
	a.ecosystem = intern(db, key);
	a.family = osv_family_of(a.ecosystem);
	a.name = xstrdup(name);
	a.severity.cvss3_score = -1;
	read_ranges_and_versions(o, &a);
	if (a.n_ranges == 0 && a.n_versions == 0) {
		affected_release(&a);
		return;
	}
	read_severity_array(jget(o, "severity", json_type_array), &a.severity);
	read_specific(jget(o, "ecosystem_specific", json_type_object),
	    &a.severity);
	read_specific(jget(o, "database_specific", json_type_object),
	    &a.severity);
	if (db->n_aff == db->aff_size) {
		db->aff_size = db->aff_size == 0 ? 1024 : db->aff_size * 2;
		db->aff =
		    xreallocarray(db->aff, db->aff_size, sizeof(*db->aff));
	}
	db->aff[db->n_aff++] = a;
}

static void
record_release(struct osv_record *r)
{
	free(r->id);
	free(r->name);
	free(r->description);
	free(r->advisory_uri);
	free(r->first_uri);
	severity_release(&r->severity);
}

static void
push_record(struct vulndb *db, struct osv_record *r)
{
	if (db->n_recs == db->recs_size) {
		db->recs_size = db->recs_size == 0 ? 1024 : db->recs_size * 2;
		db->recs =
		    xreallocarray(db->recs, db->recs_size, sizeof(*db->recs));
	}
	db->recs[db->n_recs++] = *r;
}

/*
 * Index one parsed record; false if it is not a valid OSV record (no id
 * or modified). A withdrawn record, or one with no package we index, is
 * kept as its id alone, so that it still replaces an older record of
 * the same id.
 */
static bool
add_record(struct vulndb *db, struct json_object *rec)
{
	const char *id = jget_str(rec, "id");
	const char *modified = jget_str(rec, "modified");
	struct json_object *affected = jget(rec, "affected", json_type_array);
	struct osv_record r = {.severity.cvss3_score = -1};
	size_t i, n_before = db->n_aff;

	if (id == NULL || *id == '\0' || modified == NULL ||
	    (r.modified_ms = parse_time_ms(modified)) < 0)
		return false;
	if (r.modified_ms > db->updated_at_ms)
		db->updated_at_ms = r.modified_ms;
	r.id = xstrdup(id);
	if (jget(rec, "withdrawn", json_type_string) == NULL)
		for (i = 0;
		     affected != NULL && i < json_object_array_length(affected);
		     i++)
			add_affected(db, json_object_array_get_idx(affected, i),
			    db->n_recs);
	if (db->n_aff == n_before) {
		r.is_dropped = true;
		push_record(db, &r);
		return true;
	}
	r.name = cve_name(rec, id);
	r.description = description_of(rec);
	read_severity_array(jget(rec, "severity", json_type_array),
	    &r.severity);
	read_specific(jget(rec, "database_specific", json_type_object),
	    &r.severity);
	read_references(rec, &r);
	push_record(db, &r);
	return true;
}

/* Read and index one file; false if it is unreadable or not a record. */
static bool
load_file(struct vulndb *db, const char *path)
{
	struct json_object *rec = NULL;
	struct stat st;
	char *data = NULL;
	ssize_t n;
	size_t got = 0;
	bool ok = false;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return false;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > OSV_FILE_MAX)
		goto out;
	data = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size) {
		n = read(fd, data + got, (size_t)st.st_size - got);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		got += (size_t)n;
	}
	if (jparse_strict(data, got, &rec, NULL) != JPARSE_OK ||
	    !json_object_is_type(rec, json_type_object))
		goto out;
	ok = add_record(db, rec);
out:
	json_object_put(rec);
	free(data);
	close(fd);
	return ok;
}

static bool
is_json_name(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 5 &&
	       strcmp(name + len - 5, ".json") == 0;
}

/* Walk dir (depth levels of subdirectories at most) for *.json files. */
static int
walk(struct vulndb *db, const char *dir, int depth, char **err)
{
	struct dirent *de;
	struct stat st;
	DIR *d;
	char *path;

	if ((d = opendir(dir)) == NULL) {
		if (err != NULL)
			*err = xasprintf("cannot read %s: %s", dir,
			    strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		path = xasprintf("%s/%s", dir, de->d_name);
		/* Records are files: no stat for them (load_file checks). */
		if (is_json_name(de->d_name)) {
			if (!load_file(db, path))
				db->n_skipped++;
		} else if (depth < OSV_DEPTH_MAX && stat(path, &st) == 0 &&
		           S_ISDIR(st.st_mode))
			walk(db, path, depth + 1, NULL);
		free(path);
	}
	closedir(d);
	return 0;
}

static int
aff_cmp(const void *x, const void *y)
{
	const struct osv_affected *a = x, *b = y;
	int rc = strcmp(a->ecosystem, b->ecosystem);

	if (rc == 0)
		rc = strcmp(a->name, b->name);
	if (rc == 0)
		rc = (a->rec > b->rec) - (a->rec < b->rec);
	return rc;
}

static int
rec_id_cmp(const void *x, const void *y)
{
	const struct osv_record *const *a = x, *const *b = y;
	int rc = strcmp((*a)->id, (*b)->id);

	if (rc == 0)
		rc = ((*a)->modified_ms > (*b)->modified_ms) -
		     ((*a)->modified_ms < (*b)->modified_ms);
	return rc;
}

/*
 * Of records sharing an id, the later `modified` wins (OSV); the others
 * are dropped with their packages.
 */
static void
drop_replaced(struct vulndb *db)
{
	struct osv_record **by_id;
	size_t i, j;

	if (db->n_recs == 0)
		return;
	by_id = xcalloc(db->n_recs, sizeof(*by_id));
	for (i = 0; i < db->n_recs; i++)
		by_id[i] = &db->recs[i];
	qsort(by_id, db->n_recs, sizeof(*by_id), rec_id_cmp);
	/* Sorted by id, then modified: each but the last of an id goes. */
	for (i = 0; i + 1 < db->n_recs; i++)
		if (strcmp(by_id[i]->id, by_id[i + 1]->id) == 0)
			by_id[i]->is_dropped = true;
	free(by_id);
	for (i = j = 0; i < db->n_aff; i++) {
		if (db->recs[db->aff[i].rec].is_dropped)
			affected_release(&db->aff[i]);
		else
			db->aff[j++] = db->aff[i];
	}
	db->n_aff = j;
	for (i = 0; i < db->n_recs; i++)
		if (!db->recs[i].is_dropped)
			db->n_records++;
}

struct vulndb *
vulndb_open(const char *dir, char **err)
{
	struct vulndb *db = xcalloc(1, sizeof(*db));

	if (walk(db, dir, 0, err) != 0) {
		vulndb_free(db);
		return NULL;
	}
	drop_replaced(db);
	if (db->n_aff > 0)
		qsort(db->aff, db->n_aff, sizeof(*db->aff), aff_cmp);
	return db;
}

void
vulndb_free(struct vulndb *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < db->n_aff; i++)
		affected_release(&db->aff[i]);
	free(db->aff);
	for (i = 0; i < db->n_recs; i++)
		record_release(&db->recs[i]);
	free(db->recs);
	for (i = 0; i < db->n_ecosystems; i++)
		free(db->ecosystems[i]);
	free(db->ecosystems);
	free(db);
}

int64_t
vulndb_updated_at_ms(const struct vulndb *db)
{
	return db != NULL ? db->updated_at_ms : 0;
}

size_t
vulndb_count(const struct vulndb *db, size_t *n_skipped)
{
	if (n_skipped != NULL)
		*n_skipped = db != NULL ? db->n_skipped : 0;
	return db != NULL ? db->n_records : 0;
}

size_t
osv_find(const struct vulndb *db, const char *ecosystem, const char *name)
{
	size_t lo = 0, hi = db->n_aff, mid;
	int rc;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		rc = strcmp(db->aff[mid].ecosystem, ecosystem);
		if (rc == 0)
			rc = strcmp(db->aff[mid].name, name);
		if (rc < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < db->n_aff && strcmp(db->aff[lo].ecosystem, ecosystem) == 0 &&
	    strcmp(db->aff[lo].name, name) == 0)
		return lo;
	return db->n_aff;
}
