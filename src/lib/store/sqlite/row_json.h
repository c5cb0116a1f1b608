/* row_json.h: SQLite column values in their travelling form (sxf/value.h)
 * and back: every value SQLite can store reads back with the same type and
 * the same bytes. */
#ifndef SYNCPACK_ROW_JSON_H
#define SYNCPACK_ROW_JSON_H

#include <jansson.h>
#include <sqlite3.h>

#include "util/error.h"
#include "sxf/value.h"

/* Reads column col of st; its bytes are st's until the next step. -1
 * with err set when memory runs out reading them. */
int row_value(sqlite3_stmt *st, int col, struct value *v,
    struct sp_error *err);

/* Returns a new reference to the JSON form of column col of st; NULL with
 * err set when the value has none (a NaN, which SQLite never stores) or
 * memory runs out. Never drops a value silently. */
json_t *row_json_from_column(sqlite3_stmt *st, int col, struct sp_error *err);

/* Binds the SQLite value a JSON value stands for; -1 with err set when it
 * stands for none (arrays, booleans, unknown objects, bad base64). */
int row_json_bind(sqlite3_stmt *st, int idx, json_t *v, struct sp_error *err);

#endif
