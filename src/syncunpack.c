/* syncunpack.c: verifies exchange files and applies them to a site.
 * Parses options and calls the library. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/ack.h"
#include "sync/apply.h"
#include "util/atomic_out.h"
#include "sync/delivery.h"
#include "sync/exchange_file.h"
#include "net/input.h"
#include "sync/pack.h"
#include "sync/refuse.h"
#include "store/site.h"
#include "cli/tool.h"
#include "syncunpack.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: syncunpack -d DB FILE|DIR|URL|- ... [--reply [-o DIR|URL]] [--delete]\n"
	    "                  [--refuse-moves]\n"
	    "       syncunpack -d DB --refuse [--reason TEXT] FILE|- ...\n"
	    "       syncunpack --list [-d DB] FILE|-\n"
	    "       syncunpack --dump [-d DB] FILE|-\n"
	    "       syncunpack --verify -d DB FILE|-\n"
	    "  limits: [--max-member-size N] [--max-total-size N] [--max-members N]\n");
}

struct listing {
	int header_printed;
	uint64_t member_size;
};

static void
print_header(const struct sxf_header *h)
{
	printf("format: " SXF_FORMAT_PREFIX "%u\nkind: %s\nfrom: %s\nto: %s\n"
	    "flow: %" PRIu64 "\nlink: %" PRIu64 "\ncreated: %s\n", h->format,
	    h->kind, h->from,
	    h->to, h->flow, h->link, h->created);
	for (int i = 0; i < h->nextra; i++)
		printf("%s: %s\n", h->extra_key[i], h->extra_value[i]);
}

static int
list_on_header(void *ctx, const struct sxf_header *h, struct sp_error *err)
{
	struct listing *l = ctx;

	(void)err;
	print_header(h);
	l->header_printed = 1;
	return 0;
}

static int
list_on_member_begin(void *ctx, const char *name, uint64_t size,
    struct sp_error *err)
{
	struct listing *l = ctx;

	(void)name;
	(void)err;
	l->member_size = size;
	return 0;
}

static int
list_on_member_end(void *ctx, const char *name, struct sp_error *err)
{
	struct listing *l = ctx;

	(void)err;
	printf("member: %s %" PRIu64 "\n", name, l->member_size);
	return 0;
}

static int
list_or_verify(const char *db, const char *path, int verify,
    const struct sxf_limits *limits)
{
	struct listing l = { 0, 0 };
	struct sxf_read_ops ops;
	struct sxf_read_result res;
	struct sp_error err;
	struct site s;
	int have_site = 0, rc;

	memset(&ops, 0, sizeof(ops));
	if (db != NULL) {
		if (site_open(&s, db, 0, &err) != 0)
			tool_die(EXIT_TROUBLE, "%s", err.msg);
		have_site = 1;
	}
	if (!verify) {
		ops.on_header = list_on_header;
		ops.on_member_begin = list_on_member_begin;
		ops.on_member_end = list_on_member_end;
		ops.ctx = &l;
	}
	rc = exchange_file_read(have_site ? &s : NULL, path, limits, &ops,
	    &res, &err);
	if (!verify && !l.header_printed && res.header_ok)
		print_header(&res.header);
	if (rc != 0) {
		if (!verify)
			printf("verdict: bad: %s\n", err.msg);
		tool_warn("%s: %s", input_display_name(path), err.msg);
	} else if (!verify)
		printf("verdict: ok (%s, %zu payload members hashed)\n",
		    res.signature_checked ? "signature verified"
		    : "signature not checked: no database", res.members);
	else
		fprintf(stderr, "%s: %s: ok: flow %" PRIu64 " from %s, "
		    "signature and %zu members verified\n", tool_name,
		    input_display_name(path), res.header.flow, res.header.from,
		    res.members);
	if (have_site)
		site_close(&s);
	return rc == 0 ? EXIT_OK : EXIT_TROUBLE;
}

struct run {
	struct site *site;
	const struct sxf_limits *limits;
	const char *reply_dir;	/* NULL: the sender's URL */
	int reply;
	int rc;
};

static void
worst(struct run *r, int code)
{
	if (code > r->rc)
		r->rc = code;
}

struct reply_send {
	const struct sxf_header *h;
	struct ack_result ar;
	struct pack_options po;
	struct pack_result pr;
};

static int
reply_ack(struct site *s, const char *target, void *ctx,
    const struct exchange_written **file, struct sp_error *err)
{
	struct reply_send *rs = ctx;

	if (ack_write(s, rs->h->from, target, rs->h->flow, &rs->ar, err) != 0)
		return -1;
	if (!rs->ar.written)
		return 0;
	fprintf(stderr, "%s: %s: ack of %d flows for %s", tool_name,
	    rs->ar.file.path, rs->ar.flows, rs->h->from);
	if (rs->ar.refused)
		fprintf(stderr, ", %d refused here", rs->ar.refused);
	fputc('\n', stderr);
	*file = &rs->ar.file;
	return 1;
}

static int
reply_data(struct site *s, const char *target, void *ctx,
    const struct exchange_written **file, struct sp_error *err)
{
	struct reply_send *rs = ctx;

	if (pack_data(s, rs->h->from, target, &rs->po, &rs->pr, err) != 0)
		return -1;
	fprintf(stderr, "%s: %s: return flow %llu for %s, %lld records\n",
	    tool_name, rs->pr.file.path, (unsigned long long)rs->pr.file.flow,
	    rs->h->from, rs->pr.records);
	*file = &rs->pr.file;
	return 1;
}

/* --reply: the ack of what was applied, then the return, to the sender. */
static void
reply(struct run *r, const struct sxf_header *h)
{
	struct reply_send rs = { .h = h, .po = { .link = h->flow } };
	char label[512];

	snprintf(label, sizeof(label), "%s%sack for %s", r->reply_dir ?
	    r->reply_dir : "", r->reply_dir ? ": " : "", h->from);
	worst(r, tool_send(r->site, r->reply_dir, h->from, "ack", label,
	    reply_ack, &rs));
	snprintf(label, sizeof(label), "%s%sreturn for %s", r->reply_dir ?
	    r->reply_dir : "", r->reply_dir ? ": " : "", h->from);
	worst(r, tool_send(r->site, r->reply_dir, h->from, "data", label,
	    reply_data, &rs));
}

/* Applies one file; returns 1 when it was processed (applied, already
 * applied or ingested) and may be moved to done/, else as
 * tool_input_failed. */
static int
apply_one(struct run *r, const char *path, const char *label)
{
	struct apply_result res;
	struct sp_error err;
	const struct apply_counts *n = &res.n;
	const char *name = label ? label : input_display_name(path);

	if (apply_file(r->site, path, label, r->limits, &res, &err) != 0) {
		tool_warn("%s: %s", name, err.msg);
		worst(r, EXIT_TROUBLE);
		return tool_input_failed(&err);
	}
	switch (res.status) {
	case APPLY_ALREADY:
		fprintf(stderr, "%s: %s: flow %" PRIu64 " from %s already "
		    "applied, nothing done\n", tool_name, name, res.header.flow,
		    res.header.from);
		return 1;
	case APPLY_REFUSED:
		fprintf(stderr, "%s: %s: flow %" PRIu64 " from %s was refused "
		    "here, nothing done\n", tool_name, name, res.header.flow,
		    res.header.from);
		return 1;
	case APPLY_ACK:
		fprintf(stderr, "%s: %s: ack flow %" PRIu64 " from %s ingested\n",
		    tool_name, name, res.header.flow, res.header.from);
		return 1;
	default:
		break;
	}
	fprintf(stderr, "%s: %s: flow %" PRIu64 " from %s %s: applied %lld, "
	    "skipped %lld, conflicts %lld, rejected %lld, held %lld%s\n",
	    tool_name, name, res.header.flow, res.header.from,
	    res.status == APPLY_SUPERSEDED ? "superseded" :
	    res.status == APPLY_PARTIAL ? "partial" : "applied",
	    n->applied, n->skipped, n->conflict, n->rejected, n->held,
	    res.released ? " (held records released)" : "");
	if (n->rejected || n->held || n->conflict)
		worst(r, EXIT_PARTIAL);
	if (r->reply && strcmp(res.header.kind, "data") == 0)
		reply(r, &res.header);
	return 1;
}

/* apply_one as a tool_input_fn: the run keeps the exit code itself. */
static int
apply_input(struct site *s, const char *path, const char *label,
    void *ctx, int *rc)
{
	(void)s;
	(void)rc;
	return apply_one(ctx, path, label);
}

/* --refuse: each file verified and its flow recorded refused; nothing of
 * it is applied. */
static int
refuse_all(struct site *s, char **files, int n, const char *reason,
    const struct sxf_limits *limits)
{
	struct refuse_result res;
	struct sp_error err;
	int rc = EXIT_OK;

	for (int i = 0; i < n; i++) {
		const char *name = input_display_name(files[i]);

		if (refuse_file(s, files[i], NULL, reason, limits, &res, &err)
		    != 0) {
			tool_warn("%s: %s", name, err.msg);
			rc = EXIT_TROUBLE;
		} else if (res.already)
			fprintf(stderr, "%s: %s: flow %" PRIu64 " from %s already "
			    "refused, nothing done\n", tool_name, name,
			    res.header.flow, res.header.from);
		else
			fprintf(stderr, "%s: %s: flow %" PRIu64 " from %s refused, "
			    "nothing applied; the next ack tells %s\n", tool_name,
			    name, res.header.flow, res.header.from,
			    res.header.from);
	}
	return rc;
}

static unsigned long long
size_arg(const char *opt, const char *value)
{
	unsigned long long v;

	if (tool_parse_size(value, &v) != 0 || v == 0)
		tool_die(EXIT_TROUBLE, "%s: bad size \"%s\"", opt, value);
	return v;
}

int
main(int argc, char **argv)
{
	enum { OPT_MAX_MEMBER = 256, OPT_MAX_TOTAL, OPT_MAX_MEMBERS, OPT_REPLY,
	    OPT_REFUSE, OPT_REFUSE_MOVES, OPT_REASON, OPT_DUMP };
	/* keep sorted */
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ "dump", no_argument, NULL, OPT_DUMP },
		{ "list", no_argument, NULL, 'l' },
		{ "max-member-size", required_argument, NULL, OPT_MAX_MEMBER },
		{ "max-members", required_argument, NULL, OPT_MAX_MEMBERS },
		{ "max-total-size", required_argument, NULL, OPT_MAX_TOTAL },
		{ "output", required_argument, NULL, 'o' },
		{ "reason", required_argument, NULL, OPT_REASON },
		{ "refuse", no_argument, NULL, OPT_REFUSE },
		{ "refuse-moves", no_argument, NULL, OPT_REFUSE_MOVES },
		{ "reply", no_argument, NULL, OPT_REPLY },
		{ "verify", no_argument, NULL, 'v' },
		TOOL_TRANSPORT_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	struct sxf_limits limits = sxf_default_limits;
	const char *db = NULL, *output = NULL, *reason = NULL;
	struct run r = { NULL, &limits, NULL, 0, EXIT_OK };
	struct sp_error err;
	struct site s;
	long long released = 0;
	int c, list = 0, verify = 0, dump = 0, want_reply = 0, refuse = 0;
	int refuse_moves = 0;

	tool_init(argv[0]);
	while ((c = getopt_long(argc, argv, "d:ho:V", opts, NULL)) != -1)
		switch (c) {
		case 'l': list = 1; break;
		case OPT_DUMP: dump = 1; break;
		case 'o': output = optarg; break;
		case 'v': verify = 1; break;
		case OPT_MAX_MEMBER:
			limits.max_member = size_arg("--max-member-size", optarg);
			break;
		case OPT_MAX_MEMBERS:
			limits.max_members = size_arg("--max-members", optarg);
			break;
		case OPT_MAX_TOTAL:
			limits.max_total = size_arg("--max-total-size", optarg);
			break;
		case OPT_REPLY: want_reply = 1; break;
		case OPT_REFUSE: refuse = 1; break;
		case OPT_REFUSE_MOVES: refuse_moves = 1; break;
		case OPT_REASON: reason = optarg; break;
		default:
			if (tool_common_option(c, optarg, &db, usage) ||
			    tool_transport_option(c, optarg))
				break;
			usage(stderr);
			return EXIT_TROUBLE;
		}
	if (reason != NULL && !refuse) {
		tool_warn("--reason goes with --refuse");
		usage(stderr);
		return EXIT_TROUBLE;
	}
	if (refuse && (list || verify || dump || want_reply ||
	    output != NULL || refuse_moves)) {
		tool_warn("--refuse applies nothing: it excludes --list, "
		    "--verify, --dump, --reply, -o and --refuse-moves");
		usage(stderr);
		return EXIT_TROUBLE;
	}
	apply_refuse_moves(refuse_moves);
	if (list || verify || dump) {
		if (list + verify + dump > 1 || argc - optind != 1 ||
		    want_reply) {
			if (list + verify + dump > 1)
				tool_warn("--list, --verify and --dump exclude "
				    "each other");
			usage(stderr);
			return EXIT_TROUBLE;
		}
		if (verify)
			db = tool_database(db, usage);
		else if (db == NULL)
			db = getenv("SYNCPACK_DB") && *getenv("SYNCPACK_DB")
			    ? getenv("SYNCPACK_DB") : NULL;
		if (dump)
			return syncunpack_dump(db, argv[optind], &limits);
		return list_or_verify(db, argv[optind], verify, &limits);
	}
	db = tool_database(db, usage);
	if (argc == optind || (output != NULL && !want_reply)) {
		if (output != NULL && !want_reply)
			tool_warn("-o goes with --reply");
		usage(stderr);
		return EXIT_TROUBLE;
	}
	atomic_out_cleanup_on_signals();
	if (site_open(&s, db, 0, &err) != 0)
		tool_die(EXIT_TROUBLE, "%s", err.msg);
	if (refuse) {
		/* Nothing else runs: not even held records are applied. */
		r.rc = refuse_all(&s, argv + optind, argc - optind, reason,
		    &limits);
		site_close(&s);
		return r.rc;
	}
	r.site = &s;
	r.reply_dir = want_reply ? output : NULL;
	r.reply = want_reply;
	/* Held records whose reason went away meanwhile (an unlock, a
	 * schema change) land first. */
	if (apply_release_held(&s, &released, &err) != 0) {
		tool_warn("%s: held records: %s", db, err.msg);
		worst(&r, EXIT_TROUBLE);
	} else if (released)
		fprintf(stderr, "%s: %s: %lld held records applied\n", tool_name,
		    db, released);
	if (r.reply)
		tool_outbox_flush(&s);
	worst(&r, tool_inputs_run(&s, argv + optind, argc - optind, &limits,
	    apply_input, &r));
	site_close(&s);
	return r.rc;
}
