/* listing.h: printing a store listing (store/listings.h) the way every
 * tool does: tab-separated lines with "-" for no value, or one JSON array
 * of objects keyed by column name. */
#ifndef SYNCPACK_CLI_LISTING_H
#define SYNCPACK_CLI_LISTING_H

#include <jansson.h>

#include "store/listings.h"

struct tool_listing {
	int json;
	json_t *rows;	/* owned: the objects so far (JSON only) */
};

/* Starts printing; as_json chooses the form. */
void tool_listing_start(struct tool_listing *l, int as_json);

/* The store_row_cb to hand to a listing with a struct tool_listing. */
int tool_listing_row(void *ctx, const struct store_cell *cells, int n,
    struct sp_error *err);

/* Prints what is still to print (the JSON array) and frees it. */
void tool_listing_finish(struct tool_listing *l);

/* Prints list's rows as tab-separated lines, exiting 2 with the store's
 * message when it fails. */
void tool_print_listing(struct site *s, store_listing_fn list);

#endif
