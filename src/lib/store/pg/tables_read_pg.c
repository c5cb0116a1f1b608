/* tables_read_pg.c: the tracked tables and the schema of application
 * tables as the exchange reads them (store/tables.h) on a PostgreSQL
 * site: which tables, their foreign keys, their columns, and the rkey of
 * a row named by its key. */
#include <stdlib.h>
#include <string.h>

#include "store/pg/backend.h"
#include "store/pg/pg.h"

/* Column 0 of every row of sql (n texts p) as a list of names; free with
 * tracked_columns_free. */
static int
load_names(struct site *s, const char *sql, int n, const char *const *p,
    char ***out, int *count, struct sp_error *err)
{
	PGresult *res = pg_query(s, sql, n, p, err);
	int rows, oom = 0;

	*out = NULL;
	*count = 0;
	if (res == NULL)
		return -1;
	rows = PQntuples(res);
	if ((*out = calloc((size_t)rows + 1, sizeof(**out))) == NULL)
		oom = 1;
	for (int i = 0; !oom && i < rows; i++)
		(*out)[i] = pg_dup(res, i, 0, &oom);
	PQclear(res);
	if (oom) {
		tracked_columns_free(*out, *out ? rows : 0);
		*out = NULL;
		return sp_error_set(err, "out of memory");
	}
	*count = rows;
	return 0;
}

int
pg_tables_tracked(struct site *s, char ***names, int *count,
    struct sp_error *err)
{
	return load_names(s, "SELECT name FROM syncpack.tracked_table WHERE "
	    "tracked <> 0 ORDER BY id", 0, NULL, names, count, err);
}

int
pg_columns_load(struct site *s, const char *table, char ***columns,
    int *count, struct sp_error *err)
{
	/* A column missing from the list would be dropped from every
	 * incoming record; a table that does not exist has none. */
	return load_names(s, "SELECT attname FROM pg_attribute WHERE attrelid "
	    "= to_regclass($1) AND attnum > 0 AND NOT attisdropped ORDER BY "
	    "attnum", 1, &table, columns, count, err);
}

int
pg_table_parents(struct site *s, long long id, long long **parents,
    int *count, struct sp_error *err)
{
	char n[PG_INT_LEN];
	const char *p[1] = { pg_int(n, id) };
	PGresult *res = pg_query(s, "SELECT DISTINCT f.parent FROM syncpack.fk "
	    "f JOIN syncpack.tracked_table p ON p.id = f.parent WHERE f.tbl = "
	    "$1 AND f.parent <> $1 AND p.tracked <> 0 ORDER BY f.parent", 1, p,
	    err);
	int rows;

	*parents = NULL;
	*count = 0;
	if (res == NULL)
		return -1;
	rows = PQntuples(res);
	if (rows > 0 && (*parents = calloc((size_t)rows,
	    sizeof(**parents))) == NULL) {
		PQclear(res);
		return sp_error_set(err, "out of memory");
	}
	for (int i = 0; i < rows; i++)
		(*parents)[i] = pg_ll(res, i, 0);
	*count = rows;
	PQclear(res);
	return 0;
}

int
pg_fks_load(struct site *s, const char *table, struct tracked_fk **fks,
    int *count, struct sp_error *err)
{
	/* Only references to the parent's key: every key here has one
	 * column (composite keys are refused by syncadm track). */
	PGresult *res = pg_query(s, "SELECT f.col, p.name FROM syncpack.fk f "
	    "JOIN syncpack.tracked_table c ON c.id = f.tbl JOIN "
	    "syncpack.tracked_table p ON p.id = f.parent WHERE c.name = "
	    "coalesce(to_regclass($1)::text, $1) AND f.parent_col = p.pk ORDER "
	    "BY f.col COLLATE \"C\"", 1, &table, err);
	int rows, oom = 0;

	*fks = NULL;
	*count = 0;
	if (res == NULL)
		return -1;
	rows = PQntuples(res);
	if (rows > 0 && (*fks = calloc((size_t)rows, sizeof(**fks))) == NULL)
		oom = 1;
	for (int i = 0; !oom && i < rows; i++) {
		(*fks)[i].col = pg_dup(res, i, 0, &oom);
		(*fks)[i].parent = pg_dup(res, i, 1, &oom);
	}
	PQclear(res);
	if (oom) {
		tracked_fks_free(*fks, *fks ? rows : 0);
		*fks = NULL;
		return sp_error_set(err, "out of memory");
	}
	*count = rows;
	return 0;
}

int
pg_table_rkey(struct site *s, const struct tracked_table *t,
    const char *const *values, int n, json_t **rkey, struct sp_error *err)
{
	struct pg_key_sql k;
	char *sql = NULL, *where = strdup(""), *next;
	PGresult *res;
	int rc;

	*rkey = NULL;
	if (where == NULL)
		return sp_error_set(err, "out of memory");
	if (pg_key_sql_load(s, t->name, t->pk, "x", "NULL", &k, err) != 0) {
		free(where);
		return -1;
	}
	if (n != k.n) {
		rc = sp_error_set(err, "%s: the key has %d column%s, %d value%s "
		    "given", t->name, k.n, k.n == 1 ? "" : "s", n, n == 1 ? "" :
		    "s");
		pg_key_sql_free(&k);
		free(where);
		return rc;
	}
	/* Each value's text takes its key column's type. The rkey of a key
	 * of one column is its JSON value, so that an integer key gives a
	 * JSON integer as in SQLite; a composite key's is its text, as
	 * syncpack.lock keeps it. */
	for (int i = 0; i < k.n && where != NULL; i++) {
		if (asprintf(&next, "%s%sx.%s = $%d::%s", where, i ? " AND " : "",
		    k.qcols[i], i + 1, k.types[i]) < 0)
			next = NULL;
		free(where);
		where = next;
	}
	if (where == NULL || asprintf(&sql, k.n == 1 ? "SELECT to_jsonb(%s)::"
	    "text FROM %s x WHERE %s" : "SELECT to_jsonb(%s) FROM %s x WHERE "
	    "%s", k.n == 1 ? k.qcols[0] : k.of, t->name, where) < 0)
		sql = NULL;
	pg_key_sql_free(&k);
	free(where);
	if (sql == NULL)
		return sp_error_set(err, "out of memory");
	res = pg_query(s, sql, n, values, err);
	free(sql);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0)
		rc = 0;
	else if ((*rkey = json_loads(PQgetvalue(res, 0, 0), JSON_DECODE_ANY,
	    NULL)) == NULL)
		rc = sp_error_set(err, "out of memory");
	else
		rc = 1;
	PQclear(res);
	return rc;
}
