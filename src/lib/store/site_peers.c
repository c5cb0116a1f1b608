/* site_peers.c: this site's public keys, and registering peers and their
 * keys, checked the same way for every backend, then written by the
 * site's backend. With site_open.c one of the files above the backends
 * that name them. */
#include <stdlib.h>
#include <string.h>

#include "store/listings.h"
#include "store/peer_keys.h"
#include "store/peers.h"
#include "store/pg/backend.h"
#include "store/sqlite/backend.h"
#include "sxf/keys.h"

int
site_peer_add(struct site *s, const char *peer, const char *pub_pem,
    const char *url, struct sp_error *err)
{
	char clash[SITEID_MAX + 1];
	EVP_PKEY *key;
	char *pem;
	int rc;

	if (!siteid_valid(peer))
		return sp_error_set(err, "bad site id \"%s\"", peer);
	if (strcmp(peer, s->id) == 0)
		return sp_error_set(err, "%s is this site, not a peer", peer);
	if ((key = key_parse_public(pub_pem, err)) == NULL)
		return -1;
	/* Stored in canonical form, whatever whitespace the file had. */
	pem = key_public_pem(key, err);
	EVP_PKEY_free(key);
	if (pem == NULL)
		return -1;
	rc = s->backend == SITE_POSTGRESQL ? pg_peer_insert(s, peer, pem, url,
	    clash, err) : sqlite_peer_insert(s, peer, pem, url, clash, err);
	free(pem);
	if (rc == 1)
		/* Case-only differences would collide in FAT mailbox names. */
		return sp_error_set(err, s->hub ? "peer %s differs from %s only "
		    "in letter case" : "a spoke has exactly one peer, the hub, "
		    "and %s is already registered (adding %s)", clash, peer);
	return rc;
}

int
store_peer_set_signing_pub(struct site *s, const char *peer,
    const char *pem, struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ?
	    pg_peer_set_signing_pub(s, peer, pem, err) :
	    sqlite_peer_set_signing_pub(s, peer, pem, err);
}

int
store_peer_set_seal_pub(struct site *s, const char *peer, const char *pem,
    struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ?
	    pg_peer_set_seal_pub(s, peer, pem, err) :
	    sqlite_peer_set_seal_pub(s, peer, pem, err);
}

int
store_peer_set_compression(struct site *s, const char *peer,
    enum sxf_compression c, struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ?
	    pg_peer_set_compression(s, peer, sxf_compression_name(c), err) :
	    sqlite_peer_set_compression(s, peer, c, err);
}

char *
site_public_pem(struct site *s, struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ? pg_site_public_pem(s, err) :
	    sqlite_site_public_pem(s, err);
}

int
store_site_seal_pub(struct site *s, char **pem, struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ? pg_site_seal_pub(s, pem, err) :
	    sqlite_site_seal_pub(s, pem, err);
}

int
store_site_set_seal_pub(struct site *s, const char *pem,
    struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ? pg_site_set_seal_pub(s, pem,
	    err) : sqlite_site_set_seal_pub(s, pem, err);
}

int
site_peer_exists(struct site *s, const char *peer, struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ? pg_peer_exists(s, peer, err) :
	    sqlite_peer_exists(s, peer, err);
}

int
store_peer_set_no_seal(struct site *s, const char *peer, int no_seal,
    struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ?
	    pg_peer_set_no_seal(s, peer, no_seal, err) :
	    sqlite_peer_set_no_seal(s, peer, no_seal, err);
}

int
store_peer_set_expect(struct site *s, const char *peer, long long seconds,
    struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ?
	    pg_peer_set_expect(s, peer, seconds, err) :
	    sqlite_peer_set_expect(s, peer, seconds, err);
}

int
store_list_peers(struct site *s, store_row_cb cb, void *ctx,
    struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ? pg_list_peers(s, cb, ctx, err)
	    : sqlite_list_peers(s, cb, ctx, err);
}

int
store_peer_settings(struct site *s, const char *peer,
    struct store_peer_settings *out, struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ?
	    pg_peer_settings(s, peer, out, err) :
	    sqlite_peer_settings(s, peer, out, err);
}

int
store_peer_note_sealed(struct site *s, const char *peer, struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ?
	    pg_peer_note_sealed(s, peer, err) :
	    sqlite_peer_note_sealed(s, peer, err);
}

int
store_peer_set_reads(struct site *s, const char *peer, const char *reads,
    struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ?
	    pg_peer_set_reads(s, peer, reads, err) :
	    sqlite_peer_set_reads(s, peer, reads, err);
}

int
store_peers(struct site *s, struct store_peer **peers, size_t *count,
    struct sp_error *err)
{
	return s->backend == SITE_POSTGRESQL ?
	    pg_peers(s, peers, count, err) :
	    sqlite_peers(s, peers, count, err);
}
