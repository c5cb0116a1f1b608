/* checksums.h: the checksum a SQLite site keeps with each record
 * (syncpack_record.checksum, sxf/record_sum.h), so that a manifest reads
 * metadata only.
 *
 * A stored checksum is trusted only when it is current, which a scan
 * checks for itself (checksum_table_current), whatever ran before it:
 *   - the record has not changed since the last refresh: its lseq is not
 *     past syncpack_site.checksum_lseq (every fold, apply and restamp
 *     gives a changed record a new lseq; NULL there: the site, made by an
 *     earlier version, keeps none yet);
 *   - the table's canonical columns and schema are those the checksums
 *     were made for (syncpack_table.checksum_shape): a schema change
 *     makes every checksum of the table stale;
 *   - no parent record the table refers to lost or changed its key since
 *     (syncpack_unmapped, filled by whatever does that: a child's
 *     checksum holds its parent's GUID, found by key).
 * A record whose reference names no record has none stored (NULL): a
 * parent arriving later changes it. store_checksums_refresh
 * (store/manifest.h) makes them current again. */
#ifndef SYNCPACK_STORE_SQLITE_CHECKSUMS_H
#define SYNCPACK_STORE_SQLITE_CHECKSUMS_H

#include <sqlite3.h>

#include "util/error.h"
#include "store/manifest.h"
#include "store/site.h"
#include "store/tables.h"

/* The statement that notes a record's lost key (?1 the table's id, ?2
 * the rkey it had), for callers that keep it prepared. */
#define CHECKSUM_UNMAP_SQL \
	"INSERT INTO syncpack_unmapped(tbl, rkey) VALUES (?1, ?2)"

/* 1 with *mark set (records past it are stale) when t's stored checksums
 * can be read for the columns cols; 0 when the rows must be read; -1 on
 * error. */
SP_MUST_CHECK
int checksum_table_current(struct site *s, const struct tracked_table *t,
    const struct store_manifest_column *cols, int ncols, long long *mark,
    struct sp_error *err);

/* Notes that record of table tbl no longer holds key rkey (deleted, or
 * given another key): the records that refer to it lose their checksum at
 * the next refresh. *st keeps the statement for the next call (the caller
 * finalizes it); a NULL rkey (a tombstone's) notes nothing. */
SP_MUST_CHECK
int checksum_unmap(struct site *s, sqlite3_stmt **st, long long tbl,
    sqlite3_value *rkey, struct sp_error *err);

/* 1 when two keys are the same value (type and bytes), 0 when not. */
int checksum_key_same(sqlite3_value *a, sqlite3_value *b);

#endif
