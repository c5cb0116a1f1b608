/* conflicts_pg.c: the rows of syncpack.conflict, and the statements of
 * resolving a conflict (store/conflicts.h), of a PostgreSQL site. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/conflicts.h"
#include "store/pg/backend.h"
#include "store/pg/pg.h"
#include "sxf/value.h"

int
pg_conflict_put(struct store *st, const char *guid, const char *table,
    const char *peer, long long flow, const char *local, const char *remote,
    size_t len, struct sp_error *err)
{
	char f[PG_INT_LEN], *copy = strndup(remote, len);
	const char *p[6] = { guid, table, peer, pg_int(f, flow), local, copy };
	int rc;

	if (copy == NULL)
		return sp_error_set(err, "out of memory");
	rc = pg_store_exec(st, "INSERT INTO syncpack.conflict(guid, tbl, peer, "
	    "flow, local, remote, detected) VALUES ($1, $2, $3, $4, $5, $6, "
	    PG_NOW ")", 6, p, err);
	free(copy);
	return rc;
}

/* Marks every unresolved conflict of guid resolved now. */
#define RESOLVE "UPDATE syncpack.conflict SET resolved = " PG_NOW " WHERE " \
	"guid = $1 AND resolved IS NULL"

int
pg_conflicts_resolve(struct store *st, const char *guid,
    struct sp_error *err)
{
	return pg_store_exec(st, RESOLVE, 1, &guid, err);
}

int
pg_conflict_get(struct site *s, long long id, struct store_conflict *c,
    struct sp_error *err)
{
	char n[PG_INT_LEN];
	const char *p[1] = { pg_int(n, id) };
	PGresult *res;

	memset(c, 0, sizeof(*c));
	res = pg_query(s, "SELECT guid, tbl, remote, (remote::jsonb ->> "
	    "'rowversion')::bigint, (remote::jsonb ->> 'hlc')::bigint, "
	    "CASE jsonb_typeof(remote::jsonb -> 'hlc_site') WHEN 'string' THEN "
	    "remote::jsonb ->> 'hlc_site' END FROM syncpack.conflict WHERE id = "
	    "$1 AND resolved IS NULL", 1, p, err);
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	snprintf(c->guid, sizeof(c->guid), "%s", PQgetvalue(res, 0, 0));
	snprintf(c->table, sizeof(c->table), "%s", PQgetvalue(res, 0, 1));
	c->remote_rowversion = pg_ll(res, 0, 3);
	c->remote_hlc = pg_ll(res, 0, 4);
	if (!PQgetisnull(res, 0, 5))
		snprintf(c->remote_site, sizeof(c->remote_site), "%s",
		    PQgetvalue(res, 0, 5));
	c->remote = strdup(PQgetvalue(res, 0, 2));
	PQclear(res);
	return c->remote != NULL ? 1 : sp_error_set(err, "out of memory");
}

/* The statement of pg_conflict_write on table (quoted as regclass prints
 * it) with its key's SQL key: $1 the row's rkey (for an insert, the key
 * as recorded), $2.. the values in the order of values. NULL when memory runs out. */
static char *
write_sql(struct site *s, const char *table, const struct pg_key_sql *key,
    int exists, json_t *values)
{
	char *cols = NULL, *vals = NULL, *sql = NULL;
	size_t ncols, nvals;
	FILE *c = open_memstream(&cols, &ncols),
	    *v = open_memstream(&vals, &nvals);
	const char *col;
	json_t *val;
	int idx = 1, ok = c != NULL && v != NULL;

	json_object_foreach(values, col, val) {
		char *q = ok ? PQescapeIdentifier(s->pg, col, strlen(col)) :
		    NULL;

		idx++;
		if (q == NULL)
			ok = 0;
		else if (exists)
			fprintf(c, ", %s = $%d", q, idx);
		else {
			fprintf(c, "%s%s", idx > 2 ? ", " : "", q);
			fprintf(v, "%s$%d", idx > 2 ? ", " : "", idx);
		}
		PQfreemem(q);
	}
	if (c != NULL && fclose(c) != 0)
		ok = 0;
	if (v != NULL && fclose(v) != 0)
		ok = 0;
	if (!ok)
		;
	else if (values == NULL)
		ok = asprintf(&sql, "DELETE FROM %s WHERE %s", table,
		    key->match) >= 0;
	else if (!exists && idx > 1)
		ok = asprintf(&sql, "INSERT INTO %s AS x(%s) VALUES (%s) "
		    "RETURNING syncpack.rkey_of(to_jsonb(x), $1::text)", table,
		    cols, vals) >= 0;
	else if (!exists)
		ok = asprintf(&sql, "INSERT INTO %s AS x DEFAULT VALUES "
		    "RETURNING syncpack.rkey_of(to_jsonb(x), $1::text)", table)
		    >= 0;
	else
		ok = asprintf(&sql, "UPDATE %s SET %s = %s%s WHERE %s", table,
		    key->qcols[0], key->qcols[0], cols, key->match) >= 0;
	free(cols);
	free(vals);
	return ok ? sql : NULL;
}

/* A value in its travelling form as a text parameter, which takes the
 * type of the column it goes to: *out NULL for NULL; *owned what the
 * caller frees. */
static int
value_param(json_t *j, const char **out, char **owned, struct sp_error *err)
{
	struct value v;
	int rc = 0;

	*out = NULL;
	*owned = NULL;
	if (value_from_json(j, &v, err) != 0)
		return -1;
	switch (v.type) {
	case VALUE_NULL:
		break;
	case VALUE_INTEGER:
		rc = asprintf(owned, "%lld", v.i);
		break;
	case VALUE_REAL:
		rc = isinf(v.r) ? asprintf(owned, "%sInfinity", v.r < 0 ? "-" :
		    "") : asprintf(owned, "%.17g", v.r);
		break;
	case VALUE_TEXT:
		if (memchr(v.bytes, '\0', v.n) != NULL) {
			value_release(&v);
			return sp_error_set(err, "a text with a NUL byte cannot "
			    "be stored on a PostgreSQL site");
		}
		rc = asprintf(owned, "%.*s", (int)v.n, (const char *)v.bytes);
		break;
	case VALUE_BLOB:
		/* bytea's hex input form. */
		if ((*owned = malloc(2 * v.n + 3)) == NULL)
			rc = -1;
		else {
			memcpy(*owned, "\\x", 2);
			for (size_t i = 0; i < v.n; i++)
				snprintf(*owned + 2 + 2 * i, 3, "%02x",
				    v.bytes[i]);
			(*owned)[2 * v.n + 2] = '\0';
		}
		break;
	}
	value_release(&v);
	if (rc < 0) {
		*owned = NULL;
		return sp_error_set(err, "out of memory");
	}
	*out = *owned;
	return 0;
}

/* table as regclass prints it (quoted where needed) into *name, which
 * the caller frees, and its key's SQL with $1 the rkey into key. */
static int
table_names(struct site *s, const char *table, const char *pk, char **name,
    struct pg_key_sql *key, struct sp_error *err)
{
	PGresult *res;

	*name = NULL;
	if ((res = pg_query(s, "SELECT $1::regclass::text", 1, &table, err))
	    == NULL)
		return -1;
	*name = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (*name == NULL)
		return sp_error_set(err, "out of memory");
	if (pg_key_sql_load(s, table, pk, NULL, "$1", key, err) != 0) {
		free(*name);
		*name = NULL;
		return -1;
	}
	return 0;
}

int
pg_conflict_write(struct site *s, const char *table, const char *pk,
    const char *guid, int exists, json_t *values, struct sp_error *err)
{
	size_t n = json_object_size(values), i = 0;
	const char **p = calloc(n + 1, sizeof(*p));
	char **owned = calloc(n + 1, sizeof(*owned));
	char *name = NULL, *sql = NULL;
	struct pg_key_sql key = { 0 };
	const char *col;
	PGresult *res = NULL;
	json_t *v;
	int rc = -1;

	if (p == NULL || owned == NULL) {
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	if (table_names(s, table, pk, &name, &key, err) != 0)
		goto cleanup;
	if ((sql = write_sql(s, name, &key, exists, values)) == NULL) {
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	/* $1: the key the record has here, or the key column's name for
	 * RETURNING the new row's key. */
	if (!exists)
		p[0] = pk;
	else if ((res = pg_query(s, "SELECT rkey FROM syncpack.record WHERE "
	    "guid = $1 AND rkey IS NOT NULL", 1, &guid, err)) == NULL)
		goto cleanup;
	else if (PQntuples(res) == 0) {
		sp_error_set(err, "record %s has no row here", guid);
		goto cleanup;
	} else
		p[0] = PQgetvalue(res, 0, 0);
	/* A value that cannot be given must not be written as NULL. */
	json_object_foreach(values, col, v) {
		i++;
		if (value_param(v, &p[i], &owned[i], err) != 0)
			goto cleanup;
	}
	{
		/* p[0] may point into the key's result: freed only once the
		 * write that reads it is done. */
		PGresult *key_res = res;

		res = pg_query(s, sql, (int)n + 1, p, err);
		PQclear(key_res);
		if (res == NULL)
			goto cleanup;
	}
	/* The row just inserted is guid's record again: the fold finds it
	 * by its key and stamps a new version of the same GUID. */
	if (!exists && values != NULL) {
		const char *take[2] = { PQgetvalue(res, 0, 0), guid };

		if (pg_exec(s, "UPDATE syncpack.record SET rkey = $1 WHERE guid "
		    "= $2", 2, take, err) != 0)
			goto cleanup;
	}
	rc = 0;
cleanup:
	PQclear(res);
	for (i = 0; owned != NULL && i <= n; i++)
		free(owned[i]);
	free(owned);
	free(p);
	free(sql);
	free(name);
	pg_key_sql_free(&key);
	return rc;
}

int
pg_conflict_touch(struct site *s, const char *guid, struct sp_error *err)
{
	return pg_exec(s, "INSERT INTO syncpack.change(tbl, rkey, okey, op, ms) "
	    "SELECT tbl, rkey, rkey, 2, floor(extract(epoch FROM "
	    "clock_timestamp()) * 1000) FROM syncpack.record WHERE guid = $1 "
	    "AND rkey IS NOT NULL", 1, &guid, err);
}

int
pg_conflict_fold(struct site *s, struct sp_error *err)
{
	return pg_fold(s, err);
}

int
pg_conflict_settle(struct site *s, const struct store_conflict *c,
    struct sp_error *err)
{
	char rv[PG_INT_LEN], hlc[PG_INT_LEN];
	const char *p[4] = { c->guid, pg_int(rv, c->remote_rowversion),
	    pg_int(hlc, c->remote_hlc), c->remote_site[0] ? c->remote_site :
	    NULL };

	if (pg_exec(s, "UPDATE syncpack.record SET base = $2, base_hlc = $3, "
	    "base_site = $4, rowversion = greatest(rowversion, $2::bigint + 1) "
	    "WHERE guid = $1", 4, p, err) != 0)
		return -1;
	return pg_exec(s, RESOLVE, 1, (const char *const[]){ c->guid }, err);
}
