/* keys_pg.c: a tracked table's key in SQL on a PostgreSQL site: the rkey
 * of a row, as the capture triggers compute it, and the row of an rkey.
 * A key of one column has its value's text as rkey (to_jsonb(row) ->>
 * key); a composite key the text of the JSON array of its values, in the
 * key's order, as jsonb prints it (syncpack.rkey_of). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store/pg/pg.h"

char *
pg_key_of(char *const *qcols, int n, const char *alias)
{
	const char *dot = alias != NULL ? "." : "";
	char *sql = NULL, *next;

	if (alias == NULL)
		alias = "";
	if (n == 1)
		return asprintf(&sql, "to_jsonb(%s%s%s) #>> '{}'", alias, dot,
		    qcols[0]) < 0 ? NULL : sql;
	if ((sql = strdup("jsonb_build_array(")) == NULL)
		return NULL;
	for (int i = 0; i < n && sql != NULL; i++) {
		if (asprintf(&next, "%s%s%s%s%s%s", sql, i ? ", " : "", alias,
		    dot, qcols[i], i == n - 1 ? ")::text" : "") < 0)
			next = NULL;
		free(sql);
		sql = next;
	}
	return sql;
}

char *
pg_key_match(char *const *qcols, char *const *types, int n,
    const char *alias, const char *rkey)
{
	const char *dot = alias != NULL ? "." : "";
	char *left = strdup("("), *right = strdup("("), *sql = NULL, *next;

	if (alias == NULL)
		alias = "";
	if (n == 1) {
		free(left);
		free(right);
		return asprintf(&sql, "%s%s%s = (%s)::%s", alias, dot, qcols[0],
		    rkey, types[0]) < 0 ? NULL : sql;
	}
	/* A row comparison: the planner takes it column by column, so the
	 * key's index serves it. */
	for (int i = 0; i < n && left != NULL && right != NULL; i++) {
		if (asprintf(&next, "%s%s%s%s%s", left, i ? ", " : "", alias,
		    dot, qcols[i]) < 0)
			next = NULL;
		free(left);
		left = next;
		if (asprintf(&next, "%s%s((%s)::jsonb ->> %d)::%s", right,
		    i ? ", " : "", rkey, i, types[i]) < 0)
			next = NULL;
		free(right);
		right = next;
	}
	if (left == NULL || right == NULL || asprintf(&sql, "%s) = %s)", left,
	    right) < 0)
		sql = NULL;
	free(left);
	free(right);
	return sql;
}

void
pg_key_sql_free(struct pg_key_sql *k)
{
	for (int i = 0; i < k->n; i++) {
		free(k->qcols[i]);
		free(k->types[i]);
	}
	free(k->qcols);
	free(k->types);
	free(k->of);
	free(k->match);
	memset(k, 0, sizeof(*k));
}

/* The key's column names from pk, as syncpack.tracked_table keeps it: a
 * name, or a JSON array of them. */
static json_t *
key_names(const char *pk)
{
	json_t *names = pk[0] == '[' ? json_loads(pk, 0, NULL) :
	    json_pack("[s]", pk);

	if (names != NULL && (!json_is_array(names) ||
	    json_array_size(names) == 0)) {
		json_decref(names);
		names = NULL;
	}
	return names;
}

int
pg_key_sql_load(struct site *s, const char *table, const char *pk,
    const char *alias, const char *rkey, struct pg_key_sql *k,
    struct sp_error *err)
{
	json_t *names = key_names(pk), *v;
	size_t i;

	memset(k, 0, sizeof(*k));
	if (names == NULL)
		return sp_error_set(err, "%s: the key recorded for it is damaged",
		    table);
	k->n = (int)json_array_size(names);
	k->qcols = calloc((size_t)k->n, sizeof(*k->qcols));
	k->types = calloc((size_t)k->n, sizeof(*k->types));
	if (k->qcols == NULL || k->types == NULL) {
		json_decref(names);
		pg_key_sql_free(k);
		return sp_error_set(err, "out of memory");
	}
	json_array_foreach(names, i, v) {
		const char *p[2] = { table, json_string_value(v) };
		PGresult *res = p[1] == NULL ? NULL : pg_query(s, "SELECT "
		    "quote_ident(a.attname), format_type(a.atttypid, NULL) FROM "
		    "pg_attribute a WHERE a.attrelid = to_regclass($1) AND "
		    "a.attname = $2 AND NOT a.attisdropped", 2, p, err);

		if (res == NULL || PQntuples(res) != 1) {
			if (res != NULL || p[1] == NULL)
				sp_error_set(err, "%s: has no key column %s here",
				    table, p[1] ? p[1] : "(damaged)");
			PQclear(res);
			json_decref(names);
			pg_key_sql_free(k);
			return -1;
		}
		k->qcols[i] = strdup(PQgetvalue(res, 0, 0));
		k->types[i] = strdup(PQgetvalue(res, 0, 1));
		PQclear(res);
		if (k->qcols[i] == NULL || k->types[i] == NULL) {
			json_decref(names);
			pg_key_sql_free(k);
			return sp_error_set(err, "out of memory");
		}
	}
	json_decref(names);
	k->of = pg_key_of(k->qcols, k->n, alias);
	k->match = pg_key_match(k->qcols, k->types, k->n, alias, rkey);
	if (k->of == NULL || k->match == NULL) {
		pg_key_sql_free(k);
		return sp_error_set(err, "out of memory");
	}
	return 0;
}
