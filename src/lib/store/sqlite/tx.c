/* tx.c: transactions (store/tx.h) over a site's SQLite connection. */
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"
#include "store/tx.h"

int
sqlite_tx_begin(struct site *s, struct sp_error *err)
{
	return site_exec(s, "BEGIN IMMEDIATE", err);
}

int
sqlite_tx_begin_read(struct site *s, struct sp_error *err)
{
	return site_exec(s, "BEGIN", err);
}

int
sqlite_tx_commit(struct site *s, struct sp_error *err)
{
	return site_exec(s, "COMMIT", err);
}

void
sqlite_tx_rollback(struct site *s)
{
	/* Fails only when no transaction is open, which is what was wanted. */
	sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}
