/* listing.c: prints store listings for the tools (cli/listing.h). */
#include <stdio.h>

#include "cli/listing.h"
#include "cli/tool.h"

void
tool_listing_start(struct tool_listing *l, int as_json)
{
	l->json = as_json;
	l->rows = as_json ? json_array() : NULL;
	if (as_json && l->rows == NULL)
		tool_die(EXIT_TROUBLE, "out of memory");
}

int
tool_listing_row(void *ctx, const struct store_cell *cells, int n,
    struct sp_error *err)
{
	struct tool_listing *l = ctx;
	json_t *o;

	(void)err;
	if (!l->json) {
		for (int i = 0; i < n; i++)
			printf("%s%c", cells[i].text ? cells[i].text : "-",
			    i + 1 < n ? '\t' : '\n');
		return 0;
	}
	if ((o = json_object()) == NULL)
		tool_die(EXIT_TROUBLE, "out of memory");
	for (int i = 0; i < n; i++)
		/* A value jansson refuses (text that is not UTF-8) leaves
		 * its key out rather than the row. */
		json_object_set_new(o, cells[i].name,
		    cells[i].kind == STORE_CELL_INTEGER ?
		    json_integer(cells[i].integer) :
		    cells[i].kind == STORE_CELL_TEXT ?
		    json_string(cells[i].text) : json_null());
	json_array_append_new(l->rows, o);
	return 0;
}

void
tool_listing_finish(struct tool_listing *l)
{
	if (!l->json)
		return;
	json_dumpf(l->rows, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(l->rows);
	l->rows = NULL;
}

void
tool_print_listing(struct site *s, store_listing_fn list)
{
	struct tool_listing l;
	struct sp_error err;

	tool_listing_start(&l, 0);
	if (list(s, tool_listing_row, &l, &err) != 0)
		tool_die(EXIT_TROUBLE, "%s", err.msg);
	tool_listing_finish(&l);
}
