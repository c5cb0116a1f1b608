/* track.h: tracked tables: their policies, their triggers, their foreign
 * keys. */
#ifndef SYNCPACK_TRACK_H
#define SYNCPACK_TRACK_H

#include "util/error.h"
#include "store/site.h"

struct tracked_table {
	long long id;
	char *name;		/* owned */
	char *pk;		/* owned: the single primary-key column */
	int pk_integer;		/* the key column is declared INTEGER */
	const char *owner;	/* central | creator | shared */
	const char *route;	/* all | owner | none */
	const char *conflict;	/* lww | hub | owner | manual */
	int freeze;
	int movable;
	char *window;		/* owned; NULL: no window column */
	const char *key;	/* local | natural */
	int rowversion_column;
	int tracked;
};

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
int track_table(struct site *s, const char *table,
    const struct track_request *req, struct sp_error *err);

/* Stops tracking: removes the triggers, keeps data and metadata so that
 * tracking again keeps every GUID. */
int untrack_table(struct site *s, const char *table, struct sp_error *err);

/* Loads the policy of table (tracked or not); 1 found, 0 not, -1 error.
 * Free with tracked_table_free. */
int tracked_table_load(struct site *s, const char *table,
    struct tracked_table *t, struct sp_error *err);
void tracked_table_free(struct tracked_table *t);



/* Loads every tracked table, parents before children (by the recorded
 * foreign keys; cycles keep table order). Free with tracked_tables_free. */
int tracked_tables_load(struct site *s, struct tracked_table **tables,
    int *count, struct sp_error *err);
void tracked_tables_free(struct tracked_table *tables, int count);

/* A tracked table's foreign keys: column -> parent table. */
struct tracked_fk {
	char *col;		/* owned */
	char *parent;		/* owned */
};

/* Loads the foreign keys of table; free with tracked_fks_free. */
int tracked_fks_load(struct site *s, const char *table,
    struct tracked_fk **fks, int *count, struct sp_error *err);
void tracked_fks_free(struct tracked_fk *fks, int count);

/* The columns of table as SQLite declares them, every result checked (a
 * short list must not pass for the table's columns). Free with
 * tracked_columns_free. */
int tracked_columns_load(struct site *s, const char *table, char ***columns,
    int *count, struct sp_error *err);
void tracked_columns_free(char **columns, int count);
#endif
