/* row_json.c: typed conversion between SQLite columns and JSON values. */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "row_json.h"

json_t *
row_json_from_column(sqlite3_stmt *st, int col)
{
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(st, col));
	case SQLITE_FLOAT:
		return json_real(sqlite3_column_double(st, col));
	case SQLITE_TEXT:
		return json_stringn((const char *)sqlite3_column_text(st, col),
		    (size_t)sqlite3_column_bytes(st, col));
	case SQLITE_BLOB: {
		int n = sqlite3_column_bytes(st, col);
		const unsigned char *b = sqlite3_column_blob(st, col);
		char *enc = malloc(4 * ((size_t)n + 2) / 3 + 4);
		json_t *v;

		if (enc == NULL)
			return NULL;
		EVP_EncodeBlock((unsigned char *)enc, b ? b : (const unsigned
		    char *)"", n);
		v = json_pack("{s:s}", "base64", enc);
		free(enc);
		return v;
	}
	default:
		return json_null();
	}
}

static int
bind_blob(sqlite3_stmt *st, int idx, json_t *v, struct sp_error *err)
{
	json_t *b64 = json_object_get(v, "base64");
	const char *text;
	unsigned char *buf;
	size_t len;
	int n, pad = 0;

	if (json_object_size(v) != 1 || !json_is_string(b64))
		return sp_error_set(err, "object value is not {\"base64\": ...}");
	text = json_string_value(b64);
	len = strlen(text);
	if (len % 4 != 0)
		return sp_error_set(err, "bad base64 value");
	buf = malloc(len / 4 * 3 + 1);
	if (buf == NULL)
		return sp_error_set(err, "out of memory");
	n = EVP_DecodeBlock(buf, (const unsigned char *)text, (int)len);
	if (n < 0) {
		free(buf);
		return sp_error_set(err, "bad base64 value");
	}
	/* EVP_DecodeBlock counts padding as data. */
	if (len >= 1 && text[len - 1] == '=')
		pad++;
	if (len >= 2 && text[len - 2] == '=')
		pad++;
	sqlite3_bind_blob(st, idx, buf, n - pad, free);
	return 0;
}

int
row_json_bind(sqlite3_stmt *st, int idx, json_t *v, struct sp_error *err)
{
	switch (json_typeof(v)) {
	case JSON_INTEGER:
		sqlite3_bind_int64(st, idx, json_integer_value(v));
		return 0;
	case JSON_REAL:
		sqlite3_bind_double(st, idx, json_real_value(v));
		return 0;
	case JSON_STRING:
		sqlite3_bind_text(st, idx, json_string_value(v),
		    (int)json_string_length(v), SQLITE_TRANSIENT);
		return 0;
	case JSON_NULL:
		sqlite3_bind_null(st, idx);
		return 0;
	case JSON_OBJECT:
		return bind_blob(st, idx, v, err);
	default:
		return sp_error_set(err, "unsupported JSON value type");
	}
}
