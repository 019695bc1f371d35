/*
 * Registry host name templates (core/host.c, issue 18; docs/hosts.md):
 * which templates --public-endpoint takes, how they fill in, and which
 * Host headers name which registry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"

#define TEMPLATE "{account}.dkr.ecr.{region}.localhost:5080"

static void
test_host_template_check_takes_placeholders_ending_labels(void **state)
{
	static const struct {
		const char *tmpl;
		const char *cause; /* NULL: taken */
	} cases[] = {
	    {TEMPLATE, NULL},
	    {"{account}.dkr.ecr.{region}.localhost", NULL},
	    {"ecr.{region}.localhost:0", NULL},
	    {"{account}.localhost", NULL},
	    {"registry.{region}", NULL},
	    {"{acct}.localhost", "only {account} and {region}"},
	    {"{account.localhost", "only {account} and {region}"},
	    {"x}.localhost", "only {account} and {region}"},
	    {"{account}.{account}.localhost", "may stand once"},
	    {"{region}{account}.localhost", "before '.', ':' or the end"},
	    {"{account}-x.localhost", "before '.', ':' or the end"},
	    {"x.localhost:{region}", "in the host"},
	    {"https://{account}.localhost", "no scheme"},
	};
	size_t i;
	char *cause;
	int rc;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		cause = NULL;
		rc = core_host_template_check(cases[i].tmpl, &cause);
		if (cases[i].cause == NULL) {
			assert_int_equal(rc, 0);
			assert_null(cause);
			continue;
		}
		assert_int_equal(rc, -1);
		assert_non_null(strstr(cause, cases[i].cause));
		free(cause);
	}
}

static void
test_host_expand_fills_in_account_and_region(void **state)
{
	char *s;

	(void)state;
	assert_false(core_host_is_template("127.0.0.1:5080"));
	assert_false(core_host_is_template(NULL));
	assert_true(core_host_is_template(TEMPLATE));
	s = core_host_expand(TEMPLATE, "111122223333", "eu-west-1");
	assert_string_equal(s, "111122223333.dkr.ecr.eu-west-1.localhost:5080");
	free(s);
	s = core_host_expand("ecr.{region}.localhost", "111122223333",
	    "ap-southeast-2");
	assert_string_equal(s, "ecr.ap-southeast-2.localhost");
	free(s);
}

static void
test_host_match_reads_account_and_region_from_a_host(void **state)
{
	static const struct {
		const char *tmpl;
		const char *host;
		const char *account; /* NULL: no match */
		const char *region;
	} cases[] = {
	    {TEMPLATE, "111122223333.dkr.ecr.eu-west-1.localhost:5080",
	        "111122223333", "eu-west-1"},
	    /* The port is not compared; letters without regard to case. */
	    {TEMPLATE, "111122223333.dkr.ecr.us-east-1.localhost",
	        "111122223333", "us-east-1"},
	    {TEMPLATE, "111122223333.DKR.ecr.us-east-1.LOCALHOST:80",
	        "111122223333", "us-east-1"},
	    {"ecr.{region}.localhost", "ecr.cn-north-1.localhost", "",
	        "cn-north-1"},
	    {"{account}.localhost", "123456789012.localhost", "123456789012",
	        ""},
	    {TEMPLATE, "11112222333.dkr.ecr.us-east-1.localhost", NULL, NULL},
	    {TEMPLATE, "1111222233334.dkr.ecr.us-east-1.localhost", NULL, NULL},
	    {TEMPLATE, "111122223333.dkr.ecr.US-EAST-1.localhost", NULL, NULL},
	    {TEMPLATE, "111122223333.dkr.ecr.x.localhost", NULL, NULL},
	    {TEMPLATE, "111122223333.dkr.ecr..localhost", NULL, NULL},
	    {TEMPLATE, "111122223333.dkr.ecr.us-east-1.localhost.evil", NULL,
	        NULL},
	    {TEMPLATE, "111122223333.dkr.ecr.us-east-1.example.com", NULL,
	        NULL},
	    {TEMPLATE, "127.0.0.1:5080", NULL, NULL},
	    {TEMPLATE, "", NULL, NULL},
	    {TEMPLATE, NULL, NULL, NULL},
	    {"127.0.0.1:5080", "127.0.0.1:5080", NULL, NULL},
	    {NULL, "111122223333.dkr.ecr.us-east-1.localhost", NULL, NULL},
	};
	char account[13], region[CORE_HOST_REGION_SIZE];
	size_t i;
	bool is_match;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		is_match = core_host_match(cases[i].tmpl, cases[i].host,
		    account, region);
		assert_int_equal(is_match, cases[i].account != NULL);
		if (!is_match)
			continue;
		assert_string_equal(account, cases[i].account);
		assert_string_equal(region, cases[i].region);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        test_host_template_check_takes_placeholders_ending_labels),
	    cmocka_unit_test(test_host_expand_fills_in_account_and_region),
	    cmocka_unit_test(
	        test_host_match_reads_account_and_region_from_a_host),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
