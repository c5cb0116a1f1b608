/* moving.h: records leaving this site by a move: finding the record a
 * --move names, putting records in transit to a peer (syncpack_transfer,
 * flag 2), the records of movable tables that go along with a parent, and
 * the peers' requests for records to be moved to them. Which records move,
 * and when, is decided in sync/moves.c. This is the store interface;
 * store/facets_*.c passes each call to the site's backend,
 * store/sqlite/moving.c or store/pg/moving_pg.c. */
#ifndef SYNCPACK_STORE_MOVING_H
#define SYNCPACK_STORE_MOVING_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "util/error.h"
#include "store/site.h"

/* A list of GUIDs, each owned, as the calls below return them; free with
 * store_guids_free. */
struct store_guids {
	char **guid;
	int count;
};

static inline void
store_guids_free(struct store_guids *g)
{
	for (int i = 0; i < g->count; i++)
		free(g->guid[i]);
	free(g->guid);
	g->guid = NULL;
	g->count = 0;
}

/* 1 and fills guid with the record of the tracked table table_id (whose
 * key column is declared INTEGER when pk_integer) named by key: its GUID
 * (any case) when by_guid, else its local key; 0 when no live record
 * there has it; -1 on error. */
SP_MUST_CHECK
int store_move_find(struct site *s, long long table_id,
    int pk_integer, const char *key, int by_guid, char guid[33],
    struct sp_error *err);

/* The record's flags (0 for a record not known here) and, when one of its
 * hops is in transit, the site it goes to in to (tolen bytes, "" when
 * none). */
SP_MUST_CHECK
int store_move_state(struct site *s, const char *guid,
    int *flags, char *to, size_t tolen, struct sp_error *err);

/* Marks guid as leaving (flag 2) and records its hop from this site to
 * peer as in transit, stamped now, in no flow yet (0), replacing a hop of
 * the same flow there was. A record not known here is left alone. */
SP_MUST_CHECK
int store_move_start(struct site *s, const char *guid,
    const char *peer, struct sp_error *err);

/* The live records of tracked movable tables whose recorded foreign key
 * names guid's row (an intervention's lines), into *kids (emptied first).
 * None when guid is not a live record here. */
SP_MUST_CHECK
int store_move_children(struct site *s, const char *guid,
    struct store_guids *kids, struct sp_error *err);

/* The records peer asked for (syncpack_move_request) and has not been
 * answered about that are live here and not already leaving, into *guids
 * (emptied first), read in full before the call returns. */
SP_MUST_CHECK
int store_move_requests(struct site *s, const char *peer,
    struct store_guids *guids, struct sp_error *err);

/* Peer's request for guid is answered: it is not given again. */
SP_MUST_CHECK
int store_move_request_answered(struct site *s, const char *guid,
    const char *peer, struct sp_error *err);

/* The live records of table table_id in transit from this site to peer,
 * in lseq order, into *guids (emptied first). */
SP_MUST_CHECK
int store_moves_outgoing(struct site *s, const char *peer,
    long long table_id, struct store_guids *guids, struct sp_error *err);

/* Every record with a hop in transit to peer, from whichever site, into
 * *guids (emptied first), sorted by strcmp so that the caller can search
 * it: a pack reads them once rather than asking per record. */
SP_MUST_CHECK
int store_moves_in_transit_to(struct site *s, const char *peer,
    struct store_guids *guids, struct sp_error *err);

/* The hops from this site to peer in transit and in no flow yet now
 * belong to flow: the data file that carries them. */
SP_MUST_CHECK
int store_moves_set_flow(struct site *s, const char *peer,
    uint64_t flow, struct sp_error *err);

#endif
