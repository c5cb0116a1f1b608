/* manifest.c: canonical record checksums and sorted manifests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hexenc.h"
#include <jansson.h>

#include "sync/manifest.h"
#include "sync/track.h"
#include "sxf/record_sum.h"
#include "sxf/wire_record.h"
#include "store/manifest.h"
#include "store/record_columns.h"
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
	struct record_columns rc;	/* the current table's columns */
	struct record_sum sum;
};

static void
close_table(struct manifest_iter *it)
{
	store_manifest_scan_close(it->scan);
	it->scan = NULL;
	record_columns_free(&it->rc);
}

/* s into buf of size n, cut short if need be, always terminated. */
static void
copy_text(char *buf, size_t n, const char *s)
{
	size_t len = s ? strnlen(s, n - 1) : 0;

	memcpy(buf, s ? s : "", len);
	buf[len] = '\0';
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

	if (it == NULL) {
		sp_error_set(err, "out of memory");
		return NULL;
	}
	if (record_sum_init(&it->sum, err) != 0) {
		free(it);
		return NULL;
	}
	it->site = s;
	it->f = *f;
	it->current = -1;
	/* Stored checksums brought up to date first, so that the scans read
	 * metadata only; a site that cannot be written now (read-only, busy)
	 * has its stale records checksummed from their rows as before. */
	if (store_checksums_refresh(s, 1, err) < 0 ||
	    tracked_tables_load(s, &it->tables, &it->ntables, err) != 0) {
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
		struct store_manifest_query q = { 0 };

		if (f->table != NULL && strcmp(f->table, t->name) != 0)
			continue;
		/* A movable record lives on one site: a copy made by a
		 * reconciliation would leave it on two. */
		if (f->reconciled && t->movable)
			continue;
		if (record_columns_load(it->site, t, &it->rc, err) != 0)
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
		/* An alias's record is checksummed as owned by the spoke
		 * itself, not as stored. */
		q.values = f->naliases > 0;
		it->scan = store_manifest_scan_open(it->site, t, it->rc.cols,
		    it->rc.ncols, &q, err);
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
		struct record_sum *rs = &it->sum;
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
		/* Copied field by field: snprintf of each was a tenth of a
		 * comparison that reads stored checksums. */
		copy_text(e->table, sizeof(e->table), t->name);
		copy_text(e->guid, sizeof(e->guid), row.guid);
		copy_text(e->owner, sizeof(e->owner), row.owner);
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
		if (row.checksum != NULL) {
			hex_encode(row.checksum, 32, e->checksum);
			return 1;
		}
		record_sum_begin(rs, t->name, e->guid, e->owner, e->deleted);
		for (int i = 0; !e->deleted && i < it->rc.ncols; i++) {
			record_sum_value(rs, it->rc.cols[i].name, &row.values[i],
			    it->rc.cols[i].parent != NULL);
		}
		if (record_sum_end(rs, digest) != 0)
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
	record_sum_free(&it->sum);
	free(it);
}
