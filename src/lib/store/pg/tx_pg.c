/* tx_pg.c: transactions (store/tx.h) over a site's libpq connection. */
#include "store/pg/backend.h"
#include "store/pg/pg.h"

int
pg_tx_begin(struct site *s, struct sp_error *err)
{
	/* The clock row's lock, as the fold takes it, as BEGIN IMMEDIATE
	 * takes SQLite's write lock: one writing tool at a time, and what
	 * it read stays so until it commits. */
	if (pg_exec(s, "BEGIN", 0, NULL, err) != 0)
		return -1;
	if (pg_exec(s, "SELECT 1 FROM syncpack.clock WHERE id = 1 FOR UPDATE",
	    0, NULL, err) != 0) {
		pg_rollback(s);
		return -1;
	}
	return 0;
}

int
pg_tx_begin_read(struct site *s, struct sp_error *err)
{
	/* One snapshot for every statement of the transaction, as a SQLite
	 * read transaction sees one state of the file; no lock is taken. */
	return pg_exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ", 0, NULL,
	    err);
}

int
pg_tx_commit(struct site *s, struct sp_error *err)
{
	return pg_exec(s, "COMMIT", 0, NULL, err);
}

void
pg_tx_rollback(struct site *s)
{
	pg_rollback(s);
}
