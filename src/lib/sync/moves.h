/* moves.h: putting records in transit to a peer before a pack carries
 * them: those --move names, with the records of movable tables that refer
 * to them, and at the hub those a spoke asked for (syncpack(7), "Moving
 * records"). */
#ifndef SYNCPACK_MOVES_H
#define SYNCPACK_MOVES_H

#include "util/error.h"
#include "store/site.h"
#include "sync/pack.h"

/* In one write transaction: puts the records moves names (nmoves of them)
 * in transit to peer, and at the hub the records peer asked for that are
 * here, marking those requests answered. All or nothing. */
SP_MUST_CHECK
int moves_mark(struct site *s, const char *peer,
    const struct pack_ref *moves, int nmoves, struct sp_error *err);

#endif
