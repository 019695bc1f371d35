/*
 * Unit tests for basic scanning's orderings and scores (core/scan.h,
 * issue 15): dpkg's and apk's version comparisons against tables of known
 * orderings (cases from dpkg's deb-version(7) and lib/dpkg/t/t-version.c,
 * from apk-tools' test/version.data, and checked with dpkg
 * --compare-versions), and CVSS v3.x base scores of known vectors.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "core/scan.h"

/* a <op> b, with op -1, 0 or 1. */
struct vcase {
	const char *a;
	int op;
	const char *b;
};

static const struct vcase dpkg_cases[] = {
    {"1.0", 0, "1.0"},
    {"0:1.0", 0, "1.0"},
    {"1.0", 0, "1.00"},
    {"1.0-0", 0, "1.0"},
    {"1.0", -1, "1.1"},
    {"1.2.3", -1, "1.2.10"},
    {"1:0.9", 1, "2.0"},
    {"1:1.0", 1, "0:9.9"},
    {"10:1.0", 1, "9:1.0"},
    {"1.0~rc1", -1, "1.0"},
    {"1.0~~", -1, "1.0~"},
    {"1.0~~a", -1, "1.0~"},
    {"1.0~", -1, "1.0"},
    {"1.0", -1, "1.0+b1"},
    {"1.0a", -1, "1.0+"},
    {"1.0a", 1, "1.0"},
    {"1.0", -1, "1.0.0"},
    {"1.0-1", -1, "1.0-2"},
    {"1.0-1", -1, "1.0-1ubuntu1"},
    {"1.0-1ubuntu1", -1, "1.0-1ubuntu1.1"},
    {"1.0-10", 1, "1.0-9"},
    {"2.9.14+dfsg-1.3~deb12u1", -1, "2.9.14+dfsg-1.3~deb12u2"},
    {"3.0.11-1~deb12u2", -1, "3.0.13-1~deb12u1"},
    {"3.0.13-1~deb12u1", -1, "3.0.13-1"},
    {"1.2.1-2.2+wheezy3", 1, "1.2.1-2.2"},
    {"2.36-9+deb12u4", -1, "2.36-9+deb12u10"},
    {"1:2.38.1-5+deb12u3", 1, "2.39-1"},
    {"a", -1, "b"},
    {"A", -1, "a"},
    {"1.0-a", -1, "1.0-b"},
    {"1.0-1-1", 1, "1.0-1"},
    {"0.0.0", -1, "0.0.1"},
    {"1.0.0000001", 0, "1.0.1"},
    {"99999999999999999999", -1, "100000000000000000000"},
    {"1.0+~", -1, "1.0+"},
    {"1.0+", -1, "1.0."},
};

static const struct vcase apk_cases[] = {
    {"1.0", 0, "1.0"},
    {"1.0", -1, "1.1"},
    {"1.2", -1, "1.2.0"},
    {"1.2.3", -1, "1.2.10"},
    {"1.2.3", -1, "1.2.3a"},
    {"1.2.3a", -1, "1.2.3b"},
    {"1.2.3", -1, "1.2.3_p1"},
    {"1.2.3_rc1", -1, "1.2.3"},
    {"1.2.3_alpha", -1, "1.2.3_beta"},
    {"1.2.3_beta", -1, "1.2.3_pre"},
    {"1.2.3_pre", -1, "1.2.3_rc"},
    {"1.2.3_rc1", -1, "1.2.3_rc2"},
    {"1.2.3_cvs", -1, "1.2.3_svn"},
    {"1.2.3_git", -1, "1.2.3_hg"},
    {"1.2.3_hg", -1, "1.2.3_p"},
    {"1.2.3-r0", -1, "1.2.3-r1"},
    {"1.2.3", -1, "1.2.3-r0"},
    {"1.2.3-r9", -1, "1.2.3-r10"},
    {"1.0", -1, "1.0~abc"},
    {"1.0~abc", -1, "1.0~abd"},
    {"1.02", -1, "1.1"},
    {"1.010", 1, "1.01"},
    {"3.1.4-r5", 1, "3.1.4-r4"},
    {"3.1.4-r5", -1, "3.1.5-r0"},
    /* From apk-tools' test/version.data. */
    {"2.34", 1, "0.1.0_alpha"},
    {"23_foo", 1, "4_beta"},
    {"1.0", -1, "1.0bc"},
    {"0.1.0_alpha2", 1, "0.1.0_alpha"},
    {"1.1", 1, "1.1_alpha1"},
    {"1.0.4-r3", -1, "1.0.4-r4"},
    {"2.3.0b-r1", -1, "2.3.0b-r2"},
    {"0.12.3", 1, "0.12"},
    {"1.06-r6", -1, "006"},
    {"1.2.2-r1", 1, "1.2.2"},
    {"3.1_p16", -1, "3.1_p17"},
    {"1.02", -1, "1.03-r1"},
    {"2.01.01_alpha10", 1, "0.94"},
    {"1.0", 1, "0.99.3.20040818"},
    {"1.07", -1, "1.07.5"},
    {"1.2.07.8", -1, "1.2.12.04"},
    {"1.2.12.04", -1, "1.2.12.05"},
    {"2.02.06", -1, "2.02.10"},
    {"4.01", -1, "4.20"},
    {"0.20070118", -1, "0.20070207_rc1"},
    {"1.6d", 1, "1.2.07.8"},
    {"2.5.1-r8", -1, "2.5.1a-r1"},
    {"4.5_p1-r1", 1, "4.5_p1"},
    {"0.9.8c-r1", -1, "0.9.8d"},
    {"2.12r-r4", -1, "2.12r-r5"},
    {"0.9.28.1", 1, "0.9.28"},
    {"0.9.28.1", -1, "087-r1"},
    {"3.9_pre20060124", 1, "0.01"},
    {"2.9.11_pre20051101-r3", 1, "2.9.11_pre20051101"},
    {"1.3-r0", -1, "1.3.1-r0"},
    {"1.3_pre1-r1", -1, "1.3.2"},
    {"1.0_p10-r0", 1, "1.0_p9-r0"},
    {"0.1.0_alpha_pre2", -1, "0.1.0_alpha"},
    {"1.0.0_pre20191002222144-r0", -1, "1.0.0_pre20210530193627-r0"},
};

static int
sign(int v)
{
	return (v > 0) - (v < 0);
}

static void
check_table(const struct vcase *cases, size_t n,
    int (*cmp)(const char *, const char *))
{
	size_t i;

	for (i = 0; i < n; i++) {
		int got = sign(cmp(cases[i].a, cases[i].b));
		int back = sign(cmp(cases[i].b, cases[i].a));

		if (got != cases[i].op || back != -cases[i].op)
			fail_msg("%s vs %s: want %d, got %d (reversed %d)",
			    cases[i].a, cases[i].b, cases[i].op, got, back);
	}
}

static void
test_dpkg_version_cmp_orders_as_dpkg(void **state)
{
	(void)state;
	check_table(dpkg_cases, sizeof(dpkg_cases) / sizeof(dpkg_cases[0]),
	    dpkg_version_cmp);
}

static void
test_apk_version_cmp_orders_as_apk(void **state)
{
	(void)state;
	check_table(apk_cases, sizeof(apk_cases) / sizeof(apk_cases[0]),
	    apk_version_cmp);
}

struct cvss_case {
	const char *vector;
	double score;
	const char *severity;
};

static const struct cvss_case cvss_cases[] = {
    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "CRITICAL"},
    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, "MEDIUM"},
    {"CVSS:3.1/AV:L/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:H", 8.1, "HIGH"},
    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0, "CRITICAL"},
    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5, "HIGH"},
    {"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8, "HIGH"},
    {"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9, "MEDIUM"},
    {"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:N/A:H", 5.5, "MEDIUM"},
    {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:L/I:N/A:N", 4.3, "MEDIUM"},
    {"CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6, "LOW"},
    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0, "INFORMATIONAL"},
    {"CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, "CRITICAL"},
    {"CVSS:3.0/AV:N/AC:L/PR:H/UI:R/S:C/C:L/I:L/A:N", 4.8, "MEDIUM"},
    /* Temporal metrics are allowed and do not change the base. */
    {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C", 9.8,
        "CRITICAL"},
};

static const char *const cvss_malformed[] = {
    "",
    "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:X",
    "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:HH",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
};

static void
test_cvss3_base_score_of_known_vectors(void **state)
{
	size_t i;
	double got;

	(void)state;
	for (i = 0; i < sizeof(cvss_cases) / sizeof(cvss_cases[0]); i++) {
		got = cvss3_base_score(cvss_cases[i].vector);
		if (fabs(got - cvss_cases[i].score) > 1e-9)
			fail_msg("%s: want %.1f, got %f", cvss_cases[i].vector,
			    cvss_cases[i].score, got);
		assert_string_equal(cvss3_severity(got),
		    cvss_cases[i].severity);
	}
	for (i = 0; i < sizeof(cvss_malformed) / sizeof(cvss_malformed[0]); i++)
		if (cvss3_base_score(cvss_malformed[i]) >= 0)
			fail_msg("%s: accepted", cvss_malformed[i]);
	assert_true(cvss3_base_score(NULL) < 0);
}

static void
test_cvss3_severity_bands(void **state)
{
	(void)state;
	assert_string_equal(cvss3_severity(-1), "UNDEFINED");
	assert_string_equal(cvss3_severity(0.0), "INFORMATIONAL");
	assert_string_equal(cvss3_severity(0.1), "LOW");
	assert_string_equal(cvss3_severity(3.9), "LOW");
	assert_string_equal(cvss3_severity(4.0), "MEDIUM");
	assert_string_equal(cvss3_severity(6.9), "MEDIUM");
	assert_string_equal(cvss3_severity(7.0), "HIGH");
	assert_string_equal(cvss3_severity(8.9), "HIGH");
	assert_string_equal(cvss3_severity(9.0), "CRITICAL");
	assert_string_equal(cvss3_severity(10.0), "CRITICAL");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_dpkg_version_cmp_orders_as_dpkg),
	    cmocka_unit_test(test_apk_version_cmp_orders_as_apk),
	    cmocka_unit_test(test_cvss3_base_score_of_known_vectors),
	    cmocka_unit_test(test_cvss3_severity_bands),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
