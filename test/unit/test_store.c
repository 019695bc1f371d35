/*
 * Unit tests for store/: repositories, paging, counters, transactions, the
 * server key, reset, schema checks and migration, and the repository
 * codecs (images, layers, uploads and the GC are in test_store_image.c).
 * Each test runs in a fresh mkdtemp directory that it removes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <lmdb.h>

#include "common/buf.h"
#include "common/str.h"
#include "common/xalloc.h"
#include "store/store.h"
#include "test/unit/store_fixture.h"
#include "store/store_int.h"

#define REG_A "111111111111"
#define REG_B "222222222222"
#define RGN_A "us-east-1"
#define RGN_B "eu-west-1"

/* Names collected by a foreach callback, stopping after max of them. */
#define COLLECT_MAX 32
struct collect {
	char names[COLLECT_MAX][STORE_REPO_NAME_MAX + 1];
	size_t n;
	size_t max;
	char registry_id[STORE_REGISTRY_ID_MAX + 1];
	char region[STORE_REGION_MAX + 1];
};

static char *
env_path(const struct fx *f)
{
	return xasprintf("%s/meta.lmdb", f->dir);
}

static void
reopen(struct fx *f, unsigned flags)
{
	char *cause = NULL;

	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_open(f->dir, flags, 0, &f->st, &cause),
	    STORE_OK);
	assert_null(cause);
}

static void
repo_init(struct store_repo *r, const char *reg, const char *rgn,
    const char *name)
{
	memset(r, 0, sizeof(*r));
	assert_int_equal(str_copy(r->registry_id, sizeof(r->registry_id), reg),
	    0);
	assert_int_equal(str_copy(r->region, sizeof(r->region), rgn), 0);
	assert_int_equal(str_copy(r->name, sizeof(r->name), name), 0);
	r->created_at_ms = 1700000000123;
	str_copy(r->tag_mutability, sizeof(r->tag_mutability), "MUTABLE");
	str_copy(r->encryption_type, sizeof(r->encryption_type), "AES256");
}

/* A repository with every field in use, most of them at their limit. */
static void
repo_fill(struct store_repo *r, const char *reg, const char *rgn,
    const char *name)
{
	size_t i;

	repo_init(r, reg, rgn, name);
	r->id = 0x0102030405060708ULL;
	r->created_at_ms = -1234567;
	str_copy(r->tag_mutability, sizeof(r->tag_mutability),
	    "IMMUTABLE_WITH_EXCLUSION");
	r->n_exclusion_filters = STORE_EXCLUSION_FILTERS_MAX;
	for (i = 0; i < r->n_exclusion_filters; i++) {
		str_copy(r->exclusion_filters[i].filter_type,
		    sizeof(r->exclusion_filters[i].filter_type), "WILDCARD");
		memset(r->exclusion_filters[i].filter, 'a' + (int)i,
		    STORE_FILTER_MAX);
	}
	r->scan_on_push = true;
	str_copy(r->encryption_type, sizeof(r->encryption_type), "KMS");
	memset(r->kms_key, 'k', STORE_KMS_KEY_MAX);
	r->n_tags = STORE_REPO_TAGS_MAX;
	for (i = 0; i < r->n_tags; i++) {
		memset(r->tags[i].key, 'A' + (int)(i % 26), STORE_TAG_KEY_MAX);
		r->tags[i].key[0] = '0' + (int)(i / 26);
		memset(r->tags[i].value, 'v', i * 5);
	}
	r->tags[1].value[0] = '\0';
}

static void
assert_repo_equal(const struct store_repo *a, const struct store_repo *b)
{
	size_t i;

	assert_int_equal(a->id, b->id);
	assert_string_equal(a->registry_id, b->registry_id);
	assert_string_equal(a->region, b->region);
	assert_string_equal(a->name, b->name);
	assert_true(a->created_at_ms == b->created_at_ms);
	assert_string_equal(a->tag_mutability, b->tag_mutability);
	assert_int_equal(a->n_exclusion_filters, b->n_exclusion_filters);
	for (i = 0; i < a->n_exclusion_filters; i++) {
		assert_string_equal(a->exclusion_filters[i].filter_type,
		    b->exclusion_filters[i].filter_type);
		assert_string_equal(a->exclusion_filters[i].filter,
		    b->exclusion_filters[i].filter);
	}
	assert_int_equal(a->scan_on_push, b->scan_on_push);
	assert_string_equal(a->encryption_type, b->encryption_type);
	assert_string_equal(a->kms_key, b->kms_key);
	assert_int_equal(a->n_tags, b->n_tags);
	for (i = 0; i < a->n_tags; i++) {
		assert_string_equal(a->tags[i].key, b->tags[i].key);
		assert_string_equal(a->tags[i].value, b->tags[i].value);
	}
}

/* Create a repository in its own txn; return its id. */
static uint64_t
create(struct fx *f, const char *reg, const char *rgn, const char *name)
{
	struct store_repo r;
	struct store_txn *t;

	repo_init(&r, reg, rgn, name);
	t = fx_wbegin(f);
	assert_int_equal(store_repo_create(t, &r), STORE_OK);
	assert_int_equal(store_txn_commit(t), STORE_OK);
	assert_true(r.id != 0);
	return r.id;
}

static int
get(struct fx *f, const char *reg, const char *rgn, const char *name,
    struct store_repo *out)
{
	struct store_txn *t;
	int rc;

	t = fx_rbegin(f);
	rc = store_repo_get(t, reg, rgn, name, out);
	store_txn_abort(t);
	return rc;
}

static uint64_t
count(struct fx *f, const char *reg, const char *rgn)
{
	struct store_txn *t;
	uint64_t n = 99;

	t = fx_rbegin(f);
	assert_int_equal(store_repo_count(t, reg, rgn, &n), STORE_OK);
	store_txn_abort(t);
	return n;
}

static bool
has_images(struct fx *f, uint64_t id)
{
	struct store_txn *t;
	bool b = false;

	t = fx_rbegin(f);
	assert_int_equal(store_repo_has_images(t, id, &b), STORE_OK);
	store_txn_abort(t);
	return b;
}

/* Create an image with no refs in repository repo_id, in its own txn. */
static void
put_image(struct fx *f, uint64_t repo_id, const char *digest)
{
	struct store_image img;
	struct store_txn *t;

	memset(&img, 0, sizeof(img));
	img.repo_id = repo_id;
	assert_int_equal(str_copy(img.digest, sizeof(img.digest), digest), 0);
	img.pushed_at_ms = 1700000000000;
	t = fx_wbegin(f);
	assert_int_equal(store_image_create(t, &img, "{}", 2), STORE_OK);
	assert_int_equal(store_txn_commit(t), STORE_OK);
}

static int
collect_cb(const struct store_repo *r, void *arg)
{
	struct collect *c = arg;

	assert_true(c->n < COLLECT_MAX);
	assert_string_equal(r->registry_id, c->registry_id);
	assert_string_equal(r->region, c->region);
	assert_int_equal(str_copy(c->names[c->n], sizeof(c->names[c->n]),
	                     r->name),
	    0);
	c->n++;
	return c->n == c->max ? 1 : 0;
}

/* List up to max names of (reg, rgn) after after; return how many. */
static size_t
list(struct fx *f, const char *reg, const char *rgn, const char *after,
    size_t max, struct collect *c)
{
	struct store_txn *t;
	char from[STORE_REPO_NAME_MAX + 2];

	/* after may point into c, which is about to be cleared. */
	if (after != NULL) {
		assert_int_equal(str_copy(from, sizeof(from), after), 0);
		after = from;
	}
	memset(c, 0, sizeof(*c));
	c->max = max;
	str_copy(c->registry_id, sizeof(c->registry_id), reg);
	str_copy(c->region, sizeof(c->region), rgn);
	t = fx_rbegin(f);
	assert_int_equal(store_repo_foreach(t, reg, rgn, after, collect_cb, c),
	    STORE_OK);
	store_txn_abort(t);
	return c->n;
}

static void
assert_names(const struct collect *c, const char *const *want, size_t n)
{
	size_t i;

	assert_int_equal(c->n, n);
	for (i = 0; i < n; i++)
		assert_string_equal(c->names[i], want[i]);
}

static void
test_repo_create_get_update_delete(void **state)
{
	struct fx *f = *state;
	struct store_repo r, got;
	struct store_txn *t;

	repo_fill(&r, REG_A, RGN_A, "team/app");
	t = fx_wbegin(f);
	assert_int_equal(store_repo_create(t, &r), STORE_OK);
	assert_int_equal(store_txn_commit(t), STORE_OK);
	assert_int_equal(r.id, 1);

	assert_int_equal(get(f, REG_A, RGN_A, "team/app", &got), STORE_OK);
	assert_repo_equal(&got, &r);

	r.scan_on_push = false;
	r.n_tags = 1;
	str_copy(r.tags[0].value, sizeof(r.tags[0].value), "changed");
	str_copy(r.tag_mutability, sizeof(r.tag_mutability), "MUTABLE");
	r.n_exclusion_filters = 0;
	t = fx_wbegin(f);
	assert_int_equal(store_repo_update(t, &r), STORE_OK);
	assert_int_equal(store_txn_commit(t), STORE_OK);
	assert_int_equal(get(f, REG_A, RGN_A, "team/app", &got), STORE_OK);
	assert_repo_equal(&got, &r);

	t = fx_wbegin(f);
	assert_int_equal(store_repo_delete(t, REG_A, RGN_A, "team/app"),
	    STORE_OK);
	assert_int_equal(store_repo_delete(t, REG_A, RGN_A, "team/app"),
	    STORE_NOTFOUND);
	assert_int_equal(store_txn_commit(t), STORE_OK);
	assert_int_equal(get(f, REG_A, RGN_A, "team/app", &got),
	    STORE_NOTFOUND);
}

static void
test_repo_get_missing_leaves_out_untouched(void **state)
{
	struct fx *f = *state;
	struct store_repo got;

	memset(&got, 0x5a, sizeof(got));
	assert_int_equal(get(f, REG_A, RGN_A, "nope", &got), STORE_NOTFOUND);
	assert_int_equal(got.name[0], 0x5a);
}

static void
test_repo_create_existing_name_returns_exists(void **state)
{
	struct fx *f = *state;
	struct store_repo r;
	struct store_txn *t;

	create(f, REG_A, RGN_A, "dup");
	repo_init(&r, REG_A, RGN_A, "dup");
	r.id = 77;
	t = fx_wbegin(f);
	assert_int_equal(store_repo_create(t, &r), STORE_EXISTS);
	assert_int_equal(r.id, 77);
	assert_int_equal(store_txn_commit(t), STORE_OK);
	assert_int_equal(count(f, REG_A, RGN_A), 1);
}

static void
test_repo_same_name_in_other_region_or_registry_is_distinct(void **state)
{
	struct fx *f = *state;
	struct store_repo got;
	uint64_t a, b, c;

	a = create(f, REG_A, RGN_A, "app");
	b = create(f, REG_A, RGN_B, "app");
	c = create(f, REG_B, RGN_A, "app");
	assert_true(a != b && b != c && a != c);
	assert_int_equal(get(f, REG_A, RGN_A, "app", &got), STORE_OK);
	assert_int_equal(got.id, a);
	assert_int_equal(get(f, REG_A, RGN_B, "app", &got), STORE_OK);
	assert_int_equal(got.id, b);
	assert_string_equal(got.region, RGN_B);
	assert_int_equal(get(f, REG_B, RGN_A, "app", &got), STORE_OK);
	assert_int_equal(got.id, c);
	assert_string_equal(got.registry_id, REG_B);
	assert_int_equal(get(f, REG_B, RGN_B, "app", &got), STORE_NOTFOUND);
}

static void
test_repo_update_requires_existing_repo_with_same_id(void **state)
{
	struct fx *f = *state;
	struct store_repo r, got;
	struct store_txn *t;

	repo_init(&r, REG_A, RGN_A, "ghost");
	r.id = 1;
	t = fx_wbegin(f);
	assert_int_equal(store_repo_update(t, &r), STORE_NOTFOUND);
	store_txn_abort(t);

	r.id = create(f, REG_A, RGN_A, "ghost");
	r.id++;
	r.scan_on_push = true;
	t = fx_wbegin(f);
	assert_int_equal(store_repo_update(t, &r), STORE_NOTFOUND);
	store_txn_abort(t);
	assert_int_equal(get(f, REG_A, RGN_A, "ghost", &got), STORE_OK);
	assert_false(got.scan_on_push);
}

static void
test_repo_ids_are_never_reused(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	uint64_t a, b, c;

	a = create(f, REG_A, RGN_A, "again");
	t = fx_wbegin(f);
	assert_int_equal(store_repo_delete(t, REG_A, RGN_A, "again"), STORE_OK);
	assert_int_equal(store_txn_commit(t), STORE_OK);
	b = create(f, REG_A, RGN_A, "again");
	assert_true(b > a);
	t = fx_wbegin(f);
	assert_int_equal(store_reset(t), STORE_OK);
	assert_int_equal(store_txn_commit(t), STORE_OK);
	c = create(f, REG_A, RGN_A, "again");
	assert_true(c > b);
}

static void
test_repo_foreach_pages_in_byte_order_from_after(void **state)
{
	static const char *const names[] = {
	    "zz", "a/b", "b", "a", "ab", "a-b", "a/b/c"};
	static const char *const page1[] = {"a", "a-b", "a/b"};
	static const char *const page2[] = {"a/b/c", "ab", "b"};
	static const char *const page3[] = {"zz"};
	static const char *const from_gap[] = {"a/b", "a/b/c"};
	struct fx *f = *state;
	struct collect *c;
	size_t i;

	c = xmalloc(sizeof(*c));
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		create(f, REG_A, RGN_A, names[i]);
	list(f, REG_A, RGN_A, NULL, 3, c);
	assert_names(c, page1, 3);
	list(f, REG_A, RGN_A, c->names[2], 3, c);
	assert_names(c, page2, 3);
	list(f, REG_A, RGN_A, c->names[2], 3, c);
	assert_names(c, page3, 1);
	assert_int_equal(list(f, REG_A, RGN_A, "zz", 3, c), 0);
	/* An after name that does not exist starts at the next one. */
	list(f, REG_A, RGN_A, "a/a", 2, c);
	assert_names(c, from_gap, 2);
	assert_int_equal(list(f, REG_A, RGN_A, "", 0, c), 7);
	free(c);
}

static void
test_repo_foreach_never_leaks_other_partitions(void **state)
{
	static const char *const in_a[] = {"a", "a/b", "ab"};
	static const char *const in_a10[] = {"a", "a0"};
	static const char *const in_short[] = {"x"};
	static const char *const in_b[] = {"a", "c"};
	struct fx *f = *state;
	struct collect *c;
	size_t i;

	c = xmalloc(sizeof(*c));
	for (i = 0; i < 3; i++)
		create(f, REG_A, RGN_A, in_a[i]);
	/* Regions that are prefixes of one another, on both sides. */
	create(f, REG_A, "us-east-10", "a");
	create(f, REG_A, "us-east-10", "a0");
	create(f, REG_A, "us-east", "x");
	create(f, REG_B, RGN_A, "a");
	create(f, REG_B, RGN_A, "c");

	list(f, REG_A, RGN_A, NULL, 0, c);
	assert_names(c, in_a, 3);
	assert_int_equal(list(f, REG_A, RGN_A, "ab", 0, c), 0);
	assert_int_equal(list(f, REG_A, RGN_A, "zzz", 0, c), 0);
	list(f, REG_A, "us-east-10", NULL, 0, c);
	assert_names(c, in_a10, 2);
	list(f, REG_A, "us-east", NULL, 0, c);
	assert_names(c, in_short, 1);
	assert_int_equal(list(f, REG_A, "us-east", "x", 0, c), 0);
	list(f, REG_B, RGN_A, NULL, 0, c);
	assert_names(c, in_b, 2);
	assert_int_equal(list(f, REG_B, RGN_B, NULL, 0, c), 0);
	assert_int_equal(list(f, "11111111111", RGN_A, NULL, 0, c), 0);
	free(c);
}

static int
stop_cb(const struct store_repo *r, void *arg)
{
	int *calls = arg;

	(void)r;
	(*calls)++;
	return 1;
}

static int
fail_cb(const struct store_repo *r, void *arg)
{
	int *calls = arg;

	(void)r;
	(*calls)++;
	return -42;
}

static void
test_repo_foreach_stops_on_callback_result(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	int calls = 0;

	create(f, REG_A, RGN_A, "one");
	create(f, REG_A, RGN_A, "two");
	t = fx_rbegin(f);
	assert_int_equal(store_repo_foreach(t, REG_A, RGN_A, NULL, stop_cb,
	                     &calls),
	    STORE_OK);
	assert_int_equal(calls, 1);
	calls = 0;
	assert_int_equal(store_repo_foreach(t, REG_A, RGN_A, NULL, fail_cb,
	                     &calls),
	    -42);
	assert_int_equal(calls, 1);
	store_txn_abort(t);
}

static void
test_repo_count_tracks_create_delete_reset(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;

	assert_int_equal(count(f, REG_A, RGN_A), 0);
	create(f, REG_A, RGN_A, "a");
	create(f, REG_A, RGN_A, "b");
	create(f, REG_A, RGN_A, "c");
	create(f, REG_A, RGN_B, "a");
	create(f, REG_B, RGN_A, "a");
	assert_int_equal(count(f, REG_A, RGN_A), 3);
	assert_int_equal(count(f, REG_A, RGN_B), 1);
	assert_int_equal(count(f, REG_B, RGN_A), 1);
	t = fx_wbegin(f);
	assert_int_equal(store_repo_delete(t, REG_A, RGN_A, "b"), STORE_OK);
	assert_int_equal(store_repo_delete(t, REG_A, RGN_B, "a"), STORE_OK);
	assert_int_equal(store_repo_delete(t, REG_A, RGN_B, "a"),
	    STORE_NOTFOUND);
	assert_int_equal(store_txn_commit(t), STORE_OK);
	assert_int_equal(count(f, REG_A, RGN_A), 2);
	assert_int_equal(count(f, REG_A, RGN_B), 0);
	t = fx_wbegin(f);
	assert_int_equal(store_reset(t), STORE_OK);
	assert_int_equal(store_txn_commit(t), STORE_OK);
	assert_int_equal(count(f, REG_A, RGN_A), 0);
	assert_int_equal(count(f, REG_B, RGN_A), 0);
	create(f, REG_A, RGN_A, "b");
	assert_int_equal(count(f, REG_A, RGN_A), 1);
}

static void
test_repo_name_of_256_bytes_works_and_257_is_toobig(void **state)
{
	struct fx *f = *state;
	struct store_repo r, got;
	struct store_txn *t;
	struct collect *c;
	char name[STORE_REPO_NAME_MAX + 2];

	memset(name, 'n', sizeof(name) - 1);
	name[100] = '/';
	name[STORE_REPO_NAME_MAX] = '\0';
	repo_fill(&r, REG_A, RGN_A, name);
	t = fx_wbegin(f);
	assert_int_equal(store_repo_create(t, &r), STORE_OK);
	assert_int_equal(store_txn_commit(t), STORE_OK);
	assert_int_equal(get(f, REG_A, RGN_A, name, &got), STORE_OK);
	assert_repo_equal(&got, &r);
	c = xmalloc(sizeof(*c));
	assert_int_equal(list(f, REG_A, RGN_A, NULL, 0, c), 1);
	assert_string_equal(c->names[0], name);
	free(c);

	name[STORE_REPO_NAME_MAX] = 'n';
	name[STORE_REPO_NAME_MAX + 1] = '\0';
	assert_int_equal(get(f, REG_A, RGN_A, name, &got), STORE_TOOBIG);
	memset(r.name, 'm', sizeof(r.name)); /* no NUL */
	t = fx_wbegin(f);
	assert_int_equal(store_repo_create(t, &r), STORE_TOOBIG);
	assert_int_equal(store_repo_delete(t, REG_A, RGN_A, name),
	    STORE_TOOBIG);
	assert_int_equal(store_repo_foreach(t, REG_A, RGN_A, name, stop_cb,
	                     NULL),
	    STORE_TOOBIG);
	assert_int_equal(store_repo_get(t, "1234567890123", RGN_A, "a", &got),
	    STORE_TOOBIG);
	assert_int_equal(store_repo_get(t, REG_A,
	                     "123456789012345678901234567890123", "a", &got),
	    STORE_TOOBIG);
	store_txn_abort(t);
	assert_int_equal(count(f, REG_A, RGN_A), 1);
}

static void
test_repo_delete_removes_child_images(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	uint64_t a, b;

	a = create(f, REG_A, RGN_A, "a");
	b = create(f, REG_A, RGN_A, "b");
	assert_false(has_images(f, a));
	put_image(f, a, "sha256:aa");
	put_image(f, a, "sha256:bb");
	put_image(f, a, "sha256:cc");
	put_image(f, b, "sha256:aa");
	assert_true(has_images(f, a));
	assert_true(has_images(f, b));

	t = fx_wbegin(f);
	assert_int_equal(store_repo_delete(t, REG_A, RGN_A, "a"), STORE_OK);
	assert_int_equal(store_txn_commit(t), STORE_OK);
	assert_false(has_images(f, a));
	assert_true(has_images(f, b));
	t = fx_wbegin(f);
	assert_int_equal(store_image_delete(t, a, "sha256:bb"), STORE_NOTFOUND);
	assert_int_equal(store_image_delete(t, b, "sha256:aa"), STORE_OK);
	assert_int_equal(store_txn_commit(t), STORE_OK);
	assert_false(has_images(f, b));
}

static void
test_write_in_read_txn_is_refused(void **state)
{
	struct fx *f = *state;
	struct store_repo r;
	struct store_txn *t;

	repo_init(&r, REG_A, RGN_A, "ro");
	t = fx_rbegin(f);
	assert_int_equal(store_repo_create(t, &r), STORE_IO);
	store_txn_abort(t);
	assert_int_equal(count(f, REG_A, RGN_A), 0);
}

static void
test_data_survives_close_and_reopen(void **state)
{
	struct fx *f = *state;
	struct store_repo r, got;
	struct store_txn *t;

	/* Reopen without STORE_EPHEMERAL: the durable path. */
	reopen(f, 0);
	repo_fill(&r, REG_A, RGN_A, "kept");
	t = fx_wbegin(f);
	assert_int_equal(store_repo_create(t, &r), STORE_OK);
	assert_int_equal(store_txn_commit(t), STORE_OK);
	assert_int_equal(store_sync(f->st), STORE_OK);
	reopen(f, 0);
	assert_int_equal(get(f, REG_A, RGN_A, "kept", &got), STORE_OK);
	assert_repo_equal(&got, &r);
	assert_int_equal(count(f, REG_A, RGN_A), 1);
	assert_true(create(f, REG_A, RGN_A, "next") > r.id);
}

static void
test_nested_child_abort_discards_only_child(void **state)
{
	struct fx *f = *state;
	struct store_repo r;
	struct store_txn *parent, *child, *bad;

	parent = fx_wbegin(f);
	repo_init(&r, REG_A, RGN_A, "parent");
	assert_int_equal(store_repo_create(parent, &r), STORE_OK);

	assert_int_equal(store_txn_begin(f->st, parent, true, &child),
	    STORE_OK);
	repo_init(&r, REG_A, RGN_A, "kept");
	assert_int_equal(store_repo_create(child, &r), STORE_OK);
	assert_int_equal(store_txn_commit(child), STORE_OK);

	assert_int_equal(store_txn_begin(f->st, parent, true, &child),
	    STORE_OK);
	repo_init(&r, REG_A, RGN_A, "dropped");
	assert_int_equal(store_repo_create(child, &r), STORE_OK);
	store_txn_abort(child);

	bad = NULL;
	assert_int_equal(store_txn_begin(f->st, parent, false, &bad), STORE_IO);
	assert_null(bad);

	assert_int_equal(store_repo_get(parent, REG_A, RGN_A, "kept", &r),
	    STORE_OK);
	assert_int_equal(store_repo_get(parent, REG_A, RGN_A, "dropped", &r),
	    STORE_NOTFOUND);
	assert_int_equal(store_txn_commit(parent), STORE_OK);
	reopen(f, STORE_EPHEMERAL);
	assert_int_equal(get(f, REG_A, RGN_A, "parent", &r), STORE_OK);
	assert_int_equal(get(f, REG_A, RGN_A, "kept", &r), STORE_OK);
	assert_int_equal(get(f, REG_A, RGN_A, "dropped", &r), STORE_NOTFOUND);
	assert_int_equal(count(f, REG_A, RGN_A), 2);
}

static void
test_nested_children_persist_only_when_parent_commits(void **state)
{
	struct fx *f = *state;
	struct store_repo r;
	struct store_txn *parent, *child;
	char name[16];
	int i;

	parent = fx_wbegin(f);
	for (i = 0; i < 5; i++) {
		assert_int_equal(store_txn_begin(f->st, parent, true, &child),
		    STORE_OK);
		snprintf(name, sizeof(name), "req%d", i);
		repo_init(&r, REG_A, RGN_A, name);
		assert_int_equal(store_repo_create(child, &r), STORE_OK);
		assert_int_equal(store_txn_commit(child), STORE_OK);
	}
	store_txn_abort(parent);
	assert_int_equal(count(f, REG_A, RGN_A), 0);

	parent = fx_wbegin(f);
	for (i = 0; i < 5; i++) {
		assert_int_equal(store_txn_begin(f->st, parent, true, &child),
		    STORE_OK);
		snprintf(name, sizeof(name), "req%d", i);
		repo_init(&r, REG_A, RGN_A, name);
		assert_int_equal(store_repo_create(child, &r), STORE_OK);
		assert_int_equal(store_txn_commit(child), STORE_OK);
	}
	assert_int_equal(store_txn_commit(parent), STORE_OK);
	reopen(f, STORE_EPHEMERAL);
	assert_int_equal(count(f, REG_A, RGN_A), 5);
	assert_int_equal(get(f, REG_A, RGN_A, "req4", &r), STORE_OK);
}

static void
test_read_txn_sees_only_committed_data(void **state)
{
	struct fx *f = *state;
	struct store_repo r;
	struct store_txn *w, *rd;

	create(f, REG_A, RGN_A, "old");
	w = fx_wbegin(f);
	repo_init(&r, REG_A, RGN_A, "new");
	assert_int_equal(store_repo_create(w, &r), STORE_OK);
	/* The same thread may read while its write txn is open. */
	rd = fx_rbegin(f);
	assert_int_equal(store_repo_get(rd, REG_A, RGN_A, "old", &r), STORE_OK);
	assert_int_equal(store_repo_get(rd, REG_A, RGN_A, "new", &r),
	    STORE_NOTFOUND);
	assert_int_equal(store_txn_commit(w), STORE_OK);
	assert_int_equal(store_repo_get(rd, REG_A, RGN_A, "new", &r),
	    STORE_NOTFOUND);
	store_txn_abort(rd);
	assert_int_equal(get(f, REG_A, RGN_A, "new", &r), STORE_OK);
}

static void
test_server_key_is_created_once_and_survives_reopen(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	unsigned char a[32], b[32], out[32];

	memset(a, 0xa1, sizeof(a));
	memset(b, 0xb2, sizeof(b));
	t = fx_wbegin(f);
	assert_int_equal(store_key_get_or_create(t, a, sizeof(a), out),
	    STORE_OK);
	assert_memory_equal(out, a, sizeof(a));
	assert_int_equal(store_key_get_or_create(t, b, sizeof(b), out),
	    STORE_OK);
	assert_memory_equal(out, a, sizeof(a));
	assert_int_equal(store_txn_commit(t), STORE_OK);

	reopen(f, STORE_EPHEMERAL);
	memset(out, 0, sizeof(out));
	t = fx_wbegin(f);
	assert_int_equal(store_key_get_or_create(t, b, sizeof(b), out),
	    STORE_OK);
	assert_memory_equal(out, a, sizeof(a));
	/* Same buffer in and out. */
	assert_int_equal(store_key_get_or_create(t, b, sizeof(b), b), STORE_OK);
	assert_memory_equal(b, a, sizeof(a));
	assert_int_equal(store_key_get_or_create(t, a, 16, out), STORE_CORRUPT);
	assert_int_equal(store_key_get_or_create(t, a, 0, out), STORE_TOOBIG);
	store_txn_abort(t);
}

static void
test_reset_empties_repos_but_keeps_key_and_schema(void **state)
{
	struct fx *f = *state;
	struct store_repo r;
	struct store_txn *t;
	struct collect *c;
	unsigned char key[32], other[32], out[32];
	uint64_t id;

	memset(key, 7, sizeof(key));
	memset(other, 9, sizeof(other));
	t = fx_wbegin(f);
	assert_int_equal(store_key_get_or_create(t, key, sizeof(key), out),
	    STORE_OK);
	assert_int_equal(store_txn_commit(t), STORE_OK);
	id = create(f, REG_A, RGN_A, "a");
	create(f, REG_B, RGN_B, "b");
	put_image(f, id, "sha256:aa");
	t = fx_wbegin(f);
	assert_int_equal(store_reset(t), STORE_OK);
	assert_int_equal(store_txn_commit(t), STORE_OK);

	assert_int_equal(get(f, REG_A, RGN_A, "a", &r), STORE_NOTFOUND);
	assert_int_equal(get(f, REG_B, RGN_B, "b", &r), STORE_NOTFOUND);
	assert_false(has_images(f, id));
	c = xmalloc(sizeof(*c));
	assert_int_equal(list(f, REG_A, RGN_A, NULL, 0, c), 0);
	free(c);
	assert_int_equal(count(f, REG_B, RGN_B), 0);

	reopen(f, STORE_EPHEMERAL);
	t = fx_wbegin(f);
	assert_int_equal(store_key_get_or_create(t, other, sizeof(other), out),
	    STORE_OK);
	assert_memory_equal(out, key, sizeof(key));
	store_txn_abort(t);
	create(f, REG_A, RGN_A, "a");
}

static void
test_store_open_missing_dir_is_io_with_cause(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	char *dir, *cause = NULL;

	dir = xasprintf("%s/missing", f->dir);
	assert_int_equal(store_open(dir, 0, 0, &st, &cause), STORE_IO);
	assert_null(st);
	assert_non_null(cause);
	assert_non_null(strstr(cause,
	    "missing/lock: No such file or directory"));
	free(cause);
	assert_int_equal(store_open(f->dir, 0x80, 0, &st, &cause), STORE_IO);
	assert_null(st);
	free(cause);
	free(dir);
}

/* Read a whole file into a new buffer; set its length and status. */
static char *
slurp(const char *path, size_t *len, struct stat *sb)
{
	FILE *fp;
	char *data;

	assert_int_equal(stat(path, sb), 0);
	assert_non_null(fp = fopen(path, "rb"));
	data = xmalloc((size_t)sb->st_size + 1);
	*len = fread(data, 1, (size_t)sb->st_size, fp);
	assert_int_equal(*len, (size_t)sb->st_size);
	fclose(fp);
	return data;
}

static void
assert_file_unchanged(const char *path, const char *before, size_t len,
    const struct stat *sb)
{
	struct stat now;
	size_t now_len;
	char *after;

	after = slurp(path, &now_len, &now);
	assert_int_equal(now_len, len);
	assert_memory_equal(after, before, len);
	assert_int_equal(now.st_mtim.tv_sec, sb->st_mtim.tv_sec);
	assert_int_equal(now.st_mtim.tv_nsec, sb->st_mtim.tv_nsec);
	free(after);
}

/* With raw LMDB, as a newer ecrd would: set the schema record's version. */
static void
write_schema_raw(const char *path, uint32_t version)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v;
	unsigned char val[5];

	val[0] = STORE_FORMAT_V1;
	val[1] = version >> 24;
	val[2] = version >> 16 & 0xff;
	val[3] = version >> 8 & 0xff;
	val[4] = version & 0xff;
	k.mv_data = (char[]){"schema"};
	k.mv_size = 6;
	v.mv_data = val;
	v.mv_size = sizeof(val);
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 8), 0);
	/* Small: LMDB grows it to fit the data, and valgrind allows no more. */
	assert_int_equal(mdb_env_set_mapsize(env, 1 << 20), 0);
	assert_int_equal(mdb_env_open(env, path, MDB_NOSUBDIR, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "meta", 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void
test_store_refuses_newer_schema_and_leaves_file_untouched(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	struct stat sb;
	size_t len;
	char *path, *before, *cause = NULL, *want;

	create(f, REG_A, RGN_A, "old");
	store_close(f->st);
	f->st = NULL;
	path = env_path(f);
	write_schema_raw(path, STORE_SCHEMA_VERSION + 1);
	before = slurp(path, &len, &sb);

	assert_int_equal(store_open(f->dir, 0, 0, &st, &cause), STORE_VERSION);
	assert_null(st);
	want = xasprintf("store schema version %d is newer than this ecrd "
	                 "supports (%d)",
	    STORE_SCHEMA_VERSION + 1, STORE_SCHEMA_VERSION);
	assert_string_equal(cause, want);
	free(cause);
	free(want);
	assert_file_unchanged(path, before, len, &sb);

	/* Back at our version, the data is all there. */
	write_schema_raw(path, STORE_SCHEMA_VERSION);
	reopen(f, STORE_EPHEMERAL);
	assert_int_equal(count(f, REG_A, RGN_A), 1);
	free(before);
	free(path);
}

/*
 * With raw LMDB, make the store at path look like a version 1 store: the
 * schema record says 1, the images DBI holds a raw placeholder record, and
 * DBIs that version 1 lacked are gone.
 */
static void
make_v1(const char *path)
{
	static const char *const v2_only[] = {"tags", "blob_gc"};
	unsigned char key[] = {0, 0, 0, 0, 0, 0, 0, 1, 's', 'h', 'a', '2', '5',
	    '6', ':', 'a', 'a'};
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v;
	size_t i;

	write_schema_raw(path, 1);
	k.mv_data = key;
	k.mv_size = sizeof(key);
	v.mv_data = (char[]){"\001raw"};
	v.mv_size = 4;
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
	assert_int_equal(mdb_env_set_mapsize(env, 1 << 20), 0);
	assert_int_equal(mdb_env_open(env, path, MDB_NOSUBDIR, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "images", 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	for (i = 0; i < sizeof(v2_only) / sizeof(v2_only[0]); i++) {
		assert_int_equal(mdb_dbi_open(txn, v2_only[i], 0, &dbi), 0);
		assert_int_equal(mdb_drop(txn, dbi, 1), 0);
	}
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static int
count_cb(const struct store_image *img, void *arg)
{
	size_t *n = arg;

	(void)img;
	(*n)++;
	return 0;
}

static void
test_store_upgrades_version_1_to_2(void **state)
{
	struct fx *f = *state;
	struct store_repo r;
	struct store_txn *t;
	struct store_key k;
	MDB_val v;
	uint32_t version = 0;
	size_t n = 0;
	char *path, digest[STORE_DIGEST_MAX + 1];
	uint64_t id;

	id = create(f, REG_A, RGN_A, "kept");
	store_close(f->st);
	f->st = NULL;
	path = env_path(f);
	make_v1(path);
	free(path);

	reopen(f, STORE_EPHEMERAL);
	assert_int_equal(get(f, REG_A, RGN_A, "kept", &r), STORE_OK);
	assert_int_equal(r.id, id);
	t = fx_rbegin(f);
	assert_int_equal(store_keys_meta(&k, STORE_META_SCHEMA), STORE_OK);
	assert_int_equal(store_db_get(t, STORE_DBI_META, &k, &v), STORE_OK);
	assert_int_equal(store_codec_schema_decode(v.mv_data, v.mv_size,
	                     &version),
	    STORE_OK);
	assert_int_equal(version, STORE_SCHEMA_VERSION);
	/* The raw record (which would not decode) is gone; new DBIs work. */
	assert_int_equal(store_image_foreach(t, id, NULL, count_cb, &n),
	    STORE_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_tag_get(t, id, "latest", digest),
	    STORE_NOTFOUND);
	store_txn_abort(t);
	put_image(f, id, "sha256:aa");
	assert_true(has_images(f, id));
	reopen(f, STORE_EPHEMERAL);
	assert_true(has_images(f, id));
}

/* With raw LMDB, put value v (len bytes) as upload id's record. */
static void
put_upload_raw(const char *path, const char *id, const void *val, size_t len)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v;

	k.mv_data = (void *)(uintptr_t)id;
	k.mv_size = strlen(id);
	v.mv_data = (void *)(uintptr_t)val;
	v.mv_size = len;
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
	assert_int_equal(mdb_env_set_mapsize(env, 1 << 20), 0);
	assert_int_equal(mdb_env_open(env, path, MDB_NOSUBDIR, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, "uploads", 0, &dbi), 0);
	assert_int_equal(mdb_put(txn, dbi, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/*
 * Schema 2 upload records held OpenSSL's SHA256_CTX bytes (issue 12):
 * opening such a store rewrites them without (format 2), leaves a record
 * that does not decode as it was, and stamps the current schema.
 */
static void
test_store_upgrades_version_2_uploads_to_3(void **state)
{
	struct fx *f = *state;
	struct store_upload u, got;
	struct store_txn *t;
	struct store_key k;
	struct buf b;
	MDB_val v;
	unsigned char v1[53 + 2 + 112];
	uint32_t version = 0;
	char *path;

	memset(&u, 0, sizeof(u));
	str_copy(u.id, sizeof(u.id), "legacy-1");
	u.repo_id = create(f, REG_A, RGN_A, "uploading");
	u.created_at_ms = 1000;
	u.updated_at_ms = 2000;
	u.received = 6 << 20;
	u.n_parts = 2;
	u.min_part = 5 << 20;
	u.last_part = 1 << 20;
	assert_int_equal(store_codec_upload_encode(&u, &b), STORE_OK);
	memcpy(v1, b.data, 53);
	buf_release(&b);
	v1[0] = 0x01;
	v1[53] = 0;
	v1[54] = 112; /* sizeof(SHA256_CTX) */
	memset(v1 + 55, 0x5a, 112);
	store_close(f->st);
	f->st = NULL;
	path = env_path(f);
	put_upload_raw(path, "legacy-1", v1, sizeof(v1));
	put_upload_raw(path, "broken", "\001x", 2);
	write_schema_raw(path, 2);
	free(path);

	reopen(f, STORE_EPHEMERAL);
	t = fx_rbegin(f);
	assert_int_equal(store_keys_meta(&k, STORE_META_SCHEMA), STORE_OK);
	assert_int_equal(store_db_get(t, STORE_DBI_META, &k, &v), STORE_OK);
	assert_int_equal(store_codec_schema_decode(v.mv_data, v.mv_size,
	                     &version),
	    STORE_OK);
	assert_int_equal(version, STORE_SCHEMA_VERSION);
	assert_int_equal(store_keys_upload(&k, "legacy-1"), STORE_OK);
	assert_int_equal(store_db_get(t, STORE_DBI_UPLOADS, &k, &v), STORE_OK);
	assert_int_equal(v.mv_size, 53);
	assert_int_equal(((const unsigned char *)v.mv_data)[0], 0x02);
	assert_int_equal(store_upload_get(t, "legacy-1", &got), STORE_OK);
	assert_memory_equal(&got, &u, sizeof(u));
	assert_int_equal(store_upload_get(t, "broken", &got), STORE_CORRUPT);
	store_txn_abort(t);
}

/* With raw LMDB, remove DBI name, as a store of an older schema lacks it. */
static void
drop_dbi_raw(const char *path, const char *name)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;

	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_set_maxdbs(env, 32), 0);
	assert_int_equal(mdb_env_set_mapsize(env, 1 << 20), 0);
	assert_int_equal(mdb_env_open(env, path, MDB_NOSUBDIR, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_dbi_open(txn, name, 0, &dbi), 0);
	assert_int_equal(mdb_drop(txn, dbi, 1), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/*
 * Schema 3 had no buried DBI (issue 12): opening such a store creates it,
 * stamps the current schema (so that an ecrd of schema 3, which would
 * never reap a tombstone, refuses the store) and keeps the data; a delete
 * then buries and reaps as in a new store.
 */
static void
test_store_upgrades_version_3_to_4(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	struct store_key k;
	MDB_val v;
	uint32_t version = 0;
	uint64_t id;
	size_t n = 0;
	bool is_done = false;
	char *path;

	id = create(f, REG_A, RGN_A, "kept");
	put_image(f, id, "sha256:aa");
	store_close(f->st);
	f->st = NULL;
	path = env_path(f);
	drop_dbi_raw(path, "buried");
	write_schema_raw(path, 3);
	free(path);

	reopen(f, STORE_EPHEMERAL);
	t = fx_rbegin(f);
	assert_int_equal(store_keys_meta(&k, STORE_META_SCHEMA), STORE_OK);
	assert_int_equal(store_db_get(t, STORE_DBI_META, &k, &v), STORE_OK);
	assert_int_equal(store_codec_schema_decode(v.mv_data, v.mv_size,
	                     &version),
	    STORE_OK);
	assert_int_equal(version, STORE_SCHEMA_VERSION);
	store_txn_abort(t);
	assert_true(has_images(f, id));
	t = fx_wbegin(f);
	assert_int_equal(store_repo_bury(t, REG_A, RGN_A, "kept"), STORE_OK);
	assert_int_equal(store_repo_reap(t, 100, &n, &is_done), STORE_OK);
	assert_true(is_done);
	/* The image, its manifest, its count and the tombstone. */
	assert_int_equal(n, 4);
	assert_int_equal(store_txn_commit(t), STORE_OK);
	assert_false(has_images(f, id));
}

/*
 * Schema 4 had no replication DBIs (issue 14): opening such a store
 * creates them, stamps the current schema and keeps the data, and a
 * delete removes
 * a replication status with the rest.
 */
static void
test_store_upgrades_version_4_to_5(void **state)
{
	struct fx *f = *state;
	struct store_repl_status st;
	struct store_txn *t;
	struct store_key k, none = {.len = 0};
	MDB_val v;
	uint32_t version = 0;
	uint64_t id;
	char *path;

	id = create(f, REG_A, RGN_A, "kept");
	put_image(f, id, "sha256:aa");
	store_close(f->st);
	f->st = NULL;
	path = env_path(f);
	drop_dbi_raw(path, "repl_jobs");
	drop_dbi_raw(path, "repl_status");
	write_schema_raw(path, 4);
	free(path);

	reopen(f, STORE_EPHEMERAL);
	t = fx_wbegin(f);
	assert_int_equal(store_keys_meta(&k, STORE_META_SCHEMA), STORE_OK);
	assert_int_equal(store_db_get(t, STORE_DBI_META, &k, &v), STORE_OK);
	assert_int_equal(store_codec_schema_decode(v.mv_data, v.mv_size,
	                     &version),
	    STORE_OK);
	assert_int_equal(version, STORE_SCHEMA_VERSION);
	assert_true(has_images(f, id));
	memset(&st, 0, sizeof st);
	str_copy(st.registry_id, sizeof st.registry_id, REG_B);
	str_copy(st.region, sizeof st.region, RGN_B);
	assert_int_equal(store_repl_status_put(t, id, "sha256:aa", &st),
	    STORE_OK);
	assert_int_equal(store_repo_delete(t, REG_A, RGN_A, "kept"), STORE_OK);
	assert_int_equal(store_db_first(t, STORE_DBI_REPL_STATUS, &none, &k),
	    0);
	assert_int_equal(store_txn_commit(t), STORE_OK);
}

#define HEX16(c) c c c c c c c c c c c c c c c c
#define HEX64(c) HEX16(c) HEX16(c) HEX16(c) HEX16(c)

/*
 * Schema 5 kept no total of the blob sizes: opening such a store sums the
 * blob records once (a layer shared by two repositories counts once).
 */
static void
test_store_upgrades_version_5_to_6_blob_bytes(void **state)
{
	struct fx *f = *state;
	struct store_layer l;
	struct store_txn *t;
	struct store_key k;
	uint64_t a, b, n, bytes;
	char *path;

	a = create(f, REG_A, RGN_A, "a");
	b = create(f, REG_A, RGN_A, "b");
	memset(&l, 0, sizeof l);
	l.repo_id = a;
	str_copy(l.digest, sizeof l.digest, "sha256:" HEX64("a"));
	l.size = 700;
	t = fx_wbegin(f);
	assert_int_equal(store_layer_add(t, &l), STORE_OK);
	l.repo_id = b;
	assert_int_equal(store_layer_add(t, &l), STORE_OK);
	str_copy(l.digest, sizeof l.digest, "sha256:" HEX64("b"));
	l.size = 50;
	assert_int_equal(store_layer_add(t, &l), STORE_OK);
	/* What a schema 5 server leaves: no blob_bytes record. */
	assert_int_equal(store_keys_meta(&k, STORE_META_BLOB_BYTES), STORE_OK);
	assert_int_equal(store_db_del(t, STORE_DBI_META, &k), STORE_OK);
	assert_int_equal(store_txn_commit(t), STORE_OK);
	t = fx_rbegin(f);
	assert_int_equal(store_blob_totals(t, &n, &bytes), STORE_OK);
	store_txn_abort(t);
	assert_int_equal(bytes, 0);
	store_close(f->st);
	f->st = NULL;
	path = env_path(f);
	write_schema_raw(path, 5);
	free(path);

	reopen(f, STORE_EPHEMERAL);
	t = fx_rbegin(f);
	assert_int_equal(store_blob_totals(t, &n, &bytes), STORE_OK);
	store_txn_abort(t);
	assert_int_equal(n, 2);
	assert_int_equal(bytes, 750);
}

/*
 * Schema 4 had no restores or signings DBI (issue 16): opening such a
 * store creates them and stamps the current schema, keeping the data;
 * the earliest record of a kind is found first, and the other kind's are apart.
 */
static void
test_store_upgrades_version_4_to_5_work(void **state)
{
	struct fx *f = *state;
	struct store_work w, got;
	struct store_txn *t;
	struct store_key k;
	MDB_val v;
	uint32_t version = 0;
	uint64_t id;
	char *path;

	id = create(f, REG_A, RGN_A, "kept");
	put_image(f, id, "sha256:aa");
	store_close(f->st);
	f->st = NULL;
	path = env_path(f);
	drop_dbi_raw(path, "restores");
	drop_dbi_raw(path, "signings");
	drop_dbi_raw(path, "sign_status");
	write_schema_raw(path, 4);
	free(path);

	reopen(f, STORE_EPHEMERAL);
	t = fx_wbegin(f);
	assert_int_equal(store_keys_meta(&k, STORE_META_SCHEMA), STORE_OK);
	assert_int_equal(store_db_get(t, STORE_DBI_META, &k, &v), STORE_OK);
	assert_int_equal(store_codec_schema_decode(v.mv_data, v.mv_size,
	                     &version),
	    STORE_OK);
	assert_int_equal(version, STORE_SCHEMA_VERSION);
	assert_int_equal(store_work_first(t, STORE_WORK_RESTORE, &got), 0);
	memset(&w, 0, sizeof w);
	w.repo_id = id;
	memcpy(w.digest, "sha256:aa", sizeof "sha256:aa");
	w.due_ms = 2000;
	assert_int_equal(store_work_put(t, STORE_WORK_RESTORE, &w), STORE_OK);
	w.due_ms = 1000;
	w.text = (char *)"[\"x\"]";
	w.len = 5;
	assert_int_equal(store_work_put(t, STORE_WORK_SIGN, &w), STORE_OK);
	w.text = NULL;
	w.len = 0;
	assert_int_equal(store_work_put(t, STORE_WORK_RESTORE, &w), STORE_OK);
	assert_int_equal(store_work_first(t, STORE_WORK_RESTORE, &got), 1);
	assert_int_equal(got.due_ms, 1000);
	assert_int_equal(got.repo_id, id);
	assert_string_equal(got.digest, "sha256:aa");
	assert_string_equal(got.text, "");
	assert_int_equal(store_work_del(t, STORE_WORK_RESTORE, &got), STORE_OK);
	store_work_release(&got);
	assert_int_equal(store_work_first(t, STORE_WORK_RESTORE, &got), 1);
	assert_int_equal(got.due_ms, 2000);
	store_work_release(&got);
	assert_int_equal(store_work_first(t, STORE_WORK_SIGN, &got), 1);
	assert_string_equal(got.text, "[\"x\"]");
	store_work_release(&got);
	assert_int_equal(store_txn_commit(t), STORE_OK);
	assert_true(has_images(f, id));
}

static void
write_file(const char *path, const void *p, size_t len)
{
	FILE *fp;

	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fwrite(p, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void
test_store_open_garbage_file_is_corrupt(void **state)
{
	static const size_t sizes[] = {5, 200, 16384};
	struct fx *f = *state;
	struct store *st = NULL;
	struct stat sb;
	size_t i, j, len;
	char *path, *garbage, *before, *cause;

	path = env_path(f);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		garbage = xmalloc(sizes[i]);
		for (j = 0; j < sizes[i]; j++)
			garbage[j] = (char)(j * 131 + 7);
		write_file(path, garbage, sizes[i]);
		free(garbage);
		before = slurp(path, &len, &sb);
		cause = NULL;
		assert_int_equal(store_open(f->dir, 0, 0, &st, &cause),
		    STORE_CORRUPT);
		assert_null(st);
		assert_non_null(cause);
		assert_non_null(strstr(cause, "not an LMDB environment"));
		free(cause);
		assert_file_unchanged(path, before, len, &sb);
		free(before);
	}
	free(path);
}

static void
test_store_open_foreign_lmdb_env_is_corrupt(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	MDB_env *env;
	MDB_txn *txn;
	MDB_val k, v;
	char *path, *cause = NULL;

	path = env_path(f);
	k.mv_data = (char[]){"hello"};
	k.mv_size = 5;
	v = k;
	assert_int_equal(mdb_env_create(&env), 0);
	assert_int_equal(mdb_env_open(env, path, MDB_NOSUBDIR, 0600), 0);
	assert_int_equal(mdb_txn_begin(env, NULL, 0, &txn), 0);
	assert_int_equal(mdb_put(txn, 1, &k, &v, 0), 0);
	assert_int_equal(mdb_txn_commit(txn), 0);
	mdb_env_close(env);

	assert_int_equal(store_open(f->dir, 0, 0, &st, &cause), STORE_CORRUPT);
	assert_null(st);
	assert_non_null(strstr(cause, "not an ecrd store"));
	free(cause);
	free(path);
}

static void
test_corrupt_repo_record_is_reported_not_crashed_on(void **state)
{
	struct fx *f = *state;
	struct store_repo r;
	struct store_key k;
	struct store_txn *t;
	uint64_t n;
	static const char junk[] = "\001\002";

	t = fx_wbegin(f);
	assert_int_equal(store_keys_repo(&k, REG_A, RGN_A, "junk"), STORE_OK);
	assert_int_equal(store_db_put(t, STORE_DBI_REPOS, &k, junk, 2, 0),
	    STORE_OK);
	assert_int_equal(store_repo_get(t, REG_A, RGN_A, "junk", &r),
	    STORE_CORRUPT);
	assert_int_equal(store_repo_foreach(t, REG_A, RGN_A, NULL, stop_cb,
	                     NULL),
	    STORE_CORRUPT);
	assert_int_equal(store_repo_delete(t, REG_A, RGN_A, "junk"),
	    STORE_CORRUPT);
	assert_int_equal(store_keys_repo_count(&k, REG_A, RGN_A), STORE_OK);
	assert_int_equal(store_db_put(t, STORE_DBI_REPO_COUNTS, &k, junk, 2, 0),
	    STORE_OK);
	assert_int_equal(store_repo_count(t, REG_A, RGN_A, &n), STORE_CORRUPT);
	store_txn_abort(t);
}

static void
test_codec_repo_round_trips(void **state)
{
	struct store_repo in, out;
	struct buf b;

	(void)state;
	repo_fill(&in, REG_A, RGN_A, "name");
	assert_int_equal(store_codec_repo_encode(&in, &b), STORE_OK);
	repo_init(&out, REG_A, RGN_A, "name");
	assert_int_equal(store_codec_repo_decode(b.data, b.len, &out),
	    STORE_OK);
	assert_repo_equal(&out, &in);
	buf_release(&b);

	repo_init(&in, REG_B, RGN_B, "minimal");
	in.kms_key[0] = '\0';
	assert_int_equal(store_codec_repo_encode(&in, &b), STORE_OK);
	repo_init(&out, REG_B, RGN_B, "minimal");
	out.n_tags = 3;
	assert_int_equal(store_codec_repo_decode(b.data, b.len, &out),
	    STORE_OK);
	assert_repo_equal(&out, &in);
	buf_release(&b);
}

/*
 * Listings decode every record into one scratch struct (issue 12): a record
 * after a larger one must come out as it was stored, nothing of the
 * larger one showing through.
 */
static void
test_codec_repo_decode_into_reuses_scratch(void **state)
{
	struct store_repo full, minimal, *scratch;
	struct buf a, b;

	(void)state;
	repo_fill(&full, REG_A, RGN_A, "name");
	repo_init(&minimal, REG_A, RGN_A, "name");
	minimal.kms_key[0] = '\0';
	assert_int_equal(store_codec_repo_encode(&full, &a), STORE_OK);
	assert_int_equal(store_codec_repo_encode(&minimal, &b), STORE_OK);
	scratch = xcalloc(1, sizeof(*scratch));
	repo_init(scratch, REG_A, RGN_A, "name");
	assert_int_equal(store_codec_repo_decode_into(a.data, a.len, scratch),
	    STORE_OK);
	assert_repo_equal(scratch, &full);
	assert_int_equal(store_codec_repo_decode_into(b.data, b.len, scratch),
	    STORE_OK);
	assert_repo_equal(scratch, &minimal);
	assert_int_equal(store_codec_repo_decode_into(a.data, a.len - 1,
	                     scratch),
	    STORE_CORRUPT);
	assert_int_equal(store_codec_repo_decode_into(a.data, a.len, scratch),
	    STORE_OK);
	assert_repo_equal(scratch, &full);
	free(scratch);
	buf_release(&a);
	buf_release(&b);
}

static void
test_codec_rejects_truncated_and_trailing(void **state)
{
	struct store_repo in, out;
	struct buf b;
	char *longer;
	size_t len;

	(void)state;
	repo_fill(&in, REG_A, RGN_A, "name");
	assert_int_equal(store_codec_repo_encode(&in, &b), STORE_OK);
	out.id = 99;
	for (len = 0; len < b.len; len++) {
		assert_int_equal(store_codec_repo_decode(b.data, len, &out),
		    STORE_CORRUPT);
		if (len < 9)
			assert_int_equal(store_codec_repo_peek_id(b.data, len,
			                     &out.id),
			    STORE_CORRUPT);
	}
	assert_int_equal(out.id, 99);
	longer = xmalloc(b.len + 1);
	memcpy(longer, b.data, b.len);
	longer[b.len] = 0;
	assert_int_equal(store_codec_repo_decode(longer, b.len + 1, &out),
	    STORE_CORRUPT);
	assert_int_equal(store_codec_repo_decode(NULL, 0, &out), STORE_CORRUPT);
	free(longer);
	buf_release(&b);
}

static void
test_codec_rejects_wrong_version_byte(void **state)
{
	static const unsigned char bad_versions[] = {0, 2, 0xff};
	struct store_repo in, out;
	struct buf b;
	uint64_t n;
	uint32_t v;
	const void *p;
	size_t i, plen;

	(void)state;
	repo_init(&in, REG_A, RGN_A, "name");
	assert_int_equal(store_codec_repo_encode(&in, &b), STORE_OK);
	assert_int_equal(b.data[0], STORE_FORMAT_V1);
	for (i = 0; i < sizeof(bad_versions); i++) {
		b.data[0] = (char)bad_versions[i];
		assert_int_equal(store_codec_repo_decode(b.data, b.len, &out),
		    STORE_CORRUPT);
		assert_int_equal(store_codec_repo_peek_id(b.data, b.len, &n),
		    STORE_CORRUPT);
	}
	buf_release(&b);

	assert_int_equal(store_codec_u64_encode(42, &b), STORE_OK);
	assert_int_equal(store_codec_u64_decode(b.data, b.len, &n), STORE_OK);
	assert_int_equal(n, 42);
	assert_int_equal(store_codec_u64_decode(b.data, b.len - 1, &n),
	    STORE_CORRUPT);
	b.data[0] = 2;
	assert_int_equal(store_codec_u64_decode(b.data, b.len, &n),
	    STORE_CORRUPT);
	buf_release(&b);

	assert_int_equal(store_codec_schema_encode(7, &b), STORE_OK);
	assert_int_equal(b.len, 5);
	assert_int_equal(store_codec_schema_decode(b.data, b.len, &v),
	    STORE_OK);
	assert_int_equal(v, 7);
	b.data[0] = 0;
	assert_int_equal(store_codec_schema_decode(b.data, b.len, &v),
	    STORE_CORRUPT);
	buf_release(&b);

	assert_int_equal(store_codec_bytes_encode("xyz", 3, &b), STORE_OK);
	assert_int_equal(store_codec_bytes_decode(b.data, b.len, &p, &plen),
	    STORE_OK);
	assert_int_equal(plen, 3);
	assert_memory_equal(p, "xyz", 3);
	b.data[0] = 3;
	assert_int_equal(store_codec_bytes_decode(b.data, b.len, &p, &plen),
	    STORE_CORRUPT);
	buf_release(&b);
}

/* Offset of the tag_mutability length in an encoded repo (SCHEMA.md). */
#define OFF_MUTABILITY 18

static void
test_codec_rejects_malformed_fields(void **state)
{
	struct store_repo in, out;
	struct buf b;
	size_t ntags_off;

	(void)state;
	repo_init(&in, REG_A, RGN_A, "name");
	in.kms_key[0] = '\0';
	assert_int_equal(store_codec_repo_encode(&in, &b), STORE_OK);
	/* version, id, created, flags, "MUTABLE", 0 filters, "AES256", "" */
	assert_int_equal(b.len, 1 + 8 + 8 + 1 + 2 + 7 + 1 + 2 + 6 + 2 + 1);
	ntags_off = b.len - 1;

	b.data[17] = 2; /* unknown flag bit */
	assert_int_equal(store_codec_repo_decode(b.data, b.len, &out),
	    STORE_CORRUPT);
	b.data[17] = 1;
	assert_int_equal(store_codec_repo_decode(b.data, b.len, &out),
	    STORE_OK);
	assert_true(out.scan_on_push);

	b.data[OFF_MUTABILITY + 2 + 3] = '\0'; /* NUL inside a string */
	assert_int_equal(store_codec_repo_decode(b.data, b.len, &out),
	    STORE_CORRUPT);
	b.data[OFF_MUTABILITY + 2 + 3] = 'A';

	b.data[ntags_off] = STORE_REPO_TAGS_MAX + 1;
	assert_int_equal(store_codec_repo_decode(b.data, b.len, &out),
	    STORE_CORRUPT);
	b.data[ntags_off] = 0;
	buf_release(&b);

	/* A string longer than its field. */
	memset(in.kms_key, 'k', STORE_KMS_KEY_MAX);
	assert_int_equal(store_codec_repo_encode(&in, &b), STORE_OK);
	b.data[b.len - 1 - STORE_KMS_KEY_MAX - 2 + 1] += 1;
	assert_int_equal(store_codec_repo_decode(b.data, b.len, &out),
	    STORE_CORRUPT);
	buf_release(&b);
}

static void
test_codec_survives_random_bytes(void **state)
{
	struct store_repo out;
	unsigned char buf[512];
	uint32_t x = 12345;
	size_t i, len;
	int round, rc;

	(void)state;
	for (round = 0; round < 2000; round++) {
		len = (size_t)round % sizeof(buf);
		for (i = 0; i < len; i++) {
			x = x * 1103515245 + 12345;
			buf[i] = x >> 16 & 0xff;
		}
		if (len > 0)
			buf[0] = STORE_FORMAT_V1;
		rc = store_codec_repo_decode(buf, len, &out);
		assert_true(rc == STORE_OK || rc == STORE_CORRUPT);
	}
}

static void
test_codec_encode_refuses_what_does_not_fit(void **state)
{
	struct store_repo in;
	struct buf b;

	(void)state;
	repo_init(&in, REG_A, RGN_A, "name");
	in.n_tags = STORE_REPO_TAGS_MAX + 1;
	assert_int_equal(store_codec_repo_encode(&in, &b), STORE_TOOBIG);
	assert_null(b.data);
	in.n_tags = 0;
	in.n_exclusion_filters = STORE_EXCLUSION_FILTERS_MAX + 1;
	assert_int_equal(store_codec_repo_encode(&in, &b), STORE_TOOBIG);
	in.n_exclusion_filters = 0;
	memset(in.tag_mutability, 'X', sizeof(in.tag_mutability));
	assert_int_equal(store_codec_repo_encode(&in, &b), STORE_TOOBIG);
	assert_null(b.data);
}

static void
test_strerror_names_every_code(void **state)
{
	int rc;

	(void)state;
	for (rc = STORE_BUSY; rc <= STORE_OK; rc++) {
		assert_non_null(store_strerror(rc));
		assert_string_not_equal(store_strerror(rc),
		    "unknown store error");
	}
	assert_string_equal(store_strerror(-100), "unknown store error");
	assert_int_equal(store_err(MDB_MAP_FULL), STORE_FULL);
	assert_int_equal(store_err(MDB_CORRUPTED), STORE_CORRUPT);
	assert_int_equal(store_err(MDB_KEYEXIST), STORE_EXISTS);
	assert_int_equal(store_err(MDB_BAD_VALSIZE), STORE_TOOBIG);
}

/*
 * Issue 11: a second open of a store that is open is STORE_LOCKED, naming
 * the directory and the holder's pid, and leaves the store as it was; once
 * it is closed, it opens. The reserve file is made.
 */
static void
test_store_open_twice_is_locked_naming_pid(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	struct stat sb;
	char *cause = NULL, *want, *path;

	assert_int_equal(store_open(f->dir, STORE_EPHEMERAL, 0, &st, &cause),
	    STORE_LOCKED);
	assert_null(st);
	want = xasprintf("%s is in use by another ecrd (pid %ld)", f->dir,
	    (long)getpid());
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	path = xasprintf("%s/reserve", f->dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_size, STORE_RESERVE_SIZE);
	assert_int_equal(store_reserve_release(f->st), STORE_OK);
	assert_int_equal(stat(path, &sb), -1);
	assert_int_equal(store_reserve_release(f->st), STORE_NOTFOUND);
	assert_int_equal(store_reserve_restore(f->st), STORE_OK);
	assert_int_equal(stat(path, &sb), 0);
	free(path);
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_open(f->dir, STORE_EPHEMERAL, 0, &f->st, NULL),
	    STORE_OK);
}

/* A map size below the minimum is refused; a small one is used as given. */
static void
test_store_open_takes_map_size(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	MDB_envinfo info;
	char *cause = NULL;

	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_open(f->dir, STORE_EPHEMERAL,
	                     STORE_MAP_SIZE_MIN - 1, &st, &cause),
	    STORE_IO);
	assert_null(st);
	assert_non_null(strstr(cause, "below the minimum"));
	free(cause);
	assert_int_equal(store_open(f->dir, STORE_EPHEMERAL, 8 << 20, &f->st,
	                     NULL),
	    STORE_OK);
	assert_int_equal(mdb_env_info(f->st->env, &info), 0);
	assert_int_equal(info.me_mapsize, 8 << 20);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
#define TE(name)                                                               \
	cmocka_unit_test_setup_teardown(name, fx_setup_empty, fx_teardown)

/* Prefixes a template walk saw, joined with ','. */
static int
template_seen(const char *prefix, const struct store_doc *doc, void *arg)
{
	struct buf *b = arg;

	assert_non_null(doc->text);
	buf_add(b, prefix, strlen(prefix));
	buf_add(b, ",", 1);
	return 0;
}

static char *
template_walk(struct store_txn *t, const char *reg,
    enum store_template_kind kind, const char *after)
{
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(store_template_foreach(t, reg, RGN_A, kind, after,
	                     template_seen, &b),
	    STORE_OK);
	buf_add(&b, "", 1);
	return (char *)b.data;
}

static void
test_templates_create_update_walk_delete_reset(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	struct store_doc d, got;
	char *seen, long_prefix[STORE_TEMPLATE_PREFIX_MAX + 2];

	memset(&d, 0, sizeof(d));
	d.text = "{}";
	d.len = 2;
	d.at_ms = 1000;
	d.aux_ms = 1000;
	t = fx_wbegin(f);
	assert_int_equal(store_template_create(t, REG_A, RGN_A,
	                     STORE_TEMPLATE_CREATION, "prod", &d),
	    STORE_OK);
	assert_int_equal(store_template_create(t, REG_A, RGN_A,
	                     STORE_TEMPLATE_CREATION, "prod", &d),
	    STORE_EXISTS);
	assert_int_equal(store_template_create(t, REG_A, RGN_A,
	                     STORE_TEMPLATE_CREATION, "ROOT", &d),
	    STORE_OK);
	assert_int_equal(store_template_create(t, REG_A, RGN_A,
	                     STORE_TEMPLATE_PTC_RULE, "quay", &d),
	    STORE_OK);
	assert_int_equal(store_template_create(t, REG_B, RGN_A,
	                     STORE_TEMPLATE_CREATION, "other", &d),
	    STORE_OK);
	assert_int_equal(store_template_update(t, REG_A, RGN_A,
	                     STORE_TEMPLATE_CREATION, "nope", &d),
	    STORE_NOTFOUND);
	d.aux_ms = 2000;
	assert_int_equal(store_template_update(t, REG_A, RGN_A,
	                     STORE_TEMPLATE_CREATION, "prod", &d),
	    STORE_OK);
	memset(long_prefix, 'a', sizeof(long_prefix) - 1);
	long_prefix[sizeof(long_prefix) - 1] = '\0';
	assert_int_equal(store_template_create(t, REG_A, RGN_A,
	                     STORE_TEMPLATE_CREATION, long_prefix, &d),
	    STORE_TOOBIG);
	assert_int_equal(store_txn_commit(t), STORE_OK);

	t = fx_rbegin(f);
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_template_get(t, REG_A, RGN_A,
	                     STORE_TEMPLATE_CREATION, "prod", &got),
	    STORE_OK);
	assert_int_equal(got.at_ms, 1000);
	assert_int_equal(got.aux_ms, 2000);
	store_doc_release(&got);
	/* Each kind and registry walks alone, in byte order. */
	seen = template_walk(t, REG_A, STORE_TEMPLATE_CREATION, NULL);
	assert_string_equal(seen, "ROOT,prod,");
	free(seen);
	seen = template_walk(t, REG_A, STORE_TEMPLATE_CREATION, "ROOT");
	assert_string_equal(seen, "prod,");
	free(seen);
	seen = template_walk(t, REG_A, STORE_TEMPLATE_PTC_RULE, NULL);
	assert_string_equal(seen, "quay,");
	free(seen);
	store_txn_abort(t);

	t = fx_wbegin(f);
	assert_int_equal(store_template_delete(t, REG_A, RGN_A,
	                     STORE_TEMPLATE_CREATION, "prod"),
	    STORE_OK);
	assert_int_equal(store_template_delete(t, REG_A, RGN_A,
	                     STORE_TEMPLATE_CREATION, "prod"),
	    STORE_NOTFOUND);
	assert_int_equal(store_reset(t), STORE_OK);
	assert_int_equal(store_template_get(t, REG_A, RGN_A,
	                     STORE_TEMPLATE_PTC_RULE, "quay", &got),
	    STORE_NOTFOUND);
	assert_int_equal(store_txn_commit(t), STORE_OK);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_repo_create_get_update_delete),
	    T(test_store_open_twice_is_locked_naming_pid),
	    T(test_store_open_takes_map_size),
	    T(test_repo_get_missing_leaves_out_untouched),
	    T(test_repo_create_existing_name_returns_exists),
	    T(test_repo_same_name_in_other_region_or_registry_is_distinct),
	    T(test_repo_update_requires_existing_repo_with_same_id),
	    T(test_repo_ids_are_never_reused),
	    T(test_repo_foreach_pages_in_byte_order_from_after),
	    T(test_repo_foreach_never_leaks_other_partitions),
	    T(test_repo_foreach_stops_on_callback_result),
	    T(test_repo_count_tracks_create_delete_reset),
	    T(test_repo_name_of_256_bytes_works_and_257_is_toobig),
	    T(test_repo_delete_removes_child_images),
	    T(test_write_in_read_txn_is_refused),
	    T(test_data_survives_close_and_reopen),
	    T(test_nested_child_abort_discards_only_child),
	    T(test_nested_children_persist_only_when_parent_commits),
	    T(test_read_txn_sees_only_committed_data),
	    T(test_server_key_is_created_once_and_survives_reopen),
	    T(test_reset_empties_repos_but_keeps_key_and_schema),
	    T(test_templates_create_update_walk_delete_reset),
	    TE(test_store_open_missing_dir_is_io_with_cause),
	    T(test_store_refuses_newer_schema_and_leaves_file_untouched),
	    T(test_store_upgrades_version_1_to_2),
	    T(test_store_upgrades_version_2_uploads_to_3),
	    T(test_store_upgrades_version_3_to_4),
	    T(test_store_upgrades_version_4_to_5),
	    T(test_store_upgrades_version_4_to_5_work),
	    T(test_store_upgrades_version_5_to_6_blob_bytes),
	    TE(test_store_open_garbage_file_is_corrupt),
	    TE(test_store_open_foreign_lmdb_env_is_corrupt),
	    T(test_corrupt_repo_record_is_reported_not_crashed_on),
	    cmocka_unit_test(test_codec_repo_round_trips),
	    cmocka_unit_test(test_codec_repo_decode_into_reuses_scratch),
	    cmocka_unit_test(test_codec_rejects_truncated_and_trailing),
	    cmocka_unit_test(test_codec_rejects_wrong_version_byte),
	    cmocka_unit_test(test_codec_rejects_malformed_fields),
	    cmocka_unit_test(test_codec_survives_random_bytes),
	    cmocka_unit_test(test_codec_encode_refuses_what_does_not_fit),
	    cmocka_unit_test(test_strerror_names_every_code),

	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
