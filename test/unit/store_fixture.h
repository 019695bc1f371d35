/*
 * The fixture the store unit tests share (test_store.c, test_store_image.c,
 * and api_fixture.c beneath the api/ operation tests):
 * a fresh mkdtemp directory per test, a store opened in it, removed after.
 */
#ifndef ECRD_TEST_STORE_FIXTURE_H
#define ECRD_TEST_STORE_FIXTURE_H

struct store;
struct store_txn;

struct fx {
	char *dir;
	struct store *st;
};

/* cmocka set-ups: an ephemeral store opened, or only the directory. */
int fx_setup(void **state);
int fx_setup_empty(void **state);
/* Close the store, remove the directory and everything in it. */
int fx_teardown(void **state);
/* A write or read txn that must begin. */
struct store_txn *fx_wbegin(struct fx *);
struct store_txn *fx_rbegin(struct fx *);

#endif
