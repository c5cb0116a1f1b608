/* lookups_pg.c: the record store's lookups on a PostgreSQL site (by
 * GUID, by key, by reference), the lookup remembered for the write that
 * follows, and in a batch what it read of its records at once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/store_pg.h"

void
pg_rec_forget(struct store_pg *sp)
{
	sp->seen_guid[0] = '\0';
	free(sp->seen_rkey);
	sp->seen_rkey = NULL;
}

/* Keeps what the lookup of guid found (res NULL: unknown). */
static void
remember(struct store_pg *sp, const char *guid, PGresult *res)
{
	pg_rec_forget(sp);
	if (res != NULL && !PQgetisnull(res, 0, 2) &&
	    (sp->seen_rkey = strdup(PQgetvalue(res, 0, 2))) == NULL)
		return;		/* out of memory: nothing remembered */
	snprintf(sp->seen_guid, sizeof(sp->seen_guid), "%s", guid);
}

int
pg_rec_rkey(struct store_pg *sp, const char *guid, char **rkey,
    struct sp_error *err)
{
	PGresult *res;
	int found;

	*rkey = NULL;
	if (sp->seen_guid[0] != '\0' && strcmp(sp->seen_guid, guid) == 0) {
		if (sp->seen_rkey != NULL &&
		    (*rkey = strdup(sp->seen_rkey)) == NULL)
			return sp_error_set(err, "out of memory");
		return 0;
	}
	if ((found = pg_rec_find(sp, guid, &res, err)) < 0)
		return -1;
	if (found && !PQgetisnull(res, 0, 2) &&
	    (*rkey = strdup(PQgetvalue(res, 0, 2))) == NULL) {
		PQclear(res);
		return sp_error_set(err, "out of memory");
	}
	PQclear(res);
	return 0;
}

static int lookup_read(struct store_pg *sp, const char *guid,
    struct store_record *rec, json_t **row, struct sp_error *err);

void
pg_batch_memo_clear(struct pg_batch *b)
{
	for (int i = 0; i < b->nmemo; i++) {
		json_decref(b->memo[i].row);
		free(b->memo[i].rkey);
	}
	memset(b->memo, 0, sizeof(b->memo));
	b->nmemo = b->memo_next = 0;
}

/* The lookup of guid with its row from the batch's memo, as lookup_read
 * gives it; 2 when the memo does not hold it (or may be past). The
 * parents of a batch's records are each read once. */
static int
memo_lookup(struct store_pg *sp, const char *guid, struct store_record *rec,
    json_t **row, struct sp_error *err)
{
	struct pg_batch *b = &sp->batch;

	if (b->state != PG_BATCH_ON || !b->cache_valid)
		return 2;
	for (int i = 0; i < b->nmemo; i++) {
		struct pg_batch_memo *m = &b->memo[i];
		if (strcmp(m->guid, guid) != 0)
			continue;
		pg_rec_forget(sp);
		if (m->rkey != NULL && (sp->seen_rkey = strdup(m->rkey)) == NULL)
			return sp_error_set(err, "out of memory");
		snprintf(sp->seen_guid, sizeof(sp->seen_guid), "%s", guid);
		sp->seen_purged = m->purged;
		if (m->row != NULL && (*row = json_deep_copy(m->row)) == NULL)
			return sp_error_set(err, "out of memory");
		if (m->found)
			*rec = m->rec;
		return m->found;
	}
	return 2;
}

/* Keeps what lookup_read just gave for guid in the memo. */
static int
memo_keep(struct store_pg *sp, const char *guid,
    const struct store_record *rec, json_t *row, int found,
    struct sp_error *err)
{
	struct pg_batch *b = &sp->batch;
	struct pg_batch_memo *m;

	if (b->state != PG_BATCH_ON || !b->cache_valid ||
	    strlen(guid) >= sizeof(m->guid))
		return 0;
	m = &b->memo[b->nmemo < PG_BATCH_MEMOS ? b->nmemo++ : b->memo_next++ %
	    PG_BATCH_MEMOS];
	json_decref(m->row);
	free(m->rkey);
	memset(m, 0, sizeof(*m));
	snprintf(m->guid, sizeof(m->guid), "%s", guid);
	m->found = found;
	m->purged = sp->seen_purged;
	if (found)
		m->rec = *rec;
	if ((sp->seen_rkey != NULL && (m->rkey = strdup(sp->seen_rkey)) ==
	    NULL) || (row != NULL && (m->row = json_deep_copy(row)) == NULL)) {
		pg_batch_memo_clear(b);
		return sp_error_set(err, "out of memory");
	}
	return 0;
}

int
pg_rec_lookup(struct store *base, const char *guid, struct store_record *rec,
    json_t **row, struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;
	const struct pg_batch_seen *e;
	int found;

	if (row != NULL)
		*row = NULL;
	if (pg_batch_check(sp, err) != 0)
		return -1;
	/* In a batch, what it read at its start, or the server without
	 * writing the queue first when that cannot have changed it. */
	if ((e = pg_batch_seen_of(sp, guid)) != NULL &&
	    (row == NULL || e->row_read)) {
		pg_rec_forget(sp);
		if (e->rkey != NULL && (sp->seen_rkey = strdup(e->rkey)) == NULL)
			return sp_error_set(err, "out of memory");
		snprintf(sp->seen_guid, sizeof(sp->seen_guid), "%s", guid);
		sp->seen_purged = e->purged;
		if (row != NULL && e->row != NULL &&
		    (*row = json_deep_copy(e->row)) == NULL)
			return sp_error_set(err, "out of memory");
		if (e->found)
			*rec = e->rec;
		return e->found;
	}
	if (pg_batch_queued(sp, guid))
		return lookup_read(sp, guid, rec, row, err);
	if (row != NULL && (found = memo_lookup(sp, guid, rec, row, err)) != 2)
		return found;
	pg_batch_reading(sp, 1);
	found = lookup_read(sp, guid, rec, row, err);
	pg_batch_reading(sp, 0);
	if (row != NULL && found >= 0 && memo_keep(sp, guid, rec, *row,
	    found, err) != 0) {
		json_decref(*row);
		*row = NULL;
		return -1;
	}
	return found;
}

/* store_lookup from the server. */
static int
lookup_read(struct store_pg *sp, const char *guid, struct store_record *rec,
    json_t **row, struct sp_error *err)
{
	struct pg_table *t;
	struct pg_params p;
	PGresult *res;
	int found;

	if (pg_params_init(&p, 1, err) != 0)
		return -1;
	/* One row whether guid is known or not, with whether a purged
	 * tombstone of it waits: the write of an unknown record asks that
	 * next (store_purged_take). A vacuum keeps a tombstone in
	 * syncpack.purged before it drops the record, so a record this one
	 * snapshot does not know has its purged tombstone here if any. */
	res = pg_param_text(&p, 0, guid, err) != 0 ? NULL : pg_stmt_run(sp,
	    NULL, "SELECT " PG_RECORD_COLUMNS ", EXISTS (SELECT 1 FROM "
	    "syncpack.purged WHERE guid = $1) FROM (SELECT 1) one LEFT JOIN "
	    "syncpack.record r ON r.guid = $1", &p, err);
	pg_params_free(&p);
	if (res == NULL)
		return -1;
	found = !PQgetisnull(res, 0, 0);
	remember(sp, guid, found ? res : NULL);
	sp->seen_purged = PQgetvalue(res, 0, PG_RECORD_NCOLUMNS)[0] == 't';
	if (!found) {
		PQclear(res);
		return 0;
	}
	pg_rec_from_row(sp, res, 0, rec);
	t = pg_rec_table_by_id(sp, atoll(PQgetvalue(res, 0, 1)));
	if (row != NULL && t != NULL && !rec->deleted && !PQgetisnull(res, 0,
	    2))
		found = pg_rec_fetch_row(sp, t, PQgetvalue(res, 0, 2), row,
		    err) == 0 ? 1 : -1;
	PQclear(res);
	return found;
}

int
pg_rec_no_purged(struct store_pg *sp, const char *guid)
{
	return sp->seen_guid[0] != '\0' && strcmp(sp->seen_guid, guid) == 0 &&
	    !sp->seen_purged;
}

/* 1 and rec filled when sql (with p) gives a record's row of
 * PG_RECORD_COLUMNS, 0 when none, -1 on error. */
static int
record_of(struct store_pg *sp, const struct pg_table *t, const char *sql,
    const struct pg_params *p, struct store_record *rec,
    struct sp_error *err)
{
	PGresult *res = pg_stmt_run(sp, t, sql, p, err);
	int found;

	if (res == NULL)
		return -1;
	found = PQntuples(res) > 0;
	if (found)
		pg_rec_from_row(sp, res, 0, rec);
	PQclear(res);
	return found;
}

/* The live record of t whose key column holds key (its travelling
 * form), found through the row itself so that the key is compared as
 * its column's type; for a composite key, key is the rkey's text
 * (store_table_rkey). */
static int
lookup_value(struct store_pg *sp, struct pg_table *t, json_t *key,
    struct store_record *rec, struct sp_error *err)
{
	char *sql = NULL, *ph = pg_value_placeholder(t->key_kind, 1,
	    t->types[t->key_col]), *key_of = pg_table_key_of(t, "x");
	struct pg_params p;
	int rc = -1;

	if (pg_params_init(&p, 1, err) != 0) {
		free(ph);
		free(key_of);
		return -1;
	}
	if (t->nkeys > 1) {
		if (!json_is_string(key)) {
			sp_error_set(err, "%s: the key has %d columns", t->name,
			    t->nkeys);
			goto done;
		}
		if ((sql = strdup("SELECT " PG_RECORD_COLUMNS " FROM "
		    "syncpack.record r WHERE r.tbl = $2::bigint AND r.rkey = $1"
		    " AND r.deleted = 0")) == NULL) {
			sp_error_set(err, "out of memory");
			goto done;
		}
		free(ph);
		ph = NULL;
		pg_params_free(&p);
		if (pg_params_init(&p, 2, err) != 0 || pg_param_text(&p, 0,
		    json_string_value(key), err) != 0 || pg_param_ll(&p, 1,
		    t->id, err) != 0)
			goto done;
	} else if (ph == NULL || key_of == NULL || asprintf(&sql, "SELECT "
	    PG_RECORD_COLUMNS " FROM %s x JOIN syncpack.record r ON r.tbl = "
	    "%lld AND r.rkey = %s WHERE x.%s = %s", t->name, t->id, key_of,
	    t->key_qcols[0], ph) < 0) {
		sql = NULL;
		sp_error_set(err, "out of memory");
		goto done;
	} else if (pg_value_param(&p, 0, t->key_kind, key, err) != 0)
		goto done;
	rc = record_of(sp, t, sql, &p, rec, err);
done:
	free(sql);
	free(ph);
	free(key_of);
	pg_params_free(&p);
	return rc;
}

int
pg_rec_lookup_key(struct store *base, const char *table, json_t *key,
    struct store_record *rec, struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;
	struct pg_table *t = pg_rec_table_by_name(sp, table);

	if (t == NULL)
		return sp_error_set(err, "%s is not a tracked table", table);
	return lookup_value(sp, t, key, rec, err);
}

/* The live record of composite-key table t whose key columns hold the
 * values of row's columns cols (the child's, in the order of t's key). */
static int
lookup_values(struct store_pg *sp, struct pg_table *t, json_t *cols,
    json_t *row, struct store_record *rec, struct sp_error *err)
{
	char *key_of = pg_table_key_of(t, "x"), *sql = NULL, *next;
	struct pg_params p;
	int rc = -1;

	if (key_of == NULL || pg_params_init(&p, t->nkeys, err) != 0) {
		free(key_of);
		return key_of == NULL ? sp_error_set(err, "out of memory") : -1;
	}
	if (asprintf(&sql, "SELECT " PG_RECORD_COLUMNS " FROM %s x JOIN "
	    "syncpack.record r ON r.tbl = %lld AND r.rkey = %s WHERE true",
	    t->name, t->id, key_of) < 0)
		sql = NULL;
	for (int i = 0; i < t->nkeys && sql != NULL; i++) {
		const char *col = json_string_value(json_array_get(cols, i));
		json_t *v = col ? json_object_get(row, col) : NULL;
		enum pg_kind kind = t->key_kinds[i];
		char *ph;

		if (v == NULL) {
			sp_error_set(err, "%s: no column %s", t->name, col ? col :
			    "(damaged)");
			goto done;
		}
		if (pg_value_param(&p, i, kind, v, err) != 0)
			goto done;
		if ((ph = pg_value_placeholder(kind, i + 1, t->key_types[i])) ==
		    NULL || asprintf(&next, "%s AND x.%s = %s", sql,
		    t->key_qcols[i], ph) < 0)
			next = NULL;
		free(ph);
		free(sql);
		sql = next;
	}
	if (sql == NULL) {
		sp_error_set(err, "out of memory");
		goto done;
	}
	rc = record_of(sp, t, sql, &p, rec, err);
done:
	free(sql);
	free(key_of);
	pg_params_free(&p);
	return rc;
}

int
pg_rec_lookup_ref(struct store *base, const char *table, const char *ref,
    json_t *row, struct store_record *rec, struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;
	struct pg_table *t = pg_rec_table_by_name(sp, table);
	json_t *cols = NULL, *v;
	const char *col = ref;
	int rc;

	if (t == NULL)
		return sp_error_set(err, "%s is not a tracked table", table);
	/* A reference is written as a key is: a name, or a JSON array of
	 * them, one per column of the parent's key. */
	if (ref[0] == '[')
		cols = json_loads(ref, 0, NULL);
	if (cols != NULL && json_is_array(cols) && t->nkeys > 1 &&
	    json_array_size(cols) == (size_t)t->nkeys) {
		rc = lookup_values(sp, t, cols, row, rec, err);
		json_decref(cols);
		return rc;
	}
	if (cols != NULL)
		col = json_is_array(cols) && json_array_size(cols) == 1 &&
		    t->nkeys == 1 ? json_string_value(json_array_get(cols, 0)) :
		    NULL;
	if (col == NULL) {
		json_decref(cols);
		return sp_error_set(err, "%s: a reference to it does not match "
		    "its key", table);
	}
	if ((v = json_object_get(row, col)) == NULL) {
		rc = sp_error_set(err, "%s: no column %s", table, col);
		json_decref(cols);
		return rc;
	}
	rc = lookup_value(sp, t, v, rec, err);
	json_decref(cols);
	return rc;
}

static int
seen_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pg_batch_seen *)a)->guid,
	    ((const struct pg_batch_seen *)b)->guid);
}

struct pg_batch_seen *
pg_batch_seen_find(const struct pg_batch *b, const char *guid)
{
	struct pg_batch_seen key;

	if (b->seen == NULL || strlen(guid) >= sizeof(key.guid))
		return NULL;
	snprintf(key.guid, sizeof(key.guid), "%s", guid);
	return bsearch(&key, b->seen, (size_t)b->nseen, sizeof(*b->seen),
	    seen_cmp);
}

/* The guids as a text[] literal. */
static char *
guid_array(const char *const *guids, int n)
{
	size_t len = 3;
	char *s, *p;

	for (int i = 0; i < n; i++)
		len += strlen(guids[i]) + 3;
	if ((s = p = malloc(len)) == NULL)
		return NULL;
	*p++ = '{';
	for (int i = 0; i < n; i++)
		p += sprintf(p, "%s\"%s\"", i ? "," : "", guids[i]);
	*p++ = '}';
	*p = '\0';
	return s;
}

/* What is known of each guid, as store_lookup reads it (with whether a
 * purged tombstone waits), in one statement. */
/* The rows of the live records the batch read, by table, one statement
 * each: what a lookup with its row gives for each of its records (a
 * parent of the batch's records mostly), without asking again. */
static int
read_rows(struct store_pg *sp, struct sp_error *err)
{
	struct pg_batch *b = &sp->batch;
	const char **guids;
	int rc = 0;

	if ((guids = calloc((size_t)b->nseen + 1, sizeof(*guids))) == NULL)
		return sp_error_set(err, "out of memory");
	for (int ti = 0; ti < sp->ntables && rc == 0; ti++) {
		const struct pg_table *t = &sp->tables[ti];
		struct pg_params p;
		PGresult *res = NULL;
		char *arr;
		int n = 0;

		for (int i = 0; i < b->nseen; i++) {
			struct pg_batch_seen *e = &b->seen[i];
			if (!e->found || e->rec.deleted || e->rkey == NULL)
				e->row_read = 1;	/* a lookup gives no row */
			else if (strcmp(e->rec.table, t->name) == 0)
				guids[n++] = e->guid;
		}
		if (n == 0)
			continue;
		if ((arr = guid_array(guids, n)) == NULL) {
			rc = sp_error_set(err, "out of memory");
			break;
		}
		if (pg_params_init(&p, 1, err) != 0 ||
		    pg_param_text(&p, 0, arr, err) != 0 ||
		    (res = pg_stmt_run(sp, NULL, t->fetch_batch, &p, err)) == NULL)
			rc = -1;
		pg_params_free(&p);
		free(arr);
		for (int i = 0; rc == 0 && i < PQntuples(res); i++) {
			struct pg_batch_seen *e = pg_batch_seen_find(b,
			    PQgetvalue(res, i, 0));
			if (e != NULL && e->row == NULL)
				rc = pg_rec_row_of(t, res, i, 1, &e->row, err);
		}
		PQclear(res);
		/* A live record whose row is not there reads as found
		 * without a row, as lookup_read gives it. */
		for (int i = 0; rc == 0 && i < n; i++)
			pg_batch_seen_find(b, guids[i])->row_read = 1;
	}
	free(guids);
	return rc;
}

int
pg_rec_read_seen(struct store_pg *sp, const char *const *guids, int n,
    struct sp_error *err)
{
	struct pg_batch *b = &sp->batch;
	struct pg_params p;
	PGresult *res;
	char *arr;
	int rows, k = 0;

	for (int i = 0; i < n; i++)
		if (strlen(guids[i]) >= sizeof(b->seen->guid) ||
		    strpbrk(guids[i], "\"\\{},") != NULL)
			return 0;	/* not a GUID: asked for one by one */
	if ((arr = guid_array(guids, n)) == NULL)
		return sp_error_set(err, "out of memory");
	if (pg_params_init(&p, 1, err) != 0) {
		free(arr);
		return -1;
	}
	res = pg_param_text(&p, 0, arr, err) != 0 ? NULL : pg_stmt_run(sp,
	    NULL, "SELECT " PG_RECORD_COLUMNS ", EXISTS (SELECT 1 FROM "
	    "syncpack.purged x WHERE x.guid = g.guid), g.guid FROM "
	    "unnest($1::text[]) AS g(guid) LEFT JOIN syncpack.record r ON "
	    "r.guid = g.guid", &p, err);
	pg_params_free(&p);
	free(arr);
	if (res == NULL)
		return -1;
	rows = PQntuples(res);
	if ((b->seen = calloc((size_t)rows + 1, sizeof(*b->seen))) == NULL) {
		PQclear(res);
		return sp_error_set(err, "out of memory");
	}
	for (int i = 0; i < rows; i++) {
		struct pg_batch_seen *e = &b->seen[k];
		snprintf(e->guid, sizeof(e->guid), "%s", PQgetvalue(res, i,
		    PG_RECORD_NCOLUMNS + 1));
		e->found = !PQgetisnull(res, i, 0);
		e->purged = PQgetvalue(res, i, PG_RECORD_NCOLUMNS)[0] == 't';
		if (e->found) {
			pg_rec_from_row(sp, res, i, &e->rec);
			if (!PQgetisnull(res, i, 2) && (e->rkey =
			    strdup(PQgetvalue(res, i, 2))) == NULL) {
				b->nseen = k;
				PQclear(res);
				return sp_error_set(err, "out of memory");
			}
		}
		k++;
	}
	PQclear(res);
	b->nseen = k;
	qsort(b->seen, (size_t)k, sizeof(*b->seen), seen_cmp);
	/* A GUID twice is one record: the later copies go. */
	k = 0;
	for (int i = 0; i < b->nseen; i++) {
		if (k > 0 && strcmp(b->seen[k - 1].guid, b->seen[i].guid) == 0) {
			free(b->seen[i].rkey);
			continue;
		}
		b->seen[k++] = b->seen[i];
	}
	b->nseen = k;
	b->cache_valid = 1;
	return read_rows(sp, err);
}

const struct pg_batch_seen *
pg_batch_seen_of(const struct store_pg *sp, const char *guid)
{
	const struct pg_batch *b = &sp->batch;
	const struct pg_batch_seen *e;

	if (b->state != PG_BATCH_ON || !b->cache_valid)
		return NULL;
	e = pg_batch_seen_find(b, guid);
	return e != NULL && !e->queued ? e : NULL;
}

int
pg_batch_queued(const struct store_pg *sp, const char *guid)
{
	const struct pg_batch_seen *e = sp->batch.state == PG_BATCH_ON ?
	    pg_batch_seen_find(&sp->batch, guid) : NULL;

	return e != NULL && e->queued;
}

void
pg_batch_reading(struct store_pg *sp, int on)
{
	if (sp->batch.state == PG_BATCH_ON)
		sp->batch.busy = on;
}
