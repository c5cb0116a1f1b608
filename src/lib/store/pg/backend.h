/* backend.h: the PostgreSQL backend's entry points, for the files of the
 * interface that pick a backend (store/site_open.c, store/site_peers.c,
 * store/store_open.c, store/facets_*.c). */
#ifndef SYNCPACK_STORE_PG_BACKEND_H
#define SYNCPACK_STORE_PG_BACKEND_H

#include <openssl/evp.h>

#include "util/error.h"
#include "store/listings.h"
#include "store/conflicts.h"
#include "store/deferred.h"
#include "store/flows.h"
#include "store/held.h"
#include "store/locks.h"
#include "store/manifest.h"
#include "store/moving.h"
#include "store/outbox.h"
#include "store/packing.h"
#include "store/peer_keys.h"
#include "store/peers.h"
#include "store/protocol.h"
#include "store/reconcile.h"
#include "store/status.h"
#include "store/transfers.h"
#include "store/tx.h"
#include "store/vacuum.h"
#include "store/site.h"
#include "store/tables.h"

struct store;

/* 1 when the libpq URI uri carries a password, 0 when not (or when libpq
 * cannot read it: connecting will say why). */
int pg_uri_has_password(const char *uri);

/* uri without its password, for messages; the caller frees it; NULL
 * when out of memory. */
char *pg_uri_display(const char *uri);

/* site_open, site_close and site_init (store/site.h) on a PostgreSQL
 * database named by a libpq URI. */
SP_MUST_CHECK
int pg_site_open(struct site *s, const char *uri, int allow_uninit,
    struct sp_error *err);
void pg_site_close(struct site *s);
SP_MUST_CHECK
int pg_site_init(const char *uri, const char *site_id, int hub,
    const char *key_path, const char *pub_path, struct sp_error *err);

/* Registers peer (checked, its signing key pem canonical) on a
 * PostgreSQL site, as site_peer_add does: 0, or 1 (nothing written) when a
 * registered peer stands in its way (a spoke's hub, or at a hub one that
 * differs only in letter case), named in clash; -1 on error. */
SP_MUST_CHECK
int pg_peer_insert(struct site *s, const char *peer, const char *pem,
    const char *url, char clash[SITEID_MAX + 1], struct sp_error *err);

/* The peer's signing key, sealing key (NULL: none) and compression
 * (store/peer_keys.h) on a PostgreSQL site. */
SP_MUST_CHECK
int pg_peer_set_signing_pub(struct site *s, const char *peer,
    const char *pem, struct sp_error *err);
SP_MUST_CHECK
int pg_peer_set_seal_pub(struct site *s, const char *peer, const char *pem,
    struct sp_error *err);
SP_MUST_CHECK
int pg_peer_set_compression(struct site *s, const char *peer,
    const char *name, struct sp_error *err);

/* site_peer_exists (store/site.h), store_peer_set_no_seal and
 * store_peer_set_expect (store/peer_keys.h) of a PostgreSQL site. */
SP_MUST_CHECK
int pg_peer_exists(struct site *s, const char *peer, struct sp_error *err);
SP_MUST_CHECK
int pg_peer_set_no_seal(struct site *s, const char *peer, int no_seal,
    struct sp_error *err);
SP_MUST_CHECK
int pg_peer_set_expect(struct site *s, const char *peer, long long seconds,
    struct sp_error *err);

/* site_public_pem (store/site.h), store_site_seal_pub and
 * store_site_set_seal_pub (store/peer_keys.h) of a PostgreSQL site. */
SP_MUST_CHECK
char *pg_site_public_pem(struct site *s, struct sp_error *err);
SP_MUST_CHECK
int pg_site_seal_pub(struct site *s, char **pem, struct sp_error *err);
SP_MUST_CHECK
int pg_site_set_seal_pub(struct site *s, const char *pem,
    struct sp_error *err);

/* store_list_peers (store/listings.h) of a PostgreSQL site. */
SP_MUST_CHECK
int pg_list_peers(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err);

/* store_list_tables (store/listings.h) of a PostgreSQL site. */
SP_MUST_CHECK
int pg_list_tables(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err);

/* The record store (store/store.h) over an open PostgreSQL site; the
 * site stays owned by the caller and must outlive the store. */
SP_MUST_CHECK
struct store *pg_store_open(struct site *s, struct sp_error *err);

/* 1 when st is a record store of this backend (pg_store_open). */
int pg_store_is(const struct store *st);

/* The tracking calls (store/tables.h) on a PostgreSQL site. */
extern const struct store_tables_ops pg_tables_ops;

/* store/tx.h on a PostgreSQL site. */
SP_MUST_CHECK
int pg_tx_begin(struct site *s, struct sp_error *err);
SP_MUST_CHECK
int pg_tx_begin_read(struct site *s, struct sp_error *err);
SP_MUST_CHECK
int pg_tx_commit(struct site *s, struct sp_error *err);
void pg_tx_rollback(struct site *s);

/* store/flows.h on a PostgreSQL site. */
SP_MUST_CHECK
int pg_flow_add_out(struct site *s, const struct store_flow_out *f,
    struct sp_error *err);
SP_MUST_CHECK
int pg_peer_sent(struct site *s, const char *peer, struct sp_error *err);
SP_MUST_CHECK
int pg_flow_last_in(struct site *s, const char *peer, long long *flow,
    char **sha256, struct sp_error *err);
SP_MUST_CHECK
int pg_flow_out_sha256(struct site *s, const char *peer, long long flow,
    char **sha256, struct sp_error *err);
SP_MUST_CHECK
int pg_next_flow_peek(struct site *s, long long *next, struct sp_error *err);
SP_MUST_CHECK
int pg_next_flow_raise(struct site *s, long long seen, struct sp_error *err);
SP_MUST_CHECK
int pg_peer_mark(struct site *s, const char *peer, long long *mark,
    struct sp_error *err);
SP_MUST_CHECK
int pg_peer_mark_lower(struct site *s, const char *peer, long long mark,
    struct sp_error *err);
SP_MUST_CHECK
int pg_peer_mark_acked(struct site *s, const char *peer, long long mark,
    struct sp_error *err);
SP_MUST_CHECK
int pg_peers_min_mark(struct site *s, long long *mark, struct sp_error *err);
SP_MUST_CHECK
int pg_flows_out_uncover(struct site *s, const char *peer,
    struct sp_error *err);
SP_MUST_CHECK
int pg_flows_unacked_in(struct site *s, const char *peer, int refused,
    store_flow_in_cb cb, void *ctx, struct sp_error *err);
SP_MUST_CHECK
int pg_flows_ack_in(struct site *s, const char *peer, struct sp_error *err);
SP_MUST_CHECK
int pg_flow_ack_out(struct site *s, const char *peer, long long f,
    const char *sha256, long long *covered, struct sp_error *err);
SP_MUST_CHECK
int pg_flow_refused_out(struct site *s, const char *peer, long long f,
    const char *sha256, const char *reason, struct sp_error *err);
SP_MUST_CHECK
int pg_flow_request_complete(struct site *s, const char *peer, long long f,
    struct sp_error *err);

/* store/flows_in.h on a PostgreSQL site. */
int pg_flow_in_state(struct site *s, const char *peer, long long flow,
    const char *created, int *applied, int *later, int *reused, int *refused,
    struct sp_error *err);
int pg_flow_in_start(struct site *s, const char *peer, long long flow,
    const char *kind, long long link, const char *file, const char *created,
    struct sp_error *err);
int pg_flow_in_finish(struct site *s, const char *peer, long long flow,
    const char *status, const char *sha256, const struct store_flow_counts *n,
    long long covered, struct sp_error *err);
SP_MUST_CHECK
int pg_flow_in_refuse(struct site *s, const struct store_flow_refusal *r,
    struct sp_error *err);

/* store/outbox.h on a PostgreSQL site. */
SP_MUST_CHECK
int pg_peer_url(struct site *s, const char *peer, char **url,
    struct sp_error *err);
SP_MUST_CHECK
int pg_outbox_add(struct site *s, const char *name, const char *peer,
    const char *kind, const char *url, struct sp_error *err);
SP_MUST_CHECK
int pg_outbox_forget(struct site *s, const char *name, struct sp_error *err);
SP_MUST_CHECK
int pg_outbox_has(struct site *s, const char *name, struct sp_error *err);
SP_MUST_CHECK
int pg_outbox_any(struct site *s, struct sp_error *err);
SP_MUST_CHECK
int pg_outbox_list(struct site *s, struct store_outbox_file **files,
    size_t *count, struct sp_error *err);

/* store/packing.h on a PostgreSQL site. */
SP_MUST_CHECK
int pg_peer_marks(struct site *s, const char *peer, long long *acked,
    long long *now, struct sp_error *err);
SP_MUST_CHECK
int pg_peer_advance(struct site *s, const char *peer, long long covered,
    struct sp_error *err);
SP_MUST_CHECK
int pg_table_columns(struct site *s, const char *table, store_column_cb cb,
    void *ctx, struct sp_error *err);
SP_MUST_CHECK
int pg_purged_lookup(struct site *s, const char *guid,
    struct store_record *rec, struct sp_error *err);
SP_MUST_CHECK
int pg_purged_each(struct site *s, store_change_cb cb, void *ctx,
    struct sp_error *err);

/* store/status.h on a PostgreSQL site. */
SP_MUST_CHECK
int pg_status_peers(struct site *s, store_peer_status_cb cb, void *ctx,
    struct sp_error *err);

/* site_peer_key and site_next_flow (store/site.h) of a PostgreSQL site. */
SP_MUST_CHECK
EVP_PKEY *pg_peer_key(struct site *s, const char *peer, struct sp_error *err);
SP_MUST_CHECK
int pg_next_flow(struct site *s, uint64_t *flow, struct sp_error *err);

/* store/transfers.h on a PostgreSQL site. */
SP_MUST_CHECK
int pg_transfers_unreported(struct site *s, store_transfer_cb cb, void *ctx,
    struct sp_error *err);
SP_MUST_CHECK
int pg_transfers_reported(struct site *s, struct sp_error *err);
SP_MUST_CHECK
int pg_transfer_merge(struct site *s, const char *line, size_t len,
    struct sp_error *err);
SP_MUST_CHECK
int pg_transfers_refuse(struct site *s, const char *peer, long long upto,
    struct sp_error *err);
SP_MUST_CHECK
int pg_transfers_in_transit(struct site *s, const char *peer, long long upto,
    store_transit_cb cb, void *ctx, struct sp_error *err);
SP_MUST_CHECK
int pg_move_complete(struct site *s, const char *guid, const char *peer,
    struct sp_error *err);

/* store/protocol.h on a PostgreSQL site. */
int pg_move_requested(struct site *s, const char *guid, const char *table,
    const char *peer, struct sp_error *err);
SP_MUST_CHECK
json_t *pg_protocol_in(struct site *s, const char *peer, long long f,
    struct sp_error *err);
SP_MUST_CHECK
int pg_protocol_save_out(struct site *s, const char *peer, long long f,
    json_t *protocol, struct sp_error *err);
SP_MUST_CHECK
int pg_freeze_from(struct site *s, const char *peer, struct sp_error *err);
SP_MUST_CHECK
int pg_freeze_acked(struct site *s, const char *owner, long long upto,
    const char *peer, long long f, struct sp_error *err);

/* store/held.h on a PostgreSQL site. */
int pg_held_any(struct site *s, struct sp_error *err);

/* store/locks.h on a PostgreSQL site. */
SP_MUST_CHECK
int pg_lock_add(struct site *s, const char *table, json_t *key, const char *by,
    struct sp_error *err);
SP_MUST_CHECK
int pg_lock_remove(struct site *s, const char *table, json_t *key,
    struct sp_error *err);
int pg_locks_any(struct site *s, struct sp_error *err);

/* store/conflicts.h on a PostgreSQL site. */
SP_MUST_CHECK
int pg_conflict_get(struct site *s, long long id, struct store_conflict *c,
    struct sp_error *err);
SP_MUST_CHECK
int pg_conflict_write(struct site *s, const char *table, const char *pk,
    const char *guid, int exists, json_t *values, struct sp_error *err);
SP_MUST_CHECK
int pg_conflict_touch(struct site *s, const char *guid, struct sp_error *err);
SP_MUST_CHECK
int pg_conflict_fold(struct site *s, struct sp_error *err);
SP_MUST_CHECK
int pg_conflict_settle(struct site *s, const struct store_conflict *c,
    struct sp_error *err);

/* store/moving.h on a PostgreSQL site. */
SP_MUST_CHECK
int pg_move_find(struct site *s, long long table_id, int pk_integer,
    const char *key, int by_guid, char guid[33], struct sp_error *err);
SP_MUST_CHECK
int pg_move_state(struct site *s, const char *guid, int *flags, char *to,
    size_t tolen, struct sp_error *err);
SP_MUST_CHECK
int pg_move_start(struct site *s, const char *guid, const char *peer,
    struct sp_error *err);
SP_MUST_CHECK
int pg_move_children(struct site *s, const char *guid,
    struct store_guids *kids, struct sp_error *err);
SP_MUST_CHECK
int pg_move_requests(struct site *s, const char *peer,
    struct store_guids *guids, struct sp_error *err);
SP_MUST_CHECK
int pg_move_request_answered(struct site *s, const char *guid,
    const char *peer, struct sp_error *err);
SP_MUST_CHECK
int pg_moves_outgoing(struct site *s, const char *peer, long long table_id,
    struct store_guids *guids, struct sp_error *err);
SP_MUST_CHECK
int pg_moves_in_transit_to(struct site *s, const char *peer,
    struct store_guids *guids, struct sp_error *err);
SP_MUST_CHECK
int pg_moves_set_flow(struct site *s, const char *peer, uint64_t flow,
    struct sp_error *err);

/* store/reconcile.h on a PostgreSQL site. */
SP_MUST_CHECK
int pg_recon_answered(struct site *s, const char *peer, uint64_t flow,
    struct sp_error *err);
SP_MUST_CHECK
int pg_recon_applied(struct site *s, const char *peer, uint64_t flow,
    struct sp_error *err);
SP_MUST_CHECK
int pg_recon_log_request(struct site *s, const struct sxf_header *h,
    const char *file, const char *sha, struct sp_error *err);

/* store/vacuum.h on a PostgreSQL site. */
SP_MUST_CHECK
int pg_tombstones_purge(struct site *s, long long upto, long long *purged,
    struct sp_error *err);
SP_MUST_CHECK
int pg_purged_expire(struct site *s, int days, struct sp_error *err);

/* The calls of store/held.h, deferred.h, protocol.h and conflicts.h
 * that an apply makes on its store, st a store of this backend
 * (pg_store_is). */
SP_MUST_CHECK
int pg_held_put(struct store *st, const char *guid, const char *table,
    const char *peer, long long flow, long long rowversion,
    const char *reason, const char *line, size_t len, struct sp_error *err);
SP_MUST_CHECK
int pg_held_drop(struct store *st, const char *guid, long long rowversion,
    struct sp_error *err);
SP_MUST_CHECK
int pg_held_each(struct store *st, store_held_cb cb, void *ctx,
    struct sp_error *err);
SP_MUST_CHECK
int pg_held_release(struct store *st, const char *guid, struct sp_error *err);
SP_MUST_CHECK
int pg_deferred_put(struct store *st, const char *line, size_t len,
    struct sp_error *err);
SP_MUST_CHECK
int pg_deferred_each(struct store *st, store_deferred_cb cb, void *ctx,
    struct sp_error *err);
SP_MUST_CHECK
int pg_deferred_drop(struct store *st, long long id, struct sp_error *err);
SP_MUST_CHECK
int pg_protocol_note(struct store *st, const char *peer, long long flow,
    const char *guid, const char *table, const char *outcome,
    const char *reason, struct sp_error *err);
SP_MUST_CHECK
int pg_transfer_done(struct store *st, const char *guid, const char *table,
    const char *peer, long long flow, struct sp_error *err);
SP_MUST_CHECK
int pg_conflict_put(struct store *st, const char *guid, const char *table,
    const char *peer, long long flow, const char *local, const char *remote,
    size_t len, struct sp_error *err);
SP_MUST_CHECK
int pg_conflicts_resolve(struct store *st, const char *guid,
    struct sp_error *err);

/* The listings of the exchange (store/listings.h) of a PostgreSQL site. */
SP_MUST_CHECK
int pg_list_flows(struct site *s, const struct store_flow_filter *f,
    store_row_cb cb, void *ctx, struct sp_error *err);
SP_MUST_CHECK
int pg_list_protocol(struct site *s, long long flow, const char *peer,
    store_row_cb cb, void *ctx, struct sp_error *err);
SP_MUST_CHECK
int pg_list_transfers(struct site *s, const char *guid, store_row_cb cb,
    void *ctx, struct sp_error *err);
SP_MUST_CHECK
int pg_list_held(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err);
SP_MUST_CHECK
int pg_list_conflicts(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err);
SP_MUST_CHECK
int pg_list_locks(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err);

/* store_peer_settings, store_peer_note_sealed, store_peer_set_reads
 * (store/peer_keys.h) and store_peers (store/peers.h) of a PostgreSQL site. */
SP_MUST_CHECK
int pg_peer_settings(struct site *s, const char *peer,
    struct store_peer_settings *out, struct sp_error *err);
SP_MUST_CHECK
int pg_peer_note_sealed(struct site *s, const char *peer,
    struct sp_error *err);
SP_MUST_CHECK
int pg_peer_set_reads(struct site *s, const char *peer,
    const char *reads, struct sp_error *err);
SP_MUST_CHECK
int pg_peers(struct site *s, struct store_peer **peers,
    size_t *count, struct sp_error *err);

/* The tracked tables and the schema of application tables as
 * store/tables.h reads them, on a PostgreSQL site (store_table_get and
 * store_table_primary_key are pg_tables_ops' table_get and
 * table_primary_key). */
SP_MUST_CHECK
int pg_tables_tracked(struct site *s, char ***names, int *count,
    struct sp_error *err);
SP_MUST_CHECK
int pg_table_parents(struct site *s, long long id, long long **parents,
    int *count, struct sp_error *err);
SP_MUST_CHECK
int pg_fks_load(struct site *s, const char *table,
    struct tracked_fk **fks, int *count, struct sp_error *err);
SP_MUST_CHECK
int pg_columns_load(struct site *s, const char *table, char ***columns,
    int *count, struct sp_error *err);
SP_MUST_CHECK
int pg_table_rkey(struct site *s, const struct tracked_table *t,
    const char *const *values, int n, json_t **rkey, struct sp_error *err);

/* The manifest scans (store/manifest.h) of a PostgreSQL site. */
SP_MUST_CHECK
struct store_manifest_scan *pg_manifest_scan_open(struct site *s,
    const struct tracked_table *t, const struct store_manifest_column *cols,
    int ncols, const struct store_manifest_query *q, struct sp_error *err);
SP_MUST_CHECK
int pg_manifest_scan_next(struct store_manifest_scan *sc,
    struct store_manifest_row *row, struct sp_error *err);
void pg_manifest_scan_close(struct store_manifest_scan *sc);

#endif
