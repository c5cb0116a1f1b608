/* check_store_batch.c: batches of the store interface (store_batch_begin):
 * what a batch writes is what single writes write, a statement in the
 * middle sees the queued writes, and a refused write undoes the whole
 * batch with SP_ERR_BATCH and leaves the transaction going. PostgreSQL
 * queues the writes; SQLite writes at once under the batch's savepoint,
 * so the write is refused at once and the record's undo is the batch's. */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "store/conflicts.h"
#include "store/store.h"
#include "store_fixture.h"
#include "sync/track.h"

static char dir[64];
static char path[128];
static struct site site;
static struct store *store;

static void
exec(const char *sql)
{
	struct sp_error err;

	fixture_app(path, sql);
	ck_assert_msg(store_conflict_fold(&site, &err) == 0, "%s", err.msg);
}

static void
setup(void)
{
	struct track_request req = { 0 };
	struct sp_error err;

	fixture_dir_make(dir, sizeof(dir), "check_store_batch");
	fixture_site_init(path, sizeof(path), dir, "hub", "ASOC", 1);
	ck_assert_int_eq(site_open(&site, path, FIXTURE_OPEN, &err), 0);
	exec("CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT NOT NULL,"
	    " photo BLOB, score REAL);"
	    "CREATE TABLE country(code TEXT PRIMARY KEY, label TEXT)");
	ck_assert_int_eq(track_table(&site, "customer", &req, &err), 0);
	ck_assert_int_eq(track_table(&site, "country", &req, &err), 0);
	store = store_open(&site, &err);
	ck_assert_ptr_nonnull(store);
}

static void
teardown(void)
{
	store_close(store);
	site_close(&site);
	fixture_dir_remove(dir);
}

#define G1 "0190000000000000000000000000bb01"
#define G2 "0190000000000000000000000000bb02"
#define G3 "0190000000000000000000000000bb03"
#define G4 "0190000000000000000000000000bb04"

/* Looks guid up as an apply does before its write, then writes row. */
static void
write_one(const char *table, const char *guid, long long rowversion,
    json_t *row)
{
	struct store_record r = fixture_remote_record(table, guid, rowversion), local;
	struct sp_error err;

	ck_assert_int_ge(store_lookup(store, guid, &local, NULL, &err), 0);
	ck_assert_int_eq(store_record_savepoint(store, &err), 0);
	ck_assert_msg(store_upsert(store, &r, row, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(store_record_release(store, &err), 0);
	json_decref(row);
}

START_TEST(a_batch_writes_what_single_writes_write)
{
	const char *guids[] = { G1, G2, G3, G4, G1 };
	struct store_record got, prev;
	json_t *row = NULL;
	struct sp_error err;
	int batched;

	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	write_one("customer", G1, 1, json_pack("{s:s}", "name", "old"));
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	batched = store_batch_begin(store, guids, 5, &err);
	ck_assert_int_eq(batched, 1);
	/* known, new with awkward text and bytes, new natural key */
	write_one("customer", G1, 2, json_pack("{s:i, s:s, s:n, s:f}", "id",
	    7, "name", "new\tline\nback\\slash \"q\" {a,b}", "photo",
	    "score", 1.5));
	write_one("customer", G2, 1, json_pack("{s:i, s:s, s:s, s:n}", "id",
	    8, "name", "NULL", "photo", "x", "score"));
	write_one("country", G3, 1, json_pack("{s:s, s:s}", "code", "FR",
	    "label", "France"));
	ck_assert_int_eq(store_batch_end(store, 1, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(fixture_app_int(path, "SELECT count(*) FROM customer"),
	    2);
	ck_assert_int_eq(fixture_app_int(path, "SELECT count(*) FROM customer "
	    "WHERE photo IS NULL AND score = 1.5"), 1);
	ck_assert_int_eq(fixture_app_int(path, "SELECT count(*) FROM customer "
	    "WHERE name = 'NULL' AND score IS NULL"), 1);
	ck_assert_int_eq(store_lookup(store, G1, &prev, &row, &err), 1);
	ck_assert_int_eq(prev.rowversion, 2);
	ck_assert_str_eq(json_string_value(json_object_get(row, "name")),
	    "new\tline\nback\\slash \"q\" {a,b}");
	json_decref(row);
	ck_assert_int_eq(store_lookup(store, G2, &got, &row, &err), 1);
	ck_assert_str_eq(json_string_value(json_object_get(row, "name")),
	    "NULL");
	/* the local key the site gave, in the order the records came */
	ck_assert_int_gt(json_integer_value(json_object_get(row, "id")), 1);
	json_decref(row);
	ck_assert_int_gt(got.lseq, prev.lseq);
	ck_assert_int_eq(store_lookup(store, G3, &got, &row, &err), 1);
	ck_assert_str_eq(json_string_value(json_object_get(row, "label")),
	    "France");
	json_decref(row);
	ck_assert_int_eq(store_lookup(store, G4, &got, NULL, &err), 0);
}
END_TEST

START_TEST(a_statement_in_a_batch_sees_its_queued_writes)
{
	const char *guids[] = { G1, G2 };
	struct store_record got;
	json_t *key = json_string("FR");
	struct sp_error err;
	char by[64];

	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	ck_assert_int_ge(store_batch_begin(store, guids, 2, &err), 0);
	write_one("country", G1, 1, json_pack("{s:s, s:s}", "code", "FR",
	    "label", "France"));
	/* by key: a statement of its own, after the queued write */
	ck_assert_int_eq(store_lookup_key(store, "country", key, &got, &err),
	    1);
	ck_assert_str_eq(got.guid, G1);
	/* by GUID, a record whose write waits */
	write_one("country", G2, 1, json_pack("{s:s, s:s}", "code", "DE",
	    "label", "Deutschland"));
	ck_assert_int_eq(store_lookup(store, G2, &got, NULL, &err), 1);
	ck_assert_int_eq(store_referenced(store, G2, by, sizeof(by), &err), 0);
	ck_assert_int_eq(store_batch_end(store, 1, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(fixture_app_int(path, "SELECT count(*) FROM country"),
	    2);
	json_decref(key);
}
END_TEST

START_TEST(a_refused_write_undoes_the_whole_batch)
{
	const char *guids[] = { G1, G2, G3 };
	struct store_record r = fixture_remote_record("customer", G2, 1), got;
	json_t *row;
	struct sp_error err;
	int batched;

	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	batched = store_batch_begin(store, guids, 3, &err);
	write_one("customer", G1, 1, json_pack("{s:s, s:n, s:n}", "name", "fine",
	    "photo", "score"));
	/* NOT NULL: the database refuses it, when written */
	row = json_pack("{s:n, s:n, s:n}", "name", "photo", "score");
	ck_assert_int_eq(store_lookup(store, G2, &got, NULL, &err), 0);
	ck_assert_int_eq(batched, 1);
	ck_assert_int_eq(store_record_savepoint(store, &err), 0);
	if (!fixture_postgresql()) {
		/* written at once, refused at once; the record's savepoint
		 * is the batch's, so its undo undoes the batch */
		ck_assert_int_ne(store_upsert(store, &r, row, &err), 0);
		ck_assert_msg(strstr(err.msg, "name") != NULL, "%s", err.msg);
		ck_assert_int_eq(store_record_rollback(store, &err), -1);
		ck_assert_int_eq(err.kind, SP_ERR_BATCH);
		ck_assert_int_eq(store_record_release(store, &err), -1);
		ck_assert_int_eq(err.kind, SP_ERR_BATCH);
	} else {
		ck_assert_int_eq(store_upsert(store, &r, row, &err), 0);
		ck_assert_int_eq(store_record_release(store, &err), 0);
	}
	ck_assert_int_eq(store_batch_end(store, 1, &err), -1);
	ck_assert_int_eq(err.kind, SP_ERR_BATCH);
	if (fixture_postgresql())
		ck_assert_msg(strstr(err.msg, "name") != NULL, "%s", err.msg);
	/* undone whole: the first write too; a lookup works again */
	ck_assert_int_eq(store_lookup(store, G1, &got, NULL, &err), 0);
	write_one("customer", G3, 1, json_pack("{s:s}", "name", "after"));
	json_decref(row);
	ck_assert_int_eq(store_batch_end(store, 0, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(fixture_app_int(path, "SELECT count(*) FROM customer"),
	    1);
}
END_TEST

START_TEST(a_batch_given_up_leaves_nothing)
{
	const char *guids[] = { G1 };
	struct store_record got;
	struct sp_error err;

	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	ck_assert_int_ge(store_batch_begin(store, guids, 1, &err), 0);
	write_one("customer", G1, 1, json_pack("{s:s}", "name", "gone"));
	ck_assert_int_eq(store_batch_end(store, 0, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(store_lookup(store, G1, &got, NULL, &err), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store_batch");
	TCase *tc = tcase_create("batch");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, a_batch_writes_what_single_writes_write);
	tcase_add_test(tc, a_statement_in_a_batch_sees_its_queued_writes);
	tcase_add_test(tc, a_refused_write_undoes_the_whole_batch);
	tcase_add_test(tc, a_batch_given_up_leaves_nothing);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
