/*
 * The events' facts (core/event.h): made by what makes them true, held on
 * the call or the run until its commit is durable, then handed to the
 * server's sink in commit order, or dropped with a failed commit.
 */
#include "core/core_int.h"

#include <stdlib.h>

#include "common/xalloc.h"
#include "core/event.h"

void
core_ctx_set_event_sink(struct core_ctx *ctx, core_event_sink fn, void *arg)
{
	ctx->event_fn = fn;
	ctx->event_arg = arg;
}

bool
core_events_wanted(const struct core_ctx *ctx)
{
	return ctx->event_fn != NULL;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? xstrdup(s) : NULL;
}

struct core_event *
core_event_new(struct core_ctx *ctx, enum core_event_kind kind,
    const char *account, const char *region, const char *repo_name,
    const char *digest)
{
	struct core_event *ev;

	ev = xcalloc(1, sizeof *ev);
	ev->kind = kind;
	ev->at_ms = core_now_ms(ctx);
	ev->account = xstrdup(account);
	ev->region = xstrdup(region);
	ev->repo_name = xstrdup(repo_name);
	/* ECR's repository ARN; the name may hold '/' (integrations 1.2). */
	ev->repo_arn = core_repo_arn_in(region, account, repo_name);
	ev->digest = dup_or_null(digest);
	return ev;
}

void
core_event_set(char **field, const char *value)
{
	free(*field);
	*field = dup_or_null(value);
}

struct core_event *
core_call_event(struct call *call, enum core_event_kind kind,
    const struct store_repo *repo, const char *digest)
{
	struct core_event *ev;

	if (!core_events_wanted(call->ctx))
		return NULL;
	ev = core_event_new(call->ctx, kind, repo->registry_id, repo->region,
	    repo->name, digest);
	ev->at_ms = call->now_ms;
	core_events_add(&call->events, ev);
	return ev;
}

struct core_event *
core_image_event(struct core_ctx *ctx, enum core_event_action action,
    const struct store_repo *repo, const struct store_image *img, int64_t at_ms)
{
	struct core_event *ev;

	if (!core_events_wanted(ctx))
		return NULL;
	/* A manifest with a subject is a referrer (integrations 1.8). */
	ev = core_event_new(ctx,
	    img->subject_digest[0] != '\0' ? CORE_EVENT_REFERRER
	                                   : CORE_EVENT_IMAGE,
	    repo->registry_id, repo->region, repo->name, img->digest);
	ev->action = action;
	ev->at_ms = at_ms;
	core_event_set(&ev->manifest_media_type, img->manifest_media_type);
	core_event_set(&ev->artifact_media_type, img->artifact_media_type);
	return ev;
}

void
core_call_storage_class(struct call *call, const struct store_repo *repo,
    const struct store_image *img)
{
	struct core_event *ev;

	if ((ev = core_image_event(call->ctx, CORE_EVENT_STORAGE_CLASS, repo,
	         img, call->now_ms)) == NULL)
		return;
	ev->is_archive = true;
	core_events_add(&call->events, ev);
}

void
core_events_add(struct core_events *l, struct core_event *owned_ev)
{
	if (l->tail == NULL)
		l->tail = &l->head;
	*l->tail = owned_ev;
	l->tail = &owned_ev->next;
}

void
core_events_move(struct core_events *dst, struct core_events *src)
{
	if (src->head == NULL)
		return;
	if (dst->tail == NULL)
		dst->tail = &dst->head;
	*dst->tail = src->head;
	dst->tail = src->tail;
	src->head = NULL;
	src->tail = NULL;
}

void
core_event_free(struct core_event *ev)
{
	size_t i;

	if (ev == NULL)
		return;
	free(ev->account);
	free(ev->region);
	free(ev->repo_name);
	free(ev->repo_arn);
	free(ev->digest);
	free(ev->tag);
	free(ev->manifest_media_type);
	free(ev->artifact_media_type);
	for (i = 0; i < ev->n_tags; i++)
		free(ev->tags[i]);
	free(ev->tags);
	free(ev->ptc_prefix);
	free(ev->upstream_url);
	free(ev->failure_code);
	free(ev->failure_reason);
	free(ev->source_account);
	free(ev->source_region);
	for (i = 0; i < ev->n_scan_repos; i++) {
		free(ev->scan_repos[i].name);
		free(ev->scan_repos[i].arn);
		free(ev->scan_repos[i].freq);
		free(ev->scan_repos[i].prev_freq);
	}
	free(ev->scan_repos);
	free(ev);
}

void
core_events_clear(struct core_events *l)
{
	struct core_event *ev, *next;

	for (ev = l->head; ev != NULL; ev = next) {
		next = ev->next;
		core_event_free(ev);
	}
	l->head = NULL;
	l->tail = NULL;
}

void
core_events_emit(struct core_ctx *ctx, struct core_events *l)
{
	struct core_event *ev;

	/*
	 * A commit of the loop's own while a group commit's is out waited for
	 * that one to end (the store's writer commits one at a time), so it
	 * came second: its events wait for the group commit's.
	 */
	if (ctx->is_batch_out) {
		core_events_move(&ctx->deferred_events, l);
		return;
	}
	if (ctx->event_fn != NULL) {
		for (ev = l->head; ev != NULL; ev = ev->next)
			ctx->event_fn(ctx->event_arg, ev);
	}
	core_events_clear(l);
}

void
core_call_events_done(struct call *call)
{
	if (call->err.code == ERR_NONE)
		core_events_emit(call->ctx, &call->events);
	else
		core_events_clear(&call->events);
}

void
core_event_emit_now(struct core_ctx *ctx, struct core_event *owned_ev)
{
	struct core_events l = {NULL, NULL};

	core_events_add(&l, owned_ev);
	core_events_emit(ctx, &l);
}
