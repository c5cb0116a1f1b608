/* sxf_writer.h: writes a signed exchange file, sxf(5).
 *
 * Payload members are streamed into temporary spool files while their
 * SHA-256 is computed, because HEADER, MANIFEST and SIGNATURE must precede
 * them in the archive. Order of calls: sxf_writer_new, then for each payload
 * sxf_writer_member_begin / _write... / _end, then sxf_writer_finish once,
 * then sxf_writer_free (always). */
#ifndef SYNCPACK_SXF_WRITER_H
#define SYNCPACK_SXF_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

#include "util/error.h"
#include "sxf/compress.h"
#include "sxf/sxf_header.h"

struct sxf_writer;

SP_MUST_CHECK
struct sxf_writer *sxf_writer_new(struct sp_error *err);
SP_MUST_CHECK
int sxf_writer_member_begin(struct sxf_writer *w, const char *name,
    struct sp_error *err);
SP_MUST_CHECK
int sxf_writer_member_write(struct sxf_writer *w, const void *buf, size_t len,
    struct sp_error *err);
SP_MUST_CHECK
int sxf_writer_member_end(struct sxf_writer *w, struct sp_error *err);

/* gzip unless told otherwise. */
void sxf_writer_set_compression(struct sxf_writer *w, enum sxf_compression c);

/* Seals the file to recipient (an X25519 public key; the writer keeps a
 * reference): its payload becomes the one member "sealed" and HEADER
 * keeps only the routing fields (sxf/sxf_open.h). ephemeral: NULL, or a
 * fixed X25519 key for a test vector. */
SP_MUST_CHECK
int sxf_writer_seal_to(struct sxf_writer *w, EVP_PKEY *recipient,
    EVP_PKEY *ephemeral, struct sp_error *err);

/* Total payload bytes spooled so far (uncompressed). */
uint64_t sxf_writer_payload_bytes(const struct sxf_writer *w);

/* Signs HEADER+MANIFEST with key and writes the gzip pax archive to fd;
 * file_sha256 (65 bytes, may be NULL) receives the SHA-256 of the bytes
 * written, as sha256sum would print it for the file. */
SP_MUST_CHECK
int sxf_writer_finish(struct sxf_writer *w, const struct sxf_header *h,
    EVP_PKEY *key, int fd, char *file_sha256, struct sp_error *err);

void sxf_writer_free(struct sxf_writer *w);

#endif
