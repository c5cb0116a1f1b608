/* manifest.c: scans of a tracked table's records for manifests
 * (store/manifest.h) over a site's SQLite connection. */
#include <stdlib.h>
#include <string.h>

#include "store/manifest.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/checksums.h"
#include "store/sqlite/manifest_sql.h"
#include "store/sqlite/sql.h"

struct store_manifest_scan {
	struct store_manifest_scan_head head;	/* first, as every backend's */
	struct site *site;
	sqlite3_stmt *st;
	int ncols;
	struct value *values;
};

/* The whole query: the records of t the query selects, in GUID order. */
static char *
scan_query(const struct tracked_table *t,
    const struct store_manifest_column *cols, int ncols, int stored)
{
	char *window, *next;
	char *sql = manifest_sql_select(t, cols, ncols, stored ?
	    MANIFEST_SQL_STORED : MANIFEST_SQL_ROWS, 0, NULL, &window);

	if (sql == NULL)
		return NULL;
	/* A merged record's tombstone is no delete and never travels: a
	 * site holds one only when it met both records (syncpack(7), Keys). */
	next = sqlite3_mprintf("%s WHERE +r.tbl = %lld AND (?1 IS NULL OR "
	    "r.owner = ?1) AND (?2 IS NULL OR r.owner <> ?2) AND (?5 = 0 "
	    "OR NOT r.deleted) AND (?6 = 0 OR NOT (r.flags & 2)) AND "
	    "r.merged IS NULL", sql, t->id);
	sqlite3_free(sql);
	sql = next;
	if (sql != NULL && window != NULL) {
		next = sqlite3_mprintf("%s AND (r.deleted OR ((?3 IS NULL OR "
		    "date(%s) >= ?3) AND (?4 IS NULL OR date(%s) <= ?4)))", sql,
		    window, window);
		sqlite3_free(sql);
		sql = next;
	}
	if (sql != NULL) {
		next = sqlite3_mprintf("%s ORDER BY r.guid", sql);
		sqlite3_free(sql);
		sql = next;
	}
	sqlite3_free(window);
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
	long long mark = 0;
	char *sql = NULL;
	/* Stored checksums are read only where they are current for the
	 * table as it is now (checksums.h). */
	int stored = q->values ? 0 : checksum_table_current(s, t, cols, ncols,
	    &mark, err);

	if (stored < 0) {
		free(sc);
		return NULL;
	}
	if (sc == NULL || (ncols > 0 && (sc->values = calloc((size_t)ncols,
	    sizeof(*sc->values))) == NULL) ||
	    (sql = scan_query(t, cols, ncols, stored)) == NULL) {
		sqlite_manifest_scan_close(sc);
		sp_error_set(err, "out of memory");
		return NULL;
	}
	sc->head.backend = SITE_SQLITE;
	sc->site = s;
	sc->ncols = ncols;
	/* A manifest reads every page of syncpack_record: through a memory
	 * map, not a copy per page (a tenth of a comparison). Only for the
	 * scans, whose memory may grow so (pack and apply keep theirs small);
	 * only speed depends on it, so a refusal is no reason to stop. */
	(void)sqlite3_exec(s->db, "PRAGMA mmap_size = 268435456", NULL, NULL,
	    NULL);
	if (sqlite3_prepare_v2(s->db, sql, -1, &sc->st, NULL) != SQLITE_OK) {
		sqlite3_free(sql);
		site_sqlite_error(s, err, s->path);
		sqlite_manifest_scan_close(sc);
		return NULL;
	}
	sqlite3_free(sql);
	/* ?3 and ?4 exist only with a window column, ?7 only when checksums
	 * are read; ?5 and ?6 are in every query. */
	if (bind_text(sc->st, 1, q->owner) != SQLITE_OK ||
	    bind_text(sc->st, 2, q->not_owner) != SQLITE_OK ||
	    (t->window != NULL && (bind_text(sc->st, 3, q->since) != SQLITE_OK
	    || bind_text(sc->st, 4, q->until) != SQLITE_OK)) ||
	    sqlite3_bind_int(sc->st, 5, q->live_only) != SQLITE_OK ||
	    sqlite3_bind_int(sc->st, 6, q->not_in_transit) != SQLITE_OK ||
	    (stored && sqlite3_bind_int64(sc->st, 7, mark) != SQLITE_OK)) {
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
	/* Anything but 32 bytes is no checksum of this version. */
	row->checksum = sqlite3_column_bytes(st, 4) == 32 ?
	    sqlite3_column_blob(st, 4) : NULL;
	if (row->checksum == NULL)
		manifest_sql_values(st, MANIFEST_SQL_FIRST_VALUE, sc->ncols,
		    sc->values);
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
