/* check_store_recon.c: conformance tests for the manifest scans, the
 * reconciliation's flows, the status counts and the conflict
 * statements of the store interface (store/manifest.h, store/reconcile.h,
 * store/status.h, store/conflicts.h). The cases use the interface only;
 * the application's statements and the protocol rows that other
 * operations write (flows, transfers, conflicts) go through app(), the one
 * part a second backend replaces. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_fixture.h"
#include "store/conflicts.h"
#include "store/listings.h"
#include "store/manifest.h"
#include "store/record_columns.h"
#include "store/reconcile.h"
#include "store/site.h"
#include "store/status.h"
#include "store/peer_keys.h"
#include "store/store.h"
#include "store/tables.h"
#include "store/tx.h"
#include "sxf/record_sum.h"

static char dir[64];
static char path[128];
static struct site site;

/* The application's own statements, on a connection of its own. */
static void
app(const char *sql)
{
	fixture_app(path, sql);
}

/* The tracking calls of the site's backend (store/tables.h). */
static const struct store_tables_ops *
tables(void)
{
	return store_tables_ops(&site);
}

/* Reopens the site: opening folds what the capture logged. */
static void
reopen(void)
{
	struct sp_error err;

	site_close(&site);
	ck_assert_int_eq(site_open(&site, path, FIXTURE_OPEN, &err), 0);
}

static void
track(const char *table, const char *window)
{
	struct tracked_table t;
	struct sp_error err;

	memset(&t, 0, sizeof(t));
	t.name = strdup(table);
	t.pk = strdup("id");
	t.window = window ? strdup(window) : NULL;
	ck_assert(t.name && t.pk && (window == NULL || t.window));
	t.pk_integer = 1;
	strcpy(t.owner, "shared");
	strcpy(t.route, "all");
	strcpy(t.conflict, "manual");
	strcpy(t.key, "local");
	ck_assert_int_eq(store_tx_begin(&site, &err), 0);
	ck_assert_msg(tables()->table_save(&site, &t, &err) == 0 &&
	    tables()->fks_refresh(&site, &err) == 0 &&
	    tables()->table_adopt(&site, &t, &err) == 0 &&
	    tables()->capture_install(&site, &t, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(store_tx_commit(&site, &err), 0);
	tracked_table_free(&t);
}

static void
setup(void)
{
	struct sp_error err;

	fixture_dir_make(dir, sizeof(dir), "check_store_recon");
	fixture_site_init(path, sizeof(path), dir, "hub", "HUB", 1);
	app("CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT);"
	    "CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER "
	    "REFERENCES parent(id), label, day TEXT, amount);"
	    "INSERT INTO parent VALUES (1, 'p1'), (2, 'p2');"
	    "INSERT INTO child VALUES (1, 1, 'a', '2024-01-05', 1.5),"
	    " (2, NULL, x'00ff', '2024-02-01', NULL)");
	ck_assert_int_eq(site_open(&site, path, FIXTURE_OPEN, &err), 0);
	track("parent", NULL);
	track("child", "day");
}

static void
teardown(void)
{
	site_close(&site);
	fixture_dir_remove(dir);
}

/* The GUID of table's row of local key id. */
static void
guid_of(const char *table, long long id, char guid[33])
{
	struct sp_error err;
	struct store *st = store_open(&site, &err);
	struct store_record rec;
	json_t *key = json_integer(id);

	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(store_lookup_key(st, table, key, &rec, &err), 1);
	strcpy(guid, rec.guid);
	json_decref(key);
	store_close(st);
}

/* The record guid: 1 and *rec (and *row, a new reference) if known. */
static int
lookup(const char *guid, struct store_record *rec, json_t **row)
{
	struct sp_error err;
	struct store *st = store_open(&site, &err);
	int found;

	ck_assert_ptr_nonnull(st);
	found = store_lookup(st, guid, rec, row, &err);
	store_close(st);
	ck_assert_int_ge(found, 0);
	return found;
}

static const struct store_manifest_column child_cols[] = {
	{ "amount", NULL, NULL }, { "day", NULL, NULL }, { "label", NULL, NULL },
	{ "parent_id", "parent", NULL }
};

/* Scans child with q; the rows are summarised one line each. */
static int
scan(const struct store_manifest_query *q, char *out, size_t size)
{
	struct tracked_table t;
	struct sp_error err;
	struct store_manifest_scan *sc;
	struct store_manifest_row row;
	char last[33] = "";
	int n = 0, r;

	ck_assert_int_eq(store_table_get(&site, "child", &t, &err), 1);
	sc = store_manifest_scan_open(&site, &t, child_cols, 4, q, &err);
	ck_assert_msg(sc != NULL, "%s", err.msg);
	out[0] = '\0';
	while ((r = store_manifest_scan_next(sc, &row, &err)) == 1) {
		size_t len = strlen(out);

		/* By GUID. */
		ck_assert_int_lt(strcmp(last, row.guid), 0);
		snprintf(last, sizeof(last), "%s", row.guid);
		snprintf(out + len, size - len, "%s rv=%lld del=%d;", row.owner,
		    row.rowversion, row.deleted);
		n++;
	}
	ck_assert_msg(r == 0, "%s", err.msg);
	store_manifest_scan_close(sc);
	tracked_table_free(&t);
	return n;
}

START_TEST(manifest_values_are_typed)
{
	struct store_manifest_query q = { 0 };
	struct store_manifest_scan *sc;
	struct store_manifest_row row;
	struct tracked_table t;
	struct sp_error err;
	char p1[33], c1[33];
	int seen = 0;

	guid_of("parent", 1, p1);
	guid_of("child", 1, c1);
	/* The values themselves, not a checksum kept of them. */
	q.values = 1;
	ck_assert_int_eq(store_table_get(&site, "child", &t, &err), 1);
	sc = store_manifest_scan_open(&site, &t, child_cols, 4, &q, &err);
	ck_assert_ptr_nonnull(sc);
	while (store_manifest_scan_next(sc, &row, &err) == 1) {
		const struct value *v = row.values;

		ck_assert_str_eq(row.owner, "HUB");
		ck_assert_int_eq(row.rowversion, 1);
		ck_assert_int_eq(row.deleted, 0);
		if (strcmp(row.guid, c1) == 0) {
			ck_assert_int_eq(v[0].type, VALUE_REAL);
			ck_assert(v[0].r == 1.5);
			ck_assert_int_eq(v[1].type, VALUE_TEXT);
			ck_assert_uint_eq(v[1].n, 10);
			ck_assert(memcmp(v[1].bytes, "2024-01-05", 10) == 0);
			ck_assert_int_eq(v[2].type, VALUE_TEXT);
			ck_assert_uint_eq(v[2].n, 1);
			/* A reference reads as the parent's GUID. */
			ck_assert_int_eq(v[3].type, VALUE_TEXT);
			ck_assert_uint_eq(v[3].n, 32);
			ck_assert(memcmp(v[3].bytes, p1, 32) == 0);
		} else {
			ck_assert_int_eq(v[0].type, VALUE_NULL);
			ck_assert_int_eq(v[2].type, VALUE_BLOB);
			ck_assert_uint_eq(v[2].n, 2);
			ck_assert(memcmp(v[2].bytes, "\x00\xff", 2) == 0);
			ck_assert_int_eq(v[3].type, VALUE_NULL);
		}
		seen++;
	}
	ck_assert_int_eq(seen, 2);
	store_manifest_scan_close(sc);
	tracked_table_free(&t);
}
END_TEST

/* The checksum of row under cols, as a manifest makes it from values. */
static void
sum_of(const char *table, const struct store_manifest_row *row,
    const struct store_manifest_column *cols, int ncols,
    unsigned char out[32])
{
	struct record_sum rs;
	struct sp_error err;

	ck_assert_int_eq(record_sum_init(&rs, &err), 0);
	record_sum_begin(&rs, table, row->guid, row->owner, row->deleted);
	for (int i = 0; !row->deleted && i < ncols; i++)
		record_sum_value(&rs, cols[i].name, &row->values[i],
		    cols[i].parent != NULL);
	ck_assert_int_eq(record_sum_end(&rs, out), 0);
	record_sum_free(&rs);
}

/* Scans child twice side by side, as stored and from the values: each
 * stored checksum must be the one the values give. Returns how many
 * were stored. */
static int
stored_match(const struct store_manifest_column *cols, int ncols)
{
	struct store_manifest_query stored = { 0 }, values = { 0 };
	struct store_manifest_scan *a, *b;
	struct store_manifest_row ra, rb;
	struct tracked_table t;
	struct sp_error err;
	int n = 0, r;

	values.values = 1;
	ck_assert_int_eq(store_table_get(&site, "child", &t, &err), 1);
	a = store_manifest_scan_open(&site, &t, cols, ncols, &stored, &err);
	ck_assert_msg(a != NULL, "%s", err.msg);
	b = store_manifest_scan_open(&site, &t, cols, ncols, &values, &err);
	ck_assert_msg(b != NULL, "%s", err.msg);
	while ((r = store_manifest_scan_next(a, &ra, &err)) == 1) {
		unsigned char want[32];

		ck_assert_int_eq(store_manifest_scan_next(b, &rb, &err), 1);
		ck_assert_str_eq(ra.guid, rb.guid);
		ck_assert_ptr_null(rb.checksum);
		if (ra.checksum == NULL)
			continue;
		sum_of("child", &rb, cols, ncols, want);
		ck_assert(memcmp(ra.checksum, want, 32) == 0);
		n++;
	}
	ck_assert_msg(r == 0, "%s", err.msg);
	ck_assert_int_eq(store_manifest_scan_next(b, &rb, &err), 0);
	store_manifest_scan_close(a);
	store_manifest_scan_close(b);
	tracked_table_free(&t);
	return n;
}

/* A backend may keep checksums (refresh 1) or not (0, and scans give
 * none); kept, they are current or not given. */
START_TEST(stored_checksums_are_current)
{
	struct record_columns rc;
	struct tracked_table t;
	struct sp_error err;
	int kept = store_checksums_refresh(&site, 1, &err);

	ck_assert_msg(kept >= 0, "%s", err.msg);
	ck_assert_int_eq(stored_match(child_cols, 4), kept ? 2 : 0);
	/* A column added: none holds until they are made again. */
	app("ALTER TABLE child ADD COLUMN extra TEXT DEFAULT 'z'");
	reopen();
	ck_assert_int_eq(store_table_get(&site, "child", &t, &err), 1);
	ck_assert_int_eq(record_columns_load(&site, &t, &rc, &err), 0);
	ck_assert_int_eq(rc.ncols, 5);
	ck_assert_int_eq(stored_match(rc.cols, rc.ncols), 0);
	ck_assert_int_eq(store_checksums_refresh(&site, 1, &err), kept);
	ck_assert_int_eq(stored_match(rc.cols, rc.ncols), kept ? 2 : 0);
	/* A parent deleted: the child naming it holds its GUID no more. */
	app("DELETE FROM parent WHERE id = 1");
	reopen();
	ck_assert_int_eq(stored_match(rc.cols, rc.ncols), kept ? 1 : 0);
	/* A row changed: made again as the change is folded. */
	app("UPDATE child SET label = 'changed' WHERE id = 2");
	reopen();
	ck_assert_int_eq(stored_match(rc.cols, rc.ncols), kept ? 1 : 0);
	record_columns_free(&rc);
	tracked_table_free(&t);
}
END_TEST

/* Values by the column's declared type, as every backend reads them. */
START_TEST(manifest_values_of_typed_columns)
{
	static const struct store_manifest_column cols[] = {
	    { "b", NULL, NULL }, { "n", NULL, NULL }, { "p", "parent", NULL },
	    { "r", NULL, NULL }, { "t", NULL, NULL } };
	struct store_manifest_query q = { .values = 1 };
	struct store_manifest_scan *sc;
	struct store_manifest_row row;
	struct tracked_table t;
	struct sp_error err;
	char p2[33];
	int seen = 0;

	app("CREATE TABLE typed(id INTEGER PRIMARY KEY, b BLOB, n INTEGER, "
	    "p INTEGER REFERENCES parent(id), r REAL, t TEXT);"
	    "INSERT INTO typed(b, n, p, r, t) VALUES (x'00ff', -7, 2, 0.25, "
	    "'caf\xc3\xa9')");
	track("typed", NULL);
	reopen();
	guid_of("parent", 2, p2);
	ck_assert_int_eq(store_table_get(&site, "typed", &t, &err), 1);
	sc = store_manifest_scan_open(&site, &t, cols, 5, &q, &err);
	ck_assert_msg(sc != NULL, "%s", err.msg);
	while (store_manifest_scan_next(sc, &row, &err) == 1) {
		const struct value *v = row.values;

		ck_assert_int_eq(v[0].type, VALUE_BLOB);
		ck_assert_uint_eq(v[0].n, 2);
		ck_assert(memcmp(v[0].bytes, "\x00\xff", 2) == 0);
		ck_assert_int_eq(v[1].type, VALUE_INTEGER);
		ck_assert_int_eq(v[1].i, -7);
		ck_assert_int_eq(v[2].type, VALUE_TEXT);
		ck_assert_uint_eq(v[2].n, 32);
		ck_assert(memcmp(v[2].bytes, p2, 32) == 0);
		ck_assert_int_eq(v[3].type, VALUE_REAL);
		ck_assert(v[3].r == 0.25);
		ck_assert_int_eq(v[4].type, VALUE_TEXT);
		ck_assert_uint_eq(v[4].n, 5);
		ck_assert(memcmp(v[4].bytes, "caf\xc3\xa9", 5) == 0);
		seen++;
	}
	ck_assert_int_eq(seen, 1);
	store_manifest_scan_close(sc);
	tracked_table_free(&t);
}
END_TEST

START_TEST(manifest_query_filters)
{
	struct store_manifest_query q = { 0 };
	char out[512];

	ck_assert_int_eq(scan(&q, out, sizeof(out)), 2);
	q.owner = "HUB";
	ck_assert_int_eq(scan(&q, out, sizeof(out)), 2);
	q.owner = "SP01";
	ck_assert_int_eq(scan(&q, out, sizeof(out)), 0);
	q.owner = NULL;
	q.not_owner = "HUB";
	ck_assert_int_eq(scan(&q, out, sizeof(out)), 0);
	q.not_owner = NULL;
	q.since = "2024-02-01";
	ck_assert_int_eq(scan(&q, out, sizeof(out)), 1);
	q.since = NULL;
	q.until = "2024-01-31";
	ck_assert_int_eq(scan(&q, out, sizeof(out)), 1);
	q.since = "2024-01-06";
	ck_assert_int_eq(scan(&q, out, sizeof(out)), 0);

	/* A tombstone stays in whatever the window, unless live only. */
	app("DELETE FROM child WHERE id = 2");
	reopen();
	ck_assert_int_eq(scan(&q, out, sizeof(out)), 1);
	ck_assert_str_eq(out, "HUB rv=2 del=1;");
	q.live_only = 1;
	ck_assert_int_eq(scan(&q, out, sizeof(out)), 0);

	/* A record in transit is left out on request only. */
	app("UPDATE syncpack_record SET flags = flags | 2");
	memset(&q, 0, sizeof(q));
	ck_assert_int_eq(scan(&q, out, sizeof(out)), 2);
	q.not_in_transit = 1;
	ck_assert_int_eq(scan(&q, out, sizeof(out)), 0);
}
END_TEST

static int
collect_cells(void *ctx, const struct store_cell *cells, int n,
    struct sp_error *err)
{
	char *out = ctx;

	(void)err;
	for (int i = 0; i < n; i++) {
		strcat(out, cells[i].text ? cells[i].text : "NULL");
		strcat(out, i + 1 < n ? " " : ";");
	}
	return 0;
}

START_TEST(reconcile_flows)
{
	struct sxf_header h;
	struct sp_error err;
	char out[1024] = "";

	memset(&h, 0, sizeof(h));
	strcpy(h.kind, "request");
	strcpy(h.from, "SP01");
	strcpy(h.created, "2024-03-01T00:00:00Z");
	h.flow = 5;
	ck_assert_int_eq(store_recon_answered(&site, "SP01", 5, &err), 0);
	ck_assert_int_eq(store_recon_log_request(&site, &h, "r.sxf", "abc",
	    &err), 0);
	/* A second log of the same request leaves the first. */
	ck_assert_int_eq(store_recon_log_request(&site, &h, "other.sxf", "d",
	    &err), 0);
	ck_assert_int_eq(store_list_flows(&site, &(struct store_flow_filter){
	    "SP01", NULL, NULL }, collect_cells, out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out, "SP01 in 5 0 request "));
	ck_assert_ptr_nonnull(strstr(out, " 1 answered "));
	ck_assert_ptr_nonnull(strstr(out, " r.sxf abc NULL;"));
	ck_assert_ptr_null(strstr(out, "other.sxf"));
	/* Answered, not applied. */
	ck_assert_int_eq(store_recon_applied(&site, "SP01", 5, &err), 0);
	app("INSERT INTO syncpack_flow(peer, direction, flow, kind, link, "
	    "status) VALUES ('SP01', 'out', 1, 'answer', 5, 'sent'), "
	    "('SP01', 'in', 6, 'answer', 1, 'partial'), "
	    "('SP01', 'in', 7, 'answer', 1, 'failed')");
	ck_assert_int_eq(store_recon_answered(&site, "SP01", 5, &err), 1);
	ck_assert_int_eq(store_recon_answered(&site, "SP02", 5, &err), 0);
	ck_assert_int_eq(store_recon_applied(&site, "SP01", 6, &err), 1);
	ck_assert_int_eq(store_recon_applied(&site, "SP01", 7, &err), 0);
}
END_TEST

struct peers {
	int n;
	struct store_peer_status last;
};

static int
collect_peer(void *ctx, const struct store_peer_status *p,
    struct sp_error *err)
{
	struct peers *ps = ctx;

	(void)err;
	ck_assert_str_eq(p->peer, "SP01");
	ck_assert_ptr_null(p->last_sent);
	ck_assert_ptr_nonnull(p->added);
	ps->last = *p;
	ps->last.peer = NULL;
	ps->last.added = NULL;
	ps->n++;
	return 0;
}

/* The refused count store_status_peers gives for SP01, the one peer. */
static long long
refused_by_sp01(void)
{
	struct sp_error err;
	struct peers ps = { 0 };

	ck_assert_int_eq(store_status_peers(&site, collect_peer, &ps, &err), 0);
	ck_assert_int_eq(ps.n, 1);
	return ps.last.refused;
}

START_TEST(status_counts)
{
	struct sp_error err;
	struct peers ps = { 0 };
	char *pem = site_public_pem(&site, &err);

	ck_assert_ptr_nonnull(pem);
	ck_assert_int_eq(site_peer_add(&site, "SP01", pem, NULL, &err), 0);
	free(pem);
	ck_assert_int_eq(store_status_peers(&site, collect_peer, &ps, &err), 0);
	ck_assert_int_eq(ps.n, 1);
	ck_assert_int_eq(ps.last.held, 0);
	ck_assert_int_eq(ps.last.conflicts, 0);
	ck_assert_int_eq(ps.last.rejections, 0);
	ck_assert_int_eq(ps.last.failed, 0);
	ck_assert_int_eq(ps.last.expect, 93600);
	ck_assert_int_eq(store_peer_set_expect(&site, "SP01", 0, &err), 0);
	ck_assert_int_eq(store_status_peers(&site, collect_peer, &ps, &err), 0);
	ck_assert_int_eq(ps.last.expect, 0);

	app("INSERT INTO syncpack_held(guid, peer, flow, tbl, reason, since, "
	    "record) VALUES ('H1', 'SP01', 3, 'parent', 'parent', '2024-01-01',"
	    " '{}');"
	    "INSERT INTO syncpack_conflict(id, guid, tbl, peer, flow, remote, "
	    "detected, resolved) VALUES (1, 'C1', 'parent', 'SP01', 3, '{}', "
	    "'2024-01-01', NULL), (2, 'C2', 'parent', 'SP01', 3, '{}', "
	    "'2024-01-01', '2024-01-02');"
	    "INSERT INTO syncpack_flow(peer, direction, flow, kind, status) "
	    "VALUES ('SP01', 'in', 3, 'data', 'failed')");
	ps.n = 0;
	ck_assert_int_eq(store_status_peers(&site, collect_peer, &ps, &err), 0);
	ck_assert_int_eq(ps.last.held, 1);
	ck_assert_int_eq(ps.last.conflicts, 1);
	ck_assert_int_eq(ps.last.failed, 1);
	/* A later file applied makes up for it. */
	app("INSERT INTO syncpack_flow(peer, direction, flow, kind, status) "
	    "VALUES ('SP01', 'in', 4, 'data', 'applied')");
	ck_assert_int_eq(store_status_peers(&site, collect_peer, &ps, &err), 0);
	ck_assert_int_eq(ps.last.failed, 0);
	/* Files the peer refused count until a later one is acknowledged;
	 * a bad payload's "refused" (refused 0) is not the peer's word. */
	ck_assert_int_eq(ps.last.refused, 0);
	app("INSERT INTO syncpack_flow(peer, direction, flow, kind, status, "
	    "acked, refused) VALUES ('SP01', 'out', 1, 'data', 'refused', 1, 1),"
	    " ('SP01', 'out', 2, 'data', 'refused', 1, 1), ('SP01', 'out', 3, "
	    "'data', 'refused', 0, 0), ('SP01', 'out', 4, 'data', 'sent', 0, 0)");
	ck_assert_int_eq(refused_by_sp01(), 2);
	app("UPDATE syncpack_flow SET acked = 1 WHERE direction = 'out' AND "
	    "flow = 4");
	ck_assert_int_eq(refused_by_sp01(), 0);
}
END_TEST

/* Runs the write, folds, and returns the record afterwards. */
static void
write_folded(const char *guid, json_t *key, json_t *values,
    struct store_record *rec, json_t **row)
{
	struct sp_error err;

	ck_assert_int_eq(store_tx_begin(&site, &err), 0);
	ck_assert_msg(store_conflict_write(&site, "parent", "id", guid,
	    key != NULL, values, &err) == 0 && store_conflict_fold(&site, &err) == 0, "%s",
	    err.msg);
	ck_assert_int_eq(store_tx_commit(&site, &err), 0);
	ck_assert_int_eq(lookup(guid, rec, row), 1);
}

START_TEST(conflict_statements)
{
	struct store_conflict c;
	struct store_record rec;
	struct sp_error err;
	json_t *row = NULL, *key = json_integer(1), *values;
	char p1[33], p2[33], sql[512];

	guid_of("parent", 1, p1);
	guid_of("parent", 2, p2);
	snprintf(sql, sizeof(sql), "INSERT INTO syncpack_conflict(id, guid, "
	    "tbl, peer, flow, remote, detected) VALUES (1, '%s', 'parent', "
	    "'SP01', 3, '{\"rowversion\":7,\"hlc\":123,\"hlc_site\":\"SP01\"}',"
	    " '2024-01-01')", p1);
	app(sql);
	ck_assert_int_eq(store_conflict_get(&site, 2, &c, &err), 0);
	ck_assert_int_eq(store_conflict_get(&site, 1, &c, &err), 1);
	ck_assert_str_eq(c.guid, p1);
	ck_assert_str_eq(c.table, "parent");
	ck_assert_ptr_nonnull(strstr(c.remote, "\"hlc\":123"));
	ck_assert_int_eq(c.remote_rowversion, 7);
	ck_assert_int_eq(c.remote_hlc, 123);
	ck_assert_str_eq(c.remote_site, "SP01");

	/* An update is a local change: a new version with the values. */
	values = json_pack("{s:s}", "name", "remote");
	write_folded(p1, key, values, &rec, &row);
	ck_assert_int_eq(rec.rowversion, 2);
	ck_assert_str_eq(json_string_value(json_object_get(row, "name")),
	    "remote");
	json_decref(row);
	ck_assert_int_eq(store_tx_begin(&site, &err), 0);
	ck_assert_int_eq(store_conflict_settle(&site, &c, &err), 0);
	ck_assert_int_eq(store_tx_commit(&site, &err), 0);
	ck_assert_int_eq(lookup(p1, &rec, NULL), 1);
	ck_assert_int_eq(rec.rowversion, 8);
	ck_assert_int_eq(rec.base, 7);
	ck_assert_int_eq(rec.base_hlc, 123);
	ck_assert_str_eq(rec.base_site, "SP01");
	store_conflict_free(&c);
	ck_assert_int_eq(store_conflict_get(&site, 1, &c, &err), 0);

	/* Touched, the row keeps its values in a new version. */
	ck_assert_int_eq(store_tx_begin(&site, &err), 0);
	ck_assert_int_eq(store_conflict_touch(&site, p2, &err), 0);
	ck_assert_int_eq(store_conflict_fold(&site, &err), 0);
	ck_assert_int_eq(store_tx_commit(&site, &err), 0);
	ck_assert_int_eq(lookup(p2, &rec, NULL), 1);
	ck_assert_int_eq(rec.rowversion, 2);

	/* Deleted, then inserted again under the same GUID. */
	json_integer_set(key, 2);
	write_folded(p2, key, NULL, &rec, &row);
	ck_assert_int_eq(rec.deleted, 1);
	ck_assert_ptr_null(row);
	json_object_set_new(values, "name", json_string("back"));
	write_folded(p2, NULL, values, &rec, &row);
	ck_assert_int_eq(rec.deleted, 0);
	ck_assert_int_gt(rec.rowversion, 3);
	ck_assert_str_eq(json_string_value(json_object_get(row, "name")),
	    "back");
	json_decref(row);

	/* A value that cannot be written is an error, not a NULL. */
	json_object_set_new(values, "name", json_true());
	ck_assert_int_eq(store_conflict_write(&site, "parent", "id", p1, 1,
	    values, &err), -1);
	json_decref(values);
	json_decref(key);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store_recon");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	/* child.label holds a text and a blob: a column of PostgreSQL has
	 * one type. */
	if (fixture_sqlite_only("manifest_values_are_typed", "a column holds "
	    "values of one type"))
		tcase_add_test(tc, manifest_values_are_typed);
	tcase_add_test(tc, manifest_values_of_typed_columns);
	tcase_add_test(tc, manifest_query_filters);
	/* Its parent delete under a child is refused by PostgreSQL's foreign
	 * key; and a PostgreSQL site keeps no checksums yet. */
	if (fixture_sqlite_only("stored_checksums_are_current", "a PostgreSQL "
	    "site keeps no checksums yet"))
		tcase_add_test(tc, stored_checksums_are_current);
	tcase_add_test(tc, reconcile_flows);
	tcase_add_test(tc, status_counts);
	tcase_add_test(tc, conflict_statements);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
