/* site.h: a site database: opening it, its identity, keys, peers, flows.
 *
 * The toolkit's metadata lives in tables named syncpack_* inside the
 * application's own database (in PostgreSQL: in the schema syncpack);
 * application tables are never touched here. This is the store interface;
 * site_open.c picks the backend by the name of the database: a
 * postgresql:// or postgres:// URI opens a PostgreSQL site (store/pg/),
 * anything else is a SQLite file (store/sqlite/). */
#ifndef SYNCPACK_SITE_H
#define SYNCPACK_SITE_H

#include <stdint.h>
#include <openssl/evp.h>

#include "util/error.h"
#include "sxf/siteid.h"

struct sqlite3;
struct pg_conn;

enum site_backend { SITE_SQLITE, SITE_POSTGRESQL };

struct site {
	enum site_backend backend;
	struct sqlite3 *db;	/* owned: the SQLite connection (store/sqlite/) */
	struct pg_conn *pg;	/* owned: the libpq connection (store/pg/) */
	char *path;		/* owned: the database as given; a URI without
				 * its password */
	char id[SITEID_MAX + 1];
	int hub;
	char *key_path;		/* owned: private key file */
};

/* site_open's flags. Every backend opens with every tool now;
 * SITE_OPEN_POSTGRESQL, which once let a caller say it used only what a
 * PostgreSQL site had, asks nothing more and goes once t/pgstore.c no
 * longer names it. */
#define SITE_OPEN_UNINIT	1	/* syncadm init need not have run */
#define SITE_OPEN_POSTGRESQL	0

/* 1 when path names a PostgreSQL database (a postgresql:// or
 * postgres:// URI), 0 for a SQLite file. */
int site_is_postgresql(const char *path);

/* 1 when the URI path carries a password (which belongs in ~/.pgpass,
 * PGPASSWORD or a service file, not on a command line), 0 when not or
 * when path is no URI. */
int site_uri_has_password(const char *path);

/* path as messages show it: a URI without its password. The caller
 * frees it; NULL when out of memory. */
char *site_display_name(const char *path);

/* Opens DB (which must exist) and, unless flags has SITE_OPEN_UNINIT,
 * requires that syncadm init has run on it. Close with site_close. */
SP_MUST_CHECK
int site_open(struct site *s, const char *path, int flags,
    struct sp_error *err);
void site_close(struct site *s);

/* Creates the metadata tables and a key pair (key_path, pub_path; NULL for
 * DB.key and DB.pub, only for a database that is a file) in one
 * transaction; refuses an initialised database and existing key files.
 * The private key stays in its file: only its path is recorded. */
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
