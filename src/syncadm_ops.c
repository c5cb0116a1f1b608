/* syncadm_ops.c: the syncadm subcommands for day-to-day operation:
 * held, conflicts, vacuum (status is syncadm_status.c's). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "sync/conflicts.h"
#include "sync/vacuum.h"
#include "syncadm.h"
#include "cli/listing.h"
#include "cli/tool.h"

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
	if (site_vacuum_alone(&s, &purged, &err) != 0) {
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
