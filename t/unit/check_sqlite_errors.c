/* check_sqlite_errors.c: the SQLite backend's errors carry the kind the
 * tools decide on (util/error.h): busy when another writer holds the
 * database, database for any other refusal. Backend-specific, so outside
 * the store conformance suite. */
#include <check.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>

#include "store/site.h"
#include "store/sqlite/sql.h"
#include "store_fixture.h"

static char dir[64];
static char path[128];
static struct site site;

static void
setup(void)
{
	struct sp_error err;

	fixture_dir_make(dir, sizeof(dir), "check_sqlite_errors");
	snprintf(path, sizeof(path), "%s/hub.db", dir);
	ck_assert_int_eq(site_init(path, "ASOC", 1, NULL, NULL, &err), 0);
	ck_assert_int_eq(site_open(&site, path, 0, &err), 0);
	fixture_app(path, "CREATE TABLE country(code TEXT PRIMARY KEY, "
	    "label TEXT)");
}

static void
teardown(void)
{
	site_close(&site);
	fixture_dir_remove(dir);
}

START_TEST(database_errors_have_a_kind)
{
	struct sp_error err;
	sqlite3 *other;

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
	Suite *s = suite_create("sqlite_errors");
	TCase *tc = tcase_create("errors");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, database_errors_have_a_kind);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
