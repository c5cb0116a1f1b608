/* capture_sql.c: generates the triggers that capture changes and enforce
 * ownership on a tracked table.
 *
 * Capture is one append to syncpack_change per changed row: the cheapest
 * write SQLite offers (a rowid at the end of one b-tree), so tracking costs
 * the application little. GUIDs, rowversions and HLC stamps are given by
 * capture_fold, which every tool runs before it reads the metadata. */
#include <sqlite3.h>
#include <stdarg.h>
#include <string.h>

#include "store/sqlite/capture_sql.h"
#include "store/sqlite/key_sql.h"

/* Wall-clock milliseconds; SQLite evaluates 'now' once per statement. */
#define NOW_MS "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)"

/* Guards stay silent while syncunpack applies (marker 1) and while a
 * trigger keeps a rowversion column up to date (marker 2). */
#define LOCAL_CHANGE "(SELECT applying FROM syncpack_clock WHERE id = 1) = 0"

char *
capture_sql_drop(long long id)
{
	static const char *const suffix[] = {
		"ai", "au", "ad", "bi", "bu", "bd", "rv"
	};
	char *sql = sqlite3_mprintf("%s", "");

	for (size_t i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
		char *next = sqlite3_mprintf("%sDROP TRIGGER IF EXISTS "
		    "\"syncpack_%lld_%s\";", sql, id, suffix[i]);
		sqlite3_free(sql);
		sql = next;
	}
	return sql;
}

/* Appends printf-formatted text to *sql (sqlite3_mprintf conventions:
 * %w doubles double quotes, %q doubles single quotes). */
static void
append(char **sql, const char *fmt, ...)
{
	va_list ap;
	char *piece, *joined;

	if (*sql == NULL)
		return;
	va_start(ap, fmt);
	piece = sqlite3_vmprintf(fmt, ap);
	va_end(ap);
	joined = piece ? sqlite3_mprintf("%s%s", *sql, piece) : NULL;
	sqlite3_free(piece);
	sqlite3_free(*sql);
	*sql = joined;
}

/* Drops *sql for want of memory: the caller reports a NULL result. */
static void
null_sql(char **sql)
{
	sqlite3_free(*sql);
	*sql = NULL;
}

/* One lookup of the existing record of the row (NEW or OLD): in transit
 * (movable tables, every site), frozen (spokes), owned by another site
 * (creator tables at spokes). Returns 0 when the table needs no check. */
static int
append_record_guard(char **sql, const struct tracked_table *t,
    const char *site, int hub, const char *row)
{
	int transit = t->movable;
	int frozen = !hub && t->freeze;
	int foreign = !hub && strcmp(t->owner, "creator") == 0;
	char *key;

	if (!transit && !frozen && !foreign)
		return 0;
	/* Key comparisons strip affinity (+) so that the record index is
	 * used whatever the key column's declared type. */
	append(sql, " SELECT CASE");
	if (transit)
		append(sql, " WHEN r.flags & 2 THEN RAISE(ABORT, 'syncpack: %q:"
		    " record is in transit to another site and cannot be "
		    "changed')", t->name);
	if (frozen)
		append(sql, " WHEN r.flags & 1 THEN RAISE(ABORT, 'syncpack: %q:"
		    " record is frozen (the hub has acknowledged it) and cannot"
		    " be changed here')", t->name);
	if (foreign)
		append(sql, " WHEN r.owner <> '%q' THEN RAISE(ABORT, "
		    "'syncpack: %q: record is owned by another site; only its "
		    "creator or the hub may change it')", site, t->name);
	key = key_sql_expr(t->pk, row);
	append(sql, " END FROM syncpack_record r WHERE r.tbl = %lld AND "
	    "r.rkey = +(%s);", t->id, key);
	if (key == NULL)
		null_sql(sql);
	sqlite3_free(key);
	return 1;
}

/* A new reference to a record in transit (a line added to an intervention
 * on its way to another site) would stay behind when the record leaves, as
 * a local key naming no row, or a reused one: refused like a change to the
 * record. The parent is named, not numbered, so that the guard holds
 * whichever table was tracked first; flags bit 2 is set on records of
 * movable tables only. On update, only a changed reference is checked. */
static int
append_reference_guards(char **sql, const struct tracked_table *t,
    const struct tracked_fk *refs, int nrefs, int update)
{
	for (int i = 0; i < nrefs; i++) {
		append(sql, " SELECT RAISE(ABORT, 'syncpack: %q: %q refers to a"
		    " record of %q in transit to another site; it would be "
		    "left behind') FROM syncpack_table p JOIN syncpack_record r"
		    " ON r.tbl = p.id WHERE p.name = '%q' COLLATE NOCASE AND "
		    "r.rkey = +NEW.\"%w\" AND r.flags & 2", t->name,
		    refs[i].col, refs[i].parent, refs[i].parent, refs[i].col);
		if (update)
			append(sql, " AND NEW.\"%w\" IS NOT OLD.\"%w\"",
			    refs[i].col, refs[i].col);
		append(sql, ";");
	}
	return nrefs > 0;
}

static void
append_guard_triggers(char **sql, const struct tracked_table *t,
    const char *site, int hub, const struct tracked_fk *refs, int nrefs)
{
	static const char *const ops[3][2] = {
		{ "bi", "INSERT" }, { "bu", "UPDATE" }, { "bd", "DELETE" },
	};
	int central = !hub && strcmp(t->owner, "central") == 0;

	for (int i = 0; i < 3; i++) {
		/* INSERT OR REPLACE removes the old row without firing delete
		 * triggers, so an insert is checked against the record its key
		 * already names. */
		const char *row = i == 0 ? "NEW" : "OLD";
		int stale = i == 1 && t->rowversion_column;
		char *body = sqlite3_mprintf("%s", "");
		int needed = 0;

		if (central) {
			append(&body, " SELECT RAISE(ABORT, 'syncpack: %q is a "
			    "central table: only the hub may change it');",
			    t->name);
			needed = 1;
		} else {
			needed = append_record_guard(&body, t, site, hub, row);
			if (i < 2 && append_reference_guards(&body, t, refs,
			    nrefs, i == 1))
				needed = 1;
		}
		if (stale) {
			append(&body, " SELECT RAISE(ABORT, 'syncpack: %q: stale"
			    " rowversion: the record changed since it was read')"
			    " WHERE NEW.\"%w_rowversion\" IS NOT "
			    "OLD.\"%w_rowversion\";", t->name, t->name, t->name);
			needed = 1;
		}
		if (needed)
			append(sql, "CREATE TRIGGER \"syncpack_%lld_%s\" BEFORE "
			    "%s ON \"%w\" WHEN " LOCAL_CHANGE " BEGIN%s END;",
			    t->id, ops[i][0], ops[i][1], t->name, body);
		sqlite3_free(body);
	}
}

/* A composite key with a NULL names no row (key_sql.h): refused as the
 * row is written, as syncadm track refuses existing ones. */
static void
append_null_key_guard(char **sql, const struct tracked_table *t)
{
	char *cond;

	if (!key_is_composite(t->pk))
		return;
	cond = key_sql_any_null(t->pk, "NEW");
	append(sql, " SELECT RAISE(ABORT, 'syncpack: %q: a column of the "
	    "primary key is NULL; a tracked table needs every row to have its"
	    " key') WHERE %s;", t->name, cond);
	if (cond == NULL)
		null_sql(sql);
	sqlite3_free(cond);
}

char *
capture_sql_create(const struct tracked_table *t, const char *site, int hub,
    const struct tracked_fk *refs, int nrefs)
{
	char *sql = sqlite3_mprintf("%s", ""), *null_guard = sqlite3_mprintf(
	    "%s", "");
	char *new_key = key_sql_expr(t->pk, "NEW");
	char *old_key = key_sql_expr(t->pk, "OLD");
	char *same = key_sql_same(t->pk, NULL, "NEW");
	/* A rowversion column's own upkeep (marker 2) is not a change. */
	const char *skip_upkeep = t->rowversion_column
	    ? " WHEN (SELECT applying FROM syncpack_clock WHERE id = 1) <> 2"
	    : "";

	append_null_key_guard(&null_guard, t);
	if (new_key == NULL || old_key == NULL || same == NULL ||
	    null_guard == NULL)
		null_sql(&sql);
	append_guard_triggers(&sql, t, site, hub, refs, nrefs);
	append(&sql, "CREATE TRIGGER \"syncpack_%lld_ai\" AFTER INSERT ON "
	    "\"%w\" BEGIN%s INSERT INTO syncpack_change(tbl, rkey, op, ms) "
	    "VALUES (%lld, %s, 1, " NOW_MS "); END;", t->id, t->name,
	    null_guard, t->id, new_key);
	/* A lock names the row by its key: it follows a change of key. */
	append(&sql, "CREATE TRIGGER \"syncpack_%lld_au\" AFTER UPDATE ON "
	    "\"%w\"%s BEGIN%s INSERT INTO syncpack_change(tbl, rkey, okey, op, "
	    "ms) VALUES (%lld, %s, %s, 2, " NOW_MS "); UPDATE syncpack_lock SET "
	    "rkey = %s WHERE tbl = '%q' AND rkey = +(%s) AND (%s) IS NOT (%s);"
	    " END;", t->id, t->name, skip_upkeep, null_guard, t->id, new_key,
	    old_key, new_key, t->name, old_key, new_key, old_key);
	append(&sql, "CREATE TRIGGER \"syncpack_%lld_ad\" AFTER DELETE ON "
	    "\"%w\" BEGIN INSERT INTO syncpack_change(tbl, rkey, op, ms) VALUES"
	    " (%lld, %s, 3, " NOW_MS "); DELETE FROM syncpack_lock "
	    "WHERE tbl = '%q' AND rkey = +(%s); END;", t->id, t->name,
	    t->id, old_key, t->name, old_key);
	if (t->rowversion_column)
		/* Every saved change moves the column on by one, exactly as
		 * capture_fold moves the record's rowversion on. */
		append(&sql, "CREATE TRIGGER \"syncpack_%lld_rv\" AFTER UPDATE "
		    "ON \"%w\" WHEN " LOCAL_CHANGE " BEGIN UPDATE syncpack_clock"
		    " SET applying = 2 WHERE id = 1; UPDATE \"%w\" SET "
		    "\"%w_rowversion\" = OLD.\"%w_rowversion\" + 1 WHERE %s; "
		    "UPDATE syncpack_clock SET applying = 0 WHERE id = 1; END;",
		    t->id, t->name, t->name, t->name, t->name, same);
	sqlite3_free(null_guard);
	sqlite3_free(new_key);
	sqlite3_free(old_key);
	sqlite3_free(same);
	return sql;
}
