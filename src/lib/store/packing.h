/* packing.h: what building a data file reads besides the records
 * (store/store.h) and the moves (store/moving.h): a peer's acknowledged
 * mark, the declared columns of the tracked tables, the deletes whose
 * tombstones were purged (syncpack_purged), and moving the mark on when
 * nothing needed sending. What goes in the file is decided in sync/pack.c.
 * This is the store interface; store/facets_*.c passes each call to the
 * site's backend, store/sqlite/packing.c or store/pg/packing_pg.c. */
#ifndef SYNCPACK_STORE_PACKING_H
#define SYNCPACK_STORE_PACKING_H

#include "util/error.h"
#include "store/site.h"
#include "store/store.h"

/* 1 with *acked, the last lseq peer acknowledged (-1: from a site that
 * found it was restored), and *now, this site's lseq clock; 0 when peer is
 * not registered; -1 on error. */
SP_MUST_CHECK
int store_peer_marks(struct site *s, const char *peer,
    long long *acked, long long *now, struct sp_error *err);

/* Moves peer's acknowledged mark to covered unless it is past it already;
 * nothing else (purging tombstones is the caller's). */
SP_MUST_CHECK
int store_peer_advance(struct site *s, const char *peer,
    long long covered, struct sp_error *err);

/* Called for each column of a table in declaration order: its name, its
 * declared type in upper case ("" when none), and its place in the primary
 * key (0: not part of it), all borrowed for the call. Non-zero stops the
 * walk, which returns that value. */
typedef int (*store_column_cb)(void *ctx, const char *name, const char *type,
    int pk, struct sp_error *err);

/* Walks the columns of table as the database declares them; a table that
 * does not exist has none. */
SP_MUST_CHECK
int store_table_columns(struct site *s, const char *table,
    store_column_cb cb, void *ctx, struct sp_error *err);

/* 1 and fills rec with the tombstone of guid, of a tracked table, if it
 * was purged here but is remembered: deleted set, lseq, flags and src 0 or
 * ""; 0 if not; -1 on error. */
SP_MUST_CHECK
int store_purged_lookup(struct site *s, const char *guid,
    struct store_record *rec, struct sp_error *err);

/* Calls cb (row NULL) with each remembered purged delete of a tracked
 * table, filled as store_purged_lookup fills it, by table (in the order
 * the tables were first tracked) and GUID. Non-zero from cb stops the
 * walk, which returns it. */
SP_MUST_CHECK
int store_purged_each(struct site *s, store_change_cb cb,
    void *ctx, struct sp_error *err);

#endif
