/* check_store_ack.c: conformance cases for the store's flow log and marks
 * (store/flows.h), protocol (store/protocol.h), hops of moves
 * (store/transfers.h) and purging (store/vacuum.h). Only the interface is
 * used, so that every backend can be run through the same cases. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "store_fixture.h"
#include "store/flows.h"
#include "store/listings.h"
#include "store/protocol.h"
#include "store/site.h"
#include "store/transfers.h"
#include "store/vacuum.h"

static char dir[64];
static struct site site;

static void
setup(void)
{
	struct sp_error err;
	char path[128];

	fixture_dir_make(dir, sizeof(dir), "check_store_ack");
	fixture_site_init(path, sizeof(path), dir, "hub", "HUB", 1);
	ck_assert_msg(site_open(&site, path, FIXTURE_OPEN, &err) == 0, "%s", err.msg);
}

static void
teardown(void)
{
	site_close(&site);
	fixture_dir_remove(dir);
}

static void
add_peer(const char *peer)
{
	struct sp_error err;
	char *pem = site_public_pem(&site, &err);

	ck_assert_msg(pem != NULL, "%s", err.msg);
	ck_assert_msg(site_peer_add(&site, peer, pem, NULL, &err) == 0, "%s",
	    err.msg);
	free(pem);
}

static void
add_out(const char *peer, uint64_t flow, const char *sha256,
    long long covered)
{
	struct store_flow_out f = { peer, flow, "data", 0, "/out/f.sxf",
	    sha256, covered };
	struct sp_error err;

	ck_assert_msg(store_flow_add_out(&site, &f, &err) == 0, "%s", err.msg);
	ck_assert_msg(store_peer_sent(&site, peer, &err) == 0, "%s", err.msg);
}

static long long
mark_of(const char *peer)
{
	struct sp_error err;
	long long mark = -99;

	ck_assert_int_eq(store_peer_mark(&site, peer, &mark, &err), 1);
	return mark;
}

/* store_flow_ack_out's answer; *covered is set only when it is 1. */
static int
ack_out(const char *peer, long long f, const char *sha, long long *covered)
{
	struct sp_error err;
	int r;

	*covered = -99;
	r = store_flow_ack_out(&site, peer, f, sha, covered, &err);
	ck_assert_msg(r >= 0, "%s", err.msg);
	if (r == 0)
		ck_assert_int_eq(*covered, -99);
	return r;
}

START_TEST(outgoing_flows_keep_their_checksum)
{
	struct sp_error err;
	char *sha = (char *)"x";

	add_peer("S1");
	add_out("S1", 4, "aa", 7);
	add_out("S1", 5, NULL, 9);
	ck_assert_int_eq(store_flow_out_sha256(&site, "S1", 4, &sha, &err), 1);
	ck_assert_str_eq(sha, "aa");
	free(sha);
	ck_assert_int_eq(store_flow_out_sha256(&site, "S1", 5, &sha, &err), 1);
	ck_assert_ptr_null(sha);
	ck_assert_int_eq(store_flow_out_sha256(&site, "S1", 6, &sha, &err), 0);
	ck_assert_ptr_null(sha);
	ck_assert_int_eq(store_flow_out_sha256(&site, "S2", 4, &sha, &err), 0);
	/* Flow 4 to S1 is logged once. */
	{
		struct store_flow_out again = { "S1", 4, "data", 0, "f", "bb",
		    1 };
		ck_assert_int_eq(store_flow_add_out(&site, &again, &err), -1);
	}
}
END_TEST

START_TEST(an_ack_matches_the_checksum)
{
	long long covered;

	add_peer("S1");
	add_out("S1", 4, "aa", 7);
	add_out("S1", 5, NULL, 9);
	ck_assert_int_eq(ack_out("S1", 4, "bb", &covered), 0);
	ck_assert_int_eq(ack_out("S1", 4, "aa", &covered), 1);
	ck_assert_int_eq(covered, 7);
	ck_assert_int_eq(ack_out("S1", 4, NULL, &covered), 1);
	ck_assert_int_eq(covered, 7);
	/* Logged without a checksum: any matches. */
	ck_assert_int_eq(ack_out("S1", 5, "cc", &covered), 1);
	ck_assert_int_eq(covered, 9);
	ck_assert_int_eq(ack_out("S1", 6, NULL, &covered), 0);
	ck_assert_int_eq(ack_out("S2", 4, "aa", &covered), 0);
}
END_TEST

START_TEST(uncovered_flows_cover_minus_one)
{
	struct sp_error err;
	long long covered;

	add_peer("S1");
	add_peer("S2");
	add_out("S1", 4, "aa", 7);
	add_out("S2", 5, "bb", 8);
	ck_assert_int_eq(store_flows_out_uncover(&site, "S1", &err), 0);
	ck_assert_int_eq(ack_out("S1", 4, "aa", &covered), 1);
	ck_assert_int_eq(covered, -1);
	ck_assert_int_eq(ack_out("S2", 5, "bb", &covered), 1);
	ck_assert_int_eq(covered, 8);
}
END_TEST

START_TEST(nothing_received_nothing_to_ack)
{
	struct sp_error err;
	long long flow = -99;
	char *sha = (char *)"x";

	add_peer("S1");
	add_out("S1", 4, "aa", 7);
	ck_assert_int_eq(store_flow_last_in(&site, "S1", &flow, &sha, &err), 0);
	ck_assert_ptr_null(sha);
	ck_assert_int_eq(store_flows_unacked_in(&site, "S1", 0, NULL, NULL,
	    &err), 0);
	ck_assert_int_eq(store_flows_unacked_in(&site, "S1", 1, NULL, NULL,
	    &err), 0);
	ck_assert_int_eq(store_flows_ack_in(&site, "S1", &err), 0);
	ck_assert_int_eq(store_flow_request_complete(&site, "S1", 4, &err), 0);
}
END_TEST

/* What store_flows_unacked_in walks: flow ids, ",", and the reason or
 * "-" each. */
struct walked {
	char text[256];
};

static int
walk_one(void *ctx, const struct store_flow_in *f, struct sp_error *err)
{
	struct walked *w = ctx;
	size_t n = strlen(w->text);

	(void)err;
	snprintf(w->text + n, sizeof(w->text) - n, "%s%lld:%s:%s", n ? "," : "",
	    f->flow, f->status, f->reason ? f->reason : "-");
	return 0;
}

static const char *
unacked(int refused, struct walked *w)
{
	struct sp_error err;

	w->text[0] = '\0';
	ck_assert_msg(store_flows_unacked_in(&site, "S1", refused, walk_one, w,
	    &err) == 0, "%s", err.msg);
	return w->text;
}

START_TEST(refusals_are_acknowledged_apart)
{
	const char *t = "2026-01-01T00:00:00Z";
	struct store_flow_refusal r = { "S1", 5, 0, "f.sxf", t, "aa", 12,
	    "wrong prices" };
	struct sp_error err;
	struct walked w;

	add_peer("S1");
	ck_assert_int_eq(store_flow_in_start(&site, "S1", 4, "data", 0, "e.sxf",
	    t, &err), 0);
	ck_assert_int_eq(store_flow_in_finish(&site, "S1", 4, "applied", "bb",
	    NULL, 9, &err), 0);
	ck_assert_int_eq(store_flow_in_refuse(&site, &r, &err), 0);
	/* A bad payload's "refused" is no operator's: not acknowledged. */
	ck_assert_int_eq(store_flow_in_start(&site, "S1", 6, "data", 0, "g.sxf",
	    t, &err), 0);
	ck_assert_int_eq(store_flow_in_finish(&site, "S1", 6, "refused", NULL,
	    NULL, 0, &err), 0);
	ck_assert_str_eq(unacked(0, &w), "4:applied:-");
	ck_assert_str_eq(unacked(1, &w), "5:refused:wrong prices");
	ck_assert_int_eq(store_flows_ack_in(&site, "S1", &err), 0);
	ck_assert_str_eq(unacked(0, &w), "");
	ck_assert_str_eq(unacked(1, &w), "");
}
END_TEST

/* A store_list_flows row of an outgoing flow into the walk's text:
 * flow:status:acked:reason. */
static int
out_row(void *ctx, const struct store_cell *cells, int n,
    struct sp_error *err)
{
	struct walked *w = ctx;
	const char *v[4] = { NULL, NULL, NULL, "-" };
	size_t len = strlen(w->text);
	int out = 0;

	(void)err;
	for (int i = 0; i < n; i++) {
		const char *name = cells[i].name, *text = cells[i].text;

		if (strcmp(name, "direction") == 0)
			out = strcmp(text, "out") == 0;
		else if (strcmp(name, "flow") == 0)
			v[0] = text;
		else if (strcmp(name, "status") == 0)
			v[1] = text;
		else if (strcmp(name, "acked") == 0)
			v[2] = text;
		else if (strcmp(name, "reason") == 0 && text != NULL)
			v[3] = text;
	}
	ck_assert_ptr_nonnull(v[2]);
	if (out)
		snprintf(w->text + len, sizeof(w->text) - len, "%s%s:%s:%s:%s",
		    len ? "," : "", v[0], v[1], v[2], v[3]);
	return 0;
}

static const char *
outgoing(struct walked *w)
{
	struct store_flow_filter all = { NULL, NULL, NULL };
	struct sp_error err;

	w->text[0] = '\0';
	ck_assert_msg(store_list_flows(&site, &all, out_row, w, &err) == 0,
	    "%s", err.msg);
	return w->text;
}

START_TEST(a_refusal_keeps_the_mark)
{
	struct sp_error err;
	struct walked w;
	long long covered;

	add_peer("S1");
	add_out("S1", 4, "aa", 7);
	add_out("S1", 5, "bb", 9);
	ck_assert_int_eq(store_flow_refused_out(&site, "S1", 4, "xx", "no",
	    &err), 0);
	ck_assert_int_eq(store_flow_refused_out(&site, "S1", 8, NULL, "no",
	    &err), 0);
	ck_assert_int_eq(store_flow_refused_out(&site, "S1", 4, "aa",
	    "wrong prices", &err), 1);
	ck_assert_int_eq(mark_of("S1"), 0);
	ck_assert_int_eq(store_flow_refused_out(&site, "S1", 5, NULL, NULL,
	    &err), 1);
	ck_assert_int_eq(mark_of("S1"), 0);
	ck_assert_str_eq(outgoing(&w), "4:refused:yes:wrong prices,"
	    "5:refused:yes:-");
	/* Flow 5 applied after all: the refusal is gone. */
	ck_assert_int_eq(ack_out("S1", 5, "bb", &covered), 1);
	ck_assert_int_eq(covered, 9);
	ck_assert_int_eq(mark_of("S1"), 0);	/* ack_out only answers */
	ck_assert_str_eq(outgoing(&w), "4:refused:yes:wrong prices,"
	    "5:sent:yes:-");
}
END_TEST

START_TEST(marks_move_one_way_each)
{
	struct sp_error err;
	long long mark = -99;

	ck_assert_int_eq(store_peers_min_mark(&site, &mark, &err), 0);
	add_peer("S1");
	add_peer("S2");
	ck_assert_int_eq(mark_of("S1"), 0);
	ck_assert_int_eq(store_peer_mark(&site, "S3", &mark, &err), 0);
	ck_assert_int_eq(store_peer_mark_acked(&site, "S1", 5, &err), 0);
	ck_assert_int_eq(mark_of("S1"), 5);
	ck_assert_int_eq(store_peer_mark_acked(&site, "S1", 3, &err), 0);
	ck_assert_int_eq(mark_of("S1"), 5);
	ck_assert_int_eq(store_peer_mark_acked(&site, "S2", 9, &err), 0);
	ck_assert_int_eq(store_peers_min_mark(&site, &mark, &err), 1);
	ck_assert_int_eq(mark, 5);
	ck_assert_int_eq(store_peer_mark_lower(&site, "S2", 12, &err), 0);
	ck_assert_int_eq(mark_of("S2"), 9);
	ck_assert_int_eq(store_peer_mark_lower(&site, "S1", -1, &err), 0);
	ck_assert_int_eq(mark_of("S1"), -1);
	ck_assert_int_eq(store_peers_min_mark(&site, &mark, &err), 1);
	ck_assert_int_eq(mark, -1);
	/* Unknown peers change nothing and are no error. */
	ck_assert_int_eq(store_peer_mark_acked(&site, "S3", 5, &err), 0);
	ck_assert_int_eq(store_peer_mark_lower(&site, "S3", 5, &err), 0);
	ck_assert_int_eq(store_peer_sent(&site, "S3", &err), 0);
}
END_TEST

START_TEST(next_flow_only_rises)
{
	struct sp_error err;
	long long next = -99, again = -99;
	uint64_t taken;

	ck_assert_int_eq(store_next_flow_peek(&site, &next, &err), 1);
	ck_assert_int_eq(site_next_flow(&site, &taken, &err), 0);
	ck_assert_int_eq((long long)taken, next);
	ck_assert_int_eq(store_next_flow_peek(&site, &again, &err), 1);
	ck_assert_int_eq(again, next + 1);
	ck_assert_int_eq(store_next_flow_raise(&site, next + 5, &err), 0);
	ck_assert_int_eq(store_next_flow_peek(&site, &again, &err), 1);
	ck_assert_int_eq(again, next + 6);
	ck_assert_int_eq(store_next_flow_raise(&site, 1, &err), 0);
	ck_assert_int_eq(store_next_flow_peek(&site, &again, &err), 1);
	ck_assert_int_eq(again, next + 6);
}
END_TEST

START_TEST(no_protocol_kept_is_an_empty_one)
{
	struct sp_error err;
	json_t *p = store_protocol_in(&site, "S1", 3, &err);

	ck_assert_ptr_nonnull(p);
	ck_assert(json_is_array(p));
	ck_assert_uint_eq(json_array_size(p), 0);
	json_decref(p);
	p = json_string("not a protocol");
	ck_assert_int_eq(store_protocol_save_out(&site, "S1", 3, p, &err), 0);
	json_decref(p);
}
END_TEST

struct hops {
	int n;
	json_t *last;
};

static int
hop(void *ctx, const char *line, struct sp_error *err)
{
	struct hops *h = ctx;
	json_error_t jerr;

	(void)err;
	h->n++;
	json_decref(h->last);
	h->last = json_loads(line, 0, &jerr);
	ck_assert_msg(h->last != NULL, "%s: %s", line, jerr.text);
	return 0;
}

static struct hops
unreported(void)
{
	struct hops h = { 0, NULL };
	struct sp_error err;

	ck_assert_msg(store_transfers_unreported(&site, hop, &h, &err) == 0,
	    "%s", err.msg);
	return h;
}

static void
merge(const char *line)
{
	struct sp_error err;

	ck_assert_msg(store_transfer_merge(&site, line, strlen(line), &err)
	    == 0, "%s", err.msg);
}

static int
transit(void *ctx, const char *guid, struct sp_error *err)
{
	(void)guid;
	(void)err;
	(*(int *)ctx)++;
	return 0;
}

START_TEST(refused_moves_are_reported_again)
{
	json_t *protocol = json_pack("[{s:s, s:s, s:s, s:s}, {s:s, s:s}]",
	    "guid", "g1", "table", "customer", "outcome", "rejected",
	    "reason", "locked", "guid", "g2", "table", "customer");
	struct sp_error err;
	struct hops h;
	int walked = 0;

	ck_assert_ptr_nonnull(protocol);
	merge("{\"guid\": \"g1\", \"table\": \"customer\", \"from\": \"HUB\", "
	    "\"to\": \"S1\", \"flow\": 2, \"at\": \"2026-01-01T00:00:00Z\", "
	    "\"state\": \"in transit\"}");
	merge("{\"guid\": \"g2\", \"table\": \"customer\", \"from\": \"HUB\", "
	    "\"to\": \"S1\", \"flow\": 2, \"at\": \"2026-01-01T00:00:01Z\", "
	    "\"state\": \"in transit\"}");
	/* Without guid, from or to a hop is ignored. */
	merge("{\"table\": \"customer\", \"from\": \"HUB\", \"to\": \"S1\"}");
	/* Merged hops are the peer's word: not reported back. */
	h = unreported();
	ck_assert_int_eq(h.n, 0);
	ck_assert_int_eq(store_transfer_merge(&site, "{nope", 5, &err), 1);
	ck_assert_int_eq(store_protocol_save_out(&site, "S1", 3, protocol,
	    &err), 0);
	json_decref(protocol);
	/* Flow 2 is not the one whose protocol rejected g1. */
	ck_assert_int_eq(store_transfers_refuse(&site, "S1", 2, &err), 0);
	h = unreported();
	ck_assert_int_eq(h.n, 0);
	ck_assert_int_eq(store_transfers_refuse(&site, "S2", 3, &err), 0);
	h = unreported();
	ck_assert_int_eq(h.n, 0);
	ck_assert_int_eq(store_transfers_refuse(&site, "S1", 3, &err), 0);
	h = unreported();
	ck_assert_int_eq(h.n, 1);
	ck_assert_str_eq(json_string_value(json_object_get(h.last, "guid")),
	    "g1");
	ck_assert_str_eq(json_string_value(json_object_get(h.last, "state")),
	    "refused");
	ck_assert_str_eq(json_string_value(json_object_get(h.last, "from")),
	    "HUB");
	ck_assert_str_eq(json_string_value(json_object_get(h.last, "to")),
	    "S1");
	ck_assert_int_eq(json_integer_value(json_object_get(h.last, "flow")),
	    2);
	json_decref(h.last);
	ck_assert_int_eq(store_transfers_reported(&site, &err), 0);
	h = unreported();
	ck_assert_int_eq(h.n, 0);
	/* g2 has no record here: nothing of it is in transit. */
	ck_assert_int_eq(store_transfers_in_transit(&site, "S1", 3, transit,
	    &walked, &err), 0);
	ck_assert_int_eq(walked, 0);
}
END_TEST

START_TEST(nothing_to_purge)
{
	struct sp_error err;
	long long n = -99;

	ck_assert_int_eq(store_tombstones_purge(&site, 100, &n, &err), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_int_eq(store_tombstones_purge(&site, 100, NULL, &err), 0);
	ck_assert_int_eq(store_purged_expire(&site, STORE_PURGED_DAYS, &err),
	    0);
	ck_assert_int_eq(store_purged_expire(&site, 0, &err), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store_ack");
	TCase *flows = tcase_create("flows"), *other = tcase_create("other");

	tcase_add_checked_fixture(flows, setup, teardown);
	tcase_add_test(flows, outgoing_flows_keep_their_checksum);
	tcase_add_test(flows, an_ack_matches_the_checksum);
	tcase_add_test(flows, uncovered_flows_cover_minus_one);
	tcase_add_test(flows, nothing_received_nothing_to_ack);
	tcase_add_test(flows, marks_move_one_way_each);
	tcase_add_test(flows, refusals_are_acknowledged_apart);
	tcase_add_test(flows, a_refusal_keeps_the_mark);
	tcase_add_test(flows, next_flow_only_rises);
	suite_add_tcase(s, flows);
	tcase_add_checked_fixture(other, setup, teardown);
	tcase_add_test(other, no_protocol_kept_is_an_empty_one);
	tcase_add_test(other, refused_moves_are_reported_again);
	tcase_add_test(other, nothing_to_purge);
	suite_add_tcase(s, other);
	return fixture_run(s);
}
