/* store_pg.h: the record store of a PostgreSQL site (store/store.h) as
 * its files share it: the handle, the tracked tables as the store reads
 * and writes them, the statements it keeps prepared on the connection,
 * and how column values travel (values_pg.c; the table is in sxf(5),
 * "Column values of a PostgreSQL site").
 *
 * Files: store_pg.c (the handle, transactions, savepoints, locks, purged
 * tombstones), stmt_pg.c (prepared statements, parameters, errors),
 * values_pg.c (values by column type), records_pg.c (tables, reading
 * records and rows), lookups_pg.c (lookups, and what a batch read),
 * writes_pg.c (upsert, tombstone, restamp), clock_pg.c (the clock),
 * keep_pg.c (park, referenced), batch_pg.c (batches of an apply),
 * stage_pg.c (the writes a batch queues). */
#ifndef SYNCPACK_STORE_PG_STORE_PG_H
#define SYNCPACK_STORE_PG_STORE_PG_H

#include <jansson.h>
#include <libpq-fe.h>

#include "store/pg/pg.h"
#include "store/store.h"

/* How a column's values are read and written, by its type (a domain by
 * its base type). Everything not named travels as its text form. */
enum pg_kind {
	PG_TEXT,	/* text, varchar, numeric, uuid, json(b), time, ... */
	PG_INT,		/* smallint, integer, bigint: INTEGER */
	PG_BOOL,	/* INTEGER 0 or 1 */
	PG_FLOAT,	/* real, double precision: REAL */
	PG_BYTEA,	/* BLOB, sent and taken as its bytes */
	PG_DATE,	/* YYYY-MM-DD */
	PG_TS,		/* YYYY-MM-DD HH:MM:SS[.ffffff] */
	PG_TSTZ,	/* the same in UTC, with +00:00 */
	PG_ARRAY	/* a one-dimensional array as a JSON array */
};

/* The parameters of one statement, in text or binary (bytea) form. */
struct pg_params {
	int n;
	const char **values;
	int *lengths;
	int *formats;
	char **owned;	/* what pg_params_free frees, per parameter */
};

/* A prepared write of a table's columns in one order. */
struct pg_shape {
	char *stmt;	/* the SQL, as the statement cache knows it */
	int *cols;	/* indexes into the table's columns */
	int ncols;
};

struct pg_table {
	long long id;
	char *name;	/* as syncpack.tracked_table has it: regclass text,
			 * a relation that SQL takes as it is */
	char *pk;	/* the key: its column, or a JSON array of them */
	char *pkcon;	/* the primary key constraint's name */
	char *rvcol;	/* --rowversion-column: its column quoted, or NULL */
	int local_key;
	char **columns;
	char **qcolumns;	/* quoted */
	char **types;	/* each column's type, without modifier */
	enum pg_kind *kinds;
	int ncolumns;
	int key_col;	/* index of the key's (first) column in columns */
	enum pg_kind key_kind;	/* and its kind */
	int nkeys;	/* the key's columns, in its order: */
	char **key_qcols;	/* quoted (qcolumns' strings) */
	char **key_types;	/* their types (types' strings) */
	enum pg_kind *key_kinds;	/* and kinds */
	char *fetch;	/* SELECT of a row by its key, $1 the rkey */
	char *fetch_batch;	/* the guid and row of the live records of
				 * t among $1, a text[] of GUIDs */
	char *changes;	/* a page of changed records with their rows */
	struct pg_shape insert, update;
};

struct pg_stmt {
	char *sql;
	char name[32];
};

/* A record of the batch (store_batch_begin) as read when it began. */
struct pg_batch_seen {
	char guid[33];
	struct store_record rec;
	char *rkey;		/* NULL: no row */
	int found, purged;
	int queued;		/* its write waits: ask the server after it */
	int row_read;		/* row is as a lookup with its row gives it */
	json_t *row;		/* NULL: none (unknown, a tombstone) */
};

/* The writes of one table waiting in a batch: each field of them as the
 * elements of an array literal, one array per field, which one statement
 * unnests (stage_pg.c). */
struct pg_batch_array {
	char *text;
	size_t len, cap;
};

struct pg_batch_table {
	struct pg_batch_array *arrays;	/* the metadata's, then columns' */
	int narrays;
	int rows, fresh;	/* queued, and of them rows new here */
	char *seq;		/* a local key's sequence, as a literal */
	char *sql;		/* the statement writing them */
};

/* A record a batch looked up with its row (a parent of its records),
 * kept while nothing may have changed it. */
struct pg_batch_memo {
	char guid[33];
	struct store_record rec;
	json_t *row;		/* NULL: none */
	char *rkey;
	int found, purged;
};

#define PG_BATCH_MEMOS 64

enum pg_batch_state { PG_BATCH_OFF, PG_BATCH_ON, PG_BATCH_FAILED };

struct pg_batch {
	enum pg_batch_state state;
	struct pg_batch_seen *seen;	/* sorted by guid */
	int nseen;
	int cache_valid;	/* no statement since may have changed one */
	struct pg_batch_memo memo[PG_BATCH_MEMOS];
	int nmemo, memo_next;
	struct pg_batch_table *tables;	/* as sp->tables */
	int queued;		/* writes waiting */
	int queued_here;	/* of them, inside the lazy savepoint */
	int lazy;		/* a record savepoint asked for, not sent */
	int forced;		/* flushes a statement asked for */
	int busy;		/* flushing or reading: no flush now */
};

struct store_pg {
	struct store base;	/* first: a struct store * points here */
	struct site *site;
	/* Statements prepared on the connection, by SQL text: prepared
	 * once, each run is only its parameters. */
	struct pg_stmt *stmts;
	int nstmts, stmts_cap;
	struct pg_table *tables;
	int ntables;
	/* The clock during an apply: its row locked from begin_apply to
	 * commit, advanced in memory per record and written back once. */
	int clock_loaded;
	long long clock_lseq, clock_hlc;
	/* Some row of this apply was parked: written rows leave the
	 * scratch table pg_temp.syncpack_parked. */
	int parking;
	char last_state[6];	/* SQLSTATE of the last error, "" none */
	/* The record's savepoint is released by the next statement of the
	 * store (the next record's savepoint in the same round trip), or
	 * at commit: what other calls write meanwhile stays inside it and
	 * is kept with it. How many are released so (nested ones). */
	int release_pending;
	int savepoints;		/* record savepoints open, not yet released */
	/* The record the last lookup found (or found unknown), for the
	 * write of it an apply makes next: its rkey (NULL: none) without
	 * asking again. Forgotten by every write and transaction end; only
	 * this store moves records while an apply holds the clock. */
	char seen_guid[33];
	char *seen_rkey;
	int seen_purged;	/* and a purged tombstone of it waited */
	struct pg_batch batch;
	/* What the statement runner does first (pg_batch_before), so that
	 * the batch's own statements need no way back into it. */
	int (*before_statement)(struct store_pg *sp, int side,
	    const char *sql, struct sp_error *err);
};

/* SQL of the rkey of t's row alias (NULL: the table's columns), and
 * the test that alias's row is the one of the rkey the SQL expression
 * rkey gives (pg_key_of, pg_key_match); malloc'd, NULL out of memory. */
static inline char *
pg_table_key_of(const struct pg_table *t, const char *alias)
{
	return pg_key_of(t->key_qcols, t->nkeys, alias);
}

static inline char *
pg_table_key_match(const struct pg_table *t, const char *alias,
    const char *rkey)
{
	return pg_key_match(t->key_qcols, t->key_types, t->nkeys, alias, rkey);
}

/* The site a store of this backend was opened over. */
static inline struct site *
store_pg_site(struct store *st)
{
	return ((struct store_pg *)st)->site;
}

/* stmt_pg.c. */

/* n empty (NULL) text parameters; -1 with err set out of memory. */
int pg_params_init(struct pg_params *p, int n, struct sp_error *err);
void pg_params_free(struct pg_params *p);
/* Parameter i: a copy of text (NULL: SQL NULL), or of n bytes in binary
 * form, or an integer's text. */
int pg_param_text(struct pg_params *p, int i, const char *text,
    struct sp_error *err);
int pg_param_bytes(struct pg_params *p, int i, const void *bytes, size_t n,
    struct sp_error *err);
int pg_param_ll(struct pg_params *p, int i, long long v,
    struct sp_error *err);

/* Runs sql with p (NULL: none), prepared on the connection the first
 * time. The result of a statement that succeeded (PQclear it), or NULL
 * with err set: "site: message", of kind SP_ERR_KEY_TAKEN when the
 * primary key of t (NULL: none) is another row's, SP_ERR_BUSY for a
 * lock that could not be had, SP_ERR_DATABASE otherwise. */
PGresult *pg_stmt_run(struct store_pg *sp, const struct pg_table *t,
    const char *sql, const struct pg_params *p, struct sp_error *err);
/* The pending release of the record's savepoint (store_pg's
 * release_pending) followed by then (NULL: nothing), in one round trip;
 * the statement runner does it before any other statement. */
int pg_stmt_release(struct store_pg *sp, const char *then,
    struct sp_error *err);
/* pg_stmt_run without keeping the statement: planned for p's values
 * each time, for a query run once per page of many rows, whose best
 * plan depends on them (a prepared one soon gets a generic plan). */
PGresult *pg_stmt_run_planned(struct store_pg *sp, const char *sql,
    const struct pg_params *p, struct sp_error *err);
/* pg_stmt_run for a statement whose result is not read. */
int pg_stmt_exec(struct store_pg *sp, const char *sql,
    const struct pg_params *p, struct sp_error *err);
/* Forgets the statements (on close; the connection drops them). */
void pg_stmts_free(struct store_pg *sp);
/* Appends fmt formatted with a and b to the SQL text *sql; *sql NULL
 * stays NULL, and becomes NULL when out of memory. */
void pg_sql_append(char **sql, const char *fmt, const char *a,
    const char *b);
/* The SQLSTATE of the last error pg_stmt_run reported, "" when none. */
const char *pg_stmt_last_state(const struct store_pg *sp);

/* A statement on the apply's own bookkeeping (protocol, held, conflict,
 * transfer rows), which the writes a batch queues never touch: runs
 * without writing them first. As pg_stmt_exec otherwise. */
int pg_stmt_exec_side(struct store_pg *sp, const char *sql,
    const struct pg_params *p, struct sp_error *err);
/* sql by the simple protocol (several statements, no parameters); the
 * result of the last, as pg_stmt_run's. */
PGresult *pg_stmt_simple(struct store_pg *sp, const char *sql,
    struct sp_error *err);

/* batch_pg.c: batches of an apply (store_batch_begin). */

/* The error of every call of a batch that failed. */
static inline int
pg_batch_failed(const struct store_pg *sp, struct sp_error *err)
{
	return sp_error_setk(err, SP_ERR_BATCH, 0, "%s: the batch was undone",
	    sp->site->path);
}

/* -1 with the batch's error when it failed, else 0. */
static inline int
pg_batch_check(const struct store_pg *sp, struct sp_error *err)
{
	return sp->batch.state == PG_BATCH_FAILED ? pg_batch_failed(sp, err) :
	    0;
}

int pg_batch_begin(struct store *base, const char *const *guids, int n,
    struct sp_error *err);
int pg_batch_end(struct store *base, int keep, struct sp_error *err);
/* Before a statement of the store (side: one of pg_stmt_exec_side's;
 * sql: its text): the batch failed (-1, kind SP_ERR_BATCH), or the
 * writes waiting are written first, and the savepoint a record asked
 * for is made. The statement runner calls it through the store's
 * before_statement. */
int pg_batch_before(struct store_pg *sp, int side, const char *sql,
    struct sp_error *err);
/* lookups_pg.c: what a batch read at its start. */

/* guid's entry in what the batch read, NULL when not there. */
struct pg_batch_seen *pg_batch_seen_find(const struct pg_batch *b,
    const char *guid);
/* Reads what is known of each of guids into sp's batch; 0 when some
 * guid is no GUID (nothing read: each is asked for alone). */
int pg_rec_read_seen(struct store_pg *sp, const char *const *guids, int n,
    struct sp_error *err);
/* What the batch read of guid, when that still holds: not written since
 * (its write is not queued) and no statement since may have changed it;
 * else NULL. */
const struct pg_batch_seen *pg_batch_seen_of(const struct store_pg *sp,
    const char *guid);
/* Forgets the records looked up with their rows. */
void pg_batch_memo_clear(struct pg_batch *b);
/* 1 when guid's write waits in the batch (or was written by it). */
int pg_batch_queued(const struct store_pg *sp, const char *guid);
/* Around statements that read what no queued write changes (a lookup
 * of a record whose write is not queued): they need no flush. */
void pg_batch_reading(struct store_pg *sp, int on);
/* Queues the write of row (its record rec, rkey from the last lookup,
 * NULL for a new row) when the batch can take it: 1 queued, 0 when it
 * is to be written now, -1 with err set. */
int pg_batch_queue(struct store_pg *sp, struct pg_table *t,
    const struct store_record *rec, json_t *row, const char *rkey,
    struct sp_error *err);
/* The record savepoint inside a batch: 1 when the batch took the call
 * (savepoint, release or rollback_to), 0 when the caller makes it. */
int pg_batch_savepoint(struct store_pg *sp);
int pg_batch_release(struct store_pg *sp);
int pg_batch_rollback_to(struct store_pg *sp, struct sp_error *err);
/* Forgets the batch and its stages (the transaction ended); free: and
 * its memory (the store closes). */
void pg_batch_reset(struct store_pg *sp);
void pg_batch_free(struct store_pg *sp);

/* stage_pg.c: the queued writes. */

/* 1 when a batch takes row's write into t: every column of t, no other,
 * none an array, and a key whose text is its value's. */
int pg_stage_takes(const struct pg_table *t, json_t *row);
/* Forgets bt's queued rows, and with all its memory. */
void pg_stage_clear(struct pg_batch_table *bt, int all);
/* Queues row's write (rkey: the known row's, NULL for a new one) with
 * rec's metadata (known: a record syncpack.record holds) and lseq. */
int pg_stage_line(struct store_pg *sp, struct pg_table *t,
    const struct store_record *rec, json_t *row, int known, const char *rkey,
    long long lseq, struct sp_error *err);
/* Writes every queued row and its metadata, and empties the queue. */
int pg_stage_flush(struct store_pg *sp, struct sp_error *err);

/* values_pg.c. */

/* The JSON form (sxf/value.h) of a column's text as the SELECT of
 * pg_value_select gives it; NULL with err set when it has none. */
json_t *pg_value_json(enum pg_kind k, const char *text, int len,
    struct sp_error *err);
/* Parameter i for a column of kind k from the JSON form j; -1 with err
 * set when the value cannot go into such a column. */
int pg_value_param(struct pg_params *p, int i, enum pg_kind k, json_t *j,
    struct sp_error *err);
/* The SELECT expression reading quoted column col of kind k (alias
 * NULL: none), and the expression writing parameter $n into a column of
 * kind k and type type; malloc'd, NULL when out of memory. */
char *pg_value_select(enum pg_kind k, const char *alias, const char *col);
char *pg_value_placeholder(enum pg_kind k, int n, const char *type);
/* 1 when parameter values of kind k go in binary form. */
int pg_value_binary(enum pg_kind k);

/* records_pg.c. */

#define PG_RECORD_COLUMNS "r.guid, r.tbl, r.rkey, r.origin, r.owner, " \
	"r.rowversion, r.hlc, r.hlc_site, r.lseq, r.deleted, r.flags, " \
	"r.src, r.base, r.base_hlc, r.base_site, r.values_hlc, r.values_site, " \
	"r.merged"
#define PG_RECORD_NCOLUMNS 18

int pg_rec_load_tables(struct store_pg *sp, struct sp_error *err);
void pg_rec_tables_free(struct store_pg *sp);
struct pg_table *pg_rec_table_by_name(struct store_pg *sp, const char *name);
struct pg_table *pg_rec_table_by_id(struct store_pg *sp, long long id);
/* Fills rec from row of res, whose first columns are PG_RECORD_COLUMNS. */
void pg_rec_from_row(struct store_pg *sp, PGresult *res, int row,
    struct store_record *rec);
/* The metadata of guid: 1 with *res holding it (row 0; the caller
 * PQclears it), 0 when unknown, -1 on error. */
int pg_rec_find(struct store_pg *sp, const char *guid, PGresult **res,
    struct sp_error *err);
/* The rkey of guid's row into *rkey (NULL: no row or no record; the
 * caller frees it), from the last lookup when it was of guid; -1 on
 * error. pg_rec_forget forgets that lookup. */
int pg_rec_rkey(struct store_pg *sp, const char *guid, char **rkey,
    struct sp_error *err);
void pg_rec_forget(struct store_pg *sp);
/* 1 when the last lookup was of guid and found no purged tombstone of
 * it, so that store_purged_take need not ask. */
int pg_rec_no_purged(struct store_pg *sp, const char *guid);
/* *row: t's columns from column first on of row i of res. */
int pg_rec_row_of(const struct pg_table *t, PGresult *res, int i, int first,
    json_t **row, struct sp_error *err);
/* The row of t whose key is rkey, as JSON by column: *row NULL when
 * there is none. */
int pg_rec_fetch_row(struct store_pg *sp, const struct pg_table *t,
    const char *rkey, json_t **row, struct sp_error *err);
/* The store_ops entries that read (store/store.h). */
int pg_rec_changes(struct store *base, const char *table, const char *owner,
    long long since, long long upto, store_change_cb cb, void *ctx,
    struct sp_error *err);
int pg_rec_changed_records(struct store *base, const char *table,
    long long since, long long upto, store_change_cb cb, void *ctx,
    struct sp_error *err);
int pg_rec_lookup(struct store *base, const char *guid,
    struct store_record *rec, json_t **row, struct sp_error *err);
int pg_rec_lookup_key(struct store *base, const char *table, json_t *key,
    struct store_record *rec, struct sp_error *err);
int pg_rec_lookup_ref(struct store *base, const char *table, const char *ref,
    json_t *row, struct store_record *rec, struct sp_error *err);

/* A record's metadata as syncpack.record takes it, and the upsert of it
 * (writes_pg.c, batch_pg.c). */
#define META_COLUMNS "guid, tbl, rkey, origin, owner, rowversion, hlc, " \
	"hlc_site, lseq, deleted, flags, src, base, base_hlc, base_site, " \
	"values_hlc, values_site"
#define META_PARAMS 16
#define META_UPSERT " ON CONFLICT (guid) DO UPDATE SET tbl = excluded.tbl, " \
	"rkey = excluded.rkey, origin = excluded.origin, owner = " \
	"excluded.owner, rowversion = excluded.rowversion, hlc = excluded.hlc, " \
	"hlc_site = excluded.hlc_site, lseq = excluded.lseq, deleted = " \
	"excluded.deleted, flags = excluded.flags, src = excluded.src, base = " \
	"excluded.base, base_hlc = excluded.base_hlc, base_site = " \
	"excluded.base_site, values_hlc = excluded.values_hlc, values_site = " \
	"excluded.values_site"

/* writes_pg.c: the store_ops entries that write, and the clock written
 * back at commit. */
int pg_rec_clock_write_back(struct store_pg *sp, struct sp_error *err);
/* The clock row read (once per apply), and the next lseq, past an HLC
 * stamp seen_hlc. */
int pg_rec_clock_load(struct store_pg *sp, struct sp_error *err);
int pg_rec_clock_tick(struct store_pg *sp, long long seen_hlc,
    long long *lseq, struct sp_error *err);
int pg_rec_upsert(struct store *base, const struct store_record *rec,
    json_t *row, struct sp_error *err);
int pg_rec_tombstone(struct store *base, const struct store_record *rec,
    struct sp_error *err);
int pg_rec_restamp(struct store *base, const char *guid,
    const struct store_record *against, int revived, struct sp_error *err);
void pg_rec_shapes_free(struct store_pg *sp);

/* keep_pg.c: rows set aside and rows referred to. */
int pg_rec_park(struct store *base, const char *guid, struct sp_error *err);
int pg_rec_parked(struct store *base, struct sp_error *err);
int pg_rec_unpark(struct store_pg *sp, const char *guid,
    struct sp_error *err);
int pg_rec_referenced(struct store *base, const char *guid, char *by,
    size_t bylen, struct sp_error *err);

/* merge_pg.c: store_merge. */
int pg_rec_merge(struct store *base, const struct store_record *loser,
    const char *winner, struct sp_error *err);

#endif
