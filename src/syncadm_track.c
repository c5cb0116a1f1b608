/* syncadm_track.c: the syncadm subcommands for tracked tables and locks:
 * track, untrack, tables, lock, unlock, locks. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "sync/locks.h"
#include "sync/track.h"
#include "syncadm.h"
#include "cli/tool.h"

int
syncadm_cmd_track(int argc, char **argv)
{
	enum { OPT_OWNER = 256, OPT_ROUTE, OPT_CONFLICT, OPT_FREEZE,
	    OPT_MOVABLE, OPT_WINDOW, OPT_KEY, OPT_ROWVERSION };
	/* keep sorted */
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ "conflict", required_argument, NULL, OPT_CONFLICT },
		{ "freeze", no_argument, NULL, OPT_FREEZE },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "movable", no_argument, NULL, OPT_MOVABLE },
		{ "owner", required_argument, NULL, OPT_OWNER },
		{ "route", required_argument, NULL, OPT_ROUTE },
		{ "rowversion-column", no_argument, NULL, OPT_ROWVERSION },
		{ "window", required_argument, NULL, OPT_WINDOW },
		{ NULL, 0, NULL, 0 }
	};
	struct track_request req = { 0 };
	const char *db = NULL;
	struct sp_error err;
	struct site s;
	int c;

	while ((c = getopt_long(argc, argv, "d:hV", opts, NULL)) != -1)
		switch (c) {
		case OPT_CONFLICT: req.conflict = optarg; break;
		case OPT_FREEZE: req.freeze = 1; break;
		case OPT_KEY: req.key = optarg; break;
		case OPT_MOVABLE: req.movable = 1; break;
		case OPT_OWNER: req.owner = optarg; break;
		case OPT_ROUTE: req.route = optarg; break;
		case OPT_ROWVERSION: req.rowversion_column = 1; break;
		case OPT_WINDOW: req.window = optarg; break;
		default: syncadm_common_option(c, &db);
		}
	db = tool_database(db, syncadm_usage);
	if (argc - optind != 1) {
		syncadm_usage(stderr);
		return EXIT_TROUBLE;
	}
	syncadm_open(&s, db);
	if (track_table(&s, argv[optind], &req, &err) != 0) {
		site_close(&s);
		tool_die(EXIT_TROUBLE, "%s: %s", db, err.msg);
	}
	site_close(&s);
	return EXIT_OK;
}

int
syncadm_cmd_untrack(int argc, char **argv)
{
	const char *db = syncadm_only_database(argc, argv, 1);
	struct sp_error err;
	struct site s;

	syncadm_open(&s, db);
	if (untrack_table(&s, argv[optind], &err) != 0) {
		site_close(&s);
		tool_die(EXIT_TROUBLE, "%s: %s", db, err.msg);
	}
	site_close(&s);
	return EXIT_OK;
}

int
syncadm_cmd_tables(int argc, char **argv)
{
	return syncadm_print(argc, argv, store_list_tables);
}

int
syncadm_cmd_locks(int argc, char **argv)
{
	return syncadm_print(argc, argv, store_list_locks);
}

static int
finish_lock(enum lock_result r, struct site *s, struct sp_error *err)
{
	site_close(s);
	if (r == LOCK_DONE)
		return EXIT_OK;
	tool_warn("%s", err->msg);
	return r == LOCK_REFUSED ? EXIT_PARTIAL : EXIT_TROUBLE;
}

int
syncadm_cmd_lock(int argc, char **argv)
{
	/* keep sorted */
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ "by", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	const char *db = NULL, *by = NULL;
	struct sp_error err;
	struct site s;
	int c;

	while ((c = getopt_long(argc, argv, "d:hV", opts, NULL)) != -1)
		switch (c) {
		case 'b': by = optarg; break;
		default: syncadm_common_option(c, &db);
		}
	db = tool_database(db, syncadm_usage);
	if (argc - optind < 2) {
		syncadm_usage(stderr);
		return EXIT_TROUBLE;
	}
	syncadm_open(&s, db);
	return finish_lock(lock_record(&s, argv[optind],
	    (const char *const *)argv + optind + 1, argc - optind - 1, by, &err),
	    &s, &err);
}

int
syncadm_cmd_unlock(int argc, char **argv)
{
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const char *db = NULL;
	struct sp_error err;
	struct site s;
	int c;

	while ((c = getopt_long(argc, argv, "d:hV", opts, NULL)) != -1)
		syncadm_common_option(c, &db);
	db = tool_database(db, syncadm_usage);
	if (argc - optind < 2) {
		syncadm_usage(stderr);
		return EXIT_TROUBLE;
	}
	syncadm_open(&s, db);
	return finish_lock(unlock_record(&s, argv[optind],
	    (const char *const *)argv + optind + 1, argc - optind - 1, &err),
	    &s, &err);
}
