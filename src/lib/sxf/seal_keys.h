/* seal_keys.h: a site's X25519 sealing key beside its Ed25519 signing key.
 *
 * The private key file holds the signing key's PKCS#8 PEM block, then the
 * sealing key's; the public key file (DB.pub) the signing key's
 * SubjectPublicKeyInfo PEM block, then the sealing key's, so that tools
 * that read the first block only (openssl pkeyutl) find the signing key. */
#ifndef SYNCPACK_SXF_SEAL_KEYS_H
#define SYNCPACK_SXF_SEAL_KEYS_H

#include <openssl/evp.h>

#include "util/error.h"

/* Returns a new X25519 key pair. */
SP_MUST_CHECK
EVP_PKEY *seal_key_generate(struct sp_error *err);

/* Parses a public key file: an Ed25519 key, then optionally an X25519
 * key (*sealing NULL when the file has only the first, as files of
 * earlier versions do). Anything else is refused. */
SP_MUST_CHECK
int seal_keys_parse_public(const char *pem, EVP_PKEY **signing,
    EVP_PKEY **sealing, struct sp_error *err);

/* Parses one X25519 public key PEM. */
SP_MUST_CHECK
EVP_PKEY *seal_key_parse_public(const char *pem, struct sp_error *err);

/* Writes both public keys, signing first, to a new file (mode 0644). */
SP_MUST_CHECK
int seal_keys_write_public(EVP_PKEY *signing, EVP_PKEY *sealing,
    const char *path, struct sp_error *err);

/* Appends key's private PEM to the key file at path, replacing the file
 * at once (rename) and keeping its mode 0600. */
SP_MUST_CHECK
int seal_key_append_private(EVP_PKEY *key, const char *path,
    struct sp_error *err);

/* The SHA-256 (hex, 65 bytes) of the raw 32-byte X25519 public key. */
SP_MUST_CHECK
int seal_key_fingerprint(EVP_PKEY *key, char *hex, struct sp_error *err);

#endif
