/* batch_pg.c: batches of an apply on a PostgreSQL site
 * (store_batch_begin): the metadata of a batch's records read by one
 * statement, their writes queued (stage_pg.c) until a statement of the
 * store could see them or the batch ends, all inside one savepoint that
 * undoes the whole batch when a queued write is refused. A record costs
 * no round trip of its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/store_pg.h"

/* Flushes a statement forces before the batch stops queueing: records
 * that need the server one by one gain nothing from it. */
#define FORCED_MAX 16

static void
seen_free(struct pg_batch *b)
{
	for (int i = 0; i < b->nseen; i++) {
		free(b->seen[i].rkey);
		json_decref(b->seen[i].row);
	}
	free(b->seen);
	b->seen = NULL;
	b->nseen = 0;
}

/* Forgets the queue and what was read. */
static void
batch_clear(struct store_pg *sp)
{
	struct pg_batch *b = &sp->batch;

	seen_free(b);
	pg_batch_memo_clear(b);
	for (int i = 0; b->tables != NULL && i < sp->ntables; i++)
		pg_stage_clear(&b->tables[i], 0);
	b->queued = b->queued_here = b->lazy = b->forced = b->busy = 0;
	b->cache_valid = 0;
}

void
pg_batch_reset(struct store_pg *sp)
{
	struct pg_batch *b = &sp->batch;

	batch_clear(sp);
	b->state = PG_BATCH_OFF;
}

void
pg_batch_free(struct store_pg *sp)
{
	struct pg_batch *b = &sp->batch;

	pg_batch_reset(sp);
	for (int i = 0; b->tables != NULL && i < sp->ntables; i++)
		pg_stage_clear(&b->tables[i], 1);
	free(b->tables);
	memset(b, 0, sizeof(*b));
}

/* Undoes the batch: every write since it began, queued or not. The
 * error why (of a write refused) becomes the batch's. */
static int
batch_fail(struct store_pg *sp, struct sp_error *err)
{
	char why[sizeof(err->msg)];
	PGresult *res;

	snprintf(why, sizeof(why), "%s", err->msg);
	res = PQexec(sp->site->pg, "ROLLBACK TO SAVEPOINT syncpack_batch; "
	    "RELEASE SAVEPOINT syncpack_batch");
	if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK) {
		PQclear(res);
		/* The transaction cannot go on: the apply fails whole. */
		pg_batch_reset(sp);
		return sp_error_set(err, "%s: a batch could not be undone "
		    "after: %s", sp->site->path, why);
	}
	PQclear(res);
	sp->release_pending = 0;
	sp->savepoints = 0;
	pg_rec_forget(sp);
	batch_clear(sp);
	sp->batch.state = PG_BATCH_FAILED;
	return sp_error_setk(err, SP_ERR_BATCH, 0, "%s: the batch was undone: "
	    "%s", sp->site->path, why);
}

static int
flush(struct store_pg *sp, struct sp_error *err)
{
	struct pg_batch *b = &sp->batch;
	int rc;

	b->busy = 1;
	rc = pg_stage_flush(sp, err);
	b->busy = 0;
	if (rc != 0)
		return batch_fail(sp, err);
	b->queued = b->queued_here = 0;
	return 0;
}

int
pg_batch_before(struct store_pg *sp, int side, const char *sql,
    struct sp_error *err)
{
	struct pg_batch *b = &sp->batch;

	if (b->state == PG_BATCH_OFF || b->busy)
		return 0;
	if (b->state == PG_BATCH_FAILED)
		return pg_batch_failed(sp, err);
	if (b->lazy && b->queued_here) {
		/* The record's queued write would land outside its savepoint. */
		sp_error_set(err, "%s: a statement inside a record's savepoint "
		    "after its queued write", sp->site->path);
		return batch_fail(sp, err);
	}
	if (side && !b->lazy)
		return 0;
	if (b->queued > 0) {
		b->forced++;
		if (flush(sp, err) != 0)
			return -1;
	}
	if (b->lazy) {
		int rc;
		b->busy = 1;
		rc = pg_stmt_release(sp, "SAVEPOINT syncpack_record", err);
		b->busy = 0;
		if (rc != 0)
			return -1;
		b->lazy = 0;
	}
	/* A statement that may write: what the batch read may be past. */
	if (!side && strncmp(sql, "SELECT ", 7) != 0)
		b->cache_valid = 0;
	return 0;
}

int
pg_batch_begin(struct store *base, const char *const *guids, int n,
    struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;
	struct pg_batch *b = &sp->batch;

	if (b->state != PG_BATCH_OFF)
		return sp_error_set(err, "%s: a batch is open already",
		    sp->site->path);
	/* Rows set aside (store_park) leave their scratch one by one. */
	if (n == 0 || sp->savepoints != 0 || sp->parking)
		return 0;
	if (b->tables == NULL && sp->ntables > 0 &&
	    (b->tables = calloc((size_t)sp->ntables, sizeof(*b->tables))) ==
	    NULL)
		return sp_error_set(err, "out of memory");
	/* The clock before the savepoint: read once, whatever is undone. */
	if (pg_rec_clock_load(sp, err) != 0 ||
	    pg_stmt_release(sp, "SAVEPOINT syncpack_batch", err) != 0)
		return -1;
	b->state = PG_BATCH_ON;
	b->busy = 1;
	if (pg_rec_read_seen(sp, guids, n, err) != 0) {
		char why[sizeof(err->msg)];
		snprintf(why, sizeof(why), "%s", err->msg);
		b->busy = 0;
		if (batch_fail(sp, err), err->kind == SP_ERR_BATCH)
			sp_error_set(err, "%s", why);
		batch_clear(sp);
		b->state = PG_BATCH_OFF;
		return -1;
	}
	b->busy = 0;
	return 1;
}

int
pg_batch_end(struct store *base, int keep, struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;
	struct pg_batch *b = &sp->batch;
	int rc = 0;

	if (b->state == PG_BATCH_OFF)
		return 0;
	if (b->state == PG_BATCH_FAILED || !keep) {
		if (b->state == PG_BATCH_FAILED)
			rc = keep ? pg_batch_failed(sp, err) : 0;
		else if (sp_error_set(err, "given up"), batch_fail(sp, err),
		    err->kind != SP_ERR_BATCH)
			rc = -1;	/* could not be undone */
		batch_clear(sp);
		b->state = PG_BATCH_OFF;
		return rc;
	}
	if (b->lazy)
		rc = sp_error_set(err, "%s: a record savepoint is open at the "
		    "end of a batch", sp->site->path);
	else if (b->queued > 0 && flush(sp, err) != 0)
		rc = -1;
	if (rc != 0) {
		if (b->state == PG_BATCH_ON)
			(void)batch_fail(sp, err);
		batch_clear(sp);
		b->state = PG_BATCH_OFF;
		return -1;
	}
	b->busy = 1;
	rc = pg_stmt_release(sp, "RELEASE SAVEPOINT syncpack_batch", err);
	b->busy = 0;
	batch_clear(sp);
	b->state = PG_BATCH_OFF;
	return rc;
}

int
pg_batch_queue(struct store_pg *sp, struct pg_table *t,
    const struct store_record *rec, json_t *row, const char *rkey,
    struct sp_error *err)
{
	struct pg_batch *b = &sp->batch;
	struct pg_batch_seen *e;
	long long lseq;

	if (b->state != PG_BATCH_ON || b->busy || b->forced > FORCED_MAX ||
	    (sp->savepoints > 0 && !b->lazy) || sp->parking ||
	    !sp->clock_loaded || sp->release_pending)
		return 0;
	if ((e = pg_batch_seen_find(b, rec->guid)) == NULL || e->queued ||
	    !pg_stage_takes(t, row))
		return 0;
	/* An lseq taken for a write refused stays unused: a gap, never a
	 * repeat. */
	if (pg_rec_clock_tick(sp, rec->hlc, &lseq, err) != 0 ||
	    pg_stage_line(sp, t, rec, row, e->found, rkey, lseq, err) != 0)
		return -1;
	e->queued = 1;
	b->queued++;
	b->queued_here += b->lazy;
	return 1;
}

int
pg_batch_savepoint(struct store_pg *sp)
{
	struct pg_batch *b = &sp->batch;

	if (b->state != PG_BATCH_ON || b->lazy)
		return 0;
	b->lazy = 1;
	b->queued_here = 0;
	return 1;
}

int
pg_batch_release(struct store_pg *sp)
{
	struct pg_batch *b = &sp->batch;

	if (b->state != PG_BATCH_ON || !b->lazy)
		return 0;
	b->lazy = 0;
	b->queued_here = 0;
	return 1;
}

int
pg_batch_rollback_to(struct store_pg *sp, struct sp_error *err)
{
	struct pg_batch *b = &sp->batch;

	if (b->state == PG_BATCH_FAILED)
		return pg_batch_failed(sp, err);
	if (b->state != PG_BATCH_ON || !b->lazy)
		return 0;
	if (b->queued_here) {
		sp_error_set(err, "%s: a record's queued write is undone",
		    sp->site->path);
		return batch_fail(sp, err);
	}
	return 1;	/* nothing written since: the savepoint stays asked */
}
