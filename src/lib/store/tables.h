/* tables.h: the tracked tables as a site records them (their policies and
 * foreign keys), the schema of application tables as far as tracking needs
 * it, and the capture that starts and stops on them.
 *
 * Which tables and policies are acceptable is decided in sync/track.c;
 * these calls only store, read and install. This is the store interface;
 * the SQLite backend implements it (store/sqlite/tables.c). */
#ifndef SYNCPACK_STORE_TABLES_H
#define SYNCPACK_STORE_TABLES_H

#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "util/error.h"
#include "store/site.h"

/* Room for the longest policy word with its NUL; a stored word that does
 * not fit is read back as "" so that it shows as damaged. */
#define TRACKED_WORD_MAX 16

struct tracked_table {
	long long id;
	char *name;		/* owned */
	char *pk;		/* owned: the key (store_table_primary_key) */
	int pk_integer;		/* the key is the rowid, numbered per site */
	char owner[TRACKED_WORD_MAX];	/* central | creator | shared */
	char route[TRACKED_WORD_MAX];	/* all | owner | none */
	char conflict[TRACKED_WORD_MAX];	/* lww | hub | owner | manual */
	int freeze;
	int movable;
	char *window;		/* owned; NULL: no window column */
	char key[TRACKED_WORD_MAX];	/* local | natural */
	int rowversion_column;
	int tracked;
};

static inline void
tracked_table_free(struct tracked_table *t)
{
	free(t->name);
	free(t->pk);
	free(t->window);
	memset(t, 0, sizeof(*t));
}

/* 1 when t's key has several columns (pk is then a JSON array). */
static inline int
tracked_key_composite(const struct tracked_table *t)
{
	return t->pk != NULL && t->pk[0] == '[';
}

/* A tracked table's foreign keys: column -> parent table. A reference to
 * a composite key has one entry per column, each naming the parent's
 * column it holds, and all with the same ref: the child's columns in the
 * order of the parent's key, written as a key is (store_table_primary_key:
 * a JSON array of names), so that its values make the parent's rkey. */
struct tracked_fk {
	char *col;		/* owned */
	char *parent;		/* owned */
	char *parent_col;	/* owned; NULL: the parent's single key */
	char *ref;		/* owned; NULL for a single-column reference */
};

static inline void
tracked_fks_free_one(struct tracked_fk *fk)
{
	free(fk->col);
	free(fk->parent);
	free(fk->parent_col);
	free(fk->ref);
}

static inline void
tracked_fks_free(struct tracked_fk *fks, int count)
{
	for (int i = 0; i < count; i++)
		tracked_fks_free_one(&fks[i]);
	free(fks);
}

/* Frees a list of names: columns, or tables (store_tables_tracked). */
static inline void
tracked_columns_free(char **columns, int count)
{
	for (int i = 0; i < count; i++)
		free(columns[i]);
	free(columns);
}

/* Reading what is recorded. A list is never cut short: a short one is an
 * error, not a shorter answer, since a table, foreign key or column left
 * out would silently change what travels. */

/* 1 and fills *t with the recorded policy of table, tracked or not, the
 * words exactly as stored (unchecked); 0 when table was never tracked; -1
 * on error. Free with tracked_table_free. */
SP_MUST_CHECK
int store_table_get(struct site *s, const char *table,
    struct tracked_table *t, struct sp_error *err);

/* The names of the tracked tables in the order they were first tracked;
 * free with tracked_columns_free. */
SP_MUST_CHECK
int store_tables_tracked(struct site *s, char ***names, int *count,
    struct sp_error *err);

/* The ids of the tracked tables that table id's recorded foreign keys
 * point to, itself excluded, each once; the caller frees *parents. */
SP_MUST_CHECK
int store_table_parents(struct site *s, long long id, long long **parents,
    int *count, struct sp_error *err);

/* The recorded foreign keys of table that point to their parent's key, by
 * column; free with tracked_fks_free. */
SP_MUST_CHECK
int tracked_fks_load(struct site *s, const char *table,
    struct tracked_fk **fks, int *count, struct sp_error *err);

/* The schema of application tables. */

/* The columns of table as the database declares them, in their order;
 * free with tracked_columns_free. */
SP_MUST_CHECK
int tracked_columns_load(struct site *s, const char *table, char ***columns,
    int *count, struct sp_error *err);

/* 1 when the database has an application or internal table named table,
 * 0 when not, -1 on error. */
SP_MUST_CHECK
int store_table_exists(struct site *s, const char *table,
    struct sp_error *err);

/* 1 when table has the column, 0 when not, -1 on error. */
SP_MUST_CHECK
int store_column_exists(struct site *s, const char *table,
    const char *column, struct sp_error *err);

/* *ncols: how many columns make up table's primary key (0: none), and *pk
 * (owned by the caller) the key as syncpack_table records it: the column's
 * name, a JSON array of the names of a composite key, or, for a table
 * without one, the name its rowid goes by (rowid, _rowid_ or oid).
 * *pk_integer: the key is a rowid, a number SQLite gives per site. */
SP_MUST_CHECK
int store_table_primary_key(struct site *s, const char *table, char **pk,
    int *pk_integer, int *ncols, struct sp_error *err);

/* The rkey (store/locks.h) of the row of t whose key columns hold
 * values[0..n), each text compared as its column's type: 1 and *rkey set
 * (the caller frees it), 0 when no row has that key, -1 on error; an n that
 * is not the key's column count is an error. */
SP_MUST_CHECK
int store_table_rkey(struct site *s, const struct tracked_table *t,
    const char *const *values, int n, json_t **rkey, struct sp_error *err);

/* Changing what is recorded; each call belongs inside the caller's
 * transaction (store/tx.h), so tracking is all or nothing. */

/* Records t's policy (t->name, t->pk and the policy fields) as tracked,
 * keeping the id a table tracked before already has; sets t->id. */
SP_MUST_CHECK
int store_table_save(struct site *s, struct tracked_table *t,
    struct sp_error *err);

/* Marks table id as no longer tracked; its policy and the metadata of its
 * rows stay, so that tracking it again keeps every GUID. */
SP_MUST_CHECK
int store_table_untrack(struct site *s, long long id, struct sp_error *err);

/* Re-reads the foreign keys between tracked tables from the schema, for
 * every table at once: tracking a parent makes its children's references
 * travel as GUIDs. Recorded: single-column references to the parent's
 * key, and references of several columns to the whole of a parent's
 * composite key. */
SP_MUST_CHECK
int store_fks_refresh(struct site *s, struct sp_error *err);

/* Gives every row of t without metadata a GUID, owner this site and
 * rowversion 1, and turns the metadata of rows deleted while t was not
 * tracked into tombstones, both through the change log like any other
 * change. With t->rowversion_column, adds the TABLE_rowversion column if
 * missing and sets it from the metadata. */
SP_MUST_CHECK
int store_table_adopt(struct site *s, const struct tracked_table *t,
    struct sp_error *err);

/* Installs t's change capture and the guards of its policy for this site
 * (hub or spoke); t->id must be set (store_table_save). */
SP_MUST_CHECK
int store_capture_install(struct site *s, const struct tracked_table *t,
    struct sp_error *err);

/* Removes whatever capture and guards table id has; none is no error. */
SP_MUST_CHECK
int store_capture_remove(struct site *s, long long id, struct sp_error *err);

/* The calls above that tracking a table makes, of the site's backend
 * (the functions above for SQLite), so that sync/track.c decides the same
 * way whatever the database. On a PostgreSQL site a policy the backend
 * cannot guard yet is refused by table_save. */
struct store_tables_ops {
	int (*tx_begin)(struct site *s, struct sp_error *err);
	int (*tx_commit)(struct site *s, struct sp_error *err);
	void (*tx_rollback)(struct site *s);
	int (*table_get)(struct site *s, const char *table,
	    struct tracked_table *t, struct sp_error *err);
	int (*table_exists)(struct site *s, const char *table,
	    struct sp_error *err);
	int (*column_exists)(struct site *s, const char *table,
	    const char *column, struct sp_error *err);
	int (*table_primary_key)(struct site *s, const char *table, char **pk,
	    int *pk_integer, int *ncols, struct sp_error *err);
	int (*table_save)(struct site *s, struct tracked_table *t,
	    struct sp_error *err);
	int (*table_untrack)(struct site *s, long long id,
	    struct sp_error *err);
	int (*table_adopt)(struct site *s, const struct tracked_table *t,
	    struct sp_error *err);
	int (*capture_install)(struct site *s, const struct tracked_table *t,
	    struct sp_error *err);
	int (*capture_remove)(struct site *s, long long id,
	    struct sp_error *err);
	int (*fks_refresh)(struct site *s, struct sp_error *err);
};

/* The tracking calls of s's backend; static, never NULL. */
const struct store_tables_ops *store_tables_ops(const struct site *s);

#endif
