/* status.c: per-peer counters and the verdict. */
#include <stdio.h>
#include <string.h>

#include "sync/pack.h"
#include "sync/status.h"
#include "store/status.h"

/* Collecting the peers into the status. */
struct status_ctx {
	struct site *site;
	json_t *peers;
	long long held, conflicts, rejections;
	char refused[256];	/* "1 file refused by BSOC, ..." */
};

static int
add_peer(void *ctx, const struct store_peer_status *sp, struct sp_error *err)
{
	struct status_ctx *sc = ctx;
	json_t *p = json_object();
	const char *const names[] = { "last_sent", "last_received",
	    "last_acked" };
	const char *const values[] = { sp->last_sent, sp->last_received,
	    sp->last_acked };
	long long waiting;

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
	json_object_set_new(p, "refused", json_integer(sp->refused));
	json_array_append_new(sc->peers, p);
	if (sp->refused) {
		size_t n = strlen(sc->refused);

		snprintf(sc->refused + n, sizeof(sc->refused) - n,
		    "%s%lld file%s refused by %s", n ? ", " : "", sp->refused,
		    sp->refused == 1 ? "" : "s", sp->peer);
	}
	sc->held += sp->held;
	sc->conflicts += sp->conflicts;
	sc->rejections += sp->rejections;
	return 0;
}

json_t *
site_status(struct site *s, struct sp_error *err)
{
	json_t *out = json_object();
	struct status_ctx sc = { s, json_array(), 0, 0, 0, "" };
	long long held, conflicts, rejections, failed;
	char reason[256] = "";

	if (store_status_peers(s, add_peer, &sc, err) != 0 ||
	    store_status_failed_flows(s, &failed, err) != 0) {
		json_decref(out);
		json_decref(sc.peers);
		return NULL;
	}
	held = sc.held;
	conflicts = sc.conflicts;
	rejections = sc.rejections;
	json_object_set_new(out, "site", json_string(s->id));
	json_object_set_new(out, "hub", json_boolean(s->hub));
	json_object_set_new(out, "peers", sc.peers);
	json_object_set_new(out, "held", json_integer(held));
	json_object_set_new(out, "conflicts", json_integer(conflicts));
	json_object_set_new(out, "rejections", json_integer(rejections));
	json_object_set_new(out, "failed_flows", json_integer(failed));
	if (held)
		snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason),
		    "%s%lld held records", reason[0] ? ", " : "", held);
	if (conflicts)
		snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason),
		    "%s%lld unresolved conflicts", reason[0] ? ", " : "", conflicts);
	if (rejections)
		snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason),
		    "%s%lld records rejected by a peer", reason[0] ? ", " : "",
		    rejections);
	if (sc.refused[0])
		snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason),
		    "%s%s", reason[0] ? ", " : "", sc.refused);
	if (failed)
		snprintf(reason + strlen(reason), sizeof(reason) - strlen(reason),
		    "%s%lld incoming files refused or failed", reason[0] ? ", " :
		    "", failed);
	json_object_set_new(out, "verdict", json_string(reason[0] ? "attention"
	    : "ok"));
	json_object_set_new(out, "reason", reason[0] ? json_string(reason) :
	    json_null());
	return out;
}
