/* backend.h: the SQLite backend's entry points, for the files of the
 * interface that pick a backend (store/store_open.c, store/site_open.c). */
#ifndef SYNCPACK_STORE_SQLITE_BACKEND_H
#define SYNCPACK_STORE_SQLITE_BACKEND_H

#include "util/error.h"
#include "store/listings.h"
#include "sxf/compress.h"
#include "store/site.h"

struct store;

/* The SQLite record store over an open site; the site stays owned by the
 * caller and must outlive the store. */
SP_MUST_CHECK
struct store *store_sqlite_open(struct site *s, struct sp_error *err);

/* site_open, site_close and site_init (store/site.h) on a SQLite file. */
SP_MUST_CHECK
int sqlite_site_open(struct site *s, const char *path, int allow_uninit,
    struct sp_error *err);
void sqlite_site_close(struct site *s);
SP_MUST_CHECK
int sqlite_site_init(const char *path, const char *site_id, int hub,
    const char *key_path, const char *pub_path, struct sp_error *err);

/* Registers peer (checked, its signing key pem canonical) on a SQLite
 * site, as site_peer_add does: 0, or 1 (nothing written) when a
 * registered peer stands in its way (a spoke's hub, or at a hub one that
 * differs only in letter case), named in clash; -1 on error. */
SP_MUST_CHECK
int sqlite_peer_insert(struct site *s, const char *peer, const char *pem,
    const char *url, char clash[SITEID_MAX + 1], struct sp_error *err);

/* store_peer_set_signing_pub, store_peer_set_seal_pub and
 * store_peer_set_compression (store/peer_keys.h) of a SQLite site. */
SP_MUST_CHECK
int sqlite_peer_set_signing_pub(struct site *s, const char *peer,
    const char *pem, struct sp_error *err);
SP_MUST_CHECK
int sqlite_peer_set_seal_pub(struct site *s, const char *peer,
    const char *pem, struct sp_error *err);
SP_MUST_CHECK
int sqlite_peer_set_compression(struct site *s, const char *peer,
    enum sxf_compression c, struct sp_error *err);

/* site_peer_exists (store/site.h), store_peer_set_no_seal and
 * store_peer_set_expect (store/peer_keys.h) of a SQLite site. */
SP_MUST_CHECK
int sqlite_peer_exists(struct site *s, const char *peer,
    struct sp_error *err);
SP_MUST_CHECK
int sqlite_peer_set_no_seal(struct site *s, const char *peer, int no_seal,
    struct sp_error *err);
SP_MUST_CHECK
int sqlite_peer_set_expect(struct site *s, const char *peer,
    long long seconds, struct sp_error *err);

/* site_public_pem (store/site.h), store_site_seal_pub and
 * store_site_set_seal_pub (store/peer_keys.h) of a SQLite site. */
SP_MUST_CHECK
char *sqlite_site_public_pem(struct site *s, struct sp_error *err);
SP_MUST_CHECK
int sqlite_site_seal_pub(struct site *s, char **pem, struct sp_error *err);
SP_MUST_CHECK
int sqlite_site_set_seal_pub(struct site *s, const char *pem,
    struct sp_error *err);

/* store_list_peers (store/listings.h) of a SQLite site. */
SP_MUST_CHECK
int sqlite_list_peers(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err);

/* store_list_tables (store/listings.h) of a SQLite site. */
SP_MUST_CHECK
int sqlite_list_tables(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err);

#endif
