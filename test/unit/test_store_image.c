/*
 * Unit tests for store/ images: image records and manifests, tags, the
 * counts of refs, parents and referrers, layers and blobs, uploads, blob
 * and upload files, the GC, and their codecs. Each test runs in a fresh
 * mkdtemp directory that it removes.
 */
#include <fcntl.h>
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

#define REG "111111111111"
#define RGN "us-east-1"

/* Times: layers and uploads "old" and "new" against a cutoff of CUT. */
#define T_OLD 1000
#define T_CUT 2000
#define T_NEW 5000

/* Digests collected by an image walk. */
#define SEEN_MAX 16
struct seen {
	char digests[SEEN_MAX][STORE_DIGEST_MAX + 1];
	size_t n;
	size_t max; /* stop after this many; 0: never */
};

static void
commit(struct store_txn *t)
{
	assert_int_equal(store_txn_commit(t), STORE_OK);
}

/* The well-formed sha256 digest numbered n, in a buffer of 72 bytes. */
static char *
dg(char *buf, unsigned n)
{
	snprintf(buf, STORE_DIGEST_MAX + 1, "sha256:%064x", n);
	return buf;
}

/* dg() into one of a few rotating buffers, for use in arguments. */
static const char *
D(unsigned n)
{
	static char bufs[8][STORE_DIGEST_MAX + 1];
	static size_t next;

	return dg(bufs[next++ % 8], n);
}

static uint64_t
repo(struct fx *f, const char *name)
{
	struct store_repo r;
	struct store_txn *t;

	memset(&r, 0, sizeof(r));
	str_copy(r.registry_id, sizeof(r.registry_id), REG);
	str_copy(r.region, sizeof(r.region), RGN);
	str_copy(r.name, sizeof(r.name), name);
	str_copy(r.tag_mutability, sizeof(r.tag_mutability), "MUTABLE");
	t = fx_wbegin(f);
	assert_int_equal(store_repo_create(t, &r), STORE_OK);
	commit(t);
	return r.id;
}

static void
repo_delete(struct fx *f, const char *name)
{
	struct store_txn *t;

	t = fx_wbegin(f);
	assert_int_equal(store_repo_delete(t, REG, RGN, name), STORE_OK);
	commit(t);
}

static void
layer_init(struct store_layer *l, uint64_t repo_id, unsigned n,
    int64_t created_at_ms)
{
	memset(l, 0, sizeof(*l));
	l->repo_id = repo_id;
	dg(l->digest, n);
	l->size = 1000 + n;
	l->created_at_ms = created_at_ms;
}

/* Add layer n to a repository, in its own txn. */
static void
layer(struct fx *f, uint64_t repo_id, unsigned n, int64_t created_at_ms)
{
	struct store_layer l;
	struct store_txn *t;

	layer_init(&l, repo_id, n, created_at_ms);
	t = fx_wbegin(f);
	assert_int_equal(store_layer_add(t, &l), STORE_OK);
	commit(t);
}

static uint64_t
layer_refs(struct fx *f, uint64_t repo_id, unsigned n)
{
	struct store_layer l;
	struct store_txn *t;

	t = fx_rbegin(f);
	assert_int_equal(store_layer_get(t, repo_id, D(n), &l), STORE_OK);
	store_txn_abort(t);
	return l.refs;
}

static int
layer_get(struct fx *f, uint64_t repo_id, unsigned n)
{
	struct store_layer l;
	struct store_txn *t;
	int rc;

	t = fx_rbegin(f);
	rc = store_layer_get(t, repo_id, D(n), &l);
	store_txn_abort(t);
	return rc;
}

/* Users of blob n, or -1 if it has no record. */
static int64_t
blob_users(struct fx *f, unsigned n)
{
	struct store_blob b;
	struct store_txn *t;
	int rc;

	t = fx_rbegin(f);
	rc = store_blob_get(t, D(n), &b);
	store_txn_abort(t);
	if (rc == STORE_NOTFOUND)
		return -1;
	assert_int_equal(rc, STORE_OK);
	assert_string_equal(b.digest, D(n));
	return (int64_t)b.users;
}

/* An image record of repo_id numbered n with refs numbered refs[]. */
static void
image_init(struct store_image *img, uint64_t repo_id, unsigned n, uint8_t kind,
    const unsigned *refs, size_t n_refs)
{
	size_t i;

	memset(img, 0, sizeof(*img));
	img->repo_id = repo_id;
	dg(img->digest, n);
	img->kind = kind;
	img->pushed_at_ms = 1700000000000 + n;
	img->size = 4242;
	str_copy(img->manifest_media_type, sizeof(img->manifest_media_type),
	    kind == STORE_IMAGE_INDEX
	        ? "application/vnd.oci.image.index.v1+json"
	        : "application/vnd.oci.image.manifest.v1+json");
	for (i = 0; i < n_refs; i++)
		store_image_add_ref(img, D(refs[i]));
}

/* Create an image in its own txn; returns store_image_create's code. */
static int
image_create(struct fx *f, uint64_t repo_id, unsigned n, uint8_t kind,
    const unsigned *refs, size_t n_refs, int subject)
{
	struct store_image img;
	struct store_txn *t;
	char *manifest;
	int rc;

	image_init(&img, repo_id, n, kind, refs, n_refs);
	if (subject != 0)
		dg(img.subject_digest, (unsigned)subject);
	manifest = xasprintf("{\"n\":%u}", n);
	t = fx_wbegin(f);
	rc = store_image_create(t, &img, manifest, strlen(manifest));
	if (rc == STORE_OK)
		commit(t);
	else
		store_txn_abort(t);
	free(manifest);
	store_image_release(&img);
	return rc;
}

static int
image_get(struct fx *f, uint64_t repo_id, unsigned n, struct store_image *out)
{
	struct store_txn *t;
	int rc;

	t = fx_rbegin(f);
	rc = store_image_get(t, repo_id, D(n), out);
	store_txn_abort(t);
	return rc;
}

static int
image_delete(struct fx *f, uint64_t repo_id, unsigned n)
{
	struct store_txn *t;
	int rc;

	t = fx_wbegin(f);
	rc = store_image_delete(t, repo_id, D(n));
	if (rc == STORE_OK)
		commit(t);
	else
		store_txn_abort(t);
	return rc;
}

static uint64_t
image_count(struct fx *f, uint64_t repo_id)
{
	struct store_txn *t;
	uint64_t n = 99;

	t = fx_rbegin(f);
	assert_int_equal(store_image_count(t, repo_id, &n), STORE_OK);
	store_txn_abort(t);
	return n;
}

static bool
has_parent(struct fx *f, uint64_t repo_id, unsigned n)
{
	struct store_txn *t;
	bool b = false;

	t = fx_rbegin(f);
	assert_int_equal(store_image_has_parent(t, repo_id, D(n), &b),
	    STORE_OK);
	store_txn_abort(t);
	return b;
}

static int
tag_set(struct fx *f, uint64_t repo_id, const char *tag, unsigned n, char *old)
{
	struct store_txn *t;
	int rc;

	t = fx_wbegin(f);
	rc = store_tag_set(t, repo_id, tag, D(n), old);
	if (rc == STORE_OK)
		commit(t);
	else
		store_txn_abort(t);
	return rc;
}

static int
tag_get(struct fx *f, uint64_t repo_id, const char *tag, char *digest)
{
	struct store_txn *t;
	int rc;

	t = fx_rbegin(f);
	rc = store_tag_get(t, repo_id, tag, digest);
	store_txn_abort(t);
	return rc;
}

/* Assert that image n of repo_id has exactly the tags given. */
static void
assert_tags(struct fx *f, uint64_t repo_id, unsigned n, const char *const *tags,
    size_t n_tags)
{
	struct store_image img;
	char digest[STORE_DIGEST_MAX + 1];
	size_t i;

	assert_int_equal(image_get(f, repo_id, n, &img), STORE_OK);
	assert_int_equal(img.n_tags, n_tags);
	for (i = 0; i < n_tags; i++) {
		assert_string_equal(img.tags[i], tags[i]);
		assert_int_equal(tag_get(f, repo_id, tags[i], digest),
		    STORE_OK);
		assert_string_equal(digest, D(n));
	}
	store_image_release(&img);
}

static int
seen_cb(const struct store_image *img, void *arg)
{
	struct seen *s = arg;

	assert_true(s->n < SEEN_MAX);
	str_copy(s->digests[s->n++], sizeof(s->digests[0]), img->digest);
	return s->max != 0 && s->n == s->max ? 1 : 0;
}

static size_t
walk_images(struct fx *f, uint64_t repo_id, const char *after, size_t max,
    struct seen *s)
{
	struct store_txn *t;

	memset(s, 0, sizeof(*s));
	s->max = max;
	t = fx_rbegin(f);
	assert_int_equal(store_image_foreach(t, repo_id, after, seen_cb, s),
	    STORE_OK);
	store_txn_abort(t);
	return s->n;
}

static size_t
walk_referrers(struct fx *f, uint64_t repo_id, unsigned subject, struct seen *s)
{
	struct store_txn *t;

	memset(s, 0, sizeof(*s));
	t = fx_rbegin(f);
	assert_int_equal(store_referrer_foreach(t, repo_id, D(subject), seen_cb,
	                     s),
	    STORE_OK);
	store_txn_abort(t);
	return s->n;
}

/* Assert that s holds the digests numbered want[], in that order. */
static void
assert_seen(const struct seen *s, const unsigned *want, size_t n)
{
	size_t i;

	assert_int_equal(s->n, n);
	for (i = 0; i < n; i++)
		assert_string_equal(s->digests[i], D(want[i]));
}

static char *
path_in(struct fx *f, const char *rel)
{
	return xasprintf("%s/%s", f->dir, rel);
}

static bool
file_exists(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0;
}

/* Read a whole small file into buf (NUL-terminated); return its length. */
static size_t
read_small(const char *path, char *buf, size_t size)
{
	FILE *fp;
	size_t n;

	assert_non_null(fp = fopen(path, "rb"));
	n = fread(buf, 1, size - 1, fp);
	fclose(fp);
	buf[n] = '\0';
	return n;
}

static void
write_small(const char *path, const char *s)
{
	FILE *fp;

	assert_non_null(fp = fopen(path, "wb"));
	assert_int_equal(fputs(s, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

/* The GC's file work after a collect: the listed files, then the sweep. */
static int
gc_files(struct store *st, const struct store_gc_list *l, int64_t cut_ms)
{
	int rc, rc1;

	rc = store_gc_files_listed(st, l);
	rc1 = store_gc_files_sweep(st, cut_ms);
	return rc != STORE_OK ? rc : rc1;
}

/* Set a file's times to a fixed point long before T_FILE_CUT. */
#define T_FILE_OLD_SEC 1000000000   /* 2001 */
#define T_FILE_CUT_MS 1500000000000 /* 2017: files made now are newer */

static void
age(const char *path)
{
	struct timespec ts[2];

	ts[0].tv_sec = ts[1].tv_sec = T_FILE_OLD_SEC;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

/* Write a blob file for digest n through an upload, as the API does. */
static char *
blob_file(struct fx *f, unsigned n, const char *content)
{
	char id[32], path[512];

	snprintf(id, sizeof(id), "blob-%u", n);
	assert_int_equal(store_upload_file_create(f->st, id), STORE_OK);
	assert_int_equal(store_upload_file_write(f->st, id, 0, content,
	                     strlen(content)),
	    STORE_OK);
	assert_int_equal(store_upload_file_finish(f->st, id, strlen(content),
	                     D(n)),
	    STORE_OK);
	assert_int_equal(store_blob_path(f->st, D(n), path, sizeof(path)),
	    STORE_OK);
	assert_true(file_exists(path));
	return xstrdup(path);
}

static void
gc(struct fx *f, int64_t layer_before, int64_t upload_before, size_t max,
    struct store_gc_list *l)
{
	struct store_txn *t;

	t = fx_wbegin(f);
	assert_int_equal(store_gc_collect(t, layer_before, upload_before, max,
	                     l),
	    STORE_OK);
	commit(t);
}

static void
upload_init(struct store_upload *u, const char *id, uint64_t repo_id,
    int64_t updated_at_ms)
{
	memset(u, 0, sizeof(*u));
	str_copy(u->id, sizeof(u->id), id);
	u->repo_id = repo_id;
	u->created_at_ms = updated_at_ms - 10;
	u->updated_at_ms = updated_at_ms;
	u->received = 12345;
	u->n_parts = 3;
	u->min_part = 5 << 20;
	u->last_part = 77;
}

/*
 * Format 1 (schema 2) ended in a u16 length and that many bytes of
 * OpenSSL's SHA256_CTX: the decoder reads past them (issue 12), refuses a
 * length over 256 or bytes missing, and the encoder writes format 2, 53
 * bytes, with no state.
 */
static void
upload_codec_reads_format_1(const struct store_upload *u)
{
	struct store_upload uo;
	struct buf b;
	unsigned char v1[53 + 2 + 256];
	size_t len;

	assert_int_equal(store_codec_upload_encode(u, &b), STORE_OK);
	assert_int_equal(b.len, 53);
	assert_int_equal(b.data[0], 0x02);
	memcpy(v1, b.data, b.len);
	buf_release(&b);
	v1[0] = 0x01;
	memset(v1 + 55, 0xa5, 256);
	for (len = 0; len <= 256; len += 112) {
		v1[53] = (unsigned char)(len >> 8);
		v1[54] = (unsigned char)len;
		memset(&uo, 0, sizeof(uo));
		str_copy(uo.id, sizeof(uo.id), u->id);
		assert_int_equal(store_codec_upload_decode(v1, 55 + len, &uo),
		    STORE_OK);
		assert_memory_equal(&uo, u, sizeof(*u));
		if (len > 0)
			assert_int_equal(store_codec_upload_decode(v1,
			                     55 + len - 1, &uo),
			    STORE_CORRUPT);
		assert_int_equal(store_codec_upload_decode(v1, 53, &uo),
		    STORE_CORRUPT);
	}
	v1[53] = 0x01;
	v1[54] = 0x01; /* 257 > 256 */
	assert_int_equal(store_codec_upload_decode(v1, sizeof(v1), &uo),
	    STORE_CORRUPT);
}

static void
upload_create(struct fx *f, const char *id, uint64_t repo_id,
    int64_t updated_at_ms)
{
	struct store_upload u;
	struct store_txn *t;

	upload_init(&u, id, repo_id, updated_at_ms);
	t = fx_wbegin(f);
	assert_int_equal(store_upload_create(t, &u), STORE_OK);
	commit(t);
}

static int
upload_get(struct fx *f, const char *id, struct store_upload *out)
{
	struct store_txn *t;
	int rc;

	t = fx_rbegin(f);
	rc = store_upload_get(t, id, out);
	store_txn_abort(t);
	return rc;
}

static void
test_image_create_get_update_delete_round_trip(void **state)
{
	static const unsigned refs[] = {11, 12};
	struct fx *f = *state;
	struct store_image img, got;
	struct store_txn *t;
	uint64_t r;
	size_t len;
	char *m;

	r = repo(f, "app");
	layer(f, r, 11, T_NEW);
	layer(f, r, 12, T_NEW);
	image_init(&img, r, 1, STORE_IMAGE_MANIFEST, refs, 2);
	img.status = STORE_IMAGE_ARCHIVED;
	img.last_pulled_at_ms = -5;
	img.archived_at_ms = 77;
	img.activated_at_ms = 88;
	img.manifest_len = 999; /* ignored */
	str_copy(img.artifact_media_type, sizeof(img.artifact_media_type),
	    "application/vnd.example+json");
	t = fx_wbegin(f);
	assert_int_equal(store_image_create(t, &img, "{\"a\":1}\n", 8),
	    STORE_OK);
	commit(t);

	assert_int_equal(image_get(f, r, 1, &got), STORE_OK);
	assert_int_equal(got.repo_id, r);
	assert_string_equal(got.digest, D(1));
	assert_int_equal(got.kind, STORE_IMAGE_MANIFEST);
	assert_int_equal(got.status, STORE_IMAGE_ARCHIVED);
	assert_true(got.pushed_at_ms == img.pushed_at_ms);
	assert_true(got.last_pulled_at_ms == -5);
	assert_true(got.archived_at_ms == 77);
	assert_true(got.activated_at_ms == 88);
	assert_int_equal(got.size, 4242);
	assert_int_equal(got.manifest_len, 8);
	assert_string_equal(got.manifest_media_type, img.manifest_media_type);
	assert_string_equal(got.artifact_media_type, img.artifact_media_type);
	assert_string_equal(got.subject_digest, "");
	assert_int_equal(got.n_tags, 0);
	assert_null(got.tags);
	assert_int_equal(got.n_refs, 2);
	assert_string_equal(got.refs[0], D(11));
	assert_string_equal(got.refs[1], D(12));
	store_image_release(&got);
	assert_int_equal(got.n_refs, 0);
	assert_null(got.refs);

	t = fx_rbegin(f);
	assert_int_equal(store_manifest_get(t, r, D(1), &m, &len), STORE_OK);
	assert_int_equal(len, 8);
	assert_string_equal(m, "{\"a\":1}\n");
	free(m);
	store_txn_abort(t);

	/* Update: the mutable fields only. */
	img.status = STORE_IMAGE_ACTIVE;
	img.pushed_at_ms = 1;
	img.last_pulled_at_ms = 1234;
	img.archived_at_ms = 0;
	img.activated_at_ms = 4321;
	img.size = 1;
	t = fx_wbegin(f);
	assert_int_equal(store_image_update(t, &img), STORE_OK);
	commit(t);
	assert_int_equal(image_get(f, r, 1, &got), STORE_OK);
	assert_int_equal(got.status, STORE_IMAGE_ACTIVE);
	assert_true(got.pushed_at_ms == 1700000000001);
	assert_true(got.last_pulled_at_ms == 1234);
	assert_true(got.archived_at_ms == 0);
	assert_true(got.activated_at_ms == 4321);
	assert_int_equal(got.size, 4242);
	assert_int_equal(got.n_refs, 2);
	store_image_release(&got);
	img.status = 3;
	t = fx_wbegin(f);
	assert_int_equal(store_image_update(t, &img), STORE_TOOBIG);
	dg(img.digest, 2);
	img.status = 0;
	assert_int_equal(store_image_update(t, &img), STORE_NOTFOUND);
	store_txn_abort(t);
	store_image_release(&img);

	assert_int_equal(image_delete(f, r, 1), STORE_OK);
	assert_int_equal(image_get(f, r, 1, &got), STORE_NOTFOUND);
	assert_int_equal(image_delete(f, r, 1), STORE_NOTFOUND);
	t = fx_rbegin(f);
	m = NULL;
	assert_int_equal(store_manifest_get(t, r, D(1), &m, &len),
	    STORE_NOTFOUND);
	assert_null(m);
	store_txn_abort(t);
	assert_int_equal(image_count(f, r), 0);
}

static void
test_image_create_existing_digest_is_exists(void **state)
{
	static const unsigned refs[] = {11};
	struct fx *f = *state;
	uint64_t r, other;

	r = repo(f, "app");
	other = repo(f, "other");
	layer(f, r, 11, T_NEW);
	layer(f, other, 11, T_NEW);
	assert_int_equal(image_create(f, r, 1, STORE_IMAGE_MANIFEST, refs, 1,
	                     0),
	    STORE_OK);
	assert_int_equal(image_create(f, r, 1, STORE_IMAGE_MANIFEST, refs, 1,
	                     0),
	    STORE_EXISTS);
	assert_int_equal(layer_refs(f, r, 11), 1);
	assert_int_equal(image_count(f, r), 1);
	/* The same digest in another repository is another image. */
	assert_int_equal(image_create(f, other, 1, STORE_IMAGE_MANIFEST, refs,
	                     1, 0),
	    STORE_OK);
	assert_int_equal(layer_refs(f, other, 11), 1);
	assert_int_equal(layer_refs(f, r, 11), 1);
	assert_int_equal(blob_users(f, 11), 2);
}

static void
test_image_create_refuses_bad_input_writing_nothing(void **state)
{
	static const unsigned refs[] = {11, 12};
	static const unsigned children[] = {1, 2};
	struct fx *f = *state;
	struct store_image img;
	struct store_txn *t;
	uint64_t r;
	char *big;
	size_t i;

	r = repo(f, "app");
	layer(f, r, 11, T_NEW);
	/* Layer 12 is missing, and so are the children of an index. */
	assert_int_equal(image_create(f, r, 1, STORE_IMAGE_MANIFEST, refs, 2,
	                     0),
	    STORE_NOTFOUND);
	assert_int_equal(image_create(f, r, 3, STORE_IMAGE_INDEX, children, 2,
	                     0),
	    STORE_NOTFOUND);
	assert_int_equal(image_create(f, r + 100, 1, STORE_IMAGE_MANIFEST, refs,
	                     1, 0),
	    STORE_NOTFOUND);

	image_init(&img, r, 1, STORE_IMAGE_MANIFEST, refs, 2);
	big = xcalloc(1, STORE_MANIFEST_MAX + 1);
	t = fx_wbegin(f);
	/* Each failure leaves the txn usable and unchanged. */
	assert_int_equal(store_image_create(t, &img, "{}", 2), STORE_NOTFOUND);
	img.n_refs = 1;
	assert_int_equal(store_image_create(t, &img, big,
	                     STORE_MANIFEST_MAX + 1),
	    STORE_TOOBIG);
	img.kind = 7;
	assert_int_equal(store_image_create(t, &img, "{}", 2), STORE_TOOBIG);
	img.kind = STORE_IMAGE_MANIFEST;
	memset(img.manifest_media_type, 'x', sizeof(img.manifest_media_type));
	assert_int_equal(store_image_create(t, &img, "{}", 2), STORE_TOOBIG);
	img.manifest_media_type[0] = '\0';
	memset(img.subject_digest, 's', STORE_DIGEST_MAX);
	memset(img.digest, 'd', STORE_DIGEST_MAX);
	assert_int_equal(store_image_create(t, &img, "{}", 2), STORE_TOOBIG);
	dg(img.digest, 1);
	img.subject_digest[0] = '\0';
	store_image_add_tag(&img, "latest");
	assert_int_equal(store_image_create(t, &img, "{}", 2), STORE_IO);
	assert_int_equal(layer_refs(f, r, 11), 0);
	assert_int_equal(store_tag_get(t, r, "latest", big), STORE_NOTFOUND);
	img.n_refs = 2;
	store_image_release(&img);
	image_init(&img, r, 1, STORE_IMAGE_MANIFEST, NULL, 0);
	for (i = 0; i <= STORE_IMAGE_REFS_MAX; i++)
		store_image_add_ref(&img, D(11));
	assert_int_equal(store_image_create(t, &img, "{}", 2), STORE_TOOBIG);
	store_image_release(&img);

	/* A manifest of exactly the limit is fine (overflow pages). */
	image_init(&img, r, 1, STORE_IMAGE_MANIFEST, refs, 1);
	memset(big, 'm', STORE_MANIFEST_MAX);
	assert_int_equal(store_image_create(t, &img, big, STORE_MANIFEST_MAX),
	    STORE_OK);
	commit(t);
	store_image_release(&img);
	free(big);
	assert_int_equal(layer_refs(f, r, 11), 1);
	assert_int_equal(image_count(f, r), 1);
	t = fx_rbegin(f);
	big = NULL;
	assert_int_equal(store_manifest_get(t, r, D(1), &big, &i), STORE_OK);
	assert_int_equal(i, STORE_MANIFEST_MAX);
	assert_int_equal(big[0], 'm');
	assert_int_equal(big[i - 1], 'm');
	assert_int_equal(big[i], '\0');
	free(big);
	store_txn_abort(t);
}

static void
test_image_foreach_pages_in_digest_order(void **state)
{
	static const unsigned order[] = {9, 3, 7, 1, 5, 2, 8};
	static const unsigned all[] = {1, 2, 3, 5, 7, 8, 9};
	struct fx *f = *state;
	struct seen s;
	uint64_t a, b;
	size_t i;

	a = repo(f, "a");
	b = repo(f, "b");
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		assert_int_equal(image_create(f, a, order[i],
		                     STORE_IMAGE_MANIFEST, NULL, 0, 0),
		    STORE_OK);
	assert_int_equal(image_create(f, b, 4, STORE_IMAGE_MANIFEST, NULL, 0,
	                     0),
	    STORE_OK);
	assert_int_equal(image_create(f, b, 6, STORE_IMAGE_MANIFEST, NULL, 0,
	                     0),
	    STORE_OK);

	walk_images(f, a, NULL, 0, &s);
	assert_seen(&s, all, 7);
	walk_images(f, a, NULL, 3, &s);
	assert_seen(&s, all, 3);
	walk_images(f, a, D(3), 3, &s);
	assert_seen(&s, all + 3, 3);
	walk_images(f, a, D(8), 3, &s);
	assert_seen(&s, all + 6, 1);
	assert_int_equal(walk_images(f, a, D(9), 0, &s), 0);
	/* An after digest that is not an image starts at the next one. */
	walk_images(f, a, D(4), 2, &s);
	assert_seen(&s, all + 3, 2);
	assert_int_equal(walk_images(f, b, NULL, 0, &s), 2);
	assert_int_equal(walk_images(f, repo(f, "c"), NULL, 0, &s), 0);
	assert_int_equal(image_count(f, a), 7);
	assert_int_equal(image_count(f, b), 2);
}

static int
fail_cb(const struct store_image *img, void *arg)
{
	(void)img;
	(void)arg;
	return -42;
}

static void
test_image_foreach_returns_callback_code(void **state)
{
	struct fx *f = *state;
	struct store_txn *t;
	uint64_t r;

	r = repo(f, "a");
	assert_int_equal(image_create(f, r, 1, STORE_IMAGE_MANIFEST, NULL, 0,
	                     0),
	    STORE_OK);
	t = fx_rbegin(f);
	assert_int_equal(store_image_foreach(t, r, NULL, fail_cb, NULL), -42);
	store_txn_abort(t);
}

static void
test_tag_set_moves_tag_and_leaves_old_image_untagged(void **state)
{
	static const char *const latest[] = {"latest"};
	static const char *const both[] = {"latest", "v1"};
	static const char *const v1[] = {"v1"};
	struct fx *f = *state;
	uint64_t r;
	char old[STORE_DIGEST_MAX + 1];
	char tag[STORE_IMAGE_TAG_MAX + 2];
	struct store_txn *t;

	r = repo(f, "app");
	assert_int_equal(image_create(f, r, 1, STORE_IMAGE_MANIFEST, NULL, 0,
	                     0),
	    STORE_OK);
	assert_int_equal(image_create(f, r, 2, STORE_IMAGE_MANIFEST, NULL, 0,
	                     0),
	    STORE_OK);
	memset(old, 'x', 8);
	assert_int_equal(tag_set(f, r, "latest", 1, old), STORE_OK);
	assert_string_equal(old, "");
	assert_tags(f, r, 1, latest, 1);

	assert_int_equal(tag_set(f, r, "latest", 2, old), STORE_OK);
	assert_string_equal(old, D(1));
	assert_tags(f, r, 1, NULL, 0);
	assert_tags(f, r, 2, latest, 1);
	assert_int_equal(image_count(f, r), 2);

	old[0] = 'x';
	assert_int_equal(tag_set(f, r, "latest", 2, old), STORE_EXISTS);
	assert_int_equal(old[0], 'x');
	assert_int_equal(tag_set(f, r, "v1", 2, NULL), STORE_OK);
	assert_tags(f, r, 2, both, 2);
	assert_int_equal(tag_set(f, r, "v1", 3, NULL), STORE_NOTFOUND);

	t = fx_wbegin(f);
	assert_int_equal(store_tag_delete(t, r, "latest", old), STORE_OK);
	assert_string_equal(old, D(2));
	assert_int_equal(store_tag_delete(t, r, "latest", old), STORE_NOTFOUND);
	commit(t);
	assert_tags(f, r, 2, v1, 1);
	assert_int_equal(tag_get(f, r, "latest", old), STORE_NOTFOUND);

	/* 300 bytes is the longest tag. */
	memset(tag, 't', STORE_IMAGE_TAG_MAX);
	tag[STORE_IMAGE_TAG_MAX] = '\0';
	assert_int_equal(tag_set(f, r, tag, 1, NULL), STORE_OK);
	assert_int_equal(tag_get(f, r, tag, old), STORE_OK);
	assert_string_equal(old, D(1));
	tag[STORE_IMAGE_TAG_MAX] = 't';
	tag[STORE_IMAGE_TAG_MAX + 1] = '\0';
	assert_int_equal(tag_set(f, r, tag, 1, NULL), STORE_TOOBIG);
	/* Tags are per repository. */
	assert_int_equal(tag_get(f, repo(f, "other"), "v1", old),
	    STORE_NOTFOUND);
}

static void
test_tag_limit_is_1000_per_image(void **state)
{
	struct fx *f = *state;
	struct store_image img;
	struct store_txn *t;
	uint64_t r;
	char tag[32], digest[STORE_DIGEST_MAX + 1];
	int i;

	r = repo(f, "app");
	assert_int_equal(image_create(f, r, 1, STORE_IMAGE_MANIFEST, NULL, 0,
	                     0),
	    STORE_OK);
	assert_int_equal(image_create(f, r, 2, STORE_IMAGE_MANIFEST, NULL, 0,
	                     0),
	    STORE_OK);
	t = fx_wbegin(f);
	for (i = 0; i < STORE_IMAGE_TAGS_MAX; i++) {
		snprintf(tag, sizeof(tag), "t%04d", i);
		assert_int_equal(store_tag_set(t, r, tag, D(1), NULL),
		    STORE_OK);
	}
	assert_int_equal(store_tag_set(t, r, "one-more", D(1), NULL),
	    STORE_TOOBIG);
	assert_int_equal(store_tag_get(t, r, "one-more", digest),
	    STORE_NOTFOUND);
	/* Moving one tag away makes room. */
	assert_int_equal(store_tag_set(t, r, "t0500", D(2), NULL), STORE_OK);
	assert_int_equal(store_tag_set(t, r, "one-more", D(1), NULL), STORE_OK);
	commit(t);
	assert_int_equal(image_get(f, r, 1, &img), STORE_OK);
	assert_int_equal(img.n_tags, STORE_IMAGE_TAGS_MAX);
	assert_string_equal(img.tags[0], "t0000");
	assert_string_equal(img.tags[500], "t0501");
	assert_string_equal(img.tags[STORE_IMAGE_TAGS_MAX - 1], "one-more");
	store_image_release(&img);
}

static void
test_image_delete_removes_its_tags(void **state)
{
	struct fx *f = *state;
	uint64_t r;
	char digest[STORE_DIGEST_MAX + 1];

	r = repo(f, "app");
	assert_int_equal(image_create(f, r, 1, STORE_IMAGE_MANIFEST, NULL, 0,
	                     0),
	    STORE_OK);
	assert_int_equal(tag_set(f, r, "a", 1, NULL), STORE_OK);
	assert_int_equal(tag_set(f, r, "b", 1, NULL), STORE_OK);
	assert_int_equal(image_delete(f, r, 1), STORE_OK);
	assert_int_equal(tag_get(f, r, "a", digest), STORE_NOTFOUND);
	assert_int_equal(tag_get(f, r, "b", digest), STORE_NOTFOUND);
	/* The tags are free for a new image. */
	assert_int_equal(image_create(f, r, 2, STORE_IMAGE_MANIFEST, NULL, 0,
	                     0),
	    STORE_OK);
	assert_int_equal(tag_set(f, r, "a", 2, digest), STORE_OK);
	assert_string_equal(digest, "");
}

static void
test_layer_refs_count_images_up_and_down(void **state)
{
	static const unsigned refs_a[] = {11, 12};
	static const unsigned refs_b[] = {11};
	struct fx *f = *state;
	struct store_layer l;
	struct store_txn *t;
	uint64_t r;
	char mt[STORE_MEDIA_TYPE_MAX + 2];

	r = repo(f, "app");
	layer(f, r, 11, T_NEW);
	layer(f, r, 12, T_NEW);
	assert_int_equal(blob_users(f, 11), 1);
	assert_int_equal(image_create(f, r, 1, STORE_IMAGE_MANIFEST, refs_a, 2,
	                     0),
	    STORE_OK);
	assert_int_equal(image_create(f, r, 2, STORE_IMAGE_MANIFEST, refs_b, 1,
	                     0),
	    STORE_OK);
	assert_int_equal(layer_refs(f, r, 11), 2);
	assert_int_equal(layer_refs(f, r, 12), 1);
	assert_int_equal(image_delete(f, r, 1), STORE_OK);
	assert_int_equal(layer_refs(f, r, 11), 1);
	assert_int_equal(layer_refs(f, r, 12), 0);
	assert_int_equal(image_delete(f, r, 2), STORE_OK);
	assert_int_equal(layer_refs(f, r, 11), 0);
	/* Layer records stay for the GC, and so do their blobs' users. */
	assert_int_equal(blob_users(f, 11), 1);

	layer_init(&l, r, 11, T_NEW);
	l.refs = 5; /* ignored */
	t = fx_wbegin(f);
	assert_int_equal(store_layer_add(t, &l), STORE_EXISTS);
	assert_int_equal(store_layer_set_media_type(t, r, D(11),
	                     "application/vnd.oci.image.layer.v1.tar+gzip"),
	    STORE_OK);
	assert_int_equal(store_layer_get(t, r, D(11), &l), STORE_OK);
	assert_string_equal(l.media_type,
	    "application/vnd.oci.image.layer.v1.tar+gzip");
	assert_int_equal(l.size, 1011);
	assert_int_equal(l.refs, 0);
	assert_true(l.created_at_ms == T_NEW);
	assert_int_equal(store_layer_set_media_type(t, r, D(13), "x"),
	    STORE_NOTFOUND);
	memset(mt, 'm', sizeof(mt) - 1);
	mt[sizeof(mt) - 1] = '\0';
	assert_int_equal(store_layer_set_media_type(t, r, D(11), mt),
	    STORE_TOOBIG);
	layer_init(&l, r, 13, T_NEW);
	l.refs = 5;
	assert_int_equal(store_layer_add(t, &l), STORE_OK);
	assert_int_equal(store_layer_get(t, r, D(13), &l), STORE_OK);
	assert_int_equal(l.refs, 0);
	layer_init(&l, r + 50, 14, T_NEW);
	assert_int_equal(store_layer_add(t, &l), STORE_NOTFOUND);
	layer_init(&l, r, 14, T_NEW);
	l.digest[10] = 'A';
	assert_int_equal(store_layer_add(t, &l), STORE_TOOBIG);
	str_copy(l.digest, sizeof(l.digest), "sha256:../../etc/passwd");
	assert_int_equal(store_layer_add(t, &l), STORE_TOOBIG);
	commit(t);
}

static void
test_index_children_have_parents_and_are_busy(void **state)
{
	static const unsigned kids[] = {1, 2};
	static const unsigned kid1[] = {1};
	struct fx *f = *state;
	struct store_image img;
	uint64_t r;

	r = repo(f, "app");
	assert_int_equal(image_create(f, r, 1, STORE_IMAGE_MANIFEST, NULL, 0,
	                     0),
	    STORE_OK);
	assert_int_equal(image_create(f, r, 2, STORE_IMAGE_MANIFEST, NULL, 0,
	                     0),
	    STORE_OK);
	assert_int_equal(tag_set(f, r, "kid", 1, NULL), STORE_OK);
	assert_false(has_parent(f, r, 1));
	assert_int_equal(image_create(f, r, 10, STORE_IMAGE_INDEX, kids, 2, 0),
	    STORE_OK);
	assert_int_equal(image_create(f, r, 11, STORE_IMAGE_INDEX, kid1, 1, 0),
	    STORE_OK);
	assert_true(has_parent(f, r, 1));
	assert_true(has_parent(f, r, 2));
	assert_false(has_parent(f, r, 10));

	/* ImageReferencedByManifestList: nothing is written. */
	assert_int_equal(image_delete(f, r, 1), STORE_BUSY);
	assert_int_equal(image_get(f, r, 1, &img), STORE_OK);
	assert_int_equal(img.n_tags, 1);
	store_image_release(&img);
	assert_int_equal(image_count(f, r), 4);

	/* Deleting an index leaves its children, as untagged images. */
	assert_int_equal(image_delete(f, r, 10), STORE_OK);
	assert_false(has_parent(f, r, 2));
	assert_true(has_parent(f, r, 1));
	assert_int_equal(image_delete(f, r, 1), STORE_BUSY);
	assert_int_equal(image_delete(f, r, 2), STORE_OK);
	assert_int_equal(image_delete(f, r, 11), STORE_OK);
	assert_false(has_parent(f, r, 1));
	assert_int_equal(image_delete(f, r, 1), STORE_OK);
	assert_int_equal(image_count(f, r), 0);
}

static void
test_referrers_are_listed_under_their_subject(void **state)
{
	static const unsigned both[] = {21, 23};
	static const unsigned one[] = {23};
	struct fx *f = *state;
	struct seen s;
	uint64_t r, other;

	r = repo(f, "app");
	other = repo(f, "other");
	assert_int_equal(image_create(f, r, 1, STORE_IMAGE_MANIFEST, NULL, 0,
	                     0),
	    STORE_OK);
	/* A referrer may come before its subject. */
	assert_int_equal(image_create(f, r, 23, STORE_IMAGE_MANIFEST, NULL, 0,
	                     1),
	    STORE_OK);
	assert_int_equal(image_create(f, r, 21, STORE_IMAGE_MANIFEST, NULL, 0,
	                     1),
	    STORE_OK);
	assert_int_equal(image_create(f, r, 22, STORE_IMAGE_MANIFEST, NULL, 0,
	                     2),
	    STORE_OK);
	assert_int_equal(image_create(f, other, 24, STORE_IMAGE_MANIFEST, NULL,
	                     0, 1),
	    STORE_OK);
	walk_referrers(f, r, 1, &s);
	assert_seen(&s, both, 2);
	assert_int_equal(walk_referrers(f, r, 2, &s), 1);
	assert_int_equal(walk_referrers(f, r, 3, &s), 0);
	assert_int_equal(walk_referrers(f, other, 1, &s), 1);
	assert_int_equal(image_delete(f, r, 21), STORE_OK);
	walk_referrers(f, r, 1, &s);
	assert_seen(&s, one, 1);
	/* A subject is not a parent: it can go first. */
	assert_int_equal(image_delete(f, r, 1), STORE_OK);
	assert_int_equal(walk_referrers(f, r, 1, &s), 1);
}

static void
test_repo_delete_cascades_and_frees_blob_users(void **state)
{
	static const unsigned refs[] = {11, 12};
	static const unsigned kid[] = {1};
	struct fx *f = *state;
	struct store_upload u;
	struct store_image img;
	struct store_gc_list l;
	struct seen s;
	uint64_t a, b, a2;
	char digest[STORE_DIGEST_MAX + 1];

	a = repo(f, "a");
	b = repo(f, "b");
	layer(f, a, 11, T_NEW);
	layer(f, a, 12, T_NEW);
	layer(f, b, 11, T_NEW);
	assert_int_equal(blob_users(f, 11), 2);
	assert_int_equal(image_create(f, a, 1, STORE_IMAGE_MANIFEST, refs, 2,
	                     0),
	    STORE_OK);
	assert_int_equal(image_create(f, a, 2, STORE_IMAGE_INDEX, kid, 1, 0),
	    STORE_OK);
	assert_int_equal(image_create(f, a, 3, STORE_IMAGE_MANIFEST, NULL, 0,
	                     1),
	    STORE_OK);
	assert_int_equal(tag_set(f, a, "latest", 1, NULL), STORE_OK);
	upload_create(f, "up-a", a, T_NEW);
	upload_create(f, "up-b", b, T_NEW);

	repo_delete(f, "a");
	assert_int_equal(image_get(f, a, 1, &img), STORE_NOTFOUND);
	assert_int_equal(tag_get(f, a, "latest", digest), STORE_NOTFOUND);
	assert_int_equal(layer_get(f, a, 11), STORE_NOTFOUND);
	assert_int_equal(layer_get(f, a, 12), STORE_NOTFOUND);
	assert_int_equal(image_count(f, a), 0);
	assert_false(has_parent(f, a, 1));
	assert_int_equal(walk_referrers(f, a, 1, &s), 0);
	assert_int_equal(walk_images(f, a, NULL, 0, &s), 0);
	assert_int_equal(upload_get(f, "up-a", &u), STORE_NOTFOUND);
	assert_int_equal(upload_get(f, "up-b", &u), STORE_OK);
	assert_int_equal(blob_users(f, 11), 1);
	assert_int_equal(blob_users(f, 12), 0);
	assert_int_equal(layer_get(f, b, 11), STORE_OK);

	/* A new repository of the same name starts empty. */
	a2 = repo(f, "a");
	assert_true(a2 != a);
	assert_int_equal(walk_images(f, a2, NULL, 0, &s), 0);

	repo_delete(f, "b");
	assert_int_equal(blob_users(f, 11), 0);
	memset(&l, 0, sizeof(l));
	gc(f, T_OLD, T_OLD, 10, &l);
	assert_int_equal(l.n_blobs, 2);
	assert_string_equal(l.blobs[0], D(11));
	assert_string_equal(l.blobs[1], D(12));
	assert_int_equal(l.n_uploads, 0);
	store_gc_list_release(&l);
	assert_int_equal(blob_users(f, 11), -1);
	assert_int_equal(blob_users(f, 12), -1);
}

/* How many records of dbi have keys starting with repository id. */
static size_t
children(struct fx *f, enum store_dbi dbi, uint64_t id)
{
	struct store_key k, found;
	struct store_txn *t;
	size_t budget = SIZE_MAX;
	size_t n;

	/* Count by deleting them in a txn that is then thrown away. */
	assert_int_equal(store_keys_repo_children(&k, id), STORE_OK);
	t = fx_wbegin(f);
	assert_int_equal(store_db_del_prefix_some(t, dbi, &k, &budget),
	    STORE_OK);
	n = SIZE_MAX - budget;
	assert_int_equal(store_db_first(t, dbi, &k, &found), 0);
	store_txn_abort(t);
	return n;
}

/* The records of every child DBI of repository id. */
static size_t
all_children(struct fx *f, uint64_t id)
{
	static const enum store_dbi dbis[] = {STORE_DBI_IMAGES,
	    STORE_DBI_MANIFESTS, STORE_DBI_TAGS, STORE_DBI_LAYERS,
	    STORE_DBI_REFERRERS, STORE_DBI_PARENTS, STORE_DBI_IMAGE_COUNTS,
	    STORE_DBI_REPO_DOCS};
	size_t i, n = 0;

	for (i = 0; i < sizeof(dbis) / sizeof(dbis[0]); i++)
		n += children(f, dbis[i], id);
	return n;
}

/* One reap txn of at most max records; whether it found nothing left. */
static bool
reap(struct fx *f, size_t max, size_t *n_removed)
{
	struct store_txn *t;
	bool is_done = false;

	t = fx_wbegin(f);
	assert_int_equal(store_repo_reap(t, max, n_removed, &is_done),
	    STORE_OK);
	assert_true(*n_removed <= max);
	commit(t);
	return is_done;
}

/*
 * A buried repository is gone at once and its name free, while its
 * records go in bounded slices that survive a close and reopen midway,
 * never touching the new repository of the same name (issue 12).
 */
static void
test_repo_bury_then_reap_in_slices_across_a_reopen(void **state)
{
	static const unsigned refs[] = {11, 12};
	struct fx *f = *state;
	struct store_repo r;
	struct store_image img;
	struct store_txn *t;
	struct store_doc d;
	char text[] = "{}";
	uint64_t a, b, a2;
	size_t n, total = 0, before, i;
	unsigned j;
	char tag[16];

	memset(&d, 0, sizeof(d));
	d.text = text;
	d.len = strlen(text);
	a = repo(f, "a");
	b = repo(f, "b");
	layer(f, a, 11, T_NEW);
	layer(f, a, 12, T_NEW);
	layer(f, b, 11, T_NEW);
	for (j = 1; j <= 20; j++) {
		assert_int_equal(image_create(f, a, j, STORE_IMAGE_MANIFEST,
		                     refs, 2, j > 1 ? 1 : 0),
		    STORE_OK);
		snprintf(tag, sizeof(tag), "t%u", j);
		assert_int_equal(tag_set(f, a, tag, j, NULL), STORE_OK);
	}
	t = fx_wbegin(f);
	assert_int_equal(store_repo_doc_put(t, a, STORE_DOC_REPO_POLICY, &d),
	    STORE_OK);
	assert_int_equal(store_repo_bury(t, REG, RGN, "a"), STORE_OK);
	assert_int_equal(store_repo_bury(t, REG, RGN, "a"), STORE_NOTFOUND);
	commit(t);
	before = all_children(f, a);

	/* Gone at once; the documents went with it. */
	t = fx_rbegin(f);
	assert_int_equal(store_repo_get(t, REG, RGN, "a", &r), STORE_NOTFOUND);
	assert_int_equal(store_repo_check_id(t, a), STORE_NOTFOUND);
	store_txn_abort(t);
	assert_int_equal(children(f, STORE_DBI_REPO_DOCS, a), 0);
	assert_true(before > 60);
	a2 = repo(f, "a");
	assert_true(a2 != a);
	layer(f, a2, 12, T_NEW);
	assert_int_equal(image_create(f, a2, 1, STORE_IMAGE_MANIFEST, refs + 1,
	                     1, 0),
	    STORE_OK);
	assert_int_equal(walk_images(f, a2, NULL, 0, &(struct seen){0}), 1);

	/* A slice, then the store closes and opens again midway. */
	assert_false(reap(f, 7, &n));
	assert_int_equal(n, 7);
	total += n;
	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_open(f->dir, STORE_EPHEMERAL, 0, &f->st, NULL),
	    STORE_OK);
	assert_int_equal(all_children(f, a), before - 7);
	for (i = 0; i < 100 && !reap(f, 7, &n); i++)
		total += n;
	assert_true(i < 100);
	/* Every record and the tombstone, one count each. */
	assert_int_equal(total + n, before + 1);
	assert_int_equal(all_children(f, a), 0);
	assert_int_equal(image_get(f, a, 1, &img), STORE_NOTFOUND);
	assert_int_equal(blob_users(f, 11), 1);
	assert_int_equal(blob_users(f, 12), 1);
	assert_int_equal(layer_get(f, b, 11), STORE_OK);
	/* The new repository of the same name kept everything. */
	assert_int_equal(layer_refs(f, a2, 12), 1);
	assert_int_equal(image_count(f, a2), 1);
	assert_true(reap(f, 7, &n));
	assert_int_equal(n, 0);
}

static void
test_reset_empties_images_layers_blobs_and_uploads(void **state)
{
	static const unsigned refs[] = {11};
	struct fx *f = *state;
	struct store_upload u;
	struct store_image img;
	struct store_txn *t;
	struct seen s;
	uint64_t r;
	char digest[STORE_DIGEST_MAX + 1];

	r = repo(f, "a");
	layer(f, r, 11, T_NEW);
	assert_int_equal(image_create(f, r, 1, STORE_IMAGE_MANIFEST, refs, 1,
	                     2),
	    STORE_OK);
	assert_int_equal(tag_set(f, r, "latest", 1, NULL), STORE_OK);
	upload_create(f, "up", r, T_NEW);
	t = fx_wbegin(f);
	assert_int_equal(store_reset(t), STORE_OK);
	commit(t);
	assert_int_equal(image_get(f, r, 1, &img), STORE_NOTFOUND);
	assert_int_equal(tag_get(f, r, "latest", digest), STORE_NOTFOUND);
	assert_int_equal(layer_get(f, r, 11), STORE_NOTFOUND);
	assert_int_equal(blob_users(f, 11), -1);
	assert_int_equal(upload_get(f, "up", &u), STORE_NOTFOUND);
	assert_int_equal(image_count(f, r), 0);
	assert_int_equal(walk_referrers(f, r, 2, &s), 0);
}

static void
test_upload_record_crud(void **state)
{
	struct fx *f = *state;
	struct store_upload u, got;
	struct store_txn *t;
	uint64_t r;
	char id[STORE_UPLOAD_ID_MAX + 2];

	r = repo(f, "a");
	upload_init(&u, "0a1b-C2d3", r, T_NEW);
	t = fx_wbegin(f);
	assert_int_equal(store_upload_create(t, &u), STORE_OK);
	assert_int_equal(store_upload_create(t, &u), STORE_EXISTS);
	commit(t);
	memset(&got, 0, sizeof(got));
	assert_int_equal(upload_get(f, "0a1b-C2d3", &got), STORE_OK);
	assert_memory_equal(&got, &u, sizeof(u));

	u.received += 100;
	u.n_parts++;
	u.updated_at_ms = T_NEW + 1;
	t = fx_wbegin(f);
	assert_int_equal(store_upload_update(t, &u), STORE_OK);
	commit(t);
	assert_int_equal(upload_get(f, "0a1b-C2d3", &got), STORE_OK);
	assert_int_equal(got.received, u.received);
	assert_int_equal(got.n_parts, 4);
	assert_memory_equal(&got, &u, sizeof(u));

	t = fx_wbegin(f);
	upload_init(&u, "other", r, T_NEW);
	assert_int_equal(store_upload_update(t, &u), STORE_NOTFOUND);
	upload_init(&u, "other", r + 9, T_NEW);
	assert_int_equal(store_upload_create(t, &u), STORE_NOTFOUND);
	str_copy(u.id, sizeof(u.id), "../x");
	u.repo_id = r;
	assert_int_equal(store_upload_create(t, &u), STORE_TOOBIG);
	assert_int_equal(store_upload_get(t, "", &got), STORE_TOOBIG);
	memset(id, 'a', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	assert_int_equal(store_upload_get(t, id, &got), STORE_TOOBIG);
	id[STORE_UPLOAD_ID_MAX] = '\0';
	assert_int_equal(store_upload_get(t, id, &got), STORE_NOTFOUND);
	assert_int_equal(store_upload_delete(t, "0a1b-C2d3"), STORE_OK);
	assert_int_equal(store_upload_delete(t, "0a1b-C2d3"), STORE_NOTFOUND);
	commit(t);
	assert_int_equal(upload_get(f, "0a1b-C2d3", &got), STORE_NOTFOUND);
}

static void
test_upload_file_write_and_finish_make_blob_file(void **state)
{
	struct fx *f = *state;
	struct stat sb;
	uint64_t size;
	char buf[64], path[512], *up, *bdir;
	int fd;

	bdir = path_in(f, "blobs/sha256");
	assert_int_equal(stat(bdir, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	free(bdir);
	up = path_in(f, "uploads/u1");
	assert_int_equal(store_upload_file_create(f->st, "u1"), STORE_OK);
	assert_int_equal(store_upload_file_create(f->st, "u1"), STORE_EXISTS);
	assert_true(file_exists(up));
	assert_int_equal(store_upload_file_write(f->st, "u1", 0, "hello", 5),
	    STORE_OK);
	assert_int_equal(store_upload_file_write(f->st, "u1", 5, " world", 6),
	    STORE_OK);
	assert_int_equal(read_small(up, buf, sizeof(buf)), 11);
	assert_string_equal(buf, "hello world");
	/* A rewrite at an offset drops what lay past it. */
	assert_int_equal(store_upload_file_write(f->st, "u1", 3, "LO", 2),
	    STORE_OK);
	assert_int_equal(read_small(up, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "helLO");
	assert_int_equal(store_upload_file_write(f->st, "u1", 5, "!!", 2),
	    STORE_OK);

	/* Finish keeps the first len bytes only. */
	assert_int_equal(store_upload_file_finish(f->st, "u1", 5, D(7)),
	    STORE_OK);
	assert_false(file_exists(up));
	assert_int_equal(store_blob_path(f->st, D(7), path, sizeof(path)),
	    STORE_OK);
	assert_non_null(strstr(path, "/blobs/sha256/"));
	assert_string_equal(strrchr(path, '/') + 1, D(7) + 7);
	assert_int_equal(read_small(path, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "helLO");
	assert_int_equal(store_blob_open(f->st, D(7), &fd, &size), STORE_OK);
	assert_int_equal(size, 5);
	assert_int_equal(read(fd, buf, sizeof(buf)), 5);
	close(fd);
	assert_int_equal(store_upload_file_write(f->st, "u1", 0, "x", 1),
	    STORE_NOTFOUND);
	assert_int_equal(store_upload_file_finish(f->st, "u1", 1, D(8)),
	    STORE_NOTFOUND);
	free(up);
}

/*
 * A writer opened at an offset cuts what lay past it, takes bytes through
 * add and through its own buffer (space, then commit) in order, and keeps
 * only what a synced close flushed.
 */
static void
test_upload_writer_mixes_add_and_space(void **state)
{
	struct fx *f = *state;
	struct store_upload_writer *w;
	unsigned char *p, *big, *got;
	size_t big_len = STORE_WRITER_SPACE_MAX + 5, i;
	char *up;
	FILE *fp;

	up = path_in(f, "uploads/w1");
	assert_int_equal(store_upload_file_create(f->st, "w1"), STORE_OK);
	assert_int_equal(store_upload_file_write(f->st, "w1", 0, "abcdef", 6),
	    STORE_OK);
	assert_int_equal(store_upload_writer_open(f->st, "w1", 2, &w),
	    STORE_OK);
	assert_int_equal(store_upload_writer_add(w, "XY", 2), STORE_OK);
	assert_int_equal(store_upload_writer_space(w,
	                     STORE_WRITER_SPACE_MAX + 1, &p),
	    STORE_IO);
	big = malloc(big_len);
	for (i = 0; i < big_len; i++)
		big[i] = (unsigned char)(i * 7);
	/* A full buffer's worth: flushes the two bytes before it first. */
	assert_int_equal(store_upload_writer_space(w, STORE_WRITER_SPACE_MAX,
	                     &p),
	    STORE_OK);
	memcpy(p, big, STORE_WRITER_SPACE_MAX);
	assert_int_equal(store_upload_writer_commit(w, STORE_WRITER_SPACE_MAX),
	    STORE_OK);
	assert_int_equal(store_upload_writer_space(w, 10, &p), STORE_OK);
	memcpy(p, big + STORE_WRITER_SPACE_MAX, 5);
	assert_int_equal(store_upload_writer_commit(w, 5), STORE_OK);
	assert_int_equal(store_upload_writer_close(w, true), STORE_OK);

	got = malloc(4 + big_len + 1);
	fp = fopen(up, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(got, 1, 4 + big_len + 1, fp), 4 + big_len);
	fclose(fp);
	assert_memory_equal(got, "abXY", 4);
	assert_memory_equal(got + 4, big, big_len);
	free(got);
	free(big);
	free(up);
}

/*
 * addv writes its leading aligned pieces in one go and the rest (from an
 * unaligned piece on, or all of it at an odd offset) as add would: the
 * file holds every byte in order.
 */
static void
test_upload_writer_gathers_aligned_pieces(void **state)
{
	struct fx *f = *state;
	struct store_upload_writer *w;
	unsigned char *blocks, *got, *want;
	size_t len = 4 * 4096, total, i;
	struct iovec iov[4];
	char *up;
	FILE *fp;

	up = path_in(f, "uploads/w3");
	blocks = xmalloc_aligned(4096, len);
	for (i = 0; i < len; i++)
		blocks[i] = (unsigned char)(i * 11 + 3);
	assert_int_equal(store_upload_file_create(f->st, "w3"), STORE_OK);
	assert_int_equal(store_upload_writer_open(f->st, "w3", 0, &w),
	    STORE_OK);
	/* Two aligned pieces gathered, then an unaligned one and a block. */
	iov[0] = (struct iovec){blocks, 2 * 4096};
	iov[1] = (struct iovec){blocks + 3 * 4096, 4096};
	iov[2] = (struct iovec){blocks + 5, 100};
	iov[3] = (struct iovec){blocks + 2 * 4096, 4096};
	assert_int_equal(store_upload_writer_addv(w, iov, 4), STORE_OK);
	/* At an odd offset now: aligned pieces go through the buffer. */
	iov[0] = (struct iovec){blocks, 4096};
	iov[1] = (struct iovec){blocks + 4096, 4096};
	assert_int_equal(store_upload_writer_addv(w, iov, 2), STORE_OK);
	assert_int_equal(store_upload_writer_addv(w, iov, 0), STORE_OK);
	assert_int_equal(store_upload_writer_close(w, true), STORE_OK);

	total = 3 * 4096 + 100 + 4096 + 2 * 4096;
	want = malloc(total);
	memcpy(want, blocks, 2 * 4096);
	memcpy(want + 2 * 4096, blocks + 3 * 4096, 4096);
	memcpy(want + 3 * 4096, blocks + 5, 100);
	memcpy(want + 3 * 4096 + 100, blocks + 2 * 4096, 4096);
	memcpy(want + 4 * 4096 + 100, blocks, 2 * 4096);
	got = malloc(total + 1);
	fp = fopen(up, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(got, 1, total + 1, fp), total);
	fclose(fp);
	assert_memory_equal(got, want, total);
	free(got);
	free(want);
	free(blocks);
	free(up);
}

/*
 * Whole blocks of a page-aligned buffer at a block boundary are written
 * from the caller's buffer (no copy), and what follows them, unaligned,
 * through the writer's own: the file holds every byte in order.
 */
static void
test_upload_writer_takes_aligned_blocks_uncopied(void **state)
{
	struct fx *f = *state;
	struct store_upload_writer *w;
	unsigned char *blocks, *got;
	size_t len = 3 * 4096 + 100, i;
	char *up;
	FILE *fp;

	up = path_in(f, "uploads/w2");
	blocks = xmalloc_aligned(4096, len);
	for (i = 0; i < len; i++)
		blocks[i] = (unsigned char)(i * 13 + 1);
	assert_int_equal(store_upload_file_create(f->st, "w2"), STORE_OK);
	assert_int_equal(store_upload_writer_open(f->st, "w2", 0, &w),
	    STORE_OK);
	assert_int_equal(store_upload_writer_add(w, blocks, len), STORE_OK);
	/* Then an unaligned piece, and aligned blocks again at an odd offset.
	 */
	assert_int_equal(store_upload_writer_add(w, blocks + 1, 7), STORE_OK);
	assert_int_equal(store_upload_writer_add(w, blocks, 4096), STORE_OK);
	assert_int_equal(store_upload_writer_close(w, true), STORE_OK);

	got = malloc(len + 7 + 4096 + 1);
	fp = fopen(up, "rb");
	assert_non_null(fp);
	assert_int_equal(fread(got, 1, len + 7 + 4096 + 1, fp), len + 7 + 4096);
	fclose(fp);
	assert_memory_equal(got, blocks, len);
	assert_memory_equal(got + len, blocks + 1, 7);
	assert_memory_equal(got + len + 7, blocks, 4096);
	free(got);
	free(blocks);
	free(up);
}

static void
test_upload_file_finish_when_blob_exists_drops_upload(void **state)
{
	struct fx *f = *state;
	char buf[64], *bpath, *up;

	bpath = blob_file(f, 7, "first");
	up = path_in(f, "uploads/u2");
	assert_int_equal(store_upload_file_create(f->st, "u2"), STORE_OK);
	assert_int_equal(store_upload_file_write(f->st, "u2", 0, "other", 5),
	    STORE_OK);
	assert_int_equal(store_upload_file_finish(f->st, "u2", 5, D(7)),
	    STORE_OK);
	assert_false(file_exists(up));
	read_small(bpath, buf, sizeof(buf));
	assert_string_equal(buf, "first");
	/* A file shorter than len is refused, and stays. */
	assert_int_equal(store_upload_file_create(f->st, "u3"), STORE_OK);
	assert_int_equal(store_upload_file_write(f->st, "u3", 0, "ab", 2),
	    STORE_OK);
	assert_int_equal(store_upload_file_finish(f->st, "u3", 3, D(9)),
	    STORE_IO);
	assert_int_equal(store_upload_file_remove(f->st, "u3"), STORE_OK);
	assert_int_equal(store_upload_file_remove(f->st, "u3"), STORE_OK);
	free(bpath);
	free(up);
}

static void
test_files_refuse_digests_and_ids_that_are_not_well_formed(void **state)
{
	static const char *const bad_digests[] = {
	    "",
	    "sha256:",
	    "sha256:abc",
	    "md5:0123456789abcdef",
	    "sha256:../../../../etc/passwd",
	    "sha256:000000000000000000000000000000000000000000000000000000"
	    "000000000A",
	    "sha256:000000000000000000000000000000000000000000000000000000"
	    "00000000000",
	    "sha512:000000000000000000000000000000000000000000000000000000"
	    "0000000000",
	    "SHA256:000000000000000000000000000000000000000000000000000000"
	    "0000000000",
	};
	static const char *const bad_ids[] = {
	    "",
	    ".",
	    "..",
	    "../x",
	    "a/b",
	    "a.b",
	    "a b",
	    "a\n",
	    "0123456789012345678901234567890123456789012345678901234567"
	    "890123456",
	};
	struct fx *f = *state;
	char path[512], sha512[136];
	uint64_t size;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(bad_digests) / sizeof(bad_digests[0]); i++) {
		assert_int_equal(store_blob_path(f->st, bad_digests[i], path,
		                     sizeof(path)),
		    STORE_TOOBIG);
		assert_int_equal(store_blob_open(f->st, bad_digests[i], &fd,
		                     &size),
		    STORE_TOOBIG);
		assert_int_equal(store_upload_file_finish(f->st, "ok", 1,
		                     bad_digests[i]),
		    STORE_TOOBIG);
	}
	for (i = 0; i < sizeof(bad_ids) / sizeof(bad_ids[0]); i++) {
		assert_int_equal(store_upload_file_create(f->st, bad_ids[i]),
		    STORE_TOOBIG);
		assert_int_equal(store_upload_file_write(f->st, bad_ids[i], 0,
		                     "x", 1),
		    STORE_TOOBIG);
		assert_int_equal(store_upload_file_finish(f->st, bad_ids[i], 0,
		                     D(1)),
		    STORE_TOOBIG);
		assert_int_equal(store_upload_file_remove(f->st, bad_ids[i]),
		    STORE_TOOBIG);
	}
	snprintf(sha512, sizeof(sha512), "sha512:%0128d", 5);
	assert_int_equal(store_blob_path(f->st, sha512, path, sizeof(path)),
	    STORE_OK);
	assert_non_null(strstr(path, "/blobs/sha512/000"));
	assert_int_equal(store_blob_path(f->st, D(1), path, 20), STORE_TOOBIG);
	assert_int_equal(store_blob_open(f->st, D(1), &fd, &size),
	    STORE_NOTFOUND);
	assert_int_equal(store_upload_file_create(f->st,
	                     "0123456789012345678901234567890123456789012345678"
	                     "901234567"
	                     "890123"),
	    STORE_OK);
}

static void
test_gc_collects_old_unreferenced_layers_only(void **state)
{
	static const unsigned refs[] = {12};
	struct fx *f = *state;
	struct store_gc_list l;
	uint64_t r;

	r = repo(f, "a");
	layer(f, r, 11, T_OLD);
	layer(f, r, 12, T_OLD);
	layer(f, r, 13, T_NEW);
	assert_int_equal(image_create(f, r, 1, STORE_IMAGE_MANIFEST, refs, 1,
	                     0),
	    STORE_OK);
	memset(&l, 0, sizeof(l));
	gc(f, T_CUT, T_CUT, 10, &l);
	assert_int_equal(layer_get(f, r, 11), STORE_NOTFOUND);
	assert_int_equal(layer_get(f, r, 12), STORE_OK);
	assert_int_equal(layer_get(f, r, 13), STORE_OK);
	assert_int_equal(l.n_blobs, 1);
	assert_string_equal(l.blobs[0], D(11));
	assert_int_equal(blob_users(f, 11), -1);
	assert_int_equal(blob_users(f, 12), 1);

	/* Unreferenced later, an old layer goes at the next run. */
	assert_int_equal(image_delete(f, r, 1), STORE_OK);
	gc(f, T_CUT, T_CUT, 10, &l);
	assert_int_equal(layer_get(f, r, 12), STORE_NOTFOUND);
	assert_int_equal(layer_get(f, r, 13), STORE_OK);
	assert_int_equal(l.n_blobs, 2); /* appended */
	assert_string_equal(l.blobs[1], D(12));
	store_gc_list_release(&l);
	assert_int_equal(l.n_blobs, 0);
	assert_null(l.blobs);
	/* A layer referenced again leaves the GC's list. */
	assert_int_equal(image_create(f, r, 2, STORE_IMAGE_MANIFEST,
	                     (const unsigned[]){13}, 1, 0),
	    STORE_OK);
	gc(f, T_NEW + 1, T_CUT, 10, &l);
	assert_int_equal(layer_get(f, r, 13), STORE_OK);
	assert_int_equal(l.n_blobs, 0);
}

static void
blob_totals(struct fx *f, uint64_t count, uint64_t bytes)
{
	struct store_txn *t;
	uint64_t n, b;

	t = fx_rbegin(f);
	assert_int_equal(store_blob_totals(t, &n, &b), STORE_OK);
	store_txn_abort(t);
	assert_int_equal(n, count);
	assert_int_equal(b, bytes);
}

/*
 * The blob totals (metrics) count each digest once, however many layer
 * records use it, grow as a blob record is made, shrink as the GC removes
 * one, do not move in a txn that aborts and go with a reset. Layer n is
 * 1000 + n bytes.
 */
static void
test_blob_totals_follow_blob_records(void **state)
{
	static const unsigned refs[] = {12};
	struct fx *f = *state;
	struct store_gc_list l;
	struct store_layer sl;
	struct store_txn *t;
	uint64_t a, b;

	blob_totals(f, 0, 0);
	a = repo(f, "a");
	b = repo(f, "b");
	layer(f, a, 11, T_OLD);
	blob_totals(f, 1, 1011);
	layer(f, b, 11, T_OLD);
	layer(f, a, 12, T_OLD);
	blob_totals(f, 2, 1011 + 1012);
	layer_init(&sl, a, 13, T_OLD);
	t = fx_wbegin(f);
	assert_int_equal(store_layer_add(t, &sl), STORE_OK);
	store_txn_abort(t);
	blob_totals(f, 2, 1011 + 1012);
	assert_int_equal(image_create(f, a, 1, STORE_IMAGE_MANIFEST, refs, 1,
	                     0),
	    STORE_OK);
	memset(&l, 0, sizeof(l));
	gc(f, T_CUT, T_CUT, 10, &l);
	assert_int_equal(l.n_blobs, 1);
	blob_totals(f, 1, 1012);
	assert_int_equal(image_delete(f, a, 1), STORE_OK);
	gc(f, T_CUT, T_CUT, 10, &l);
	blob_totals(f, 0, 0);
	store_gc_list_release(&l);
	/* A reset (/_ecrd/reset) takes the total with the records. */
	layer(f, b, 14, T_OLD);
	blob_totals(f, 1, 1014);
	t = fx_wbegin(f);
	assert_int_equal(store_reset(t), STORE_OK);
	commit(t);
	blob_totals(f, 0, 0);
}

static void
test_gc_takes_at_most_max_per_call(void **state)
{
	struct fx *f = *state;
	struct store_gc_list l;
	uint64_t r;
	unsigned i;
	char id[16];

	r = repo(f, "a");
	for (i = 1; i <= 5; i++) {
		layer(f, r, 10 + i, T_OLD + i);
		snprintf(id, sizeof(id), "up%u", i);
		upload_create(f, id, r, T_OLD);
	}
	memset(&l, 0, sizeof(l));
	gc(f, T_CUT, T_CUT, 2, &l);
	assert_int_equal(l.n_blobs, 2);
	assert_int_equal(l.n_uploads, 2);
	/* Oldest layers first. */
	assert_int_equal(layer_get(f, r, 11), STORE_NOTFOUND);
	assert_int_equal(layer_get(f, r, 12), STORE_NOTFOUND);
	assert_int_equal(layer_get(f, r, 13), STORE_OK);
	gc(f, T_CUT, T_CUT, 2, &l);
	gc(f, T_CUT, T_CUT, 2, &l);
	assert_int_equal(l.n_blobs, 5);
	assert_int_equal(l.n_uploads, 5);
	gc(f, T_CUT, T_CUT, 2, &l);
	assert_int_equal(l.n_blobs, 5);
	store_gc_list_release(&l);
}

static void
test_gc_removes_blob_file_only_when_its_last_user_goes(void **state)
{
	struct fx *f = *state;
	struct store_gc_list l;
	uint64_t a, b;
	char *bpath;

	a = repo(f, "a");
	b = repo(f, "b");
	bpath = blob_file(f, 11, "layer bytes");
	layer(f, a, 11, T_OLD);
	layer(f, b, 11, T_NEW);
	memset(&l, 0, sizeof(l));
	gc(f, T_CUT, T_CUT, 10, &l);
	assert_int_equal(layer_get(f, a, 11), STORE_NOTFOUND);
	assert_int_equal(l.n_blobs, 0);
	assert_int_equal(gc_files(f->st, &l, T_FILE_CUT_MS), STORE_OK);
	assert_true(file_exists(bpath));

	gc(f, T_NEW + 1, T_CUT, 10, &l);
	assert_int_equal(l.n_blobs, 1);
	assert_true(file_exists(bpath));
	assert_int_equal(gc_files(f->st, &l, T_FILE_CUT_MS), STORE_OK);
	assert_false(file_exists(bpath));
	store_gc_list_release(&l);
	free(bpath);
}

/*
 * Issue 11: when the full disk refuses a GC commit, the files of blobs no
 * layer used as committed go first; a blob whose last user only the
 * refused txn dropped keeps its file.
 */
static void
test_gc_files_unused_spares_blobs_the_refused_txn_freed(void **state)
{
	struct fx *f = *state;
	struct store_gc_list l;
	struct store_txn *t;
	uint64_t a, b;
	char *unused, *freed;

	a = repo(f, "a");
	b = repo(f, "b");
	unused = blob_file(f, 11, "nobody's");
	freed = blob_file(f, 12, "b's");
	layer(f, a, 11, T_NEW);
	layer(f, b, 12, T_OLD);
	repo_delete(f, "a");
	t = fx_wbegin(f);
	memset(&l, 0, sizeof(l));
	assert_int_equal(store_gc_collect(t, T_CUT, T_CUT, 10, &l), STORE_OK);
	assert_int_equal(l.n_blobs, 2);
	store_txn_abort(t);
	assert_int_equal(store_gc_files_unused(f->st, &l), STORE_OK);
	assert_false(file_exists(unused));
	assert_true(file_exists(freed));
	store_gc_list_release(&l);
	free(unused);
	free(freed);
}

static void
test_gc_keeps_listed_blob_file_that_is_used_again(void **state)
{
	struct fx *f = *state;
	struct store_gc_list l;
	uint64_t r;
	char *bpath;

	r = repo(f, "a");
	bpath = blob_file(f, 11, "bytes");
	layer(f, r, 11, T_OLD);
	memset(&l, 0, sizeof(l));
	gc(f, T_CUT, T_CUT, 10, &l);
	assert_int_equal(l.n_blobs, 1);
	/* Between collect and files, the blob is pushed again. */
	layer(f, r, 11, T_NEW);
	assert_int_equal(gc_files(f->st, &l, T_FILE_CUT_MS), STORE_OK);
	assert_true(file_exists(bpath));
	store_gc_list_release(&l);
	free(bpath);
}

static void
test_gc_collects_old_uploads_and_their_files(void **state)
{
	struct fx *f = *state;
	struct store_upload u;
	struct store_gc_list l;
	uint64_t r;
	char *p1, *p2;

	r = repo(f, "a");
	upload_create(f, "old", r, T_OLD);
	upload_create(f, "new", r, T_NEW);
	assert_int_equal(store_upload_file_create(f->st, "old"), STORE_OK);
	assert_int_equal(store_upload_file_create(f->st, "new"), STORE_OK);
	p1 = path_in(f, "uploads/old");
	p2 = path_in(f, "uploads/new");
	memset(&l, 0, sizeof(l));
	gc(f, T_CUT, T_CUT, 10, &l);
	assert_int_equal(l.n_uploads, 1);
	assert_string_equal(l.uploads[0], "old");
	assert_int_equal(upload_get(f, "old", &u), STORE_NOTFOUND);
	assert_int_equal(upload_get(f, "new", &u), STORE_OK);
	/* Aged, "new" is still kept: its record exists. */
	age(p2);
	assert_int_equal(gc_files(f->st, &l, T_FILE_CUT_MS), STORE_OK);
	assert_false(file_exists(p1));
	assert_true(file_exists(p2));
	store_gc_list_release(&l);
	free(p1);
	free(p2);
}

static void
test_gc_sweeps_old_orphan_files_and_keeps_the_rest(void **state)
{
	struct fx *f = *state;
	struct store_gc_list l;
	uint64_t r;
	char *old_orphan, *young_orphan, *named, *odd;
	char *old_upload, *named_upload, *odd_upload;

	r = repo(f, "a");
	old_orphan = blob_file(f, 1, "a");
	young_orphan = blob_file(f, 2, "b");
	named = blob_file(f, 3, "c");
	layer(f, r, 3, T_NEW);
	odd = path_in(f, "blobs/sha256/not-a-digest");
	write_small(odd, "x");
	old_upload = path_in(f, "uploads/gone");
	write_small(old_upload, "x");
	named_upload = path_in(f, "uploads/live");
	write_small(named_upload, "x");
	upload_create(f, "live", r, T_NEW);
	odd_upload = path_in(f, "uploads/odd.name");
	write_small(odd_upload, "x");
	age(old_orphan);
	age(named);
	age(odd);
	age(old_upload);
	age(named_upload);
	age(odd_upload);

	memset(&l, 0, sizeof(l));
	assert_int_equal(gc_files(f->st, &l, T_FILE_CUT_MS), STORE_OK);
	assert_false(file_exists(old_orphan));
	assert_true(file_exists(young_orphan));
	assert_true(file_exists(named));
	assert_true(file_exists(odd));
	assert_false(file_exists(old_upload));
	assert_true(file_exists(named_upload));
	assert_true(file_exists(odd_upload));
	free(old_orphan);
	free(young_orphan);
	free(named);
	free(odd);
	free(old_upload);
	free(named_upload);
	free(odd_upload);
}

/* A blob pulled through the cache fills an upload file no record names. */
static void
test_gc_sweep_keeps_a_pinned_upload_file(void **state)
{
	struct fx *f = *state;
	struct store_gc_list l;
	char *p;

	store_upload_pin(f->st, "pulling");
	assert_int_equal(store_upload_file_create(f->st, "pulling"), STORE_OK);
	p = path_in(f, "uploads/pulling");
	age(p);
	memset(&l, 0, sizeof(l));
	assert_int_equal(gc_files(f->st, &l, T_FILE_CUT_MS), STORE_OK);
	assert_true(file_exists(p));
	store_upload_unpin(f->st, "pulling");
	assert_int_equal(gc_files(f->st, &l, T_FILE_CUT_MS), STORE_OK);
	assert_false(file_exists(p));
	free(p);
}

static void
test_finish_renews_an_old_blob_so_the_sweep_keeps_it(void **state)
{
	struct fx *f = *state;
	struct store_gc_list l;
	char *bpath;

	/* An orphan blob file about to be named by a new layer record. */
	bpath = blob_file(f, 5, "bytes");
	age(bpath);
	assert_int_equal(store_upload_file_create(f->st, "again"), STORE_OK);
	assert_int_equal(store_upload_file_write(f->st, "again", 0, "bytes", 5),
	    STORE_OK);
	assert_int_equal(store_upload_file_finish(f->st, "again", 5, D(5)),
	    STORE_OK);
	memset(&l, 0, sizeof(l));
	assert_int_equal(gc_files(f->st, &l, T_FILE_CUT_MS), STORE_OK);
	assert_true(file_exists(bpath));
	free(bpath);
}

static void
test_codec_image_round_trips_at_the_limits(void **state)
{
	struct store_image in, out;
	struct buf b;
	char tag[STORE_IMAGE_TAG_MAX + 1];
	char ref[STORE_DIGEST_MAX + 1];
	size_t i;

	(void)state;
	memset(&in, 0, sizeof(in));
	in.kind = STORE_IMAGE_INDEX;
	in.status = STORE_IMAGE_ACTIVATING;
	in.pushed_at_ms = INT64_MIN;
	in.last_pulled_at_ms = INT64_MAX;
	in.archived_at_ms = -1;
	in.activated_at_ms = 1;
	in.size = UINT64_MAX;
	in.manifest_len = STORE_MANIFEST_MAX;
	memset(in.manifest_media_type, 'a', STORE_MEDIA_TYPE_MAX);
	memset(in.artifact_media_type, 'b', STORE_MEDIA_TYPE_MAX);
	memset(in.subject_digest, 'c', STORE_DIGEST_MAX);
	memset(tag, 't', sizeof(tag) - 1);
	tag[sizeof(tag) - 1] = '\0';
	memset(ref, 'r', sizeof(ref) - 1);
	ref[sizeof(ref) - 1] = '\0';
	for (i = 0; i < STORE_IMAGE_TAGS_MAX; i++)
		store_image_add_tag(&in, tag);
	for (i = 0; i < STORE_IMAGE_REFS_MAX; i++)
		store_image_add_ref(&in, ref);
	assert_int_equal(store_codec_image_encode(&in, &b), STORE_OK);
	memset(&out, 0, sizeof(out));
	out.repo_id = 9;
	str_copy(out.digest, sizeof(out.digest), "key");
	assert_int_equal(store_codec_image_decode(b.data, b.len, &out),
	    STORE_OK);
	assert_int_equal(out.repo_id, 9);
	assert_string_equal(out.digest, "key");
	assert_int_equal(out.kind, in.kind);
	assert_int_equal(out.status, in.status);
	assert_true(out.pushed_at_ms == INT64_MIN);
	assert_true(out.last_pulled_at_ms == INT64_MAX);
	assert_true(out.archived_at_ms == -1);
	assert_true(out.activated_at_ms == 1);
	assert_true(out.size == UINT64_MAX);
	assert_int_equal(out.manifest_len, STORE_MANIFEST_MAX);
	assert_string_equal(out.manifest_media_type, in.manifest_media_type);
	assert_string_equal(out.artifact_media_type, in.artifact_media_type);
	assert_string_equal(out.subject_digest, in.subject_digest);
	assert_int_equal(out.n_tags, STORE_IMAGE_TAGS_MAX);
	assert_int_equal(out.n_refs, STORE_IMAGE_REFS_MAX);
	assert_string_equal(out.tags[999], tag);
	assert_string_equal(out.refs[4095], ref);
	store_image_release(&out);
	buf_release(&b);

	/* One more of either is refused. */
	store_image_add_tag(&in, "x");
	assert_int_equal(store_codec_image_encode(&in, &b), STORE_TOOBIG);
	assert_null(b.data);
	in.n_tags--;
	store_image_add_ref(&in, "x");
	assert_int_equal(store_codec_image_encode(&in, &b), STORE_TOOBIG);
	in.n_refs--;
	free(in.refs[in.n_refs]);
	free(in.tags[in.n_tags]);
	in.refs[in.n_refs] = NULL;
	in.tags[in.n_tags] = NULL;
	store_image_release(&in);
}

/* A small image record with every part present, encoded into b. */
static void
small_image(struct buf *b)
{
	struct store_image img;

	memset(&img, 0, sizeof(img));
	img.kind = STORE_IMAGE_MANIFEST;
	str_copy(img.manifest_media_type, sizeof(img.manifest_media_type),
	    "mt");
	str_copy(img.subject_digest, sizeof(img.subject_digest), "s");
	store_image_add_tag(&img, "tag");
	store_image_add_ref(&img, "ref1");
	store_image_add_ref(&img, "ref2");
	assert_int_equal(store_codec_image_encode(&img, b), STORE_OK);
	store_image_release(&img);
}

static void
test_codec_image_refuses_malformed_values(void **state)
{
	struct store_image out;
	struct buf b;
	char *longer;
	size_t len;

	(void)state;
	small_image(&b);
	memset(&out, 0, sizeof(out));
	for (len = 0; len < b.len; len++)
		assert_int_equal(store_codec_image_decode(b.data, len, &out),
		    STORE_CORRUPT);
	assert_null(out.tags);
	longer = xmalloc(b.len + 1);
	memcpy(longer, b.data, b.len);
	longer[b.len] = 0;
	assert_int_equal(store_codec_image_decode(longer, b.len + 1, &out),
	    STORE_CORRUPT);
	free(longer);
	b.data[0] = 2; /* version */
	assert_int_equal(store_codec_image_decode(b.data, b.len, &out),
	    STORE_CORRUPT);
	b.data[0] = STORE_FORMAT_V1;
	b.data[1] = 2; /* kind */
	assert_int_equal(store_codec_image_decode(b.data, b.len, &out),
	    STORE_CORRUPT);
	b.data[1] = 0;
	b.data[2] = 3; /* status */
	assert_int_equal(store_codec_image_decode(b.data, b.len, &out),
	    STORE_CORRUPT);
	b.data[2] = 0;
	b.data[b.len - 1] = '\0'; /* NUL in the last ref */
	assert_int_equal(store_codec_image_decode(b.data, b.len, &out),
	    STORE_CORRUPT);
	b.data[b.len - 1] = '2';
	assert_int_equal(store_codec_image_decode(b.data, b.len, &out),
	    STORE_OK);
	assert_int_equal(out.n_refs, 2);
	store_image_release(&out);
	buf_release(&b);
}

static void
test_codec_image_survives_random_bytes(void **state)
{
	struct store_image out;
	struct buf b;
	unsigned char val[256];
	uint32_t x = 99;
	size_t i, round;
	int rc;

	(void)state;
	small_image(&b);
	for (round = 0; round < 4000; round++) {
		/* Flip a few bytes of a valid record, or use noise. */
		memcpy(val, b.data, b.len);
		for (i = 0; i < 3; i++) {
			x = x * 1103515245 + 12345;
			val[(x >> 8) % b.len] = x >> 16 & 0xff;
		}
		memset(&out, 0, sizeof(out));
		rc = store_codec_image_decode(val,
		    round % 2 ? b.len : (x >> 4) % b.len, &out);
		assert_true(rc == STORE_OK || rc == STORE_CORRUPT);
		store_image_release(&out);
	}
	buf_release(&b);
}

static void
test_codec_image_patch_changes_only_mutable_fields(void **state)
{
	struct store_image img, out;
	struct buf b, p;

	(void)state;
	small_image(&b);
	memset(&img, 0, sizeof(img));
	img.status = STORE_IMAGE_ARCHIVED;
	img.pushed_at_ms = 5;
	img.last_pulled_at_ms = 6;
	img.archived_at_ms = 7;
	img.activated_at_ms = -8;
	img.kind = STORE_IMAGE_INDEX;
	assert_int_equal(store_codec_image_patch(b.data, b.len, &img, &p),
	    STORE_OK);
	memset(&out, 0, sizeof(out));
	assert_int_equal(store_codec_image_decode(p.data, p.len, &out),
	    STORE_OK);
	assert_int_equal(out.kind, STORE_IMAGE_MANIFEST);
	assert_int_equal(out.status, STORE_IMAGE_ARCHIVED);
	assert_true(out.pushed_at_ms == 0);
	assert_true(out.last_pulled_at_ms == 6);
	assert_true(out.archived_at_ms == 7);
	assert_true(out.activated_at_ms == -8);
	assert_string_equal(out.tags[0], "tag");
	assert_string_equal(out.refs[1], "ref2");
	store_image_release(&out);
	buf_release(&p);
	assert_int_equal(store_codec_image_patch(b.data, 50, &img, &p),
	    STORE_CORRUPT);
	b.data[0] = 2;
	assert_int_equal(store_codec_image_patch(b.data, b.len, &img, &p),
	    STORE_CORRUPT);
	buf_release(&b);
}

static void
test_codec_small_records_round_trip_and_refuse_damage(void **state)
{
	struct store_layer l, lo;
	struct store_blob bl, bo;
	struct store_upload u, uo;
	struct buf b;
	const void *p;
	char d[STORE_DIGEST_MAX + 1];
	size_t len, n;

	(void)state;
	memset(&l, 0, sizeof(l));
	l.size = 1;
	l.created_at_ms = -2;
	l.refs = 3;
	str_copy(l.media_type, sizeof(l.media_type), "m");
	assert_int_equal(store_codec_layer_encode(&l, &b), STORE_OK);
	assert_int_equal(store_codec_layer_decode(b.data, b.len, &lo),
	    STORE_OK);
	assert_int_equal(lo.size, 1);
	assert_true(lo.created_at_ms == -2);
	assert_int_equal(lo.refs, 3);
	assert_string_equal(lo.media_type, "m");
	for (len = 0; len < b.len; len++)
		assert_int_equal(store_codec_layer_decode(b.data, len, &lo),
		    STORE_CORRUPT);
	buf_release(&b);

	bl.size = 10;
	bl.users = 2;
	assert_int_equal(store_codec_blob_encode(&bl, &b), STORE_OK);
	assert_int_equal(b.len, 17);
	assert_int_equal(store_codec_blob_decode(b.data, b.len, &bo), STORE_OK);
	assert_int_equal(bo.size, 10);
	assert_int_equal(bo.users, 2);
	assert_int_equal(store_codec_blob_decode(b.data, b.len - 1, &bo),
	    STORE_CORRUPT);
	buf_release(&b);

	upload_init(&u, "id", 4, 5);
	assert_int_equal(store_codec_upload_encode(&u, &b), STORE_OK);
	memset(&uo, 0, sizeof(uo));
	str_copy(uo.id, sizeof(uo.id), "id");
	assert_int_equal(store_codec_upload_decode(b.data, b.len, &uo),
	    STORE_OK);
	assert_memory_equal(&uo, &u, sizeof(u));
	for (len = 0; len < b.len; len++)
		assert_int_equal(store_codec_upload_decode(b.data, len, &uo),
		    STORE_CORRUPT);
	b.data[0] = 0x03; /* a format this ecrd does not know */
	assert_int_equal(store_codec_upload_decode(b.data, b.len, &uo),
	    STORE_CORRUPT);
	buf_release(&b);
	upload_codec_reads_format_1(&u);

	assert_int_equal(store_codec_tag_encode("sha256:x", &b), STORE_OK);
	assert_int_equal(store_codec_tag_decode(b.data, b.len, d), STORE_OK);
	assert_string_equal(d, "sha256:x");
	assert_int_equal(store_codec_tag_decode(b.data, b.len - 1, d),
	    STORE_CORRUPT);
	buf_release(&b);
	assert_int_equal(store_codec_tag_encode("", &b), STORE_OK);
	assert_int_equal(store_codec_tag_decode(b.data, b.len, d),
	    STORE_CORRUPT);
	buf_release(&b);

	assert_int_equal(store_codec_manifest_encode("{}", 2, &b), STORE_OK);
	assert_int_equal(store_codec_manifest_decode(b.data, b.len, &p, &n),
	    STORE_OK);
	assert_int_equal(n, 2);
	assert_memory_equal(p, "{}", 2);
	b.data[0] = 0;
	assert_int_equal(store_codec_manifest_decode(b.data, b.len, &p, &n),
	    STORE_CORRUPT);
	buf_release(&b);

	assert_int_equal(store_codec_marker_encode(&b), STORE_OK);
	assert_int_equal(b.len, 1);
	assert_int_equal(store_codec_marker_decode(b.data, b.len), STORE_OK);
	assert_int_equal(store_codec_marker_decode(b.data, 0), STORE_CORRUPT);
	buf_release(&b);
}

static void
test_corrupt_image_record_is_reported_not_crashed_on(void **state)
{
	struct fx *f = *state;
	struct store_image img;
	struct store_key k;
	struct store_txn *t;
	struct seen s;
	uint64_t r;
	static const char junk[] = "\001\002";

	r = repo(f, "a");
	t = fx_wbegin(f);
	assert_int_equal(store_keys_repo_digest(&k, r, D(1)), STORE_OK);
	assert_int_equal(store_db_put(t, STORE_DBI_IMAGES, &k, junk, 2, 0),
	    STORE_OK);
	assert_int_equal(store_image_get(t, r, D(1), &img), STORE_CORRUPT);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_image_foreach(t, r, NULL, seen_cb, &s),
	    STORE_CORRUPT);
	assert_int_equal(store_tag_set(t, r, "x", D(1), NULL), STORE_CORRUPT);
	assert_int_equal(store_image_delete(t, r, D(1)), STORE_CORRUPT);
	store_txn_abort(t);
}

static void
test_store_open_needs_file_directories(void **state)
{
	struct fx *f = *state;
	struct store *st = NULL;
	char *path, *cause = NULL;

	store_close(f->st);
	f->st = NULL;
	path = path_in(f, "blobs/sha512");
	assert_int_equal(rmdir(path), 0);
	write_small(path, "not a directory");
	assert_int_equal(store_open(f->dir, STORE_EPHEMERAL, 0, &st, &cause),
	    STORE_IO);
	assert_null(st);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "blobs/sha512: not a directory"));
	free(cause);
	/* A missing directory is made again. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(store_open(f->dir, STORE_EPHEMERAL, 0, &f->st, NULL),
	    STORE_OK);
	assert_true(file_exists(path));
	free(path);
}

struct tag_walk {
	char seen[8][32];
	size_t n;
	size_t stop_at;
};

static int
collect_tag(const char *tag, const char *digest, void *arg)
{
	struct tag_walk *w = arg;

	assert_true(strncmp(digest, "sha256:", 7) == 0);
	snprintf(w->seen[w->n], sizeof(w->seen[0]), "%s", tag);
	return ++w->n == w->stop_at ? 1 : 0;
}

static void
test_tag_foreach_walks_in_order_after_a_tag(void **state)
{
	struct fx *f = *state;
	struct tag_walk w;
	struct store_txn *t;
	uint64_t r = repo(f, "tags"), other = repo(f, "other");

	assert_int_equal(image_create(f, r, 1, STORE_IMAGE_MANIFEST, NULL, 0,
	                     0),
	    STORE_OK);
	assert_int_equal(image_create(f, other, 1, STORE_IMAGE_MANIFEST, NULL,
	                     0, 0),
	    STORE_OK);
	assert_int_equal(tag_set(f, r, "b", 1, NULL), STORE_OK);
	assert_int_equal(tag_set(f, r, "a", 1, NULL), STORE_OK);
	assert_int_equal(tag_set(f, r, "c", 1, NULL), STORE_OK);
	assert_int_equal(tag_set(f, other, "zz", 1, NULL), STORE_OK);
	t = fx_rbegin(f);
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_tag_foreach(t, r, NULL, collect_tag, &w),
	    STORE_OK);
	assert_int_equal(w.n, 3);
	assert_string_equal(w.seen[0], "a");
	assert_string_equal(w.seen[2], "c");
	memset(&w, 0, sizeof(w));
	assert_int_equal(store_tag_foreach(t, r, "a", collect_tag, &w),
	    STORE_OK);
	assert_int_equal(w.n, 2);
	assert_string_equal(w.seen[0], "b");
	memset(&w, 0, sizeof(w));
	w.stop_at = 1;
	assert_int_equal(store_tag_foreach(t, r, "aa", collect_tag, &w),
	    STORE_OK);
	assert_int_equal(w.n, 1);
	assert_string_equal(w.seen[0], "b");
	store_txn_abort(t);
}

static void
test_docs_round_trip_replace_delete_and_go_with_repo(void **state)
{
	struct fx *f = *state;
	struct store_doc d, got;
	struct store_txn *t;
	uint64_t id = repo(f, "docs");
	char text[] = "{\"rules\":[]}";

	memset(&d, 0, sizeof(d));
	d.text = text;
	d.len = strlen(text);
	d.at_ms = 1000;
	d.aux_ms = 0;
	t = fx_wbegin(f);
	assert_int_equal(store_repo_doc_put(t, id, STORE_DOC_LIFECYCLE_POLICY,
	                     &d),
	    STORE_OK);
	assert_int_equal(store_repo_doc_put(t, 999, STORE_DOC_REPO_POLICY, &d),
	    STORE_NOTFOUND);
	assert_int_equal(store_registry_doc_put(t, REG, RGN,
	                     STORE_DOC_REGISTRY_POLICY, &d),
	    STORE_OK);
	d.aux_ms = 2000;
	assert_int_equal(store_repo_doc_put(t, id, STORE_DOC_LIFECYCLE_POLICY,
	                     &d),
	    STORE_OK);
	commit(t);
	t = fx_rbegin(f);
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_repo_doc_get(t, id, STORE_DOC_LIFECYCLE_POLICY,
	                     &got),
	    STORE_OK);
	assert_string_equal(got.text, text);
	assert_int_equal(got.len, strlen(text));
	assert_int_equal(got.at_ms, 1000);
	assert_int_equal(got.aux_ms, 2000);
	store_doc_release(&got);
	assert_null(got.text);
	assert_int_equal(store_repo_doc_get(t, id, STORE_DOC_REPO_POLICY, &got),
	    STORE_NOTFOUND);
	assert_int_equal(store_registry_doc_get(t, REG, "eu-west-1",
	                     STORE_DOC_REGISTRY_POLICY, &got),
	    STORE_NOTFOUND);
	store_txn_abort(t);
	t = fx_wbegin(f);
	assert_int_equal(store_registry_doc_delete(t, REG, RGN,
	                     STORE_DOC_REGISTRY_POLICY),
	    STORE_OK);
	assert_int_equal(store_registry_doc_delete(t, REG, RGN,
	                     STORE_DOC_REGISTRY_POLICY),
	    STORE_NOTFOUND);
	assert_int_equal(store_repo_delete(t, REG, RGN, "docs"), STORE_OK);
	assert_int_equal(store_repo_doc_get(t, id, STORE_DOC_LIFECYCLE_POLICY,
	                     &got),
	    STORE_NOTFOUND);
	commit(t);
}

/* Repository ids and texts seen by a document walk. */
struct doc_seen {
	uint64_t ids[8];
	char texts[8][16];
	size_t n;
	size_t max; /* stop after this many; 0: never */
};

static int
doc_seen_add(uint64_t repo_id, const struct store_doc *doc, void *arg)
{
	struct doc_seen *s = arg;

	assert_true(s->n < 8);
	s->ids[s->n] = repo_id;
	str_copy(s->texts[s->n], sizeof(s->texts[0]), doc->text);
	s->n++;
	return s->max != 0 && s->n == s->max ? 1 : 0;
}

static int
doc_fail(uint64_t repo_id, const struct store_doc *doc, void *arg)
{
	(void)repo_id;
	(void)doc;
	(void)arg;
	return STORE_BUSY;
}

static void
put_doc(struct store_txn *t, uint64_t id, enum store_doc_kind kind,
    const char *text)
{
	struct store_doc d;
	char copy[16];

	memset(&d, 0, sizeof(d));
	str_copy(copy, sizeof(copy), text);
	d.text = copy;
	d.len = strlen(copy);
	assert_int_equal(store_repo_doc_put(t, id, kind, &d), STORE_OK);
}

static void
test_doc_foreach_walks_one_kind_in_repo_id_order(void **state)
{
	struct fx *f = *state;
	struct store_repo r;
	struct store_txn *t;
	struct doc_seen s;
	uint64_t a = repo(f, "a"), b = repo(f, "b"), c;

	memset(&r, 0, sizeof(r));
	str_copy(r.registry_id, sizeof(r.registry_id), "222222222222");
	str_copy(r.region, sizeof(r.region), "eu-west-1");
	str_copy(r.name, sizeof(r.name), "c");
	t = fx_wbegin(f);
	assert_int_equal(store_repo_create(t, &r), STORE_OK);
	c = r.id;
	put_doc(t, c, STORE_DOC_LIFECYCLE_POLICY, "pc");
	put_doc(t, a, STORE_DOC_LIFECYCLE_POLICY, "pa");
	put_doc(t, a, STORE_DOC_LIFECYCLE_PREVIEW, "va");
	put_doc(t, b, STORE_DOC_REPO_POLICY, "rb");
	put_doc(t, b, STORE_DOC_LIFECYCLE_PREVIEW, "vb");
	commit(t);
	t = fx_rbegin(f);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_repo_doc_foreach(t, STORE_DOC_LIFECYCLE_POLICY,
	                     0, doc_seen_add, &s),
	    STORE_OK);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.ids[0], a);
	assert_string_equal(s.texts[0], "pa");
	assert_int_equal(s.ids[1], c);
	assert_string_equal(s.texts[1], "pc");
	/* Resuming after a repository, and stopping early. */
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_repo_doc_foreach(t, STORE_DOC_LIFECYCLE_PREVIEW,
	                     a, doc_seen_add, &s),
	    STORE_OK);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ids[0], b);
	memset(&s, 0, sizeof(s));
	s.max = 1;
	assert_int_equal(store_repo_doc_foreach(t, STORE_DOC_LIFECYCLE_POLICY,
	                     0, doc_seen_add, &s),
	    STORE_OK);
	assert_int_equal(s.n, 1);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_repo_doc_foreach(t, STORE_DOC_LIFECYCLE_POLICY,
	                     c, doc_seen_add, &s),
	    STORE_OK);
	assert_int_equal(store_repo_doc_foreach(t, STORE_DOC_LIFECYCLE_POLICY,
	                     UINT64_MAX, doc_seen_add, &s),
	    STORE_OK);
	assert_int_equal(s.n, 0);
	assert_int_equal(store_repo_doc_foreach(t, STORE_DOC_LIFECYCLE_POLICY,
	                     0, doc_fail, NULL),
	    STORE_BUSY);
	store_txn_abort(t);
	/* A deleted repository's documents are gone from the walk. */
	t = fx_wbegin(f);
	assert_int_equal(store_repo_delete(t, REG, RGN, "a"), STORE_OK);
	commit(t);
	t = fx_rbegin(f);
	memset(&s, 0, sizeof(s));
	assert_int_equal(store_repo_doc_foreach(t, STORE_DOC_LIFECYCLE_POLICY,
	                     0, doc_seen_add, &s),
	    STORE_OK);
	assert_int_equal(s.n, 1);
	assert_int_equal(s.ids[0], c);
	store_txn_abort(t);
}

/* Create image n with a manifest of len bytes in its own txn. */
static int
image_create_big(struct fx *f, uint64_t repo_id, unsigned n,
    const char *manifest, size_t len)
{
	struct store_image img;
	struct store_txn *t;
	int rc;

	image_init(&img, repo_id, n, STORE_IMAGE_MANIFEST, NULL, 0);
	t = fx_wbegin(f);
	rc = store_image_create(t, &img, manifest, len);
	if (rc == STORE_OK)
		rc = store_txn_commit(t);
	else
		store_txn_abort(t);
	store_image_release(&img);
	return rc;
}

/*
 * Issue 11: once the map is full, deleting images and collecting must make
 * room for a new record of the same size, round after round. A small map
 * keeps it quick.
 */
static void
test_map_full_then_delete_then_same_size_fits(void **state)
{
	struct fx *f = *state;
	struct store_gc_list list;
	struct store_txn *t;
	char *manifest;
	uint64_t r;
	unsigned n, i, round, first = 1, next = 1;
	int rc;

	store_close(f->st);
	f->st = NULL;
	assert_int_equal(store_open(f->dir, STORE_EPHEMERAL, 24 << 20, &f->st,
	                     NULL),
	    STORE_OK);
	r = repo(f, "full");
	manifest = xmalloc(STORE_MANIFEST_MAX);
	memset(manifest, 'm', STORE_MANIFEST_MAX);
	while ((rc = image_create_big(f, r, next, manifest,
	            STORE_MANIFEST_MAX)) == STORE_OK)
		next++;
	assert_int_equal(rc, STORE_FULL);
	n = next - first;
	assert_true(n >= 2);
	for (round = 0; round < 4; round++) {
		for (i = first; i < next; i++)
			assert_int_equal(image_delete(f, r, i), STORE_OK);
		t = fx_wbegin(f);
		memset(&list, 0, sizeof(list));
		assert_int_equal(store_gc_collect(t, T_NEW, T_NEW, 1000, &list),
		    STORE_OK);
		commit(t);
		store_gc_list_release(&list);
		/* As many as filled the map fit again. */
		first = next;
		for (i = 0; i < n; i++)
			assert_int_equal(image_create_big(f, r, next++,
			                     manifest, STORE_MANIFEST_MAX),
			    STORE_OK);
	}
	free(manifest);
}

/*
 * A manifest bigger than a page is kept in chunks and read back whole; one
 * kept as a single record (as stores before issue 11 did) still reads and
 * deletes.
 */
static void
test_big_manifest_round_trips_chunked_and_legacy(void **state)
{
	struct fx *f = *state;
	struct store_key k, prefix;
	struct store_txn *t;
	struct buf b;
	uint64_t r = repo(f, "big");
	size_t len = 3 * f->st->chunk_max + 5, i, got_len;
	unsigned n;
	char *m, *got;

	m = xmalloc(len);
	for (i = 0; i < len; i++)
		m[i] = (char)('a' + i % 23);
	for (n = 1; n <= 2; n++) {
		assert_int_equal(image_create_big(f, r, n, m, len), STORE_OK);
		t = fx_rbegin(f);
		assert_int_equal(store_manifest_get(t, r, D(n), &got, &got_len),
		    STORE_OK);
		assert_int_equal(got_len, len);
		assert_memory_equal(got, m, len);
		free(got);
		store_txn_abort(t);
	}
	/* Image 2 the old way: one record under the image's key. */
	t = fx_wbegin(f);
	assert_int_equal(store_keys_manifest_chunk(&prefix, r, D(2), 0, true),
	    STORE_OK);
	assert_int_equal(store_db_del_prefix(t, STORE_DBI_MANIFESTS, &prefix),
	    STORE_OK);
	assert_int_equal(store_keys_repo_digest(&k, r, D(2)), STORE_OK);
	assert_int_equal(store_codec_manifest_encode(m, len, &b), STORE_OK);
	assert_int_equal(store_db_put(t, STORE_DBI_MANIFESTS, &k, b.data, b.len,
	                     0),
	    STORE_OK);
	buf_release(&b);
	commit(t);
	t = fx_rbegin(f);
	assert_int_equal(store_manifest_get(t, r, D(2), &got, &got_len),
	    STORE_OK);
	assert_int_equal(got_len, len);
	assert_memory_equal(got, m, len);
	free(got);
	store_txn_abort(t);
	for (n = 1; n <= 2; n++) {
		assert_int_equal(image_delete(f, r, n), STORE_OK);
		t = fx_rbegin(f);
		assert_int_equal(store_manifest_get(t, r, D(n), &got, &got_len),
		    STORE_NOTFOUND);
		store_txn_abort(t);
	}
	free(m);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_image_create_get_update_delete_round_trip),
	    T(test_docs_round_trip_replace_delete_and_go_with_repo),
	    T(test_doc_foreach_walks_one_kind_in_repo_id_order),
	    T(test_tag_foreach_walks_in_order_after_a_tag),
	    T(test_image_create_existing_digest_is_exists),
	    T(test_image_create_refuses_bad_input_writing_nothing),
	    T(test_image_foreach_pages_in_digest_order),
	    T(test_image_foreach_returns_callback_code),
	    T(test_tag_set_moves_tag_and_leaves_old_image_untagged),
	    T(test_tag_limit_is_1000_per_image),
	    T(test_image_delete_removes_its_tags),
	    T(test_layer_refs_count_images_up_and_down),
	    T(test_index_children_have_parents_and_are_busy),
	    T(test_referrers_are_listed_under_their_subject),
	    T(test_repo_delete_cascades_and_frees_blob_users),
	    T(test_repo_bury_then_reap_in_slices_across_a_reopen),
	    T(test_reset_empties_images_layers_blobs_and_uploads),
	    T(test_upload_record_crud),
	    T(test_upload_file_write_and_finish_make_blob_file),
	    T(test_upload_writer_mixes_add_and_space),
	    T(test_upload_writer_takes_aligned_blocks_uncopied),
	    T(test_upload_writer_gathers_aligned_pieces),
	    T(test_upload_file_finish_when_blob_exists_drops_upload),
	    T(test_files_refuse_digests_and_ids_that_are_not_well_formed),
	    T(test_gc_collects_old_unreferenced_layers_only),
	    T(test_blob_totals_follow_blob_records),
	    T(test_gc_takes_at_most_max_per_call),
	    T(test_gc_removes_blob_file_only_when_its_last_user_goes),
	    T(test_gc_keeps_listed_blob_file_that_is_used_again),
	    T(test_gc_files_unused_spares_blobs_the_refused_txn_freed),
	    T(test_gc_collects_old_uploads_and_their_files),
	    T(test_gc_sweeps_old_orphan_files_and_keeps_the_rest),
	    T(test_gc_sweep_keeps_a_pinned_upload_file),
	    T(test_finish_renews_an_old_blob_so_the_sweep_keeps_it),
	    cmocka_unit_test(test_codec_image_round_trips_at_the_limits),
	    cmocka_unit_test(test_codec_image_refuses_malformed_values),
	    cmocka_unit_test(test_codec_image_survives_random_bytes),
	    cmocka_unit_test(
	        test_codec_image_patch_changes_only_mutable_fields),
	    cmocka_unit_test(
	        test_codec_small_records_round_trip_and_refuse_damage),
	    T(test_corrupt_image_record_is_reported_not_crashed_on),
	    T(test_store_open_needs_file_directories),
	    T(test_map_full_then_delete_then_same_size_fits),
	    T(test_big_manifest_round_trips_chunked_and_legacy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
