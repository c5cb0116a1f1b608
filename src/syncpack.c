/* syncpack.c: writes an exchange file of the changes a peer has not yet
 * acknowledged. Parses options and calls the library. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/atomic_out.h"
#include "sync/delivery.h"
#include "sync/pack.h"
#include "store/peers.h"
#include "cli/tool.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: syncpack -d DB --to PEER [-o FILE|DIR|URL|-] [--if-changed]\n"
	    "               [--move TABLE:KEY[,KEY...]]... [--request-move TABLE:GUID]...\n"
	    "       syncpack -d DB --all [-o DIR|URL] [--if-changed]\n"
	    "  transport: [--cacert F] [--netrc-file F] [--ssh-key F] [--known-hosts F]\n"
	    "             [--retry N] [--retry-max-time S] [--outbox DIR] [--insecure]\n");
}

/* Adds the references of TABLE:KEY[,KEY...] to refs; returns the count. */
static int
add_refs(struct pack_ref *refs, int n, int max, char *arg, const char *opt)
{
	char *colon = strchr(arg, ':'), *key, *save = NULL;

	if (colon == NULL || colon == arg || colon[1] == '\0')
		tool_die(EXIT_TROUBLE, "%s wants TABLE:KEY[,KEY...]", opt);
	*colon = '\0';
	for (key = strtok_r(colon + 1, ",", &save); key != NULL;
	    key = strtok_r(NULL, ",", &save)) {
		if (n == max)
			tool_die(EXIT_TROUBLE, "%s: too many keys", opt);
		refs[n].table = arg;
		refs[n].key = key;
		n++;
	}
	return n;
}

/* A record held back because a parent it names is not here. */
static void
warn_held_back(void *ctx, const char *msg)
{
	tool_warn("%s: %s", (const char *)ctx, msg);
}

/* Packs for one peer; returns an exit code. */
struct data_send {
	const char *peer;
	struct pack_options o;
	struct pack_result res;
};

static int
data_to_target(struct site *s, const char *target, void *ctx,
    const struct exchange_written **file, struct sp_error *err)
{
	struct data_send *p = ctx;

	if (pack_data(s, p->peer, target, &p->o, &p->res, err) != 0)
		return -1;
	if (!p->res.written) {
		fprintf(stderr, "%s: nothing to send to %s\n", tool_name,
		    p->peer);
		return 0;
	}
	fprintf(stderr, "%s: %s: flow %llu for %s, %lld records%s\n", tool_name,
	    p->res.file.path, (unsigned long long)p->res.file.flow, p->peer,
	    p->res.records, p->res.moved ? " (with moves)" : "");
	*file = &p->res.file;
	return 1;
}

static int
pack_for(struct site *s, const char *peer, const char *output,
    const struct pack_options *opt)
{
	struct data_send p = { .peer = peer, .o = *opt };
	int rc;

	p.o.warn = warn_held_back;
	p.o.warn_ctx = (void *)s->path;
	rc = tool_send(s, output, peer, "data", NULL, data_to_target, &p);
	return p.res.held_back && rc == EXIT_OK ? EXIT_PARTIAL : rc;
}

/* --all: one return per registered peer (the hub's deferred return). */
static int
pack_all(struct site *s, const char *output, const struct pack_options *opt)
{
	struct store_peer *peers;
	struct sp_error err;
	int rc = EXIT_OK;
	size_t n;

	if (store_peers(s, &peers, &n, &err) != 0)
		tool_die(EXIT_TROUBLE, "%s", err.msg);
	for (size_t i = 0; i < n; i++) {
		int r = pack_for(s, peers[i].site, output, opt);
		if (r > rc)
			rc = r;
	}
	store_peers_free(peers, n);
	return rc;
}

int
main(int argc, char **argv)
{
	enum { OPT_ALL = 256, OPT_IF_CHANGED, OPT_MOVE, OPT_REQUEST_MOVE };
	/* keep sorted */
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ "all", no_argument, NULL, OPT_ALL },
		{ "if-changed", no_argument, NULL, OPT_IF_CHANGED },
		{ "move", required_argument, NULL, OPT_MOVE },
		{ "output", required_argument, NULL, 'o' },
		{ "request-move", required_argument, NULL, OPT_REQUEST_MOVE },
		{ "to", required_argument, NULL, 't' },
		TOOL_TRANSPORT_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct pack_options opt = { 0 };
	struct pack_ref moves[256], requests[64];
	const char *db = NULL, *to = NULL, *output = NULL;
	struct sp_error err;
	struct site s;
	int c, all = 0, rc;

	tool_init(argv[0]);
	while ((c = getopt_long(argc, argv, "d:ho:V", opts, NULL)) != -1)
		switch (c) {
		case 'o': output = optarg; break;
		case 't': to = optarg; break;
		case OPT_ALL: all = 1; break;
		case OPT_IF_CHANGED: opt.if_changed = 1; break;
		case OPT_MOVE:
			opt.nmoves = add_refs(moves, opt.nmoves, 256, optarg,
			    "--move");
			break;
		case OPT_REQUEST_MOVE:
			opt.nrequests = add_refs(requests, opt.nrequests, 64, optarg,
			    "--request-move");
			break;
		default:
			if (tool_common_option(c, optarg, &db, usage) ||
			    tool_transport_option(c, optarg))
				break;
			usage(stderr);
			return EXIT_TROUBLE;
		}
	db = tool_database(db, usage);
	if ((to == NULL) == !all || optind != argc) {
		if (to != NULL && all)
			tool_warn("--to and --all exclude each other");
		usage(stderr);
		return EXIT_TROUBLE;
	}
	opt.moves = moves;
	opt.requests = requests;
	if (all && (opt.nmoves || opt.nrequests))
		tool_die(EXIT_TROUBLE, "--move and --request-move go with --to");
	atomic_out_cleanup_on_signals();
	if (site_open(&s, db, 0, &err) != 0)
		tool_die(EXIT_TROUBLE, "%s", err.msg);
	if (all && !s.hub) {
		site_close(&s);
		tool_die(EXIT_TROUBLE, "%s: --all is for the hub (a spoke's only "
		    "peer is the hub: use --to)", db);
	}
	tool_outbox_flush(&s);
	rc = all ? pack_all(&s, output, &opt) : pack_for(&s, to, output, &opt);
	site_close(&s);
	return rc;
}
