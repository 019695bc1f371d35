/*
 * Unit tests for basic scanning's OSV index and matching (core/scan.h,
 * issue 15): records written to a temporary feed directory, ranges with
 * introduced, fixed and last_affected events and explicit versions,
 * ecosystems and their releases, source packages, names, severities,
 * replaced, withdrawn and malformed records.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/xalloc.h"
#include "core/scan.h"

#define FEED_FILES_MAX 32

struct feed {
	char dir[512];
	char *sub;
	char *files[FEED_FILES_MAX];
	size_t n_files;
	struct vulndb *db;
	struct scan_finding *found;
	size_t n_found;
};

static int
setup(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct feed *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "%s/osv-XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	f->sub = xasprintf("%s/Debian", f->dir);
	assert_int_equal(mkdir(f->sub, 0700), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct feed *f = *state;
	size_t i;

	for (i = 0; i < f->n_files; i++) {
		unlink(f->files[i]);
		free(f->files[i]);
	}
	rmdir(f->sub);
	free(f->sub);
	rmdir(f->dir);
	scan_findings_free(f->found, f->n_found);
	vulndb_free(f->db);
	free(f);
	return 0;
}

/* Write a record (in the Debian/ subdirectory when sub). */
static void
put(struct feed *f, const char *name, const char *json, int sub)
{
	FILE *fp;
	char *path;

	assert_true(f->n_files < FEED_FILES_MAX);
	path = f->files[f->n_files++] =
	    xasprintf("%s/%s", sub ? f->sub : f->dir, name);
	assert_non_null(fp = fopen(path, "w"));
	fputs(json, fp);
	fclose(fp);
}

static void
open_feed(struct feed *f)
{
	char *err = NULL;

	f->db = vulndb_open(f->dir, &err);
	assert_null(err);
	assert_non_null(f->db);
}

/* An inventory of (name, version, source, source version) rows. */
static void
inventory(struct scan_inventory *inv, const char *ecosystem,
    const char *const (*rows)[4], size_t n)
{
	size_t i;

	memset(inv, 0, sizeof(*inv));
	inv->ecosystem = xstrdup(ecosystem);
	inv->pkgs = xcalloc(n, sizeof(*inv->pkgs));
	for (i = 0; i < n; i++) {
		inv->pkgs[i].name = xstrdup(rows[i][0]);
		inv->pkgs[i].version = xstrdup(rows[i][1]);
		inv->pkgs[i].source = xstrdup(rows[i][2]);
		inv->pkgs[i].source_version = xstrdup(rows[i][3]);
	}
	inv->n_pkgs = n;
}

static void
match(struct feed *f, const char *ecosystem, const char *const (*rows)[4],
    size_t n)
{
	struct scan_inventory inv;

	scan_findings_free(f->found, f->n_found);
	inventory(&inv, ecosystem, rows, n);
	f->n_found = vulndb_match(f->db, &inv, &f->found);
	scan_inventory_free(&inv);
}

static const struct scan_finding *
finding(const struct feed *f, const char *name, const char *package)
{
	size_t i;

	for (i = 0; i < f->n_found; i++)
		if (strcmp(f->found[i].name, name) == 0 &&
		    strcmp(f->found[i].package_name, package) == 0)
			return &f->found[i];
	return NULL;
}

#define DEBIAN_OPENSSL                                                         \
	"{\"schema_version\": \"1.6.0\", \"id\": \"DEBIAN-CVE-2024-0001\","    \
	"\"modified\": \"2026-01-10T08:00:00Z\","                              \
	"\"upstream\": [\"CVE-2024-0001\"],"                                   \
	"\"summary\": \"openssl: a flaw\", \"details\": \"longer\","           \
	"\"affected\": [{\"package\": {\"ecosystem\": \"Debian:12\","          \
	"\"name\": \"openssl\"}, \"ranges\": [{\"type\": \"ECOSYSTEM\","       \
	"\"events\": [{\"introduced\": \"0\"},"                                \
	"{\"fixed\": \"3.0.13-1~deb12u1\"}]}],"                                \
	"\"ecosystem_specific\": {\"urgency\": \"not yet assigned\"}}],"       \
	"\"severity\": [{\"type\": \"CVSS_V3\", \"score\":"                    \
	"\"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}]}"

static void
test_osv_matches_source_package_in_fixed_range(void **state)
{
	static const char *const rows[][4] = {
	    {"libssl3", "3.0.11-1~deb12u2", "openssl", "3.0.11-1~deb12u2"},
	    {"openssl", "3.0.11-1~deb12u2", "openssl", "3.0.11-1~deb12u2"},
	    {"bash", "5.2.15-2+b2", "bash", "5.2.15-2"},
	};
	static const char *const fixed_rows[][4] = {
	    {"libssl3", "3.0.13-1~deb12u1", "openssl", "3.0.13-1~deb12u1"},
	};
	struct feed *f = *state;
	const struct scan_finding *x;

	put(f, "DEBIAN-CVE-2024-0001.json", DEBIAN_OPENSSL, 1);
	open_feed(f);
	assert_int_equal(vulndb_count(f->db, NULL), 1);
	assert_int_equal(vulndb_updated_at_ms(f->db), 1768032000000LL);
	/* Two binaries of one source: one finding, on the source. */
	match(f, "Debian:12", rows, 3);
	assert_int_equal(f->n_found, 1);
	assert_non_null(x = finding(f, "CVE-2024-0001", "openssl"));
	assert_string_equal(x->osv_id, "DEBIAN-CVE-2024-0001");
	assert_string_equal(x->description, "openssl: a flaw");
	assert_string_equal(x->uri,
	    "https://security-tracker.debian.org/tracker/CVE-2024-0001");
	assert_string_equal(x->severity, "CRITICAL");
	assert_string_equal(x->cvss3_vector,
	    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
	assert_true(x->cvss3_score > 9.79 && x->cvss3_score < 9.81);
	assert_string_equal(x->package_version, "3.0.11-1~deb12u2");
	assert_string_equal(x->fixed_version, "3.0.13-1~deb12u1");
	/* The fixed version is not affected; nor is another release. */
	match(f, "Debian:12", fixed_rows, 1);
	assert_int_equal(f->n_found, 0);
	match(f, "Debian:11", rows, 3);
	assert_int_equal(f->n_found, 0);
}

static void
test_osv_last_affected_and_versions_with_apk_order(void **state)
{
	static const char *const affected[][4] = {
	    {"libcrypto3", "3.1.4-r5", "openssl", "3.1.4-r5"},
	    {"musl", "1.2.4_git20230717-r4", "musl", "1.2.4_git20230717-r4"},
	};
	static const char *const clean[][4] = {
	    {"libcrypto3", "3.1.4-r6", "openssl", "3.1.4-r6"},
	    {"libcrypto3", "3.0.9-r0", "openssl", "3.0.9-r0"},
	    {"musl", "1.2.4-r4", "musl", "1.2.4-r4"},
	};
	struct feed *f = *state;
	const struct scan_finding *x;

	put(f, "ALPINE-CVE-2024-0002.json",
	    "{\"id\": \"ALPINE-CVE-2024-0002\", \"modified\": "
	    "\"2026-03-01T12:30:15.250Z\", \"affected\": [{\"package\": "
	    "{\"ecosystem\": \"Alpine:v3.19\", \"name\": \"openssl\"}, "
	    "\"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": "
	    "[{\"last_affected\": \"3.1.4-r5\"}, {\"introduced\": "
	    "\"3.1.0-r0\"}]}]}]}",
	    0);
	put(f, "ALPINE-X-3.json",
	    "{\"id\": \"ALPINE-X-3\", \"modified\": "
	    "\"2026-02-01T00:00:00+02:00\", \"affected\": [{\"package\": "
	    "{\"ecosystem\": \"Alpine:v3.19\", \"name\": \"musl\"}, "
	    "\"versions\": [\"1.2.4_git20230717-r4\"], \"database_specific\": "
	    "{\"severity\": \"High\"}}], \"references\": [{\"type\": "
	    "\"WEB\", \"url\": \"https://example.com/a\"}, {\"type\": "
	    "\"ADVISORY\", \"url\": \"https://example.com/adv\"}]}",
	    0);
	open_feed(f);
	assert_int_equal(vulndb_updated_at_ms(f->db), 1772368215250LL);
	match(f, "Alpine:v3.19", affected, 2);
	assert_int_equal(f->n_found, 2);
	assert_non_null(x = finding(f, "CVE-2024-0002", "openssl"));
	assert_null(x->fixed_version);
	assert_string_equal(x->severity, "UNDEFINED");
	assert_true(x->cvss3_score < 0);
	assert_null(x->cvss3_vector);
	assert_string_equal(x->uri,
	    "https://security.alpinelinux.org/vuln/CVE-2024-0002");
	/* No CVE: the OSV id names it; the advisory is its link. */
	assert_non_null(x = finding(f, "ALPINE-X-3", "musl"));
	assert_string_equal(x->severity, "HIGH");
	assert_string_equal(x->uri, "https://example.com/adv");
	/* Most severe first. */
	assert_string_equal(f->found[0].name, "ALPINE-X-3");
	match(f, "Alpine:v3.19", clean, 3);
	assert_int_equal(f->n_found, 0);
}

static void
test_osv_ubuntu_lts_and_bare_family_and_pro(void **state)
{
	static const char *const rows[][4] = {
	    {"libexpat1", "2.4.7-1ubuntu0.2", "expat", "2.4.7-1ubuntu0.2"},
	};
	static const char *const deb_rows[][4] = {
	    {"libexpat1", "2.2.10-2+deb11u5", "expat", "2.2.10-2+deb11u5"},
	};
	struct feed *f = *state;
	const struct scan_finding *x;

	put(f, "UBUNTU-CVE-2024-0003.json",
	    "{\"id\": \"UBUNTU-CVE-2024-0003\", \"modified\": "
	    "\"2026-01-01T00:00:00Z\", \"severity\": [{\"type\": \"Ubuntu\", "
	    "\"score\": \"medium\"}], \"affected\": [{\"package\": "
	    "{\"ecosystem\": \"Ubuntu:22.04:LTS\", \"name\": \"expat\"}, "
	    "\"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": "
	    "[{\"introduced\": \"0\"}, {\"fixed\": \"2.4.7-1ubuntu0.3\"}]}]}]}",
	    0);
	put(f, "USN-1.json",
	    "{\"id\": \"USN-1\", \"modified\": \"2026-01-01T00:00:00Z\", "
	    "\"aliases\": [\"CVE-2024-0004\"], \"affected\": [{\"package\": "
	    "{\"ecosystem\": \"Ubuntu:Pro:22.04:LTS\", \"name\": \"expat\"}, "
	    "\"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": "
	    "[{\"introduced\": \"0\"}]}]}]}",
	    0);
	put(f, "DEBIAN-CVE-2024-0005.json",
	    "{\"id\": \"DEBIAN-CVE-2024-0005\", \"modified\": "
	    "\"2026-01-01T00:00:00Z\", \"affected\": [{\"package\": "
	    "{\"ecosystem\": \"Debian\", \"name\": \"expat\"}, \"ranges\": "
	    "[{\"type\": \"ECOSYSTEM\", \"events\": [{\"introduced\": \"0\"}, "
	    "{\"fixed\": \"2.5.0-1\"}]}], \"ecosystem_specific\": "
	    "{\"urgency\": \"low\"}}]}",
	    1);
	open_feed(f);
	match(f, "Ubuntu:22.04", rows, 1);
	assert_int_equal(f->n_found, 1);
	assert_non_null(x = finding(f, "CVE-2024-0003", "expat"));
	assert_string_equal(x->severity, "MEDIUM");
	assert_string_equal(x->fixed_version, "2.4.7-1ubuntu0.3");
	assert_string_equal(x->uri,
	    "https://ubuntu.com/security/CVE-2024-0003");
	/* The bare "Debian" covers every Debian release. */
	match(f, "Debian:11", deb_rows, 1);
	assert_int_equal(f->n_found, 1);
	assert_non_null(x = finding(f, "CVE-2024-0005", "expat"));
	assert_string_equal(x->severity, "LOW");
}

static void
test_osv_ranges_with_two_intervals(void **state)
{
	static const char *const in_second[][4] = {
	    {"p", "2.1-1", "p", "2.1-1"},
	};
	static const char *const between[][4] = {
	    {"p", "1.5-1", "p", "1.5-1"},
	};
	struct feed *f = *state;

	/* Events out of order on purpose: they are sorted when read. */
	put(f, "R-1.json",
	    "{\"id\": \"R-1\", \"modified\": \"2026-01-01T00:00:00Z\", "
	    "\"affected\": [{\"package\": {\"ecosystem\": \"Debian:12\", "
	    "\"name\": \"p\"}, \"ranges\": [{\"type\": \"ECOSYSTEM\", "
	    "\"events\": [{\"introduced\": \"2.0-1\"}, {\"fixed\": \"1.0-1\"}, "
	    "{\"fixed\": \"2.5-1\"}, {\"introduced\": \"0\"}]}, "
	    "{\"type\": \"GIT\", \"repo\": \"x\", \"events\": "
	    "[{\"introduced\": \"0\"}]}]}]}",
	    0);
	open_feed(f);
	match(f, "Debian:12", in_second, 1);
	assert_int_equal(f->n_found, 1);
	assert_string_equal(f->found[0].fixed_version, "2.5-1");
	match(f, "Debian:12", between, 1);
	assert_int_equal(f->n_found, 0);
}

static void
test_osv_later_modified_wins_and_duplicates_merge(void **state)
{
	static const char *const rows[][4] = {
	    {"openssl", "3.0.11-1~deb12u2", "openssl", "3.0.11-1~deb12u2"},
	};
	struct feed *f = *state;
	const struct scan_finding *x;

	put(f, "a.json", DEBIAN_OPENSSL, 1);
	/* The same id, modified later: now fixed in an older version. */
	put(f, "b.json",
	    "{\"id\": \"DEBIAN-CVE-2024-0001\", \"modified\": "
	    "\"2026-02-10T08:00:00Z\", \"affected\": [{\"package\": "
	    "{\"ecosystem\": \"Debian:12\", \"name\": \"openssl\"}, "
	    "\"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": "
	    "[{\"introduced\": \"0\"}, {\"fixed\": \"3.0.10-1\"}]}]}]}",
	    0);
	/* Another record of another CVE, withdrawn. */
	put(f, "w.json",
	    "{\"id\": \"W-1\", \"modified\": \"2026-01-01T00:00:00Z\", "
	    "\"withdrawn\": \"2026-01-02T00:00:00Z\", \"affected\": "
	    "[{\"package\": {\"ecosystem\": \"Debian:12\", \"name\": "
	    "\"openssl\"}, \"versions\": [\"3.0.11-1~deb12u2\"]}]}",
	    0);
	/* Two records of one CVE (a DSA and the tracker's): one finding. */
	put(f, "dsa.json",
	    "{\"id\": \"DSA-5000-1\", \"modified\": \"2026-01-01T00:00:00Z\", "
	    "\"aliases\": [\"CVE-2024-0009\"], \"affected\": [{\"package\": "
	    "{\"ecosystem\": \"Debian:12\", \"name\": \"openssl\"}, "
	    "\"versions\": [\"3.0.11-1~deb12u2\"]}]}",
	    0);
	put(f, "dcve.json",
	    "{\"id\": \"DEBIAN-CVE-2024-0009\", \"modified\": "
	    "\"2026-01-01T00:00:00Z\", \"affected\": [{\"package\": "
	    "{\"ecosystem\": \"Debian:12\", \"name\": \"openssl\"}, "
	    "\"versions\": [\"3.0.11-1~deb12u2\"], \"severity\": "
	    "[{\"type\": \"CVSS_V3\", \"score\": "
	    "\"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N\"}]}]}",
	    0);
	open_feed(f);
	match(f, "Debian:12", rows, 1);
	assert_int_equal(f->n_found, 1);
	assert_null(finding(f, "CVE-2024-0001", "openssl"));
	assert_null(finding(f, "W-1", "openssl"));
	assert_non_null(x = finding(f, "CVE-2024-0009", "openssl"));
	/* The more severe of the two stays: the package's CVSS vector. */
	assert_string_equal(x->severity, "MEDIUM");
	assert_string_equal(x->osv_id, "DEBIAN-CVE-2024-0009");
}

static void
test_osv_skips_malformed_files_and_reports_missing_dir(void **state)
{
	struct feed *f = *state;
	char *err = NULL;
	size_t skipped;

	put(f, "bad.json", "{\"id\": \"X\", ", 0);
	put(f, "array.json", "[1, 2]", 0);
	put(f, "noid.json", "{\"modified\": \"2026-01-01T00:00:00Z\"}", 0);
	put(f, "badtime.json", "{\"id\": \"T\", \"modified\": \"yesterday\"}",
	    0);
	put(f, "notes.txt", "not a record", 0);
	put(f, "PYPI-1.json",
	    "{\"id\": \"PYPI-1\", \"modified\": \"2026-04-01T00:00:00Z\", "
	    "\"affected\": [{\"package\": {\"ecosystem\": \"PyPI\", "
	    "\"name\": \"x\"}, \"versions\": [\"1\"]}]}",
	    0);
	open_feed(f);
	assert_int_equal(vulndb_count(f->db, &skipped), 0);
	assert_int_equal(skipped, 4);
	/* Valid records of other ecosystems still date the feed. */
	assert_true(vulndb_updated_at_ms(f->db) > 0);
	assert_null(vulndb_open("/nonexistent/osv-feed", &err));
	assert_non_null(err);
	free(err);
}

static void
test_osv_without_feed_finds_nothing(void **state)
{
	static const char *const rows[][4] = {
	    {"openssl", "1.0-1", "openssl", "1.0-1"},
	};
	struct scan_inventory inv;
	struct scan_finding *found;
	size_t skipped = 1;

	(void)state;
	inventory(&inv, "Debian:12", rows, 1);
	assert_int_equal(vulndb_match(NULL, &inv, &found), 0);
	assert_null(found);
	assert_int_equal(vulndb_updated_at_ms(NULL), 0);
	assert_int_equal(vulndb_count(NULL, &skipped), 0);
	assert_int_equal(skipped, 0);
	scan_inventory_free(&inv);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_osv_matches_source_package_in_fixed_range, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        test_osv_last_affected_and_versions_with_apk_order, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        test_osv_ubuntu_lts_and_bare_family_and_pro, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_osv_ranges_with_two_intervals,
	        setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_osv_later_modified_wins_and_duplicates_merge, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(
	        test_osv_skips_malformed_files_and_reports_missing_dir, setup,
	        teardown),
	    cmocka_unit_test(test_osv_without_feed_finds_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
