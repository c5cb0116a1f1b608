/* check_store_apply.c: conformance cases for what an apply keeps besides
 * the records: held records (store/held.h), deletes set aside
 * (store/deferred.h), conflicts (store/conflicts.h), the protocol
 * (store/protocol.h), incoming flows (store/flows_in.h) and the apply
 * entries of store/store.h. Only the interface is used, so that every
 * backend can be run through the same cases. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_fixture.h"
#include "store/conflicts.h"
#include "store/deferred.h"
#include "store/flows_in.h"
#include "store/held.h"
#include "store/locks.h"
#include "store/protocol.h"
#include "store/site.h"
#include "store/store.h"

#define G1 "0123456789ABCDEF0123456789ABCDEF"
#define G2 "FEDCBA9876543210FEDCBA9876543210"

static char dir[64];
static struct site site;
static struct store *store;
static struct sp_error err;

static void
setup(void)
{
	char path[128];

	fixture_dir_make(dir, sizeof(dir), "check_store_apply");
	fixture_site_init(path, sizeof(path), dir, "hub", "HUB", 1);
	ck_assert_msg(site_open(&site, path, FIXTURE_OPEN, &err) == 0, "%s", err.msg);
	store = store_open(&site, &err);
	ck_assert_msg(store != NULL, "%s", err.msg);
	ck_assert_msg(store_begin_apply(store, &err) == 0, "%s", err.msg);
}

static void
teardown(void)
{
	store_rollback(store);
	store_close(store);
	site_close(&site);
	fixture_dir_remove(dir);
}

#define OK(call) ck_assert_msg((call) == 0, "%s: %s", #call, err.msg)

/* What store_held_each reports, as "guid peer flow line;" each. */
struct seen {
	char text[1024];
	int n;
	int stop_at;	/* non-zero: return 7 at that call */
};

static int
held_seen(void *ctx, const char *guid, const char *peer, long long flow,
    const char *line, struct sp_error *e)
{
	struct seen *s = ctx;
	size_t len = strlen(s->text);

	(void)e;
	snprintf(s->text + len, sizeof(s->text) - len, "%s %s %lld %s;", guid,
	    peer, flow, line);
	return ++s->n == s->stop_at ? 7 : 0;
}

static const char *
held_list(void)
{
	static struct seen s;

	memset(&s, 0, sizeof(s));
	OK(store_held_each(store, held_seen, &s, &err));
	return s.text;
}

START_TEST(nothing_held)
{
	ck_assert_int_eq(store_held_any(&site, &err), 0);
	ck_assert_str_eq(held_list(), "");
	OK(store_held_drop(store, G1, 5, &err));
	OK(store_held_release(store, G1, &err));
}
END_TEST

START_TEST(held_records_in_order)
{
	const char *l1 = "{\"rowversion\":3}";
	const char *l2 = "{\"rowversion\":1}";

	OK(store_held_put(store, G1, "customer", "S1", 4, 3, "parent missing",
	    l1, strlen(l1), &err));
	OK(store_held_put(store, G2, "order", "S2", 9, 1, "locked", l2,
	    strlen(l2), &err));
	ck_assert_int_eq(store_held_any(&site, &err), 1);
	ck_assert_str_eq(held_list(), G1 " S1 4 {\"rowversion\":3};"
	    G2 " S2 9 {\"rowversion\":1};");
}
END_TEST

START_TEST(a_held_version_is_replaced_by_newer_ones_only)
{
	const char *v3 = "{\"rowversion\":3}";
	const char *v2 = "{\"rowversion\":2}xyz";
	const char *v5 = "{\"rowversion\":5}";

	OK(store_held_put(store, G1, "customer", "S1", 4, 3, "r", v3,
	    strlen(v3), &err));
	/* Only len bytes of the line count. */
	OK(store_held_put(store, G1, "customer", "S2", 5, 2, "r", v2, 16,
	    &err));
	ck_assert_str_eq(held_list(), G1 " S1 4 {\"rowversion\":3};");
	OK(store_held_put(store, G1, "customer", "S2", 6, 5, "r", v5,
	    strlen(v5), &err));
	ck_assert_str_eq(held_list(), G1 " S2 6 {\"rowversion\":5};");
}
END_TEST

START_TEST(a_held_version_is_dropped_by_as_new_ones)
{
	const char *v3 = "{\"rowversion\":3}";

	OK(store_held_put(store, G1, "customer", "S1", 4, 3, "r", v3,
	    strlen(v3), &err));
	OK(store_held_drop(store, G1, 2, &err));
	ck_assert_str_eq(held_list(), G1 " S1 4 {\"rowversion\":3};");
	OK(store_held_drop(store, G2, 9, &err));
	ck_assert_str_eq(held_list(), G1 " S1 4 {\"rowversion\":3};");
	OK(store_held_drop(store, G1, 3, &err));
	ck_assert_str_eq(held_list(), "");
	ck_assert_int_eq(store_held_any(&site, &err), 0);
}
END_TEST

START_TEST(released_records_are_forgotten)
{
	const char *v = "{\"rowversion\":1}";
	struct seen s;

	OK(store_held_put(store, G1, "customer", "S1", 4, 1, "r", v,
	    strlen(v), &err));
	OK(store_held_put(store, G2, "customer", "S1", 4, 1, "r", v,
	    strlen(v), &err));
	OK(store_protocol_note(store, "S1", 4, G1, "customer", "held", "r",
	    &err));
	OK(store_held_release(store, G1, &err));
	ck_assert_str_eq(held_list(), G2 " S1 4 {\"rowversion\":1};");
	/* A callback's value stops the walk and is returned. */
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	OK(store_held_put(store, G1, "customer", "S1", 5, 2, "r", v,
	    strlen(v), &err));
	ck_assert_int_eq(store_held_each(store, held_seen, &s, &err), 7);
	ck_assert_int_eq(s.n, 1);
}
END_TEST

struct deferred_seen {
	char text[512];
	long long ids[8];
	int n;
	int drop_odd;	/* drops every other one while walking */
};

static int
deferred_seen(void *ctx, long long id, const char *line, size_t len,
    struct sp_error *e)
{
	struct deferred_seen *s = ctx;
	size_t used = strlen(s->text);

	snprintf(s->text + used, sizeof(s->text) - used, "%.*s;", (int)len,
	    line);
	s->ids[s->n] = id;
	if (s->drop_odd && s->n % 2 == 0 && store_deferred_drop(store, id, e)
	    != 0)
		return -1;
	s->n++;
	return 0;
}

START_TEST(deletes_set_aside_in_order)
{
	struct deferred_seen s;

	memset(&s, 0, sizeof(s));
	OK(store_deferred_each(store, deferred_seen, &s, &err));
	ck_assert_int_eq(s.n, 0);
	OK(store_deferred_put(store, "one", 3, &err));
	OK(store_deferred_put(store, "two!", 3, &err));
	OK(store_deferred_put(store, "three", 5, &err));
	s.drop_odd = 1;
	OK(store_deferred_each(store, deferred_seen, &s, &err));
	ck_assert_str_eq(s.text, "one;two;three;");
	ck_assert_int_eq(s.n, 3);
	memset(&s, 0, sizeof(s));
	OK(store_deferred_each(store, deferred_seen, &s, &err));
	ck_assert_str_eq(s.text, "two;");
	OK(store_deferred_drop(store, s.ids[0], &err));
	memset(&s, 0, sizeof(s));
	OK(store_deferred_each(store, deferred_seen, &s, &err));
	ck_assert_int_eq(s.n, 0);
}
END_TEST

START_TEST(a_rollback_to_the_savepoint_undoes_the_write)
{
	const char *v = "{\"rowversion\":1}";

	OK(store_record_savepoint(store, &err));
	OK(store_held_put(store, G1, "customer", "S1", 4, 1, "r", v,
	    strlen(v), &err));
	OK(store_record_rollback(store, &err));
	OK(store_record_release(store, &err));
	ck_assert_str_eq(held_list(), "");
	OK(store_record_savepoint(store, &err));
	OK(store_held_put(store, G2, "customer", "S1", 4, 1, "r", v,
	    strlen(v), &err));
	OK(store_record_release(store, &err));
	ck_assert_str_eq(held_list(), G2 " S1 4 {\"rowversion\":1};");
	/* Released is not committed: the apply's rollback undoes it. */
	store_rollback(store);
	ck_assert_int_eq(store_held_any(&site, &err), 0);
	OK(store_begin_apply(store, &err));
	/* A savepoint left open in a failed apply does not survive it. */
	OK(store_record_savepoint(store, &err));
	store_rollback(store);
	ck_assert_int_ne(store_record_release(store, &err), 0);
	OK(store_begin_apply(store, &err));
}
END_TEST

START_TEST(unknown_records_are_neither_locked_nor_purged)
{
	struct store_record rec;
	json_t *key = json_integer(1);

	ck_assert_int_eq(store_locks_any(&site, &err), 0);
	ck_assert_int_eq(store_lock_add(&site, "customer", key, NULL, &err), 1);
	json_decref(key);
	ck_assert_int_eq(store_locks_any(&site, &err), 1);
	ck_assert_int_eq(store_locked(store, "customer", G1, &err), 0);
	memset(&rec, 0, sizeof(rec));
	strcpy(rec.guid, G1);
	ck_assert_int_eq(store_purged_take(store, G1, &rec, &err), 0);
	ck_assert_str_eq(rec.guid, G1);
	ck_assert_int_eq(rec.rowversion, 0);
}
END_TEST

START_TEST(conflicts_protocol_and_moves_are_written)
{
	const char *remote = "{\"rowversion\":2}";

	OK(store_conflict_put(store, G1, "customer", "S1", 4, NULL, remote,
	    strlen(remote), &err));
	OK(store_conflict_put(store, G1, "customer", "S1", 5, "{}", remote,
	    strlen(remote), &err));
	OK(store_conflicts_resolve(store, G1, &err));
	OK(store_conflicts_resolve(store, G2, &err));
	OK(store_protocol_note(store, "S1", 4, G1, "customer", "rejected",
	    NULL, &err));
	OK(store_protocol_note(store, "S1", 4, G1, "customer", "conflict-lost",
	    "", &err));
	OK(store_transfer_done(store, G1, "customer", "S1", 4, &err));
	OK(store_transfer_done(store, G1, "customer", "S1", 5, &err));
	OK(store_move_requested(&site, "0123456789abcdef0123456789abcdef",
	    "customer", "S1", &err));
	OK(store_move_requested(&site, G1, "customer", "S2", &err));
}
END_TEST

static void
flow_state_refused(long long flow, const char *created, int applied,
    int later, int reused, int refused)
{
	int a = -1, l = -1, r = -1, x = -1;

	OK(store_flow_in_state(&site, "S1", flow, created, &a, &l, &r, &x,
	    &err));
	ck_assert_int_eq(a, applied);
	ck_assert_int_eq(l, later);
	ck_assert_int_eq(r, reused);
	ck_assert_int_eq(x, refused);
}

static void
flow_state(long long flow, const char *created, int applied, int later,
    int reused)
{
	flow_state_refused(flow, created, applied, later, reused, 0);
}

START_TEST(incoming_flows)
{
	const char *t1 = "2026-01-01T00:00:00Z", *t2 = "2026-01-02T00:00:00Z";
	struct store_flow_counts n = { 1, 2, 3, 4, 5 };

	/* Flow rows are written outside an apply. */
	store_rollback(store);
	flow_state(7, t1, 0, 0, 0);
	OK(store_flow_in_start(&site, "S1", 7, "data", 0, "f.sxf", t1, &err));
	flow_state(7, t1, 0, 0, 0);
	flow_state(7, t2, 0, 0, 1);
	OK(store_flow_in_finish(&site, "S1", 7, "partial", "ab12", &n, 30,
	    &err));
	flow_state(7, t1, 1, 0, 0);
	flow_state(6, t1, 0, 1, 0);
	flow_state(8, t1, 0, 0, 0);
	/* Another try of the same flow counts as an execution of it. */
	OK(store_flow_in_start(&site, "S1", 7, "data", 0, "f.sxf", t1, &err));
	flow_state(7, t1, 0, 0, 0);
	OK(store_flow_in_finish(&site, "S1", 7, "refused", NULL, NULL, 0,
	    &err));
	flow_state(7, t1, 0, 0, 0);
	flow_state(6, t1, 0, 0, 0);
	OK(store_flow_in_start(&site, "S1", 9, "ack", 7, "a.sxf", t2, &err));
	OK(store_flow_in_finish(&site, "S1", 9, "applied", "", NULL, 0, &err));
	flow_state(9, t2, 1, 0, 0);
	flow_state(8, t1, 0, 0, 0);	/* an ack supersedes nothing */
	OK(store_flow_in_start(&site, "S1", 10, "data", 0, "g.sxf", t2, &err));
	OK(store_flow_in_finish(&site, "S1", 10, "superseded", NULL, NULL, 0,
	    &err));
	flow_state(10, t2, 1, 0, 0);
	flow_state(8, t1, 0, 0, 0);	/* nor does a superseded file */
	OK(store_begin_apply(store, &err));
}
END_TEST

START_TEST(refused_flows)
{
	const char *t1 = "2026-01-01T00:00:00Z";
	struct store_flow_refusal r = { "S1", 7, 3, "f.sxf", t1, "ab12", 30,
	    "wrong prices" };
	struct store_flow_counts n = { 1, 0, 0, 0, 0 };

	store_rollback(store);
	/* A failed try first: the refusal replaces it. */
	OK(store_flow_in_start(&site, "S1", 7, "data", 3, "f.sxf", t1, &err));
	OK(store_flow_in_finish(&site, "S1", 7, "failed", NULL, NULL, 0, &err));
	flow_state_refused(7, t1, 0, 0, 0, 0);
	OK(store_flow_in_refuse(&site, &r, &err));
	flow_state_refused(7, t1, 0, 0, 0, 1);
	/* Not applied, so it supersedes nothing older. */
	flow_state_refused(6, t1, 0, 0, 0, 0);
	/* Without a reason, and for a flow never tried. */
	r.flow = 8;
	r.reason = NULL;
	OK(store_flow_in_refuse(&site, &r, &err));
	flow_state_refused(8, t1, 0, 0, 0, 1);
	/* A refusal is no failed try's "refused" (a bad payload). */
	OK(store_flow_in_start(&site, "S1", 9, "data", 0, "g.sxf", t1, &err));
	OK(store_flow_in_finish(&site, "S1", 9, "refused", NULL, NULL, 0,
	    &err));
	flow_state_refused(9, t1, 0, 0, 0, 0);
	OK(store_flow_in_start(&site, "S1", 10, "data", 0, "h.sxf", t1, &err));
	OK(store_flow_in_finish(&site, "S1", 10, "applied", NULL, &n, 40,
	    &err));
	flow_state_refused(7, t1, 0, 1, 0, 1);
	OK(store_begin_apply(store, &err));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store_apply");
	TCase *held = tcase_create("held");
	TCase *rest = tcase_create("rest");

	tcase_add_checked_fixture(held, setup, teardown);
	tcase_add_test(held, nothing_held);
	tcase_add_test(held, held_records_in_order);
	tcase_add_test(held, a_held_version_is_replaced_by_newer_ones_only);
	tcase_add_test(held, a_held_version_is_dropped_by_as_new_ones);
	tcase_add_test(held, released_records_are_forgotten);
	suite_add_tcase(s, held);
	tcase_add_checked_fixture(rest, setup, teardown);
	tcase_add_test(rest, deletes_set_aside_in_order);
	tcase_add_test(rest, a_rollback_to_the_savepoint_undoes_the_write);
	tcase_add_test(rest, unknown_records_are_neither_locked_nor_purged);
	tcase_add_test(rest, conflicts_protocol_and_moves_are_written);
	tcase_add_test(rest, incoming_flows);
	tcase_add_test(rest, refused_flows);
	suite_add_tcase(s, rest);
	return fixture_run(s);
}
