/*
 * The HTTP event sinks' queue, backoff and verdicts (event_queue.h): pure
 * logic, unit tested without a network.
 */
#include "server/event_queue.h"

#include <stdlib.h>

#include <json-c/json.h>

#include "common/json.h"
#include "common/xalloc.h"

void
evq_init(struct evq *q, size_t cap)
{
	q->v = xcalloc(cap > 0 ? cap : 1, sizeof *q->v);
	q->cap = cap > 0 ? cap : 1;
	q->head = 0;
	q->len = 0;
	q->n_dropped = 0;
}

void
evq_release(struct evq *q)
{
	struct json_object *o;

	while ((o = evq_pop(q)) != NULL)
		json_object_put(o);
	free(q->v);
	q->v = NULL;
}

int
evq_push(struct evq *q, struct json_object *owned_v)
{
	int dropped = 0;

	if (q->len == q->cap) {
		json_object_put(evq_pop(q));
		q->n_dropped++;
		dropped = 1;
	}
	q->v[(q->head + q->len) % q->cap] = owned_v;
	q->len++;
	return dropped;
}

struct json_object *
evq_peek(const struct evq *q, size_t i)
{
	if (i >= q->len)
		return NULL;
	return q->v[(q->head + i) % q->cap];
}

struct json_object *
evq_pop(struct evq *q)
{
	struct json_object *o;

	if (q->len == 0)
		return NULL;
	o = q->v[q->head];
	q->v[q->head] = NULL;
	q->head = (q->head + 1) % q->cap;
	q->len--;
	return o;
}

unsigned
evq_backoff_ms(unsigned attempt, uint32_t rnd)
{
	unsigned d = EVQ_BACKOFF_BASE_MS;

	while (attempt > 1 && d < EVQ_BACKOFF_MAX_MS) {
		d *= 2;
		attempt--;
	}
	if (d > EVQ_BACKOFF_MAX_MS)
		d = EVQ_BACKOFF_MAX_MS;
	return d / 2 + rnd % (d / 2 + 1);
}

enum evq_verdict
evq_classify(bool transport_ok, long status)
{
	if (!transport_ok)
		return EVQ_RETRY;
	if (status >= 200 && status <= 299)
		return EVQ_DELIVERED;
	if (status == 429 || (status >= 500 && status <= 599))
		return EVQ_RETRY;
	return EVQ_DROP;
}

int
evq_failed_entries(struct json_object *answer, size_t n, bool *failed)
{
	struct json_object *count, *entries;
	size_t i;
	int n_failed = 0;

	count = jget(answer, "FailedEntryCount", json_type_int);
	entries = jget(answer, "Entries", json_type_array);
	if (count == NULL)
		return -1;
	for (i = 0; i < n; i++)
		failed[i] = false;
	if (json_object_get_int64(count) == 0)
		return 0;
	if (entries == NULL || json_object_array_length(entries) != n)
		return -1;
	for (i = 0; i < n; i++) {
		failed[i] = jget_str(json_object_array_get_idx(entries, i),
		                "ErrorCode") != NULL;
		n_failed += failed[i];
	}
	/* A count the results do not bear out: trust neither. */
	return n_failed > 0 ? n_failed : -1;
}
