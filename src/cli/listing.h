/* listing.h: printing a store listing (store/listings.h) the way every
 * tool does: a header line of the column names and the rows in aligned
 * columns, "-" for no value (nothing at all when there is no row); or one
 * JSON array of objects keyed by column name, for scripts. */
#ifndef SYNCPACK_CLI_LISTING_H
#define SYNCPACK_CLI_LISTING_H

#include <jansson.h>
#include <stddef.h>

#include "store/listings.h"

#define LISTING_MAX_COLUMNS 32

struct tool_listing {
	int json;
	json_t *rows;	/* owned: the objects so far (JSON only) */
	/* Text only: the header, and the first rows, kept to measure the
	 * columns' widths before anything is printed. */
	size_t ncols;
	char *header[LISTING_MAX_COLUMNS];	/* owned */
	size_t width[LISTING_MAX_COLUMNS];
	char ***buf;	/* owned: nrows rows of ncols owned strings */
	size_t nrows;
	int flushed;	/* widths fixed, rows printed as they come */
};

/* Starts printing; as_json chooses the form. */
void tool_listing_start(struct tool_listing *l, int as_json);

/* The store_row_cb to hand to a listing with a struct tool_listing. */
int tool_listing_row(void *ctx, const struct store_cell *cells, int n,
    struct sp_error *err);

/* Prints what is still to print and frees it. */
void tool_listing_finish(struct tool_listing *l);

/* Prints list's rows (as JSON when as_json), exiting 2 with the store's
 * message when it fails. */
void tool_print_listing(struct site *s, store_listing_fn list, int as_json);

#endif
