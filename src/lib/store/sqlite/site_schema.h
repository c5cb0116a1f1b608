/* site_schema.h: the SQL of the toolkit's metadata tables. */
#ifndef SYNCPACK_SITE_SCHEMA_H
#define SYNCPACK_SITE_SCHEMA_H

#define SITE_SCHEMA_VERSION 1

/* syncpack_purged (site_open runs it on every site). */
extern const char site_purged_sql[];
extern const char site_hub_sql[];

/* The index and table of the records' checksums (likewise). */
extern const char site_checksums_sql[];

extern const char site_schema_sql[];

#endif
