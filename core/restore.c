/*
 * Archive restores (docs/ecr-behaviour.md 3.14): UpdateImageStorageClass
 * STANDARD makes an archived image ACTIVATING and queues, in the same txn,
 * a restores record due --archive-restore-seconds later; once a second the
 * server ends the due ones, making their images ACTIVE. The record is
 * durable, so a restart loses no restore.
 */
#include "core/core_int.h"

#include <string.h>

#include "common/str.h"
#include "store/store.h"

/* Restores ended per tick, so that a burst never holds the loop long. */
#define RESTORES_PER_TICK 256

int
core_restore_begin(struct call *call, struct store_image *img)
{
	struct store_work w;
	int rc;

	memset(&w, 0, sizeof w);
	/* lastActivatedAt is when the restore ends: set now, shown after. */
	w.due_ms =
	    call->now_ms + (int64_t)call->ctx->cfg.archive_restore_sec * 1000;
	w.repo_id = img->repo_id;
	str_copy(w.digest, sizeof w.digest, img->digest);
	img->status = STORE_IMAGE_ACTIVATING;
	img->activated_at_ms = w.due_ms;
	if ((rc = store_image_update(call->txn, img)) != 0 ||
	    (rc = store_work_put(call->txn, STORE_WORK_RESTORE, &w)) != 0)
		return rc;
	return 0;
}

/*
 * A restore's event, once it has ended (ECR's example of a referrer's:
 * integrations 1.8): UPDATE_STORAGE_CLASS to STANDARD, with its
 * last-activated-at. ECR's request starts it; the event says it is done.
 */
static void
note_restored(struct core_ctx *ctx, struct store_txn *txn,
    const struct store_image *img, int64_t now_ms, struct core_events *l)
{
	struct store_repo repo;
	struct core_event *ev;

	if (!core_events_wanted(ctx) ||
	    store_repo_get_by_id(txn, img->repo_id, &repo) != 0)
		return;
	ev =
	    core_image_event(ctx, CORE_EVENT_STORAGE_CLASS, &repo, img, now_ms);
	ev->activated_at_ms = img->activated_at_ms;
	core_events_add(l, ev);
}

/*
 * End one due restore: 1 if one was ended (or was moot: the image gone,
 * re-pushed or archived again), 0 if none is due, or a store code. Its
 * event goes on l.
 */
static int
restore_one(struct core_ctx *ctx, struct store_txn *txn, int64_t now_ms,
    struct core_events *l)
{
	struct store_work w;
	struct store_image img;
	int rc;

	if ((rc = store_work_first(txn, STORE_WORK_RESTORE, &w)) != 1)
		return rc;
	if (w.due_ms > now_ms) {
		store_work_release(&w);
		return 0;
	}
	memset(&img, 0, sizeof img);
	rc = store_image_get(txn, w.repo_id, w.digest, &img);
	/* A later restore of the same image has its own record. */
	if (rc == 0 && img.status == STORE_IMAGE_ACTIVATING &&
	    img.activated_at_ms <= now_ms) {
		img.status = STORE_IMAGE_ACTIVE;
		if ((rc = store_image_update(txn, &img)) == 0)
			note_restored(ctx, txn, &img, now_ms, l);
	}
	if (rc == 0 || rc == STORE_NOTFOUND)
		rc = store_work_del(txn, STORE_WORK_RESTORE, &w);
	store_image_release(&img);
	store_work_release(&w);
	return rc == 0 ? 1 : rc;
}

int
core_restores_run(struct core_ctx *ctx)
{
	struct store_txn *txn;
	struct core_events l = {NULL, NULL};
	int64_t now_ms = core_now_ms(ctx);
	int i, rc = 0, n = 0;

	if ((rc = store_txn_begin(ctx->store, NULL, true, &txn)) != 0)
		return rc;
	for (i = 0; i < RESTORES_PER_TICK; i++) {
		if ((rc = restore_one(ctx, txn, now_ms, &l)) <= 0)
			break;
		n++;
	}
	if (rc < 0 || n == 0) {
		store_txn_abort(txn);
		core_events_clear(&l);
		return rc < 0 ? rc : 0;
	}
	/* The restores' events once they are durable, in their order. */
	if ((rc = store_txn_commit(txn)) == 0)
		core_events_emit(ctx, &l);
	else
		core_events_clear(&l);
	return rc;
}
