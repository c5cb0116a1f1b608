/* apply_delete.c: deletes decided apart from the rest of a record's
 * decision: a version arriving for a record whose tombstone was purged
 * here, and deletes set aside until the end of their file (apply.c
 * decides those). */
#include <stdio.h>
#include <string.h>

#include "store/deferred.h"
#include "sync/apply_record.h"
#include "util/clock.h"

/* A version of a record unknown here whose tombstone was purged (a site
 * restored from an older backup sends it): if the delete is the later of
 * the two, it is stamped again past the incoming version and goes back to
 * every peer, the sender included; returns 1 then. A later version wins
 * over the delete, as it would have with the tombstone still here. */
int
deleted_before(struct apply_ctx *ac, const struct wire_record *w,
    char *reason, size_t rlen, struct sp_error *err)
{
	struct store_record rec;
	int r, later;

	memset(&rec, 0, sizeof(rec));
	r = store_purged_take(ac->store, w->rec.guid, &rec, err);
	if (r <= 0)
		return r;
	snprintf(rec.guid, sizeof(rec.guid), "%s", w->rec.guid);
	snprintf(rec.table, sizeof(rec.table), "%s", w->rec.table);
	later = newer(rec.hlc, rec.hlc_site, w->rec.hlc, w->rec.hlc_site);
	if (!later)
		return 0;
	/* The delete again, made against the incoming version. */
	if (w->rec.rowversion > rec.rowversion)
		rec.rowversion = w->rec.rowversion;
	rec.rowversion++;
	rec.hlc = clock_past_hlc(rec.hlc, w->rec.hlc);
	snprintf(rec.hlc_site, sizeof(rec.hlc_site), "%s", ac->site->id);
	rec.base = w->rec.rowversion;
	rec.base_hlc = w->rec.hlc;
	snprintf(rec.base_site, sizeof(rec.base_site), "%s", w->rec.hlc_site);
	rec.deleted = 1;
	if (store_tombstone(ac->store, &rec, err) != 0)
		return -1;
	snprintf(reason, rlen, "deleted here later (its tombstone was purged); "
	    "the delete goes back");
	return 1;
}

/* Keeps an incoming delete aside until the end of the file: children
 * deleted later in the same file (they come after their parents) must not
 * keep the parent alive. */
int
defer_delete(struct apply_ctx *ac, const char *line, size_t len,
    struct sp_error *err)
{
	if (store_deferred_put(ac->store, line, len, err) != 0)
		return -1;
	ac->ndeferred++;
	return 0;
}
