/* conflicts.h: concurrent changes kept for an operator (the manual
 * policy), as an apply records them and later versions settle them.
 *
 * Which conflicts are kept is decided in sync/apply_record.c. Both calls
 * run inside an apply (store_begin_apply) on its store, whose backend keeps
 * their statements prepared. */
#ifndef SYNCPACK_STORE_CONFLICTS_H
#define SYNCPACK_STORE_CONFLICTS_H

#include <stddef.h>

#include "util/error.h"
#include "store/store.h"

/* Records a conflict on guid (table) between the local version, local
 * (its exchange-file line; NULL: none here), and the one received from
 * peer in flow, remote (len bytes), detected now. */
int store_conflict_put(struct store *st, const char *guid, const char *table,
    const char *peer, long long flow, const char *local, const char *remote,
    size_t len, struct sp_error *err);

/* Marks every unresolved conflict of guid resolved now: a version made
 * from the local one arrived, so another site's operator settled it. */
int store_conflicts_resolve(struct store *st, const char *guid,
    struct sp_error *err);

#endif
