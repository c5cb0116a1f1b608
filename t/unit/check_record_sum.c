/* check_record_sum.c: the canonical record checksum (sxf/record_sum.h) is
 * the SHA-256 of the text sxf(5) gives, byte for byte, and tells apart
 * every pair of distinct stored values. */
#include <check.h>
#include <string.h>

#include <openssl/evp.h>

#include "sxf/record_sum.h"
#include "store_fixture.h"

static struct value
val(enum value_type type, long long i, double r, const char *bytes,
    size_t n)
{
	struct value v;

	memset(&v, 0, sizeof(v));
	v.type = type;
	v.i = i;
	v.r = r;
	v.bytes = (const unsigned char *)bytes;
	v.n = n;
	return v;
}

/* The digest of one record t/GUID/OWNER with the column "c" = v. */
static void
one(const struct value *v, int ref, unsigned char out[32])
{
	struct record_sum rs;
	struct sp_error err;

	ck_assert_int_eq(record_sum_init(&rs, &err), 0);
	record_sum_begin(&rs, "t", "GUID", "OWNER", 0);
	record_sum_value(&rs, "c", v, ref);
	ck_assert_int_eq(record_sum_end(&rs, out), 0);
	record_sum_free(&rs);
}

START_TEST(the_documented_text)
{
	static const char tombstone[] = "syncpack-record 1\nt\nGUID\nOWNER\n"
	    "deleted\n";
	static const char text[] = "syncpack-record 1\nt\nGUID\nOWNER\n"
	    "a=i:-42\nb=r:2.5\nc=null\nd=t:3:x y\ne=b:2:\000\377\n"
	    "f=g:PARENT\ng=g:null\n";
	unsigned char want[32], got[32];
	struct value a = val(VALUE_INTEGER, -42, 0, NULL, 0);
	struct value b = val(VALUE_REAL, 0, 2.5, NULL, 0);
	struct value c = val(VALUE_NULL, 0, 0, NULL, 0);
	struct value d = val(VALUE_TEXT, 0, 0, "x y", 3);
	struct value e = val(VALUE_BLOB, 0, 0, "\000\377", 2);
	struct value f = val(VALUE_TEXT, 0, 0, "PARENT", 6);
	struct record_sum rs;
	struct sp_error err;

	ck_assert_int_eq(EVP_Digest(text, sizeof(text) - 1, want, NULL,
	    EVP_sha256(), NULL), 1);
	ck_assert_int_eq(record_sum_init(&rs, &err), 0);
	record_sum_begin(&rs, "t", "GUID", "OWNER", 0);
	record_sum_value(&rs, "a", &a, 0);
	record_sum_value(&rs, "b", &b, 0);
	record_sum_value(&rs, "c", &c, 0);
	record_sum_value(&rs, "d", &d, 0);
	record_sum_value(&rs, "e", &e, 0);
	record_sum_value(&rs, "f", &f, 1);
	record_sum_value(&rs, "g", &c, 1);
	ck_assert_int_eq(record_sum_end(&rs, got), 0);
	ck_assert(memcmp(want, got, 32) == 0);
	/* The context starts afresh with every record: a tombstone. */
	record_sum_begin(&rs, "t", "GUID", "OWNER", 1);
	ck_assert_int_eq(record_sum_end(&rs, got), 0);
	ck_assert_int_eq(EVP_Digest(tombstone, strlen(tombstone), want, NULL,
	    EVP_sha256(), NULL), 1);
	ck_assert(memcmp(want, got, 32) == 0);
	record_sum_free(&rs);
}
END_TEST

START_TEST(distinct_values_distinct_sums)
{
	struct value v[] = {
		val(VALUE_NULL, 0, 0, NULL, 0),
		val(VALUE_TEXT, 0, 0, "", 0),
		val(VALUE_BLOB, 0, 0, "", 0),
		val(VALUE_TEXT, 0, 0, "1", 1),
		val(VALUE_BLOB, 0, 0, "1", 1),
		val(VALUE_INTEGER, 1, 0, NULL, 0),
		val(VALUE_REAL, 0, 1.0, NULL, 0),
		val(VALUE_REAL, 0, -0.0, NULL, 0),
		val(VALUE_REAL, 0, 0.0, NULL, 0),
	};
	int n = (int)(sizeof(v) / sizeof(v[0]));
	unsigned char sums[9][32], ref[32];

	for (int i = 0; i < n; i++)
		one(&v[i], 0, sums[i]);
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			ck_assert_msg(memcmp(sums[i], sums[j], 32) != 0,
			    "values %d and %d", i, j);
	/* A NULL reference is not a NULL value. */
	one(&v[0], 1, ref);
	ck_assert(memcmp(ref, sums[0], 32) != 0);
}
END_TEST

START_TEST(bytes_missing_fail)
{
	struct value text = val(VALUE_TEXT, 0, 0, NULL, 0);
	struct value blob = val(VALUE_BLOB, 0, 0, NULL, 3);
	unsigned char out[32];
	struct record_sum rs;
	struct sp_error err;

	ck_assert_int_eq(record_sum_init(&rs, &err), 0);
	record_sum_begin(&rs, "t", "GUID", "OWNER", 0);
	record_sum_value(&rs, "c", &text, 0);
	ck_assert_int_eq(record_sum_end(&rs, out), -1);
	record_sum_begin(&rs, "t", "GUID", "OWNER", 0);
	record_sum_value(&rs, "c", &blob, 0);
	ck_assert_int_eq(record_sum_end(&rs, out), -1);
	/* And the next record is not marked by them. */
	record_sum_begin(&rs, "t", "GUID", "OWNER", 1);
	ck_assert_int_eq(record_sum_end(&rs, out), 0);
	record_sum_free(&rs);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("record_sum");
	TCase *tc = tcase_create("record_sum");

	tcase_add_test(tc, the_documented_text);
	tcase_add_test(tc, distinct_values_distinct_sums);
	tcase_add_test(tc, bytes_missing_fail);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
