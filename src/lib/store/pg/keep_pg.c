/* keep_pg.c: rows an apply sets aside so that records exchanging their
 * keys can each take the other's (park), and the references that keep a
 * row alive against a delete (referenced), on a PostgreSQL site. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/store_pg.h"

/* A quoted identifier, malloc'd; NULL when out of memory. */
static char *
quoted(struct store_pg *sp, const char *name)
{
	char *q = PQescapeIdentifier(sp->site->pg, name, strlen(name));
	char *out = q ? strdup(q) : NULL;

	PQfreemem(q);
	return out;
}

/* Runs a statement of the inner savepoint around a park. */
static int
park_point(struct store_pg *sp, const char *sql, struct sp_error *err)
{
	return pg_stmt_exec(sp, sql, NULL, err);
}

/* Moves the key of t's row rkey to parked; 1 when moved (*moved its new
 * rkey), 0 when the column or a constraint refuses the value. */
static int
move_key(struct store_pg *sp, struct pg_table *t, const char *rkey,
    const char *parked, char **moved, struct sp_error *err)
{
	struct pg_params p;
	PGresult *res = NULL;
	char *sql = NULL;
	int rc = -1;

	*moved = NULL;
	if (pg_params_init(&p, 2, err) != 0)
		return -1;
	if (asprintf(&sql, "UPDATE %s SET %s = $1 WHERE %s = $2 RETURNING "
	    "to_jsonb(%s) #>> '{}'", t->name, t->qpk, t->qpk, t->qpk) < 0) {
		sql = NULL;
		sp_error_set(err, "out of memory");
		goto done;
	}
	if ((t->key_kind == PG_BYTEA ? pg_param_bytes(&p, 0, parked,
	    strlen(parked), err) : pg_param_text(&p, 0, parked, err)) != 0 ||
	    pg_param_text(&p, 1, rkey, err) != 0)
		goto done;
	/* The value may not fit the column (a number, a CHECK, a foreign
	 * key): the savepoint keeps that refusal from ending the apply. */
	if (park_point(sp, "SAVEPOINT syncpack_park", err) != 0)
		goto done;
	res = pg_stmt_run(sp, t, sql, &p, err);
	if (res == NULL) {
		const char *state = pg_stmt_last_state(sp);
		int refused = state[0] == '2' && (state[1] == '2' ||
		    state[1] == '3');
		struct sp_error ignored;

		if (park_point(sp, "ROLLBACK TO SAVEPOINT syncpack_park",
		    &ignored) != 0 || park_point(sp, "RELEASE SAVEPOINT "
		    "syncpack_park", &ignored) != 0)
			refused = 0;
		rc = refused ? 0 : -1;
		goto done;
	}
	if (park_point(sp, "RELEASE SAVEPOINT syncpack_park", err) != 0)
		goto done;
	if (PQntuples(res) != 1)
		rc = 0;
	else if ((*moved = strdup(PQgetvalue(res, 0, 0))) == NULL)
		sp_error_set(err, "out of memory");
	else
		rc = 1;
done:
	PQclear(res);
	free(sql);
	pg_params_free(&p);
	return rc;
}

int
pg_rec_park(struct store *base, const char *guid, struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;
	struct pg_table *t;
	struct pg_params p;
	PGresult *res;
	char parked[64], *rkey = NULL, *moved = NULL;
	int found = pg_rec_find(sp, guid, &res, err), rc;

	pg_rec_forget(sp);
	if (found <= 0)
		return found;
	t = pg_rec_table_by_id(sp, atoll(PQgetvalue(res, 0, 1)));
	if (t != NULL && !t->local_key && !PQgetisnull(res, 0, 2) &&
	    (rkey = strdup(PQgetvalue(res, 0, 2))) == NULL) {
		PQclear(res);
		return sp_error_set(err, "out of memory");
	}
	PQclear(res);
	if (rkey == NULL)
		return 0;	/* no row, or a local key */
	/* A value no application writes: it names the record. */
	snprintf(parked, sizeof(parked), "syncpack-parked:%s", guid);
	rc = move_key(sp, t, rkey, parked, &moved, err);
	free(rkey);
	if (rc != 1)
		return rc;
	rc = -1;
	if (pg_params_init(&p, 2, err) != 0) {
		free(moved);
		return -1;
	}
	if (pg_param_text(&p, 0, moved, err) == 0 &&
	    pg_param_text(&p, 1, guid, err) == 0 &&
	    pg_stmt_exec(sp, "UPDATE syncpack.record SET rkey = $1 WHERE guid "
	    "= $2", &p, err) == 0 &&
	    pg_param_text(&p, 0, guid, err) == 0 &&
	    pg_stmt_exec(sp, "INSERT INTO pg_temp.syncpack_parked(guid) "
	    "VALUES ($1) ON CONFLICT DO NOTHING", &(struct pg_params){ 1,
	    p.values, p.lengths, p.formats, p.owned }, err) == 0) {
		sp->parking = 1;
		rc = 1;
	}
	pg_params_free(&p);
	free(moved);
	return rc;
}

int
pg_rec_parked(struct store *base, struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;
	PGresult *res;
	int n;

	/* Temporary: this connection's scratch, gone with it. */
	if (pg_stmt_exec(sp, "CREATE TEMP TABLE IF NOT EXISTS "
	    "syncpack_parked(guid text PRIMARY KEY)", NULL, err) != 0)
		return -1;
	if ((res = pg_stmt_run(sp, NULL, "SELECT count(*) FROM "
	    "pg_temp.syncpack_parked", NULL, err)) == NULL)
		return -1;
	n = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	return n;
}

int
pg_rec_unpark(struct store_pg *sp, const char *guid, struct sp_error *err)
{
	struct pg_params p;
	int rc;

	if (!sp->parking)
		return 0;
	if (pg_params_init(&p, 1, err) != 0)
		return -1;
	rc = pg_param_text(&p, 0, guid, err) == 0 ? pg_stmt_exec(sp, "DELETE "
	    "FROM pg_temp.syncpack_parked WHERE guid = $1", &p, err) : -1;
	pg_params_free(&p);
	return rc;
}

/* 1 when a row of child other than the parent's own refers to the
 * parent's row rkey through column col holding the parent's pcol. */
static int
child_refers(struct store_pg *sp, const struct pg_table *parent,
    const char *child, const char *child_pk, const char *col,
    const char *pcol, const char *rkey, struct sp_error *err)
{
	char *qcol = quoted(sp, col), *qpcol = quoted(sp, pcol);
	char *qcpk = quoted(sp, child_pk), *sql = NULL;
	struct pg_params p;
	PGresult *res = NULL;
	int rc = -1;

	if (pg_params_init(&p, 2, err) != 0)
		goto done;
	/* A row referring to itself does not keep itself alive. */
	if (qcol == NULL || qpcol == NULL || qcpk == NULL || asprintf(&sql,
	    "SELECT 1 FROM %s c WHERE c.%s = (SELECT p.%s FROM %s p WHERE p.%s"
	    " = $1) AND NOT (%s AND to_jsonb(c.%s) #>> '{}' IS NOT DISTINCT "
	    "FROM $2::text) LIMIT 1", child, qcol, qpcol, parent->name,
	    parent->qpk, strcmp(child, parent->name) == 0 ? "true" : "false",
	    qcpk) < 0) {
		sql = NULL;
		sp_error_set(err, "out of memory");
		goto done;
	}
	if (pg_param_text(&p, 0, rkey, err) == 0 &&
	    pg_param_text(&p, 1, rkey, err) == 0 &&
	    (res = pg_stmt_run(sp, NULL, sql, &p, err)) != NULL)
		rc = PQntuples(res) > 0;
done:
	PQclear(res);
	pg_params_free(&p);
	free(sql);
	free(qcol);
	free(qpcol);
	free(qcpk);
	return rc;
}

/* Every key of a PostgreSQL site is one column, so each recorded
 * reference is one column too. */
static int
referenced_by(struct store_pg *sp, const struct pg_table *parent,
    const char *rkey, char *by, size_t bylen, struct sp_error *err)
{
	struct pg_params p;
	PGresult *res = NULL;
	int hit = 0;

	if (pg_params_init(&p, 1, err) != 0)
		return -1;
	if (pg_param_ll(&p, 0, parent->id, err) != 0 ||
	    (res = pg_stmt_run(sp, NULL, "SELECT c.name, c.pk, f.col, "
	    "f.parent_col FROM syncpack.fk f JOIN syncpack.tracked_table c ON "
	    "c.id = f.tbl WHERE f.parent = $1::bigint AND c.tracked = 1 ORDER "
	    "BY f.tbl, f.col", &p, err)) == NULL)
		hit = -1;
	for (int i = 0; hit == 0 && res != NULL && i < PQntuples(res); i++) {
		hit = child_refers(sp, parent, PQgetvalue(res, i, 0),
		    PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
		    PQgetvalue(res, i, 3), rkey, err);
		if (hit > 0)
			snprintf(by, bylen, "%s", PQgetvalue(res, i, 0));
	}
	PQclear(res);
	pg_params_free(&p);
	return hit;
}

int
pg_rec_referenced(struct store *base, const char *guid, char *by,
    size_t bylen, struct sp_error *err)
{
	struct store_pg *sp = (struct store_pg *)base;
	struct pg_table *parent;
	PGresult *res;
	char *rkey = NULL;
	int found = pg_rec_find(sp, guid, &res, err);

	if (found <= 0)
		return found;
	parent = pg_rec_table_by_id(sp, atoll(PQgetvalue(res, 0, 1)));
	if (parent != NULL && !PQgetisnull(res, 0, 2) &&
	    (rkey = strdup(PQgetvalue(res, 0, 2))) == NULL) {
		PQclear(res);
		return sp_error_set(err, "out of memory");
	}
	PQclear(res);
	if (rkey == NULL)
		return 0;
	found = referenced_by(sp, parent, rkey, by, bylen, err);
	free(rkey);
	return found;
}
