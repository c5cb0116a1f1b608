/* record_columns_load.c: the canonical columns of a tracked table, read
 * through the site's backend (record_columns.h). */
#include "store/record_columns.h"

int
record_columns_load(struct site *s, const struct tracked_table *t,
    struct record_columns *rc, struct sp_error *err)
{
	return record_columns_read(s, t, tracked_fks_load,
	    tracked_columns_load, rc, err);
}
