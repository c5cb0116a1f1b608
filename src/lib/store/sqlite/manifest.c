/* manifest.c: scans of a tracked table's records for manifests
 * (store/manifest.h) over a site's SQLite connection. */
#include <stdlib.h>
#include <string.h>

#include "store/manifest.h"
#include "store/sqlite/key_sql.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"

struct store_manifest_scan {
	struct store_manifest_scan_head head;	/* first, as every backend's */
	struct site *site;
	sqlite3_stmt *st;
	int ncols;
	struct store_value *values;
};

/* Builds the query: metadata, then the columns, a reference replaced by
 * the parent's GUID. "+r.tbl" keeps SQLite on the GUID-ordered table
 * itself: a sort of the (tbl, rkey) index would grow with the table. */
static char *
scan_query(const struct tracked_table *t,
    const struct store_manifest_column *cols, int ncols)
{
	char *select = sqlite3_mprintf("%s", ""), *joins =
	    sqlite3_mprintf("%s", ""), *sql = NULL, *next;
	char *x_is_r = key_sql_match(t->pk, "x", "r.rkey");

	for (int i = 0; i < ncols && select != NULL && joins != NULL; i++) {
		if (cols[i].parent != NULL) {
			/* A composite reference's columns make the parent's
			 * rkey together (key_sql.h). */
			char *ref = key_sql_expr(cols[i].ref ? cols[i].ref :
			    cols[i].name, "x");
			next = sqlite3_mprintf("%s, p%d.guid", select, i);
			sqlite3_free(select);
			select = next;
			next = ref ? sqlite3_mprintf("%s LEFT JOIN syncpack_record "
			    "p%d ON p%d.tbl = (SELECT id FROM syncpack_table WHERE "
			    "name = '%q') AND p%d.rkey = +(%s)", joins, i, i,
			    cols[i].parent, i, ref) : NULL;
			sqlite3_free(ref);
			sqlite3_free(joins);
			joins = next;
		} else {
			next = sqlite3_mprintf("%s, x.\"%w\"", select,
			    cols[i].name);
			sqlite3_free(select);
			select = next;
		}
	}
	if (select != NULL && joins != NULL && x_is_r != NULL)
		sql = sqlite3_mprintf("SELECT r.guid, r.owner, r.rowversion, "
		    "r.deleted%s FROM syncpack_record r LEFT JOIN \"%w\" x ON "
		    "%s%s WHERE +r.tbl = %lld AND (?1 IS NULL OR "
		    "r.owner = ?1) AND (?2 IS NULL OR r.owner <> ?2) AND (?5 = 0 "
		    "OR NOT r.deleted) AND (?6 = 0 OR NOT (r.flags & 2))", select,
		    t->name, x_is_r, joins, t->id);
	sqlite3_free(x_is_r);
	if (sql != NULL && t->window != NULL) {
		next = sqlite3_mprintf("%s AND (r.deleted OR ((?3 IS NULL OR "
		    "date(x.\"%w\") >= ?3) AND (?4 IS NULL OR date(x.\"%w\") <= "
		    "?4)))", sql, t->window, t->window);
		sqlite3_free(sql);
		sql = next;
	}
	if (sql != NULL) {
		next = sqlite3_mprintf("%s ORDER BY r.guid", sql);
		sqlite3_free(sql);
		sql = next;
	}
	sqlite3_free(select);
	sqlite3_free(joins);
	return sql;
}

static int
bind_text(sqlite3_stmt *st, int idx, const char *v)
{
	return v == NULL ? SQLITE_OK : sqlite3_bind_text(st, idx, v, -1,
	    SQLITE_STATIC);
}

struct store_manifest_scan *
sqlite_manifest_scan_open(struct site *s, const struct tracked_table *t,
    const struct store_manifest_column *cols, int ncols,
    const struct store_manifest_query *q, struct sp_error *err)
{
	struct store_manifest_scan *sc = calloc(1, sizeof(*sc));
	char *sql = NULL;

	if (sc == NULL || (ncols > 0 && (sc->values = calloc((size_t)ncols,
	    sizeof(*sc->values))) == NULL) ||
	    (sql = scan_query(t, cols, ncols)) == NULL) {
		sqlite_manifest_scan_close(sc);
		sp_error_set(err, "out of memory");
		return NULL;
	}
	sc->head.backend = SITE_SQLITE;
	sc->site = s;
	sc->ncols = ncols;
	if (sqlite3_prepare_v2(s->db, sql, -1, &sc->st, NULL) != SQLITE_OK) {
		sqlite3_free(sql);
		site_sqlite_error(s, err, s->path);
		sqlite_manifest_scan_close(sc);
		return NULL;
	}
	sqlite3_free(sql);
	/* ?3 and ?4 exist only with a window column; ?5 and ?6 are in every
	 * query. */
	if (bind_text(sc->st, 1, q->owner) != SQLITE_OK ||
	    bind_text(sc->st, 2, q->not_owner) != SQLITE_OK ||
	    (t->window != NULL && (bind_text(sc->st, 3, q->since) != SQLITE_OK
	    || bind_text(sc->st, 4, q->until) != SQLITE_OK)) ||
	    sqlite3_bind_int(sc->st, 5, q->live_only) != SQLITE_OK ||
	    sqlite3_bind_int(sc->st, 6, q->not_in_transit) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		sqlite_manifest_scan_close(sc);
		return NULL;
	}
	return sc;
}

int
sqlite_manifest_scan_next(struct store_manifest_scan *sc,
    struct store_manifest_row *row, struct sp_error *err)
{
	sqlite3_stmt *st = sc->st;
	int r = sqlite3_step(st);

	if (r == SQLITE_DONE)
		return 0;
	if (r != SQLITE_ROW)
		return site_sqlite_error(sc->site, err, sc->site->path);
	row->guid = (const char *)sqlite3_column_text(st, 0);
	row->owner = (const char *)sqlite3_column_text(st, 1);
	row->rowversion = sqlite3_column_int64(st, 2);
	row->deleted = sqlite3_column_int(st, 3);
	for (int c = 0; c < sc->ncols; c++) {
		struct store_value *v = &sc->values[c];
		int col = 4 + c;

		switch (sqlite3_column_type(st, col)) {
		case SQLITE_NULL:
			v->kind = STORE_VALUE_NULL;
			break;
		case SQLITE_INTEGER:
			v->kind = STORE_VALUE_INTEGER;
			v->integer = (long long)sqlite3_column_int64(st, col);
			break;
		case SQLITE_FLOAT:
			v->kind = STORE_VALUE_REAL;
			v->real = sqlite3_column_double(st, col);
			break;
		case SQLITE_TEXT:
			/* Text before its length, as sqlite3_column_bytes
			 * asks. */
			v->kind = STORE_VALUE_TEXT;
			v->bytes = sqlite3_column_text(st, col);
			v->n = (size_t)sqlite3_column_bytes(st, col);
			break;
		default:
			v->kind = STORE_VALUE_BLOB;
			v->bytes = sqlite3_column_blob(st, col);
			v->n = (size_t)sqlite3_column_bytes(st, col);
			break;
		}
	}
	row->values = sc->values;
	return 1;
}

void
sqlite_manifest_scan_close(struct store_manifest_scan *sc)
{
	if (sc == NULL)
		return;
	sqlite3_finalize(sc->st);
	free(sc->values);
	free(sc);
}
