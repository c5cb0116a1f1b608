/* sql.c: the few ways the SQLite backend runs a statement and reports
 * its error (declared in site.h), shared by every file of the backend. */
#include <sqlite3.h>
#include <string.h>

#include "store/sqlite/sql.h"

/* SQLITE_BUSY and SQLITE_LOCKED (with their extended codes): another
 * writer holds the database past the busy timeout. A primary key that
 * another row holds is told apart: an apply may wait for that row to
 * move (sync/apply.c). */
static enum sp_error_kind
error_kind(sqlite3 *db)
{
	int code = db ? sqlite3_extended_errcode(db) : SQLITE_ERROR;

	if (code == SQLITE_CONSTRAINT_PRIMARYKEY)
		return SP_ERR_KEY_TAKEN;
	code &= 0xff;
	return code == SQLITE_BUSY || code == SQLITE_LOCKED ? SP_ERR_BUSY :
	    SP_ERR_DATABASE;
}

int
site_sqlite_error(struct site *s, struct sp_error *err, const char *what)
{
	return sp_error_setk(err, error_kind(s->db), 0, "%s: %s", what,
	    s->db ? sqlite3_errmsg(s->db) : "no database");
}

int
site_exec(struct site *s, const char *sql, struct sp_error *err)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		sp_error_setk(err, error_kind(s->db), 0, "%s", msg ? msg :
		    sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

int
site_exec_owned(struct site *s, char *sql, struct sp_error *err)
{
	int rc;

	if (sql == NULL)
		return sp_error_set(err, "out of memory");
	rc = site_exec(s, sql, err);
	sqlite3_free(sql);
	return rc;
}

int
site_step_text(struct site *s, const char *sql, const char *arg,
    struct sp_error *err)
{
	sqlite3_stmt *st;
	int r;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	if (arg != NULL && sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC)
	    != SQLITE_OK) {
		sqlite3_finalize(st);
		return site_sqlite_error(s, err, s->path);
	}
	r = sqlite3_step(st);
	sqlite3_finalize(st);
	if (r == SQLITE_ROW)
		return 1;
	if (r == SQLITE_DONE)
		return 0;
	return site_sqlite_error(s, err, s->path);
}

char *
site_column_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	return v ? strdup((const char *)v) : NULL;
}

int
site_loop_failed(struct site *s, int r, struct sp_error *err)
{
	return r == SQLITE_ROW ? sp_error_set(err, "out of memory")
	    : site_sqlite_error(s, err, s->path);
}
