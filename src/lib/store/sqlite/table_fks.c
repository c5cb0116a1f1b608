/* table_fks.c: the foreign keys of tracked tables (store/tables.h) in
 * syncpack_fk, read from the schema's foreign_key_list pragmas. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/key_sql.h"
#include "store/sqlite/backend.h"
#include "store/sqlite/sql.h"
#include "store/sqlite/table_fks.h"
#include "store/tables.h"

int
sqlite_table_parents(struct site *s, long long id, long long **parents,
    int *count, struct sp_error *err)
{
	sqlite3_stmt *st;
	long long *all = NULL;
	int n = 0, r;

	*parents = NULL;
	*count = 0;
	if (sqlite3_prepare_v2(s->db, "SELECT DISTINCT f.parent FROM syncpack_fk"
	    " f JOIN syncpack_table p ON p.id = f.parent WHERE f.tbl = ?1 AND "
	    "f.parent <> ?1 AND p.tracked ORDER BY f.parent", -1, &st, NULL)
	    != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_int64(st, 1, id);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		long long *grown = realloc(all, (size_t)(n + 1) * sizeof(*all));
		if (grown == NULL)
			break;
		all = grown;
		all[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		free(all);
		return site_loop_failed(s, r, err);
	}
	*parents = all;
	*count = n;
	return 0;
}

/* The (column, parent table) pairs sql selects for table (bound to ?1);
 * a list cut short is an error, never a shorter answer. */
static int
fk_pairs_load(struct site *s, const char *sql, const char *table,
    struct tracked_fk **fks, int *count, struct sp_error *err)
{
	sqlite3_stmt *st;
	int n = 0, r;

	*fks = NULL;
	*count = 0;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct tracked_fk *grown = realloc(*fks, (size_t)(n + 1) *
		    sizeof(**fks));
		if (grown == NULL)
			break;
		*fks = grown;
		memset(&grown[n], 0, sizeof(grown[n]));
		grown[n].col = site_column_dup(st, 0);
		grown[n].parent = site_column_dup(st, 1);
		n++;
		if (grown[n - 1].col == NULL || grown[n - 1].parent == NULL)
			break;
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		tracked_fks_free(*fks, n);
		*fks = NULL;
		return site_loop_failed(s, r, err);
	}
	*count = n;
	return 0;
}

/* The child's columns of the composite reference number ref, in the
 * order of the parent's key (pk), as a key text; NULL with *partial set
 * when the recorded columns do not cover the key (a column taken by
 * another reference, syncpack_fk keeping one per column), NULL with err
 * set on error. */
static char *
reference_key(const struct tracked_fk *fks, int n, long long ref,
    const long long *refs, const char *pk, int *partial,
    struct sp_error *err)
{
	char **keys, **cols = NULL, *text = NULL;
	int nkeys, r;

	if ((r = key_columns(pk, &keys, &nkeys)) != 1) {
		sp_error_set(err, r < 0 ? "out of memory" : "the key recorded "
		    "for a parent table is damaged");
		return NULL;
	}
	if ((cols = calloc((size_t)nkeys, sizeof(*cols))) == NULL)
		goto done;
	for (int i = 0; i < n; i++)
		for (int k = 0; k < nkeys && refs[i] == ref && fks[i].parent_col;
		    k++)
			if (strcmp(keys[k], fks[i].parent_col) == 0)
				cols[k] = fks[i].col;
	for (int k = 0; k < nkeys; k++)
		if (cols[k] == NULL) {
			*partial = 1;
			goto done;
		}
	if ((text = key_pk_text(cols, nkeys)) == NULL)
		sp_error_set(err, "out of memory");
	free(cols);
	tracked_columns_free(keys, nkeys);
	return text;
done:
	if (!*partial)
		sp_error_set(err, "out of memory");
	free(cols);
	tracked_columns_free(keys, nkeys);
	return text;
}

int
sqlite_fks_load(struct site *s, const char *table, struct tracked_fk **fks,
    int *count, struct sp_error *err)
{
	sqlite3_stmt *st;
	long long *refs = NULL;
	char **pks = NULL;
	int n = 0, r, rc = -1;

	*fks = NULL;
	*count = 0;
	err->msg[0] = '\0';
	/* A reference to another column than the parent's key travels as
	 * its plain value (syncpack(7)); one left out of the list would
	 * travel as a raw local key. A composite parent's rows are recorded
	 * only for references to the whole key (store_fks_refresh). */
	if (sqlite3_prepare_v2(s->db, "SELECT f.col, p.name, f.parent_col, "
	    "f.ref, p.pk FROM syncpack_fk f JOIN syncpack_table c ON c.id = "
	    "f.tbl JOIN syncpack_table p ON p.id = f.parent WHERE c.name = ? "
	    "AND (f.parent_col = p.pk OR p.pk LIKE '[%') ORDER BY f.col", -1,
	    &st, NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		struct tracked_fk *grown = realloc(*fks, (size_t)(n + 1) *
		    sizeof(**fks));
		long long *grown_refs = realloc(refs, (size_t)(n + 1) *
		    sizeof(*refs));
		char **grown_pks = realloc(pks, (size_t)(n + 1) * sizeof(*pks));

		if (grown != NULL)
			*fks = grown;
		if (grown_refs != NULL)
			refs = grown_refs;
		if (grown_pks != NULL)
			pks = grown_pks;
		if (grown == NULL || grown_refs == NULL || grown_pks == NULL)
			break;
		memset(&grown[n], 0, sizeof(grown[n]));
		grown[n].col = site_column_dup(st, 0);
		grown[n].parent = site_column_dup(st, 1);
		refs[n] = sqlite3_column_int64(st, 3);
		pks[n] = site_column_dup(st, 4);
		n++;
		if (grown[n - 1].col == NULL || grown[n - 1].parent == NULL ||
		    pks[n - 1] == NULL)
			break;
		if (key_is_composite(pks[n - 1]) &&
		    (grown[n - 1].parent_col = site_column_dup(st, 2)) == NULL)
			break;
	}
	sqlite3_finalize(st);
	if (r != SQLITE_DONE) {
		site_loop_failed(s, r, err);
		goto done;
	}
	for (int i = 0; i < n; i++) {
		int partial = 0;

		if (key_is_composite(pks[i]) && ((*fks)[i].ref =
		    reference_key(*fks, n, refs[i], refs, pks[i], &partial,
		    err)) == NULL && !partial)
			goto done;
	}
	/* A composite reference that lost a column travels as plain values
	 * (syncpack(7)): its columns leave the list. */
	for (int i = 0, kept = 0; i <= n; i++) {
		if (i == n) {
			n = kept;
			break;
		}
		if (key_is_composite(pks[i]) && (*fks)[i].ref == NULL) {
			tracked_fks_free_one(&(*fks)[i]);
			free(pks[i]);
			continue;
		}
		(*fks)[kept] = (*fks)[i];
		pks[kept] = pks[i];
		refs[kept] = refs[i];
		kept++;
	}
	*count = n;
	rc = 0;
done:
	if (rc != 0) {
		tracked_fks_free(*fks, n);
		*fks = NULL;
	}
	tracked_columns_free(pks, n);
	free(refs);
	return rc;
}

/* The table's declared single-column references to another table's key,
 * whether that table is tracked yet or not, for the triggers' guard against
 * new references to records in transit (capture_sql.c). A reference left
 * out would let a record be left behind by a move. */
int
table_declared_refs(struct site *s, const char *table, struct tracked_fk **refs,
    int *count, struct sp_error *err)
{
	/* "to" NULL names the parent's primary key; a named column counts
	 * only when it is the parent's single key column. */
	return fk_pairs_load(s, "SELECT f.\"from\", f.\"table\" FROM "
	    "pragma_foreign_key_list(?1) f WHERE f.seq = 0 AND NOT EXISTS "
	    "(SELECT 1 FROM pragma_foreign_key_list(?1) g WHERE g.id = f.id AND"
	    " g.seq > 0) AND (f.\"to\" IS NULL OR f.\"to\" = (SELECT k.name "
	    "FROM pragma_table_info(f.\"table\") k WHERE k.pk = 1 AND NOT "
	    "EXISTS (SELECT 1 FROM pragma_table_info(f.\"table\") m WHERE m.pk "
	    "> 1)) COLLATE NOCASE) ORDER BY f.id", table, refs, count, err);
}

int
store_fks_refresh(struct site *s, struct sp_error *err)
{
	/* Composite references first: a column that is also a reference of
	 * its own (syncpack_fk keeps one row per column) stays in the
	 * composite one, which translates it too.
	 * A reference of several columns travels as one GUID when it names
	 * the whole of a composite key (the parent's key columns, in any
	 * order; "to" NULL names them in key order); to anything else it
	 * travels as plain values. */
	return site_exec(s, "DELETE FROM syncpack_fk;"
	    "INSERT OR IGNORE INTO syncpack_fk(tbl, col, parent, parent_col, "
	    "ref) SELECT c.id, f.\"from\", p.id, (SELECT k.value FROM "
	    "json_each(p.pk) k WHERE iif(f.\"to\" IS NULL, k.key = f.seq, "
	    "k.value = f.\"to\" COLLATE NOCASE)), f.id "
	    "FROM syncpack_table c, pragma_foreign_key_list(c.name) f "
	    "JOIN syncpack_table p ON p.name = f.\"table\" "
	    "WHERE c.tracked AND p.tracked AND p.pk LIKE '[%' AND "
	    "(SELECT count(*) FROM pragma_foreign_key_list(c.name) g WHERE "
	    "g.id = f.id) = json_array_length(p.pk) AND (SELECT count(DISTINCT "
	    "k.value) FROM pragma_foreign_key_list(c.name) g JOIN json_each("
	    "p.pk) k ON iif(g.\"to\" IS NULL, k.key = g.seq, k.value = g.\"to\""
	    " COLLATE NOCASE) WHERE g.id = f.id) = json_array_length(p.pk);"
	    "INSERT OR IGNORE INTO syncpack_fk(tbl, col, parent, parent_col, "
	    "ref) SELECT c.id, f.\"from\", p.id, coalesce(f.\"to\", p.pk), f.id "
	    "FROM syncpack_table c, pragma_foreign_key_list(c.name) f "
	    "JOIN syncpack_table p ON p.name = f.\"table\" "
	    "WHERE c.tracked AND p.tracked AND f.seq = 0 AND NOT EXISTS "
	    "(SELECT 1 FROM pragma_foreign_key_list(c.name) g WHERE g.id = f.id"
	    " AND g.seq > 0)", err);
}
