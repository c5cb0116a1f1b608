/* syncadm_status.c: syncadm status, as text, JSON, the node_exporter
 * textfile format or an HTML page, to standard output or a file that
 * appears whole. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "sync/status.h"
#include "util/atomic_out.h"
#include "util/clock.h"
#include "util/duration.h"
#include "syncadm.h"
#include "cli/status_html.h"
#include "cli/tool.h"

enum status_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_PROMETHEUS,
    FORMAT_HTML };

/* The file written inside a folder given to -o, per format. */
static const char *const folder_names[] = { "status.txt", "status.json",
    "syncpack.prom", "status.html" };

static long long
time_value(json_t *v)
{
	long long t;

	if (json_is_integer(v))
		return (long long)json_integer_value(v);
	return json_is_string(v) && utc_parse(json_string_value(v), &t) == 0 ?
	    t : 0;
}

/* The node_exporter textfile format: one gauge per figure and peer, so
 * that an alert rule compares nothing but a gauge with 0 or 1. */
static void
print_prometheus(FILE *f, json_t *st)
{
	static const struct { const char *key, *name, *help; } gauges[] = {
		{ "last_sent", "syncpack_last_sent_timestamp_seconds",
		    "When a file was last written for the peer." },
		{ "last_received", "syncpack_last_received_timestamp_seconds",
		    "When a file from the peer was last applied." },
		{ "last_acked", "syncpack_last_acked_timestamp_seconds",
		    "When the peer last acknowledged a file." },
		{ "waiting", "syncpack_records_waiting",
		    "Records not yet acknowledged by the peer." },
		{ "held", "syncpack_records_held",
		    "Records from the peer held here." },
		{ "conflicts", "syncpack_conflicts",
		    "Unresolved conflicts with the peer." },
		{ "rejections", "syncpack_rejections",
		    "Records the peer rejected that still stand." },
		{ "refused", "syncpack_files_refused",
		    "Files the peer refused that no later file has made up for." },
		{ "expect_seconds", "syncpack_peer_expected_seconds",
		    "Seconds a file from the peer may take (0: never expected)." },
		{ "quiet", "syncpack_peer_quiet",
		    "1 when no file came from the peer for longer than expected." },
	};
	const char *site = json_string_value(json_object_get(st, "site"));
	json_t *p;
	size_t i;

	for (size_t g = 0; g < sizeof(gauges) / sizeof(gauges[0]); g++) {
		fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n", gauges[g].name,
		    gauges[g].help, gauges[g].name);
		json_array_foreach(json_object_get(st, "peers"), i, p) {
			json_t *v = json_object_get(p, gauges[g].key);

			fprintf(f, "%s{site=\"%s\",peer=\"%s\"} %lld\n",
			    gauges[g].name, site, json_string_value(
			    json_object_get(p, "peer")), json_is_boolean(v) ?
			    (long long)json_is_true(v) : time_value(v));
		}
	}
	fprintf(f, "# HELP syncpack_verdict_ok 1 when the site is green, 0 "
	    "when it needs attention.\n# TYPE syncpack_verdict_ok gauge\n"
	    "syncpack_verdict_ok{site=\"%s\"} %d\n", site,
	    strcmp(json_string_value(json_object_get(st, "verdict")), "ok") == 0);
}

static long long
count_of(json_t *p, const char *key)
{
	return (long long)json_integer_value(json_object_get(p, key));
}

static const char *
time_of(json_t *p, const char *key)
{
	json_t *v = json_object_get(p, key);

	return json_is_string(v) ? json_string_value(v) : "never";
}

static void
print_text(FILE *f, json_t *st)
{
	json_t *p, *reason = json_object_get(st, "reason");
	char expect[32];
	size_t i;

	json_array_foreach(json_object_get(st, "peers"), i, p) {
		duration_format(count_of(p, "expect_seconds"), expect,
		    sizeof(expect));
		fprintf(f, "peer %s: sent %s, received %s, acked %s, waiting "
		    "%lld, held %lld, conflicts %lld, rejections %lld, refused "
		    "%lld, expect %s\n", json_string_value(json_object_get(p,
		    "peer")), time_of(p, "last_sent"), time_of(p,
		    "last_received"), time_of(p, "last_acked"), count_of(p,
		    "waiting"), count_of(p, "held"), count_of(p, "conflicts"),
		    count_of(p, "rejections"), count_of(p, "refused"), expect);
	}
	if (json_is_string(reason))
		fprintf(f, "verdict: attention: %s\n",
		    json_string_value(reason));
	else
		fprintf(f, "verdict: ok\n");
}

/* Writes len bytes of buf to target ("-" or NULL: standard output) so that
 * a file appears whole or not at all; exits 2 on failure. */
static void
write_out(const char *target, const char *name, const char *buf, size_t len)
{
	struct atomic_out o;
	struct sp_error err;
	size_t done = 0;

	if (target == NULL || strcmp(target, "-") == 0) {
		if (fwrite(buf, 1, len, stdout) != len || fflush(stdout) != 0)
			tool_die(EXIT_TROUBLE, "standard output: %s",
			    strerror(errno));
		return;
	}
	if (atomic_out_open(&o, target, name, &err) != 0)
		tool_die(EXIT_TROUBLE, "%s: %s", target, err.msg);
	while (done < len) {
		ssize_t n = write(o.fd, buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			atomic_out_abort(&o);
			tool_die(EXIT_TROUBLE, "%s: %s", target, strerror(e));
		}
		done += (size_t)n;
	}
	if (atomic_out_commit(&o, &err) != 0)
		tool_die(EXIT_TROUBLE, "%s", err.msg);
}

int
syncadm_cmd_status(int argc, char **argv)
{
	enum { OPT_JSON = 256, OPT_PROMETHEUS, OPT_HTML };
	/* keep sorted */
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ "html", no_argument, NULL, OPT_HTML },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "output", required_argument, NULL, 'o' },
		{ "prometheus", no_argument, NULL, OPT_PROMETHEUS },
		{ NULL, 0, NULL, 0 }
	};
	const char *db = NULL, *target = NULL;
	enum status_format format = FORMAT_TEXT;
	struct sp_error err;
	struct site s;
	json_t *st;
	char *buf = NULL;
	size_t len = 0;
	FILE *mem;
	int c, formats = 0, ok;

	while ((c = getopt_long(argc, argv, "d:hVo:", opts, NULL)) != -1)
		switch (c) {
		case OPT_HTML: format = FORMAT_HTML; formats++; break;
		case OPT_JSON: format = FORMAT_JSON; formats++; break;
		case 'o': target = optarg; break;
		case OPT_PROMETHEUS: format = FORMAT_PROMETHEUS; formats++;
			break;
		default: syncadm_common_option(c, &db);
		}
	db = tool_database(db, syncadm_usage);
	if (optind != argc || formats > 1) {
		syncadm_usage(stderr);
		return EXIT_TROUBLE;
	}
	syncadm_open(&s, db);
	st = site_status(&s, &err);
	site_close(&s);
	if (st == NULL)
		tool_die(EXIT_TROUBLE, "%s: %s", db, err.msg);
	ok = strcmp(json_string_value(json_object_get(st, "verdict")), "ok") == 0;
	/* The whole output is made first, so a file is renamed into place
	 * complete; it is a few lines per peer. */
	if ((mem = open_memstream(&buf, &len)) == NULL)
		tool_die(EXIT_TROUBLE, "out of memory");
	switch (format) {
	case FORMAT_JSON:
		if (json_dumpf(st, mem, JSON_INDENT(2)) != 0)
			tool_die(EXIT_TROUBLE, "out of memory");
		fputc('\n', mem);
		break;
	case FORMAT_PROMETHEUS: print_prometheus(mem, st); break;
	case FORMAT_HTML:
		status_html_write(mem, st, clock_wall_ms() / 1000);
		break;
	case FORMAT_TEXT: print_text(mem, st); break;
	}
	json_decref(st);
	if (ferror(mem) || fclose(mem) != 0)
		tool_die(EXIT_TROUBLE, "out of memory");
	write_out(target, folder_names[format], buf, len);
	free(buf);
	return ok ? EXIT_OK : EXIT_PARTIAL;
}
