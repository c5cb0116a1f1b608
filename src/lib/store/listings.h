/* listings.h: what a site has recorded, row by row, in the shape the tools
 * show it: flows, the protocol of a flow, transfers of movable records,
 * held records, conflicts, locks and tracked tables.
 *
 * Each listing calls back once per row, in the order documented, with the
 * row's columns. The column names and the values (including the words some
 * columns are given, such as "yes" or "unresolved") are part of the
 * interface: the tools print them unchanged, as aligned columns under a
 * header and as the keys and values of JSON objects. This is the store
 * interface; both backends implement it (store/sqlite/listings.c,
 * store/pg/listings_pg.c), and store/site_peers.c, store/site_open.c and
 * store/facets_records.c pick. */
#ifndef SYNCPACK_STORE_LISTINGS_H
#define SYNCPACK_STORE_LISTINGS_H

#include "util/error.h"
#include "store/site.h"

enum store_cell_kind {
	STORE_CELL_NULL,	/* no value */
	STORE_CELL_INTEGER,	/* an integer; text has it in decimal */
	STORE_CELL_TEXT		/* anything else, as text */
};

/* One column of a row. Everything is borrowed for the callback only. */
struct store_cell {
	const char *name;	/* the column's name */
	enum store_cell_kind kind;
	long long integer;	/* STORE_CELL_INTEGER only */
	const char *text;	/* NULL exactly when kind is STORE_CELL_NULL */
};

/* Called for each row with its n columns in their documented order. A
 * non-zero return (err set) stops the listing, which then returns -1. */
typedef int (*store_row_cb)(void *ctx, const struct store_cell *cells,
    int n, struct sp_error *err);

/* A listing that takes nothing but the site, for the tools that print
 * several of them the same way. */
typedef int (*store_listing_fn)(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err);

/* Every listing returns 0 when all rows were given, -1 on error (rows may
 * have been given before it). */

/* Which flows store_list_flows gives: NULL members do not filter. */
struct store_flow_filter {
	const char *peer;	/* exchanged with this peer */
	const char *since;	/* started (or, never started, ready) at or
				 * after this date or ISO 8601 time */
	const char *status;	/* in this status */
};

/* The flows f lets through, by coalesce(started, ready), direction, peer,
 * flow. Columns: peer, direction ("in" or "out"), flow, link (the flow it
 * answers), kind, ready, started, ended, executions, status, applied,
 * skipped, conflicts, rejected, held, acked ("yes" or "no"), file,
 * sha256, reason (of a refusal by an operator, here or at the peer; no
 * value for none). */
SP_MUST_CHECK
int store_list_flows(struct site *s, const struct store_flow_filter *f,
    store_row_cb cb, void *ctx, struct sp_error *err);

/* The per-record outcomes of flow with peer (NULL: any peer), by
 * direction, peer, then as recorded. Columns: direction, peer, flow,
 * table, guid, outcome, reason. */
SP_MUST_CHECK
int store_list_protocol(struct site *s, long long flow, const char *peer,
    store_row_cb cb, void *ctx, struct sp_error *err);

/* The transfers of movable records, of guid only when not NULL (in any
 * letter case), by guid, at, then as recorded. Columns: guid, table, from,
 * to, flow, at, state. */
SP_MUST_CHECK
int store_list_transfers(struct site *s, const char *guid, store_row_cb cb,
    void *ctx, struct sp_error *err);

/* The incoming records held here, by since, table, guid. Columns: tbl,
 * guid, peer, flow, since, reason. */
SP_MUST_CHECK
int store_list_held(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err);

/* The conflicts kept for an operator, by id. Columns: id, tbl, guid, peer,
 * flow, detected, resolved (the time, or "unresolved"). */
SP_MUST_CHECK
int store_list_conflicts(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err);

/* The locks, by table and key. Columns: tbl, rkey (the key as text),
 * locked_by ("-" when nobody is named), since. */
SP_MUST_CHECK
int store_list_locks(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err);

/* Every table ever tracked, by name, with its policy. Columns: table,
 * owner, route, conflict, key ("KIND(PK)"), window (its column, or no
 * value), flags (among "freeze", "movable" and "rowversion-column",
 * separated by spaces; no value for none) and state ("tracked" or
 * "untracked"). */
SP_MUST_CHECK
int store_list_tables(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err);

/* Every registered peer, by site id. Columns: peer, url (its mailbox, or
 * no value), added (ISO 8601 UTC). */
SP_MUST_CHECK
int store_list_peers(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err);

#endif
