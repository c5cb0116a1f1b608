/* peers.h: the registered peers as a list (registering and their keys are
 * in store/site.h). This is the store interface; both backends implement
 * it (store/sqlite/peers.c, store/pg/peers_pg.c), and store/site_peers.c
 * picks. */
#ifndef SYNCPACK_STORE_PEERS_H
#define SYNCPACK_STORE_PEERS_H

#include <stddef.h>
#include <stdlib.h>

#include "util/error.h"
#include "store/site.h"

struct store_peer {
	char *site;	/* owned: the peer's site id */
	char *url;	/* owned: its mailbox (syncadm peer add --url); NULL */
	char *added;	/* owned: when it was first registered (ISO 8601 UTC) */
};

/* Every registered peer, by site id, read in full before the call returns
 * so that the caller may write to the site while it walks them (a spoke
 * has exactly one, the hub). Free *peers with store_peers_free, also when
 * *count is 0. */
SP_MUST_CHECK
int store_peers(struct site *s, struct store_peer **peers, size_t *count,
    struct sp_error *err);

static inline void
store_peers_free(struct store_peer *peers, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		free(peers[i].site);
		free(peers[i].url);
		free(peers[i].added);
	}
	free(peers);
}

#endif
