/* check_key_sql.c: unit tests for the rkeys of composite keys (key_sql.c):
 * what the triggers' SQL encodes, syncpack_key_part gives back with its
 * type and bytes, for every storage class; the pk text of a key parses
 * back; damaged rkeys are errors, not other values. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/key_sql.h"
#include "store/tables.h"

static sqlite3 *db;

static void
setup(void)
{
	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(key_sql_register(db), SQLITE_OK);
	/* No declared type: SQLite keeps every value as given. */
	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE t(a, b, PRIMARY KEY "
	    "(a, b))", NULL, NULL, NULL), SQLITE_OK);
}

static void
teardown(void)
{
	sqlite3_close(db);
}

static void
exec(const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		ck_abort_msg("%s: %s", sql, msg);
}

/* The number of rows of sql's one-column answer that are 1. */
static int
count_true(const char *sql)
{
	sqlite3_stmt *st;
	int n = 0, r;

	ck_assert_int_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		n += sqlite3_column_int(st, 0) == 1;
	ck_assert_int_eq(r, SQLITE_DONE);
	sqlite3_finalize(st);
	return n;
}

START_TEST(every_value_comes_back_with_its_type_and_bytes)
{
	const char *pk = "[\"a\",\"b\"]";
	char *expr = key_sql_expr(pk, "t"), *match = key_sql_match(pk, "u",
	    "k.rkey"), *sql;

	ck_assert_ptr_nonnull(expr);
	ck_assert_ptr_nonnull(match);
	exec("INSERT INTO t VALUES (1, 'a,b'), ('it''s', 0.1),"
	    " (x'00FF2C27', -9223372036854775808), (CAST(x'610062' AS TEXT), 1e300),"
	    " (2.0 / 3, ''), ('1', 1), (-0.5, 9e999), (x'', 'T41'),"
	    " ('NULL', -9e999), (9223372036854775807, 'X''00''')");
	sql = sqlite3_mprintf("CREATE TABLE k AS SELECT %s AS rkey, a, b FROM t",
	    expr);
	exec(sql);
	sqlite3_free(sql);
	/* Every rkey is distinct, and each names its own row only. */
	ck_assert_int_eq(count_true("SELECT count(DISTINCT rkey) = 10 FROM k"), 1);
	sql = sqlite3_mprintf("SELECT (SELECT count(*) FROM t u WHERE %s) = 1 "
	    "AND syncpack_key_part(k.rkey, 0) IS k.a AND typeof("
	    "syncpack_key_part(k.rkey, 0)) = typeof(k.a) AND "
	    "syncpack_key_part(k.rkey, 1) IS k.b AND typeof("
	    "syncpack_key_part(k.rkey, 1)) = typeof(k.b) AND hex("
	    "syncpack_key_part(k.rkey, 0)) = hex(k.a) FROM k", match);
	ck_assert_int_eq(count_true(sql), 10);
	sqlite3_free(sql);
	/* The readable form, where quote() is exact. */
	ck_assert_int_eq(count_true("SELECT rkey = '1,''a,b''' FROM k WHERE "
	    "a = 1"), 1);
	ck_assert_int_eq(count_true("SELECT rkey = 'T610062,1.0e+300' FROM k "
	    "WHERE b = 1e300"), 1);
	sqlite3_free(expr);
	sqlite3_free(match);
}
END_TEST

START_TEST(damaged_rkeys_are_errors)
{
	static const char *const bad[] = {
		"'open", "X'0", "X'ZZ'", "T4", "1,,2", "", "1;2", "TZZ",
		"99999999999999999999",
	};
	sqlite3_stmt *st;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT "
		    "syncpack_key_part(?, 0), syncpack_key_part(?, 1)", -1, &st,
		    NULL), SQLITE_OK);
		sqlite3_bind_text(st, 1, bad[i], -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, bad[i], -1, SQLITE_STATIC);
		ck_assert_msg(sqlite3_step(st) == SQLITE_ERROR, "%s", bad[i]);
		ck_assert_str_eq(sqlite3_errmsg(db),
		    "syncpack: damaged composite key in the metadata");
		sqlite3_finalize(st);
	}
}
END_TEST

START_TEST(key_texts_parse_back)
{
	char *cols[] = { "Playlist\"Id", "Track,Id" };
	char *pk = key_pk_text(cols, 2), **names;
	int n;

	ck_assert_ptr_nonnull(pk);
	ck_assert_int_eq(key_is_composite(pk), 1);
	ck_assert_int_eq(key_columns(pk, &names, &n), 1);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(names[0], "Playlist\"Id");
	ck_assert_str_eq(names[1], "Track,Id");
	tracked_columns_free(names, n);
	free(pk);
	ck_assert_int_eq(key_columns("id", &names, &n), 1);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(names[0], "id");
	tracked_columns_free(names, n);
	ck_assert_int_eq(key_is_composite("id"), 0);
	/* Not a key: damaged, one column in an array, not text. */
	ck_assert_int_eq(key_columns("[\"a\"", &names, &n), 0);
	ck_assert_int_eq(key_columns("[\"a\"]", &names, &n), 0);
	ck_assert_int_eq(key_columns("[\"a\", 2]", &names, &n), 0);
	ck_assert_int_eq(key_columns("", &names, &n), 0);
	ck_assert_ptr_null(key_sql_expr("[1, 2]", "x"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("key_sql");
	TCase *tc = tcase_create("key_sql");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, every_value_comes_back_with_its_type_and_bytes);
	tcase_add_test(tc, damaged_rkeys_are_errors);
	tcase_add_test(tc, key_texts_parse_back);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
