/* tables_pg.c: tracking tables of a PostgreSQL site (store/tables.h):
 * the application's schema from the catalogue, the policies in
 * syncpack.tracked_table, capture and guards as triggers calling the
 * functions of schema_pg.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store/pg/backend.h"
#include "store/pg/guards_pg.h"
#include "store/pg/pg.h"

/* The text of column col of the one row of res, or NULL when NULL. */
static const char *
value(PGresult *res, int col)
{
	return PQgetisnull(res, 0, col) ? NULL : PQgetvalue(res, 0, col);
}

static int
pg_table_get(struct site *s, const char *table, struct tracked_table *t,
    struct sp_error *err)
{
	const char *p[1] = { table };
	PGresult *res = pg_query(s, "SELECT id, name, pk, pk_integer, owner, "
	    "route, conflict, \"freeze\", movable, window_column, key_kind, "
	    "rowversion_column, tracked FROM syncpack.tracked_table WHERE name"
	    " = coalesce(to_regclass($1)::text, $1)", 1, p, err);
	int missing;

	if (res == NULL)
		return -1;
	memset(t, 0, sizeof(*t));
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	t->id = atoll(value(res, 0));
	t->name = strdup(value(res, 1));
	t->pk = strdup(value(res, 2));
	t->pk_integer = atoi(value(res, 3));
	snprintf(t->owner, sizeof(t->owner), "%s", value(res, 4));
	snprintf(t->route, sizeof(t->route), "%s", value(res, 5));
	snprintf(t->conflict, sizeof(t->conflict), "%s", value(res, 6));
	t->freeze = atoi(value(res, 7));
	t->movable = atoi(value(res, 8));
	t->window = value(res, 9) ? strdup(value(res, 9)) : NULL;
	snprintf(t->key, sizeof(t->key), "%s", value(res, 10));
	t->rowversion_column = atoi(value(res, 11));
	t->tracked = atoi(value(res, 12));
	missing = t->name == NULL || t->pk == NULL ||
	    (value(res, 9) != NULL && t->window == NULL);
	PQclear(res);
	if (missing) {
		tracked_table_free(t);
		return sp_error_set(err, "out of memory");
	}
	return 1;
}

/* An ordinary or partitioned table outside the schema syncpack, found
 * through the search_path unless given schema-qualified. */
static int
pg_table_exists(struct site *s, const char *table, struct sp_error *err)
{
	const char *p[1] = { table };
	PGresult *res = pg_query(s, "SELECT n.nspname = 'syncpack', c.relkind "
	    "IN ('r', 'p') FROM pg_class c JOIN pg_namespace n ON n.oid = "
	    "c.relnamespace WHERE c.oid = to_regclass($1)", 1, p, err);
	int found;

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	found = strcmp(PQgetvalue(res, 0, 0), "t") == 0 ? -2 :
	    strcmp(PQgetvalue(res, 0, 1), "t") == 0;
	PQclear(res);
	if (found == -2)
		return sp_error_set(err, "%s: internal tables cannot be "
		    "tracked", table);
	if (!found)
		return sp_error_set(err, "%s: not a table", table);
	return 1;
}

static int
pg_column_exists(struct site *s, const char *table, const char *column,
    struct sp_error *err)
{
	const char *p[2] = { table, column };

	return pg_exists(s, "SELECT 1 FROM pg_attribute WHERE attrelid = "
	    "to_regclass($1) AND attname = $2 AND attnum > 0 AND NOT "
	    "attisdropped", 2, p, err);
}

static int
pg_table_primary_key(struct site *s, const char *table, char **pk,
    int *pk_integer, int *ncols, struct sp_error *err)
{
	const char *p[1] = { table };
	/* The key's columns in its order. A local key is one the database
	 * numbers, as SQLite numbers a rowid: one integer column with a
	 * sequence behind it (serial or identity). Without one the
	 * application gives every id itself, and the key is natural. */
	PGresult *res = pg_query(s, "SELECT a.attname, a.atttypid IN "
	    "('int2'::regtype, 'int4'::regtype, 'int8'::regtype) AND "
	    "pg_get_serial_sequence(i.indrelid::regclass::text, a.attname) "
	    "IS NOT NULL FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) "
	    "WITH ORDINALITY AS k(attnum, o) JOIN pg_attribute a ON a.attrelid"
	    " = i.indrelid AND a.attnum = k.attnum WHERE i.indrelid = "
	    "to_regclass($1) AND i.indisprimary AND k.o <= i.indnkeyatts "
	    "ORDER BY k.o", 1, p, err);
	json_t *names = NULL;

	*pk = NULL;
	*pk_integer = 0;
	*ncols = 0;
	if (res == NULL)
		return -1;
	*ncols = PQntuples(res);
	/* PostgreSQL keeps no row identity that outlives an update (ctid
	 * moves), so a table without a key has nothing to name its rows by
	 * across exchanges. */
	if (*ncols == 0) {
		PQclear(res);
		return sp_error_set(err, "%s: has no primary key; a PostgreSQL "
		    "site tracks tables by their key (add one)", table);
	}
	if (*ncols == 1) {
		*pk_integer = strcmp(PQgetvalue(res, 0, 1), "t") == 0;
		*pk = strdup(PQgetvalue(res, 0, 0));
	} else if ((names = json_array()) != NULL) {
		/* Written as store_table_primary_key writes one on SQLite. */
		for (int i = 0; i < *ncols && names != NULL; i++)
			if (json_array_append_new(names,
			    json_string(PQgetvalue(res, i, 0))) != 0) {
				json_decref(names);
				names = NULL;
			}
		*pk = names ? json_dumps(names, JSON_COMPACT) : NULL;
		json_decref(names);
	}
	PQclear(res);
	if (*pk == NULL)
		return sp_error_set(err, "out of memory");
	return 0;
}

/* What the capture of this backend cannot guard yet is refused, rather
 * than tracked without its rule. */
static int
pg_table_save(struct site *s, struct tracked_table *t, struct sp_error *err)
{
	char pk_integer[4], freeze[4], movable[4], rowversion[4];
	const char *p[11] = { t->name, t->pk, pk_integer, t->owner, t->route,
	    t->conflict, freeze, t->window, t->key, movable, rowversion };
	PGresult *res;

	/* The column is named after the table as tracked (TABLE_rowversion,
	 * as on SQLite): a name the search_path finds, unquoted. */
	if (t->rowversion_column && strpbrk(t->name, ".\"") != NULL)
		return sp_error_set(err, "%s: --rowversion-column needs a table "
		    "found through the search_path by a plain name", t->name);
	snprintf(pk_integer, sizeof(pk_integer), "%d", t->pk_integer != 0);
	snprintf(freeze, sizeof(freeze), "%d", t->freeze != 0);
	snprintf(movable, sizeof(movable), "%d", t->movable != 0);
	snprintf(rowversion, sizeof(rowversion), "%d",
	    t->rowversion_column != 0);
	res = pg_query(s, "INSERT INTO syncpack.tracked_table(name, pk, "
	    "pk_integer, owner, route, conflict, \"freeze\", movable, "
	    "window_column,"
	    " key_kind, rowversion_column, since) VALUES (to_regclass($1)::text,"
	    " $2, $3::integer, $4, $5, $6, $7::integer, $10::integer, $8, $9, "
	    "$11::integer, "
	    "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))"
	    " ON CONFLICT (name) DO UPDATE SET pk = excluded.pk, pk_integer = "
	    "excluded.pk_integer, owner = excluded.owner, route = "
	    "excluded.route, conflict = excluded.conflict, \"freeze\" = "
	    "excluded.\"freeze\", movable = excluded.movable, window_column = "
	    "excluded.window_column, key_kind = excluded.key_kind, "
	    "rowversion_column = excluded.rowversion_column, tracked = 1 "
	    "RETURNING id", 11, p, err);
	if (res == NULL)
		return -1;
	t->id = atoll(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

static int
pg_table_untrack(struct site *s, long long id, struct sp_error *err)
{
	char ids[24];
	const char *p[1] = { ids };

	snprintf(ids, sizeof(ids), "%lld", id);
	return pg_exec(s, "UPDATE syncpack.tracked_table SET tracked = 0 "
	    "WHERE id = $1::bigint", 1, p, err);
}

/* Runs the script fmt for the table name (nothing when it is gone), with
 * %1$s its relation (regclass text, quoted as needed), %2$lld its id and
 * %3$s its key column as a literal. */
static int
run_on_table(struct site *s, const char *name, long long id, const char *pk,
    const char *fmt, struct sp_error *err)
{
	const char *p[1] = { name };
	PGresult *res = pg_query(s, "SELECT to_regclass($1)::text", 1, p, err);
	char *lit = NULL, *sql = NULL;
	int rc = -1;

	if (res == NULL)
		return -1;
	if (PQgetisnull(res, 0, 0)) {
		rc = 0;		/* the table is gone: nothing on it to change */
		goto cleanup;
	}
	lit = PQescapeLiteral(s->pg, pk, strlen(pk));
	if (lit == NULL || asprintf(&sql, fmt, PQgetvalue(res, 0, 0), id,
	    lit) < 0) {
		sql = NULL;
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	rc = pg_script(s, sql, err);
cleanup:
	free(sql);
	PQfreemem(lit);
	PQclear(res);
	return rc;
}

/* Existing rows without metadata enter the change log as inserts, and
 * records whose row went while the table was not tracked as deletes;
 * the fold then gives them what any change gets. */
static int
pg_table_adopt(struct site *s, const struct tracked_table *t,
    struct sp_error *err)
{
	return run_on_table(s, t->name, t->id, t->pk,
	    "INSERT INTO syncpack.change(tbl, rkey, op, ms)"
	    " SELECT %2$lld, syncpack.rkey_of(to_jsonb(x), %3$s), 1,"
	    " floor(extract(epoch FROM clock_timestamp()) * 1000)"
	    " FROM %1$s x WHERE NOT EXISTS (SELECT 1 FROM syncpack.record r"
	    " WHERE r.tbl = %2$lld AND r.rkey = syncpack.rkey_of(to_jsonb(x),"
	    " %3$s));"
	    "INSERT INTO syncpack.change(tbl, rkey, op, ms)"
	    " SELECT %2$lld, r.rkey, 3,"
	    " floor(extract(epoch FROM clock_timestamp()) * 1000)"
	    " FROM syncpack.record r WHERE r.tbl = %2$lld AND r.rkey IS NOT"
	    " NULL AND NOT EXISTS (SELECT 1 FROM %1$s x WHERE"
	    " syncpack.rkey_of(to_jsonb(x), %3$s) = r.rkey);", err) != 0 ||
	    pg_fold(s, err) != 0 ? -1 : 0;
}

#define NOT_APPLYING "current_setting('syncpack.applying', true) IS " \
	"DISTINCT FROM 'on'"

/* --rowversion-column: the column TABLE_rowversion, added if missing,
 * holding each record's rowversion before the capture is there to see it
 * written, and the trigger that refuses a stale save and moves it on by
 * one with every other, as the fold moves the record's rowversion. */
static int
rowversion_install(struct site *s, const struct tracked_table *t,
    struct sp_error *err)
{
	char *name = NULL, *col = NULL, *lit = NULL, *sql = NULL;
	int rc = -1;

	if (asprintf(&name, "%s_rowversion", t->name) < 0) {
		name = NULL;
		goto oom;
	}
	col = PQescapeIdentifier(s->pg, name, strlen(name));
	lit = PQescapeLiteral(s->pg, name, strlen(name));
	if (col == NULL || lit == NULL || asprintf(&sql, "ALTER TABLE %%1$s "
	    "ADD COLUMN IF NOT EXISTS %1$s bigint NOT NULL DEFAULT 1; "
	    "UPDATE %%1$s x SET %1$s = r.rowversion FROM syncpack.record r "
	    "WHERE r.tbl = %%2$lld AND r.rkey = syncpack.rkey_of(to_jsonb(x), "
	    "%%3$s) AND x.%1$s IS DISTINCT FROM r.rowversion; "
	    "CREATE TRIGGER syncpack_rowversion BEFORE INSERT OR UPDATE ON "
	    "%%1$s FOR EACH ROW WHEN (" NOT_APPLYING ") EXECUTE FUNCTION "
	    "syncpack.rowversion_keep(%2$s);", col, lit) < 0) {
		sql = NULL;
		goto oom;
	}
	rc = run_on_table(s, t->name, t->id, t->pk, sql, err);
	goto done;
oom:
	sp_error_set(err, "out of memory");
done:
	free(sql);
	PQfreemem(lit);
	PQfreemem(col);
	free(name);
	return rc;
}

static int
pg_capture_install(struct site *s, const struct tracked_table *t,
    struct sp_error *err)
{
	int central = !s->hub && strcmp(t->owner, "central") == 0;
	int frozen = !s->hub && t->freeze;
	int foreign = !s->hub && strcmp(t->owner, "creator") == 0;
	int transit = t->movable;
	char *guard = NULL;
	int rc;

	/* The site id is of A-Z a-z 0-9 _ - only (siteid_valid). The
	 * triggers' WHEN skips them while an apply writes: no call, and
	 * for the capture no event queued, per row written. */
	if ((central || frozen || foreign || transit) && asprintf(&guard,
	    "CREATE TRIGGER syncpack_guard BEFORE INSERT OR UPDATE OR DELETE"
	    " ON %%1$s FOR EACH ROW WHEN (" NOT_APPLYING ") EXECUTE FUNCTION "
	    "syncpack.guard("
	    "'%%2$lld', %%3$s, '%d', '%d', '%s', '%d');", central, frozen,
	    foreign ? s->id : "", transit) < 0)
		return sp_error_set(err, "out of memory");
	/* Today's guards, whatever build made the site. */
	if (pg_script(s, PG_GUARD_FUNCTIONS, err) != 0 ||
	    (t->rowversion_column && rowversion_install(s, t, err) != 0)) {
		free(guard);
		return -1;
	}
	rc = (guard != NULL && run_on_table(s, t->name, t->id, t->pk, guard,
	    err) != 0) || run_on_table(s, t->name, t->id, t->pk,
	    "CREATE TRIGGER syncpack_capture AFTER INSERT OR UPDATE OR DELETE"
	    " ON %1$s FOR EACH ROW WHEN (" NOT_APPLYING ") EXECUTE FUNCTION "
	    "syncpack.capture("
	    "'%2$lld', %3$s); CREATE TRIGGER syncpack_references BEFORE "
	    "INSERT OR UPDATE ON %1$s FOR EACH ROW WHEN (" NOT_APPLYING ") "
	    "EXECUTE FUNCTION syncpack.guard_references('%2$lld'); "
	    "CREATE TRIGGER syncpack_truncate BEFORE TRUNCATE"
	    " ON %1$s FOR EACH STATEMENT EXECUTE FUNCTION "
	    "syncpack.refuse_truncate();", err) != 0 ? -1 : 0;
	free(guard);
	return rc;
}

static int
pg_capture_remove(struct site *s, long long id, struct sp_error *err)
{
	char ids[24];
	const char *p[1] = { ids };
	PGresult *res;
	int rc = 0;

	snprintf(ids, sizeof(ids), "%lld", id);
	if ((res = pg_query(s, "SELECT name, pk FROM syncpack.tracked_table "
	    "WHERE id = $1::bigint", 1, p, err)) == NULL)
		return -1;
	if (PQntuples(res) == 1)
		rc = run_on_table(s, PQgetvalue(res, 0, 0), id,
		    PQgetvalue(res, 0, 1), "DROP TRIGGER IF EXISTS "
		    "syncpack_capture ON %1$s; DROP TRIGGER IF EXISTS "
		    "syncpack_guard ON %1$s; DROP TRIGGER IF EXISTS "
		    "syncpack_references ON %1$s; DROP TRIGGER IF EXISTS "
		    "syncpack_truncate ON %1$s; DROP TRIGGER IF EXISTS "
		    "syncpack_rowversion ON %1$s;", err);
	PQclear(res);
	return rc;
}

/* Foreign keys between tracked tables, which travel as GUIDs. */
static int
pg_fks_refresh(struct site *s, struct sp_error *err)
{
	/* A reference of several columns to a tracked table would travel
	 * as plain values, wrong wherever the parent's key columns hold
	 * local keys: refused until it travels as a GUID, as on SQLite. */
	PGresult *res = pg_query(s, "SELECT c.name, k.conname, p.name FROM "
	    "syncpack.tracked_table c JOIN pg_constraint k ON k.conrelid = "
	    "to_regclass(c.name) AND k.contype = 'f' AND cardinality(k.conkey)"
	    " > 1 JOIN syncpack.tracked_table p ON to_regclass(p.name) = "
	    "k.confrelid WHERE c.tracked = 1 AND p.tracked = 1 ORDER BY 1, 2 "
	    "LIMIT 1", 0, NULL, err);

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1) {
		sp_error_set(err, "%s: foreign key %s refers to %s by several "
		    "columns; such references are not yet available on a "
		    "PostgreSQL site", PQgetvalue(res, 0, 0), PQgetvalue(res,
		    0, 1), PQgetvalue(res, 0, 2));
		PQclear(res);
		return -1;
	}
	PQclear(res);
	/* Every single-column foreign key between tracked tables, from the
	 * catalogue, as store_fks_refresh takes them from SQLite's pragma.
	 * ref numbers the constraint within its table, as SQLite's id does;
	 * a column of a composite key may hold one. */
	return pg_script(s, "DELETE FROM syncpack.fk;"
	    "INSERT INTO syncpack.fk(tbl, col, parent, parent_col, ref) "
	    "SELECT c.id, a.attname, p.id, pa.attname, row_number() OVER "
	    "(PARTITION BY c.id ORDER BY k.conname) - 1 "
	    "FROM syncpack.tracked_table c "
	    "JOIN pg_constraint k ON k.conrelid = to_regclass(c.name) AND "
	    "k.contype = 'f' AND cardinality(k.conkey) = 1 "
	    "JOIN syncpack.tracked_table p ON to_regclass(p.name) = k.confrelid "
	    "JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = "
	    "k.conkey[1] "
	    "JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = "
	    "k.confkey[1] "
	    "WHERE c.tracked = 1 AND p.tracked = 1 "
	    "ON CONFLICT (tbl, col) DO NOTHING", err);
}

const struct store_tables_ops pg_tables_ops = {
	.tx_begin = pg_tx_begin,
	.tx_commit = pg_tx_commit,
	.tx_rollback = pg_tx_rollback,
	.table_get = pg_table_get,
	.table_exists = pg_table_exists,
	.column_exists = pg_column_exists,
	.table_primary_key = pg_table_primary_key,
	.table_save = pg_table_save,
	.table_untrack = pg_table_untrack,
	.table_adopt = pg_table_adopt,
	.capture_install = pg_capture_install,
	.capture_remove = pg_capture_remove,
	.fks_refresh = pg_fks_refresh,
};
