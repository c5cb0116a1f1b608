/* check_store_listings.c: conformance tests for the listings and the peer
 * list of the store interface (store/listings.h, store/peers.h). The cases
 * use only the interface; the rows they list are written by fixture(),
 * the one part a second backend replaces, since the operations that write
 * them (apply, ack, track, lock) are not store calls of their own. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_fixture.h"
#include "store/listings.h"
#include "store/peers.h"
#include "store/site.h"

static char dir[64];
static struct site site;

/* The rows as the SQLite backend's writers leave them, written by the
 * fixture: these cases read the listings, not the writers. */
static void
fixture(void)
{
	fixture_app(site.path,
	    "INSERT INTO syncpack_flow(peer, direction, flow, kind, file, ready,"
	    " started, status, acked, n_applied) VALUES"
	    " ('SP01', 'out', 7, 'data', 'a.sxf', '2024-01-03', NULL, 'sent',"
	    "  1, 0),"
	    " ('SP02', 'in', 3, 'data', NULL, NULL, '2024-01-02', 'applied', 0,"
	    "  12),"
	    " ('SP01', 'in', 4, 'ack', NULL, '2024-01-01', NULL, 'applied', 0,"
	    "  0);"
	    "INSERT INTO syncpack_protocol(peer, direction, flow, guid, tbl,"
	    " outcome, reason) VALUES"
	    " ('SP02', 'in', 3, 'G2', 'customer', 'held', 'parent'),"
	    " ('SP01', 'in', 3, 'G1', 'customer', 'conflict', NULL),"
	    " ('SP02', 'in', 3, 'G0', 'country', 'rejected', 'frozen'),"
	    " ('SP02', 'in', 4, 'G9', 'country', 'rejected', 'frozen');"
	    "INSERT INTO syncpack_transfer(guid, tbl, from_site, to_site, flow,"
	    " at, state) VALUES"
	    " ('ABCD', 'customer', 'HUB', 'SP01', 5, '2024-01-02', 'sent'),"
	    " ('ABCD', 'customer', 'SP01', 'SP02', 2, '2024-01-01', 'done'),"
	    " ('0123', 'customer', 'HUB', 'SP02', 6, '2024-01-05', 'sent');"
	    "INSERT INTO syncpack_held(guid, peer, flow, tbl, reason, since,"
	    " record) VALUES"
	    " ('H2', 'SP01', 9, 'customer', 'locked', '2024-01-02', '{}'),"
	    " ('H1', 'SP02', 8, 'order', 'parent', '2024-01-02', '{}'),"
	    " ('H0', 'SP02', 8, 'order', 'parent', '2024-01-01', '{}');"
	    "INSERT INTO syncpack_conflict(id, guid, tbl, peer, flow, remote,"
	    " detected, resolved) VALUES"
	    " (2, 'C2', 'customer', 'SP01', 4, '{}', '2024-01-02', NULL),"
	    " (1, 'C1', 'customer', 'SP02', 3, '{}', '2024-01-01',"
	    "  '2024-01-03');"
	    "INSERT INTO syncpack_lock(tbl, rkey, locked_by, since) VALUES"
	    " ('customer', 10, NULL, '2024-01-02'),"
	    " ('customer', 2, 'anna', '2024-01-01'),"
	    " ('country', 'CH', 'bob', '2024-01-03');"
	    "INSERT INTO syncpack_table(name, pk, pk_integer, owner, route,"
	    " conflict, freeze, movable, window_column, key_kind,"
	    " rowversion_column, tracked, since) VALUES"
	    " ('customer', 'id', 1, 'creator', 'owner', 'manual', 1, 1, 'day',"
	    "  'local', 0, 1, '2024-01-01'),"
	    " ('country', 'code', 0, 'central', 'all', 'lww', 0, 0, NULL,"
	    "  'natural', 0, 0, '2024-01-01'),"
	    " ('item', 'id', 1, 'shared', 'none', 'hub', 0, 0, NULL,"
	    "  'local', 1, 1, '2024-01-01')");
}

static void
setup(void)
{
	struct sp_error err;
	char path[128];

	fixture_dir_make(dir, sizeof(dir), "check_store_listings");
	fixture_site_init(path, sizeof(path), dir, "hub", "HUB", 1);
	ck_assert_int_eq(site_open(&site, path, FIXTURE_OPEN, &err), 0);
}

static void
teardown(void)
{
	site_close(&site);
	fixture_dir_remove(dir);
}

/* Each row as one line of name=value pairs; integers as #N, no value as
 * NULL, so that the kind of each cell is checked with its text. */
struct rows {
	char text[4096];
	int count;
	int stop_after;		/* > 0: stop after that many rows */
};

static int
collect(void *ctx, const struct store_cell *cells, int n,
    struct sp_error *err)
{
	struct rows *r = ctx;
	size_t len = strlen(r->text);

	for (int i = 0; i < n; i++) {
		const struct store_cell *c = &cells[i];
		char v[256];

		if (c->kind == STORE_CELL_INTEGER) {
			char dec[32];
			snprintf(dec, sizeof(dec), "%lld", c->integer);
			/* The text of an integer is its decimal form. */
			ck_assert_str_eq(c->text, dec);
			snprintf(v, sizeof(v), "#%lld", c->integer);
		} else if (c->kind == STORE_CELL_NULL) {
			ck_assert_ptr_null(c->text);
			snprintf(v, sizeof(v), "NULL");
		} else {
			ck_assert_ptr_nonnull(c->text);
			snprintf(v, sizeof(v), "%s", c->text);
		}
		len += (size_t)snprintf(r->text + len, sizeof(r->text) - len,
		    "%s%s=%s", i ? " " : "", c->name, v);
		ck_assert_uint_lt(len, sizeof(r->text));
	}
	len += (size_t)snprintf(r->text + len, sizeof(r->text) - len, "\n");
	ck_assert_uint_lt(len, sizeof(r->text));
	if (++r->count == r->stop_after)
		return sp_error_set(err, "stopped");
	return 0;
}

static struct rows rows;

static void
reset(void)
{
	memset(&rows, 0, sizeof(rows));
}

START_TEST(test_empty)
{
	static const store_listing_fn plain[] = { store_list_held,
	    store_list_conflicts, store_list_locks, store_list_tables,
	    store_list_peers };
	static const struct store_flow_filter all = { NULL, NULL, NULL };
	struct store_peer *peers;
	struct sp_error err;
	size_t n = 99;

	reset();
	ck_assert_int_eq(store_list_flows(&site, &all, collect, &rows, &err),
	    0);
	ck_assert_int_eq(store_list_protocol(&site, 1, NULL, collect, &rows,
	    &err), 0);
	ck_assert_int_eq(store_list_transfers(&site, NULL, collect, &rows,
	    &err), 0);
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		ck_assert_int_eq(plain[i](&site, collect, &rows, &err), 0);
	ck_assert_int_eq(rows.count, 0);
	ck_assert_int_eq(store_peers(&site, &peers, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	store_peers_free(peers, n);
}
END_TEST

START_TEST(test_flows)
{
	static const struct store_flow_filter all = { NULL, NULL, NULL },
	    sp01 = { "SP01", NULL, NULL },
	    since = { NULL, "2024-01-02", NULL },
	    sent = { NULL, NULL, "sent" }, none = { "NONE", NULL, NULL };
	struct sp_error err;

	fixture();
	reset();
	ck_assert_int_eq(store_list_flows(&site, &all, collect, &rows, &err),
	    0);
	ck_assert_str_eq(rows.text,
	    "peer=SP01 direction=in flow=#4 link=#0 kind=ack ready=2024-01-01 "
	    "started=NULL ended=NULL executions=#0 status=applied applied=#0 "
	    "skipped=#0 conflicts=#0 rejected=#0 held=#0 acked=no file=NULL "
	    "sha256=NULL reason=NULL\n"
	    "peer=SP02 direction=in flow=#3 link=#0 kind=data ready=NULL "
	    "started=2024-01-02 ended=NULL executions=#0 status=applied "
	    "applied=#12 skipped=#0 conflicts=#0 rejected=#0 held=#0 acked=no "
	    "file=NULL sha256=NULL reason=NULL\n"
	    "peer=SP01 direction=out flow=#7 link=#0 kind=data "
	    "ready=2024-01-03 started=NULL ended=NULL executions=#0 "
	    "status=sent applied=#0 skipped=#0 conflicts=#0 rejected=#0 "
	    "held=#0 acked=yes file=a.sxf sha256=NULL reason=NULL\n");
	reset();
	ck_assert_int_eq(store_list_flows(&site, &sp01, collect, &rows, &err),
	    0);
	ck_assert_int_eq(rows.count, 2);
	ck_assert_ptr_null(strstr(rows.text, "SP02"));
	reset();
	ck_assert_int_eq(store_list_flows(&site, &since, collect, &rows,
	    &err), 0);
	ck_assert_int_eq(rows.count, 2);
	ck_assert_ptr_null(strstr(rows.text, "flow=#4 "));
	reset();
	ck_assert_int_eq(store_list_flows(&site, &sent, collect, &rows, &err),
	    0);
	ck_assert_int_eq(rows.count, 1);
	ck_assert_ptr_nonnull(strstr(rows.text, "flow=#7 "));
	reset();
	ck_assert_int_eq(store_list_flows(&site, &none, collect, &rows, &err),
	    0);
	ck_assert_int_eq(rows.count, 0);
}
END_TEST

START_TEST(test_protocol)
{
	struct sp_error err;

	fixture();
	reset();
	ck_assert_int_eq(store_list_protocol(&site, 3, NULL, collect, &rows,
	    &err), 0);
	ck_assert_str_eq(rows.text,
	    "direction=in peer=SP01 flow=#3 table=customer guid=G1 "
	    "outcome=conflict reason=NULL\n"
	    "direction=in peer=SP02 flow=#3 table=customer guid=G2 "
	    "outcome=held reason=parent\n"
	    "direction=in peer=SP02 flow=#3 table=country guid=G0 "
	    "outcome=rejected reason=frozen\n");
	reset();
	ck_assert_int_eq(store_list_protocol(&site, 3, "SP01", collect, &rows,
	    &err), 0);
	ck_assert_int_eq(rows.count, 1);
	reset();
	ck_assert_int_eq(store_list_protocol(&site, 4, NULL, collect, &rows,
	    &err), 0);
	ck_assert_str_eq(rows.text, "direction=in peer=SP02 flow=#4 "
	    "table=country guid=G9 outcome=rejected reason=frozen\n");
}
END_TEST

START_TEST(test_transfers)
{
	struct sp_error err;

	fixture();
	reset();
	ck_assert_int_eq(store_list_transfers(&site, NULL, collect, &rows,
	    &err), 0);
	ck_assert_str_eq(rows.text,
	    "guid=0123 table=customer from=HUB to=SP02 flow=#6 at=2024-01-05 "
	    "state=sent\n"
	    "guid=ABCD table=customer from=SP01 to=SP02 flow=#2 at=2024-01-01 "
	    "state=done\n"
	    "guid=ABCD table=customer from=HUB to=SP01 flow=#5 at=2024-01-02 "
	    "state=sent\n");
	reset();
	ck_assert_int_eq(store_list_transfers(&site, "abcd", collect, &rows,
	    &err), 0);
	ck_assert_int_eq(rows.count, 2);
	ck_assert_ptr_null(strstr(rows.text, "0123"));
}
END_TEST

START_TEST(test_operator_lists)
{
	struct sp_error err;

	fixture();
	reset();
	ck_assert_int_eq(store_list_held(&site, collect, &rows, &err), 0);
	ck_assert_str_eq(rows.text,
	    "tbl=order guid=H0 peer=SP02 flow=#8 since=2024-01-01 "
	    "reason=parent\n"
	    "tbl=customer guid=H2 peer=SP01 flow=#9 since=2024-01-02 "
	    "reason=locked\n"
	    "tbl=order guid=H1 peer=SP02 flow=#8 since=2024-01-02 "
	    "reason=parent\n");
	reset();
	ck_assert_int_eq(store_list_conflicts(&site, collect, &rows, &err), 0);
	ck_assert_str_eq(rows.text,
	    "id=#1 tbl=customer guid=C1 peer=SP02 flow=#3 detected=2024-01-01 "
	    "resolved=2024-01-03\n"
	    "id=#2 tbl=customer guid=C2 peer=SP01 flow=#4 detected=2024-01-02 "
	    "resolved=unresolved\n");
	/* What every backend lists of the locks: by table, nobody as -; the
	 * keys' order is test_lock_list's. */
	reset();
	ck_assert_int_eq(store_list_locks(&site, collect, &rows, &err), 0);
	ck_assert_int_eq(rows.count, 3);
	ck_assert_ptr_eq(strstr(rows.text, "tbl=country rkey=CH locked_by=bob "
	    "since=2024-01-03\n"), rows.text);
	ck_assert_ptr_nonnull(strstr(rows.text, " locked_by=- "
	    "since=2024-01-02\n"));
}
END_TEST

/* SQLite only: a lock's key there keeps the type of the value locked; on
 * PostgreSQL it is the key's text (a key column has one type), listed as
 * text. */
START_TEST(test_lock_list)
{
	struct sp_error err;

	fixture();
	reset();
	ck_assert_int_eq(store_list_locks(&site, collect, &rows, &err), 0);
	/* Keys keep their own type: 2 sorts before 10. */
	ck_assert_str_eq(rows.text,
	    "tbl=country rkey=CH locked_by=bob since=2024-01-03\n"
	    "tbl=customer rkey=#2 locked_by=anna since=2024-01-01\n"
	    "tbl=customer rkey=#10 locked_by=- since=2024-01-02\n");
}
END_TEST

START_TEST(test_tables)
{
	struct sp_error err;

	fixture();
	reset();
	ck_assert_int_eq(store_list_tables(&site, collect, &rows, &err), 0);
	ck_assert_str_eq(rows.text,
	    "table=country owner=central route=all conflict=lww "
	    "key=natural(code) window=NULL flags=NULL state=untracked\n"
	    "table=customer owner=creator route=owner conflict=manual "
	    "key=local(id) window=day flags=freeze movable state=tracked\n"
	    "table=item owner=shared route=none conflict=hub key=local(id) "
	    "window=NULL flags=rowversion-column state=tracked\n");
}
END_TEST

START_TEST(test_stop)
{
	struct sp_error err;

	fixture();
	reset();
	rows.stop_after = 1;
	ck_assert_int_eq(store_list_held(&site, collect, &rows, &err), -1);
	ck_assert_int_eq(rows.count, 1);
	ck_assert_str_eq(err.msg, "stopped");
	/* The listing left nothing open: the site still answers. */
	reset();
	ck_assert_int_eq(store_list_conflicts(&site, collect, &rows, &err), 0);
	ck_assert_int_eq(rows.count, 2);
}
END_TEST

/* A second site's public key, to register it as a peer. */
static char *
peer_pem(const char *id)
{
	struct sp_error err;
	struct site other;
	char path[128];
	char *pem;

	fixture_site_init(path, sizeof(path), dir, id, id, 0);
	ck_assert_int_eq(site_open(&other, path, FIXTURE_OPEN, &err), 0);
	pem = site_public_pem(&other, &err);
	ck_assert_ptr_nonnull(pem);
	site_close(&other);
	return pem;
}

START_TEST(test_peers)
{
	char *b = peer_pem("SPB"), *a = peer_pem("SPA");
	struct store_peer *peers;
	struct sp_error err;
	size_t n;

	ck_assert_int_eq(site_peer_add(&site, "SPB", b, NULL, &err), 0);
	ck_assert_int_eq(site_peer_add(&site, "SPA", a, "sftp://box/in",
	    &err), 0);
	free(a);
	free(b);
	ck_assert_int_eq(store_peers(&site, &peers, &n, &err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(peers[0].site, "SPA");
	ck_assert_str_eq(peers[0].url, "sftp://box/in");
	ck_assert_str_eq(peers[1].site, "SPB");
	ck_assert_ptr_null(peers[1].url);
	for (size_t i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(peers[i].added);
		/* YYYY-MM-DDTHH:MM:SSZ */
		ck_assert_uint_eq(strlen(peers[i].added), 20);
		ck_assert_int_eq(peers[i].added[10], 'T');
	}
	reset();
	ck_assert_int_eq(store_list_peers(&site, collect, &rows, &err), 0);
	ck_assert_int_eq(rows.count, 2);
	ck_assert_ptr_nonnull(strstr(rows.text, "peer=SPA url=sftp://box/in "
	    "added="));
	ck_assert_ptr_nonnull(strstr(rows.text, "peer=SPB url=NULL added="));
	ck_assert_ptr_eq(strstr(rows.text, "SPA"), rows.text + 5);
	store_peers_free(peers, n);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store_listings");
	TCase *tc = tcase_create("listings");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_empty);
	tcase_add_test(tc, test_flows);
	tcase_add_test(tc, test_protocol);
	tcase_add_test(tc, test_transfers);
	tcase_add_test(tc, test_operator_lists);
	if (fixture_sqlite_only("test_lock_list", "lock keys are text"))
		tcase_add_test(tc, test_lock_list);
	tcase_add_test(tc, test_tables);
	tcase_add_test(tc, test_stop);
	tcase_add_test(tc, test_peers);
	suite_add_tcase(s, tc);
	return fixture_run(s);
}
