/*
 * Token buckets at ECR's published API rates, one per account, region and
 * operation (docs/observability.md, "Throttling and faults"): the pure
 * bookkeeping of --throttle. The caller passes the time, so a test drives it
 * with a fake clock.
 */
#ifndef ECRD_CORE_THROTTLE_H
#define ECRD_CORE_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Buckets kept at most: past it, buckets that have refilled (idle: they
 * would answer exactly as a new one) go first, then the least recently used.
 */
#define THROTTLE_BUCKETS_MAX 4096
/*
 * Operations ECR publishes no rate for (docs/ecr-behaviour.md 4: "tens
 * per second" [unconfirmed]): ecrd picks 20 per second.
 */
#define THROTTLE_RATE_OTHER 20
/* The most --throttle-rate takes: more than any published rate needs. */
#define THROTTLE_RATE_MAX 1000000
#define THROTTLE_OP_MAX 64
#define THROTTLE_REFUSED (-1)

struct throttle;

struct throttle *throttle_new(void);
void throttle_free(struct throttle *);
/*
 * Set op's rate in calls per second, its burst the same (0: every call is
 * refused); before the first throttle_take.
 */
void throttle_set_rate(struct throttle *, const char *op, uint32_t rate);
/* op's rate: its override, ECR's published one, or THROTTLE_RATE_OTHER. */
uint32_t throttle_rate(const struct throttle *, const char *op);
/*
 * One call of op by account in region at now_ms (any monotonic clock in
 * milliseconds): 0 when a token was taken, THROTTLE_REFUSED with
 * *retry_ms, the wait until a token will be there (at least 1).
 */
int throttle_take(struct throttle *, const char *account, const char *region,
    const char *op, int64_t now_ms, int64_t *retry_ms);
size_t throttle_n_buckets(const struct throttle *);

#endif
