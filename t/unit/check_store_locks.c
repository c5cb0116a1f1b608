/* check_store_locks.c: conformance cases for the store's locks
 * (store/locks.h) and outbox list (store/outbox.h). Only the interface is
 * used, so that every backend can be run through the same cases. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_fixture.h"
#include "store/locks.h"
#include "store/outbox.h"
#include "store/site.h"

static char dir[64];
static struct site site;

static void
setup(void)
{
	struct sp_error err;
	char path[128];

	fixture_dir_make(dir, sizeof(dir), "check_store_locks");
	fixture_site_init(path, sizeof(path), dir, "hub", "HUB", 1);
	ck_assert_msg(site_open(&site, path, FIXTURE_OPEN, &err) == 0, "%s", err.msg);
}

static void
teardown(void)
{
	site_close(&site);
	fixture_dir_remove(dir);
}

static int
lock(const char *table, json_t *key, const char *by)
{
	struct sp_error err;
	int r = store_lock_add(&site, table, key, by, &err);

	ck_assert_msg(r >= 0, "%s", err.msg);
	json_decref(key);
	return r;
}

static int
unlock(const char *table, json_t *key)
{
	struct sp_error err;
	int r = store_lock_remove(&site, table, key, &err);

	ck_assert_msg(r >= 0, "%s", err.msg);
	json_decref(key);
	return r;
}

START_TEST(lock_once_unlock_once)
{
	ck_assert_int_eq(lock("customer", json_integer(1), "ann"), 1);
	ck_assert_int_eq(lock("customer", json_integer(1), "bob"), 0);
	ck_assert_int_eq(lock("customer", json_integer(1), NULL), 0);
	ck_assert_int_eq(unlock("customer", json_integer(1)), 1);
	ck_assert_int_eq(unlock("customer", json_integer(1)), 0);
	ck_assert_int_eq(lock("customer", json_integer(1), NULL), 1);
}
END_TEST

START_TEST(locks_are_per_table_and_key)
{
	ck_assert_int_eq(lock("customer", json_integer(1), NULL), 1);
	ck_assert_int_eq(lock("customer", json_integer(2), NULL), 1);
	ck_assert_int_eq(lock("order", json_integer(1), NULL), 1);
	ck_assert_int_eq(unlock("country", json_integer(1)), 0);
	ck_assert_int_eq(unlock("customer", json_integer(2)), 1);
	ck_assert_int_eq(unlock("customer", json_integer(1)), 1);
	ck_assert_int_eq(unlock("order", json_integer(1)), 1);
}
END_TEST

/* A lock compares equal to the record's key with its type: the integer 1
 * and the text "1" are two keys. */
START_TEST(keys_keep_their_type)
{
	ck_assert_int_eq(lock("country", json_string("FR"), NULL), 1);
	ck_assert_int_eq(lock("country", json_string("fr"), NULL), 1);
	ck_assert_int_eq(lock("customer", json_integer(1), NULL), 1);
	ck_assert_int_eq(unlock("customer", json_string("1")), 0);
	ck_assert_int_eq(lock("customer", json_string("1"), NULL), 1);
	ck_assert_int_eq(unlock("customer", json_integer(1)), 1);
	ck_assert_int_eq(unlock("customer", json_integer(1)), 0);
	ck_assert_int_eq(unlock("customer", json_string("1")), 1);
	ck_assert_int_eq(unlock("country", json_string("FR")), 1);
	ck_assert_int_eq(unlock("country", json_string("FR")), 0);
	ck_assert_int_eq(unlock("country", json_string("fr")), 1);
}
END_TEST

/* On PostgreSQL a lock is on the key's text: the integer 1 and the text
 * "1" are one key of the column. */
START_TEST(one_key_one_text)
{
	ck_assert_int_eq(lock("customer", json_integer(1), NULL), 1);
	ck_assert_int_eq(lock("customer", json_string("1"), NULL), 0);
	ck_assert_int_eq(unlock("customer", json_string("1")), 1);
	ck_assert_int_eq(unlock("customer", json_integer(1)), 0);
}
END_TEST

START_TEST(a_key_that_is_no_value_is_an_error)
{
	json_t *key = json_array();
	struct sp_error err;

	err.msg[0] = '\0';
	ck_assert_int_eq(store_lock_add(&site, "customer", key, NULL, &err),
	    -1);
	ck_assert_str_ne(err.msg, "");
	err.msg[0] = '\0';
	ck_assert_int_eq(store_lock_remove(&site, "customer", key, &err), -1);
	ck_assert_str_ne(err.msg, "");
	json_decref(key);
}
END_TEST

static void
add(const char *name, const char *peer, const char *kind, const char *url)
{
	struct sp_error err;

	ck_assert_msg(store_outbox_add(&site, name, peer, kind, url, &err) == 0,
	    "%s", err.msg);
}

static int
has(const char *name)
{
	struct sp_error err;
	int r = store_outbox_has(&site, name, &err);

	ck_assert_msg(r >= 0, "%s", err.msg);
	return r;
}

static int
any(void)
{
	struct sp_error err;
	int r = store_outbox_any(&site, &err);

	ck_assert_msg(r >= 0, "%s", err.msg);
	return r;
}

/* The listed file called name; fails the test when there is none. */
static const struct store_outbox_file *
listed(const struct store_outbox_file *files, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(files[i].name, name) == 0)
			return &files[i];
	ck_abort_msg("%s is not listed", name);
	return NULL;
}

START_TEST(an_empty_outbox)
{
	struct store_outbox_file *files = NULL;
	struct sp_error err;
	size_t n = 1;

	ck_assert_int_eq(any(), 0);
	ck_assert_int_eq(has("HUB_S1_000001_data.sxf"), 0);
	ck_assert_int_eq(store_outbox_list(&site, &files, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	store_outbox_files_free(files, n);
	ck_assert_int_eq(store_outbox_forget(&site, "none.sxf", &err), 0);
}
END_TEST

START_TEST(files_are_listed_until_forgotten)
{
	struct store_outbox_file *files;
	const struct store_outbox_file *f;
	struct sp_error err;
	size_t n;

	add("HUB_S1_000001_data.sxf", "S1", "data", "file:///box/S1");
	add("HUB_S2_000002_ack.sxf", "S2", "ack", "sftp://host/box/S2");
	ck_assert_int_eq(any(), 1);
	ck_assert_int_eq(has("HUB_S1_000001_data.sxf"), 1);
	ck_assert_int_eq(has("HUB_S2_000002_ack.sxf"), 1);
	ck_assert_int_eq(has("HUB_S1_000003_data.sxf"), 0);
	ck_assert_int_eq(store_outbox_list(&site, &files, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	/* The list is the caller's: forgetting does not touch it. */
	ck_assert_int_eq(store_outbox_forget(&site, "HUB_S1_000001_data.sxf",
	    &err), 0);
	f = listed(files, n, "HUB_S1_000001_data.sxf");
	ck_assert_str_eq(f->peer, "S1");
	ck_assert_str_eq(f->kind, "data");
	ck_assert_str_eq(f->url, "file:///box/S1");
	f = listed(files, n, "HUB_S2_000002_ack.sxf");
	ck_assert_str_eq(f->peer, "S2");
	ck_assert_str_eq(f->kind, "ack");
	ck_assert_str_eq(f->url, "sftp://host/box/S2");
	store_outbox_files_free(files, n);
	ck_assert_int_eq(has("HUB_S1_000001_data.sxf"), 0);
	ck_assert_int_eq(any(), 1);
	ck_assert_int_eq(store_outbox_forget(&site, "HUB_S2_000002_ack.sxf",
	    &err), 0);
	ck_assert_int_eq(any(), 0);
}
END_TEST

START_TEST(adding_a_name_again_replaces_it)
{
	struct store_outbox_file *files;
	struct sp_error err;
	size_t n;

	add("HUB_S1_000001_data.sxf", "S1", "data", "file:///old/S1");
	add("HUB_S1_000001_data.sxf", "S1", "data", "file:///new/S1");
	ck_assert_int_eq(store_outbox_list(&site, &files, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(files[0].url, "file:///new/S1");
	store_outbox_files_free(files, n);
}
END_TEST

START_TEST(peer_urls)
{
	struct sp_error err;
	char *pem = site_public_pem(&site, &err), *url = (char *)"x";

	ck_assert_msg(pem != NULL, "%s", err.msg);
	ck_assert_int_eq(store_peer_url(&site, "S1", &url, &err), 0);
	ck_assert_ptr_null(url);
	ck_assert_int_eq(site_peer_add(&site, "S1", pem, "sftp://host/box",
	    &err), 0);
	ck_assert_int_eq(site_peer_add(&site, "S2", pem, NULL, &err), 0);
	free(pem);
	ck_assert_int_eq(store_peer_url(&site, "S1", &url, &err), 1);
	ck_assert_str_eq(url, "sftp://host/box");
	free(url);
	ck_assert_int_eq(store_peer_url(&site, "S2", &url, &err), 0);
	ck_assert_ptr_null(url);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store_locks");
	TCase *locks = tcase_create("locks"), *outbox = tcase_create("outbox");

	tcase_add_checked_fixture(locks, setup, teardown);
	tcase_add_test(locks, lock_once_unlock_once);
	tcase_add_test(locks, locks_are_per_table_and_key);
	/* A key column has one type on PostgreSQL: its keys cannot be the
	 * integer 1 here and the text "1" there (store/pg/locks_pg.c). */
	if (fixture_sqlite_only("keys_keep_their_type", "a key column has "
	    "one type"))
		tcase_add_test(locks, keys_keep_their_type);
	else
		tcase_add_test(locks, one_key_one_text);
	tcase_add_test(locks, a_key_that_is_no_value_is_an_error);
	suite_add_tcase(s, locks);
	tcase_add_checked_fixture(outbox, setup, teardown);
	tcase_add_test(outbox, an_empty_outbox);
	tcase_add_test(outbox, files_are_listed_until_forgotten);
	tcase_add_test(outbox, adding_a_name_again_replaces_it);
	tcase_add_test(outbox, peer_urls);
	suite_add_tcase(s, outbox);
	return fixture_run(s);
}
