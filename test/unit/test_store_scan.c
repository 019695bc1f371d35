/*
 * Unit tests for store/ scans (issue 15): the scan and finding codecs,
 * an image's findings in order from any index, the durable queue, the
 * daily count, and scans going with their image and repository. Each test
 * runs in a fresh mkdtemp directory that it removes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <lmdb.h>

#include "common/buf.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "store/store.h"
#include "test/unit/store_fixture.h"
#include "store/store_int.h"

#define REG "111111111111"
#define RGN "us-east-1"
#define DG                                                                     \
	"sha256:"                                                              \
	"00000000000000000000000000000000000000000000000000000000000000aa"
#define DG2                                                                    \
	"sha256:"                                                              \
	"00000000000000000000000000000000000000000000000000000000000000bb"

static void
commit(struct store_txn *t)
{
	assert_int_equal(store_txn_commit(t), STORE_OK);
}

/* A repository with images DG and DG2 (no refs): its id. */
static uint64_t
make_repo(struct fx *f, const char *name)
{
	struct store_repo repo;
	struct store_image img;
	struct store_txn *t = fx_wbegin(f);
	const char *digests[] = {DG, DG2};
	size_t i;

	memset(&repo, 0, sizeof repo);
	str_copy(repo.registry_id, sizeof repo.registry_id, REG);
	str_copy(repo.region, sizeof repo.region, RGN);
	str_copy(repo.name, sizeof repo.name, name);
	assert_int_equal(store_repo_create(t, &repo), STORE_OK);
	for (i = 0; i < 2; i++) {
		memset(&img, 0, sizeof img);
		img.repo_id = repo.id;
		str_copy(img.digest, sizeof img.digest, digests[i]);
		str_copy(img.manifest_media_type,
		    sizeof img.manifest_media_type, "application/json");
		assert_int_equal(store_image_create(t, &img, "{}", 2),
		    STORE_OK);
	}
	commit(t);
	return repo.id;
}

static struct store_finding
finding(const char *name, const char *severity, double score)
{
	struct store_finding f;

	memset(&f, 0, sizeof f);
	f.name = xstrdup(name);
	f.severity = xstrdup(severity);
	f.cvss3_score = score;
	f.package_name = xstrdup("pkg");
	return f;
}

static void
test_scan_codec_round_trips_and_refuses_damage(void **state)
{
	struct store_scan s, out;
	struct buf b;
	unsigned char inv[] = {1, 2, 3, 0, 4};

	(void)state;
	memset(&s, 0, sizeof s);
	s.status = STORE_SCAN_COMPLETE;
	s.started_at_ms = 5;
	s.completed_at_ms = -7;
	s.source_updated_at_ms = 9;
	s.counts[0] = 3;
	s.counts[5] = 1;
	s.n_findings = 4;
	s.inventory = inv;
	s.inventory_len = sizeof inv;
	assert_int_equal(store_codec_scan_encode(&s, &b), STORE_OK);
	assert_int_equal(store_codec_scan_decode(b.data, b.len, &out),
	    STORE_OK);
	assert_int_equal(out.status, STORE_SCAN_COMPLETE);
	assert_int_equal(out.completed_at_ms, -7);
	assert_int_equal(out.counts[0], 3);
	assert_int_equal(out.counts[5], 1);
	assert_int_equal(out.n_findings, 4);
	assert_int_equal(out.inventory_len, sizeof inv);
	assert_memory_equal(out.inventory, inv, sizeof inv);
	store_scan_release(&out);
	/* A status past the last, or a short value. */
	((unsigned char *)b.data)[1] = 9;
	assert_int_equal(store_codec_scan_decode(b.data, b.len, &out),
	    STORE_CORRUPT);
	assert_int_equal(store_codec_scan_decode(b.data, 20, &out),
	    STORE_CORRUPT);
	buf_release(&b);
}

static void
test_finding_codec_round_trips_and_refuses_damage(void **state)
{
	struct store_finding f, out;
	struct buf b;

	(void)state;
	f = finding("CVE-1", "HIGH", 7.5);
	f.description = xstrdup("d\xc3\xa9");
	assert_int_equal(store_codec_finding_encode(&f, &b), STORE_OK);
	assert_int_equal(store_codec_finding_decode(b.data, b.len, &out),
	    STORE_OK);
	assert_string_equal(out.name, "CVE-1");
	assert_string_equal(out.description, "d\xc3\xa9");
	assert_string_equal(out.uri, "");
	assert_true(out.cvss3_score > 7.49 && out.cvss3_score < 7.51);
	store_finding_release(&out);
	assert_int_equal(store_codec_finding_decode(b.data, b.len - 1, &out),
	    STORE_CORRUPT);
	buf_release(&b);
	/* No score survives as none. */
	f.cvss3_score = -1;
	assert_int_equal(store_codec_finding_encode(&f, &b), STORE_OK);
	assert_int_equal(store_codec_finding_decode(b.data, b.len, &out),
	    STORE_OK);
	assert_true(out.cvss3_score < 0);
	store_finding_release(&out);
	buf_release(&b);
	store_finding_release(&f);
}

struct collected {
	char names[8][16];
	uint32_t index[8];
	size_t n;
};

static int
collect(uint32_t index, const struct store_finding *f, void *arg)
{
	struct collected *c = arg;

	str_copy(c->names[c->n], sizeof c->names[0], f->name);
	c->index[c->n++] = index;
	return c->n == 8 ? 1 : 0;
}

static void
test_findings_come_in_order_from_any_index(void **state)
{
	struct fx *f = *state;
	struct store_finding list[3];
	struct store_scan s;
	struct collected c;
	struct store_txn *t;
	uint64_t id = make_repo(f, "r");
	size_t i;

	list[0] = finding("A", "CRITICAL", 9.8);
	list[1] = finding("B", "LOW", 2);
	list[2] = finding("C", "UNDEFINED", -1);
	memset(&s, 0, sizeof s);
	s.n_findings = 3;
	t = fx_wbegin(f);
	assert_int_equal(store_scan_put(t, id, DG, &s), STORE_OK);
	assert_int_equal(store_scan_findings_set(t, id, DG, list, 3), STORE_OK);
	/* Another image's findings stay apart. */
	assert_int_equal(store_scan_findings_set(t, id, DG2, list, 1),
	    STORE_OK);
	commit(t);
	t = fx_rbegin(f);
	memset(&c, 0, sizeof c);
	assert_int_equal(store_scan_findings_foreach(t, id, DG, 1, collect, &c),
	    STORE_OK);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.names[0], "B");
	assert_int_equal(c.index[1], 2);
	memset(&c, 0, sizeof c);
	assert_int_equal(store_scan_findings_foreach(t, id, DG, 3, collect, &c),
	    STORE_OK);
	assert_int_equal(c.n, 0);
	store_txn_abort(t);
	/* Setting fewer replaces them all. */
	t = fx_wbegin(f);
	assert_int_equal(store_scan_findings_set(t, id, DG, list + 2, 1),
	    STORE_OK);
	commit(t);
	t = fx_rbegin(f);
	memset(&c, 0, sizeof c);
	assert_int_equal(store_scan_findings_foreach(t, id, DG, 0, collect, &c),
	    STORE_OK);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.names[0], "C");
	store_txn_abort(t);
	for (i = 0; i < 3; i++)
		store_finding_release(&list[i]);
}

static void
test_queue_and_daily_count(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	char digest[STORE_DIGEST_MAX + 1];
	uint64_t id = make_repo(f, "q"), got, n;

	t = fx_wbegin(f);
	assert_int_equal(store_scan_job_first(t, &got, digest), STORE_NOTFOUND);
	assert_int_equal(store_scan_job_put(t, id, DG2, 1), STORE_OK);
	assert_int_equal(store_scan_job_put(t, id, DG, 2), STORE_OK);
	assert_int_equal(store_scan_job_put(t, id, DG, 3), STORE_OK);
	assert_int_equal(store_scan_job_first(t, &got, digest), STORE_OK);
	assert_int_equal(got, id);
	assert_string_equal(digest, DG);
	assert_int_equal(store_scan_job_delete(t, id, DG), STORE_OK);
	assert_int_equal(store_scan_job_first(t, &got, digest), STORE_OK);
	assert_string_equal(digest, DG2);
	assert_int_equal(store_scan_count_add(t, REG, RGN, 10, &n), STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_scan_count_add(t, REG, RGN, 10, &n), STORE_OK);
	assert_int_equal(n, 2);
	/* Another registry counts apart; a new day starts again. */
	assert_int_equal(store_scan_count_add(t, "222222222222", RGN, 10, &n),
	    STORE_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_scan_count_add(t, REG, RGN, 11, &n), STORE_OK);
	assert_int_equal(n, 1);
	commit(t);
}

static void
test_scans_go_with_their_image_and_repository(void **state)
{
	struct fx *f = *state;
	struct store_finding one = finding("A", "LOW", 1);
	struct store_scan s;
	struct store_repo r;
	struct store_txn *t;
	char digest[STORE_DIGEST_MAX + 1];
	uint64_t id = make_repo(f, "gone"), got;
	size_t n = 0;
	bool is_done = false;

	memset(&s, 0, sizeof s);
	t = fx_wbegin(f);
	assert_int_equal(store_repo_get_by_id(t, id, &r), STORE_OK);
	assert_string_equal(r.name, "gone");
	assert_string_equal(r.registry_id, REG);
	assert_int_equal(store_scan_put(t, id, DG, &s), STORE_OK);
	assert_int_equal(store_scan_put(t, id, DG2, &s), STORE_OK);
	assert_int_equal(store_scan_findings_set(t, id, DG, &one, 1), STORE_OK);
	assert_int_equal(store_scan_job_put(t, id, DG, 1), STORE_OK);
	/* No scan for an image that is not there. */
	assert_int_equal(store_scan_put(t, id + 1, DG, &s), STORE_NOTFOUND);
	assert_int_equal(store_image_delete(t, id, DG), STORE_OK);
	assert_int_equal(store_scan_get(t, id, DG, &s), STORE_NOTFOUND);
	assert_int_equal(store_scan_job_first(t, &got, digest), STORE_NOTFOUND);
	assert_int_equal(store_scan_get(t, id, DG2, &s), STORE_OK);
	store_scan_release(&s);
	assert_int_equal(store_repo_bury(t, REG, RGN, "gone"), STORE_OK);
	assert_int_equal(store_repo_get_by_id(t, id, &r), STORE_NOTFOUND);
	assert_int_equal(store_repo_reap(t, 100, &n, &is_done), STORE_OK);
	assert_true(is_done);
	assert_int_equal(store_scan_get(t, id, DG2, &s), STORE_NOTFOUND);
	commit(t);
	store_finding_release(&one);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scan_codec_round_trips_and_refuses_damage),
	    cmocka_unit_test(test_finding_codec_round_trips_and_refuses_damage),
	    cmocka_unit_test_setup_teardown(
	        test_findings_come_in_order_from_any_index, fx_setup,
	        fx_teardown),
	    cmocka_unit_test_setup_teardown(test_queue_and_daily_count,
	        fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_scans_go_with_their_image_and_repository, fx_setup,
	        fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
