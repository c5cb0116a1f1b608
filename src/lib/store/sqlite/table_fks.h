/* table_fks.h: what tables.c takes from table_fks.c. */
#ifndef SYNCPACK_STORE_SQLITE_TABLE_FKS_H
#define SYNCPACK_STORE_SQLITE_TABLE_FKS_H

#include "store/tables.h"

/* The table's declared single-column references to another table's key,
 * whether that table is tracked yet or not (capture_sql.c's guard against
 * new references to records in transit); free with tracked_fks_free. */
int table_declared_refs(struct site *s, const char *table,
    struct tracked_fk **refs, int *count, struct sp_error *err);

#endif
