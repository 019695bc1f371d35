/*
 * Unit tests for server/linefile.c: an EACH file has every line on disk
 * as soon as it is added; a BATCH file has none until its timer fires or
 * the high-water mark passes, then all of them, in order; reopen follows
 * a renamed path; a file that cannot be written counts its lines lost.
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
#include <event2/event.h>

#include "server/linefile.h"

struct fixture {
	char dir[64];
	char path[128];
	struct event_base *base;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/ecrd-linefile-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof f->path, "%s/lines", f->dir);
	f->base = event_base_new();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char old[160];

	snprintf(old, sizeof old, "%s.1", f->path);
	unlink(f->path);
	unlink(old);
	rmdir(f->dir);
	event_base_free(f->base);
	free(f);
	return 0;
}

static size_t
file_size(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (size_t)sb.st_size : 0;
}

static char *
slurp(const char *path)
{
	static char buf[4096];
	FILE *fp = fopen(path, "r");
	size_t n = 0;

	if (fp != NULL) {
		n = fread(buf, 1, sizeof buf - 1, fp);
		fclose(fp);
	}
	buf[n] = '\0';
	return buf;
}

static void
each_writes_at_once(void **state)
{
	struct fixture *f = *state;
	struct linefile *lf;
	char *cause = NULL;

	lf = linefile_open(f->base, f->path, LINEFILE_EACH, &cause);
	assert_non_null(lf);
	linefile_add(lf, "{\"a\":1}", 7);
	assert_string_equal(slurp(f->path), "{\"a\":1}\n");
	linefile_add(lf, "{\"b\":2}", 7);
	assert_string_equal(slurp(f->path), "{\"a\":1}\n{\"b\":2}\n");
	linefile_free(lf);
}

static void
batch_waits_for_the_loop(void **state)
{
	struct fixture *f = *state;
	struct linefile *lf;
	char *cause = NULL;

	lf = linefile_open(f->base, f->path, LINEFILE_BATCH, &cause);
	assert_non_null(lf);
	linefile_add(lf, "one", 3);
	linefile_add(lf, "two", 3);
	assert_int_equal(file_size(f->path), 0);
	event_base_loop(f->base, EVLOOP_ONCE);
	assert_string_equal(slurp(f->path), "one\ntwo\n");
	linefile_free(lf);
}

static void
batch_writes_past_high_water(void **state)
{
	struct fixture *f = *state;
	struct linefile *lf;
	char *cause = NULL, line[1024];
	size_t i;

	memset(line, 'x', sizeof line);
	lf = linefile_open(f->base, f->path, LINEFILE_BATCH, &cause);
	assert_non_null(lf);
	/* 300 KiB, past the 256 KiB mark, with no timer fired. */
	for (i = 0; i < 300; i++)
		linefile_add(lf, line, sizeof line);
	assert_true(file_size(f->path) >= 256 * 1024);
	linefile_free(lf);
	assert_int_equal(file_size(f->path), 300 * (sizeof line + 1));
}

static void
reopen_follows_a_rotation(void **state)
{
	struct fixture *f = *state;
	struct linefile *lf;
	char *cause = NULL, old[160];

	snprintf(old, sizeof old, "%s.1", f->path);
	lf = linefile_open(f->base, f->path, LINEFILE_BATCH, &cause);
	assert_non_null(lf);
	linefile_add(lf, "before", 6);
	assert_int_equal(rename(f->path, old), 0);
	/* The gathered line goes to the file it was added for. */
	assert_int_equal(linefile_reopen(lf, &cause), 0);
	linefile_add(lf, "after", 5);
	linefile_free(lf);
	assert_string_equal(slurp(old), "before\n");
	assert_string_equal(slurp(f->path), "after\n");
}

static void
unwritable_lines_are_counted_lost(void **state)
{
	struct fixture *f = *state;
	struct linefile *lf;
	char *cause = NULL;

	/* /dev/full accepts the open and fails every write (ENOSPC). */
	lf = linefile_open(f->base, "/dev/full", LINEFILE_EACH, &cause);
	assert_non_null(lf);
	linefile_add(lf, "one", 3);
	linefile_add(lf, "two", 3);
	assert_int_equal(linefile_n_lost(lf), 2);
	linefile_free(lf);
}

static void
open_failure_says_why(void **state)
{
	struct fixture *f = *state;
	char *cause = NULL, path[160];

	snprintf(path, sizeof path, "%s/missing/lines", f->dir);
	assert_null(linefile_open(f->base, path, LINEFILE_EACH, &cause));
	assert_non_null(cause);
	assert_non_null(strstr(cause, "No such file"));
	free(cause);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(each_writes_at_once, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(batch_waits_for_the_loop, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(batch_writes_past_high_water, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(reopen_follows_a_rotation, setup,
	        teardown),
	    cmocka_unit_test_setup_teardown(unwritable_lines_are_counted_lost,
	        setup, teardown),
	    cmocka_unit_test_setup_teardown(open_failure_says_why, setup,
	        teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
