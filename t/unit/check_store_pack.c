/* check_store_pack.c: conformance tests for what building a data file
 * reads and writes besides the records: store/packing.h (a peer's marks,
 * table columns, purged deletes) and store/moving.h (moves and move
 * requests), with store/tx.h. They use the interface only; what the
 * application does to its tables, and the rows other parts of the
 * exchange leave (purged deletes, requests), go through app() and
 * app_int(), the part a second backend replaces. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_fixture.h"
#include "store/moving.h"
#include "store/packing.h"
#include "store/site.h"
#include "store/store.h"
#include "store/tables.h"
#include "store/tx.h"

static char dir[64];
static char path[128];
static struct site site;
static long long parent_id, line_id;

/* The tracking calls of the site's backend (store/tables.h). */
static const struct store_tables_ops *
tables(void)
{
	return store_tables_ops(&site);
}

static void
app(const char *sql)
{
	fixture_app(path, sql);
}

/* The one integer sql gives. */
static long long
app_int(const char *sql)
{
	return fixture_app_int(path, sql);
}

static long long
track(const char *table, int movable)
{
	struct tracked_table t;
	struct sp_error err;
	long long id;

	memset(&t, 0, sizeof(t));
	t.name = strdup(table);
	t.pk = strdup("id");
	ck_assert_ptr_nonnull(t.name);
	ck_assert_ptr_nonnull(t.pk);
	t.pk_integer = 1;
	strcpy(t.owner, "shared");
	strcpy(t.route, "all");
	strcpy(t.conflict, "lww");
	strcpy(t.key, "local");
	t.movable = movable;
	ck_assert_int_eq(store_tx_begin(&site, &err), 0);
	ck_assert_msg(tables()->table_save(&site, &t, &err) == 0 &&
	    tables()->fks_refresh(&site, &err) == 0 &&
	    tables()->table_adopt(&site, &t, &err) == 0 &&
	    tables()->capture_install(&site, &t, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(store_tx_commit(&site, &err), 0);
	id = t.id;
	tracked_table_free(&t);
	return id;
}

static void
setup(void)
{
	struct sp_error err;
	char *pem;

	fixture_dir_make(dir, sizeof(dir), "check_store_pack");
	fixture_site_init(path, sizeof(path), dir, "hub", "HUB", 1);
	app("CREATE TABLE parent(id INTEGER PRIMARY KEY, name text, extra);"
	    "CREATE TABLE line(id INTEGER PRIMARY KEY, parent_id INTEGER "
	    "REFERENCES parent(id), what TEXT);"
	    "INSERT INTO parent VALUES (1, 'one', NULL), (2, 'two', NULL);"
	    "INSERT INTO line VALUES (10, 1, 'a'), (11, 1, 'b'), (12, 2, 'c')");
	ck_assert_int_eq(site_open(&site, path, FIXTURE_OPEN, &err), 0);
	parent_id = track("parent", 1);
	line_id = track("line", 1);
	/* Opening folds what the capture logged into the records. */
	site_close(&site);
	ck_assert_int_eq(site_open(&site, path, FIXTURE_OPEN, &err), 0);
	/* A peer needs a key; this site's own public one will do. */
	pem = site_public_pem(&site, &err);
	ck_assert_ptr_nonnull(pem);
	ck_assert_msg(site_peer_add(&site, "W1", pem, NULL, &err) == 0, "%s",
	    err.msg);
	ck_assert_msg(site_peer_add(&site, "W2", pem, NULL, &err) == 0, "%s",
	    err.msg);
	free(pem);
}

static void
teardown(void)
{
	site_close(&site);
	fixture_dir_remove(dir);
}

/* The GUID of table's record whose local key is id. */
static void
guid_of(const char *table, long long id, char guid[33])
{
	struct sp_error err;
	struct store *st = store_open(&site, &err);
	struct store_record rec;
	json_t *key = json_integer(id);

	ck_assert_ptr_nonnull(st);
	ck_assert_int_eq(store_lookup_key(st, table, key, &rec, &err), 1);
	snprintf(guid, 33, "%s", rec.guid);
	json_decref(key);
	store_close(st);
}

START_TEST(peer_marks_and_advance)
{
	struct sp_error err;
	long long acked = -5, now = -5;

	ck_assert_int_eq(store_peer_marks(&site, "W1", &acked, &now, &err), 1);
	ck_assert_int_eq(acked, 0);
	/* Adopting five rows went through the change log. */
	ck_assert_int_ge(now, 5);
	ck_assert_int_eq(store_peer_marks(&site, "W9", &acked, &now, &err), 0);

	ck_assert_int_eq(store_peer_advance(&site, "W1", 4, &err), 0);
	ck_assert_int_eq(store_peer_marks(&site, "W1", &acked, &now, &err), 1);
	ck_assert_int_eq(acked, 4);
	/* Never backwards, and only the peer named. */
	ck_assert_int_eq(store_peer_advance(&site, "W1", 2, &err), 0);
	ck_assert_int_eq(store_peer_marks(&site, "W1", &acked, &now, &err), 1);
	ck_assert_int_eq(acked, 4);
	ck_assert_int_eq(store_peer_marks(&site, "W2", &acked, &now, &err), 1);
	ck_assert_int_eq(acked, 0);
	/* Advancing an unknown peer changes nothing and is no error. */
	ck_assert_int_eq(store_peer_advance(&site, "W9", 4, &err), 0);
}
END_TEST

struct cols {
	char seen[8][64];
	int n;
};

static int
col_cb(void *ctx, const char *name, const char *type, int pk,
    struct sp_error *err)
{
	struct cols *c = ctx;

	(void)err;
	ck_assert_int_lt(c->n, 8);
	snprintf(c->seen[c->n++], 64, "%s|%s|%d", name, type, pk);
	return 0;
}

static int
stop_cb(void *ctx, const char *name, const char *type, int pk,
    struct sp_error *err)
{
	(void)name;
	(void)type;
	(void)pk;
	(void)err;
	++*(int *)ctx;
	return 7;
}

START_TEST(table_columns_as_declared)
{
	struct sp_error err;
	struct cols c = { .n = 0 };
	int calls = 0;

	ck_assert_int_eq(store_table_columns(&site, "parent", col_cb, &c, &err),
	    0);
	ck_assert_int_eq(c.n, 3);
	ck_assert_str_eq(c.seen[0], "id|INTEGER|1");
	ck_assert_str_eq(c.seen[1], "name|TEXT|0");
	/* Without a type, and text where a column needs one
	 * (store_fixture.h). */
	ck_assert_str_eq(c.seen[2], fixture_postgresql() ? "extra|TEXT|0" :
	    "extra||0");
	c.n = 0;
	ck_assert_int_eq(store_table_columns(&site, "missing", col_cb, &c,
	    &err), 0);
	ck_assert_int_eq(c.n, 0);
	ck_assert_int_eq(store_table_columns(&site, "line", stop_cb, &calls,
	    &err), 7);
	ck_assert_int_eq(calls, 1);
}
END_TEST

struct seen_records {
	struct store_record rec[4];
	int n;
};

static int
purged_cb(void *ctx, const struct store_record *rec, json_t *row,
    struct sp_error *err)
{
	struct seen_records *s = ctx;

	(void)err;
	ck_assert_ptr_null(row);
	ck_assert_int_lt(s->n, 4);
	s->rec[s->n++] = *rec;
	return 0;
}

START_TEST(purged_deletes)
{
	struct sp_error err;
	struct store_record rec;
	struct seen_records seen = { .n = 0 };
	char sql[512];

	snprintf(sql, sizeof(sql), "INSERT INTO syncpack_purged(guid, tbl, "
	    "origin, owner, rowversion, hlc, hlc_site, purged) VALUES "
	    "('BB', %lld, 'W1', 'W2', 3, 99, 'W1', 'x'), "
	    "('AA', %lld, 'HUB', 'HUB', 2, 98, 'HUB', 'x'), "
	    "('CC', %lld, 'HUB', 'HUB', 1, 97, 'HUB', 'x'), "
	    "('DD', 9999, 'HUB', 'HUB', 1, 97, 'HUB', 'x')", line_id, line_id,
	    parent_id);
	app(sql);
	ck_assert_int_eq(store_purged_lookup(&site, "BB", &rec, &err), 1);
	ck_assert_str_eq(rec.guid, "BB");
	ck_assert_str_eq(rec.table, "line");
	ck_assert_str_eq(rec.origin, "W1");
	ck_assert_str_eq(rec.owner, "W2");
	ck_assert_str_eq(rec.hlc_site, "W1");
	ck_assert_int_eq(rec.rowversion, 3);
	ck_assert_int_eq(rec.hlc, 99);
	ck_assert_int_eq(rec.deleted, 1);
	ck_assert_int_eq(rec.flags, 0);
	ck_assert_int_eq(rec.lseq, 0);
	ck_assert_str_eq(rec.src, "");
	ck_assert_int_eq(store_purged_lookup(&site, "EE", &rec, &err), 0);
	/* A table not tracked: not remembered for the exchange. */
	ck_assert_int_eq(store_purged_lookup(&site, "DD", &rec, &err), 0);

	ck_assert_int_eq(store_purged_each(&site, purged_cb, &seen, &err), 0);
	ck_assert_int_eq(seen.n, 3);
	/* By table in tracking order, then GUID. */
	ck_assert_str_eq(seen.rec[0].guid, "CC");
	ck_assert_str_eq(seen.rec[0].table, "parent");
	ck_assert_str_eq(seen.rec[1].guid, "AA");
	ck_assert_str_eq(seen.rec[2].guid, "BB");
}
END_TEST

static int
has(const struct store_guids *g, const char *guid)
{
	for (int i = 0; i < g->count; i++)
		if (strcmp(g->guid[i], guid) == 0)
			return 1;
	return 0;
}

START_TEST(find_and_start_moves)
{
	struct sp_error err;
	struct store_guids g;
	char p1[33], p2[33], l10[33], l11[33], found[33], lower[33], to[16];
	char sql[256];
	int flags;

	guid_of("parent", 1, p1);
	guid_of("parent", 2, p2);
	guid_of("line", 10, l10);
	guid_of("line", 11, l11);
	ck_assert_int_eq(store_move_find(&site, parent_id, 1, "1", 0, found,
	    &err), 1);
	ck_assert_str_eq(found, p1);
	for (int i = 0; p2[i]; i++)
		lower[i] = (char)(p2[i] >= 'A' && p2[i] <= 'F' ? p2[i] + 32 :
		    p2[i]);
	lower[32] = '\0';
	ck_assert_int_eq(store_move_find(&site, parent_id, 1, lower, 1, found,
	    &err), 1);
	ck_assert_str_eq(found, p2);
	ck_assert_int_eq(store_move_find(&site, parent_id, 1, "3", 0, found,
	    &err), 0);
	ck_assert_int_eq(store_move_find(&site, line_id, 1, "1", 0, found,
	    &err), 0);

	ck_assert_int_eq(store_move_state(&site, p1, &flags, to, sizeof(to),
	    &err), 0);
	ck_assert_int_eq(flags & 2, 0);
	ck_assert_str_eq(to, "");
	ck_assert_int_eq(store_move_children(&site, p1, &g, &err), 0);
	ck_assert_int_eq(g.count, 2);
	ck_assert(has(&g, l10) && has(&g, l11));
	store_guids_free(&g);
	ck_assert_int_eq(store_move_children(&site, l10, &g, &err), 0);
	ck_assert_int_eq(g.count, 0);
	store_guids_free(&g);

	ck_assert_int_eq(store_tx_begin(&site, &err), 0);
	ck_assert_int_eq(store_move_start(&site, p1, "W1", &err), 0);
	ck_assert_int_eq(store_move_start(&site, l10, "W1", &err), 0);
	ck_assert_int_eq(store_move_start(&site, "NOSUCH", "W1", &err), 0);
	ck_assert_int_eq(store_tx_commit(&site, &err), 0);
	ck_assert_int_eq(store_move_state(&site, p1, &flags, to, sizeof(to),
	    &err), 0);
	ck_assert_int_eq(flags & 2, 2);
	ck_assert_str_eq(to, "W1");
	ck_assert_int_eq(store_move_state(&site, "NOSUCH", &flags, to,
	    sizeof(to), &err), 0);
	ck_assert_int_eq(flags, 0);

	ck_assert_int_eq(store_moves_outgoing(&site, "W1", parent_id, &g, &err),
	    0);
	ck_assert_int_eq(g.count, 1);
	ck_assert_str_eq(g.guid[0], p1);
	store_guids_free(&g);
	ck_assert_int_eq(store_moves_outgoing(&site, "W2", parent_id, &g, &err),
	    0);
	ck_assert_int_eq(g.count, 0);
	store_guids_free(&g);

	ck_assert_int_eq(store_moves_in_transit_to(&site, "W1", &g, &err), 0);
	ck_assert_int_eq(g.count, 2);
	ck_assert(has(&g, p1) && has(&g, l10));
	ck_assert_int_lt(strcmp(g.guid[0], g.guid[1]), 0);
	store_guids_free(&g);

	/* The hops in no flow yet go in the file's flow, once. */
	ck_assert_int_eq(store_moves_set_flow(&site, "W1", 7, &err), 0);
	ck_assert_int_eq(store_moves_set_flow(&site, "W1", 8, &err), 0);
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM syncpack_transfer "
	    "WHERE flow = 7 AND from_site = 'HUB' AND to_site = 'W1'");
	ck_assert_int_eq(app_int(sql), 2);
	ck_assert_int_eq(app_int("SELECT count(*) FROM syncpack_transfer"), 2);
}
END_TEST

START_TEST(move_requests)
{
	struct sp_error err;
	struct store_guids g;
	char p1[33], p2[33], sql[512];

	guid_of("parent", 1, p1);
	guid_of("parent", 2, p2);
	snprintf(sql, sizeof(sql), "INSERT INTO syncpack_move_request(guid, "
	    "tbl, peer, requested) VALUES ('%s', 'parent', 'W1', 'x'), ('%s', "
	    "'parent', 'W1', 'x'), ('%s', 'parent', 'W2', 'x'), ('NOSUCH', "
	    "'parent', 'W1', 'x')", p1, p2, p2);
	app(sql);
	ck_assert_int_eq(store_move_requests(&site, "W1", &g, &err), 0);
	ck_assert_int_eq(g.count, 2);
	ck_assert(has(&g, p1) && has(&g, p2));
	store_guids_free(&g);

	ck_assert_int_eq(store_tx_begin(&site, &err), 0);
	ck_assert_int_eq(store_move_start(&site, p1, "W1", &err), 0);
	ck_assert_int_eq(store_move_request_answered(&site, p2, "W1", &err), 0);
	ck_assert_int_eq(store_tx_commit(&site, &err), 0);
	/* p1 is leaving, p2 answered for W1 only. */
	ck_assert_int_eq(store_move_requests(&site, "W1", &g, &err), 0);
	ck_assert_int_eq(g.count, 0);
	store_guids_free(&g);
	ck_assert_int_eq(store_move_requests(&site, "W2", &g, &err), 0);
	ck_assert_int_eq(g.count, 1);
	ck_assert_str_eq(g.guid[0], p2);
	store_guids_free(&g);
}
END_TEST

START_TEST(read_transaction)
{
	struct sp_error err;
	long long acked, now;

	ck_assert_int_eq(store_tx_begin_read(&site, &err), 0);
	ck_assert_int_eq(store_peer_marks(&site, "W1", &acked, &now, &err), 1);
	/* It takes no write lock: another connection still may. */
	app("BEGIN IMMEDIATE; ROLLBACK");
	ck_assert_int_eq(store_tx_commit(&site, &err), 0);
	ck_assert_int_eq(store_tx_begin_read(&site, &err), 0);
	store_tx_rollback(&site);
	ck_assert_int_eq(store_tx_begin(&site, &err), 0);
	ck_assert_int_eq(store_tx_commit(&site, &err), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store_pack");
	TCase *tc = tcase_create("pack");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, peer_marks_and_advance);
	tcase_add_test(tc, table_columns_as_declared);
	tcase_add_test(tc, purged_deletes);
	tcase_add_test(tc, find_and_start_moves);
	tcase_add_test(tc, move_requests);
	tcase_add_test(tc, read_transaction);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
