/* locks.h: reservations as the store keeps them.
 *
 * The table syncpack_lock(tbl, rkey, locked_by, since) may be written by
 * applications directly: tbl is the table name, rkey the row's key with the
 * key's own type. Deleting a row there is an unlock, and gives the record
 * a new lseq so that the next pack sends it. Whether a record may be locked
 * at all is decided in sync/locks.c; these calls only keep the rows. */
#ifndef SYNCPACK_STORE_LOCKS_H
#define SYNCPACK_STORE_LOCKS_H

#include <jansson.h>

#include "util/error.h"
#include "store/site.h"

/* Reserves the record of table whose key is key for by (NULL: nobody
 * named). key is a JSON integer or string with the type of the table's key
 * column, as store_lookup_key takes it: a lock must compare equal to the
 * record's key, so 1 and "1" are two keys. key stays the caller's. Returns
 * 1 when the lock was taken, 0 when the record was already locked (that
 * lock is left as it was), -1 on error. */
SP_MUST_CHECK
int store_lock_add(struct site *s, const char *table, json_t *key,
    const char *by, struct sp_error *err);

/* Releases the lock on the record of table whose key is key: 1 when it was
 * locked and is not any more, 0 when it was not locked, -1 on error. */
SP_MUST_CHECK
int store_lock_remove(struct site *s, const char *table, json_t *key,
    struct sp_error *err);

/* 1 when any record is locked here, 0 when none is, -1 on error; an apply
 * skips looking up each record's lock (store_locked) when none is. */
int store_locks_any(struct site *s, struct sp_error *err);

#endif
