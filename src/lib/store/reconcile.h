/* reconcile.h: what a reconciliation (sync/reconcile.c) reads and writes
 * besides the manifests, the records and the moves (store/moving.h): the
 * flows that say whether a step was answered or applied, and the incoming
 * request it logs. This is the store interface; store/facets_*.c passes
 * each call to the site's backend, store/sqlite/reconcile.c or
 * store/pg/reconcile_pg.c. */
#ifndef SYNCPACK_STORE_RECONCILE_H
#define SYNCPACK_STORE_RECONCILE_H

#include <stdint.h>

#include "util/error.h"
#include "store/site.h"
#include "sxf/sxf_header.h"

/* 1 when this site already sent peer an answer linked to flow (its
 * request or answer), 0 when not, -1 on error. */
SP_MUST_CHECK
int store_recon_answered(struct site *s, const char *peer,
    uint64_t flow, struct sp_error *err);

/* 1 when flow from peer came in and was applied here, in full or in part;
 * 0 when not; -1 on error. */
SP_MUST_CHECK
int store_recon_applied(struct site *s, const char *peer,
    uint64_t flow, struct sp_error *err);

/* Logs the incoming request h, read from file (its SHA-256 sha), as
 * answered now; a request already logged stays as it is. */
SP_MUST_CHECK
int store_recon_log_request(struct site *s,
    const struct sxf_header *h, const char *file, const char *sha,
    struct sp_error *err);

#endif
