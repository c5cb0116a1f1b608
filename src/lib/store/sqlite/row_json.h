/* row_json.h: SQLite values as JSON and back, as records travel in sxf(5).
 *
 * Every value SQLite can store has exactly one form, and reading it back
 * gives the same type and the same bytes:
 *   NULL                      null
 *   INTEGER                   a JSON integer
 *   REAL, finite              a JSON number with a fraction or an exponent
 *                             (17 significant digits: "2.0", "-0.0")
 *   REAL, +/-Infinity         {"real": "inf"} or {"real": "-inf"}
 *   TEXT, valid UTF-8, no NUL a JSON string
 *   other TEXT                {"text_base64": "..."}: its bytes as stored
 *   BLOB                      {"base64": "..."}
 * Files written before text_base64 and real existed hold only the plain
 * forms and blobs, and still read. */
#ifndef SYNCPACK_ROW_JSON_H
#define SYNCPACK_ROW_JSON_H

#include <jansson.h>
#include <sqlite3.h>

#include "util/error.h"

/* The jansson decoding flags for a line that carries column values: older
 * writers encoded a NUL byte in text as "\u0000", which jansson refuses
 * unless told. Values written now never contain one. */
#define ROW_JSON_DECODE_FLAGS JSON_ALLOW_NUL

/* Returns a new reference to the JSON form of column col of st; NULL with
 * err set when the value has none (a NaN, which SQLite never stores) or
 * memory runs out. Never drops a value silently. */
json_t *row_json_from_column(sqlite3_stmt *st, int col, struct sp_error *err);

/* Binds the SQLite value a JSON value stands for; -1 with err set when it
 * stands for none (arrays, booleans, unknown objects, bad base64). */
int row_json_bind(sqlite3_stmt *st, int idx, json_t *v, struct sp_error *err);

/* 1 when the n bytes at s are UTF-8 as RFC 3629 defines it (no overlong
 * forms, no surrogates, nothing above U+10FFFF) without a NUL byte: the
 * text that travels as a plain JSON string. */
int row_json_plain_text(const unsigned char *s, size_t n);

#endif
