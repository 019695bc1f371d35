/*
 * Unit tests for scanning's configuration and findings (issue 15): the
 * registry configuration's checks and its meaning per repository, from
 * tables; the page cursor of DescribeImageScanFindings; the test hooks'
 * findings; and the configuration operations through the dispatcher.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "api/api_int.h"
#include "core/scanning.h"
#include "store/store.h"
#include "test/unit/api_fixture.h"

static struct json_object *
rules_of(const char *text)
{
	return afx_in(text);
}

static void
test_config_check_frequencies_by_type(void **state)
{
	static const struct {
		const char *type;
		const char *rules;
		int rc;
	} cases[] = {
	    {"BASIC", "[]", 0},
	    {"BASIC", "[{'scanFrequency':'SCAN_ON_PUSH'}]", 0},
	    {"BASIC", "[{'scanFrequency':'MANUAL'}]", 0},
	    {"BASIC", "[{'scanFrequency':'CONTINUOUS_SCAN'}]", -1},
	    {"BASIC",
	        "[{'scanFrequency':'SCAN_ON_PUSH'},"
	        "{'scanFrequency':'CONTINUOUS_SCAN'}]",
	        -1},
	    {"ENHANCED", "[{'scanFrequency':'CONTINUOUS_SCAN'}]", 0},
	    {"ENHANCED", "[{'scanFrequency':'SCAN_ON_PUSH'}]", 0},
	    {"ENHANCED", "[{'scanFrequency':'MANUAL'}]", -1},
	};
	struct json_object *rules;
	char msg[512];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		rules = rules_of(cases[i].rules);
		assert_int_equal(core_scan_config_check(cases[i].type, rules,
		                     msg, sizeof msg),
		    cases[i].rc);
		json_object_put(rules);
	}
	rules = rules_of("[{'scanFrequency':'SCAN_ON_PUSH'},"
	                 "{'scanFrequency':'CONTINUOUS_SCAN'}]");
	assert_int_equal(core_scan_config_check("BASIC", rules, msg,
	                     sizeof msg),
	    -1);
	assert_string_equal(msg,
	    "1 validation error detected: Value 'CONTINUOUS_SCAN' at "
	    "'scanningConfiguration.rules.2.member.scanFrequency' failed to "
	    "satisfy constraint: Member must satisfy enum value set: "
	    "[SCAN_ON_PUSH, MANUAL] for scanType BASIC");
	json_object_put(rules);
}

static void
test_frequency_matches_whole_names_with_wildcards(void **state)
{
	static const struct {
		const char *name;
		const char *freq;
		size_t n_applied;
	} cases[] = {
	    {"team/app", "SCAN_ON_PUSH", 2}, /* both of rule 1's filters */
	    {"team/", "SCAN_ON_PUSH", 1},
	    {"xteam/app", "CONTINUOUS_SCAN", 1}, /* rule 2's '*' */
	    {"prod", "CONTINUOUS_SCAN", 1},
	};
	struct json_object *config, *applied;
	size_t i;

	(void)state;
	config =
	    afx_in("{'scanType':'ENHANCED','rules':["
	           "{'scanFrequency':'SCAN_ON_PUSH','repositoryFilters':"
	           "[{'filter':'team/*','filterType':'WILDCARD'},"
	           "{'filter':'t*m/*p','filterType':'WILDCARD'}]},"
	           "{'scanFrequency':'CONTINUOUS_SCAN','repositoryFilters':"
	           "[{'filter':'*','filterType':'WILDCARD'}]}]}");
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		applied = json_object_new_array();
		assert_string_equal(core_scan_frequency(config, cases[i].name,
		                        applied),
		    cases[i].freq);
		assert_int_equal(json_object_array_length(applied),
		    cases[i].n_applied);
		json_object_put(applied);
	}
	json_object_put(config);
	config = afx_in("{'scanType':'BASIC','rules':["
	                "{'scanFrequency':'SCAN_ON_PUSH','repositoryFilters':"
	                "[{'filter':'a*b','filterType':'WILDCARD'}]}]}");
	assert_string_equal(core_scan_frequency(config, "ab", NULL),
	    "SCAN_ON_PUSH");
	assert_string_equal(core_scan_frequency(config, "axxb", NULL),
	    "SCAN_ON_PUSH");
	assert_string_equal(core_scan_frequency(config, "abc", NULL), "MANUAL");
	assert_string_equal(core_scan_frequency(config, "xab", NULL), "MANUAL");
	json_object_put(config);
}

static void
test_scan_on_push_follows_rules_else_the_repository(void **state)
{
	struct json_object *none, *rules;
	struct store_repo repo;

	(void)state;
	memset(&repo, 0, sizeof repo);
	snprintf(repo.name, sizeof repo.name, "%s", "svc");
	none = afx_in("{'scanType':'BASIC','rules':[]}");
	rules = afx_in("{'scanType':'BASIC','rules':[{'scanFrequency':"
	               "'SCAN_ON_PUSH','repositoryFilters':[{'filter':'other',"
	               "'filterType':'WILDCARD'}]}]}");
	assert_false(core_scan_on_push_wanted(none, &repo));
	repo.scan_on_push = true;
	assert_true(core_scan_on_push_wanted(none, &repo));
	/* Rules, once there are any, override the repository's setting. */
	assert_false(core_scan_on_push_wanted(rules, &repo));
	snprintf(repo.name, sizeof repo.name, "%s", "other");
	repo.scan_on_push = false;
	assert_true(core_scan_on_push_wanted(rules, &repo));
	json_object_put(none);
	json_object_put(rules);
}

static void
test_findings_cursor_round_trips_and_refuses_others(void **state)
{
	static const char *const bad[] = {
	    "",
	    "@sha256:aa",
	    "x@sha256:aa",
	    "1@sha256:bb",
	    "1sha256:aa",
	    "100001@sha256:aa",
	    "-1@sha256:aa",
	    "12345678901234567890@sha256:aa",
	};
	char cursor[API_SCAN_CURSOR_SIZE];
	uint32_t index = 0;
	size_t i;

	(void)state;
	api_scan_cursor_format(cursor, sizeof cursor, 42, "sha256:aa");
	assert_string_equal(cursor, "42@sha256:aa");
	assert_int_equal(api_scan_cursor_parse(cursor, "sha256:aa", &index), 0);
	assert_int_equal(index, 42);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(api_scan_cursor_parse(bad[i], "sha256:aa",
		                     &index),
		    -1);
}

static void
test_hook_findings_read_ecr_shape(void **state)
{
	static const struct {
		const char *score;
		double want;
	} scores[] = {
	    {"9.8", 9.8},
	    {"10", 10},
	    {"0.0", 0},
	    {"10.1", -1},
	    {"7.55", -1},
	    {"x", -1},
	    {"", -1},
	};
	struct store_finding f;
	struct json_object *in;
	const char *why = NULL;
	char text[512];
	size_t i;

	(void)state;
	in = afx_in("{'name':'CVE-1','severity':'HIGH','uri':'u',"
	            "'attributes':[{'key':'package_name','value':'p'},"
	            "{'key':'package_version','value':'1-2'},"
	            "{'key':'CVSS3_VECTOR','value':'V'}]}");
	assert_int_equal(api_finding_from_json(in, &f, &why), 0);
	assert_string_equal(f.name, "CVE-1");
	assert_string_equal(f.severity, "HIGH");
	assert_string_equal(f.package_name, "p");
	assert_string_equal(f.package_version, "1-2");
	assert_string_equal(f.cvss3_vector, "V");
	assert_true(f.cvss3_score < 0);
	store_finding_release(&f);
	json_object_put(in);
	in = afx_in("{'severity':'HIGH'}");
	assert_int_equal(api_finding_from_json(in, &f, &why), -1);
	assert_string_equal(why, "each finding needs a name");
	json_object_put(in);
	/* An unknown severity counts as UNDEFINED. */
	in = afx_in("{'name':'n','severity':'SEVERE'}");
	assert_int_equal(api_finding_from_json(in, &f, &why), 0);
	assert_string_equal(f.severity, "UNDEFINED");
	store_finding_release(&f);
	json_object_put(in);
	for (i = 0; i < sizeof scores / sizeof scores[0]; i++) {
		snprintf(text, sizeof text,
		    "{'name':'n','attributes':[{'key':'CVSS3_SCORE',"
		    "'value':'%s'}]}",
		    scores[i].score);
		in = afx_in(text);
		assert_int_equal(api_finding_from_json(in, &f, &why), 0);
		assert_true(scores[i].want < 0
		                ? f.cvss3_score < 0
		                : f.cvss3_score == scores[i].want);
		store_finding_release(&f);
		json_object_put(in);
	}
}

static void
test_registry_configuration_ops(void **state)
{
	struct afx *a = *state;
	struct json_object *o;

	o = afx_ok(a, "GetRegistryScanningConfiguration", "{}");
	afx_equal(o, "{'registryId':'" AFX_ACCOUNT "','scanningConfiguration':"
	             "{'scanType':'BASIC','rules':[]}}");
	json_object_put(o);
	afx_fail(a, "PutRegistryScanningConfiguration",
	    "{'scanType':'ENHANCED','rules':[{'scanFrequency':'MANUAL',"
	    "'repositoryFilters':[{'filter':'*','filterType':'WILDCARD'}]}]}",
	    400, "ValidationException",
	    "1 validation error detected: Value 'MANUAL' at "
	    "'scanningConfiguration.rules.1.member.scanFrequency' failed to "
	    "satisfy constraint: Member must satisfy enum value set: "
	    "[SCAN_ON_PUSH, CONTINUOUS_SCAN] for scanType ENHANCED");
	o = afx_ok(a, "PutRegistryScanningConfiguration",
	    "{'scanType':'ENHANCED','rules':[{'scanFrequency':"
	    "'CONTINUOUS_SCAN','repositoryFilters':[{'filter':'a*',"
	    "'filterType':'WILDCARD'}]}]}");
	afx_equal(o, "{'registryScanningConfiguration':{'scanType':'ENHANCED',"
	             "'rules':[{'scanFrequency':'CONTINUOUS_SCAN',"
	             "'repositoryFilters':[{'filter':'a*','filterType':"
	             "'WILDCARD'}]}]}}");
	json_object_put(o);
	afx_do(a, "CreateRepository", "{'repositoryName':'abc'}");
	o = afx_ok(a, "BatchGetRepositoryScanningConfiguration",
	    "{'repositoryNames':['abc','zzz']}");
	afx_equal(o, "{'scanningConfigurations':[{'repositoryArn':"
	             "'arn:aws:ecr:us-east-1:" AFX_ACCOUNT ":repository/abc',"
	             "'repositoryName':'abc','scanOnPush':true,"
	             "'scanFrequency':'CONTINUOUS_SCAN','appliedScanFilters':"
	             "[{'filter':'a*','filterType':'WILDCARD'}]}],"
	             "'failures':[{'repositoryName':'zzz','failureCode':"
	             "'REPOSITORY_NOT_FOUND','failureReason':"
	             "'REPOSITORY_NOT_FOUND'}]}");
	json_object_put(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_check_frequencies_by_type),
	    cmocka_unit_test(test_frequency_matches_whole_names_with_wildcards),
	    cmocka_unit_test(
	        test_scan_on_push_follows_rules_else_the_repository),
	    cmocka_unit_test(
	        test_findings_cursor_round_trips_and_refuses_others),
	    cmocka_unit_test(test_hook_findings_read_ecr_shape),
	    cmocka_unit_test_setup_teardown(test_registry_configuration_ops,
	        afx_setup, afx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
