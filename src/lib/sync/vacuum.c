/* vacuum.c: which tombstones may be purged, and for how long a purged
 * delete is remembered. */
#include "sync/vacuum.h"
#include "store/flows.h"
#include "store/tx.h"
#include "store/vacuum.h"

int
site_vacuum(struct site *s, long long *purged, struct sp_error *err)
{
	long long mark, n = 0;
	int r;

	/* A tombstone can go once every peer has acknowledged an lseq past
	 * it: no peer will need the delete again, unless restored from an
	 * older backup; syncpack_purged remembers it for that. A site
	 * without peers keeps them all. */
	/* A tombstone in an open conflict stays: the operator may keep the
	 * other side, which needs the record (store_tombstones_purge). */
	if ((r = store_peers_min_mark(s, &mark, err)) < 0 ||
	    (r == 1 && store_tombstones_purge(s, mark, &n, err) != 0) ||
	    store_purged_expire(s, STORE_PURGED_DAYS, err) != 0)
		return -1;
	if (purged != NULL)
		*purged = n;
	return 0;
}

int
site_vacuum_alone(struct site *s, long long *purged, struct sp_error *err)
{
	/* The write lock first: an apply or a fold in between would see a
	 * tombstone already remembered as purged, or revive one. */
	if (store_tx_begin(s, err) != 0)
		return -1;
	if (site_vacuum(s, purged, err) != 0 || store_tx_commit(s, err) != 0) {
		store_tx_rollback(s);
		return -1;
	}
	return 0;
}
