/* locks.h: reservations. A locked record is held back from packing (and
 * incoming changes to it are held) until it is unlocked. Only records of
 * tracked tables can be locked; the store keeps the locks
 * (store/locks.h), where applications may also write them. */
#ifndef SYNCPACK_LOCKS_H
#define SYNCPACK_LOCKS_H

#include "util/error.h"
#include "store/site.h"

enum lock_result { LOCK_DONE, LOCK_REFUSED, LOCK_ERROR };

/* The record is named by its key: key[0..nkey), one value per key column,
 * or a composite key's values in one, comma-separated. LOCK_REFUSED (with
 * the reason in err) when the record is already locked, or, for unlock,
 * not locked. */
SP_MUST_CHECK
enum lock_result lock_record(struct site *s, const char *table,
    const char *const *key, int nkey, const char *by, struct sp_error *err);
SP_MUST_CHECK
enum lock_result unlock_record(struct site *s, const char *table,
    const char *const *key, int nkey, struct sp_error *err);

#endif
