/* row_json.h: SQLite values as JSON and back, as records travel in sxf(5):
 * integers, reals, text and null as themselves; a blob as
 * {"base64": "..."}. */
#ifndef SYNCPACK_ROW_JSON_H
#define SYNCPACK_ROW_JSON_H

#include <jansson.h>
#include <sqlite3.h>

#include "error.h"

/* Returns a new reference to the JSON form of column col of st. */
json_t *row_json_from_column(sqlite3_stmt *st, int col);

/* Binds the SQLite value a JSON value stands for; -1 when it stands for
 * none (arrays, booleans, malformed blobs). */
int row_json_bind(sqlite3_stmt *st, int idx, json_t *v, struct sp_error *err);

#endif
