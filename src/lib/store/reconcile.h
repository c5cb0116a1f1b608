/* reconcile.h: what a reconciliation (sync/reconcile.c) reads and writes
 * besides the manifests and the records: the flows that say whether a
 * step was answered or applied, the incoming request it logs, and the
 * moves an answer carries.
 *
 * This is the store interface; the SQLite backend implements it
 * (store/sqlite/reconcile.c). */
#ifndef SYNCPACK_STORE_RECONCILE_H
#define SYNCPACK_STORE_RECONCILE_H

#include <stdint.h>

#include "util/error.h"
#include "store/site.h"
#include "sxf/sxf_header.h"

/* 1 when this site already sent peer an answer linked to flow (its
 * request or answer), 0 when not, -1 on error. */
int store_recon_answered(struct site *s, const char *peer, uint64_t flow,
    struct sp_error *err);

/* 1 when flow from peer came in and was applied here, in full or in part;
 * 0 when not; -1 on error. */
int store_recon_applied(struct site *s, const char *peer, uint64_t flow,
    struct sp_error *err);

/* Logs the incoming request h, read from file (its SHA-256 sha), as
 * answered now; a request already logged stays as it is. */
int store_recon_log_request(struct site *s, const struct sxf_header *h,
    const char *file, const char *sha, struct sp_error *err);

/* Called with the GUID of each record, borrowed for the call. A non-zero
 * return (err set) stops the listing, which then returns -1. */
typedef int (*store_guid_cb)(void *ctx, const char *guid,
    struct sp_error *err);

/* The live records of table id in transit from from to to, by lseq. */
int store_recon_moves(struct site *s, long long table_id, const char *from,
    const char *to, store_guid_cb cb, void *ctx, struct sp_error *err);

/* Marks the moves in transit from from to to that no file carried yet as
 * carried by flow. */
int store_recon_moves_sent(struct site *s, const char *from, const char *to,
    uint64_t flow, struct sp_error *err);

#endif
