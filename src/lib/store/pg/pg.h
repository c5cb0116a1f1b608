/* pg.h: what the files of the PostgreSQL backend share: the site's libpq
 * connection, running statements on it, and its errors (conn.c). */
#ifndef SYNCPACK_STORE_PG_PG_H
#define SYNCPACK_STORE_PG_PG_H

#include <libpq-fe.h>

#include "util/error.h"
#include "store/site.h"

/* The version of the schema syncpack that this syncpack writes and
 * reads (syncpack.site.schema_version). */
#define PG_SCHEMA_VERSION 1

/* Loads libpq (pq_load.c), which every call of its functions needs
 * first; 0 once it is loaded. */
SP_MUST_CHECK
int pq_load(struct sp_error *err);

/* Connects s to uri (s->path gets it without its password); err names
 * the database and libpq's reason. */
SP_MUST_CHECK
int pg_connect(struct site *s, const char *uri, struct sp_error *err);

/* Runs sql with n text parameters (NULL entries are SQL NULL). Returns
 * the result of a statement that succeeded (free with PQclear), or NULL
 * with err set to the server's message. */
PGresult *pg_query(struct site *s, const char *sql, int n,
    const char *const *params, struct sp_error *err);

/* pg_query for a statement whose result is not read. */
SP_MUST_CHECK
int pg_exec(struct site *s, const char *sql, int n,
    const char *const *params, struct sp_error *err);

/* 1 when sql (with n text parameters) gives a row, 0 when none, -1 on
 * error. */
SP_MUST_CHECK
int pg_exists(struct site *s, const char *sql, int n,
    const char *const *params, struct sp_error *err);

/* Runs a script of several statements without parameters. */
SP_MUST_CHECK
int pg_script(struct site *s, const char *sql, struct sp_error *err);

/* Rolls back the open transaction, if any; reports nothing. */
void pg_rollback(struct site *s);

/* The schema syncpack (schema_pg.c): its tables, the capture and guard
 * trigger functions and the fold, made by syncadm init. */
extern const char pg_schema_sql[];

/* Folds the change log into syncpack.record (syncpack.fold on the
 * server), in the caller's transaction or, outside one, its own. */
SP_MUST_CHECK
int pg_fold(struct site *s, struct sp_error *err);

#endif
