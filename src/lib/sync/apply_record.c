/* apply_record.c: the decision for one incoming record: ownership,
 * locks, versions, conflicts by policy, parents, schema; then the write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync/apply.h"
#include "sync/track.h"

/* Policies and columns of the tracked tables, loaded once per apply. */
struct policy_entry {
	struct tracked_table t;
	char **columns;
	int ncolumns;
};

struct policy_cache {
	struct policy_entry *e;
	int n;
};

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

static void
policy_cache_free(struct policy_cache *pc)
{
	if (pc == NULL)
		return;
	for (int i = 0; i < pc->n; i++) {
		tracked_table_free(&pc->e[i].t);
		tracked_columns_free(pc->e[i].columns, pc->e[i].ncolumns);
	}
	free(pc->e);
	free(pc);
}

/* 1 and *out for a table tracked here, 0 when it is not, -1 on error. */
static int
policy_find(struct apply_ctx *ac, const char *table, struct policy_entry **out,
    struct sp_error *err)
{
	struct policy_cache *pc = ac->policies;
	struct policy_entry *e, *grown;
	int found;

	*out = NULL;
	for (int i = 0; i < pc->n; i++)
		if (strcmp(pc->e[i].t.name, table) == 0) {
			*out = &pc->e[i];
			return 1;
		}
	grown = realloc(pc->e, (size_t)(pc->n + 1) * sizeof(*grown));
	if (grown == NULL)
		return sp_error_set(err, "out of memory");
	pc->e = grown;
	e = &pc->e[pc->n];
	memset(e, 0, sizeof(*e));
	found = tracked_table_load(ac->site, table, &e->t, err);
	if (found <= 0)
		return found;
	if (!e->t.tracked) {
		tracked_table_free(&e->t);
		return 0;
	}
	if (tracked_columns_load(ac->site, table, &e->columns, &e->ncolumns,
	    err) != 0) {
		tracked_table_free(&e->t);
		return -1;
	}
	pc->n++;
	*out = e;
	return 1;
}

static int
has_column(const struct policy_entry *e, const char *col)
{
	for (int i = 0; i < e->ncolumns; i++)
		if (strcmp(e->columns[i], col) == 0)
			return 1;
	return 0;
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

/* The statements every record may run, prepared once per apply. */
enum {
	ST_SAVEPOINT, ST_RELEASE, ST_ROLLBACK_TO, ST_LOCKED, ST_DROP_HELD,
	ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	"SAVEPOINT syncpack_record",
	"RELEASE syncpack_record",
	"ROLLBACK TO syncpack_record",
	"SELECT 1 FROM syncpack_lock l JOIN syncpack_record r ON r.rkey = "
	    "l.rkey WHERE r.guid = ? AND l.tbl = ?",
	"DELETE FROM syncpack_held WHERE guid = ? AND json_extract(record, "
	    "'$.rowversion') <= ?",
};

static sqlite3_stmt *
stmt(struct apply_ctx *ac, int which, struct sp_error *err)
{
	if (ac->stmt[which] == NULL &&
	    sqlite3_prepare_v3(ac->site->db, stmt_sql[which], -1,
	    SQLITE_PREPARE_PERSISTENT, &ac->stmt[which], NULL) != SQLITE_OK) {
		site_sqlite_error(ac->site, err, ac->site->path);
		return NULL;
	}
	sqlite3_reset(ac->stmt[which]);
	return ac->stmt[which];
}

static int
run(struct apply_ctx *ac, int which, struct sp_error *err)
{
	sqlite3_stmt *st = stmt(ac, which, err);
	int r;

	if (st == NULL)
		return -1;
	r = sqlite3_step(st);
	sqlite3_reset(st);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(ac->site, err,
	    ac->site->path);
}

static int
table_has_rows(struct site *s, const char *sql)
{
	sqlite3_stmt *st;
	int any = 1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK) {
		any = sqlite3_step(st) == SQLITE_ROW;
		sqlite3_finalize(st);
	}
	return any;
}

int
apply_ctx_init(struct apply_ctx *ac, struct site *s, struct sp_error *err)
{
	memset(ac, 0, sizeof(*ac));
	ac->site = s;
	ac->any_held = table_has_rows(s, "SELECT 1 FROM syncpack_held LIMIT 1");
	ac->any_lock = table_has_rows(s, "SELECT 1 FROM syncpack_lock LIMIT 1");
	ac->policies = calloc(1, sizeof(*ac->policies));
	if (ac->policies == NULL)
		return sp_error_set(err, "out of memory");
	ac->store = store_sqlite_open(s, err);
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
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(ac->stmt[i]);
	if (ac->store != NULL)
		store_close(ac->store);
	policy_cache_free(ac->policies);
	memset(ac, 0, sizeof(*ac));
}

static int
exec_simple(struct apply_ctx *ac, const char *sql, struct sp_error *err)
{
	return site_exec(ac->site, sql, err);
}

/* 1 when the record is reserved here, 0 when not, -1 on error. */
static int
record_locked(struct apply_ctx *ac, const char *table, const char *guid,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (!ac->any_lock)
		return 0;
	if ((st = stmt(ac, ST_LOCKED, err)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, table, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	if (r == SQLITE_ROW)
		return 1;
	return r == SQLITE_DONE ? 0 : site_sqlite_error(ac->site, err,
	    ac->site->path);
}

/* (hlc, site) order: the newest change wins, the site id breaks ties. */
static int
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
static int
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
static int
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

/* Replaces each foreign key's value with the parent's local key; sets
 * reason and returns 1 when a parent is missing or older than required. */
static int
translate_parents(struct apply_ctx *ac, struct wire_record *w, char *reason,
    size_t rlen, struct sp_error *err)
{
	const char *col;
	json_t *ref;

	if (w->fk == NULL)
		return 0;
	json_object_foreach(w->fk, col, ref) {
		json_t *t = json_object_get(ref, "table");
		json_t *g = json_object_get(ref, "guid");
		json_t *rv = json_object_get(ref, "rowversion");
		struct store_record parent;
		struct policy_entry *pp;
		json_t *prow = NULL;
		int found;

		if (!json_is_string(t) || !json_is_string(g) ||
		    !json_is_integer(rv)) {
			snprintf(reason, rlen, "bad foreign key %s", col);
			return 2;
		}
		found = store_lookup(ac->store, json_string_value(g), &parent,
		    &prow, err);
		if (found < 0)
			return -1;
		if (!found || parent.deleted || prow == NULL) {
			snprintf(reason, rlen, "parent %s %s %s", json_string_value(t),
			    json_string_value(g), found ? "is deleted" : "is missing");
			json_decref(prow);
			return 1;
		}
		if (parent.rowversion < json_integer_value(rv)) {
			snprintf(reason, rlen, "parent %s %s is at rowversion %lld, "
			    "the record needs %lld", json_string_value(t),
			    json_string_value(g), parent.rowversion,
			    (long long)json_integer_value(rv));
			json_decref(prow);
			return 1;
		}
		found = policy_find(ac, parent.table, &pp, err);
		if (found <= 0) {
			json_decref(prow);
			if (found < 0)
				return -1;
			snprintf(reason, rlen, "parent table %s is not tracked here",
			    parent.table);
			return 1;
		}
		if (w->columns != NULL && json_object_set(w->columns, col,
		    json_object_get(prow, pp->t.pk)) != 0) {
			json_decref(prow);
			return sp_error_set(err, "out of memory");
		}
		json_decref(prow);
	}
	return 0;
}

static int
save_protocol(struct apply_ctx *ac, const struct wire_record *w,
    enum apply_outcome o, const char *reason, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(ac->site->db, "INSERT OR REPLACE INTO "
	    "syncpack_protocol(peer, direction, flow, guid, tbl, outcome, "
	    "reason) VALUES (?, 'in', ?, ?, ?, ?, ?)", -1, &st, NULL)
	    != SQLITE_OK)
		return site_sqlite_error(ac->site, err, ac->site->path);
	sqlite3_bind_text(st, 1, ac->peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, ac->flow);
	sqlite3_bind_text(st, 3, w->rec.guid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, w->rec.table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, apply_outcome_name(o), -1, SQLITE_STATIC);
	if (reason != NULL && reason[0])
		sqlite3_bind_text(st, 6, reason, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(ac->site, err,
	    ac->site->path);
}

static int
save_held(struct apply_ctx *ac, const struct wire_record *w,
    const char *line, size_t len, const char *reason, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(ac->site->db, "INSERT INTO syncpack_held(guid, "
	    "peer, flow, tbl, reason, since, record) VALUES (?1, ?2, ?3, ?4, ?5,"
	    " strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), ?6) ON CONFLICT(guid) DO "
	    "UPDATE SET peer = ?2, flow = ?3, reason = ?5, record = ?6 WHERE "
	    "json_extract(record, '$.rowversion') <= ?7", -1, &st, NULL)
	    != SQLITE_OK)
		return site_sqlite_error(ac->site, err, ac->site->path);
	sqlite3_bind_text(st, 1, w->rec.guid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ac->peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, ac->flow);
	sqlite3_bind_text(st, 4, w->rec.table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, line, (int)len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, w->rec.rowversion);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	ac->any_held = 1;
	return r == SQLITE_DONE ? 0 : site_sqlite_error(ac->site, err,
	    ac->site->path);
}

static int
drop_held(struct apply_ctx *ac, const struct wire_record *w,
    struct sp_error *err)
{
	sqlite3_stmt *st;

	if (!ac->any_held)
		return 0;
	if ((st = stmt(ac, ST_DROP_HELD, err)) == NULL)
		return -1;
	sqlite3_bind_text(st, 1, w->rec.guid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, w->rec.rowversion);
	return run(ac, ST_DROP_HELD, err) == 0 ? 0 : -1;
}

static int
save_conflict(struct apply_ctx *ac, const struct wire_record *w,
    const char *line, size_t len, struct sp_error *err)
{
	struct store_record local;
	json_t *row = NULL;
	char *local_text = NULL;
	sqlite3_stmt *st;
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
	if (sqlite3_prepare_v2(ac->site->db, "INSERT INTO syncpack_conflict("
	    "guid, tbl, peer, flow, local, remote, detected) VALUES (?, ?, ?, "
	    "?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))", -1, &st, NULL)
	    != SQLITE_OK) {
		free(local_text);
		return site_sqlite_error(ac->site, err, ac->site->path);
	}
	sqlite3_bind_text(st, 1, w->rec.guid, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, w->rec.table, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ac->peer, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, ac->flow);
	if (local_text != NULL)
		sqlite3_bind_text(st, 5, local_text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, line, (int)len, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	free(local_text);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(ac->site, err,
	    ac->site->path);
}

/* Writes the incoming version inside a savepoint, so that a constraint
 * failure on this record leaves the rest of the file applying. Returns 1
 * and sets reason when the write was refused. */
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
	/* A moved record arrives writable: it lives here now. */
	rec.flags = w->move ? 0 : have_local ? local->flags & ~8 : 0;
	if (run(ac, ST_SAVEPOINT, err) != 0)
		return -1;
	r = rec.deleted ? store_tombstone(ac->store, &rec, &werr)
	    : store_upsert(ac->store, &rec, w->columns, &werr);
	if (r != 0) {
		snprintf(reason, rlen, "%.500s", werr.msg);
		if (run(ac, ST_ROLLBACK_TO, err) != 0 ||
		    run(ac, ST_RELEASE, err) != 0)
			return -1;
		return 1;
	}
	return run(ac, ST_RELEASE, err);
}

/* Whether version v is the one that version of grew from: the same
 * rowversion and stamp, made at the same site where both say (sites at
 * the same HLC stamp, as two resolving a conflict in the same instant,
 * are told apart by it). */
static int
is_base(const struct store_record *v, const struct store_record *of)
{
	return v->rowversion == of->base && v->hlc == of->base_hlc &&
	    (of->base_site[0] == '\0' || strcmp(v->hlc_site, of->base_site)
	    == 0);
}

/* The sender brought the record back because its delete lost there. */
static int
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
static int
winner_needs_stamp(const struct store_record *winner,
    const struct store_record *loser)
{
	return !winner->deleted && !loser->deleted &&
	    (winner->values_hlc != 0 || loser->values_hlc != 0) &&
	    newer(loser->hlc, loser->hlc_site, winner->hlc, winner->hlc_site);
}

/* An incoming live version made against this site's own tombstone: the
 * delete made here lost elsewhere. */
static int
undoes_local_delete(struct apply_ctx *ac, const struct wire_record *w,
    const struct store_record *local, int have_local)
{
	return have_local && local->deleted && !w->rec.deleted &&
	    strcmp(local->hlc_site, ac->site->id) == 0 &&
	    is_base(local, &w->rec);
}

/* Runs sql with guid bound to its one parameter. */
static int
site_exec_guid(struct apply_ctx *ac, const char *sql, const char *guid,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(ac->site->db, sql, -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(ac->site, err, ac->site->path);
	sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(ac->site, err,
	    ac->site->path);
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
			found = store_lookup_key(ac->store, json_string_value(t),
			    mine, &parent, err);
			if (found < 0) {
				json_decref(row);
				return -1;
			}
			if (!found || strcmp(parent.guid, json_string_value(g)) != 0) {
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

/* A version of a record unknown here whose tombstone was purged (a site
 * restored from an older backup sends it): if the delete is the later of
 * the two, it is stamped again past the incoming version and goes back to
 * every peer, the sender included; returns 1 then. A later version wins
 * over the delete, as it would have with the tombstone still here. */
static int
deleted_before(struct apply_ctx *ac, const struct wire_record *w,
    char *reason, size_t rlen, struct sp_error *err)
{
	struct store_record rec;
	sqlite3_stmt *st;
	int r, later;

	if (sqlite3_prepare_v2(ac->site->db, "SELECT origin, owner, rowversion, "
	    "hlc, hlc_site FROM syncpack_purged WHERE guid = ?", -1, &st, NULL)
	    != SQLITE_OK)
		return site_sqlite_error(ac->site, err, ac->site->path);
	sqlite3_bind_text(st, 1, w->rec.guid, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r != SQLITE_ROW) {
		sqlite3_finalize(st);
		return r == SQLITE_DONE ? 0 : site_sqlite_error(ac->site, err,
		    ac->site->path);
	}
	memset(&rec, 0, sizeof(rec));
	snprintf(rec.guid, sizeof(rec.guid), "%s", w->rec.guid);
	snprintf(rec.table, sizeof(rec.table), "%s", w->rec.table);
	snprintf(rec.origin, sizeof(rec.origin), "%s",
	    sqlite3_column_text(st, 0));
	snprintf(rec.owner, sizeof(rec.owner), "%s", sqlite3_column_text(st, 1));
	rec.rowversion = sqlite3_column_int64(st, 2);
	rec.hlc = sqlite3_column_int64(st, 3);
	snprintf(rec.hlc_site, sizeof(rec.hlc_site), "%s",
	    sqlite3_column_text(st, 4));
	sqlite3_finalize(st);
	later = newer(rec.hlc, rec.hlc_site, w->rec.hlc, w->rec.hlc_site);
	if (site_exec_guid(ac, "DELETE FROM syncpack_purged WHERE guid = ?",
	    w->rec.guid, err) != 0)
		return -1;
	if (!later)
		return 0;
	/* The delete again, made against the incoming version. */
	if (w->rec.rowversion > rec.rowversion)
		rec.rowversion = w->rec.rowversion;
	rec.rowversion++;
	if (w->rec.hlc > rec.hlc)
		rec.hlc = w->rec.hlc;
	rec.hlc++;
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

/* Keeps an incoming delete aside until the end of the file, in the
 * connection's temporary database: children deleted later in the same
 * file (they come after their parents) must not keep the parent alive. */
static int
defer_delete(struct apply_ctx *ac, const char *line, size_t len,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (site_exec(ac->site, "CREATE TEMP TABLE IF NOT EXISTS "
	    "syncpack_deferred(line TEXT NOT NULL)", err) != 0)
		return -1;
	if (sqlite3_prepare_v2(ac->site->db, "INSERT INTO temp.syncpack_deferred"
	    "(line) VALUES (?)", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(ac->site, err, ac->site->path);
	sqlite3_bind_text(st, 1, line, (int)len, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r != SQLITE_DONE)
		return site_sqlite_error(ac->site, err, ac->site->path);
	ac->ndeferred++;
	return 0;
}

static enum apply_outcome
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

int
apply_record(struct apply_ctx *ac, const char *line, size_t len,
    enum apply_outcome *outcome, struct sp_error *err)
{
	struct wire_record w;
	struct store_record local;
	struct policy_entry *p;
	char reason[512] = "";
	enum apply_outcome o;
	int have_local = 0, merged = 0, r, rc = -1;

	if (wire_record_parse(line, len, &w, err) != 0) {
		/* Nothing to identify it by: reported with a placeholder. */
		struct wire_record bad;
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
	r = policy_find(ac, w.rec.table, &p, err);
	if (r < 0)
		goto cleanup;
	if (r == 0) {
		snprintf(reason, sizeof(reason), "table %s is not tracked here",
		    w.rec.table);
		o = OUTCOME_HELD;
		goto outcome;
	}
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
		int wins = incoming_wins(ac, p, &local, &w.rec);
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
		const char *col;
		json_t *v;
		json_object_foreach(w.columns, col, v)
			if (!has_column(p, col)) {
				snprintf(reason, sizeof(reason), "schema: table %s "
				    "has no column %s here", w.rec.table, col);
				o = OUTCOME_HELD;
				goto outcome;
			}
		/* Before translate_parents, which may grow the policy cache
		 * that p points into. */
		merged = ac->site->hub && !w.move && lacks_columns(p, &w);
		r = translate_parents(ac, &w, reason, sizeof(reason), err);
		if (r < 0)
			goto cleanup;
		if (r > 0) {
			o = r == 1 ? OUTCOME_HELD : OUTCOME_REJECTED;
			goto outcome;
		}
	}
	r = write_incoming(ac, &w, &local, have_local, reason, sizeof(reason),
	    err);
	if (r < 0)
		goto cleanup;
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
	if (have_local && is_base(&local, &w.rec) && site_exec_guid(ac,
	    "UPDATE syncpack_conflict SET resolved = strftime("
	    "'%Y-%m-%dT%H:%M:%SZ', 'now') WHERE guid = ? AND resolved IS NULL",
	    w.rec.guid, err) != 0)
		goto cleanup;
	if (w.move) {
		char *sql = sqlite3_mprintf("INSERT OR REPLACE INTO "
		    "syncpack_transfer(guid, tbl, from_site, to_site, flow, at, "
		    "state) VALUES ('%q', '%q', '%q', '%q', %lld, strftime("
		    "'%%Y-%%m-%%dT%%H:%%M:%%SZ', 'now'), 'done')", w.rec.guid,
		    w.rec.table, ac->peer, ac->site->id, ac->flow);
		r = site_exec(ac->site, sql, err);
		sqlite3_free(sql);
		if (r != 0)
			goto cleanup;
	}
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
	wire_record_free(&w);
	return rc;
}

/* One pass over the deferred deletes: those no longer referenced are
 * applied and dropped; *progress says whether any was. With
 * defer_deletes 0, every one left is decided (brought back). */
static int
deferred_pass(struct apply_ctx *ac, int *progress, struct sp_error *err)
{
	sqlite3_stmt *st, *drop;
	int r, rc = 0;

	*progress = 0;
	if (sqlite3_prepare_v2(ac->site->db, "SELECT rowid, line FROM "
	    "temp.syncpack_deferred ORDER BY rowid", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(ac->site, err, ac->site->path);
	if (sqlite3_prepare_v2(ac->site->db, "DELETE FROM temp.syncpack_deferred"
	    " WHERE rowid = ?", -1, &drop, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		return site_sqlite_error(ac->site, err, ac->site->path);
	}
	while (rc == 0 && (r = sqlite3_step(st)) == SQLITE_ROW) {
		enum apply_outcome o;
		rc = apply_record(ac, (const char *)sqlite3_column_text(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1), &o, err);
		if (rc != 0 || o == OUTCOME_DEFERRED)
			continue;
		*progress = 1;
		sqlite3_bind_int64(drop, 1, sqlite3_column_int64(st, 0));
		if (sqlite3_step(drop) != SQLITE_DONE)
			rc = site_sqlite_error(ac->site, err, ac->site->path);
		sqlite3_reset(drop);
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = site_sqlite_error(ac->site, err, ac->site->path);
	sqlite3_finalize(drop);
	sqlite3_finalize(st);
	return rc;
}

int
apply_deferred_in_txn(struct apply_ctx *ac, struct sp_error *err)
{
	int progress = 1;

	if (ac->ndeferred == 0) {
		ac->defer_deletes = 0;
		return 0;
	}
	/* Children deleted in the same file free their parents, in any
	 * order: repeat until nothing changes, then the rest lose. */
	ac->defer_deletes = 2;
	while (progress)
		if (deferred_pass(ac, &progress, err) != 0)
			return -1;
	ac->defer_deletes = 0;
	if (deferred_pass(ac, &progress, err) != 0)
		return -1;
	ac->ndeferred = 0;
	return 0;
}

int
apply_release_held_in_txn(struct apply_ctx *ac, long long *released,
    struct sp_error *err)
{
	int progress = 1, superseded = ac->superseded;

	/* A held record is judged on its own, not as part of the (maybe
	 * superseded) file that happens to release it. */
	ac->superseded = 0;
	*released = 0;
	while (progress) {
		sqlite3_stmt *st;
		progress = 0;
		if (sqlite3_prepare_v2(ac->site->db, "SELECT guid, peer, flow, "
		    "record FROM syncpack_held ORDER BY since, rowid", -1, &st,
		    NULL) != SQLITE_OK)
			return site_sqlite_error(ac->site, err, ac->site->path);
		while (sqlite3_step(st) == SQLITE_ROW) {
			struct apply_counts saved = ac->n;
			char saved_peer[sizeof(ac->peer)];
			long long saved_flow = ac->flow;
			enum apply_outcome o;
			char *line = strdup((const char *)sqlite3_column_text(st, 3));
			char guid[33];

			snprintf(guid, sizeof(guid), "%s", sqlite3_column_text(st, 0));
			memcpy(saved_peer, ac->peer, sizeof(saved_peer));
			snprintf(ac->peer, sizeof(ac->peer), "%s",
			    sqlite3_column_text(st, 1));
			ac->flow = sqlite3_column_int64(st, 2);
			if (line == NULL || apply_record(ac, line, strlen(line), &o,
			    err) != 0) {
				free(line);
				sqlite3_finalize(st);
				return -1;
			}
			free(line);
			memcpy(ac->peer, saved_peer, sizeof(saved_peer));
			ac->flow = saved_flow;
			ac->n = saved;	/* counted in its own flow already */
			if (o != OUTCOME_HELD) {
				char *sql = sqlite3_mprintf("DELETE FROM "
				    "syncpack_held WHERE guid = '%q'; UPDATE "
				    "syncpack_protocol SET outcome = 'released' "
				    "WHERE direction = 'in' AND guid = '%q' AND "
				    "outcome = 'held'", guid, guid);
				exec_simple(ac, sql, NULL);
				sqlite3_free(sql);
				(*released)++;
				progress = 1;
			}
		}
		sqlite3_finalize(st);
	}
	ac->superseded = superseded;
	return 0;
}
