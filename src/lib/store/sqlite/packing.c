/* packing.c: a peer's mark, table columns and purged deletes for the
 * data files (store/packing.h). */
#include <stdio.h>
#include <string.h>

#include "store/packing.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"

int
sqlite_peer_marks(struct site *s, const char *peer, long long *acked,
    long long *now, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "SELECT p.acked_lseq, c.lseq FROM "
	    "syncpack_peer p, syncpack_clock c WHERE p.site = ? AND c.id = 1",
	    -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_bind_text(st, 1, peer, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(st);
		return site_sqlite_error(s, err, s->path);
	}
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*acked = sqlite3_column_int64(st, 0);
		*now = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	if (r == SQLITE_ROW)
		return 1;
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

int
sqlite_peer_advance(struct site *s, const char *peer, long long covered,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "UPDATE syncpack_peer SET acked_lseq = "
	    "max(acked_lseq, ?) WHERE site = ?", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_bind_int64(st, 1, covered) != SQLITE_OK ||
	    sqlite3_bind_text(st, 2, peer, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(st);
		return site_sqlite_error(s, err, s->path);
	}
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

static const char *
text_or_empty(sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	return v ? (const char *)v : "";
}

int
sqlite_table_columns(struct site *s, const char *table, store_column_cb cb,
    void *ctx, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r, rc = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT name, upper(type), pk FROM "
	    "pragma_table_info(?) ORDER BY cid", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(st);
		return site_sqlite_error(s, err, s->path);
	}
	while (rc == 0 && (r = sqlite3_step(st)) == SQLITE_ROW)
		rc = cb(ctx, text_or_empty(st, 0), text_or_empty(st, 1),
		    sqlite3_column_int(st, 2), err);
	if (rc == 0 && r != SQLITE_DONE)
		rc = site_sqlite_error(s, err, s->path);
	sqlite3_finalize(st);
	return rc;
}

/* The columns purged_record reads, from syncpack_purged p joined with
 * syncpack_table t. */
#define PURGED_COLUMNS "p.guid, t.name, p.origin, p.owner, p.rowversion, " \
	"p.hlc, p.hlc_site"

/* The tombstone a row of PURGED_COLUMNS remembers. */
static void
purged_record(sqlite3_stmt *st, struct store_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->guid, sizeof(rec->guid), "%s", text_or_empty(st, 0));
	snprintf(rec->table, sizeof(rec->table), "%s", text_or_empty(st, 1));
	snprintf(rec->origin, sizeof(rec->origin), "%s", text_or_empty(st, 2));
	snprintf(rec->owner, sizeof(rec->owner), "%s", text_or_empty(st, 3));
	rec->rowversion = sqlite3_column_int64(st, 4);
	rec->hlc = sqlite3_column_int64(st, 5);
	snprintf(rec->hlc_site, sizeof(rec->hlc_site), "%s",
	    text_or_empty(st, 6));
	rec->deleted = 1;
}

int
sqlite_purged_lookup(struct site *s, const char *guid, struct store_record *rec,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, "SELECT " PURGED_COLUMNS " FROM "
	    "syncpack_purged p JOIN syncpack_table t ON t.id = p.tbl WHERE "
	    "t.tracked AND p.guid = ?", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_bind_text(st, 1, guid, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(st);
		return site_sqlite_error(s, err, s->path);
	}
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		purged_record(st, rec);
	sqlite3_finalize(st);
	if (r == SQLITE_ROW)
		return 1;
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

int
sqlite_purged_each(struct site *s, store_change_cb cb, void *ctx,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r, rc = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT " PURGED_COLUMNS " FROM "
	    "syncpack_purged p JOIN syncpack_table t ON t.id = p.tbl WHERE "
	    "t.tracked ORDER BY p.tbl, p.guid", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	while (rc == 0 && (r = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_record rec;

		purged_record(st, &rec);
		rc = cb(ctx, &rec, NULL, err);
	}
	if (rc == 0 && r != SQLITE_DONE)
		rc = site_sqlite_error(s, err, s->path);
	sqlite3_finalize(st);
	return rc;
}
