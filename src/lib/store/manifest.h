/* manifest.h: a tracked table's records with their canonical columns, in
 * GUID order, read for checksum manifests. Which columns are canonical and
 * how a record is checksummed is decided in sync/manifest.c; this only
 * reads them.
 *
 * A scan is a cursor rather than a callback: a manifest is merged in one
 * pass with another (a file's, or a second site's), which needs both sides
 * pulled one record at a time. It runs one statement per table, never one
 * per record. This is the store interface; the SQLite backend implements
 * it (store/sqlite/manifest.c). */
#ifndef SYNCPACK_STORE_MANIFEST_H
#define SYNCPACK_STORE_MANIFEST_H

#include <stddef.h>

#include "util/error.h"
#include "sxf/value.h"
#include "store/site.h"
#include "store/tables.h"

/* A column to read. */
struct store_manifest_column {
	const char *name;
	/* NULL, or the tracked table the column refers to: the value read
	 * is then the parent record's GUID as text (NULL when the column is
	 * NULL or names no known record), never the local key. */
	const char *parent;
	/* For a column of a composite reference: the child's columns that
	 * make the parent's key (struct tracked_fk); NULL otherwise. */
	const char *ref;
};

/* Which records of the table a scan gives. The strings are borrowed and
 * must outlive the scan. */
struct store_manifest_query {
	const char *owner;	/* only records owned by this site, or NULL */
	const char *not_owner;	/* only records not owned by it, or NULL */
	/* Live records whose window column (the table's, when it has one)
	 * lies in [since, until] (YYYY-MM-DD, either NULL: open); tombstones
	 * always. */
	const char *since;
	const char *until;
	int live_only;		/* leave tombstones out */
	int not_in_transit;	/* leave records in transit (moving) out */
	/* Read every record's columns, even where its checksum is stored:
	 * the caller checksums it otherwise (another owner). */
	int values;
};

/* One record. Everything is borrowed until the next call on the scan. */
struct store_manifest_row {
	const char *guid;
	const char *owner;
	long long rowversion;
	int deleted;
	/* The record's checksum (sxf/record_sum.h, 32 bytes) when the site
	 * keeps it and it is current for the record as it is now; values
	 * are then all NULL and not to be read. NULL: checksum values. */
	const unsigned char *checksum;
	/* One per column in the order the scan was opened with, exactly as
	 * the database holds it (so that distinct values give distinct
	 * checksums); all NULL values for a tombstone. Text or a blob read
	 * without its bytes (bytes NULL) means memory ran out: the caller
	 * must not take it for an empty value. */
	const struct value *values;
};

struct store_manifest_scan;

/* What every backend's scan begins with, so that the calls below reach
 * the backend that opened it. */
struct store_manifest_scan_head {
	enum site_backend backend;
};

/* Opens a scan of t's records (t->id, t->name and t->pk name the table
 * and its key; t->window the window column) reading the ncols columns
 * cols, which are borrowed and must outlive the scan. NULL with err set on
 * error. */
SP_MUST_CHECK
struct store_manifest_scan *store_manifest_scan_open(
    struct site *s, const struct tracked_table *t,
    const struct store_manifest_column *cols, int ncols,
    const struct store_manifest_query *q, struct sp_error *err);

/* 1 with row filled with the next record by GUID, 0 after the last, -1 on
 * error. */
SP_MUST_CHECK
int store_manifest_scan_next(struct store_manifest_scan *sc,
    struct store_manifest_row *row, struct sp_error *err);

/* Ends a scan; NULL is allowed. */
void store_manifest_scan_close(struct store_manifest_scan *sc);

/* Brings the checksums a site keeps with its records up to date, so that
 * scans read metadata only: the records changed since the last refresh,
 * those whose parent lost or changed its key, and every record of a table
 * whose canonical columns or schema changed. full: also a site that keeps
 * none yet (made by an earlier version), which is otherwise left so, for
 * its first manifest to fill rather than whatever tool opens it first.
 * 1 when done, 0 when the site cannot be written now (read-only, or
 * another writer holds it), which scans survive: what is not current is
 * read from the rows. -1 on error. A backend that keeps no checksums
 * returns 0. */
SP_MUST_CHECK
int store_checksums_refresh(struct site *s, int full, struct sp_error *err);

#endif
