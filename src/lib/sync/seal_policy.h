/* seal_policy.h: which files are sealed, and which unsealed files a site
 * takes, sxf(5) "Sealed files".
 *
 * Files to a peer whose sealing key is known are sealed unless the peer
 * is set --no-seal. Every file of a site with a sealing key announces it
 * (sealing_key, signed); an unsealed one says why (unsealed: no-key or
 * no-seal). A receiver with a sealing key refuses an unsealed file from
 * a sender known to have one, unless it set that peer --no-seal too, or
 * the sender says it lacks the receiver's key and has never sealed to it
 * before. */
#ifndef SYNCPACK_SEAL_POLICY_H
#define SYNCPACK_SEAL_POLICY_H

#include <stddef.h>

#include "util/error.h"
#include "store/site.h"
#include "sxf/sxf_header.h"
#include "sxf/sxf_writer.h"

/* Sets w's compression and seal for peer, and adds the seal fields to h.
 * When the file will not be sealed, unsealed (cap bytes) gets why, for
 * the tools to say; else it is empty. */
SP_MUST_CHECK
int seal_policy_outgoing(struct site *s, const char *peer,
    struct sxf_writer *w, struct sxf_header *h, char *unsealed, size_t cap,
    struct sp_error *err);

/* The reader's check_header for site s (ctx): refuses a downgrade and an
 * announced key other than the registered one. */
int seal_policy_check(void *ctx, const struct sxf_header *h, int sealed,
    struct sp_error *err);

/* The reader's sealing_key for site s (ctx): its X25519 private key. */
EVP_PKEY *seal_policy_key(void *ctx, struct sp_error *err);

/* After a file from a peer was read in full: keeps the sealing key it
 * announced when none is registered, and that it sealed. */
SP_MUST_CHECK
int seal_policy_note(struct site *s, const struct sxf_header *h, int sealed,
    struct sp_error *err);

/* Registers the keys of a public key file (signing, then optionally
 * sealing) for an existing peer, replacing what it had; *sealing is set
 * to whether the file had a sealing key. */
SP_MUST_CHECK
int seal_policy_peer_keys(struct site *s, const char *peer, const char *pem,
    int *sealing, struct sp_error *err);

/* Gives a site made before sealing existed its sealing key pair: the
 * private key after the signing key in its key file, the public one in
 * the database, announced in every file from now on. */
SP_MUST_CHECK
int seal_policy_add_key(struct site *s, struct sp_error *err);

/* This site's public keys, signing then sealing (when it has one), as
 * DB.pub holds them; the caller frees. */
SP_MUST_CHECK
char *seal_policy_public_keys(struct site *s, struct sp_error *err);

#endif
