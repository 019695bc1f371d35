/*
 * Unit tests for the ECR answer renderer (api/dispatch.c): an answer that
 * cannot be rendered whole is a ServerException, never a truncated body
 * (issue 12, finding 3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "api/api_int.h"
#include "common/json.h"

static void
test_answer_over_the_limit_is_a_server_exception(void **state)
{
	struct call *call;
	struct jw w;
	const char *error_type;
	char *body;
	size_t len;
	int status, i;

	(void)state;
	call = call_new(NULL, "req-1", 0);
	call->out = jnew_obj();
	jadd_str(call->out, "registryId", "123456789012");
	/* A list writer past its cap, as a page past JSON_RENDER_MAX. */
	jw_init_max(&w, 256);
	jw_arr_open(&w, NULL);
	for (i = 0; i < 64; i++)
		jw_str(&w, NULL, "repository-name");
	jw_arr_close(&w);
	jadd_jw(call->out, "repositories", &w);
	api_call_render(call, &status, &error_type, &body, &len);
	assert_int_equal(status, 500);
	assert_string_equal(error_type, "ServerException");
	assert_string_equal(body,
	    "{\"__type\":\"ServerException\",\"message\":"
	    "\"An internal error occurred. Retry the request (request id "
	    "req-1).\"}");
	assert_int_equal(len, strlen(body));
	free(body);
	call_free(call);
}

static void
test_answer_under_the_limit_renders_whole(void **state)
{
	struct call *call;
	struct jw w;
	const char *error_type;
	char *body;
	size_t len;
	int status;

	(void)state;
	call = call_new(NULL, "req-2", 0);
	call->out = jnew_obj();
	jw_init_max(&w, 256);
	jw_arr_open(&w, NULL);
	jw_str(&w, NULL, "a");
	jw_arr_close(&w);
	jadd_jw(call->out, "repositories", &w);
	api_call_render(call, &status, &error_type, &body, &len);
	assert_int_equal(status, 200);
	assert_null(error_type);
	assert_string_equal(body, "{\"repositories\":[\"a\"]}");
	free(body);
	call_free(call);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_answer_over_the_limit_is_a_server_exception),
	    cmocka_unit_test(test_answer_under_the_limit_renders_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
