/* peer_keys.h: sealing keys and per-peer file settings: how files to a
 * peer are compressed and sealed, and how often files from it are
 * expected. The store interface; both backends implement it
 * (store/sqlite/peer_keys.c, store/pg/peers_pg.c), and store/site_peers.c
 * picks. */
#ifndef SYNCPACK_STORE_PEER_KEYS_H
#define SYNCPACK_STORE_PEER_KEYS_H

#include <stdlib.h>

#include "util/error.h"
#include "store/site.h"
#include "sxf/compress.h"

struct store_peer_settings {
	enum sxf_compression compression;
	char *seal_pub;		/* owned: its X25519 public key PEM; NULL */
	int no_seal;		/* syncadm peer set --no-seal */
	int sealed_seen;	/* a sealed file from it was read here */
	/* owned: the format versions its files say it reads; NULL until a
	 * file from it has said so */
	char *reads;
};

/* The settings of a registered peer; free with
 * store_peer_settings_free. */
SP_MUST_CHECK
int store_peer_settings(struct site *s, const char *peer,
    struct store_peer_settings *out, struct sp_error *err);

static inline void
store_peer_settings_free(struct store_peer_settings *p)
{
	free(p->seal_pub);
	free(p->reads);
	p->seal_pub = p->reads = NULL;
}

SP_MUST_CHECK
int store_peer_set_compression(struct site *s, const char *peer,
    enum sxf_compression c, struct sp_error *err);
SP_MUST_CHECK
int store_peer_set_no_seal(struct site *s, const char *peer, int no_seal,
    struct sp_error *err);
/* syncadm peer set --expect: the seconds without a file from the peer
 * after which the status needs attention; 0 never. */
SP_MUST_CHECK
int store_peer_set_expect(struct site *s, const char *peer,
    long long seconds, struct sp_error *err);
/* Records the peer's sealing key (NULL: none); a new key, or none, also
 * forgets that a sealed file was seen from it. */
SP_MUST_CHECK
int store_peer_set_seal_pub(struct site *s, const char *peer,
    const char *pem, struct sp_error *err);
SP_MUST_CHECK
int store_peer_note_sealed(struct site *s, const char *peer,
    struct sp_error *err);
/* Replaces the peer's signing key: files signed with the old one are
 * refused from then on. */
SP_MUST_CHECK
int store_peer_set_signing_pub(struct site *s, const char *peer,
    const char *pem, struct sp_error *err);

SP_MUST_CHECK
int store_peer_set_reads(struct site *s, const char *peer,
    const char *reads, struct sp_error *err);

/* This site's own sealing public key PEM in *pem (caller frees): 1, or
 * 0 when it has none (a site made before sealing existed). */
SP_MUST_CHECK
int store_site_seal_pub(struct site *s, char **pem, struct sp_error *err);
SP_MUST_CHECK
int store_site_set_seal_pub(struct site *s, const char *pem,
    struct sp_error *err);

#endif
