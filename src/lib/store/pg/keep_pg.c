/* keep_pg.c: rows an apply sets aside so that records exchanging their
 * keys can each take the other's (park), and the references that keep a
 * row alive against a delete (referenced), on a PostgreSQL site. */
#include <limits.h>
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

/* Moves key column k of t's row rkey to parked; 1 when moved (*moved
 * its new rkey), 0 when the column or a constraint refuses the value. */
static int
move_key(struct store_pg *sp, struct pg_table *t, int k, const char *rkey,
    const char *parked, char **moved, struct sp_error *err)
{
	enum pg_kind kind = t->key_kinds[k];
	struct pg_params p;
	PGresult *res = NULL;
	char *sql = NULL, *match = NULL, *key_of = NULL;
	int rc = -1;

	*moved = NULL;
	if (pg_params_init(&p, 2, err) != 0)
		return -1;
	if ((match = pg_table_key_match(t, NULL, "$2::text")) == NULL ||
	    (key_of = pg_table_key_of(t, NULL)) == NULL || asprintf(&sql,
	    "UPDATE %s SET %s = $1 WHERE %s RETURNING %s", t->name,
	    t->key_qcols[k], match, key_of) < 0) {
		sql = NULL;
		sp_error_set(err, "out of memory");
		goto done;
	}
	if ((kind == PG_BYTEA ? pg_param_bytes(&p, 0, parked,
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
	free(match);
	free(key_of);
	pg_params_free(&p);
	return rc;
}

/* An integer of type (smallint, integer, bigint) that no application
 * writes in a key, distinct per record: near the bottom of the type's
 * range, offset by guid's last hex digits. 0 for another type. */
static int
park_number(const char *type, const char *guid, char *out, size_t size)
{
	static const struct {
		const char *type;
		long long bottom;
		int bits;
	} ranges[] = {
		{ "smallint", -32768LL, 12 },
		{ "integer", -2147483647LL - 1, 24 },
		{ "bigint", LLONG_MIN, 40 },
	};
	size_t len = strlen(guid);
	unsigned long long off;

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
		if (strcmp(type, ranges[i].type) != 0)
			continue;
		off = strtoull(guid + (len > 10 ? len - 10 : 0), NULL, 16) &
		    ((1ULL << ranges[i].bits) - 1);
		snprintf(out, size, "%lld", ranges[i].bottom + (long long)off);
		return 1;
	}
	return 0;
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
	/* A value no application writes, naming the record, in the first
	 * key column that takes it: a text or bytea one, or an integer one
	 * (the bottom of its type's range), and not a reference the server
	 * would check. */
	rc = 0;
	for (int k = 0; rc == 0 && k < t->nkeys; k++) {
		if (strcmp(t->key_types[k], "text") == 0 ||
		    strcmp(t->key_types[k], "bytea") == 0 ||
		    strncmp(t->key_types[k], "character", 9) == 0)
			snprintf(parked, sizeof(parked), "syncpack-parked:%s",
			    guid);
		else if (!park_number(t->key_types[k], guid, parked,
		    sizeof(parked)))
			continue;
		rc = move_key(sp, t, k, rkey, parked, &moved, err);
	}
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
    const struct pg_table *child, const char *col, const char *pcol,
    const char *rkey, struct sp_error *err)
{
	char *qcol = quoted(sp, col), *qpcol = quoted(sp, pcol), *sql = NULL;
	char *match = pg_table_key_match(parent, "p", "$1::text"),
	    *child_key = pg_table_key_of(child, "c");
	struct pg_params p;
	PGresult *res = NULL;
	int rc = -1;

	if (pg_params_init(&p, 2, err) != 0)
		goto done;
	/* A row referring to itself does not keep itself alive. */
	if (qcol == NULL || qpcol == NULL || match == NULL || child_key == NULL
	    || asprintf(&sql, "SELECT 1 FROM %s c WHERE c.%s = (SELECT p.%s "
	    "FROM %s p WHERE %s) AND NOT (%s AND %s IS NOT DISTINCT FROM "
	    "$2::text) LIMIT 1", child->name, qcol, qpcol, parent->name, match,
	    child == parent ? "true" : "false", child_key) < 0) {
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
	free(match);
	free(child_key);
	return rc;
}

/* Every recorded reference of a PostgreSQL site is one column
 * (tables_pg.c refuses others). */
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
	    (res = pg_stmt_run(sp, NULL, "SELECT f.tbl, f.col, f.parent_col "
	    "FROM syncpack.fk f JOIN syncpack.tracked_table c ON c.id = f.tbl "
	    "WHERE f.parent = $1::bigint AND c.tracked = 1 ORDER BY f.tbl, "
	    "f.col", &p, err)) == NULL)
		hit = -1;
	for (int i = 0; hit == 0 && res != NULL && i < PQntuples(res); i++) {
		const struct pg_table *child = pg_rec_table_by_id(sp,
		    pg_ll(res, i, 0));

		if (child == NULL) {
			hit = sp_error_set(err, "%s: a table referring to it is "
			    "not loaded", parent->name);
			break;
		}
		hit = child_refers(sp, parent, child, PQgetvalue(res, i, 1),
		    PQgetvalue(res, i, 2), rkey, err);
		if (hit > 0)
			snprintf(by, bylen, "%s", child->name);
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
