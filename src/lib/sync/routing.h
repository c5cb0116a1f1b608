/* routing.h: which records go to which peer in regular data files, by
 * the table's policy (syncpack(7), "Tracked tables and their policies").
 * Moves are not routed: a movable table's records travel as moves only. */
#ifndef SYNCPACK_ROUTING_H
#define SYNCPACK_ROUTING_H

#include "store/site.h"
#include "store/tables.h"
#include "sxf/record.h"

/* Whether site s sends rec, a record of table t, to peer, whose
 * acknowledged mark is acked (0 or less: peer gets everything from 0,
 * being new or restored from a backup). Says nothing of the record's
 * state (locked, leaving): only of where its table's records go. */
int routing_sends(const struct site *s, const struct tracked_table *t,
    const struct store_record *rec, const char *peer, long long acked);

/* Whether the next data file to peer carries rec now: routing_sends, and
 * the record neither reserved (locked) nor leaving in a move, which wait
 * until they are released. */
int routing_packs_now(const struct site *s, const struct tracked_table *t,
    const struct store_record *rec, const char *peer, long long acked);

#endif
