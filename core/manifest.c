/*
 * Read what ECR needs from a manifest's exact bytes: its media type, the
 * blobs or child manifests it names, its subject, artifact type and size
 * (docs/ecr-behaviour.md 3.2). The bytes are never re-serialised.
 */
#include "core/manifest.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/json.h"
#include "common/xalloc.h"

/*
 * Layers per image. ECR does not publish its limit; Docker's historical
 * 127 is what docs/ecr-behaviour.md 3.2 suggests [unconfirmed]: chosen, so
 * the error exists and is tested, and generous for real images.
 */
#define LAYERS_MAX 127

static const char *const index_types[] = {
    MEDIA_DOCKER_LIST,
    MEDIA_OCI_INDEX,
};

bool
manifest_is_index_type(const char *media_type)
{
	size_t i;

	for (i = 0; i < sizeof index_types / sizeof index_types[0]; i++)
		if (strcmp(media_type, index_types[i]) == 0)
			return true;
	return false;
}

bool
manifest_digest_is_valid(const char *d)
{
	size_t hex, i;

	if (strncmp(d, "sha256:", 7) == 0)
		hex = 64;
	else if (strncmp(d, "sha512:", 7) == 0)
		hex = 128;
	else
		return false;
	for (i = 0; i < hex; i++) {
		char c = d[7 + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return d[7 + hex] == '\0';
}

/*
 * A media type as RFC 6838 shapes it ("type/subtype", optional
 * parameters); ECR accepts any well-formed one (docs/ecr-behaviour.md 3.2).
 */
static bool
media_type_is_valid(const char *s)
{
	const char *slash = strchr(s, '/');

	return slash != NULL && slash != s && slash[1] != '\0' &&
	       strlen(s) <= MANIFEST_MEDIA_TYPE_MAX && strchr(s, ' ') == NULL;
}

static const char *
get_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Whether o has key at all (even with a value of the wrong type). */
static bool
has(struct json_object *o, const char *key)
{
	return json_object_object_get_ex(o, key, NULL);
}

static void
add_ref(struct manifest *m, const char *digest, int64_t size,
    const char *media_type, bool is_foreign)
{
	struct manifest_ref *r;
	size_t i;

	for (i = 0; i < m->n_refs; i++)
		if (strcmp(m->refs[i].digest, digest) == 0)
			return;
	m->refs = xreallocarray(m->refs, m->n_refs + 1, sizeof *m->refs);
	r = &m->refs[m->n_refs++];
	r->digest = xstrdup(digest);
	r->size = size;
	r->media_type = xstrdup(media_type != NULL ? media_type : "");
	r->is_foreign = is_foreign;
}

/*
 * One descriptor: {"mediaType", "digest", "size", "urls"?}. Returns 0,
 * MANIFEST_BAD_SIZE for a size no blob can have (or one that takes the
 * image's sum past INT64_MAX, ECR's long), or MANIFEST_INVALID.
 */
static int
read_descriptor(struct manifest *m, struct json_object *d, bool counts)
{
	struct json_object *size, *urls;
	const char *digest = get_str(d, "digest");
	const char *type = get_str(d, "mediaType");
	int64_t n;

	if (!json_object_is_type(d, json_type_object) || digest == NULL ||
	    !manifest_digest_is_valid(digest))
		return MANIFEST_INVALID;
	if (type != NULL && !media_type_is_valid(type))
		return MANIFEST_INVALID;
	if (!json_object_object_get_ex(d, "size", &size) ||
	    !json_object_is_type(size, json_type_int))
		return MANIFEST_INVALID;
	/* json-c keeps integers past INT64_MAX as uint64, clamped here. */
	n = json_object_get_int64(size);
	if (n < 0 || json_object_get_uint64(size) > INT64_MAX)
		return MANIFEST_BAD_SIZE;
	if (counts && __builtin_add_overflow(m->size, n, &m->size))
		return MANIFEST_BAD_SIZE;
	/* Foreign layers (Windows base layers) live elsewhere (3.2). */
	urls = NULL;
	json_object_object_get_ex(d, "urls", &urls);
	add_ref(m, digest, n, type,
	    urls != NULL && json_object_is_type(urls, json_type_array) &&
	        json_object_array_length(urls) > 0);
	return 0;
}

static int
read_list(struct manifest *m, struct json_object *root, const char *key,
    bool counts)
{
	struct json_object *list;
	size_t i, n;
	int rc;

	if (!json_object_object_get_ex(root, key, &list))
		return 0;
	if (!json_object_is_type(list, json_type_array))
		return MANIFEST_INVALID;
	n = json_object_array_length(list);
	if (n > LAYERS_MAX && counts)
		return MANIFEST_TOO_MANY_LAYERS;
	for (i = 0; i < n; i++)
		if ((rc = read_descriptor(m, json_object_array_get_idx(list, i),
		         counts)) != 0)
			return rc;
	return 0;
}

/* Docker v2 schema 1: fsLayers[].blobSum, with no sizes. */
static int
read_schema1(struct manifest *m, struct json_object *root)
{
	struct json_object *list, *l;
	const char *sum;
	size_t i, n;

	if (!json_object_object_get_ex(root, "fsLayers", &list) ||
	    !json_object_is_type(list, json_type_array))
		return MANIFEST_INVALID;
	n = json_object_array_length(list);
	if (n > LAYERS_MAX)
		return MANIFEST_TOO_MANY_LAYERS;
	for (i = 0; i < n; i++) {
		l = json_object_array_get_idx(list, i);
		if (!json_object_is_type(l, json_type_object) ||
		    (sum = get_str(l, "blobSum")) == NULL ||
		    !manifest_digest_is_valid(sum))
			return MANIFEST_INVALID;
		add_ref(m, sum, -1, MEDIA_DOCKER_LAYER, false);
	}
	return 0;
}

static int
read_image(struct manifest *m, struct json_object *root)
{
	struct json_object *config;
	const char *atype = get_str(root, "artifactType");
	int rc;

	if (strcmp(m->media_type, MEDIA_DOCKER_V1) == 0 ||
	    strcmp(m->media_type, MEDIA_DOCKER_V1_SIGNED) == 0)
		return read_schema1(m, root);
	if (json_object_object_get_ex(root, "config", &config)) {
		if ((rc = read_descriptor(m, config, true)) != 0)
			return rc;
		m->artifact_type = xstrdup(get_str(config, "mediaType") != NULL
		                               ? get_str(config, "mediaType")
		                               : "");
	}
	if ((rc = read_list(m, root, "layers", true)) != 0)
		return rc;
	/* The OCI artifactType wins over the config's type [unconfirmed]. */
	if (atype != NULL) {
		if (!media_type_is_valid(atype))
			return MANIFEST_INVALID;
		free(m->artifact_type);
		m->artifact_type = xstrdup(atype);
	}
	return 0;
}

static int
read_subject(struct manifest *m, struct json_object *root)
{
	struct json_object *subject;
	const char *digest;

	if (!json_object_object_get_ex(root, "subject", &subject))
		return 0;
	if (!json_object_is_type(subject, json_type_object) ||
	    (digest = get_str(subject, "digest")) == NULL ||
	    !manifest_digest_is_valid(digest))
		return MANIFEST_INVALID;
	m->subject = xstrdup(digest);
	return 0;
}

/*
 * The media type: the manifest's own field, else the caller's; both absent
 * is ECR's 'Invalid JSON syntax' (3.2).
 */
static int
pick_media_type(struct manifest *m, struct json_object *root, const char *given)
{
	const char *own = get_str(root, "mediaType");

	if (has(root, "mediaType") && own == NULL)
		return MANIFEST_INVALID;
	if (own != NULL && !media_type_is_valid(own))
		return MANIFEST_INVALID;
	if (given != NULL && !media_type_is_valid(given))
		return MANIFEST_BAD_MEDIA_TYPE;
	/*
	 * A parameter that disagrees with the manifest's own field is refused
	 * [unconfirmed: ECR's exact answer; 3.2 suggests this error].
	 */
	if (own != NULL && given != NULL && strcmp(own, given) != 0)
		return MANIFEST_MEDIA_TYPE_MISMATCH;
	if (own == NULL && given == NULL)
		return MANIFEST_INVALID;
	m->media_type = xstrdup(own != NULL ? own : given);
	return 0;
}

struct json_object *
manifest_json(const char *bytes, size_t len)
{
	struct json_object *root;

	if (len == 0 || jparse_strict(bytes, len, &root, NULL) == JPARSE_BAD)
		return NULL;
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return NULL;
	}
	return root;
}

int
manifest_parse(const char *bytes, size_t len, const char *given_type,
    struct manifest *m)
{
	struct json_object *root;
	int rc;

	memset(m, 0, sizeof *m);
	if ((root = manifest_json(bytes, len)) == NULL)
		return MANIFEST_INVALID;
	if ((rc = pick_media_type(m, root, given_type)) == 0 &&
	    (rc = read_subject(m, root)) == 0) {
		/* An unknown type with "manifests" is an index too. */
		m->is_index = manifest_is_index_type(m->media_type) ||
		              (!has(root, "layers") && has(root, "manifests"));
		if (m->is_index)
			rc = read_list(m, root, "manifests", false);
		else
			rc = read_image(m, root);
	}
	if (rc == 0 && m->is_index && get_str(root, "artifactType") != NULL)
		m->artifact_type = xstrdup(get_str(root, "artifactType"));
	json_object_put(root);
	if (rc != 0)
		manifest_release(m);
	return rc;
}

void
manifest_release(struct manifest *m)
{
	size_t i;

	for (i = 0; i < m->n_refs; i++) {
		free(m->refs[i].digest);
		free(m->refs[i].media_type);
	}
	free(m->refs);
	free(m->media_type);
	free(m->artifact_type);
	free(m->subject);
	memset(m, 0, sizeof *m);
}

/* Docker v2 schema 2 media types and their OCI twins (ECR's translation). */
static const char *const twins[][2] = {
    {MEDIA_DOCKER_V2, MEDIA_OCI_MANIFEST},
    {"application/vnd.docker.container.image.v1+json",
        "application/vnd.oci.image.config.v1+json"},
    {MEDIA_DOCKER_LAYER, "application/vnd.oci.image.layer.v1.tar+gzip"},
    {"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
        "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"},
};

/* Rewrite o's mediaType to its twin on side `to`; false if it has none. */
static bool
swap_type(struct json_object *o, int to)
{
	const char *type = get_str(o, "mediaType");
	size_t i;

	if (type == NULL)
		return false;
	for (i = 0; i < sizeof twins / sizeof twins[0]; i++) {
		if (strcmp(type, twins[i][1 - to]) == 0) {
			json_object_object_add(o, "mediaType",
			    json_object_new_string(twins[i][to]));
			return true;
		}
		if (strcmp(type, twins[i][to]) == 0)
			return true;
	}
	return false;
}

const char *
manifest_twin(const char *media_type)
{
	if (strcmp(media_type, MEDIA_DOCKER_V2) == 0)
		return MEDIA_OCI_MANIFEST;
	if (strcmp(media_type, MEDIA_OCI_MANIFEST) == 0)
		return MEDIA_DOCKER_V2;
	return NULL;
}

/*
 * root with a mediaType member of type, after schemaVersion where Docker
 * writes it: for an OCI manifest that left the optional member out.
 */
static struct json_object *
with_media_type(struct json_object *root, const char *type)
{
	struct json_object *out = json_object_new_object(), *v;

	if (json_object_object_get_ex(root, "schemaVersion", &v))
		json_object_object_add(out, "schemaVersion",
		    json_object_get(v));
	json_object_object_add(out, "mediaType", json_object_new_string(type));
	json_object_object_foreach(root, key, val)
	{
		if (strcmp(key, "schemaVersion") != 0)
			json_object_object_add(out, key, json_object_get(val));
	}
	json_object_put(root);
	return out;
}

char *
manifest_translate(const char *bytes, size_t len, const char *from_type,
    const char *to_type, size_t *out_len)
{
	struct json_object *root, *config, *layers;
	const char *twin;
	char *out = NULL;
	size_t i, n;
	bool ok;
	int to;

	if (strcmp(to_type, MEDIA_OCI_MANIFEST) == 0)
		to = 1;
	else if (strcmp(to_type, MEDIA_DOCKER_V2) == 0)
		to = 0;
	else
		return NULL;
	if ((root = manifest_json(bytes, len)) == NULL)
		return NULL;
	/* Without the member, the type given at push time says what it is. */
	if (!has(root, "mediaType") && from_type != NULL &&
	    (twin = manifest_twin(from_type)) != NULL &&
	    strcmp(twin, to_type) == 0)
		root = with_media_type(root, to_type);
	ok = swap_type(root, to) &&
	     json_object_object_get_ex(root, "config", &config) &&
	     swap_type(config, to) &&
	     json_object_object_get_ex(root, "layers", &layers) &&
	     json_object_is_type(layers, json_type_array);
	n = ok ? json_object_array_length(layers) : 0;
	for (i = 0; ok && i < n; i++)
		ok = swap_type(json_object_array_get_idx(layers, i), to);
	if (ok) {
		out = xstrdup(json_object_to_json_string_ext(root,
		    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
		*out_len = strlen(out);
	}
	json_object_put(root);
	return out;
}

static bool
is_platform(struct json_object *d, const char *os, const char *arch)
{
	struct json_object *p;
	const char *o, *a;

	if (!json_object_object_get_ex(d, "platform", &p))
		return false;
	o = get_str(p, "os");
	a = get_str(p, "architecture");
	return o != NULL && a != NULL && strcmp(o, os) == 0 &&
	       strcmp(a, arch) == 0;
}

int
manifest_pick_child(const char *bytes, size_t len,
    bool (*accept)(const char *media_type, void *arg), void *arg, char *digest,
    size_t size)
{
	struct json_object *root, *list, *d, *best = NULL;
	const char *type;
	size_t i, n;
	int rc = -1;

	if ((root = manifest_json(bytes, len)) == NULL)
		return -1;
	if (json_object_object_get_ex(root, "manifests", &list) &&
	    json_object_is_type(list, json_type_array)) {
		n = json_object_array_length(list);
		for (i = 0; i < n; i++) {
			d = json_object_array_get_idx(list, i);
			type = get_str(d, "mediaType");
			if (type == NULL || !accept(type, arg))
				continue;
			/* linux/amd64 first, as registries choose (3.2). */
			if (best == NULL || is_platform(d, "linux", "amd64"))
				best = d;
			if (is_platform(d, "linux", "amd64"))
				break;
		}
	}
	if (best != NULL && get_str(best, "digest") != NULL &&
	    strlen(get_str(best, "digest")) < size) {
		memcpy(digest, get_str(best, "digest"),
		    strlen(get_str(best, "digest")) + 1);
		rc = 0;
	}
	json_object_put(root);
	return rc;
}
