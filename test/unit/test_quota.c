/*
 * Unit tests for the quota table (core/quota.c): the defaults, --quota's
 * parsing and its refusals, and the README's list of names, which must
 * say what the table holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/core.h"
#include "core/quota.h"
#include "common/buf.h"
#include "common/xalloc.h"

#define README_MAX (1024 * 1024)

static void
test_quota_defaults_are_ecrs(void **state)
{
	uint64_t v[CORE_QUOTA_N];

	(void)state;
	core_quota_defaults(v);
	assert_int_equal(v[CORE_QUOTA_REPOSITORIES], 100000);
	assert_int_equal(v[CORE_QUOTA_IMAGES], 100000);
	assert_int_equal(v[CORE_QUOTA_TAGS], 1000);
	assert_int_equal(v[CORE_QUOTA_LAYER_PARTS], 4200);
	assert_int_equal(v[CORE_QUOTA_LAYER_SIZE], 52000ULL * 1024 * 1024);
	assert_int_equal(v[CORE_QUOTA_PTC_RULES], 50);
	assert_int_equal(v[CORE_QUOTA_EXCLUSIONS], 100);
	assert_int_equal(v[CORE_QUOTA_SCANS], 100000);
}

static void
test_quota_parse_sets_one(void **state)
{
	uint64_t v[CORE_QUOTA_N], want[CORE_QUOTA_N];
	char *cause = NULL;

	(void)state;
	core_quota_defaults(v);
	core_quota_defaults(want);
	assert_int_equal(core_quota_parse(v, "images-per-repository=2", &cause),
	    0);
	want[CORE_QUOTA_IMAGES] = 2;
	assert_memory_equal(v, want, sizeof v);
	assert_int_equal(core_quota_parse(v, "tags-per-image=1000", &cause), 0);
	assert_int_equal(core_quota_parse(v, "layer-size=9223372036854775807",
	                     &cause),
	    0);
	assert_int_equal(v[CORE_QUOTA_LAYER_SIZE], INT64_MAX);
}

static void
assert_refused(const char *arg, const char *cause_has)
{
	uint64_t v[CORE_QUOTA_N], want[CORE_QUOTA_N];
	char *cause = NULL;

	core_quota_defaults(v);
	core_quota_defaults(want);
	assert_int_equal(core_quota_parse(v, arg, &cause), -1);
	assert_non_null(cause);
	if (strstr(cause, cause_has) == NULL)
		fail_msg("'%s': '%s' lacks '%s'", arg, cause, cause_has);
	assert_memory_equal(v, want, sizeof v);
	free(cause);
}

static void
test_quota_parse_refuses(void **state)
{
	(void)state;
	assert_refused("nope=1", "unknown quota 'nope'");
	assert_refused("images-per-repositor=1", "unknown quota");
	assert_refused("=5", "unknown quota ''");
	assert_refused("tags-per-image", "from 1 to 1000");
	assert_refused("tags-per-image=", "from 1 to 1000");
	assert_refused("tags-per-image=0", "from 1 to 1000");
	assert_refused("tags-per-image=1001", "from 1 to 1000");
	assert_refused("pull-through-rules=-1", "from 1 to 4294967295");
	assert_refused("pull-through-rules=1k", "from 1 to 4294967295");
	assert_refused("pull-through-rules=4294967296", "4294967295");
}

/* A source file's text (ctest runs unit tests from the source tree). */
static char *
read_text(const char *path)
{
	char *text;
	FILE *fp;
	size_t len;

	fp = fopen(path, "r");
	assert_non_null(fp);
	text = xmalloc(README_MAX);
	len = fread(text, 1, README_MAX - 1, fp);
	text[len] = '\0';
	fclose(fp);
	return text;
}

/* --help names every quota (server/flags.txt, the --quota entry). */
static void
test_quota_help_names_them_all(void **state)
{
	char *text = read_text("server/flags.txt"), *entry;
	size_t i;

	(void)state;
	entry = strstr(text, "\n--quota NAME=VALUE");
	assert_non_null(entry);
	*strstr(entry + 1, "\n--") = '\0';
	for (i = 0; i < CORE_QUOTA_N; i++) {
		if (strstr(entry, core_quota_defs[i].name) == NULL)
			fail_msg("--quota's help lacks %s",
			    core_quota_defs[i].name);
	}
	free(text);
}

/* The README's table row of each quota: | `name` | default | max | */
static void
test_quota_readme_lists_the_table(void **state)
{
	char line[256];
	char *text = read_text("README.md"), *start, *end;
	size_t i, n_rows = 0;

	(void)state;
	start = strstr(text, "<!-- quotas:");
	end = start != NULL ? strstr(start, "<!-- /quotas -->") : NULL;
	assert_non_null(end);
	*end = '\0';
	for (i = 0; i < CORE_QUOTA_N; i++) {
		snprintf(line, sizeof line, "\n| `%s` | %llu | %llu | ",
		    core_quota_defs[i].name,
		    (unsigned long long)core_quota_defs[i].value,
		    (unsigned long long)core_quota_defs[i].max);
		if (strstr(start, line) == NULL)
			fail_msg("README.md's quota table lacks the row "
			         "starting%s",
			    line);
	}
	for (end = start; (end = strstr(end, "\n| `")) != NULL; end++)
		n_rows++;
	assert_int_equal(n_rows, CORE_QUOTA_N);
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_quota_defaults_are_ecrs),
	    cmocka_unit_test(test_quota_parse_sets_one),
	    cmocka_unit_test(test_quota_parse_refuses),
	    cmocka_unit_test(test_quota_readme_lists_the_table),
	    cmocka_unit_test(test_quota_help_names_them_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
