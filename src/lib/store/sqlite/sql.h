/* sql.h: what the files of the SQLite backend share: running a statement
 * on a site's connection, and its errors (sql.c). */
#ifndef SYNCPACK_STORE_SQLITE_SQL_H
#define SYNCPACK_STORE_SQLITE_SQL_H

#include <sqlite3.h>

#include "util/error.h"
#include "store/site.h"

/* Runs sql once with arg (NULL: none) bound to its one parameter: 1 when
 * it gave a row, 0 when it finished without one, -1 on error. */
int site_step_text(struct site *s, const char *sql, const char *arg,
    struct sp_error *err);

/* Runs one SQL statement without results; err gets the SQLite message. */
int site_exec(struct site *s, const char *sql, struct sp_error *err);

/* Runs sql, built with sqlite3_mprintf (NULL: it ran out of memory), as
 * site_exec does, and frees it. */
int site_exec_owned(struct site *s, char *sql, struct sp_error *err);

/* A copy of a text column, NULL for NULL or when memory runs out. */
char *site_column_dup(sqlite3_stmt *st, int col);

/* Why a step loop ended before SQLITE_DONE: it stopped itself on a row
 * (r SQLITE_ROW) for want of memory, or SQLite failed. Returns -1. */
int site_loop_failed(struct site *s, int r, struct sp_error *err);

/* Sets err from the connection's last SQLite error and returns -1. */
int site_sqlite_error(struct site *s, struct sp_error *err, const char *what);

#endif
