/* stmt_pg.c: the record store's statements on a PostgreSQL site: each
 * SQL text prepared once on the connection (PQprepare) and run by name
 * with its parameters only, and the server's errors as the store reports
 * them (store_pg.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/store_pg.h"

int
pg_params_init(struct pg_params *p, int n, struct sp_error *err)
{
	size_t k = n > 0 ? (size_t)n : 1;

	memset(p, 0, sizeof(*p));
	p->values = calloc(k, sizeof(*p->values));
	p->lengths = calloc(k, sizeof(*p->lengths));
	p->formats = calloc(k, sizeof(*p->formats));
	p->owned = calloc(k, sizeof(*p->owned));
	if (p->values == NULL || p->lengths == NULL || p->formats == NULL ||
	    p->owned == NULL) {
		pg_params_free(p);
		return sp_error_set(err, "out of memory");
	}
	p->n = n;
	return 0;
}

void
pg_params_free(struct pg_params *p)
{
	for (int i = 0; p->owned != NULL && i < p->n; i++)
		free(p->owned[i]);
	free(p->values);
	free(p->lengths);
	free(p->formats);
	free(p->owned);
	memset(p, 0, sizeof(*p));
}

static int
set_owned(struct pg_params *p, int i, char *copy, int len, int format,
    struct sp_error *err)
{
	free(p->owned[i]);
	p->owned[i] = copy;
	p->values[i] = copy;
	p->lengths[i] = len;
	p->formats[i] = format;
	return copy != NULL ? 0 : sp_error_set(err, "out of memory");
}

int
pg_param_text(struct pg_params *p, int i, const char *text,
    struct sp_error *err)
{
	if (text == NULL) {
		free(p->owned[i]);
		p->owned[i] = NULL;
		p->values[i] = NULL;
		p->formats[i] = 0;
		return 0;
	}
	return set_owned(p, i, strdup(text), 0, 0, err);
}

int
pg_param_bytes(struct pg_params *p, int i, const void *bytes, size_t n,
    struct sp_error *err)
{
	/* One byte more, so that an empty value is not NULL and text given
	 * this way ends in its NUL. */
	char *copy = malloc(n + 1);

	if (n > 0x7fffffff) {
		free(copy);
		return sp_error_set(err, "a value of %zu bytes is too long", n);
	}
	if (copy != NULL) {
		memcpy(copy, bytes, n);
		copy[n] = '\0';
	}
	return set_owned(p, i, copy, (int)n, 1, err);
}

int
pg_param_ll(struct pg_params *p, int i, long long v, struct sp_error *err)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", v);
	return pg_param_text(p, i, buf, err);
}

/* The kind of the error res reports; the primary key of t taken by
 * another row is told apart, since an apply may wait for that row to
 * move (sync/apply.c). */
static enum sp_error_kind
error_kind(const struct pg_table *t, PGresult *res, const char *state)
{
	const char *con = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);

	if (strcmp(state, "23505") == 0 && t != NULL && t->pkcon != NULL &&
	    con != NULL && strcmp(con, t->pkcon) == 0)
		return SP_ERR_KEY_TAKEN;
	/* lock_not_available, deadlock_detected, serialization_failure */
	if (strcmp(state, "55P03") == 0 || strcmp(state, "40P01") == 0 ||
	    strcmp(state, "40001") == 0)
		return SP_ERR_BUSY;
	return SP_ERR_DATABASE;
}

/* res when its statement succeeded; NULL (res freed) with err set. */
static PGresult *
checked(struct store_pg *sp, const struct pg_table *t, PGresult *res,
    struct sp_error *err)
{
	ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
	const char *msg, *state;

	if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
		sp->last_state[0] = '\0';
		return res;
	}
	state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	snprintf(sp->last_state, sizeof(sp->last_state), "%s",
	    state ? state : "");
	msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	if (msg == NULL) {
		/* No answer from the server: libpq's own first line. */
		const char *m = PQerrorMessage(sp->site->pg);
		sp_error_setk(err, SP_ERR_DATABASE, 0, "%s: %.*s",
		    sp->site->path, (int)strcspn(m, "\n"), m);
	} else
		sp_error_setk(err, error_kind(t, res, sp->last_state), 0,
		    "%s: %s", sp->site->path, msg);
	PQclear(res);
	return NULL;
}

static unsigned long next_name;

/* The name of sql's prepared statement, preparing it the first time;
 * NULL with err set. */
static const char *
prepared(struct store_pg *sp, const char *sql, int nparams,
    struct sp_error *err)
{
	struct pg_stmt *s;
	PGresult *res;

	for (int i = 0; i < sp->nstmts; i++)
		if (strcmp(sp->stmts[i].sql, sql) == 0)
			return sp->stmts[i].name;
	if (sp->nstmts == sp->stmts_cap) {
		int cap = sp->stmts_cap ? sp->stmts_cap * 2 : 32;
		struct pg_stmt *grown = realloc(sp->stmts, (size_t)cap *
		    sizeof(*grown));
		if (grown == NULL) {
			sp_error_set(err, "out of memory");
			return NULL;
		}
		sp->stmts = grown;
		sp->stmts_cap = cap;
	}
	s = &sp->stmts[sp->nstmts];
	/* Numbered through the process, so that a store opened after
	 * another on the same connection never takes a name still there. */
	snprintf(s->name, sizeof(s->name), "syncpack_rec_%lu", next_name++);
	res = checked(sp, NULL, PQprepare(sp->site->pg, s->name, sql, nparams,
	    NULL), err);
	if (res == NULL)
		return NULL;
	PQclear(res);
	if ((s->sql = strdup(sql)) == NULL) {
		sp_error_set(err, "out of memory");
		return NULL;
	}
	sp->nstmts++;
	return s->name;
}

int
pg_stmt_release(struct store_pg *sp, const char *then, struct sp_error *err)
{
	char *sql = strdup("");
	PGresult *res;

	/* One RELEASE per savepoint released since: nested ones too. */
	for (; sp->release_pending > 0; sp->release_pending--)
		pg_sql_append(&sql, "RELEASE SAVEPOINT syncpack_record; ", NULL,
		    NULL);
	if (then != NULL)
		pg_sql_append(&sql, "%s", then, NULL);
	if (sql == NULL)
		return sp_error_set(err, "out of memory");
	if (sql[0] == '\0') {
		free(sql);
		return 0;
	}
	/* The simple protocol takes every statement in one round trip. */
	res = checked(sp, NULL, PQexec(sp->site->pg, sql), err);
	free(sql);
	PQclear(res);
	return res != NULL ? 0 : -1;
}

static int
before(struct store_pg *sp, int side, const char *sql, struct sp_error *err)
{
	return sp->before_statement != NULL ? sp->before_statement(sp, side, sql,
	    err) : 0;
}

static PGresult *
run_prepared(struct store_pg *sp, const struct pg_table *t, const char *sql,
    const struct pg_params *p, struct sp_error *err)
{
	int n = p ? p->n : 0;
	const char *name;

	if (sp->release_pending && pg_stmt_release(sp, NULL, err) != 0)
		return NULL;
	if ((name = prepared(sp, sql, n, err)) == NULL)
		return NULL;
	return checked(sp, t, PQexecPrepared(sp->site->pg, name, n,
	    p ? p->values : NULL, p ? p->lengths : NULL, p ? p->formats : NULL,
	    0), err);
}

PGresult *
pg_stmt_run(struct store_pg *sp, const struct pg_table *t, const char *sql,
    const struct pg_params *p, struct sp_error *err)
{
	if (before(sp, 0, sql, err) != 0)
		return NULL;
	return run_prepared(sp, t, sql, p, err);
}

PGresult *
pg_stmt_run_planned(struct store_pg *sp, const char *sql,
    const struct pg_params *p, struct sp_error *err)
{
	if (before(sp, 0, sql, err) != 0 ||
	    (sp->release_pending && pg_stmt_release(sp, NULL, err) != 0))
		return NULL;
	return checked(sp, NULL, PQexecParams(sp->site->pg, sql, p->n, NULL,
	    p->values, p->lengths, p->formats, 0), err);
}

int
pg_stmt_exec(struct store_pg *sp, const char *sql, const struct pg_params *p,
    struct sp_error *err)
{
	PGresult *res = pg_stmt_run(sp, NULL, sql, p, err);

	PQclear(res);
	return res != NULL ? 0 : -1;
}

int
pg_stmt_exec_side(struct store_pg *sp, const char *sql,
    const struct pg_params *p, struct sp_error *err)
{
	PGresult *res = before(sp, 1, sql, err) != 0 ? NULL :
	    run_prepared(sp, NULL, sql, p, err);

	PQclear(res);
	return res != NULL ? 0 : -1;
}

PGresult *
pg_stmt_simple(struct store_pg *sp, const char *sql, struct sp_error *err)
{
	if (before(sp, 0, sql, err) != 0 ||
	    (sp->release_pending && pg_stmt_release(sp, NULL, err) != 0))
		return NULL;
	return checked(sp, NULL, PQexec(sp->site->pg, sql), err);
}

void
pg_sql_append(char **sql, const char *fmt, const char *a, const char *b)
{
	char *piece = NULL, *next = NULL;

	if (*sql != NULL && asprintf(&piece, fmt, a, b) >= 0 &&
	    asprintf(&next, "%s%s", *sql, piece) < 0)
		next = NULL;
	free(piece);
	free(*sql);
	*sql = next;
}

const char *
pg_stmt_last_state(const struct store_pg *sp)
{
	return sp->last_state;
}

void
pg_stmts_free(struct store_pg *sp)
{
	/* Deallocated with the store, so that a site opened for long (a
	 * daemon) does not gather them. */
	for (int i = 0; i < sp->nstmts; i++) {
		char *q = PQescapeIdentifier(sp->site->pg, sp->stmts[i].name,
		    strlen(sp->stmts[i].name));
		char *sql = NULL;
		PGTransactionStatusType ts = PQtransactionStatus(sp->site->pg);
		if (q != NULL && asprintf(&sql, "DEALLOCATE %s", q) >= 0 &&
		    (ts == PQTRANS_IDLE || ts == PQTRANS_INTRANS))
			PQclear(PQexec(sp->site->pg, sql));
		free(sql);
		PQfreemem(q);
		free(sp->stmts[i].sql);
	}
	free(sp->stmts);
	sp->stmts = NULL;
	sp->nstmts = sp->stmts_cap = 0;
}
