/*
 * Unit tests for store/ replication records (issue 14): the job and
 * status codecs, the job queue's order, statuses per image and their
 * removal with the repository, and the 4 -> 5 migration. Each test runs
 * in a fresh mkdtemp directory that it removes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
#define DIGEST_A                                                               \
	"sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	"aaa"

static void
job_fill(struct store_repl_job *j, uint64_t repo_id, const char *dest_region)
{
	memset(j, 0, sizeof *j);
	j->repo_id = repo_id;
	j->pushed_at_ms = 1700000000123;
	str_copy(j->registry_id, sizeof j->registry_id, REG);
	str_copy(j->region, sizeof j->region, RGN);
	str_copy(j->name, sizeof j->name, "team/app");
	str_copy(j->digest, sizeof j->digest, DIGEST_A);
	str_copy(j->tag, sizeof j->tag, "v1");
	str_copy(j->dest_registry_id, sizeof j->dest_registry_id,
	    "222222222222");
	str_copy(j->dest_region, sizeof j->dest_region, dest_region);
}

static uint64_t
make_repo(struct fx *f, const char *name)
{
	struct store_repo r;
	struct store_txn *t;

	memset(&r, 0, sizeof r);
	str_copy(r.registry_id, sizeof r.registry_id, REG);
	str_copy(r.region, sizeof r.region, RGN);
	str_copy(r.name, sizeof r.name, name);
	str_copy(r.tag_mutability, sizeof r.tag_mutability, "MUTABLE");
	str_copy(r.encryption_type, sizeof r.encryption_type, "AES256");
	t = fx_wbegin(f);
	assert_int_equal(store_repo_create(t, &r), STORE_OK);
	assert_int_equal(store_txn_commit(t), STORE_OK);
	return r.id;
}

static void
test_codec_job_round_trips(void **state)
{
	struct store_repl_job in, out;
	struct buf b;

	(void)state;
	job_fill(&in, 42, "eu-west-1");
	assert_int_equal(store_codec_repl_job_encode(&in, &b), STORE_OK);
	memset(&out, 0, sizeof out);
	out.seq = 7; /* the key's: left as it was */
	assert_int_equal(store_codec_repl_job_decode(b.data, b.len, &out),
	    STORE_OK);
	in.seq = 7;
	assert_memory_equal(&in, &out, sizeof in);
	/* No tag: an empty string. */
	in.tag[0] = '\0';
	buf_release(&b);
	assert_int_equal(store_codec_repl_job_encode(&in, &b), STORE_OK);
	assert_int_equal(store_codec_repl_job_decode(b.data, b.len, &out),
	    STORE_OK);
	assert_string_equal(out.tag, "");
	buf_release(&b);
}

static void
test_codec_job_rejects_damage(void **state)
{
	struct store_repl_job in, out;
	struct buf b;
	unsigned char *copy;
	size_t n;

	(void)state;
	job_fill(&in, 42, "eu-west-1");
	assert_int_equal(store_codec_repl_job_encode(&in, &b), STORE_OK);
	copy = xmalloc(b.len + 1);
	memcpy(copy, b.data, b.len);
	/* Every truncation, a trailing byte, a wrong version byte. */
	for (n = 0; n < b.len; n++)
		assert_int_equal(store_codec_repl_job_decode(copy, n, &out),
		    STORE_CORRUPT);
	copy[b.len] = 0;
	assert_int_equal(store_codec_repl_job_decode(copy, b.len + 1, &out),
	    STORE_CORRUPT);
	copy[0] = 2;
	assert_int_equal(store_codec_repl_job_decode(copy, b.len, &out),
	    STORE_CORRUPT);
	free(copy);
	buf_release(&b);
	/* A job without a digest or a destination is damage. */
	in.digest[0] = '\0';
	assert_int_equal(store_codec_repl_job_encode(&in, &b), STORE_OK);
	assert_int_equal(store_codec_repl_job_decode(b.data, b.len, &out),
	    STORE_CORRUPT);
	buf_release(&b);
}

static void
test_codec_status_round_trips_and_rejects_damage(void **state)
{
	struct store_repl_status in, out;
	struct buf b;

	(void)state;
	memset(&in, 0, sizeof in);
	in.state = STORE_REPL_FAILED;
	str_copy(in.failure_code, sizeof in.failure_code, "ACCESS_DENIED");
	assert_int_equal(store_codec_repl_status_encode(&in, &b), STORE_OK);
	memset(&out, 0, sizeof out);
	assert_int_equal(store_codec_repl_status_decode(b.data, b.len, &out),
	    STORE_OK);
	assert_int_equal(out.state, STORE_REPL_FAILED);
	assert_string_equal(out.failure_code, "ACCESS_DENIED");
	/* A state past FAILED. */
	((unsigned char *)b.data)[1] = 3;
	assert_int_equal(store_codec_repl_status_decode(b.data, b.len, &out),
	    STORE_CORRUPT);
	assert_int_equal(store_codec_repl_status_decode(b.data, 1, &out),
	    STORE_CORRUPT);
	buf_release(&b);
}

/* Jobs come out in the order they went in; the key counts on. */
static void
test_jobs_drain_in_order(void **state)
{
	struct fx *f = *state;
	struct store_repl_job j, got;
	struct store_txn *t;
	const char *regions[] = {"eu-west-1", "eu-west-2", "ap-south-1"};
	size_t i;

	t = fx_wbegin(f);
	memset(&got, 0, sizeof got);
	assert_int_equal(store_repl_job_first(t, &got), STORE_NOTFOUND);
	for (i = 0; i < 3; i++) {
		job_fill(&j, 1, regions[i]);
		assert_int_equal(store_repl_job_add(t, &j), STORE_OK);
		assert_int_equal(j.seq, i + 1);
	}
	assert_int_equal(store_txn_commit(t), STORE_OK);
	t = fx_wbegin(f);
	for (i = 0; i < 3; i++) {
		assert_int_equal(store_repl_job_first(t, &got), STORE_OK);
		assert_int_equal(got.seq, i + 1);
		assert_string_equal(got.dest_region, regions[i]);
		assert_int_equal(store_repl_job_delete(t, got.seq), STORE_OK);
		if (i == 1) {
			/* Added while draining: after the last one. */
			job_fill(&j, 1, "us-west-2");
			assert_int_equal(store_repl_job_add(t, &j), STORE_OK);
			assert_int_equal(j.seq, 4);
		}
	}
	assert_int_equal(store_repl_job_first(t, &got), STORE_OK);
	assert_string_equal(got.dest_region, "us-west-2");
	assert_int_equal(store_repl_job_delete(t, got.seq), STORE_OK);
	assert_int_equal(store_repl_job_delete(t, got.seq), STORE_NOTFOUND);
	assert_int_equal(store_repl_job_first(t, &got), STORE_NOTFOUND);
	assert_int_equal(store_txn_commit(t), STORE_OK);
}

struct statuses {
	struct store_repl_status st[4];
	size_t n;
};

static int
collect(const struct store_repl_status *st, void *arg)
{
	struct statuses *s = arg;

	assert_true(s->n < 4);
	s->st[s->n++] = *st;
	return 0;
}

static void
put_status(struct store_txn *t, uint64_t repo_id, const char *digest,
    const char *reg, const char *region, enum store_repl_state state)
{
	struct store_repl_status st;

	memset(&st, 0, sizeof st);
	str_copy(st.registry_id, sizeof st.registry_id, reg);
	str_copy(st.region, sizeof st.region, region);
	st.state = state;
	assert_int_equal(store_repl_status_put(t, repo_id, digest, &st),
	    STORE_OK);
}

/*
 * One status per destination, replaced in place, only for the image
 * asked (a digest that extends another is another image); a missing
 * repository takes none; a deleted one's go with it.
 */
static void
test_statuses_per_image_and_destination(void **state)
{
	struct fx *f = *state;
	struct statuses s;
	struct store_txn *t;
	uint64_t id = make_repo(f, "app");

	t = fx_wbegin(f);
	put_status(t, id, DIGEST_A, "222222222222", "eu-west-1",
	    STORE_REPL_IN_PROGRESS);
	put_status(t, id, DIGEST_A, "111111111111", "us-west-2",
	    STORE_REPL_IN_PROGRESS);
	put_status(t, id, DIGEST_A, "222222222222", "eu-west-1",
	    STORE_REPL_COMPLETE);
	put_status(t, id, DIGEST_A "b", "222222222222", "eu-west-1",
	    STORE_REPL_FAILED);
	memset(&s, 0, sizeof s);
	assert_int_equal(store_repl_status_foreach(t, id, DIGEST_A, collect,
	                     &s),
	    STORE_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.st[0].registry_id, "111111111111");
	assert_string_equal(s.st[0].region, "us-west-2");
	assert_int_equal(s.st[0].state, STORE_REPL_IN_PROGRESS);
	assert_string_equal(s.st[1].registry_id, "222222222222");
	assert_string_equal(s.st[1].region, "eu-west-1");
	assert_int_equal(s.st[1].state, STORE_REPL_COMPLETE);
	assert_int_equal(store_repl_status_put(t, id + 100, DIGEST_A, &s.st[0]),
	    STORE_NOTFOUND);
	assert_int_equal(store_repo_delete(t, REG, RGN, "app"), STORE_OK);
	memset(&s, 0, sizeof s);
	assert_int_equal(store_repl_status_foreach(t, id, DIGEST_A, collect,
	                     &s),
	    STORE_OK);
	assert_int_equal(s.n, 0);
	assert_int_equal(store_txn_commit(t), STORE_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_codec_job_round_trips),
	    cmocka_unit_test(test_codec_job_rejects_damage),
	    cmocka_unit_test(test_codec_status_round_trips_and_rejects_damage),
	    cmocka_unit_test_setup_teardown(test_jobs_drain_in_order, fx_setup,
	        fx_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_statuses_per_image_and_destination, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
