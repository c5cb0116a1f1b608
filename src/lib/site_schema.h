/* site_schema.h: the SQL of the toolkit's metadata tables. */
#ifndef SYNCPACK_SITE_SCHEMA_H
#define SYNCPACK_SITE_SCHEMA_H

#define SITE_SCHEMA_VERSION 1

extern const char site_schema_sql[];

#endif
