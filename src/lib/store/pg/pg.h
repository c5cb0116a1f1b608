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

/* A tracked table's key in SQL (keys_pg.c). The rkey of a row is its
 * key's text for one column, the JSON text of the array of its values
 * (jsonb's) for a composite key, as the capture triggers make it. */

/* SQL of the rkey of alias's row (alias NULL: the table's own columns)
 * from the key's quoted columns; malloc'd, NULL when out of memory. */
char *pg_key_of(char *const *qcols, int n, const char *alias);

/* SQL true for alias's row when its key is the one whose rkey the SQL
 * expression rkey gives, each value cast to its column's type so that
 * the key's index serves it; malloc'd, NULL when out of memory. */
char *pg_key_match(char *const *qcols, char *const *types, int n,
    const char *alias, const char *rkey);

/* Both for a table known by name and recorded key (a column name or a
 * JSON array of them), its columns read from the catalogue. */
struct pg_key_sql {
	char **qcols, **types;
	int n;
	char *of, *match;
};
SP_MUST_CHECK
int pg_key_sql_load(struct site *s, const char *table, const char *pk,
    const char *alias, const char *rkey, struct pg_key_sql *k,
    struct sp_error *err);
void pg_key_sql_free(struct pg_key_sql *k);

/* The time now as the metadata keeps times (UTC, ISO 8601 to the
 * second), as SQL. */
#define PG_NOW "to_char(now() AT TIME ZONE 'UTC', " \
	"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* Room for a long long as text, with its NUL. */
#define PG_INT_LEN 24

/* buf holding v as text, for a parameter. */
const char *pg_int(char buf[PG_INT_LEN], long long v);

/* Column col of row of res as a number (0 for NULL). */
long long pg_ll(const PGresult *res, int row, int col);

/* A copy of column col of row of res; NULL for NULL, and with *oom set
 * when memory ran out (oom may be NULL: NULL is then ambiguous). */
char *pg_dup(const PGresult *res, int row, int col, int *oom);

/* The rows a statement changed (PQcmdTuples). */
long long pg_changed(PGresult *res);

/* Runs sql (n text parameters) for one integer in its first column: 1
 * with *out (0 for NULL; with null_none a NULL gives 0 returned), 0 when
 * no row came, -1 on error. */
SP_MUST_CHECK
int pg_get_int(struct site *s, const char *sql, int n,
    const char *const *params, long long *out, int null_none,
    struct sp_error *err);

/* pg_get_int for a row of an integer and an optional text: *text a copy
 * (NULL for NULL) that the caller frees, NULL when no row came. */
SP_MUST_CHECK
int pg_get_int_text(struct site *s, const char *sql, int n,
    const char *const *params, long long *out, char **text,
    struct sp_error *err);

struct store;

/* Runs sql with the n texts (NULL entries are SQL NULL) on the site of
 * st, a record store of this backend, prepared on the connection the
 * first time: for the calls an apply makes per record. */
SP_MUST_CHECK
int pg_store_exec(struct store *st, const char *sql, int n,
    const char *const *texts, struct sp_error *err);

/* Runs sql for its rows, calling row(ctx, res, i) for each; non-zero
 * from it stops the walk, which returns that value. 0 after the last
 * row, -1 on error. The result is read in full first, so the callback
 * may run other statements. */
SP_MUST_CHECK
int pg_each(struct site *s, const char *sql, int n,
    const char *const *params,
    int (*row)(void *ctx, PGresult *res, int i, struct sp_error *err),
    void *ctx, struct sp_error *err);

#endif
