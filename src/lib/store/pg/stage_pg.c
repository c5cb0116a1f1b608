/* stage_pg.c: the writes a batch queues (batch_pg.c) and how they reach
 * their table: each field of the queued rows and their metadata an
 * element of one array per field, and one statement per table and flush
 * that unnests them, inserts the new rows, updates the known ones and
 * upserts every record's metadata. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/pg/store_pg.h"

/* The metadata's fields, as the arrays before the columns' carry them,
 * with their types. */
#define META_FIELDS 16
static const char *const meta_types[META_FIELDS] = {
	"boolean", "text", "text", "text", "bigint", "bigint", "text",
	"bigint", "integer", "text", "bigint", "bigint", "text", "bigint",
	"text", NULL
};
#define META_NAMES "m_known, m_guid, m_origin, m_owner, m_rowversion, m_hlc, " \
	"m_hlc_site, m_lseq, m_flags, m_src, m_base, m_base_hlc, " \
	"m_base_site, m_values_hlc, m_values_site, m_match"

/* Types whose text is the key's value whatever the column's modifier,
 * so that a row's rkey can be had from the incoming value. */
static const char *const exact_keys[] = {
	"bigint", "integer", "smallint", "text", "character varying", "uuid",
	NULL
};

void
pg_stage_clear(struct pg_batch_table *bt, int all)
{
	for (int i = 0; i < bt->narrays; i++) {
		bt->arrays[i].len = 0;
		if (all)
			free(bt->arrays[i].text);
	}
	bt->rows = bt->fresh = 0;
	if (!all)
		return;
	free(bt->arrays);
	free(bt->seq);
	free(bt->sql);
	memset(bt, 0, sizeof(*bt));
}

static int
grow(struct pg_batch_array *a, size_t more, struct sp_error *err)
{
	size_t n = a->cap ? a->cap : 1024;
	char *p;

	if (a->len + more <= a->cap)
		return 0;
	while (n < a->len + more)
		n *= 2;
	if ((p = realloc(a->text, n)) == NULL)
		return sp_error_set(err, "out of memory");
	a->text = p;
	a->cap = n;
	return 0;
}

/* One element of an array literal: NULL, or the text double-quoted with
 * its quotes and backslashes escaped (bytea: its hex input form). */
static int
put(struct pg_batch_array *a, const char *s, size_t n, int hex,
    struct sp_error *err)
{
	static const char digits[] = "0123456789abcdef";
	char sep = a->len == 0 ? '{' : ',';

	/* At most a separator, two quotes, \\x and two bytes for each. */
	if (grow(a, 2 * n + 8, err) != 0)
		return -1;
	a->text[a->len++] = sep;
	if (s == NULL) {
		memcpy(a->text + a->len, "NULL", 4);
		a->len += 4;
		return 0;
	}
	a->text[a->len++] = '"';
	if (hex) {
		memcpy(a->text + a->len, "\\\\x", 3);
		a->len += 3;
		for (size_t i = 0; i < n; i++) {
			unsigned char c = (unsigned char)s[i];
			a->text[a->len++] = digits[c >> 4];
			a->text[a->len++] = digits[c & 15];
		}
	} else
		for (size_t i = 0; i < n; i++) {
			if (s[i] == '"' || s[i] == '\\')
				a->text[a->len++] = '\\';
			a->text[a->len++] = s[i];
		}
	a->text[a->len++] = '"';
	return 0;
}

static int
put_str(struct pg_batch_array *a, const char *s, struct sp_error *err)
{
	return put(a, s, s ? strlen(s) : 0, 0, err);
}

/* Empty as NULL, as the metadata's nullif does. */
static int
put_opt(struct pg_batch_array *a, const char *s, struct sp_error *err)
{
	return put_str(a, s[0] ? s : NULL, err);
}

static int
put_ll(struct pg_batch_array *a, long long v, struct sp_error *err)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", v);
	return put_str(a, buf, err);
}

/* The record's metadata; known: syncpack.record has it (a tombstone
 * maybe), rkey: the key of its row (NULL: a new row). */
static int
put_meta(struct pg_batch_array *a, const struct store_record *rec,
    int known, long long lseq, const char *rkey, struct sp_error *err)
{
	if (put_str(a++, known ? "t" : "f", err) != 0)
		return -1;
	return put_str(&a[0], rec->guid, err) ||
	    put_str(&a[1], rec->origin, err) ||
	    put_str(&a[2], rec->owner, err) ||
	    put_ll(&a[3], rec->rowversion, err) ||
	    put_ll(&a[4], rec->hlc, err) ||
	    put_str(&a[5], rec->hlc_site, err) ||
	    put_ll(&a[6], lseq, err) ||
	    put_ll(&a[7], rec->flags, err) ||
	    put_opt(&a[8], rec->src, err) ||
	    put_ll(&a[9], rec->base, err) ||
	    put_ll(&a[10], rec->base_hlc, err) ||
	    put_opt(&a[11], rec->base_site, err) ||
	    put_ll(&a[12], rec->values_hlc, err) ||
	    put_opt(&a[13], rec->values_site, err) ||
	    put_str(&a[14], rkey, err) ? -1 : 0;
}

int
pg_stage_line(struct store_pg *sp, struct pg_table *t,
    const struct store_record *rec, json_t *row, int known, const char *rkey,
    long long lseq, struct sp_error *err)
{
	struct pg_batch_table *bt = &sp->batch.tables[t - sp->tables];
	struct pg_params p;
	int rc = -1;

	if (bt->arrays == NULL) {
		bt->narrays = META_FIELDS + t->ncolumns;
		if ((bt->arrays = calloc((size_t)bt->narrays,
		    sizeof(*bt->arrays))) == NULL) {
			bt->narrays = 0;
			return sp_error_set(err, "out of memory");
		}
	}
	if (pg_params_init(&p, t->ncolumns, err) != 0)
		return -1;
	/* Each value as the statement of a single write takes it, so that
	 * both ways of writing agree on every value. */
	for (int c = 0; c < t->ncolumns; c++) {
		if (t->local_key && c == t->key_col)
			continue;
		if (pg_value_param(&p, c, t->kinds[c], json_object_get(row,
		    t->columns[c]), err) != 0) {
			sp_error_prefix(err, "%s.%s", t->name, t->columns[c]);
			goto done;
		}
	}
	if (put_meta(bt->arrays, rec, known, lseq, rkey, err) != 0)
		goto done;
	for (int c = 0; c < t->ncolumns; c++) {
		const char *v = p.values[c];
		int bin = v != NULL && p.formats[c] == 1;
		if (put(&bt->arrays[META_FIELDS + c], v, bin ?
		    (size_t)p.lengths[c] : v ? strlen(v) : 0, bin, err) != 0)
			goto done;
	}
	bt->rows++;
	bt->fresh += rkey == NULL;
	rc = 0;
done:
	pg_params_free(&p);
	return rc;
}

/* The statement writing a flush of t: its CTE s the queued rows (m_*
 * their metadata, cN their columns, k a new local key), then the INSERT
 * of the new ones, the UPDATE of the known ones and the upsert of the
 * metadata, each counted. */
static char *
flush_sql(const struct pg_table *t, const struct pg_batch_table *bt)
{
	char *sql = strdup("WITH s AS MATERIALIZED (SELECT u.*, "), num[16],
	    col[32];
	int local = t->local_key, first;

	pg_sql_append(&sql, local ? "CASE WHEN u.m_match IS NULL THEN nextval(%s) END"
	    " AS k" : "NULL::bigint AS k", bt->seq, NULL);
	pg_sql_append(&sql, " FROM unnest(", NULL, NULL);
	for (int i = 0; i < bt->narrays; i++) {
		const char *type = i < META_FIELDS - 1 ? meta_types[i] :
		    i == META_FIELDS - 1 ? t->types[t->key_col] :
		    t->types[i - META_FIELDS];
		snprintf(num, sizeof(num), "%s$%d", i ? ", " : "", i + 1);
		pg_sql_append(&sql, "%s::%s[]", num, type);
	}
	pg_sql_append(&sql, ") WITH ORDINALITY AS u(" META_NAMES, NULL, NULL);
	for (int c = 0; c < t->ncolumns; c++) {
		snprintf(col, sizeof(col), ", c%d", c);
		pg_sql_append(&sql, "%s", col, NULL);
	}
	pg_sql_append(&sql, ", ord)), ins AS (INSERT INTO %s (", t->name, NULL);
	for (int c = 0; c < t->ncolumns; c++)
		pg_sql_append(&sql, c ? ", %s" : "%s", t->qcolumns[c], NULL);
	pg_sql_append(&sql, ")%s SELECT ", local ? " OVERRIDING SYSTEM VALUE" : "",
	    NULL);
	for (int c = 0; c < t->ncolumns; c++) {
		snprintf(col, sizeof(col), "%sc%d", c ? ", " : "", c);
		pg_sql_append(&sql, "%s", local && c == t->key_col ? (c ? ", k" : "k") : col,
		    NULL);
	}
	pg_sql_append(&sql, " FROM s WHERE m_match IS NULL ORDER BY ord RETURNING 1), "
	    "upd AS (UPDATE %s AS d SET ", t->name, NULL);
	first = 1;
	for (int c = 0; c < t->ncolumns; c++) {
		if (local && c == t->key_col)
			continue;
		snprintf(col, sizeof(col), "c%d", c);
		pg_sql_append(&sql, first ? "%s = s.%s" : ", %s = s.%s", t->qcolumns[c],
		    col);
		first = 0;
	}
	pg_sql_append(&sql, " FROM s WHERE s.m_match IS NOT NULL AND d.%s = s.m_match "
	    "RETURNING 1), ", t->key_qcols[0], NULL);
	/* The metadata of records new here by a plain INSERT, the rest by
	 * an UPDATE: ON CONFLICT's speculative insertion took twice the
	 * time of both together. */
	snprintf(num, sizeof(num), "%lld", t->id);
	snprintf(col, sizeof(col), "c%d", t->key_col);
	pg_sql_append(&sql, "fresh AS (INSERT INTO syncpack.record(" META_COLUMNS ") "
	    "SELECT m_guid, %s, to_jsonb(%s) #>> '{}', m_origin, m_owner, "
	    "m_rowversion, m_hlc, m_hlc_site, m_lseq, 0, m_flags, m_src, "
	    "m_base, m_base_hlc, m_base_site, m_values_hlc, m_values_site FROM "
	    "s WHERE NOT m_known ORDER BY ord RETURNING 1), ", num,
	    local ? "coalesce(k, m_match)" : col);
	pg_sql_append(&sql, "known AS (UPDATE syncpack.record AS r SET tbl = %s, rkey = "
	    "to_jsonb(%s) #>> '{}', origin = m_origin, owner = m_owner, "
	    "rowversion = m_rowversion, hlc = m_hlc, hlc_site = m_hlc_site, "
	    "lseq = m_lseq, deleted = 0, flags = m_flags, src = m_src, base = "
	    "m_base, base_hlc = m_base_hlc, base_site = m_base_site, "
	    "values_hlc = m_values_hlc, values_site = m_values_site FROM s "
	    "WHERE m_known AND r.guid = s.m_guid RETURNING 1) ", num,
	    local ? "coalesce(k, m_match)" : col);
	pg_sql_append(&sql, "SELECT (SELECT count(*) FROM ins), (SELECT count(*) FROM "
	    "upd), (SELECT count(*) FROM fresh) + (SELECT count(*) FROM known)",
	    NULL, NULL);
	return sql;
}

/* A local key's sequence, as a literal, once. */
static int
sequence_of(struct store_pg *sp, const struct pg_table *t,
    struct pg_batch_table *bt, struct sp_error *err)
{
	struct pg_params p;
	PGresult *res;

	if (bt->seq != NULL)
		return 0;
	if (pg_params_init(&p, 2, err) != 0)
		return -1;
	res = pg_param_text(&p, 0, t->name, err) || pg_param_text(&p, 1, t->pk,
	    err) ? NULL : pg_stmt_run(sp, NULL, "SELECT quote_literal("
	    "pg_get_serial_sequence($1, $2))", &p, err);
	pg_params_free(&p);
	if (res == NULL)
		return -1;
	if (PQgetisnull(res, 0, 0)) {
		PQclear(res);
		return sp_error_set(err, "%s: the local key %s has no sequence",
		    t->name, t->pk);
	}
	bt->seq = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return bt->seq != NULL ? 0 : sp_error_set(err, "out of memory");
}

static int
table_flush(struct store_pg *sp, const struct pg_table *t,
    struct pg_batch_table *bt, struct sp_error *err)
{
	struct pg_params p;
	PGresult *res;
	long long ins, upd, meta;
	int rc = -1;

	if (t->local_key && sequence_of(sp, t, bt, err) != 0)
		return -1;
	if (bt->sql == NULL && (bt->sql = flush_sql(t, bt)) == NULL)
		return sp_error_set(err, "out of memory");
	if (pg_params_init(&p, bt->narrays, err) != 0)
		return -1;
	for (int i = 0; i < bt->narrays; i++) {
		struct pg_batch_array *a = &bt->arrays[i];
		if (grow(a, 2, err) != 0)
			goto done;
		a->text[a->len] = '}';
		a->text[a->len + 1] = '\0';
		/* Taken as they are: the parameter is only read. */
		p.values[i] = a->text;
	}
	res = pg_stmt_run(sp, t, bt->sql, &p, err);
	for (int i = 0; i < bt->narrays; i++)
		p.values[i] = NULL;
	if (res == NULL)
		goto done;
	ins = atoll(PQgetvalue(res, 0, 0));
	upd = atoll(PQgetvalue(res, 0, 1));
	meta = atoll(PQgetvalue(res, 0, 2));
	PQclear(res);
	if (ins != bt->fresh || upd != bt->rows - bt->fresh || meta != bt->rows)
		sp_error_set(err, "%s: %lld new rows and %lld known written, of "
		    "%d and %d", t->name, ins, upd, bt->fresh, bt->rows -
		    bt->fresh);
	else
		rc = 0;
done:
	pg_params_free(&p);
	return rc;
}

int
pg_stage_flush(struct store_pg *sp, struct sp_error *err)
{
	for (int i = 0; i < sp->ntables; i++) {
		struct pg_batch_table *bt = &sp->batch.tables[i];
		int rc;

		if (bt->rows == 0)
			continue;
		rc = table_flush(sp, &sp->tables[i], bt, err);
		pg_stage_clear(bt, 0);
		if (rc != 0)
			return -1;
	}
	return 0;
}

int
pg_stage_takes(const struct pg_table *t, json_t *row)
{
	const char *col;
	json_t *v;
	int n = 0, exact = t->local_key;

	/* A composite key's rows go one by one (the stage matches rows by
	 * one column), and so do those of a --rowversion-column table, whose
	 * column follows the record's rowversion after the row is written
	 * (writes_pg.c), which the hub may have moved past the row's. */
	if (t->nkeys != 1 || t->rvcol != NULL)
		return 0;
	for (int i = 0; !exact && exact_keys[i] != NULL; i++)
		exact = strcmp(t->types[t->key_col], exact_keys[i]) == 0;
	if (!exact || t->ncolumns < 2)
		return 0;
	for (int c = 0; c < t->ncolumns; c++)
		if (t->kinds[c] == PG_ARRAY)
			return 0;	/* written through its JSON text */
	/* Every column, none other: a row of fewer columns keeps the rest
	 * of a known row, which a single write does. */
	json_object_foreach(row, col, v) {
		int found = 0;
		for (int c = 0; c < t->ncolumns && !found; c++)
			found = strcmp(t->columns[c], col) == 0;
		if (!found)
			return 0;
		if (!(t->local_key && strcmp(col, t->pk) == 0))
			n++;
	}
	return n == t->ncolumns - (t->local_key ? 1 : 0);
}
