/* unmapped.c: records that lose their key, noted for the checksums of
 * those referring to them (checksums.h). Apart from checksums.c so that
 * the fold, which the tables' calls run, calls nothing that calls them. */
#include <string.h>

#include "store/sqlite/checksums.h"
#include "store/sqlite/sql.h"

int
checksum_unmap(struct site *s, sqlite3_stmt **st, long long tbl,
    sqlite3_value *rkey, struct sp_error *err)
{
	int r;

	if (rkey == NULL || sqlite3_value_type(rkey) == SQLITE_NULL)
		return 0;
	if (*st == NULL && sqlite3_prepare_v2(s->db, CHECKSUM_UNMAP_SQL, -1, st,
	    NULL) != SQLITE_OK)
		return site_sqlite_error(s, err, s->path);
	sqlite3_reset(*st);
	sqlite3_bind_int64(*st, 1, tbl);
	sqlite3_bind_value(*st, 2, rkey);
	r = sqlite3_step(*st);
	sqlite3_reset(*st);
	return r == SQLITE_DONE ? 0 : site_sqlite_error(s, err, s->path);
}

int
checksum_key_same(sqlite3_value *a, sqlite3_value *b)
{
	int type = sqlite3_value_type(a);
	int n;

	if (type != sqlite3_value_type(b))
		return 0;
	switch (type) {
	case SQLITE_NULL:
		return 1;
	case SQLITE_INTEGER:
		return sqlite3_value_int64(a) == sqlite3_value_int64(b);
	case SQLITE_FLOAT:
		return sqlite3_value_double(a) == sqlite3_value_double(b);
	case SQLITE_TEXT:
		n = sqlite3_value_bytes(a);
		return n == sqlite3_value_bytes(b) && (n == 0 ||
		    memcmp(sqlite3_value_text(a), sqlite3_value_text(b),
		    (size_t)n) == 0);
	default:
		n = sqlite3_value_bytes(a);
		return n == sqlite3_value_bytes(b) && (n == 0 ||
		    memcmp(sqlite3_value_blob(a), sqlite3_value_blob(b),
		    (size_t)n) == 0);
	}
}
