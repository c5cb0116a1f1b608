/* merge_pg.c: the identity merge of two records holding one natural key
 * on a PostgreSQL site (store_merge, store/store.h), as records_merge.c
 * makes it on SQLite: the loser's tombstone, marked, and its row handed
 * to the winner. */
#include <stdio.h>
#include <string.h>

#include "store/pg/store_pg.h"

/* Runs sql with GUID a as $1 and b (unless NULL) as $2. */
static int
run2(struct store_pg *sp, const char *sql, const char *a, const char *b,
    struct sp_error *err)
{
	struct pg_params p;
	int rc = -1;

	if (pg_params_init(&p, b != NULL ? 2 : 1, err) != 0)
		return -1;
	if (pg_param_text(&p, 0, a, err) == 0 &&
	    (b == NULL || pg_param_text(&p, 1, b, err) == 0))
		rc = pg_stmt_exec(sp, sql, &p, err);
	pg_params_free(&p);
	return rc;
}

/* The loser's tombstone, as SQLite's INSERT OR REPLACE leaves it: every
 * field not named here back to its default. */
static int
mark_merged(struct store_pg *sp, const struct pg_table *t,
    const struct store_record *loser, const char *winner, struct sp_error *err)
{
	struct pg_params p;
	int rc = -1;

	if (pg_params_init(&p, 8, err) != 0)
		return -1;
	if (pg_param_text(&p, 0, loser->guid, err) == 0 &&
	    pg_param_ll(&p, 1, t->id, err) == 0 &&
	    pg_param_text(&p, 2, loser->origin, err) == 0 &&
	    pg_param_text(&p, 3, loser->owner, err) == 0 &&
	    pg_param_ll(&p, 4, loser->rowversion, err) == 0 &&
	    pg_param_ll(&p, 5, loser->hlc, err) == 0 &&
	    pg_param_text(&p, 6, loser->hlc_site, err) == 0 &&
	    pg_param_text(&p, 7, winner, err) == 0)
		rc = pg_stmt_exec(sp, "INSERT INTO syncpack.record(guid, tbl, "
		    "rkey, origin, owner, rowversion, hlc, hlc_site, lseq, "
		    "deleted, flags, base, base_hlc, values_hlc, merged) VALUES "
		    "($1, $2::bigint, NULL, $3, $4, $5::bigint, $6::bigint, $7, "
		    "0, 1, 0, 0, 0, 0, $8) ON CONFLICT (guid) DO UPDATE SET "
		    "tbl = excluded.tbl, rkey = NULL, origin = excluded.origin, "
		    "owner = excluded.owner, rowversion = excluded.rowversion, "
		    "hlc = excluded.hlc, hlc_site = excluded.hlc_site, lseq = 0, "
		    "deleted = 1, flags = 0, src = NULL, base = 0, base_hlc = 0, "
		    "base_site = NULL, values_hlc = 0, values_site = NULL, "
		    "merged = excluded.merged", &p, err);
	pg_params_free(&p);
	return rc;
}

int
pg_rec_merge(struct store *base, const struct store_record *loser,
    const char *winner, struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;
	const struct pg_table *t = pg_rec_table_by_name(sp, loser->table);
	PGresult *res;
	int found, live = 0;

	if (t == NULL)
		return sp_error_set(err, "%s is not a tracked table here",
		    loser->table);
	if (pg_batch_check(sp, err) != 0)
		return -1;
	if ((found = pg_rec_find(sp, loser->guid, &res, err)) < 0)
		return -1;
	if (found)
		live = !PQgetisnull(res, 0, 2);
	PQclear(res);
	pg_rec_forget(sp);
	/* The row changes hands under its key: the record of its key is
	 * renamed, so that children and locks, which name the row by its
	 * key, follow without a write. */
	if (live && (run2(sp, "DELETE FROM syncpack.record WHERE guid = $1 AND "
	    "deleted <> 0", winner, NULL, err) != 0 || run2(sp, "UPDATE syncpack.record SET guid = $1 WHERE "
	    "guid = $2", winner, loser->guid, err) != 0))
		return -1;
	/* No lseq: the tombstone is not a delete to send. Each site meeting
	 * the two records merges them itself, and a delete of the loser
	 * would remove the row at a site that has not merged yet. */
	if (mark_merged(sp, t, loser, winner, err) != 0)
		return -1;
	return pg_rec_unpark(sp, loser->guid, err);
}
