/* The store unit tests' fixture; see store_fixture.h. */
#include "test/unit/store_fixture.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/xalloc.h"
#include "store/store.h"

static void
rm_tree(const char *dir)
{
	DIR *d;
	struct dirent *de;
	struct stat sb;
	char *p;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			rm_tree(p);
		else
			unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

int
fx_setup_empty(void **state)
{
	const char *tmp = getenv("TMPDIR");
	struct fx *f;

	f = xcalloc(1, sizeof(*f));
	f->dir = xasprintf("%s/test_store.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

int
fx_setup(void **state)
{
	struct fx *f;

	fx_setup_empty(state);
	f = *state;
	assert_int_equal(store_open(f->dir, STORE_EPHEMERAL, 0, &f->st, NULL),
	    STORE_OK);
	return 0;
}

int
fx_teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	rm_tree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

struct store_txn *
fx_wbegin(struct fx *f)
{
	struct store_txn *t;

	assert_int_equal(store_txn_begin(f->st, NULL, true, &t), STORE_OK);
	return t;
}

struct store_txn *
fx_rbegin(struct fx *f)
{
	struct store_txn *t;

	assert_int_equal(store_txn_begin(f->st, NULL, false, &t), STORE_OK);
	return t;
}
