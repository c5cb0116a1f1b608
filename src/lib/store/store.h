/* store.h: the one interface the exchange logic uses to reach a site's
 * records, so that a second backend can be added without touching it.
 *
 * Order of calls for applying: store_begin_apply, any number of
 * store_lookup / store_upsert / store_tombstone (each write may sit between
 * store_record_savepoint and store_record_release), then store_commit or
 * store_rollback. Changes made between begin_apply and commit are marked as
 * applied, never re-stamped as local changes by the capture triggers. */
#ifndef SYNCPACK_STORE_H
#define SYNCPACK_STORE_H

#include <jansson.h>

#include "util/error.h"
#include "store/site.h"
#include "sxf/record.h"

/* Called for each changed record; row is the record's columns by name
 * (NULL for a tombstone), borrowed for the call. Non-zero stops. */
typedef int (*store_change_cb)(void *ctx, const struct store_record *rec,
    json_t *row, struct sp_error *err);

struct store;

struct store_ops {
	void (*close)(struct store *st);
	int (*begin_apply)(struct store *st, struct sp_error *err);
	int (*commit)(struct store *st, struct sp_error *err);
	void (*rollback)(struct store *st);
	int (*changes)(struct store *st, const char *table, const char *owner,
	    long long since, long long upto, store_change_cb cb, void *ctx,
	    struct sp_error *err);
	int (*changed_records)(struct store *st, const char *table,
	    long long since, long long upto, store_change_cb cb, void *ctx,
	    struct sp_error *err);
	int (*lookup_key)(struct store *st, const char *table, json_t *key,
	    struct store_record *rec, struct sp_error *err);
	int (*lookup_ref)(struct store *st, const char *table, const char *ref,
	    json_t *row, struct store_record *rec, struct sp_error *err);
	int (*lookup)(struct store *st, const char *guid,
	    struct store_record *rec, json_t **row, struct sp_error *err);
	int (*upsert)(struct store *st, const struct store_record *rec,
	    json_t *row, struct sp_error *err);
	int (*tombstone)(struct store *st, const struct store_record *rec,
	    struct sp_error *err);
	int (*referenced)(struct store *st, const char *guid, char *by,
	    size_t bylen, struct sp_error *err);
	int (*park)(struct store *st, const char *guid, struct sp_error *err);
	int (*parked)(struct store *st, struct sp_error *err);
	int (*restamp)(struct store *st, const char *guid,
	    const struct store_record *against, int revived,
	    struct sp_error *err);
	int (*merge)(struct store *st, const struct store_record *loser,
	    const char *winner, struct sp_error *err);
	int (*savepoint)(struct store *st, struct sp_error *err);
	int (*release)(struct store *st, struct sp_error *err);
	int (*rollback_to)(struct store *st, struct sp_error *err);
	int (*locked)(struct store *st, const char *table, const char *guid,
	    struct sp_error *err);
	int (*purged_take)(struct store *st, const char *guid,
	    struct store_record *rec, struct sp_error *err);
	int (*columns)(struct store *st, const char *table,
	    char *const **names, int *count, struct sp_error *err);
	/* NULL for a backend that does not batch. */
	int (*batch_begin)(struct store *st, const char *const *guids,
	    int n, struct sp_error *err);
	int (*batch_end)(struct store *st, int keep, struct sp_error *err);
};

struct store {
	const struct store_ops *ops;
};

/* The record store of an open site, of the backend the site was opened
 * with; the site stays owned by the caller and must outlive the store.
 * Close with store_close. */
SP_MUST_CHECK
struct store *store_open(struct site *s, struct sp_error *err);

static inline void
store_close(struct store *st)
{
	st->ops->close(st);
}

static inline int
store_begin_apply(struct store *st, struct sp_error *err)
{
	return st->ops->begin_apply(st, err);
}

static inline int
store_commit(struct store *st, struct sp_error *err)
{
	return st->ops->commit(st, err);
}

static inline void
store_rollback(struct store *st)
{
	st->ops->rollback(st);
}

/* Every record of table (NULL: all tables) whose local lseq is in
 * (since, upto] (upto 0: no upper bound), in lseq order. */
static inline int
store_changes(struct store *st, const char *table, long long since,
    long long upto, store_change_cb cb, void *ctx, struct sp_error *err)
{
	return st->ops->changes(st, table, NULL, since, upto, cb, ctx, err);
}

/* As store_changes, of the records owner owns only: what a hub sends a
 * spoke of a table routed to its owner, without reading the rest. */
static inline int
store_changes_owned(struct store *st, const char *table, const char *owner,
    long long since, long long upto, store_change_cb cb, void *ctx,
    struct sp_error *err)
{
	return st->ops->changes(st, table, owner, since, upto, cb, ctx, err);
}

/* As store_changes, with the records' metadata only (row always NULL;
 * rec->deleted tells a tombstone), and also the records whose row is
 * gone but not yet folded into a tombstone: what deciding where records
 * go needs, without reading a single application row. */
static inline int
store_changed_records(struct store *st, const char *table, long long since,
    long long upto, store_change_cb cb, void *ctx, struct sp_error *err)
{
	return st->ops->changed_records(st, table, since, upto, cb, ctx, err);
}

/* 1 and fills rec for the live record of table whose local key is key;
 * 0 if there is none; -1 on error. */
static inline int
store_lookup_key(struct store *st, const char *table, json_t *key,
    struct store_record *rec, struct sp_error *err)
{
	return st->ops->lookup_key(st, table, key, rec, err);
}

/* As store_lookup_key, for a reference to table's composite key: the
 * parent whose key columns hold row's columns named by ref (the child's
 * columns in the order of the parent's key, struct tracked_fk). */
static inline int
store_lookup_ref(struct store *st, const char *table, const char *ref,
    json_t *row, struct store_record *rec, struct sp_error *err)
{
	return st->ops->lookup_ref(st, table, ref, row, rec, err);
}

/* Moves the row of guid's record out of the way of every other key: the
 * first key column takes a value no application writes (a blob naming
 * the record), so that records exchanging their keys can each take the
 * other's. 1 when parked, 0 when the record has no row or a local key,
 * -1 on error. Only inside an apply, whose next write of the record
 * gives it its key again. */
static inline int
store_park(struct store *st, const char *guid, struct sp_error *err)
{
	return st->ops->park(st, guid, err);
}

/* How many rows store_park set aside are not written since: each must be
 * before the apply commits. -1 on error. The first call of an apply
 * readies the scratch it counts, and belongs before any savepoint that
 * parks. */
static inline int
store_parked(struct store *st, struct sp_error *err)
{
	return st->ops->parked(st, err);
}

/* 1 and fills rec (and *row, a new reference or NULL for a tombstone, when
 * row is not NULL) if guid is known; 0 if not; -1 on error. */
static inline int
store_lookup(struct store *st, const char *guid, struct store_record *rec,
    json_t **row, struct sp_error *err)
{
	return st->ops->lookup(st, guid, rec, row, err);
}

/* Writes an incoming version: row holds the columns by name (the key column
 * is ignored for local-key tables, which get a new local id). The record
 * takes rec's metadata and a new local lseq. */
static inline int
store_upsert(struct store *st, const struct store_record *rec, json_t *row,
    struct sp_error *err)
{
	return st->ops->upsert(st, rec, row, err);
}

/* Deletes the row of rec->guid and keeps rec's metadata as a tombstone. */
static inline int
store_tombstone(struct store *st, const struct store_record *rec,
    struct sp_error *err)
{
	return st->ops->tombstone(st, rec, err);
}

/* 1 when a live row of a tracked table refers to the row of guid through a
 * tracked foreign key (by gets that table's name), 0 when none does, -1 on
 * error. */
static inline int
store_referenced(struct store *st, const char *guid, char *by, size_t bylen,
    struct sp_error *err)
{
	return st->ops->referenced(st, guid, by, bylen, err);
}

/* Stamps the live record guid as changed here, made against an incoming
 * version that did not land (against): a rowversion and an HLC stamp just
 * past both, a new lseq, so that every peer, the sender included, gets
 * this site's version. revived: the record is kept alive against a delete
 * or a version newer by stamp only (flag 8, syncpack(7)); the version then
 * keeps the stamp of the write its values come from (values_hlc), as does
 * one whose values carry it already. */
static inline int
store_restamp(struct store *st, const char *guid,
    const struct store_record *against, int revived, struct sp_error *err)
{
	return st->ops->restamp(st, guid, against, revived, err);
}

/* Identity merge (syncpack(7), Keys): record loser becomes a tombstone
 * marked as merged into winner, with loser's origin, owner, rowversion
 * and stamp, and no lseq (it is never sent: every site merges on its
 * own). When loser has a live row here, the row goes to winner, which
 * must have none (a tombstone of it gives way), with loser's metadata
 * until the caller writes winner's version. Only inside an apply. */
static inline int
store_merge(struct store *st, const struct store_record *loser,
    const char *winner, struct sp_error *err)
{
	return st->ops->merge(st, loser, winner, err);
}

/* Inside an apply, around the write of one record: what is written after
 * store_record_savepoint is kept by store_record_release, or undone by
 * store_record_rollback (which leaves the savepoint open: release it
 * next), so that a record the database refuses leaves the rest of the
 * transaction as it was. Not nested. */
static inline int
store_record_savepoint(struct store *st, struct sp_error *err)
{
	return st->ops->savepoint(st, err);
}

static inline int
store_record_release(struct store *st, struct sp_error *err)
{
	return st->ops->release(st, err);
}

static inline int
store_record_rollback(struct store *st, struct sp_error *err)
{
	return st->ops->rollback_to(st, err);
}

/* 1 when the record guid of table is reserved here (store/locks.h), 0
 * when not, -1 on error. */
static inline int
store_locked(struct store *st, const char *table, const char *guid,
    struct sp_error *err)
{
	return st->ops->locked(st, table, guid, err);
}

/* The tombstone of guid kept after the record's tombstone was purged: 1
 * and fills rec's origin, owner, rowversion, hlc and hlc_site (the rest
 * of rec is left alone) and forgets it, so that it is taken once; 0 when
 * there is none; -1 on error. */
static inline int
store_purged_take(struct store *st, const char *guid,
    struct store_record *rec, struct sp_error *err)
{
	return st->ops->purged_take(st, guid, rec, err);
}

/* The columns of the tracked table table as the store writes them,
 * borrowed until store_close: 1, or 0 when table is not tracked. */
static inline int
store_columns(struct store *st, const char *table, char *const **names,
    int *count, struct sp_error *err)
{
	return st->ops->columns(st, table, names, count, err);
}

/* Batches: the next records an apply decides are those of guids (n of
 * them). 1 when the store batches them: a server's reads their metadata
 * at once, and their writes may wait in memory until a later call needs
 * them or store_batch_end, which writes them together; a file's keeps
 * them under one savepoint, which the records' own savepoints join; 0
 * when this backend does not batch (nothing changes); -1 on error. A
 * batch holds no more than one version of a record.
 *
 * A queued write the database refuses can no longer be told apart, so
 * the whole batch is undone: that call, every later call of the batch,
 * and store_batch_end fail with an error of kind SP_ERR_BATCH, and the
 * caller applies the same records again, one by one, outside a batch. */
static inline int
store_batch_begin(struct store *st, const char *const *guids, int n,
    struct sp_error *err)
{
	if (st->ops->batch_begin == NULL)
		return 0;
	return st->ops->batch_begin(st, guids, n, err);
}

/* 1 when the store batches (store_batch_begin may answer 1). */
static inline int
store_batches(const struct store *st)
{
	return st->ops->batch_begin != NULL;
}

/* Ends the batch: with keep, writes what waits (0, or -1 as told
 * above); without, a store that batches undoes the whole batch (0). */
static inline int
store_batch_end(struct store *st, int keep, struct sp_error *err)
{
	if (st->ops->batch_end == NULL)
		return 0;
	return st->ops->batch_end(st, keep, err);
}

#endif
