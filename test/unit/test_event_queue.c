/*
 * Unit tests for server/event_queue.c, the HTTP event sinks' logic without
 * the network: the queue keeps the newest events in order and counts
 * those it drops; the backoff doubles to its cap and its jitter stays in
 * the upper half; what each answer means; which PutEvents entries failed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "common/json.h"
#include "server/event_queue.h"

static void
test_queue_keeps_newest_in_order(void **state)
{
	struct evq q;
	struct json_object *o;
	int i, dropped = 0;

	(void)state;
	evq_init(&q, 3);
	assert_null(evq_pop(&q));
	for (i = 1; i <= 7; i++)
		dropped += evq_push(&q, json_object_new_int(i));
	assert_int_equal(dropped, 4);
	assert_int_equal(q.n_dropped, 4);
	assert_int_equal(q.len, 3);
	assert_int_equal(json_object_get_int(evq_peek(&q, 0)), 5);
	assert_int_equal(json_object_get_int(evq_peek(&q, 2)), 7);
	assert_null(evq_peek(&q, 3));
	for (i = 5; i <= 7; i++) {
		o = evq_pop(&q);
		assert_int_equal(json_object_get_int(o), i);
		json_object_put(o);
	}
	assert_null(evq_pop(&q));
	/* Wrapped around: still in order, nothing dropped while not full. */
	assert_int_equal(evq_push(&q, json_object_new_int(8)), 0);
	assert_int_equal(evq_push(&q, json_object_new_int(9)), 0);
	assert_int_equal(json_object_get_int(evq_peek(&q, 1)), 9);
	evq_release(&q);
}

static void
test_backoff_doubles_to_cap(void **state)
{
	unsigned a, d = EVQ_BACKOFF_BASE_MS;

	(void)state;
	for (a = 1; a <= 20; a++) {
		assert_int_equal(evq_backoff_ms(a, 0), d / 2);
		assert_int_equal(evq_backoff_ms(a, UINT32_MAX - 1),
		    d / 2 + (UINT32_MAX - 1) % (d / 2 + 1));
		assert_true(evq_backoff_ms(a, 12345) <= d);
		assert_true(evq_backoff_ms(a, 12345) >= d / 2);
		d = d * 2 > EVQ_BACKOFF_MAX_MS ? EVQ_BACKOFF_MAX_MS : d * 2;
	}
	assert_int_equal(evq_backoff_ms(1, EVQ_BACKOFF_BASE_MS / 2),
	    EVQ_BACKOFF_BASE_MS);
	assert_int_equal(evq_backoff_ms(100, EVQ_BACKOFF_MAX_MS / 2),
	    EVQ_BACKOFF_MAX_MS);
}

static void
test_classify(void **state)
{
	(void)state;
	assert_int_equal(evq_classify(false, 0), EVQ_RETRY);
	assert_int_equal(evq_classify(true, 200), EVQ_DELIVERED);
	assert_int_equal(evq_classify(true, 204), EVQ_DELIVERED);
	assert_int_equal(evq_classify(true, 429), EVQ_RETRY);
	assert_int_equal(evq_classify(true, 500), EVQ_RETRY);
	assert_int_equal(evq_classify(true, 503), EVQ_RETRY);
	assert_int_equal(evq_classify(true, 400), EVQ_DROP);
	assert_int_equal(evq_classify(true, 404), EVQ_DROP);
	assert_int_equal(evq_classify(true, 301), EVQ_DROP);
}

static struct json_object *
parse(const char *text)
{
	struct json_object *o = NULL;

	assert_int_not_equal(jparse_strict(text, strlen(text), &o, NULL),
	    JPARSE_BAD);
	return o;
}

static void
test_failed_entries(void **state)
{
	struct json_object *a;
	bool failed[3];

	(void)state;
	a = parse("{\"FailedEntryCount\":0,\"Entries\":[{\"EventId\":\"1\"},"
	          "{\"EventId\":\"2\"},{\"EventId\":\"3\"}]}");
	assert_int_equal(evq_failed_entries(a, 3, failed), 0);
	assert_false(failed[0] || failed[1] || failed[2]);
	json_object_put(a);
	a = parse("{\"FailedEntryCount\":2,\"Entries\":[{\"ErrorCode\":"
	          "\"InternalFailure\",\"ErrorMessage\":\"x\"},{\"EventId\":"
	          "\"2\"},{\"ErrorCode\":\"ThrottlingException\"}]}");
	assert_int_equal(evq_failed_entries(a, 3, failed), 2);
	assert_true(failed[0]);
	assert_false(failed[1]);
	assert_true(failed[2]);
	json_object_put(a);
	/* Not PutEvents' answer, or a count without matching results. */
	a = parse("{\"Entries\":[]}");
	assert_int_equal(evq_failed_entries(a, 3, failed), -1);
	json_object_put(a);
	a = parse("{\"FailedEntryCount\":1,\"Entries\":[{\"EventId\":\"1\"}]}");
	assert_int_equal(evq_failed_entries(a, 1, failed), -1);
	json_object_put(a);
	a = parse("{\"FailedEntryCount\":1,\"Entries\":[]}");
	assert_int_equal(evq_failed_entries(a, 3, failed), -1);
	json_object_put(a);
	a = parse("[1]");
	assert_int_equal(evq_failed_entries(a, 1, failed), -1);
	json_object_put(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_queue_keeps_newest_in_order),
	    cmocka_unit_test(test_backoff_doubles_to_cap),
	    cmocka_unit_test(test_classify),
	    cmocka_unit_test(test_failed_entries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
