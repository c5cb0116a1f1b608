/* sxf_open.h: the sealed member of an exchange file, written and opened.
 *
 * A sealed file's payload is one member, "sealed": the sealed stream
 * (sxf/seal.h) of a compressed pax tar holding HEADER, the complete
 * header (routing fields and every other field), then the payload
 * members. The outer HEADER keeps the routing fields and the seal's own
 * (seal, sealed_to); MANIFEST and SIGNATURE cover the sealed member as
 * they cover any member. */
#ifndef SYNCPACK_SXF_OPEN_H
#define SYNCPACK_SXF_OPEN_H

#include <stdint.h>
#include <stdio.h>
#include <openssl/evp.h>

#include "util/error.h"
#include "sxf/compress.h"
#include "sxf/sxf_header.h"
#include "sxf/sxf_reader.h"

#define SXF_SEALED_MEMBER "sealed"

/* The HKDF info of a file: "syncpack sxf seal 1|FROM|TO|FLOW". Returns
 * its length. */
size_t sxf_seal_info(const struct sxf_header *h, char *buf, size_t cap);

/* Fills outer with h's routing fields and the seal fields for recipient
 * (an X25519 public key). */
SP_MUST_CHECK
int sxf_seal_outer_header(const struct sxf_header *h, EVP_PKEY *recipient,
    struct sxf_header *outer, struct sp_error *err);

struct archive;

/* Reads the sealed member (size bytes) from the outer archive a, hashing
 * what it reads into hash; opens it with the recipient's X25519 key and
 * hands the inner header (as result->header) and members to ops. outer:
 * the verified outer header. */
SP_MUST_CHECK
int sxf_open_sealed(struct archive *a, EVP_MD_CTX *hash, uint64_t size,
    EVP_PKEY *key, const struct sxf_limits *limits,
    const struct sxf_read_ops *ops, struct sxf_read_result *result,
    struct sp_error *err);

#endif
