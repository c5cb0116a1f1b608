/* row_json.c: SQLite columns to and from struct value (sxf/value.h), whose
 * JSON form is what travels. */
#include <stdlib.h>

#include "store/sqlite/row_json.h"

int
row_value(sqlite3_stmt *st, int col, struct value *out, struct sp_error *err)
{
	struct value v = { .type = VALUE_NULL };

	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		break;
	case SQLITE_INTEGER:
		v.type = VALUE_INTEGER;
		v.i = sqlite3_column_int64(st, col);
		break;
	case SQLITE_FLOAT:
		v.type = VALUE_REAL;
		v.r = sqlite3_column_double(st, col);
		break;
	case SQLITE_TEXT:
		/* Text first, then its length, as sqlite3_column_bytes
		 * documents; the bytes are the stored ones, whatever they
		 * are. */
		v.type = VALUE_TEXT;
		v.bytes = sqlite3_column_text(st, col);
		v.n = (size_t)sqlite3_column_bytes(st, col);
		if (v.bytes == NULL)
			return sp_error_set(err, "out of memory");
		break;
	case SQLITE_BLOB:
		v.type = VALUE_BLOB;
		v.bytes = sqlite3_column_blob(st, col);
		v.n = (size_t)sqlite3_column_bytes(st, col);
		/* A NULL pointer is an empty blob, or memory running out. */
		if (v.bytes == NULL && v.n > 0)
			return sp_error_set(err, "out of memory");
		if (v.bytes == NULL)
			v.bytes = (const unsigned char *)"";
		break;
	default:
		return sp_error_set(err, "unknown SQLite type %d",
		    sqlite3_column_type(st, col));
	}
	*out = v;
	return 0;
}

json_t *
row_json_from_column(sqlite3_stmt *st, int col, struct sp_error *err)
{
	struct value v;

	if (row_value(st, col, &v, err) != 0)
		return NULL;
	return value_to_json(&v, err);
}

static int
bind_result(int rc, struct sp_error *err)
{
	if (rc == SQLITE_OK)
		return 0;
	return sp_error_set(err, "cannot bind a value: %s", sqlite3_errstr(rc));
}

int
row_json_bind(sqlite3_stmt *st, int idx, json_t *j, struct sp_error *err)
{
	struct value v;
	int rc;

	if (value_from_json(j, &v, err) != 0)
		return -1;
	switch (v.type) {
	case VALUE_INTEGER:
		rc = sqlite3_bind_int64(st, idx, v.i);
		break;
	case VALUE_REAL:
		rc = sqlite3_bind_double(st, idx, v.r);
		break;
	case VALUE_TEXT:
		rc = sqlite3_bind_text64(st, idx, (const char *)v.bytes, v.n,
		    SQLITE_TRANSIENT, SQLITE_UTF8);
		break;
	case VALUE_BLOB:
		rc = sqlite3_bind_blob64(st, idx, v.bytes, v.n,
		    SQLITE_TRANSIENT);
		break;
	default:
		rc = sqlite3_bind_null(st, idx);
		break;
	}
	value_release(&v);
	return bind_result(rc, err);
}
