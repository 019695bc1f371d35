/* The api/ operation tests' fixture; see api_fixture.h. */
#include "test/unit/api_fixture.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <json-c/json_pointer.h>
#include <lmdb.h>
#include <sodium.h>

#include "api/api.h"
#include "auth/sha256.h"
#include "auth/sigv4.h"
#include "common/json.h"
#include "common/xalloc.h"
#include "store/store.h"
#include "store/store_int.h"
#include "test/unit/store_fixture.h"

/* A context over f's store, in permissive mode. */
static void
ctx_new(struct afx *f)
{
	struct core_config cfg;
	char *cause = NULL;

	memset(&cfg, 0, sizeof cfg);
	cfg.default_account = AFX_ACCOUNT;
	cfg.default_region = AFX_REGION;
	core_quota_defaults(cfg.quotas);
	if (api_ctx_new(f->fx->st, &cfg, &f->ctx, &cause) != 0)
		fail_msg("api_ctx_new: %s", cause);
	/* Group commits end on the writer thread, as in the server. */
	assert_int_equal(store_writer_start(f->fx->st, NULL, NULL), STORE_OK);
}

static void
batch_done(void *arg)
{
	*(bool *)arg = true;
}

/* Run one write call's group commit and wait (bounded) for its end. */
static void
run_write(struct afx *f, struct call *call)
{
	struct timespec ms = {0, 1000 * 1000};
	bool is_done = false;
	int i;

	call_batch_run(f->ctx, &call, 1, batch_done, &is_done);
	for (i = 0; !is_done && i < 30000; i++) {
		store_writer_run_done(f->fx->st);
		if (!is_done)
			nanosleep(&ms, NULL);
	}
	assert_true(is_done);
}

int
afx_setup(void **state)
{
	struct afx *f;
	void *fx_state = NULL;

	fx_setup(&fx_state);
	f = xcalloc(1, sizeof *f);
	f->fx = fx_state;
	f->now_ms = AFX_NOW_MS;
	ctx_new(f);
	*state = f;
	return 0;
}

void
afx_restart(struct afx *f)
{
	char *cause = NULL;

	api_ctx_free(f->ctx);
	store_close(f->fx->st);
	f->fx->st = NULL;
	if (store_open(f->fx->dir, STORE_EPHEMERAL, 0, &f->fx->st, &cause) !=
	    STORE_OK)
		fail_msg("store_open: %s", cause);
	ctx_new(f);
}

size_t
afx_child_records(struct afx *f)
{
	static const enum store_dbi dbis[] = {STORE_DBI_IMAGES,
	    STORE_DBI_MANIFESTS, STORE_DBI_TAGS, STORE_DBI_LAYERS,
	    STORE_DBI_REFERRERS, STORE_DBI_PARENTS, STORE_DBI_IMAGE_COUNTS,
	    STORE_DBI_REPO_DOCS};
	struct store_txn *t;
	MDB_stat st;
	size_t i, n = 0;

	t = fx_rbegin(f->fx);
	for (i = 0; i < sizeof dbis / sizeof dbis[0]; i++) {
		assert_int_equal(mdb_stat(t->txn, f->fx->st->dbi[dbis[i]], &st),
		    0);
		n += st.ms_entries;
	}
	store_txn_abort(t);
	return n;
}

int
afx_teardown(void **state)
{
	struct afx *f = *state;
	void *fx_state = f->fx;

	api_ctx_free(f->ctx);
	free(f);
	return fx_teardown(&fx_state);
}

static struct json_object *
parse(const char *text, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *o;

	o = json_tokener_parse_ex(tok, text, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success)
		fail_msg("not JSON: %.*s", (int)len, text);
	json_tokener_free(tok);
	return o;
}

struct json_object *
afx_in(const char *text)
{
	struct json_object *o;
	char *s = xstrdup(text), *p;

	for (p = s; *p != '\0'; p++) {
		if (*p == '\'')
			*p = '"';
	}
	o = parse(s, strlen(s));
	free(s);
	return o;
}

/* A SigV4 header that parses; permissive mode checks no signature. */
static void
sign(struct afx *f, struct sigv4_request *sr, struct sigv4_header hs[2],
    char *auth, size_t auth_size)
{
	snprintf(auth, auth_size,
	    "AWS4-HMAC-SHA256 Credential=%s/20231114/"
	    "%s/ecr/aws4_request, SignedHeaders=host;x-amz-date, "
	    "Signature=%064d",
	    f->access_key, f->region != NULL ? f->region : AFX_REGION, 0);
	hs[0].name = "Authorization";
	hs[0].value = auth;
	hs[1].name = "X-Amz-Date";
	hs[1].value = "20231114T221320Z";
	sr->headers = hs;
	sr->n_headers = 2;
}

struct json_object *
afx_run(struct afx *f, const char *op, struct json_object *owned_in,
    int *status, const char **type)
{
	struct sigv4_request sr = {.method = "POST", .path = "/", .query = ""};
	struct sigv4_header hs[2];
	struct call *call;
	struct json_object *out;
	const char *body = "";
	char *target, *text, auth[512];
	size_t len = 0;

	if (f->access_key != NULL)
		sign(f, &sr, hs, auth, sizeof auth);
	if (owned_in != NULL)
		body = json_object_to_json_string_ext(owned_in,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	target = xasprintf("%s%s", API_TARGET_PREFIX, op);
	call = call_new(f->ctx, "test-request", f->now_ms);
	switch (api_call_prepare(call, target, body, strlen(body), &sr)) {
	case CORE_STAGE_WRITE:
		run_write(f, call);
		break;
	case CORE_STAGE_READ:
		call_run(call);
		/* What the server's timer would write later (pulls.c). */
		if (core_pulls_pending(f->ctx))
			assert_int_equal(core_pulls_flush(f->ctx), 0);
		break;
	case CORE_STAGE_DONE:
		break;
	}
	api_call_render(call, status, type, &text, &len);
	out = parse(text, len);
	free(text);
	free(target);
	call_free(call);
	if (owned_in != NULL)
		json_object_put(owned_in);
	return out;
}

struct json_object *
afx_ok_in(struct afx *f, const char *op, struct json_object *owned_in)
{
	struct json_object *out;
	const char *type;
	int status;

	out = afx_run(f, op, owned_in, &status, &type);
	if (status != 200)
		fail_msg("%s: %d %s", op, status,
		    json_object_to_json_string(out));
	return out;
}

struct json_object *
afx_ok(struct afx *f, const char *op, const char *text)
{
	return afx_ok_in(f, op, afx_in(text));
}

void
afx_do(struct afx *f, const char *op, const char *text)
{
	json_object_put(afx_ok(f, op, text));
}

void
afx_fail_in(struct afx *f, const char *op, struct json_object *owned_in,
    int status, const char *type, const char *message)
{
	struct json_object *out;
	const char *got_type;
	int got_status;

	out = afx_run(f, op, owned_in, &got_status, &got_type);
	if (got_type == NULL || strcmp(got_type, type) != 0 ||
	    got_status != status)
		fail_msg("%s: want %d %s, got %d %s", op, status, type,
		    got_status, json_object_to_json_string(out));
	assert_string_equal(afx_str(out, "/__type"), type);
	if (message != NULL)
		assert_string_equal(afx_str(out, "/message"), message);
	else
		assert_false(afx_has(out, "/message"));
	json_object_put(out);
}

void
afx_fail(struct afx *f, const char *op, const char *text, int status,
    const char *type, const char *message)
{
	afx_fail_in(f, op, afx_in(text), status, type, message);
}

static struct json_object *
member(struct json_object *o, const char *ptr)
{
	struct json_object *v = NULL;

	if (json_pointer_get(o, ptr, &v) != 0)
		fail_msg("no %s in %s", ptr, json_object_to_json_string(o));
	return v;
}

const char *
afx_str(struct json_object *o, const char *ptr)
{
	struct json_object *v = member(o, ptr);

	if (!json_object_is_type(v, json_type_string))
		fail_msg("%s is not a string in %s", ptr,
		    json_object_to_json_string(o));
	return json_object_get_string(v);
}

int64_t
afx_i64(struct json_object *o, const char *ptr)
{
	struct json_object *v = member(o, ptr);

	if (!json_object_is_type(v, json_type_int))
		fail_msg("%s is not an integer in %s", ptr,
		    json_object_to_json_string(o));
	return json_object_get_int64(v);
}

double
afx_num(struct json_object *o, const char *ptr)
{
	struct json_object *v = member(o, ptr);

	if (!json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double))
		fail_msg("%s is not a number in %s", ptr,
		    json_object_to_json_string(o));
	return json_object_get_double(v);
}

size_t
afx_len(struct json_object *o, const char *ptr)
{
	struct json_object *v = member(o, ptr);

	if (!json_object_is_type(v, json_type_array))
		fail_msg("%s is not an array in %s", ptr,
		    json_object_to_json_string(o));
	return json_object_array_length(v);
}

int
afx_has(struct json_object *o, const char *ptr)
{
	struct json_object *v;

	return json_pointer_get(o, ptr, &v) == 0;
}

void
afx_equal(struct json_object *o, const char *text)
{
	struct json_object *want = afx_in(text);

	if (!json_object_equal(o, want))
		fail_msg("got %s\nwant %s", json_object_to_json_string(o),
		    json_object_to_json_string(want));
	json_object_put(want);
}

void
afx_digest(const void *data, size_t len, char out[72])
{
	sha256_digest_text(data, len, out);
}

void
afx_repo(struct afx *f, const char *name)
{
	struct json_object *in = json_object_new_object();

	jadd_str(in, "repositoryName", name);
	json_object_put(afx_ok_in(f, "CreateRepository", in));
}

static struct json_object *
repo_in(const char *repo)
{
	struct json_object *in = json_object_new_object();

	jadd_str(in, "repositoryName", repo);
	return in;
}

void
afx_layer(struct afx *f, const char *repo, const void *data, size_t len,
    char digest[72])
{
	struct json_object *in, *out, *digests;
	char *b64, *upload_id;
	size_t b64_size =
	    sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);

	afx_digest(data, len, digest);
	out = afx_ok_in(f, "InitiateLayerUpload", repo_in(repo));
	upload_id = xstrdup(afx_str(out, "/uploadId"));
	json_object_put(out);
	b64 = xmalloc(b64_size);
	sodium_bin2base64(b64, b64_size, data, len,
	    sodium_base64_VARIANT_ORIGINAL);
	in = repo_in(repo);
	jadd_str(in, "uploadId", upload_id);
	jadd_i64(in, "partFirstByte", 0);
	jadd_i64(in, "partLastByte", (int64_t)len - 1);
	jadd_str(in, "layerPartBlob", b64);
	json_object_put(afx_ok_in(f, "UploadLayerPart", in));
	free(b64);
	in = repo_in(repo);
	jadd_str(in, "uploadId", upload_id);
	digests = json_object_new_array();
	json_object_array_add(digests, json_object_new_string(digest));
	jadd_obj(in, "layerDigests", digests);
	out = afx_ok_in(f, "CompleteLayerUpload", in);
	assert_string_equal(afx_str(out, "/layerDigest"), digest);
	json_object_put(out);
	free(upload_id);
}

static struct json_object *
descriptor(const char *media_type, size_t size, const char *digest)
{
	struct json_object *d = json_object_new_object();

	jadd_str(d, "mediaType", media_type);
	jadd_i64(d, "size", (int64_t)size);
	jadd_str(d, "digest", digest);
	return d;
}

char *
afx_image(struct afx *f, const char *repo, const char *seed, char digest[72])
{
	struct json_object *config, *rootfs, *ids, *m, *layers;
	char layer_digest[72], config_digest[72];
	char *layer, *config_text, *text;

	layer = xasprintf("layer bytes of %s", seed);
	afx_layer(f, repo, layer, strlen(layer), layer_digest);
	config = json_object_new_object();
	jadd_str(config, "architecture", "amd64");
	jadd_str(config, "os", "linux");
	jadd_str(config, "created", "2024-01-01T00:00:00Z");
	rootfs = json_object_new_object();
	jadd_str(rootfs, "type", "layers");
	ids = json_object_new_array();
	json_object_array_add(ids, json_object_new_string(layer_digest));
	jadd_obj(rootfs, "diff_ids", ids);
	jadd_obj(config, "rootfs", rootfs);
	config_text = xstrdup(json_object_to_json_string_ext(config,
	    JSON_C_TO_STRING_PLAIN));
	json_object_put(config);
	afx_layer(f, repo, config_text, strlen(config_text), config_digest);

	m = json_object_new_object();
	jadd_i64(m, "schemaVersion", 2);
	jadd_str(m, "mediaType",
	    "application/vnd.docker.distribution.manifest.v2+json");
	jadd_obj(m, "config",
	    descriptor("application/vnd.docker.container.image.v1+json",
	        strlen(config_text), config_digest));
	layers = json_object_new_array();
	json_object_array_add(layers,
	    descriptor("application/vnd.docker.image.rootfs.diff.tar.gzip",
	        strlen(layer), layer_digest));
	jadd_obj(m, "layers", layers);
	/* Pretty, with a newline: a digest covers the exact bytes. */
	text = xasprintf("%s\n",
	    json_object_to_json_string_ext(m,
	        JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(m);
	afx_digest(text, strlen(text), digest);
	free(config_text);
	free(layer);
	return text;
}

struct json_object *
afx_put(struct afx *f, const char *repo, const char *manifest, const char *tag)
{
	struct json_object *in = repo_in(repo), *out, *image;

	jadd_str(in, "imageManifest", manifest);
	jadd_str(in, "imageTag", tag);
	out = afx_ok_in(f, "PutImage", in);
	image = json_object_get(member(out, "/image"));
	json_object_put(out);
	return image;
}
