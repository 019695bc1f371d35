/*
 * The server's clock, owned by the api context: the real clock plus an
 * offset that --clock-offset and POST /_ecrd/clock move ahead, so that
 * age-based lifecycle rules and token expiry can be tried without waiting.
 * Everything that dates a request reads core_now_ms; only what must match
 * the world outside (SigV4's skew, file times) reads core_real_ms.
 */
#include "core/core_int.h"

#include <time.h>

int64_t
core_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
core_now_ms(const struct core_ctx *ctx)
{
	return core_real_ms() + ctx->clock_offset_sec * 1000;
}

int64_t
core_clock_offset_sec(const struct core_ctx *ctx)
{
	return ctx->clock_offset_sec;
}

int64_t
core_clock_advance_max(const struct core_ctx *ctx)
{
	return CORE_CLOCK_OFFSET_MAX_SEC - ctx->clock_offset_sec;
}

int
core_clock_advance(struct core_ctx *ctx, int64_t sec)
{
	if (sec < 0 || sec > core_clock_advance_max(ctx))
		return -1;
	ctx->clock_offset_sec += sec;
	return 0;
}
