/* capture_sql.h: the SQL text of a tracked table's change-capture and
 * ownership triggers.
 *
 * The triggers use only SQL that any SQLite 3.40 client runs (no
 * application-defined functions), so every writer is captured and every
 * writer is held to the rules. */
#ifndef SYNCPACK_CAPTURE_SQL_H
#define SYNCPACK_CAPTURE_SQL_H

#include "store/tables.h"

/* The version of the trigger text below: raised whenever it changes, so
 * that a site whose triggers an older syncpack made gets them rebuilt when
 * it is next opened (tables.c, store_capture_upgrade). 2: references to a
 * record in transit are refused. */
#define CAPTURE_SQL_VERSION 3

/* Returns the CREATE TRIGGER statements for table t at site (a hub or a
 * spoke), to run as one script; free with sqlite3_free. refs are the
 * table's declared references to another table's key (column -> parent
 * table), tracked or not yet. */
char *capture_sql_create(const struct tracked_table *t, const char *site,
    int hub, const struct tracked_fk *refs, int nrefs);

/* Rebuilds the triggers of every tracked table when the site's were made
 * by another CAPTURE_SQL_VERSION (tables.c); site_open calls it. */
int store_capture_upgrade(struct site *s, struct sp_error *err);

/* Returns the DROP TRIGGER statements for table id; free with sqlite3_free. */
char *capture_sql_drop(long long table_id);

#endif
