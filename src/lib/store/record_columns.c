/* record_columns.c: the canonical columns of a tracked table, from its
 * columns and foreign keys. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/record_columns.h"

static int
column_order(const void *a, const void *b)
{
	return strcmp(((const struct store_manifest_column *)a)->name,
	    ((const struct store_manifest_column *)b)->name);
}

void
record_columns_free(struct record_columns *rc)
{
	free(rc->cols);
	tracked_columns_free(rc->names, rc->nnames);
	tracked_fks_free(rc->fks, rc->nfks);
	memset(rc, 0, sizeof(*rc));
}

int
record_columns_read(struct site *s, const struct tracked_table *t,
    record_fks_read fks, record_names_read names,
    struct record_columns *rc, struct sp_error *err)
{
	char rv[300];
	int n = 0;

	memset(rc, 0, sizeof(*rc));
	if (fks(s, t->name, &rc->fks, &rc->nfks, err) != 0 ||
	    names(s, t->name, &rc->names, &rc->nnames, err) != 0) {
		record_columns_free(rc);
		return -1;
	}
	if (rc->nnames > 0 && (rc->cols = calloc((size_t)rc->nnames,
	    sizeof(*rc->cols))) == NULL) {
		record_columns_free(rc);
		return sp_error_set(err, "out of memory");
	}
	snprintf(rv, sizeof(rv), "%s_rowversion", t->name);
	for (int c = 0; c < rc->nnames; c++) {
		const char *name = rc->names[c];

		/* Local keys and the rowversion column are local matters. */
		if ((strcmp(t->key, "local") == 0 && strcmp(name, t->pk) == 0) ||
		    (t->rowversion_column && strcmp(name, rv) == 0))
			continue;
		rc->cols[n].name = name;
		rc->cols[n].parent = NULL;
		rc->cols[n].ref = NULL;
		for (int i = 0; i < rc->nfks; i++)
			if (strcmp(rc->fks[i].col, name) == 0) {
				rc->cols[n].parent = rc->fks[i].parent;
				rc->cols[n].ref = rc->fks[i].ref;
			}
		n++;
	}
	qsort(rc->cols, (size_t)n, sizeof(*rc->cols), column_order);
	rc->ncols = n;
	return 0;
}
