/* records_merge.c: the identity merge of two records holding one natural
 * key (store_merge, store/store.h): the loser's tombstone, marked, and
 * its row handed to the winner. */
#include <stdio.h>
#include <string.h>

#include "store/sqlite/records.h"
#include "store/sqlite/sql.h"

/* Runs one cached statement binding GUID a as ?1 and b (unless NULL) as
 * ?2. */
static int
run2(struct store_sqlite *ss, const char *sql, const char *a, const char *b,
    struct sp_error *err)
{
	sqlite3_stmt *st = rec_cached(ss, sql, err);
	int r;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
	if (b != NULL)
		sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	sqlite3_reset(st);
	return r == SQLITE_DONE ? 0 : rec_db_error(ss, err);
}

int
rec_merge(struct store *base, const struct store_record *loser,
    const char *winner, struct sp_error *err)
{
	struct store_sqlite *ss = (struct store_sqlite *)base;
	struct table_info *t = rec_table_by_name(ss, loser->table);
	sqlite3_stmt *st;
	int found, live = 0;

	if (t == NULL)
		return sp_error_set(err, "%s is not a tracked table here",
		    loser->table);
	if ((found = rec_find_record(ss, loser->guid, &st, err)) < 0)
		return -1;
	if (found) {
		live = sqlite3_column_type(st, 2) != SQLITE_NULL;
		sqlite3_reset(st);
	}
	/* The row changes hands under its key: the record of its local key
	 * is renamed, so that children and locks, which name the row by its
	 * key, follow without a write. */
	if (live && (run2(ss, "DELETE FROM syncpack_record WHERE guid = ?1 AND "
	    "deleted", winner, NULL, err) != 0 ||
	    run2(ss, "UPDATE syncpack_record SET guid = ?1 WHERE guid = ?2",
	    winner, loser->guid, err) != 0))
		return -1;
	/* A child's checksum names its parent by GUID: those stored for
	 * the rows of tables referring to this one may name the loser. A
	 * merge is rare; the next comparison computes them again. */
	if (live) {
		st = rec_cached(ss, "UPDATE syncpack_record SET checksum = NULL "
		    "WHERE checksum IS NOT NULL AND tbl IN (SELECT tbl FROM "
		    "syncpack_fk WHERE parent = ?1)", err);
		if (st == NULL)
			return -1;
		sqlite3_bind_int64(st, 1, t->id);
		found = sqlite3_step(st);
		sqlite3_reset(st);
		if (found != SQLITE_DONE)
			return rec_db_error(ss, err);
	}
	/* No lseq: the tombstone is not a delete to send. Each site meeting
	 * the two records merges them itself, and a delete of the loser
	 * would remove the row at a site that has not merged yet. */
	st = rec_cached(ss, "INSERT OR REPLACE INTO syncpack_record(guid, tbl, "
	    "rkey, origin, owner, rowversion, hlc, hlc_site, lseq, deleted, "
	    "flags, base, base_hlc, values_hlc, merged) VALUES (?1, ?2, NULL, "
	    "?3, ?4, ?5, ?6, ?7, 0, 1, 0, 0, 0, 0, ?8)", err);
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, loser->guid, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, t->id);
	sqlite3_bind_text(st, 3, loser->origin, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, loser->owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, loser->rowversion);
	sqlite3_bind_int64(st, 6, loser->hlc);
	sqlite3_bind_text(st, 7, loser->hlc_site, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, winner, -1, SQLITE_STATIC);
	found = sqlite3_step(st);
	sqlite3_reset(st);
	if (found != SQLITE_DONE)
		return rec_db_error(ss, err);
	return rec_unpark(ss, loser->guid, err);
}
