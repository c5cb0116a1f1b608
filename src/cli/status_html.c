/* status_html.c: the status page. */
#include <string.h>
#include <time.h>

#include "cli/status_html.h"
#include "util/duration.h"

static const char page_style[] =
    "body{font-family:sans-serif;margin:1.5em;color:#111;background:#fff}"
    "table{border-collapse:collapse;width:100%}"
    "th,td{border:1px solid #999;padding:.3em .6em;text-align:left}"
    "th{background:#eee}"
    "td.n{text-align:right;font-variant-numeric:tabular-nums}"
    "td.last_sent,td.last_received,td.last_acked{white-space:nowrap}"
    ".ok{background:#d9f2dc}"
    ".attention{background:#f8d3d0}"
    ".word{font-weight:bold;text-transform:uppercase}"
    "p.verdict{padding:.5em;border:1px solid #999}";

/* Writes s with &, <, >, " and ' escaped. */
static void
put_escaped(FILE *f, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
}

/* A stored time as date, hour and minute; "never" for none, and the text
 * itself when it is not a time syncpack wrote. */
static void
put_time(FILE *f, json_t *v)
{
	long long epoch;
	time_t t;
	struct tm tm;
	char buf[32];

	if (!json_is_string(v)) {
		fputs("never", f);
		return;
	}
	if (utc_parse(json_string_value(v), &epoch) == 0) {
		t = (time_t)epoch;
		if (gmtime_r(&t, &tm) != NULL &&
		    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm) > 0) {
			fputs(buf, f);
			return;
		}
	}
	put_escaped(f, json_string_value(v));
}

/* The verdict word, then ": reason" when there is one. */
static void
put_verdict(FILE *f, json_t *o)
{
	const char *verdict = json_string_value(json_object_get(o, "verdict"));
	json_t *reason = json_object_get(o, "reason");

	fputs("<span class=\"word\">", f);
	put_escaped(f, verdict ? verdict : "unknown");
	fputs("</span>", f);
	if (json_is_string(reason)) {
		fputs(": ", f);
		put_escaped(f, json_string_value(reason));
	}
}

static const char *
verdict_class(json_t *o)
{
	const char *v = json_string_value(json_object_get(o, "verdict"));

	return v != NULL && strcmp(v, "ok") == 0 ? "ok" : "attention";
}

static void
put_row(FILE *f, json_t *p)
{
	static const char *const times[] = { "last_sent", "last_received",
	    "last_acked" };
	static const char *const counts[] = { "waiting", "held", "conflicts",
	    "rejections", "refused" };
	const char *peer = json_string_value(json_object_get(p, "peer"));

	fprintf(f, "<tr class=\"peer %s\"><td class=\"site\">",
	    verdict_class(p));
	put_escaped(f, peer ? peer : "");
	fputs("</td>", f);
	for (size_t i = 0; i < sizeof(times) / sizeof(times[0]); i++) {
		fprintf(f, "<td class=\"%s\">", times[i]);
		put_time(f, json_object_get(p, times[i]));
		fputs("</td>", f);
	}
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		fprintf(f, "<td class=\"n %s\">%lld</td>", counts[i],
		    (long long)json_integer_value(json_object_get(p,
		    counts[i])));
	fputs("<td class=\"status\">", f);
	put_verdict(f, p);
	fputs("</td></tr>\n", f);
}

void
status_html_write(FILE *f, json_t *st, long long now)
{
	const char *site = json_string_value(json_object_get(st, "site"));
	json_t *peers = json_object_get(st, "peers"), *p;
	time_t t = (time_t)now;
	struct tm tm;
	char written[32] = "";
	size_t i;

	if (gmtime_r(&t, &tm) != NULL)
		strftime(written, sizeof(written), "%Y-%m-%d %H:%M", &tm);
	if (site == NULL)
		site = "";
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n"
	    "<meta http-equiv=\"refresh\" content=\"300\">\n"
	    "<title>syncpack status: ", f);
	put_escaped(f, site);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n"
	    "<h1>syncpack status of ", page_style);
	put_escaped(f, site);
	fprintf(f, "%s</h1>\n<p class=\"verdict %s\" id=\"verdict\">Site ",
	    json_is_true(json_object_get(st, "hub")) ? " (hub)" : "",
	    verdict_class(st));
	put_escaped(f, site);
	fputs(": ", f);
	put_verdict(f, st);
	fprintf(f, "</p>\n<p>Written %s UTC; all times are UTC.</p>\n"
	    "<table>\n<thead><tr><th>Site</th><th>Last sent</th>"
	    "<th>Last received</th><th>Last acknowledged</th>"
	    "<th>Waiting</th><th>Held</th><th>Conflicts</th>"
	    "<th>Rejections</th><th>Refused</th><th>Status</th></tr>"
	    "</thead>\n<tbody>\n",
	    written);
	json_array_foreach(peers, i, p)
		put_row(f, p);
	if (json_array_size(peers) == 0)
		fputs("<tr><td colspan=\"9\">no peer registered</td></tr>\n", f);
	fputs("</tbody>\n</table>\n</body>\n</html>\n", f);
}
