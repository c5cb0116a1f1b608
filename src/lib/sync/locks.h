/* locks.h: reservations. A locked record is held back from packing (and
 * incoming changes to it are held) until it is unlocked.
 *
 * The table syncpack_lock(tbl, rkey, locked_by, since) may be written by
 * applications directly: tbl is the table name, rkey the row's key with the
 * key's own type. Deleting a row there is an unlock. */
#ifndef SYNCPACK_LOCKS_H
#define SYNCPACK_LOCKS_H

#include "util/error.h"
#include "store/site.h"

enum lock_result { LOCK_DONE, LOCK_REFUSED, LOCK_ERROR };

/* LOCK_REFUSED (with the reason in err) when the record is already locked,
 * or, for unlock, not locked. */
enum lock_result lock_record(struct site *s, const char *table,
    const char *key, const char *by, struct sp_error *err);
enum lock_result unlock_record(struct site *s, const char *table,
    const char *key, struct sp_error *err);

#endif
