/* status.h: the counts a site's status (sync/status.c) is made of: per peer
 * what was exchanged, what is held or rejected, the incoming files that
 * failed, and how often files from it are expected. What waits to be sent
 * is sync/pack_waiting.c's, and the verdict drawn from them all
 * sync/status.c's. This is the store interface; store/facets_*.c passes
 * each call to the site's backend, store/sqlite/status.c or
 * store/pg/status_pg.c. */
#ifndef SYNCPACK_STORE_STATUS_H
#define SYNCPACK_STORE_STATUS_H

#include "util/error.h"
#include "store/site.h"

/* One peer's state; the strings are borrowed for the callback. */
struct store_peer_status {
	const char *peer;
	const char *last_sent;		/* times, or NULL for never */
	const char *last_received;
	const char *last_acked;
	const char *added;		/* when peer add registered it */
	long long expect;	/* seconds a file from it may take; 0 never */
	long long held;		/* records from the peer held here */
	long long conflicts;	/* unresolved conflicts with the peer */
	/* Rejections the peer reported that still stand: the record has not
	 * changed here since the flow that carried it. */
	long long rejections;
	/* Incoming files from the peer refused, failed or left running that
	 * no later file from it has made up for by being applied. */
	long long failed;
	/* Data files to the peer its operator refused that no later file
	 * to it, acknowledged, has made up for. */
	long long refused;
};

/* Called for each peer; a non-zero return (err set) stops the listing,
 * which then returns -1. */
typedef int (*store_peer_status_cb)(void *ctx,
    const struct store_peer_status *p, struct sp_error *err);

/* Every registered peer by id, with its counts; 0, or -1 on error. */
SP_MUST_CHECK
int store_status_peers(struct site *s, store_peer_status_cb cb,
    void *ctx, struct sp_error *err);

#endif
