/* key_sql.h: how a tracked table's rows are named in the metadata (the
 * rkey of syncpack_record, syncpack_change and syncpack_lock) and the SQL
 * that goes from a row to that name and back.
 *
 * A table's key is recorded as its pk text (syncpack_table.pk):
 *   - one column name: the rkey is that column's value, as it is stored;
 *   - "rowid" (or _rowid_, oid) for a table without a primary key: the
 *     rowid, a local key renumbered per site;
 *   - a JSON array of two or more column names (a composite key): the rkey
 *     is the text of the key's values, each as SQLite's quote() gives it
 *     (text holding a NUL byte as T and the hexadecimal of its bytes),
 *     joined by commas: 3,'abc' or 7,X'00FF'.
 * The encoding is computed by built-in functions only, so that the capture
 * triggers compute it in any application's connection; the tool's own
 * connection decodes it with syncpack_key_part (key_sql_register). */
#ifndef SYNCPACK_STORE_SQLITE_KEY_SQL_H
#define SYNCPACK_STORE_SQLITE_KEY_SQL_H

#include <sqlite3.h>

/* The key columns named by pk: 1 and *names (free with
 * tracked_columns_free, store/tables.h) and *count set; 0 when pk is no
 * valid key text; -1 out of memory. */
int key_columns(const char *pk, char ***names, int *count);

/* The pk text of the composite key cols[0..n) (n >= 2); NULL when memory
 * runs out. Free with free(). */
char *key_pk_text(char *const *cols, int n);

/* Each returns SQL from sqlite3_mprintf (NULL: out of memory or a pk text
 * that names no key); alias is a table alias or NEW/OLD, NULL for none. */

/* The rkey of alias's row. */
char *key_sql_expr(const char *pk, const char *alias);

/* A condition: alias's row is the one named by the rkey value, an SQL
 * expression such as ?1 or r.rkey. Composite keys need syncpack_key_part:
 * the tool's connection only. */
char *key_sql_match(const char *pk, const char *alias, const char *value);

/* A condition: alias's row has the same key as other's (NEW, OLD). */
char *key_sql_same(const char *pk, const char *alias, const char *other);

/* A condition: one of alias's key columns is NULL. */
char *key_sql_any_null(const char *pk, const char *alias);

/* The first key column, for a statement that needs one column to name. */
char *key_sql_first(const char *pk);

/* 1 when pk is a composite key. */
int key_is_composite(const char *pk);

/* Registers syncpack_key_part(rkey, i), the i-th value (from 0) of a
 * composite rkey, on the tool's connection. SQLITE_OK or an error code. */
int key_sql_register(sqlite3 *db);

/* The values of a composite rkey: text, n bytes. Each is handed to cb in
 * order as an SQLite value type and its bytes (integers and reals as
 * their text); 0 when the text is well formed and every cb returned 0. */
typedef int (*key_part_cb)(void *ctx, int index, int type,
    const char *bytes, size_t n);
int key_parts(const char *text, size_t n, key_part_cb cb, void *ctx);

#endif
