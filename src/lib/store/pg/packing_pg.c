/* packing_pg.c: a peer's mark, table columns and purged deletes for the
 * data files (store/packing.h) of a PostgreSQL site. */
#include <stdio.h>
#include <string.h>

#include "store/packing.h"
#include "store/pg/backend.h"
#include "store/pg/pg.h"

int
pg_peer_marks(struct site *s, const char *peer, long long *acked,
    long long *now, struct sp_error *err)
{
	PGresult *res = pg_query(s, "SELECT p.acked_lseq, c.lseq FROM "
	    "syncpack.peer p, syncpack.clock c WHERE p.site = $1 AND c.id = 1",
	    1, &peer, err);
	int got;

	if (res == NULL)
		return -1;
	if ((got = PQntuples(res) > 0)) {
		*acked = pg_ll(res, 0, 0);
		*now = pg_ll(res, 0, 1);
	}
	PQclear(res);
	return got;
}

int
pg_peer_advance(struct site *s, const char *peer, long long covered,
    struct sp_error *err)
{
	char n[PG_INT_LEN];
	const char *p[2] = { pg_int(n, covered), peer };

	return pg_exec(s, "UPDATE syncpack.peer SET acked_lseq = "
	    "greatest(acked_lseq, $1::bigint) WHERE site = $2", 2, p, err);
}

struct column_walk {
	store_column_cb cb;
	void *ctx;
};

static int
column_row(void *ctx, PGresult *res, int i, struct sp_error *err)
{
	struct column_walk *w = ctx;

	return w->cb(w->ctx, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1),
	    (int)pg_ll(res, i, 2), err);
}

int
pg_table_columns(struct site *s, const char *table, store_column_cb cb,
    void *ctx, struct sp_error *err)
{
	struct column_walk w = { cb, ctx };

	/* The type as the catalogue spells it ("INTEGER", "CHARACTER
	 * VARYING(20)"); the place in the key from the primary key's index,
	 * 1-based as SQLite's pragma gives it (an int2vector's subscripts
	 * start at 0). */
	return pg_each(s, "SELECT a.attname, upper(format_type(a.atttypid, "
	    "a.atttypmod)), coalesce(array_position(i.indkey::smallint[], "
	    "a.attnum) + 1, 0) FROM pg_attribute a LEFT JOIN pg_index i ON "
	    "i.indrelid = a.attrelid AND i.indisprimary WHERE a.attrelid = "
	    "to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped ORDER BY "
	    "a.attnum", 1, &table, column_row, &w, err);
}

/* The columns purged_record reads, from syncpack.purged p joined with
 * syncpack.tracked_table t. */
#define PURGED_COLUMNS "p.guid, t.name, p.origin, p.owner, p.rowversion, " \
	"p.hlc, p.hlc_site"

/* The tombstone a row of PURGED_COLUMNS remembers. */
static void
purged_record(PGresult *res, int i, struct store_record *rec)
{
	memset(rec, 0, sizeof(*rec));
	snprintf(rec->guid, sizeof(rec->guid), "%s", PQgetvalue(res, i, 0));
	snprintf(rec->table, sizeof(rec->table), "%s", PQgetvalue(res, i, 1));
	snprintf(rec->origin, sizeof(rec->origin), "%s",
	    PQgetvalue(res, i, 2));
	snprintf(rec->owner, sizeof(rec->owner), "%s", PQgetvalue(res, i, 3));
	rec->rowversion = pg_ll(res, i, 4);
	rec->hlc = pg_ll(res, i, 5);
	snprintf(rec->hlc_site, sizeof(rec->hlc_site), "%s",
	    PQgetvalue(res, i, 6));
	rec->deleted = 1;
}

int
pg_purged_lookup(struct site *s, const char *guid, struct store_record *rec,
    struct sp_error *err)
{
	PGresult *res = pg_query(s, "SELECT " PURGED_COLUMNS " FROM "
	    "syncpack.purged p JOIN syncpack.tracked_table t ON t.id = p.tbl "
	    "WHERE t.tracked <> 0 AND p.guid = $1", 1, &guid, err);
	int got;

	if (res == NULL)
		return -1;
	if ((got = PQntuples(res) > 0))
		purged_record(res, 0, rec);
	PQclear(res);
	return got;
}

struct purged_walk {
	store_change_cb cb;
	void *ctx;
};

static int
purged_row(void *ctx, PGresult *res, int i, struct sp_error *err)
{
	struct purged_walk *w = ctx;
	struct store_record rec;

	purged_record(res, i, &rec);
	return w->cb(w->ctx, &rec, NULL, err);
}

int
pg_purged_each(struct site *s, store_change_cb cb, void *ctx,
    struct sp_error *err)
{
	struct purged_walk w = { cb, ctx };

	return pg_each(s, "SELECT " PURGED_COLUMNS " FROM syncpack.purged p "
	    "JOIN syncpack.tracked_table t ON t.id = p.tbl WHERE t.tracked <> 0"
	    " ORDER BY p.tbl, p.guid", 0, NULL, purged_row, &w, err);
}
