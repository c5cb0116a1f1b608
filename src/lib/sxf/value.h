/* value.h: one column value as records carry it in sxf(5), and its JSON
 * form.
 *
 * Every value a site can store has exactly one form, and reading it back
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
 * forms and blobs, and still read. The store backends convert their own
 * values to and from struct value; nothing here knows a database. */
#ifndef SYNCPACK_VALUE_H
#define SYNCPACK_VALUE_H

#include <jansson.h>
#include <stddef.h>

#include "util/error.h"

/* The jansson decoding flags for a line that carries column values: older
 * writers encoded a NUL byte in text as "\u0000", which jansson refuses
 * unless told. Values written now never contain one. */
#define VALUE_JSON_DECODE_FLAGS JSON_ALLOW_NUL

enum value_type { VALUE_NULL, VALUE_INTEGER, VALUE_REAL, VALUE_TEXT,
    VALUE_BLOB };

struct value {
	enum value_type type;
	long long i;			/* VALUE_INTEGER */
	double r;			/* VALUE_REAL */
	const unsigned char *bytes;	/* VALUE_TEXT, VALUE_BLOB: n bytes,
					 * never NULL (an empty value is
					 * empty, not NULL) */
	size_t n;
	unsigned char *owned;		/* what value_release frees */
};

/* Returns a new reference to the JSON form of v; NULL with err set when v
 * has none (a NaN) or memory runs out. Never drops a value silently. */
SP_MUST_CHECK
json_t *value_to_json(const struct value *v, struct sp_error *err);

/* Reads the value a JSON value stands for; -1 with err set when it stands
 * for none (arrays, booleans, unknown objects, bad base64). v->bytes points
 * into j or into v->owned: j must outlive v, and value_release frees what
 * v owns. */
SP_MUST_CHECK
int value_from_json(json_t *j, struct value *v, struct sp_error *err);
void value_release(struct value *v);

/* 1 when the n bytes at s are UTF-8 as RFC 3629 defines it (no overlong
 * forms, no surrogates, nothing above U+10FFFF) without a NUL byte: the
 * text that travels as a plain JSON string. */
int value_plain_text(const unsigned char *s, size_t n);

#endif
