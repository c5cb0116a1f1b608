/* capture_sql.c: generates the triggers that capture changes and enforce
 * ownership on a tracked table. */
#include <sqlite3.h>
#include <stdarg.h>
#include <string.h>

#include "capture_sql.h"

const char capture_sql_guid_expr[] =
    "lower(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000.0"
    " AS INTEGER)) || hex(randomblob(10)))";

const char capture_sql_clock_tick[] =
    "UPDATE syncpack_clock SET lseq = lseq + 1, hlc = max(hlc + 1,"
    " CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) * 65536)"
    " WHERE id = 1;";

/* Triggers stay silent while syncunpack applies: it sets the marker inside
 * its own transaction, so no other connection ever sees it set. */
#define LOCAL_CHANGE "(SELECT applying FROM syncpack_clock WHERE id = 1) = 0"

char *
capture_sql_drop(long long id)
{
	static const char *const suffix[] = { "ai", "au", "ad", "bi", "bu", "bd" };
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

/* The checks a BEFORE trigger makes on the existing record (alias r) of the
 * row whose key is KEY ("OLD" or "NEW"). */
static void
append_record_guards(char **sql, const struct tracked_table *t,
    const char *site, int hub, const char *row)
{
	append(sql, " SELECT RAISE(ABORT, 'syncpack: %q: record is in transit "
	    "to another site and cannot be changed') FROM syncpack_record r "
	    "WHERE r.tbl = %lld AND r.rkey = +%s.\"%w\" AND (r.flags & 2);",
	    t->name, t->id, row, t->pk);
	if (hub)
		return;
	append(sql, " SELECT RAISE(ABORT, 'syncpack: %q: record is frozen "
	    "(the hub has acknowledged it) and cannot be changed here') FROM "
	    "syncpack_record r WHERE r.tbl = %lld AND r.rkey = +%s.\"%w\" AND "
	    "(r.flags & 1);", t->name, t->id, row, t->pk);
	if (strcmp(t->owner, "creator") == 0)
		append(sql, " SELECT RAISE(ABORT, 'syncpack: %q: record is "
		    "owned by another site; only its creator or the hub may "
		    "change it') FROM syncpack_record r WHERE r.tbl = %lld AND "
		    "r.rkey = +%s.\"%w\" AND r.owner <> '%q';", t->name, t->id,
		    row, t->pk, site);
}

static void
append_guard_triggers(char **sql, const struct tracked_table *t,
    const char *site, int hub)
{
	static const char *const ops[3][2] = {
		{ "bi", "INSERT" }, { "bu", "UPDATE" }, { "bd", "DELETE" },
	};

	for (int i = 0; i < 3; i++) {
		/* INSERT OR REPLACE removes the old row without firing delete
		 * triggers, so an insert is checked against the record its key
		 * already names. */
		const char *row = i == 0 ? "NEW" : "OLD";

		append(sql, "CREATE TRIGGER \"syncpack_%lld_%s\" BEFORE %s ON "
		    "\"%w\" WHEN " LOCAL_CHANGE " BEGIN", t->id, ops[i][0],
		    ops[i][1], t->name);
		if (!hub && strcmp(t->owner, "central") == 0)
			append(sql, " SELECT RAISE(ABORT, 'syncpack: %q is a "
			    "central table: only the hub may change it');",
			    t->name);
		append_record_guards(sql, t, site, hub, row);
		if (i == 1 && t->rowversion_column)
			append(sql, " SELECT RAISE(ABORT, 'syncpack: %q: stale "
			    "rowversion: the record changed since it was read')"
			    " WHERE NEW.\"%w_rowversion\" IS NOT "
			    "OLD.\"%w_rowversion\" AND NEW.\"%w_rowversion\" IS "
			    "NOT (SELECT rowversion FROM syncpack_record WHERE "
			    "tbl = %lld AND rkey = +OLD.\"%w\");", t->name, t->name,
			    t->name, t->name, t->id, t->pk);
		append(sql, " END;");
	}
}

/* Copies the record's rowversion into the table's <table>_rowversion
 * column when it differs. */
static void
append_rowversion_sync(char **sql, const struct tracked_table *t)
{
	append(sql, " UPDATE \"%w\" SET \"%w_rowversion\" = (SELECT rowversion"
	    " FROM syncpack_record WHERE tbl = %lld AND rkey = +NEW.\"%w\") WHERE"
	    " \"%w\" = NEW.\"%w\" AND \"%w_rowversion\" IS NOT (SELECT "
	    "rowversion FROM syncpack_record WHERE tbl = %lld AND rkey = "
	    "+NEW.\"%w\");", t->name, t->name, t->id, t->pk, t->pk, t->pk,
	    t->name, t->id, t->pk);
}

char *
capture_sql_create(const struct tracked_table *t, const char *site, int hub)
{
	char *sql = sqlite3_mprintf("%s", "");

	append_guard_triggers(&sql, t, site, hub);

	/* Insert. REPLACE of an existing key counts as a change of the same
	 * record: same GUID, next rowversion. */
	append(&sql, "CREATE TRIGGER \"syncpack_%lld_ai\" AFTER INSERT ON "
	    "\"%w\" WHEN " LOCAL_CHANGE " BEGIN %s INSERT INTO "
	    "syncpack_record(guid, tbl, rkey, origin, owner, rowversion, hlc, "
	    "hlc_site, lseq) SELECT %s, %lld, NEW.\"%w\", '%q', '%q', 1, hlc, "
	    "'%q', lseq FROM syncpack_clock WHERE id = 1 ON CONFLICT(tbl, rkey)"
	    " DO UPDATE SET rowversion = rowversion + 1, hlc = excluded.hlc, "
	    "hlc_site = excluded.hlc_site, lseq = excluded.lseq, deleted = 0, "
	    "src = NULL;", t->id, t->name, capture_sql_clock_tick,
	    capture_sql_guid_expr, t->id, t->pk, site, site, site);
	if (t->rowversion_column)
		append_rowversion_sync(&sql, t);
	append(&sql, " END;");

	/* Update. With a rowversion column, the trigger's own write of that
	 * column (new value = the record's new rowversion) must not count as
	 * a second change. */
	append(&sql, "CREATE TRIGGER \"syncpack_%lld_au\" AFTER UPDATE ON "
	    "\"%w\" WHEN " LOCAL_CHANGE, t->id, t->name);
	if (t->rowversion_column)
		append(&sql, " AND (NEW.\"%w_rowversion\" IS "
		    "OLD.\"%w_rowversion\" OR NEW.\"%w_rowversion\" IS NOT "
		    "(SELECT rowversion FROM syncpack_record WHERE tbl = %lld "
		    "AND rkey = +OLD.\"%w\"))", t->name, t->name, t->name, t->id,
		    t->pk);
	append(&sql, " BEGIN %s UPDATE syncpack_record SET rkey = +NEW.\"%w\", "
	    "rowversion = rowversion + 1, hlc = (SELECT hlc FROM syncpack_clock"
	    " WHERE id = 1), hlc_site = '%q', lseq = (SELECT lseq FROM "
	    "syncpack_clock WHERE id = 1), src = NULL WHERE tbl = %lld AND "
	    "rkey = +OLD.\"%w\";", capture_sql_clock_tick, t->pk, site, t->id,
	    t->pk);
	if (t->rowversion_column)
		append_rowversion_sync(&sql, t);
	append(&sql, " END;");

	/* Delete: the record stays as a tombstone (key NULL) so the delete
	 * travels. */
	append(&sql, "CREATE TRIGGER \"syncpack_%lld_ad\" AFTER DELETE ON "
	    "\"%w\" WHEN " LOCAL_CHANGE " BEGIN %s UPDATE syncpack_record SET "
	    "rkey = NULL, deleted = 1, rowversion = rowversion + 1, hlc = "
	    "(SELECT hlc FROM syncpack_clock WHERE id = 1), hlc_site = '%q', "
	    "lseq = (SELECT lseq FROM syncpack_clock WHERE id = 1), src = NULL "
	    "WHERE tbl = %lld AND rkey = +OLD.\"%w\"; DELETE FROM syncpack_lock "
	    "WHERE tbl = '%q' AND rkey = +OLD.\"%w\"; END;", t->id, t->name,
	    capture_sql_clock_tick, site, t->id, t->pk, t->name, t->pk);
	return sql;
}
