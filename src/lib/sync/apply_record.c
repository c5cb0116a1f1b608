/* apply_record.c: the decision for one incoming record: ownership,
 * locks, versions, conflicts by policy, parents, schema; then the write.
 * The order of versions is apply_decide.c's, the deletes decided apart
 * apply_delete.c's, whether a version can be written here
 * apply_parents.c's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/conflicts.h"
#include "store/held.h"
#include "store/locks.h"
#include "store/protocol.h"
#include "sync/apply_record.h"
#include "sync/track.h"

const char *
apply_outcome_name(enum apply_outcome o)
{
	static const char *const names[] = {
		"applied", "duplicate", "older", "conflict-won",
		"conflict-lost", "conflict-kept", "rejected", "held",
		"deferred",
	};

	return names[o];
}

/* 1 when the incoming version lacks a column this site's table has (the
 * sender's schema is older); the rowversion column does not count. */
static int
lacks_columns(const struct policy_entry *e, const struct wire_record *w)
{
	char rvcol[300];

	snprintf(rvcol, sizeof(rvcol), "%s_rowversion", e->t.name);
	for (int i = 0; i < e->ncolumns; i++)
		if (json_object_get(w->columns, e->columns[i]) == NULL &&
		    !(e->t.rowversion_column && strcmp(e->columns[i], rvcol) == 0))
			return 1;
	return 0;
}

int
apply_ctx_init(struct apply_ctx *ac, struct site *s, struct sp_error *err)
{
	memset(ac, 0, sizeof(*ac));
	ac->site = s;
	/* Only a hint to skip per-record look-ups: when the answer is not
	 * known, they are made. */
	ac->any_held = store_held_any(s, NULL) != 0;
	ac->any_lock = store_locks_any(s, NULL) != 0;
	ac->policies = calloc(1, sizeof(*ac->policies));
	if (ac->policies == NULL)
		return sp_error_set(err, "out of memory");
	ac->store = store_open(s, err);
	if (ac->store == NULL) {
		free(ac->policies);
		ac->policies = NULL;
		return -1;
	}
	return 0;
}

void
apply_ctx_free(struct apply_ctx *ac)
{
	if (ac->store != NULL)
		store_close(ac->store);
	policy_cache_free(ac->policies);
	memset(ac, 0, sizeof(*ac));
}

/* 1 when the record is reserved here, 0 when not, -1 on error. */
static int
record_locked(struct apply_ctx *ac, const char *table, const char *guid,
    struct sp_error *err)
{
	if (!ac->any_lock)
		return 0;
	return store_locked(ac->store, table, guid, err);
}

static int
save_protocol(struct apply_ctx *ac, const struct wire_record *w,
    enum apply_outcome o, const char *reason, struct sp_error *err)
{
	return store_protocol_note(ac->store, ac->peer, ac->flow, w->rec.guid,
	    w->rec.table, apply_outcome_name(o), reason, err);
}

static int
save_held(struct apply_ctx *ac, const struct wire_record *w,
    const char *line, size_t len, const char *reason, struct sp_error *err)
{
	int rc = store_held_put(ac->store, w->rec.guid, w->rec.table, ac->peer,
	    ac->flow, w->rec.rowversion, reason, line, len, err);

	ac->any_held = 1;
	return rc;
}

static int
drop_held(struct apply_ctx *ac, const struct wire_record *w,
    struct sp_error *err)
{
	if (!ac->any_held)
		return 0;
	return store_held_drop(ac->store, w->rec.guid, w->rec.rowversion, err);
}

static int
save_conflict(struct apply_ctx *ac, const struct wire_record *w,
    const char *line, size_t len, struct sp_error *err)
{
	struct store_record local;
	json_t *row = NULL;
	char *local_text = NULL;
	int r;

	if (store_lookup(ac->store, w->rec.guid, &local, &row, err) < 0)
		return -1;
	if (row != NULL) {
		json_t *o = wire_record_build(&local, row, NULL);
		local_text = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		json_decref(row);
		if (local_text == NULL)
			return sp_error_set(err, "%s: cannot encode the local "
			    "version of %s", ac->site->path, w->rec.guid);
	}
	r = store_conflict_put(ac->store, w->rec.guid, w->rec.table, ac->peer,
	    ac->flow, local_text, line, len, err);
	free(local_text);
	return r;
}

/* Writes the incoming version inside a savepoint, so that a constraint
 * failure on this record leaves the rest of the file applying. Returns 1
 * and sets reason when the write was refused, 2 when because its primary
 * key is another row's. */
static int
write_incoming(struct apply_ctx *ac, struct wire_record *w,
    const struct store_record *local, int have_local, char *reason,
    size_t rlen, struct sp_error *err)
{
	struct store_record rec = w->rec;
	struct sp_error werr;
	int r;

	/* The version keeps the one it was made against, so that a site
	 * relaying it tells its next receivers where it comes from. */
	snprintf(rec.src, sizeof(rec.src), "%s", ac->peer);
	if (ac->site->hub && have_local && !w->move &&
	    rec.rowversion <= local->rowversion) {
		/* A concurrent change that won against a version with more
		 * changes behind it: the hub's copy moves on past both, so that
		 * spokes holding the loser see a newer version, and goes to
		 * the sender too, whose version it grew from (base). */
		rec.rowversion = local->rowversion + 1;
		rec.base = w->rec.rowversion;
		rec.base_hlc = w->rec.hlc;
		snprintf(rec.base_site, sizeof(rec.base_site), "%s",
		    w->rec.hlc_site);
		rec.src[0] = '\0';
	}
	if (ac->readdressed && have_local)
		readdressed_version(&rec, local);
	/* A moved record arrives writable: it lives here now. */
	rec.flags = w->move ? 0 : have_local ? local->flags & ~(8 | 16) : 0;
	/* Held here for a while, the version may since have been passed at
	 * its sender by one this site sent it (a spoke restored from a
	 * backup gets the hub's copy): it goes back to the sender too, which
	 * skips it when it holds it already. */
	if (ac->releasing)
		rec.flags |= 16;
	if (store_record_savepoint(ac->store, err) != 0)
		return -1;
	r = rec.deleted ? store_tombstone(ac->store, &rec, &werr)
	    : store_upsert(ac->store, &rec, w->columns, &werr);
	if (r != 0) {
		snprintf(reason, rlen, "%.500s", werr.msg);
		if (store_record_rollback(ac->store, err) != 0 ||
		    store_record_release(ac->store, err) != 0)
			return -1;
		return werr.kind == SP_ERR_KEY_TAKEN ? 2 : 1;
	}
	return store_record_release(ac->store, err);
}

/* 1 when mine is the value of column col of the parent record guid here
 * (a column of a composite reference), 0 when not, -1 on error. */
static int
holds_parent_column(struct apply_ctx *ac, json_t *guid, const char *col,
    json_t *mine, struct sp_error *err)
{
	struct store_record parent;
	json_t *prow = NULL, *theirs;
	int via, found = lookup_resolved(ac, json_string_value(guid), &parent,
	    &prow, &via, err);

	if (found <= 0 || prow == NULL)
		return found < 0 ? -1 : 0;
	theirs = json_object_get(prow, col);
	found = theirs != NULL && json_equal(mine, theirs) &&
	    json_typeof(mine) == json_typeof(theirs);
	json_decref(prow);
	return found;
}

/* 1 when the incoming upsert holds the values of the local row, with
 * references to the same parents; 0 when not (or either is a delete);
 * -1 on error. The local key and the rowversion column do not count. */
static int
same_content(struct apply_ctx *ac, const struct policy_entry *p,
    const struct wire_record *w, struct sp_error *err)
{
	struct store_record local;
	json_t *row = NULL, *v;
	const char *col;
	size_t n = 0, nlocal;
	int found, same = 1;
	char rvcol[300];

	if (w->rec.deleted)
		return 0;
	found = store_lookup(ac->store, w->rec.guid, &local, &row, err);
	if (found < 0)
		return -1;
	if (row == NULL)
		return 0;
	snprintf(rvcol, sizeof(rvcol), "%s_rowversion", p->t.name);
	nlocal = json_object_size(row);
	json_object_foreach(w->columns, col, v) {
		json_t *ref = w->fk ? json_object_get(w->fk, col) : NULL;
		json_t *mine = json_object_get(row, col);

		if (mine == NULL) {
			same = 0;
			break;
		}
		n++;
		if ((strcmp(p->t.key, "local") == 0 && strcmp(col, p->t.pk) == 0)
		    || (p->t.rowversion_column && strcmp(col, rvcol) == 0))
			continue;
		if (ref != NULL) {
			struct store_record parent;
			json_t *t = json_object_get(ref, "table");
			json_t *g = json_object_get(ref, "guid");
			if (json_is_null(mine) || !json_is_string(t) ||
			    !json_is_string(g)) {
				same = 0;
				break;
			}
			if (json_is_string(json_object_get(ref, "column")))
				found = holds_parent_column(ac, g, json_string_value(
				    json_object_get(ref, "column")), mine, err);
			else if ((found = store_lookup_key(ac->store,
			    json_string_value(t), mine, &parent, err)) > 0)
				found = strcmp(parent.guid, json_string_value(g))
				    == 0;
			if (found < 0) {
				json_decref(row);
				return -1;
			}
			if (!found) {
				same = 0;
				break;
			}
			continue;
		}
		if (!json_equal(mine, v) || json_typeof(mine) != json_typeof(v)) {
			same = 0;
			break;
		}
	}
	json_decref(row);
	return same && n == nlocal;
}

int
apply_record(struct apply_ctx *ac, const char *line, size_t len,
    enum apply_outcome *outcome, struct sp_error *err)
{
	struct wire_record w;

	if (wire_record_parse(line, len, &w, err) != 0) {
		/* Nothing to identify it by: reported with a placeholder. */
		struct wire_record bad;
		char reason[512];
		snprintf(reason, sizeof(reason), "malformed record: %.480s", err->msg);
		memset(&bad, 0, sizeof(bad));
		snprintf(bad.rec.guid, sizeof(bad.rec.guid), "line-%lld",
		    ac->n.applied + ac->n.skipped + ac->n.conflict +
		    ac->n.rejected + ac->n.held + 1);
		strcpy(bad.rec.table, "?");
		ac->n.rejected++;
		*outcome = OUTCOME_REJECTED;
		return save_protocol(ac, &bad, OUTCOME_REJECTED, reason, err);
	}
	return apply_record_parsed(ac, &w, line, len, outcome, err);
}

int
apply_record_parsed(struct apply_ctx *ac, struct wire_record *wp,
    const char *line, size_t len, enum apply_outcome *outcome,
    struct sp_error *err)
{
	struct wire_record w = *wp;
	struct store_record local;
	struct policy_entry *p, pe;
	char reason[512] = "";
	enum apply_outcome o;
	int have_local = 0, merged = 0, ident, r, rc = -1;

	memset(wp, 0, sizeof(*wp));	/* owned here from now on */
	r = policy_find(ac, w.rec.table, &p, err);
	if (r < 0)
		goto cleanup;
	if (r == 0) {
		snprintf(reason, sizeof(reason), "table %s is not tracked here",
		    w.rec.table);
		o = OUTCOME_HELD;
		goto outcome;
	}
	if ((r = readdress(ac, &w, err)) < 0)
		goto cleanup;
	ac->readdressed = r;
	have_local = store_lookup(ac->store, w.rec.guid, &local, NULL, err);
	if (have_local < 0)
		goto cleanup;
	if (!have_local && !w.rec.deleted && !w.move && !revived(&w)) {
		r = deleted_before(ac, &w, reason, sizeof(reason), err);
		if (r < 0)
			goto cleanup;
		if (r > 0) {
			o = OUTCOME_CONFLICT_LOST;
			goto outcome;
		}
	}
	o = decide(ac, p, &w, &local, have_local, reason, sizeof(reason));
	if (o == OUTCOME_CONFLICT_LOST) {
		int wins = ac->readdressed ? merged_wins(ac, p, &local, &w.rec)
		    : incoming_wins(ac, p, &local, &w.rec);
		if (wins < 0) {
			/* Both sides hold the same content (one side of a
			 * conflict an operator resolved elsewhere): nothing for
			 * an operator; the newer stamp is kept. */
			r = same_content(ac, p, &w, err);
			if (r < 0)
				goto cleanup;
			if (r > 0)
				wins = newer(w.rec.hlc, w.rec.hlc_site, local.hlc,
				    local.hlc_site);
		}
		/* One an operator may keep must be writable here, or wait. */
		if (wins < 0 && !w.rec.deleted) {
			r = writable_here(ac, p, &w, &o, reason, sizeof(reason),
			    err);
			if (r < 0)
				goto cleanup;
			if (r > 0)
				goto outcome;
		}
		if (wins < 0) {
			o = OUTCOME_CONFLICT_KEPT;
			snprintf(reason, sizeof(reason), "concurrent change kept for "
			    "an operator (syncadm conflicts)");
			if (save_conflict(ac, &w, line, len, err) != 0)
				goto cleanup;
		} else if (wins) {
			o = OUTCOME_CONFLICT_WON;
			snprintf(reason, sizeof(reason), "concurrent change: the "
			    "incoming version won (%s)", p->t.conflict);
		} else
			snprintf(reason, sizeof(reason), "concurrent change: the "
			    "local version won (%s)", p->t.conflict);
	}
	if (o != OUTCOME_APPLIED && o != OUTCOME_CONFLICT_WON)
		goto outcome;
	if (have_local && !local.deleted) {
		r = record_locked(ac, w.rec.table, w.rec.guid, err);
		if (r < 0)
			goto cleanup;
		if (r > 0) {
			snprintf(reason, sizeof(reason), "record is locked here");
			o = OUTCOME_HELD;
			goto outcome;
		}
	}
	if (w.rec.deleted && have_local && !local.deleted) {
		/* A delete racing a new reference loses (syncpack(7)). */
		char by[256];
		r = store_referenced(ac->store, w.rec.guid, by, sizeof(by), err);
		if (r < 0)
			goto cleanup;
		if (r > 0 && ac->defer_deletes) {
			rc = ac->defer_deletes == 1 ? defer_delete(ac, line, len, err)
			    : 0;
			*outcome = OUTCOME_DEFERRED;
			goto cleanup;
		}
		if (r > 0) {
			if (store_restamp(ac->store, w.rec.guid, &w.rec, 1, err) != 0)
				goto cleanup;
			o = OUTCOME_CONFLICT_LOST;
			snprintf(reason, sizeof(reason), "delete lost: %s here "
			    "still refers to the record; kept and sent back", by);
			goto outcome;
		}
	}
	if (!w.rec.deleted) {
		/* Before writable_here, which may grow the policy cache that
		 * p points into. */
		merged = ac->site->hub && !w.move && lacks_columns(p, &w);
		pe = *p;	/* its strings stay where they are */
		r = writable_here(ac, p, &w, &o, reason, sizeof(reason), err);
		if (r < 0)
			goto cleanup;
		if (r > 0)
			goto outcome;
	}
	r = write_incoming(ac, &w, &local, have_local, reason, sizeof(reason),
	    err);
	if (r < 0)
		goto cleanup;
	if (r == 2 && ac->defer_deletes) {
		/* The key is another row's, which may take another key later
		 * in the file, or give this one up when records exchange keys
		 * (apply_deferred_in_txn): decided at the end. */
		rc = ac->defer_deletes == 1 ? defer_delete(ac, line, len, err)
		    : 0;
		*outcome = OUTCOME_DEFERRED;
		goto cleanup;
	}
	/* Final for the file: the key is another record's, created with it
	 * at another site before the two exchanged. */
	if (r == 2 && !ac->readdressed && (!have_local || local.deleted) &&
	    (ident = merge_identity(ac, &pe, &w, &o, reason, sizeof(reason),
	    err)) != 0) {
		if (ident < 0 || drop_held(ac, &w, err) != 0)
			goto cleanup;
		goto outcome;
	}
	if (r > 0) {
		o = OUTCOME_REJECTED;
		goto outcome;
	}
	if (o == OUTCOME_CONFLICT_WON && !merged && have_local &&
	    winner_needs_stamp(&w.rec, &local)) {
		/* The later write won against a version kept alive here with
		 * older values and a later stamp. */
		if (store_restamp(ac->store, w.rec.guid, &local, 1, err) != 0)
			goto cleanup;
		snprintf(reason, sizeof(reason), "concurrent change: the "
		    "incoming version won (%s); stamped past the one kept here",
		    p->t.conflict);
	}
	if (o == OUTCOME_APPLIED &&
	    undoes_local_delete(ac, &w, &local, have_local)) {
		o = OUTCOME_CONFLICT_WON;
		snprintf(reason, sizeof(reason), "the delete made here lost: "
		    "the record is still referenced at %s and came back",
		    w.rec.hlc_site);
	}
	if (drop_held(ac, &w, err) != 0)
		goto cleanup;
	if (merged) {
		/* A spoke whose schema lacks a column changed the record: the
		 * row keeps this site's value of that column, a merge no site
		 * holds yet. The hub stamps it as its own version, so that it
		 * reaches every spoke, the sender included once it has the
		 * column (it holds it until then). */
		if (store_restamp(ac->store, w.rec.guid, &w.rec, 0, err) != 0)
			goto cleanup;
	}
	/* A version made from the local one settles the conflicts kept here
	 * for the record: another site's operator resolved it. */
	if (have_local && is_base(&local, &w.rec) &&
	    store_conflicts_resolve(ac->store, w.rec.guid, err) != 0)
		goto cleanup;
	if (w.move && store_transfer_done(ac->store, w.rec.guid, w.rec.table,
	    ac->peer, ac->flow, err) != 0)
		goto cleanup;
outcome:
	if (o == OUTCOME_CONFLICT_LOST && have_local && !w.move &&
	    winner_needs_stamp(&local, &w.rec)) {
		/* The local version holds the later write; the incoming one,
		 * kept alive elsewhere, has the later stamp. */
		if (store_restamp(ac->store, w.rec.guid, &w.rec, 1, err) != 0)
			goto cleanup;
		snprintf(reason, sizeof(reason), "concurrent change: the local "
		    "version won (%s); stamped past the incoming one",
		    p->t.conflict);
	}
	if (ac->site->hub && have_local && !local.deleted && !w.move &&
	    (o == OUTCOME_REJECTED || (o == OUTCOME_OLDER && revived(&w))) &&
	    !is_base(&w.rec, &local)) {
		/* The sender keeps a version the hub did not take (a change
		 * made before it knew the record frozen, a second spoke
		 * bringing back a record another already did): the hub's
		 * version goes back to it past that one, so both hold the same
		 * again. Once per incoming version. */
		if (store_restamp(ac->store, w.rec.guid, &w.rec, 0, err) != 0)
			goto cleanup;
	}
	switch (o) {
	case OUTCOME_APPLIED: ac->n.applied++; break;
	case OUTCOME_DUPLICATE:
	case OUTCOME_OLDER: ac->n.skipped++; break;
	case OUTCOME_CONFLICT_WON: ac->n.applied++; ac->n.conflict++; break;
	case OUTCOME_CONFLICT_LOST:
	case OUTCOME_CONFLICT_KEPT: ac->n.conflict++; break;
	case OUTCOME_REJECTED: ac->n.rejected++; break;
	case OUTCOME_HELD: ac->n.held++; break;
	case OUTCOME_DEFERRED: break;
	}
	if (o == OUTCOME_HELD && save_held(ac, &w, line, len, reason, err) != 0)
		goto cleanup;
	if (o != OUTCOME_APPLIED && o != OUTCOME_DUPLICATE &&
	    o != OUTCOME_OLDER && save_protocol(ac, &w, o, reason, err) != 0)
		goto cleanup;
	*outcome = o;
	rc = 0;
cleanup:
	ac->readdressed = 0;
	wire_record_free(&w);
	return rc;
}
