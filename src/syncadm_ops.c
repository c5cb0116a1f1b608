/* syncadm_ops.c: the syncadm subcommands for day-to-day operation:
 * status, held, conflicts, vacuum. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "sync/conflicts.h"
#include "sync/vacuum.h"
#include "sync/status.h"
#include "syncadm.h"
#include "cli/listing.h"
#include "cli/tool.h"

static long long
iso_to_epoch(json_t *v)
{
	struct tm tm;

	if (!json_is_string(v))
		return 0;
	memset(&tm, 0, sizeof(tm));
	if (strptime(json_string_value(v), "%Y-%m-%dT%H:%M:%SZ", &tm) == NULL)
		return 0;
	return (long long)timegm(&tm);
}

/* The node_exporter textfile format: one gauge per figure and peer. */
static void
print_prometheus(json_t *st)
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
	};
	const char *site = json_string_value(json_object_get(st, "site"));
	json_t *p;
	size_t i;

	for (size_t g = 0; g < sizeof(gauges) / sizeof(gauges[0]); g++) {
		printf("# HELP %s %s\n# TYPE %s gauge\n", gauges[g].name,
		    gauges[g].help, gauges[g].name);
		json_array_foreach(json_object_get(st, "peers"), i, p) {
			json_t *v = json_object_get(p, gauges[g].key);
			printf("%s{site=\"%s\",peer=\"%s\"} %lld\n", gauges[g].name,
			    site, json_string_value(json_object_get(p, "peer")),
			    json_is_integer(v) ? (long long)json_integer_value(v)
			    : iso_to_epoch(v));
		}
	}
	printf("# HELP syncpack_verdict_ok 1 when the site is green, 0 when "
	    "it needs attention.\n# TYPE syncpack_verdict_ok gauge\n"
	    "syncpack_verdict_ok{site=\"%s\"} %d\n", site,
	    strcmp(json_string_value(json_object_get(st, "verdict")), "ok") == 0);
}

int
syncadm_cmd_status(int argc, char **argv)
{
	enum { OPT_JSON = 256, OPT_PROMETHEUS };
	/* keep sorted */
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ "json", no_argument, NULL, OPT_JSON },
		{ "prometheus", no_argument, NULL, OPT_PROMETHEUS },
		{ NULL, 0, NULL, 0 }
	};
	int prometheus = 0;
	const char *db = NULL;
	struct sp_error err;
	struct site s;
	json_t *st, *p;
	size_t i;
	int c, as_json = 0, ok;

	while ((c = getopt_long(argc, argv, "d:hV", opts, NULL)) != -1)
		switch (c) {
		case OPT_JSON: as_json = 1; break;
		case OPT_PROMETHEUS: prometheus = 1; break;
		default: syncadm_common_option(c, &db);
		}
	db = tool_database(db, syncadm_usage);
	if (optind != argc || (as_json && prometheus)) {
		syncadm_usage(stderr);
		return EXIT_TROUBLE;
	}
	syncadm_open(&s, db);
	st = site_status(&s, &err);
	site_close(&s);
	if (st == NULL)
		tool_die(EXIT_TROUBLE, "%s: %s", db, err.msg);
	ok = strcmp(json_string_value(json_object_get(st, "verdict")), "ok") == 0;
	if (as_json) {
		json_dumpf(st, stdout, JSON_INDENT(2));
		putchar('\n');
	} else if (prometheus)
		print_prometheus(st);
	else {
		json_array_foreach(json_object_get(st, "peers"), i, p) {
			printf("peer %s: sent %s, received %s, acked %s, waiting %lld,"
			    " held %lld, conflicts %lld, rejections %lld, refused "
			    "%lld\n",
			    json_string_value(json_object_get(p, "peer")),
#define T(k) (json_is_string(json_object_get(p, k)) ? \
    json_string_value(json_object_get(p, k)) : "never")
			    T("last_sent"), T("last_received"), T("last_acked"),
#undef T
			    (long long)json_integer_value(json_object_get(p, "waiting")),
			    (long long)json_integer_value(json_object_get(p, "held")),
			    (long long)json_integer_value(json_object_get(p,
			    "conflicts")), (long long)json_integer_value(
			    json_object_get(p, "rejections")),
			    (long long)json_integer_value(json_object_get(p,
			    "refused")));
		}
		if (ok)
			printf("verdict: ok\n");
		else
			printf("verdict: attention: %s\n", json_string_value(
			    json_object_get(st, "reason")));
	}
	json_decref(st);
	return ok ? EXIT_OK : EXIT_PARTIAL;
}

int
syncadm_cmd_held(int argc, char **argv)
{
	return syncadm_print(argc, argv, store_list_held);
}

int
syncadm_cmd_vacuum(int argc, char **argv)
{
	const char *db = syncadm_only_database(argc, argv, 0);
	struct sp_error err;
	struct site s;
	long long purged;

	syncadm_open(&s, db);
	if (site_vacuum(&s, &purged, &err) != 0) {
		site_close(&s);
		tool_die(EXIT_TROUBLE, "%s: %s", db, err.msg);
	}
	fprintf(stderr, "%s: %s: %lld acknowledged tombstones purged\n",
	    tool_name, db, purged);
	site_close(&s);
	return EXIT_OK;
}

int
syncadm_cmd_conflicts(int argc, char **argv)
{
	enum { OPT_KEEP = 256, OPT_JSON };
	/* keep sorted */
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ "json", no_argument, NULL, OPT_JSON },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ NULL, 0, NULL, 0 }
	};
	const char *db = NULL, *keep = NULL;
	struct sp_error err;
	struct site s;
	int c, as_json = 0;

	while ((c = getopt_long(argc, argv, "d:hV", opts, NULL)) != -1)
		switch (c) {
		case OPT_JSON: as_json = 1; break;
		case OPT_KEEP: keep = optarg; break;
		default: syncadm_common_option(c, &db);
		}
	db = tool_database(db, syncadm_usage);
	if (optind == argc || strcmp(argv[optind], "list") == 0) {
		if (keep != NULL || argc - optind > 1) {
			syncadm_usage(stderr);
			return EXIT_TROUBLE;
		}
		syncadm_open(&s, db);
		tool_print_listing(&s, store_list_conflicts, as_json);
		site_close(&s);
		return EXIT_OK;
	}
	if (strcmp(argv[optind], "resolve") != 0 || argc - optind != 2 ||
	    as_json ||
	    keep == NULL || (strcmp(keep, "local") && strcmp(keep, "remote"))) {
		tool_warn("conflicts resolve needs ID and --keep local|remote");
		syncadm_usage(stderr);
		return EXIT_TROUBLE;
	}
	syncadm_open(&s, db);
	if (conflict_resolve(&s, atoll(argv[optind + 1]),
	    strcmp(keep, "remote") == 0, &err) != 0) {
		site_close(&s);
		tool_die(EXIT_TROUBLE, "%s: %s", db, err.msg);
	}
	site_close(&s);
	return EXIT_OK;
}
