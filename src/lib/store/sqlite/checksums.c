/* checksums.c: the upkeep of the checksums kept with records
 * (checksums.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "store/record_columns.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/checksums.h"
#include "store/sqlite/key_sql.h"
#include "store/sqlite/manifest_sql.h"
#include "store/sqlite/row_json.h"
#include "store/sqlite/sql.h"
#include "sxf/record_sum.h"
#include "util/hexenc.h"

/* record_columns_load on this backend's own reads: the dispatch above the
 * backends is not for a backend to call. */
static int
sqlite_record_columns(struct site *s, const struct tracked_table *t,
    struct record_columns *rc, struct sp_error *err)
{
	return record_columns_read(s, t, sqlite_fks_load, sqlite_columns_load,
	    rc, err);
}

/* Records written back per statement of a batch over the stale index. */
#define BATCH 512

/* *v: a column of one row of sql (NULL: *has 0); 1 for a row, 0 none. */
static int
query_int(struct site *s, const char *sql, long long id, long long *v,
    int *has, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (sqlite3_bind_parameter_count(st) > 0)
		sqlite3_bind_int64(st, 1, id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		*has = sqlite3_column_type(st, 0) != SQLITE_NULL;
		*v = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return site_sqlite_error(s, err, s->path);
	return r == SQLITE_ROW;
}

/* The shape t's checksums are made for, in hex: the encoding's version,
 * the table's schema as declared, and its canonical columns with the
 * parents they name. */
static int
table_shape(struct site *s, const struct tracked_table *t,
    const struct store_manifest_column *cols, int ncols, char out[65],
    struct sp_error *err)
{
	sqlite3_str *text = sqlite3_str_new(s->db);
	unsigned char digest[32];
	sqlite3_stmt *st;
	char *all;
	int r, ok;

	sqlite3_str_appendf(text, "%s\n%s\n", RECORD_SUM_VERSION, t->name);
	if (sqlite3_prepare_v2(s->db, "SELECT sql FROM sqlite_master WHERE "
	    "type = 'table' AND name = ?1", -1, &st, NULL) != SQLITE_OK) {
		sqlite3_free(sqlite3_str_finish(text));
		return site_sqlite_error(s, err, s->path);
	}
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		sqlite3_str_appendf(text, "%s\n", sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE) {
		sqlite3_free(sqlite3_str_finish(text));
		return site_sqlite_error(s, err, s->path);
	}
	for (int i = 0; i < ncols; i++)
		sqlite3_str_appendf(text, "%s\t%s\t%s\n", cols[i].name,
		    cols[i].parent ? cols[i].parent : "", cols[i].ref ?
		    cols[i].ref : "");
	all = sqlite3_str_finish(text);
	ok = all != NULL && EVP_Digest(all, strlen(all), digest, NULL,
	    EVP_sha256(), NULL) == 1;
	sqlite3_free(all);
	if (!ok)
		return sp_error_set(err, "cannot hash the shape of %s", t->name);
	hex_encode(digest, sizeof(digest), out);
	return 0;
}

/* 1 when the stored shape of t is shape. */
static int
shape_stored(struct site *s, const struct tracked_table *t,
    const char *shape, struct sp_error *err)
{
	sqlite3_stmt *st;
	int r, same = 0;

	if (sqlite3_prepare_v2(s->db, "SELECT checksum_shape FROM "
	    "syncpack_table WHERE id = ?1", -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_int64(st, 1, t->id);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
		same = strcmp((const char *)sqlite3_column_text(st, 0), shape)
		    == 0;
	sqlite3_finalize(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return site_sqlite_error(s, err, s->path);
	return same;
}

static int
refers(const struct store_manifest_column *cols, int ncols)
{
	for (int i = 0; i < ncols; i++)
		if (cols[i].parent != NULL)
			return 1;
	return 0;
}

int
checksum_table_current(struct site *s, const struct tracked_table *t,
    const struct store_manifest_column *cols, int ncols, long long *mark,
    struct sp_error *err)
{
	char shape[65];
	long long v;
	int has = 0, r;

	*mark = 0;
	r = query_int(s, "SELECT checksum_lseq FROM syncpack_site WHERE id = 1",
	    0, mark, &has, err);
	if (r <= 0 || !has)
		return r < 0 ? -1 : 0;
	/* A pending lost key of any table: a reference may name it. */
	if (refers(cols, ncols) && (r = query_int(s, "SELECT 1 FROM "
	    "syncpack_unmapped LIMIT 1", 0, &v, &has, err)) != 0)
		return r < 0 ? -1 : 0;
	if (table_shape(s, t, cols, ncols, shape, err) != 0)
		return -1;
	return shape_stored(s, t, shape, err);
}

/* One refresh: the statements and the state it carries between tables. */
struct refresh {
	struct site *s;
	struct record_sum sum;
	sqlite3_stmt *set;	/* ?1 guid, ?2 checksum or NULL */
	long long mark;		/* checksum_lseq before it */
};

/* One record's new checksum; NULL (ok 0) when a reference names no
 * record: a parent that arrives later changes it, and nothing would say
 * so. */
struct result {
	char guid[33];
	unsigned char digest[32];
	int ok;
};

/* Checksums the row of st (a manifest_sql_select statement with refs). */
static int
compute_row(struct refresh *rf, const struct tracked_table *t,
    const struct record_columns *rc, sqlite3_stmt *st, struct result *out,
    struct sp_error *err)
{
	const char *guid = (const char *)sqlite3_column_text(st, 0);
	const char *owner = (const char *)sqlite3_column_text(st, 1);
	int deleted = sqlite3_column_int(st, 3), dangling = 0;

	if (guid == NULL || owner == NULL)
		return sp_error_set(err, "out of memory");
	snprintf(out->guid, sizeof(out->guid), "%s", guid);
	record_sum_begin(&rf->sum, t->name, guid, owner, deleted);
	for (int i = 0; !deleted && i < rc->ncols; i++) {
		int col = MANIFEST_SQL_FIRST_VALUE + i;
		struct value v;

		if (row_value(st, col, &v, err) != 0)
			return -1;
		/* Set: the reference holds a value naming nothing. */
		if (v.type == VALUE_NULL && sqlite3_column_int(st, col +
		    rc->ncols))
			dangling = 1;
		record_sum_value(&rf->sum, rc->cols[i].name, &v,
		    rc->cols[i].parent != NULL);
	}
	if (record_sum_end(&rf->sum, out->digest) != 0)
		return sp_error_set(err, "%s %s: cannot compute the checksum "
		    "(out of memory)", t->name, guid);
	out->ok = !dangling;
	return 0;
}

static int
write_result(struct refresh *rf, const struct result *res,
    struct sp_error *err)
{
	int r;

	sqlite3_reset(rf->set);
	sqlite3_bind_text(rf->set, 1, res->guid, -1, SQLITE_STATIC);
	if (res->ok)
		sqlite3_bind_blob(rf->set, 2, res->digest, 32, SQLITE_STATIC);
	else
		sqlite3_bind_null(rf->set, 2);
	r = sqlite3_step(rf->set);
	sqlite3_reset(rf->set);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(rf->s, err,
	    rf->s->path);
}

/* The statement over t's records that where selects (?1 bound by the
 * caller), by index. */
static sqlite3_stmt *
refresh_query(struct refresh *rf, const struct tracked_table *t,
    const struct record_columns *rc, const char *index, const char *where,
    struct sp_error *err)
{
	char *window, *sql = manifest_sql_select(t, rc->cols, rc->ncols,
	    MANIFEST_SQL_ROWS, 1, index, &window), *full;
	sqlite3_stmt *st = NULL;

	sqlite3_free(window);
	full = sql ? sqlite3_mprintf("%s WHERE r.tbl = %lld AND %s", sql,
	    t->id, where) : NULL;
	sqlite3_free(sql);
	if (full == NULL) {
		sp_error_set(err, "out of memory");
		return NULL;
	}
	if (sqlite3_prepare_v2(rf->s->db, full, -1, &st, NULL) != SQLITE_OK)
		site_sqlite_error(rf->s, err, rf->s->path);
	sqlite3_free(full);
	return st;
}

/* The records of t changed since the last refresh, by the lseq index,
 * which the writes leave alone, so that they are made as the scan goes. */
static int
refresh_changed(struct refresh *rf, const struct tracked_table *t,
    const struct record_columns *rc, struct sp_error *err)
{
	sqlite3_stmt *st = refresh_query(rf, t, rc, "syncpack_record_lseq",
	    "r.lseq > ?1", err);
	struct result res;
	int r;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, rf->mark);
	while ((r = sqlite3_step(st)) == SQLITE_ROW)
		if (compute_row(rf, t, rc, st, &res, err) != 0 ||
		    write_result(rf, &res, err) != 0) {
			sqlite3_finalize(st);
			return -1;
		}
	sqlite3_finalize(st);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(rf->s, err,
	    rf->s->path);
}

/* The records of t with no checksum, by the index of those: each write
 * takes a record out of it, so a batch is read before it is written, and
 * the next starts past its last GUID. */
static int
refresh_missing(struct refresh *rf, const struct tracked_table *t,
    const struct record_columns *rc, struct sp_error *err)
{
	char where[128];
	struct result *batch = malloc(BATCH * sizeof(*batch));
	sqlite3_stmt *st;
	char last[33] = "";
	int r = SQLITE_DONE, n, rc_ = 0;

	snprintf(where, sizeof(where), "r.checksum IS NULL AND r.guid > ?1 "
	    "ORDER BY r.guid LIMIT %d", BATCH);
	if (batch == NULL)
		return sp_error_set(err, "out of memory");
	if ((st = refresh_query(rf, t, rc, "syncpack_record_stale", where,
	    err)) == NULL) {
		free(batch);
		return -1;
	}
	do {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, last, -1, SQLITE_TRANSIENT);
		n = 0;
		while (rc_ == 0 && n < BATCH &&
		    (r = sqlite3_step(st)) == SQLITE_ROW)
			rc_ = compute_row(rf, t, rc, st, &batch[n++], err);
		if (rc_ == 0 && r != SQLITE_ROW && r != SQLITE_DONE)
			rc_ = site_sqlite_error(rf->s, err, rf->s->path);
		sqlite3_reset(st);
		for (int i = 0; rc_ == 0 && i < n; i++)
			rc_ = write_result(rf, &batch[i], err);
		if (n > 0)
			memcpy(last, batch[n - 1].guid, sizeof(last));
	} while (rc_ == 0 && n == BATCH);
	sqlite3_finalize(st);
	free(batch);
	return rc_;
}

/* The records of t that refer to a record which lost its key since the
 * last refresh lose their checksum: it holds the parent's GUID, found by
 * the key the child holds. One statement per reference, each reading the
 * child table once. */
static int
forget_children(struct refresh *rf, const struct tracked_table *t,
    const struct record_columns *rc, struct sp_error *err)
{
	char *key = key_sql_expr(t->pk, "c");
	int rc_ = 0;

	if (key == NULL)
		return sp_error_set(err, "out of memory");
	for (int i = 0; rc_ == 0 && i < rc->ncols; i++) {
		char *ref;

		if (rc->cols[i].parent == NULL)
			continue;
		ref = key_sql_expr(rc->cols[i].ref ? rc->cols[i].ref :
		    rc->cols[i].name, "c");
		rc_ = ref == NULL ? sp_error_set(err, "out of memory") :
		    site_exec_owned(rf->s, sqlite3_mprintf("UPDATE "
		    "syncpack_record SET checksum = NULL WHERE tbl = %lld AND "
		    "rkey IN (SELECT %s FROM \"%w\" c WHERE +(%s) IN (SELECT "
		    "rkey FROM syncpack_unmapped WHERE tbl = (SELECT id FROM "
		    "syncpack_table WHERE name = '%q')))", t->id, key, t->name,
		    ref, rc->cols[i].parent), err);
		sqlite3_free(ref);
	}
	sqlite3_free(key);
	return rc_;
}

/* One table: its shape checked, the records that refer to a lost key,
 * changed or without a checksum made current. */
static int
refresh_table(struct refresh *rf, const struct tracked_table *t,
    int unmapped, struct sp_error *err)
{
	struct record_columns rc;
	char shape[65];
	int same = 1, rc_ = -1;

	if (sqlite_record_columns(rf->s, t, &rc, err) != 0)
		return -1;
	if (table_shape(rf->s, t, rc.cols, rc.ncols, shape, err) != 0 ||
	    (same = shape_stored(rf->s, t, shape, err)) < 0)
		goto done;
	/* Made for other columns: none of them holds. */
	if (!same && site_exec_owned(rf->s, sqlite3_mprintf("UPDATE "
	    "syncpack_record SET checksum = NULL WHERE tbl = %lld AND "
	    "checksum IS NOT NULL; UPDATE syncpack_table SET checksum_shape = "
	    "'%q' WHERE id = %lld", t->id, shape, t->id), err) != 0)
		goto done;
	if ((unmapped && forget_children(rf, t, &rc, err) != 0) ||
	    refresh_changed(rf, t, &rc, err) != 0 ||
	    refresh_missing(rf, t, &rc, err) != 0)
		goto done;
	rc_ = 0;
done:
	record_columns_free(&rc);
	return rc_;
}

static int
refresh_tables(struct refresh *rf, int unmapped, struct sp_error *err)
{
	char **names = NULL;
	int n = 0, rc = 0;

	if (sqlite_tables_tracked(rf->s, &names, &n, err) != 0)
		return -1;
	for (int i = 0; rc == 0 && i < n; i++) {
		struct tracked_table t;
		/* A table the application dropped has no rows to checksum:
		 * its records keep what they had, which no scan of it can
		 * read, rather than every tool failing to open the site. */
		int r = store_table_exists(rf->s, names[i], err);

		if (r > 0)
			r = sqlite_table_get(rf->s, names[i], &t, err);
		if (r < 0)
			rc = -1;
		else if (r > 0) {
			rc = refresh_table(rf, &t, unmapped, err);
			tracked_table_free(&t);
		}
	}
	tracked_columns_free(names, n);
	return rc;
}

/* 1 when every tracked table's checksums were made for its columns as
 * they are now, 0 when one was not, -1 on error: read only, so that a
 * comparison of sites that changed nothing takes no write lock. */
static int
shapes_current(struct site *s, struct sp_error *err)
{
	char **names = NULL, shape[65];
	int n = 0, r = 1;

	if (sqlite_tables_tracked(s, &names, &n, err) != 0)
		return -1;
	for (int i = 0; r == 1 && i < n; i++) {
		struct tracked_table t;
		struct record_columns rc;
		int got = store_table_exists(s, names[i], err);

		if (got > 0)
			got = sqlite_table_get(s, names[i], &t, err);

		if (got <= 0) {
			r = got < 0 ? -1 : r;
			continue;
		}
		if (sqlite_record_columns(s, &t, &rc, err) != 0)
			r = -1;
		else {
			r = table_shape(s, &t, rc.cols, rc.ncols, shape, err) != 0
			    ? -1 : shape_stored(s, &t, shape, err);
			record_columns_free(&rc);
		}
		tracked_table_free(&t);
	}
	tracked_columns_free(names, n);
	return r;
}

/* 1 when the error is one of a site that cannot be written now. */
static int
cannot_write(struct site *s)
{
	int code = sqlite3_errcode(s->db) & 0xff;

	return code == SQLITE_READONLY || code == SQLITE_BUSY ||
	    code == SQLITE_LOCKED || code == SQLITE_CANTOPEN;
}

int
store_checksums_refresh(struct site *s, int full, struct sp_error *err)
{
	struct refresh rf = { 0 };
	long long top = 0, v;
	int kept = 0, has = 0, unmapped, own = 0, rc = -1;

	if (s->backend != SITE_SQLITE || s->db == NULL)
		return 0;
	if (query_int(s, "SELECT checksum_lseq FROM syncpack_site WHERE id = "
	    "1", 0, &rf.mark, &kept, err) < 0 ||
	    query_int(s, "SELECT lseq FROM syncpack_clock WHERE id = 1", 0,
	    &top, &has, err) < 0 ||
	    (unmapped = query_int(s, "SELECT 1 FROM syncpack_unmapped LIMIT 1",
	    0, &v, &has, err)) < 0)
		return -1;
	/* Nothing changed since: the common case, three reads (and the
	 * tables' shapes for a manifest). */
	if (kept && top == rf.mark && !unmapped) {
		int current = full ? shapes_current(s, err) : 1;

		if (current != 0)
			return current;
	}
	/* A site that keeps none yet is filled by its first manifest, not
	 * by whatever tool opens it first. */
	if (!kept && !full)
		return unmapped ? (site_exec(s, "DELETE FROM syncpack_unmapped",
		    err) == 0 ? 1 : (cannot_write(s) ? 0 : -1)) : 1;
	if (sqlite3_get_autocommit(s->db)) {
		if (site_exec(s, "BEGIN IMMEDIATE", err) != 0)
			return cannot_write(s) ? 0 : -1;
		own = 1;
	}
	if (record_sum_init(&rf.sum, err) != 0)
		goto done;
	rf.s = s;
	if (!kept)
		rf.mark = top;	/* every record lacks one: the missing pass */
	if (sqlite3_prepare_v2(s->db, "UPDATE syncpack_record SET checksum = "
	    "?2 WHERE guid = ?1", -1, &rf.set, NULL) != SQLITE_OK) {
		site_sqlite_error(s, err, s->path);
		goto done;
	}
	if (refresh_tables(&rf, unmapped, err) != 0 ||
	    (unmapped && site_exec(s, "DELETE FROM syncpack_unmapped", err)
	    != 0) || site_exec_owned(s, sqlite3_mprintf("UPDATE syncpack_site "
	    "SET checksum_lseq = %lld WHERE id = 1", top), err) != 0)
		goto done;
	if (own && site_exec(s, "COMMIT", err) != 0)
		goto done;
	own = 0;
	rc = 1;
done:
	if (own)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(rf.set);
	record_sum_free(&rf.sum);
	return rc;
}
