/* wire_record.c: strict JSON encoding of records in transit, read as a
 * stream (yajl): the metadata go straight from the text into struct
 * store_record, and only the columns and foreign keys become jansson
 * values, which the apply reads. A DOM of every line cost apply about a
 * third of its time. The writer is wire_writer.c. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_parse.h>

#include "sxf/value.h"
#include "sxf/siteid.h"
#include "sxf/wire_record.h"

/* jansson's own limit, so that what it read before still reads. */
#define PARSE_DEPTH_MAX 2048

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

/* The metadata fields, read into fields[] as they come; the rest of the
 * line (columns, fk, revived, fields of later versions) goes into root. */
enum field {
	F_TABLE, F_GUID, F_OP, F_ORIGIN, F_OWNER, F_HLC_SITE, F_BASE_SITE,
	F_VALUES_SITE,			/* strings */
	F_ROWVERSION, F_BASE, F_BASE_HLC, F_HLC, F_VALUES_HLC, /* integers */
	F_COUNT
};
#define F_FIRST_INTEGER F_ROWVERSION

static const char *const field_names[F_COUNT] = {
	"table", "guid", "op", "origin", "owner", "hlc_site", "base_site",
	"values_site", "rowversion", "base", "base_hlc", "hlc", "values_hlc",
};

/* Their lengths, compared first. */
static const size_t field_sizes[F_COUNT] = {
	5, 4, 2, 6, 5, 8, 9, 11, 10, 4, 8, 3, 10,
};

enum field_kind { KIND_ABSENT, KIND_STRING, KIND_INTEGER, KIND_OTHER };

struct field_value {
	enum field_kind kind;
	long long i;
	char s[256];		/* longer strings are bad in every field */
};

struct level {
	json_t *container;	/* object or array being filled */
	char *key;		/* an object's key waiting for its value */
	size_t keysize;
};

struct parse_ctx {
	struct wire_record *w;
	struct field_value fields[F_COUNT];
	int depth;		/* 0 outside the line's object, 1 in it */
	int field;		/* the top-level key being read: enum field,
				 * or -1 for one kept in root */
	char topkey[256];	/* that key, for root and messages */
	char nul_in[256];	/* the first top-level key with a NUL */
	struct level *levels;	/* levels[d] for depth d >= 2 */
	int nlevels;
	int done;
	const char *error;	/* why a callback stopped the parse */
};

/* Strings as jansson takes them: UTF-8 as RFC 3629 defines it, NUL bytes
 * allowed (they are judged apart). */
static int
utf8_strict(const unsigned char *s, size_t n)
{
	const unsigned char *nul;

	while ((nul = memchr(s, 0, n)) != NULL) {
		if (!value_plain_text(s, (size_t)(nul - s)))
			return 0;
		n -= (size_t)(nul - s) + 1;
		s = nul + 1;
	}
	return value_plain_text(s, n);
}

static int
hex4(const char *p, const char *end, unsigned *cp)
{
	*cp = 0;
	if (end - p < 4)
		return 0;
	for (int i = 0; i < 4; i++) {
		int c = (unsigned char)p[i];
		if (!isxdigit(c))
			return 0;
		*cp = *cp << 4 | (unsigned)(isdigit(c) ? c - '0' :
		    tolower(c) - 'a' + 10);
	}
	return 1;
}

/* yajl turns an unpaired surrogate escape into '?': refused beforehand,
 * as jansson did. Backslashes only occur inside strings (anywhere else
 * yajl refuses the line), so a scan of the text finds every escape. */
static int
escapes_valid(const char *s, size_t len)
{
	const char *end = s + len, *p = s;
	unsigned cp, low;

	while ((p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
		if (end - p < 2)
			return 1;	/* yajl reports it */
		if (p[1] != 'u' || !hex4(p + 2, end, &cp)) {
			p += 2;
			continue;
		}
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			return 0;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			if (end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
			    !hex4(p + 8, end, &low) || low < 0xDC00 ||
			    low > 0xDFFF)
				return 0;
			p += 12;
		} else
			p += 6;
	}
	return 1;
}

static int
stop(struct parse_ctx *c, const char *why)
{
	c->error = why;
	return 0;
}

/* Keeps v (a new reference) where the parse stands: in the container of
 * the level, or in root under the top-level key. */
static int
put(struct parse_ctx *c, json_t *v)
{
	json_t *into;
	const char *key;

	if (v == NULL)
		return stop(c, "out of memory");
	if (c->depth >= 2) {
		struct level *l = &c->levels[c->depth];
		into = l->container;
		if (json_is_array(into)) {
			if (json_array_append_new(into, v) != 0)
				return stop(c, "out of memory");
			return 1;
		}
		key = l->key;
	} else {
		into = c->w->root;
		key = c->topkey;
		if (c->field >= 0)
			c->fields[c->field].kind = KIND_OTHER;
	}
	if (json_object_get(into, key) != NULL) {
		json_decref(v);
		return stop(c, "duplicate object key");
	}
	if (json_object_set_new_nocheck(into, key, v) != 0)
		return stop(c, "out of memory");
	return 1;
}

static int
on_null(void *ctx)
{
	struct parse_ctx *c = ctx;

	return put(c, json_null());
}

static int
on_boolean(void *ctx, int b)
{
	struct parse_ctx *c = ctx;

	return put(c, json_boolean(b));
}

/* Integers and reals told apart as jansson does: a fraction or an
 * exponent makes a real. */
static int
on_number(void *ctx, const char *s, size_t n)
{
	struct parse_ctx *c = ctx;
	char small[64], *buf = n < sizeof(small) ? small : malloc(n + 1);
	int real = memchr(s, '.', n) || memchr(s, 'e', n) || memchr(s, 'E', n);
	long long i = 0;
	double d = 0;
	int range;

	if (buf == NULL)
		return stop(c, "out of memory");
	memcpy(buf, s, n);
	buf[n] = '\0';
	errno = 0;
	if (real)
		d = strtod(buf, NULL);
	else
		i = strtoll(buf, NULL, 10);
	range = errno == ERANGE;
	if (buf != small)
		free(buf);
	if (!real && range)
		return stop(c, s[0] == '-' ? "too big negative integer" :
		    "too big integer");
	if (real && range && (d > 1 || d < -1))
		return stop(c, "real number overflow");
	if (real)
		return put(c, json_real(d));
	if (c->depth == 1 && c->field >= F_FIRST_INTEGER) {
		c->fields[c->field].kind = KIND_INTEGER;
		c->fields[c->field].i = i;
		return 1;
	}
	return put(c, json_integer((json_int_t)i));
}

static int
on_string(void *ctx, const unsigned char *s, size_t n)
{
	struct parse_ctx *c = ctx;

	if (!utf8_strict(s, n))
		return stop(c, "invalid UTF-8 string");
	if (c->depth == 1 && strcmp(c->topkey, "columns") != 0 &&
	    c->nul_in[0] == '\0' && memchr(s, 0, n) != NULL)
		snprintf(c->nul_in, sizeof(c->nul_in), "%s", c->topkey);
	if (c->depth == 1 && c->field >= 0 && c->field < F_FIRST_INTEGER) {
		struct field_value *f = &c->fields[c->field];
		if (n >= sizeof(f->s) || memchr(s, 0, n) != NULL) {
			f->kind = KIND_OTHER;
			return 1;
		}
		memcpy(f->s, s, n);
		f->s[n] = '\0';
		f->kind = KIND_STRING;
		return 1;
	}
	return put(c, json_stringn_nocheck((const char *)s, n));
}

static int
on_map_key(void *ctx, const unsigned char *s, size_t n)
{
	struct parse_ctx *c = ctx;

	if (memchr(s, 0, n) != NULL)
		return stop(c, "NUL byte in object key not supported");
	if (!utf8_strict(s, n))
		return stop(c, "invalid UTF-8 object key");
	if (c->depth >= 2) {
		struct level *l = &c->levels[c->depth];
		if (n + 1 > l->keysize) {
			char *grown = realloc(l->key, n + 1);
			if (grown == NULL)
				return stop(c, "out of memory");
			l->key = grown;
			l->keysize = n + 1;
		}
		memcpy(l->key, s, n);
		l->key[n] = '\0';
		return 1;
	}
	if (n >= sizeof(c->topkey))
		return stop(c, "object key too long");
	memcpy(c->topkey, s, n);
	c->topkey[n] = '\0';
	c->field = -1;
	for (int i = 0; i < F_COUNT; i++)
		if (field_sizes[i] == n && memcmp(field_names[i], s, n) == 0) {
			if (c->fields[i].kind != KIND_ABSENT)
				return stop(c, "duplicate object key");
			c->field = i;
			break;
		}
	return 1;
}

/* A container inside the line: built as a jansson value, one level more. */
static int
open_container(struct parse_ctx *c, json_t *v)
{
	if (!put(c, v))
		return 0;
	if (c->depth + 1 >= PARSE_DEPTH_MAX)
		return stop(c, "maximum parsing depth reached");
	if (c->depth + 1 >= c->nlevels) {
		int n = c->nlevels ? c->nlevels * 2 : 8;
		struct level *grown = realloc(c->levels, (size_t)n *
		    sizeof(*grown));
		if (grown == NULL)
			return stop(c, "out of memory");
		memset(grown + c->nlevels, 0, (size_t)(n - c->nlevels) *
		    sizeof(*grown));
		c->levels = grown;
		c->nlevels = n;
	}
	c->depth++;
	c->levels[c->depth].container = v;	/* borrowed: put keeps it */
	return 1;
}

static int
close_container(struct parse_ctx *c)
{
	c->depth--;
	/* Back at a top-level value: NULs count outside columns only. */
	if (c->depth == 1 && strcmp(c->topkey, "columns") != 0 &&
	    c->nul_in[0] == '\0' && has_nul(c->levels[2].container))
		snprintf(c->nul_in, sizeof(c->nul_in), "%s", c->topkey);
	return 1;
}

static int
on_start_map(void *ctx)
{
	struct parse_ctx *c = ctx;

	if (c->depth == 0) {
		if (c->done)
			return stop(c, "trailing garbage");
		c->depth = 1;
		return 1;
	}
	return open_container(c, json_object());
}

static int
on_end_map(void *ctx)
{
	struct parse_ctx *c = ctx;

	if (c->depth == 1) {
		c->depth = 0;
		c->done = 1;
		return 1;
	}
	return close_container(c);
}

static int
on_start_array(void *ctx)
{
	struct parse_ctx *c = ctx;

	if (c->depth == 0)
		return stop(c, "not a JSON object");
	return open_container(c, json_array());
}

static int
on_end_array(void *ctx)
{
	return close_container(ctx);
}

static const yajl_callbacks parse_callbacks = {
	on_null, on_boolean, NULL, NULL, on_number, on_string, on_start_map,
	on_map_key, on_end_map, on_start_array, on_end_array,
};

/* The string of field f, or NULL when it is absent or not a string. */
static const char *
field_string(const struct parse_ctx *c, enum field f)
{
	return c->fields[f].kind == KIND_STRING ? c->fields[f].s : NULL;
}

static int
copy_site(char *dst, const struct parse_ctx *c, enum field f,
    struct sp_error *err)
{
	const char *s = field_string(c, f);

	if (s == NULL || !siteid_valid(s))
		return sp_error_set(err, "bad %s", field_names[f]);
	strcpy(dst, s);
	return 0;
}

/* Field f as an integer of at least min into *out. */
static int
copy_integer(long long *out, const struct parse_ctx *c, enum field f,
    long long min, struct sp_error *err)
{
	if (c->fields[f].kind != KIND_INTEGER || c->fields[f].i < min)
		return sp_error_set(err, "bad %s", field_names[f]);
	*out = c->fields[f].i;
	return 0;
}

/* The checks of a parsed line, in the order the messages have always
 * come in. */
static int
check_fields(struct parse_ctx *c, struct sp_error *err)
{
	struct wire_record *w = c->w;
	const char *s, *op;

	if (c->nul_in[0])
		return sp_error_set(err, "NUL byte in %s", c->nul_in);
	s = field_string(c, F_TABLE);
	if (s == NULL || s[0] == '\0' || strlen(s) >= sizeof(w->rec.table))
		return sp_error_set(err, "bad table");
	strcpy(w->rec.table, s);
	s = field_string(c, F_GUID);
	if (s == NULL || !guid_valid(s))
		return sp_error_set(err, "bad guid");
	strcpy(w->rec.guid, s);
	op = field_string(c, F_OP);
	if (op == NULL)
		op = "";
	if (strcmp(op, "upsert") != 0 && strcmp(op, "delete") != 0 &&
	    strcmp(op, "move") != 0)
		return sp_error_set(err, "bad op");
	w->rec.deleted = op[0] == 'd';
	w->move = op[0] == 'm';
	if (copy_site(w->rec.origin, c, F_ORIGIN, err) != 0 ||
	    copy_site(w->rec.owner, c, F_OWNER, err) != 0 ||
	    copy_site(w->rec.hlc_site, c, F_HLC_SITE, err) != 0 ||
	    copy_integer(&w->rec.rowversion, c, F_ROWVERSION, 1, err) != 0 ||
	    copy_integer(&w->rec.base, c, F_BASE, 0, err) != 0 ||
	    copy_integer(&w->rec.base_hlc, c, F_BASE_HLC, 0, err) != 0)
		return -1;
	if (c->fields[F_BASE_SITE].kind != KIND_ABSENT &&
	    copy_site(w->rec.base_site, c, F_BASE_SITE, err) != 0)
		return -1;
	if (copy_integer(&w->rec.hlc, c, F_HLC, 0, err) != 0)
		return -1;
	/* Both or neither; files of earlier versions have neither. */
	if (c->fields[F_VALUES_HLC].kind != KIND_ABSENT ||
	    c->fields[F_VALUES_SITE].kind != KIND_ABSENT) {
		if (w->rec.deleted || copy_integer(&w->rec.values_hlc, c,
		    F_VALUES_HLC, 1, err) != 0)
			return sp_error_set(err, "bad values_hlc");
		if (copy_site(w->rec.values_site, c, F_VALUES_SITE, err) != 0)
			return -1;
	}
	w->columns = json_object_get(w->root, "columns");
	if (!w->rec.deleted && !json_is_object(w->columns))
		return sp_error_set(err, "upsert without columns");
	w->fk = json_object_get(w->root, "fk");
	if (w->fk != NULL && !json_is_object(w->fk))
		return sp_error_set(err, "bad fk");
	return 0;
}

int
wire_record_parse(const char *line, size_t len, struct wire_record *w,
    struct sp_error *err)
{
	struct parse_ctx ctx, *c = &ctx;
	yajl_handle h = NULL;
	int rc = -1;

	/* Only what is read before it is written: a field's text is
	 * written before its kind says it is there. */
	memset(w, 0, sizeof(*w));
	for (int i = 0; i < F_COUNT; i++)
		c->fields[i].kind = KIND_ABSENT;
	c->depth = c->nlevels = c->done = 0;
	c->field = -1;
	c->topkey[0] = c->nul_in[0] = '\0';
	c->levels = NULL;
	c->error = NULL;
	if ((w->root = json_object()) == NULL ||
	    (h = yajl_alloc(&parse_callbacks, NULL, c)) == NULL) {
		sp_error_set(err, "out of memory");
		goto cleanup;
	}
	c->w = w;
	if (!escapes_valid(line, len)) {
		sp_error_set(err, "not JSON: invalid Unicode escape");
		goto cleanup;
	}
	if (yajl_parse(h, (const unsigned char *)line, len) != yajl_status_ok ||
	    yajl_complete_parse(h) != yajl_status_ok) {
		if (c->error != NULL && strcmp(c->error, "not a JSON object") == 0)
			sp_error_set(err, "not a JSON object");
		else if (c->error != NULL)
			sp_error_set(err, "not JSON: %s", c->error);
		else {
			unsigned char *why = yajl_get_error(h, 0, NULL, 0);
			sp_error_set(err, "not JSON: %s", why ? (char *)why :
			    "parse error");
			yajl_free_error(h, why);
		}
		goto cleanup;
	}
	if (!c->done) {
		sp_error_set(err, "not a JSON object");
		goto cleanup;
	}
	rc = check_fields(c, err);
cleanup:
	if (h != NULL)
		yajl_free(h);
	for (int i = 0; i < c->nlevels; i++)
		free(c->levels[i].key);
	free(c->levels);
	if (rc != 0) {
		json_decref(w->root);
		memset(w, 0, sizeof(*w));
	}
	return rc;
}

void
wire_record_free(struct wire_record *w)
{
	json_decref(w->root);
	memset(w, 0, sizeof(*w));
}
