/* routing.c: which records go to which peer (routing.h). */
#include <string.h>

#include "sync/routing.h"

int
routing_sends(const struct site *s, const struct tracked_table *t,
    const struct store_record *rec, const char *peer, long long acked)
{
	if (t->movable)
		return 0;	/* movable records travel as moves only */
	/* Never echoed to the site it came from, unless the hub sends a
	 * spoke everything from 0 (new, or restored from a backup: it may
	 * lack them), or the version was held here first (flag 16: the
	 * sender may have another since). */
	if (rec->src[0] && strcmp(rec->src, peer) == 0 &&
	    (acked > 0 || !s->hub) && !(rec->flags & 16))
		return 0;
	if (!s->hub)
		/* A spoke sends central data only to bring back a record
		 * whose delete lost here (syncpack(7)). */
		return strcmp(t->owner, "central") != 0 || (rec->flags & 8);
	if (strcmp(t->route, "none") == 0)
		/* Upload only: the hub sends nothing down, except to a spoke
		 * it sends everything from 0 (restored from a backup): its own
		 * records, whose versions here may be later than the ones it
		 * was restored with (syncpack(7)). */
		return acked <= 0 && strcmp(rec->owner, peer) == 0;
	return strcmp(t->route, "owner") != 0 ||
	    strcmp(rec->owner, peer) == 0;
}

int
routing_packs_now(const struct site *s, const struct tracked_table *t,
    const struct store_record *rec, const char *peer, long long acked)
{
	if (rec->locked || (rec->flags & 2))
		return 0;
	return routing_sends(s, t, rec, peer, acked);
}
