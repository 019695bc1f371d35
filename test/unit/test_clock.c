/*
 * The server's one clock (core/clock.c, issue 12): requests read the real
 * clock plus an offset that only moves ahead, within its bound.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "api/api_int.h"

/* core_now_ms is the real clock plus the offset, read between two reads. */
static void
assert_now_is_offset(const struct core_ctx *ctx, int64_t offset_sec)
{
	int64_t before, now, after;

	before = core_real_ms();
	now = core_now_ms(ctx);
	after = core_real_ms();
	assert_true(now >= before + offset_sec * 1000);
	assert_true(now <= after + offset_sec * 1000);
}

static void
test_clock_starts_at_the_configured_offset(void **state)
{
	struct core_ctx ctx = {.clock_offset_sec = 3600};

	(void)state;
	assert_int_equal(core_clock_offset_sec(&ctx), 3600);
	assert_now_is_offset(&ctx, 3600);
}

static void
test_clock_advance_moves_every_reading(void **state)
{
	struct core_ctx ctx = {.clock_offset_sec = 0};

	(void)state;
	assert_now_is_offset(&ctx, 0);
	assert_int_equal(core_clock_advance(&ctx, 86400), 0);
	assert_int_equal(core_clock_advance(&ctx, 0), 0);
	assert_int_equal(core_clock_offset_sec(&ctx), 86400);
	assert_now_is_offset(&ctx, 86400);
}

static void
test_clock_advance_refuses_going_back_or_past_the_bound(void **state)
{
	struct core_ctx ctx = {.clock_offset_sec = 10};

	(void)state;
	assert_int_equal(core_clock_advance(&ctx, -1), -1);
	assert_int_equal(core_clock_advance_max(&ctx),
	    CORE_CLOCK_OFFSET_MAX_SEC - 10);
	assert_int_equal(core_clock_advance(&ctx,
	                     CORE_CLOCK_OFFSET_MAX_SEC - 9),
	    -1);
	assert_int_equal(core_clock_advance(&ctx, INT64_MAX), -1);
	assert_int_equal(core_clock_offset_sec(&ctx), 10);
	assert_int_equal(core_clock_advance(&ctx,
	                     CORE_CLOCK_OFFSET_MAX_SEC - 10),
	    0);
	assert_int_equal(core_clock_offset_sec(&ctx),
	    CORE_CLOCK_OFFSET_MAX_SEC);
	assert_int_equal(core_clock_advance_max(&ctx), 0);
	assert_int_equal(core_clock_advance(&ctx, 1), -1);
	assert_now_is_offset(&ctx, CORE_CLOCK_OFFSET_MAX_SEC);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clock_starts_at_the_configured_offset),
	    cmocka_unit_test(test_clock_advance_moves_every_reading),
	    cmocka_unit_test(
	        test_clock_advance_refuses_going_back_or_past_the_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
