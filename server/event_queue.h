/*
 * The HTTP event sinks' logic that needs no network (server/event_http.c,
 * docs/observability.md "Event sinks"): a bounded queue that drops its
 * oldest event when full, the backoff before a retry, what an answer
 * means (delivered, retry, drop), and which entries of a PutEvents answer
 * failed. Its own library, so test_event_queue links it alone.
 */
#ifndef ECRD_SERVER_EVENT_QUEUE_H
#define ECRD_SERVER_EVENT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

/* A ring of owned JSON values, oldest first. */
struct evq {
	struct json_object **v;
	size_t cap;
	size_t head;
	size_t len;
	uint64_t n_dropped; /* pushed out by newer ones, ever */
};

void evq_init(struct evq *, size_t cap);
/* Put what is left. */
void evq_release(struct evq *);
/* Append owned_v; when full the oldest is put first: returns 1, else 0. */
int evq_push(struct evq *, struct json_object *owned_v);
/* The i-th oldest, borrowed; NULL past the end. */
struct json_object *evq_peek(const struct evq *, size_t i);
/* Take the oldest (the caller puts it); NULL if empty. */
struct json_object *evq_pop(struct evq *);

/* First retry's delay and the longest; doubled per attempt between. */
#define EVQ_BACKOFF_BASE_MS 200
#define EVQ_BACKOFF_MAX_MS 10000
/*
 * The wait before retry number attempt (1 for the first): the doubled
 * delay d, capped, jittered to d/2 + rnd mod (d/2 + 1) so sinks that failed
 * together do not retry together.
 */
unsigned evq_backoff_ms(unsigned attempt, uint32_t rnd);

enum evq_verdict {
	EVQ_DELIVERED,
	EVQ_RETRY, /* connection error, 5xx, 429 */
	EVQ_DROP,  /* any other answer: sending again would not help */
};
/* The verdict on a transfer: transport_ok (libcurl's CURLE_OK), status. */
enum evq_verdict evq_classify(bool transport_ok, long status);

/*
 * A PutEvents answer for n entries: failed[i] is set for each entry whose
 * result has an ErrorCode. Returns how many failed, or -1 if the answer
 * is not what PutEvents sends (not an object with FailedEntryCount, a
 * count above zero without n results): the whole batch is then retried.
 */
int evq_failed_entries(struct json_object *answer, size_t n, bool *failed);

#endif
