/* record_columns.h: the columns of a tracked table's canonical record
 * (sxf(5), "Manifests"): every column but a local key and the rowversion
 * column, in byte order of their names, a reference to a tracked table
 * named with its parent. Manifests read them (sync/manifest.c) and the
 * SQLite backend checksums them as records change (store/sqlite/), from
 * this one list. */
#ifndef SYNCPACK_RECORD_COLUMNS_H
#define SYNCPACK_RECORD_COLUMNS_H

#include "util/error.h"
#include "store/manifest.h"
#include "store/site.h"
#include "store/tables.h"

struct record_columns {
	struct store_manifest_column *cols;	/* borrow from names, fks */
	int ncols;
	char **names;
	int nnames;
	struct tracked_fk *fks;
	int nfks;
};

SP_MUST_CHECK
int record_columns_load(struct site *s, const struct tracked_table *t,
    struct record_columns *rc, struct sp_error *err);

/* record_columns_load with the reads given: a backend reads a table's
 * foreign keys and columns itself, since record_columns_load goes through
 * the dispatch above it. */
typedef int (*record_fks_read)(struct site *s, const char *table,
    struct tracked_fk **fks, int *count, struct sp_error *err);
typedef int (*record_names_read)(struct site *s, const char *table,
    char ***columns, int *count, struct sp_error *err);
SP_MUST_CHECK
int record_columns_read(struct site *s, const struct tracked_table *t,
    record_fks_read fks, record_names_read names,
    struct record_columns *rc, struct sp_error *err);
void record_columns_free(struct record_columns *rc);

#endif
