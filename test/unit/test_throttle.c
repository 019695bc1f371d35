/*
 * --throttle's token buckets (core/throttle.c), driven by a fake clock:
 * the burst, the refill and its wait, the published and overridden rates,
 * independent buckets and the bound on how many are kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/throttle.h"

#define ACCT "123456789012"
#define RGN "us-east-1"

/* Take n tokens at now_ms; how many were granted. */
static int
take_n(struct throttle *t, const char *acct, const char *rgn, const char *op,
    int64_t now_ms, int n)
{
	int64_t retry;
	int i, granted = 0;

	for (i = 0; i < n; i++) {
		if (throttle_take(t, acct, rgn, op, now_ms, &retry) == 0)
			granted++;
	}
	return granted;
}

static void
test_burst_then_refused_with_a_wait(void **state)
{
	struct throttle *t = throttle_new();
	int64_t retry = 0;

	(void)state;
	/* PutImage: 10 per second, a burst of 10. */
	assert_int_equal(take_n(t, ACCT, RGN, "PutImage", 0, 10), 10);
	assert_int_equal(throttle_take(t, ACCT, RGN, "PutImage", 0, &retry),
	    THROTTLE_REFUSED);
	assert_int_equal(retry, 100);
	/* Half the wait is not enough; the whole of it is, for one. */
	assert_int_equal(throttle_take(t, ACCT, RGN, "PutImage", 50, &retry),
	    THROTTLE_REFUSED);
	assert_int_equal(retry, 50);
	assert_int_equal(take_n(t, ACCT, RGN, "PutImage", 100, 2), 1);
	/* A second later the burst is back, and no more. */
	assert_int_equal(take_n(t, ACCT, RGN, "PutImage", 1100, 20), 10);
	throttle_free(t);
}

static void
test_published_other_and_overridden_rates(void **state)
{
	struct throttle *t = throttle_new();

	(void)state;
	assert_int_equal(throttle_rate(t, "GetAuthorizationToken"), 500);
	assert_int_equal(throttle_rate(t, "BatchGetImage"), 2000);
	assert_int_equal(throttle_rate(t, "GetDownloadUrlForLayer"), 3000);
	assert_int_equal(throttle_rate(t, "DescribeRepositories"),
	    THROTTLE_RATE_OTHER);
	throttle_set_rate(t, "DescribeRepositories", 2);
	throttle_set_rate(t, "PutImage", 3);
	throttle_set_rate(t, "PutImage", 4);
	assert_int_equal(throttle_rate(t, "PutImage"), 4);
	assert_int_equal(take_n(t, ACCT, RGN, "DescribeRepositories", 0, 5), 2);
	assert_int_equal(take_n(t, ACCT, RGN, "PutImage", 0, 5), 4);
	assert_int_equal(take_n(t, ACCT, RGN, "GetAuthorizationToken", 0, 600),
	    500);
	throttle_free(t);
}

static void
test_rate_zero_refuses_everything(void **state)
{
	struct throttle *t = throttle_new();
	int64_t retry = 0;

	(void)state;
	throttle_set_rate(t, "ListImages", 0);
	assert_int_equal(throttle_take(t, ACCT, RGN, "ListImages", 0, &retry),
	    THROTTLE_REFUSED);
	assert_int_equal(retry, 1000);
	assert_int_equal(take_n(t, ACCT, RGN, "ListImages", 100000, 3), 0);
	throttle_free(t);
}

static void
test_buckets_are_per_account_region_and_operation(void **state)
{
	struct throttle *t = throttle_new();

	(void)state;
	throttle_set_rate(t, "PutImage", 1);
	assert_int_equal(take_n(t, ACCT, RGN, "PutImage", 0, 3), 1);
	assert_int_equal(take_n(t, "111111111111", RGN, "PutImage", 0, 3), 1);
	assert_int_equal(take_n(t, ACCT, "eu-west-1", "PutImage", 0, 3), 1);
	assert_int_equal(take_n(t, ACCT, RGN, "BatchGetImage", 0, 3), 3);
	assert_int_equal(throttle_n_buckets(t), 4);
	throttle_free(t);
}

static void
test_buckets_stay_bounded(void **state)
{
	struct throttle *t = throttle_new();
	char acct[16];
	int64_t retry;
	int i;

	(void)state;
	throttle_set_rate(t, "PutImage", 1);
	/* One busy bucket, then many that refill: the idle ones go. */
	assert_int_equal(take_n(t, ACCT, RGN, "PutImage", 0, 2), 1);
	for (i = 0; i < THROTTLE_BUCKETS_MAX + 100; i++) {
		snprintf(acct, sizeof acct, "%012d", i + 1);
		assert_int_equal(throttle_take(t, acct, RGN, "BatchGetImage",
		                     (int64_t)i, &retry),
		    0);
		assert_true(throttle_n_buckets(t) <= THROTTLE_BUCKETS_MAX);
	}
	/* All busy (each took a token this second): the oldest goes. */
	for (i = 0; i < THROTTLE_BUCKETS_MAX + 100; i++) {
		snprintf(acct, sizeof acct, "%012d", i + 1);
		(void)throttle_take(t, acct, "eu-west-1", "PutImage", 5000,
		    &retry);
		assert_true(throttle_n_buckets(t) <= THROTTLE_BUCKETS_MAX);
	}
	throttle_free(t);
}

static void
test_names_too_long_are_not_counted(void **state)
{
	struct throttle *t = throttle_new();
	char op[THROTTLE_OP_MAX + 8];

	(void)state;
	memset(op, 'A', sizeof op - 1);
	op[sizeof op - 1] = '\0';
	throttle_set_rate(t, "PutImage", 0);
	assert_int_equal(take_n(t, ACCT, RGN, op, 0, 100), 100);
	assert_int_equal(throttle_n_buckets(t), 0);
	throttle_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_burst_then_refused_with_a_wait),
	    cmocka_unit_test(test_published_other_and_overridden_rates),
	    cmocka_unit_test(test_rate_zero_refuses_everything),
	    cmocka_unit_test(test_buckets_are_per_account_region_and_operation),
	    cmocka_unit_test(test_buckets_stay_bounded),
	    cmocka_unit_test(test_names_too_long_are_not_counted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
