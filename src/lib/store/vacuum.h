/* vacuum.h: purging tombstones out of the records into the list of purged
 * deletes (syncpack_purged), and expiring that list. Which tombstones may
 * go, and for how long a purged delete is remembered, is decided in
 * sync/vacuum.c. This is the store interface; store/facets_*.c passes each
 * call to the site's backend, store/sqlite/vacuum.c or
 * store/pg/reconcile_pg.c. */
#ifndef SYNCPACK_STORE_VACUUM_H
#define SYNCPACK_STORE_VACUUM_H

#include "util/error.h"
#include "store/site.h"

/* How long a purged tombstone is remembered, in days: a site restored
 * from an older backup still learns of those deletes (syncpack(7)). */
#define STORE_PURGED_DAYS 400

/* Moves the tombstones with an lseq up to upto that no unresolved
 * conflict names from the records into the purged list, stamped with the
 * time now (a delete purged before is replaced); *purged (unless NULL)
 * gets how many left the records. */
SP_MUST_CHECK
int store_tombstones_purge(struct site *s, long long upto, long long *purged,
    struct sp_error *err);

/* Forgets the purged deletes older than days. */
SP_MUST_CHECK
int store_purged_expire(struct site *s, int days, struct sp_error *err);

#endif
