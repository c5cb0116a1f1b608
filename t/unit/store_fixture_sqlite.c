/* store_fixture_sqlite.c: the SQLite part of the store conformance
 * tests' fixture (store_fixture.h): sites are files of the scratch
 * folder, the application speaks to them through SQLite. */
#include <sqlite3.h>
#include <stdio.h>

#include "store_fixture.h"
#include "store/site.h"

void
fixture_site_path(char *path, size_t size, const char *dir,
    const char *name)
{
	ck_assert_int_lt(snprintf(path, size, "%s/%s.db", dir, name),
	    (int)size);
}

void
fixture_site_init(char *path, size_t size, const char *dir,
    const char *name, const char *id, int hub)
{
	struct sp_error err;

	fixture_site_path(path, size, dir, name);
	ck_assert_msg(site_init(path, id, hub, NULL, NULL, &err) == 0, "%s: %s",
	    path, err.msg);
}

void
fixture_app(const char *path, const char *sql)
{
	sqlite3 *db;
	char *msg = NULL;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	/* The site's own connection may hold the database for a moment. */
	sqlite3_busy_timeout(db, 5000);
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK,
	    "%s: %s", sql, msg ? msg : "?");
	sqlite3_close(db);
}

long long
fixture_app_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	long long v;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	ck_assert_msg(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
	ck_assert_msg(sqlite3_step(st) == SQLITE_ROW, "%s: no row", sql);
	v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

int
fixture_postgresql(void)
{
	return 0;
}

int
fixture_sqlite_only(const char *test, const char *why)
{
	(void)test;
	(void)why;
	return 1;
}

/* The files of the sites go with the scratch folder. */
void
fixture_backend_forget(const char *dir)
{
	(void)dir;
}

void
fixture_backend_start(void)
{
}
