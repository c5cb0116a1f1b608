/* syncunpack.c: verifies exchange files and applies them to a site.
 * Parses options and calls the library. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/exchange_file.h"
#include "lib/input.h"
#include "lib/site.h"
#include "tool.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: syncunpack --list [-d DB] FILE|-\n"
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
	printf("format: %s\nkind: %s\nfrom: %s\nto: %s\nflow: %" PRIu64 "\n"
	    "link: %" PRIu64 "\ncreated: %s\n", SXF_FORMAT, h->kind, h->from,
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
	enum { OPT_MAX_MEMBER = 256, OPT_MAX_TOTAL, OPT_MAX_MEMBERS };
	/* keep sorted */
	static const struct option opts[] = {
		{ "database", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "list", no_argument, NULL, 'l' },
		{ "max-member-size", required_argument, NULL, OPT_MAX_MEMBER },
		{ "max-members", required_argument, NULL, OPT_MAX_MEMBERS },
		{ "max-total-size", required_argument, NULL, OPT_MAX_TOTAL },
		{ "verify", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct sxf_limits limits = sxf_default_limits;
	const char *db = NULL;
	int c, list = 0, verify = 0;

	tool_init(argv[0]);
	while ((c = getopt_long(argc, argv, "d:hV", opts, NULL)) != -1)
		switch (c) {
		case 'd': db = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'l': list = 1; break;
		case 'v': verify = 1; break;
		case 'V': tool_version();
		case OPT_MAX_MEMBER:
			limits.max_member = size_arg("--max-member-size", optarg);
			break;
		case OPT_MAX_MEMBERS:
			limits.max_members = size_arg("--max-members", optarg);
			break;
		case OPT_MAX_TOTAL:
			limits.max_total = size_arg("--max-total-size", optarg);
			break;
		default: usage(stderr); return EXIT_TROUBLE;
		}
	if (list + verify != 1 || argc - optind != 1) {
		if (list && verify)
			tool_warn("--list and --verify exclude each other");
		usage(stderr);
		return EXIT_TROUBLE;
	}
	if (verify)
		db = tool_database(db, usage);
	else if (db == NULL)
		db = getenv("SYNCPACK_DB") && *getenv("SYNCPACK_DB")
		    ? getenv("SYNCPACK_DB") : NULL;
	return list_or_verify(db, argv[optind], verify, &limits);
}
