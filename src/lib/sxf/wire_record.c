/* wire_record.c: strict JSON encoding of records in transit. */
#include <ctype.h>
#include <string.h>

#include "sxf/value.h"
#include "sxf/siteid.h"
#include "sxf/wire_record.h"

int
guid_valid(const char *s)
{
	size_t n = strlen(s);

	if (n != 32)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

json_t *
wire_record_build(const struct store_record *rec, json_t *row, json_t *fk)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I, "
	    "s:s}",
	    "table", rec->table, "guid", rec->guid,
	    "op", rec->deleted ? "delete" : "upsert",
	    "origin", rec->origin, "owner", rec->owner,
	    "rowversion", (json_int_t)rec->rowversion,
	    "base", (json_int_t)rec->base,
	    "base_hlc", (json_int_t)rec->base_hlc,
	    "hlc", (json_int_t)rec->hlc, "hlc_site", rec->hlc_site);

	if (o == NULL)
		return NULL;
	if (rec->base_site[0] && json_object_set_new(o, "base_site",
	    json_string(rec->base_site)) != 0) {
		json_decref(o);
		return NULL;
	}
	if (!rec->deleted && rec->values_hlc != 0 &&
	    (json_object_set_new(o, "values_hlc",
	    json_integer((json_int_t)rec->values_hlc)) != 0 ||
	    json_object_set_new(o, "values_site",
	    json_string(rec->values_site)) != 0)) {
		json_decref(o);
		return NULL;
	}
	/* A record missing its columns must not travel as if complete. */
	if ((!rec->deleted && row != NULL &&
	    json_object_set(o, "columns", row) != 0) ||
	    (fk != NULL && json_object_size(fk) > 0 &&
	    json_object_set(o, "fk", fk) != 0)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* 1 when a string somewhere in v holds a NUL byte. */
static int
has_nul(json_t *v)
{
	const char *key;
	json_t *inner;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return strlen(json_string_value(v)) != json_string_length(v);
	case JSON_OBJECT:
		json_object_foreach(v, key, inner)
			if (has_nul(inner))
				return 1;
		return 0;
	case JSON_ARRAY:
		json_array_foreach(v, i, inner)
			if (has_nul(inner))
				return 1;
		return 0;
	default:
		return 0;
	}
}

static int
copy_site(char *dst, json_t *v, const char *field, struct sp_error *err)
{
	if (!json_is_string(v) || !siteid_valid(json_string_value(v)))
		return sp_error_set(err, "bad %s", field);
	strcpy(dst, json_string_value(v));
	return 0;
}

int
wire_record_parse(const char *line, size_t len, struct wire_record *w,
    struct sp_error *err)
{
	json_error_t jerr;
	json_t *v;
	const char *op;

	memset(w, 0, sizeof(*w));
	w->root = json_loadb(line, len, JSON_REJECT_DUPLICATES |
	    VALUE_JSON_DECODE_FLAGS, &jerr);
	if (w->root == NULL)
		return sp_error_set(err, "not JSON: %s", jerr.text);
	if (!json_is_object(w->root)) {
		sp_error_set(err, "not a JSON object");
		goto bad;
	}
	/* NUL bytes are accepted for the text of column values only (older
	 * writers sent them as \u0000); in a name, site or GUID, C strings
	 * would cut them short. */
	{
		const char *key;
		json_t *field;

		json_object_foreach(w->root, key, field)
			if (strcmp(key, "columns") != 0 && has_nul(field)) {
				sp_error_set(err, "NUL byte in %s", key);
				goto bad;
			}
	}
	v = json_object_get(w->root, "table");
	if (!json_is_string(v) || json_string_length(v) == 0 ||
	    json_string_length(v) >= sizeof(w->rec.table)) {
		sp_error_set(err, "bad table");
		goto bad;
	}
	strcpy(w->rec.table, json_string_value(v));
	v = json_object_get(w->root, "guid");
	if (!json_is_string(v) || !guid_valid(json_string_value(v))) {
		sp_error_set(err, "bad guid");
		goto bad;
	}
	strcpy(w->rec.guid, json_string_value(v));
	v = json_object_get(w->root, "op");
	op = json_is_string(v) ? json_string_value(v) : "";
	if (strcmp(op, "upsert") != 0 && strcmp(op, "delete") != 0 &&
	    strcmp(op, "move") != 0) {
		sp_error_set(err, "bad op");
		goto bad;
	}
	w->rec.deleted = op[0] == 'd';
	w->move = op[0] == 'm';
	if (copy_site(w->rec.origin, json_object_get(w->root, "origin"),
	    "origin", err) != 0 ||
	    copy_site(w->rec.owner, json_object_get(w->root, "owner"), "owner",
	    err) != 0 ||
	    copy_site(w->rec.hlc_site, json_object_get(w->root, "hlc_site"),
	    "hlc_site", err) != 0)
		goto bad;
	v = json_object_get(w->root, "rowversion");
	if (!json_is_integer(v) || json_integer_value(v) < 1) {
		sp_error_set(err, "bad rowversion");
		goto bad;
	}
	w->rec.rowversion = json_integer_value(v);
	v = json_object_get(w->root, "base");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		sp_error_set(err, "bad base");
		goto bad;
	}
	w->rec.base = json_integer_value(v);
	v = json_object_get(w->root, "base_hlc");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		sp_error_set(err, "bad base_hlc");
		goto bad;
	}
	w->rec.base_hlc = json_integer_value(v);
	v = json_object_get(w->root, "base_site");
	if (v != NULL && copy_site(w->rec.base_site, v, "base_site", err) != 0)
		goto bad;
	v = json_object_get(w->root, "hlc");
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		sp_error_set(err, "bad hlc");
		goto bad;
	}
	w->rec.hlc = json_integer_value(v);
	/* Both or neither; files of earlier versions have neither. */
	v = json_object_get(w->root, "values_hlc");
	if (v != NULL || json_object_get(w->root, "values_site") != NULL) {
		if (w->rec.deleted || !json_is_integer(v) ||
		    json_integer_value(v) < 1) {
			sp_error_set(err, "bad values_hlc");
			goto bad;
		}
		w->rec.values_hlc = json_integer_value(v);
		if (copy_site(w->rec.values_site, json_object_get(w->root,
		    "values_site"), "values_site", err) != 0)
			goto bad;
	}
	w->columns = json_object_get(w->root, "columns");
	if (!w->rec.deleted && !json_is_object(w->columns)) {
		sp_error_set(err, "upsert without columns");
		goto bad;
	}
	w->fk = json_object_get(w->root, "fk");
	if (w->fk != NULL && !json_is_object(w->fk)) {
		sp_error_set(err, "bad fk");
		goto bad;
	}
	return 0;
bad:
	json_decref(w->root);
	w->root = NULL;
	return -1;
}

void
wire_record_free(struct wire_record *w)
{
	json_decref(w->root);
	memset(w, 0, sizeof(*w));
}
