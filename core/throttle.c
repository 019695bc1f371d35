/*
 * --throttle's token buckets (docs/observability.md, "Throttling and
 * faults"): one per account, region and operation, filled at the
 * operation's rate up to a burst of one second's calls, in a hash table of
 * bounded size.
 */
#include "core/throttle.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "common/xalloc.h"

#define SLOTS 1024 /* a power of two */
#define MILLI 1000 /* a token, in the thousandths buckets count in */
/* Past this gap a bucket is full anyway; the cap keeps the product small. */
#define GAP_MAX_MS (1000LL * 1000 * 1000)

/* ECR's published rates per account and region (ecr-behaviour.md 4). */
static const struct rate {
	const char *op;
	uint32_t rate;
} published[] = {
    {"BatchCheckLayerAvailability", 1000},
    {"BatchGetImage", 2000},
    {"CompleteLayerUpload", 100},
    {"GetAuthorizationToken", 500},
    {"GetDownloadUrlForLayer", 3000},
    {"InitiateLayerUpload", 100},
    {"PutImage", 10},
    {"UploadLayerPart", 500},
};

struct bucket {
	struct bucket *next;
	char account[13];
	char region[33];
	char op[THROTTLE_OP_MAX];
	uint32_t rate;
	int64_t milli; /* tokens, in thousandths */
	int64_t last_ms;
};

struct override {
	char op[THROTTLE_OP_MAX];
	uint32_t rate;
};

struct throttle {
	struct bucket *slots[SLOTS];
	size_t n;
	struct override *overrides;
	size_t n_overrides;
};

struct throttle *
throttle_new(void)
{
	return xcalloc(1, sizeof(struct throttle));
}

void
throttle_free(struct throttle *t)
{
	struct bucket *b;
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < SLOTS; i++) {
		while ((b = t->slots[i]) != NULL) {
			t->slots[i] = b->next;
			free(b);
		}
	}
	free(t->overrides);
	free(t);
}

void
throttle_set_rate(struct throttle *t, const char *op, uint32_t rate)
{
	struct override *o;
	size_t i;

	for (i = 0; i < t->n_overrides; i++) {
		if (strcmp(t->overrides[i].op, op) == 0) {
			t->overrides[i].rate = rate;
			return;
		}
	}
	t->overrides = xreallocarray(t->overrides, t->n_overrides + 1,
	    sizeof *t->overrides);
	o = &t->overrides[t->n_overrides++];
	(void)str_copy(o->op, sizeof o->op, op);
	o->rate = rate;
}

uint32_t
throttle_rate(const struct throttle *t, const char *op)
{
	size_t i;

	for (i = 0; i < t->n_overrides; i++) {
		if (strcmp(t->overrides[i].op, op) == 0)
			return t->overrides[i].rate;
	}
	for (i = 0; i < sizeof published / sizeof published[0]; i++) {
		if (strcmp(published[i].op, op) == 0)
			return published[i].rate;
	}
	return THROTTLE_RATE_OTHER;
}

size_t
throttle_n_buckets(const struct throttle *t)
{
	return t->n;
}

static size_t
slot_of(const char *account, const char *region, const char *op)
{
	uint32_t h = STR_HASH_INIT;

	h = str_hash_add(h, account);
	h = str_hash_add(h, region);
	h = str_hash_add(h, op);
	return h & (SLOTS - 1);
}

/* Refill b up to its burst for the time since it was last used. */
static void
refill(struct bucket *b, int64_t now_ms)
{
	int64_t gap = now_ms - b->last_ms, cap = (int64_t)b->rate * MILLI;

	if (gap <= 0)
		return;
	if (gap > GAP_MAX_MS)
		gap = GAP_MAX_MS;
	b->milli += gap * (int64_t)b->rate;
	if (b->milli > cap)
		b->milli = cap;
	b->last_ms = now_ms;
}

/* A full bucket answers as a new one would: it can go. */
static bool
is_idle(struct bucket *b, int64_t now_ms)
{
	refill(b, now_ms);
	return b->milli == (int64_t)b->rate * MILLI;
}

/* Drop the idle buckets, or else the least recently used one. */
static void
evict(struct throttle *t, int64_t now_ms)
{
	struct bucket **pp, *b, **oldest = NULL;
	size_t i;

	for (i = 0; i < SLOTS; i++) {
		pp = &t->slots[i];
		while ((b = *pp) != NULL) {
			if (is_idle(b, now_ms)) {
				*pp = b->next;
				free(b);
				t->n--;
				continue;
			}
			if (oldest == NULL || b->last_ms < (*oldest)->last_ms)
				oldest = pp;
			pp = &b->next;
		}
	}
	if (t->n < THROTTLE_BUCKETS_MAX || oldest == NULL)
		return;
	b = *oldest;
	*oldest = b->next;
	free(b);
	t->n--;
}

static struct bucket *
bucket_get(struct throttle *t, const char *account, const char *region,
    const char *op, int64_t now_ms)
{
	struct bucket *b;
	size_t slot = slot_of(account, region, op);

	for (b = t->slots[slot]; b != NULL; b = b->next) {
		if (strcmp(b->op, op) == 0 &&
		    strcmp(b->account, account) == 0 &&
		    strcmp(b->region, region) == 0)
			return b;
	}
	if (t->n >= THROTTLE_BUCKETS_MAX)
		evict(t, now_ms);
	b = xcalloc(1, sizeof *b);
	(void)str_copy(b->account, sizeof b->account, account);
	(void)str_copy(b->region, sizeof b->region, region);
	(void)str_copy(b->op, sizeof b->op, op);
	b->rate = throttle_rate(t, op);
	b->milli = (int64_t)b->rate * MILLI;
	b->last_ms = now_ms;
	b->next = t->slots[slot];
	t->slots[slot] = b;
	t->n++;
	return b;
}

int
throttle_take(struct throttle *t, const char *account, const char *region,
    const char *op, int64_t now_ms, int64_t *retry_ms)
{
	struct bucket *b;

	/* Names no caller makes (they are checked before): not counted. */
	if (strlen(account) >= sizeof b->account ||
	    strlen(region) >= sizeof b->region || strlen(op) >= sizeof b->op)
		return 0;
	b = bucket_get(t, account, region, op, now_ms);
	refill(b, now_ms);
	if (b->milli >= MILLI) {
		b->milli -= MILLI;
		return 0;
	}
	/* A rate of 0 never refills: ask for a second, as ECR would. */
	if (b->rate == 0)
		*retry_ms = 1000;
	else
		*retry_ms = (MILLI - b->milli + b->rate - 1) / b->rate;
	return THROTTLE_REFUSED;
}
