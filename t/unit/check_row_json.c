/* check_row_json.c: unit tests for the JSON form of SQLite values
 * (row_json.c, sxf(5) "Column values"): every value round-trips with its
 * type and bytes, the encodings of older writers still read, and a value
 * that cannot be read is an error with a reason. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/row_json.h"
#include "sxf/wire_record.h"

static sqlite3 *db;

static void
setup(void)
{
	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	/* No declared type: SQLite keeps every value as given. */
	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE t(name, v);"
	    "CREATE TABLE u(name, v)", NULL, NULL, NULL), SQLITE_OK);
}

static void
teardown(void)
{
	sqlite3_close(db);
}

static void
exec(const char *sql)
{
	ck_assert_msg(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK,
	    "%s: %s", sql, sqlite3_errmsg(db));
}

/* The JSON text of the value of SQL expression expr, as pack writes it. */
static char *
encode(const char *expr, int flags)
{
	char sql[4096];
	sqlite3_stmt *st;
	struct sp_error err;
	json_t *v, *o;
	char *text;

	snprintf(sql, sizeof(sql), "DELETE FROM t; INSERT INTO t VALUES ('x', "
	    "%s)", expr);
	exec(sql);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT v FROM t", -1, &st,
	    NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = row_json_from_column(st, 0, &err);
	ck_assert_msg(v != NULL, "%s: %s", expr, err.msg);
	sqlite3_finalize(st);
	o = json_pack("{s:o}", "v", v);
	text = json_dumps(o, flags);
	ck_assert_ptr_nonnull(text);
	json_decref(o);
	return text;
}

static void
assert_encodes(const char *expr, const char *want)
{
	char *got = encode(expr, JSON_COMPACT | JSON_ENSURE_ASCII);

	ck_assert_msg(strcmp(got, want) == 0, "%s: got %s, want %s", expr, got,
	    want);
	free(got);
}

/* Binds the "v" of the JSON line text; returns row_json_bind's result. */
static int
bind_line(const char *text, size_t len, struct sp_error *err)
{
	json_error_t jerr;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES |
	    VALUE_JSON_DECODE_FLAGS, &jerr);
	sqlite3_stmt *st;
	int rc;

	ck_assert_msg(o != NULL, "%s: %s", text, jerr.text);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO u VALUES ('x', ?)",
	    -1, &st, NULL), SQLITE_OK);
	rc = row_json_bind(st, 1, json_object_get(o, "v"), err);
	if (rc == 0)
		ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	json_decref(o);
	return rc;
}

/* Column 0 and 1 of st hold the same type and bytes. */
static int
same_value(sqlite3_stmt *st)
{
	int type = sqlite3_column_type(st, 0);
	const void *a, *b;
	double x, y;

	if (type != sqlite3_column_type(st, 1))
		return 0;
	switch (type) {
	case SQLITE_NULL:
		return 1;
	case SQLITE_INTEGER:
		return sqlite3_column_int64(st, 0) == sqlite3_column_int64(st, 1);
	case SQLITE_FLOAT:
		x = sqlite3_column_double(st, 0);
		y = sqlite3_column_double(st, 1);
		return memcmp(&x, &y, sizeof(x)) == 0;
	case SQLITE_TEXT:
		a = sqlite3_column_text(st, 0);
		b = sqlite3_column_text(st, 1);
		break;
	default:
		a = sqlite3_column_blob(st, 0);
		b = sqlite3_column_blob(st, 1);
		break;
	}
	return sqlite3_column_bytes(st, 0) == sqlite3_column_bytes(st, 1) &&
	    (sqlite3_column_bytes(st, 0) == 0 ||
	    memcmp(a, b, (size_t)sqlite3_column_bytes(st, 0)) == 0);
}

static const char *const hostile[] = {
	"NULL", "''", "x''",
	"cast(x'4361666597' AS TEXT)", "x'4361666597'",
	"cast(x'610062' AS TEXT)", "cast(x'00' AS TEXT)",
	"cast(x'EDA080' AS TEXT)", "cast(x'C0AF' AS TEXT)",
	"cast(x'F4908080' AS TEXT)", "cast(x'41E282' AS TEXT)",
	"cast(x'80' AS TEXT)", "cast(x'FF' AS TEXT)",
	"'abc'", "x'616263'", "char(1, 9, 10, 13, 31, 34, 92, 127)",
	"char(0x41, 0xE9, 0x20AC, 0xFFFD, 0x10000, 0x1F600, 0x20000, "
	    "0x30000, 0xE0001, 0xF0000, 0x10FFFF)",
	"-9223372036854775808", "9223372036854775807", "0", "1", "-1",
	"0.1 + 0.2", "1.0000000000000002", "2.0", "1e16", "-0.0", "1e300",
	"5e-324", "2.2250738585072014e-308", "1.7976931348623157e308",
	"-1.7976931348623157e308", "9e999", "-9e999",
	"randomblob(1048576)", "cast(randomblob(1048576) AS TEXT)",
	"replace(hex(zeroblob(262144)), '00', char(0x10FFFF))",
};

/* Every hostile value, through JSON as pack (ASCII) and as reconcile
 * (UTF-8) write it, comes back with its type and bytes. */
START_TEST(every_value_round_trips)
{
	int flags[] = { JSON_COMPACT | JSON_ENSURE_ASCII, JSON_COMPACT, 0 };

	for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++)
		for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]);
		    i++) {
			char *text = encode(hostile[i], flags[f]);
			struct sp_error err;
			sqlite3_stmt *st;

			exec("DELETE FROM u");
			ck_assert_msg(bind_line(text, strlen(text), &err) == 0,
			    "%s: %s", hostile[i], err.msg);
			/* A line holds no raw NUL (held records are C
			 * strings) and no invalid UTF-8 (jansson refuses
			 * it). */
			ck_assert(value_plain_text((const unsigned char *)
			    text, strlen(text)));
			free(text);
			ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT t.v, u.v "
			    "FROM t, u", -1, &st, NULL), SQLITE_OK);
			ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
			ck_assert_msg(same_value(st), "%s changed", hostile[i]);
			sqlite3_finalize(st);
		}
}
END_TEST

START_TEST(encodings)
{
	assert_encodes("NULL", "{\"v\":null}");
	assert_encodes("''", "{\"v\":\"\"}");
	assert_encodes("x''", "{\"v\":{\"base64\":\"\"}}");
	assert_encodes("x'00ff10'", "{\"v\":{\"base64\":\"AP8Q\"}}");
	assert_encodes("x'00ff'", "{\"v\":{\"base64\":\"AP8=\"}}");
	assert_encodes("x'00'", "{\"v\":{\"base64\":\"AA==\"}}");
	assert_encodes("cast(x'4361666597' AS TEXT)",
	    "{\"v\":{\"text_base64\":\"Q2FmZZc=\"}}");
	assert_encodes("cast(x'610062' AS TEXT)",
	    "{\"v\":{\"text_base64\":\"YQBi\"}}");
	assert_encodes("'Caf' || char(0xE9)", "{\"v\":\"Caf\\u00E9\"}");
	assert_encodes("char(0x10FFFF)", "{\"v\":\"\\uDBFF\\uDFFF\"}");
	assert_encodes("-9223372036854775808", "{\"v\":-9223372036854775808}");
	assert_encodes("9223372036854775807", "{\"v\":9223372036854775807}");
	/* 17 significant digits, and a real always looks like one. */
	assert_encodes("0.1 + 0.2", "{\"v\":0.30000000000000004}");
	assert_encodes("2.0", "{\"v\":2.0}");
	assert_encodes("1e16", "{\"v\":10000000000000000.0}");
	assert_encodes("-0.0", "{\"v\":-0.0}");
	assert_encodes("9e999", "{\"v\":{\"real\":\"inf\"}}");
	assert_encodes("-9e999", "{\"v\":{\"real\":\"-inf\"}}");
}
END_TEST

/* Reads a line and returns the type and hex of what it binds. */
static void
assert_reads(const char *line, const char *want_type, const char *want_hex)
{
	struct sp_error err;
	sqlite3_stmt *st;

	exec("DELETE FROM u");
	ck_assert_msg(bind_line(line, strlen(line), &err) == 0, "%s: %s", line,
	    err.msg);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT typeof(v), CASE "
	    "typeof(v) WHEN 'real' THEN printf('%!.17g', v) ELSE hex(v) END FROM "
	    "u", -1, &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 0), want_type);
	ck_assert_str_eq((const char *)sqlite3_column_text(st, 1), want_hex);
	sqlite3_finalize(st);
}

/* What files of earlier versions hold. */
START_TEST(older_encodings_still_read)
{
	assert_reads("{\"v\":\"Dupont\"}", "text", "4475706F6E74");
	assert_reads("{\"v\":\"\"}", "text", "");
	assert_reads("{\"v\":null}", "null", "");
	assert_reads("{\"v\":{\"base64\":\"AP8Q\"}}", "blob", "00FF10");
	assert_reads("{\"v\":{\"base64\":\"\"}}", "blob", "");
	assert_reads("{\"v\":7}", "integer", "37");
	assert_reads("{\"v\":2.0}", "real", "2.0");
	assert_reads("{\"v\":\"\\uD83D\\uDE00\"}", "text", "F09F9880");
	/* NUL bytes were written as \u0000, and refused; now they read. */
	assert_reads("{\"v\":\"a\\u0000b\"}", "text", "610062");
	assert_reads("{\"v\":{\"text_base64\":\"\"}}", "text", "");
	assert_reads("{\"v\":{\"text_base64\":\"Q2FmZZc=\"}}", "text",
	    "4361666597");
	assert_reads("{\"v\":{\"real\":\"inf\"}}", "real", "Inf");
	assert_reads("{\"v\":{\"real\":\"-inf\"}}", "real", "-Inf");
}
END_TEST

static void
assert_refused(const char *line, const char *reason)
{
	struct sp_error err;

	err.msg[0] = '\0';
	ck_assert_msg(bind_line(line, strlen(line), &err) == -1, "%s was read",
	    line);
	ck_assert_msg(strstr(err.msg, reason) != NULL, "%s: reason %s, want %s",
	    line, err.msg, reason);
}

START_TEST(bad_values_are_errors_with_a_reason)
{
	assert_refused("{\"v\":{\"base64\":\"A\"}}", "base64");
	assert_refused("{\"v\":{\"base64\":\"AP8\"}}", "base64");
	assert_refused("{\"v\":{\"base64\":\"AP!Q\"}}", "base64");
	assert_refused("{\"v\":{\"base64\":\"A=8Q\"}}", "base64");
	assert_refused("{\"v\":{\"base64\":\"====\"}}", "base64");
	assert_refused("{\"v\":{\"base64\":\"AP9=\"}}", "padding bits");
	assert_refused("{\"v\":{\"base64\":\"AB==\"}}", "padding bits");
	assert_refused("{\"v\":{\"base64\":\"AP8Q\\u0000\"}}", "base64");
	assert_refused("{\"v\":{\"base64\":7}}", "base64");
	assert_refused("{\"v\":{\"text_base64\":\"Q2F\"}}", "text_base64");
	assert_refused("{\"v\":{\"text_base64\":null}}", "text_base64");
	assert_refused("{\"v\":{\"real\":\"nan\"}}", "real");
	assert_refused("{\"v\":{\"real\":\"inf\\u0000\"}}", "real");
	assert_refused("{\"v\":{\"real\":1}}", "real");
	assert_refused("{\"v\":{\"hex\":\"00\"}}", "not one of");
	assert_refused("{\"v\":{\"base64\":\"\",\"real\":\"inf\"}}",
	    "not one of");
	assert_refused("{\"v\":{}}", "not one of");
	assert_refused("{\"v\":true}", "unsupported");
	assert_refused("{\"v\":[1]}", "unsupported");
	assert_refused("{}", "no value");
}
END_TEST

START_TEST(plain_text)
{
	static const struct {
		const char *bytes;
		size_t n;
		int plain;
	} cases[] = {
		{ "", 0, 1 }, { "abc", 3, 1 }, { "a\0b", 3, 0 },
		{ "\xC3\xA9", 2, 1 }, { "\xC3", 1, 0 }, { "\xC0\xAF", 2, 0 },
		{ "\xC1\xBF", 2, 0 }, { "\xE0\x9F\xBF", 3, 0 },
		{ "\xE0\xA0\x80", 3, 1 }, { "\xED\x9F\xBF", 3, 1 },
		{ "\xED\xA0\x80", 3, 0 }, { "\xED\xBF\xBF", 3, 0 },
		{ "\xEE\x80\x80", 3, 1 }, { "\xEF\xBF\xBF", 3, 1 },
		{ "\xF0\x8F\xBF\xBF", 4, 0 }, { "\xF0\x90\x80\x80", 4, 1 },
		{ "\xF4\x8F\xBF\xBF", 4, 1 }, { "\xF4\x90\x80\x80", 4, 0 },
		{ "\xF5\x80\x80\x80", 4, 0 }, { "\x80", 1, 0 },
		{ "\xFF", 1, 0 }, { "Caf\x97", 4, 0 }, { "\xE2\x82", 2, 0 },
		{ "\xE2\x82\x41", 3, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		ck_assert_msg(value_plain_text((const unsigned char *)
		    cases[i].bytes, cases[i].n) == cases[i].plain, "case %zu", i);
}
END_TEST

#define RECORD_HEAD "{\"table\":\"t\",\"guid\":\"%s\",\"op\":\"upsert\"," \
	"\"origin\":\"BSOC\",\"owner\":\"BSOC\",\"rowversion\":1,\"base\":0," \
	"\"base_hlc\":0,\"hlc\":1,\"hlc_site\":\"%s\",\"columns\":{\"v\":%s}}"

static int
parse(const char *guid, const char *site, const char *value,
    struct sp_error *err)
{
	char line[512];
	struct wire_record w;
	int rc;

	snprintf(line, sizeof(line), RECORD_HEAD, guid, site, value);
	rc = wire_record_parse(line, strlen(line), &w, err);
	if (rc == 0)
		wire_record_free(&w);
	return rc;
}

/* A NUL is accepted in column text only. */
START_TEST(records_take_nul_in_values_only)
{
	const char *g = "0123456789ABCDEF0123456789ABCDEF";
	struct sp_error err;

	ck_assert_int_eq(parse(g, "BSOC", "\"a\\u0000b\"", &err), 0);
	ck_assert_int_eq(parse(g, "BSOC", "{\"text_base64\":\"YQBi\"}", &err),
	    0);
	ck_assert_int_eq(parse("0123456789ABCDEF0123456789ABCDEF\\u0000x",
	    "BSOC", "1", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "NUL"));
	ck_assert_int_eq(parse(g, "BSOC\\u0000", "1", &err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "NUL"));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("row_json");
	TCase *tc = tcase_create("row_json");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_value_round_trips);
	tcase_add_test(tc, encodings);
	tcase_add_test(tc, older_encodings_still_read);
	tcase_add_test(tc, bad_values_are_errors_with_a_reason);
	tcase_add_test(tc, plain_text);
	tcase_add_test(tc, records_take_nul_in_values_only);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
