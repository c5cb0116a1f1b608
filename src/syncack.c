/* syncack.c: acknowledgements (write and ingest), flow tracking and
 * import protocols. Parses options and calls the library. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "sync/ack.h"
#include "sync/apply.h"
#include "util/atomic_out.h"
#include "sync/delivery.h"
#include "net/inbox.h"
#include "net/input.h"
#include "store/sqlite/sql.h"
#include "cli/tool.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: syncack -d DB --to PEER [-o FILE|DIR|URL|-]\n"
	    "       syncack -d DB FILE|DIR|URL|- ... [--delete]\n"
	    "       syncack -d DB --flows [--peer PEER] [--json]\n"
	    "       syncack -d DB --protocol FLOW [--peer PEER] [--json]\n"
	    "       syncack -d DB --transfers [GUID] [--json]\n");
}

/* Prints the rows of a query: tab-separated, or a JSON array of objects. */
static void
print_query(struct site *s, sqlite3_stmt *st, int as_json)
{
	json_t *all = as_json ? json_array() : NULL;
	int n = sqlite3_column_count(st), r;

	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *o = as_json ? json_object() : NULL;
		for (int i = 0; i < n; i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);
			if (as_json) {
				int t = sqlite3_column_type(st, i);
				json_object_set_new(o, sqlite3_column_name(st, i),
				    t == SQLITE_INTEGER ? json_integer(
				    sqlite3_column_int64(st, i)) : v ? json_string(v)
				    : json_null());
			} else
				printf("%s%c", v ? v : "-", i + 1 < n ? '\t' : '\n');
		}
		if (as_json)
			json_array_append_new(all, o);
	}
	if (r != SQLITE_DONE)
		tool_die(EXIT_TROUBLE, "%s: %s", s->path, sqlite3_errmsg(s->db));
	if (as_json) {
		json_dumpf(all, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(all);
	}
}

static int
show_flows(struct site *s, const char *peer, int as_json)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, "SELECT direction, peer, flow, kind, link,"
	    " status, executions, ready, started, ended, n_applied AS applied, "
	    "n_skipped AS skipped, n_conflict AS conflicts, n_rejected AS "
	    "rejected, n_held AS held, iif(acked, 'acked', '-') AS acked, file,"
	    " sha256 FROM syncpack_flow WHERE ?1 IS NULL OR peer = ?1 ORDER BY "
	    "coalesce(started, ready), direction, peer, flow", -1, &st, NULL)
	    != SQLITE_OK)
		tool_die(EXIT_TROUBLE, "%s: %s", s->path, sqlite3_errmsg(s->db));
	if (peer != NULL)
		sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC);
	print_query(s, st, as_json);
	sqlite3_finalize(st);
	return EXIT_OK;
}

static int
show_protocol(struct site *s, const char *flow, const char *peer,
    int as_json)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, "SELECT direction, peer, flow, tbl AS "
	    "\"table\", guid, outcome, reason FROM syncpack_protocol WHERE flow "
	    "= ?1 AND (?2 IS NULL OR peer = ?2) ORDER BY direction, peer, rowid",
	    -1, &st, NULL) != SQLITE_OK)
		tool_die(EXIT_TROUBLE, "%s: %s", s->path, sqlite3_errmsg(s->db));
	sqlite3_bind_int64(st, 1, atoll(flow));
	if (peer != NULL)
		sqlite3_bind_text(st, 2, peer, -1, SQLITE_STATIC);
	print_query(s, st, as_json);
	sqlite3_finalize(st);
	return EXIT_OK;
}

static int
show_transfers(struct site *s, const char *guid, int as_json)
{
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(s->db, "SELECT guid, tbl AS \"table\", from_site "
	    "AS \"from\", to_site AS \"to\", flow, at, state FROM "
	    "syncpack_transfer WHERE ?1 IS NULL OR guid = upper(?1) ORDER BY "
	    "guid, at, rowid", -1, &st, NULL) != SQLITE_OK)
		tool_die(EXIT_TROUBLE, "%s: %s", s->path, sqlite3_errmsg(s->db));
	if (guid != NULL)
		sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
	print_query(s, st, as_json);
	sqlite3_finalize(st);
	return EXIT_OK;
}

static int
write_ack(struct site *s, const char *peer, const char *output)
{
	struct ack_result res;
	struct delivery d;
	struct sp_error err;

	tool_delivery_prepare(s, output, peer, &d);
	if (ack_write(s, peer, d.target, 0, &res, &err) != 0) {
		tool_warn("%s: %s", output ? output : d.target, err.msg);
		delivery_free(&d);
		return EXIT_TROUBLE;
	}
	if (!res.written) {
		fprintf(stderr, "%s: nothing to acknowledge to %s\n", tool_name,
		    peer);
		delivery_free(&d);
		return EXIT_OK;
	}
	fprintf(stderr, "%s: %s: flow %llu acknowledges %d flows from %s\n",
	    tool_name, res.file.path, (unsigned long long)res.file.flow,
	    res.flows, peer);
	return tool_delivery_finish(s, &d, &res.file, "ack", peer);
}

/* Ingests one ack file; returns 1 when it may be moved to done/. */
static int
ingest_one(struct site *s, const char *path, const char *label, int *rc)
{
	struct apply_result res;
	struct sp_error err;
	const char *name = label ? label : input_display_name(path);

	if (apply_file(s, path, label, &sxf_default_limits, &res, &err) != 0) {
		tool_warn("%s: %s", name, err.msg);
		*rc = EXIT_TROUBLE;
		return 0;
	}
	if (res.status == APPLY_ALREADY)
			fprintf(stderr, "%s: %s: flow %" PRIu64 " from %s already "
			    "ingested\n", tool_name, name, res.header.flow,
			    res.header.from);
	else if (res.status != APPLY_ACK)
		fprintf(stderr, "%s: %s: a %s file, applied as syncunpack "
		    "would\n", tool_name, name, res.header.kind);
	else
		fprintf(stderr, "%s: %s: ack flow %" PRIu64 " from %s ingested\n",
		    tool_name, name, res.header.flow, res.header.from);
	return 1;
}

static int
ingest_one_cb(struct site *s, const char *path, const char *label,
    void *ctx, int *rc)
{
	(void)ctx;
	return ingest_one(s, path, label, rc);
}

/* Ingests ack files and folders of them. */
static int
ingest(struct site *s, char **paths, int n)
{
	int rc = EXIT_OK;

	for (int i = 0; i < n; i++) {
		struct inbox_file *files;
		struct sp_error err;
		struct stat st;
		size_t count;

		if (transport_is_url(paths[i])) {
			int r = tool_mailbox_run(s, paths[i], ingest_one_cb, NULL);
			if (r > rc)
				rc = r;
			continue;
		}
		if (strcmp(paths[i], "-") == 0 || stat(paths[i], &st) != 0 ||
		    !S_ISDIR(st.st_mode)) {
			ingest_one(s, paths[i], NULL, &rc);
			continue;
		}
		if (inbox_scan(s->id, paths[i], &sxf_default_limits, &files,
		    &count, &err) != 0) {
			tool_warn("%s", err.msg);
			rc = EXIT_TROUBLE;
			continue;
		}
		for (size_t j = 0; j < count; j++)
			if (ingest_one(s, files[j].path, NULL, &rc) &&
			    inbox_move_done(paths[i], files[j].path, &err) != 0) {
				/* Ingested, but it stays: partly done. */
				tool_warn("%s", err.msg);
				if (rc < EXIT_PARTIAL)
					rc = EXIT_PARTIAL;
			}
		inbox_free(files, count);
	}
	return rc;
}

int
main(int argc, char **argv)
{
	enum { OPT_FLOWS = 256, OPT_JSON, OPT_PEER, OPT_PROTOCOL, OPT_TRANSFERS };
	/* keep sorted */
	static const struct option opts[] = {
		{ "database", required_argument, NULL, 'd' },
		{ "flows", no_argument, NULL, OPT_FLOWS },
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "output", required_argument, NULL, 'o' },
		{ "peer", required_argument, NULL, OPT_PEER },
		{ "protocol", required_argument, NULL, OPT_PROTOCOL },
		{ "to", required_argument, NULL, 't' },
		{ "transfers", no_argument, NULL, OPT_TRANSFERS },
		{ "version", no_argument, NULL, 'V' },
		TOOL_TRANSPORT_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const char *db = NULL, *to = NULL, *output = NULL, *peer = NULL;
	const char *protocol = NULL;
	struct sp_error err;
	struct site s;
	int c, flows = 0, as_json = 0, transfers = 0, modes, rc;

	tool_init(argv[0]);
	while ((c = getopt_long(argc, argv, "d:ho:V", opts, NULL)) != -1)
		switch (c) {
		case 'd': db = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'o': output = optarg; break;
		case 't': to = optarg; break;
		case 'V': tool_version();
		case OPT_FLOWS: flows = 1; break;
		case OPT_JSON: as_json = 1; break;
		case OPT_PEER: peer = optarg; break;
		case OPT_PROTOCOL: protocol = optarg; break;
		case OPT_TRANSFERS: transfers = 1; break;
		default:
			if (tool_transport_option(c, optarg))
				break;
			usage(stderr);
			return EXIT_TROUBLE;
		}
	db = tool_database(db, usage);
	modes = (to != NULL) + flows + (protocol != NULL) + transfers +
	    (optind < argc && !transfers);
	if (transfers && argc - optind > 1)
		modes = 2;
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
		rc = show_flows(&s, peer, as_json);
	else if (protocol != NULL)
		rc = show_protocol(&s, protocol, peer, as_json);
	else if (transfers)
		rc = show_transfers(&s, optind < argc ? argv[optind] : NULL,
		    as_json);
	else
		rc = ingest(&s, argv + optind, argc - optind);
	site_close(&s);
	return rc;
}
