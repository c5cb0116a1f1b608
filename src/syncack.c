/* syncack.c: acknowledgements (write and ingest), flow tracking and
 * import protocols. Parses options and calls the library. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync/ack.h"
#include "sync/apply.h"
#include "util/atomic_out.h"
#include "sync/delivery.h"
#include "net/input.h"
#include "cli/listing.h"
#include "cli/tool.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: syncack -d DB --to PEER [-o FILE|DIR|URL|-]\n"
	    "       syncack -d DB FILE|DIR|URL|- ... [--delete]\n"
	    "       syncack -d DB --flows [--peer PEER] [--since DATE] [--status S]"
	    " [--json]\n"
	    "       syncack -d DB --protocol FLOW [--peer PEER] [--json]\n"
	    "       syncack -d DB --transfers [GUID] [--json]\n");
}

/* A --since value: a date, or a date and an ISO 8601 time after it. */
static int
date_like(const char *v)
{
	struct tm tm;
	const char *rest = strptime(v, "%Y-%m-%d", &tm);

	return rest != NULL && (*rest == '\0' || *rest == 'T');
}

/* The statuses a flow can be in, as syncack(1) lists them. */
static int
flow_status_known(const char *v)
{
	static const char *const known[] = {
		"sent", "running", "applied", "partial", "superseded",
		"refused", "failed", "complete",
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(v, known[i]) == 0)
			return 1;
	return 0;
}

/* Prints a listing of the flows, the protocol or the transfers. */
static int
show(struct tool_listing *l, int r, struct sp_error *err)
{
	if (r != 0)
		tool_die(EXIT_TROUBLE, "%s", err->msg);
	tool_listing_finish(l);
	return EXIT_OK;
}

static int
show_flows(struct site *s, const struct store_flow_filter *f, int as_json)
{
	struct tool_listing l;
	struct sp_error err;

	tool_listing_start(&l, as_json);
	return show(&l, store_list_flows(s, f, tool_listing_row, &l, &err),
	    &err);
}

static int
show_protocol(struct site *s, const char *flow, const char *peer,
    int as_json)
{
	struct tool_listing l;
	struct sp_error err;

	tool_listing_start(&l, as_json);
	return show(&l, store_list_protocol(s, atoll(flow), peer,
	    tool_listing_row, &l, &err), &err);
}

static int
show_transfers(struct site *s, const char *guid, int as_json)
{
	struct tool_listing l;
	struct sp_error err;

	tool_listing_start(&l, as_json);
	return show(&l, store_list_transfers(s, guid, tool_listing_row, &l,
	    &err), &err);
}

struct ack_send {
	const char *peer;
	struct ack_result res;
};

static int
ack_to_target(struct site *s, const char *target, void *ctx,
    const struct exchange_written **file, struct sp_error *err)
{
	struct ack_send *a = ctx;

	if (ack_write(s, a->peer, target, 0, &a->res, err) != 0)
		return -1;
	if (!a->res.written) {
		fprintf(stderr, "%s: nothing to acknowledge to %s\n", tool_name,
		    a->peer);
		return 0;
	}
	fprintf(stderr, "%s: %s: flow %llu acknowledges %d flows from %s",
	    tool_name, a->res.file.path, (unsigned long long)a->res.file.flow,
	    a->res.flows, a->peer);
	if (a->res.refused)
		fprintf(stderr, ", %d refused here", a->res.refused);
	fputc('\n', stderr);
	*file = &a->res.file;
	return 1;
}

static int
write_ack(struct site *s, const char *peer, const char *output)
{
	struct ack_send a = { .peer = peer };

	return tool_send(s, output, peer, "ack", NULL, ack_to_target, &a);
}

/* Ingests one ack file (a tool_input_fn); returns 1 when it may be moved
 * to done/, else as tool_input_failed. */
static int
ingest_one(struct site *s, const char *path, const char *label, void *ctx,
    int *rc)
{
	struct apply_result res;
	struct sp_error err;
	const char *name = label ? label : input_display_name(path);

	(void)ctx;
	if (apply_file(s, path, label, &sxf_default_limits, &res, &err) != 0) {
		tool_warn("%s: %s", name, err.msg);
		*rc = EXIT_TROUBLE;
		return tool_input_failed(&err);
	}
	if (res.status == APPLY_ALREADY)
			fprintf(stderr, "%s: %s: flow %" PRIu64 " from %s already "
			    "ingested\n", tool_name, name, res.header.flow,
			    res.header.from);
	else if (res.status == APPLY_REFUSED)
		fprintf(stderr, "%s: %s: flow %" PRIu64 " from %s was refused "
		    "here, nothing done\n", tool_name, name, res.header.flow,
		    res.header.from);
	else if (res.status != APPLY_ACK) {
		fprintf(stderr, "%s: %s: a %s file, applied as syncunpack "
		    "would: applied %lld, skipped %lld, conflicts %lld, rejected "
		    "%lld, held %lld\n", tool_name, name, res.header.kind,
		    res.n.applied, res.n.skipped, res.n.conflict,
		    res.n.rejected, res.n.held);
		/* The same answer syncunpack would give for it. */
		if ((res.n.rejected || res.n.held || res.n.conflict) &&
		    *rc < EXIT_PARTIAL)
			*rc = EXIT_PARTIAL;
	}
	else
		fprintf(stderr, "%s: %s: ack flow %" PRIu64 " from %s ingested\n",
		    tool_name, name, res.header.flow, res.header.from);
	return 1;
}

int
main(int argc, char **argv)
{
	enum {
		OPT_FLOWS = 256, OPT_JSON, OPT_PEER, OPT_PROTOCOL, OPT_SINCE,
		OPT_STATUS, OPT_TRANSFERS
	};
	/* keep sorted */
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ "flows", no_argument, NULL, OPT_FLOWS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "output", required_argument, NULL, 'o' },
		{ "peer", required_argument, NULL, OPT_PEER },
		{ "protocol", required_argument, NULL, OPT_PROTOCOL },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "status", required_argument, NULL, OPT_STATUS },
		{ "to", required_argument, NULL, 't' },
		{ "transfers", no_argument, NULL, OPT_TRANSFERS },
		TOOL_TRANSPORT_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const char *db = NULL, *to = NULL, *output = NULL, *peer = NULL;
	const char *protocol = NULL, *since = NULL, *status = NULL;
	struct sp_error err;
	struct site s;
	int c, flows = 0, as_json = 0, transfers = 0, modes, rc;

	tool_init(argv[0]);
	while ((c = getopt_long(argc, argv, "d:ho:V", opts, NULL)) != -1)
		switch (c) {
		case 'o': output = optarg; break;
		case 't': to = optarg; break;
		case OPT_FLOWS: flows = 1; break;
		case OPT_JSON: as_json = 1; break;
		case OPT_PEER: peer = optarg; break;
		case OPT_PROTOCOL: protocol = optarg; break;
		case OPT_SINCE: since = optarg; break;
		case OPT_STATUS: status = optarg; break;
		case OPT_TRANSFERS: transfers = 1; break;
		default:
			if (tool_common_option(c, optarg, &db, usage) ||
			    tool_transport_option(c, optarg))
				break;
			usage(stderr);
			return EXIT_TROUBLE;
		}
	db = tool_database(db, usage);
	modes = (to != NULL) + flows + (protocol != NULL) + transfers +
	    (optind < argc && !transfers);
	if (transfers && argc - optind > 1)
		modes = 2;
	if ((since != NULL || status != NULL) && !flows) {
		tool_warn("--since and --status filter --flows");
		modes = 0;
	}
	if (since != NULL && !date_like(since)) {
		tool_warn("--since %s: not a date (YYYY-MM-DD, or an ISO 8601 "
		    "time)", since);
		modes = 0;
	}
	if (status != NULL && !flow_status_known(status)) {
		tool_warn("--status %s: not a flow status (sent, running, "
		    "applied, partial, superseded, refused, failed, complete)",
		    status);
		modes = 0;
	}
	if (modes != 1 || (output != NULL && to == NULL)) {
		if (modes > 1)
			tool_warn("--to, --flows, --protocol and FILE arguments "
			    "exclude each other");
		usage(stderr);
		return EXIT_TROUBLE;
	}
	atomic_out_cleanup_on_signals();
	if (site_open(&s, db, 0, &err) != 0)
		tool_die(EXIT_TROUBLE, "%s", err.msg);
	if (to != NULL) {
		tool_outbox_flush(&s);
		rc = write_ack(&s, to, output);
	}
	else if (flows)
		rc = show_flows(&s, &(struct store_flow_filter){ peer, since,
		    status }, as_json);
	else if (protocol != NULL)
		rc = show_protocol(&s, protocol, peer, as_json);
	else if (transfers)
		rc = show_transfers(&s, optind < argc ? argv[optind] : NULL,
		    as_json);
	else
		rc = tool_inputs_run(&s, argv + optind, argc - optind,
		    &sxf_default_limits, ingest_one, NULL);
	site_close(&s);
	return rc;
}
