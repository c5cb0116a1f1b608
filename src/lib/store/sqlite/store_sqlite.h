/* store_sqlite.h: what the backend's files share about its store handle
 * (store_sqlite.c): the site under it and the statements an apply runs
 * per record, prepared once per handle and kept in fixed slots
 * (slots.c). */
#ifndef SYNCPACK_STORE_SQLITE_STORE_SQLITE_H
#define SYNCPACK_STORE_SQLITE_STORE_SQLITE_H

#include <sqlite3.h>

#include "store/store.h"

enum store_sqlite_slot {
	SLOT_SAVEPOINT, SLOT_RELEASE, SLOT_ROLLBACK_TO, SLOT_LOCKED,
	SLOT_PURGED_GET, SLOT_PURGED_DROP, SLOT_HELD_PUT, SLOT_HELD_DROP,
	SLOT_PROTOCOL, SLOT_CONFLICT_PUT, SLOT_CONFLICT_RESOLVE,
	SLOT_DEFERRED_PUT, SLOT_DEFERRED_DROP, SLOT_BATCH_BEGIN,
	SLOT_BATCH_RELEASE, SLOT_BATCH_UNDO,
	SLOT_COUNT
};

enum store_sqlite_batch_state { BATCH_OFF, BATCH_ON, BATCH_FAILED };

/* The start of the backend's store handle (store_sqlite.c keeps the
 * rest): a struct store * of this backend points to one. */
struct store_sqlite_slots {
	struct store base;
	struct site *site;
	/* Kept apart from store_sqlite.c's cache of statements by text,
	 * so that records of many tables cannot push these out. */
	sqlite3_stmt *stmt[SLOT_COUNT];
	/* An apply's batch (store_batch_begin): one savepoint around its
	 * records rather than one each, since SQLite copies every page a
	 * savepoint's writes touch first into its journal. FAILED: a
	 * record's write was refused, and all since the start is undone. */
	enum store_sqlite_batch_state batch;
};

/* The site st was opened over. */
static inline struct site *
store_sqlite_site(struct store *st)
{
	return ((struct store_sqlite_slots *)st)->site;
}

/* The statement of slot, reset with its bindings cleared; sql prepares it
 * on first use and must be the same text every time for one slot. The
 * handle owns it; NULL (err set) when it cannot be prepared. */
sqlite3_stmt *store_sqlite_slot(struct store *st, enum store_sqlite_slot slot,
    const char *sql, struct sp_error *err);

/* Steps stmt once and resets it: 1 for a row, 0 when done, -1 on error. */
int store_sqlite_step(struct store *st, sqlite3_stmt *stmt,
    struct sp_error *err);

/* Resets every slot (before a rollback), or finalizes them (on close). */
void store_sqlite_slots_reset(struct store_sqlite_slots *h);
void store_sqlite_slots_free(struct store_sqlite_slots *h);

/* The store_ops entries of an apply (store/store.h), in apply_sql.c. */
int store_sqlite_savepoint(struct store *st, struct sp_error *err);
int store_sqlite_release(struct store *st, struct sp_error *err);
int store_sqlite_rollback_to(struct store *st, struct sp_error *err);
int store_sqlite_batch_begin(struct store *st, const char *const *guids,
    int n, struct sp_error *err);
int store_sqlite_batch_end(struct store *st, int keep, struct sp_error *err);
int store_sqlite_locked(struct store *st, const char *table,
    const char *guid, struct sp_error *err);
int store_sqlite_purged_take(struct store *st, const char *guid,
    struct store_record *rec, struct sp_error *err);

#endif
