/* manifest_sql.c: the SQL of a table's canonical columns. */
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/key_sql.h"
#include "store/sqlite/manifest_sql.h"
#include "store/sqlite/row_json.h"

/* Appends to *s, freeing it; NULL stays NULL. */
static char *
cat(char *s, char *piece)
{
	char *next = s && piece ? sqlite3_mprintf("%s%s", s, piece) : NULL;

	sqlite3_free(s);
	sqlite3_free(piece);
	return next;
}

/* The window column of every record's row, looked up apart. */
static char *
window_sql(const struct tracked_table *t)
{
	char *w_is_r = key_sql_match(t->pk, "w", "r.rkey");
	char *sql = w_is_r ? sqlite3_mprintf("(SELECT w.\"%w\" FROM \"%w\" w "
	    "WHERE %s)", t->window, t->name, w_is_r) : NULL;

	sqlite3_free(w_is_r);
	return sql;
}

/* A reference replaced by the parent's GUID. "+r.tbl" elsewhere keeps
 * SQLite on the GUID-ordered table itself: a sort of the (tbl, rkey) index
 * would grow with the table. In the stored mode only records without a
 * current checksum join their row, so that the others never read it; the
 * window column is then read apart. */
char *
manifest_sql_select(const struct tracked_table *t,
    const struct store_manifest_column *cols, int ncols,
    enum manifest_sql_mode mode, int refs, const char *index, char **window)
{
	int stored = mode == MANIFEST_SQL_STORED;
	/* Stored: only a record without a current checksum joins its row;
	 * the others look up no key at all. */
	char *x_is_r = key_sql_match(t->pk, "x", stored ? "iif(r.checksum IS "
	    "NULL OR r.lseq > ?7, r.rkey, NULL)" : "r.rkey");
	char *select = sqlite3_mprintf("SELECT r.guid, r.owner, r.rowversion, "
	    "r.deleted, %s", stored ? "iif(r.checksum IS NULL OR r.lseq > ?7, "
	    "NULL, r.checksum)" : "NULL");
	char *flags = sqlite3_mprintf("%s", ""), *joins = sqlite3_mprintf(
	    "%s", ""), *sql = NULL;

	*window = NULL;
	for (int i = 0; i < ncols && x_is_r != NULL; i++) {
		char *ref = cols[i].parent ? key_sql_expr(cols[i].ref ?
		    cols[i].ref : cols[i].name, "x") : NULL;
		char *value;

		if (cols[i].parent != NULL && ref == NULL) {
			sqlite3_free(select);
			select = NULL;
			break;
		}
		if (cols[i].parent != NULL)
			/* A composite reference's columns make the parent's
			 * rkey together (key_sql.h). */
			value = sqlite3_mprintf("(SELECT p.guid FROM "
			    "syncpack_record p WHERE p.tbl = (SELECT id FROM "
			    "syncpack_table WHERE name = '%q') AND p.rkey = "
			    "+(%s))", cols[i].parent, ref);
		else
			value = sqlite3_mprintf("x.\"%w\"", cols[i].name);
		select = cat(select, sqlite3_mprintf(", %s", value));
		if (refs)
			flags = cat(flags, cols[i].parent ? sqlite3_mprintf(", "
			    "(%s) IS NOT NULL", ref) : sqlite3_mprintf(", 0"));
		sqlite3_free(value);
		sqlite3_free(ref);
	}
	if (x_is_r != NULL)
		joins = cat(joins, sqlite3_mprintf(" LEFT JOIN \"%w\" x ON %s",
		    t->name, x_is_r));
	if (t->window != NULL && x_is_r != NULL)
		*window = stored ? window_sql(t) : sqlite3_mprintf("x.\"%w\"",
		    t->window);
	if (select != NULL && flags != NULL && joins != NULL && x_is_r != NULL
	    && (t->window == NULL || *window != NULL))
		sql = sqlite3_mprintf("%s%s FROM syncpack_record r%s%s%s",
		    select, flags, index ? " INDEXED BY " : "", index ? index :
		    "", joins);
	if (sql == NULL) {
		sqlite3_free(*window);
		*window = NULL;
	}
	sqlite3_free(x_is_r);
	sqlite3_free(select);
	sqlite3_free(flags);
	sqlite3_free(joins);
	return sql;
}

void
manifest_sql_values(sqlite3_stmt *st, int first, int ncols,
    struct value *values)
{
	for (int c = 0; c < ncols; c++)
		/* Memory run out reading it: text without bytes, which the
		 * checksum refuses (store/manifest.h). */
		if (row_value(st, first + c, &values[c], NULL) != 0) {
			memset(&values[c], 0, sizeof(values[c]));
			values[c].type = VALUE_TEXT;
		}
}
