/* records.h: what the files of the SQLite record store share
 * (store_sqlite.c: reads, transactions, the handle; records_write.c:
 * writes; records_common.c: the statement cache and table metadata). */
#ifndef SYNCPACK_STORE_SQLITE_RECORDS_H
#define SYNCPACK_STORE_SQLITE_RECORDS_H

#include <jansson.h>
#include <sqlite3.h>

#include "store/sqlite/store_sqlite.h"
#include "store/store.h"

/* A prepared write of a table's columns in one order (row_write.c). */
struct row_shape {
	sqlite3_stmt *st;
	char **cols;
	int ncols;
};

struct table_info {
	long long id;
	char *name;
	char *pk;
	int local_key;
	char *rowversion_column;	/* NULL when the table has none */
	char **columns;
	int ncolumns;
	struct row_shape insert, update;
};

#define STMT_CACHE 32

struct store_sqlite {
	struct store_sqlite_slots h;	/* first: the handle starts with it */
	struct site *site;		/* h.site */
	struct table_info *tables;
	int ntables;
	/* Prepared statements by SQL text: records of one table share a
	 * handful of statement shapes. */
	char *cache_sql[STMT_CACHE];
	sqlite3_stmt *cache_stmt[STMT_CACHE];
	int cache_next;
	/* The clock during an apply: advanced in memory per record and
	 * written back once, at commit. */
	/* Some row of this apply was parked (rec_park): written rows leave
	 * temp.syncpack_parked. */
	int parking;
	int clock_loaded;
	long long clock_lseq, clock_hlc;
};


#define RECORD_COLUMNS "r.guid, r.tbl, r.rkey, r.origin, r.owner, " \
	"r.rowversion, r.hlc, r.hlc_site, r.lseq, r.deleted, r.flags, r.src, " \
	"r.base, r.base_hlc, r.base_site, r.values_hlc, r.values_site, r.merged"

/* records_common.c: errors, the statement cache (a reset statement for
 * sql, prepared once and kept), the tracked tables' metadata, reading a
 * record's metadata and row. */
int rec_db_error(struct store_sqlite *ss, struct sp_error *err);
sqlite3_stmt *rec_cached(struct store_sqlite *ss, const char *sql,
    struct sp_error *err);
void rec_tables_free(struct store_sqlite *ss);
int rec_load_tables(struct store_sqlite *ss, struct sp_error *err);
struct table_info *rec_table_by_name(struct store_sqlite *ss, const char *name);
struct table_info *rec_table_by_id(struct store_sqlite *ss, long long id);
int rec_has_column(const struct table_info *t, const char *col);
void rec_copy_text(char *dst, size_t size, sqlite3_stmt *st, int col);
void rec_record_from_row(struct store_sqlite *ss, sqlite3_stmt *st,
    struct store_record *rec);
int rec_fetch_row(struct store_sqlite *ss, const struct table_info *t,
    sqlite3_value *key, json_t **row, struct sp_error *err);
int rec_find_record(struct store_sqlite *ss, const char *guid,
    sqlite3_stmt **out, struct sp_error *err);

/* records_write.c: the clock written back at commit, and the store_ops
 * entries that write. */
int rec_clock_write_back(struct store_sqlite *ss, struct sp_error *err);
int rec_upsert(struct store *base, const struct store_record *rec, json_t *row,
    struct sp_error *err);
int rec_tombstone(struct store *base, const struct store_record *rec,
    struct sp_error *err);
int rec_referenced(struct store *base, const char *guid, char *by,
    size_t bylen, struct sp_error *err);
int rec_park(struct store *base, const char *guid, struct sp_error *err);
int rec_parked(struct store *base, struct sp_error *err);
int rec_unpark(struct store_sqlite *ss, const char *guid,
    struct sp_error *err);
int rec_restamp(struct store *base, const char *guid,
    const struct store_record *deleted, int revived, struct sp_error *err);

/* records_merge.c: the store_ops entry of an identity merge. */
int rec_merge(struct store *base, const struct store_record *loser,
    const char *winner, struct sp_error *err);

/* row_write.c: INSERT (rkey NULL) or UPDATE (of the row with key rkey)
 * of row's columns, through the table's kept statement; *new_key is the
 * row's key (the caller frees it). */
int row_write(struct store_sqlite *ss, struct table_info *t,
    const struct store_record *rec, json_t *row, sqlite3_value *rkey,
    sqlite3_value **new_key, struct sp_error *err);
/* Finalizes the kept statements of every table (before
 * rec_tables_free). */
void row_shapes_free(struct store_sqlite *ss);

#endif
