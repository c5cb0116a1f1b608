/* apply_merge.c: identity merge (syncpack(7), Keys): two records that two
 * sites created with one natural key before they exchanged become one,
 * the same at every site: the GUID that sorts first (the first created)
 * keeps the identity, the values are the later write's, and the other
 * GUID stays as a tombstone marked as merged into it, through which
 * versions of it still on their way, and references to it, reach the
 * record that took its place. */
#include <stdio.h>
#include <string.h>

#include "sync/apply_record.h"

/* Merges chain when a winner later meets a third record; a bound keeps
 * a damaged chain (a loop) from running forever. */
#define MERGE_HOPS 16

int
lookup_resolved(struct apply_ctx *ac, const char *guid,
    struct store_record *rec, json_t **row, int *via, struct sp_error *err)
{
	char next[sizeof(rec->guid)];
	int found, hops = 0;

	*via = 0;
	snprintf(next, sizeof(next), "%s", guid);
	for (;;) {
		found = store_lookup(ac->store, next, rec, row, err);
		if (found <= 0 || !rec->deleted || rec->merged[0] == '\0' ||
		    hops++ == MERGE_HOPS)
			return found;
		if (row != NULL) {
			json_decref(*row);
			*row = NULL;
		}
		snprintf(next, sizeof(next), "%s", rec->merged);
		*via = 1;
	}
}

int
merged_wins(struct apply_ctx *ac, const struct policy_entry *p,
    const struct store_record *local, const struct store_record *in)
{
	int wins = incoming_wins(ac, p, local, in);

	/* An operator could not keep the versions of two records merged
	 * into one apart: under a manual policy, the later write. */
	if (wins >= 0)
		return wins;
	if (in->deleted || local->deleted)
		return newer(in->hlc, in->hlc_site, local->hlc, local->hlc_site);
	return values_newer(in, local);
}

void
readdressed_version(struct store_record *rec, const struct store_record *local)
{
	/* Made here against the local version, so that it goes to every
	 * peer, the sender included, and is the next version of the local
	 * one wherever that is. */
	if (rec->rowversion < local->rowversion)
		rec->rowversion = local->rowversion;
	rec->rowversion++;
	rec->base = local->rowversion;
	rec->base_hlc = local->hlc;
	snprintf(rec->base_site, sizeof(rec->base_site), "%s", local->hlc_site);
	rec->src[0] = '\0';
}

int
readdress(struct apply_ctx *ac, struct wire_record *w, struct sp_error *err)
{
	struct store_record winner;
	int via, found = lookup_resolved(ac, w->rec.guid, &winner, NULL, &via,
	    err);

	if (found < 0)
		return -1;
	if (!found || !via)
		return 0;
	snprintf(w->rec.guid, sizeof(w->rec.guid), "%s", winner.guid);
	return 1;
}

/* Writes the merged record: rec's metadata, row's values. A write the
 * database refuses (another UNIQUE column) leaves everything as it was
 * and returns 1. */
static int
write_merged(struct apply_ctx *ac, const struct store_record *loser,
    const char *winner, const struct store_record *rec, json_t *row,
    const struct store_record *restamp_against, char *reason, size_t rlen,
    struct sp_error *err)
{
	struct sp_error werr;

	if (store_record_savepoint(ac->store, err) != 0)
		return -1;
	if (store_merge(ac->store, loser, winner, &werr) != 0 ||
	    (row != NULL && store_upsert(ac->store, rec, row, &werr) != 0) ||
	    (restamp_against != NULL && store_restamp(ac->store, winner,
	    restamp_against, 0, &werr) != 0)) {
		/* Refused as write_incoming refuses a write: the record
		 * is rejected, the rest of the file applies. */
		snprintf(reason, rlen, "%.500s", werr.msg);
		if (store_record_rollback(ac->store, err) != 0 ||
		    store_record_release(ac->store, err) != 0)
			return -1;
		return 1;
	}
	return store_record_release(ac->store, err);
}

int
merge_identity(struct apply_ctx *ac, const struct policy_entry *p,
    struct wire_record *w, enum apply_outcome *o, char *reason, size_t rlen,
    struct sp_error *err)
{
	struct store_record h, rec;
	json_t *hrow = NULL;
	const char *winner;
	int r, in_wins, in_keeps;

	if (w->rec.deleted || w->move)
		return 0;
	if (strcmp(p->t.key, "local") == 0)
		return 0;	/* renumbered per site: never the same key */
	r = store_lookup_ref(ac->store, p->t.name, p->t.pk, w->columns, &h,
	    err);
	if (r <= 0 || h.deleted || strcmp(h.guid, w->rec.guid) == 0)
		return r < 0 ? -1 : 0;	/* another UNIQUE column clashed */
	if (ac->any_lock && (r = store_locked(ac->store, p->t.name, h.guid,
	    err)) != 0)
		return r < 0 ? -1 : 0;
	if ((r = store_lookup(ac->store, h.guid, &h, &hrow, err)) <= 0 ||
	    hrow == NULL)
		return r < 0 ? -1 : 0;
	/* The values as for any concurrent change of one record; the same
	 * write on both sides (a change of the merged record that came back
	 * under the other GUID) is taken as it comes, with no new stamp. */
	in_wins = merged_wins(ac, p, &h, &w->rec) ||
	    (!values_newer(&h, &w->rec) && !values_newer(&w->rec, &h));
	in_keeps = strcmp(w->rec.guid, h.guid) < 0;
	winner = in_keeps ? w->rec.guid : h.guid;
	if (in_keeps) {
		/* The row here takes the incoming identity; stamped as changed
		 * here when its own values stay. */
		rec = w->rec;
		snprintf(rec.src, sizeof(rec.src), "%s", ac->peer);
		rec.flags = 0;
		r = write_merged(ac, &h, winner, &rec, in_wins ? w->columns : hrow,
		    in_wins ? NULL : &h, reason, rlen, err);
	} else {
		/* The incoming GUID becomes a name of the local record, which
		 * goes to every peer, the sender included. */
		rec = h;
		rec.values_hlc = w->rec.values_hlc;
		snprintf(rec.values_site, sizeof(rec.values_site), "%s",
		    w->rec.values_site);
		r = write_merged(ac, &w->rec, winner, &rec, in_wins ? w->columns :
		    NULL, &w->rec, reason, rlen, err);
	}
	json_decref(hrow);
	if (r != 0)
		return r < 0 ? -1 : 0;
	*o = in_wins ? OUTCOME_CONFLICT_WON : OUTCOME_CONFLICT_LOST;
	snprintf(reason, rlen, "the same key as %s: %s merged into %s, the %s "
	    "values kept (%s)", h.guid, in_keeps ? h.guid : w->rec.guid, winner,
	    in_wins ? "incoming" : "local", p->t.conflict);
	return 1;
}
