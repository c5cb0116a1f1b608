/* check_store.c: unit tests for the store interface over SQLite
 * (store_sqlite.c), the capture marker and JSON row encoding. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/sqlite/capture_fold.h"
#include "store/sqlite/sql.h"
#include "store/store.h"
#include "sync/track.h"

static char dir[64];
static struct site site;
static struct store *store;

static long long
query_int(const char *sql)
{
	sqlite3_stmt *st;
	long long v = -1;

	ck_assert_int_eq(sqlite3_prepare_v2(site.db, sql, -1, &st, NULL),
	    SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Runs SQL as the application would, then folds the change log as every
 * tool does before it reads the metadata. */
static void
exec(const char *sql)
{
	struct sp_error err;

	ck_assert_msg(site_exec(&site, sql, &err) == 0, "%s: %s", sql, err.msg);
	ck_assert_int_eq(capture_fold(&site, &err), 0);
}

static void
setup(void)
{
	struct track_request req = { 0 };
	struct sp_error err;
	char path[128];

	strcpy(dir, "/tmp/check_store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/hub.db", dir);
	ck_assert_int_eq(site_init(path, "ASOC", 1, NULL, NULL, &err), 0);
	ck_assert_int_eq(site_open(&site, path, 0, &err), 0);
	exec("CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT, "
	    "photo BLOB, score REAL);"
	    "CREATE TABLE country(code TEXT PRIMARY KEY, label TEXT)");
	ck_assert_int_eq(track_table(&site, "customer", &req, &err), 0);
	ck_assert_int_eq(track_table(&site, "country", &req, &err), 0);
	store = store_sqlite_open(&site, &err);
	ck_assert_ptr_nonnull(store);
}

static void
teardown(void)
{
	char cmd[128];

	store_close(store);
	site_close(&site);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct store_record
remote_record(const char *table, const char *guid, long long rowversion)
{
	struct store_record r;

	memset(&r, 0, sizeof(r));
	snprintf(r.guid, sizeof(r.guid), "%s", guid);
	snprintf(r.table, sizeof(r.table), "%s", table);
	strcpy(r.origin, "BSOC");
	strcpy(r.owner, "BSOC");
	strcpy(r.hlc_site, "BSOC");
	strcpy(r.src, "BSOC");
	r.rowversion = rowversion;
	r.hlc = (long long)1 << 60;
	return r;
}

#define G1 "0190000000000000000000000000aa01"
#define G2 "0190000000000000000000000000aa02"

START_TEST(upsert_new_gets_local_id_and_keeps_metadata)
{
	struct store_record r = remote_record("customer", G1, 4), got;
	json_t *row = json_pack("{s:i, s:s, s:f}", "id", 999, "name", "Dupont",
	    "score", 2.5), *back = NULL;
	struct sp_error err;

	exec("INSERT INTO customer(name) VALUES ('local')");
	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	ck_assert_msg(store_upsert(store, &r, row, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(store_commit(store, &err), 0);
	/* the remote id 999 is not used: local keys are renumbered */
	ck_assert_int_eq(query_int("SELECT id FROM customer WHERE name = "
	    "'Dupont'"), 2);
	ck_assert_int_eq(store_lookup(store, G1, &got, &back, &err), 1);
	ck_assert_str_eq(got.origin, "BSOC");
	ck_assert_str_eq(got.hlc_site, "BSOC");
	ck_assert_str_eq(got.src, "BSOC");
	ck_assert_int_eq(got.rowversion, 4);
	ck_assert_int_eq(got.deleted, 0);
	ck_assert_str_eq(json_string_value(json_object_get(back, "name")),
	    "Dupont");
	ck_assert_int_eq(json_integer_value(json_object_get(back, "id")), 2);
	/* not re-stamped: one local record plus the applied one, and the
	 * clock moved past the received stamp */
	ck_assert_int_eq(query_int("SELECT count(*) FROM syncpack_record"), 2);
	ck_assert_int_eq(query_int("SELECT applying FROM syncpack_clock"), 0);
	ck_assert(query_int("SELECT hlc FROM syncpack_clock") >= r.hlc);
	json_decref(row);
	json_decref(back);
}
END_TEST

START_TEST(upsert_known_updates_in_place)
{
	struct store_record r = remote_record("customer", G1, 1), got;
	json_t *row = json_pack("{s:s}", "name", "v1");
	struct sp_error err;

	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	ck_assert_int_eq(store_upsert(store, &r, row, &err), 0);
	json_object_set_new(row, "name", json_string("v2"));
	r.rowversion = 2;
	ck_assert_int_eq(store_upsert(store, &r, row, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(query_int("SELECT count(*) FROM customer"), 1);
	ck_assert_int_eq(query_int("SELECT count(*) FROM customer WHERE name "
	    "= 'v2'"), 1);
	ck_assert_int_eq(store_lookup(store, G1, &got, NULL, &err), 1);
	ck_assert_int_eq(got.rowversion, 2);
	/* a local change afterwards is stamped as local */
	exec("UPDATE customer SET name = 'v3'");
	ck_assert_int_eq(store_lookup(store, G1, &got, NULL, &err), 1);
	ck_assert_int_eq(got.rowversion, 3);
	ck_assert_str_eq(got.hlc_site, "ASOC");
	ck_assert_str_eq(got.src, "");
	json_decref(row);
}
END_TEST

START_TEST(natural_keys_are_kept)
{
	struct store_record r = remote_record("country", G2, 1);
	json_t *row = json_pack("{s:s, s:s}", "code", "FR", "label", "France");
	struct sp_error err;

	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	ck_assert_int_eq(store_upsert(store, &r, row, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(query_int("SELECT count(*) FROM country WHERE code = "
	    "'FR'"), 1);
	ck_assert_int_eq(query_int("SELECT count(*) FROM syncpack_record WHERE "
	    "rkey = 'FR'"), 1);
	json_decref(row);
}
END_TEST

START_TEST(tombstone_deletes_and_remembers)
{
	struct store_record r = remote_record("customer", G1, 1), got;
	json_t *row = json_pack("{s:s}", "name", "gone"), *back = NULL;
	struct sp_error err;

	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	ck_assert_int_eq(store_upsert(store, &r, row, &err), 0);
	r.rowversion = 2;
	ck_assert_int_eq(store_tombstone(store, &r, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(query_int("SELECT count(*) FROM customer"), 0);
	ck_assert_int_eq(store_lookup(store, G1, &got, &back, &err), 1);
	ck_assert_int_eq(got.deleted, 1);
	ck_assert_int_eq(got.rowversion, 2);
	ck_assert_ptr_null(back);
	json_decref(row);
}
END_TEST

START_TEST(rollback_leaves_nothing)
{
	struct store_record r = remote_record("customer", G1, 1);
	json_t *row = json_pack("{s:s}", "name", "x");
	struct sp_error err;
	long long lseq = query_int("SELECT lseq FROM syncpack_clock");

	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	ck_assert_int_eq(store_upsert(store, &r, row, &err), 0);
	store_rollback(store);
	ck_assert_int_eq(query_int("SELECT count(*) FROM customer"), 0);
	ck_assert_int_eq(query_int("SELECT count(*) FROM syncpack_record"), 0);
	ck_assert_int_eq(query_int("SELECT lseq FROM syncpack_clock"), lseq);
	ck_assert_int_eq(store_lookup(store, G1, &r, NULL, &err), 0);
	json_decref(row);
}
END_TEST

START_TEST(unknown_column_is_an_error)
{
	struct store_record r = remote_record("customer", G1, 1);
	json_t *row = json_pack("{s:s, s:i}", "name", "x", "loyalty", 3);
	struct sp_error err;

	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	ck_assert_int_eq(store_upsert(store, &r, row, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "no column loyalty"));
	strcpy(r.table, "nosuch");
	ck_assert_int_eq(store_upsert(store, &r, row, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "not a tracked table"));
	store_rollback(store);
	json_decref(row);
}
END_TEST

struct seen {
	int n;
	char guids[8][33];
	int deleted[8];
	char photo[64];
};

static int
collect(void *ctx, const struct store_record *rec, json_t *row,
    struct sp_error *err)
{
	struct seen *s = ctx;

	(void)err;
	ck_assert_int_lt(s->n, 8);
	strcpy(s->guids[s->n], rec->guid);
	s->deleted[s->n] = rec->deleted;
	ck_assert((row == NULL) == (rec->deleted != 0));
	if (row != NULL && json_is_object(json_object_get(row, "photo")))
		snprintf(s->photo, sizeof(s->photo), "%s", json_string_value(
		    json_object_get(json_object_get(row, "photo"), "base64")));
	s->n++;
	return 0;
}

START_TEST(changes_in_lseq_order_with_typed_values)
{
	struct seen s;
	struct sp_error err;
	long long mark;

	exec("INSERT INTO customer(name, photo) VALUES ('a', x'00ff10')");
	mark = query_int("SELECT lseq FROM syncpack_clock");
	exec("INSERT INTO customer(name) VALUES ('b');"
	    "INSERT INTO customer(name) VALUES ('c');"
	    "UPDATE customer SET score = 1 WHERE name = 'a';"
	    "DELETE FROM customer WHERE name = 'b'");
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store_changes(store, NULL, mark, 0, collect, &s, &err), 0);
	ck_assert_int_eq(s.n, 3);
	/* c, then a (updated), then b (deleted last) */
	ck_assert_int_eq(s.deleted[2], 1);
	ck_assert_str_eq(s.photo, "AP8Q");
	memset(&s, 0, sizeof(s));
	ck_assert_int_eq(store_changes(store, NULL, 0, 0, collect, &s, &err), 0);
	ck_assert_int_eq(s.n, 3);
}
END_TEST

START_TEST(blob_round_trip)
{
	struct store_record r = remote_record("customer", G1, 1);
	json_t *row = json_pack("{s:s, s:{s:s}}", "name", "p", "photo",
	    "base64", "AP8Q");
	struct sp_error err;

	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	ck_assert_int_eq(store_upsert(store, &r, row, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(query_int("SELECT photo = x'00ff10' FROM customer"), 1);
	json_decref(row);
	row = json_pack("{s:{s:s}}", "photo", "base64", "A");
	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	ck_assert_int_eq(store_upsert(store, &r, row, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "base64"));
	store_rollback(store);
	json_decref(row);
}
END_TEST

/* Another writer holding the database past the busy timeout is a "busy"
 * error, any other refusal of the database a "database" one. */
START_TEST(database_errors_have_a_kind)
{
	struct sp_error err;
	sqlite3 *other;
	char path[128];

	snprintf(path, sizeof(path), "%s/hub.db", dir);
	ck_assert_int_eq(site_exec(&site, "SELECT * FROM no_such_table", &err),
	    -1);
	ck_assert_int_eq(err.kind, SP_ERR_DATABASE);
	ck_assert_int_eq(sqlite3_open(path, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL,
	    NULL), SQLITE_OK);
	sqlite3_busy_timeout(site.db, 0);
	ck_assert_int_eq(site_exec(&site, "INSERT INTO country VALUES "
	    "('FR', 'France')", &err), -1);
	ck_assert_int_eq(err.kind, SP_ERR_BUSY);
	ck_assert_int_eq(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(other);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, upsert_new_gets_local_id_and_keeps_metadata);
	tcase_add_test(tc, upsert_known_updates_in_place);
	tcase_add_test(tc, natural_keys_are_kept);
	tcase_add_test(tc, tombstone_deletes_and_remembers);
	tcase_add_test(tc, rollback_leaves_nothing);
	tcase_add_test(tc, unknown_column_is_an_error);
	tcase_add_test(tc, changes_in_lseq_order_with_typed_values);
	tcase_add_test(tc, blob_round_trip);
	tcase_add_test(tc, database_errors_have_a_kind);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
