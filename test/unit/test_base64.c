/* Unit tests for auth/base64.c: strict standard base64 decoding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/base64.h"

static void
test_base64_decode_table(void **state)
{
	static const struct {
		const char	*in;
		int		 rc;
		const char	*want;
	} cases[] = {
		{ "", 0, "" },
		{ "Zg==", 0, "f" },
		{ "Zm8=", 0, "fo" },
		{ "Zm9v", 0, "foo" },
		{ "Zm9vYmFy", 0, "foobar" },
		{ "Zm9", -1, NULL },		/* not a multiple of 4 */
		{ "Zm9v!A==", -1, NULL },	/* outside the alphabet */
		{ "Zg==Zg==", -1, NULL },	/* padding in the middle */
		{ " Zg=", -1, NULL },		/* a leading blank */
		{ "Zm-_", -1, NULL },		/* the URL alphabet */
	};
	unsigned char	out[32];
	size_t		i, n;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(base64_decode(cases[i].in,
		    strlen(cases[i].in), out, &n), cases[i].rc);
		if (cases[i].want == NULL)
			continue;
		assert_int_equal(n, strlen(cases[i].want));
		assert_memory_equal(out, cases[i].want, n);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_decode_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
