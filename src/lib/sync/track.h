/* track.h: tracked tables: which tables and policies can be tracked, and
 * the policies as the exchange reads them. The tables themselves, their
 * foreign keys and columns are the store's (store/tables.h). */
#ifndef SYNCPACK_TRACK_H
#define SYNCPACK_TRACK_H

#include "util/error.h"
#include "store/site.h"
#include "store/tables.h"

/* What `syncadm track` was asked for; NULL/-1 fields take the defaults
 * (owner shared, route all, conflict lww, key local for an INTEGER key and
 * natural otherwise). */
struct track_request {
	const char *owner, *route, *conflict, *window, *key;
	int freeze, movable, rowversion_column;
};

/* Starts tracking table (or changes its policy): records the policy,
 * creates the triggers, gives existing rows their metadata and records
 * foreign keys, all in one transaction. Refuses tables it cannot track. */
SP_MUST_CHECK
int track_table(struct site *s, const char *table,
    const struct track_request *req, struct sp_error *err);

/* Stops tracking: removes the triggers, keeps data and metadata so that
 * tracking again keeps every GUID. */
SP_MUST_CHECK
int untrack_table(struct site *s, const char *table, struct sp_error *err);

/* Loads the policy of table (tracked or not); 1 found, 0 not, -1 error,
 * also when a stored policy word is not one this version knows. Free with
 * tracked_table_free. */
SP_MUST_CHECK
int tracked_table_load(struct site *s, const char *table,
    struct tracked_table *t, struct sp_error *err);

/* Loads every tracked table, parents before children (by the recorded
 * foreign keys; cycles keep table order). Free with tracked_tables_free. */
SP_MUST_CHECK
int tracked_tables_load(struct site *s, struct tracked_table **tables,
    int *count, struct sp_error *err);
void tracked_tables_free(struct tracked_table *tables, int count);
#endif
