/* deferred.h: incoming deletes set aside until the end of the file they
 * came in, as scratch of one apply transaction: children deleted later in
 * the same file must not keep their parent alive.
 *
 * Which deletes wait and what becomes of them is decided in
 * sync/apply_record.c. Every call runs inside an apply
 * (store_begin_apply) on its store; what the transaction sets aside is
 * gone when it rolls back. */
#ifndef SYNCPACK_STORE_DEFERRED_H
#define SYNCPACK_STORE_DEFERRED_H

#include <stddef.h>

#include "util/error.h"
#include "store/store.h"

/* Sets line (len bytes, a delete's exchange-file line) aside. */
int store_deferred_put(struct store *st, const char *line, size_t len,
    struct sp_error *err);

/* Called for each delete set aside, in the order they were, with an id
 * for store_deferred_drop and the line (len bytes), borrowed for the call.
 * Non-zero stops. */
typedef int (*store_deferred_cb)(void *ctx, long long id, const char *line,
    size_t len, struct sp_error *err);

/* Calls cb for every delete set aside; cb may put and drop meanwhile.
 * Returns cb's non-zero value, or -1 on error. */
int store_deferred_each(struct store *st, store_deferred_cb cb, void *ctx,
    struct sp_error *err);

/* Forgets the delete id, which was decided. */
int store_deferred_drop(struct store *st, long long id, struct sp_error *err);

#endif
