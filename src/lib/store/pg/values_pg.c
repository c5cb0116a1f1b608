/* values_pg.c: PostgreSQL column values to and from struct value
 * (sxf/value.h), by the column's type, so that what travels is what a
 * SQLite site stores for the same data and comes back unchanged:
 *
 *   smallint, integer, bigint   INTEGER
 *   boolean                     INTEGER 0 or 1 (writes take 0/1 or text)
 *   real, double precision      REAL, the shortest digits that read back
 *   numeric                     TEXT of the exact decimal: 99.90 stays 99.90
 *   bytea                       BLOB, its bytes (NUL bytes included)
 *   date                        TEXT YYYY-MM-DD
 *   timestamp                   TEXT YYYY-MM-DD HH:MM:SS[.ffffff]
 *   timestamptz                 TEXT of the instant in UTC, +00:00
 *   arrays (text[], ...)        TEXT of a JSON array, one-dimensional
 *   uuid, json, jsonb, text,    TEXT, the type's own text form
 *   anything else
 *
 * Documented in sxf(5), "Column values of a PostgreSQL site". */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/store_pg.h"
#include "sxf/value.h"
#include "util/hexenc.h"

/* A bytea read as encode(col, 'hex'). */
static json_t *
blob_json(const char *text, int len, struct sp_error *err)
{
	struct value v = { .type = VALUE_BLOB };
	unsigned char *buf = malloc((size_t)len / 2 + 1);
	json_t *j;

	if (buf == NULL) {
		sp_error_set(err, "out of memory");
		return NULL;
	}
	if (hex_decode(text, (size_t)len, buf) != 0) {
		free(buf);
		sp_error_set(err, "bytea read back as no hexadecimal");
		return NULL;
	}
	v.bytes = buf;
	v.n = (size_t)len / 2;
	j = value_to_json(&v, err);
	free(buf);
	return j;
}

json_t *
pg_value_json(enum pg_kind k, const char *text, int len, struct sp_error *err)
{
	struct value v = { .type = VALUE_TEXT };
	char *end;

	switch (k) {
	case PG_INT:
		errno = 0;
		v.type = VALUE_INTEGER;
		v.i = strtoll(text, &end, 10);
		if (errno != 0 || *end != '\0' || end == text) {
			sp_error_set(err, "integer read back as \"%s\"", text);
			return NULL;
		}
		break;
	case PG_BOOL:
		v.type = VALUE_INTEGER;
		v.i = text[0] == 't';
		break;
	case PG_FLOAT:
		/* "Infinity" and "-Infinity" read as such; "NaN" has no form
		 * and fails the record, as SQLite never stores one. */
		v.type = VALUE_REAL;
		v.r = strtod(text, &end);
		if (*end != '\0' || end == text) {
			sp_error_set(err, "number read back as \"%s\"", text);
			return NULL;
		}
		break;
	case PG_BYTEA:
		return blob_json(text, len, err);
	case PG_ARRAY:
		/* to_json of a one-dimensional array holds no array inside. */
		if (len > 1 && text[0] == '[' && text[1] == '[') {
			sp_error_set(err, "a multi-dimensional array does not "
			    "travel");
			return NULL;
		}
		/* FALLTHROUGH */
	default:
		v.bytes = (const unsigned char *)text;
		v.n = (size_t)len;
		break;
	}
	return value_to_json(&v, err);
}

/* The shortest text of r that reads back to r (integral in an integer
 * column, whose input takes no fraction). */
static void
real_text(char *buf, size_t size, double r, enum pg_kind k)
{
	if (isinf(r)) {
		snprintf(buf, size, "%s", r < 0 ? "-Infinity" : "Infinity");
		return;
	}
	if (k == PG_INT && r == floor(r) && fabs(r) < 9.2e18) {
		snprintf(buf, size, "%lld", (long long)r);
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, size, "%.*g", prec, r);
		if (strtod(buf, NULL) == r)
			return;
	}
}

int
pg_value_param(struct pg_params *p, int i, enum pg_kind k, json_t *j,
    struct sp_error *err)
{
	struct value v;
	char buf[40];
	int rc;

	if (value_from_json(j, &v, err) != 0)
		return -1;
	switch (v.type) {
	case VALUE_NULL:
		rc = pg_param_text(p, i, NULL, err);
		break;
	case VALUE_INTEGER:
	case VALUE_REAL:
		if (k == PG_BOOL)
			snprintf(buf, sizeof(buf), "%s", (v.type == VALUE_INTEGER ?
			    v.i != 0 : v.r != 0) ? "true" : "false");
		else if (v.type == VALUE_INTEGER)
			snprintf(buf, sizeof(buf), "%lld", v.i);
		else
			real_text(buf, sizeof(buf), v.r, k);
		rc = k == PG_BYTEA ? pg_param_bytes(p, i, buf, strlen(buf), err)
		    : pg_param_text(p, i, buf, err);
		break;
	default:
		/* A bytea takes any bytes; text and every other type's input
		 * end at a NUL, which they cannot hold. */
		if (k == PG_BYTEA) {
			rc = pg_param_bytes(p, i, v.bytes, v.n, err);
			break;
		}
		if (memchr(v.bytes, '\0', v.n) != NULL) {
			rc = sp_error_set(err, "%s holding a NUL byte cannot go "
			    "into a PostgreSQL column other than bytea",
			    v.type == VALUE_BLOB ? "a blob" : "text");
			break;
		}
		if (k == PG_ARRAY && v.n > 1 && v.bytes[0] == '[' &&
		    v.bytes[1] == '[') {
			rc = sp_error_set(err, "a multi-dimensional array does "
			    "not travel");
			break;
		}
		rc = pg_param_bytes(p, i, v.bytes, v.n, err);
		if (rc == 0)
			p->formats[i] = 0;	/* as text, ending in its NUL */
		break;
	}
	value_release(&v);
	return rc;
}

int
pg_value_binary(enum pg_kind k)
{
	return k == PG_BYTEA;
}

char *
pg_value_select(enum pg_kind k, const char *alias, const char *col)
{
	char *ref = NULL, *sql = NULL;
	int r = -1;

	if (asprintf(&ref, "%s%s%s", alias ? alias : "", alias ? "." : "",
	    col) < 0)
		return NULL;
	/* Each form is independent of the session's DateStyle, TimeZone
	 * and bytea_output. */
	switch (k) {
	case PG_BYTEA:
		r = asprintf(&sql, "encode(%s, 'hex')", ref);
		break;
	case PG_DATE:
		r = asprintf(&sql, "(to_json(%s) #>> '{}')", ref);
		break;
	case PG_TS:
		r = asprintf(&sql, "replace(to_json(%s) #>> '{}', 'T', ' ')", ref);
		break;
	case PG_TSTZ:
		r = asprintf(&sql, "CASE WHEN isfinite(%1$s) THEN replace(to_json("
		    "%1$s AT TIME ZONE 'UTC') #>> '{}', 'T', ' ') || '+00:00' "
		    "ELSE %1$s::text END", ref);
		break;
	case PG_ARRAY:
		r = asprintf(&sql, "to_json(%s)::text", ref);
		break;
	default:
		r = asprintf(&sql, "%s::text", ref);
		break;
	}
	free(ref);
	return r < 0 ? NULL : sql;
}

char *
pg_value_placeholder(enum pg_kind k, int n, const char *type)
{
	char *sql = NULL;
	int r;

	if (k == PG_ARRAY)
		r = asprintf(&sql, "CASE WHEN $%1$d::json IS NULL THEN NULL ELSE "
		    "ARRAY(SELECT json_array_elements_text($%1$d::json))::%2$s "
		    "END", n, type);
	else
		r = asprintf(&sql, "$%d", n);
	return r < 0 ? NULL : sql;
}
