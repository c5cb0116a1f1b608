/* results_pg.c: reading results of the PostgreSQL backend's statements:
 * numbers and texts out of a result, one value or one row of a query,
 * walking rows; and the statements an apply runs per record, kept
 * prepared by its store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/pg.h"
#include "store/pg/store_pg.h"

const char *
pg_int(char buf[PG_INT_LEN], long long v)
{
	snprintf(buf, PG_INT_LEN, "%lld", v);
	return buf;
}

long long
pg_ll(const PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? 0 :
	    strtoll(PQgetvalue(res, row, col), NULL, 10);
}

char *
pg_dup(const PGresult *res, int row, int col, int *oom)
{
	char *out;

	if (PQgetisnull(res, row, col))
		return NULL;
	out = strdup(PQgetvalue(res, row, col));
	if (out == NULL && oom != NULL)
		*oom = 1;
	return out;
}

long long
pg_changed(PGresult *res)
{
	return strtoll(PQcmdTuples(res), NULL, 10);
}

int
pg_get_int(struct site *s, const char *sql, int n,
    const char *const *params, long long *out, int null_none,
    struct sp_error *err)
{
	PGresult *res = pg_query(s, sql, n, params, err);
	int got;

	if (res == NULL)
		return -1;
	got = PQntuples(res) > 0 && !(null_none && PQgetisnull(res, 0, 0));
	if (PQntuples(res) > 0)
		*out = pg_ll(res, 0, 0);
	PQclear(res);
	return got;
}

int
pg_get_int_text(struct site *s, const char *sql, int n,
    const char *const *params, long long *out, char **text,
    struct sp_error *err)
{
	PGresult *res = pg_query(s, sql, n, params, err);
	int oom = 0;

	*text = NULL;
	if (res == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	*out = pg_ll(res, 0, 0);
	*text = pg_dup(res, 0, 1, &oom);
	PQclear(res);
	return oom ? sp_error_set(err, "out of memory") : 1;
}

int
pg_each(struct site *s, const char *sql, int n, const char *const *params,
    int (*row)(void *ctx, PGresult *res, int i, struct sp_error *err),
    void *ctx, struct sp_error *err)
{
	PGresult *res = pg_query(s, sql, n, params, err);
	int rc = 0;

	if (res == NULL)
		return -1;
	for (int i = 0; rc == 0 && i < PQntuples(res); i++)
		rc = row(ctx, res, i, err);
	PQclear(res);
	return rc;
}

int
pg_store_exec(struct store *st, const char *sql, int n,
    const char *const *texts, struct sp_error *err)
{
	struct pg_params p;
	int rc = -1;

	if (pg_params_init(&p, n, err) != 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (pg_param_text(&p, i, texts[i], err) != 0)
			goto done;
	rc = pg_stmt_exec_side((struct store_pg *)st, sql, &p, err);
done:
	pg_params_free(&p);
	return rc;
}
