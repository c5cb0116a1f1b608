/* backend.h: the PostgreSQL backend's entry points, for the files of the
 * interface that pick a backend (store/site_open.c, store/store_open.c). */
#ifndef SYNCPACK_STORE_PG_BACKEND_H
#define SYNCPACK_STORE_PG_BACKEND_H

#include "util/error.h"
#include "store/listings.h"
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

#endif
