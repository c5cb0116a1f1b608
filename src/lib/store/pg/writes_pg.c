/* writes_pg.c: the record store's writes on a PostgreSQL site: incoming
 * versions into their tables through statements prepared once per table
 * and column order, tombstones, restamps, and the lseq and HLC clock they
 * advance under the clock row's lock (store_pg.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/store_pg.h"
#include "util/clock.h"

/* The INSERT of a record's metadata with its parameters from $first on
 * (meta_params) and its rkey the SQL expression rkey; NULL when out of
 * memory. */
static char *
meta_insert(int first, const char *rkey, const char *from)
{
	char *sql = NULL;
	int f = first;

	if (asprintf(&sql, "INSERT INTO syncpack.record(" META_COLUMNS ") "
	    "SELECT $%1$d, $%2$d::bigint, %17$s, $%3$d, $%4$d, $%5$d::bigint, "
	    "$%6$d::bigint, $%7$d, $%8$d::bigint, $%9$d::integer, "
	    "$%10$d::integer, nullif($%11$d::text, ''), $%12$d::bigint, "
	    "$%13$d::bigint, nullif($%14$d::text, ''), $%15$d::bigint, "
	    "nullif($%16$d::text, '')%18$s" META_UPSERT " RETURNING rkey", f,
	    f + 1, f + 2, f + 3, f + 4, f + 5, f + 6, f + 7, f + 8, f + 9,
	    f + 10, f + 11, f + 12, f + 13, f + 14, f + 15, rkey, from) < 0)
		return NULL;
	return sql;
}

/* The META_PARAMS parameters of meta_insert from index i on: rec's
 * metadata with lseq, of a live row or (live 0) a tombstone. */
static int
meta_params(struct pg_params *p, int i, const struct pg_table *t,
    const struct store_record *rec, long long lseq, int live,
    struct sp_error *err)
{
	/* A tombstone has no values: it is compared by its own stamp. */
	return pg_param_text(p, i, rec->guid, err) || pg_param_ll(p, i + 1,
	    t->id, err) || pg_param_text(p, i + 2, rec->origin, err) ||
	    pg_param_text(p, i + 3, rec->owner, err) || pg_param_ll(p, i + 4,
	    rec->rowversion, err) || pg_param_ll(p, i + 5, rec->hlc, err) ||
	    pg_param_text(p, i + 6, rec->hlc_site, err) || pg_param_ll(p, i + 7,
	    lseq, err) || pg_param_ll(p, i + 8, !live, err) || pg_param_ll(p,
	    i + 9, rec->flags, err) || pg_param_text(p, i + 10, rec->src, err)
	    || pg_param_ll(p, i + 11, rec->base, err) || pg_param_ll(p, i + 12,
	    rec->base_hlc, err) || pg_param_text(p, i + 13, rec->base_site,
	    err) || pg_param_ll(p, i + 14, live ? rec->values_hlc : 0, err) ||
	    pg_param_text(p, i + 15, live ? rec->values_site : "", err) ? -1 : 0;
}

/* 1 when col is this site's own key (a local key), not written from the
 * incoming value. */
static int
skipped(const struct pg_table *t, const char *col)
{
	return t->local_key && strcmp(col, t->pk) == 0;
}

static int
column_index(const struct pg_table *t, const char *col)
{
	for (int i = 0; i < t->ncolumns; i++)
		if (strcmp(t->columns[i], col) == 0)
			return i;
	return -1;
}

static void
shape_free(struct pg_shape *sh)
{
	free(sh->stmt);
	free(sh->cols);
	memset(sh, 0, sizeof(*sh));
}

void
pg_rec_shapes_free(struct store_pg *sp)
{
	for (int i = 0; i < sp->ntables; i++) {
		shape_free(&sp->tables[i].insert);
		shape_free(&sp->tables[i].update);
	}
}

static int
shape_matches(const struct pg_shape *sh, const struct pg_table *t,
    json_t *row)
{
	const char *col;
	json_t *v;
	int n = 0;

	if (sh->stmt == NULL)
		return 0;
	json_object_foreach(row, col, v) {
		if (skipped(t, col))
			continue;
		if (n >= sh->ncols || strcmp(t->columns[sh->cols[n]], col) != 0)
			return 0;
		n++;
	}
	return n == sh->ncols;
}

/* The SQL of an INSERT of sh's columns, or an UPDATE of them (the key
 * bound after them), and of the record's metadata (meta_params after
 * that), returning the row's rkey. */
static char *
shape_sql(const struct pg_table *t, const struct pg_shape *sh, int update)
{
	/* The row's rkey as the capture triggers compute it, so that the
	 * fold finds the record of a row written here. */
	char *sql = strdup(""), *meta, num[16], *key_of = pg_table_key_of(t,
	    NULL), *match;
	int n = sh->ncols;

	snprintf(num, sizeof(num), "$%d", n + 1);
	if ((match = pg_table_key_match(t, NULL, num)) == NULL ||
	    key_of == NULL) {
		free(sql);
		sql = NULL;
	}
	if (update && n)
		pg_sql_append(&sql, "UPDATE %s SET ", t->name, NULL);
	else if (update)
		pg_sql_append(&sql, "SELECT %s AS k FROM %s", key_of, t->name);
	else
		pg_sql_append(&sql, n ? "INSERT INTO %s(" : "INSERT INTO %s DEFAULT "
		    "VALUES", t->name, NULL);
	for (int i = 0; i < n; i++) {
		int c = sh->cols[i];
		char *ph = pg_value_placeholder(t->kinds[c], i + 1, t->types[c]);

		if (ph == NULL) {
			free(sql);
			sql = NULL;
			break;
		}
		if (i)
			pg_sql_append(&sql, ", ", NULL, NULL);
		pg_sql_append(&sql, update ? "%s = %s" : "%s", t->qcolumns[c], ph);
		free(ph);
	}
	for (int i = 0; !update && i < n; i++) {
		int c = sh->cols[i];
		char *ph = pg_value_placeholder(t->kinds[c], i + 1, t->types[c]);

		if (ph == NULL) {
			free(sql);
			sql = NULL;
			break;
		}
		pg_sql_append(&sql, i ? ", %s" : ") VALUES (%s", ph, NULL);
		free(ph);
	}
	if (!update && n)
		pg_sql_append(&sql, ")", NULL, NULL);
	if (update)
		pg_sql_append(&sql, " WHERE %s", match, NULL);
	if (!update || n)
		pg_sql_append(&sql, " RETURNING %s AS k", key_of, NULL);
	free(match);
	free(key_of);
	/* The row and its metadata in one statement, one round trip: the
	 * metadata takes the rkey the write returns, and none when the row
	 * has vanished. */
	meta = meta_insert(n + update + 1, "w.k", " FROM w");
	if (meta != NULL && sql != NULL)
		pg_sql_append(&sql, ") %s", meta, NULL);
	free(meta);
	if (sql != NULL) {
		char *wrapped = NULL;
		if (asprintf(&wrapped, "WITH w AS (%s", sql) < 0)
			wrapped = NULL;
		free(sql);
		sql = wrapped;
	}
	return sql;
}

/* Makes sh the statement for row's columns in their order. */
static int
shape_make(struct pg_table *t, struct pg_shape *sh, json_t *row, int update,
    struct sp_error *err)
{
	const char *col;
	json_t *v;
	int n = 0;

	shape_free(sh);
	if ((sh->cols = calloc(json_object_size(row) + 1,
	    sizeof(*sh->cols))) == NULL)
		return sp_error_set(err, "out of memory");
	json_object_foreach(row, col, v) {
		int c = column_index(t, col);

		if (c < 0) {
			shape_free(sh);
			return sp_error_set(err, "%s has no column %s (schema "
			    "differs)", t->name, col);
		}
		if (skipped(t, col))
			continue;
		sh->cols[n] = c;
		sh->ncols = ++n;
	}
	if ((sh->stmt = shape_sql(t, sh, update)) == NULL) {
		shape_free(sh);
		return sp_error_set(err, "out of memory");
	}
	return 0;
}

/* A --rowversion-column table's copy of the rowversion follows the
 * record's, written while the triggers stand aside (an apply). */
static int
rowversion_follow(struct store_pg *sp, const struct pg_table *t,
    const char *rkey, long long rowversion, struct sp_error *err)
{
	struct pg_params p;
	char *match, *sql = NULL;
	int rc = -1;

	if (t->rvcol == NULL)
		return 0;
	if ((match = pg_table_key_match(t, NULL, "$2::text")) == NULL ||
	    asprintf(&sql, "UPDATE %s SET %s = $1::bigint WHERE %s", t->name,
	    t->rvcol, match) < 0) {
		free(match);
		return sp_error_set(err, "out of memory");
	}
	free(match);
	if (pg_params_init(&p, 2, err) == 0) {
		if (pg_param_ll(&p, 0, rowversion, err) == 0 &&
		    pg_param_text(&p, 1, rkey, err) == 0)
			rc = pg_stmt_exec(sp, sql, &p, err);
		pg_params_free(&p);
	}
	free(sql);
	return rc;
}

/* INSERT (rkey NULL) or UPDATE (of the row whose key is rkey) of row's
 * columns, and the record's metadata with lseq. */
static int
row_write(struct store_pg *sp, struct pg_table *t,
    const struct store_record *rec, json_t *row, const char *rkey,
    long long lseq, struct sp_error *err)
{
	struct pg_shape *sh = rkey == NULL ? &t->insert : &t->update;
	struct pg_params p;
	PGresult *res = NULL;
	const char *col;
	json_t *v;
	int idx = 0, rc = -1;

	if (!shape_matches(sh, t, row) && shape_make(t, sh, row, rkey != NULL,
	    err) != 0)
		return -1;
	if (pg_params_init(&p, sh->ncols + (rkey != NULL) + META_PARAMS, err)
	    != 0)
		return -1;
	json_object_foreach(row, col, v) {
		if (skipped(t, col))
			continue;
		if (pg_value_param(&p, idx, t->kinds[sh->cols[idx]], v,
		    err) != 0) {
			sp_error_prefix(err, "%s.%s", t->name, col);
			goto done;
		}
		idx++;
	}
	if (rkey != NULL && pg_param_text(&p, idx++, rkey, err) != 0)
		goto done;
	if (meta_params(&p, idx, t, rec, lseq, 1, err) != 0 ||
	    (res = pg_stmt_run(sp, t, sh->stmt, &p, err)) == NULL)
		goto done;
	if (PQntuples(res) != 1) {
		sp_error_set(err, "%s: row of %s vanished", t->name, rec->guid);
		goto done;
	}
	rc = rowversion_follow(sp, t, PQgetvalue(res, 0, 0), rec->rowversion,
	    err);
done:
	PQclear(res);
	pg_params_free(&p);
	return rc;
}

/* The tracked table of rec and the rkey of its row (NULL when the
 * record is unknown here or a tombstone); the caller frees *rkey. */
static int
target_of(struct store_pg *sp, const struct store_record *rec,
    struct pg_table **t, char **rkey, struct sp_error *err)
{
	*rkey = NULL;
	if ((*t = pg_rec_table_by_name(sp, rec->table)) == NULL)
		return sp_error_set(err, "%s is not a tracked table here",
		    rec->table);
	/* Whatever this write does, the last lookup is past. */
	if (pg_rec_rkey(sp, rec->guid, rkey, err) != 0)
		return -1;
	pg_rec_forget(sp);
	return 0;
}

int
pg_rec_upsert(struct store *base, const struct store_record *rec,
    json_t *row, struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;
	const struct pg_batch_seen *e;
	struct pg_table *t;
	char *rkey = NULL;
	long long lseq;
	int rc = -1;

	if (pg_batch_check(sp, err) != 0)
		return -1;
	/* In a batch, the write of one of its records waits with the others
	 * of its table, its row's key as the batch read it. */
	if ((e = pg_batch_seen_of(sp, rec->guid)) != NULL &&
	    (t = pg_rec_table_by_name(sp, rec->table)) != NULL &&
	    (rc = pg_batch_queue(sp, t, rec, row, e->rkey, err)) != 0) {
		pg_rec_forget(sp);
		return rc > 0 ? 0 : -1;
	}
	rc = -1;
	if (target_of(sp, rec, &t, &rkey, err) != 0)
		return -1;
	/* An lseq taken for a write that fails stays unused: a gap, never
	 * a repeat. */
	if (pg_rec_clock_tick(sp, rec->hlc, &lseq, err) == 0 &&
	    row_write(sp, t, rec, row, rkey, lseq, err) == 0 &&
	    pg_rec_unpark(sp, rec->guid, err) == 0)
		rc = 0;
	free(rkey);
	return rc;
}

int
pg_rec_tombstone(struct store *base, const struct store_record *rec,
    struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;
	struct pg_table *t;
	struct pg_params p;
	char *rkey = NULL, *sql = NULL;
	long long lseq;
	int rc = -1;

	if (target_of(sp, rec, &t, &rkey, err) != 0)
		return -1;
	if (pg_params_init(&p, 1, err) != 0) {
		free(rkey);
		return -1;
	}
	if (rkey != NULL) {
		char *match = pg_table_key_match(t, NULL, "$1");

		if (match == NULL || asprintf(&sql, "DELETE FROM %s WHERE %s",
		    t->name, match) < 0) {
			free(match);
			sql = NULL;
			sp_error_set(err, "out of memory");
			goto done;
		}
		free(match);
		if (pg_param_text(&p, 0, rkey, err) != 0 ||
		    pg_stmt_exec(sp, sql, &p, err) != 0)
			goto done;
	}
	free(sql);
	if ((sql = meta_insert(1, "NULL::text", "")) == NULL) {
		sp_error_set(err, "out of memory");
		goto done;
	}
	pg_params_free(&p);
	if (pg_rec_clock_tick(sp, rec->hlc, &lseq, err) == 0 &&
	    pg_params_init(&p, META_PARAMS, err) == 0 &&
	    meta_params(&p, 0, t, rec, lseq, 0, err) == 0 &&
	    pg_stmt_exec(sp, sql, &p, err) == 0 &&
	    pg_rec_unpark(sp, rec->guid, err) == 0)
		rc = 0;
done:
	free(sql);
	free(rkey);
	pg_params_free(&p);
	return rc;
}

int
pg_rec_restamp(struct store *base, const char *guid,
    const struct store_record *deleted, int revived, struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;
	struct pg_table *t;
	struct pg_params p;
	PGresult *res;
	long long lseq, hlc;
	int found = pg_rec_find(sp, guid, &res, err), rc = -1, live;

	pg_rec_forget(sp);
	if (found <= 0)
		return found < 0 ? -1 : sp_error_set(err, "record %s vanished",
		    guid);
	/* Stamped just past both versions, not at the wall clock: the new
	 * version undoes the one that did not land, and still loses to a
	 * change another site made after it. Kept alive (revived), the
	 * values keep the stamp of the write that made them, so that
	 * between live versions the latest write still wins (syncpack(7)). */
	hlc = clock_past_hlc(atoll(PQgetvalue(res, 0, 6)), deleted->hlc);
	t = pg_rec_table_by_id(sp, atoll(PQgetvalue(res, 0, 1)));
	live = t != NULL && !PQgetisnull(res, 0, 2);
	PQclear(res);
	if (!live)
		return sp_error_set(err, "record %s has no row to keep", guid);
	if (pg_rec_clock_tick(sp, hlc, &lseq, err) != 0 ||
	    pg_params_init(&p, 8, err) != 0)
		return -1;
	if (pg_param_text(&p, 0, guid, err) == 0 && pg_param_ll(&p, 1,
	    deleted->rowversion, err) == 0 && pg_param_ll(&p, 2, hlc, err) == 0
	    && pg_param_text(&p, 3, sp->site->id, err) == 0 && pg_param_ll(&p,
	    4, lseq, err) == 0 && pg_param_ll(&p, 5, deleted->hlc, err) == 0 &&
	    pg_param_ll(&p, 6, revived ? 8 : 0, err) == 0 && pg_param_text(&p,
	    7, deleted->hlc_site, err) == 0 &&
	    (res = pg_stmt_run(sp, NULL, "UPDATE syncpack.record SET rowversion = "
		    "greatest(rowversion, $2::bigint) + 1, hlc = $3::bigint, "
		    "hlc_site = $4, lseq = $5::bigint, src = NULL, base = "
		    "$2::bigint, base_hlc = $6::bigint, base_site = $8, flags = "
		    "flags | $7::integer, values_hlc = CASE WHEN values_hlc = 0 "
		    "AND $7::integer <> 0 THEN hlc ELSE values_hlc END, "
		    "values_site = CASE WHEN values_hlc = 0 AND $7::integer <> 0 "
		    "THEN hlc_site ELSE values_site END WHERE guid = $1 RETURNING "
		    "rkey, rowversion", &p, err)) != NULL) {
		rc = PQntuples(res) == 1 ? rowversion_follow(sp, t,
		    PQgetvalue(res, 0, 0), pg_ll(res, 0, 1), err) :
		    sp_error_set(err, "record %s vanished", guid);
		PQclear(res);
	}
	pg_params_free(&p);
	return rc;
}
