/* syncadm_peer.c: a peer's keys, file settings and expected interval:
 * syncadm peer set, and what peer add shares with it. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sxf/keys.h"
#include "store/peer_keys.h"
#include "sync/seal_policy.h"
#include "util/duration.h"
#include "syncadm.h"
#include "cli/tool.h"

void
syncadm_peer_keys(struct site *s, const char *peer, const char *keyfile,
    const char *pem)
{
	struct sp_error err;
	int sealing;

	if (seal_policy_peer_keys(s, peer, pem, &sealing, &err) != 0) {
		site_close(s);
		tool_die(EXIT_TROUBLE, "%s: %s", keyfile, err.msg);
	}
	if (!sealing)
		tool_warn("%s: no sealing key (a file of an earlier version): "
		    "files to %s will not be sealed", keyfile, peer);
}

void
syncadm_peer_compression(struct site *s, const char *peer,
    const char *name)
{
	enum sxf_compression c;
	struct sp_error err;

	if (name == NULL)
		return;
	if (sxf_compression_parse(name, &c) != 0) {
		site_close(s);
		tool_die(EXIT_TROUBLE, "--compress: want gzip or zstd, not %s",
		    name);
	}
	if (store_peer_set_compression(s, peer, c, &err) != 0) {
		site_close(s);
		tool_die(EXIT_TROUBLE, "%s", err.msg);
	}
}

int
syncadm_cmd_peer_set(int argc, char **argv)
{
	enum { OPT_COMPRESS = 256, OPT_EXPECT, OPT_NO_SEAL, OPT_SEAL };
	/* keep sorted */
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ "compress", required_argument, NULL, OPT_COMPRESS },
		{ "expect", required_argument, NULL, OPT_EXPECT },
		{ "key", required_argument, NULL, 'k' },
		{ "no-seal", no_argument, NULL, OPT_NO_SEAL },
		{ "seal", no_argument, NULL, OPT_SEAL },
		{ "site", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 }
	};
	const char *db = NULL, *peer = NULL, *keyfile = NULL, *compress = NULL;
	const char *expect_arg = NULL;
	long long expect = -1;
	struct sp_error err;
	struct site s;
	char *pem = NULL;
	int c, seal = -1, known;

	while ((c = getopt_long(argc, argv, "d:hV", opts, NULL)) != -1)
		switch (c) {
		case OPT_COMPRESS: compress = optarg; break;
		case OPT_EXPECT: expect_arg = optarg; break;
		case 'k': keyfile = optarg; break;
		case OPT_NO_SEAL: seal = 0; break;
		case OPT_SEAL: seal = 1; break;
		case 's': peer = optarg; break;
		default: syncadm_common_option(c, &db);
		}
	db = tool_database(db, syncadm_usage);
	if (peer == NULL || optind != argc ||
	    (keyfile == NULL && compress == NULL && seal < 0 &&
	    expect_arg == NULL)) {
		syncadm_usage(stderr);
		return EXIT_TROUBLE;
	}
	if (expect_arg != NULL && duration_parse(expect_arg, &expect, &err)
	    != 0)
		tool_die(EXIT_TROUBLE, "--expect: %s", err.msg);
	if (keyfile != NULL && (pem = file_read_small(keyfile, 64 * 1024, NULL,
	    &err)) == NULL)
		tool_die(EXIT_TROUBLE, "%s", err.msg);
	syncadm_open(&s, db);
	if ((known = site_peer_exists(&s, peer, &err)) <= 0) {
		site_close(&s);
		if (known < 0)
			tool_die(EXIT_TROUBLE, "%s: %s", db, err.msg);
		tool_die(EXIT_TROUBLE, "%s: %s: no such peer (add it with "
		    "syncadm peer add)", db, peer);
	}
	if (pem != NULL)
		syncadm_peer_keys(&s, peer, keyfile, pem);
	free(pem);
	syncadm_peer_compression(&s, peer, compress);
	if ((seal >= 0 && store_peer_set_no_seal(&s, peer, !seal, &err) != 0)
	    || (expect >= 0 && store_peer_set_expect(&s, peer, expect, &err)
	    != 0)) {
		site_close(&s);
		tool_die(EXIT_TROUBLE, "%s", err.msg);
	}
	site_close(&s);
	return EXIT_OK;
}

int
syncadm_cmd_key(int argc, char **argv)
{
	enum { OPT_ADD_SEALING = 256 };
	/* keep sorted */
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ "add-sealing", no_argument, NULL, OPT_ADD_SEALING },
		{ NULL, 0, NULL, 0 }
	};
	const char *db = NULL;
	struct sp_error err;
	struct site s;
	char *pem;
	int c, add = 0;

	while ((c = getopt_long(argc, argv, "d:hV", opts, NULL)) != -1)
		switch (c) {
		case OPT_ADD_SEALING: add = 1; break;
		default: syncadm_common_option(c, &db);
		}
	db = tool_database(db, syncadm_usage);
	if (optind != argc) {
		syncadm_usage(stderr);
		return EXIT_TROUBLE;
	}
	syncadm_open(&s, db);
	if (add) {
		if (seal_policy_add_key(&s, &err) != 0) {
			site_close(&s);
			tool_die(EXIT_TROUBLE, "%s: %s", db, err.msg);
		}
		fprintf(stderr, "%s: %s: sealing key added; its next files "
		    "announce it to its peers\n", tool_name, db);
	}
	if ((pem = seal_policy_public_keys(&s, &err)) == NULL) {
		site_close(&s);
		tool_die(EXIT_TROUBLE, "%s: %s", db, err.msg);
	}
	fputs(pem, stdout);
	free(pem);
	site_close(&s);
	return EXIT_OK;
}
