/*
 * Unit tests for the running hashes of uploads (core/upload.c, issue 12):
 * kept in memory only, found only for the length they cover, dropped by a
 * part counted without one, and bounded, the oldest going first.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "api/api_int.h"
#include "core/image.h"
#include "auth/sha256.h"
#include "common/str.h"

#define N_UPLOADS 1100 /* more than upload.c keeps */

static void
digest_of(struct sha256_state *st, unsigned char out[SHA256_DIGEST_LEN])
{
	struct sha256_state copy = *st;

	sha256_final(&copy, out);
}

static void
test_upload_hash_found_only_at_its_length(void **state)
{
	struct core_ctx ctx = {0};
	struct call call = {.ctx = &ctx, .now_ms = 1000};
	struct store_upload up = {.id = "u-1"};
	struct sha256_state st, got;
	unsigned char want[SHA256_DIGEST_LEN], h[SHA256_DIGEST_LEN];

	(void)state;
	assert_false(core_upload_hash_get(&ctx, &up, &got));
	sha256_init(&st);
	sha256_update(&st, "abc", 3);
	core_upload_count_part(&call, &up, 3, &st);
	assert_int_equal(up.received, 3);
	assert_true(core_upload_hash_get(&ctx, &up, &got));
	digest_of(&st, want);
	digest_of(&got, h);
	assert_memory_equal(h, want, sizeof h);

	/* A record that stands elsewhere (a commit failed) has none. */
	up.received = 2;
	assert_false(core_upload_hash_get(&ctx, &up, &got));
	up.received = 3;

	/* A part counted without a hash (after a restart) drops it. */
	core_upload_count_part(&call, &up, 5, NULL);
	assert_false(core_upload_hash_get(&ctx, &up, &got));
	up.received = 3;
	assert_false(core_upload_hash_get(&ctx, &up, &got));
	core_upload_tables_free(&ctx);
}

static void
test_upload_hash_drop_forgets_only_that_upload(void **state)
{
	struct core_ctx ctx = {0};
	struct call call = {.ctx = &ctx};
	struct store_upload a = {.id = "a"}, b = {.id = "b"};
	struct sha256_state st, got;

	(void)state;
	sha256_init(&st);
	core_upload_count_part(&call, &a, 1, &st);
	core_upload_count_part(&call, &b, 2, &st);
	core_upload_hash_drop(&ctx, "a");
	core_upload_hash_drop(&ctx, "never");
	assert_false(core_upload_hash_get(&ctx, &a, &got));
	assert_true(core_upload_hash_get(&ctx, &b, &got));
	core_upload_tables_free(&ctx);
}

static void
test_upload_hash_table_is_bounded_oldest_first(void **state)
{
	struct core_ctx ctx = {0};
	struct call call = {.ctx = &ctx};
	struct store_upload up;
	struct sha256_state st, got;
	size_t i;

	(void)state;
	sha256_init(&st);
	for (i = 0; i < N_UPLOADS; i++) {
		memset(&up, 0, sizeof up);
		snprintf(up.id, sizeof up.id, "up-%zu", i);
		core_upload_count_part(&call, &up, 1, &st);
	}
	assert_true(ctx.n_hashes < N_UPLOADS);
	up.received = 1;
	str_copy(up.id, sizeof up.id, "up-0");
	assert_false(core_upload_hash_get(&ctx, &up, &got));
	snprintf(up.id, sizeof up.id, "up-%d", N_UPLOADS - 1);
	assert_true(core_upload_hash_get(&ctx, &up, &got));
	core_upload_tables_free(&ctx);
	assert_null(ctx.hashes);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_upload_hash_found_only_at_its_length),
	    cmocka_unit_test(test_upload_hash_drop_forgets_only_that_upload),
	    cmocka_unit_test(test_upload_hash_table_is_bounded_oldest_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
