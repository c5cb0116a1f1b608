/* wire_writer.c: the record lines of a pack written as a stream (yajl):
 * the metadata straight from struct store_record, in the order and form
 * of wire_record_build, with no DOM of the line and no second pass over
 * it (building and dumping one cost pack about a third of its time). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>

#include "sxf/wire_record.h"

/* The writer: one yajl generator reused for every line of a pack. */
struct wire_writer {
	yajl_gen g;
};

struct wire_writer *
wire_writer_new(struct sp_error *err)
{
	struct wire_writer *ww = calloc(1, sizeof(*ww));

	if (ww != NULL && (ww->g = yajl_gen_alloc(NULL)) == NULL) {
		free(ww);
		ww = NULL;
	}
	if (ww == NULL)
		sp_error_set(err, "out of memory");
	return ww;
}

void
wire_writer_free(struct wire_writer *ww)
{
	if (ww == NULL)
		return;
	yajl_gen_free(ww->g);
	free(ww);
}

#define GEN_OK(x) ((x) == yajl_gen_status_ok)

static int
gen_text(yajl_gen g, const char *s)
{
	return GEN_OK(yajl_gen_string(g, (const unsigned char *)s, strlen(s)));
}

/* An integer in decimal: yajl_gen_integer goes through sprintf, a fifth
 * of the generator's time on records made mostly of integers. */
static int
gen_integer(yajl_gen g, long long value)
{
	char buf[24], *p = buf + sizeof(buf);
	unsigned long long u = value < 0 ? 0ULL - (unsigned long long)value :
	    (unsigned long long)value;

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (value < 0)
		*--p = '-';
	return GEN_OK(yajl_gen_number(g, p, (size_t)(buf + sizeof(buf) - p)));
}

/* A real as jansson wrote it: 17 significant digits (every double reads
 * back the same), a fraction or an exponent always, the exponent without
 * '+' or leading zeros. */
static int
gen_real(yajl_gen g, double d)
{
	char buf[48], *start, *end;
	int n = snprintf(buf, sizeof(buf), "%.17g", d);

	if (n < 0 || n + 3 > (int)sizeof(buf))
		return 0;
	if (strchr(buf, '.') == NULL && strchr(buf, 'e') == NULL)
		strcpy(buf + n, ".0");
	if ((start = strchr(buf, 'e')) != NULL) {
		start++;
		end = start + 1;
		if (*start == '-')
			start++;
		while (*end == '0')
			end++;
		if (end != start)
			memmove(start, end, strlen(end) + 1);
	}
	return GEN_OK(yajl_gen_number(g, buf, strlen(buf)));
}

static int
gen_json(yajl_gen g, json_t *v)
{
	const char *key;
	json_t *inner;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (!GEN_OK(yajl_gen_map_open(g)))
			return 0;
		json_object_foreach(v, key, inner)
			if (!gen_text(g, key) || !gen_json(g, inner))
				return 0;
		return GEN_OK(yajl_gen_map_close(g));
	case JSON_ARRAY:
		if (!GEN_OK(yajl_gen_array_open(g)))
			return 0;
		json_array_foreach(v, i, inner)
			if (!gen_json(g, inner))
				return 0;
		return GEN_OK(yajl_gen_array_close(g));
	case JSON_STRING:
		return GEN_OK(yajl_gen_string(g, (const unsigned char *)
		    json_string_value(v), json_string_length(v)));
	case JSON_INTEGER:
		return gen_integer(g, json_integer_value(v));
	case JSON_REAL:
		return gen_real(g, json_real_value(v));
	case JSON_TRUE:
	case JSON_FALSE:
		return GEN_OK(yajl_gen_bool(g, json_is_true(v)));
	default:
		return GEN_OK(yajl_gen_null(g));
	}
}

static int
gen_pair(yajl_gen g, const char *key, const char *value)
{
	return gen_text(g, key) && gen_text(g, value);
}

static int
gen_int_pair(yajl_gen g, const char *key, long long value)
{
	return gen_text(g, key) && gen_integer(g, value);
}

int
wire_writer_line(struct wire_writer *ww, const struct store_record *rec,
    json_t *row, json_t *fk, const char *op, int revived,
    const char **text, size_t *len, struct sp_error *err)
{
	yajl_gen g = ww->g;
	const unsigned char *buf;
	int ok;

	yajl_gen_clear(g);
	if (op == NULL || strcmp(op, "upsert") == 0)
		op = rec->deleted ? "delete" : "upsert";
	/* The fields in wire_record_build's order. */
	ok = GEN_OK(yajl_gen_map_open(g)) &&
	    gen_pair(g, "table", rec->table) && gen_pair(g, "guid", rec->guid) &&
	    gen_pair(g, "op", op) && gen_pair(g, "origin", rec->origin) &&
	    gen_pair(g, "owner", rec->owner) &&
	    gen_int_pair(g, "rowversion", rec->rowversion) &&
	    gen_int_pair(g, "base", rec->base) &&
	    gen_int_pair(g, "base_hlc", rec->base_hlc) &&
	    gen_int_pair(g, "hlc", rec->hlc) &&
	    gen_pair(g, "hlc_site", rec->hlc_site);
	if (ok && rec->base_site[0])
		ok = gen_pair(g, "base_site", rec->base_site);
	if (ok && !rec->deleted && rec->values_hlc != 0)
		ok = gen_int_pair(g, "values_hlc", rec->values_hlc) &&
		    gen_pair(g, "values_site", rec->values_site);
	if (ok && !rec->deleted && row != NULL)
		ok = gen_text(g, "columns") && gen_json(g, row);
	if (ok && fk != NULL && json_object_size(fk) > 0)
		ok = gen_text(g, "fk") && gen_json(g, fk);
	if (ok && revived)
		ok = gen_text(g, "revived") && GEN_OK(yajl_gen_bool(g, 1));
	ok = ok && GEN_OK(yajl_gen_map_close(g));
	/* Ready for the next line; the separator ends this one. */
	yajl_gen_reset(g, "\n");
	if (!ok || !GEN_OK(yajl_gen_get_buf(g, &buf, len)))
		return sp_error_set(err, "%s %s: cannot encode the record",
		    rec->table, rec->guid);
	*text = (const char *)buf;
	return 0;
}
