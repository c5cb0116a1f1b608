/* seal.h: sealing a byte stream to a recipient's X25519 key, sxf(5).
 *
 * An ephemeral X25519 key agrees a secret with the recipient's key;
 * HKDF-SHA256 (salt: ephemeral public key then recipient public key,
 * info: the caller's context) turns it into a 32-byte content key; the
 * stream is cut into chunks of SEAL_CHUNK bytes, each encrypted with
 * ChaCha20-Poly1305 under a nonce made of the chunk's counter and a
 * last-chunk flag. Every chunk but the last holds exactly SEAL_CHUNK
 * bytes; the last holds fewer (maybe none), so a cut at a chunk boundary,
 * a reordering or a chunk from another stream fails authentication.
 * Sealed bytes: the 32-byte ephemeral public key, then each chunk's
 * ciphertext followed by its 16-byte tag. OpenSSL's EVP does every
 * primitive; the keys are wiped when the stream is freed. */
#ifndef SYNCPACK_SXF_SEAL_H
#define SYNCPACK_SXF_SEAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <openssl/evp.h>

#include "util/error.h"

#define SEAL_CHUNK 65536
#define SEAL_TAG 16
#define SEAL_PUB 32
#define SEAL_KEY 32
#define SEAL_NONCE 12
/* The scheme's name, as the header's seal field gives it. */
#define SEAL_SCHEME "x25519-hkdf-sha256-chacha20poly1305-64k"

/* Where sealed bytes go; a non-zero return stops the stream. */
typedef int (*seal_out_fn)(void *ctx, const void *buf, size_t len,
    struct sp_error *err);

struct seal_writer;

/* Starts a stream to recipient (an X25519 public key) and writes the
 * ephemeral public key through out at once. ephemeral: the X25519
 * private key to use (a test vector's); NULL makes a fresh one, as every
 * real file must. */
SP_MUST_CHECK
struct seal_writer *seal_writer_new(EVP_PKEY *recipient, EVP_PKEY *ephemeral,
    const void *info, size_t info_len, seal_out_fn out, void *out_ctx,
    struct sp_error *err);
SP_MUST_CHECK
int seal_writer_write(struct seal_writer *w, const void *buf, size_t len,
    struct sp_error *err);
/* Writes the last chunk; the stream is complete only after this. */
SP_MUST_CHECK
int seal_writer_finish(struct seal_writer *w, struct sp_error *err);
void seal_writer_free(struct seal_writer *w);

struct seal_opener;

/* Starts opening a stream whose first SEAL_PUB bytes were ephemeral_pub,
 * with the recipient's X25519 private key. */
SP_MUST_CHECK
struct seal_opener *seal_opener_new(EVP_PKEY *recipient_key,
    const unsigned char ephemeral_pub[SEAL_PUB], const void *info,
    size_t info_len, struct sp_error *err);
/* Opens the next chunk (in: ciphertext and tag, SEAL_CHUNK + SEAL_TAG
 * bytes for every chunk but the last, fewer for the last) into out (room
 * for SEAL_CHUNK bytes); in is modified. Returns the plaintext length,
 * or -1 (refused) when the chunk does not authenticate. */
SP_MUST_CHECK
ssize_t seal_opener_chunk(struct seal_opener *o, unsigned char *in,
    size_t in_len, unsigned char *out, struct sp_error *err);
/* 1 once the last chunk was opened: a stream that ends before is cut. */
int seal_opener_ended(const struct seal_opener *o);
void seal_opener_free(struct seal_opener *o);

/* The content key of a stream, for test vectors: from the private key of
 * one side and the public key of the other. */
SP_MUST_CHECK
int seal_content_key(EVP_PKEY *priv, EVP_PKEY *peer_pub,
    const unsigned char ephemeral_pub[SEAL_PUB],
    const unsigned char recipient_pub[SEAL_PUB], const void *info,
    size_t info_len, unsigned char key[SEAL_KEY], struct sp_error *err);

/* The nonce of chunk counter: 11 bytes big-endian counter, then 1 for the
 * last chunk or 0. */
void seal_nonce(uint64_t counter, int last, unsigned char nonce[SEAL_NONCE]);

#endif
