/* facets_records.c: the calls of store/transfers.h, protocol.h, held.h,
 * locks.h, conflicts.h, moving.h, reconcile.h and vacuum.h that take a
 * site, and the listings of the exchange (store/listings.h), each to the
 * site's backend. One of the files above the backends that name them
 * (scripts/check-layers). */
#include "store/backend_via.h"
#include "store/conflicts.h"
#include "store/held.h"
#include "store/listings.h"
#include "store/locks.h"
#include "store/manifest.h"
#include "store/moving.h"
#include "store/protocol.h"
#include "store/reconcile.h"
#include "store/transfers.h"
#include "store/vacuum.h"

int
store_transfers_unreported(struct site *s, store_transfer_cb cb, void *ctx,
    struct sp_error *err)
{
	return VIA(s, transfers_unreported)(s, cb, ctx, err);
}

int
store_transfers_reported(struct site *s, struct sp_error *err)
{
	return VIA(s, transfers_reported)(s, err);
}

int
store_transfer_merge(struct site *s, const char *line, size_t len,
    struct sp_error *err)
{
	return VIA(s, transfer_merge)(s, line, len, err);
}

int
store_transfers_refuse(struct site *s, const char *peer, long long upto,
    struct sp_error *err)
{
	return VIA(s, transfers_refuse)(s, peer, upto, err);
}

int
store_transfers_in_transit(struct site *s, const char *peer, long long upto,
    store_transit_cb cb, void *ctx, struct sp_error *err)
{
	return VIA(s, transfers_in_transit)(s, peer, upto, cb, ctx, err);
}

int
store_move_complete(struct site *s, const char *guid, const char *peer,
    struct sp_error *err)
{
	return VIA(s, move_complete)(s, guid, peer, err);
}

int
store_move_requested(struct site *s, const char *guid, const char *table,
    const char *peer, struct sp_error *err)
{
	return VIA(s, move_requested)(s, guid, table, peer, err);
}

json_t *
store_protocol_in(struct site *s, const char *peer, long long f,
    struct sp_error *err)
{
	return VIA(s, protocol_in)(s, peer, f, err);
}

int
store_protocol_save_out(struct site *s, const char *peer, long long f,
    json_t *protocol, struct sp_error *err)
{
	return VIA(s, protocol_save_out)(s, peer, f, protocol, err);
}

int
store_freeze_from(struct site *s, const char *peer, struct sp_error *err)
{
	return VIA(s, freeze_from)(s, peer, err);
}

int
store_freeze_acked(struct site *s, const char *owner, long long upto,
    const char *peer, long long f, struct sp_error *err)
{
	return VIA(s, freeze_acked)(s, owner, upto, peer, f, err);
}

int
store_held_any(struct site *s, struct sp_error *err)
{
	return VIA(s, held_any)(s, err);
}

int
store_lock_add(struct site *s, const char *table, json_t *key, const char *by,
    struct sp_error *err)
{
	return VIA(s, lock_add)(s, table, key, by, err);
}

int
store_lock_remove(struct site *s, const char *table, json_t *key,
    struct sp_error *err)
{
	return VIA(s, lock_remove)(s, table, key, err);
}

int
store_locks_any(struct site *s, struct sp_error *err)
{
	return VIA(s, locks_any)(s, err);
}

int
store_conflict_get(struct site *s, long long id, struct store_conflict *c,
    struct sp_error *err)
{
	return VIA(s, conflict_get)(s, id, c, err);
}

int
store_conflict_write(struct site *s, const char *table, const char *pk,
    const char *guid, int exists, json_t *values, struct sp_error *err)
{
	return VIA(s, conflict_write)(s, table, pk, guid, exists, values, err);
}

int
store_conflict_touch(struct site *s, const char *guid, struct sp_error *err)
{
	return VIA(s, conflict_touch)(s, guid, err);
}

int
store_conflict_fold(struct site *s, struct sp_error *err)
{
	return VIA(s, conflict_fold)(s, err);
}

int
store_conflict_settle(struct site *s, const struct store_conflict *c,
    struct sp_error *err)
{
	return VIA(s, conflict_settle)(s, c, err);
}

int
store_move_find(struct site *s, long long table_id, int pk_integer,
    const char *key, int by_guid, char guid[33], struct sp_error *err)
{
	return VIA(s, move_find)(s, table_id, pk_integer, key, by_guid, guid,
	    err);
}

int
store_move_state(struct site *s, const char *guid, int *flags, char *to,
    size_t tolen, struct sp_error *err)
{
	return VIA(s, move_state)(s, guid, flags, to, tolen, err);
}

int
store_move_start(struct site *s, const char *guid, const char *peer,
    struct sp_error *err)
{
	return VIA(s, move_start)(s, guid, peer, err);
}

int
store_move_children(struct site *s, const char *guid, struct store_guids *kids,
    struct sp_error *err)
{
	return VIA(s, move_children)(s, guid, kids, err);
}

int
store_move_requests(struct site *s, const char *peer,
    struct store_guids *guids, struct sp_error *err)
{
	return VIA(s, move_requests)(s, peer, guids, err);
}

int
store_move_request_answered(struct site *s, const char *guid, const char *peer,
    struct sp_error *err)
{
	return VIA(s, move_request_answered)(s, guid, peer, err);
}

int
store_moves_outgoing(struct site *s, const char *peer, long long table_id,
    struct store_guids *guids, struct sp_error *err)
{
	return VIA(s, moves_outgoing)(s, peer, table_id, guids, err);
}

int
store_moves_in_transit_to(struct site *s, const char *peer,
    struct store_guids *guids, struct sp_error *err)
{
	return VIA(s, moves_in_transit_to)(s, peer, guids, err);
}

int
store_moves_set_flow(struct site *s, const char *peer, uint64_t flow,
    struct sp_error *err)
{
	return VIA(s, moves_set_flow)(s, peer, flow, err);
}

int
store_recon_answered(struct site *s, const char *peer, uint64_t flow,
    struct sp_error *err)
{
	return VIA(s, recon_answered)(s, peer, flow, err);
}

int
store_recon_applied(struct site *s, const char *peer, uint64_t flow,
    struct sp_error *err)
{
	return VIA(s, recon_applied)(s, peer, flow, err);
}

int
store_recon_log_request(struct site *s, const struct sxf_header *h,
    const char *file, const char *sha, struct sp_error *err)
{
	return VIA(s, recon_log_request)(s, h, file, sha, err);
}

int
store_tombstones_purge(struct site *s, long long upto, long long *purged,
    struct sp_error *err)
{
	return VIA(s, tombstones_purge)(s, upto, purged, err);
}

int
store_purged_expire(struct site *s, int days, struct sp_error *err)
{
	return VIA(s, purged_expire)(s, days, err);
}

int
store_list_flows(struct site *s, const struct store_flow_filter *f,
    store_row_cb cb, void *ctx, struct sp_error *err)
{
	return VIA(s, list_flows)(s, f, cb, ctx, err);
}

int
store_list_protocol(struct site *s, long long flow, const char *peer,
    store_row_cb cb, void *ctx, struct sp_error *err)
{
	return VIA(s, list_protocol)(s, flow, peer, cb, ctx, err);
}

int
store_list_transfers(struct site *s, const char *guid, store_row_cb cb,
    void *ctx, struct sp_error *err)
{
	return VIA(s, list_transfers)(s, guid, cb, ctx, err);
}

int
store_list_held(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err)
{
	return VIA(s, list_held)(s, cb, ctx, err);
}

int
store_list_conflicts(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err)
{
	return VIA(s, list_conflicts)(s, cb, ctx, err);
}

int
store_list_locks(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err)
{
	return VIA(s, list_locks)(s, cb, ctx, err);
}

struct store_manifest_scan *
store_manifest_scan_open(struct site *s, const struct tracked_table *t,
    const struct store_manifest_column *cols, int ncols,
    const struct store_manifest_query *q, struct sp_error *err)
{
	return VIA(s, manifest_scan_open)(s, t, cols, ncols, q, err);
}

/* The backend that opened sc. */
static enum site_backend
scan_backend(struct store_manifest_scan *sc)
{
	return ((struct store_manifest_scan_head *)(void *)sc)->backend;
}

int
store_manifest_scan_next(struct store_manifest_scan *sc,
    struct store_manifest_row *row, struct sp_error *err)
{
	return scan_backend(sc) == SITE_POSTGRESQL ?
	    pg_manifest_scan_next(sc, row, err) :
	    sqlite_manifest_scan_next(sc, row, err);
}

void
store_manifest_scan_close(struct store_manifest_scan *sc)
{
	if (sc == NULL)
		return;
	if (scan_backend(sc) == SITE_POSTGRESQL)
		pg_manifest_scan_close(sc);
	else
		sqlite_manifest_scan_close(sc);
}
