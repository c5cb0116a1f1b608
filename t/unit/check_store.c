/* check_store.c: the record store of the store interface (store.h): the
 * conformance cases every backend passes. The application's own reads and
 * writes go through store_fixture.c; everything else is the interface. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/conflicts.h"
#include "store/store.h"
#include "store_fixture.h"
#include "sync/track.h"

static char dir[64];
static char path[128];
static struct site site;
static struct store *store;

/* Runs SQL as the application would, then folds the change log as every
 * tool does before it reads the metadata. */
static void
exec(const char *sql)
{
	struct sp_error err;

	fixture_app(path, sql);
	ck_assert_msg(store_conflict_fold(&site, &err) == 0, "%s", err.msg);
}

/* The application's own reading of its tables. */
static long long
app_int(const char *sql)
{
	return fixture_app_int(path, sql);
}

static int
count_record(void *ctx, const struct store_record *rec, json_t *row,
    struct sp_error *err)
{
	(void)rec;
	(void)row;
	(void)err;
	(*(long long *)ctx)++;
	return 0;
}

/* How many records the store keeps, tombstones included. */
static long long
record_count(void)
{
	struct sp_error err;
	long long n = 0;

	ck_assert_msg(store_changes(store, NULL, 0, 0, count_record, &n, &err)
	    == 0, "%s", err.msg);
	return n;
}

/* The record of the local row of table whose key is id. */
static struct store_record
local_record(const char *table, long long id)
{
	struct store_record rec;
	struct sp_error err;
	json_t *key = json_integer(id);

	ck_assert_int_eq(store_lookup_key(store, table, key, &rec, &err), 1);
	json_decref(key);
	return rec;
}

static void
setup(void)
{
	struct track_request req = { 0 };
	struct sp_error err;

	fixture_dir_make(dir, sizeof(dir), "check_store");
	fixture_site_init(path, sizeof(path), dir, "hub", "ASOC", 1);
	ck_assert_int_eq(site_open(&site, path, FIXTURE_OPEN, &err), 0);
	exec("CREATE TABLE customer(id INTEGER PRIMARY KEY, name TEXT, "
	    "photo BLOB, score REAL);"
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

#define G1 "0190000000000000000000000000aa01"
#define G2 "0190000000000000000000000000aa02"
#define G3 "0190000000000000000000000000aa03"

START_TEST(upsert_new_gets_local_id_and_keeps_metadata)
{
	struct store_record r = fixture_remote_record("customer", G1, 4), got;
	json_t *row = json_pack("{s:i, s:s, s:f}", "id", 999, "name", "Dupont",
	    "score", 2.5), *back = NULL;
	struct sp_error err;

	exec("INSERT INTO customer(name) VALUES ('local')");
	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	ck_assert_msg(store_upsert(store, &r, row, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(store_commit(store, &err), 0);
	/* the remote id 999 is not used: local keys are renumbered */
	ck_assert_int_eq(app_int("SELECT id FROM customer WHERE name = "
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
	ck_assert_int_eq(record_count(), 2);
	exec("UPDATE customer SET name = 'local2' WHERE id = 1");
	got = local_record("customer", 1);
	ck_assert_str_eq(got.hlc_site, "ASOC");
	ck_assert_str_eq(got.src, "");
	ck_assert(got.hlc > r.hlc);
	json_decref(row);
	json_decref(back);
}
END_TEST

START_TEST(upsert_known_updates_in_place)
{
	struct store_record r = fixture_remote_record("customer", G1, 1), got;
	json_t *row = json_pack("{s:s}", "name", "v1");
	struct sp_error err;

	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	ck_assert_int_eq(store_upsert(store, &r, row, &err), 0);
	json_object_set_new(row, "name", json_string("v2"));
	r.rowversion = 2;
	ck_assert_int_eq(store_upsert(store, &r, row, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(app_int("SELECT count(*) FROM customer"), 1);
	ck_assert_int_eq(app_int("SELECT count(*) FROM customer WHERE name "
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
	struct store_record r = fixture_remote_record("country", G2, 1);
	struct store_record got;
	json_t *row = json_pack("{s:s, s:s}", "code", "FR", "label", "France");
	json_t *key;
	struct sp_error err;

	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	ck_assert_int_eq(store_upsert(store, &r, row, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(app_int("SELECT count(*) FROM country WHERE code = "
	    "'FR'"), 1);
	key = json_string("FR");
	ck_assert_int_eq(store_lookup_key(store, "country", key, &got, &err),
	    1);
	ck_assert_str_eq(got.guid, G2);
	json_decref(key);
	json_decref(row);
}
END_TEST

/* store_merge: the loser's row goes to the winner under its key, the
 * loser stays as an unsent tombstone naming the winner; a loser with no
 * row here only leaves that tombstone. */
START_TEST(merge_hands_the_row_to_the_winner)
{
	struct store_record r = fixture_remote_record("country", G2, 3), got;
	struct store_record other = fixture_remote_record("country", G3, 2);
	json_t *row = json_pack("{s:s, s:s}", "code", "FR", "label", "France");
	json_t *key = json_string("FR");
	struct sp_error err;

	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	ck_assert_int_eq(store_upsert(store, &r, row, &err), 0);
	/* A tombstone of the winner gives way. */
	other.deleted = 1;
	snprintf(other.guid, sizeof(other.guid), "%s", G1);
	ck_assert_int_eq(store_tombstone(store, &other, &err), 0);
	ck_assert_msg(store_merge(store, &r, G1, &err) == 0, "%s", err.msg);
	snprintf(other.guid, sizeof(other.guid), "%s", G3);
	ck_assert_msg(store_merge(store, &other, G1, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(store_lookup_key(store, "country", key, &got, &err),
	    1);
	ck_assert_str_eq(got.guid, G1);
	ck_assert_int_eq(got.deleted, 0);
	ck_assert_int_eq(got.rowversion, 3);
	ck_assert_str_eq(got.merged, "");
	ck_assert_int_eq(store_lookup(store, G2, &got, NULL, &err), 1);
	ck_assert_int_eq(got.deleted, 1);
	ck_assert_str_eq(got.merged, G1);
	ck_assert_int_eq(got.rowversion, 3);
	ck_assert_int_eq(got.lseq, 0);
	ck_assert_int_eq(store_lookup(store, G3, &got, NULL, &err), 1);
	ck_assert_int_eq(got.deleted, 1);
	ck_assert_str_eq(got.merged, G1);
	ck_assert_int_eq(got.rowversion, 2);
	ck_assert_int_eq(app_int("SELECT count(*) FROM country"), 1);
	/* Neither tombstone is a change to send: only G1's row is. */
	ck_assert_int_eq(record_count(), 1);
	json_decref(key);
	json_decref(row);
}
END_TEST

START_TEST(tombstone_deletes_and_remembers)
{
	struct store_record r = fixture_remote_record("customer", G1, 1), got;
	json_t *row = json_pack("{s:s}", "name", "gone"), *back = NULL;
	struct sp_error err;

	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	ck_assert_int_eq(store_upsert(store, &r, row, &err), 0);
	r.rowversion = 2;
	ck_assert_int_eq(store_tombstone(store, &r, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(app_int("SELECT count(*) FROM customer"), 0);
	ck_assert_int_eq(store_lookup(store, G1, &got, &back, &err), 1);
	ck_assert_int_eq(got.deleted, 1);
	ck_assert_int_eq(got.rowversion, 2);
	ck_assert_ptr_null(back);
	json_decref(row);
}
END_TEST

START_TEST(rollback_leaves_nothing)
{
	struct store_record r = fixture_remote_record("customer", G1, 1);
	json_t *row = json_pack("{s:s}", "name", "x");
	struct sp_error err;
	long long lseq;

	exec("INSERT INTO customer(id, name) VALUES (1, 'before')");
	lseq = local_record("customer", 1).lseq;
	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	ck_assert_int_eq(store_upsert(store, &r, row, &err), 0);
	store_rollback(store);
	ck_assert_int_eq(app_int("SELECT count(*) FROM customer"), 1);
	ck_assert_int_eq(record_count(), 1);
	ck_assert_int_eq(store_lookup(store, G1, &r, NULL, &err), 0);
	/* the lseq clock did not move either: the next change is the next
	 * number after the one before the rollback */
	exec("INSERT INTO customer(id, name) VALUES (2, 'after')");
	ck_assert_int_eq(local_record("customer", 2).lseq, lseq + 1);
	json_decref(row);
}
END_TEST

START_TEST(unknown_column_is_an_error)
{
	struct store_record r = fixture_remote_record("customer", G1, 1);
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
	mark = local_record("customer", 1).lseq;
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

static int
collect_metadata(void *ctx, const struct store_record *rec, json_t *row,
    struct sp_error *err)
{
	struct seen *s = ctx;

	(void)err;
	ck_assert_ptr_null(row);
	ck_assert_int_lt(s->n, 8);
	strcpy(s->guids[s->n], rec->guid);
	s->deleted[s->n] = rec->deleted;
	s->n++;
	return 0;
}

/* The same records in the same order as store_changes, without rows. */
START_TEST(changed_records_are_the_changes_without_rows)
{
	struct seen full, meta;
	struct sp_error err;
	long long mark;

	exec("INSERT INTO customer(name) VALUES ('a'), ('b'), ('c')");
	mark = local_record("customer", 1).lseq;
	exec("UPDATE customer SET score = 2 WHERE name = 'a';"
	    "DELETE FROM customer WHERE name = 'b'");
	for (long long since = 0; since <= mark; since += mark) {
		memset(&full, 0, sizeof(full));
		memset(&meta, 0, sizeof(meta));
		ck_assert_int_eq(store_changes(store, "customer", since, 0,
		    collect, &full, &err), 0);
		ck_assert_int_eq(store_changed_records(store, "customer", since,
		    0, collect_metadata, &meta, &err), 0);
		ck_assert_int_eq(meta.n, full.n);
		for (int i = 0; i < full.n; i++) {
			ck_assert_str_eq(meta.guids[i], full.guids[i]);
			ck_assert_int_eq(meta.deleted[i], full.deleted[i]);
		}
	}
	ck_assert_int_eq(store_changed_records(store, "nosuch", 0, 0,
	    collect_metadata, &meta, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "nosuch is not a tracked table"));
}
END_TEST

START_TEST(columns_of_the_tracked_tables)
{
	char *const *names;
	struct sp_error err;
	int n;

	ck_assert_int_eq(store_columns(store, "customer", &names, &n, &err), 1);
	ck_assert_int_eq(n, 4);
	ck_assert_str_eq(names[0], "id");
	ck_assert_str_eq(names[1], "name");
	ck_assert_str_eq(names[2], "photo");
	ck_assert_str_eq(names[3], "score");
	ck_assert_int_eq(store_columns(store, "country", &names, &n, &err), 1);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(store_columns(store, "nosuch", &names, &n, &err), 0);
	ck_assert_int_eq(n, 0);
}
END_TEST

START_TEST(blob_round_trip)
{
	struct store_record r = fixture_remote_record("customer", G1, 1);
	json_t *row = json_pack("{s:s, s:{s:s}}", "name", "p", "photo",
	    "base64", "AP8Q");
	struct sp_error err;

	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	ck_assert_int_eq(store_upsert(store, &r, row, &err), 0);
	ck_assert_int_eq(store_commit(store, &err), 0);
	ck_assert_int_eq(app_int("SELECT photo = x'00ff10' FROM customer"), 1);
	json_decref(row);
	row = json_pack("{s:{s:s}}", "photo", "base64", "A");
	ck_assert_int_eq(store_begin_apply(store, &err), 0);
	ck_assert_int_eq(store_upsert(store, &r, row, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "base64"));
	store_rollback(store);
	json_decref(row);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, upsert_new_gets_local_id_and_keeps_metadata);
	tcase_add_test(tc, upsert_known_updates_in_place);
	tcase_add_test(tc, natural_keys_are_kept);
	tcase_add_test(tc, tombstone_deletes_and_remembers);
	tcase_add_test(tc, rollback_leaves_nothing);
	tcase_add_test(tc, unknown_column_is_an_error);
	tcase_add_test(tc, changes_in_lseq_order_with_typed_values);
	tcase_add_test(tc, changed_records_are_the_changes_without_rows);
	tcase_add_test(tc, columns_of_the_tracked_tables);
	tcase_add_test(tc, merge_hands_the_row_to_the_winner);
	tcase_add_test(tc, blob_round_trip);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
