/* store_pg.c: the store interface (store/store.h) over a PostgreSQL
 * site: the handle, the transaction of an apply with its marker and the
 * clock row's lock, the savepoint around one record, reservations and
 * purged tombstones. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/backend.h"
#include "store/pg/pg.h"
#include "store/pg/store_pg.h"

static int
run(struct store_pg *sp, const char *sql, struct sp_error *err)
{
	return pg_stmt_exec(sp, sql, NULL, err);
}

static void
pg_store_rollback(struct store *base)
{
	struct store_pg *sp = (struct store_pg *)base;

	sp->clock_loaded = 0;
	sp->release_pending = 0;
	sp->savepoints = 0;
	pg_rec_forget(sp);
	pg_batch_reset(sp);
	pg_rollback(sp->site);
}

static int
pg_store_begin_apply(struct store *base, struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;

	/* The clock row's lock first, as the fold takes it: from here to
	 * commit nobody else gives out an lseq, so the lseq of every record
	 * written here is past every one committed before and before every
	 * one committed after (commit order). Local changes are folded
	 * next, so that conflicts see them. Then the transaction-local
	 * marker silences the capture and guard triggers: nothing applied
	 * is captured or checked as a local change, and the marker ends
	 * with the transaction, whatever way it ends. */
	pg_rec_forget(sp);
	pg_batch_reset(sp);
	sp->savepoints = 0;
	if (run(sp, "BEGIN", err) != 0)
		return -1;
	if (run(sp, "SELECT 1 FROM syncpack.clock WHERE id = 1 FOR UPDATE",
	    err) != 0 || pg_fold(sp->site, err) != 0 ||
	    run(sp, "SET LOCAL syncpack.applying = 'on'", err) != 0) {
		pg_store_rollback(base);
		return -1;
	}
	sp->savepoints = 0;
	return 0;
}

static int
pg_store_commit(struct store *base, struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;

	/* Unlike SQLite, the change log is not emptied here: it may hold
	 * other writers' changes committed since the fold, which the next
	 * fold takes. The silenced triggers added none of this apply's. */
	pg_rec_forget(sp);
	if (sp->batch.state != PG_BATCH_OFF) {
		pg_store_rollback(base);
		return sp_error_set(err, "%s: a batch is open at commit",
		    sp->site->path);
	}
	if (pg_rec_clock_write_back(sp, err) != 0 || run(sp, "COMMIT", err)
	    != 0) {
		pg_store_rollback(base);
		return -1;
	}
	/* The stages went with the transaction. */
	pg_batch_reset(sp);
	return 0;
}

static int
pg_store_savepoint(struct store *base, struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;

	if (pg_batch_check(sp, err) != 0)
		return -1;
	/* In a batch, made by the first statement that needs it. */
	if (pg_batch_savepoint(sp)) {
		sp->savepoints++;
		return 0;
	}
	/* With the previous record's release, when it is pending. */
	if (pg_stmt_release(sp, "SAVEPOINT syncpack_record", err) != 0)
		return -1;
	sp->savepoints++;
	return 0;
}

static int
pg_store_release(struct store *base, struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;

	/* A RELEASE does not fail in a transaction that has not: it goes
	 * with the next statement, a round trip less per record. One with
	 * no savepoint to release is the caller's mistake, told at once. */
	if (pg_batch_check(sp, err) != 0)
		return -1;
	if (sp->savepoints == 0)
		return sp_error_set(err, "no record savepoint to release");
	sp->savepoints--;
	if (!pg_batch_release(sp))
		sp->release_pending++;
	return 0;
}

static int
pg_store_rollback_to(struct store *base, struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;
	int r;

	pg_rec_forget(sp);
	if ((r = pg_batch_rollback_to(sp, err)) != 0)
		return r < 0 ? -1 : 0;
	/* The clock in memory may have moved past what is undone: the
	 * values it gave stay unused, which leaves gaps but never repeats
	 * an lseq. */
	return run(sp, "ROLLBACK TO SAVEPOINT syncpack_record", err);
}

static int
pg_store_locked(struct store *base, const char *table, const char *guid,
    struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;
	struct pg_params p;
	PGresult *res = NULL;
	int rc = -1;

	if (pg_params_init(&p, 2, err) != 0)
		return -1;
	if (pg_param_text(&p, 0, guid, err) == 0 &&
	    pg_param_text(&p, 1, table, err) == 0 &&
	    (res = pg_stmt_run(sp, NULL, "SELECT 1 FROM syncpack.lock l JOIN "
	    "syncpack.record r ON r.rkey = l.rkey WHERE r.guid = $1 AND l.tbl "
	    "= $2", &p, err)) != NULL)
		rc = PQntuples(res) > 0;
	PQclear(res);
	pg_params_free(&p);
	return rc;
}

static int
pg_store_purged_take(struct store *base, const char *guid,
    struct store_record *rec, struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;
	struct pg_params p;
	PGresult *res = NULL;
	int rc = -1;

	if (pg_rec_no_purged(sp, guid))
		return 0;
	if (pg_params_init(&p, 1, err) != 0)
		return -1;
	/* Taken once: read and forgotten in one statement. */
	if (pg_param_text(&p, 0, guid, err) == 0 &&
	    (res = pg_stmt_run(sp, NULL, "DELETE FROM syncpack.purged WHERE "
	    "guid = $1 RETURNING origin, owner, rowversion, hlc, hlc_site",
	    &p, err)) != NULL) {
		rc = PQntuples(res) > 0;
		if (rc) {
			snprintf(rec->origin, sizeof(rec->origin), "%s",
			    PQgetvalue(res, 0, 0));
			snprintf(rec->owner, sizeof(rec->owner), "%s",
			    PQgetvalue(res, 0, 1));
			rec->rowversion = atoll(PQgetvalue(res, 0, 2));
			rec->hlc = atoll(PQgetvalue(res, 0, 3));
			snprintf(rec->hlc_site, sizeof(rec->hlc_site), "%s",
			    PQgetvalue(res, 0, 4));
		}
	}
	PQclear(res);
	pg_params_free(&p);
	return rc;
}

static int
pg_store_columns(struct store *base, const char *table, char *const **names,
    int *count, struct sp_error *err)
{
	struct pg_table *t = pg_rec_table_by_name((struct store_pg *)base,
	    table);

	(void)err;
	*names = t != NULL ? t->columns : NULL;
	*count = t != NULL ? t->ncolumns : 0;
	return t != NULL;
}

static void
pg_store_close(struct store *base)
{
	struct store_pg *sp = (struct store_pg *)base;

	pg_batch_free(sp);
	pg_stmts_free(sp);
	pg_rec_forget(sp);
	pg_rec_shapes_free(sp);
	pg_rec_tables_free(sp);
	free(sp);
}

static const struct store_ops pg_store_ops = {
	.close = pg_store_close,
	.begin_apply = pg_store_begin_apply,
	.commit = pg_store_commit,
	.rollback = pg_store_rollback,
	.changes = pg_rec_changes,
	.changed_records = pg_rec_changed_records,
	.columns = pg_store_columns,
	.lookup_key = pg_rec_lookup_key,
	.lookup_ref = pg_rec_lookup_ref,
	.lookup = pg_rec_lookup,
	.upsert = pg_rec_upsert,
	.tombstone = pg_rec_tombstone,
	.referenced = pg_rec_referenced,
	.park = pg_rec_park,
	.parked = pg_rec_parked,
	.restamp = pg_rec_restamp,
	.merge = pg_rec_merge,
	.savepoint = pg_store_savepoint,
	.release = pg_store_release,
	.rollback_to = pg_store_rollback_to,
	.locked = pg_store_locked,
	.purged_take = pg_store_purged_take,
	.batch_begin = pg_batch_begin,
	.batch_end = pg_batch_end,
};

int
pg_store_is(const struct store *st)
{
	return st->ops == &pg_store_ops;
}

struct store *
pg_store_open(struct site *s, struct sp_error *err)
{
	struct store_pg *sp = calloc(1, sizeof(*sp));

	if (sp == NULL) {
		sp_error_set(err, "out of memory");
		return NULL;
	}
	sp->base.ops = &pg_store_ops;
	sp->site = s;
	sp->before_statement = pg_batch_before;
	/* Floats in their shortest exact digits whatever the server's
	 * setting (every other form read is independent of the session). */
	if (run(sp, "SET extra_float_digits = 3", err) != 0 ||
	    pg_rec_load_tables(sp, err) != 0) {
		pg_store_close(&sp->base);
		return NULL;
	}
	return &sp->base;
}
