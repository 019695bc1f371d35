/*
 * Unit tests for server/metrics.c: the Prometheus text of counters,
 * gauges and histograms (HELP and label escaping, cumulative buckets with
 * +Inf, _sum and _count), the repository label's cap folding into
 * _other, and series dropped by metrics_each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "server/metrics.h"

static const double bounds[] = {0.1, 1, 2.5};

static const struct metrics_def calls = {"t_calls_total",
    "Calls \\ per \"op\"\nsecond line", METRICS_COUNTER, {"op", "repository"},
    2, 1, NULL, 0};
static const struct metrics_def lat = {
    "t_seconds", "Latency.", METRICS_HISTOGRAM, {"op"}, 1, -1, bounds, 3};
static const struct metrics_def up = {
    "t_up", "Up.", METRICS_GAUGE, {NULL}, 0, -1, NULL, 0};

static char *
render(struct metrics *m)
{
	size_t len;
	char *text = metrics_render(m, &len);

	assert_non_null(text);
	assert_int_equal(strlen(text), len);
	assert_int_equal(text[len - 1], '\n');
	return text;
}

static void
test_metrics_escapes_help_and_label_values(void **state)
{
	struct metrics *m = metrics_new(10);
	const char *v[2] = {"Put\"Image", "a\\b\nc"};
	size_t fam = metrics_declare(m, &calls);
	char *text;

	(void)state;
	metrics_add(m, fam, v, 1);
	metrics_add(m, fam, v, 2);
	text = render(m);
	assert_non_null(strstr(text, "# HELP t_calls_total Calls \\\\ per "
	                             "\"op\"\\nsecond line\n"
	                             "# TYPE t_calls_total counter\n"));
	assert_non_null(strstr(text, "t_calls_total{op=\"Put\\\"Image\","
	                             "repository=\"a\\\\b\\nc\"} 3\n"));
	free(text);
	metrics_free(m);
}

static void
test_metrics_histogram_buckets_are_cumulative(void **state)
{
	struct metrics *m = metrics_new(10);
	const char *v[1] = {"x"};
	size_t fam = metrics_declare(m, &lat);
	char *text;

	(void)state;
	metrics_observe(m, fam, v, 0.05);
	metrics_observe(m, fam, v, 0.1); /* le is inclusive */
	metrics_observe(m, fam, v, 2);
	metrics_observe(m, fam, v, 7);
	text = render(m);
	assert_non_null(strstr(text,
	    "# TYPE t_seconds histogram\n"
	    "t_seconds_bucket{op=\"x\",le=\"0.1\"} 2\n"
	    "t_seconds_bucket{op=\"x\",le=\"1\"} 2\n"
	    "t_seconds_bucket{op=\"x\",le=\"2.5\"} 3\n"
	    "t_seconds_bucket{op=\"x\",le=\"+Inf\"} 4\n"
	    "t_seconds_sum{op=\"x\"} 9.15\n"
	    "t_seconds_count{op=\"x\"} 4\n"));
	free(text);
	metrics_free(m);
}

static void
test_metrics_gauge_without_labels(void **state)
{
	struct metrics *m = metrics_new(10);
	const char *none[1] = {""};
	size_t fam = metrics_declare(m, &up);
	char *text;

	(void)state;
	metrics_set(m, fam, none, 1.5e12);
	text = render(m);
	assert_non_null(strstr(text,
	    "# TYPE t_up gauge\nt_up 1500000000000\n"));
	free(text);
	metrics_free(m);
}

static void
test_metrics_cap_folds_repositories_into_other(void **state)
{
	struct metrics *m = metrics_new(2);
	const char *a[2] = {"op", "a"}, *b[2] = {"op", "b"};
	const char *c[2] = {"op", "c"}, *d[2] = {"op", "d"};
	const char *other[2] = {"op", METRICS_OTHER};
	size_t fam = metrics_declare(m, &calls);

	(void)state;
	metrics_add(m, fam, a, 1);
	metrics_add(m, fam, b, 1);
	metrics_add(m, fam, c, 1);
	metrics_add(m, fam, d, 2);
	metrics_add(m, fam, a, 1); /* already there: its own series */
	assert_true(metrics_get(m, fam, a) == 2);
	assert_true(metrics_get(m, fam, c) == 0);
	assert_true(metrics_get(m, fam, other) == 3);
	metrics_free(m);
}

static bool
drop_b(const char *const *values, double *value, void *arg)
{
	(void)arg;
	*value = 7;
	return strcmp(values[1], "b") != 0;
}

static void
test_metrics_each_drops_and_sets(void **state)
{
	struct metrics *m = metrics_new(10);
	const char *a[2] = {"op", "a"}, *b[2] = {"op", "b"};
	size_t fam = metrics_declare(m, &calls);
	char *text;

	(void)state;
	metrics_add(m, fam, a, 1);
	metrics_add(m, fam, b, 1);
	metrics_each(m, fam, drop_b, NULL);
	text = render(m);
	assert_non_null(strstr(text, "repository=\"a\"} 7\n"));
	assert_null(strstr(text, "repository=\"b\""));
	free(text);
	/* Made again after being dropped. */
	metrics_add(m, fam, b, 1);
	assert_true(metrics_get(m, fam, b) == 1);
	metrics_free(m);
}

static void
test_metrics_null_is_ignored(void **state)
{
	const char *v[1] = {"x"};

	(void)state;
	metrics_add(NULL, 0, v, 1);
	metrics_observe(NULL, 0, v, 1);
	metrics_set(NULL, 0, v, 1);
	metrics_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_metrics_escapes_help_and_label_values),
	    cmocka_unit_test(test_metrics_histogram_buckets_are_cumulative),
	    cmocka_unit_test(test_metrics_gauge_without_labels),
	    cmocka_unit_test(test_metrics_cap_folds_repositories_into_other),
	    cmocka_unit_test(test_metrics_each_drops_and_sets),
	    cmocka_unit_test(test_metrics_null_is_ignored),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
