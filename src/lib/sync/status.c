/* status.c: per-peer counters and the verdicts, the site's and each
 * peer's. */
#include <stdio.h>
#include <string.h>

#include "sync/pack.h"
#include "sync/status.h"
#include "store/status.h"
#include "store/tx.h"
#include "util/clock.h"
#include "util/duration.h"

/* What needs attention, counted over one peer or the whole site. */
struct status_counts {
	long long held, conflicts, rejections, failed;
};

/* Collecting the peers into the status. */
struct status_ctx {
	struct site *site;
	long long now;		/* seconds since 1970 */
	json_t *peers;
	struct status_counts total;
	/* "no file from ... since ..." for the first QUIET_NAMED quiet
	 * peers; the others are counted, so a long list stays readable. */
	char quiet[512];
	int n_quiet;
	char refused[256];	/* "1 file refused by BSOC, ..." */
};

#define QUIET_NAMED 3

/* Appends ", " (unless buf is empty) and part to buf; what does not fit
 * is cut, never overflows. */
static void
append(char *buf, size_t size, const char *part)
{
	size_t len = strlen(buf);

	if (len < size)
		snprintf(buf + len, size - len, "%s%s", len ? ", " : "", part);
}

/* Appends "N what" to buf when n is not 0. */
static void
append_count(char *buf, size_t size, long long n, const char *what)
{
	char part[96];

	if (n == 0)
		return;
	snprintf(part, sizeof(part), "%lld %s", n, what);
	append(buf, size, part);
}

static void
reason_of(const struct status_counts *c, char *buf, size_t size)
{
	append_count(buf, size, c->held, "held records");
	append_count(buf, size, c->conflicts, "unresolved conflicts");
	append_count(buf, size, c->rejections, "records rejected by a peer");
	append_count(buf, size, c->failed, "incoming files refused or failed");
}

/* The peer is quiet when it expects files and none came for longer than
 * that since the last one, or since it was added. *since: the time
 * counted from. */
static int
peer_quiet(const struct store_peer_status *sp, long long now,
    const char **since)
{
	long long t;

	*since = sp->last_received ? sp->last_received : sp->added;
	if (sp->expect <= 0 || *since == NULL || utc_parse(*since, &t) != 0)
		return 0;
	return now - t > sp->expect;
}

static void
set_verdict(json_t *o, const char *reason)
{
	json_object_set_new(o, "verdict", json_string(reason[0] ?
	    "attention" : "ok"));
	json_object_set_new(o, "reason", reason[0] ? json_string(reason) :
	    json_null());
}

static int
add_peer(void *ctx, const struct store_peer_status *sp, struct sp_error *err)
{
	struct status_ctx *sc = ctx;
	json_t *p = json_object();
	const char *const names[] = { "last_sent", "last_received",
	    "last_acked" };
	const char *const values[] = { sp->last_sent, sp->last_received,
	    sp->last_acked };
	struct status_counts c = { sp->held, sp->conflicts, sp->rejections,
	    sp->failed };
	char reason[512] = "", gone[160];
	const char *since;
	long long waiting;
	int quiet;

	if (pack_waiting(sc->site, sp->peer, &waiting, err) != 0) {
		json_decref(p);
		return -1;
	}
	json_object_set_new(p, "peer", json_string(sp->peer));
	for (int i = 0; i < 3; i++)
		json_object_set_new(p, names[i], values[i] ?
		    json_string(values[i]) : json_null());
	json_object_set_new(p, "waiting", json_integer(waiting));
	json_object_set_new(p, "held", json_integer(sp->held));
	json_object_set_new(p, "conflicts", json_integer(sp->conflicts));
	json_object_set_new(p, "rejections", json_integer(sp->rejections));
	json_object_set_new(p, "failed_flows", json_integer(sp->failed));
	json_object_set_new(p, "expect_seconds", json_integer(sp->expect));
	quiet = peer_quiet(sp, sc->now, &since);
	json_object_set_new(p, "quiet", json_boolean(quiet));
	json_object_set_new(p, "refused", json_integer(sp->refused));
	reason_of(&c, reason, sizeof(reason));
	if (sp->refused) {
		char part[160];

		snprintf(part, sizeof(part), "%lld file%s refused by %s",
		    sp->refused, sp->refused == 1 ? "" : "s", sp->peer);
		append(reason, sizeof(reason), part);
		append(sc->refused, sizeof(sc->refused), part);
	}
	if (quiet) {
		snprintf(gone, sizeof(gone), "no file from %s since %s",
		    sp->peer, since);
		append(reason, sizeof(reason), gone);
		if (++sc->n_quiet <= QUIET_NAMED)
			append(sc->quiet, sizeof(sc->quiet), gone);
	}
	set_verdict(p, reason);
	json_array_append_new(sc->peers, p);
	sc->total.held += sp->held;
	sc->total.conflicts += sp->conflicts;
	sc->total.rejections += sp->rejections;
	sc->total.failed += sp->failed;
	return 0;
}

json_t *
site_status(struct site *s, struct sp_error *err)
{
	json_t *out;
	struct status_ctx sc;
	char reason[1024] = "";

	memset(&sc, 0, sizeof(sc));
	sc.site = s;
	sc.now = clock_wall_ms() / 1000;
	sc.peers = json_array();
	/* One read transaction: the counts of every peer agree. */
	if (store_tx_begin_read(s, err) != 0) {
		json_decref(sc.peers);
		return NULL;
	}
	if (store_status_peers(s, add_peer, &sc, err) != 0) {
		store_tx_rollback(s);
		json_decref(sc.peers);
		return NULL;
	}
	if (store_tx_commit(s, err) != 0) {
		json_decref(sc.peers);
		return NULL;
	}
	out = json_object();
	json_object_set_new(out, "site", json_string(s->id));
	json_object_set_new(out, "hub", json_boolean(s->hub));
	json_object_set_new(out, "peers", sc.peers);
	json_object_set_new(out, "held", json_integer(sc.total.held));
	json_object_set_new(out, "conflicts", json_integer(sc.total.conflicts));
	json_object_set_new(out, "rejections",
	    json_integer(sc.total.rejections));
	json_object_set_new(out, "failed_flows", json_integer(sc.total.failed));
	reason_of(&sc.total, reason, sizeof(reason));
	if (sc.refused[0])
		append(reason, sizeof(reason), sc.refused);
	if (sc.quiet[0])
		append(reason, sizeof(reason), sc.quiet);
	append_count(reason, sizeof(reason), sc.n_quiet - QUIET_NAMED > 0 ?
	    sc.n_quiet - QUIET_NAMED : 0, "more peers quiet for longer than "
	    "expected");
	set_verdict(out, reason);
	return out;
}
