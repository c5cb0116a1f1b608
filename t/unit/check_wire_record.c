/* check_wire_record.c: unit tests for the record lines of data files
 * (wire_record.c, wire_writer.c, sxf(5)): the streaming writer writes what
 * the DOM of wire_record_build would, the streaming reader gives back what
 * was written and stays as strict as jansson was. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sxf/wire_record.h"

static const char *const guid = "0123456789ABCDEF0123456789ABCDEF";

static struct store_record
record(void)
{
	struct store_record rec;

	memset(&rec, 0, sizeof(rec));
	strcpy(rec.guid, guid);
	strcpy(rec.table, "customer");
	strcpy(rec.origin, "BSOC");
	strcpy(rec.owner, "BSOC");
	strcpy(rec.hlc_site, "ASOC");
	rec.rowversion = 7;
	rec.base = 3;
	rec.base_hlc = 117721183947390976LL;
	rec.hlc = 117721183947390999LL;
	return rec;
}

/* The line of wire_writer_line next to json_dumps of the DOM pack used
 * to build (wire_record_build, op and revived set after). */
static void
assert_writes_as_dom(const struct store_record *rec, json_t *row, json_t *fk,
    const char *op, int revived)
{
	struct sp_error err;
	struct wire_writer *ww = wire_writer_new(&err);
	json_t *o = wire_record_build(rec, row, fk);
	const char *text;
	size_t len;
	char *want;

	ck_assert_ptr_nonnull(ww);
	ck_assert_ptr_nonnull(o);
	if (op != NULL && strcmp(op, "upsert") != 0)
		json_object_set_new(o, "op", json_string(op));
	if (revived)
		json_object_set_new(o, "revived", json_true());
	want = json_dumps(o, JSON_COMPACT);
	ck_assert_int_eq(wire_writer_line(ww, rec, row, fk, op, revived, &text,
	    &len, &err), 0);
	ck_assert_msg(len > 0 && text[len - 1] == '\n', "no newline");
	ck_assert_msg(len - 1 == strlen(want) && memcmp(text, want, len - 1)
	    == 0, "got %.*s, want %s", (int)len, text, want);
	/* A second line from the same writer is alone in its buffer. */
	ck_assert_int_eq(wire_writer_line(ww, rec, row, fk, op, revived, &text,
	    &len, &err), 0);
	ck_assert_uint_eq(len - 1, strlen(want));
	free(want);
	json_decref(o);
	wire_writer_free(ww);
}

START_TEST(writer_writes_what_the_dom_did)
{
	struct store_record rec = record();
	json_t *row = json_pack("{s:I, s:s, s:s, s:f, s:f, s:f, s:f, s:f, s:f, "
	    "s:n, s:{s:s}}", "id", (json_int_t)-9007199254740993LL,
	    "name", "caf\xc3\xa9 \"q\" \\ /\n\t\x01\x1f\x7f",
	    "city", "", "a", 1.25, "b", 1e20, "c", 1e-5, "d", -0.0, "e", 0.1,
	    "f", 123456789.123456789, "g", "note", "base64", "AAE=");
	json_t *fk = json_pack("{s:{s:s, s:s, s:I}}", "parent", "table",
	    "customer", "guid", guid, "rowversion", (json_int_t)2);
	json_t *empty = json_object();

	ck_assert_ptr_nonnull(row);
	ck_assert_ptr_nonnull(fk);
	assert_writes_as_dom(&rec, row, NULL, "upsert", 0);
	assert_writes_as_dom(&rec, row, fk, "move", 1);
	assert_writes_as_dom(&rec, row, empty, NULL, 0);
	strcpy(rec.base_site, "CSOC");
	rec.values_hlc = 5;
	strcpy(rec.values_site, "BSOC");
	assert_writes_as_dom(&rec, row, fk, "upsert", 0);
	rec.deleted = 1;
	assert_writes_as_dom(&rec, row, NULL, "upsert", 0);
	assert_writes_as_dom(&rec, NULL, NULL, NULL, 1);
	json_decref(row);
	json_decref(fk);
	json_decref(empty);
}
END_TEST

START_TEST(what_is_written_reads_back)
{
	struct store_record rec = record();
	json_t *row = json_pack("{s:I, s:f, s:f, s:s, s:n}", "id",
	    (json_int_t)42, "r", 2.0, "big", 1e300, "t", "\xf0\x9f\x98\x80",
	    "none");
	struct sp_error err;
	struct wire_writer *ww = wire_writer_new(&err);
	struct wire_record w;
	const char *text;
	size_t len;

	ck_assert_ptr_nonnull(row);
	strcpy(rec.base_site, "CSOC");
	rec.values_hlc = 5;
	strcpy(rec.values_site, "BSOC");
	ck_assert_int_eq(wire_writer_line(ww, &rec, row, NULL, NULL, 1, &text,
	    &len, &err), 0);
	ck_assert_msg(wire_record_parse(text, len - 1, &w, &err) == 0, "%s: %.*s",
	    err.msg, (int)len, text);
	ck_assert_str_eq(w.rec.guid, rec.guid);
	ck_assert_str_eq(w.rec.table, rec.table);
	ck_assert_str_eq(w.rec.origin, rec.origin);
	ck_assert_str_eq(w.rec.owner, rec.owner);
	ck_assert_str_eq(w.rec.hlc_site, rec.hlc_site);
	ck_assert_str_eq(w.rec.base_site, rec.base_site);
	ck_assert_str_eq(w.rec.values_site, rec.values_site);
	ck_assert(w.rec.rowversion == rec.rowversion && w.rec.base == rec.base
	    && w.rec.base_hlc == rec.base_hlc && w.rec.hlc == rec.hlc &&
	    w.rec.values_hlc == rec.values_hlc && !w.rec.deleted && !w.move);
	ck_assert(json_equal(w.columns, row));
	/* Integers stay integers, reals reals. */
	ck_assert(json_is_integer(json_object_get(w.columns, "id")));
	ck_assert(json_is_real(json_object_get(w.columns, "r")));
	ck_assert(json_is_true(json_object_get(w.root, "revived")));
	ck_assert_ptr_null(w.fk);
	wire_record_free(&w);
	wire_writer_free(ww);
	json_decref(row);
}
END_TEST

#define HEAD "{\"table\":\"t\",\"guid\":\"0123456789ABCDEF0123456789ABCDEF\"," \
	"\"op\":\"upsert\",\"origin\":\"BSOC\",\"owner\":\"BSOC\"," \
	"\"rowversion\":1,\"base\":0,\"base_hlc\":0,\"hlc\":1," \
	"\"hlc_site\":\"BSOC\""

static int
parse(const char *line, struct sp_error *err)
{
	struct wire_record w;
	int rc = wire_record_parse(line, strlen(line), &w, err);

	if (rc == 0)
		wire_record_free(&w);
	return rc;
}

START_TEST(reader_is_as_strict_as_jansson_was)
{
	static const struct {
		const char *line, *why;
	} bad[] = {
		{ HEAD ",\"guid\":\"0123456789ABCDEF0123456789ABCDEF\","
		    "\"columns\":{}}", "duplicate" },
		{ HEAD ",\"columns\":{\"v\":1,\"v\":2}}", "duplicate" },
		{ HEAD ",\"columns\":{\"v\":{\"real\":\"inf\",\"real\":\"inf\"}}}",
		    "duplicate" },
		{ HEAD ",\"x\":1,\"x\":2,\"columns\":{}}", "duplicate" },
		{ HEAD ",\"columns\":{\"v\":\"\\ud800\"}}", "Unicode" },
		{ HEAD ",\"columns\":{\"v\":\"\\udc00\\ud800\"}}", "Unicode" },
		{ HEAD ",\"columns\":{\"v\":\"\\ud800\\u0041\"}}", "Unicode" },
		{ HEAD ",\"columns\":{\"v\":\"\xc0\x80\"}}", "UTF-8" },
		{ HEAD ",\"columns\":{\"v\":\"\xed\xa0\x80\"}}", "UTF-8" },
		{ HEAD ",\"columns\":{\"v\":\"\xf4\x90\x80\x80\"}}", "UTF-8" },
		{ HEAD ",\"columns\":{\"\xc0\xaf\":1}}", "UTF-8" },
		{ HEAD ",\"columns\":{\"a\\u0000b\":1}}", "NUL" },
		{ HEAD ",\"columns\":{\"v\":99999999999999999999}}", "integer" },
		{ HEAD ",\"columns\":{\"v\":-99999999999999999999}}", "integer" },
		{ HEAD ",\"columns\":{\"v\":1e999}}", "overflow" },
		{ HEAD ",\"columns\":{}} x", "not JSON" },
		{ HEAD ",\"columns\":{}}{}", "not JSON" },
		{ HEAD ",\"columns\":{}", "not JSON" },
		{ "", "not JSON" },
		{ "[1]", "not a JSON object" },
		{ "\"x\"", "not a JSON object" },
		{ HEAD ",\"columns\":{\"v\":01}}", "not JSON" },
		{ HEAD ",\"columns\":{\"v\":1},/*c*/\"w\":1}", "not JSON" },
		{ HEAD ",\"fk\":{\"p\":{\"table\":\"a\\u0000\"}},\"columns\":{}}",
		    "NUL byte in fk" },
		{ HEAD ",\"note\":\"a\\u0000\",\"columns\":{}}",
		    "NUL byte in note" },
		{ HEAD ",\"columns\":[]}", "upsert without columns" },
		{ HEAD ",\"columns\":{},\"fk\":[]}", "bad fk" },
		{ HEAD ",\"base_site\":null,\"columns\":{}}", "bad base_site" },
		{ HEAD ",\"values_site\":\"BSOC\",\"columns\":{}}",
		    "bad values_hlc" },
		{ HEAD ",\"values_hlc\":3,\"columns\":{}}", "bad values_site" },
		{ "{\"table\":\"t\",\"guid\":\"0123456789ABCDEF0123456789ABCDEF\","
		    "\"op\":\"upsert\",\"origin\":\"BSOC\",\"owner\":\"BSOC\","
		    "\"rowversion\":1.0,\"base\":0,\"base_hlc\":0,\"hlc\":1,"
		    "\"hlc_site\":\"BSOC\",\"columns\":{}}", "bad rowversion" },
		{ "{\"table\":7,\"columns\":{}}", "bad table" },
	};
	static const char *const good[] = {
		HEAD ",\"columns\":{\"v\":\"\\ud83d\\ude00 \\\\u \\\\ud800\"}}",
		HEAD ",\"columns\":{\"v\":\"a\\u0000b\"}}",
		HEAD ",\"columns\":{\"v\":[1,{\"x\":[]}]},\"later\":{\"y\":[]}}",
		" \t" HEAD ",\"columns\":{\"v\":-0,\"w\":1E2,\"x\":true}}\r\n",
	};
	struct sp_error err;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(parse(bad[i].line, &err) == -1, "bad %zu read", i);
		ck_assert_msg(strstr(err.msg, bad[i].why) != NULL,
		    "bad %zu: %s, want %s", i, err.msg, bad[i].why);
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(parse(good[i], &err) == 0, "good %zu: %s", i,
		    err.msg);
}
END_TEST

START_TEST(numbers_keep_their_kind)
{
	const char *line = HEAD ",\"columns\":{\"i\":-0,\"r\":1E2,\"s\":2.5e-3,"
	    "\"big\":9223372036854775807}}";
	struct sp_error err;
	struct wire_record w;

	ck_assert_int_eq(wire_record_parse(line, strlen(line), &w, &err), 0);
	ck_assert(json_is_integer(json_object_get(w.columns, "i")));
	ck_assert(json_is_real(json_object_get(w.columns, "r")));
	ck_assert(json_real_value(json_object_get(w.columns, "r")) == 100.0);
	ck_assert(json_real_value(json_object_get(w.columns, "s")) == 2.5e-3);
	ck_assert(json_integer_value(json_object_get(w.columns, "big")) ==
	    9223372036854775807LL);
	wire_record_free(&w);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("wire_record");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, writer_writes_what_the_dom_did);
	tcase_add_test(tc, what_is_written_reads_back);
	tcase_add_test(tc, reader_is_as_strict_as_jansson_was);
	tcase_add_test(tc, numbers_keep_their_kind);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
