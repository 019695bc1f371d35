/*
 * An index of an OSV directory and the matching of inventories against
 * it (docs/scanning.md, "Vulnerability feed").
 */
#include "core/scan.h"

#include <stdlib.h>

#include "common/xalloc.h"

struct vulndb {
	int64_t updated_at_ms;
	size_t n_records, n_skipped;
};

struct vulndb *
vulndb_open(const char *dir, char **err)
{
	(void)dir;
	*err = xstrdup("the OSV index is not built yet");
	return NULL;
}

void
vulndb_free(struct vulndb *db)
{
	free(db);
}

int64_t
vulndb_updated_at_ms(const struct vulndb *db)
{
	return db->updated_at_ms;
}

size_t
vulndb_count(const struct vulndb *db, size_t *n_skipped)
{
	if (n_skipped != NULL)
		*n_skipped = db->n_skipped;
	return db->n_records;
}

size_t
vulndb_match(const struct vulndb *db, const struct scan_inventory *inv,
    struct scan_finding **out)
{
	(void)db;
	(void)inv;
	*out = NULL;
	return 0;
}

void
scan_findings_free(struct scan_finding *f, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].osv_id);
		free(f[i].description);
		free(f[i].uri);
		free(f[i].cvss3_vector);
		free(f[i].package_name);
		free(f[i].package_version);
		free(f[i].fixed_version);
	}
	free(f);
}
