/* check_duration.c: intervals an operator types and the UTC times syncpack
 * stores, as seconds (util/duration.h). */
#include <check.h>
#include <stdlib.h>

#include "util/duration.h"

START_TEST(parses_one_unit)
{
	static const struct { const char *text; long long seconds; } ok[] = {
		{ "30s", 30 }, { "15m", 900 }, { "26h", 93600 },
		{ "7d", 604800 }, { "never", 0 }, { "36600d", 36600LL * 86400 },
	};
	struct sp_error err;
	long long n;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		n = -1;
		ck_assert_int_eq(duration_parse(ok[i].text, &n, &err), 0);
		ck_assert_int_eq(n, ok[i].seconds);
	}
}
END_TEST

START_TEST(refuses_the_rest)
{
	static const char *const bad[] = { "", "0s", "0", "5", "1.5h", "26H",
	    "2d3h", " 5m", "5m ", "-5m", "+5m", "d", "nevers", "Never",
	    "36601d", "9223372036854775807s", "99999999999999999999d" };
	struct sp_error err;
	long long n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = 42;
		ck_assert_int_eq(duration_parse(bad[i], &n, &err), -1);
		ck_assert_int_eq(err.kind, SP_ERR_USAGE);
		ck_assert_int_eq(n, 42);
	}
}
END_TEST

START_TEST(formats_in_the_largest_unit)
{
	static const struct { long long seconds; const char *text; } cases[] = {
		{ 0, "never" }, { 30, "30s" }, { 61, "61s" }, { 5400, "90m" },
		{ 93600, "26h" }, { 604800, "7d" },
	};
	char buf[32];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		duration_format(cases[i].seconds, buf, sizeof(buf));
		ck_assert_str_eq(buf, cases[i].text);
	}
}
END_TEST

START_TEST(reads_stored_times)
{
	long long t = 0;

	ck_assert_int_eq(utc_parse("2026-11-01T08:00:00Z", &t), 0);
	ck_assert_int_eq(t, 1793520000LL);
	ck_assert_int_eq(utc_parse("2026-11-01 08:00", &t), -1);
	ck_assert_int_eq(utc_parse("2026-11-01T08:00:00Zx", &t), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("duration");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, parses_one_unit);
	tcase_add_test(tc, refuses_the_rest);
	tcase_add_test(tc, formats_in_the_largest_unit);
	tcase_add_test(tc, reads_stored_times);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
