/* check_store_tables.c: conformance tests for the tracked tables of the
 * store interface (store/tables.h, store/tx.h). They use the interface
 * only; what the application does to its own tables goes through app(),
 * the one part a second backend replaces. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_fixture.h"
#include "store/site.h"
#include "store/store.h"
#include "store/tables.h"
#include "store/tx.h"

static char dir[64];
static char path[128];
static struct site site;

/* The application's own statements, on a connection of its own. */
static void
app(const char *sql)
{
	fixture_app(path, sql);
}

/* The tracking calls of the site's backend (store/tables.h). */
static const struct store_tables_ops *
tables(void)
{
	return store_tables_ops(&site);
}

static void
setup(void)
{
	struct sp_error err;

	fixture_dir_make(dir, sizeof(dir), "check_store_tables");
	fixture_site_init(path, sizeof(path), dir, "hub", "ASOC", 1);
	app("CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT);"
	    "CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER "
	    "REFERENCES parent(id), label TEXT);"
	    "CREATE TABLE country(code TEXT PRIMARY KEY, v TEXT);"
	    "CREATE TABLE composite(a INTEGER, b TEXT, PRIMARY KEY (b, a));"
	    "CREATE TABLE nokey(x)");
	ck_assert_int_eq(site_open(&site, path, FIXTURE_OPEN, &err), 0);
}

static void
teardown(void)
{
	site_close(&site);
	fixture_dir_remove(dir);
}

/* Reopens the site: opening folds what the capture logged. */
static void
reopen(void)
{
	struct sp_error err;

	site_close(&site);
	ck_assert_int_eq(site_open(&site, path, FIXTURE_OPEN, &err), 0);
}

/* A policy for table as `syncadm track` would make it; free the names. */
static struct tracked_table
policy(const char *table, const char *pk, int pk_integer)
{
	struct tracked_table t;

	memset(&t, 0, sizeof(t));
	t.name = strdup(table);
	t.pk = strdup(pk);
	ck_assert_ptr_nonnull(t.name);
	ck_assert_ptr_nonnull(t.pk);
	t.pk_integer = pk_integer;
	strcpy(t.owner, "creator");
	strcpy(t.route, "owner");
	strcpy(t.conflict, "manual");
	strcpy(t.key, pk_integer ? "local" : "natural");
	t.freeze = 1;
	return t;
}

/* Saves t in a transaction of its own. */
static void
save(struct tracked_table *t)
{
	struct sp_error err;

	ck_assert_int_eq(store_tx_begin(&site, &err), 0);
	ck_assert_msg(tables()->table_save(&site, t, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(store_tx_commit(&site, &err), 0);
	ck_assert_int_gt(t->id, 0);
}

static int
count_cb(void *ctx, const struct store_record *rec, json_t *row,
    struct sp_error *err)
{
	(void)rec;
	(void)row;
	(void)err;
	++*(int *)ctx;
	return 0;
}

/* How many records of table the store holds. */
static int
records(const char *table)
{
	struct sp_error err;
	struct store *st = store_open(&site, &err);
	int n = 0;

	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(store_changes(st, table, 0, 0, count_cb, &n, &err), 0);
	store_close(st);
	return n;
}

START_TEST(schema_is_read_as_declared)
{
	struct sp_error err;
	char **cols, *pk;
	int n, integer, ncols;

	ck_assert_int_eq(tables()->table_exists(&site, "parent", &err), 1);
	ck_assert_int_eq(tables()->table_exists(&site, "missing", &err), 0);
	ck_assert_int_eq(tables()->column_exists(&site, "child", "label",
	    &err), 1);
	ck_assert_int_eq(tables()->column_exists(&site, "child", "Label",
	    &err), 0);
	ck_assert_int_eq(tables()->column_exists(&site, "child", "name",
	    &err), 0);
	ck_assert_int_eq(tracked_columns_load(&site, "child", &cols, &n, &err),
	    0);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(cols[0], "id");
	ck_assert_str_eq(cols[1], "parent_id");
	ck_assert_str_eq(cols[2], "label");
	tracked_columns_free(cols, n);
	ck_assert_int_eq(tracked_columns_load(&site, "missing", &cols, &n,
	    &err), 0);
	ck_assert_int_eq(n, 0);
	tracked_columns_free(cols, n);

	ck_assert_int_eq(store_table_primary_key(&site, "parent", &pk,
	    &integer, &ncols, &err), 0);
	ck_assert_int_eq(ncols, 1);
	ck_assert_str_eq(pk, "id");
	ck_assert_int_eq(integer, 1);
	free(pk);
	ck_assert_int_eq(store_table_primary_key(&site, "country", &pk,
	    &integer, &ncols, &err), 0);
	ck_assert_int_eq(ncols, 1);
	ck_assert_str_eq(pk, "code");
	ck_assert_int_eq(integer, 0);
	free(pk);
}
END_TEST

/* A key of several columns travels as their list, in the key's order
 * whatever the columns' order; a table without one is named by its rowid
 * on SQLite and refused on PostgreSQL, which keeps no row identity across
 * updates (syncpack(7), "A HUB ON POSTGRESQL"). */
START_TEST(keys_of_several_columns_or_none)
{
	struct sp_error err;
	char *pk;
	int integer, ncols;

	ck_assert_int_eq(store_table_primary_key(&site, "composite", &pk,
	    &integer, &ncols, &err), 0);
	ck_assert_int_eq(ncols, 2);
	ck_assert_str_eq(pk, "[\"b\",\"a\"]");
	ck_assert_int_eq(integer, 0);
	free(pk);
	if (fixture_postgresql()) {
		ck_assert_int_eq(store_table_primary_key(&site, "nokey", &pk,
		    &integer, &ncols, &err), -1);
		ck_assert_ptr_nonnull(strstr(err.msg, "nokey: has no primary "
		    "key"));
		return;
	}
	ck_assert_int_eq(store_table_primary_key(&site, "nokey", &pk,
	    &integer, &ncols, &err), 0);
	ck_assert_int_eq(ncols, 0);
	ck_assert_str_eq(pk, "rowid");
	ck_assert_int_eq(integer, 1);
	free(pk);
}
END_TEST

START_TEST(policy_round_trip_keeps_id)
{
	struct tracked_table t = policy("country", "code", 0), got;
	struct sp_error err;
	long long id;

	t.window = strdup("v");
	save(&t);
	id = t.id;
	ck_assert_int_eq(store_table_get(&site, "country", &got, &err), 1);
	ck_assert_int_eq(got.id, id);
	ck_assert_str_eq(got.name, "country");
	ck_assert_str_eq(got.pk, "code");
	ck_assert_int_eq(got.pk_integer, 0);
	ck_assert_str_eq(got.owner, "creator");
	ck_assert_str_eq(got.route, "owner");
	ck_assert_str_eq(got.conflict, "manual");
	ck_assert_str_eq(got.key, "natural");
	ck_assert_str_eq(got.window, "v");
	ck_assert_int_eq(got.freeze, 1);
	ck_assert_int_eq(got.movable, 0);
	ck_assert_int_eq(got.rowversion_column, 0);
	ck_assert_int_eq(got.tracked, 1);
	tracked_table_free(&got);
	ck_assert_int_eq(store_table_get(&site, "parent", &got, &err), 0);

	/* A new policy for the same table keeps its id. */
	strcpy(t.owner, "shared");
	free(t.window);
	t.window = NULL;
	t.id = 0;
	save(&t);
	ck_assert_int_eq(t.id, id);
	ck_assert_int_eq(store_table_get(&site, "country", &got, &err), 1);
	ck_assert_str_eq(got.owner, "shared");
	ck_assert_ptr_null(got.window);
	tracked_table_free(&got);

	ck_assert_int_eq(store_tx_begin(&site, &err), 0);
	ck_assert_int_eq(tables()->table_untrack(&site, id, &err), 0);
	ck_assert_int_eq(store_tx_commit(&site, &err), 0);
	ck_assert_int_eq(store_table_get(&site, "country", &got, &err), 1);
	ck_assert_int_eq(got.tracked, 0);
	ck_assert_int_eq(got.id, id);
	tracked_table_free(&got);
	tracked_table_free(&t);
}
END_TEST

/* Movable tables and rowversion columns, on both backends. */
START_TEST(movable_and_rowversion_policies)
{
	struct tracked_table t = policy("country", "code", 0), got;
	struct sp_error err;

	t.movable = 1;
	t.rowversion_column = 1;
	save(&t);
	ck_assert_int_eq(store_table_get(&site, "country", &got, &err), 1);
	ck_assert_int_eq(got.movable, 1);
	ck_assert_int_eq(got.rowversion_column, 1);
	ck_assert_int_eq(got.freeze, 1);
	tracked_table_free(&got);
	tracked_table_free(&t);
}
END_TEST

/* On PostgreSQL the rowversion column is named after the table as
 * tracked: a schema-qualified name is refused with the reason, and
 * nothing saved. */
START_TEST(rowversion_needs_a_plain_name_on_postgresql)
{
	struct tracked_table t = policy("public.country", "code", 0), got;
	struct sp_error err;

	t.rowversion_column = 1;
	ck_assert_int_eq(store_tx_begin(&site, &err), 0);
	ck_assert_int_eq(tables()->table_save(&site, &t, &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "--rowversion-column needs a "
	    "table found through the search_path by a plain name"));
	store_tx_rollback(&site);
	ck_assert_int_eq(store_table_get(&site, "country", &got, &err), 0);
	tracked_table_free(&t);
}
END_TEST

START_TEST(rollback_records_nothing)
{
	struct tracked_table t = policy("parent", "id", 1), got;
	struct sp_error err;

	ck_assert_int_eq(store_tx_begin(&site, &err), 0);
	ck_assert_int_eq(tables()->table_save(&site, &t, &err), 0);
	store_tx_rollback(&site);
	ck_assert_int_eq(store_table_get(&site, "parent", &got, &err), 0);
	/* Rolling back with nothing open is harmless. */
	store_tx_rollback(&site);
	tracked_table_free(&t);
}
END_TEST

START_TEST(tracked_tables_and_foreign_keys)
{
	struct tracked_table c = policy("child", "id", 1);
	struct tracked_table p = policy("parent", "id", 1);
	struct tracked_fk *fks;
	struct sp_error err;
	long long *parents;
	char **names;
	int n;

	save(&c);
	save(&p);
	ck_assert_int_eq(store_tables_tracked(&site, &names, &n, &err), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(names[0], "child");
	ck_assert_str_eq(names[1], "parent");
	tracked_columns_free(names, n);

	ck_assert_int_eq(tables()->fks_refresh(&site, &err), 0);
	ck_assert_int_eq(tracked_fks_load(&site, "child", &fks, &n, &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(fks[0].col, "parent_id");
	ck_assert_str_eq(fks[0].parent, "parent");
	tracked_fks_free(fks, n);
	ck_assert_int_eq(store_table_parents(&site, c.id, &parents, &n, &err),
	    0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(parents[0], p.id);
	free(parents);
	ck_assert_int_eq(store_table_parents(&site, p.id, &parents, &n, &err),
	    0);
	ck_assert_int_eq(n, 0);
	free(parents);

	/* An untracked parent's references travel as plain values. */
	ck_assert_int_eq(tables()->table_untrack(&site, p.id, &err), 0);
	ck_assert_int_eq(tables()->fks_refresh(&site, &err), 0);
	ck_assert_int_eq(tracked_fks_load(&site, "child", &fks, &n, &err), 0);
	ck_assert_int_eq(n, 0);
	tracked_fks_free(fks, n);
	ck_assert_int_eq(store_table_parents(&site, c.id, &parents, &n, &err),
	    0);
	ck_assert_int_eq(n, 0);
	free(parents);
	ck_assert_int_eq(store_tables_tracked(&site, &names, &n, &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(names[0], "child");
	tracked_columns_free(names, n);
	tracked_table_free(&c);
	tracked_table_free(&p);
}
END_TEST

START_TEST(adopt_and_capture)
{
	struct tracked_table t = policy("parent", "id", 1);
	struct sp_error err;

	strcpy(t.owner, "shared");
	t.freeze = 0;
	/* With a rowversion column where there are (not on PostgreSQL,
	 * which refuses them). */
	t.rowversion_column = !fixture_postgresql();
	app("INSERT INTO parent(id, name) VALUES (1, 'a'), (2, 'b')");
	save(&t);
	ck_assert_int_eq(store_tx_begin(&site, &err), 0);
	ck_assert_msg(tables()->table_adopt(&site, &t, &err) == 0, "%s",
	    err.msg);
	ck_assert_msg(tables()->capture_install(&site, &t, &err) == 0, "%s",
	    err.msg);
	ck_assert_int_eq(store_tx_commit(&site, &err), 0);
	ck_assert_int_eq(records("parent"), 2);
	ck_assert_int_eq(tables()->column_exists(&site, "parent",
	    "parent_rowversion", &err), t.rowversion_column);

	/* Installed, the capture sees the application's changes. */
	app("INSERT INTO parent(id, name) VALUES (3, 'c')");
	reopen();
	ck_assert_int_eq(records("parent"), 3);

	/* Removed, it does not, until the rows are adopted again. */
	ck_assert_int_eq(tables()->capture_remove(&site, t.id, &err), 0);
	ck_assert_int_eq(tables()->capture_remove(&site, t.id, &err), 0);
	app("INSERT INTO parent(id, name) VALUES (4, 'd')");
	reopen();
	ck_assert_int_eq(records("parent"), 3);
	ck_assert_int_eq(tables()->table_adopt(&site, &t, &err), 0);
	ck_assert_int_eq(records("parent"), 4);
	tracked_table_free(&t);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store_tables");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, schema_is_read_as_declared);
	tcase_add_test(tc, keys_of_several_columns_or_none);
	tcase_add_test(tc, policy_round_trip_keeps_id);
	tcase_add_test(tc, movable_and_rowversion_policies);
	if (fixture_postgresql())
		tcase_add_test(tc, rowversion_needs_a_plain_name_on_postgresql);
	tcase_add_test(tc, rollback_records_nothing);
	tcase_add_test(tc, tracked_tables_and_foreign_keys);
	tcase_add_test(tc, adopt_and_capture);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
