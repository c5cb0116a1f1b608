/* tx.h: transactions on a site's database, for the layers above the store
 * that must make several store calls all or nothing. This is the store
 * interface; store/facets_*.c passes each call to the site's backend,
 * store/sqlite/tx.c or store/pg/tx_pg.c. */
#ifndef SYNCPACK_STORE_TX_H
#define SYNCPACK_STORE_TX_H

#include "util/error.h"
#include "store/site.h"

/* Starts a write transaction, taking the write lock at once so that what
 * is read inside it cannot change before the writes. */
SP_MUST_CHECK
int store_tx_begin(struct site *s, struct sp_error *err);

/* Starts a read transaction: what is read inside it is one state of the
 * database. It takes no write lock until it writes. */
SP_MUST_CHECK
int store_tx_begin_read(struct site *s, struct sp_error *err);

/* Commits the transaction store_tx_begin or store_tx_begin_read
 * started. */
SP_MUST_CHECK
int store_tx_commit(struct site *s, struct sp_error *err);

/* Abandons the open transaction, if any; used on the way out of an error,
 * so it reports nothing. */
void store_tx_rollback(struct site *s);

#endif
