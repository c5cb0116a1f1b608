/* pack_schema.h: the schema.json member of a data file: each tracked
 * table's columns and a fingerprint of them, so that a receiver can tell
 * schema drift from bad data (sxf(5)). */
#ifndef SYNCPACK_PACK_SCHEMA_H
#define SYNCPACK_PACK_SCHEMA_H

#include "util/error.h"
#include "store/site.h"
#include "store/tables.h"
#include "sxf/sxf_writer.h"

/* Writes schema.json for the n tables into w, as one whole member. */
SP_MUST_CHECK
int pack_write_schema(struct site *s, struct sxf_writer *w,
    const struct tracked_table *tables, int n, struct sp_error *err);

#endif
