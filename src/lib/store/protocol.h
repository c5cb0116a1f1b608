/* protocol.h: what an apply records about the records of an incoming
 * flow: the protocol of outcomes other than applied, the moves done and
 * the moves asked for.
 *
 * The outcomes themselves are decided in sync/apply_record.c. */
#ifndef SYNCPACK_STORE_PROTOCOL_H
#define SYNCPACK_STORE_PROTOCOL_H

#include "util/error.h"
#include "store/site.h"
#include "store/store.h"

/* Records outcome (its name, apply_outcome_name) for guid (table) of
 * peer's flow, with reason (NULL or "": none), replacing what the same
 * flow said of guid before. Runs per record inside an apply; the backend
 * keeps the statement prepared. */
int store_protocol_note(struct store *st, const char *peer, long long flow,
    const char *guid, const char *table, const char *outcome,
    const char *reason, struct sp_error *err);

/* Records that guid (table) moved here from peer in flow, now, as done. */
int store_transfer_done(struct store *st, const char *guid,
    const char *table, const char *peer, long long flow,
    struct sp_error *err);

/* Records that peer asks for guid (table, any case) to be moved to it,
 * replacing an earlier request for guid; a pack answers it. */
int store_move_requested(struct site *s, const char *guid, const char *table,
    const char *peer, struct sp_error *err);

#endif
