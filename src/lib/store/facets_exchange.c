/* facets_exchange.c: the calls of store/tx.h, flows.h, flows_in.h,
 * outbox.h, packing.h and status.h, and site_peer_key and site_next_flow
 * of store/site.h, each to the site's backend. One of the files above
 * the backends that name them (scripts/check-layers). */
#include "store/backend_via.h"
#include "store/flows.h"
#include "store/flows_in.h"
#include "store/outbox.h"
#include "store/packing.h"
#include "store/status.h"
#include "store/tx.h"

int
store_tx_begin(struct site *s, struct sp_error *err)
{
	return VIA(s, tx_begin)(s, err);
}

int
store_tx_begin_read(struct site *s, struct sp_error *err)
{
	return VIA(s, tx_begin_read)(s, err);
}

int
store_tx_commit(struct site *s, struct sp_error *err)
{
	return VIA(s, tx_commit)(s, err);
}

void
store_tx_rollback(struct site *s)
{
	VIA(s, tx_rollback)(s);
}

int
store_flow_add_out(struct site *s, const struct store_flow_out *f,
    struct sp_error *err)
{
	return VIA(s, flow_add_out)(s, f, err);
}

int
store_peer_sent(struct site *s, const char *peer, struct sp_error *err)
{
	return VIA(s, peer_sent)(s, peer, err);
}

int
store_flow_last_in(struct site *s, const char *peer, long long *flow,
    char **sha256, struct sp_error *err)
{
	return VIA(s, flow_last_in)(s, peer, flow, sha256, err);
}

int
store_flow_out_sha256(struct site *s, const char *peer, long long flow,
    char **sha256, struct sp_error *err)
{
	return VIA(s, flow_out_sha256)(s, peer, flow, sha256, err);
}

int
store_next_flow_peek(struct site *s, long long *next, struct sp_error *err)
{
	return VIA(s, next_flow_peek)(s, next, err);
}

int
store_next_flow_raise(struct site *s, long long seen, struct sp_error *err)
{
	return VIA(s, next_flow_raise)(s, seen, err);
}

int
store_peer_mark(struct site *s, const char *peer, long long *mark,
    struct sp_error *err)
{
	return VIA(s, peer_mark)(s, peer, mark, err);
}

int
store_peer_mark_lower(struct site *s, const char *peer, long long mark,
    struct sp_error *err)
{
	return VIA(s, peer_mark_lower)(s, peer, mark, err);
}

int
store_peer_mark_acked(struct site *s, const char *peer, long long mark,
    struct sp_error *err)
{
	return VIA(s, peer_mark_acked)(s, peer, mark, err);
}

int
store_peers_min_mark(struct site *s, long long *mark, struct sp_error *err)
{
	return VIA(s, peers_min_mark)(s, mark, err);
}

int
store_flows_out_uncover(struct site *s, const char *peer, struct sp_error *err)
{
	return VIA(s, flows_out_uncover)(s, peer, err);
}

int
store_flows_unacked_in(struct site *s, const char *peer, int refused,
    store_flow_in_cb cb, void *ctx, struct sp_error *err)
{
	return VIA(s, flows_unacked_in)(s, peer, refused, cb, ctx, err);
}

int
store_flows_ack_in(struct site *s, const char *peer, struct sp_error *err)
{
	return VIA(s, flows_ack_in)(s, peer, err);
}

int
store_flow_ack_out(struct site *s, const char *peer, long long f,
    const char *sha256, long long *covered, struct sp_error *err)
{
	return VIA(s, flow_ack_out)(s, peer, f, sha256, covered, err);
}

int
store_flow_refused_out(struct site *s, const char *peer, long long f,
    const char *sha256, const char *reason, struct sp_error *err)
{
	return VIA(s, flow_refused_out)(s, peer, f, sha256, reason, err);
}

int
store_flow_request_complete(struct site *s, const char *peer, long long f,
    struct sp_error *err)
{
	return VIA(s, flow_request_complete)(s, peer, f, err);
}

int
store_flow_in_state(struct site *s, const char *peer, long long flow,
    const char *created, int *applied, int *later, int *reused, int *refused,
    struct sp_error *err)
{
	return VIA(s, flow_in_state)(s, peer, flow, created, applied, later,
	    reused, refused, err);
}

int
store_flow_in_start(struct site *s, const char *peer, long long flow,
    const char *kind, long long link, const char *file, const char *created,
    struct sp_error *err)
{
	return VIA(s, flow_in_start)(s, peer, flow, kind, link, file, created,
	    err);
}

int
store_flow_in_finish(struct site *s, const char *peer, long long flow,
    const char *status, const char *sha256, const struct store_flow_counts *n,
    long long covered, struct sp_error *err)
{
	return VIA(s, flow_in_finish)(s, peer, flow, status, sha256, n,
	    covered, err);
}

int
store_flow_in_refuse(struct site *s, const struct store_flow_refusal *r,
    struct sp_error *err)
{
	return VIA(s, flow_in_refuse)(s, r, err);
}

int
store_peer_url(struct site *s, const char *peer, char **url,
    struct sp_error *err)
{
	return VIA(s, peer_url)(s, peer, url, err);
}

int
store_outbox_add(struct site *s, const char *name, const char *peer,
    const char *kind, const char *url, struct sp_error *err)
{
	return VIA(s, outbox_add)(s, name, peer, kind, url, err);
}

int
store_outbox_forget(struct site *s, const char *name, struct sp_error *err)
{
	return VIA(s, outbox_forget)(s, name, err);
}

int
store_outbox_has(struct site *s, const char *name, struct sp_error *err)
{
	return VIA(s, outbox_has)(s, name, err);
}

int
store_outbox_any(struct site *s, struct sp_error *err)
{
	return VIA(s, outbox_any)(s, err);
}

int
store_outbox_list(struct site *s, struct store_outbox_file **files,
    size_t *count, struct sp_error *err)
{
	return VIA(s, outbox_list)(s, files, count, err);
}

int
store_peer_marks(struct site *s, const char *peer, long long *acked,
    long long *now, struct sp_error *err)
{
	return VIA(s, peer_marks)(s, peer, acked, now, err);
}

int
store_peer_advance(struct site *s, const char *peer, long long covered,
    struct sp_error *err)
{
	return VIA(s, peer_advance)(s, peer, covered, err);
}

int
store_table_columns(struct site *s, const char *table, store_column_cb cb,
    void *ctx, struct sp_error *err)
{
	return VIA(s, table_columns)(s, table, cb, ctx, err);
}

int
store_purged_lookup(struct site *s, const char *guid, struct store_record *rec,
    struct sp_error *err)
{
	return VIA(s, purged_lookup)(s, guid, rec, err);
}

int
store_purged_each(struct site *s, store_change_cb cb, void *ctx,
    struct sp_error *err)
{
	return VIA(s, purged_each)(s, cb, ctx, err);
}

int
store_status_peers(struct site *s, store_peer_status_cb cb, void *ctx,
    struct sp_error *err)
{
	return VIA(s, status_peers)(s, cb, ctx, err);
}

EVP_PKEY *
site_peer_key(struct site *s, const char *peer, struct sp_error *err)
{
	return VIA(s, peer_key)(s, peer, err);
}

int
site_next_flow(struct site *s, uint64_t *flow, struct sp_error *err)
{
	return VIA(s, next_flow)(s, flow, err);
}
