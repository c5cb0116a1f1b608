/* manifest_pg.c: scans of a tracked table's records for manifests
 * (store/manifest.h) on a PostgreSQL site. Each value is read as the
 * record store reads it to send it (values_pg.c), then given in the
 * travelling form's type, so that a manifest of the hub and one of a
 * SQLite spoke agree on a record that agrees. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/manifest.h"
#include "store/pg/backend.h"
#include "store/pg/pg.h"
#include "store/pg/store_pg.h"
#include "sxf/value.h"

struct store_manifest_scan {
	struct store_manifest_scan_head head;	/* first, as every backend's */
	struct store *store;	/* for the tables' columns and their kinds */
	PGresult *res;
	int row, nrows, ncols;
	/* Per column: its kind, or -1 for a reference read as a GUID. */
	int *kinds;
	struct value *values;	/* borrowed views of read[] and res */
	json_t **json;		/* what values[] point into, per column */
	struct value *read;
};

/* The SELECT of the scan: the metadata, then each column as values_pg.c
 * reads it, a reference as the GUID of the parent's record. $1 owner, $2
 * not_owner, $3 live_only, $4 not_in_transit and, with a window column,
 * $5 since and $6 until. NULL with err set. */
static char *
scan_query(struct store_manifest_scan *sc, const struct pg_table *pt,
    const struct tracked_table *t, const struct store_manifest_column *cols,
    struct sp_error *err)
{
	PGconn *conn = store_pg_site(sc->store)->pg;
	char *sel = NULL, *joins = NULL, *window = NULL, *sql = NULL;
	char *match = NULL;
	size_t nsel = 0, njoins = 0;
	FILE *s = open_memstream(&sel, &nsel), *j = open_memstream(&joins,
	    &njoins);
	int ok = s != NULL && j != NULL, missing = 0;

	for (int i = 0; ok && i < sc->ncols; i++) {
		char *a = NULL, *b = NULL;
		int c;

		for (c = 0; c < pt->ncolumns; c++)
			if (strcmp(pt->columns[c], cols[i].name) == 0)
				break;
		if (c == pt->ncolumns) {
			ok = 0;
			missing = 1;
			sp_error_set(err, "%s: no column %s", t->name,
			    cols[i].name);
		} else if (cols[i].parent != NULL) {
			/* A reference is one column (tables_pg.c refuses
			 * others) holding the parent's rkey text. */
			sc->kinds[i] = -1;
			a = PQescapeLiteral(conn, cols[i].parent,
			    strlen(cols[i].parent));
			b = PQescapeLiteral(conn, cols[i].name,
			    strlen(cols[i].name));
			if (a == NULL || b == NULL)
				ok = 0;
			else {
				fprintf(s, ", p%d.guid", i);
				fprintf(j, " LEFT JOIN syncpack.record p%d ON "
				    "p%d.tbl = (SELECT id FROM "
				    "syncpack.tracked_table WHERE name = %s) AND "
				    "p%d.rkey = to_jsonb(x) ->> %s", i, i, a, i, b);
			}
			PQfreemem(a);
			PQfreemem(b);
		} else {
			sc->kinds[i] = (int)pt->kinds[c];
			if ((a = pg_value_select(pt->kinds[c], "x",
			    pt->qcolumns[c])) == NULL)
				ok = 0;
			else
				fprintf(s, ", %s", a);
			free(a);
		}
	}
	if (s != NULL && fclose(s) != 0)
		ok = 0;
	if (j != NULL && fclose(j) != 0)
		ok = 0;
	if (ok && t->window != NULL) {
		char *w = PQescapeIdentifier(conn, t->window,
		    strlen(t->window));

		/* Dates compare as SQLite's date() of the column does. */
		if (w == NULL || asprintf(&window, " AND (r.deleted <> 0 OR "
		    "(($5::text IS NULL OR CAST(x.%1$s AS date) >= $5::date) AND "
		    "($6::text IS NULL OR CAST(x.%1$s AS date) <= $6::date)))", w)
		    < 0) {
			window = NULL;
			ok = 0;
		}
		PQfreemem(w);
	}
	/* The record's row by its key, the rkey cast to the key's type so
	 * that the key's index serves. */
	if (ok && (match = pg_table_key_match(pt, "x", "r.rkey")) == NULL)
		ok = 0;
	/* A merged record's tombstone is no delete and never travels: a
	 * site holds one only when it met both records (syncpack(7), Keys). */
	if (ok && asprintf(&sql, "SELECT r.guid, r.owner, r.rowversion, "
	    "r.deleted%s FROM syncpack.record r LEFT JOIN %s x ON %s%s WHERE "
	    "r.tbl = %lld AND ($1::text IS NULL OR "
	    "r.owner = $1) AND ($2::text IS NULL OR r.owner <> $2) AND "
	    "($3::integer = 0 OR r.deleted = 0) AND ($4::integer = 0 OR "
	    "r.flags & 2 = 0) AND r.merged IS NULL%s ORDER BY r.guid", sel,
	    pt->name, match, joins,
	    pt->id, window ? window : "") < 0)
		sql = NULL;
	free(match);
	free(sel);
	free(joins);
	free(window);
	if (sql == NULL && !missing)
		sp_error_set(err, "out of memory");
	return sql;
}

struct store_manifest_scan *
pg_manifest_scan_open(struct site *s, const struct tracked_table *t,
    const struct store_manifest_column *cols, int ncols,
    const struct store_manifest_query *q, struct sp_error *err)
{
	struct store_manifest_scan *sc = calloc(1, sizeof(*sc));
	const struct pg_table *pt;
	const char *p[6];
	char *sql;

	if (sc == NULL) {
		sp_error_set(err, "out of memory");
		return NULL;
	}
	sc->head.backend = SITE_POSTGRESQL;
	sc->ncols = ncols;
	if ((sc->store = pg_store_open(s, err)) == NULL)
		goto fail;
	if ((pt = pg_rec_table_by_name((struct store_pg *)sc->store,
	    t->name)) == NULL) {
		sp_error_set(err, "%s: not a tracked table", t->name);
		goto fail;
	}
	if (ncols > 0 && ((sc->kinds = calloc((size_t)ncols,
	    sizeof(*sc->kinds))) == NULL || (sc->values = calloc((size_t)ncols,
	    sizeof(*sc->values))) == NULL || (sc->json = calloc((size_t)ncols,
	    sizeof(*sc->json))) == NULL || (sc->read = calloc((size_t)ncols,
	    sizeof(*sc->read))) == NULL)) {
		sp_error_set(err, "out of memory");
		goto fail;
	}
	if ((sql = scan_query(sc, pt, t, cols, err)) == NULL)
		goto fail;
	p[0] = q->owner;
	p[1] = q->not_owner;
	p[2] = q->live_only ? "1" : "0";
	p[3] = q->not_in_transit ? "1" : "0";
	p[4] = q->since;
	p[5] = q->until;
	sc->res = pg_query(s, sql, t->window != NULL ? 6 : 4, p, err);
	free(sql);
	if (sc->res == NULL)
		goto fail;
	sc->nrows = PQntuples(sc->res);
	return sc;
fail:
	pg_manifest_scan_close(sc);
	return NULL;
}

/* Lets go of what the values of the last row pointed into. */
static void
values_release(struct store_manifest_scan *sc)
{
	for (int c = 0; c < sc->ncols; c++) {
		value_release(&sc->read[c]);
		memset(&sc->read[c], 0, sizeof(sc->read[c]));
		json_decref(sc->json[c]);
		sc->json[c] = NULL;
	}
}

/* Column c of the current row into sc->values[c]. */
static int
read_value(struct store_manifest_scan *sc, int c, struct sp_error *err)
{
	struct value *v = &sc->values[c];
	int col = 4 + c;
	struct value *r = &sc->read[c];

	memset(v, 0, sizeof(*v));
	if (PQgetisnull(sc->res, sc->row, col)) {
		v->type = VALUE_NULL;
		return 0;
	}
	if (sc->kinds[c] < 0) {
		/* A reference: the parent record's GUID as text. */
		v->type = VALUE_TEXT;
		v->bytes = (const unsigned char *)PQgetvalue(sc->res, sc->row,
		    col);
		v->n = (size_t)PQgetlength(sc->res, sc->row, col);
		return 0;
	}
	if ((sc->json[c] = pg_value_json((enum pg_kind)sc->kinds[c],
	    PQgetvalue(sc->res, sc->row, col), PQgetlength(sc->res, sc->row,
	    col), err)) == NULL || value_from_json(sc->json[c], r, err) != 0)
		return -1;
	/* A view: what it points into stays owned by read[c] and json[c]. */
	*v = *r;
	v->owned = NULL;
	return 0;
}

int
pg_manifest_scan_next(struct store_manifest_scan *sc,
    struct store_manifest_row *row, struct sp_error *err)
{
	values_release(sc);
	if (sc->row >= sc->nrows)
		return 0;
	row->guid = PQgetvalue(sc->res, sc->row, 0);
	row->owner = PQgetvalue(sc->res, sc->row, 1);
	row->rowversion = pg_ll(sc->res, sc->row, 2);
	row->deleted = (int)pg_ll(sc->res, sc->row, 3);
	/* No checksums are kept on a PostgreSQL site yet: always values. */
	row->checksum = NULL;
	for (int c = 0; c < sc->ncols; c++)
		if (read_value(sc, c, err) != 0)
			return -1;
	row->values = sc->values;
	sc->row++;
	return 1;
}

void
pg_manifest_scan_close(struct store_manifest_scan *sc)
{
	if (sc == NULL)
		return;
	if (sc->json != NULL && sc->read != NULL)
		values_release(sc);
	PQclear(sc->res);
	if (sc->store != NULL)
		store_close(sc->store);
	free(sc->kinds);
	free(sc->values);
	free(sc->json);
	free(sc->read);
	free(sc);
}
