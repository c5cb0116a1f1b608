/* transfers.h: the hops of moved records (syncpack_transfer): which record
 * went from which site to which in what flow, and how the move ended (in
 * transit, done, refused), as reported in acknowledgements so that the hub
 * holds every record's history. When a move is done or refused is decided
 * in sync/ack.c. This is the store interface; store/facets_*.c passes each
 * call to the site's backend, store/sqlite/transfers.c or
 * store/pg/transfers_pg.c. */
#ifndef SYNCPACK_STORE_TRANSFERS_H
#define SYNCPACK_STORE_TRANSFERS_H

#include <stddef.h>

#include "util/error.h"
#include "store/site.h"

/* Called with one hop as a JSON object on one line (guid, table, from, to,
 * flow, at, state), borrowed for the call; non-zero stops the walk, which
 * then returns -1 (the callback sets err). */
typedef int (*store_transfer_cb)(void *ctx, const char *line,
    struct sp_error *err);

/* Walks the hops not yet reported, oldest first. */
SP_MUST_CHECK
int store_transfers_unreported(struct site *s, store_transfer_cb cb,
    void *ctx, struct sp_error *err);

/* Marks every hop reported. */
SP_MUST_CHECK
int store_transfers_reported(struct site *s, struct sp_error *err);

/* Keeps the hop a peer reported in line (len bytes, a JSON object as
 * store_transfers_unreported gives them), as reported, replacing what was
 * known of it: 0 when kept or when it lacks guid, from or to (ignored), 1
 * when line could not be taken (err not set), -1 on error. */
SP_MUST_CHECK
int store_transfer_merge(struct site *s, const char *line, size_t len,
    struct sp_error *err);

/* The moves from this site to peer in flows 1 to upto that are in
 * transit and that peer's protocol for the flow upto says were rejected:
 * their records are no longer marked as leaving (flag 2) and the hops
 * become refused, to be reported again. */
SP_MUST_CHECK
int store_transfers_refuse(struct site *s, const char *peer, long long upto,
    struct sp_error *err);

/* Called with the guid of a record in transit, borrowed for the call; it
 * may call store_move_complete on it. Non-zero stops the walk, which then
 * returns -1 (the callback sets err). */
typedef int (*store_transit_cb)(void *ctx, const char *guid,
    struct sp_error *err);

/* Walks the records still here that are in transit from this site to
 * peer in flows 1 to upto. */
SP_MUST_CHECK
int store_transfers_in_transit(struct site *s, const char *peer,
    long long upto, store_transit_cb cb, void *ctx, struct sp_error *err);

/* The move of guid to peer is done: its row and its metadata leave this
 * site, without a tombstone (only inside store_begin_apply, whose capture
 * triggers are off), and its hops from this site to peer in transit
 * become done, to be reported again. */
SP_MUST_CHECK
int store_move_complete(struct site *s, const char *guid, const char *peer,
    struct sp_error *err);

#endif
