/* key_sql.c: rkeys of single, composite and absent primary keys, and the
 * SQL between rows and rkeys (key_sql.h). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "store/sqlite/key_sql.h"
#include "util/hexenc.h"
#include "store/tables.h"

int
key_columns(const char *pk, char ***names, int *count)
{
	json_t *list, *v;
	size_t i;
	int ok = 1;

	*names = NULL;
	*count = 0;
	if (pk == NULL || pk[0] == '\0')
		return 0;
	if (pk[0] != '[') {
		if ((*names = calloc(1, sizeof(**names))) == NULL ||
		    ((*names)[0] = strdup(pk)) == NULL) {
			free(*names);
			*names = NULL;
			return -1;
		}
		*count = 1;
		return 1;
	}
	if ((list = json_loads(pk, 0, NULL)) == NULL)
		return 0;
	if (!json_is_array(list) || json_array_size(list) < 2 ||
	    (*names = calloc(json_array_size(list), sizeof(**names))) == NULL) {
		ok = json_is_array(list) && json_array_size(list) >= 2 ? -1 : 0;
		json_decref(list);
		return ok;
	}
	json_array_foreach(list, i, v) {
		if (!json_is_string(v)) {
			ok = 0;
			break;
		}
		if (((*names)[i] = strdup(json_string_value(v))) == NULL) {
			ok = -1;
			break;
		}
		*count = (int)i + 1;
	}
	json_decref(list);
	if (ok != 1) {
		tracked_columns_free(*names, *count);
		*names = NULL;
		*count = 0;
	}
	return ok;
}

char *
key_pk_text(char *const *cols, int n)
{
	json_t *list = json_array();
	char *text = NULL;

	for (int i = 0; list != NULL && i < n; i++)
		if (json_array_append_new(list, json_string(cols[i])) != 0) {
			json_decref(list);
			return NULL;
		}
	if (list != NULL)
		text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	return text;
}

int
key_is_composite(const char *pk)
{
	return pk != NULL && pk[0] == '[';
}

/* alias."col", or "col" without alias; sqlite3_mprintf memory. */
static char *
column_ref(const char *alias, const char *col)
{
	return alias ? sqlite3_mprintf("%s.\"%w\"", alias, col)
	    : sqlite3_mprintf("\"%w\"", col);
}

/* Joins one piece per key column with sep; piece formats the column. */
static char *
join_columns(const char *pk, const char *sep,
    char *(*piece)(const char *ref, int i, const void *arg),
    const char *alias, const void *arg)
{
	char **cols, *sql = NULL;
	int n;

	if (key_columns(pk, &cols, &n) != 1)
		return NULL;
	sql = sqlite3_mprintf("%s", "");
	for (int i = 0; i < n && sql != NULL; i++) {
		char *ref = column_ref(alias, cols[i]);
		char *p = ref ? piece(ref, i, arg) : NULL;
		char *next = p ? sqlite3_mprintf("%s%s%s", sql, i ? sep : "", p)
		    : NULL;
		sqlite3_free(ref);
		sqlite3_free(p);
		sqlite3_free(sql);
		sql = next;
	}
	tracked_columns_free(cols, n);
	return sql;
}

/* quote() is exact for every storage class but for text holding a NUL,
 * which it cuts short: such text goes as T and its bytes in hex. */
static char *
encode_piece(const char *ref, int i, const void *arg)
{
	(void)i;
	(void)arg;
	return sqlite3_mprintf("iif(typeof(%s) = 'text' AND instr(%s, "
	    "char(0)), 'T' || hex(%s), quote(%s))", ref, ref, ref, ref);
}

static char *
plain_piece(const char *ref, int i, const void *arg)
{
	(void)i;
	(void)arg;
	return sqlite3_mprintf("%s", ref);
}

static char *
match_piece(const char *ref, int i, const void *arg)
{
	return sqlite3_mprintf("%s = syncpack_key_part(%s, %d)", ref,
	    (const char *)arg, i);
}

char *
key_sql_expr(const char *pk, const char *alias)
{
	if (!key_is_composite(pk))
		return join_columns(pk, "", plain_piece, alias, NULL);
	return join_columns(pk, " || ',' || ", encode_piece, alias, NULL);
}

char *
key_sql_match(const char *pk, const char *alias, const char *value)
{
	if (key_is_composite(pk))
		return join_columns(pk, " AND ", match_piece, alias, value);
	{
		char *ref = key_sql_expr(pk, alias);
		char *sql = ref ? sqlite3_mprintf("%s = %s", ref, value) : NULL;
		sqlite3_free(ref);
		return sql;
	}
}

static char *
same_piece(const char *ref, int i, const void *arg)
{
	const char *const *cols = arg;

	return sqlite3_mprintf("%s = %s.\"%w\"", ref, cols[0], cols[1 + i]);
}

char *
key_sql_same(const char *pk, const char *alias, const char *other)
{
	char **cols, *sql;
	const char **arg;
	int n;

	if (key_columns(pk, &cols, &n) != 1)
		return NULL;
	if ((arg = calloc((size_t)n + 1, sizeof(*arg))) == NULL) {
		tracked_columns_free(cols, n);
		return NULL;
	}
	arg[0] = other;
	for (int i = 0; i < n; i++)
		arg[1 + i] = cols[i];
	sql = join_columns(pk, " AND ", same_piece, alias, arg);
	free(arg);
	tracked_columns_free(cols, n);
	return sql;
}

static char *
null_piece(const char *ref, int i, const void *arg)
{
	(void)i;
	(void)arg;
	return sqlite3_mprintf("%s IS NULL", ref);
}

char *
key_sql_any_null(const char *pk, const char *alias)
{
	return join_columns(pk, " OR ", null_piece, alias, NULL);
}

char *
key_sql_first(const char *pk)
{
	char **cols, *name;
	int n;

	if (key_columns(pk, &cols, &n) != 1)
		return NULL;
	name = sqlite3_mprintf("%s", cols[0]);
	tracked_columns_free(cols, n);
	return name;
}

int
key_parts(const char *text, size_t n, key_part_cb cb, void *ctx)
{
	char *buf = malloc(n + 1);
	size_t p = 0;
	int index = 0, rc = 0;

	if (buf == NULL)
		return -1;
	while (rc == 0) {
		size_t start = p, len = 0;
		int type;

		if (p < n && text[p] == '\'') {
			/* 'text', a quote inside doubled */
			type = SQLITE_TEXT;
			for (p++;; p++) {
				if (p >= n) {
					rc = -1;
					break;
				}
				if (text[p] == '\'') {
					if (p + 1 < n && text[p + 1] == '\'')
						p++;
					else {
						p++;
						break;
					}
				}
				buf[len++] = text[p];
			}
		} else if (p + 1 < n && (text[p] == 'X' || text[p] == 'x') &&
		    text[p + 1] == '\'') {
			const char *end = memchr(text + p + 2, '\'', n - p - 2);
			type = SQLITE_BLOB;
			if (end == NULL || hex_decode(text + p + 2, (size_t)(end -
			    text) - p - 2, (unsigned char *)buf) != 0)
				rc = -1;
			else {
				len = ((size_t)(end - text) - p - 2) / 2;
				p = (size_t)(end - text) + 1;
			}
		} else {
			while (p < n && text[p] != ',')
				p++;
			len = p - start;
			memcpy(buf, text + start, len);
			buf[len] = '\0';
			if (len > 1 && buf[0] == 'T') {
				type = SQLITE_TEXT;
				if (hex_decode(buf + 1, len - 1,
				    (unsigned char *)buf) != 0)
					rc = -1;
				len = (len - 1) / 2;
			} else if (len == 4 && memcmp(buf, "NULL", 4) == 0)
				type = SQLITE_NULL;
			else if (len > 0 && strspn(buf, "-0123456789") == len)
				type = SQLITE_INTEGER;
			else if (len > 0)
				type = SQLITE_FLOAT;
			else
				rc = -1;
		}
		if (rc != 0)
			break;
		rc = cb(ctx, index++, type, buf, len);
		if (rc != 0 || p >= n)
			break;
		if (text[p] != ',')
			rc = -1;
		p++;
	}
	free(buf);
	return rc;
}

struct part_want {
	sqlite3_context *fn;
	int want;
	int done;
};

static int
part_result(void *ctx, int index, int type, const char *bytes, size_t n)
{
	struct part_want *w = ctx;
	char *end;

	if (index != w->want)
		return 0;
	w->done = 1;
	switch (type) {
	case SQLITE_NULL:
		sqlite3_result_null(w->fn);
		break;
	case SQLITE_INTEGER: {
		long long v;
		errno = 0;
		v = strtoll(bytes, &end, 10);
		if (errno != 0 || *end != '\0')
			return -1;
		sqlite3_result_int64(w->fn, v);
		break;
	}
	case SQLITE_FLOAT: {
		double v = strtod(bytes, &end);
		if (*end != '\0')
			return -1;
		sqlite3_result_double(w->fn, v);
		break;
	}
	case SQLITE_TEXT:
		sqlite3_result_text64(w->fn, bytes, n, SQLITE_TRANSIENT,
		    SQLITE_UTF8);
		break;
	default:
		sqlite3_result_blob64(w->fn, bytes, n, SQLITE_TRANSIENT);
		break;
	}
	return 1;	/* stops the walk: the part is found */
}

static void
key_part_fn(sqlite3_context *fn, int argc, sqlite3_value **argv)
{
	struct part_want w = { fn, sqlite3_value_int(argv[1]), 0 };
	const char *text = (const char *)sqlite3_value_text(argv[0]);
	int rc;

	(void)argc;
	if (sqlite3_value_type(argv[0]) == SQLITE_NULL) {
		sqlite3_result_null(fn);
		return;
	}
	if (text == NULL) {
		sqlite3_result_error_nomem(fn);
		return;
	}
	rc = key_parts(text, (size_t)sqlite3_value_bytes(argv[0]), part_result,
	    &w);
	if (rc < 0 || !w.done)
		sqlite3_result_error(fn, "syncpack: damaged composite key in "
		    "the metadata", -1);
}

int
key_sql_register(sqlite3 *db)
{
	return sqlite3_create_function(db, "syncpack_key_part", 2, SQLITE_UTF8 |
	    SQLITE_DETERMINISTIC, NULL, key_part_fn, NULL, NULL);
}
