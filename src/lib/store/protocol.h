/* protocol.h: what an apply records about the records of an incoming
 * flow: the protocol of outcomes other than applied, the moves done and
 * the moves asked for; the protocol as acknowledgements carry it both
 * ways, and the freezing of acknowledged records of --freeze tables.
 *
 * The outcomes themselves are decided in sync/apply_record.c, when
 * records freeze in sync/ack.c. */
#ifndef SYNCPACK_STORE_PROTOCOL_H
#define SYNCPACK_STORE_PROTOCOL_H

#include <jansson.h>

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

/* The protocol of the incoming flow f from peer, in the order it was
 * kept: a new JSON array of objects {guid, table, outcome} with "reason"
 * when one was given. NULL with err set on error. */
SP_MUST_CHECK
json_t *store_protocol_in(struct site *s, const char *peer, long long f,
    struct sp_error *err);

/* Keeps the protocol peer reported for the outgoing flow f: protocol is an
 * array of objects as store_protocol_in makes them, borrowed; an entry
 * already kept for the same record and flow is replaced, entries without
 * string guid, table and outcome are skipped, and anything but an array
 * keeps nothing. */
SP_MUST_CHECK
int store_protocol_save_out(struct site *s, const char *peer, long long f,
    json_t *protocol, struct sp_error *err);

/* Freezes (record flag 1) the live records of --freeze tables that peer
 * created and owns, except those with a version from peer held here. */
SP_MUST_CHECK
int store_freeze_from(struct site *s, const char *peer,
    struct sp_error *err);

/* Freezes the live records of --freeze tables owned by owner up to lseq
 * upto, except those that peer's protocol for the outgoing flow f says
 * were rejected or held. */
SP_MUST_CHECK
int store_freeze_acked(struct site *s, const char *owner, long long upto,
    const char *peer, long long f, struct sp_error *err);

#endif
