/*
 * How many records the next slice of a background run takes (STYLE.md
 * 7.7). A count alone does not bound a slice's time: one of 250 layers and
 * 250 blobs held the loop over 20 ms at 100,000 blobs (issue 12), as each
 * record costs more in a bigger tree. So each slice is timed, its commit
 * included (a durable commit writes its pages and syncs on the loop too,
 * and the more records, the more pages), and the next count follows:
 * halved after a slice over the budget, doubled (up to the caller's
 * maximum) after one well under it. The count only bounds the work; what
 * a slice removes is correct at any count.
 */
#include "core/core_int.h"

#include <time.h>

#define SLICE_BUDGET_NS (2 * 1000 * 1000) /* the jobs queue's per turn */
#define SLICE_MIN 8

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Start small: the first slice of a run is the one not yet measured. */
void
core_slice_init(struct core_slice *s, size_t max)
{
	s->max = max;
	s->n = max < 4 * SLICE_MIN ? max : 4 * SLICE_MIN;
	s->started_ns = 0;
}

size_t
core_slice_begin(struct core_slice *s)
{
	s->started_ns = now_ns();
	return s->n;
}

void
core_slice_end(struct core_slice *s)
{
	int64_t ns = now_ns() - s->started_ns;

	if (ns > SLICE_BUDGET_NS)
		s->n = s->n / 2 < SLICE_MIN ? SLICE_MIN : s->n / 2;
	else if (ns < SLICE_BUDGET_NS / 4)
		s->n = s->n * 2 > s->max ? s->max : s->n * 2;
}
