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
#include "store/site.h"
#include "store/tables.h"

enum store_value_kind {
	STORE_VALUE_NULL,
	STORE_VALUE_INTEGER,
	STORE_VALUE_REAL,
	STORE_VALUE_TEXT,
	STORE_VALUE_BLOB
};

/* One stored value, exactly as the database holds it, so that distinct
 * values give distinct checksums. */
struct store_value {
	enum store_value_kind kind;
	long long integer;	/* STORE_VALUE_INTEGER */
	double real;		/* STORE_VALUE_REAL */
	/* STORE_VALUE_TEXT and STORE_VALUE_BLOB: n bytes, not terminated.
	 * NULL for a blob of no bytes, and when memory ran out reading the
	 * value (text, or a blob of n > 0 bytes): the caller must not take
	 * that for an empty value. */
	const void *bytes;
	size_t n;
};

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
};

/* One record. Everything is borrowed until the next call on the scan. */
struct store_manifest_row {
	const char *guid;
	const char *owner;
	long long rowversion;
	int deleted;
	/* One per column in the order the scan was opened with; all NULL
	 * values for a tombstone. */
	const struct store_value *values;
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

#endif
