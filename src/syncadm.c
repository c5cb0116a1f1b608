/* syncadm.c: site set-up: init, keys, peers (and, in syncadm_track.c,
 * tracked tables and locks). Parses options and calls the library. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sxf/keys.h"
#include "store/peers.h"
#include "cli/listing.h"
#include "syncadm.h"
#include "cli/tool.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: syncadm init -d DB --site ID [--hub] [--key FILE] [--pub FILE]\n"
	    "       syncadm peer add -d DB --site ID --key PUB.pem [--url URL]\n"
	    "               [--compress gzip|zstd]\n"
	    "       syncadm peer set -d DB --site ID [--key PUB.pem]\n"
	    "               [--compress gzip|zstd] [--seal | --no-seal]\n"
	    "               [--expect DURATION | --expect never]\n"
	    "       syncadm peer list -d DB [--json]\n"
	    "       syncadm key -d DB [--add-sealing]\n"
	    "       syncadm track -d DB TABLE [--owner central|creator|shared]\n"
	    "               [--route all|owner|none] [--conflict lww|hub|owner|manual]\n"
	    "               [--freeze] [--movable] [--window COL] [--key local|natural]\n"
	    "               [--rowversion-column]\n"
	    "       syncadm untrack -d DB TABLE\n"
	    "       syncadm tables -d DB [--json]\n"
	    "       syncadm lock -d DB TABLE KEY... [--by NAME]\n"
	    "       syncadm unlock -d DB TABLE KEY...\n"
	    "       syncadm locks -d DB [--json]\n"
	    "       syncadm status -d DB [--json | --prometheus | --html] [-o FILE]\n"
	    "       syncadm held -d DB [--json]\n"
	    "       syncadm conflicts -d DB [list [--json] | resolve ID --keep local|remote]\n"
	    "       syncadm vacuum -d DB\n");
}

void
syncadm_usage(FILE *f)
{
	usage(f);
}

void
syncadm_open(struct site *s, const char *db)
{
	struct sp_error err;

	if (site_open(s, db, 0, &err) != 0)
		tool_die(EXIT_TROUBLE, "%s", err.msg);
}

/* Handles -d, -h, -V and unknown options the same way in every
 * subcommand. */
void
syncadm_common_option(int c, const char **db)
{
	if (tool_common_option(c, optarg, db, usage))
		return;
	usage(stderr);
	exit(EXIT_TROUBLE);
}

static int
cmd_init(int argc, char **argv)
{
	/* keep sorted */
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ "hub", no_argument, NULL, 'H' },
		{ "key", required_argument, NULL, 'k' },
		{ "pub", required_argument, NULL, 'p' },
		{ "site", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const char *db = NULL, *site = NULL, *key = NULL, *pub = NULL;
	struct sp_error err;
	int c, hub = 0;

	while ((c = getopt_long(argc, argv, "d:hV", opts, NULL)) != -1)
		switch (c) {
		case 'H': hub = 1; break;
		case 'k': key = optarg; break;
		case 'p': pub = optarg; break;
		case 's': site = optarg; break;
		default: syncadm_common_option(c, &db);
		}
	db = tool_database(db, usage);
	if (site == NULL || optind != argc) {
		usage(stderr);
		return EXIT_TROUBLE;
	}
	if (site_init(db, site, hub, key, pub, &err) != 0)
		tool_die(EXIT_TROUBLE, "%s", err.msg);
	fprintf(stderr, "%s: %s: initialised site %s (%s)\n", tool_name, db,
	    site, hub ? "hub" : "spoke");
	return EXIT_OK;
}

static int
cmd_peer_add(int argc, char **argv)
{
	/* keep sorted */
	enum { OPT_COMPRESS = 256 };
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ "compress", required_argument, NULL, OPT_COMPRESS },
		{ "key", required_argument, NULL, 'k' },
		{ "site", required_argument, NULL, 's' },
		{ "url", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 }
	};
	const char *db = NULL, *peer = NULL, *keyfile = NULL, *url = NULL;
	const char *compress = NULL;
	struct sp_error err;
	struct site s;
	char *pem;
	int c;

	while ((c = getopt_long(argc, argv, "d:hV", opts, NULL)) != -1)
		switch (c) {
		case OPT_COMPRESS: compress = optarg; break;
		case 'k': keyfile = optarg; break;
		case 's': peer = optarg; break;
		case 'u': url = optarg; break;
		default: syncadm_common_option(c, &db);
		}
	db = tool_database(db, usage);
	if (peer == NULL || keyfile == NULL || optind != argc) {
		usage(stderr);
		return EXIT_TROUBLE;
	}
	if ((pem = file_read_small(keyfile, 64 * 1024, NULL, &err)) == NULL)
		tool_die(EXIT_TROUBLE, "%s", err.msg);
	syncadm_open(&s, db);
	if (site_peer_add(&s, peer, pem, url, &err) != 0) {
		free(pem);
		site_close(&s);
		tool_die(EXIT_TROUBLE, "%s: %s", keyfile, err.msg);
	}
	syncadm_peer_keys(&s, peer, keyfile, pem);
	free(pem);
	syncadm_peer_compression(&s, peer, compress);
	site_close(&s);
	return EXIT_OK;
}

/* Parses the options of a subcommand that takes only -d. */
const char *
syncadm_only_database(int argc, char **argv, int positional)
{
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const char *db = NULL;
	int c;

	while ((c = getopt_long(argc, argv, "d:hV", opts, NULL)) != -1)
		switch (c) {
		default: syncadm_common_option(c, &db);
		}
	if (argc - optind != positional) {
		usage(stderr);
		exit(EXIT_TROUBLE);
	}
	return tool_database(db, usage);
}

int
syncadm_print(int argc, char **argv, store_listing_fn list)
{
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	const char *db = NULL;
	struct site s;
	int c, as_json = 0;

	while ((c = getopt_long(argc, argv, "d:hV", opts, NULL)) != -1)
		switch (c) {
		case 'j': as_json = 1; break;
		default: syncadm_common_option(c, &db);
		}
	if (optind != argc) {
		usage(stderr);
		exit(EXIT_TROUBLE);
	}
	db = tool_database(db, usage);
	syncadm_open(&s, db);
	tool_print_listing(&s, list, as_json);
	site_close(&s);
	return EXIT_OK;
}

static int
cmd_peer(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "add") == 0)
		return cmd_peer_add(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "set") == 0)
		return syncadm_cmd_peer_set(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "list") == 0)
		return syncadm_print(argc - 1, argv + 1, store_list_peers);
	usage(stderr);
	return EXIT_TROUBLE;
}

/* keep sorted */
static const struct {
	const char *name;
	int (*run)(int, char **);
} commands[] = {
	{ "conflicts", syncadm_cmd_conflicts },
	{ "held", syncadm_cmd_held },
	{ "init", cmd_init },
	{ "key", syncadm_cmd_key },
	{ "lock", syncadm_cmd_lock },
	{ "locks", syncadm_cmd_locks },
	{ "peer", cmd_peer },
	{ "status", syncadm_cmd_status },
	{ "tables", syncadm_cmd_tables },
	{ "track", syncadm_cmd_track },
	{ "unlock", syncadm_cmd_unlock },
	{ "untrack", syncadm_cmd_untrack },
	{ "vacuum", syncadm_cmd_vacuum },
};

int
main(int argc, char **argv)
{
	tool_init(argv[0]);
	if (argc < 2) {
		usage(stderr);
		return EXIT_TROUBLE;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0)
		tool_version();
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].run(argc - 1, argv + 1);
	tool_warn("unknown command %s", argv[1]);
	usage(stderr);
	return EXIT_TROUBLE;
}
