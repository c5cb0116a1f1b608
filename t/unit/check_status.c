/* check_status.c: what syncadm status is made of: the intervals an
 * operator types and the UTC times syncpack stores, as seconds
 * (util/duration.h), and the status page (cli/status_html.h), which
 * escapes what it is given and says the verdict in words. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/duration.h"
#include "cli/status_html.h"

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

/* The page for the status object text, as a string to free. */
static char *
page_of(const char *text)
{
	json_error_t jerr;
	json_t *st = json_loads(text, 0, &jerr);
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	ck_assert_ptr_nonnull(st);
	f = open_memstream(&buf, &len);
	ck_assert_ptr_nonnull(f);
	status_html_write(f, st, 1796222063);
	ck_assert_int_eq(fclose(f), 0);
	json_decref(st);
	return buf;
}

START_TEST(escapes_every_string)
{
	char *page = page_of("{\"site\": \"A<&>\", \"hub\": true, \"verdict\":"
	    " \"attention\", \"reason\": \"x <script>alert('1')</script>\","
	    " \"peers\": [{\"peer\": \"B\\\"<i>\", \"last_sent\": "
	    "\"<b>\", \"last_received\": \"2026-12-02T14:34:23Z\", "
	    "\"last_acked\": null, \"waiting\": 2, \"held\": 1, \"conflicts\":"
	    " 0, \"rejections\": 0, \"verdict\": \"attention\", \"reason\": "
	    "\"1 held records\"}]}");

	ck_assert_ptr_null(strstr(page, "<script"));
	ck_assert_ptr_null(strstr(page, "<i>"));
	ck_assert_ptr_null(strstr(page, "<b>"));
	ck_assert_ptr_nonnull(strstr(page, "<title>syncpack status: "
	    "A&lt;&amp;&gt;</title>"));
	ck_assert_ptr_nonnull(strstr(page, "x &lt;script&gt;alert(&#39;1&#39;)"
	    "&lt;/script&gt;"));
	ck_assert_ptr_nonnull(strstr(page, "<td class=\"site\">B&quot;&lt;i&gt;"
	    "</td><td class=\"last_sent\">&lt;b&gt;</td><td class=\""
	    "last_received\">2026-12-02 14:34</td><td class=\"last_acked\">"
	    "never</td>"));
	ck_assert_ptr_nonnull(strstr(page, "<td class=\"status\"><span class="
	    "\"word\">attention</span>: 1 held records</td>"));
	ck_assert_ptr_nonnull(strstr(page, "Written 2026-12-02 14:34 UTC"));
	free(page);
}
END_TEST

START_TEST(says_when_there_is_no_peer)
{
	char *page = page_of("{\"site\": \"ASOC\", \"hub\": false, \"verdict\":"
	    " \"ok\", \"reason\": null, \"peers\": []}");

	ck_assert_ptr_nonnull(strstr(page, "no peer registered"));
	ck_assert_ptr_nonnull(strstr(page, "<p class=\"verdict ok\" id=\""
	    "verdict\">Site ASOC: <span class=\"word\">ok</span></p>"));
	ck_assert_ptr_null(strstr(page, "(hub)"));
	free(page);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, parses_one_unit);
	tcase_add_test(tc, refuses_the_rest);
	tcase_add_test(tc, formats_in_the_largest_unit);
	tcase_add_test(tc, reads_stored_times);
	tcase_add_test(tc, escapes_every_string);
	tcase_add_test(tc, says_when_there_is_no_peer);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
