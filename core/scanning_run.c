/*
 * Scans off the request path (issue 15): a run drains the durable queue
 * (scan_jobs) one image at a time, or re-matches the stored inventories
 * of CONTINUOUS_SCAN repositories after the feed changed. A step on the
 * loop reads what the image needs in a read txn; the work (reading the
 * layers, matching the feed) runs on a worker; the next steps commit the
 * result in short write txns of their own (a long list of findings in
 * slices, the scan record last).
 */
#include "core/scanning.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/log.h"
#include "common/xalloc.h"
#include "core/manifest.h"
#include "core/scan.h"
#include "store/store.h"

#define TEXT_MAX 8192     /* bytes kept of a finding's text */
#define REMATCH_BATCH 16  /* inventories matched per work */
#define REMATCH_VISIT 256 /* scan records looked at per step */
#define COMMIT_SLICE 256  /* findings per write txn */

/* The feed: shared by runs, freed when replaced and unused. */
struct core_feed {
	struct vulndb *db;
	unsigned refs;
	bool is_retired;
};

/* One image being scanned or matched again. */
struct scan_item {
	uint64_t repo_id;
	char digest[STORE_DIGEST_MAX + 1];
	int64_t started_at_ms; /* its scan record's, when the step read it */
	struct scan_layer *layers;
	char **paths;
	char **types;
	size_t n_layers;
	unsigned char *inventory; /* to match again, then the result's */
	size_t inventory_len;
	/* The result. */
	unsigned status;
	char *reason;
	struct store_finding *findings;
	size_t n_findings;
	size_t n_written; /* findings committed so far */
	int64_t source_updated_at_ms;
};

struct core_scan_run {
	struct core_ctx *ctx;
	bool is_rematch;
	struct core_feed *feed; /* referenced while items are out */
	struct scan_item *items;
	size_t n_items;
	size_t next_item;    /* the first not yet written */
	uint64_t after_repo; /* re-match's cursor */
	char after_digest[STORE_DIGEST_MAX + 1];
	bool is_walk_done;
	size_t n_done;
	int rc;
	struct core_events events; /* the commit's, until it is durable */
};

int
core_feed_open(const char *dir, struct core_feed **out, char **cause)
{
	struct vulndb *db;

	if ((db = vulndb_open(dir, cause)) == NULL)
		return -1;
	*out = xcalloc(1, sizeof **out);
	(*out)->db = db;
	return 0;
}

static void
feed_unref(struct core_feed *f)
{
	if (f == NULL || --f->refs != 0 || !f->is_retired)
		return;
	vulndb_free(f->db);
	free(f);
}

void
core_feed_free(struct core_feed *f)
{
	if (f == NULL)
		return;
	f->is_retired = true;
	f->refs++;
	feed_unref(f);
}

void
core_ctx_set_feed(struct core_ctx *ctx, struct core_feed *owned)
{
	core_feed_free(ctx->feed);
	ctx->feed = owned;
}

bool
core_scan_take_due(struct core_ctx *ctx)
{
	bool is_due = ctx->is_scan_due;

	ctx->is_scan_due = false;
	return is_due;
}

struct core_scan_run *
core_scan_run_new(struct core_ctx *ctx, bool is_rematch)
{
	struct core_scan_run *r;

	r = xcalloc(1, sizeof *r);
	r->ctx = ctx;
	r->is_rematch = is_rematch;
	return r;
}

static void
item_release(struct scan_item *it)
{
	size_t i;

	for (i = 0; i < it->n_layers; i++) {
		free(it->paths[i]);
		free(it->types[i]);
	}
	free(it->paths);
	free(it->types);
	free(it->layers);
	free(it->inventory);
	free(it->reason);
	for (i = 0; i < it->n_findings; i++)
		store_finding_release(&it->findings[i]);
	free(it->findings);
	memset(it, 0, sizeof *it);
}

static void
items_clear(struct core_scan_run *r)
{
	size_t i;

	for (i = 0; i < r->n_items; i++)
		item_release(&r->items[i]);
	free(r->items);
	r->items = NULL;
	r->n_items = 0;
	r->next_item = 0;
	feed_unref(r->feed);
	r->feed = NULL;
}

void
core_scan_run_free(struct core_scan_run *r)
{
	if (r == NULL)
		return;
	core_events_clear(&r->events);
	items_clear(r);
	free(r);
}

void
core_scan_run_result(const struct core_scan_run *r, size_t *n_done, int *rc)
{
	*n_done = r->n_done;
	*rc = r->rc;
}

/* A copy of s cut to TEXT_MAX bytes, at a UTF-8 character's start. */
static char *
text_dup(const char *s)
{
	size_t len;
	char *d;

	if (s == NULL)
		return NULL;
	if ((len = strlen(s)) > TEXT_MAX) {
		len = TEXT_MAX;
		while (len > 0 && ((unsigned char)s[len] & 0xc0) == 0x80)
			len--;
	}
	d = xmalloc(len + 1);
	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/* The library's findings as the store keeps them. */
static void
take_findings(struct scan_item *it, struct scan_finding *sf, size_t n)
{
	struct store_finding *f;
	size_t i;

	if (n > STORE_SCAN_FINDINGS_MAX)
		n = STORE_SCAN_FINDINGS_MAX;
	it->findings = n != 0 ? xcalloc(n, sizeof *it->findings) : NULL;
	for (i = 0; i < n; i++) {
		f = &it->findings[i];
		f->name = text_dup(sf[i].name);
		f->osv_id = text_dup(sf[i].osv_id);
		f->description = text_dup(sf[i].description);
		f->uri = text_dup(sf[i].uri);
		f->severity = text_dup(sf[i].severity);
		f->cvss3_vector = text_dup(sf[i].cvss3_vector);
		f->cvss3_score = sf[i].cvss3_score;
		f->package_name = text_dup(sf[i].package_name);
		f->package_version = text_dup(sf[i].package_version);
		f->fixed_version = text_dup(sf[i].fixed_version);
	}
	it->n_findings = n;
}

/* Match inv against the feed, if there is one (no feed: no findings). */
static void
match(struct scan_item *it, const struct core_feed *feed,
    const struct scan_inventory *inv)
{
	struct scan_finding *sf = NULL;
	size_t n;

	it->status = STORE_SCAN_COMPLETE;
	if (feed == NULL)
		return;
	it->source_updated_at_ms = vulndb_updated_at_ms(feed->db);
	n = vulndb_match(feed->db, inv, &sf);
	take_findings(it, sf, n);
	scan_findings_free(sf, n);
}

/* Off the loop: read the layers (or the stored inventory) and match. */
static void
work_item(struct scan_item *it, const struct core_feed *feed)
{
	struct scan_inventory inv;
	enum scan_result res;
	char *enc;

	memset(&inv, 0, sizeof inv);
	if (it->inventory != NULL) {
		if (scan_inventory_decode((const char *)it->inventory,
		        it->inventory_len, &inv) != 0) {
			it->status = STORE_SCAN_FAILED;
			return;
		}
		match(it, feed, &inv);
		scan_inventory_free(&inv);
		return;
	}
	res = scan_inventory_read(it->layers, it->n_layers, &inv, &it->reason);
	if (res != SCAN_OK) {
		it->status = res == SCAN_UNSUPPORTED ? STORE_SCAN_UNSUPPORTED
		                                     : STORE_SCAN_FAILED;
		return;
	}
	enc = scan_inventory_encode(&inv, &it->inventory_len);
	it->inventory = (unsigned char *)enc;
	match(it, feed, &inv);
	scan_inventory_free(&inv);
}

void
core_scan_work(struct core_scan_run *r)
{
	size_t i;

	for (i = 0; i < r->n_items; i++)
		work_item(&r->items[i], r->feed);
}

/* Take a reference on the current feed for the work about to run. */
static enum core_scan_next
to_work(struct core_scan_run *r)
{
	if ((r->feed = r->ctx->feed) != NULL)
		r->feed->refs++;
	return CORE_SCAN_WORK;
}

/* The image's layers, in order, as paths of blob files for the work. */
static int
prepare_layers(struct core_scan_run *r, struct store_txn *txn,
    struct scan_item *it, const struct store_image *img)
{
	struct manifest m;
	char path[4096], *bytes = NULL;
	size_t len, i, n;
	int rc;

	if ((rc = store_manifest_get(txn, it->repo_id, it->digest, &bytes,
	         &len)) != 0)
		return rc;
	rc = manifest_parse(bytes, len, img->manifest_media_type, &m);
	free(bytes);
	if (rc != 0)
		return STORE_CORRUPT;
	n = m.n_refs > 0 ? m.n_refs - 1 : 0; /* config first */
	it->layers = xcalloc(n + 1, sizeof *it->layers);
	it->paths = xcalloc(n + 1, sizeof *it->paths);
	it->types = xcalloc(n + 1, sizeof *it->types);
	for (i = 0; i < n && rc == 0; i++) {
		if (m.refs[i + 1].is_foreign)
			continue; /* not here: ECR does not fetch them either */
		rc = store_blob_path(core_ctx_store(r->ctx),
		    m.refs[i + 1].digest, path, sizeof path);
		if (rc != 0)
			break;
		it->paths[it->n_layers] = xstrdup(path);
		it->types[it->n_layers] = xstrdup(m.refs[i + 1].media_type);
		it->layers[it->n_layers].path = it->paths[it->n_layers];
		it->layers[it->n_layers].media_type =
		    it->types[it->n_layers][0] != '\0' ? it->types[it->n_layers]
		                                       : NULL;
		it->n_layers++;
	}
	manifest_release(&m);
	return rc;
}

/* Drop a job whose image (or repository) is gone, in a txn of its own. */
static int
drop_job(struct store *store, uint64_t repo_id, const char *digest)
{
	struct store_txn *txn;
	int rc;

	if ((rc = store_txn_begin(store, NULL, true, &txn)) != 0)
		return rc;
	rc = store_scan_job_delete(txn, repo_id, digest);
	if (rc != 0 && rc != STORE_NOTFOUND) {
		store_txn_abort(txn);
		return rc;
	}
	return store_txn_commit(txn);
}

/*
 * The first queued image into r->items: 1 when it is there (its layers
 * ready, or its result already FAILED), 0 when the queue is empty, 2
 * when its job was stale and dropped, or a STORE_* code.
 */
static int
take_job(struct core_scan_run *r, struct store_txn *txn)
{
	struct store_repo repo;
	struct store_image img;
	struct store_scan scan;
	struct scan_item *it;
	uint64_t repo_id;
	char digest[STORE_DIGEST_MAX + 1];
	int rc;

	if ((rc = store_scan_job_first(txn, &repo_id, digest)) != 0)
		return rc == STORE_NOTFOUND ? 0 : rc;
	memset(&img, 0, sizeof img);
	memset(&scan, 0, sizeof scan);
	if ((rc = store_repo_get_by_id(txn, repo_id, &repo)) != 0 ||
	    (rc = store_image_get(txn, repo_id, digest, &img)) != 0 ||
	    (rc = store_scan_get(txn, repo_id, digest, &scan)) != 0) {
		store_image_release(&img);
		if (rc != STORE_NOTFOUND)
			return rc;
		rc = drop_job(core_ctx_store(r->ctx), repo_id, digest);
		return rc != 0 ? rc : 2;
	}
	r->items = xcalloc(1, sizeof *r->items);
	r->n_items = 1;
	it = &r->items[0];
	it->repo_id = repo_id;
	memcpy(it->digest, digest, sizeof it->digest);
	it->started_at_ms = scan.started_at_ms;
	if (prepare_layers(r, txn, it, &img) != 0) {
		it->status = STORE_SCAN_FAILED;
		it->reason =
		    xstrdup("the manifest or its blobs are unreadable");
	}
	store_scan_release(&scan);
	store_image_release(&img);
	return 1;
}

/* What a re-match walk looks at: its txn and the repository last seen. */
struct walk {
	struct core_scan_run *run;
	struct store_txn *txn;
	size_t n_visited;
	uint64_t repo_id;
	bool is_continuous;
	bool is_stopped;
};

static bool
is_continuous(struct walk *w, uint64_t repo_id)
{
	struct json_object *config;
	struct store_repo repo;
	const char *freq;

	if (repo_id == w->repo_id)
		return w->is_continuous;
	w->repo_id = repo_id;
	w->is_continuous = false;
	if (store_repo_get_by_id(w->txn, repo_id, &repo) != 0 ||
	    core_scan_config_read(w->txn, repo.registry_id, repo.region,
	        &config) != 0)
		return false;
	freq = core_scan_frequency(config, repo.name, NULL);
	w->is_continuous = strcmp(freq, "CONTINUOUS_SCAN") == 0;
	json_object_put(config);
	return w->is_continuous;
}

static int
walk_cb(uint64_t repo_id, const char *digest, const struct store_scan *scan,
    void *arg)
{
	struct walk *w = arg;
	struct core_scan_run *r = w->run;
	struct scan_item *it;

	r->after_repo = repo_id;
	memcpy(r->after_digest, digest, strlen(digest) + 1);
	if (scan->status == STORE_SCAN_COMPLETE && scan->inventory_len != 0 &&
	    is_continuous(w, repo_id)) {
		r->items =
		    xreallocarray(r->items, r->n_items + 1, sizeof *r->items);
		it = &r->items[r->n_items++];
		memset(it, 0, sizeof *it);
		it->repo_id = repo_id;
		memcpy(it->digest, digest, strlen(digest) + 1);
		it->started_at_ms = scan->started_at_ms;
		it->inventory = xmalloc(scan->inventory_len);
		memcpy(it->inventory, scan->inventory, scan->inventory_len);
		it->inventory_len = scan->inventory_len;
	}
	if (r->n_items < REMATCH_BATCH && ++w->n_visited < REMATCH_VISIT)
		return 0;
	w->is_stopped = true;
	return 1;
}

static int
take_rematch(struct core_scan_run *r, struct store_txn *txn)
{
	struct walk w;
	int rc;

	memset(&w, 0, sizeof w);
	w.run = r;
	w.txn = txn;
	rc = store_scan_foreach(txn, r->after_repo,
	    r->after_digest[0] != '\0' ? r->after_digest : NULL, walk_cb, &w);
	if (rc == 0 && !w.is_stopped)
		r->is_walk_done = true;
	return rc;
}

/* The event of the scan whose result commit_part wrote in txn. */
static void
note_scan(struct core_scan_run *r, struct store_txn *txn,
    const struct scan_item *it, const struct store_scan *scan, int64_t now_ms)
{
	struct store_repo repo;
	struct store_image img;
	struct core_event *ev;

	if (!core_events_wanted(r->ctx))
		return;
	memset(&img, 0, sizeof img);
	if (store_repo_get_by_id(txn, it->repo_id, &repo) == 0 &&
	    store_image_get(txn, it->repo_id, it->digest, &img) == 0 &&
	    (ev = core_scan_event(r->ctx, txn, &repo, &img, scan, now_ms)) !=
	        NULL)
		core_events_add(&r->events, ev);
	store_image_release(&img);
}

/*
 * The next part of an item's result, in txn, unless a newer scan was
 * asked meanwhile: a slice of the findings of a scan still IN_PROGRESS
 * (which nobody reads) and 1, or the rest with the record and 0 (also
 * for an item left alone), or a STORE_* code. A re-match, whose scan is
 * visible, is written whole.
 */
static int
commit_part(struct core_scan_run *r, struct store_txn *txn,
    struct scan_item *it, int64_t now_ms)
{
	struct store_scan cur, next;
	size_t i, n = it->n_findings - it->n_written;
	bool is_stale;
	int rc;

	memset(&cur, 0, sizeof cur);
	rc = store_scan_get(txn, it->repo_id, it->digest, &cur);
	if (rc == STORE_NOTFOUND)
		return 0; /* the image went: its job went with it */
	if (rc != 0)
		return rc;
	is_stale = cur.started_at_ms != it->started_at_ms ||
	           (r->is_rematch && cur.status != STORE_SCAN_COMPLETE);
	store_scan_release(&cur);
	if (is_stale)
		return 0;
	if (!r->is_rematch && n > COMMIT_SLICE) {
		rc = it->n_written == 0
		         ? store_scan_findings_set(txn, it->repo_id, it->digest,
		               it->findings, COMMIT_SLICE)
		         : store_scan_findings_put(txn, it->repo_id, it->digest,
		               (uint32_t)it->n_written,
		               it->findings + it->n_written, COMMIT_SLICE);
		it->n_written += COMMIT_SLICE;
		return rc != 0 ? rc : 1;
	}
	memset(&next, 0, sizeof next);
	next.status = (uint8_t)it->status;
	next.started_at_ms = it->started_at_ms;
	next.completed_at_ms = now_ms;
	next.source_updated_at_ms = it->source_updated_at_ms;
	next.n_findings = (uint32_t)it->n_findings;
	for (i = 0; i < it->n_findings; i++)
		next.counts[core_severity_index(it->findings[i].severity)]++;
	next.inventory = it->inventory;
	next.inventory_len = it->inventory_len;
	if ((rc = store_scan_put(txn, it->repo_id, it->digest, &next)) != 0)
		return rc;
	rc = it->n_written == 0 ? store_scan_findings_set(txn, it->repo_id,
	                              it->digest, it->findings, n)
	                        : store_scan_findings_put(txn, it->repo_id,
	                              it->digest, (uint32_t)it->n_written,
	                              it->findings + it->n_written, n);
	if (rc != 0)
		return rc;
	if (!r->is_rematch &&
	    (rc = store_scan_job_delete(txn, it->repo_id, it->digest)) != 0 &&
	    rc != STORE_NOTFOUND)
		return rc;
	if (it->status == STORE_SCAN_FAILED)
		log_warn("scan of %s failed: %s", it->digest,
		    it->reason != NULL ? it->reason : "unknown");
	/* A re-match is no scan of ECR's: Inspector's findings only. */
	if (!r->is_rematch)
		note_scan(r, txn, it, &next, now_ms);
	return 0;
}

/*
 * One short write txn of the results: 1 when more parts are left, 0 when
 * every item is written, or a STORE_* code. The scan's event goes out
 * once its result is durable.
 */
static int
commit(struct core_scan_run *r)
{
	struct store_txn *txn;
	int rc, part;

	if ((rc = store_txn_begin(core_ctx_store(r->ctx), NULL, true, &txn)) !=
	    0)
		return rc;
	part =
	    commit_part(r, txn, &r->items[r->next_item], core_now_ms(r->ctx));
	if (part < 0) {
		store_txn_abort(txn);
		core_events_clear(&r->events);
		return part;
	}
	if ((rc = store_txn_commit(txn)) != 0) {
		core_events_clear(&r->events);
		return rc;
	}
	core_events_emit(r->ctx, &r->events);
	if (part == 0) {
		r->next_item++;
		r->n_done++;
	}
	return r->next_item < r->n_items ? 1 : 0;
}

enum core_scan_next
core_scan_step(struct core_scan_run *r)
{
	struct store_txn *txn;
	int rc;

	if (r->n_items != 0) {
		if ((rc = commit(r)) <= 0)
			items_clear(r);
		if (rc < 0) {
			r->rc = rc;
			return CORE_SCAN_DONE;
		}
		return CORE_SCAN_AGAIN;
	}
	if (r->is_rematch && (r->is_walk_done || r->ctx->feed == NULL))
		return CORE_SCAN_DONE;
	if ((rc = store_txn_begin(core_ctx_store(r->ctx), NULL, false, &txn)) !=
	    0) {
		r->rc = rc;
		return CORE_SCAN_DONE;
	}
	rc = r->is_rematch ? take_rematch(r, txn) : take_job(r, txn);
	store_txn_abort(txn);
	if (rc < 0) {
		r->rc = rc;
		items_clear(r);
		return CORE_SCAN_DONE;
	}
	if (r->n_items == 0)
		return r->is_rematch || rc == 2 ? CORE_SCAN_AGAIN
		                                : CORE_SCAN_DONE;
	/* A result known already (FAILED before any work) commits next. */
	if (!r->is_rematch && r->items[0].status != STORE_SCAN_IN_PROGRESS)
		return CORE_SCAN_AGAIN;
	return to_work(r);
}
