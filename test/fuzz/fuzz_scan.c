/*
 * libFuzzer harness for basic scanning's readers (core/scan.h): the first
 * byte picks what the rest is: a layer (plain, gzip, zstd or sniffed)
 * read under small limits into an inventory, whose stored form must decode
 * to the same packages; a stored inventory to decode; or two versions
 * (split at the first NUL) whose dpkg and apk orderings must be
 * antisymmetric.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "core/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const media_types[] = {
    NULL,
    "application/vnd.oci.image.layer.v1.tar",
    "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.oci.image.layer.v1.tar+zstd",
};
#define N_MEDIA (sizeof(media_types) / sizeof(media_types[0]))

/* The decoded inventory is the one encoded. */
static void
check_round_trip(const struct scan_inventory *inv)
{
	struct scan_inventory back;
	size_t len, i;
	char *enc = scan_inventory_encode(inv, &len);

	if (enc == NULL || scan_inventory_decode(enc, len, &back) != 0 ||
	    back.n_pkgs != inv->n_pkgs)
		abort();
	for (i = 0; i < back.n_pkgs; i++)
		if (strcmp(back.pkgs[i].name, inv->pkgs[i].name) != 0 ||
		    strcmp(back.pkgs[i].source_version,
		        inv->pkgs[i].source_version) != 0)
			abort();
	scan_inventory_free(&back);
	free(enc);
}

static void
fuzz_layer(const uint8_t *data, size_t size, const char *media_type)
{
	const char *tmp = getenv("TMPDIR");
	struct scan_inventory inv;
	struct scan_layer layer;
	struct scan_limits l;
	char *path, *reason = NULL;
	FILE *fp;

	path = xasprintf("%s/fuzz_scan.%ld", tmp != NULL ? tmp : "/tmp",
	    (long)getpid());
	if ((fp = fopen(path, "wb")) == NULL)
		abort();
	fwrite(data, 1, size, fp);
	fclose(fp);
	layer.path = path;
	layer.media_type = media_type;
	scan_limits_default(&l);
	l.max_total_bytes = 16U << 20;
	l.ratio_after = 1U << 20;
	l.max_entries = 10000;
	l.max_file_bytes = 1U << 20;
	if (scan_inventory_read_limits(&layer, 1, &l, &inv, &reason) ==
	    SCAN_OK) {
		check_round_trip(&inv);
		scan_inventory_free(&inv);
	} else if (reason == NULL)
		abort();
	free(reason);
	unlink(path);
	free(path);
}

static int
sign(int v)
{
	return (v > 0) - (v < 0);
}

static void
fuzz_versions(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);
	size_t a_len = nul != NULL ? (size_t)(nul - text) : size;
	char *a = xstrndup(text, a_len);
	char *b =
	    nul != NULL ? xstrndup(nul + 1, size - a_len - 1) : xstrdup("");

	if (sign(dpkg_version_cmp(a, b)) != -sign(dpkg_version_cmp(b, a)) ||
	    dpkg_version_cmp(a, a) != 0)
		abort();
	if (sign(apk_version_cmp(a, b)) != -sign(apk_version_cmp(b, a)) ||
	    apk_version_cmp(a, a) != 0)
		abort();
	(void)cvss3_base_score(a);
	free(a);
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_inventory inv;

	if (size < 1)
		return 0;
	if (data[0] < N_MEDIA)
		fuzz_layer(data + 1, size - 1, media_types[data[0]]);
	else if (data[0] == N_MEDIA) {
		if (scan_inventory_decode((const char *)data + 1, size - 1,
		        &inv) == 0)
			scan_inventory_free(&inv);
	} else
		fuzz_versions(data + 1, size - 1);
	return 0;
}
