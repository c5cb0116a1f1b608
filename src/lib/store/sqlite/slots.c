/* slots.c: the statements a store handle keeps prepared for an apply
 * (store_sqlite.h). */
#include "store/sqlite/sql.h"
#include "store/sqlite/store_sqlite.h"

sqlite3_stmt *
store_sqlite_slot(struct store *st, enum store_sqlite_slot slot,
    const char *sql, struct sp_error *err)
{
	struct store_sqlite_slots *h = (struct store_sqlite_slots *)st;

	if (h->stmt[slot] == NULL) {
		if (sqlite3_prepare_v3(h->site->db, sql, -1,
		    SQLITE_PREPARE_PERSISTENT, &h->stmt[slot], NULL)
		    != SQLITE_OK) {
			h->stmt[slot] = NULL;
			site_sqlite_error(h->site, err, h->site->path);
			return NULL;
		}
		return h->stmt[slot];
	}
	sqlite3_reset(h->stmt[slot]);
	sqlite3_clear_bindings(h->stmt[slot]);
	return h->stmt[slot];
}

int
store_sqlite_step(struct store *st, sqlite3_stmt *stmt, struct sp_error *err)
{
	struct store_sqlite_slots *h = (struct store_sqlite_slots *)st;
	int r = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	if (r == SQLITE_ROW)
		return 1;
	return r == SQLITE_DONE ? 0 : site_sqlite_error(h->site, err,
	    h->site->path);
}

void
store_sqlite_slots_reset(struct store_sqlite_slots *h)
{
	for (int i = 0; i < SLOT_COUNT; i++)
		if (h->stmt[i] != NULL)
			sqlite3_reset(h->stmt[i]);
}

void
store_sqlite_slots_free(struct store_sqlite_slots *h)
{
	for (int i = 0; i < SLOT_COUNT; i++) {
		sqlite3_finalize(h->stmt[i]);
		h->stmt[i] = NULL;
	}
}
