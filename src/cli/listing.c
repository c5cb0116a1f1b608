/* listing.c: prints store listings for the tools (cli/listing.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/listing.h"
#include "cli/tool.h"

/* Rows read before the column widths are fixed: enough for every screen,
 * few enough that a listing of a busy hub's flows stays small in memory.
 * Later rows keep those widths; a longer value only shifts its own line. */
#define LISTING_MEASURED_ROWS 1000

static void *
must(void *p)
{
	if (p == NULL)
		tool_die(EXIT_TROUBLE, "out of memory");
	return p;
}

void
tool_listing_start(struct tool_listing *l, int as_json)
{
	memset(l, 0, sizeof(*l));
	l->json = as_json;
	if (as_json)
		l->rows = must(json_array());
}

static void
print_row(const struct tool_listing *l, char *const *cells)
{
	for (size_t i = 0; i < l->ncols; i++) {
		if (i + 1 == l->ncols)
			printf("%s\n", cells[i]);
		else
			printf("%-*s  ", (int)l->width[i], cells[i]);
	}
}

/* Prints the header and the rows measured so far; from then on rows are
 * printed as they come. */
static void
flush_measured(struct tool_listing *l)
{
	if (l->ncols == 0 || l->flushed)
		return;
	print_row(l, l->header);
	for (size_t r = 0; r < l->nrows; r++) {
		print_row(l, l->buf[r]);
		for (size_t i = 0; i < l->ncols; i++)
			free(l->buf[r][i]);
		free(l->buf[r]);
	}
	free(l->buf);
	l->buf = NULL;
	l->nrows = 0;
	l->flushed = 1;
}

/* The first row names the columns: the header, in capitals. */
static void
take_header(struct tool_listing *l, const struct store_cell *cells, int n)
{
	if (n < 1 || n > LISTING_MAX_COLUMNS)
		tool_die(EXIT_TROUBLE, "a listing of %d columns", n);
	l->ncols = (size_t)n;
	for (size_t i = 0; i < l->ncols; i++) {
		char *h = must(strdup(cells[i].name));

		for (char *p = h; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		l->header[i] = h;
		l->width[i] = strlen(h);
	}
}

static int
text_row(struct tool_listing *l, const struct store_cell *cells, int n)
{
	char **row;

	if (l->ncols == 0)
		take_header(l, cells, n);
	row = must(calloc(l->ncols, sizeof(*row)));
	for (size_t i = 0; i < l->ncols; i++) {
		const char *v = i < (size_t)n && cells[i].text ? cells[i].text
		    : "-";

		row[i] = must(strdup(v));
		if (!l->flushed && strlen(v) > l->width[i])
			l->width[i] = strlen(v);
	}
	if (l->flushed) {
		print_row(l, row);
		for (size_t i = 0; i < l->ncols; i++)
			free(row[i]);
		free(row);
		return 0;
	}
	l->buf = must(realloc(l->buf, (l->nrows + 1) * sizeof(*l->buf)));
	l->buf[l->nrows++] = row;
	if (l->nrows == LISTING_MEASURED_ROWS)
		flush_measured(l);
	return 0;
}

int
tool_listing_row(void *ctx, const struct store_cell *cells, int n,
    struct sp_error *err)
{
	struct tool_listing *l = ctx;
	json_t *o;

	(void)err;
	if (!l->json)
		return text_row(l, cells, n);
	o = must(json_object());
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
	if (!l->json) {
		flush_measured(l);
		for (size_t i = 0; i < l->ncols; i++)
			free(l->header[i]);
		l->ncols = 0;
		return;
	}
	json_dumpf(l->rows, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(l->rows);
	l->rows = NULL;
}

void
tool_print_listing(struct site *s, store_listing_fn list, int as_json)
{
	struct tool_listing l;
	struct sp_error err;

	tool_listing_start(&l, as_json);
	if (list(s, tool_listing_row, &l, &err) != 0)
		tool_die(EXIT_TROUBLE, "%s", err.msg);
	tool_listing_finish(&l);
}
