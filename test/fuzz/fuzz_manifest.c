/*
 * libFuzzer harness for core/manifest.c: parse the input as a manifest with
 * a given media type (the first byte picks it, or none), translate it both
 * ways between Docker schema 2 and OCI, and pick an index's child. The
 * translation of a manifest that parses must parse as the type asked for.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/manifest.h"
#include "common/xalloc.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const given_types[] = {
    NULL,
    MEDIA_DOCKER_V2,
    MEDIA_OCI_MANIFEST,
    MEDIA_DOCKER_LIST,
    MEDIA_OCI_INDEX,
    MEDIA_DOCKER_V1_SIGNED,
    "application/vnd.example+json",
    "not a type",
};

static bool
accept_any(const char *media_type, void *arg)
{
	(void)arg;
	return manifest_is_index_type(media_type) ||
	       strcmp(media_type, MEDIA_DOCKER_V2) == 0 ||
	       strcmp(media_type, MEDIA_OCI_MANIFEST) == 0;
}

/* What manifest_translate made is a manifest of the type it was asked. */
static void
check_translation(const char *to_type, const char *out, size_t out_len)
{
	struct manifest m;

	if (manifest_parse(out, out_len, to_type, &m) != 0 ||
	    strcmp(m.media_type, to_type) != 0) {
		fprintf(stderr, "translation to %s does not parse:\n%s\n",
		    to_type, out);
		abort();
	}
	manifest_release(&m);
}

static void
translate(const char *bytes, size_t len, const char *from_type, bool is_valid)
{
	static const char *const to[] = {MEDIA_OCI_MANIFEST, MEDIA_DOCKER_V2};
	char *out;
	size_t i, out_len;

	for (i = 0; i < N(to); i++) {
		if ((out = manifest_translate(bytes, len, from_type, to[i],
		         &out_len)) == NULL)
			continue;
		if (is_valid)
			check_translation(to[i], out, out_len);
		free(out);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m;
	const char *given;
	char *exact, digest[160];
	size_t len, i;
	bool is_valid = false;

	if (size == 0)
		return 0;
	given = given_types[data[0] % N(given_types)];
	len = size - 1;
	/* An exact-size copy: a read past len is a heap overflow ASan sees. */
	exact = xmalloc(len + (len == 0));
	memcpy(exact, data + 1, len);
	if (manifest_parse(exact, len, given, &m) == 0) {
		is_valid = true;
		for (i = 0; i < m.n_refs; i++)
			(void)manifest_digest_is_valid(m.refs[i].digest);
		manifest_release(&m);
	}
	/* Every reader is length-bounded (issue 11, item 10). */
	translate(exact, len, given, is_valid);
	(void)manifest_pick_child(exact, len, accept_any, NULL, digest,
	    sizeof digest);
	free(exact);
	return 0;
}
