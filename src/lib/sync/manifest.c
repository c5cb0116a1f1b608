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
#include "store/manifest.h"
#include "store/tables.h"

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

/* The canonical text of one record (sxf(5)), gathered and hashed a few
 * KiB at a time: one digest update per field went through OpenSSL's
 * dispatch each time, and numbers through snprintf, most of the time a
 * manifest took. A failure is remembered in bad, checked once per record. */
#define CANON_BUFFER 4096

struct canon {
	EVP_MD_CTX *h;
	size_t n;
	int bad;
	unsigned char buf[CANON_BUFFER];
};

static void
canon_flush(struct canon *c)
{
	if (c->n > 0 && EVP_DigestUpdate(c->h, c->buf, c->n) != 1)
		c->bad = 1;
	c->n = 0;
}

static void
canon_bytes(struct canon *c, const void *b, size_t n)
{
	if (n == 0)
		return;
	if (b == NULL) {
		c->bad = 1;
		return;
	}
	if (n > sizeof(c->buf) - c->n) {
		canon_flush(c);
		if (n > sizeof(c->buf)) {
			if (EVP_DigestUpdate(c->h, b, n) != 1)
				c->bad = 1;
			return;
		}
	}
	memcpy(c->buf + c->n, b, n);
	c->n += n;
}

static void
canon_str(struct canon *c, const char *s)
{
	canon_bytes(c, s, strlen(s));
}

/* prefix, then u in decimal (after a '-' when negative), then suffix. */
static void
canon_number(struct canon *c, const char *prefix, unsigned long long u,
    int negative, const char *suffix)
{
	char buf[24], *p = buf + sizeof(buf);

	do
		*--p = (char)('0' + u % 10);
	while ((u /= 10) != 0);
	if (negative)
		*--p = '-';
	canon_str(c, prefix);
	canon_bytes(c, p, (size_t)(buf + sizeof(buf) - p));
	canon_str(c, suffix);
}

/* Appends "name=typed value\n" for v. The type comes first and text and
 * blobs carry their length, so that every distinct stored value (text or
 * blob of the same bytes, '' or NULL, any byte at all in text) gives a
 * distinct line, from the stored bytes only. */
static void
canon_value(struct canon *c, const struct store_value *v, const char *name,
    int fk)
{
	char num[64];

	canon_str(c, name);
	canon_str(c, "=");
	switch (v->kind) {
	case STORE_VALUE_NULL:
		canon_str(c, fk ? "g:null" : "null");
		break;
	case STORE_VALUE_INTEGER:
		canon_number(c, "i:", v->integer < 0 ? 0ULL -
		    (unsigned long long)v->integer :
		    (unsigned long long)v->integer, v->integer < 0, "");
		break;
	case STORE_VALUE_REAL:
		/* Spelled out rather than left to the C library's %g. */
		if (isinf(v->real))
			snprintf(num, sizeof(num), "r:%s", v->real > 0 ? "inf" :
			    "-inf");
		else
			snprintf(num, sizeof(num), "r:%.17g", v->real);
		canon_str(c, num);
		break;
	case STORE_VALUE_TEXT:
		if (v->bytes == NULL)
			c->bad = 1;
		if (fk) {
			canon_str(c, "g:");
			canon_bytes(c, v->bytes, v->n);
			break;
		}
		canon_number(c, "t:", v->n, 0, ":");
		canon_bytes(c, v->bytes, v->n);
		break;
	default:
		if (v->bytes == NULL && v->n > 0)
			c->bad = 1;
		canon_number(c, "b:", v->n, 0, ":");
		canon_bytes(c, v->bytes, v->n);
		break;
	}
	canon_str(c, "\n");
}

static int
column_order(const void *a, const void *b)
{
	return strcmp(((const struct store_manifest_column *)a)->name,
	    ((const struct store_manifest_column *)b)->name);
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
	struct store_manifest_scan *scan;	/* the current table's */
	struct store_manifest_column *cols;
	int ncols;
	char **names;		/* the current table's columns */
	int nnames;
	struct tracked_fk *fks;
	int nfks;
	EVP_MD *sha256;		/* fetched once, not per record */
	struct canon c;
};

static void
close_table(struct manifest_iter *it)
{
	store_manifest_scan_close(it->scan);
	it->scan = NULL;
	free(it->cols);
	it->cols = NULL;
	it->ncols = 0;
	tracked_columns_free(it->names, it->nnames);
	it->names = NULL;
	it->nnames = 0;
	tracked_fks_free(it->fks, it->nfks);
	it->fks = NULL;
	it->nfks = 0;
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

	if (it == NULL || (it->c.h = EVP_MD_CTX_new()) == NULL ||
	    (it->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		if (it != NULL)
			EVP_MD_CTX_free(it->c.h);
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

/* The columns of t's canonical encoding (sxf(5)) in byte order of their
 * names, a reference to a tracked table named with its parent (borrowed
 * from it->fks, as the names are from it->names). */
static int
table_columns(struct manifest_iter *it, const struct tracked_table *t,
    struct sp_error *err)
{
	char rv[300];
	int n = 0;

	if (tracked_fks_load(it->site, t->name, &it->fks, &it->nfks, err) != 0
	    || tracked_columns_load(it->site, t->name, &it->names,
	    &it->nnames, err) != 0)
		return -1;
	if (it->nnames > 0 && (it->cols = calloc((size_t)it->nnames,
	    sizeof(*it->cols))) == NULL)
		return sp_error_set(err, "out of memory");
	snprintf(rv, sizeof(rv), "%s_rowversion", t->name);
	for (int c = 0; c < it->nnames; c++) {
		const char *name = it->names[c];

		/* Local keys and the rowversion column are local matters. */
		if ((strcmp(t->key, "local") == 0 && strcmp(name, t->pk) == 0) ||
		    (t->rowversion_column && strcmp(name, rv) == 0))
			continue;
		it->cols[n].name = name;
		it->cols[n].parent = NULL;
		it->cols[n].ref = NULL;
		for (int i = 0; i < it->nfks; i++)
			if (strcmp(it->fks[i].col, name) == 0) {
				it->cols[n].parent = it->fks[i].parent;
				it->cols[n].ref = it->fks[i].ref;
			}
		n++;
	}
	qsort(it->cols, (size_t)n, sizeof(*it->cols), column_order);
	it->ncols = n;
	return 0;
}

/* Moves to the next table the filter covers; 0 when there is none. */
static int
next_table(struct manifest_iter *it, struct sp_error *err)
{
	const struct manifest_filter *f = &it->f;

	close_table(it);
	while (++it->current < it->ntables) {
		const struct tracked_table *t = &it->tables[it->current];
		struct store_manifest_query q = { 0 };

		if (f->table != NULL && strcmp(f->table, t->name) != 0)
			continue;
		/* A movable record lives on one site: a copy made by a
		 * reconciliation would leave it on two. */
		if (f->reconciled && t->movable)
			continue;
		if (table_columns(it, t, err) != 0)
			return -1;
		/* With aliases the owner test is made here, in C. */
		if (f->naliases == 0) {
			q.owner = f->owner;
			q.not_owner = f->not_owner;
		}
		q.since = f->since;
		q.until = f->until;
		q.live_only = f->live_only;
		q.not_in_transit = f->reconciled;
		it->scan = store_manifest_scan_open(it->site, t, it->cols,
		    it->ncols, &q, err);
		return it->scan == NULL ? -1 : 1;
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
		struct store_manifest_row row;
		unsigned char digest[32];
		struct canon *c = &it->c;
		int r, mine;

		if (it->scan == NULL) {
			r = next_table(it, err);
			if (r <= 0)
				return r;
		}
		r = store_manifest_scan_next(it->scan, &row, err);
		if (r == 0) {
			close_table(it);
			continue;
		}
		if (r < 0)
			return -1;
		t = &it->tables[it->current];
		memset(e, 0, sizeof(*e));
		snprintf(e->table, sizeof(e->table), "%s", t->name);
		snprintf(e->guid, sizeof(e->guid), "%s", row.guid);
		snprintf(e->owner, sizeof(e->owner), "%s", row.owner);
		e->rowversion = row.rowversion;
		e->deleted = row.deleted;
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
		c->n = 0;
		c->bad = EVP_DigestInit_ex(c->h, it->sha256, NULL) != 1;
		canon_str(c, "syncpack-record 1\n");
		canon_str(c, t->name);
		canon_str(c, "\n");
		canon_str(c, e->guid);
		canon_str(c, "\n");
		canon_str(c, e->owner);
		canon_str(c, "\n");
		if (e->deleted)
			canon_str(c, "deleted\n");
		else
			for (int i = 0; i < it->ncols; i++)
				canon_value(c, &row.values[i], it->cols[i].name,
				    it->cols[i].parent != NULL);
		canon_flush(c);
		if (EVP_DigestFinal_ex(c->h, digest, NULL) != 1 || c->bad)
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
	EVP_MD_CTX_free(it->c.h);
	EVP_MD_free(it->sha256);
	free(it);
}
