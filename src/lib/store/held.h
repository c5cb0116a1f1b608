/* held.h: incoming records held back until their reason is gone (a
 * missing parent, a lock, a column or table not here yet), kept with the
 * record's exchange-file line so that it can be applied again as sent.
 *
 * Whether a record is held, and when it is released, is decided in
 * sync/apply_record.c; these calls only keep the rows. Those taking a
 * struct store run per record inside an apply (store_begin_apply): the
 * backend keeps their statements prepared for the store's lifetime. */
#ifndef SYNCPACK_STORE_HELD_H
#define SYNCPACK_STORE_HELD_H

#include <stddef.h>

#include "util/error.h"
#include "store/site.h"
#include "store/store.h"

/* 1 when any record is held, 0 when none is, -1 on error. */
int store_held_any(struct site *s, struct sp_error *err);

/* Holds the version rowversion of guid (table), received from peer in
 * flow, as line (len bytes, its exchange-file line) for reason. A version
 * of guid already held is replaced unless it is newer than rowversion. */
int store_held_put(struct store *st, const char *guid, const char *table,
    const char *peer, long long flow, long long rowversion,
    const char *reason, const char *line, size_t len, struct sp_error *err);

/* Forgets the held version of guid if it is not newer than rowversion
 * (a version at least as new landed). */
int store_held_drop(struct store *st, const char *guid, long long rowversion,
    struct sp_error *err);

/* Called for each held record, oldest first, with its sender, flow and
 * line (NUL-terminated), all borrowed for the call. Non-zero stops. */
typedef int (*store_held_cb)(void *ctx, const char *guid, const char *peer,
    long long flow, const char *line, struct sp_error *err);

/* Calls cb for every held record; cb may put, drop and release held
 * records meanwhile. Returns cb's non-zero value, or -1 on error. */
int store_held_each(struct store *st, store_held_cb cb, void *ctx,
    struct sp_error *err);

/* Forgets guid's held record, which was applied, and marks the protocol
 * rows that said it was held as released. */
int store_held_release(struct store *st, const char *guid,
    struct sp_error *err);

#endif
