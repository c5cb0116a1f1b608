/* keys.h: Ed25519 site keys: create, store as PEM, sign and verify. */
#ifndef SYNCPACK_KEYS_H
#define SYNCPACK_KEYS_H

#include <stddef.h>
#include <openssl/evp.h>

#include "util/error.h"

#define SIGNATURE_LEN 64

/* Sets err to what, with OpenSSL's first queued error, which it clears;
 * returns -1. */
int openssl_error(struct sp_error *err, const char *what);

/* Returns a new Ed25519 key pair; the caller frees it with EVP_PKEY_free. */
SP_MUST_CHECK
EVP_PKEY *key_generate(struct sp_error *err);

/* Writes the private key as PKCS#8 PEM to a new file created with mode 0600;
 * refuses to replace an existing file. */
SP_MUST_CHECK
int key_write_private(EVP_PKEY *key, const char *path, struct sp_error *err);

/* Writes the public key as SubjectPublicKeyInfo PEM (mode 0644, new file). */
SP_MUST_CHECK
int key_write_public(EVP_PKEY *key, const char *path, struct sp_error *err);

/* Returns the public key as a NUL-terminated PEM string; caller frees. */
SP_MUST_CHECK
char *key_public_pem(EVP_PKEY *key, struct sp_error *err);

/* Loads a private key file: its first Ed25519 key (the signing key). */
SP_MUST_CHECK
EVP_PKEY *key_load_private(const char *path, struct sp_error *err);

/* The first key of type (EVP_PKEY_ED25519, EVP_PKEY_X25519) in a file of
 * PEM private keys; *absent (may be NULL) is 1 when the file is readable
 * but holds none of that type. The file's bytes are wiped after use. */
SP_MUST_CHECK
EVP_PKEY *key_load_private_type(const char *path, int type, int *absent,
    struct sp_error *err);

/* Parses a public key PEM; only Ed25519 keys are accepted. */
SP_MUST_CHECK
EVP_PKEY *key_parse_public(const char *pem, struct sp_error *err);

/* Reads text (len bytes) when it is only PEM blocks of Ed25519 or X25519
 * keys in the form OpenSSL writes (SubjectPublicKeyInfo, or PKCS#8
 * "PRIVATE KEY" when private), at most max of them: fills keys[] and
 * returns their number. Returns 0 (no key kept) for anything else, which
 * the caller then reads with OpenSSL's PEM functions (keys_pem.c). */
int key_pem_fast(const char *text, size_t len, int private, EVP_PKEY **keys,
    int max);

/* Reads a whole small file (at most max bytes) into a NUL-terminated buffer
 * the caller frees. */
SP_MUST_CHECK
char *file_read_small(const char *path, size_t max, size_t *len,
    struct sp_error *err);

SP_MUST_CHECK
int key_sign(EVP_PKEY *key, const void *msg, size_t len,
    unsigned char sig[SIGNATURE_LEN], struct sp_error *err);

/* 1 when sig is a valid signature of msg by key, 0 otherwise. */
int key_verify(EVP_PKEY *key, const void *msg, size_t len,
    const unsigned char *sig, size_t siglen);

#endif
