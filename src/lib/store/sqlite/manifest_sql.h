/* manifest_sql.h: the SQL that reads a tracked table's records with their
 * canonical columns (store/record_columns.h), shared by manifest scans
 * (manifest.c) and the upkeep of stored checksums (checksums.c). */
#ifndef SYNCPACK_STORE_SQLITE_MANIFEST_SQL_H
#define SYNCPACK_STORE_SQLITE_MANIFEST_SQL_H

#include <sqlite3.h>

#include "store/manifest.h"
#include "store/tables.h"

enum manifest_sql_mode {
	/* Every record's columns from its row (one join per record). */
	MANIFEST_SQL_ROWS,
	/* The stored checksum where it is current (not NULL, the record's
	 * lseq not past ?7, the site's checksum_lseq), the columns only of
	 * the other records: metadata only for the most. */
	MANIFEST_SQL_STORED,
};

/* "SELECT r.guid, r.owner, r.rowversion, r.deleted, <checksum or NULL>,
 * <the ncols columns>" then, when refs is set, one column per column of
 * cols: 1 when it refers to a parent and holds a value (NULL or not
 * found read as NULL otherwise), then "FROM syncpack_record r ..." (by
 * the index named, unless NULL) with the joins the mode needs, no WHERE. *window is set to the expression of
 * t's window column (NULL without one). NULL when memory runs out; free
 * both with sqlite3_free. */
char *manifest_sql_select(const struct tracked_table *t,
    const struct store_manifest_column *cols, int ncols,
    enum manifest_sql_mode mode, int refs, const char *index,
    char **window);

/* The column a manifest_sql_select statement gives first. */
#define MANIFEST_SQL_FIRST_VALUE 5

/* Reads the ncols values of st's current row from column first on. */
void manifest_sql_values(sqlite3_stmt *st, int first, int ncols,
    struct value *values);

#endif
