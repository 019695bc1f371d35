/*
 * Manifests as ECR reads them (docs/ecr-behaviour.md 3.2): media type, the
 * blobs or child manifests named, subject, artifact type and size, from the
 * exact bytes. No I/O.
 */
#ifndef ECRD_CORE_MANIFEST_H
#define ECRD_CORE_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEDIA_DOCKER_V1 "application/vnd.docker.distribution.manifest.v1+json"
#define MEDIA_DOCKER_V1_SIGNED                                                 \
	"application/vnd.docker.distribution.manifest.v1+prettyjws"
#define MEDIA_DOCKER_V2 "application/vnd.docker.distribution.manifest.v2+json"
#define MEDIA_DOCKER_LIST                                                      \
	"application/vnd.docker.distribution.manifest.list.v2+json"
#define MEDIA_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MEDIA_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MEDIA_DOCKER_LAYER "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MANIFEST_MEDIA_TYPE_MAX 255

/* manifest_parse() results. */
#define MANIFEST_INVALID (-1) /* 'Invalid JSON syntax' */
#define MANIFEST_TOO_MANY_LAYERS (-2)
#define MANIFEST_BAD_MEDIA_TYPE (-3)      /* the given type is malformed */
#define MANIFEST_MEDIA_TYPE_MISMATCH (-4) /* given type != manifest's */
/* A descriptor size below 0 or past INT64_MAX, or a sum past INT64_MAX. */
#define MANIFEST_BAD_SIZE (-5)

/* A blob (image manifest) or child manifest (index) the manifest names. */
struct manifest_ref {
	char *digest;
	int64_t size;     /* from the descriptor; -1: unknown */
	char *media_type; /* "" when the descriptor has none */
	bool is_foreign;  /* has urls: lives elsewhere */
};

struct manifest {
	char *media_type; /* the image's media type */
	bool is_index;    /* list or index: refs are children */
	/* Config media type, or the OCI artifactType; NULL if neither. */
	char *artifact_type;
	char *subject; /* subject digest, or NULL */
	/* Config first, then layers (no duplicates); or the children. */
	struct manifest_ref *refs;
	size_t n_refs;
	/*
	 * Image manifests: sum of config and layer sizes (ECR's rule), at
	 * most INT64_MAX.
	 */
	int64_t size;
};

/*
 * Every function here reads exactly len bytes of a manifest: the bytes
 * need no terminator, and what follows them is never looked at.
 */

struct json_object;
/*
 * The manifest's JSON object: len bytes of strict JSON (UTF-8 checked)
 * that are one object and nothing after it. Returns a new reference (the
 * caller puts it), or NULL.
 */
struct json_object *manifest_json(const char *bytes, size_t len);

/*
 * Parse len bytes (strict JSON, one object) with the optional media type
 * the caller was given (PutImage's imageManifestMediaType, or a registry
 * PUT's Content-Type). Returns 0 and fills *m (release it), or one of the
 * MANIFEST_* codes with *m empty.
 */
int manifest_parse(const char *bytes, size_t len, const char *given_type,
    struct manifest *m);
void manifest_release(struct manifest *m);
/* "sha256:" and 64 lowercase hex digits, or "sha512:" and 128. */
bool manifest_digest_is_valid(const char *digest);
bool manifest_is_index_type(const char *media_type);

/*
 * The media type an image manifest of media_type translates to: Docker v2
 * schema 2 and OCI are each other's twins (ECR's pull translation); NULL
 * for any other type.
 */
const char *manifest_twin(const char *media_type);
/*
 * The Docker v2 schema 2 manifest as OCI, or the OCI manifest as Docker v2
 * schema 2 (to_type names which), with config and layer media types
 * mapped, as ECR translates on a pull by tag. from_type is the type stored
 * at push time, which counts when the manifest has no mediaType member
 * (OCI makes it optional; podman, skopeo and buildah leave it out). NULL
 * if the manifest is not one of those or has a type with no twin. The
 * caller frees the result.
 */
char *manifest_translate(const char *bytes, size_t len, const char *from_type,
    const char *to_type, size_t *out_len);
/*
 * Of an index's children whose media type accept() takes, the linux/amd64
 * one, else the first: its digest into digest (size bytes). 0, or -1 if
 * none.
 */
int manifest_pick_child(const char *bytes, size_t len,
    bool (*accept)(const char *media_type, void *arg), void *arg, char *digest,
    size_t size);

#endif
