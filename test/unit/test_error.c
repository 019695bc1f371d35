/*
 * The two error tables (api/error.c, issue 12): every code has a wire
 * name, an error status and, for the registry, a message; no two entries
 * answer alike.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api/error.h"
#include "registry/error.h"

static void
test_registry_table_is_complete(void **state)
{
	int i;

	(void)state;
	for (i = REG_NONE + 1; i < REG__COUNT; i++) {
		assert_non_null(reg_error_code(i));
		assert_true(reg_error_code(i)[0] != '\0');
		assert_true(reg_error_status(i) >= 400);
		assert_true(reg_error_status(i) <= 599);
		assert_non_null(reg_error_message(i));
		assert_true(reg_error_message(i)[0] != '\0');
	}
}

/* A code may go out with two statuses (two entries), never twice alike. */
static void
test_registry_codes_are_unique(void **state)
{
	int i, j;

	(void)state;
	for (i = REG_NONE + 1; i < REG__COUNT; i++) {
		for (j = i + 1; j < REG__COUNT; j++) {
			if (strcmp(reg_error_code(i), reg_error_code(j)) != 0)
				continue;
			assert_int_not_equal(reg_error_status(i),
			    reg_error_status(j));
		}
	}
}

/* Out of range: the server fault, never a NULL. */
static void
test_registry_out_of_range_is_unknown(void **state)
{
	(void)state;
	assert_string_equal(reg_error_code(REG_NONE), "UNKNOWN");
	assert_int_equal(reg_error_status(REG__COUNT), 500);
	assert_non_null(reg_error_message(-1));
}

/* A code found by its wire name: the first entry that spells it. */
static void
test_registry_lookup(void **state)
{
	int i;

	(void)state;
	for (i = REG_NONE + 1; i < REG__COUNT; i++)
		assert_string_equal(
		    reg_error_code(reg_error_lookup(reg_error_code(i))),
		    reg_error_code(i));
	assert_int_equal(reg_error_lookup("TOOMANYREQUESTS"),
	    REG_TOO_MANY_REQUESTS);
	assert_int_equal(reg_error_status(REG_TOO_MANY_REQUESTS), 429);
	assert_int_equal(reg_error_lookup("UNSUPPORTED"),
	    REG_METHOD_UNSUPPORTED);
	assert_int_equal(reg_error_lookup("toomanyrequests"), REG_NONE);
	assert_int_equal(reg_error_lookup(""), REG_NONE);
}

static void
test_ecr_table_is_complete_and_unique(void **state)
{
	int i, j;

	(void)state;
	for (i = ERR_NONE + 1; i < ERR__COUNT; i++) {
		assert_non_null(ecr_error_type(i));
		assert_true(ecr_error_status(i) >= 400);
		assert_true(ecr_error_status(i) <= 599);
		assert_int_equal(ecr_error_lookup(ecr_error_type(i)), i);
		for (j = i + 1; j < ERR__COUNT; j++)
			assert_string_not_equal(ecr_error_type(i),
			    ecr_error_type(j));
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_registry_table_is_complete),
	    cmocka_unit_test(test_registry_codes_are_unique),
	    cmocka_unit_test(test_registry_out_of_range_is_unknown),
	    cmocka_unit_test(test_registry_lookup),
	    cmocka_unit_test(test_ecr_table_is_complete_and_unique),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
