/*
 * An image's OS package inventory: the files the layer reader keeps
 * (/etc/os-release, dpkg's status, apk's installed database) parsed into
 * a scan_inventory, and its stored form (docs/scanning.md).
 */
#include "core/scan.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

void
scan_limits_default(struct scan_limits *l)
{
	l->max_total_bytes = SCAN_MAX_TOTAL_BYTES;
	l->max_entries = SCAN_MAX_ENTRIES;
	l->max_ratio = SCAN_MAX_RATIO;
	l->ratio_after = SCAN_RATIO_AFTER;
	l->max_file_bytes = SCAN_MAX_FILE_BYTES;
}

enum scan_result
scan_inventory_read(const struct scan_layer *layers, size_t n,
    struct scan_inventory *out, char **reason)
{
	struct scan_limits l;

	scan_limits_default(&l);
	return scan_inventory_read_limits(layers, n, &l, out, reason);
}

enum scan_result
scan_inventory_read_limits(const struct scan_layer *layers, size_t n,
    const struct scan_limits *l, struct scan_inventory *out, char **reason)
{
	(void)layers;
	(void)n;
	(void)l;
	(void)out;
	*reason = xstrdup("the layer reader is not built yet");
	return SCAN_FAILED;
}

void
scan_inventory_free(struct scan_inventory *inv)
{
	size_t i;

	for (i = 0; i < inv->n_pkgs; i++) {
		free(inv->pkgs[i].name);
		free(inv->pkgs[i].version);
		free(inv->pkgs[i].source);
		free(inv->pkgs[i].source_version);
	}
	free(inv->pkgs);
	free(inv->os_id);
	free(inv->os_version_id);
	free(inv->os_pretty);
	free(inv->ecosystem);
	free(inv->pkg_format);
	memset(inv, 0, sizeof(*inv));
}

char *
scan_inventory_encode(const struct scan_inventory *inv, size_t *len)
{
	(void)inv;
	*len = 0;
	return NULL;
}

int
scan_inventory_decode(const char *p, size_t len, struct scan_inventory *out)
{
	(void)p;
	(void)len;
	(void)out;
	return -1;
}
