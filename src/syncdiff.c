/* syncdiff.c: checksum manifests: the reconciliation's request and answers,
 * and diff(1)-like comparison of sites and manifests. Parses options and
 * calls the library. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "util/atomic_out.h"
#include "sync/delivery.h"
#include "sync/diff.h"
#include "net/input.h"
#include "sync/reconcile.h"
#include "store/peers.h"
#include "cli/tool.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: syncdiff -d DB --request --to SPOKE [--days N | --since DATE --until DATE]\n"
	    "                [-o FILE|DIR|URL|-]\n"
	    "       syncdiff -d DB --answer FILE [-o FILE|DIR|URL|-] [--alias SUB=SITE ...]\n"
	    "       syncdiff A.db B.db [--table T] [--days N] [--json | --summary]\n"
	    "       syncdiff FILE_A FILE_B [--table T] [--json | --summary]\n");
}

/* YYYY-MM-DD of today minus days, in UTC. */
static void
date_days_ago(int days, char out[11])
{
	time_t t = time(NULL) - (time_t)days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static int
valid_date(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	return end != NULL && *end == '\0' && strlen(s) == 10;
}

struct printer {
	int json, summary;
	json_t *list;
};

static int
print_difference(void *ctx, enum diff_kind kind,
    const struct manifest_entry *e, struct sp_error *err)
{
	static const char *const names[] = { "only-in-A", "only-in-B",
	    "differs" };
	struct printer *p = ctx;

	(void)err;
	if (p->summary)
		return 0;
	if (p->json)
		json_array_append_new(p->list, json_pack("{s:s, s:s, s:s}",
		    "difference", names[kind], "table", e->table, "guid", e->guid));
	else
		printf("%s\t%s\t%s\n", names[kind], e->table, e->guid);
	return 0;
}

static int
stop_at_header(void *ctx, const struct sxf_header *h, struct sp_error *err)
{
	snprintf(ctx, SITEID_MAX + 1, "%s", h->from);
	return sp_error_set(err, "header read");
}

/* The sender of a step file: a spoke's only peer, or the file's "from". */
static int
answer_sender(struct site *s, const char *path, char *peer, size_t len)
{
	struct sxf_read_ops ops;
	struct sxf_read_result rr;
	struct sp_error err;
	int fd, stopped;

	if (!s->hub) {
		struct store_peer *peers;
		size_t n;

		if (store_peers(s, &peers, &n, &err) != 0)
			return -1;
		if (n > 0)
			snprintf(peer, len, "%s", peers[0].site);
		store_peers_free(peers, n);
		return peer[0] ? 0 : -1;
	}
	if (strcmp(path, "-") == 0 || (fd = input_open(path, &err)) < 0)
		return -1;
	memset(&ops, 0, sizeof(ops));
	ops.on_header = stop_at_header;
	ops.ctx = peer;
	/* stop_at_header ends the read once the sender is known, so the
	 * result is always a stop; peer says whether the header was read. */
	stopped = sxf_read_fd(fd, NULL, &ops, &rr, &err);
	(void)stopped;
	input_close(fd);
	return peer[0] ? 0 : -1;
}

/* An argument names a site database when it opens as one (a SQLite
 * file or a PostgreSQL URI). */
static int
is_site(const char *path, struct site *s)
{
	struct sp_error err;

	if (strcmp(path, "-") == 0 || site_open(s, path, 0, &err) != 0)
		return 0;
	return 1;
}

static int
compare(const char *a, const char *b, const char *table, int days,
    struct printer *p)
{
	struct manifest_filter f = { 0 };
	struct diff_source *sa = NULL, *sb = NULL;
	struct diff_counts n;
	struct sp_error err;
	struct site site_a, site_b;
	int a_site = is_site(a, &site_a), b_site = is_site(b, &site_b);
	char since[11];
	int rc = EXIT_TROUBLE;

	if (a_site != b_site) {
		tool_warn("compare two site databases or two manifest files");
		goto cleanup;
	}
	f.table = table;
	if (days > 0) {
		date_days_ago(days, since);
		f.since = since;
	}
	if (a_site) {
		sa = diff_source_db(&site_a, &f, &err);
		if (sa == NULL) {
			tool_warn("%s: %s", a, err.msg);
			goto cleanup;
		}
		sb = diff_source_db(&site_b, &f, &err);
		if (sb == NULL) {
			tool_warn("%s: %s", b, err.msg);
			goto cleanup;
		}
	} else {
		if (days > 0)
			tool_warn("--days applies to databases; a manifest has its "
			    "own window");
		sa = diff_source_file(NULL, a, table, &err);
		if (sa == NULL) {
			tool_warn("%s: %s", input_display_name(a), err.msg);
			goto cleanup;
		}
		sb = diff_source_file(NULL, b, table, &err);
		if (sb == NULL) {
			tool_warn("%s: %s", input_display_name(b), err.msg);
			goto cleanup;
		}
	}
	p->list = json_array();
	if (diff_run(sa, sb, print_difference, p, &n, &err) != 0) {
		tool_warn("%s", err.msg);
		goto cleanup;
	}
	if (p->json) {
		json_t *o = json_pack("{s:I, s:I, s:I, s:I}", "only_in_a",
		    (json_int_t)n.only_a, "only_in_b", (json_int_t)n.only_b,
		    "differs", (json_int_t)n.differs, "same", (json_int_t)n.same);
		if (!p->summary)
			json_object_set(o, "differences", p->list);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else if (p->summary)
		printf("only-in-A %lld\nonly-in-B %lld\ndiffers %lld\nsame %lld\n",
		    n.only_a, n.only_b, n.differs, n.same);
	rc = n.only_a || n.only_b || n.differs ? EXIT_PARTIAL : EXIT_OK;
cleanup:
	json_decref(p->list);
	diff_source_close(sa);
	diff_source_close(sb);
	if (a_site)
		site_close(&site_a);
	if (b_site)
		site_close(&site_b);
	return rc;
}

struct request_send {
	const char *to, *since, *until;
	struct recon_result res;
};

static int
request_to_target(struct site *s, const char *target, void *ctx,
    const struct exchange_written **file, struct sp_error *err)
{
	struct request_send *q = ctx;

	if (recon_request(s, q->to, q->since, q->until, target, &q->res,
	    err) != 0)
		return -1;
	fprintf(stderr, "%s: %s: request flow %llu to %s: %lld records from "
	    "%s to %s\n", tool_name, q->res.file.path,
	    (unsigned long long)q->res.file.flow, q->to, q->res.manifest,
	    q->since, q->until);
	*file = &q->res.file;
	return 1;
}

struct answer_send {
	const char *answer;
	const char **aliases;
	int naliases;
	struct recon_result res;
};

static int
answer_to_target(struct site *s, const char *target, void *ctx,
    const struct exchange_written **file, struct sp_error *err)
{
	struct answer_send *a = ctx;
	const struct recon_result *res = &a->res;
	/* Moves and withheld records are named only when there are some,
	 * so that the usual line stays as it was. */
	char moved[64] = "", withheld[64] = "";

	if (recon_answer(s, a->answer, a->aliases, a->naliases, target,
	    &a->res, err) != 0)
		return -1;
	if (res->moved > 0)
		snprintf(moved, sizeof(moved), ", %lld moved", res->moved);
	if (res->withheld > 0)
		snprintf(withheld, sizeof(withheld), ", %lld withheld by the "
		    "rules", res->withheld);
	fprintf(stderr, "%s: %s: answer flow %llu: %lld records, %lld wanted, "
	    "%lld echoed%s%s\n", tool_name, res->file.path,
	    (unsigned long long)res->file.flow, res->records, res->wanted,
	    res->echoed, moved, withheld);
	*file = &a->res.file;
	return 1;
}

int
main(int argc, char **argv)
{
	enum { OPT_ALIAS = 256, OPT_ANSWER, OPT_DAYS, OPT_JSON, OPT_REQUEST,
	    OPT_SINCE, OPT_SUMMARY, OPT_TABLE, OPT_UNTIL };
	/* keep sorted */
	static const struct option opts[] = {
		TOOL_COMMON_OPTIONS,
		{ "alias", required_argument, NULL, OPT_ALIAS },
		{ "answer", required_argument, NULL, OPT_ANSWER },
		{ "days", required_argument, NULL, OPT_DAYS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "output", required_argument, NULL, 'o' },
		{ "request", no_argument, NULL, OPT_REQUEST },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "summary", no_argument, NULL, OPT_SUMMARY },
		{ "table", required_argument, NULL, OPT_TABLE },
		{ "to", required_argument, NULL, 't' },
		{ "until", required_argument, NULL, OPT_UNTIL },
		TOOL_TRANSPORT_OPTIONS,
		{ NULL, 0, NULL, 0 }
	};
	const char *db = NULL, *to = NULL, *output = NULL, *answer = NULL;
	const char *since = NULL, *until = NULL, *table = NULL;
	const char *aliases[32];
	struct printer p = { 0, 0, NULL };
	struct sp_error err;
	struct site s;
	char peer[SITEID_MAX + 1] = "";
	int c, request = 0, days = -1, naliases = 0, rc;
	char since_buf[11], until_buf[11];

	tool_init(argv[0]);
	while ((c = getopt_long(argc, argv, "d:ho:V", opts, NULL)) != -1)
		switch (c) {
		case 'o': output = optarg; break;
		case 't': to = optarg; break;
		case OPT_ALIAS: {
			const char *eq = strchr(optarg, '=');
			if (eq == NULL || naliases == 32)
				tool_die(EXIT_TROUBLE, "--alias wants SUB=SITE");
			aliases[naliases++] = strndup(optarg, (size_t)(eq - optarg));
			break;
		}
		case OPT_ANSWER: answer = optarg; break;
		case OPT_DAYS:
			days = atoi(optarg);
			if (days <= 0)
				tool_die(EXIT_TROUBLE, "--days wants a positive number");
			break;
		case OPT_JSON: p.json = 1; break;
		case OPT_REQUEST: request = 1; break;
		case OPT_SINCE: since = optarg; break;
		case OPT_SUMMARY: p.summary = 1; break;
		case OPT_TABLE: table = optarg; break;
		case OPT_UNTIL: until = optarg; break;
		default:
			if (tool_common_option(c, optarg, &db, usage) ||
			    tool_transport_option(c, optarg))
				break;
			usage(stderr);
			return EXIT_TROUBLE;
		}
	if (!request && answer == NULL) {
		if (argc - optind != 2 || output || to || since || until) {
			usage(stderr);
			return EXIT_TROUBLE;
		}
		return compare(argv[optind], argv[optind + 1], table, days, &p);
	}
	db = tool_database(db, usage);
	if ((request && answer) || optind != argc ||
	    (request && to == NULL) || (!request && (to || since || until)) ||
	    (days > 0 && (since || until)) || (!since != !until)) {
		usage(stderr);
		return EXIT_TROUBLE;
	}
	if (since && (!valid_date(since) || !valid_date(until)))
		tool_die(EXIT_TROUBLE, "--since and --until want YYYY-MM-DD");
	if (request && since == NULL) {
		date_days_ago(days > 0 ? days : 45, since_buf);
		date_days_ago(0, until_buf);
		since = since_buf;
		until = until_buf;
	}
	atomic_out_cleanup_on_signals();
	if (site_open(&s, db, 0, &err) != 0)
		tool_die(EXIT_TROUBLE, "%s", err.msg);
	tool_outbox_flush(&s);
	if (request) {
		struct request_send q = { .to = to, .since = since,
		    .until = until };

		rc = tool_send(&s, output, to, "request", NULL, request_to_target,
		    &q);
	} else {
		struct answer_send a = { .answer = answer,
		    .aliases = aliases, .naliases = naliases };

		/* The answer goes to whoever wrote the input. */
		if (answer_sender(&s, answer, peer, sizeof(peer)) != 0)
			tool_die(EXIT_TROUBLE, "%s: cannot tell who sent it",
			    input_display_name(answer));
		rc = tool_send(&s, output, peer, "answer",
		    input_display_name(answer), answer_to_target, &a);
	}
	site_close(&s);
	for (int i = 0; i < naliases; i++)
		free((char *)aliases[i]);
	return rc;
}
