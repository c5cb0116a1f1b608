/* syncpack.c: writes an exchange file of the changes a peer has not yet
 * acknowledged. Parses options and calls the library. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/atomic_out.h"
#include "lib/exchange_file.h"
#include "lib/site.h"
#include "tool.h"

static void
usage(FILE *f)
{
	fprintf(f, "usage: syncpack -d DB --to PEER -o FILE|DIR|-\n");
}

int
main(int argc, char **argv)
{
	/* keep sorted */
	static const struct option opts[] = {
		{ "database", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ "output", required_argument, NULL, 'o' },
		{ "to", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *db = NULL, *to = NULL, *output = NULL;
	struct exchange_written out;
	struct sp_error err;
	struct site s;
	int c;

	tool_init(argv[0]);
	while ((c = getopt_long(argc, argv, "d:ho:V", opts, NULL)) != -1)
		switch (c) {
		case 'd': db = optarg; break;
		case 'h': usage(stdout); return EXIT_OK;
		case 'o': output = optarg; break;
		case 't': to = optarg; break;
		case 'V': tool_version();
		default: usage(stderr); return EXIT_TROUBLE;
		}
	db = tool_database(db, usage);
	if (to == NULL || output == NULL || optind != argc) {
		usage(stderr);
		return EXIT_TROUBLE;
	}
	atomic_out_cleanup_on_signals();
	if (site_open(&s, db, 0, &err) != 0)
		tool_die(EXIT_TROUBLE, "%s", err.msg);
	if (exchange_pack_data(&s, to, output, &out, &err) != 0) {
		site_close(&s);
		tool_die(EXIT_TROUBLE, "%s: %s", output, err.msg);
	}
	fprintf(stderr, "%s: %s: flow %llu for %s\n", tool_name, out.path,
	    (unsigned long long)out.flow, to);
	site_close(&s);
	return EXIT_OK;
}
