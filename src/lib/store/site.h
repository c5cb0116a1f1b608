/* site.h: a site database: opening it, its identity, keys, peers, flows.
 *
 * The toolkit's metadata lives in tables named syncpack_* inside the
 * application's own database; application tables are never touched here.
 * This is the store interface; the SQLite backend implements it. */
#ifndef SYNCPACK_SITE_H
#define SYNCPACK_SITE_H

#include <stdint.h>
#include <openssl/evp.h>

#include "util/error.h"
#include "sxf/siteid.h"

struct sqlite3;

struct site {
	struct sqlite3 *db;	/* owned: the connection (store/sqlite/ only) */
	char *path;		/* owned: the database file as given */
	char id[SITEID_MAX + 1];
	int hub;
	char *key_path;		/* owned: private key file */
};

/* Opens DB (which must exist) and, unless allow_uninit, requires that
 * syncadm init has run on it. Close with site_close. */
SP_MUST_CHECK
int site_open(struct site *s, const char *path, int allow_uninit,
    struct sp_error *err);
void site_close(struct site *s);

/* Creates the metadata tables and a key pair (key_path, pub_path; NULL for
 * DB.key and DB.pub) in one transaction; refuses an initialised database
 * and existing key files. */
SP_MUST_CHECK
int site_init(const char *path, const char *site_id, int hub,
    const char *key_path, const char *pub_path, struct sp_error *err);

/* Loads this site's private key; the caller frees it with EVP_PKEY_free. */
SP_MUST_CHECK
EVP_PKEY *site_private_key(struct site *s, struct sp_error *err);

/* Returns this site's public key PEM; the caller frees it. */
SP_MUST_CHECK
char *site_public_pem(struct site *s, struct sp_error *err);

/* Registers a peer. A spoke accepts exactly one peer, the hub. */
SP_MUST_CHECK
int site_peer_add(struct site *s, const char *peer, const char *pub_pem,
    const char *url, struct sp_error *err);

/* Returns the peer's public key, or NULL with "unknown signer" in err. */
SP_MUST_CHECK
EVP_PKEY *site_peer_key(struct site *s, const char *peer, struct sp_error *err);

/* 1 when peer is registered, 0 when not, -1 on error. */
SP_MUST_CHECK
int site_peer_exists(struct site *s, const char *peer, struct sp_error *err);

/* Takes the next outgoing flow id, committed at once so ids never repeat
 * even if writing the file fails afterwards. */
SP_MUST_CHECK
int site_next_flow(struct site *s, uint64_t *flow, struct sp_error *err);

#endif
