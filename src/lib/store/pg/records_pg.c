/* records_pg.c: the record store's view of a PostgreSQL site's tracked
 * tables (their columns and how each travels), and its reads: records in
 * lseq order, by GUID, by key (store/store.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/store_pg.h"

/* Rows read per statement when walking changes (the LIMIT of
 * changes_page): memory stays bounded however many records changed. */
#define CHANGES_PAGE 500

static void
strings_free(char **v, int n)
{
	for (int i = 0; v != NULL && i < n; i++)
		free(v[i]);
	free(v);
}

void
pg_rec_tables_free(struct store_pg *sp)
{
	for (int i = 0; i < sp->ntables; i++) {
		struct pg_table *t = &sp->tables[i];
		free(t->name);
		free(t->pk);
		free(t->key_qcols);
		free(t->key_types);
		free(t->key_kinds);
		free(t->pkcon);
		free(t->rvcol);
		free(t->fetch);
		free(t->fetch_batch);
		free(t->changes);
		strings_free(t->columns, t->ncolumns);
		strings_free(t->qcolumns, t->ncolumns);
		strings_free(t->types, t->ncolumns);
		free(t->kinds);
	}
	free(sp->tables);
	sp->tables = NULL;
	sp->ntables = 0;
}

static enum pg_kind
kind_of(const char *base)
{
	static const struct {
		const char *name;
		enum pg_kind kind;
	} kinds[] = {
		{ "int2", PG_INT }, { "int4", PG_INT }, { "int8", PG_INT },
		{ "bool", PG_BOOL }, { "float4", PG_FLOAT },
		{ "float8", PG_FLOAT }, { "bytea", PG_BYTEA },
		{ "date", PG_DATE }, { "timestamp", PG_TS },
		{ "timestamptz", PG_TSTZ },
	};

	/* "" is what the catalogue query gives for an array type. */
	if (base[0] == '\0')
		return PG_ARRAY;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, base) == 0)
			return kinds[i].kind;
	return PG_TEXT;
}

/* Every column of t (alias: NULL or a table alias) in the form it
 * travels, for a SELECT list; malloc'd, NULL when out of memory. */
static char *
select_list(const struct pg_table *t, const char *alias, int named)
{
	char *list = strdup(""), *next, *e;

	for (int i = 0; i < t->ncolumns && list != NULL; i++) {
		char as[24] = "";

		/* Named c0, c1...: the columns of a subquery, apart. */
		if (named)
			snprintf(as, sizeof(as), " AS c%d", i);
		if ((e = pg_value_select(t->kinds[i], alias, t->qcolumns[i]))
		    == NULL || asprintf(&next, "%s%s%s%s", list, i ? ", " : "",
		    e, as) < 0)
			next = NULL;
		free(e);
		free(list);
		list = next;
	}
	return list;
}

/* The SELECT of a row by its key, and the page of changed records of t
 * with their rows (changes_page's parameters). The page of records is
 * taken first, then each row by its key (a LATERAL subquery, which the
 * LIMIT keeps from becoming a join of the whole table): the plan stays
 * 500 index lookups whatever the statistics say, which lag behind right
 * after a large apply. */
static int
row_queries(struct pg_table *t)
{
	char *plain = select_list(t, NULL, 0), *named = select_list(t, "y", 1),
	    *of_x = select_list(t, "x", 0), *by_param = pg_table_key_match(t,
	    NULL, "$1"), *by_x = pg_table_key_match(t, "x", "r.rkey"),
	    *by_y = pg_table_key_match(t, "y", "r.rkey");
	char id[24];
	int ok;

	snprintf(id, sizeof(id), "%lld", t->id);
	ok = plain != NULL && named != NULL && of_x != NULL && by_param != NULL
	    && by_x != NULL && by_y != NULL &&
	    asprintf(&t->fetch, "SELECT %s FROM %s WHERE %s", plain, t->name,
	    by_param) >= 0 &&
	    asprintf(&t->fetch_batch, "SELECT r.guid, %s FROM unnest($1::text[]) "
	    "AS g(guid) JOIN syncpack.record r ON r.guid = g.guid JOIN %s x ON "
	    "%s WHERE r.tbl = %s AND r.deleted = 0", of_x, t->name, by_x, id)
	    >= 0 &&
	    asprintf(&t->changes, "SELECT " PG_RECORD_COLUMNS ", EXISTS "
	    "(SELECT 1 FROM syncpack.lock l WHERE l.tbl = t.name AND l.rkey = "
	    "r.rkey), x.* FROM (SELECT * FROM syncpack.record r WHERE r.tbl = "
	    "$3::bigint AND r.lseq > $1::bigint AND ($2::bigint = 0 OR r.lseq "
	    "<= $2::bigint) AND ($4::text IS NULL OR r.owner = $4) ORDER BY "
	    "r.lseq LIMIT 500) r JOIN "
	    "syncpack.tracked_table t ON t.id = r.tbl LEFT JOIN LATERAL (SELECT"
	    " true AS found, %1$s FROM %2$s y WHERE %3$s LIMIT 1) x ON true "
	    "ORDER BY r.lseq", named, t->name, by_y) >= 0;

	free(plain);
	free(named);
	free(of_x);
	free(by_param);
	free(by_x);
	free(by_y);
	return ok ? 0 : -1;
}

/* The key's columns (t->pk: a name, or a JSON array of names) among the
 * table's. */
static int
key_columns(struct pg_table *t, struct sp_error *err)
{
	json_t *names = t->pk[0] == '[' ? json_loads(t->pk, 0, NULL) :
	    json_pack("[s]", t->pk), *v;
	size_t i;
	int rc = -1;

	if (names == NULL || !json_is_array(names) ||
	    json_array_size(names) == 0) {
		sp_error_set(err, "%s: the key recorded for it is damaged",
		    t->name);
		goto done;
	}
	t->nkeys = (int)json_array_size(names);
	t->key_qcols = calloc((size_t)t->nkeys, sizeof(*t->key_qcols));
	t->key_types = calloc((size_t)t->nkeys, sizeof(*t->key_types));
	t->key_kinds = calloc((size_t)t->nkeys, sizeof(*t->key_kinds));
	if (t->key_qcols == NULL || t->key_types == NULL ||
	    t->key_kinds == NULL) {
		sp_error_set(err, "out of memory");
		goto done;
	}
	t->key_col = -1;
	json_array_foreach(names, i, v) {
		const char *name = json_string_value(v);
		int c = 0;

		while (c < t->ncolumns && (name == NULL ||
		    strcmp(t->columns[c], name) != 0))
			c++;
		if (c == t->ncolumns) {
			sp_error_set(err, "%s: tracked, but has no column %s here",
			    t->name, name ? name : "(damaged)");
			goto done;
		}
		if (i == 0) {
			t->key_col = c;
			t->key_kind = t->kinds[c];
		}
		t->key_qcols[i] = t->qcolumns[c];
		t->key_types[i] = t->types[c];
		t->key_kinds[i] = t->kinds[c];
	}
	rc = 0;
done:
	json_decref(names);
	return rc;
}

/* Columns (generated ones are computed on every site, not sent), their
 * types, and the primary key's constraint. */
static int
load_columns(struct store_pg *sp, struct pg_table *t, struct sp_error *err)
{
	struct pg_params p;
	PGresult *res;
	int n, rc = -1;

	if (pg_params_init(&p, 1, err) != 0)
		return -1;
	if (pg_param_text(&p, 0, t->name, err) != 0)
		goto done;
	res = pg_stmt_run(sp, NULL, "SELECT a.attname, quote_ident(a.attname), "
	    "format_type(a.atttypid, NULL), CASE WHEN b.typcategory = 'A' THEN"
	    " '' ELSE b.typname::text END FROM pg_attribute a JOIN pg_type ty "
	    "ON ty.oid = a.atttypid JOIN pg_type b ON b.oid = CASE WHEN "
	    "ty.typtype = 'd' THEN ty.typbasetype ELSE ty.oid END WHERE "
	    "a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT "
	    "a.attisdropped AND a.attgenerated = '' ORDER BY a.attnum", &p,
	    err);
	if (res == NULL)
		goto done;
	n = PQntuples(res);
	t->columns = calloc((size_t)n + 1, sizeof(char *));
	t->qcolumns = calloc((size_t)n + 1, sizeof(char *));
	t->types = calloc((size_t)n + 1, sizeof(char *));
	t->kinds = calloc((size_t)n + 1, sizeof(*t->kinds));
	if (t->columns == NULL || t->qcolumns == NULL || t->types == NULL ||
	    t->kinds == NULL) {
		PQclear(res);
		sp_error_set(err, "out of memory");
		goto done;
	}
	for (int i = 0; i < n; i++) {
		t->ncolumns = i + 1;
		t->columns[i] = strdup(PQgetvalue(res, i, 0));
		t->qcolumns[i] = strdup(PQgetvalue(res, i, 1));
		t->types[i] = strdup(PQgetvalue(res, i, 2));
		t->kinds[i] = kind_of(PQgetvalue(res, i, 3));
		if (!t->columns[i] || !t->qcolumns[i] || !t->types[i]) {
			PQclear(res);
			sp_error_set(err, "out of memory");
			goto done;
		}
	}
	PQclear(res);
	if (key_columns(t, err) != 0)
		goto done;
	res = pg_stmt_run(sp, NULL, "SELECT conname FROM pg_constraint WHERE "
	    "conrelid = to_regclass($1) AND contype = 'p'", &p, err);
	if (res == NULL)
		goto done;
	if (PQntuples(res) == 1)
		t->pkcon = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (row_queries(t) != 0) {
		sp_error_set(err, "out of memory");
		goto done;
	}
	rc = 0;
done:
	pg_params_free(&p);
	return rc;
}

int
pg_rec_load_tables(struct store_pg *sp, struct sp_error *err)
{
	PGresult *res = pg_stmt_run(sp, NULL, "SELECT id, name, pk, key_kind, "
	    "CASE WHEN rowversion_column = 1 THEN quote_ident(name || "
	    "'_rowversion') END FROM syncpack.tracked_table WHERE tracked = 1 "
	    "ORDER BY id", NULL, err);
	int n;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	if ((sp->tables = calloc((size_t)n + 1, sizeof(*sp->tables))) == NULL) {
		PQclear(res);
		return sp_error_set(err, "out of memory");
	}
	for (int i = 0; i < n; i++) {
		struct pg_table *t = &sp->tables[i];

		sp->ntables = i + 1;
		t->id = atoll(PQgetvalue(res, i, 0));
		t->name = strdup(PQgetvalue(res, i, 1));
		t->pk = strdup(PQgetvalue(res, i, 2));
		t->local_key = strcmp(PQgetvalue(res, i, 3), "local") == 0;
		t->rvcol = PQgetisnull(res, i, 4) ? NULL :
		    strdup(PQgetvalue(res, i, 4));
		if (t->name == NULL || t->pk == NULL || (t->rvcol == NULL &&
		    !PQgetisnull(res, i, 4))) {
			PQclear(res);
			return sp_error_set(err, "out of memory");
		}
		if (load_columns(sp, t, err) != 0) {
			PQclear(res);
			return -1;
		}
	}
	PQclear(res);
	return 0;
}

struct pg_table *
pg_rec_table_by_name(struct store_pg *sp, const char *name)
{
	for (int i = 0; i < sp->ntables; i++)
		if (strcmp(sp->tables[i].name, name) == 0)
			return &sp->tables[i];
	return NULL;
}

struct pg_table *
pg_rec_table_by_id(struct store_pg *sp, long long id)
{
	for (int i = 0; i < sp->ntables; i++)
		if (sp->tables[i].id == id)
			return &sp->tables[i];
	return NULL;
}

static void
copy_text(char *dst, size_t size, PGresult *res, int row, int col)
{
	snprintf(dst, size, "%s", PQgetvalue(res, row, col));
}

void
pg_rec_from_row(struct store_pg *sp, PGresult *res, int row,
    struct store_record *rec)
{
	struct pg_table *t = pg_rec_table_by_id(sp,
	    atoll(PQgetvalue(res, row, 1)));

	memset(rec, 0, sizeof(*rec));
	copy_text(rec->guid, sizeof(rec->guid), res, row, 0);
	snprintf(rec->table, sizeof(rec->table), "%s", t ? t->name : "");
	copy_text(rec->origin, sizeof(rec->origin), res, row, 3);
	copy_text(rec->owner, sizeof(rec->owner), res, row, 4);
	rec->rowversion = atoll(PQgetvalue(res, row, 5));
	rec->hlc = atoll(PQgetvalue(res, row, 6));
	copy_text(rec->hlc_site, sizeof(rec->hlc_site), res, row, 7);
	rec->lseq = atoll(PQgetvalue(res, row, 8));
	rec->deleted = atoi(PQgetvalue(res, row, 9));
	rec->flags = atoi(PQgetvalue(res, row, 10));
	copy_text(rec->src, sizeof(rec->src), res, row, 11);
	rec->base = atoll(PQgetvalue(res, row, 12));
	rec->base_hlc = atoll(PQgetvalue(res, row, 13));
	copy_text(rec->base_site, sizeof(rec->base_site), res, row, 14);
	rec->values_hlc = atoll(PQgetvalue(res, row, 15));
	copy_text(rec->values_site, sizeof(rec->values_site), res, row, 16);
	copy_text(rec->merged, sizeof(rec->merged), res, row, 17);
}

int
pg_rec_find(struct store_pg *sp, const char *guid, PGresult **res,
    struct sp_error *err)
{
	struct pg_params p;

	*res = NULL;
	if (pg_params_init(&p, 1, err) != 0 ||
	    pg_param_text(&p, 0, guid, err) != 0) {
		pg_params_free(&p);
		return -1;
	}
	*res = pg_stmt_run(sp, NULL, "SELECT " PG_RECORD_COLUMNS " FROM "
	    "syncpack.record r WHERE r.guid = $1", &p, err);
	pg_params_free(&p);
	if (*res == NULL)
		return -1;
	if (PQntuples(*res) == 1)
		return 1;
	PQclear(*res);
	*res = NULL;
	return 0;
}

int
pg_rec_row_of(const struct pg_table *t, PGresult *res, int i, int first,
    json_t **row, struct sp_error *err)
{
	if ((*row = json_object()) == NULL)
		return sp_error_set(err, "out of memory");
	/* A column that cannot be encoded fails the record: leaving it out
	 * would make it arrive as NULL. */
	for (int c = 0; c < t->ncolumns; c++) {
		json_t *v = PQgetisnull(res, i, first + c) ? json_null() :
		    pg_value_json(t->kinds[c], PQgetvalue(res, i, first + c),
		    PQgetlength(res, i, first + c), err);

		if (v == NULL || json_object_set_new(*row, t->columns[c], v)
		    != 0) {
			if (v == NULL)
				sp_error_prefix(err, "%s.%s", t->name,
				    t->columns[c]);
			else
				sp_error_set(err, "%s.%s: out of memory",
				    t->name, t->columns[c]);
			json_decref(*row);
			*row = NULL;
			return -1;
		}
	}
	return 0;
}

int
pg_rec_fetch_row(struct store_pg *sp, const struct pg_table *t,
    const char *rkey, json_t **row, struct sp_error *err)
{
	struct pg_params p;
	PGresult *res = NULL;
	int rc = -1;

	*row = NULL;
	if (pg_params_init(&p, 1, err) != 0)
		return -1;
	if (pg_param_text(&p, 0, rkey, err) == 0 &&
	    (res = pg_stmt_run(sp, NULL, t->fetch, &p, err)) != NULL)
		rc = PQntuples(res) == 1 ? pg_rec_row_of(t, res, 0, 0, row, err) : 0;
	PQclear(res);
	pg_params_free(&p);
	return rc;
}

/* One page of the records changed after lseq, up to upto; of only's
 * records with their rows when with_rows. Every lseq is given once,
 * from the clock under its lock, so a page ends between two records. */
static PGresult *
changes_page(struct store_pg *sp, const struct pg_table *only,
    const char *owner, long long lseq, long long upto, int with_rows,
    struct sp_error *err)
{
	struct pg_params p;
	PGresult *res = NULL;

	if (pg_params_init(&p, 4, err) != 0)
		return NULL;
	if (pg_param_ll(&p, 0, lseq, err) == 0 &&
	    pg_param_ll(&p, 1, upto, err) == 0 &&
	    (only == NULL || pg_param_ll(&p, 2, only->id, err) == 0) &&
	    pg_param_text(&p, 3, owner, err) == 0)
		res = pg_stmt_run_planned(sp, with_rows && only != NULL ?
		    only->changes : "SELECT " PG_RECORD_COLUMNS ", EXISTS "
		    "(SELECT 1 FROM syncpack.lock l WHERE l.tbl = t.name AND "
		    "l.rkey = r.rkey) FROM syncpack.record r JOIN "
		    "syncpack.tracked_table t ON t.id = r.tbl WHERE r.lseq > "
		    "$1::bigint AND ($2::bigint = 0 OR r.lseq <= $2::bigint) AND "
		    "($3::bigint IS NULL OR r.tbl = $3::bigint) AND ($4::text IS "
		    "NULL OR r.owner = $4) ORDER BY r.lseq LIMIT 500", &p, err);
	pg_params_free(&p);
	return res;
}

/* The records changed in (since, upto], with their rows when with_rows. */
static int
walk_changes(struct store *base, const char *table, const char *owner,
    long long since, long long upto, int with_rows, store_change_cb cb,
    void *ctx, struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;
	struct pg_table *only = NULL;
	long long lseq = since;
	int rc = 0, n;

	if (table != NULL && (only = pg_rec_table_by_name(sp, table)) == NULL)
		return sp_error_set(err, "%s is not a tracked table", table);
	do {
		PGresult *res = changes_page(sp, only, owner, lseq, upto,
		    with_rows, err);

		if (res == NULL)
			return -1;
		n = PQntuples(res);
		for (int i = 0; rc == 0 && i < n; i++) {
			struct pg_table *t = pg_rec_table_by_id(sp,
			    atoll(PQgetvalue(res, i, 1)));
			struct store_record rec;
			json_t *row = NULL;

			lseq = atoll(PQgetvalue(res, i, 8));
			if (t == NULL)
				continue;	/* a table no longer tracked */
			pg_rec_from_row(sp, res, i, &rec);
			rec.locked = PQgetvalue(res, i, PG_RECORD_NCOLUMNS)[0]
			    == 't';
			/* One table: its rows came with the page. */
			if (with_rows && !rec.deleted && (only == NULL ?
			    pg_rec_fetch_row(sp, t, PQgetvalue(res, i, 2), &row,
			    err) : PQgetvalue(res, i, PG_RECORD_NCOLUMNS + 1)[0]
			    != 't' ? 0 : pg_rec_row_of(t, res, i, PG_RECORD_NCOLUMNS + 2,
			    &row, err)) != 0) {
				rc = -1;
				break;
			}
			if (with_rows && !rec.deleted && row == NULL)
				continue;	/* row gone, tombstone not folded */
			rc = cb(ctx, &rec, row, err);
			json_decref(row);
		}
		PQclear(res);
	} while (rc == 0 && n == CHANGES_PAGE);
	return rc;
}

int
pg_rec_changes(struct store *base, const char *table, const char *owner,
    long long since, long long upto, store_change_cb cb, void *ctx,
    struct sp_error *err)
{
	return walk_changes(base, table, owner, since, upto, 1, cb, ctx, err);
}

int
pg_rec_changed_records(struct store *base, const char *table,
    long long since, long long upto, store_change_cb cb, void *ctx,
    struct sp_error *err)
{
	return walk_changes(base, table, NULL, since, upto, 0, cb, ctx, err);
}
