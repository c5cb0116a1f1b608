/* manifest.c: canonical record checksums and sorted manifests. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "util/hexenc.h"
#include <jansson.h>

#include "sync/manifest.h"
#include "sync/track.h"
#include "sxf/wire_record.h"
#include "store/sqlite/sql.h"

int
manifest_order(const struct manifest_entry *a, const struct manifest_entry *b)
{
	int c = strcmp(a->table, b->table);

	return c != 0 ? c : strcmp(a->guid, b->guid);
}

int
manifest_entry_parse(const char *line, size_t len, struct manifest_entry *e,
    struct sp_error *err)
{
	json_error_t jerr;
	json_t *o = json_loadb(line, len, 0, &jerr);
	const char *t, *g, *c;
	json_int_t rv;
	int del = 0;

	memset(e, 0, sizeof(*e));
	if (o == NULL || json_unpack(o, "{s:s, s:s, s:I, s:s, s?b}", "table", &t,
	    "guid", &g, "rowversion", &rv, "checksum", &c, "deleted", &del) != 0
	    || strlen(t) >= sizeof(e->table) || !guid_valid(g) ||
	    strlen(c) != 64) {
		json_decref(o);
		return sp_error_set(err, "malformed manifest line");
	}
	strcpy(e->table, t);
	strcpy(e->guid, g);
	strcpy(e->checksum, c);
	e->rowversion = rv;
	e->deleted = del;
	json_decref(o);
	return 0;
}

/* One column of the canonical encoding. */
struct column {
	char *name;
	int fk;			/* value is the parent's GUID (or NULL) */
};

static int
column_order(const void *a, const void *b)
{
	return strcmp(((const struct column *)a)->name,
	    ((const struct column *)b)->name);
}

/* Digest updates; a failure is remembered in *bad, checked once per
 * record. */
static void
update_bytes(EVP_MD_CTX *h, const void *b, size_t n, int *bad)
{
	if (n > 0 && EVP_DigestUpdate(h, b, n) != 1)
		*bad = 1;
}

static void
update_str(EVP_MD_CTX *h, const char *s, int *bad)
{
	update_bytes(h, s, strlen(s), bad);
}

/* Appends "name=typed value\n" for column col of st. The type comes first
 * and text and blobs carry their length, so that every distinct SQLite
 * value (text or blob of the same bytes, '' or NULL, any byte at all in
 * text) gives a distinct line, from the stored bytes only. */
static void
update_value(EVP_MD_CTX *h, sqlite3_stmt *st, int col, const char *name,
    int fk, int *bad)
{
	char num[64];
	const void *bytes;
	size_t n;

	update_str(h, name, bad);
	update_str(h, "=", bad);
	switch (sqlite3_column_type(st, col)) {
	case SQLITE_NULL:
		update_str(h, fk ? "g:null" : "null", bad);
		break;
	case SQLITE_INTEGER:
		snprintf(num, sizeof(num), "i:%lld",
		    (long long)sqlite3_column_int64(st, col));
		update_str(h, num, bad);
		break;
	case SQLITE_FLOAT: {
		double d = sqlite3_column_double(st, col);

		/* Spelled out rather than left to the C library's %g. */
		if (isinf(d))
			snprintf(num, sizeof(num), "r:%s", d > 0 ? "inf" : "-inf");
		else
			snprintf(num, sizeof(num), "r:%.17g", d);
		update_str(h, num, bad);
		break;
	}
	case SQLITE_TEXT:
		/* Text before its length, as sqlite3_column_bytes asks. */
		bytes = sqlite3_column_text(st, col);
		n = (size_t)sqlite3_column_bytes(st, col);
		if (bytes == NULL)
			*bad = 1;
		if (fk) {
			update_str(h, "g:", bad);
			update_bytes(h, bytes, n, bad);
			break;
		}
		snprintf(num, sizeof(num), "t:%zu:", n);
		update_str(h, num, bad);
		update_bytes(h, bytes, n, bad);
		break;
	default:
		bytes = sqlite3_column_blob(st, col);
		n = (size_t)sqlite3_column_bytes(st, col);
		if (bytes == NULL && n > 0)
			*bad = 1;
		snprintf(num, sizeof(num), "b:%zu:", n);
		update_str(h, num, bad);
		update_bytes(h, bytes, n, bad);
		break;
	}
	update_str(h, "\n", bad);
}

/* Builds the query of one table: metadata, then the canonical columns in
 * byte order of their names, foreign keys replaced by the parent's GUID.
 * "+r.tbl" keeps SQLite on the GUID-ordered table itself: a sort of the
 * (tbl, rkey) index would grow with the table. */
static char *
table_query(struct site *s, const struct tracked_table *t,
    struct column **cols, int *ncols, struct sp_error *err)
{
	struct tracked_fk *fks = NULL;
	sqlite3_stmt *st;
	char *sql, *select = sqlite3_mprintf("%s", ""), *joins =
	    sqlite3_mprintf("%s", "");
	int nfks = 0, n = 0;

	*cols = NULL;
	if (tracked_fks_load(s, t->name, &fks, &nfks, err) != 0)
		return NULL;
	if (sqlite3_prepare_v2(s->db, "SELECT name FROM pragma_table_info(?)",
	    -1, &st, NULL) != SQLITE_OK) {
		tracked_fks_free(fks, nfks);
		site_sqlite_error(s, err, s->path);
		return NULL;
	}
	sqlite3_bind_text(st, 1, t->name, -1, SQLITE_STATIC);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		struct column *grown;
		char rv[300];

		snprintf(rv, sizeof(rv), "%s_rowversion", t->name);
		/* Local keys and the rowversion column are local matters. */
		if ((strcmp(t->key, "local") == 0 && strcmp(name, t->pk) == 0) ||
		    (t->rowversion_column && strcmp(name, rv) == 0))
			continue;
		grown = realloc(*cols, (size_t)(n + 1) * sizeof(**cols));
		if (grown != NULL)
			*cols = grown;
		if (grown == NULL || ((*cols)[n].name = strdup(name)) == NULL) {
			for (int i = 0; i < n; i++)
				free((*cols)[i].name);
			free(*cols);
			*cols = NULL;
			sqlite3_finalize(st);
			tracked_fks_free(fks, nfks);
			sqlite3_free(select);
			sqlite3_free(joins);
			sp_error_set(err, "out of memory");
			return NULL;
		}
		(*cols)[n].fk = 0;
		for (int i = 0; i < nfks; i++)
			if (strcmp(fks[i].col, name) == 0)
				(*cols)[n].fk = i + 1;
		n++;
	}
	sqlite3_finalize(st);
	qsort(*cols, (size_t)n, sizeof(**cols), column_order);
	for (int i = 0; i < n; i++) {
		char *next;
		if ((*cols)[i].fk) {
			int f = (*cols)[i].fk - 1;
			next = sqlite3_mprintf("%s, p%d.guid", select, i);
			sqlite3_free(select);
			select = next;
			next = sqlite3_mprintf("%s LEFT JOIN syncpack_record p%d ON "
			    "p%d.tbl = (SELECT id FROM syncpack_table WHERE name = "
			    "'%q') AND p%d.rkey = +x.\"%w\"", joins, i, i,
			    fks[f].parent, i, (*cols)[i].name);
			sqlite3_free(joins);
			joins = next;
		} else {
			next = sqlite3_mprintf("%s, x.\"%w\"", select,
			    (*cols)[i].name);
			sqlite3_free(select);
			select = next;
		}
	}
	tracked_fks_free(fks, nfks);
	*ncols = n;
	sql = sqlite3_mprintf("SELECT r.guid, r.owner, r.rowversion, r.deleted%s"
	    " FROM syncpack_record r LEFT JOIN \"%w\" x ON x.\"%w\" = r.rkey%s "
	    "WHERE +r.tbl = %lld AND (?1 IS NULL OR r.owner = ?1) AND (?2 IS "
	    "NULL OR r.owner <> ?2) AND (?5 = 0 OR NOT r.deleted) AND (?6 = 0 OR "
	    "NOT (r.flags & 2))", select, t->name,
	    t->pk, joins, t->id);
	if (t->window != NULL) {
		char *next = sqlite3_mprintf("%s AND (r.deleted OR ((?3 IS NULL OR "
		    "date(x.\"%w\") >= ?3) AND (?4 IS NULL OR date(x.\"%w\") <= "
		    "?4)))", sql, t->window, t->window);
		sqlite3_free(sql);
		sql = next;
	}
	{
		char *next = sqlite3_mprintf("%s ORDER BY r.guid", sql);
		sqlite3_free(sql);
		sql = next;
	}
	sqlite3_free(select);
	sqlite3_free(joins);
	return sql;
}

int
manifest_routed(const struct tracked_table *t, const char *owner,
    const char *spoke)
{
	if (strcmp(t->route, "none") == 0)
		return 0;
	if (strcmp(t->route, "owner") == 0)
		return strcmp(owner, spoke) == 0;
	return 1;
}

static int
table_name_order(const void *a, const void *b)
{
	return strcmp(((const struct tracked_table *)a)->name,
	    ((const struct tracked_table *)b)->name);
}

struct manifest_iter {
	struct site *site;
	struct manifest_filter f;
	struct tracked_table *tables;
	int ntables, current;
	sqlite3_stmt *st;	/* the current table's query */
	struct column *cols;
	int ncols;
	EVP_MD_CTX *h;
};

static void
close_table(struct manifest_iter *it)
{
	sqlite3_finalize(it->st);
	it->st = NULL;
	for (int c = 0; c < it->ncols; c++)
		free(it->cols[c].name);
	free(it->cols);
	it->cols = NULL;
	it->ncols = 0;
}

static int
is_alias(const struct manifest_filter *f, const char *site)
{
	for (int i = 0; i < f->naliases; i++)
		if (strcmp(f->aliases[i], site) == 0)
			return 1;
	return 0;
}

struct manifest_iter *
manifest_open(struct site *s, const struct manifest_filter *f,
    struct sp_error *err)
{
	struct manifest_iter *it = calloc(1, sizeof(*it));

	if (it == NULL || (it->h = EVP_MD_CTX_new()) == NULL) {
		free(it);
		sp_error_set(err, "out of memory");
		return NULL;
	}
	it->site = s;
	it->f = *f;
	it->current = -1;
	if (tracked_tables_load(s, &it->tables, &it->ntables, err) != 0) {
		manifest_close(it);
		return NULL;
	}
	qsort(it->tables, (size_t)it->ntables, sizeof(*it->tables),
	    table_name_order);
	return it;
}

/* Moves to the next table the filter covers; 0 when there is none. */
static int
next_table(struct manifest_iter *it, struct sp_error *err)
{
	const struct manifest_filter *f = &it->f;

	close_table(it);
	while (++it->current < it->ntables) {
		const struct tracked_table *t = &it->tables[it->current];
		char *sql;

		if (f->table != NULL && strcmp(f->table, t->name) != 0)
			continue;
		/* A movable record lives on one site: a copy made by a
		 * reconciliation would leave it on two. */
		if (f->reconciled && t->movable)
			continue;
		sql = table_query(it->site, t, &it->cols, &it->ncols, err);
		if (sql == NULL)
			return -1;
		if (sqlite3_prepare_v2(it->site->db, sql, -1, &it->st, NULL)
		    != SQLITE_OK) {
			sqlite3_free(sql);
			return site_sqlite_error(it->site, err, it->site->path);
		}
		sqlite3_free(sql);
		/* With aliases the owner test is made here, in C. */
		if (f->owner && f->naliases == 0)
			sqlite3_bind_text(it->st, 1, f->owner, -1, SQLITE_STATIC);
		if (f->not_owner && f->naliases == 0)
			sqlite3_bind_text(it->st, 2, f->not_owner, -1,
			    SQLITE_STATIC);
		if (f->since)
			sqlite3_bind_text(it->st, 3, f->since, -1, SQLITE_STATIC);
		if (f->until)
			sqlite3_bind_text(it->st, 4, f->until, -1, SQLITE_STATIC);
		/* ?3 and ?4 exist only with a window column; ?5 and ?6 are
		 * in every query. */
		if (sqlite3_bind_int(it->st, 5, f->live_only) != SQLITE_OK ||
		    sqlite3_bind_int(it->st, 6, f->reconciled) != SQLITE_OK)
			return site_sqlite_error(it->site, err, it->site->path);
		return 1;
	}
	return 0;
}

int
manifest_next(struct manifest_iter *it, struct manifest_entry *e,
    struct sp_error *err)
{
	const struct manifest_filter *f = &it->f;

	for (;;) {
		const struct tracked_table *t;
		unsigned char digest[32];
		int r, mine, bad;

		if (it->st == NULL) {
			r = next_table(it, err);
			if (r <= 0)
				return r;
		}
		r = sqlite3_step(it->st);
		if (r == SQLITE_DONE) {
			close_table(it);
			continue;
		}
		if (r != SQLITE_ROW)
			return site_sqlite_error(it->site, err, it->site->path);
		t = &it->tables[it->current];
		memset(e, 0, sizeof(*e));
		snprintf(e->table, sizeof(e->table), "%s", t->name);
		snprintf(e->guid, sizeof(e->guid), "%s",
		    sqlite3_column_text(it->st, 0));
		snprintf(e->owner, sizeof(e->owner), "%s",
		    sqlite3_column_text(it->st, 1));
		e->rowversion = sqlite3_column_int64(it->st, 2);
		e->deleted = sqlite3_column_int(it->st, 3);
		if (f->naliases > 0) {
			int alias = is_alias(f, e->owner);
			const char *me = f->owner ? f->owner : f->not_owner;
			mine = alias || (me && strcmp(e->owner, me) == 0);
			if ((f->owner && !mine) || (f->not_owner && mine))
				continue;
			if (alias && me)
				snprintf(e->owner, sizeof(e->owner), "%s", me);
		}
		if (f->route_to && !manifest_routed(t, e->owner, f->route_to))
			continue;
		bad = EVP_DigestInit_ex(it->h, EVP_sha256(), NULL) != 1;
		update_str(it->h, "syncpack-record 1\n", &bad);
		update_str(it->h, t->name, &bad);
		update_str(it->h, "\n", &bad);
		update_str(it->h, e->guid, &bad);
		update_str(it->h, "\n", &bad);
		update_str(it->h, e->owner, &bad);
		update_str(it->h, "\n", &bad);
		if (e->deleted)
			update_str(it->h, "deleted\n", &bad);
		else
			for (int c = 0; c < it->ncols; c++)
				update_value(it->h, it->st, 4 + c, it->cols[c].name,
				    it->cols[c].fk, &bad);
		if (EVP_DigestFinal_ex(it->h, digest, NULL) != 1 || bad)
			return sp_error_set(err, "%s %s: cannot compute the "
			    "checksum (out of memory)", t->name, e->guid);
		hex_encode(digest, sizeof(digest), e->checksum);
		return 1;
	}
}

void
manifest_close(struct manifest_iter *it)
{
	if (it == NULL)
		return;
	close_table(it);
	tracked_tables_free(it->tables, it->ntables);
	EVP_MD_CTX_free(it->h);
	free(it);
}
