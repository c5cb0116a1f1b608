/* apply_decide.c: the order of versions and the decision for an incoming
 * record against the local one, before anything is written: ownership,
 * freeze, moves, ancestry, concurrency. Nothing here reads the store. */
#include <stdio.h>
#include <string.h>

#include "sync/apply_record.h"

/* (hlc, site) order: the newest change wins, the site id breaks ties. */
int
newer(long long hlc_a, const char *site_a, long long hlc_b,
    const char *site_b)
{
	if (hlc_a != hlc_b)
		return hlc_a > hlc_b;
	return strcmp(site_a, site_b) > 0;
}

/* Whether live version a holds a later write than live version b: the
 * stamps of the writes their values come from (a version kept alive
 * against a delete carries its values' own, syncpack(7)), then, for the
 * same write, the versions' stamps. */
int
values_newer(const struct store_record *a, const struct store_record *b)
{
	long long ha = a->values_hlc ? a->values_hlc : a->hlc;
	long long hb = b->values_hlc ? b->values_hlc : b->hlc;
	const char *sa = a->values_hlc ? a->values_site : a->hlc_site;
	const char *sb = b->values_hlc ? b->values_site : b->hlc_site;

	if (ha != hb || strcmp(sa, sb) != 0)
		return newer(ha, sa, hb, sb);
	return newer(a->hlc, a->hlc_site, b->hlc, b->hlc_site);
}

/* The local version holds older values stamped anew to keep the record
 * alive, and the incoming live version a later write: the two are
 * concurrent whatever their rowversions and stamps say, and the later
 * write wins (syncpack(7)). */
static int
outdates_kept_values(const struct store_record *in,
    const struct store_record *local)
{
	return !in->deleted && !local->deleted && local->values_hlc != 0 &&
	    values_newer(in, local) && !(in->rowversion == local->rowversion &&
	    in->hlc == local->hlc);
}

/* 1 when the incoming version wins a conflict under the table's policy;
 * -1 for the manual policy (nobody wins). Between two live versions,
 * last-writer-wins compares the writes their values come from. */
int
incoming_wins(struct apply_ctx *ac, const struct policy_entry *p,
    const struct store_record *local, const struct store_record *in)
{
	const char *policy = p->t.conflict;

	if (strcmp(policy, "manual") == 0)
		return -1;
	if (strcmp(policy, "hub") == 0)
		return !ac->site->hub;
	if (strcmp(policy, "owner") == 0) {
		int in_owner = strcmp(in->hlc_site, local->owner) == 0;
		int local_owner = strcmp(local->hlc_site, local->owner) == 0;
		if (in_owner != local_owner)
			return in_owner;
	}
	if (!in->deleted && !local->deleted)
		return values_newer(in, local);
	return newer(in->hlc, in->hlc_site, local->hlc, local->hlc_site);
}

/* Whether version v is the one that version of grew from: the same
 * rowversion and stamp, made at the same site where both say (sites at
 * the same HLC stamp, as two resolving a conflict in the same instant,
 * are told apart by it). */
int
is_base(const struct store_record *v, const struct store_record *of)
{
	return v->rowversion == of->base && v->hlc == of->base_hlc &&
	    (of->base_site[0] == '\0' || strcmp(v->hlc_site, of->base_site)
	    == 0);
}

/* The sender brought the record back because its delete lost there. */
int
revived(const struct wire_record *w)
{
	return json_is_true(json_object_get(w->root, "revived"));
}

/* A conflict between two live versions, one of them kept alive against a
 * delete (its values older than its stamp), settled for the one whose
 * values are the later write while the other has the later stamp: a site
 * that took the loser (or still holds the delete it beat) would keep it,
 * so the winner must be stamped past it, its values keeping their own
 * stamp (syncpack(7)). */
int
winner_needs_stamp(const struct store_record *winner,
    const struct store_record *loser)
{
	return !winner->deleted && !loser->deleted &&
	    (winner->values_hlc != 0 || loser->values_hlc != 0) &&
	    newer(loser->hlc, loser->hlc_site, winner->hlc, winner->hlc_site);
}

/* An incoming live version made against this site's own tombstone: the
 * delete made here lost elsewhere. */
int
undoes_local_delete(struct apply_ctx *ac, const struct wire_record *w,
    const struct store_record *local, int have_local)
{
	return have_local && local->deleted && !w->rec.deleted &&
	    strcmp(local->hlc_site, ac->site->id) == 0 &&
	    is_base(local, &w->rec);
}

enum apply_outcome
decide(struct apply_ctx *ac, const struct policy_entry *p,
    const struct wire_record *w, const struct store_record *local,
    int have_local, char *reason, size_t rlen)
{
	const struct store_record *in = &w->rec;

	if (w->move) {
		/* A move hands the record over: the sender owned it. */
		if (ac->refuse_moves) {
			snprintf(reason, rlen, "move refused here");
			return OUTCOME_REJECTED;
		}
		if (have_local && !local->deleted &&
		    local->rowversion == in->rowversion && local->hlc == in->hlc)
			return OUTCOME_DUPLICATE;
		/* The move again (its acknowledgement lost, or its sender
		 * restored from a backup) after this site changed the record:
		 * the change stays, and the acknowledgement ends the move. */
		if (have_local && !local->deleted &&
		    (in->rowversion < local->rowversion ||
		    (in->rowversion == local->rowversion && !newer(in->hlc,
		    in->hlc_site, local->hlc, local->hlc_site))))
			return OUTCOME_OLDER;
		return OUTCOME_APPLIED;
	}
	if (ac->site->hub && revived(w) && have_local && !local->deleted &&
	    (strcmp(p->t.owner, "central") == 0 ||
	    (strcmp(p->t.owner, "creator") == 0 &&
	    strcmp(local->owner, ac->peer) != 0)))
		/* Brought back here already; the hub's version goes out. */
		return OUTCOME_OLDER;
	if (ac->site->hub && !(revived(w) && (!have_local || local->deleted))) {
		/* The hub checks that the sending spoke may make the change;
		 * bringing back a record whose delete lost (syncpack(7)) is
		 * not a change of it. */
		const char *owner = have_local ? local->owner : in->owner;
		if (strcmp(p->t.owner, "central") == 0) {
			snprintf(reason, rlen, "%s is a central table: only the "
			    "hub may change it", p->t.name);
			return OUTCOME_REJECTED;
		}
		if (strcmp(p->t.owner, "creator") == 0 &&
		    strcmp(owner, ac->peer) != 0) {
			snprintf(reason, rlen, "record owned by %s, not %s", owner,
			    ac->peer);
			return OUTCOME_REJECTED;
		}
		if (have_local && p->t.freeze && (local->flags & 1) &&
		    !(local->rowversion == in->rowversion &&
		    local->hlc == in->hlc)) {
			snprintf(reason, rlen, "record is frozen: the hub has "
			    "acknowledged it");
			return OUTCOME_REJECTED;
		}
	}
	if (!have_local)
		/* A superseded file cannot prove a record unknown here is new
		 * (its tombstone may have been purged): nothing older lands. */
		return ac->superseded ? OUTCOME_OLDER : OUTCOME_APPLIED;
	if (local->rowversion == in->rowversion && local->hlc == in->hlc &&
	    strcmp(local->hlc_site, in->hlc_site) == 0 &&
	    local->deleted == in->deleted)
		return OUTCOME_DUPLICATE;
	if (local->deleted && in->deleted)
		/* Two deletes agree: the later stamp is kept, no conflict. */
		return newer(in->hlc, in->hlc_site, local->hlc, local->hlc_site)
		    ? OUTCOME_APPLIED : OUTCOME_OLDER;
	if (ac->readdressed)
		/* A version of a record merged into the local one: its
		 * rowversions count another record's changes, only the
		 * stamps compare (apply_merge.c). */
		return OUTCOME_CONFLICT_LOST;
	/* The version the local one grew from, or one before it; a version
	 * received and not changed here stands for its own ancestors. */
	if (!outdates_kept_values(in, local) && (is_base(in, local) ||
	    (in->rowversion < local->base && in->hlc <= local->base_hlc) ||
	    (local->src[0] && in->rowversion < local->rowversion &&
	    in->hlc <= local->hlc)))
		return OUTCOME_OLDER;
	/* The local version is the one the sender's change grew from, or
	 * came from the sender and was not changed here since. */
	if (is_base(local, in) &&
	    in->rowversion > local->rowversion)
		return OUTCOME_APPLIED;
	if (strcmp(local->src, ac->peer) == 0) {
		if (in->rowversion < local->rowversion)
			return OUTCOME_OLDER;
		if (in->rowversion > local->rowversion)
			return OUTCOME_APPLIED;
	}
	return OUTCOME_CONFLICT_LOST;	/* settled by the caller's policy */
}
